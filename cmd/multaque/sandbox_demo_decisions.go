package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// This file is --demo's team that decides together: three neighbours of
// Sants who want a workers' guild (critical mass 3) become a team when the
// coordinator runs /match, join its group, and take two decisions there
// through the real bot: a proposal they answered and its author closed (its
// outcome pinned and in the log), and a meeting time still open. As the rest
// of the demo, everything goes through the bot as people would; the
// database is only read, to wait for the bot.

// demoDeciders are the members of the demo's deciding team.
var demoDeciders = []demoPerson{
	{"Ona", "ca", "sants", "workers-guild"},
	{"Biel", "ca", "sants", "workers-guild"},
	{"Sílvia", "es", "sants", "workers-guild"},
}

// The demo's decisions: the one closed and the one left open.
const (
	demoClosedQuestion = "Ens trobem cada dimarts al casal?"
	demoOpenQuestion   = "Quan fem la primera assemblea?"
	demoOpenOptions    = "Dc. 16, 19:00\nDj. 17, 19:00\nDs. 19, 11:00"
)

// seedDecisions makes the demo's deciding team and its two decisions, once.
func (d *demo) seedDecisions(ctx context.Context) error {
	if d.people.hasDemo(demoDeciders[0].name) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w, err := d.live.wait(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	users := make([]*telegramtest.User, len(demoDeciders))
	errs := make([]error, len(demoDeciders))
	for i, p := range demoDeciders {
		u := d.srv.NewUser(p.name, p.lang)
		d.people.add(savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode, Demo: true})
		users[i] = u
		wg.Go(func() { errs[i] = answerSurvey(ctx, u, p, d.texts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.coord.Send("/match")
	var team *multaque.Team
	err = demoWait(ctx, "the deciding team's group is ready", func() (bool, error) {
		teams, err := w.db.Teams(ctx)
		for _, t := range teams {
			if t.Project == "workers-guild" && t.Status == multaque.TeamActive && t.InviteLink != "" {
				team = t
			}
		}
		return team != nil, err
	})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			return err
		}
	}
	g, ok := d.srv.Group(team.Chat)
	if !ok {
		return fmt.Errorf("the team's group %d is not in the fake", team.Chat)
	}
	err = demoWait(ctx, "the deciders are in their group", func() (bool, error) {
		t, err := w.db.Team(ctx, team.ID)
		for _, m := range t.Members {
			if !m.InChat {
				return false, err
			}
		}
		return true, err
	})
	if err != nil {
		return err
	}
	ona := users[0]
	closed, err := d.demoDecision(ctx, g, ona, multaque.KindProposal, demoClosedQuestion, "")
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := u.Vote(g, closed.ID, multaque.ProposalAgree); err != nil {
			return err
		}
	}
	if err := demoWait(ctx, "the proposal's answers are in", func() (bool, error) {
		log, err := w.db.TeamDecisions(ctx, team.ID)
		return err == nil && len(log) > 0 && len(log[0].Votes) == len(users), err
	}); err != nil {
		return err
	}
	if _, err := ona.PressButton(ctx, visible(d.texts, "ca", "decide_btn_close_now")); err != nil {
		return err
	}
	if err := demoWait(ctx, "the proposal's outcome is posted", func() (bool, error) {
		log, err := w.db.TeamDecisions(ctx, team.ID)
		return err == nil && len(log) > 0 && log[0].Posted > 0, err
	}); err != nil {
		return err
	}
	open, err := d.demoDecision(ctx, g, ona, multaque.KindMeeting, demoOpenQuestion, demoOpenOptions)
	if err != nil {
		return err
	}
	for i, u := range users[:2] {
		if _, err := u.Vote(g, open.ID, 0, i+1); err != nil {
			return err
		}
	}
	return nil
}

// demoDecision has author prepare a decision of kind from the group, with
// options typed if it needs them, to close in a week, and returns its poll.
func (d *demo) demoDecision(ctx context.Context, g *telegramtest.Group, author *telegramtest.User, kind multaque.DecisionKind, question, options string) (telegramtest.Message, error) {
	lang := author.LanguageCode
	author.SendToGroup(g, "/decide")
	steps := []func() error{
		func() error {
			_, err := author.PressButton(ctx, visible(d.texts, lang, "decide_btn_"+string(kind)))
			return err
		},
		func() error { _, err := author.Await(ctx, visible(d.texts, lang, "decide_question")[:20]); return err },
		func() error { author.Send(question); return nil },
	}
	if options != "" {
		steps = append(steps, func() error { author.Send(options); return nil })
	}
	steps = append(steps,
		func() error {
			_, err := author.PressButton(ctx, visibleWith(d.texts, lang, "decide_btn_days", map[string]any{"Count": 7}))
			return err
		},
		func() error { _, err := author.PressButton(ctx, visible(d.texts, lang, "decide_btn_post")); return err },
	)
	for _, step := range steps {
		if err := step(); err != nil {
			return telegramtest.Message{}, err
		}
	}
	m, ok := g.WaitPoll(question)
	if !ok {
		return m, fmt.Errorf("the poll %q did not come", question)
	}
	return m, nil
}

// demoWait checks cond every 50 ms until it holds, fails, or ctx is done.
func demoWait(ctx context.Context, what string, cond func() (bool, error)) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

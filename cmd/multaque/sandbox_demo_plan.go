package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
)

// --demo's team with a plan under way: four neighbours of Sants who want
// to share cars (critical mass 4) answer the survey, the matcher forms
// their team, they join its group when invited, and two of them mark the
// first two steps of the pinned plan. Everything goes through the real bot
// over the fake Telegram, as for the rest of the demo.

// demoTeamGroup is the pool group the demo's team takes, besides
// demoPoolGroups, which stay free for the visitor's team.
const demoTeamGroup = "Pool 3"

var demoTeamPeople = []demoPerson{
	{"Rosa", "ca", "sants", "car-co-owning"},
	{"Tomàs", "ca", "sants", "car-co-owning"},
	{"Irene", "es", "sants", "car-co-owning"},
	{"Oriol", "en", "sants", "car-co-owning"},
}

// demoTicks is how many steps of its plan the demo's team marks done.
const demoTicks = 2

// seedTeam makes the demo's team and ticks the first steps of its plan,
// once: a later run finds its people and does nothing.
func (d *demo) seedTeam(ctx context.Context, w wiring) error {
	if d.people.hasDemo(demoTeamPeople[0].name) {
		return nil
	}
	users := make([]*telegramtest.User, len(demoTeamPeople))
	errs := make([]error, len(demoTeamPeople))
	var wg sync.WaitGroup
	for i, p := range demoTeamPeople {
		u := d.srv.NewUser(p.name, p.lang)
		users[i] = u
		d.people.add(savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode, Demo: true})
		wg.Go(func() { errs[i] = answerSurvey(ctx, u, p, d.texts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if _, err := w.runner.Run(ctx); err != nil {
		return fmt.Errorf("form the team: %w", err)
	}
	for i, u := range users {
		link, err := awaitInvite(ctx, u, visible(d.texts, demoTeamPeople[i].lang, "team_btn_join"))
		if err != nil {
			return fmt.Errorf("%s's invitation: %w", u.FirstName, err)
		}
		if err := u.OpenInviteLink(link); err != nil {
			return fmt.Errorf("%s joins the group: %w", u.FirstName, err)
		}
	}
	g, plan, err := d.awaitPlan(ctx, users[0])
	if err != nil {
		return err
	}
	for i := range demoTicks {
		if _, err := users[i].PressInGroup(g, plan, fmt.Sprintf("ptick|0|%d", i+1)); err != nil {
			return err
		}
	}
	return nil
}

// awaitInvite waits until u is invited to a team's group (a message with
// the button labelled join) and returns the invite link.
func awaitInvite(ctx context.Context, u *telegramtest.User, join string) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, m := range u.Messages() {
			for _, row := range m.Keyboard {
				for _, b := range row {
					if b.Text == join && b.URL != "" {
						return b.URL, nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-tick.C:
		}
	}
}

// awaitPlan waits until u is in a group with a pinned plan, and returns
// the group and the plan's message.
func (d *demo) awaitPlan(ctx context.Context, u *telegramtest.User) (*telegramtest.Group, int, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, g := range d.srv.GroupsOf(u.ID) {
			for _, m := range g.Messages() {
				if m.FromBot && m.Pinned && len(m.Keyboard) > 0 && strings.HasPrefix(m.Keyboard[0][0].Data, "ptick|") {
					return g, m.ID, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("the demo team's plan is not pinned: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/sandboxweb"
	"github.com/multaque/multaque/bot/telegramtest"
)

// This file is what the sandbox page can do besides chatting: make a
// person a coordinator, give them a mentor invite, and form teams now. Each
// does what a coordinator's Telegram action or the cron would, through the
// running bot, store and matcher.

// liveBot hands what Main.run wired to the page and the demo, once it has.
type liveBot struct {
	ready chan struct{}
	w     wiring // set before ready is closed
}

func newLiveBot() *liveBot { return &liveBot{ready: make(chan struct{})} }

// set is Main.wired.
func (l *liveBot) set(w wiring) {
	l.w = w
	close(l.ready)
}

// wait returns the wiring once there is one: the page may ask for it
// while the bot is starting.
func (l *liveBot) wait(ctx context.Context) (wiring, error) {
	select {
	case <-l.ready:
		return l.w, nil
	case <-ctx.Done():
		return wiring{}, ctx.Err()
	}
}

// mentorInviteDays is how long the page's mentor invites last, as the
// bot's /mentorinvite.
const mentorInviteDays = 7

// pageActions are the sandbox page's actions.
type pageActions struct {
	srv    *telegramtest.Server
	people *people
	live   *liveBot
	// configured are the coordinators of the configuration.
	configured []int64
}

func (a *pageActions) personActions() []sandboxweb.Action {
	return []sandboxweb.Action{
		{ID: "coordinator", Label: "Make coordinator", Do: a.makeCoordinator},
		{ID: "mentor-invite", Label: "Mentor invite", Do: a.mentorInvite},
	}
}

func (a *pageActions) pageActions() []sandboxweb.PageAction {
	return []sandboxweb.PageAction{{ID: "match", Label: "Form teams now", Do: a.formTeams}}
}

// makeCoordinator makes u a coordinator of the running bot, and of the
// sandbox's next runs.
func (a *pageActions) makeCoordinator(ctx context.Context, u *telegramtest.User) (string, error) {
	w, err := a.live.wait(ctx)
	if err != nil {
		return "", err
	}
	added := w.bot.AddCoordinator(u.ID)
	a.people.makeCoordinator(u.ID)
	if !added {
		return u.FirstName + " is a coordinator already.", nil
	}
	return u.FirstName + " is a coordinator now: /mentorinvite makes mentor invites, and a group they add the bot to as administrator joins the pool.", nil
}

// mentorInvite creates a one-time mentor code, as a coordinator's
// /mentorinvite does, and has u open its link, so that u goes through the
// real onboarding.
func (a *pageActions) mentorInvite(ctx context.Context, u *telegramtest.User) (string, error) {
	w, err := a.live.wait(ctx)
	if err != nil {
		return "", err
	}
	by := a.inviter()
	if by == a.srv.BotUser().ID {
		// An invite dies with its maker's role: one made by nobody who
		// coordinates would be void at once.
		return "There is no coordinator yet: make someone a coordinator first (Make coordinator), then give mentor invites.", nil
	}
	code, err := w.db.CreateMentorCode(ctx, by, time.Now().Add(mentorInviteDays*24*time.Hour))
	if err != nil {
		return "", fmt.Errorf("mentor invite: %w", err)
	}
	u.Send("/start m_" + code)
	return u.FirstName + " opened a one-time mentor invite link: answer the bot to become a mentor.", nil
}

// inviter is who the page's mentor invites are from: the first of the
// sandbox's coordinators, else of the configuration's, else the bot, which
// can make none (mentorInvite says so).
func (a *pageActions) inviter() int64 {
	if ids := a.people.withCoordinators(nil); len(ids) > 0 {
		return ids[0]
	}
	if len(a.configured) > 0 {
		return a.configured[0]
	}
	return a.srv.BotUser().ID
}

// formTeams runs the matcher that the cron runs, now, and says what it did.
func (a *pageActions) formTeams(ctx context.Context) (string, error) {
	w, err := a.live.wait(ctx)
	if err != nil {
		return "", err
	}
	rep, err := w.runner.Run(ctx)
	if err != nil {
		return "", fmt.Errorf("form teams: %w", err)
	}
	var parts []string
	if n := len(rep.Formed); n > 0 {
		var teams []string
		for _, id := range rep.Formed {
			t, err := w.db.Team(ctx, id)
			if err != nil {
				return "", fmt.Errorf("form teams: %w", err)
			}
			teams = append(teams, a.describe(w, t))
		}
		parts = append(parts, fmt.Sprintf("%s formed: %s. Its members get their invitations as soon as its group is ready.",
			plural(n, "team", "teams"), strings.Join(teams, "; ")))
	}
	if rep.Joined > 0 {
		parts = append(parts, fmt.Sprintf("%s joined teams that were open.", plural(rep.Joined, "person", "people")))
	}
	if rep.Assigned > 0 {
		parts = append(parts, fmt.Sprintf("%s got a mentor.", plural(rep.Assigned, "team", "teams")))
	}
	if len(parts) == 0 {
		return "No team formed: no community has enough people waiting for a project yet.", nil
	}
	return strings.Join(parts, " "), nil
}

// describe names a team as the page's English reader knows it.
func (a *pageActions) describe(w wiring, t *multaque.Team) string {
	project, community := t.Project, t.Community
	if p, ok := w.catalog.Project(t.Project); ok {
		project = p.Name.In(multaque.English)
	}
	if c, ok := w.catalog.Community(t.Community); ok {
		community = c.Name.In(multaque.English)
	}
	s := fmt.Sprintf("%s in %s, %s", project, community, plural(len(t.Members), "person", "people"))
	if t.Mentor == 0 {
		s += ", no mentor free yet"
	} else if u, ok := a.srv.User(t.Mentor); ok {
		s += ", mentor " + u.FirstName
	}
	return s
}

func plural(n int, one, other string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, other)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"sync"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
)

// This file is --demo: a coordinator with three groups in the pool, a mentor
// of consumer groups in Barcelona, and people who answered the survey,
// seven of them in Gràcia wanting the consumer group (critical mass 8), so
// that the visitor who joins them makes a team; and a team of Sants whose
// kickoff plan is under way (sandbox_demo_plan.go). Everything goes through
// the real bot over the fake Telegram, as people would do it; the database
// is never written directly.

// demoCoordinatorName is the coordinator --demo adds.
const demoCoordinatorName = "Coordinadora"

// demoPoolGroups are the titles of the groups the demo coordinator adds
// the bot to, for the pool: one for the team with a plan (and a goal),
// one for the deciding team, two left free.
var demoPoolGroups = []string{"Pool 1", "Pool 2", demoTeamGroup, "Pool 4"}

// demoMentor is the mentor --demo onboards: consumer groups and time banks
// in Barcelona, which covers Gràcia and Sants.
var demoMentor = struct {
	name, lang string
	projects   []string
	community  string
	capacity   string
}{"Marta", "es", []string{"consumer-group", "time-bank"}, "barcelona", "3"}

// demoPerson is someone --demo adds, with their survey answers.
type demoPerson struct {
	name, lang, community, project string
}

// demoPeople: seven neighbours of Gràcia want a consumer group, whose
// critical mass is eight, so the visitor who joins them completes a team;
// a few more wait elsewhere.
var demoPeople = []demoPerson{
	{"Núria", "ca", "gracia", "consumer-group"},
	{"Jordi", "ca", "gracia", "consumer-group"},
	{"Laia", "ca", "gracia", "consumer-group"},
	{"Marc", "ca", "gracia", "consumer-group"},
	{"Carmen", "es", "gracia", "consumer-group"},
	{"Javier", "es", "gracia", "consumer-group"},
	{"Emma", "en", "gracia", "consumer-group"},
	{"Montse", "ca", "girona", "energy-coop"},
	{"Xavier", "ca", "girona", "energy-coop"},
	{"Lucía", "es", "girona", "energy-coop"},
	{"Pere", "ca", "sants", "time-bank"},
	{"Aisha", "en", "sants", "time-bank"},
}

// languageLabels are the language buttons' texts.
var languageLabels = map[string]string{"ca": "Català", "es": "Español", "en": "English"}

var htmlTags = regexp.MustCompile(`<[^>]+>`)

// visible is an interface text as a person reads it.
func visible(texts *catalog.Messages, lang, id string) string {
	return visibleWith(texts, lang, id, nil)
}

// visibleWith is visible for a text with data, such as a count.
func visibleWith(texts *catalog.Messages, lang, id string, data map[string]any) string {
	return html.UnescapeString(htmlTags.ReplaceAllString(texts.Text(multaque.Lang(lang), id, data), ""))
}

// demoCoordinator returns the demo's coordinator, added and saved as a
// coordinator the first time, and has them create the demo's pool groups
// with the bot as administrator. It runs before the bot and the page: the
// bot takes the coordinator from Options.Coordinators, and the fake, which
// forgets groups when it stops, gives the groups the same ids as in the
// run before, which the database's pool knows.
func demoCoordinator(srv *telegramtest.Server, ps *people) *telegramtest.User {
	var coord *telegramtest.User
	if sp, ok := ps.demo(demoCoordinatorName); ok {
		coord, _ = srv.User(sp.ID)
	}
	if coord == nil {
		coord = srv.NewUser(demoCoordinatorName, "ca")
		ps.add(savedPerson{ID: coord.ID, Name: coord.FirstName, Lang: coord.LanguageCode, Demo: true, Coordinator: true})
		coord.Send("/help") // so that the bot may write to them
	}
	for _, title := range demoPoolGroups {
		srv.NewSupergroup(title, coord).AddBot(coord, telegramtest.BotAdminRights)
	}
	return coord
}

// demo seeds the sandbox through the bot once it runs.
type demo struct {
	srv    *telegramtest.Server
	people *people
	texts  *catalog.Messages
	live   *liveBot
	coord  *telegramtest.User
}

// seed waits until the pool holds the coordinator's groups, onboards the
// mentor and has the demo people answer the survey; those done in an
// earlier run are not done again.
func (d *demo) seed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w, err := d.live.wait(ctx)
	if err != nil {
		return err
	}
	if err := d.awaitPool(ctx, w); err != nil {
		return err
	}
	if !d.people.hasDemo(demoMentor.name) {
		u := d.srv.NewUser(demoMentor.name, demoMentor.lang)
		d.people.add(savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode, Demo: true})
		if err := d.onboardMentor(ctx, w.catalog, u); err != nil {
			return fmt.Errorf("mentor: %w", err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(demoPeople))
	for i, p := range demoPeople {
		if d.people.hasDemo(p.name) {
			continue
		}
		u := d.srv.NewUser(p.name, p.lang)
		d.people.add(savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode, Demo: true})
		wg.Go(func() { errs[i] = answerSurvey(ctx, u, p, d.texts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := d.seedTeam(ctx, w); err != nil { // sandbox_demo_plan.go: a team with its plan under way
		return err
	}
	return d.seedPledges(ctx, w) // the same team, halfway to its goal with a fund's match
}

// awaitPool waits until the pool holds a group for each of demoPoolGroups
// that the coordinator owns.
func (d *demo) awaitPool(ctx context.Context, w wiring) error {
	want := map[int64]bool{}
	for _, g := range d.srv.GroupsOf(d.coord.ID) {
		want[g.ID] = true
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		groups, err := w.db.PoolGroups(ctx)
		if err != nil {
			return err
		}
		n := 0
		for _, g := range groups {
			if want[g.Chat] && g.Status != multaque.PoolBroken {
				n++
			}
		}
		if n >= len(demoPoolGroups) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the pool holds %d of the demo's %d groups: %w", n, len(demoPoolGroups), ctx.Err())
		case <-tick.C:
		}
	}
}

var mentorInviteLink = regexp.MustCompile(`\?start=m_([a-z0-9]+)`)

// onboardMentor has the coordinator make a mentor invite (/mentorinvite)
// and u follow it and answer the onboarding, as a mentor would.
func (d *demo) onboardMentor(ctx context.Context, cat *catalog.Live, u *telegramtest.User) error {
	d.coord.Send("/mentorinvite")
	msg, err := d.coord.Await(ctx, "?start=m_")
	if err != nil {
		return err
	}
	m := mentorInviteLink.FindStringSubmatch(msg.Text)
	if m == nil {
		return fmt.Errorf("no mentor invite link in the answer to /mentorinvite")
	}
	u.Send("/start m_" + m[1])
	lang, l := demoMentor.lang, multaque.Lang(demoMentor.lang)
	press := func(text string) func() error {
		return func() error { _, err := u.PressButton(ctx, text); return err }
	}
	await := func(text string) func() error {
		return func() error { _, err := u.Await(ctx, text); return err }
	}
	steps := []func() error{press(visible(d.texts, lang, "mentor_btn_agree"))}
	for i, id := range demoMentor.projects {
		p, _ := cat.Project(id)
		steps = append(steps, press("▫️ "+p.Name.In(l)),
			await(visibleWith(d.texts, lang, "mentor_ask_projects", map[string]any{"Count": i + 1})))
	}
	c, _ := cat.Community(demoMentor.community)
	steps = append(steps,
		press(visible(d.texts, lang, "btn_done")), await(visible(d.texts, lang, "mentor_ask_communities")),
		press("▫️ "+c.Name.In(l)), await(visibleWith(d.texts, lang, "mentor_chosen", map[string]any{"Communities": c.Name.In(l)})),
		press(visible(d.texts, lang, "btn_done")), await(visible(d.texts, lang, "mentor_ask_capacity")),
		press(demoMentor.capacity), await(visible(d.texts, lang, "mentor_welcome")))
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// answerSurvey takes u through the survey with the real bot, as a person
// would: a deep link that pre-fills community and project, language,
// consent, name, done.
func answerSurvey(ctx context.Context, u *telegramtest.User, d demoPerson, texts *catalog.Messages) error {
	u.Send("/start c_" + d.community + "_p_" + d.project)
	for _, step := range []func() error{
		func() error { _, err := u.PressButton(ctx, "✓ "+languageLabels[d.lang]); return err },
		func() error { _, err := u.PressButton(ctx, visible(texts, d.lang, "btn_consent")); return err },
		func() error { _, err := u.Await(ctx, visible(texts, d.lang, "ask_name")); return err },
		func() error { u.Send(d.name); return nil },
		func() error { _, err := u.PressButton(ctx, visible(texts, d.lang, "btn_done")); return err },
		func() error { _, err := u.Await(ctx, visible(texts, d.lang, "summary_share")); return err },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// seedPledges has the coordinator create a match fund (/fund) and the
// team with a plan (seedTeam, sandbox_demo_plan.go) set a goal: Rosa sets
// it, and she and Tomàs pledge 50 € each, matched by the fund, so the team
// is halfway to its 400 €.
func (d *demo) seedPledges(ctx context.Context, w wiring) error {
	funds, err := w.db.Funds(ctx)
	if err != nil || len(funds) > 0 {
		return err // seeded before
	}
	var users []*telegramtest.User
	for _, p := range demoTeamPeople[:2] {
		sp, ok := d.people.demo(p.name)
		if !ok {
			return fmt.Errorf("pledger %s is not in the demo", p.name)
		}
		u, ok := d.srv.User(sp.ID)
		if !ok {
			return fmt.Errorf("pledger %s is not in the fake", p.name)
		}
		users = append(users, u)
	}
	year := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	d.coord.Send("/fund barri 2000 1 " + year + " team=300 Fons de barri / Ajuntament")
	if _, err := d.coord.Await(ctx, "Fons de barri"); err != nil {
		return fmt.Errorf("fund: %w", err)
	}
	rosa := users[0]
	rosa.Send("/goal 400 " + time.Now().AddDate(0, 0, 30).Format("2006-01-02") + " un cotxe elèctric compartit")
	if _, err := rosa.Await(ctx, visible(d.texts, "ca", "goal_saved")); err != nil {
		return fmt.Errorf("goal: %w", err)
	}
	rosa.Send("/payinfo IBAN ES00 0000 0000 0000 0000 0000")
	for _, u := range users {
		u.Send("/pledge")
		if _, err := u.PressButton(ctx, "50.00 €"); err != nil {
			return fmt.Errorf("pledge: %w", err)
		}
		if _, err := u.Await(ctx, "50.00 €"); err != nil {
			return fmt.Errorf("pledge: %w", err)
		}
	}
	return nil
}

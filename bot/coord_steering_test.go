package bot_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/matching"
)

// scopedCoordinator stores a coordinator of communities who speaks
// Spanish, and returns them as a user of the fake Telegram.
func (h *harness) scopedCoordinator(t *testing.T, name string, communities ...string) *telegramtest.User {
	t.Helper()
	u := h.srv.NewUser(name, "es")
	err := h.db.SaveCoordinator(context.Background(), &multaque.Coordinator{ID: u.ID, Communities: communities, Lang: multaque.Spanish, AddedAt: time.Now()})
	if err != nil {
		t.Fatalf("SaveCoordinator: %v", err)
	}
	return u
}

// audited reports whether the audit log has an entry by actor for command,
// refused or not, whose detail contains detail.
func (h *harness) audited(t *testing.T, actor int64, command string, refused bool, detail string) bool {
	t.Helper()
	log, err := h.db.AuditLog(context.Background(), 1000)
	if err != nil {
		t.Fatalf("AuditLog: %v", err)
	}
	for _, e := range log {
		if e.Actor == actor && e.Command == command && e.Refused == refused && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// waitingCitizen stores citizen id of community wanting the consumer group,
// without a Telegram user: the matcher only needs them waiting.
func (h *harness) waitingCitizen(t *testing.T, id int64, community string) {
	t.Helper()
	now := time.Now()
	err := h.db.SaveCitizen(context.Background(), &multaque.Citizen{
		ID: id, Lang: multaque.Catalan, Name: fmt.Sprintf("Veí %d", id), Community: community, ConsentAt: now, UpdatedAt: now,
		Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
		Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
	})
	if err != nil {
		t.Fatalf("SaveCitizen: %v", err)
	}
}

// TestSteeringRefusesCitizens: every steering and broadcast command from
// someone who is not a coordinator gets one neutral sentence, does nothing
// and is audited.
func TestSteeringRefusesCitizens(t *testing.T) {
	h, _ := newMentorHarness(t)
	for _, lang := range multaque.Languages {
		u := h.srv.NewUser("Nobody", string(lang))
		for _, cmd := range []string{"pool", "match", "mentors", "mentorinvite", "broadcast", "broadcast all"} {
			u.Send("/" + cmd)
			got := u.Expect(t, h.text(lang, "admin_refused"))
			if strings.Contains(got.Text, "t.me") || len(got.Keyboard) > 0 {
				t.Errorf("/%s by a citizen answered %+v, want only the refusal", cmd, got)
			}
			name, _, _ := strings.Cut(cmd, " ")
			if !h.audited(t, u.ID, name, true, "") {
				t.Errorf("/%s by a citizen is not in the audit log as refused", cmd)
			}
		}
		// The refused /broadcast opened nothing: a text goes to the survey.
		u.Send("Hola a tothom")
		u.Expect(t, h.text(lang, "choose_language"))
	}
	if n := h.codes(t); n != 0 {
		t.Errorf("codes bucket holds %d codes after refusals, want 0", n)
	}
}

// TestPool shows the pool to a coordinator: counts, the free groups by
// title (escaped), and the one-tap link. A scoped coordinator sees it too:
// the pool belongs to no community.
func TestPool(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	now := time.Now()
	for i, title := range []string{"Reserva 1", "Reserva <2> & co", "Reserva 3", "Reserva 4"} {
		if _, err := h.db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: int64(-1001 - i), Title: title, AddedBy: coord.ID}, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.db.BreakPoolGroup(ctx, -1004, "deleted", now, nil); err != nil {
		t.Fatal(err)
	}

	coord.Send("/pool")
	got := coord.Expect(t, h.textWith(ca, "steering_pool", map[string]any{"Free": 3, "Used": 0, "Broken": 1}))
	for _, want := range []string{"Reserva 1", "Reserva <2> & co", "Reserva 3",
		"https://t.me/" + h.bot.Username() + "?startgroup=pool&admin=invite_users+restrict_members+pin_messages+change_info"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("/pool answered %q, want it to contain %q", got.Text, want)
		}
	}
	if strings.Contains(got.Text, "Reserva 4") {
		t.Errorf("/pool lists the broken group as free: %q", got.Text)
	}

	scoped := h.scopedCoordinator(t, "Sara", "sants")
	scoped.Send("/pool")
	scoped.Expect(t, h.textWith(es, "steering_pool", map[string]any{"Free": 3, "Used": 0, "Broken": 1}))

	coord.Send("/pool now")
	coord.Expect(t, h.textWith(ca, "steering_usage", map[string]any{"Usage": "/pool"}))
}

// newMatchHarness is newMentorHarness whose bot runs /match with a real
// matching.Runner on its store.
func newMatchHarness(t *testing.T) (*harness, *telegramtest.User) {
	t.Helper()
	h := newHarness(t)
	coord := h.srv.NewUser("Carme", "ca")
	h.shutdown()
	h.coordinators = []int64{coord.ID}
	var runner atomic.Pointer[matching.Runner]
	h.match = func(ctx context.Context) (bot.MatchReport, error) {
		rep, err := runner.Load().Run(ctx)
		if err != nil {
			return bot.MatchReport{}, err
		}
		teams, err := h.db.Teams(ctx)
		pass := bot.MatchPass{Formed: rep.Formed, Assigned: rep.AssignedTeams}
		for _, j := range rep.JoinedTeams {
			pass.Joined = append(pass.Joined, bot.MatchJoined{Team: j.Team, Added: j.Added})
		}
		return bot.NewMatchReport(pass, teams), err
	}
	h.start()
	runner.Store(&matching.Runner{Store: h.db, Catalog: h.cat, Notifier: h.bot})
	return h, coord
}

// TestMatch has coordinators run the matcher: the teams that were ready
// form, and each coordinator reads what formed in their scope.
func TestMatch(t *testing.T) {
	h, coord := newMatchHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	for i := range int64(8) {
		h.waitingCitizen(t, 5000+i, "gracia")
		h.waitingCitizen(t, 6000+i, "sants")
	}
	h.waitingCitizen(t, 7000, "eixample") // alone: nothing forms there

	scoped := h.scopedCoordinator(t, "Sara", "sants-montjuic")
	scoped.Send("/match")
	got := scoped.Expect(t, h.text(es, "steering_match_done"))
	team := h.textWith(es, "steering_match_team", map[string]any{"Project": h.project(es, "consumer-group"),
		"Community": h.community(es, "sants"), "Members": "8", "Mentor": h.text(es, "steering_match_no_mentor")})
	if !strings.Contains(got.Text, h.textWith(es, "steering_match_formed", map[string]any{"Teams": 1})) || !strings.Contains(got.Text, team) {
		t.Errorf("the coordinator of Sants-Montjuïc read %q, want one team formed: %q", got.Text, team)
	}
	if strings.Contains(got.Text, h.community(es, "gracia")) {
		t.Errorf("the coordinator of Sants-Montjuïc reads about Gràcia: %q", got.Text)
	}
	teams, err := h.db.Teams(ctx)
	if err != nil || len(teams) != 2 {
		t.Fatalf("Teams=%d, %v after /match; want the two that were ready", len(teams), err)
	}
	if !h.audited(t, scoped.ID, "match", false, "formed 1") {
		t.Errorf("the scoped coordinator's /match is not in the audit log")
	}

	// Nothing is ready any more.
	coord.Send("/match")
	coord.Expect(t, h.text(ca, "steering_match_nothing"))
	if teams, _ := h.db.Teams(ctx); len(teams) != 2 {
		t.Errorf("a second /match made %d teams, want still 2", len(teams))
	}

	// More people in Gràcia: an unscoped coordinator sees that team.
	for i := range int64(8) {
		h.waitingCitizen(t, 8000+i, "gracia")
	}
	coord.Send("/match")
	got = coord.Expect(t, h.text(ca, "steering_match_done"))
	grew := h.textWith(ca, "steering_match_grew", map[string]any{"Project": h.project(ca, "consumer-group"),
		"Community": h.community(ca, "gracia"), "Added": "7", "Members": "15"}) // max_team 15
	if !strings.Contains(got.Text, grew) {
		t.Errorf("/match answered %q, want the team of Gràcia grown: %q", got.Text, grew)
	}
	coord.Send("/match please")
	coord.Expect(t, h.textWith(ca, "steering_usage", map[string]any{"Usage": "/match"}))
}

func TestMatchUnavailable(t *testing.T) {
	h, coord := newMentorHarness(t)
	coord.Send("/match")
	coord.Expect(t, h.text(multaque.Catalan, "steering_match_unavailable"))
}

// TestMentors lists the mentors with their load; a scoped coordinator sees
// those who cover part of their scope (mentors of everywhere included).
func TestMentors(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	coord.Send("/mentors")
	coord.Expect(t, h.text(ca, "steering_mentors_none"))

	now := time.Now()
	mentors := []multaque.Mentor{
		{ID: 901, Name: "Anna Arbós", Projects: []string{"consumer-group"}, Capacity: 3},
		{ID: 902, Name: "Berta <Barcelona>", Projects: []string{"time-bank"}, Communities: []string{"barcelona"}, Capacity: 2},
		{ID: 903, Name: "Carles Sants", Projects: []string{"consumer-group"}, Communities: []string{"sants"}, Capacity: 1, Paused: true},
		{ID: 904, Name: "Dolors Gràcia", Projects: []string{"consumer-group", "time-bank"}, Communities: []string{"gracia"}, Capacity: 5},
	}
	for _, m := range mentors {
		m.Lang, m.JoinedAt = ca, now
		if err := h.db.SaveMentor(ctx, m); err != nil {
			t.Fatalf("SaveMentor: %v", err)
		}
	}
	team := multaque.Team{Community: "gracia", Project: "consumer-group", Mentor: 901}
	for i := range int64(8) {
		h.waitingCitizen(t, 5000+i, "gracia")
		team.Members = append(team.Members, multaque.TeamMember{Citizen: 5000 + i})
	}
	if _, err := h.db.FormTeam(ctx, team, now, nil); err != nil {
		t.Fatalf("FormTeam: %v", err)
	}

	coord.Send("/mentors")
	got := coord.Expect(t, h.textWith(ca, "steering_mentors", map[string]any{"Mentors": 4}))
	line := func(lang multaque.Lang, name, projects, communities string, load, capacity int) string {
		return html.UnescapeString(h.textWith(lang, "steering_mentors_line", map[string]any{"Name": html.EscapeString(name), "Projects": projects,
			"Communities": communities, "Load": load, "Capacity": capacity}))
	}
	for _, want := range []string{
		line(ca, "Anna Arbós", h.project(ca, "consumer-group"), h.text(ca, "steering_mentors_everywhere"), 1, 3),
		line(ca, "Berta <Barcelona>", h.project(ca, "time-bank"), h.community(ca, "barcelona"), 0, 2),
		line(ca, "Carles Sants", h.project(ca, "consumer-group"), h.community(ca, "sants"), 0, 1) + " · " + h.text(ca, "steering_mentors_paused"),
		line(ca, "Dolors Gràcia", h.project(ca, "consumer-group")+", "+h.project(ca, "time-bank"), h.community(ca, "gracia"), 0, 5),
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("/mentors answered %q, want a line %q", got.Text, want)
		}
	}

	scoped := h.scopedCoordinator(t, "Sara", "gracia")
	scoped.Send("/mentors")
	got = scoped.Expect(t, h.textWith(es, "steering_mentors", map[string]any{"Mentors": 3}))
	for _, name := range []string{"Anna Arbós", "Berta <Barcelona>", "Dolors Gràcia"} {
		if !strings.Contains(got.Text, name) {
			t.Errorf("the coordinator of Gràcia does not see %s: %q", name, got.Text)
		}
	}
	if strings.Contains(got.Text, "Carles") {
		t.Errorf("the coordinator of Gràcia sees the mentor of Sants: %q", got.Text)
	}
	other := h.scopedCoordinator(t, "Olga", "girona")
	other.Send("/mentors")
	got = other.Expect(t, h.textWith(es, "steering_mentors", map[string]any{"Mentors": 1}))
	if !strings.Contains(got.Text, "Anna Arbós") || strings.Contains(got.Text, "Dolors") {
		t.Errorf("the coordinator of Girona read %q, want only the mentor of everywhere", got.Text)
	}
}

// TestMentorInviteIsAudited: /mentorinvite is a coordinators' command like
// the others now: audited when run, refused and audited for anyone else.
func TestMentorInviteIsAudited(t *testing.T) {
	h, coord := newMentorHarness(t)
	h.invite(t, coord)
	if !h.audited(t, coord.ID, "mentorinvite", false, "mentor invite") {
		t.Errorf("the coordinator's /mentorinvite is not in the audit log")
	}
	scoped := h.scopedCoordinator(t, "Sara", "gracia")
	scoped.Send("/mentorinvite")
	scoped.Expect(t, "?start=m_")
	coord.Send("/mentorinvite now")
	coord.Expect(t, h.textWith(multaque.Catalan, "steering_usage", map[string]any{"Usage": "/mentorinvite"}))
	if n := h.codes(t); n != 2 {
		t.Errorf("codes bucket holds %d codes, want 2", n)
	}
}

package bot_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
)

// scopeAttempt is a coordinators' command a coordinator of Gràcia sends
// about something outside Gràcia, and the one sentence that refuses it.
type scopeAttempt struct {
	text, want string // want: a message id of the locales
}

// scopeView is a coordinators' command whose answer a coordinator of
// Gràcia gets, filtered by their scope (or what she types next, which the
// command waits for).
type scopeView struct {
	text string
	msgs int      // how many messages the answer is
	want []string // each shows: the view is not empty
	not  []string // none shows, as a whole word, in any case
	// control: a coordinator of every community does see one of not, so
	// that not names what is there to hide.
	control bool
	// check, if set, looks further at the answer, as read.
	check func(t *testing.T, answer string)
}

// scopeRow is what the walk tries with one command of the registry: the
// attempts, then (after checking they changed nothing) the views, in order.
type scopeRow struct {
	name     string
	attempts []scopeAttempt
	views    []scopeView
}

// scopeWorld is what seedScopeWorld stored, for the rows to name.
type scopeWorld struct {
	graciaTeam, santsTeam *multaque.Team
}

// seedScopeWorld stores people, teams, mentors, pool groups and a proposal
// in Gràcia and in Sants:
//
//	gracia  time-bank       team of 3, mentor Gina Verdi (of gracia)
//	gracia  consumer-group  8 waiting: /match forms their team
//	sants   energy-coop     team of 3, mentor Oriol Badal (of sants only), in
//	                        the pool group "Grup de Badal"; 2 waiting
//	sants   consumer-group  8 waiting: /match forms their team
//
// plus a free pool group "Reserva comuna" and a proposal, "Hort de Badal",
// pending, by someone of Sants.
func seedScopeWorld(t *testing.T, h *harness, by int64) scopeWorld {
	t.Helper()
	ctx, ca := context.Background(), multaque.Catalan
	now := time.Now()
	id := int64(3000)
	var cs []*multaque.Citizen
	add := func(n int, community, project string) []multaque.TeamMember {
		var ms []multaque.TeamMember
		for range n {
			id++
			cs = append(cs, &multaque.Citizen{ID: id, Lang: ca, Name: fmt.Sprintf("Veí %d", id), Community: community,
				ConsentAt: now, UpdatedAt: now, Survey: multaque.Survey{Step: multaque.StepDone, Version: 5},
				Interests: []multaque.Interest{{Project: project, Since: now.Add(time.Duration(id) * time.Millisecond)}}})
			ms = append(ms, multaque.TeamMember{Citizen: id})
		}
		return ms
	}
	graciaMembers := add(3, "gracia", "time-bank")
	add(8, "gracia", "consumer-group")
	santsMembers := add(3, "sants", "energy-coop")
	add(2, "sants", "energy-coop")
	add(8, "sants", "consumer-group")
	if err := h.db.ImportCitizens(ctx, cs); err != nil {
		t.Fatalf("ImportCitizens: %v", err)
	}
	for _, m := range []multaque.Mentor{
		{ID: 951, Name: "Gina Verdi", Projects: []string{"time-bank", "consumer-group"}, Communities: []string{"gracia"}, Capacity: 3},
		{ID: 952, Name: "Oriol Badal", Projects: []string{"energy-coop", "consumer-group"}, Communities: []string{"sants"}, Capacity: 3},
	} {
		m.Lang, m.JoinedAt = ca, now
		if err := h.db.SaveMentor(ctx, m); err != nil {
			t.Fatalf("SaveMentor: %v", err)
		}
	}
	var w scopeWorld
	for _, tm := range []struct {
		into    **multaque.Team
		team    multaque.Team
		mentor  int64
		members []multaque.TeamMember
	}{
		{&w.graciaTeam, multaque.Team{Community: "gracia", Project: "time-bank"}, 951, graciaMembers},
		{&w.santsTeam, multaque.Team{Community: "sants", Project: "energy-coop"}, 952, santsMembers},
	} {
		tm.team.Members = tm.members
		formed, err := h.db.FormTeam(ctx, tm.team, now, nil)
		if err != nil {
			t.Fatalf("FormTeam: %v", err)
		}
		if *tm.into, err = h.db.AssignMentor(ctx, formed.ID, tm.mentor, now, nil); err != nil {
			t.Fatalf("AssignMentor: %v", err)
		}
	}
	if _, err := h.db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: -1009001, Title: "Grup de Badal", AddedBy: by}, now); err != nil {
		t.Fatal(err)
	}
	if team, err := h.db.ClaimPoolGroup(ctx, w.santsTeam.ID, now, nil, nil); err != nil || team.Chat != -1009001 {
		t.Fatalf("ClaimPoolGroup=%+v, %v; want the team of Sants in Grup de Badal", team, err)
	}
	if _, err := h.db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: -1009002, Title: "Reserva comuna", AddedBy: by}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	p, err := h.db.StartProposal(ctx, multaque.Proposal{Proposer: santsMembers[0].Citizen, Lang: ca, Status: multaque.ProposalDraft,
		Step: multaque.ProposalStepName, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatalf("StartProposal: %v", err)
	}
	_, err = h.db.UpdateProposal(ctx, p.ID, func(p *multaque.Proposal) error {
		p.Name, p.Pitch = multaque.Text{ca: "Hort de Badal"}, multaque.Text{ca: "Un hort al carrer de Badal."}
		p.Explanation, p.MinTeam = multaque.Text{ca: "El cultivem entre tots."}, 5
		p.Status, p.Step = multaque.ProposalPending, ""
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("UpdateProposal: %v", err)
	}
	return w
}

// shows reports whether answer shows s as a whole word (an id not as part
// of a longer number, a team "t2" not inside "t21"), in any case.
func shows(answer, s string) bool {
	return regexp.MustCompile(`(?i)(^|[^\pL\pN])` + regexp.QuoteMeta(s) + `($|[^\pL\pN])`).MatchString(answer)
}

// answerText is all a person reads of msgs: texts, captions, documents.
func answerText(msgs []telegramtest.Message) string {
	var s strings.Builder
	for _, m := range msgs {
		s.WriteString(m.Text + "\n" + m.Caption + "\n")
		if m.Document != nil {
			s.WriteString(m.Document.Name + "\n" + string(m.Document.Data) + "\n")
		}
	}
	return s.String()
}

var auditLine = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · (\d+) · /`)

// TestEveryAdminCommandKeepsScope walks every coordinators' command of the
// registry as a coordinator of Gràcia, in a world with people, teams,
// mentors, a coordinator, a broadcast, pool groups and a proposal in Gràcia
// and in Sants. What she tries outside Gràcia is refused in one sentence,
// audited, and changes nothing; what she reads shows nothing of Sants. A
// command added to the registry without a row here fails the test.
func TestEveryAdminCommandKeepsScope(t *testing.T) {
	h, carme := newMatchHarness(t)
	ctx, ca := context.Background(), multaque.Catalan
	anna := h.roleMake(t, carme, "Anna", "gracia")
	dani := h.roleMake(t, carme, "Dani", "sants-montjuic")
	w := seedScopeWorld(t, h, carme.ID)
	idOf := func(u *telegramtest.User) string { return strconv.FormatInt(u.ID, 10) }
	seen := func(id string, kv ...any) string { return h.visible(ca, id, kv...) }

	// Broadcasts by Carme: one to Sants (cancelled by the next), one to
	// Gràcia waiting for her confirmation.
	carme.Send("/broadcast community sants")
	carme.Expect(t, seen("broadcast_target_community", "Community", h.community(ca, "sants")))
	h.previewOf(t, carme, ca, "Festa major de Sants", "")
	carme.Send("/broadcast community gracia")
	carme.Expect(t, seen("broadcast_target_community", "Community", h.community(ca, "gracia")))
	h.previewOf(t, carme, ca, "Festa major de Gràcia", "")

	sants, santsMontjuic := h.community(ca, "sants"), h.community(ca, "sants-montjuic")
	energy := h.project(ca, "energy-coop")
	outside := []string{sants, santsMontjuic, energy, "Badal"}
	toGraciaEnergy := seen("broadcast_target_both", "Project", energy, "Community", h.community(ca, "gracia"))
	rows := []scopeRow{
		{name: "coordinatorinvite", attempts: []scopeAttempt{
			{"/coordinatorinvite sants", "admin_out_of_scope"},
			{"/coordinatorinvite gracia sants-montjuic", "admin_out_of_scope"},
			{"/coordinatorinvite barcelona", "admin_out_of_scope"},
			{"/coordinatorinvite all", "admin_out_of_scope"},
		}},
		{name: "coordinators", views: []scopeView{{
			text: "/coordinators", msgs: 1, control: true,
			want: []string{seen("role_coordinators_header"), idOf(anna)},
			not:  []string{idOf(dani), idOf(carme), "Dani", santsMontjuic},
		}}},
		{name: "removecoordinator", attempts: []scopeAttempt{
			{"/removecoordinator " + idOf(dani), "role_not_within"},
			{"/removecoordinator " + idOf(carme), "role_not_within"},
		}},
		{name: "scope", attempts: []scopeAttempt{
			{"/scope " + idOf(dani) + " gracia", "role_scope_only_unscoped"},
			{"/scope " + idOf(anna) + " all", "role_scope_only_unscoped"},
			{"/scope " + idOf(anna) + " gracia sants", "role_scope_only_unscoped"},
		}},
		{name: "audit", views: []scopeView{{
			// Her own refused attempts name Sants and Dani: what she must
			// not see are the entries of others.
			text: "/audit 100", msgs: 1,
			want: []string{seen("role_audit_header_own")},
			check: func(t *testing.T, answer string) {
				lines := auditLine.FindAllStringSubmatch(answer, -1)
				if len(lines) < 10 {
					t.Errorf("/audit 100 shows %d entries, want her own refused attempts:\n%s", len(lines), answer)
				}
				for _, l := range lines {
					if l[1] != idOf(anna) {
						t.Errorf("a coordinator of Gràcia reads an entry by %s in /audit: %q", l[1], l[0])
					}
				}
			},
		}}},
		{name: "stats",
			attempts: []scopeAttempt{
				{"/stats sants", "admin_out_of_scope"},
				{"/stats Sants-Montjuïc", "admin_out_of_scope"},
				{"/stats barcelona", "admin_out_of_scope"},
			},
			views: []scopeView{{
				text: "/stats", msgs: 1, control: true,
				want: []string{seen("report_stats_title", "Area", h.community(ca, "gracia")), h.project(ca, "time-bank")},
				not:  outside,
			}}},
		{name: "chart",
			attempts: []scopeAttempt{{"/chart sants", "admin_out_of_scope"}, {"/chart catalunya", "admin_out_of_scope"}},
			views: []scopeView{{
				text: "/chart", msgs: 1,
				want: []string{seen("report_chart_caption", "Area", h.community(ca, "gracia"))},
				not:  outside,
			}}},
		{name: "export",
			attempts: []scopeAttempt{{"/export sants-montjuic", "admin_out_of_scope"}, {"/export Sants", "admin_out_of_scope"}},
			views: []scopeView{{
				text: "/export", msgs: 2, control: true,
				want: []string{w.graciaTeam.ID, "Gina Verdi"},
				not:  append([]string{"sants", w.santsTeam.ID, "energy-coop"}, outside...),
			}}},
		// The teams' start (plan_coord.go).
		{name: "teams",
			attempts: []scopeAttempt{{"/teams sants", "admin_out_of_scope"}, {"/teams barcelona", "admin_out_of_scope"}},
			views: []scopeView{{
				text: "/teams", msgs: 1, control: true,
				want: []string{w.graciaTeam.ID, h.project(ca, "time-bank"), "Gina Verdi"},
				not:  append([]string{w.santsTeam.ID, "Oriol Badal"}, outside...),
			}}},
		{name: "team",
			attempts: []scopeAttempt{{"/team " + w.santsTeam.ID, "admin_out_of_scope"}},
			views: []scopeView{{
				text: "/team " + w.graciaTeam.ID, msgs: 1,
				want: []string{w.graciaTeam.ID, h.project(ca, "time-bank")},
				not:  outside,
			}}},
		{name: "mentorinvite", views: []scopeView{{
			// Whoever opens her invite chooses where they mentor, within
			// Gràcia, as the invite says.
			text: "/mentorinvite", msgs: 1,
			want: []string{"?start=m_"},
			not:  outside,
			check: func(t *testing.T, answer string) {
				link := inviteLink.FindString(answer)
				want := seen("mentor_invite_link", "Link", link, "Days", 7, "Scope", h.community(ca, "gracia"))
				if link == "" || !strings.Contains(answer, want) {
					t.Errorf("/mentorinvite by a coordinator of Gràcia answered %q, want %q", answer, want)
				}
			},
		}}},
		{name: "pool", views: []scopeView{{
			// The pool belongs to no community: its counts are everyone's,
			// but the title of a group a team of Sants uses is not shown.
			text: "/pool", msgs: 1,
			want: []string{seen("steering_pool", "Free", 1, "Used", 1, "Broken", 0), "Reserva comuna"},
			not:  outside,
		}}},
		{name: "mentors", views: []scopeView{{
			text: "/mentors", msgs: 1, control: true,
			want: []string{seen("steering_mentors", "Mentors", 1), "Gina Verdi"},
			not:  outside,
		}}},
		{name: "threshold", attempts: []scopeAttempt{
			{"/threshold", "admin_whole_catalogue"},
			{"/threshold energy-coop 2 4", "admin_whole_catalogue"},
			{"/threshold energy-coop reset", "admin_whole_catalogue"},
		}},
		{name: "proposals", attempts: []scopeAttempt{{"/proposals", "admin_whole_catalogue"}}},
		{name: "translate", attempts: []scopeAttempt{{"/translate energy-coop ca name Energia", "admin_whole_catalogue"}}},
		{name: "broadcast",
			attempts: []scopeAttempt{
				{"/broadcast all", "broadcast_all_refused"},
				{"/broadcast community sants", "admin_out_of_scope"},
				{"/broadcast community barcelona", "admin_out_of_scope"},
				{"/broadcast project energy-coop community sants", "admin_out_of_scope"},
			},
			views: []scopeView{{
				text: "/broadcast status", msgs: 1, control: true,
				want: []string{seen("broadcast_status_head"), "#2 ", h.community(ca, "gracia")},
				not:  append([]string{"#1"}, outside...),
			}, {
				// To those of her communities interested in a project only
				// Sants wants: nobody.
				text: "/broadcast project energy-coop", msgs: 1,
				want: []string{seen("broadcast_write", "Target", toGraciaEnergy)},
				not:  []string{sants, santsMontjuic, "Badal"},
			}, {
				text: "Hola, veïns de Gràcia", msgs: 1,
				want: []string{seen("broadcast_nobody", "Target", toGraciaEnergy)},
				not:  []string{sants, santsMontjuic, "Badal"},
			}}},
		{name: "match", views: []scopeView{{
			// Last: the pass forms teams in Gràcia and in Sants.
			text: "/match", msgs: 1,
			want: []string{seen("steering_match_formed", "Teams", 1), seen("steering_match_team", "Project", h.project(ca, "consumer-group"),
				"Community", h.community(ca, "gracia"), "Members", "8", "Mentor", seen("steering_match_mentor"))},
			not: outside,
		}}},
	}

	// Every command of the registry has its row, and every row a command.
	rows = append(rows, pledgeScopeRows(t, h, seen)...) // pledge_scope_test.go
	registry := bot.AdminCommandNames(h.bot)
	named := map[string]bool{}
	for _, r := range rows {
		named[r.name] = true
		if !slices.Contains(registry, r.name) {
			t.Errorf("row /%s names no command of the registry: remove it, or rename it", r.name)
		}
		if len(r.attempts) == 0 && len(r.views) == 0 {
			t.Errorf("row /%s tries nothing", r.name)
		}
	}
	for _, name := range registry {
		if !named[name] {
			t.Errorf("/%s is a coordinators' command of the registry with no row in TestEveryAdminCommandKeepsScope: "+
				"add one with what a coordinator of Gràcia tries outside Gràcia and the refusal she gets, "+
				"or, if its answer is a view filtered by scope, what she must not see in it", name)
		}
	}

	// The world has entries by others for /audit to leave out.
	by := map[int64]bool{}
	for _, e := range h.roleAudit(t) {
		by[e.Actor] = true
	}
	if !by[carme.ID] || !by[dani.ID] {
		t.Fatalf("the audit log has entries by %v, want some by Carme and by Dani", by)
	}

	// Outside her scope: one sentence each, audited, nothing changed.
	before := h.roleSnapshot(t)
	start := len(anna.Messages())
	sent := 0
	for _, r := range rows {
		for _, a := range r.attempts {
			anna.Send(a.text)
			got := anna.WaitBotMessages(t, 1)[0]
			if want := seen(a.want); got.Text != want || got.Document != nil || got.Photo != nil || len(got.Keyboard) > 0 {
				t.Errorf("%s by a coordinator of Gràcia answered %+v, want only %q (%s)", a.text, got, want, a.want)
			}
			if log := h.roleAudit(t); len(log) == 0 || log[0].Actor != anna.ID || log[0].Command != r.name || !log[0].Refused {
				t.Errorf("%s by a coordinator of Gràcia is not the newest audit entry, as refused (newest: %+v)", a.text, log[:min(len(log), 1)])
			}
			sent++
		}
	}
	anna.Send("/audit 1")
	anna.Expect(t, seen("role_audit_header_own"))
	if n := len(fromBotSince(anna, start)); n != sent+1 {
		t.Errorf("the bot sent %d messages for %d refused commands and /audit 1, want one each", n, sent)
	}
	if after := h.roleSnapshot(t); !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Errorf("refused commands of a coordinator of Gràcia changed %q", k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("refused commands of a coordinator of Gràcia deleted %q", k)
			}
		}
	}

	// What she reads within it shows nothing of Sants.
	for _, r := range rows {
		for _, v := range r.views {
			anna.Send(v.text)
			answer := answerText(anna.WaitBotMessages(t, v.msgs))
			for _, s := range v.want {
				if !strings.Contains(answer, s) {
					t.Errorf("%s by a coordinator of Gràcia lacks %q; it reads:\n%s", v.text, s, answer)
				}
			}
			for _, s := range v.not {
				if shows(answer, s) {
					t.Errorf("%s shows a coordinator of Gràcia %q, from outside her scope; it reads:\n%s", v.text, s, answer)
				}
			}
			if v.check != nil {
				v.check(t, answer)
			}
			if v.control {
				carme.Send(v.text)
				all := answerText(carme.WaitBotMessages(t, v.msgs))
				if !slices.ContainsFunc(v.not, func(s string) bool { return shows(all, s) }) {
					t.Errorf("%s by a coordinator of every community shows none of %q: the row hides nothing; it reads:\n%s", v.text, v.not, all)
				}
			}
		}
	}

	// Her /match ran the pass for everyone: Sants got its team, she was
	// not told.
	teams, err := h.db.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(teams, func(tm *multaque.Team) bool { return tm.Community == "sants" && tm.Project == "consumer-group" }) {
		t.Errorf("after /match no team of the consumer group in Sants: the row of /match hides nothing")
	}
}

// fromBotSince is the bot's messages in u's chat after the first n
// messages of it.
func fromBotSince(u *telegramtest.User, n int) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range u.Messages()[n:] {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

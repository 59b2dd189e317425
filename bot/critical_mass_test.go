package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/matching"
)

// TestCriticalMassBecomesATeam is the whole path of issue 4, every part real:
// citizens answer the survey through the fake Telegram, a mentor onboards
// with a coordinator's invite, the coordinator adds a group to the pool,
// the matcher's next run forms the team, the provisioner prepares the group,
// the Sender delivers the invitations, and the join requests are judged.
func TestCriticalMassBecomesATeam(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.poolGroup("Spare 1")
	r.poolGroup("Spare 2")
	runner := &matching.Runner{Store: r.db, Catalog: r.cat, Notifier: r.bot, Logger: zerolog.Nop(), Formed: r.prov.Wake}

	// A mentor for consumer groups in Barcelona, through the invite flow.
	marta := r.srv.NewUser("Marta", "es")
	marta.LastName = "Puig"
	r.onboard(t, marta, r.invite(t, r.coord))

	// 8 neighbours of Gràcia answer the survey; 7 of Sants answer too.
	var gracia []*telegramtest.User
	for i := range 8 {
		u := r.srv.NewUser(fmt.Sprintf("Veïna %d", i+1), []string{"ca", "es", "en"}[i%3])
		r.survey(u, multaque.Lang([]string{"ca", "es", "en"}[i%3]), fmt.Sprintf("Veïna %d", i+1))
		gracia = append(gracia, u)
	}
	var sants []*telegramtest.User
	for i := range 7 {
		u := r.srv.NewUser(fmt.Sprintf("Sants %d", i+1), "ca")
		surveyIn(t, r, u, "sants-montjuic", "sants")
		sants = append(sants, u)
	}

	rep, err := runner.Run(context.Background())
	if err != nil || len(rep.Formed) != 1 {
		t.Fatalf("matching run: %+v,%v, want one team", rep, err)
	}
	team := r.active(rep.Formed[0], g)
	if len(team.Members) != 8 || team.Mentor != marta.ID || team.Community != "gracia" {
		t.Fatalf("team=%+v, want the 8 of Gràcia with Marta as mentor", team)
	}

	// Each member and the mentor get their invitation, open it, are approved.
	for i, u := range append(gracia, marta) {
		lang := multaque.Lang([]string{"ca", "es", "en"}[i%3])
		if u == marta {
			lang = multaque.Spanish
		}
		inv := u.Expect(t, r.text(lang, "team_invite_join"))
		if len(inv.Keyboard) == 0 || inv.Keyboard[0][0].URL != team.InviteLink {
			t.Fatalf("%s's invitation has no Join button to %s: %+v", u.FirstName, team.InviteLink, inv.Keyboard)
		}
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatalf("%s opens the link: %v", u.FirstName, err)
		}
	}
	eventually(t, "the members and the mentor are in the group", func() bool {
		for _, u := range append(gracia, marta) {
			if !g.IsMember(u.ID) {
				return false
			}
		}
		return true
	})
	pinned := false
	for _, m := range g.Messages() {
		pinned = pinned || m.Pinned && m.FromBot && strings.Contains(m.Text, r.text(multaque.Catalan, "team_playbook"))
	}
	if !pinned {
		t.Fatal("the group shows no pinned welcome with the playbook")
	}

	// A stranger who got the link is declined.
	stranger := r.srv.NewUser("Intrús", "es")
	if err := stranger.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stranger's request is settled", func() bool { return len(g.PendingRequests()) == 0 })
	if g.IsMember(stranger.ID) {
		t.Fatal("a stranger got into the team's group")
	}

	// A 9th neighbour of Gràcia joins the open team at the next run.
	ninth := r.srv.NewUser("Novena", "ca")
	r.survey(ninth, multaque.Catalan, "Novena")
	rep, err = runner.Run(context.Background())
	if err != nil || rep.Joined != 1 || len(rep.Formed) != 0 {
		t.Fatalf("second run: %+v,%v, want the 9th joining the open team", rep, err)
	}
	ninth.Expect(t, r.text(multaque.Catalan, "team_invite_join"))
	if got := r.team(team.ID); len(got.Members) != 9 {
		t.Fatalf("team has %d members, want 9", len(got.Members))
	}

	// Sants formed nothing: its people see 7 of 8; Gràcia's count starts again.
	sants[6].Send("/me")
	sants[6].Expect(t, "7 de 8")
	gracia[0].Send("/me")
	gracia[0].Expect(t, r.textWith(multaque.Catalan, "summary_team_active", map[string]any{"Count": 9, "Link": team.InviteLink})[:20])
	if n := r.waiting(); n != 0 {
		t.Fatalf("%d still wait in Gràcia, want 0", n)
	}
}

// surveyIn walks u through the survey in Catalan to a community two levels
// below Barcelona, wanting the consumer group.
func surveyIn(t *testing.T, r *teamRig, u *telegramtest.User, district, community string) {
	t.Helper()
	lang := multaque.Catalan
	u.Send("/start")
	u.Press(t, "✓ Català")
	u.Press(t, r.text(lang, "btn_consent"))
	u.Expect(t, r.text(lang, "ask_name"))
	u.Send(u.FirstName)
	u.Expect(t, r.text(lang, "ask_community"))
	u.Press(t, "Barcelona ›")
	u.Expect(t, "Ara a: Barcelona")
	u.Press(t, r.community(lang, district)+" ›")
	u.Expect(t, "Ara a: "+r.community(lang, district))
	u.Press(t, r.community(lang, community))
	u.Expect(t, r.textWith(lang, "ask_interests", map[string]any{"Count": 0}))
	u.Press(t, "▫️ "+r.project(lang, "consumer-group"))
	u.Expect(t, r.textWith(lang, "ask_interests", map[string]any{"Count": 1}))
	u.Press(t, r.text(lang, "btn_done"))
	u.Expect(t, "de 8 veïns")
}

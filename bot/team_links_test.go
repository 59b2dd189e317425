package bot_test

import (
	"context"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// Issue 21.1: every path that can part a team member from the interest
// that links them to their team keeps the link both ways (or removes both
// ends): untoggling the project in /settings is refused with a sentence,
// /leave and leaving the group untie both ends, /forget removes both; the
// store's check, which verifies the link both ways, stays clean after each.
func TestNothingPartsAMemberFromTheirInterest(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.poolGroup("Spare")
	var users []*telegramtest.User
	for _, name := range []string{"Anna", "Biel", "Cesc", "Dolors", "Enric"} {
		users = append(users, r.starter(name, multaque.Catalan))
	}
	anna, biel, cesc, dolors := users[0], users[1], users[2], users[3]
	team := r.active(r.formTeam(users...).ID, g)
	for _, u := range users {
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "everyone in the group", func() bool {
		for _, u := range users {
			if !g.IsMember(u.ID) {
				return false
			}
		}
		return true
	})
	clean := func(after string) {
		t.Helper()
		problems, err := r.db.CheckWith(context.Background(), store.CheckOptions{Coordinators: []int64{r.coord.ID}})
		if err != nil || len(problems) > 0 {
			t.Errorf("after %s: Check=%q, %v", after, problems, err)
		}
	}
	linked := func(u *telegramtest.User) (inTeam, interestNamesTeam bool) {
		t.Helper()
		cz, err := r.db.Citizen(context.Background(), u.ID)
		if err != nil {
			return r.team(team.ID).HasMember(u.ID), false
		}
		in, _ := cz.Interest("consumer-group")
		return r.team(team.ID).HasMember(u.ID), in.Team == team.ID
	}

	// 1. Untoggling the project in /settings: refused, with a sentence.
	anna.Send("/settings")
	anna.Press(t, r.text(multaque.Catalan, "btn_set_interests"))
	want := "✅ " + projectName(r, multaque.Catalan, "consumer-group")
	eventually(t, "the interests screen", func() bool {
		kb := lastKeyboard(anna)
		return len(kb) > 0 && len(kb[0]) == 2 && kb[0][0].Text == want
	})
	anna.Press(t, want)
	anna.Expect(t, r.text(multaque.Catalan, "interest_in_team"))
	if inTeam, tied := linked(anna); !inTeam || !tied {
		t.Errorf("Anna after untoggling: in the team %v, interest names it %v; want both", inTeam, tied)
	}
	clean("untoggling")

	// 2. /leave: both ends untied.
	biel.Send("/leave")
	choose := biel.Expect(t, r.text(multaque.Catalan, "leave_choose"))
	biel.Press(t, choose.Keyboard[0][0].Text)
	eventually(t, "Biel out of the team", func() bool { inTeam, tied := linked(biel); return !inTeam && !tied })
	clean("/leave")

	// 3. Leaving the group: the same.
	cesc.Leave(g)
	eventually(t, "Cesc out of the team", func() bool { inTeam, tied := linked(cesc); return !inTeam && !tied })
	clean("leaving the group")

	// 4. /forget: both ends gone.
	dolors.Send("/forget")
	dolors.Press(t, r.text(multaque.Catalan, "btn_forget"))
	eventually(t, "Dolors out of the team", func() bool { return !r.team(team.ID).HasMember(dolors.ID) })
	clean("/forget")
}

// lastKeyboard is the keyboard of the bot's last message to u.
func lastKeyboard(u *telegramtest.User) [][]telegramtest.Button {
	m, _ := u.LastFromBot()
	return m.Keyboard
}

// projectName is a project's name in lang.
func projectName(r *teamRig, lang multaque.Lang, id string) string {
	p, ok := r.cat.Project(id)
	if !ok {
		r.t.Fatalf("no project %q", id)
	}
	return p.Name.In(lang)
}

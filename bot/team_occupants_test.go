package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// Issue 13.1: a group that held a team is not given to another team while
// the first team's people are in it. The bot is demoted in team A's group
// (A moves to another), then promoted again: the group has A's members in
// it, so it does not enter the pool and the coordinator is told why; team
// B waits instead of being provisioned into it. A record of the group from
// before the check (the pool holding it free) is caught when B claims it:
// set aside, with a word to the coordinator, and B waits again.
func TestGroupWithPeopleIsNeverGivenToAnotherTeam(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g1 := r.poolGroup("Spare 1")
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_accepted", map[string]any{"Count": 1}))
	a1, a2 := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	teamA := r.active(r.formTeam(a1, a2).ID, g1)
	for _, u := range []*telegramtest.User{a1, a2} {
		if err := u.OpenInviteLink(teamA.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "team A in its group", func() bool { return g1.IsMember(a1.ID) && g1.IsMember(a2.ID) })

	g2 := r.poolGroup("Spare 2")
	g1.AddBot(r.coord, telegramtest.AdminRights{PinMessages: true}) // demoted
	r.active(teamA.ID, g2)

	g1.AddBot(r.coord, telegramtest.BotAdminRights) // rights given back
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_occupied", map[string]any{"Count": 2}))
	if s := r.poolStatus(g1.ID); s != multaque.PoolBroken {
		t.Fatalf("group of team A is %q in the pool, want broken (set aside)", s)
	}
	b1, b2 := r.starter("Cesc", multaque.Catalan), r.starter("Dolors", multaque.Catalan)
	teamB := r.formTeam(b1, b2)
	time.Sleep(500 * time.Millisecond) // several passes
	if cur := r.team(teamB.ID); cur.Chat != 0 {
		t.Fatalf("team B got group %d, want none (the only other group holds team A's people)", cur.Chat)
	}

	// A record from before the check: the pool holds g1 free.
	if _, err := r.db.AddPoolGroup(context.Background(), multaque.PoolGroup{Chat: g1.ID, Title: "Spare 1", AddedBy: r.coord.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.prov.Wake()
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_set_aside", map[string]any{"Count": 2, "Title": "Spare 1"}))
	eventually(t, "g1 set aside again", func() bool { return r.poolStatus(g1.ID) == multaque.PoolBroken })
	if cur := r.team(teamB.ID); cur.Chat != 0 || cur.Status != multaque.TeamForming {
		t.Errorf("team B=%+v, want forming without a group", cur)
	}
	for _, u := range []*telegramtest.User{b1, b2} {
		if g1.IsMember(u.ID) || len(fromBot(u, "🎉")) > 0 {
			t.Errorf("%s was invited into team A's group", u.FirstName)
		}
	}
}

// A group with someone in it who is not a coordinator (a community chat,
// a group whose owner is not the adder) does not enter the pool.
func TestGroupWithStrangersStaysOutOfThePool(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.srv.NewSupergroup("Veïns", r.coord)
	g.AddMember(r.coord, r.srv.NewUser("Xavi", "es"))
	g.AddBot(r.coord, telegramtest.BotAdminRights)
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_occupied", map[string]any{"Count": 1}))
	if s := r.poolStatus(g.ID); s == multaque.PoolFree {
		t.Errorf("a group with a stranger in it is free in the pool")
	}
}

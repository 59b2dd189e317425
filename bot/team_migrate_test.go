package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// A basic group does not enter the pool: the coordinator is told how to
// make it a supergroup, and when they do, the supergroup enters it.
func TestBasicGroupJoinsThePoolOnceUpgraded(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.srv.NewBasicGroup("Spare", r.coord)
	g.AddBot(r.coord, telegramtest.BotAdminRights)
	r.coord.Expect(t, r.text(multaque.Catalan, "pool_basic_group"))
	if s := r.poolStatus(g.ID); s == multaque.PoolFree || s == multaque.PoolUsed {
		t.Fatalf("the basic group is in the pool as %q, want out of it", s)
	}
	super := g.Upgrade(r.coord)
	eventually(t, "the supergroup is in the pool", func() bool { return r.poolStatus(super.ID) == multaque.PoolFree })
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_accepted", map[string]any{"Count": 1}))
}

// legacyBasicGroup is a basic group with the bot in it as administrator,
// which the pool holds as it would have before basic groups were refused.
func (r *teamRig) legacyBasicGroup(title string) *telegramtest.Group {
	r.t.Helper()
	g := r.srv.NewBasicGroup(title, r.coord)
	g.AddBot(r.coord, telegramtest.BotAdminRights)
	r.coord.Expect(r.t, r.text(multaque.Catalan, "pool_basic_group"))
	if _, err := r.db.AddPoolGroup(context.Background(), multaque.PoolGroup{Chat: g.ID, Title: title, AddedBy: r.coord.ID}, time.Now()); err != nil {
		r.t.Fatal(err)
	}
	return g
}

// A team's group that is upgraded to a supergroup while its members are
// joining: the team follows it (the service messages), nobody is
// declined, everyone ends in the supergroup, and the records are whole.
func TestTeamFollowsItsGroupUpgradedWhileMembersJoin(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.legacyBasicGroup("Old spare")
	var users []*telegramtest.User
	for _, name := range []string{"Anna", "Biel", "Cesc", "Dolors", "Enric", "Fina"} {
		users = append(users, r.starter(name, multaque.Catalan))
	}
	team := r.formTeam(users...)
	team = r.active(team.ID, g)

	// Two come in before the upgrade; the others open the link as it
	// happens.
	for _, u := range users[:2] {
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "two in the basic group", func() bool { return g.IsMember(users[0].ID) && g.IsMember(users[1].ID) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, u := range users[2:] {
			_ = u.OpenInviteLink(team.InviteLink)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	super := g.Upgrade(r.coord)
	<-done

	eventually(t, "everyone in the supergroup and the team there", func() bool {
		for _, u := range users {
			if !super.IsMember(u.ID) {
				return false
			}
		}
		cur := r.team(team.ID)
		for _, m := range cur.Members {
			if !m.InChat {
				return false
			}
		}
		return cur.Chat == super.ID
	})
	for _, u := range users {
		if got := fromBot(u, r.text(multaque.Catalan, "team_declined")); len(got) > 0 {
			t.Errorf("%s was declined: %q", u.FirstName, got[0].Text)
		}
	}
	if s := r.poolStatus(super.ID); s != multaque.PoolUsed {
		t.Errorf("the supergroup is %q in the pool, want used", s)
	}
	if s := r.poolStatus(g.ID); s != "" {
		t.Errorf("the old id is %q in the pool, want gone", s)
	}
	if cur := r.team(team.ID); cur.Status != multaque.TeamActive || len(cur.Members) != len(users) || cur.InviteLink != team.InviteLink {
		t.Errorf("team after the upgrade=%+v, want active, %d members, the same link", cur, len(users))
	}
	if problems, err := r.db.CheckWith(context.Background(), store.CheckOptions{Coordinators: []int64{r.coord.ID}}); err != nil || len(problems) > 0 {
		t.Errorf("Check=%q, %v", problems, err)
	}
}

// The bot learns of an upgrade from the 400 of a write (here the first
// look at a group a team claimed), not from a service message: the team
// is provisioned in the supergroup, not given another group.
func TestTeamFollowsAnUpgradeLearnedFromTheError(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.srv.NewBasicGroup("Old spare", r.coord)
	g.AddBot(r.coord, telegramtest.BotAdminRights)
	r.coord.Expect(t, r.text(multaque.Catalan, "pool_basic_group"))
	// Upgraded by someone the bot does not take groups from: it follows
	// nothing yet (it knows nothing of the group).
	super := g.Upgrade(r.srv.NewUser("Xavi", "es"))
	time.Sleep(200 * time.Millisecond) // the service messages are handled
	if s := r.poolStatus(super.ID); s != "" {
		t.Fatalf("the supergroup is %q in the pool before any record of the old id", s)
	}
	// The pool holds the old id (a record from before the upgrade).
	if _, err := r.db.AddPoolGroup(context.Background(), multaque.PoolGroup{Chat: g.ID, Title: "Old spare", AddedBy: r.coord.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a, b := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	team := r.formTeam(a, b)
	team = r.active(team.ID, super)
	if !strings.Contains(super.Title(), "·") {
		t.Errorf("supergroup title %q, want the team's", super.Title())
	}
	if err := a.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Anna in the supergroup", func() bool { return super.IsMember(a.ID) })
}

// /leave in a basic group: the ban removes the member and nothing is
// unbanned (Telegram refuses it there); they are told they left.
func TestLeaveInABasicGroup(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.legacyBasicGroup("Old spare")
	a, b := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	team := r.active(r.formTeam(a, b).ID, g)
	if err := a.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Anna in the group", func() bool { return g.IsMember(a.ID) })
	r.srv.ResetCalls()
	a.Send("/leave")
	choose := a.Expect(t, r.text(multaque.Catalan, "leave_choose"))
	a.Press(t, choose.Keyboard[0][0].Text)
	eventually(t, "Anna out of the group and the team", func() bool { return !g.IsMember(a.ID) && !r.team(team.ID).HasMember(a.ID) })
	if n := len(r.srv.Calls("unbanChatMember")); n != 0 {
		t.Errorf("%d unbanChatMember calls in a basic group, want none", n)
	}
	if strings.Contains(r.logs.String(), "remove a former member from the group") {
		t.Errorf("removing the member failed: %s", r.logs.String())
	}
}

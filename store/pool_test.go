package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// formTeam forms a team of n citizens of gracia for the consumer group.
func formTeam(t *testing.T, db *store.DB, first int64, n int) *multaque.Team {
	t.Helper()
	var ids []int64
	for id := first; id < first+int64(n); id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group"))
		ids = append(ids, id)
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(ids...)}, t0, nil)
	if err != nil {
		t.Fatalf("FormTeam: %v", err)
	}
	return team
}

func addGroup(t *testing.T, db *store.DB, chat int64, at time.Time) *multaque.PoolGroup {
	t.Helper()
	g, err := db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: chat, Title: fmt.Sprint("spare ", chat), AddedBy: 7}, at)
	if err != nil {
		t.Fatalf("AddPoolGroup(%d): %v", chat, err)
	}
	return g
}

func poolCounts(t *testing.T, db *store.DB) map[multaque.PoolStatus]int {
	t.Helper()
	n, err := db.PoolCounts(ctx)
	if err != nil {
		t.Fatalf("PoolCounts: %v", err)
	}
	return n
}

func TestAddPoolGroupIsIdempotent(t *testing.T) {
	db := openDB(t)
	g := addGroup(t, db, -1002, t0)
	if g.Status != multaque.PoolFree || g.AddedBy != 7 || !g.AddedAt.Equal(t0) {
		t.Fatalf("AddPoolGroup=%+v, want free, added by 7 at t0", g)
	}
	again := addGroup(t, db, -1002, t0.Add(time.Hour))
	if !again.AddedAt.Equal(t0) {
		t.Errorf("adding again moved AddedAt to %v, want %v (its place among the free groups)", again.AddedAt, t0)
	}
	addGroup(t, db, -1001, t0.Add(time.Minute))
	gs, err := db.PoolGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].Chat != -1002 || gs[1].Chat != -1001 {
		t.Fatalf("PoolGroups=%+v, want -1002 then -1001 (oldest first)", gs)
	}
	if n := poolCounts(t, db); n[multaque.PoolFree] != 2 || n[multaque.PoolUsed] != 0 || n[multaque.PoolBroken] != 0 {
		t.Errorf("PoolCounts=%v, want 2 free", n)
	}
	_, err = db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: 5, AddedBy: 7}, t0)
	wantCode(t, err, multaque.EINVALID)
	_, err = db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: -5}, t0)
	wantCode(t, err, multaque.EINVALID)
}

func TestClaimPoolGroup(t *testing.T) {
	db := openDB(t)
	team := formTeam(t, db, 1, 3)

	// No group free: nothing is written, the team comes back without one.
	got, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil)
	if err != nil || got.Chat != 0 {
		t.Fatalf("ClaimPoolGroup on an empty pool=%+v, %v; want the team with Chat 0", got, err)
	}

	addGroup(t, db, -1001, t0.Add(time.Minute))
	addGroup(t, db, -1002, t0) // older: claimed first
	addGroup(t, db, -1003, t0.Add(2*time.Minute))
	var free = -1
	got, err = db.ClaimPoolGroup(ctx, team.ID, t0, nil, func(t *multaque.Team, n int) []multaque.OutboxItem {
		free = n
		return []multaque.OutboxItem{{Kind: "alert", Chat: 7, Text: "low", DedupKey: "low/" + t.ID}}
	})
	if err != nil {
		t.Fatalf("ClaimPoolGroup: %v", err)
	}
	if got.Chat != -1002 || free != 2 {
		t.Fatalf("claimed chat %d with %d left free, want -1002 with 2", got.Chat, free)
	}
	if l, _ := db.OutboxLen(ctx); l != 1 {
		t.Errorf("OutboxLen=%d, want the item enqueued with the claim", l)
	}
	if byChat, err := db.TeamByChat(ctx, -1002); err != nil || byChat.ID != team.ID {
		t.Errorf("TeamByChat(-1002)=%v, %v; want %s", byChat, err, team.ID)
	}
	gs, _ := db.PoolGroups(ctx)
	if gs[0].Status != multaque.PoolUsed || gs[0].Team != team.ID {
		t.Errorf("claimed group=%+v, want used by %s", gs[0], team.ID)
	}

	// Claiming again claims nothing more.
	again, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil)
	if err != nil || again.Chat != -1002 {
		t.Fatalf("ClaimPoolGroup again=%+v, %v; want the same group", again, err)
	}
	if n := poolCounts(t, db); n[multaque.PoolFree] != 2 || n[multaque.PoolUsed] != 1 {
		t.Errorf("PoolCounts=%v, want 2 free and 1 used", n)
	}

	// Re-adding a team's group (the bot promoted again) keeps it used.
	if g := addGroup(t, db, -1002, t0.Add(time.Hour)); g.Status != multaque.PoolUsed || g.Team != team.ID {
		t.Errorf("re-added team group=%+v, want still used by %s", g, team.ID)
	}

	_, err = db.ClaimPoolGroup(ctx, "t99", t0, nil, nil)
	wantCode(t, err, multaque.ENOTFOUND)
}

// TestClaimPoolGroupThatFits: a team gets the oldest free group the
// predicate lets it have; with none, nothing is written.
func TestClaimPoolGroupThatFits(t *testing.T) {
	db := openDB(t)
	team := formTeam(t, db, 1, 3)
	for i, by := range []int64{8, 9, 7, 9} { // -1001 the oldest
		if _, err := db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: -1001 - int64(i), AddedBy: by}, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("AddPoolGroup: %v", err)
		}
	}
	var asked []int64
	byNobody := func(g multaque.PoolGroup) bool { asked = append(asked, g.Chat); return false }
	got, err := db.ClaimPoolGroup(ctx, team.ID, t0, byNobody, func(*multaque.Team, int) []multaque.OutboxItem {
		t.Error("items built for a claim that claimed nothing")
		return nil
	})
	if err != nil || got.Chat != 0 {
		t.Fatalf("ClaimPoolGroup with no group fitting=%+v, %v; want the team with Chat 0", got, err)
	}
	if len(asked) != 4 {
		t.Errorf("the predicate was asked about %v, want the 4 free groups", asked)
	}
	if n := poolCounts(t, db); n[multaque.PoolFree] != 4 || n[multaque.PoolUsed] != 0 {
		t.Errorf("PoolCounts=%v after claiming nothing, want 4 free", n)
	}
	if tm, _ := db.Team(ctx, team.ID); tm.Chat != 0 {
		t.Errorf("team chat %d after claiming nothing, want 0", tm.Chat)
	}

	free := -1
	by9 := func(g multaque.PoolGroup) bool { return g.AddedBy == 9 }
	got, err = db.ClaimPoolGroup(ctx, team.ID, t0, by9, func(_ *multaque.Team, n int) []multaque.OutboxItem { free = n; return nil })
	if err != nil || got.Chat != -1002 {
		t.Fatalf("ClaimPoolGroup of a group added by 9=%+v, %v; want -1002, the oldest of 9's", got, err)
	}
	if free != 3 {
		t.Errorf("free=%d after the claim, want 3 (every free group counts, fitting or not)", free)
	}
	gs, _ := db.PoolGroups(ctx)
	for _, g := range gs {
		if want := g.Chat == -1002; (g.Status == multaque.PoolUsed) != want {
			t.Errorf("group %d is %s, want only -1002 used", g.Chat, g.Status)
		}
	}
}

func TestBreakPoolGroupReprovisionsItsTeam(t *testing.T) {
	db := openDB(t)
	team := formTeam(t, db, 1, 3)
	addGroup(t, db, -1001, t0)
	addGroup(t, db, -1002, t0.Add(time.Minute))
	if _, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Provisioned and one member in the group.
	_, err := db.UpdateTeamGroup(ctx, team.ID, -1001, t0, func(t *multaque.Team) error {
		t.InviteLink, t.Setup, t.Welcome, t.Status, t.ActiveSince = "https://t.me/+x", multaque.SetupPinned, 5, multaque.TeamActive, t0
		t.Members[0].InChat, t.Members[1].RemindedAt = true, t0
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("UpdateTeamGroup: %v", err)
	}
	// Recording for the wrong group is refused.
	_, err = db.UpdateTeamGroup(ctx, team.ID, -1002, t0, func(*multaque.Team) error { return nil }, nil)
	wantCode(t, err, multaque.ECONFLICT)

	reason := strings.Repeat("é", 150) // longer than MaxPoolReasonLen bytes: cut, not refused
	got, err := db.BreakPoolGroup(ctx, -1001, reason, t0, invites)
	if err != nil {
		t.Fatalf("BreakPoolGroup: %v", err)
	}
	if got == nil || got.ID != team.ID || got.Chat != 0 || got.Status != multaque.TeamForming || got.InviteLink != "" ||
		got.Setup != multaque.SetupNone || got.Welcome != 0 || !got.ActiveSince.IsZero() {
		t.Fatalf("team after break=%+v, want forming again with no group", got)
	}
	for _, m := range got.Members {
		if m.InChat || !m.RemindedAt.IsZero() {
			t.Errorf("member %+v still counts as in the old group or reminded", m)
		}
	}
	if l, _ := db.OutboxLen(ctx); l != 3 {
		t.Errorf("OutboxLen=%d, want the 3 items enqueued with the break", l)
	}
	if _, err := db.TeamByChat(ctx, -1001); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("TeamByChat(broken group) err=%v, want ENOTFOUND", err)
	}
	gs, _ := db.PoolGroups(ctx)
	if gs[0].Status != multaque.PoolBroken || gs[0].Team != "" || gs[0].Reason == "" || len(gs[0].Reason) > multaque.MaxPoolReasonLen {
		t.Errorf("broken group=%+v, want broken with its reason", gs[0])
	}

	// Breaking again, or a group the pool never had, does nothing.
	if again, err := db.BreakPoolGroup(ctx, -1001, "again", t0, invites); err != nil || again != nil {
		t.Errorf("BreakPoolGroup again=%v, %v; want nil, nil", again, err)
	}
	if other, err := db.BreakPoolGroup(ctx, -4242, "unknown", t0, invites); err != nil || other != nil {
		t.Errorf("BreakPoolGroup(unknown)=%v, %v; want nil, nil", other, err)
	}
	if n := poolCounts(t, db); n[multaque.PoolFree] != 1 || n[multaque.PoolBroken] != 1 || n[multaque.PoolUsed] != 0 {
		t.Errorf("PoolCounts=%v, want 1 free, 1 broken", n)
	}

	// The team gets the other group; the broken one comes back only when
	// a coordinator adds the bot again.
	if got, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil); err != nil || got.Chat != -1002 {
		t.Fatalf("ClaimPoolGroup after break=%+v, %v; want -1002", got, err)
	}
	if g := addGroup(t, db, -1001, t0.Add(time.Hour)); g.Status != multaque.PoolFree || g.Reason != "" {
		t.Errorf("re-added broken group=%+v, want free", g)
	}
}

func TestBreakPoolGroupLeavesClosedTeams(t *testing.T) {
	db := openDB(t)
	team := formTeam(t, db, 1, 2)
	addGroup(t, db, -1001, t0)
	if _, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateTeamGroup(ctx, team.ID, -1001, t0, func(t *multaque.Team) error {
		t.Status = multaque.TeamClosed
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.BreakPoolGroup(ctx, -1001, "deleted", t0, invites)
	if err != nil || got != nil {
		t.Fatalf("BreakPoolGroup of a closed team's group=%v, %v; want nil, nil", got, err)
	}
	if l, _ := db.OutboxLen(ctx); l != 0 {
		t.Errorf("OutboxLen=%d, want nothing enqueued for a closed team", l)
	}
	if _, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil); err != nil {
		t.Errorf("ClaimPoolGroup of a closed team that has a group: %v, want it returned as it is", err)
	}
}

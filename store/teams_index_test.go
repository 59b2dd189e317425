package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func TestMigrateGroupMovesPoolTeamAndJoins(t *testing.T) {
	db := openDB(t, fast)
	const basic, super = int64(-4100000001), int64(-1001000000001)
	addGroup(t, db, basic, t0)
	team := formTeam(t, db, 1, 3)
	claimed, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil)
	if err != nil || claimed.Chat != basic {
		t.Fatalf("ClaimPoolGroup=%+v, %v; want group %d", claimed, err, basic)
	}
	if err := db.PutJoinAnswer(ctx, multaque.JoinAnswer{Chat: basic, User: 2, Decided: true, Approve: true, Since: t0}); err != nil {
		t.Fatal(err)
	}
	moved, err := db.MigrateGroup(ctx, basic, super, t0.Add(time.Minute))
	if err != nil || moved == nil || moved.Chat != super {
		t.Fatalf("MigrateGroup=%+v, %v; want the team in %d", moved, err, super)
	}
	if got, err := db.TeamByChat(ctx, super); err != nil || got.ID != team.ID || len(got.Members) != 3 {
		t.Errorf("TeamByChat(new)=%+v, %v; want team %s with its 3 members", got, err, team.ID)
	}
	if _, err := db.TeamByChat(ctx, basic); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("TeamByChat(old) err=%v, want ENOTFOUND", err)
	}
	gs, _ := db.PoolGroups(ctx)
	if len(gs) != 1 || gs[0].Chat != super || gs[0].Status != multaque.PoolUsed || gs[0].Team != team.ID || !gs[0].AddedAt.Equal(t0) {
		t.Errorf("pool=%+v, want only %d, used by %s, added at t0", gs, super, team.ID)
	}
	js, _ := db.JoinAnswers(ctx)
	if len(js) != 1 || js[0].Chat != super || js[0].User != 2 {
		t.Errorf("JoinAnswers=%+v, want user 2's request moved to %d", js, super)
	}
	again, err := db.MigrateGroup(ctx, basic, super, t0.Add(2*time.Minute))
	if err != nil || again != nil {
		t.Errorf("migrating twice=%+v, %v; want nil, nil", again, err)
	}
	if problems, err := db.Check(ctx); err != nil || len(problems) > 0 {
		t.Errorf("Check=%q, %v", problems, err)
	}
}

func TestTeamsNeedingWorkLeavesSettledTeamsOut(t *testing.T) {
	db := openDB(t, fast)
	a := formTeam(t, db, 1, 2)
	b := formTeam(t, db, 10, 2)
	addGroup(t, db, -1001, t0)
	if _, err := db.ClaimPoolGroup(ctx, b.ID, t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	activate := func(t *multaque.Team) error {
		t.Status, t.Setup, t.ActiveSince, t.InviteLink, t.Welcome = multaque.TeamActive, multaque.SetupPinned, t0, "https://t.me/+x", 1
		return nil
	}
	if _, err := db.UpdateTeamGroup(ctx, b.ID, -1001, t0, activate, nil); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		ts, err := db.TeamsNeedingWork(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, []string{a.ID, b.ID}) {
		t.Errorf("TeamsNeedingWork=%v, want %s (forming) and %s (active)", got, a.ID, b.ID)
	}
	settle := func(t *multaque.Team) error { t.SettledAt = t0; return nil }
	if _, err := db.UpdateTeamGroup(ctx, b.ID, -1001, t0, settle, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("TeamsNeedingWork=%v after %s settled, want only %s", got, b.ID, a.ID)
	}
	// A late joiner: the Provisioner follows the team again (to remind them).
	save(t, db, newCitizen(20, "P", "gracia", "consumer-group"))
	if _, err := db.JoinTeam(ctx, b.ID, []int64{20}, t0, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(); !slices.Equal(got, []string{a.ID, b.ID}) {
		t.Errorf("TeamsNeedingWork=%v after a late joiner, want %s and %s again", got, a.ID, b.ID)
	}
	if problems, err := db.Check(ctx); err != nil || len(problems) > 0 {
		t.Errorf("Check=%q, %v", problems, err)
	}
}

func TestForgetFindsTeamsByMember(t *testing.T) {
	db := openDB(t, fast)
	team := formTeam(t, db, 1, 3)
	// Member 2 drops the interest that links them to the team (what
	// untoggling the project in /settings did before issue 21).
	c, err := db.Citizen(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	c.Interests = nil
	save(t, db, c)
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got, err := db.Team(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HasMember(2) {
		t.Errorf("team %s still lists the erased member 2: %+v", team.ID, got.Members)
	}
	if ts, _ := db.TeamsOfMember(ctx, 2); len(ts) != 0 {
		t.Errorf("TeamsOfMember(2)=%v after /forget, want none", ts)
	}
}

// benchTeams stores n teams of which working are forming or active and
// the rest settled (the shape of a store after years: most teams long
// settled).
func benchTeams(b *testing.B, n, working int) *store.DB {
	b.Helper()
	db := openDB(b, fast)
	teams := make([]*multaque.Team, 0, n)
	for i := 1; i <= n; i++ {
		t := &multaque.Team{
			ID: fmt.Sprintf("t%d", i), Community: "gracia", Project: "consumer-group",
			Members: members(int64(3*i), int64(3*i+1), int64(3*i+2)),
			Status:  multaque.TeamActive, Chat: -1001000000000 - int64(i), InviteLink: "https://t.me/+x",
			Setup: multaque.SetupPinned, Welcome: 1, ActiveSince: t0, SettledAt: t0,
			CreatedAt: t0, UpdatedAt: t0,
		}
		for j := range t.Members {
			t.Members[j].JoinedAt, t.Members[j].InChat = t0, true
		}
		if i > n-working {
			t.SettledAt = time.Time{}
		}
		teams = append(teams, t)
	}
	for i := 0; i < len(teams); i += 10000 {
		if err := store.PutTeamsForBench(db, teams[i:min(i+10000, len(teams))], t0); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkProvisionerRead is what a Provisioner pass reads at 100,000
// teams of which 1,000 need work: TeamsNeedingWork (through the index)
// against Teams (every team, as passes read before issue 21).
func BenchmarkProvisionerRead(b *testing.B) {
	db := benchTeams(b, 100000, 1000)
	b.Run("needing-work", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts, err := db.TeamsNeedingWork(ctx)
			if err != nil || len(ts) != 1000 {
				b.Fatalf("TeamsNeedingWork: %d, %v", len(ts), err)
			}
		}
	})
	b.Run("all-teams", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts, err := db.Teams(ctx)
			if err != nil || len(ts) != 100000 {
				b.Fatalf("Teams: %d, %v", len(ts), err)
			}
		}
	})
}

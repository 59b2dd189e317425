package store_test

import (
	"testing"
	"time"

	"github.com/multaque/multaque"
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

func TestTeamsInReadsOnlyThoseStates(t *testing.T) {
	db := openDB(t, fast)
	a := formTeam(t, db, 1, 2)
	b := formTeam(t, db, 10, 2)
	addGroup(t, db, -1001, t0)
	if _, err := db.ClaimPoolGroup(ctx, b.ID, t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateTeamGroup(ctx, b.ID, -1001, t0, func(t *multaque.Team) error {
		t.Status, t.Setup, t.ActiveSince, t.InviteLink, t.Welcome = multaque.TeamActive, multaque.SetupPinned, t0, "https://t.me/+x", 1
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	forming, err := db.TeamsIn(ctx, multaque.TeamForming)
	if err != nil || len(forming) != 1 || forming[0].ID != a.ID {
		t.Errorf("TeamsIn(forming)=%v, %v; want only %s", forming, err, a.ID)
	}
	both, _ := db.TeamsIn(ctx, multaque.TeamActive, multaque.TeamForming)
	if len(both) != 2 || both[0].ID != a.ID || both[1].ID != b.ID {
		t.Errorf("TeamsIn(active, forming)=%v, want %s then %s", both, a.ID, b.ID)
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

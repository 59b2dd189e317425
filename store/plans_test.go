package store_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// planTeam forms team t1 of citizens 1-3 and gives it a plan of 3 steps.
func planTeam(t *testing.T, db *store.DB) *multaque.Plan {
	t.Helper()
	for id := int64(1); id <= 3; id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group"))
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2, 3)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, created, err := db.CreatePlan(ctx, multaque.NewPlan(team.ID, -100, 3, t0))
	if err != nil || !created {
		t.Fatalf("CreatePlan: %v, created %v", err, created)
	}
	return p
}

func TestCreatePlanKeepsTheFirst(t *testing.T) {
	db := openDB(t)
	p := planTeam(t, db)
	again, created, err := db.CreatePlan(ctx, multaque.NewPlan(p.Team, -200, 5, t0.Add(time.Hour)))
	if err != nil || created || again.Chat != -100 || len(again.Steps) != 3 {
		t.Fatalf("second CreatePlan: %+v, %v, %v; want the first kept", again, created, err)
	}
	_, _, err = db.CreatePlan(ctx, multaque.NewPlan("t99", -300, 2, t0))
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestUpdatePlanWithItemsAndUpdateOnce(t *testing.T) {
	db := openDB(t)
	p := planTeam(t, db)
	uctx, _ := multaque.WithUpdate(ctx, 501)
	announce := func(p *multaque.Plan) []multaque.OutboxItem {
		return []multaque.OutboxItem{{Kind: "stage", Chat: p.Chat, Text: "started", DedupKey: "stage/" + p.Team + "/started"}}
	}
	got, err := db.UpdatePlan(uctx, p.Team, t0, func(p *multaque.Plan) error { _, err := p.Mark(1, 2, t0); return err }, announce)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage() != multaque.StageStarted || got.Done() != 1 {
		t.Fatalf("plan %+v, want started with 1 done", got)
	}
	if seen, _ := db.SeenUpdate(ctx, 501); !seen {
		t.Errorf("the update is not recorded with the tick")
	}
	if n, _ := db.OutboxLen(ctx); n != 1 {
		t.Errorf("OutboxLen=%d, want 1", n)
	}
	// A refused change stores nothing and enqueues nothing.
	_, err = db.UpdatePlan(ctx, p.Team, t0, func(p *multaque.Plan) error { _, err := p.Mark(1, 3, t0); return err }, announce)
	wantCode(t, err, multaque.ECONFLICT)
	// A change that breaks the plan is refused.
	_, err = db.UpdatePlan(ctx, p.Team, t0, func(p *multaque.Plan) error { p.Stages = nil; return nil }, nil)
	wantCode(t, err, multaque.EINVALID)
	stored, _ := db.Plan(ctx, p.Team)
	if s, _ := stored.Step(1); s.DoneBy != 2 || stored.Version != got.Version {
		t.Errorf("stored %+v, want the first tick only", stored)
	}
}

func TestForgetTakesTheNameOutOfPlansAndKeepsTheStepDone(t *testing.T) {
	db := openDB(t)
	p := planTeam(t, db)
	_, err := db.UpdatePlan(ctx, p.Team, t0, func(p *multaque.Plan) error {
		if _, err := p.Mark(2, 2, t0); err != nil {
			return err
		}
		_, err := p.CheckIn(2, multaque.Yellow, "needs a room", 1, t0)
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := db.PersonalData(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var pd struct {
		StepsMarked []struct{ Team string }   `json:"steps_marked"`
		CheckIns    []struct{ Colour string } `json:"check_ins"`
	}
	if err := json.Unmarshal(data, &pd); err != nil {
		t.Fatal(err)
	}
	if len(pd.StepsMarked) != 1 || pd.StepsMarked[0].Team != p.Team || len(pd.CheckIns) != 1 {
		t.Fatalf("personal data %s: want the step marked and the check-in", data)
	}
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Plan(ctx, p.Team)
	if after.Mentions(2) {
		t.Errorf("plan still names the forgotten person: %+v", after)
	}
	if s, _ := after.Step(2); !s.Done {
		t.Errorf("step 2 is no longer done")
	}
	if strings.Contains(string(mustJSON(t, after)), "needs a room") {
		t.Errorf("the check-in's note stayed")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckFindsAPlanWithoutItsTeam(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	planTeam(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if problems := problemsOf(t, path, store.CheckOptions{}); len(problems) != 0 {
		t.Fatalf("Check=%q; want a sound file", problems)
	}
	tamper(t, path, func(tx *bolt.Tx) error {
		data, _ := json.Marshal(multaque.NewPlan("t9", -9, 1, t0))
		return tx.Bucket([]byte("plans")).Put([]byte("t9"), data)
	})
	problems := problemsOf(t, path, store.CheckOptions{})
	if len(problems) != 1 || !strings.Contains(problems[0], "plan t9 belongs to no team") {
		t.Fatalf("Check=%q; want the plan without a team", problems)
	}
}

func TestCheckInNoteWaitsOnce(t *testing.T) {
	db := openDB(t)
	p := planTeam(t, db)
	if err := db.WaitCheckInNote(ctx, 2, p.Team, 1, t0); err != nil {
		t.Fatal(err)
	}
	if aw, err := db.Awaiting(ctx, 2); err != nil || aw != multaque.AwaitCheckInNote {
		t.Fatalf("Awaiting=%q, %v; want the check-in's line", aw, err)
	}
	team, period, at, ok, err := db.TakeCheckInNote(ctx, 2)
	if err != nil || !ok || team != p.Team || period != 1 || !at.Equal(t0) {
		t.Fatalf("TakeCheckInNote=%s %d %v %v %v", team, period, at, ok, err)
	}
	if _, _, _, ok, _ := db.TakeCheckInNote(ctx, 2); ok {
		t.Errorf("a line was taken twice")
	}
	// Forgetting the mentor forgets what waits for them.
	if err := db.WaitCheckInNote(ctx, 2, p.Team, 2, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if aw, _ := db.Awaiting(ctx, 2); aw != multaque.AwaitNothing {
		t.Errorf("after /forget Awaiting=%q", aw)
	}
}

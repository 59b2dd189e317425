package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func newCoordinator(id int64, communities ...string) *multaque.Coordinator {
	return &multaque.Coordinator{ID: id, Communities: communities, Lang: multaque.Spanish, AddedAt: t0}
}

func saveCoordinator(t testing.TB, db *store.DB, c *multaque.Coordinator) {
	t.Helper()
	if err := db.SaveCoordinator(ctx, c); err != nil {
		t.Fatalf("SaveCoordinator(%d): %v", c.ID, err)
	}
}

func coordinatorIDs(t testing.TB, db *store.DB) []int64 {
	t.Helper()
	cs, err := db.Coordinators(ctx)
	if err != nil {
		t.Fatalf("Coordinators: %v", err)
	}
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func codesHeld(t testing.TB, db *store.DB) int {
	t.Helper()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("codes")).Stats().KeyN
		return nil
	})
	return n
}

func TestCoordinatorCodeMakesACoordinatorOnce(t *testing.T) {
	db := openDB(t, fast)
	code, err := db.CreateCoordinatorCode(ctx, 1, []string{"gracia", "sants"}, t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("CreateCoordinatorCode: %v", err)
	}
	if !codeChars.MatchString(code) || len("k_"+code) > 64 {
		t.Fatalf("code %q, want at least 10 of a-z0-9 that fit a deep link", code)
	}
	by, scope, err := db.CheckCoordinatorCode(ctx, code, t0)
	if err != nil || by != 1 || !slices.Equal(scope, []string{"gracia", "sants"}) {
		t.Fatalf("CheckCoordinatorCode=%d, %v, %v; want 1, [gracia sants], nil", by, scope, err)
	}

	at := t0.Add(time.Hour)
	var told []int64
	got, by, err := db.RedeemCoordinatorCode(ctx, code, multaque.Coordinator{ID: 7, Name: "Núria", Lang: multaque.Catalan}, at,
		func(c *multaque.Coordinator, by int64) []multaque.OutboxItem {
			told = append(told, by)
			return []multaque.OutboxItem{{Kind: "coordinator", Chat: by, Text: "joined"}}
		})
	if err != nil {
		t.Fatalf("RedeemCoordinatorCode: %v", err)
	}
	if by != 1 || !slices.Equal(told, []int64{1}) {
		t.Errorf("RedeemCoordinatorCode by=%d, items for %v; want 1, [1]", by, told)
	}
	stored, err := db.Coordinator(ctx, 7)
	if err != nil {
		t.Fatalf("Coordinator(7): %v", err)
	}
	if !slices.Equal(stored.Communities, []string{"gracia", "sants"}) || !stored.AddedAt.Equal(at) || stored.Name != "Núria" {
		t.Errorf("stored %+v, want scope [gracia sants], added at %v, named Núria", stored, at)
	}
	if got.ID != 7 || !slices.Equal(got.Communities, stored.Communities) {
		t.Errorf("returned %+v, want what was stored: %+v", got, stored)
	}
	if n, _ := db.OutboxLen(ctx); n != 1 {
		t.Errorf("OutboxLen=%d, want 1: the inviter is told in the same transaction", n)
	}
	if codesHeld(t, db) != 0 {
		t.Errorf("the used code is still held")
	}

	_, _, err = db.RedeemCoordinatorCode(ctx, code, multaque.Coordinator{ID: 8, Lang: multaque.Catalan}, at, nil)
	wantCode(t, err, multaque.ENOTFOUND)
	_, _, err = db.CheckCoordinatorCode(ctx, code, at)
	wantCode(t, err, multaque.ENOTFOUND)
	if _, err := db.Coordinator(ctx, 8); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("a used code made 8 a coordinator: %v", err)
	}
}

func TestCoordinatorCodeRefusals(t *testing.T) {
	db := openDB(t, fast)
	expires := t0.Add(24 * time.Hour)
	code, err := db.CreateCoordinatorCode(ctx, 1, nil, t0, expires)
	if err != nil {
		t.Fatalf("CreateCoordinatorCode: %v", err)
	}

	// Someone who is a coordinator already leaves the code unused.
	saveCoordinator(t, db, newCoordinator(5))
	_, _, err = db.RedeemCoordinatorCode(ctx, code, multaque.Coordinator{ID: 5, Lang: multaque.Catalan}, t0, nil)
	wantCode(t, err, multaque.ECONFLICT)
	if _, _, err := db.CheckCoordinatorCode(ctx, code, t0); err != nil {
		t.Fatalf("after a conflict, CheckCoordinatorCode: %v, want the code unused", err)
	}

	// Expired: refused, and nothing stored.
	_, _, err = db.RedeemCoordinatorCode(ctx, code, multaque.Coordinator{ID: 6, Lang: multaque.Catalan}, expires, nil)
	wantCode(t, err, multaque.EINVALID)
	if msg := multaque.ErrorMessage(err); msg != "expired" {
		t.Errorf("ErrorMessage=%q, want expired", msg)
	}
	if _, err := db.Coordinator(ctx, 6); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("an expired code made 6 a coordinator: %v", err)
	}

	// An invalid person: refused before anything is read.
	_, _, err = db.RedeemCoordinatorCode(ctx, code, multaque.Coordinator{ID: 6, Lang: "xx"}, t0, nil)
	wantCode(t, err, multaque.EINVALID)

	// Mentor codes and coordinator codes are not each other.
	mentor, err := db.CreateMentorCode(ctx, 1, expires)
	if err != nil {
		t.Fatalf("CreateMentorCode: %v", err)
	}
	_, _, err = db.RedeemCoordinatorCode(ctx, mentor, multaque.Coordinator{ID: 6, Lang: multaque.Catalan}, t0, nil)
	wantCode(t, err, multaque.ENOTFOUND)
	wantCode(t, db.CheckMentorCode(ctx, code, t0), multaque.ENOTFOUND)

	// Bad invites are refused.
	for _, tt := range []struct {
		name        string
		by          int64
		communities []string
		expires     time.Time
	}{
		{"no creator", 0, nil, expires},
		{"no expiry", 1, nil, time.Time{}},
		{"bad community id", 1, []string{"Gràcia"}, expires},
		{"community twice", 1, []string{"gracia", "gracia"}, expires},
	} {
		_, err := db.CreateCoordinatorCode(ctx, tt.by, tt.communities, t0, tt.expires)
		if multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("%s: CreateCoordinatorCode err=%v, want EINVALID", tt.name, err)
		}
	}
}

func TestCreateCoordinatorCodePurgesExpiredOnes(t *testing.T) {
	db := openDB(t, fast)
	if _, err := db.CreateCoordinatorCode(ctx, 1, nil, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMentorCode(ctx, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(2 * time.Hour)
	code, err := db.CreateCoordinatorCode(ctx, 1, nil, later, later.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The expired coordinator code is gone; the mentor code is the mentor
	// invites' business.
	if n := codesHeld(t, db); n != 2 {
		t.Errorf("codes held=%d, want 2: the new code and the mentor code", n)
	}
	if _, _, err := db.CheckCoordinatorCode(ctx, code, later); err != nil {
		t.Errorf("CheckCoordinatorCode(new): %v", err)
	}
}

func TestUpdateCoordinators(t *testing.T) {
	db := openDB(t, fast)
	saveCoordinator(t, db, newCoordinator(1))
	saveCoordinator(t, db, newCoordinator(2, "gracia"))

	err := db.UpdateCoordinators(ctx, func(cs map[int64]*multaque.Coordinator) error {
		if len(cs) != 2 || cs[1] == nil || cs[2] == nil {
			t.Errorf("fn got %v, want coordinators 1 and 2", cs)
		}
		delete(cs, 1)
		cs[2].Communities = []string{"sants"}
		cs[3] = newCoordinator(3, "barcelona")
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateCoordinators: %v", err)
	}
	if ids := coordinatorIDs(t, db); !slices.Equal(ids, []int64{2, 3}) {
		t.Errorf("coordinators %v, want [2 3]", ids)
	}
	if c, err := db.Coordinator(ctx, 2); err != nil || !slices.Equal(c.Communities, []string{"sants"}) {
		t.Errorf("Coordinator(2)=%+v, %v; want scope [sants]", c, err)
	}

	// An error from fn, or a record that is not valid, changes nothing.
	refusal := errors.New("no")
	err = db.UpdateCoordinators(ctx, func(cs map[int64]*multaque.Coordinator) error {
		delete(cs, 2)
		return refusal
	})
	if !errors.Is(err, refusal) {
		t.Errorf("UpdateCoordinators err=%v, want fn's", err)
	}
	err = db.UpdateCoordinators(ctx, func(cs map[int64]*multaque.Coordinator) error {
		delete(cs, 2)
		cs[4] = &multaque.Coordinator{ID: 4, Lang: multaque.Catalan} // no AddedAt
		return nil
	})
	wantCode(t, err, multaque.EINVALID)
	err = db.UpdateCoordinators(ctx, func(cs map[int64]*multaque.Coordinator) error {
		cs[5] = newCoordinator(6)
		return nil
	})
	wantCode(t, err, multaque.EINVALID)
	if ids := coordinatorIDs(t, db); !slices.Equal(ids, []int64{2, 3}) {
		t.Errorf("after refused changes, coordinators %v, want [2 3]", ids)
	}
}

func audit(t testing.TB, db *store.DB, es ...multaque.AuditEntry) {
	t.Helper()
	for _, e := range es {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
}

func TestAuditLogBy(t *testing.T) {
	db := openDB(t, fast)
	for i, actor := range []int64{1, 2, 1, 3, 1} {
		audit(t, db, multaque.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: actor, Command: "stats"})
	}
	got, err := db.AuditLogBy(ctx, 1, 2)
	if err != nil {
		t.Fatalf("AuditLogBy: %v", err)
	}
	if len(got) != 2 || !got[0].At.Equal(t0.Add(4*time.Minute)) || !got[1].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("AuditLogBy(1, 2)=%+v, want the entries of minutes 4 and 2", got)
	}
	if got, _ := db.AuditLogBy(ctx, 2, 10); len(got) != 1 || got[0].Actor != 2 {
		t.Errorf("AuditLogBy(2, 10)=%+v, want its one entry", got)
	}
	if got, _ := db.AuditLogBy(ctx, 9, 10); len(got) != 0 {
		t.Errorf("AuditLogBy(9, 10)=%+v, want none", got)
	}
}

// TestForgetErasesRefusedAttempts: a person who erases their data takes
// with them the audit entries of commands they were refused, but not what
// they did as a coordinator, and a coordinator keeps every entry.
func TestForgetErasesRefusedAttempts(t *testing.T) {
	db := openDB(t, fast)
	for _, id := range []int64{5, 6, 7} {
		save(t, db, newCitizen(id, "Anna", "gracia", "consumer-group"))
	}
	saveCoordinator(t, db, newCoordinator(6))
	audit(t, db,
		multaque.AuditEntry{At: t0, Actor: 5, Command: "stats", Refused: true},
		multaque.AuditEntry{At: t0, Actor: 6, Command: "stats", Refused: true},
		multaque.AuditEntry{At: t0, Actor: 6, Command: "stats"},
		multaque.AuditEntry{At: t0, Actor: 7, Command: "broadcast"},            // when they were a coordinator
		multaque.AuditEntry{At: t0, Actor: 7, Command: "stats", Refused: true}, // once they were not
		multaque.AuditEntry{At: t0, Actor: 8, Command: "stats", Refused: true},
	)
	for _, id := range []int64{5, 6, 7} {
		if err := db.ForgetCitizen(ctx, id); err != nil {
			t.Fatalf("ForgetCitizen(%d): %v", id, err)
		}
	}
	log, err := db.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	type kept struct {
		actor   int64
		refused bool
	}
	var got []kept
	for _, e := range log {
		got = append(got, kept{e.Actor, e.Refused})
	}
	want := []kept{{8, true}, {7, false}, {6, false}, {6, true}}
	if !slices.Equal(got, want) {
		t.Errorf("audit log after /forget holds %v, want %v", got, want)
	}
}

// TestRefusedAttemptsAreTheirData: someone who never answered the survey
// but was refused a coordinators' command is held in the audit log by
// their id: /mydata shows it and /forget erases it. A coordinator's /mydata
// shows their coordinator record and every entry of theirs, which /forget
// keeps.
func TestRefusedAttemptsAreTheirData(t *testing.T) {
	db := openDB(t, fast)
	saveCoordinator(t, db, newCoordinator(6))
	audit(t, db,
		multaque.AuditEntry{At: t0, Actor: 5, Command: "stats", Refused: true},
		multaque.AuditEntry{At: t0, Actor: 5, Command: "export", Refused: true},
		multaque.AuditEntry{At: t0, Actor: 6, Command: "threshold", Detail: "consumer-group 2 10"},
		multaque.AuditEntry{At: t0, Actor: 8, Command: "stats", Refused: true},
	)

	var pd struct {
		Coordinator *multaque.Coordinator `json:"coordinator"`
		Audit       []multaque.AuditEntry `json:"audit_entries"`
	}
	personal := func(id int64) {
		t.Helper()
		pd.Coordinator, pd.Audit = nil, nil
		raw, err := db.PersonalData(ctx, id)
		if err != nil {
			t.Fatalf("PersonalData(%d): %v", id, err)
		}
		if err := json.Unmarshal(raw, &pd); err != nil {
			t.Fatalf("PersonalData(%d) is not JSON: %v", id, err)
		}
	}
	personal(5)
	if pd.Coordinator != nil || len(pd.Audit) != 2 || pd.Audit[0].Command != "stats" || pd.Audit[1].Command != "export" {
		t.Errorf("PersonalData(5) = coordinator %+v, audit %+v; want no record and the two refused commands", pd.Coordinator, pd.Audit)
	}
	personal(6)
	if pd.Coordinator == nil || pd.Coordinator.ID != 6 || len(pd.Audit) != 1 || pd.Audit[0].Command != "threshold" {
		t.Errorf("PersonalData(6) = coordinator %+v, audit %+v; want their record and their threshold", pd.Coordinator, pd.Audit)
	}

	if err := db.ForgetCitizen(ctx, 5); err != nil {
		t.Fatalf("ForgetCitizen(5), who holds only refused attempts: %v, want them erased", err)
	}
	if _, err := db.PersonalData(ctx, 5); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("PersonalData(5) after /forget: %v, want ENOTFOUND", err)
	}
	if err := db.ForgetCitizen(ctx, 6); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("ForgetCitizen(6), a coordinator with no citizen data: %v, want ENOTFOUND (nothing erasable)", err)
	}
	personal(6)
	if pd.Coordinator == nil || len(pd.Audit) != 1 {
		t.Errorf("after /forget the coordinator's record and entry are %+v, %+v; want both kept", pd.Coordinator, pd.Audit)
	}
	log, err := db.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Actor != 8 || log[1].Actor != 6 {
		t.Errorf("audit log after /forget: %+v, want the entries of 8 and 6", log)
	}
}

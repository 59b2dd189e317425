package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// openDB opens a store in a temporary directory. When the test ends it runs
// bbolt's consistency check and closes it.
func openDB(t testing.TB, opts ...store.Option) *store.DB {
	t.Helper()
	return openDBAt(t, filepath.Join(t.TempDir(), "multaque.db"), opts...)
}

// openDBAt is openDB for a given file.
func openDBAt(t testing.TB, path string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	return db
}

func checkAndClose(t testing.TB, db *store.DB) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("consistency check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("View: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// fast makes every write commit at once: for tests that write one after
// another, which would otherwise wait for company on every write.
var fast = store.BatchDelay(0)

var ctx = context.Background()

// t0 is a fixed time for tests; the store keeps times to the nanosecond.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)

func newCitizen(id int64, name, community string, projects ...string) *multaque.Citizen {
	c := &multaque.Citizen{
		ID:        id,
		Lang:      multaque.Catalan,
		Name:      name,
		Community: community,
		Survey:    multaque.Survey{Step: multaque.StepDone, Version: 3},
		ConsentAt: t0,
		UpdatedAt: t0,
	}
	for i, p := range projects {
		c.Interests = append(c.Interests, multaque.Interest{Project: p, Since: t0.Add(time.Duration(i) * time.Minute)})
	}
	return c
}

func save(t testing.TB, db *store.DB, c *multaque.Citizen) {
	t.Helper()
	if err := db.SaveCitizen(ctx, c); err != nil {
		t.Fatalf("SaveCitizen(%d): %v", c.ID, err)
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := multaque.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode(%v)=%q, want %q", err, got, code)
	}
}

func TestOpenCreatesBucketsAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer checkAndClose(t, db)
	if got := db.Path(); got != path {
		t.Errorf("Path()=%q, want %q", got, path)
	}
	want := []string{"audit", "broadcasts", "citizens", "codes", "coordinators", "dead", "decisions", "erased", "mentors", "meta",
		"outbox", "plan_notes", "plans", "pool", "proposals", "queues", "queues_by_age", "queues_by_size", "refcodes", "teams", "teams_by_chat", "thresholds", "updates", "waiting"}
	want = append(want, "joins", "teams_by_member", "teams_by_state")                                                        // issue 21
	want = append(want, "fund_bonuses", "funds", "goal_deadlines", "goals", "pledge_typing", "pledges", "pledges_by_person") // issue 17
	slices.Sort(want)
	if got := db.Buckets(); !slices.Equal(got, want) {
		t.Errorf("Buckets()=%q, want %q", got, want)
	}
	var inFile []string
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); len(v) != 8 || binary.BigEndian.Uint64(v) != store.SchemaVersion {
			t.Errorf("schema=%x, want %d", v, store.SchemaVersion)
		}
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			inFile = append(inFile, string(name))
			return nil
		})
	})
	if !slices.Equal(inFile, want) {
		t.Errorf("buckets in file=%q, want %q", inFile, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode=%v, want 0600", got)
	}
}

func TestOpenLockedFailsFast(t *testing.T) {
	db := openDB(t)
	start := time.Now()
	db2, err := store.Open(db.Path())
	elapsed := time.Since(start)
	if err == nil {
		db2.Close()
		t.Fatal("second Open succeeded, want an error")
	}
	wantCode(t, err, multaque.EUNAVAILABLE)
	if msg := multaque.ErrorMessage(err); !strings.Contains(msg, db.Path()) || !strings.Contains(msg, "locked") {
		t.Errorf("error message %q does not say the path is locked", msg)
	}
	if elapsed > 3*time.Second {
		t.Errorf("second Open took %v, want < 3s", elapsed)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
	})
	bdb.Close()
	db, err = store.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a newer schema succeeded, want an error")
	}
	wantCode(t, err, multaque.EINTERNAL)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	c := newCitizen(42, "Mercè", "gracia", "energy")
	save(t, db, c)
	if _, err := db.RecordUpdate(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer checkAndClose(t, db)
	got, err := db.Citizen(ctx, 42)
	if err != nil {
		t.Fatalf("Citizen after reopen: %v", err)
	}
	if got.Name != c.Name || got.RefCode != c.RefCode {
		t.Errorf("after reopen Name=%q RefCode=%q, want %q %q", got.Name, got.RefCode, c.Name, c.RefCode)
	}
	if fresh, err := db.RecordUpdate(ctx, 1000); err != nil || fresh {
		t.Errorf("RecordUpdate(1000) after reopen=%v, %v, want false, nil", fresh, err)
	}
	n, err := db.CountWaiting(ctx, "gracia", []string{"energy"})
	if err != nil || n["energy"] != 1 {
		t.Errorf("CountWaiting after reopen=%v, %v, want energy:1", n, err)
	}
}

func TestCanceledContext(t *testing.T) {
	db := openDB(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	checks := map[string]error{}
	_, checks["Citizen"] = db.Citizen(cctx, 1)
	checks["SaveCitizen"] = db.SaveCitizen(cctx, newCitizen(1, "A", ""))
	_, checks["UpdateCitizen"] = db.UpdateCitizen(cctx, 1, func(*multaque.Citizen) error { return nil })
	checks["ForgetCitizen"] = db.ForgetCitizen(cctx, 1)
	_, checks["CitizenByRefCode"] = db.CitizenByRefCode(cctx, "x")
	checks["AddReferral"] = db.AddReferral(cctx, "x")
	checks["MarkUnreachable"] = db.MarkUnreachable(cctx, 1)
	_, checks["CountWaiting"] = db.CountWaiting(cctx, "a", nil)
	_, checks["RecordUpdate"] = db.RecordUpdate(cctx, 1)
	_, checks["PersonalData"] = db.PersonalData(cctx, 1)
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", name, err)
		}
	}
	if _, err := db.Citizen(ctx, 1); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("Citizen after canceled save: %v, want ENOTFOUND", err)
	}
}

package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

func TestSaveCitizenRoundTrip(t *testing.T) {
	db := openDB(t, fast)
	c := newCitizen(42, "Mercè Rodoreda", "gracia", "energy", "consumer-group")
	c.Referrals = 3
	c.Survey.Editing = true
	save(t, db, c)
	got, err := db.Citizen(ctx, 42)
	if err != nil {
		t.Fatalf("Citizen: %v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("Citizen(42)=%+v, want %+v", got, c)
	}
}

func TestCitizenNotFound(t *testing.T) {
	db := openDB(t)
	_, err := db.Citizen(ctx, 404)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestSaveCitizenRejectsInvalid(t *testing.T) {
	tests := map[string]func(c *multaque.Citizen){
		"zero id":            func(c *multaque.Citizen) { c.ID = 0 },
		"unknown language":   func(c *multaque.Citizen) { c.Lang = "xx" },
		"no consent":         func(c *multaque.Citizen) { c.ConsentAt = time.Time{} },
		"control characters": func(c *multaque.Citizen) { c.Name = "A\x07B" },
		"interest twice":     func(c *multaque.Citizen) { c.Interests = append(c.Interests, c.Interests[0]) },
		"slash in community": func(c *multaque.Citizen) { c.Community = "gracia/energy" },
		"slash in project":   func(c *multaque.Citizen) { c.Interests[0].Project = "a/b" },
		"no since":           func(c *multaque.Citizen) { c.Interests[0].Since = time.Time{} },
		"bad ref code":       func(c *multaque.Citizen) { c.RefCode = "Not-A-Code" },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			db := openDB(t, fast)
			c := newCitizen(42, "Secret Name", "gracia", "energy")
			spoil(c)
			err := db.SaveCitizen(ctx, c)
			wantCode(t, err, multaque.EINVALID)
			if err != nil && regexp.MustCompile(`Secret|gracia`).MatchString(err.Error()) {
				t.Errorf("error %q carries personal data", err)
			}
			if _, err := db.Citizen(ctx, c.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
				t.Errorf("Citizen after rejected save: %v, want ENOTFOUND", err)
			}
		})
	}
}

func TestSaveCitizenRefCode(t *testing.T) {
	db := openDB(t, fast)
	a := newCitizen(1, "A", "gracia")
	save(t, db, a)
	if !regexp.MustCompile(`^[a-z0-9]{8}$`).MatchString(a.RefCode) {
		t.Fatalf("RefCode=%q, want 8 characters of a-z0-9", a.RefCode)
	}
	code := a.RefCode

	// A record saved without its code keeps the stored one.
	again := newCitizen(1, "A", "gracia")
	save(t, db, again)
	if again.RefCode != code {
		t.Errorf("RefCode after saving without one=%q, want %q", again.RefCode, code)
	}
	if id, err := db.CitizenByRefCode(ctx, code); err != nil || id != 1 {
		t.Errorf("CitizenByRefCode(%q)=%d, %v, want 1, nil", code, id, err)
	}

	// Someone else's code is a conflict.
	b := newCitizen(2, "B", "gracia")
	b.RefCode = code
	wantCode(t, db.SaveCitizen(ctx, b), multaque.ECONFLICT)

	// A new code replaces the old one.
	a.RefCode = "newcode1"
	save(t, db, a)
	if _, err := db.CitizenByRefCode(ctx, code); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("old code after change: %v, want ENOTFOUND", err)
	}
	if id, err := db.CitizenByRefCode(ctx, "newcode1"); err != nil || id != 1 {
		t.Errorf("CitizenByRefCode(newcode1)=%d, %v, want 1, nil", id, err)
	}
}

func TestUpdateCitizen(t *testing.T) {
	db := openDB(t, fast)
	save(t, db, newCitizen(42, "Mercè", "gracia", "energy"))

	got, err := db.UpdateCitizen(ctx, 42, func(c *multaque.Citizen) error {
		c.Name = "Mercè R."
		c.Survey.Version++
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateCitizen: %v", err)
	}
	if got.Name != "Mercè R." || got.Survey.Version != 4 {
		t.Errorf("returned Name=%q Version=%d, want %q 4", got.Name, got.Survey.Version, "Mercè R.")
	}
	stored, _ := db.Citizen(ctx, 42)
	if !reflect.DeepEqual(stored, got) {
		t.Errorf("stored=%+v, want what UpdateCitizen returned %+v", stored, got)
	}

	t.Run("fn error aborts", func(t *testing.T) {
		errNo := errors.New("no")
		_, err := db.UpdateCitizen(ctx, 42, func(c *multaque.Citizen) error {
			c.Name = "Changed"
			return errNo
		})
		if !errors.Is(err, errNo) {
			t.Errorf("UpdateCitizen error=%v, want fn's error", err)
		}
		if c, _ := db.Citizen(ctx, 42); c.Name != "Mercè R." {
			t.Errorf("Name after aborted update=%q, want %q", c.Name, "Mercè R.")
		}
	})
	t.Run("invalid result", func(t *testing.T) {
		_, err := db.UpdateCitizen(ctx, 42, func(c *multaque.Citizen) error {
			c.Lang = "xx"
			return nil
		})
		wantCode(t, err, multaque.EINVALID)
	})
	t.Run("id change", func(t *testing.T) {
		_, err := db.UpdateCitizen(ctx, 42, func(c *multaque.Citizen) error {
			c.ID = 43
			return nil
		})
		wantCode(t, err, multaque.EINVALID)
	})
	t.Run("not found", func(t *testing.T) {
		called := false
		_, err := db.UpdateCitizen(ctx, 404, func(c *multaque.Citizen) error {
			called = true
			return nil
		})
		wantCode(t, err, multaque.ENOTFOUND)
		if called {
			t.Error("fn was called for a missing citizen")
		}
	})
}

// Concurrent read-modify-writes of one record, sharing batches, must lose no
// update even when bbolt runs a batch again because one of them failed.
func TestUpdateCitizenConcurrent(t *testing.T) {
	db := openDB(t)
	save(t, db, newCitizen(42, "Mercè", "gracia", "energy"))
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := db.UpdateCitizen(ctx, 42, func(c *multaque.Citizen) error {
				if i%5 == 0 {
					return errors.New("refused") // fails its batch, which runs again without it
				}
				c.Referrals++
				return nil
			})
			if (err != nil) != (i%5 == 0) {
				t.Errorf("UpdateCitizen #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	c, err := db.Citizen(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if want := n - n/5; c.Referrals != want {
		t.Errorf("Referrals=%d, want %d", c.Referrals, want)
	}
}

func TestSaveCitizenConcurrent(t *testing.T) {
	db := openDB(t)
	const n = 100
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Go(func() {
			c := newCitizen(int64(i+1), fmt.Sprintf("Person %d", i), "gracia", "energy", "time-bank")
			if err := db.SaveCitizen(ctx, c); err != nil {
				t.Errorf("SaveCitizen(%d): %v", c.ID, err)
			}
			codes[i] = c.RefCode
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		c, err := db.Citizen(ctx, int64(i+1))
		if err != nil {
			t.Fatalf("Citizen(%d): %v", i+1, err)
		}
		if want := fmt.Sprintf("Person %d", i); c.Name != want || c.RefCode != codes[i] {
			t.Errorf("Citizen(%d) Name=%q RefCode=%q, want %q %q", i+1, c.Name, c.RefCode, want, codes[i])
		}
		if seen[c.RefCode] {
			t.Errorf("RefCode %q given twice", c.RefCode)
		}
		seen[c.RefCode] = true
	}
	got, err := db.CountWaiting(ctx, "gracia", []string{"energy", "time-bank"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"energy": n, "time-bank": n}; !reflect.DeepEqual(got, want) {
		t.Errorf("CountWaiting=%v, want %v", got, want)
	}
}

func TestMarkUnreachable(t *testing.T) {
	db := openDB(t, fast)
	save(t, db, newCitizen(1, "A", "gracia", "energy"))
	save(t, db, newCitizen(2, "B", "gracia", "energy"))
	if err := db.MarkUnreachable(ctx, 1); err != nil {
		t.Fatalf("MarkUnreachable: %v", err)
	}
	if c, _ := db.Citizen(ctx, 1); !c.Unreachable {
		t.Error("Unreachable=false after MarkUnreachable")
	}
	if got := waitingKeys(t, db); !reflect.DeepEqual(got, []string{key("gracia", "energy", t0, 2)}) {
		t.Errorf("waiting=%q, want only citizen 2", got)
	}
	if err := db.MarkUnreachable(ctx, 1); err != nil {
		t.Errorf("MarkUnreachable again: %v", err)
	}
	if err := db.MarkUnreachable(ctx, 404); err != nil {
		t.Errorf("MarkUnreachable(absent): %v, want nil", err)
	}
}

// When one function of a batch fails hard (here: panics), bbolt rolls the
// whole batch back and runs the others again. Every write must still happen
// exactly once, and every result must be the one of the run that committed.
func TestBatchRerunIsIdempotent(t *testing.T) {
	db := openDB(t, store.BatchDelay(20*time.Millisecond)) // so that all share batches
	owner := newCitizen(1, "Owner", "gracia", "energy")
	save(t, db, owner)
	const n = 60
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for i := range n {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				defer func() {
					if recover() == nil {
						t.Errorf("UpdateCitizen #%d: fn's panic was swallowed", i)
					}
				}()
				db.UpdateCitizen(ctx, 1, func(c *multaque.Citizen) error { panic("boom") })
			case 1:
				if err := db.AddReferral(ctx, owner.RefCode); err != nil {
					t.Errorf("AddReferral: %v", err)
				}
			case 2:
				ok, err := db.RecordUpdate(ctx, 7) // the same update, delivered many times
				if err != nil {
					t.Errorf("RecordUpdate: %v", err)
				}
				if ok {
					fresh.Add(1)
				}
			case 3:
				c := newCitizen(int64(100+i), "New", "gracia", "energy")
				if err := db.SaveCitizen(ctx, c); err != nil {
					t.Errorf("SaveCitizen: %v", err)
				}
				if id, err := db.CitizenByRefCode(ctx, c.RefCode); err != nil || id != c.ID {
					t.Errorf("CitizenByRefCode(code given to %d)=%d, %v", c.ID, id, err)
				}
			}
		})
	}
	wg.Wait()
	if got, _ := db.Citizen(ctx, 1); got.Referrals != n/4 {
		t.Errorf("Referrals=%d, want %d", got.Referrals, n/4)
	}
	if got := fresh.Load(); got != 1 {
		t.Errorf("update 7 fresh %d times, want 1", got)
	}
	if got, _ := db.CountWaiting(ctx, "gracia", []string{"energy"}); got["energy"] != 1+n/4 {
		t.Errorf("CountWaiting=%v, want energy:%d", got, 1+n/4)
	}
	var codes int
	db.View(func(tx *bolt.Tx) error {
		codes = tx.Bucket([]byte("refcodes")).Stats().KeyN
		return nil
	})
	if codes != 1+n/4 {
		t.Errorf("refcodes holds %d codes, want %d (one per citizen)", codes, 1+n/4)
	}
}

package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

func record(t testing.TB, db *store.DB, id int) bool {
	t.Helper()
	fresh, err := db.RecordUpdate(ctx, id)
	if err != nil {
		t.Fatalf("RecordUpdate(%d): %v", id, err)
	}
	return fresh
}

func heldUpdates(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("updates")).Stats().KeyN
		return nil
	})
	return n
}

func TestRecordUpdate(t *testing.T) {
	db := openDB(t, fast)
	if !record(t, db, 100) {
		t.Error("RecordUpdate(100) first time: fresh=false, want true")
	}
	if record(t, db, 100) {
		t.Error("RecordUpdate(100) again: fresh=true, want false")
	}
	if !record(t, db, 101) {
		t.Error("RecordUpdate(101): fresh=false, want true")
	}
	_, err := db.RecordUpdate(ctx, -1)
	wantCode(t, err, multaque.EINVALID)
}

func TestRecordUpdatePrunes(t *testing.T) {
	const keep = 100
	db := openDB(t, fast, store.KeepUpdates(keep))
	for id := 1; id <= 3*keep; id++ {
		record(t, db, id)
		if n := heldUpdates(t, db); n > keep {
			t.Fatalf("after %d updates the bucket holds %d, want at most %d", id, n, keep)
		}
	}
	if n := heldUpdates(t, db); n != keep {
		t.Errorf("bucket holds %d, want %d", n, keep)
	}
	// The newest are remembered, the oldest forgotten.
	if record(t, db, 3*keep) {
		t.Errorf("RecordUpdate(%d) (recent) again: fresh=true, want false", 3*keep)
	}
	if !record(t, db, 1) {
		t.Error("RecordUpdate(1) (pruned) again: fresh=false, want true")
	}
	if n := heldUpdates(t, db); n != keep {
		t.Errorf("bucket holds %d, want %d", n, keep)
	}
}

// After a week without updates Telegram numbers them afresh from a random
// point, possibly lower: the new ids must not be pruned as the oldest.
func TestRecordUpdateForgetsAfterSilence(t *testing.T) {
	const keep = 10
	var now atomic.Pointer[time.Time]
	now.Store(&t0)
	db := openDB(t, fast, store.KeepUpdates(keep), store.WithClock(func() time.Time { return *now.Load() }))
	for id := 5000; id < 5000+keep; id++ {
		record(t, db, id)
	}
	later := t0.Add(8 * 24 * time.Hour)
	now.Store(&later)
	for id := 10; id < 10+keep; id++ {
		if !record(t, db, id) {
			t.Errorf("RecordUpdate(%d) after the silence: fresh=false, want true", id)
		}
	}
	for id := 10; id < 10+keep; id++ {
		if record(t, db, id) {
			t.Errorf("RecordUpdate(%d) again: fresh=true, want false", id)
		}
	}
	if n := heldUpdates(t, db); n != keep {
		t.Errorf("bucket holds %d, want %d", n, keep)
	}
}

// Concurrent deliveries of the same updates share batches; each update must
// still be fresh for exactly one of them.
func TestRecordUpdateConcurrent(t *testing.T) {
	db := openDB(t)
	const goroutines, updates = 50, 200
	var fresh [updates]atomic.Int32
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range updates {
				id := (i + g*7) % updates // each goroutine in its own order
				ok, err := db.RecordUpdate(ctx, id)
				if err != nil {
					t.Errorf("RecordUpdate(%d): %v", id, err)
					return
				}
				if ok {
					fresh[id].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for id := range updates {
		if n := fresh[id].Load(); n != 1 {
			t.Errorf("update %d was fresh %d times, want 1", id, n)
		}
	}
}

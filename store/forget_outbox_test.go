package store_test

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// scanAll calls fn for every key and value in every bucket, nested ones too.
func scanAll(tx *bolt.Tx, fn func(path string, k, v []byte)) error {
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if nested := b.Bucket(k); nested != nil {
					return walk(path+"/"+string(k), nested)
				}
			}
			fn(path, k, v)
			return nil
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
}

func TestForgetClearsTheOutbox(t *testing.T) {
	db := openDB(t)
	save(t, db, newCitizen(2, "Zuriñe Aranburu", "gracia", "consumer-group"))
	save(t, db, newCitizen(3, "Other", "gracia", "consumer-group"))
	ids, err := db.Enqueue(ctx,
		multaque.OutboxItem{Kind: "invite", Chat: 2, Text: "Hola Zuriñe Aranburu", DedupKey: "invite/t1/-1001/2"},
		multaque.OutboxItem{Kind: "invite", Chat: 2, Text: "again", DedupKey: "remind/t1/-1001/2"},
		multaque.OutboxItem{Kind: "invite", Chat: 3, Text: "for someone else", DedupKey: "invite/t1/-1001/3"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Bury(ctx, ids[1], "bad request"); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.OutboxLen(ctx); n != 1 {
		t.Fatalf("OutboxLen=%d, want 1 (the other person's message)", n)
	}
	idKey := make([]byte, 8)
	idKey[7] = 2
	err = db.View(func(tx *bolt.Tx) error {
		return scanAll(tx, func(path string, k, v []byte) {
			for _, needle := range [][]byte{[]byte("Zuriñe"), []byte(`"chat":2,`), []byte("/2")} {
				if bytes.Contains(k, needle) && bytes.HasSuffix(k, needle) || bytes.Contains(v, needle) {
					t.Errorf("%s still holds %q (key %q)", path, needle, k)
				}
			}
			if path == "citizens" && bytes.Equal(k, idKey) {
				t.Errorf("citizens still holds the record")
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The other person's dedup key stays: their message is not sent twice.
	again, err := db.Enqueue(ctx, multaque.OutboxItem{Kind: "invite", Chat: 3, Text: "x", DedupKey: "invite/t1/-1001/3"})
	if err != nil || again[0] != 0 {
		t.Fatalf("Enqueue of a kept key=%v,%v, want skipped (id 0)", again, err)
	}
}

// BenchmarkForgetWithBroadcastQueued erases one citizen among 100,000 while
// a broadcast to all of them waits in the outbox, and reports the pages one
// erasure writes and the CPU time it takes. The layouts, side by side in
// one run:
//
//   - empty: no broadcast (the outbox holds nothing);
//   - broadcast: the broadcast as QueueBroadcast queues it;
//   - broadcast+keys: the same messages each with the dedup key
//     broadcast/<id>/<citizen>, as queueing wrote them until 2026-11 and as
//     a database keeps them for KeepDedupKeys after that.
//
// Run it with:
//
//	go test -run='^$' -bench=ForgetWithBroadcastQueued -count=3 ./store/
func BenchmarkForgetWithBroadcastQueued(b *testing.B) {
	const people = 100_000
	for _, layout := range []string{"empty", "broadcast", "broadcast+keys"} {
		b.Run("outbox="+layout, func(b *testing.B) {
			db := filledDB(b, "forget", people, func(i int) *multaque.Citizen {
				return newCitizen(int64(i+1), "Mercè", fmt.Sprintf("community-%d", i%50), "energy", "time-bank")
			})
			now := time.Now()
			switch layout {
			case "broadcast":
				bc := confirmedAt(b, db, now)
				if got, err := db.QueueBroadcast(ctx, bc.ID, people, now); err != nil || got.Queued != people {
					b.Fatalf("QueueBroadcast=%+v, %v; want %d queued", got, err, people)
				}
			case "broadcast+keys":
				bc := confirmedAt(b, db, now)
				items := make([]multaque.OutboxItem, people)
				for i := range items {
					chat := int64(i + 1)
					items[i] = multaque.OutboxItem{
						Kind: "broadcast", Chat: chat, Priority: multaque.PriorityBulk, ParseMode: "HTML",
						Text: broadcastTexts[multaque.Catalan], Owner: store.BroadcastOwner(bc.ID),
						DedupKey: fmt.Sprintf("broadcast/%d/%d", bc.ID, chat),
					}
				}
				if _, err := db.Enqueue(ctx, items...); err != nil {
					b.Fatal(err)
				}
			}
			// What the outbox's dedup keys take in the file.
			var keyBytes int
			_ = db.View(func(tx *bolt.Tx) error {
				ob := tx.Bucket([]byte("outbox"))
				for _, name := range []string{"keys", "keysbytime"} {
					st := ob.Bucket([]byte(name)).Stats()
					keyBytes += st.BranchAlloc + st.LeafAlloc
				}
				return nil
			})
			pages := func() int64 {
				var n int64
				_ = db.View(func(tx *bolt.Tx) error { st := tx.DB().Stats(); n = st.TxStats.GetPageCount(); return nil })
				return n
			}
			before, cpuBefore, id := pages(), cpuTime(b), int64(0)
			for b.Loop() {
				id++
				if err := db.ForgetCitizen(ctx, id%people+1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(pages()-before)/float64(b.N), "pages/op")
			b.ReportMetric(float64(keyBytes)/1e6, "keys-MB") // after the loop, which resets what came before
			b.ReportMetric(float64(cpuTime(b)-cpuBefore)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			if layout != "empty" {
				if n, err := db.OutboxLen(ctx); err != nil || n != people-int(min(id, people)) {
					b.Fatalf("OutboxLen=%d, %v after %d erasures; want %d", n, err, id, people-int(min(id, people)))
				}
			}
		})
	}
}

// cpuTime is the CPU time the process has used, in user and system mode:
// on a loaded machine it varies much less than the time on the clock.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// confirmedAt creates a broadcast to everyone by coordinator 100 at now and
// confirms it.
func confirmedAt(tb testing.TB, db *store.DB, now time.Time) *multaque.Broadcast {
	tb.Helper()
	bc, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 100}, now)
	if err == nil {
		_, err = db.PreviewBroadcast(ctx, bc.ID, broadcastTexts, 0, now)
	}
	if err == nil {
		bc, err = db.ConfirmBroadcast(ctx, bc.ID, now)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return bc
}

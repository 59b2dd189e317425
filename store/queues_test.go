package store_test

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

type queueSummary struct {
	n      int
	oldest time.Time
}

// checkQueues compares the summaries read with ForEachQueue (got) with
// what the whole waiting index says.
func checkQueues(t *testing.T, db interface {
	View(func(*bolt.Tx) error) error
}, got map[string]queueSummary) {
	t.Helper()
	want := map[string]queueSummary{}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("waiting")).ForEach(func(k, _ []byte) error {
			parts := splitKey(string(k))
			nanos, err := strconv.ParseInt(parts[2], 10, 64)
			if err != nil {
				return err
			}
			q := parts[0] + "/" + parts[1]
			s := want[q]
			since := time.Unix(0, nanos).UTC()
			if s.n == 0 || since.Before(s.oldest) {
				s.oldest = since
			}
			s.n++
			want[q] = s
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d queue summaries, want %d", len(got), len(want))
	}
	for q, w := range want {
		if g := got[q]; g.n != w.n || !g.oldest.Equal(w.oldest) {
			t.Errorf("queue %s: summary %d since %v, index says %d since %v", q, g.n, g.oldest, w.n, w.oldest)
		}
	}
}

// checkQueueOrders checks that queues_by_size and queues_by_age hold one
// key per queue summary (for queues_by_size, per queue of 2 or more), each
// with its size class or its oldest wait.
func checkQueueOrders(t *testing.T, db interface {
	View(func(*bolt.Tx) error) error
}, summaries map[string]queueSummary) {
	t.Helper()
	wantSize, wantAge := map[string]bool{}, map[string]bool{}
	for q, s := range summaries {
		if s.n >= 2 { // queues of one have no entry; the class of n is ⌊log2 n⌋
			wantSize[string([]byte{byte(bits.Len(uint(s.n)) - 1)})+q] = true
		}
		wantAge[string(binary.BigEndian.AppendUint64(nil, uint64(s.oldest.UnixNano())))+q] = true
	}
	err := db.View(func(tx *bolt.Tx) error {
		for _, o := range []struct {
			bucket string
			want   map[string]bool
		}{{"queues_by_size", wantSize}, {"queues_by_age", wantAge}} {
			n := 0
			err := tx.Bucket([]byte(o.bucket)).ForEach(func(k, v []byte) error {
				n++
				if !o.want[string(k)] || len(v) != 0 {
					t.Errorf("%s: key %x (value %x) matches no summary", o.bucket, k, v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n != len(o.want) {
				t.Errorf("%s: %d keys, want %d", o.bucket, n, len(o.want))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkQueuesDue checks ForEachQueueDue against summaries for a few
// thresholds: each queue with at least atLeast waiting or its oldest at or
// before oldestBy, once, in the waiting index's order, with its summary.
func checkQueuesDue(t *testing.T, db *store.DB, summaries map[string]queueSummary) {
	t.Helper()
	for _, atLeast := range []int{math.MinInt, 0, 1, 2, 3, 4, 5, 7, 8, math.MaxInt} {
		for _, oldestBy := range []time.Time{{}, t0.Add(-time.Hour), t0.Add(100 * time.Second), t0.Add(500 * time.Second), t0.Add(time.Hour), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
			var want []string
			for q, s := range summaries {
				if s.n >= atLeast || !oldestBy.IsZero() && !s.oldest.After(oldestBy) {
					want = append(want, q)
				}
			}
			slices.SortFunc(want, func(a, b string) int { return strings.Compare(a+"/", b+"/") })
			var got []string
			err := db.ForEachQueueDue(ctx, atLeast, oldestBy, func(q []byte, n int, oldest time.Time) error {
				if s := summaries[string(q)]; s.n != n || !s.oldest.Equal(oldest) {
					t.Errorf("ForEachQueueDue(%d, %v): %s with %d since %v, want %d since %v", atLeast, oldestBy, q, n, oldest, s.n, s.oldest)
				}
				got = append(got, string(q))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ForEachQueueDue(%d, %v) gave %q, want %q", atLeast, oldestBy, got, want)
			}
		}
	}
}

func splitKey(k string) []string {
	var out []string
	start := 0
	for i := 0; i < len(k); i++ {
		if k[i] == '/' {
			out = append(out, k[start:i])
			start = i + 1
		}
	}
	return append(out, k[start:])
}

// TestQueueSummariesFollowTheIndex changes citizens at random and checks
// after each step that every queue summary matches the waiting index.
func TestQueueSummariesFollowTheIndex(t *testing.T) {
	db := openDB(t)
	rng := rand.New(rand.NewPCG(1, 2))
	communities := []string{"gracia", "sants", "girona"}
	projects := []string{"consumer-group", "time-bank", "energy-coop"}
	for step := 0; step < 300; step++ {
		id := int64(rng.IntN(40) + 1)
		switch rng.IntN(5) {
		case 0:
			if err := db.ForgetCitizen(ctx, id); err != nil && multaque.ErrorCode(err) != multaque.ENOTFOUND {
				t.Fatal(err)
			}
		case 1:
			if err := db.MarkUnreachable(ctx, id); err != nil {
				t.Fatal(err)
			}
		default:
			var ps []string
			for _, p := range projects {
				if rng.IntN(2) == 0 {
					ps = append(ps, p)
				}
			}
			c := newCitizen(id, "P", communities[rng.IntN(len(communities))])
			c.SetInterests(ps, t0.Add(time.Duration(rng.IntN(1000))*time.Second))
			if old, err := db.Citizen(ctx, id); err == nil {
				old.Community, old.Unreachable = c.Community, false
				old.SetInterests(ps, t0.Add(time.Duration(step)*time.Second))
				c = old
			}
			save(t, db, c)
		}
		got := map[string]queueSummary{}
		if err := db.ForEachQueue(ctx, func(q []byte, n int, oldest time.Time) error {
			got[string(q)] = queueSummary{n, oldest}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		checkQueues(t, db, got)
		checkQueueOrders(t, db, got)
		if step%10 == 0 {
			checkQueuesDue(t, db, got)
		}
		if t.Failed() {
			t.Fatalf("after step %d", step)
		}
	}
	var seen int
	if err := db.ForEachWaitingIn(ctx, []string{"gracia/time-bank", "girona/energy-coop"}, func(community, project string, _ time.Time, _ int64) error {
		if !(community == "gracia" && project == "time-bank" || community == "girona" && project == "energy-coop") {
			t.Errorf("ForEachWaitingIn gave %s/%s", community, project)
		}
		seen++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n1, _ := db.CountWaiting(ctx, "gracia", []string{"time-bank"})
	n2, _ := db.CountWaiting(ctx, "girona", []string{"energy-coop"})
	if seen != n1["time-bank"]+n2["energy-coop"] {
		t.Errorf("ForEachWaitingIn saw %d, want %d", seen, n1["time-bank"]+n2["energy-coop"])
	}
}

// TestQueueSummariesBuiltForOlderFiles opens files written before the queue
// summaries, or before their orders by size and age, existed: Open builds
// what is missing from the waiting index, and matching passes find the
// queues due as in a file that always had them.
func TestQueueSummariesBuiltForOlderFiles(t *testing.T) {
	for _, missing := range [][]string{
		{"queues_by_size", "queues_by_age"},
		{"queues_by_age"},
		{"queues", "queues_by_size", "queues_by_age"},
		{"queues"}, // orders left from before are stale: rebuilt too
	} {
		t.Run(strings.Join(missing, "+"), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			var cs []*multaque.Citizen
			for id := int64(1); id <= 500; id++ {
				c := newCitizen(id, "P", []string{"gracia", "sants", "girona", "vic"}[rng.IntN(4)])
				c.SetInterests([]string{"consumer-group", "time-bank", "energy-coop"}[:1+rng.IntN(3)], t0.Add(time.Duration(rng.IntN(1000))*time.Second))
				cs = append(cs, c)
			}
			if err := db.ImportCitizens(ctx, cs); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			raw, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = raw.Update(func(tx *bolt.Tx) error {
				if slices.Equal(missing, []string{"queues"}) {
					// Orders that no longer match anything.
					if err := tx.Bucket([]byte("queues_by_size")).Put([]byte("\x00\x00\x00\x07gone/x"), nil); err != nil {
						return err
					}
				}
				for _, name := range missing {
					if err := tx.DeleteBucket([]byte(name)); err != nil {
						return err
					}
				}
				// A file of version 1 had no orders.
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Close(); err != nil {
				t.Fatal(err)
			}
			db = openDBAt(t, path)
			_ = db.View(func(tx *bolt.Tx) error {
				if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); len(v) != 8 || binary.BigEndian.Uint64(v) != store.SchemaVersion {
					t.Errorf("schema after opening a version 1 file=%x, want %d", v, store.SchemaVersion)
				}
				return nil
			})
			got := map[string]queueSummary{}
			if err := db.ForEachQueue(ctx, func(q []byte, n int, oldest time.Time) error {
				got[string(q)] = queueSummary{n, oldest}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 12 {
				t.Errorf("%d queues, want 12", len(got))
			}
			checkQueues(t, db, got)
			checkQueueOrders(t, db, got)
			checkQueuesDue(t, db, got)
		})
	}
}

// TestCheckQueueOrders checks that the check of the queue orders passes on
// a sound file and names each entry missing or left over.
func TestCheckQueueOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 30; id++ {
		c := newCitizen(id, "P", []string{"gracia", "sants"}[id%2])
		c.SetInterests([]string{"time-bank", "energy-coop"}[:1+id%2], t0.Add(time.Duration(id)*time.Minute))
		save(t, db, c)
	}
	if problems, err := store.CheckQueueOrders(db); err != nil || len(problems) != 0 {
		t.Fatalf("CheckQueueOrders=%q,%v on a sound file, want none", problems, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		bySize := tx.Bucket([]byte("queues_by_size"))
		k, _ := bySize.Cursor().First() // the smallest queue
		if err := bySize.Delete(k); err != nil {
			return err
		}
		return tx.Bucket([]byte("queues_by_age")).Put(append(binary.BigEndian.AppendUint64(nil, 7), "vic/time-bank"...), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db = openDBAt(t, path)
	problems, err := store.CheckQueueOrders(db)
	want := []string{
		"queues_by_size: no entry for queue gracia/time-bank",
		"queues_by_age: an entry for queue vic/time-bank that matches no summary",
	}
	if err != nil || !slices.Equal(problems, want) {
		t.Fatalf("CheckQueueOrders=%q,%v, want %q", problems, err, want)
	}
}

// TestQueuesDueInIndexOrder checks that ForEachQueueDue gives queues in the
// order of the waiting index even where ids are prefixes of others
// ("energy" and "energy-coop", "gracia" and "gracia-nova"), which a plain
// sort of "community/project" would not.
func TestQueuesDueInIndexOrder(t *testing.T) {
	db := openDB(t)
	id := int64(1)
	for _, community := range []string{"gracia", "gracia-nova", "gracia-n"} {
		for _, project := range []string{"energy", "energy-coop", "e"} {
			for range 2 {
				c := newCitizen(id, "P", community)
				c.SetInterests([]string{project}, t0)
				save(t, db, c)
				id++
			}
		}
	}
	var want []string
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("waiting")).ForEach(func(k, _ []byte) error {
			parts := splitKey(string(k))
			if q := parts[0] + "/" + parts[1]; len(want) == 0 || want[len(want)-1] != q {
				want = append(want, q)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, atLeast := range []int{1, 2} {
		var got []string
		if err := db.ForEachQueueDue(ctx, atLeast, time.Time{}, func(q []byte, _ int, _ time.Time) error {
			got = append(got, string(q))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ForEachQueueDue(%d) gave %q, want the waiting index's order %q", atLeast, got, want)
		}
	}
}

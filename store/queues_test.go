package store_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
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

package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// key is the waiting-index key the store must write, spelled out here on
// purpose rather than taken from the package.
func key(community, project string, since time.Time, id int64) string {
	return fmt.Sprintf("%s/%s/%020d/%d", community, project, since.UnixNano(), id)
}

// waitingKeys returns every key of the waiting bucket, in order.
func waitingKeys(t testing.TB, db *store.DB) []string {
	t.Helper()
	var keys []string
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("waiting")).ForEach(func(k, v []byte) error {
			if len(v) != 0 {
				t.Errorf("waiting %q has value %q, want empty", k, v)
			}
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestWaitingIndexFollowsCitizen(t *testing.T) {
	db := openDB(t, fast)
	t1, t2, t3 := t0, t0.Add(time.Minute), t0.Add(time.Hour)
	c := newCitizen(7, "Mercè", "", "energy", "consumer-group")

	steps := []struct {
		name   string
		change func(c *multaque.Citizen)
		want   []string
	}{
		{"interests but no community yet", func(c *multaque.Citizen) {}, nil},
		{"community chosen", func(c *multaque.Citizen) { c.Community = "gracia" }, []string{
			key("gracia", "consumer-group", t2, 7),
			key("gracia", "energy", t1, 7),
		}},
		{"one interest dropped, one added, one kept", func(c *multaque.Citizen) {
			c.SetInterests([]string{"time-bank", "energy"}, t3)
		}, []string{
			key("gracia", "energy", t1, 7),
			key("gracia", "time-bank", t3, 7),
		}},
		{"moved", func(c *multaque.Citizen) { c.Community = "sants" }, []string{
			key("sants", "energy", t1, 7),
			key("sants", "time-bank", t3, 7),
		}},
		{"unreachable", func(c *multaque.Citizen) { c.Unreachable = true }, nil},
		{"reachable again", func(c *multaque.Citizen) { c.Unreachable = false }, []string{
			key("sants", "energy", t1, 7),
			key("sants", "time-bank", t3, 7),
		}},
		{"no interests", func(c *multaque.Citizen) { c.SetInterests(nil, t3) }, nil},
	}
	for i, step := range steps {
		// Alternate the two ways of writing: both keep the index.
		if i%2 == 0 {
			step.change(c)
			save(t, db, c)
		} else {
			var err error
			if c, err = db.UpdateCitizen(ctx, 7, func(c *multaque.Citizen) error {
				step.change(c)
				return nil
			}); err != nil {
				t.Fatalf("%s: UpdateCitizen: %v", step.name, err)
			}
		}
		if got := waitingKeys(t, db); !slices.Equal(got, step.want) {
			t.Errorf("%s: waiting=%q, want %q", step.name, got, step.want)
		}
	}
}

func TestCountWaiting(t *testing.T) {
	db := openDB(t, fast)
	save(t, db, newCitizen(1, "A", "gracia", "energy", "time-bank"))
	save(t, db, newCitizen(2, "B", "gracia", "energy"))
	save(t, db, newCitizen(3, "C", "gracia-nord", "energy")) // a community whose id starts like another
	save(t, db, newCitizen(4, "D", "sants", "energy"))
	save(t, db, newCitizen(5, "E", "", "energy")) // no community: not waiting
	save(t, db, newCitizen(6, "F", "gracia", "energy"))
	if err := db.MarkUnreachable(ctx, 6); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		community string
		projects  []string
		want      map[string]int
	}{
		{"gracia", []string{"energy", "time-bank", "car-sharing"}, map[string]int{"energy": 2, "time-bank": 1, "car-sharing": 0}},
		{"gracia-nord", []string{"energy"}, map[string]int{"energy": 1}},
		{"sants", []string{"energy", "energy"}, map[string]int{"energy": 1}},
		{"nowhere", []string{"energy"}, map[string]int{"energy": 0}},
		{"", []string{"energy"}, map[string]int{"energy": 0}},
		{"gracia", []string{"energy/0"}, map[string]int{"energy/0": 0}},
		{"gracia", nil, map[string]int{}},
	}
	for _, tt := range tests {
		got, err := db.CountWaiting(ctx, tt.community, tt.projects)
		if err != nil {
			t.Fatalf("CountWaiting(%q, %q): %v", tt.community, tt.projects, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CountWaiting(%q, %q)=%v, want %v", tt.community, tt.projects, got, tt.want)
		}
	}
}

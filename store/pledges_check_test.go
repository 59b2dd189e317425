package store_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// Check finds a fund whose accounts no longer agree with its pledges, and
// a pledge missing from the index of pledges by person.
func TestCheckFindsBrokenPledgeInvariants(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tamper func(tx *bolt.Tx) error
		want   string
	}{
		{"sound", nil, ""},
		{"a fund committing more than its pledges", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("funds"))
			v := bytes.Replace(b.Get([]byte("city")), []byte(`"committed":1000`), []byte(`"committed":900`), 1)
			v = bytes.Replace(v, []byte(`"released":0`), []byte(`"released":100`), 1)
			return b.Put([]byte("city"), v)
		}, "fund city: committed 9.00 and paid 0.00, but its pledges and bonuses say 10.00 and 0.00"},
		{"a fund over its budget", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("funds"))
			return b.Put([]byte("city"), bytes.Replace(b.Get([]byte("city")), []byte(`"budget":5000`), []byte(`"budget":500`), 1))
		}, "does not add up to reserved 10.00 within budget 5.00"},
		{"a pledge out of the index", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("pledges_by_person"))
			c := b.Cursor()
			k, _ := c.First()
			return b.Delete(k)
		}, "not in the index of pledges by person"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "multaque.db")
			db, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			tm := formPledgeTeam(t, db, 1, 2, "gracia", "energy-coop")
			setGoal(t, db, tm.ID, 10_000, t0.Add(5*24*time.Hour))
			createFund(t, db, multaque.Fund{ID: "city", Name: "City", Budget: 5000})
			if _, err := db.Pledge(ctx, multaque.Pledge{Team: tm.ID, Person: 7, Amount: 1000}, t0, nil); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if tt.tamper != nil {
				tamper(t, path, tt.tamper)
			}
			problems := problemsOf(t, path, store.CheckOptions{})
			if tt.want == "" {
				if len(problems) > 0 {
					t.Fatalf("problems %q, want none", problems)
				}
				return
			}
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Fatalf("problems %q, want one saying %q", problems, tt.want)
			}
		})
	}
}

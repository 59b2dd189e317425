package store

import (
	"slices"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// WithClock makes the store read the time from now, so that tests can move
// it on.
func WithClock(now func() time.Time) Option {
	return func(db *DB) { db.now = now }
}

// LoadCitizens saves many citizens, a thousand to a transaction, as
// SaveCitizen would one by one: benchmarks use it to fill a database
// quickly. (bbolt splits nodes only at commit, so one transaction of many
// inserts into one bucket costs time quadratic in their number.)
func LoadCitizens(db *DB, cs []*multaque.Citizen) error {
	for chunk := range slices.Chunk(cs, 1000) {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			for _, c := range chunk {
				if err := validate(c); err != nil {
					return err
				}
				old, err := getCitizen(tx, c.ID)
				if err != nil {
					return err
				}
				if err := putCitizen(tx, old, clone(c)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// PutTeamsForBench stores teams as they are (ids, statuses and all),
// indexes included, in one transaction: a fixture of many teams for the
// benchmarks of package store_test, which FormTeam would build too slowly.
func PutTeamsForBench(db *DB, teams []*multaque.Team, now time.Time) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, t := range teams {
			if err := putTeam(tx, nil, t, nil, now); err != nil {
				return err
			}
		}
		return nil
	})
}

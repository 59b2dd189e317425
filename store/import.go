package store

import (
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// ImportCitizens saves many citizens, a thousand to a transaction, each as
// SaveCitizen would (validated, with the waiting index and queue summaries
// in step). It is for seeding and benchmarks: bbolt splits nodes only at
// commit, so one transaction of many inserts into one bucket costs time
// quadratic in their number, and a thousand at a time keeps it linear. A
// failure stops the import; the chunks committed before it stay.
func (db *DB) ImportCitizens(ctx context.Context, cs []*multaque.Citizen) error {
	for chunk := range slices.Chunk(cs, 1000) {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.update(ctx, func(tx *bolt.Tx) error {
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
			return fmt.Errorf("import citizens: %w", err)
		}
	}
	return nil
}

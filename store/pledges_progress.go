package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// ProgressDue returns the goals whose group's pinned progress message does
// not show them as they stand: changed since it was last edited, or never
// posted. The bot edits each (folding any number of changes into one edit)
// and says so with ProgressShown; what a crash leaves undone stays due.
func (db *DB) ProgressDue(ctx context.Context) ([]multaque.ProgressDue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.ProgressDue
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGoals).ForEach(func(k, _ []byte) error {
			rec, err := getGoal(tx, string(k))
			if err != nil {
				return err
			}
			if rec.Version > rec.Shown {
				out = append(out, multaque.ProgressDue{Team: rec.Team, Version: rec.Version, Message: rec.ProgressMsg})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("progress due: %w", err)
	}
	return out, nil
}

// ProgressShown records that team's pinned progress message, message msg
// of its group, shows version of its goal.
func (db *DB) ProgressShown(ctx context.Context, team string, version uint64, msg int) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getGoal(tx, team)
		if err != nil {
			return err
		}
		rec.Shown = max(rec.Shown, version)
		rec.ProgressMsg = msg
		return putGoal(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("progress shown %s: %w", team, err)
	}
	return nil
}

package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The thresholds bucket maps a project id to the coordinators' override of
// its team sizes, a multaque.Threshold as JSON.

// Thresholds returns every threshold coordinators set, by project id.
func (db *DB) Thresholds(ctx context.Context) ([]multaque.Threshold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Threshold
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketThresholds).ForEach(func(k, v []byte) error {
			var t multaque.Threshold
			if err := json.Unmarshal(v, &t); err != nil {
				return multaque.Errorf(multaque.EINTERNAL, "threshold %s: stored record is not valid JSON", k)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	return out, nil
}

// SetThreshold stores t, replacing any threshold of its project. It
// returns an EINVALID error if t is not valid; that the project exists is
// the caller's to check, against the catalogue.
func (db *DB) SetThreshold(ctx context.Context, t multaque.Threshold) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("set threshold: %w", err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketThresholds).Put([]byte(t.Project), data)
	})
	if err != nil {
		return fmt.Errorf("set threshold %s: %w", t.Project, err)
	}
	return nil
}

// RemoveThreshold deletes the threshold of project, which then has the
// catalogue's sizes again; ENOTFOUND if it had none.
func (db *DB) RemoveThreshold(ctx context.Context, project string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketThresholds)
		if b.Get([]byte(project)) == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "project %q has no threshold", project)
		}
		return b.Delete([]byte(project))
	})
	if err != nil {
		return fmt.Errorf("remove threshold %s: %w", project, err)
	}
	return nil
}

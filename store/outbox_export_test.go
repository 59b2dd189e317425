package store

import (
	"context"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// EnqueueAlong runs change and enqueues items in one write transaction, as
// the store methods whose changes cause messages do: either both commit or
// neither does.
func (db *DB) EnqueueAlong(ctx context.Context, change func(tx *bolt.Tx) error, items ...multaque.OutboxItem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range items {
		if err := checkOutboxItem(&items[i]); err != nil {
			return err
		}
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		for i := range items {
			if _, err := enqueueTx(tx, &items[i], db.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

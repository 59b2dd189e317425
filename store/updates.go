package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The updates bucket remembers the Telegram update ids already handled: the
// id (8 bytes, big-endian) maps to when it was recorded (unix seconds, 8
// bytes, big-endian). Its bbolt sequence counts its keys, so that pruning
// needs no walk over the bucket.

// forgetUpdatesAfter is the silence after which the ids held are forgotten.
// Telegram numbers updates sequentially, but after a week without any it
// starts again from a random number, maybe a lower one: old ids would then
// sort first and push the new ones out as soon as they come in.
const forgetUpdatesAfter = 24 * time.Hour

// RecordUpdate records that the update with that id is being handled. fresh
// is false if it was recorded before, so that a delivery of the same update
// again is handled once. Only the most recent ids are held (the highest
// ones, KeepUpdates of them), and all of them are forgotten after a day
// without updates. A negative id is an EINVALID error.
func (db *DB) RecordUpdate(ctx context.Context, updateID int) (fresh bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if updateID < 0 {
		return false, multaque.Errorf(multaque.EINVALID, "record update %d: negative id", updateID)
	}
	key := u64(uint64(updateID))
	err = db.batch(func(tx *bolt.Tx) error {
		fresh = false // this run decides, not an earlier one that was rolled back
		b := tx.Bucket(bucketUpdates)
		if b.Get(key) != nil {
			return nil
		}
		now := db.now().Unix()
		if _, v := b.Cursor().Last(); len(v) == 8 && now-int64(binary.BigEndian.Uint64(v)) > int64(forgetUpdatesAfter/time.Second) {
			if err := tx.DeleteBucket(bucketUpdates); err != nil {
				return err
			}
			var err error
			if b, err = tx.CreateBucket(bucketUpdates); err != nil {
				return err
			}
		}
		if err := b.Put(key, u64(uint64(now))); err != nil {
			return err
		}
		n := b.Sequence() + 1
		c := b.Cursor()
		for ; n > uint64(db.keepUpdates); n-- {
			if k, _ := c.First(); k == nil {
				n = 0 // the count was wrong; start it again
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if err := b.SetSequence(n); err != nil {
			return err
		}
		fresh = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record update %d: %w", updateID, err)
	}
	return fresh, nil
}

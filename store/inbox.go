package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The inbox bucket holds the Telegram updates taken but not yet answered:
// the update id (8 bytes, big-endian) maps to when the update arrived (unix
// nanoseconds, 8 bytes, big-endian) followed by the update's JSON as
// Telegram sent it. The bot writes a whole batch of updates in one
// transaction before it tells Telegram to move on (the next getUpdates
// offset, or the webhook's 200), deletes each one once it is answered, and
// handles again, at start, whatever is left. It is created on first use.
var bucketInbox = []byte("inbox")

// TakeUpdates writes updates into the inbox in one transaction (shared
// with other writers through bbolt's batch) and reports which of them are
// new: an update already in the inbox (being handled) or recorded as handled
// (see RecordUpdate) is not written again and its fresh is false. Only
// when it returns nil may the bot confirm the updates to Telegram. The
// same transaction deletes the updates done (answered since the last
// call), so that clearing the inbox costs no write of its own.
func (db *DB) TakeUpdates(ctx context.Context, updates []multaque.InboxUpdate, done []int) (fresh []bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, id := range done {
		if id < 0 {
			return nil, multaque.Errorf(multaque.EINVALID, "done update %d: negative id", id)
		}
	}
	for _, u := range updates {
		if u.ID < 0 {
			return nil, multaque.Errorf(multaque.EINVALID, "take update %d: negative id", u.ID)
		}
	}
	fresh = make([]bool, len(updates))
	err = db.batch(context.Background(), func(tx *bolt.Tx) error { // a write of the intake's own
		in, err := tx.CreateBucketIfNotExists(bucketInbox)
		if err != nil {
			return err
		}
		for _, id := range done {
			if err := in.Delete(u64(uint64(id))); err != nil {
				return err
			}
		}
		seen := tx.Bucket(bucketUpdates)
		for i, u := range updates {
			key := u64(uint64(u.ID))
			fresh[i] = in.Get(key) == nil && seen.Get(key) == nil
			if !fresh[i] {
				continue
			}
			v := make([]byte, 8+len(u.Body))
			binary.BigEndian.PutUint64(v, uint64(u.Arrived.UnixNano()))
			copy(v[8:], u.Body)
			if err := in.Put(key, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("take %d updates: %w", len(updates), err)
	}
	return fresh, nil
}

// DoneUpdates deletes updates from the inbox: they have been answered, or
// given up on. Deleting an update not there is no error.
func (db *DB) DoneUpdates(ctx context.Context, ids []int) error {
	for _, id := range ids {
		if id < 0 {
			return multaque.Errorf(multaque.EINVALID, "done update %d: negative id", id)
		}
	}
	err := db.batch(context.Background(), func(tx *bolt.Tx) error {
		in := tx.Bucket(bucketInbox)
		if in == nil {
			return nil
		}
		for _, id := range ids {
			if err := in.Delete(u64(uint64(id))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("done %d updates: %w", len(ids), err)
	}
	return nil
}

// Inbox returns the updates taken and not yet answered, oldest first: at
// start, the ones a stop or a crash left.
func (db *DB) Inbox(ctx context.Context) ([]multaque.InboxUpdate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.InboxUpdate
	err := db.bolt.View(func(tx *bolt.Tx) error {
		in := tx.Bucket(bucketInbox)
		if in == nil {
			return nil
		}
		return in.ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) < 8 {
				return multaque.Errorf(multaque.EINTERNAL, "inbox entry %x is malformed", k)
			}
			out = append(out, multaque.InboxUpdate{
				ID:      int(binary.BigEndian.Uint64(k)),
				Arrived: time.Unix(0, int64(binary.BigEndian.Uint64(v))),
				Body:    append([]byte(nil), v[8:]...),
			})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	return out, nil
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The outbox bucket holds the messages waiting to be sent, in four nested
// buckets that always change together:
//
//   - items: id (8 bytes, big-endian) → JSON of the multaque.OutboxItem;
//   - due: priority (1 byte) | not-before (unix nanoseconds, 8 bytes) | id
//     (8 bytes) → chat (8 bytes). Due walks it in key order, which is the
//     order items go out in, and skips to the next priority as soon as it
//     meets an item that is not due yet, so it never reads the whole queue;
//   - keys: dedup key → when it was first enqueued (unix nanoseconds);
//   - keysbytime: that time (8 bytes) | dedup key → nothing, to prune keys.
//
// The outbox bucket's own sequence counts the items, so that OutboxLen needs
// no walk. Dedup keys outlive their items, so that a message is never queued
// twice, but only for KeepDedupKeys: each enqueue prunes a few older keys.
//
// The dead bucket maps an id to the JSON of an item given up on, with its
// LastError and DeadAt, for coordinators to look at.
var (
	bucketOutboxItems    = []byte("items")
	bucketOutboxDue      = []byte("due")
	bucketOutboxKeys     = []byte("keys")
	bucketOutboxKeysTime = []byte("keysbytime")
)

// KeepDedupKeys is how long a dedup key is remembered after its item was
// enqueued. An item enqueued again with the same key after that is sent
// again; callers use keys for events that cannot recur that late (a team's
// invitations, a reminder of a given day).
const KeepDedupKeys = 30 * 24 * time.Hour

// pruneDedupKeys bounds the work one enqueue does to forget old keys; keys
// are enqueued at most one at a time, so that is enough to keep up.
const pruneDedupKeys = 16

// initOutbox creates the outbox's nested buckets; Open calls it inside the
// transaction that creates the top-level buckets.
func initOutbox(tx *bolt.Tx) error {
	ob := tx.Bucket(bucketOutbox)
	for _, name := range [][]byte{bucketOutboxItems, bucketOutboxDue, bucketOutboxKeys, bucketOutboxKeysTime} {
		if _, err := ob.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket outbox/%s: %w", name, err)
		}
	}
	return nil
}

// Enqueue adds items to the outbox in one transaction and returns the id
// given to each, in order. An item whose DedupKey was enqueued before (in
// the last KeepDedupKeys), in this call or an earlier one, is skipped and
// gets id 0. A zero NotBefore becomes the time of enqueueing.
//
// Enqueue returns an EINVALID error, and enqueues nothing, if an item fails
// Validate or its NotBefore is not between 1970 and 2262.
//
// Changes that cause messages enqueue them inside their own transaction
// (enqueueTx) so that the change and its messages commit together; Enqueue
// is for messages caused by nothing stored, such as a broadcast.
func (db *DB) Enqueue(ctx context.Context, items ...multaque.OutboxItem) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range items {
		if err := checkOutboxItem(&items[i]); err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
	}
	ids := make([]uint64, len(items))
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		now := db.now()
		for i := range items {
			it := items[i] // a copy: batch may run this again
			ok, err := enqueueTx(tx, &it, now)
			if err != nil {
				return err
			}
			ids[i] = 0
			if ok {
				ids[i] = it.ID
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return ids, nil
}

// checkOutboxItem validates it as multaque does and checks that its time
// fits the due index.
func checkOutboxItem(it *multaque.OutboxItem) error {
	if err := it.Validate(); err != nil {
		return err
	}
	if !it.NotBefore.IsZero() && (it.NotBefore.Before(minSince) || it.NotBefore.After(maxSince)) {
		return multaque.Errorf(multaque.EINVALID, "outbox item %s: not-before must be between 1970 and 2262", it.Kind)
	}
	return nil
}

// enqueueTx adds it to the outbox inside tx, the transaction of the change
// that causes it, unless its DedupKey is known. It gives it an ID,
// CreatedAt and, if zero, NotBefore, and reports whether it was added. The
// caller checks it with checkOutboxItem before writing anything.
func enqueueTx(tx *bolt.Tx, it *multaque.OutboxItem, now time.Time) (bool, error) {
	ob := tx.Bucket(bucketOutbox)
	if err := pruneKeys(ob, now); err != nil {
		return false, err
	}
	if it.DedupKey != "" {
		keys := ob.Bucket(bucketOutboxKeys)
		if keys.Get([]byte(it.DedupKey)) != nil {
			return false, nil
		}
		stamp := u64(uint64(now.UnixNano()))
		if err := keys.Put([]byte(it.DedupKey), stamp); err != nil {
			return false, err
		}
		if err := ob.Bucket(bucketOutboxKeysTime).Put(append(stamp, it.DedupKey...), nil); err != nil {
			return false, err
		}
	}
	items := ob.Bucket(bucketOutboxItems)
	id, err := items.NextSequence()
	if err != nil {
		return false, err
	}
	it.ID = id
	it.CreatedAt = now
	if it.NotBefore.IsZero() {
		it.NotBefore = now
	}
	it.LastError = ""
	if err := putItem(ob, it); err != nil {
		return false, err
	}
	return true, ob.SetSequence(ob.Sequence() + 1)
}

// pruneKeys forgets a few dedup keys older than KeepDedupKeys.
func pruneKeys(ob *bolt.Bucket, now time.Time) error {
	cutoff := uint64(now.Add(-KeepDedupKeys).UnixNano())
	byTime, keys := ob.Bucket(bucketOutboxKeysTime), ob.Bucket(bucketOutboxKeys)
	c := byTime.Cursor()
	for i, k := 0, []byte(nil); i < pruneDedupKeys; i++ {
		if k, _ = c.First(); len(k) < 8 || binary.BigEndian.Uint64(k) >= cutoff {
			return nil
		}
		key := k[8:]
		if v := keys.Get(key); bytes.Equal(v, k[:8]) {
			if err := keys.Delete(key); err != nil {
				return err
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// dueKey is the key of it in the due index.
func dueKey(priority int, notBefore time.Time, id uint64) []byte {
	k := make([]byte, 0, 17)
	k = append(k, byte(priority))
	k = binary.BigEndian.AppendUint64(k, uint64(notBefore.UnixNano()))
	return binary.BigEndian.AppendUint64(k, id)
}

// putItem writes it and its due key.
func putItem(ob *bolt.Bucket, it *multaque.OutboxItem) error {
	data, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode outbox item %d: %w", it.ID, err)
	}
	if err := ob.Bucket(bucketOutboxItems).Put(u64(it.ID), data); err != nil {
		return err
	}
	return ob.Bucket(bucketOutboxDue).Put(dueKey(it.Priority, it.NotBefore, it.ID), idKey(it.Chat))
}

// getItem returns the item with that id, or nil if it is not in the outbox.
func getItem(ob *bolt.Bucket, id uint64) (*multaque.OutboxItem, error) {
	data := ob.Bucket(bucketOutboxItems).Get(u64(id))
	if data == nil {
		return nil, nil
	}
	return decodeItem(id, data)
}

func decodeItem(id uint64, data []byte) (*multaque.OutboxItem, error) {
	var it multaque.OutboxItem
	if err := json.Unmarshal(data, &it); err != nil {
		// The message may quote the data, which holds a message to a person.
		return nil, multaque.Errorf(multaque.EINTERNAL, "outbox item %d: stored record is not valid JSON", id)
	}
	return &it, nil
}

// removeItem deletes it and its due key, and counts it out.
func removeItem(ob *bolt.Bucket, it *multaque.OutboxItem) error {
	if err := ob.Bucket(bucketOutboxItems).Delete(u64(it.ID)); err != nil {
		return err
	}
	if err := ob.Bucket(bucketOutboxDue).Delete(dueKey(it.Priority, it.NotBefore, it.ID)); err != nil {
		return err
	}
	n := ob.Sequence()
	if n > 0 {
		n--
	}
	return ob.SetSequence(n)
}

// Due returns up to limit items whose NotBefore is not after now, lowest
// Priority first, then earliest NotBefore, then lowest ID. With perChat > 0
// it returns at most perChat items of any one chat, so that a chat with a
// long queue (a broadcast to a group paced at 20 a minute) does not hide
// the chats behind it. Items for which held (if not nil) reports true are
// those the caller holds already: they are not returned, but count towards
// perChat. held is called inside a read transaction and must be quick.
func (db *DB) Due(ctx context.Context, now time.Time, limit, perChat int, held func(id uint64) bool) ([]multaque.OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	cutoff := uint64(0)
	if !now.Before(minSince) {
		cutoff = uint64(now.UnixNano())
	}
	type raw struct {
		id   uint64
		data []byte
	}
	var found []raw
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		items := ob.Bucket(bucketOutboxItems)
		perChatN := map[string]int{}
		c := ob.Bucket(bucketOutboxDue).Cursor()
		k, v := c.First()
		for k != nil && len(found) < limit {
			if len(k) != 17 {
				return multaque.Errorf(multaque.EINTERNAL, "outbox: malformed due key")
			}
			if binary.BigEndian.Uint64(k[1:9]) > cutoff {
				// Nothing more of this priority is due: on to the next.
				if k[0] == 0xff {
					break
				}
				k, v = c.Seek([]byte{k[0] + 1})
				continue
			}
			if perChat > 0 {
				if perChatN[string(v)] >= perChat {
					k, v = c.Next()
					continue
				}
				perChatN[string(v)]++
			}
			id := binary.BigEndian.Uint64(k[9:])
			if held == nil || !held(id) {
				if data := items.Get(k[9:]); data != nil {
					found = append(found, raw{id, bytes.Clone(data)})
				}
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due: %w", err)
	}
	out := make([]multaque.OutboxItem, 0, len(found))
	for _, r := range found {
		it, err := decodeItem(r.id, r.data)
		if err != nil {
			return nil, fmt.Errorf("due: %w", err)
		}
		out = append(out, *it)
	}
	return out, nil
}

// OutboxLen returns the number of items in the outbox, due or not.
func (db *DB) OutboxLen(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Sequence()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox length: %w", err)
	}
	return int(n), nil
}

// OutboxItem returns the item with that id, or an ENOTFOUND error if it is
// not in the outbox (delivered, dropped, dead or never there).
func (db *DB) OutboxItem(ctx context.Context, id uint64) (*multaque.OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it *multaque.OutboxItem
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		it, err = getItem(tx.Bucket(bucketOutbox), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox item %d: %w", id, err)
	}
	if it == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "outbox item %d not found", id)
	}
	return it, nil
}

// settle runs fn on the item with that id, if it is still in the outbox, in
// a write transaction shared with other callers. The item is nil if it is
// gone: settling an item twice (a Sender that restarted) is not an error.
func (db *DB) settle(ctx context.Context, what string, id uint64, fn func(tx *bolt.Tx, ob *bolt.Bucket, it *multaque.OutboxItem) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		it, err := getItem(ob, id)
		if err != nil {
			return refuse(err)
		}
		if err := fn(tx, ob, it); err != nil {
			return err
		}
		return countBroadcastOutcome(tx, what, it) // broadcasts.go
	})
	if err != nil {
		return fmt.Errorf("%s outbox item %d: %w", what, id, err)
	}
	return nil
}

// Delivered removes the item with that id from the outbox: Telegram took it.
// An item no longer in the outbox is not an error.
func (db *DB) Delivered(ctx context.Context, id uint64) error {
	return db.settle(ctx, "deliver", id, func(_ *bolt.Tx, ob *bolt.Bucket, it *multaque.OutboxItem) error {
		if it == nil {
			return nil
		}
		return removeItem(ob, it)
	})
}

// Retry puts the item with that id back in the queue for notBefore, counts
// the failed attempt and records errText (which must not hold the bot
// token). An item no longer in the outbox is not an error. notBefore must be
// between 1970 and 2262 (EINVALID).
func (db *DB) Retry(ctx context.Context, id uint64, notBefore time.Time, errText string) error {
	if notBefore.Before(minSince) || notBefore.After(maxSince) {
		return multaque.Errorf(multaque.EINVALID, "retry outbox item %d: not-before must be between 1970 and 2262", id)
	}
	return db.settle(ctx, "retry", id, func(_ *bolt.Tx, ob *bolt.Bucket, it *multaque.OutboxItem) error {
		if it == nil {
			return nil
		}
		if err := ob.Bucket(bucketOutboxDue).Delete(dueKey(it.Priority, it.NotBefore, it.ID)); err != nil {
			return err
		}
		it.Attempts++
		it.NotBefore = notBefore
		it.LastError = errText
		return putItem(ob, it)
	})
}

// Bury moves the item with that id from the outbox to the dead items, with
// errText (which must not hold the bot token) as its LastError. An item no
// longer in the outbox is not an error.
func (db *DB) Bury(ctx context.Context, id uint64, errText string) error {
	return db.settle(ctx, "bury", id, func(tx *bolt.Tx, ob *bolt.Bucket, it *multaque.OutboxItem) error {
		if it == nil {
			return nil
		}
		if err := removeItem(ob, it); err != nil {
			return err
		}
		it.LastError = errText
		it.DeadAt = db.now()
		data, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode dead item %d: %w", it.ID, err)
		}
		return tx.Bucket(bucketDead).Put(u64(it.ID), data)
	})
}

// DropUnreachable removes the item with that id from the outbox and marks
// the citizen person unreachable (see MarkUnreachable), in one transaction:
// Telegram refused because they blocked the bot, deleted their account or
// never started it. A missing item or citizen is not an error.
func (db *DB) DropUnreachable(ctx context.Context, id uint64, person int64) error {
	return db.settle(ctx, "drop", id, func(tx *bolt.Tx, ob *bolt.Bucket, it *multaque.OutboxItem) error {
		old, err := getCitizen(tx, person)
		if err != nil {
			return refuse(err)
		}
		if it != nil {
			if err := removeItem(ob, it); err != nil {
				return err
			}
		}
		if old == nil || old.Unreachable {
			return nil
		}
		next := clone(old)
		next.Unreachable = true
		return putCitizen(tx, old, next)
	})
}

// Dead returns up to limit items given up on, the most recently enqueued
// first.
func (db *DB) Dead(ctx context.Context, limit int) ([]multaque.OutboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.OutboxItem
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDead).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			it, err := decodeItem(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			out = append(out, *it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dead items: %w", err)
	}
	return out, nil
}

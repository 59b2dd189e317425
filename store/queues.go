package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The queues bucket summarises the waiting index, one entry per queue:
// key "community/project", value the number of people waiting (4 bytes) and
// the Since of the oldest of them (8 bytes of Unix nanoseconds), both
// big-endian. It changes in the same transactions as the index, so that a
// matching pass can find the queues worth looking at (those at critical
// mass, with an open team, or old enough to pool) without reading everyone
// who waits.

// queueKey returns the "community/project" part of a waiting key.
func queueKey(k []byte) ([]byte, bool) {
	i := bytes.IndexByte(k, '/')
	if i < 0 {
		return nil, false
	}
	j := bytes.IndexByte(k[i+1:], '/')
	if j < 0 {
		return nil, false
	}
	return k[:i+1+j], true
}

// sinceOf returns the Since encoded in a waiting key.
func sinceOf(k []byte) (int64, bool) {
	_, _, since, _, ok := parseWaitingKey(k)
	return since.UnixNano(), ok
}

func encodeQueue(n uint32, oldest int64) []byte {
	v := make([]byte, 12)
	binary.BigEndian.PutUint32(v, n)
	binary.BigEndian.PutUint64(v[4:], uint64(oldest))
	return v
}

func decodeQueue(v []byte) (n uint32, oldest int64, ok bool) {
	if len(v) != 12 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(v), int64(binary.BigEndian.Uint64(v[4:])), true
}

// joinQueue counts the waiting key k, just put, in its queue.
func joinQueue(tx *bolt.Tx, k []byte) error {
	q, ok := queueKey(k)
	since, ok2 := sinceOf(k)
	if !ok || !ok2 {
		return multaque.Errorf(multaque.EINTERNAL, "waiting index: malformed key")
	}
	b := tx.Bucket(bucketQueues)
	n, oldest, ok := decodeQueue(b.Get(q))
	if !ok || n == 0 || since < oldest {
		oldest = since
	}
	return b.Put(q, encodeQueue(n+1, oldest))
}

// leaveQueue uncounts the waiting key k, just deleted, from its queue; the
// oldest Since is read again from the index when k was the oldest.
func leaveQueue(tx *bolt.Tx, k []byte) error {
	q, ok := queueKey(k)
	if !ok {
		return nil // a malformed key never joined a queue
	}
	b := tx.Bucket(bucketQueues)
	n, oldest, ok := decodeQueue(b.Get(q))
	if !ok || n <= 1 {
		return b.Delete(q)
	}
	if since, ok := sinceOf(k); ok && since == oldest {
		prefix := append(bytes.Clone(q), '/')
		if first, _ := tx.Bucket(bucketWaiting).Cursor().Seek(prefix); first != nil && bytes.HasPrefix(first, prefix) {
			oldest, _ = sinceOf(first)
		}
	}
	return b.Put(q, encodeQueue(n-1, oldest))
}

// initQueues creates the queue summaries, building them from the waiting
// index for a file written before they existed.
func initQueues(tx *bolt.Tx) error {
	if tx.Bucket(bucketQueues) != nil {
		return nil
	}
	if _, err := tx.CreateBucket(bucketQueues); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketQueues, err)
	}
	return tx.Bucket(bucketWaiting).ForEach(func(k, _ []byte) error { return joinQueue(tx, k) })
}

// ForEachQueue calls fn for every queue that has people waiting, in the
// order of the waiting index, with its "community/project" key (valid only
// during the call), how many wait and since when the oldest waits. It reads
// one small entry per queue, in one read transaction; fn must not call the
// store.
func (db *DB) ForEachQueue(ctx context.Context, fn func(queue []byte, waiting int, oldest time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueues).ForEach(func(k, v []byte) error {
			n, oldest, ok := decodeQueue(v)
			if !ok {
				return multaque.Errorf(multaque.EINTERNAL, "queue summary: malformed entry")
			}
			return fn(k, int(n), time.Unix(0, oldest).UTC())
		})
	})
}

// ForEachWaitingIn calls fn for everyone waiting in the given queues
// ("community/project"), queue by queue in the order given, each in queue
// order, in one read transaction. fn must not call the store.
func (db *DB) ForEachWaitingIn(ctx context.Context, queues []string, fn func(community, project string, since time.Time, citizen int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketWaiting).Cursor()
		for _, q := range queues {
			prefix := []byte(q + "/")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				community, project, since, id, ok := parseWaitingKey(k)
				if !ok {
					return multaque.Errorf(multaque.EINTERNAL, "waiting index: malformed key")
				}
				if err := fn(community, project, since, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/multaque/multaque"
)

// The queues bucket summarises the waiting index, one entry per queue:
// key "community/project", value the number of people waiting (4 bytes) and
// the Since of the oldest of them (8 bytes of Unix nanoseconds), both
// big-endian. Two more buckets order the same queues so that a matching
// pass can find those worth looking at (at critical mass, or old enough to
// pool) by reading only them:
//
//   - queues_by_size: key the size class of the queue (1 byte: k for 2^k to
//     2^(k+1)-1 people waiting) then the queue, for queues of 2 or more;
//   - queues_by_age: key the Since of the oldest (8 bytes) then the queue;
//
// both with empty values. All three change in the same transactions as the
// index. Size classes rather than sizes, and no entry for queues of one
// (critical mass is at least 2, and most queues of a large catalogue are
// that small), so that most people joining or leaving a queue do not move
// it in queues_by_size. Measured on 100,000 citizens: the two orders add 5 %
// to the pages an import writes and 3 pages (18 %) to a save that adds an
// interest in a new queue; exact sizes, for every queue, added 36 % to
// both.
//
// Why not scan the summaries: a million people in 100,000 communities make
// 1.3 million queues, whose summaries fill 18,000 pages scattered over a
// file that took them in bit by bit. Reading them all costs 60 ms, and the
// kernel maps into the process, around each page read, the neighbouring
// pages it has cached (fault-around, whole large folios): with the file in
// the page cache, a pass that read every summary kept about 470 MB of the
// file resident. Reading the ends of two ordered indexes touches a few
// pages.

var (
	bucketQueuesBySize = []byte("queues_by_size")
	bucketQueuesByAge  = []byte("queues_by_age")
)

// sizeClass is the size class of a queue of n people in queues_by_size, 0
// for a queue of fewer than 2, which has no entry there.
func sizeClass(n uint32) byte {
	return byte(max(1, bits.Len32(n)) - 1)
}

// sizeKey is the key of queue q of size class c in queues_by_size.
func sizeKey(c byte, q []byte) []byte {
	return append([]byte{c}, q...)
}

// ageKey is the key of queue q whose oldest came at oldest in
// queues_by_age. Times before 1970 do not occur (Since is when a person
// chose a project); they would sort last.
func ageKey(oldest int64, q []byte) []byte {
	k := make([]byte, 8+len(q))
	binary.BigEndian.PutUint64(k, uint64(oldest))
	copy(k[8:], q)
	return k
}

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
	n, oldest, ok := decodeQueue(tx.Bucket(bucketQueues).Get(q))
	if !ok || n == 0 {
		return setQueue(tx, q, 0, 0, 1, since)
	}
	return setQueue(tx, q, n, oldest, n+1, min(oldest, since))
}

// leaveQueue uncounts the waiting key k, just deleted, from its queue; the
// oldest Since is read again from the index when k was the oldest.
func leaveQueue(tx *bolt.Tx, k []byte) error {
	q, ok := queueKey(k)
	if !ok {
		return nil // a malformed key never joined a queue
	}
	n, oldest, ok := decodeQueue(tx.Bucket(bucketQueues).Get(q))
	if !ok || n <= 1 {
		return setQueue(tx, q, n, oldest, 0, 0)
	}
	next := oldest
	if since, ok := sinceOf(k); ok && since == oldest {
		prefix := append(bytes.Clone(q), '/')
		if first, _ := tx.Bucket(bucketWaiting).Cursor().Seek(prefix); first != nil && bytes.HasPrefix(first, prefix) {
			next, _ = sinceOf(first)
		}
	}
	return setQueue(tx, q, n, oldest, n-1, next)
}

// setQueue changes the summary of queue q from n people, the oldest since
// oldest, to m people since next, in the summaries and both orders. n or m
// 0 means the queue was or becomes empty, with no entries.
func setQueue(tx *bolt.Tx, q []byte, n uint32, oldest int64, m uint32, next int64) error {
	bySize, byAge := tx.Bucket(bucketQueuesBySize), tx.Bucket(bucketQueuesByAge)
	// New queues go at the end of queues_by_age (their oldest came now):
	// pages split when full rather than half full, as bbolt advises for
	// appends. Measured on 100,000 citizens: 10.6 MB of pages instead of
	// 19.1.
	byAge.FillPercent = 0.9
	from, to := sizeClass(n), sizeClass(m)
	if from > 0 && from != to {
		if err := bySize.Delete(sizeKey(from, q)); err != nil {
			return err
		}
	}
	if n > 0 && (m == 0 || oldest != next) {
		if err := byAge.Delete(ageKey(oldest, q)); err != nil {
			return err
		}
	}
	if m == 0 {
		return tx.Bucket(bucketQueues).Delete(q)
	}
	if to > 0 && from != to {
		if err := bySize.Put(sizeKey(to, q), nil); err != nil {
			return err
		}
	}
	if n == 0 || oldest != next {
		if err := byAge.Put(ageKey(next, q), nil); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketQueues).Put(q, encodeQueue(m, next))
}

// initQueues creates the queue summaries and their orders, building them
// from the waiting index for a file written before they existed. The
// buckets are filled in key order, in one pass each, so that even a file of
// millions of waiting people is converted in seconds.
func initQueues(tx *bolt.Tx) error {
	if tx.Bucket(bucketQueues) == nil {
		b, err := tx.CreateBucket(bucketQueues)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketQueues, err)
		}
		b.FillPercent = 1 // appended in order
		var q []byte
		var n uint32
		var oldest int64
		flush := func() error {
			if n == 0 {
				return nil
			}
			return b.Put(q, encodeQueue(n, oldest))
		}
		err = tx.Bucket(bucketWaiting).ForEach(func(k, _ []byte) error {
			kq, ok := queueKey(k)
			since, ok2 := sinceOf(k)
			if !ok || !ok2 {
				return multaque.Errorf(multaque.EINTERNAL, "waiting index: malformed key")
			}
			if !bytes.Equal(kq, q) {
				if err := flush(); err != nil {
					return err
				}
				q, n, oldest = bytes.Clone(kq), 0, since
			}
			n++
			oldest = min(oldest, since)
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("build queue summaries: %w", err)
		}
		return buildQueueOrders(tx) // whatever orders there were are stale
	}
	if tx.Bucket(bucketQueuesBySize) != nil && tx.Bucket(bucketQueuesByAge) != nil {
		return nil
	}
	return buildQueueOrders(tx)
}

// buildQueueOrders fills queues_by_size and queues_by_age from the
// summaries, sorting their keys first so that each bucket is appended to.
func buildQueueOrders(tx *bolt.Tx) error {
	var bySize, byAge [][]byte
	err := tx.Bucket(bucketQueues).ForEach(func(q, v []byte) error {
		n, oldest, ok := decodeQueue(v)
		if !ok {
			return multaque.Errorf(multaque.EINTERNAL, "queue summary: malformed entry")
		}
		if c := sizeClass(n); c > 0 {
			bySize = append(bySize, sizeKey(c, q))
		}
		byAge = append(byAge, ageKey(oldest, q))
		return nil
	})
	if err != nil {
		return fmt.Errorf("build queue orders: %w", err)
	}
	for _, o := range []struct {
		name []byte
		keys [][]byte
	}{{bucketQueuesBySize, bySize}, {bucketQueuesByAge, byAge}} {
		if err := tx.DeleteBucket(o.name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("delete bucket %s: %w", o.name, err)
		}
		b, err := tx.CreateBucket(o.name)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", o.name, err)
		}
		b.FillPercent = 1 // appended in order
		slices.SortFunc(o.keys, bytes.Compare)
		for _, k := range o.keys {
			if err := b.Put(k, nil); err != nil {
				return fmt.Errorf("build %s: %w", o.name, err)
			}
		}
	}
	return nil
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

// ForEachQueueDue calls fn for every queue due for a look by a matching
// pass: those where at least atLeast people wait, and those whose oldest
// person came at or before oldestBy (none when oldestBy is the zero time).
// Each comes once, in the order of the waiting index, with its
// "community/project" key (valid only during the call), how many wait and
// since when the oldest waits. It reads, in one read transaction, the
// queues it gives, those of the same size class as atLeast, and a few pages
// to find them, however many queues there are (all of them for an atLeast
// of 1 or less); fn must not call the store.
func (db *DB) ForEachQueueDue(ctx context.Context, atLeast int, oldestBy time.Time, fn func(queue []byte, waiting int, oldest time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		summaries := tx.Bucket(bucketQueues)
		due := map[string]bool{}
		if atLeast <= 1 { // every queue
			_ = summaries.ForEach(func(q, _ []byte) error {
				due[string(q)] = true
				return nil
			})
		} else if uint64(atLeast) <= math.MaxUint32 {
			c := tx.Bucket(bucketQueuesBySize).Cursor()
			for k, _ := c.Seek([]byte{sizeClass(uint32(atLeast))}); k != nil; k, _ = c.Next() {
				due[string(k[1:])] = true // checked against atLeast below
			}
		}
		if !oldestBy.IsZero() {
			by := int64(math.MaxInt64) // UnixNano is undefined past 2262
			if oldestBy.Before(time.Unix(0, math.MaxInt64)) {
				by = oldestBy.UnixNano()
			}
			c := tx.Bucket(bucketQueuesByAge).Cursor()
			for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) <= by; k, _ = c.Next() {
				due[string(k[8:])] = true
			}
		}
		queues := slices.Collect(maps.Keys(due))
		slices.SortFunc(queues, cmpQueues)
		for _, q := range queues {
			n, oldest, ok := decodeQueue(summaries.Get([]byte(q)))
			if !ok {
				return multaque.Errorf(multaque.EINTERNAL, "queue summary: missing or malformed entry")
			}
			since := time.Unix(0, oldest).UTC()
			if int(n) < atLeast && (oldestBy.IsZero() || since.After(oldestBy)) {
				continue // of atLeast's size class, but smaller
			}
			if err := fn([]byte(q), int(n), since); err != nil {
				return err
			}
		}
		return nil
	})
}

// cmpQueues orders queue keys ("community/project") as the waiting index
// orders its keys, which go on with a '/': "gracia/energy-coop" comes
// before "gracia/energy" there, because '-' sorts before '/'.
func cmpQueues(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 || len(a) == len(b) {
		return c
	}
	if len(a) < len(b) {
		return cmp.Compare('/', b[n])
	}
	return cmp.Compare(a[n], '/')
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

// checkQueueOrders reports through add every difference between the queue
// summaries and their orders by size and by age: a key missing from an
// order, or one that matches no summary. Check's invariants on the queue
// summaries hold only with it.
func checkQueueOrders(tx *bolt.Tx, add func(format string, args ...any)) {
	var bySize, byAge [][]byte
	_ = tx.Bucket(bucketQueues).ForEach(func(q, v []byte) error {
		if n, oldest, ok := decodeQueue(v); ok { // a malformed one is reported with the summaries
			if c := sizeClass(n); c > 0 {
				bySize = append(bySize, sizeKey(c, q))
			}
			byAge = append(byAge, ageKey(oldest, q))
		}
		return nil
	})
	for _, o := range []struct {
		name   []byte
		prefix int // bytes before the queue in a key
		want   [][]byte
	}{{bucketQueuesBySize, 1, bySize}, {bucketQueuesByAge, 8, byAge}} {
		b := tx.Bucket(o.name)
		if b == nil {
			add("bucket %s is missing", o.name)
			continue
		}
		slices.SortFunc(o.want, bytes.Compare)
		c := b.Cursor()
		k, _ := c.First()
		for _, w := range o.want {
			for ; k != nil && bytes.Compare(k, w) < 0; k, _ = c.Next() {
				add("%s: an entry for queue %s that matches no summary", o.name, k[min(len(k), o.prefix):])
			}
			if !bytes.Equal(k, w) {
				add("%s: no entry for queue %s", o.name, w[o.prefix:])
				continue
			}
			k, _ = c.Next()
		}
		for ; k != nil; k, _ = c.Next() {
			add("%s: an entry for queue %s that matches no summary", o.name, k[min(len(k), o.prefix):])
		}
	}
}

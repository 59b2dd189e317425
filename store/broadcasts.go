package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The broadcasts bucket holds coordinators' broadcasts in four nested
// buckets, made by the first write that needs them:
//
//   - records: id (8 bytes, big-endian) → JSON of the multaque.Broadcast;
//   - open: a coordinator's id (idKey) → the id of their broadcast that
//     waits for its text or their confirmation (one at most);
//   - queueing: id → nothing, for the broadcasts confirmed and not queued in
//     full yet, so that queueing resumes after a crash without a walk;
//   - outcomes: id | 'd' or 'f' → a count (8 bytes): its messages delivered,
//     and failed for good. They are counted in the transaction that settles
//     each message (countBroadcastOutcome), apart from the record, which
//     would otherwise be rewritten with every delivery.
//
// The top-level bucket's sequence numbers the broadcasts.
//
// A broadcast is queued in chunks, each one write transaction that puts a
// chunk of messages in the outbox and moves the broadcast's cursor past
// the citizens it looked at: a crash loses no chunk and repeats none. The
// cursor alone keeps anyone from being queued twice: it only moves
// forward, chunks of one broadcast are serialised by bbolt's single
// writer, and a broadcast queued in full is never queued again.
// forgetInBroadcasts moves it back only over the person it erases; a later
// chunk meets them again only if they came back as a new person, which a
// dedup key, erased with them, would not have stopped either. So its
// messages carry no dedup key: a key per recipient would cost a million
// keys for a broadcast to a million people, kept for KeepDedupKeys, and
// every erasure walks the keys (forgetInOutbox). Keys
// broadcast/<id>/<citizen> that earlier versions wrote are pruned, and
// erased, like any other.
var (
	bucketBroadcastRecords  = []byte("records")
	bucketBroadcastOpen     = []byte("open")
	bucketBroadcastQueueing = []byte("queueing")
	bucketBroadcastOutcomes = []byte("outcomes")
)

// Outcome marks of the outcomes bucket.
const (
	outcomeDelivered = 'd'
	outcomeFailed    = 'f'
)

// BroadcastOwner is the Owner of a broadcast's outbox items:
// "broadcast/<id>".
func BroadcastOwner(id uint64) string { return "broadcast/" + strconv.FormatUint(id, 10) }

// broadcastScanFactor bounds how many citizens one chunk looks at: this many
// times its limit, so that a broadcast to a few people among many does not
// hold one transaction for the whole bucket.
const broadcastScanFactor = 20

// countChunk is how many citizens one read transaction of
// CountBroadcastRecipients looks at.
const countChunk = 10_000

// CreateBroadcast stores a new broadcast by bc.By, waiting for its text,
// and returns it as stored (with its ID). The coordinator's broadcast that
// was still open, if any, is cancelled in the same transaction: a
// coordinator has one open broadcast at most. Only By, Community, Project
// and Communities of bc are used. EINVALID if they are not valid.
func (db *DB) CreateBroadcast(ctx context.Context, bc multaque.Broadcast, now time.Time) (*multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	next := &multaque.Broadcast{
		By: bc.By, Community: bc.Community, Project: bc.Project, Communities: slices.Clone(bc.Communities),
		Status: multaque.BroadcastDraft, CreatedAt: now, UpdatedAt: now,
	}
	if err := next.Validate(); err != nil {
		return nil, fmt.Errorf("create broadcast: %w", err)
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bb, err := broadcastBuckets(tx)
		if err != nil {
			return err
		}
		if old, err := openBroadcast(bb, bc.By); err != nil {
			return err
		} else if old != nil {
			old.Status, old.UpdatedAt, old.DoneAt = multaque.BroadcastCancelled, now, now
			if err := putBroadcast(bb, old); err != nil {
				return err
			}
		}
		id, err := tx.Bucket(bucketBroadcasts).NextSequence()
		if err != nil {
			return err
		}
		next.ID = id
		if err := putBroadcast(bb, next); err != nil {
			return err
		}
		return bb.Bucket(bucketBroadcastOpen).Put(idKey(bc.By), u64(id))
	})
	if err != nil {
		return nil, fmt.Errorf("create broadcast: %w", err)
	}
	return next, nil
}

// Broadcast returns the broadcast with that id, with its outcomes, or an
// ENOTFOUND error.
func (db *DB) Broadcast(ctx context.Context, id uint64) (*multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Broadcast
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readBroadcast(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast %d: %w", id, err)
	}
	if out == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "broadcast %d not found", id)
	}
	return out, nil
}

// OpenBroadcast returns the broadcast of the coordinator by that waits for
// its text or for their confirmation, or an ENOTFOUND error if they have
// none. It is one lookup: the bot asks it of every text it is sent.
func (db *DB) OpenBroadcast(ctx context.Context, by int64) (*multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Broadcast
	err := db.bolt.View(func(tx *bolt.Tx) error {
		open := nested(tx, bucketBroadcastOpen)
		if open == nil {
			return nil
		}
		v := open.Get(idKey(by))
		if len(v) != 8 {
			return nil
		}
		var err error
		out, err = readBroadcast(tx, binary.BigEndian.Uint64(v))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open broadcast of %d: %w", by, err)
	}
	if out == nil || !out.Status.Open() {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "no open broadcast of %d", by)
	}
	return out, nil
}

// PreviewBroadcast gives the broadcast with that id, which waits for its
// text, its texts (the message in each language) and the number of
// recipients it was counted to have: it then waits for confirmation.
// ENOTFOUND if there is no such broadcast, ECONFLICT if it does not wait
// for its text, EINVALID if a text is missing or too long.
func (db *DB) PreviewBroadcast(ctx context.Context, id uint64, texts map[multaque.Lang]string, recipients int, now time.Time) (*multaque.Broadcast, error) {
	return db.changeBroadcast(ctx, "preview", id, func(_ *bolt.Bucket, bc *multaque.Broadcast) error {
		if bc.Status != multaque.BroadcastDraft {
			return multaque.Errorf(multaque.ECONFLICT, "broadcast %d is %s", id, bc.Status)
		}
		bc.Texts = make(map[multaque.Lang]string, len(texts))
		for l, s := range texts {
			bc.Texts[l] = s
		}
		bc.Recipients, bc.Status = recipients, multaque.BroadcastPreview
		return nil
	}, now)
}

// ConfirmBroadcast marks the broadcast with that id, which waits for
// confirmation, as confirmed: from then on it is queued (QueueBroadcast).
// A broadcast confirmed before, or cancelled, is left as it is and
// returned with an ECONFLICT error, so that a confirmation pressed twice
// queues it once. ENOTFOUND if there is no such broadcast.
func (db *DB) ConfirmBroadcast(ctx context.Context, id uint64, now time.Time) (*multaque.Broadcast, error) {
	return db.changeBroadcast(ctx, "confirm", id, func(bb *bolt.Bucket, bc *multaque.Broadcast) error {
		if bc.Status != multaque.BroadcastPreview {
			return multaque.Errorf(multaque.ECONFLICT, "broadcast %d is %s", id, bc.Status)
		}
		bc.Status, bc.ConfirmedAt = multaque.BroadcastQueueing, now
		if err := bb.Bucket(bucketBroadcastOpen).Delete(idKey(bc.By)); err != nil {
			return err
		}
		return bb.Bucket(bucketBroadcastQueueing).Put(u64(id), nil)
	}, now)
}

// CancelBroadcast cancels the broadcast with that id, which waits for its
// text or for confirmation. One that is not open any more is returned as it
// is with an ECONFLICT error. ENOTFOUND if there is no such broadcast.
func (db *DB) CancelBroadcast(ctx context.Context, id uint64, now time.Time) (*multaque.Broadcast, error) {
	return db.changeBroadcast(ctx, "cancel", id, func(bb *bolt.Bucket, bc *multaque.Broadcast) error {
		if !bc.Status.Open() {
			return multaque.Errorf(multaque.ECONFLICT, "broadcast %d is %s", id, bc.Status)
		}
		bc.Status, bc.DoneAt = multaque.BroadcastCancelled, now
		return bb.Bucket(bucketBroadcastOpen).Delete(idKey(bc.By))
	}, now)
}

// changeBroadcast applies fn to the broadcast with that id in a write
// transaction and stores it. If fn fails with an ECONFLICT error, nothing
// is written and the broadcast is returned as it is with that error.
func (db *DB) changeBroadcast(ctx context.Context, what string, id uint64, fn func(bb *bolt.Bucket, bc *multaque.Broadcast) error, now time.Time) (*multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Broadcast
	var conflict error
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out, conflict = nil, nil
		bb, err := broadcastBuckets(tx)
		if err != nil {
			return err
		}
		bc, err := readBroadcast(tx, id)
		if err != nil {
			return err
		}
		if bc == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "broadcast %d not found", id)
		}
		out = bc
		next := *bc
		if err := fn(bb, &next); err != nil {
			if multaque.ErrorCode(err) == multaque.ECONFLICT {
				conflict = err
				return nil
			}
			return err
		}
		next.UpdatedAt = now
		if err := putBroadcast(bb, &next); err != nil {
			return err
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s broadcast %d: %w", what, id, err)
	}
	if conflict != nil {
		return out, fmt.Errorf("%s broadcast %d: %w", what, id, conflict)
	}
	return out, nil
}

// CountBroadcastRecipients counts the citizens a broadcast to communities
// (empty: everywhere) and project (empty: any) would reach now: those who
// live there, want that project, and have not blocked the bot. It reads the
// citizens a chunk at a time, each in a short read transaction.
func (db *DB) CountBroadcastRecipients(ctx context.Context, communities []string, project string) (int, error) {
	match := recipientMatcher(communities, project)
	n := 0
	from := int64(0) // the id to read on from
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		done := false
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketCitizens).Cursor()
			k, v := c.Seek(idKey(from))
			for i := 0; k != nil; i++ {
				if i == countChunk {
					from = int64(binary.BigEndian.Uint64(k)) // the next transaction reads on from here
					return nil
				}
				if _, ok, err := match(k, v); err != nil {
					return err
				} else if ok {
					n++
				}
				k, v = c.Next()
			}
			done = true
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("count broadcast recipients: %w", err)
		}
		if done {
			return n, nil
		}
	}
}

// QueueBroadcast queues one chunk of the broadcast with that id, which is
// being queued: it looks at the citizens after its cursor, puts a message
// in the outbox for each recipient, at most limit of them, and moves the
// cursor past those it looked at, all in one write transaction. Once it
// has looked at every citizen, the broadcast is queued in full. It returns
// the broadcast as it is then, so that callers loop until its Status is
// not BroadcastQueueing. A broadcast in any other status is returned as it
// is. ENOTFOUND if there is no such broadcast.
//
// Recipients are the citizens, who consented by being stored, who have not
// blocked the bot, live in one of its Communities (if it has any) and want
// its Project (if it has one), each in their own language.
func (db *DB) QueueBroadcast(ctx context.Context, id uint64, limit int, now time.Time) (*multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit = max(limit, 1)
	var out *multaque.Broadcast
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bb, err := broadcastBuckets(tx)
		if err != nil {
			return err
		}
		bc, err := readBroadcast(tx, id)
		if err != nil {
			return err
		}
		if bc == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "broadcast %d not found", id)
		}
		out = bc
		if bc.Status != multaque.BroadcastQueueing {
			return nil
		}
		next := *bc
		match := recipientMatcher(bc.Communities, bc.Project)
		c := tx.Bucket(bucketCitizens).Cursor()
		k, v := c.Seek(idKey(bc.Cursor + 1))
		for scanned, queued := 0, 0; k != nil && queued < limit && scanned < limit*broadcastScanFactor; k, v = c.Next() {
			scanned++
			r, ok, err := match(k, v)
			if err != nil {
				return err
			}
			next.Cursor = int64(binary.BigEndian.Uint64(k))
			if !ok {
				continue
			}
			it := broadcastItem(&next, next.Cursor, r.Lang)
			if err := checkOutboxItem(&it); err != nil {
				return err
			}
			if _, err := enqueueTx(tx, &it, now); err != nil {
				return err
			}
			next.Queued++
			queued++
		}
		if k == nil {
			next.Status, next.DoneAt, next.Cursor = multaque.BroadcastQueued, now, 0
			if err := bb.Bucket(bucketBroadcastQueueing).Delete(u64(id)); err != nil {
				return err
			}
		}
		next.UpdatedAt = now
		if err := putBroadcast(bb, &next); err != nil {
			return err
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue broadcast %d: %w", id, err)
	}
	return out, nil
}

// broadcastItem is the outbox item of broadcast bc to citizen in lang. It
// has no DedupKey: the broadcast's cursor keeps it from being queued twice.
func broadcastItem(bc *multaque.Broadcast, citizen int64, lang multaque.Lang) multaque.OutboxItem {
	text := bc.Texts[lang]
	if text == "" {
		text = bc.Texts[multaque.DefaultLang]
	}
	return multaque.OutboxItem{
		Kind: "broadcast", Chat: citizen, Priority: multaque.PriorityBulk,
		Text: text, ParseMode: "HTML", Owner: BroadcastOwner(bc.ID),
	}
}

// QueueingBroadcasts returns the ids of the broadcasts confirmed and not
// queued in full yet, oldest first.
func (db *DB) QueueingBroadcasts(ctx context.Context) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		q := nested(tx, bucketBroadcastQueueing)
		if q == nil {
			return nil
		}
		return q.ForEach(func(k, _ []byte) error {
			if len(k) == 8 {
				out = append(out, binary.BigEndian.Uint64(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("queueing broadcasts: %w", err)
	}
	return out, nil
}

// Broadcasts returns up to n broadcasts for which keep (if not nil)
// reports true, the newest first, with their outcomes. keep runs inside a
// read transaction and must be quick.
func (db *DB) Broadcasts(ctx context.Context, n int, keep func(bc *multaque.Broadcast) bool) ([]multaque.Broadcast, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Broadcast
	err := db.bolt.View(func(tx *bolt.Tx) error {
		recs := nested(tx, bucketBroadcastRecords)
		if recs == nil {
			return nil
		}
		c := recs.Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			bc, err := decodeBroadcast(k, v)
			if err != nil {
				return err
			}
			if keep != nil && !keep(bc) {
				continue
			}
			bc.Delivered, bc.Failed = outcomes(tx, bc.ID)
			out = append(out, *bc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("broadcasts: %w", err)
	}
	return out, nil
}

// countBroadcastOutcome counts what became of it, an outbox item being
// settled by what ("deliver", "bury", "drop" or "retry", see settle), if
// it is a broadcast's: delivered, or failed for good (dead, or its
// recipient unreachable). It runs in the transaction that settles the
// item, so that each message is counted once.
func countBroadcastOutcome(tx *bolt.Tx, what string, it *multaque.OutboxItem) error {
	if it == nil || !strings.HasPrefix(it.Owner, "broadcast/") {
		return nil
	}
	var mark byte
	switch what {
	case "deliver":
		mark = outcomeDelivered
	case "bury", "drop":
		mark = outcomeFailed
	default:
		return nil
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(it.Owner, "broadcast/"), 10, 64)
	if err != nil {
		return nil // not one of ours: nothing to count
	}
	bb, err := broadcastBuckets(tx)
	if err != nil {
		return err
	}
	out := bb.Bucket(bucketBroadcastOutcomes)
	key := append(u64(id), mark)
	n := uint64(0)
	if v := out.Get(key); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return out.Put(key, u64(n+1))
}

// outcomes reads the delivered and failed counts of broadcast id.
func outcomes(tx *bolt.Tx, id uint64) (delivered, failed int) {
	out := nested(tx, bucketBroadcastOutcomes)
	if out == nil {
		return 0, 0
	}
	read := func(mark byte) int {
		if v := out.Get(append(u64(id), mark)); len(v) == 8 {
			return int(binary.BigEndian.Uint64(v))
		}
		return 0
	}
	return read(outcomeDelivered), read(outcomeFailed)
}

// broadcastBuckets returns the broadcasts bucket, creating its nested
// buckets if this is the first write that needs them.
func broadcastBuckets(tx *bolt.Tx) (*bolt.Bucket, error) {
	bb := tx.Bucket(bucketBroadcasts)
	for _, name := range [][]byte{bucketBroadcastRecords, bucketBroadcastOpen, bucketBroadcastQueueing, bucketBroadcastOutcomes} {
		if bb.Bucket(name) == nil {
			if _, err := bb.CreateBucket(name); err != nil {
				return nil, fmt.Errorf("create bucket broadcasts/%s: %w", name, err)
			}
		}
	}
	return bb, nil
}

// nested returns the nested bucket name of the broadcasts bucket, nil if no
// write has made it yet.
func nested(tx *bolt.Tx, name []byte) *bolt.Bucket {
	return tx.Bucket(bucketBroadcasts).Bucket(name)
}

// openBroadcast returns the open broadcast of coordinator by, or nil.
func openBroadcast(bb *bolt.Bucket, by int64) (*multaque.Broadcast, error) {
	v := bb.Bucket(bucketBroadcastOpen).Get(idKey(by))
	if len(v) != 8 {
		return nil, nil
	}
	data := bb.Bucket(bucketBroadcastRecords).Get(v)
	if data == nil {
		return nil, nil
	}
	bc, err := decodeBroadcast(v, data)
	if err != nil || !bc.Status.Open() {
		return nil, err
	}
	return bc, nil
}

// readBroadcast returns the broadcast with that id and its outcomes, or nil.
func readBroadcast(tx *bolt.Tx, id uint64) (*multaque.Broadcast, error) {
	recs := nested(tx, bucketBroadcastRecords)
	if recs == nil {
		return nil, nil
	}
	data := recs.Get(u64(id))
	if data == nil {
		return nil, nil
	}
	bc, err := decodeBroadcast(u64(id), data)
	if err != nil {
		return nil, err
	}
	bc.Delivered, bc.Failed = outcomes(tx, id)
	return bc, nil
}

func decodeBroadcast(k, data []byte) (*multaque.Broadcast, error) {
	var bc multaque.Broadcast
	if err := json.Unmarshal(data, &bc); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "broadcast %x: stored record is not valid JSON", k)
	}
	return &bc, nil
}

func putBroadcast(bb *bolt.Bucket, bc *multaque.Broadcast) error {
	if err := bc.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(bc)
	if err != nil {
		return fmt.Errorf("encode broadcast %d: %w", bc.ID, err)
	}
	return bb.Bucket(bucketBroadcastRecords).Put(u64(bc.ID), data)
}

// recipient is what a broadcast needs of a citizen's record.
type recipient struct {
	Lang        multaque.Lang `json:"lang"`
	Community   string        `json:"community"`
	Unreachable bool          `json:"unreachable"`
	Interests   []struct {
		Project string `json:"project"`
	} `json:"interests"`
}

// wants reports whether r wants project.
func (r *recipient) wants(project string) bool {
	for _, in := range r.Interests {
		if in.Project == project {
			return true
		}
	}
	return false
}

// recipientMatcher returns a function that reads a citizen's record and
// reports whether they are a recipient of a broadcast to communities
// (empty: everywhere) and project (empty: any).
func recipientMatcher(communities []string, project string) func(k, v []byte) (recipient, bool, error) {
	in := make(map[string]bool, len(communities))
	for _, c := range communities {
		in[c] = true
	}
	return func(k, v []byte) (recipient, bool, error) {
		var r recipient
		if len(k) != 8 {
			return r, false, multaque.Errorf(multaque.EINTERNAL, "citizens: malformed key")
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return r, false, multaque.Errorf(multaque.EINTERNAL, "citizen %d: stored record is not valid JSON", int64(binary.BigEndian.Uint64(k)))
		}
		if r.Unreachable || len(in) > 0 && !in[r.Community] {
			return r, false, nil
		}
		return r, project == "" || r.wants(project), nil
	}
}

// forgetInBroadcasts moves the cursor of every broadcast being queued that
// stopped at a person of set back to the citizen before them who is not in
// set, whom it has looked at already, so that no broadcast record keeps the
// id of someone erased. Queueing then goes on from the same place.
func forgetInBroadcasts(tx *bolt.Tx, set personSet) error {
	queueing, recs := nested(tx, bucketBroadcastQueueing), nested(tx, bucketBroadcastRecords)
	if queueing == nil || recs == nil {
		return nil
	}
	return queueing.ForEach(func(k, _ []byte) error {
		data := recs.Get(k)
		if data == nil {
			return nil
		}
		bc, err := decodeBroadcast(k, data)
		if err != nil || bc.Cursor == 0 || !set[bc.Cursor] {
			return err
		}
		id := bc.Cursor
		bc.Cursor = 0
		c := tx.Bucket(bucketCitizens).Cursor()
		var prev []byte
		if next, _ := c.Seek(idKey(id)); next == nil {
			prev, _ = c.Last()
		} else {
			prev, _ = c.Prev()
		}
		// The citizens before who are erased too are still in the
		// bucket: they are deleted after this.
		for len(prev) == 8 && set[int64(binary.BigEndian.Uint64(prev))] {
			prev, _ = c.Prev()
		}
		if len(prev) == 8 && int64(binary.BigEndian.Uint64(prev)) < id {
			bc.Cursor = int64(binary.BigEndian.Uint64(prev))
		}
		return putBroadcast(tx.Bucket(bucketBroadcasts), bc)
	})
}

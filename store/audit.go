package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The audit bucket maps a sequence number (8 bytes, big-endian, from the
// bucket's own sequence) to a multaque.AuditEntry as JSON, oldest first.
// Two buckets nested in it index the log, so that what concerns one person
// costs the same whatever the log's size:
//
//   - actors: actor (8 bytes) | sequence number → nothing, every entry by
//     the person who made it; and keyIndexed → the last sequence number
//     indexed, so that entries an older program appended are indexed when
//     this one opens the file.
//   - refused: UTC day (4 bytes, days since 1970-01-01) | actor (8 bytes) |
//     command | 0 | detail → the sequence number of that day's one entry
//     for those refusals. A refusal made again the same day moves that
//     entry to the end of the log with its count grown; refusals are kept
//     for KeepRefusals after their day (PurgeExpired).
//
// The names of the nested buckets are not 8 bytes long, so that a reader
// of the log that skips every key of another length skips them.

var (
	bucketAuditActors  = []byte("actors")
	bucketAuditRefused = []byte("refused")
	keyIndexed         = []byte("indexed")
)

// KeepRefusals is how long a refused attempt is kept after the day it was
// made. What coordinators did is kept for good: it is the record of how
// Multaque was steered.
const KeepRefusals = 90 * 24 * time.Hour

// initAudit creates the audit log's indexes and indexes the entries not
// indexed yet (all of them in a file of an older version, which also gets
// its refusals aggregated by person, command and day).
func initAudit(tx *bolt.Tx) error {
	audit, err := tx.CreateBucketIfNotExists(bucketAudit)
	if err != nil {
		return err
	}
	actors, err := audit.CreateBucketIfNotExists(bucketAuditActors)
	if err != nil {
		return err
	}
	if _, err := audit.CreateBucketIfNotExists(bucketAuditRefused); err != nil {
		return err
	}
	var from uint64
	if v := actors.Get(keyIndexed); len(v) == 8 {
		from = binary.BigEndian.Uint64(v) + 1
	}
	last := audit.Sequence()
	if from > last {
		return nil
	}
	// The entries to index are collected first: indexing a refusal may
	// delete an older entry, which a cursor must not walk over.
	type pending struct {
		seq uint64
		e   multaque.AuditEntry
	}
	var todo []pending
	c := audit.Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		if len(k) != 8 || v == nil {
			continue
		}
		var e multaque.AuditEntry
		if json.Unmarshal(v, &e) != nil {
			continue // kept as it is; AuditLog reports it
		}
		todo = append(todo, pending{binary.BigEndian.Uint64(k), e})
	}
	for _, p := range todo {
		if err := indexAuditEntry(tx, p.seq, &p.e); err != nil {
			return err
		}
	}
	return actors.Put(keyIndexed, u64(last))
}

// indexAuditEntry indexes the entry stored under seq; a refusal is merged
// into the entry of the same person, command, detail and day, if there is
// one, which is deleted.
func indexAuditEntry(tx *bolt.Tx, seq uint64, e *multaque.AuditEntry) error {
	audit := tx.Bucket(bucketAudit)
	if err := audit.Bucket(bucketAuditActors).Put(actorKey(e.Actor, seq), nil); err != nil {
		return err
	}
	if !e.Refused {
		return nil
	}
	refused := audit.Bucket(bucketAuditRefused)
	rk := refusalKey(e)
	if old := refused.Get(rk); len(old) == 8 && binary.BigEndian.Uint64(old) != seq {
		prev, err := getAuditEntry(audit, old)
		if err != nil {
			return err
		}
		if prev != nil {
			e.Count = max(prev.Count, 1) + max(e.Count, 1)
			if !prev.First.IsZero() {
				e.First = prev.First
			} else {
				e.First = prev.At
			}
			if err := deleteAuditEntry(tx, old, prev); err != nil {
				return err
			}
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := audit.Put(u64(seq), data); err != nil {
				return err
			}
		}
	}
	return refused.Put(rk, u64(seq))
}

// Audit appends e to the audit log. A Detail longer than
// multaque.MaxAuditDetail bytes is cut at a character boundary. A refusal
// is counted in the day's entry for the same person, command and detail
// (see AuditRefusal).
func (db *DB) Audit(ctx context.Context, e multaque.AuditEntry) error {
	_, err := db.AuditRefusal(ctx, e)
	return err
}

// AuditRefusal is Audit, and reports for a refusal whether it is the
// person's first refusal of e.At's day (UTC), whatever the command: what
// follows a refusal, such as taking away a menu, need not be done more than
// once a day. For an entry that is no refusal first is false.
//
// A refusal is kept as one entry per person, command, detail and day: the
// first of the day is appended with Count 1; each other moves that entry to
// the end of the log, at e.At, with its Count grown and its First kept.
func (db *DB) AuditRefusal(ctx context.Context, e multaque.AuditEntry) (first bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if len(e.Detail) > multaque.MaxAuditDetail {
		cut := multaque.MaxAuditDetail
		for cut > 0 && !utf8.RuneStart(e.Detail[cut]) {
			cut--
		}
		e.Detail = e.Detail[:cut]
	}
	e.Count, e.First = 0, time.Time{}
	if e.Refused {
		e.Count, e.First = 1, e.At
	}
	err = db.batch(ctx, func(tx *bolt.Tx) error {
		next := e
		first = false
		audit := tx.Bucket(bucketAudit)
		if next.Refused {
			first = !hasRefusalOn(audit.Bucket(bucketAuditRefused), dayOf(next.At), next.Actor)
		}
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		data, err := json.Marshal(next)
		if err != nil {
			return err
		}
		if err := audit.Put(u64(seq), data); err != nil {
			return err
		}
		if err := indexAuditEntry(tx, seq, &next); err != nil {
			return err
		}
		return audit.Bucket(bucketAuditActors).Put(keyIndexed, u64(seq))
	})
	if err != nil {
		return false, fmt.Errorf("audit: %w", err)
	}
	return first, nil
}

// AuditLog returns the latest n audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, n int) ([]multaque.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.AuditEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			if len(k) != 8 || v == nil {
				continue
			}
			var e multaque.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// AuditLogBy returns the latest n audit entries whose actor is actor,
// newest first, through the index by actor: it costs what those entries
// do, whatever the log's size.
func (db *DB) AuditLogBy(ctx context.Context, actor int64, n int) ([]multaque.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.AuditEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		audit := tx.Bucket(bucketAudit)
		prefix := idKey(actor)
		c := audit.Bucket(bucketAuditActors).Cursor()
		k, _ := c.Seek(actorKey(actor, ^uint64(0)))
		if k == nil {
			k, _ = c.Last()
		}
		for ; k != nil && len(out) < n; k, _ = c.Prev() {
			if !bytes.HasPrefix(k, prefix) || len(k) != 16 {
				if len(k) == 16 && bytes.Compare(k, prefix) < 0 {
					break
				}
				continue
			}
			e, err := getAuditEntry(audit, k[8:])
			if err != nil {
				return err
			}
			if e != nil {
				out = append(out, *e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log of %d: %w", actor, err)
	}
	return out, nil
}

// purgeRefusals deletes the refused attempts whose day ended more than
// KeepRefusals before now, and returns how many entries it deleted. It
// walks only those: the index of refusals is ordered by day.
func purgeRefusals(tx *bolt.Tx, now time.Time) (int, error) {
	audit := tx.Bucket(bucketAudit)
	cutoff := dayOf(now.Add(-KeepRefusals))
	var doomed [][]byte
	c := audit.Bucket(bucketAuditRefused).Cursor()
	for k, v := c.First(); len(k) >= 4 && binary.BigEndian.Uint32(k) < cutoff; k, v = c.Next() {
		if len(v) == 8 {
			doomed = append(doomed, bytes.Clone(v))
		}
	}
	n := 0
	for _, seq := range doomed {
		e, err := getAuditEntry(audit, seq)
		if err != nil {
			return n, err
		}
		if e == nil {
			continue
		}
		if err := deleteAuditEntry(tx, seq, e); err != nil {
			return n, err
		}
		n++
	}
	// Index keys left by an entry deleted another way.
	c = audit.Bucket(bucketAuditRefused).Cursor()
	var stale [][]byte
	for k, _ := c.First(); len(k) >= 4 && binary.BigEndian.Uint32(k) < cutoff; k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := audit.Bucket(bucketAuditRefused).Delete(k); err != nil {
			return n, err
		}
	}
	return n, nil
}

// heldRefusedAttempts adds to out, by person, the audit entries of the
// commands each person of set was refused, unless they are a stored
// coordinator. Those entries say only that someone who had no right tried a
// command; once that person asks to be forgotten, keeping their id for it
// is not worth it, so /forget erases them and /mydata shows them. What
// coordinators did stays, even once they are coordinators no more, and so
// does every entry of a person who is a coordinator: the audit log is the
// record of how Multaque was steered. Each person's entries are found
// through the index by actor; forgetHeld deletes their index keys with
// them (dropAuditIndex).
func heldRefusedAttempts(tx *bolt.Tx, set personSet, out map[int64][]holding) error {
	coordinators := tx.Bucket(bucketCoordinators)
	audit := tx.Bucket(bucketAudit)
	for id := range set {
		if coordinators.Get(idKey(id)) != nil {
			continue
		}
		err := eachAuditEntryOf(audit, id, func(seq []byte, e *multaque.AuditEntry) error {
			if e.Refused {
				out[id] = append(out[id], holding{bucketAudit, bytes.Clone(seq)})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// auditEntriesOf returns every audit entry whose actor is the person with
// that id, oldest first: what /mydata shows of the audit log.
func auditEntriesOf(tx *bolt.Tx, id int64) ([]multaque.AuditEntry, error) {
	var out []multaque.AuditEntry
	err := eachAuditEntryOf(tx.Bucket(bucketAudit), id, func(_ []byte, e *multaque.AuditEntry) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

// eachAuditEntryOf calls fn with the sequence number and the entry of each
// audit entry of actor, oldest first.
func eachAuditEntryOf(audit *bolt.Bucket, actor int64, fn func(seq []byte, e *multaque.AuditEntry) error) error {
	prefix := idKey(actor)
	c := audit.Bucket(bucketAuditActors).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != 16 {
			continue
		}
		e, err := getAuditEntry(audit, k[8:])
		if err != nil {
			return err
		}
		if e != nil && e.Actor == actor {
			if err := fn(k[8:], e); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropAuditIndex deletes the index keys of the audit entry stored under
// seq, before the entry itself is deleted.
func dropAuditIndex(tx *bolt.Tx, seq []byte) error {
	audit := tx.Bucket(bucketAudit)
	e, err := getAuditEntry(audit, seq)
	if err != nil || e == nil {
		return err
	}
	if err := audit.Bucket(bucketAuditActors).Delete(actorKey(e.Actor, binary.BigEndian.Uint64(seq))); err != nil {
		return err
	}
	if e.Refused {
		refused := audit.Bucket(bucketAuditRefused)
		if rk := refusalKey(e); bytes.Equal(refused.Get(rk), seq) {
			return refused.Delete(rk)
		}
	}
	return nil
}

// deleteAuditEntry deletes the entry e stored under seq and its index
// keys.
func deleteAuditEntry(tx *bolt.Tx, seq []byte, e *multaque.AuditEntry) error {
	if err := dropAuditIndex(tx, seq); err != nil {
		return err
	}
	return tx.Bucket(bucketAudit).Delete(seq)
}

// getAuditEntry reads the entry stored under seq; nil if there is none or
// it cannot be read (AuditLog reports that).
func getAuditEntry(audit *bolt.Bucket, seq []byte) (*multaque.AuditEntry, error) {
	v := audit.Get(seq)
	if v == nil {
		return nil, nil
	}
	var e multaque.AuditEntry
	if json.Unmarshal(v, &e) != nil {
		return nil, nil
	}
	return &e, nil
}

// hasRefusalOn reports whether actor has a refusal recorded on day.
func hasRefusalOn(refused *bolt.Bucket, day uint32, actor int64) bool {
	prefix := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, day), uint64(actor))
	k, _ := refused.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// actorKey is the key of the entry seq of actor in the index by actor.
func actorKey(actor int64, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(idKey(actor), seq)
}

// refusalKey is the key of e's day, actor, command and detail in the index
// of refusals: the day of its first attempt.
func refusalKey(e *multaque.AuditEntry) []byte {
	at := e.First
	if at.IsZero() {
		at = e.At
	}
	k := binary.BigEndian.AppendUint32(nil, dayOf(at))
	k = binary.BigEndian.AppendUint64(k, uint64(e.Actor))
	k = append(k, e.Command...)
	k = append(k, 0)
	return append(k, e.Detail...)
}

// dayOf is the UTC day of t, in days since 1970-01-01 (0 before it).
func dayOf(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint32(s / 86400)
}

// checkAudit holds the audit log's indexes to its entries: every entry is
// indexed by its actor, every key of the index by actor names an entry of
// that actor, and every key of the index of refusals names the refused
// entry of that day, person, command and detail. A file whose log was
// never indexed (written by an older version, read without opening it for
// writing) has no index yet, which is no problem: Open builds it.
func (c *checker) checkAudit() {
	audit := c.tx.Bucket(bucketAudit)
	actors, refused := audit.Bucket(bucketAuditActors), audit.Bucket(bucketAuditRefused)
	if actors == nil || refused == nil {
		return
	}
	var indexed uint64
	if v := actors.Get(keyIndexed); len(v) == 8 {
		indexed = binary.BigEndian.Uint64(v)
	}
	missing := 0
	_ = audit.ForEach(func(k, v []byte) error {
		if len(k) != 8 || v == nil {
			return nil
		}
		var e multaque.AuditEntry
		if json.Unmarshal(v, &e) != nil {
			c.add("audit: entry %d does not read", binary.BigEndian.Uint64(k))
			return nil
		}
		seq := binary.BigEndian.Uint64(k)
		// One past indexed is an older program's, indexed at the next Open.
		if seq <= indexed && actors.Get(actorKey(e.Actor, seq)) == nil {
			missing++
		}
		if e.Refused && seq <= indexed && !bytes.Equal(refused.Get(refusalKey(&e)), k) {
			c.add("audit: refused entry %d is not in the index of refusals", seq)
		}
		return nil
	})
	if missing > 0 {
		c.add("audit: %d entries are not in the index by person", missing)
	}
	_ = actors.ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			return nil
		}
		e, _ := getAuditEntry(audit, k[8:])
		if e == nil || e.Actor != int64(binary.BigEndian.Uint64(k[:8])) {
			c.add("audit: the index by person names entry %d, which is not theirs", binary.BigEndian.Uint64(k[8:]))
		}
		return nil
	})
	_ = refused.ForEach(func(k, v []byte) error {
		e, _ := getAuditEntry(audit, v)
		if len(v) != 8 || e == nil || !e.Refused || !bytes.Equal(refusalKey(e), k) {
			c.add("audit: the index of refusals names an entry that is not that refusal")
		}
		return nil
	})
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The coordinators bucket maps a coordinator's Telegram id (8 bytes,
// big-endian) to their multaque.Coordinator as JSON. Coordinators listed
// in the configuration need no record; a record adds one (invited, or the
// first to /claim) or limits one to some communities.
//
// The audit bucket maps a sequence number (8 bytes, big-endian, from the
// bucket's own sequence) to a multaque.AuditEntry as JSON, oldest first.

// Coordinator returns the stored coordinator with Telegram id id, or an
// ENOTFOUND error.
func (db *DB) Coordinator(ctx context.Context, id int64) (*multaque.Coordinator, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c *multaque.Coordinator
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCoordinators).Get(idKey(id))
		if v == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "coordinator %d not found", id)
		}
		c = new(multaque.Coordinator)
		return json.Unmarshal(v, c)
	})
	if err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	return c, nil
}

// Coordinators returns every stored coordinator, by Telegram id.
func (db *DB) Coordinators(ctx context.Context) ([]multaque.Coordinator, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Coordinator
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCoordinators).ForEach(func(_, v []byte) error {
			var c multaque.Coordinator
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("coordinators: %w", err)
	}
	return out, nil
}

// SaveCoordinator stores c, replacing any record with its id. c must be
// valid (EINVALID).
func (db *DB) SaveCoordinator(ctx context.Context, c *multaque.Coordinator) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save coordinator: %w", err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCoordinators).Put(idKey(c.ID), data)
	})
	if err != nil {
		return fmt.Errorf("save coordinator: %w", err)
	}
	return nil
}

// RemoveCoordinator deletes the stored coordinator with id id; ENOTFOUND
// if there is none.
func (db *DB) RemoveCoordinator(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCoordinators)
		if b.Get(idKey(id)) == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "coordinator %d not found", id)
		}
		return b.Delete(idKey(id))
	})
	if err != nil {
		return fmt.Errorf("remove coordinator: %w", err)
	}
	return nil
}

// Audit appends e to the audit log. A Detail longer than
// multaque.MaxAuditDetail bytes is cut at a character boundary.
func (db *DB) Audit(ctx context.Context, e multaque.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(e.Detail) > multaque.MaxAuditDetail {
		cut := multaque.MaxAuditDetail
		for cut > 0 && !utf8.RuneStart(e.Detail[cut]) {
			cut--
		}
		e.Detail = e.Detail[:cut]
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	err = db.batch(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(u64(seq), data)
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the latest n audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, n int) ([]multaque.AuditEntry, error) {
	out, err := db.auditLog(ctx, n, func(multaque.AuditEntry) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// auditLog reads the log backwards, newest first, until it has n entries
// that keep accepts.
func (db *DB) auditLog(ctx context.Context, n int, keep func(multaque.AuditEntry) bool) ([]multaque.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.AuditEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			if len(k) != 8 {
				continue
			}
			var e multaque.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if keep(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// UpdateCoordinators applies fn to every stored coordinator, by Telegram
// id, and stores what fn leaves, in one transaction: a record fn deletes
// from the map is removed, one it adds or changes is saved (each must be
// valid, under its key: EINVALID). fn's error aborts the change and is
// returned. It is how a change that must look at every coordinator, such as
// keeping one who oversees everything, is made without a race.
func (db *DB) UpdateCoordinators(ctx context.Context, fn func(cs map[int64]*multaque.Coordinator) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCoordinators)
		old := map[int64][]byte{}
		cs := map[int64]*multaque.Coordinator{}
		err := b.ForEach(func(k, v []byte) error {
			c := new(multaque.Coordinator)
			if len(k) != 8 || json.Unmarshal(v, c) != nil {
				return multaque.Errorf(multaque.EINTERNAL, "coordinators: record %x is malformed", k)
			}
			id := int64(binary.BigEndian.Uint64(k))
			old[id], cs[id] = bytes.Clone(v), c
			return nil
		})
		if err != nil {
			return err
		}
		if err := fn(cs); err != nil {
			return err
		}
		for id := range old {
			if cs[id] == nil {
				if err := b.Delete(idKey(id)); err != nil {
					return err
				}
			}
		}
		for id, c := range cs {
			if c == nil {
				continue
			}
			if c.ID != id {
				return multaque.Errorf(multaque.EINVALID, "coordinator %d stored under %d", c.ID, id)
			}
			if err := c.Validate(); err != nil {
				return err
			}
			data, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if !bytes.Equal(data, old[id]) {
				if err := b.Put(idKey(id), data); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update coordinators: %w", err)
	}
	return nil
}

// AuditLogBy returns the latest n audit entries whose actor is actor,
// newest first. It reads the log backwards until it has them: an actor who
// did little long ago costs a walk through the whole log.
func (db *DB) AuditLogBy(ctx context.Context, actor int64, n int) ([]multaque.AuditEntry, error) {
	out, err := db.auditLog(ctx, n, func(e multaque.AuditEntry) bool { return e.Actor == actor })
	if err != nil {
		return nil, fmt.Errorf("audit log of %d: %w", actor, err)
	}
	return out, nil
}

// heldRefusedAttempts adds to out, by person, the audit entries of the
// commands each person of set was refused, unless they are a stored
// coordinator. Those entries say only that someone who had no right tried a
// command; once that person asks to be forgotten, keeping their id for it
// is not worth it, so /forget erases them and /mydata shows them. What
// coordinators did stays, even once they are coordinators no more, and so
// does every entry of a person who is a coordinator: the audit log is the
// record of how Multaque was steered. The log is walked once for the whole
// set.
func heldRefusedAttempts(tx *bolt.Tx, set personSet, out map[int64][]holding) error {
	coordinators := tx.Bucket(bucketCoordinators)
	asked := make(personSet, len(set))
	for id := range set {
		if coordinators.Get(idKey(id)) == nil {
			asked[id] = true
		}
	}
	if len(asked) == 0 {
		return nil
	}
	return tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
		var e multaque.AuditEntry
		if json.Unmarshal(v, &e) == nil && e.Refused && asked[e.Actor] {
			out[e.Actor] = append(out[e.Actor], holding{bucketAudit, bytes.Clone(k)})
		}
		return nil
	})
}

// auditEntriesOf returns every audit entry whose actor is the person with
// that id, oldest first: what /mydata shows of the audit log.
func auditEntriesOf(tx *bolt.Tx, id int64) ([]multaque.AuditEntry, error) {
	var out []multaque.AuditEntry
	err := tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
		var e multaque.AuditEntry
		if json.Unmarshal(v, &e) == nil && e.Actor == id {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

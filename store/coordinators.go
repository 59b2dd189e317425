package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The coordinators bucket maps a coordinator's Telegram id (8 bytes,
// big-endian) to their multaque.Coordinator as JSON. Coordinators listed
// in the configuration need no record; a record adds one (invited, or the
// first to /claim) or limits one to some communities.
//
// The audit log is in audit.go.

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

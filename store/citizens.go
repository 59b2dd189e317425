package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The citizens bucket maps a citizen's id (8 bytes, big-endian) to the JSON
// of their multaque.Citizen. A citizen's entries in the waiting and refcodes
// buckets change in the same transaction as their record (putCitizen).

// Citizen returns the citizen with that id, or an ENOTFOUND error.
func (db *DB) Citizen(ctx context.Context, id int64) (*multaque.Citizen, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var data []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// Copy and decode outside, to keep the read transaction short.
		data = bytes.Clone(tx.Bucket(bucketCitizens).Get(idKey(id)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("citizen %d: %w", id, err)
	}
	if data == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "citizen %d not found", id)
	}
	c, err := decodeCitizen(id, data)
	if err != nil {
		return nil, fmt.Errorf("citizen %d: %w", id, err)
	}
	return c, nil
}

// SaveCitizen stores c in place of whatever was stored under c.ID, and keeps
// the waiting index and the referral codes in step in the same transaction.
// An interest that c keeps keeps its entry, and so its place in the queue.
//
// A citizen with no RefCode keeps the stored one, or gets a new random one;
// c.RefCode is set to it once saved. SaveCitizen sets nothing else.
//
// It returns an EINVALID error if c fails c.Validate, or if its community,
// one of its projects, an interest's Since or its RefCode cannot be stored as
// a key (they must be ids as in multaque.ValidID, times between 1970 and 2262,
// and 1-32 characters of a-z and 0-9), and an ECONFLICT error if its RefCode
// belongs to someone else.
func (db *DB) SaveCitizen(ctx context.Context, c *multaque.Citizen) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validate(c); err != nil {
		return fmt.Errorf("save citizen: %w", err)
	}
	// Batch may run the function more than once and on another goroutine:
	// it works on copies and never on the caller's c.
	in := clone(c)
	var code string
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		next := clone(in)
		old, err := getCitizen(tx, next.ID)
		if err != nil {
			return refuse(err)
		}
		if err := putCitizen(tx, old, next); err != nil {
			return err
		}
		code = next.RefCode
		return nil
	})
	if err != nil {
		return fmt.Errorf("save citizen %d: %w", c.ID, err)
	}
	c.RefCode = code
	return nil
}

// UpdateCitizen reads the citizen with that id, lets fn change them, and
// stores the result as SaveCitizen does, all in one write transaction. It
// returns the citizen as stored.
//
// fn may be called more than once, each time with a fresh copy of the stored
// record: it must do nothing but change that copy. An error from fn stores
// nothing and is returned wrapped. UpdateCitizen returns an ENOTFOUND error if
// there is no such citizen, and an EINVALID or ECONFLICT error as SaveCitizen
// does, or if fn changes the id.
func (db *DB) UpdateCitizen(ctx context.Context, id int64, fn func(c *multaque.Citizen) error) (*multaque.Citizen, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Citizen
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		out = nil
		old, err := getCitizen(tx, id)
		switch {
		case err != nil:
			return refuse(err)
		case old == nil:
			return refuse(multaque.Errorf(multaque.ENOTFOUND, "citizen %d not found", id))
		}
		next := clone(old)
		if err := fn(next); err != nil {
			return refuse(err)
		}
		if next.ID != id {
			return refuse(multaque.Errorf(multaque.EINVALID, "citizen %d: the id cannot change", id))
		}
		if err := validate(next); err != nil {
			return refuse(err)
		}
		if err := putCitizen(tx, old, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update citizen %d: %w", id, err)
	}
	return out, nil
}

// MarkUnreachable records that the citizen blocked the bot, which takes them
// out of the waiting index. A citizen who is not stored, or already marked,
// is not an error.
func (db *DB) MarkUnreachable(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		old, err := getCitizen(tx, id)
		if err != nil {
			return refuse(err)
		}
		if old == nil || old.Unreachable {
			return nil
		}
		next := clone(old)
		next.Unreachable = true
		return putCitizen(tx, old, next)
	})
	if err != nil {
		return fmt.Errorf("mark unreachable %d: %w", id, err)
	}
	return nil
}

// putCitizen stores next in place of old (nil for a new citizen) and brings
// the waiting index and the referral codes in step. It gives next a RefCode
// if it has none. Its checks come before its first write, so that a caller
// in a batch may refuse on them; errors after that are bbolt's.
func putCitizen(tx *bolt.Tx, old, next *multaque.Citizen) error {
	codes := tx.Bucket(bucketRefCodes)
	key := idKey(next.ID)
	if next.RefCode == "" && old != nil {
		next.RefCode = old.RefCode
	}
	if next.RefCode == "" {
		next.RefCode = newRefCode(codes)
	} else if owner := codes.Get([]byte(next.RefCode)); owner != nil && !bytes.Equal(owner, key) {
		return refuse(multaque.Errorf(multaque.ECONFLICT, "citizen %d: ref code taken", next.ID))
	}
	data, err := json.Marshal(next)
	if err != nil {
		return refuse(fmt.Errorf("encode citizen %d: %w", next.ID, err))
	}

	if err := tx.Bucket(bucketCitizens).Put(key, data); err != nil {
		return err
	}
	if err := updateWaiting(tx, old, next); err != nil {
		return err
	}
	if old != nil && old.RefCode != next.RefCode {
		if owner := codes.Get([]byte(old.RefCode)); bytes.Equal(owner, key) {
			if err := codes.Delete([]byte(old.RefCode)); err != nil {
				return err
			}
		}
	}
	return codes.Put([]byte(next.RefCode), key)
}

// getCitizen returns the stored citizen, or nil if there is none.
func getCitizen(tx *bolt.Tx, id int64) (*multaque.Citizen, error) {
	data := tx.Bucket(bucketCitizens).Get(idKey(id))
	if data == nil {
		return nil, nil
	}
	return decodeCitizen(id, data)
}

func decodeCitizen(id int64, data []byte) (*multaque.Citizen, error) {
	var c multaque.Citizen
	if err := json.Unmarshal(data, &c); err != nil {
		// json's message may quote the data: keep it out of the error.
		return nil, multaque.Errorf(multaque.EINTERNAL, "citizen %d: stored record is not valid JSON", id)
	}
	return &c, nil
}

// clone copies c deeply enough that changing the copy leaves c alone.
func clone(c *multaque.Citizen) *multaque.Citizen {
	out := *c
	out.Interests = slices.Clone(c.Interests)
	return &out
}

// Since is stored as nanoseconds since 1970 in an int64.
var (
	minSince = time.Unix(0, 0)
	maxSince = time.Unix(0, math.MaxInt64)
)

// validate checks c as multaque does, and that what goes into keys can: a
// community or project with a '/' would break the waiting index. Messages
// name the citizen by id only.
func validate(c *multaque.Citizen) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Community != "" && !multaque.ValidID(c.Community) {
		return multaque.Errorf(multaque.EINVALID, "citizen %d: community is not a valid id", c.ID)
	}
	for i, in := range c.Interests {
		if !multaque.ValidID(in.Project) {
			return multaque.Errorf(multaque.EINVALID, "citizen %d: interest %d: project is not a valid id", c.ID, i+1)
		}
		if in.Since.Before(minSince) || in.Since.After(maxSince) {
			return multaque.Errorf(multaque.EINVALID, "citizen %d: interest %d: since must be between 1970 and 2262", c.ID, i+1)
		}
	}
	if c.RefCode != "" && !validRefCode(c.RefCode) {
		return multaque.Errorf(multaque.EINVALID, "citizen %d: ref code must be 1-%d characters of a-z and 0-9", c.ID, maxRefCodeLen)
	}
	return nil
}

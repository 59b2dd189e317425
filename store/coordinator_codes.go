package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Coordinator invites share the codes bucket with the mentor invites
// (mentors.go): a code of kind "coordinator" is an inviteCode whose scope
// is the one the invited person gets (none: every community).

// codeKindCoordinator is the kind of the codes that make someone a
// coordinator.
const codeKindCoordinator = "coordinator"

// CreateCoordinatorCode stores a new one-time coordinator invite code,
// created at now by the coordinator by and valid until expires, that makes
// whoever redeems it a coordinator of communities (none: of every
// community), and returns it: 26 random characters of a-z and 2-7 (130
// bits), usable as it is in a deep link (start=k_<code>). by must be
// positive, expires set and communities valid ids, none twice (EINVALID).
//
// The same transaction deletes the coordinator codes that expired by now,
// so that dead invites do not pile up in the bucket.
func (db *DB) CreateCoordinatorCode(ctx context.Context, by int64, communities []string, now, expires time.Time) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if by <= 0 || expires.IsZero() {
		return "", multaque.Errorf(multaque.EINVALID, "coordinator code: creator and expiry are required")
	}
	// The scope is checked as the coordinator it will become holds it.
	scope := multaque.Coordinator{ID: by, Communities: communities, Lang: multaque.DefaultLang, AddedAt: expires}
	if err := scope.Validate(); err != nil {
		return "", multaque.Errorf(multaque.EINVALID, "coordinator code: %s", multaque.ErrorMessage(err))
	}
	data, err := json.Marshal(inviteCode{Kind: codeKindCoordinator, By: by, Expires: expires, Scope: slices.Clone(communities)})
	if err != nil {
		return "", fmt.Errorf("create coordinator code: %w", err)
	}
	var code string
	err = db.update(ctx, func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketCodes)
		if err := purgeCoordinatorCodes(codes, now); err != nil {
			return err
		}
		code, err = putNewCode(codes, data) // mentors.go
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create coordinator code: %w", err)
	}
	return code, nil
}

// purgeCoordinatorCodes deletes the coordinator codes that expired by now.
func purgeCoordinatorCodes(codes *bolt.Bucket, now time.Time) error {
	doomed, err := expiredCodes(codes, codeKindCoordinator, now) // mentors.go
	if err != nil {
		return err
	}
	for _, k := range doomed {
		if err := codes.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// CheckCoordinatorCode reports whether code can still make someone a
// coordinator at now, and if so who created it and the scope it gives: an
// ENOTFOUND error if it is unknown or used, an EINVALID error with the
// message "expired" if it has expired. It changes nothing.
func (db *DB) CheckCoordinatorCode(ctx context.Context, code string, now time.Time) (by int64, communities []string, err error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		cc, err := liveCode(tx, code, codeKindCoordinator, now)
		if err != nil {
			return err
		}
		by, communities = cc.By, cc.Scope
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("check coordinator code: %w", err)
	}
	return by, communities, nil
}

// RedeemCoordinatorCode makes c a coordinator through code, in one
// transaction: the code must be unused (else ENOTFOUND) and not expired at
// now (else EINVALID "expired"); it is deleted, and c is stored, added at
// now, with the code's communities as its scope. c must not be a stored
// coordinator already (ECONFLICT: the code is then left unused), and must
// be valid once completed (EINVALID). The messages items returns, given
// the stored coordinator and who created the code, are enqueued in the
// same transaction; items may be nil.
//
// It returns the coordinator as stored and the id of who invited them.
func (db *DB) RedeemCoordinatorCode(ctx context.Context, code string, c multaque.Coordinator, now time.Time, items func(c *multaque.Coordinator, by int64) []multaque.OutboxItem) (*multaque.Coordinator, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	c.AddedAt = now
	c.Communities = nil
	if err := c.Validate(); err != nil {
		return nil, 0, err
	}
	var by int64
	err := db.update(ctx, func(tx *bolt.Tx) error {
		coords, key := tx.Bucket(bucketCoordinators), idKey(c.ID)
		if coords.Get(key) != nil {
			return multaque.Errorf(multaque.ECONFLICT, "%d is a coordinator already", c.ID)
		}
		cc, err := liveCode(tx, code, codeKindCoordinator, now)
		if err != nil {
			return err
		}
		c.Communities, by = slices.Clone(cc.Scope), cc.By
		if err := c.Validate(); err != nil {
			return err
		}
		data, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketCodes).Delete([]byte(code)); err != nil {
			return err
		}
		if err := coords.Put(key, data); err != nil {
			return err
		}
		if items == nil {
			return nil
		}
		for _, it := range items(&c, by) {
			if err := checkOutboxItem(&it); err != nil {
				return err
			}
			if _, err := enqueueTx(tx, &it, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("redeem coordinator code: %w", err)
	}
	return &c, by, nil
}

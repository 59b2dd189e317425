package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The pledge_typing bucket maps a person (8 bytes) to the team whose goal
// waits for the amount they type (multaque.AwaitPledge). /forget erases it.
var bucketPledgeTyping = []byte("pledge_typing")

func init() { allBuckets = append(allBuckets, bucketPledgeTyping) }

// SetPledgeTyping records that person's next typed text is an amount for
// team's goal; team "" clears it.
func (db *DB) SetPledgeTyping(ctx context.Context, person int64, team string) error {
	if team != "" && !multaque.ValidID(team) {
		return multaque.Errorf(multaque.EINVALID, "bad team id")
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if team == "" {
			return tx.Bucket(bucketPledgeTyping).Delete(idKey(person))
		}
		return tx.Bucket(bucketPledgeTyping).Put(idKey(person), []byte(team))
	})
	if err != nil {
		return fmt.Errorf("pledge typing %d: %w", person, err)
	}
	return nil
}

// PledgeTyping returns the team whose goal waits for person's typed
// amount, "" if none.
func (db *DB) PledgeTyping(ctx context.Context, person int64) (string, error) {
	var out string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		out = string(tx.Bucket(bucketPledgeTyping).Get(idKey(person)))
		return nil
	})
	return out, err
}

// pledgeTyping says, for Awaiting, whether person types an amount.
func pledgeTyping(tx *bolt.Tx, person int64) bool {
	b := tx.Bucket(bucketPledgeTyping)
	return b != nil && b.Get(idKey(person)) != nil
}

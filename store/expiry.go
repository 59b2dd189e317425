package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Purged counts what PurgeExpired deleted.
type Purged struct {
	MentorCodes      int // mentor invites expired
	MentorDrafts     int // onboardings whose invite expired or is gone
	CoordinatorCodes int // coordinator invites expired
	Refusals         int // refused attempts older than KeepRefusals
}

// Total is everything PurgeExpired deleted.
func (p Purged) Total() int {
	return p.MentorCodes + p.MentorDrafts + p.CoordinatorCodes + p.Refusals
}

// PurgeExpired deletes, in one transaction, everything whose end came by
// now: mentor and coordinator invite codes past their expiry, mentor drafts
// (a person's name, id and language, kept while they accept an invite)
// whose code expired or is gone, and refused attempts in the audit log
// kept past KeepRefusals. It is the store's part of the bot's scheduled
// housekeeping; running it twice deletes nothing twice.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time) (Purged, error) {
	if err := ctx.Err(); err != nil {
		return Purged{}, err
	}
	var p Purged
	err := db.update(ctx, func(tx *bolt.Tx) error {
		p = Purged{}
		var err error
		if p.MentorCodes, p.MentorDrafts, err = purgeMentorCodes(tx, now); err != nil { // mentors.go
			return err
		}
		coordinators, err := expiredCodes(tx.Bucket(bucketCodes), codeKindCoordinator, now)
		if err != nil {
			return err
		}
		if err := purgeCoordinatorCodes(tx.Bucket(bucketCodes), now); err != nil { // coordinator_codes.go
			return err
		}
		p.CoordinatorCodes = len(coordinators)
		p.Refusals, err = purgeRefusals(tx, now) // audit.go
		return err
	})
	if err != nil {
		return Purged{}, fmt.Errorf("purge expired: %w", err)
	}
	return p, nil
}

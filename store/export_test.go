package store

import (
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// WithClock makes the store read the time from now, so that tests can move
// it on.
func WithClock(now func() time.Time) Option {
	return func(db *DB) { db.now = now }
}

// LoadCitizens is ImportCitizens, for the benchmarks written before it.
func LoadCitizens(db *DB, cs []*multaque.Citizen) error {
	return db.ImportCitizens(context.Background(), cs)
}

// FillRefusals writes n refused attempts, each of another person (ids from
// first on), on the day of at, in one transaction, as AuditRefusal would:
// for the benchmarks of a large audit log.
func FillRefusals(db *DB, first int64, n int, at time.Time) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		audit := tx.Bucket(bucketAudit)
		for i := range n {
			e := multaque.AuditEntry{At: at, Actor: first + int64(i), Command: "stats", Refused: true, Count: 1, First: at}
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			seq, err := audit.NextSequence()
			if err != nil {
				return err
			}
			if err := audit.Put(u64(seq), data); err != nil {
				return err
			}
			if err := indexAuditEntry(tx, seq, &e); err != nil {
				return err
			}
		}
		return audit.Bucket(bucketAuditActors).Put(keyIndexed, u64(audit.Sequence()))
	})
}

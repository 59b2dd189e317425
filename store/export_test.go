package store

import (
	"context"
	"time"

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

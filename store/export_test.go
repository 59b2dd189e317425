package store

import "time"

// WithClock makes the store read the time from now, so that tests can move
// it on.
func WithClock(now func() time.Time) Option {
	return func(db *DB) { db.now = now }
}

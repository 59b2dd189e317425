package main

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque/store"
)

// housekeepingEvery is how often the running bot deletes what has expired.
// An invite past its expiry is refused whether or not it was purged; the
// purge bounds how long what it held (a mentor's draft holds a name) stays
// in the file, to an hour past its end.
const housekeepingEvery = time.Hour

// housekeeper deletes what has an end once it is over (store.PurgeExpired:
// expired invite codes, mentor drafts of expired or void invites, refused
// attempts past store.KeepRefusals), when the bot starts and then every
// housekeepingEvery. Backups are the other housekeeping, on their own
// schedule (startBackups).
type housekeeper struct {
	db  *store.DB
	now func() time.Time
	log zerolog.Logger
}

// purge runs one purge and logs what it deleted, in counts only.
func (h housekeeper) purge(ctx context.Context) (store.Purged, error) {
	p, err := h.db.PurgeExpired(ctx, h.now())
	if err != nil {
		if ctx.Err() == nil {
			h.log.Error().Str("error", plainError(err)).Msg("housekeeping failed")
		}
		return p, err
	}
	if p.Total() > 0 {
		h.log.Info().Int("mentor_codes", p.MentorCodes).Int("mentor_drafts", p.MentorDrafts).
			Int("coordinator_codes", p.CoordinatorCodes).Int("refusals", p.Refusals).Msg("expired data purged")
	}
	return p, nil
}

// start purges now and then every interval until ctx is done or the
// returned stop is called; stop waits for a purge in progress.
func (h housekeeper) start(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			_, _ = h.purge(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

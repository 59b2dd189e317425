package multaque

import (
	"context"
	"sync/atomic"
	"time"
)

// UpdateMark follows one Telegram update through its handling, so that the
// store can record the update as handled in the same transaction as the
// change it causes: a crash then either loses both (and Telegram delivers
// the update again) or keeps both (and the update, delivered again, is
// recognised and skipped).
type UpdateMark struct {
	ID       int
	recorded atomic.Bool
}

// Recorded reports whether a committed transaction recorded the update.
func (m *UpdateMark) Recorded() bool { return m != nil && m.recorded.Load() }

// SetRecorded notes that a committed transaction recorded the update.
func (m *UpdateMark) SetRecorded() { m.recorded.Store(true) }

type updateKey struct{}

// WithUpdate returns a context carrying a new mark for update id.
func WithUpdate(ctx context.Context, id int) (context.Context, *UpdateMark) {
	m := &UpdateMark{ID: id}
	return context.WithValue(ctx, updateKey{}, m), m
}

// UpdateFrom returns the update mark ctx carries, or nil.
func UpdateFrom(ctx context.Context) *UpdateMark {
	if ctx == nil {
		return nil
	}
	m, _ := ctx.Value(updateKey{}).(*UpdateMark)
	return m
}

// InboxUpdate is a Telegram update taken into the durable inbox: its id,
// when it arrived, and its JSON as Telegram sent it.
type InboxUpdate struct {
	ID      int
	Arrived time.Time
	Body    []byte
}

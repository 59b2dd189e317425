package multaque

import (
	"time"
	"unicode/utf8"
)

// Broadcast is a message coordinators send to many citizens at once: to
// everyone, to the people of a community, or to those interested in a
// project. It is written by a coordinator, previewed with the number of
// its recipients, and queued only once they confirm it; its messages then
// go through the outbox at the bulk rate.
type Broadcast struct {
	ID uint64 `json:"id"` // given by the store
	By int64  `json:"by"` // the coordinator who wrote it
	// Community and Project are the target as the coordinator named it:
	// both empty for everyone.
	Community string `json:"community,omitempty"`
	Project   string `json:"project,omitempty"`
	// Communities are where recipients live: the target community and
	// every community inside it, or a scoped coordinator's communities and
	// those inside them. Empty means everywhere.
	Communities []string `json:"communities,omitempty"`
	// Texts is the message as each language's recipients get it (HTML):
	// the coordinator's text, the same for all, under a header in the
	// recipient's language. Set once the coordinator has written it.
	Texts  map[Lang]string `json:"texts,omitempty"`
	Status BroadcastStatus `json:"status"`
	// Recipients is how many people it would reach when it was previewed.
	Recipients int `json:"recipients"`
	// Cursor is the id of the last citizen looked at while queueing: the
	// next chunk starts after it, so that queueing resumes where it was.
	Cursor int64 `json:"cursor,omitempty"`
	// Queued counts the messages put in the outbox.
	Queued int `json:"queued"`
	// Delivered and Failed count its messages Telegram took, and those
	// given up on (dead, or the recipient unreachable). The store keeps
	// them apart from the record, which would otherwise be rewritten with
	// every delivery, and fills them in when it reads one.
	Delivered int       `json:"-"`
	Failed    int       `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ConfirmedAt is when the coordinator confirmed it; DoneAt when its
	// last message was queued (or when it was cancelled).
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	DoneAt      time.Time `json:"done_at,omitzero"`
}

// BroadcastStatus is where a broadcast is in its life.
type BroadcastStatus string

// The statuses of a broadcast: waiting for its text, waiting for the
// coordinator's confirmation, cancelled before it was confirmed, being
// queued, and queued in full.
const (
	BroadcastDraft     BroadcastStatus = "draft"
	BroadcastPreview   BroadcastStatus = "preview"
	BroadcastCancelled BroadcastStatus = "cancelled"
	BroadcastQueueing  BroadcastStatus = "queueing"
	BroadcastQueued    BroadcastStatus = "queued"
)

// Valid reports whether s is one of the statuses above.
func (s BroadcastStatus) Valid() bool {
	switch s {
	case BroadcastDraft, BroadcastPreview, BroadcastCancelled, BroadcastQueueing, BroadcastQueued:
		return true
	}
	return false
}

// Open reports whether a broadcast in status s may still change: it waits
// for its text or for confirmation.
func (s BroadcastStatus) Open() bool { return s == BroadcastDraft || s == BroadcastPreview }

// Confirmed reports whether a broadcast in status s was confirmed.
func (s BroadcastStatus) Confirmed() bool { return s == BroadcastQueueing || s == BroadcastQueued }

// Validate checks what a stored broadcast must hold.
func (b *Broadcast) Validate() error {
	switch {
	case b.By <= 0:
		return Errorf(EINVALID, "broadcast %d: written by nobody", b.ID)
	case !b.Status.Valid():
		return Errorf(EINVALID, "broadcast %d: unknown status %q", b.ID, b.Status)
	case b.Community != "" && !ValidID(b.Community):
		return Errorf(EINVALID, "broadcast %d: bad community id %q", b.ID, b.Community)
	case b.Project != "" && !ValidID(b.Project):
		return Errorf(EINVALID, "broadcast %d: bad project id %q", b.ID, b.Project)
	case b.CreatedAt.IsZero():
		return Errorf(EINVALID, "broadcast %d: no time created", b.ID)
	case b.Recipients < 0 || b.Queued < 0 || b.Cursor < 0:
		return Errorf(EINVALID, "broadcast %d: negative count", b.ID)
	}
	if err := checkIDs(b.Communities); err != nil {
		return Errorf(EINVALID, "broadcast %d: community %s", b.ID, err.Message)
	}
	if b.Status != BroadcastDraft && b.Status != BroadcastCancelled {
		for _, l := range Languages {
			if b.Texts[l] == "" {
				return Errorf(EINVALID, "broadcast %d: no text in %s", b.ID, l)
			}
		}
	}
	for l, s := range b.Texts {
		if !l.Valid() {
			return Errorf(EINVALID, "broadcast %d: text in unknown language %q", b.ID, l)
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxOutboxText {
			return Errorf(EINVALID, "broadcast %d: text in %s must be valid UTF-8 of at most %d characters", b.ID, l, MaxOutboxText)
		}
	}
	return nil
}

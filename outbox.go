package multaque

import (
	"time"
	"unicode/utf8"
)

// OutboxItem is one message waiting in the durable outbox: everything the
// bot sends that is not the direct answer to what a person just did (team
// invitations, reminders, broadcasts, coordinator alerts). It is enqueued in
// the same transaction as the change that causes it and leaves the outbox in
// the same transaction that records its effect.
type OutboxItem struct {
	// ID is assigned by the store when the item is enqueued; it grows with
	// every item, so it also orders items enqueued at the same time.
	ID uint64 `json:"id"`
	// Kind says what the message is for ("invite", "reminder", "broadcast",
	// "alert"...), for logs and metrics. It is 1-MaxIDLen characters as in
	// ValidID.
	Kind string `json:"kind"`
	// Chat is the target: a person's id (positive) or a group's (negative).
	Chat int64 `json:"chat"`
	// Priority orders the queue: lower goes first, 0 to MaxPriority.
	Priority int `json:"priority"`
	// NotBefore is when the item may be sent at the earliest. The zero time
	// means at once; the store records it as the time of enqueueing.
	NotBefore time.Time `json:"not_before"`
	// Attempts counts the sends that failed for a reason worth retrying.
	Attempts int `json:"attempts,omitempty"`
	// DedupKey, if set, makes the item unique: a second item with the same
	// key is not enqueued, even after the first was delivered.
	DedupKey string `json:"dedup_key,omitempty"`
	// Text is the message, or the caption of Document.
	Text string `json:"text"`
	// ParseMode is "", "HTML", "MarkdownV2" or "Markdown".
	ParseMode string `json:"parse_mode,omitempty"`
	// Keyboard is an inline keyboard shown under the message.
	Keyboard [][]OutboxButton `json:"keyboard,omitempty"`
	// Document, if set, is sent as a file with Text as its caption.
	Document *OutboxFile `json:"document,omitempty"`
	// Owner names who is responsible for Chat ("team/<id>", "pool"), so that
	// whoever owns a chat that is gone can be told.
	Owner string `json:"owner,omitempty"`
	// CreatedAt is when the item was enqueued (set by the store).
	CreatedAt time.Time `json:"created_at"`
	// LastError is the last failure, with the bot token removed.
	LastError string `json:"last_error,omitempty"`
	// DeadAt is when the item was given up on (only for dead items).
	DeadAt time.Time `json:"dead_at,omitzero"`
}

// OutboxButton is an inline keyboard button: a link (URL) or a callback
// button (Data, at most 64 bytes).
type OutboxButton struct {
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
	Data string `json:"data,omitempty"`
}

// OutboxFile is a document sent from the outbox.
type OutboxFile struct {
	Name string `json:"name"`
	MIME string `json:"mime,omitempty"`
	Data []byte `json:"data"`
}

// Limits of an outbox item, Telegram's where Telegram has one.
const (
	MaxPriority       = 9
	MaxOutboxText     = 4096 // characters of a message
	MaxOutboxCaption  = 1024 // characters of a document's caption
	MaxDedupKeyLen    = 128  // bytes
	MaxOutboxFileSize = 10 << 20
	maxButtonData     = 64 // bytes
)

// Priorities in common use.
const (
	PriorityUrgent = 0           // provisioning steps and alerts that unblock people
	PriorityNormal = 4           // invitations and reminders
	PriorityBulk   = MaxPriority // broadcasts
)

// Validate checks what an item must hold to be enqueued. The ID, CreatedAt
// and the failure fields are the store's and are not checked.
func (it *OutboxItem) Validate() error {
	switch {
	case !ValidID(it.Kind):
		return Errorf(EINVALID, "outbox item: kind must be 1-%d characters of a-z, 0-9 and -", MaxIDLen)
	case it.Chat == 0:
		return Errorf(EINVALID, "outbox item %s: no chat", it.Kind)
	case it.Priority < 0 || it.Priority > MaxPriority:
		return Errorf(EINVALID, "outbox item %s: priority %d is not in 0-%d", it.Kind, it.Priority, MaxPriority)
	case it.Attempts < 0:
		return Errorf(EINVALID, "outbox item %s: negative attempts", it.Kind)
	case len(it.DedupKey) > MaxDedupKeyLen || !utf8.ValidString(it.DedupKey):
		return Errorf(EINVALID, "outbox item %s: dedup key must be valid UTF-8 of at most %d bytes", it.Kind, MaxDedupKeyLen)
	case !utf8.ValidString(it.Text):
		return Errorf(EINVALID, "outbox item %s: text is not valid UTF-8", it.Kind)
	}
	switch it.ParseMode {
	case "", "HTML", "MarkdownV2", "Markdown":
	default:
		return Errorf(EINVALID, "outbox item %s: unknown parse mode %q", it.Kind, it.ParseMode)
	}
	if it.Document != nil {
		d := it.Document
		switch {
		case d.Name == "" || len(d.Data) == 0:
			return Errorf(EINVALID, "outbox item %s: a document needs a name and data", it.Kind)
		case len(d.Data) > MaxOutboxFileSize:
			return Errorf(EINVALID, "outbox item %s: document over %d bytes", it.Kind, MaxOutboxFileSize)
		case utf8.RuneCountInString(it.Text) > MaxOutboxCaption:
			return Errorf(EINVALID, "outbox item %s: caption over %d characters", it.Kind, MaxOutboxCaption)
		}
	} else if it.Text == "" || utf8.RuneCountInString(it.Text) > MaxOutboxText {
		return Errorf(EINVALID, "outbox item %s: text must be 1-%d characters", it.Kind, MaxOutboxText)
	}
	for _, row := range it.Keyboard {
		for _, b := range row {
			if b.Text == "" || (b.URL == "") == (b.Data == "") || len(b.Data) > maxButtonData {
				return Errorf(EINVALID, "outbox item %s: a button needs a text and either a URL or 1-%d bytes of data", it.Kind, maxButtonData)
			}
		}
	}
	return nil
}

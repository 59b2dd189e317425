package multaque

import "time"

// JoinAnswer is a request to join a team's group that the bot has not yet
// answered at Telegram: decided (approve or decline) and waiting for
// Telegram to take the answer, or not yet decidable (the group migrated and
// the bot has not yet followed it). It is stored before the answer is sent
// and dropped once Telegram took it, so that a request is answered even if
// Telegram refuses the call a few times (429) or the process stops.
type JoinAnswer struct {
	Chat int64 `json:"chat"` // the group
	User int64 `json:"user"` // who asks
	// UserChat is the private chat to tell a declined citizen in, 0 for
	// User's.
	UserChat int64 `json:"user_chat,omitempty"`
	// Decided says whether Approve is the decision; an undecided request
	// is decided again when its group is known.
	Decided bool      `json:"decided,omitempty"`
	Approve bool      `json:"approve,omitempty"`
	Since   time.Time `json:"since"`
	Tries   int       `json:"tries,omitempty"`
}

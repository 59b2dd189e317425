package multaque

import "time"

// AuditEntry records one admin action, or an attempt refused: who, when,
// which command and, in a few words, on what. Detail names ids (a project,
// a community, a team, a coordinator's Telegram id), never what people
// typed about themselves.
type AuditEntry struct {
	At      time.Time `json:"at"`
	Actor   int64     `json:"actor"`   // Telegram id of who ran the command
	Command string    `json:"command"` // e.g. "threshold", "broadcast"
	Detail  string    `json:"detail,omitempty"`
	// Refused is set when the actor was not allowed to run the command
	// (not a coordinator, or outside their scope).
	Refused bool `json:"refused,omitempty"`
	// Count is, for a refusal, how many times that day the actor was
	// refused the command with that detail, the first at First and the
	// last at At: refusals are kept as one entry per person, command and
	// day, so that nobody can grow the log without bound.
	Count int       `json:"count,omitempty"`
	First time.Time `json:"first,omitzero"`
}

// MaxAuditDetail is the longest Detail kept; longer ones are cut.
const MaxAuditDetail = 200

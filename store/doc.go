// Package store keeps Multaque's state in one bbolt file: citizens, the
// waiting index the matcher reads, referral codes, the update ids already
// handled, and (filled by later work) teams, mentors, coordinators, the group
// pool, invite codes, proposals, the outbox and the audit trail.
//
// It speaks only in domain terms (multaque.Citizen, multaque error codes) and
// keeps its invariants inside single transactions: a citizen record, their
// entries in the waiting index and their referral code always change together.
// Writes that come in at a high rate go through bbolt's Batch so that
// concurrent callers share one fsync; the functions handed to Batch may run
// more than once and are written to be idempotent.
//
// The package must never talk to Telegram, never log, and never put personal
// data (names, typed text, communities) into an error message: ids are the
// only thing about a person an error may carry. Every bucket that comes to
// hold something about a person must be covered by ForgetCitizen and
// PersonalData (see held in personal.go).
package store

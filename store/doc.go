// Package store keeps Multaque's state in one bbolt file: citizens, the
// waiting index and its per-queue summaries that the matcher reads, referral
// codes, the update ids already handled, teams, mentors and their invite
// codes, the group pool, join requests still to answer, the outbox and the
// messages given up on, coordinators and the audit log (indexed by person, refused attempts kept
// as one entry per person, command and day: audit.go), project proposals
// and threshold overrides, broadcasts, the teams' decisions (decisions.go:
// drafts, open polls and their votes, a block's reason awaited, each team's
// log; a vote replaces a voter's last only when its update is newer, and a
// decision stays in the open index until its outcome is posted), the teams'
// kickoff plans (plans.go: one per team, changed with the outbox items and
// the update that cause it) and the mentors' check-ins waiting for their
// optional line, and keyed
// tags of erased ids (so that a restore can erase again). What has an end
// (invite codes, mentor drafts, old refusals) PurgeExpired deletes once it
// is over. It also takes hot compacted backups, restores them, and
// checks the file's consistency and its invariants (backup.go, check.go).
//
// It speaks only in domain terms (multaque.Citizen, multaque error codes) and
// keeps its invariants inside single transactions: a citizen record, their
// entries in the waiting index, the queue summaries and their referral code
// always change together; a team forms with its members leaving the queues and
// with its outbox messages, and every change to a team moves it in the
// indexes of teams by group, by state and by member in the same transaction;
// a group's upgrade to a supergroup moves its pool record, its team and its
// pending join answers to the new id at once; a change made while handling
// a Telegram update records the update in the same transaction (multaque.WithUpdate).
// Writes that come in at a high rate go through bbolt's Batch so that
// concurrent callers share one fsync; the functions handed to Batch may run
// more than once and are written to be idempotent.
//
// Teams' goals, pledges and match funds (pledges.go, funds.go) keep theirs:
// a pledge, its fund's reservation and its messages commit together, so a
// fund's committed + paid never exceeds its budget and committed + released
// + paid always equals what it ever reserved; a critical-mass bonus is
// reserved in the transaction that forms its team; a goal's settlement (met
// or missed), every pledge's new status, the funds' accounts and the
// messages with their reminders commit together; marking a pledge paid
// deletes its reminders in the same transaction. Check verifies all of it
// (checkPledges in funds_ledger.go).
//
// The package must never talk to Telegram, never log, and never put personal
// data (names, typed text, communities) into an error message: ids are the
// only thing about a person an error may carry. Every bucket that comes to
// hold something about a person must be covered by ForgetCitizen and
// PersonalData (see held in personal.go; the outbox is cleared by
// forgetInOutbox).
package store

package store

// The teams' decisions (multaque.Decision): one bucket, decisions, with
// nested buckets made by the first write:
//
//	records  id (8 bytes) → the decision, JSON, votes included
//	drafts   person (8 bytes) → id of the draft they are writing (one each)
//	polls    poll id → decision id, for an open or closed decision's poll
//	open     id → nothing: the decisions the bot tends, open ones and closed
//	         ones whose outcome is not posted yet
//	teams    team id + "/" + id → nothing: a team's decision log
//	reasons  person (8 bytes) → id of the decision whose block waits for their reason
//	mentor   team id → nothing: the team chose that its mentor's answers count
//
// Invariants, kept in each transaction: a draft is in drafts and nowhere
// else; an open decision is in polls, open and teams; a closed one in polls
// and teams, in open only until its outcome is posted, never in reasons. A vote replaces the voter's previous
// one only when its update is newer, so an update delivered twice or late
// counts once and never undoes a newer answer. Reading the log and the
// tallies is in decisions_log.go, a person's part in decisions_personal.go.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

var (
	bucketDecisions         = []byte("decisions")
	bucketDecisionRecords   = []byte("records")
	bucketDecisionDrafts    = []byte("drafts")
	bucketDecisionPolls     = []byte("polls")
	bucketDecisionOpen      = []byte("open")
	bucketDecisionTeams     = []byte("teams")
	bucketDecisionReasons   = []byte("reasons")
	bucketDecisionMentor    = []byte("mentor")
	decisionNested          = [][]byte{bucketDecisionRecords, bucketDecisionDrafts, bucketDecisionPolls, bucketDecisionOpen, bucketDecisionTeams, bucketDecisionReasons, bucketDecisionMentor}
	errNoDecision           = multaque.Errorf(multaque.ENOTFOUND, "no such decision")
	errDecisionNotOpen      = multaque.Errorf(multaque.ECONFLICT, "the decision is not open")
	errDecisionNotDraft     = multaque.Errorf(multaque.ECONFLICT, "the decision is no longer a draft")
	decisionTeamKeySeparate = byte('/')
)

// decisionBuckets returns the nested buckets in a write transaction,
// making them on first use.
func decisionBuckets(tx *bolt.Tx) (map[string]*bolt.Bucket, error) {
	top, err := tx.CreateBucketIfNotExists(bucketDecisions)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*bolt.Bucket, len(decisionNested))
	for _, name := range decisionNested {
		b, err := top.CreateBucketIfNotExists(name)
		if err != nil {
			return nil, err
		}
		out[string(name)] = b
	}
	return out, nil
}

// decisionBucket returns a nested bucket in a read transaction, nil if no
// write made it yet.
func decisionBucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	top := tx.Bucket(bucketDecisions)
	if top == nil {
		return nil
	}
	return top.Bucket(name)
}

func getDecision(tx *bolt.Tx, id uint64) (*multaque.Decision, error) {
	b := decisionBucket(tx, bucketDecisionRecords)
	if b == nil {
		return nil, errNoDecision
	}
	v := b.Get(u64(id))
	if v == nil {
		return nil, errNoDecision
	}
	var d multaque.Decision
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("decode decision %d: %w", id, err)
	}
	return &d, nil
}

func putDecision(bs map[string]*bolt.Bucket, d *multaque.Decision) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return bs[string(bucketDecisionRecords)].Put(u64(d.ID), data)
}

func teamDecisionKey(team string, id uint64) []byte {
	return append(append([]byte(team), decisionTeamKeySeparate), u64(id)...)
}

// DecisionDraft returns the draft person is writing, or nil.
func (db *DB) DecisionDraft(ctx context.Context, person int64) (*multaque.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var d *multaque.Decision
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		d, err = draftOf(tx, person)
		return err
	})
	return d, err
}

func draftOf(tx *bolt.Tx, person int64) (*multaque.Decision, error) {
	b := decisionBucket(tx, bucketDecisionDrafts)
	if b == nil {
		return nil, nil
	}
	v := b.Get(idKey(person))
	if len(v) != 8 {
		return nil, nil
	}
	return getDecision(tx, binary.BigEndian.Uint64(v))
}

// SaveDecisionDraft stores d as its author's draft: a new one (ID 0) takes
// the place of any draft they had; otherwise d must still be a draft.
func (db *DB) SaveDecisionDraft(ctx context.Context, d multaque.Decision, now time.Time) (*multaque.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.Status = multaque.DecisionDraft
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		old, err := draftOf(tx, d.Author)
		if err != nil {
			return err
		}
		if d.ID == 0 {
			if old != nil {
				if err := bs[string(bucketDecisionRecords)].Delete(u64(old.ID)); err != nil {
					return err
				}
			}
			n, err := bs[string(bucketDecisionRecords)].NextSequence()
			if err != nil {
				return err
			}
			d.ID, d.CreatedAt = n, now
		} else if old == nil || old.ID != d.ID {
			return errDecisionNotDraft
		}
		if err := bs[string(bucketDecisionDrafts)].Put(idKey(d.Author), u64(d.ID)); err != nil {
			return err
		}
		return putDecision(bs, &d)
	})
	if err != nil {
		return nil, fmt.Errorf("save decision draft: %w", err)
	}
	return &d, nil
}

// DiscardDecisionDraft deletes person's draft, if any.
func (db *DB) DiscardDecisionDraft(ctx context.Context, person int64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		return discardDraft(tx, bs, person)
	})
}

func discardDraft(tx *bolt.Tx, bs map[string]*bolt.Bucket, person int64) error {
	d, err := draftOf(tx, person)
	if err != nil || d == nil {
		return err
	}
	if err := bs[string(bucketDecisionRecords)].Delete(u64(d.ID)); err != nil {
		return err
	}
	return bs[string(bucketDecisionDrafts)].Delete(idKey(person))
}

// OpenDecision turns draft id into an open decision whose poll pollID is
// message msg of its group; it closes at d.Closes.
func (db *DB) OpenDecision(ctx context.Context, id uint64, pollID string, msg int, now time.Time) (*multaque.Decision, error) {
	var d *multaque.Decision
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		if d, err = getDecision(tx, id); err != nil {
			return err
		}
		if d.Status != multaque.DecisionDraft {
			return errDecisionNotDraft
		}
		d.Status, d.Step, d.PollID, d.Message, d.OpenedAt = multaque.DecisionOpen, "", pollID, msg, now
		if err := d.Validate(); err != nil {
			return err
		}
		for _, put := range []struct {
			b    string
			k, v []byte
		}{
			{string(bucketDecisionPolls), []byte(pollID), u64(id)},
			{string(bucketDecisionOpen), u64(id), nil},
			{string(bucketDecisionTeams), teamDecisionKey(d.Team, id), nil},
		} {
			if err := bs[put.b].Put(put.k, put.v); err != nil {
				return err
			}
		}
		if err := bs[string(bucketDecisionDrafts)].Delete(idKey(d.Author)); err != nil {
			return err
		}
		return putDecision(bs, d)
	})
	if err != nil {
		return nil, fmt.Errorf("open decision %d: %w", id, err)
	}
	return d, nil
}

// Decision returns the decision with that id, or an ENOTFOUND error.
func (db *DB) Decision(ctx context.Context, id uint64) (*multaque.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var d *multaque.Decision
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		d, err = getDecision(tx, id)
		return err
	})
	return d, err
}

// RecordVote records v as the latest answer of v.Voter to the poll pollID
// and returns the decision. It changes nothing, and reports so, for a poll
// that is no decision's (ENOTFOUND), a closed decision, or a vote older
// than the one held. A block of a proposal makes the decision wait for the
// voter's reason (Awaiting); any other answer ends that wait.
func (db *DB) RecordVote(ctx context.Context, pollID string, v multaque.Vote) (d *multaque.Decision, changed bool, err error) {
	err = db.update(ctx, func(tx *bolt.Tx) error {
		changed = false
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		id := bs[string(bucketDecisionPolls)].Get([]byte(pollID))
		if len(id) != 8 {
			return errNoDecision
		}
		if d, err = getDecision(tx, binary.BigEndian.Uint64(id)); err != nil {
			return err
		}
		if d.Status != multaque.DecisionOpen {
			return nil
		}
		old := d.VoteOf(v.Voter)
		switch {
		case old != nil && old.Update >= v.Update && v.Update != 0:
			return nil
		case old != nil:
			*old = v
		default:
			d.Votes = append(d.Votes, v)
		}
		if len(v.Options) == 0 { // retracted
			d.Votes = slices.DeleteFunc(d.Votes, func(x multaque.Vote) bool { return x.Voter == v.Voter })
		}
		changed = true
		reasons := bs[string(bucketDecisionReasons)]
		if d.Kind == multaque.KindProposal && slices.Contains(v.Options, multaque.ProposalBlock) {
			err = reasons.Put(idKey(v.Voter), u64(d.ID))
		} else if r := reasons.Get(idKey(v.Voter)); r != nil && bytes.Equal(r, u64(d.ID)) {
			err = reasons.Delete(idKey(v.Voter))
		}
		if err != nil {
			return err
		}
		return putDecision(bs, d)
	})
	if err != nil {
		return nil, false, err
	}
	return d, changed, nil
}

// SetBlockReason keeps reason as the reason of person's block of the
// decision that waits for it and returns that decision; ENOTFOUND if none
// waits (the decision closed, or they changed their answer).
func (db *DB) SetBlockReason(ctx context.Context, person int64, reason string) (*multaque.Decision, error) {
	var d *multaque.Decision
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		id := bs[string(bucketDecisionReasons)].Get(idKey(person))
		if len(id) != 8 {
			return errNoDecision
		}
		if d, err = getDecision(tx, binary.BigEndian.Uint64(id)); err != nil {
			return err
		}
		if err := bs[string(bucketDecisionReasons)].Delete(idKey(person)); err != nil {
			return err
		}
		v := d.VoteOf(person)
		if d.Status != multaque.DecisionOpen || v == nil {
			return errNoDecision
		}
		v.Reason = reason
		return putDecision(bs, d)
	})
	return d, err
}

// QueueDecisionReminders marks open decision id as reminded and queues
// items (the reminders) in the same transaction; it does nothing if the
// decision is no longer open or was reminded already.
func (db *DB) QueueDecisionReminders(ctx context.Context, id uint64, items []multaque.OutboxItem) error {
	for i := range items {
		if err := checkOutboxItem(&items[i]); err != nil {
			return err
		}
	}
	now := db.now()
	return db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		d, err := getDecision(tx, id)
		if err != nil || d.Status != multaque.DecisionOpen || d.Reminded {
			return err
		}
		d.Reminded = true
		for i := range items {
			if _, err := enqueueTx(tx, &items[i], now); err != nil {
				return err
			}
		}
		return putDecision(bs, d)
	})
}

// CloseDecision closes open decision id with outcome o (and a note, if it
// closed otherwise than on time) and returns it. It does nothing to a
// decision already closed, and returns it as it is.
func (db *DB) CloseDecision(ctx context.Context, id uint64, o multaque.Outcome, note string, now time.Time) (*multaque.Decision, error) {
	var d *multaque.Decision
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		if d, err = getDecision(tx, id); err != nil || d.Status == multaque.DecisionClosed {
			return err
		}
		if d.Status != multaque.DecisionOpen {
			return errDecisionNotOpen
		}
		d.Status, d.Outcome, d.Note, d.ClosedAt = multaque.DecisionClosed, &o, note, now
		reasons := bs[string(bucketDecisionReasons)]
		for _, v := range d.Votes {
			if r := reasons.Get(idKey(v.Voter)); r != nil && bytes.Equal(r, u64(id)) {
				if err := reasons.Delete(idKey(v.Voter)); err != nil {
					return err
				}
			}
		}
		return putDecision(bs, d)
	})
	if err != nil {
		return nil, fmt.Errorf("close decision %d: %w", id, err)
	}
	return d, nil
}

// CloseDecisionEarly brings open decision id's closing time forward to
// now, when by is its author (the next pass of the bot closes it); it
// returns the decision, or ECONFLICT if it is closed or not theirs.
func (db *DB) CloseDecisionEarly(ctx context.Context, id uint64, by int64, now time.Time) (*multaque.Decision, error) {
	var d *multaque.Decision
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		if d, err = getDecision(tx, id); err != nil {
			return err
		}
		if d.Status != multaque.DecisionOpen || d.Author != by {
			return errDecisionNotOpen
		}
		if now.Before(d.Closes) {
			d.Closes = now
		}
		return putDecision(bs, d)
	})
	return d, err
}

// DecisionPosted records that closed decision id's outcome is message msg
// of its group.
func (db *DB) DecisionPosted(ctx context.Context, id uint64, msg int) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		d, err := getDecision(tx, id)
		if err != nil {
			return err
		}
		d.Posted = msg
		if err := bs[string(bucketDecisionOpen)].Delete(u64(id)); err != nil {
			return err
		}
		return putDecision(bs, d)
	})
}

// awaitingDecision reports whether person's typed text goes to the
// decisions: a draft of theirs that waits for text, or a block that waits
// for its reason (awaiting.go).
func awaitingDecision(tx *bolt.Tx, person int64) (bool, error) {
	if b := decisionBucket(tx, bucketDecisionReasons); b != nil && b.Get(idKey(person)) != nil {
		return true, nil
	}
	d, err := draftOf(tx, person)
	return d != nil && d.Step.Typing(), err
}

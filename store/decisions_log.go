package store

// Reading the decisions: what the bot must look after, a team's log, the
// coordinators' tallies, and the team's choice about its mentor's answers
// (the buckets are described in decisions.go).

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

// DecisionsToTend returns the decisions the bot must look after: the open
// ones (to remind, to close) and the closed ones whose outcome is not yet
// posted, oldest first.
func (db *DB) DecisionsToTend(ctx context.Context) ([]*multaque.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*multaque.Decision
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := decisionBucket(tx, bucketDecisionOpen)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			d, err := getDecision(tx, binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// SetMentorVotes records whether the answers of team's mentor count in
// the decisions it opens from now on.
func (db *DB) SetMentorVotes(ctx context.Context, team string, count bool) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := decisionBuckets(tx)
		if err != nil {
			return err
		}
		if count {
			return bs[string(bucketDecisionMentor)].Put([]byte(team), nil)
		}
		return bs[string(bucketDecisionMentor)].Delete([]byte(team))
	})
}

// MentorVotes reports whether the answers of team's mentor count.
func (db *DB) MentorVotes(ctx context.Context, team string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var yes bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := decisionBucket(tx, bucketDecisionMentor)
		yes = b != nil && b.Get([]byte(team)) != nil
		return nil
	})
	return yes, err
}

// TeamDecisions returns team's decision log, open and closed decisions,
// newest first.
func (db *DB) TeamDecisions(ctx context.Context, team string) ([]*multaque.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*multaque.Decision
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := decisionBucket(tx, bucketDecisionTeams)
		if b == nil {
			return nil
		}
		prefix := append([]byte(team), decisionTeamKeySeparate)
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			d, err := getDecision(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	slices.Reverse(out)
	return out, err
}

// DecisionTallies returns, by team id, how many decisions each team took
// and when the last closed.
func (db *DB) DecisionTallies(ctx context.Context) (map[string]multaque.DecisionTally, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]multaque.DecisionTally{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := decisionBucket(tx, bucketDecisionRecords)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d struct {
				Team     string                  `json:"team"`
				Status   multaque.DecisionStatus `json:"status"`
				ClosedAt time.Time               `json:"closed_at"`
			}
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode decision: %w", err)
			}
			if d.Status == multaque.DecisionClosed {
				t := out[d.Team]
				t.Closed++
				if d.ClosedAt.After(t.Last) {
					t.Last = d.ClosedAt
				}
				out[d.Team] = t
			}
			return nil
		})
	})
	return out, err
}

// checkDecisions reports what breaks the decisions' invariants
// (decisions.go): every draft, poll, open and log entry names a decision
// in the state it should be in, and every open decision is indexed.
func checkDecisions(tx *bolt.Tx, add func(format string, args ...any)) {
	records := decisionBucket(tx, bucketDecisionRecords)
	if records == nil {
		return
	}
	get := func(where string, id []byte) *multaque.Decision {
		if len(id) != 8 {
			add("decisions/%s: an entry names no decision id", where)
			return nil
		}
		d, err := getDecision(tx, binary.BigEndian.Uint64(id))
		if err != nil {
			add("decisions/%s: decision %d: %v", where, binary.BigEndian.Uint64(id), err)
			return nil
		}
		return d
	}
	each := func(name []byte, fn func(k, v []byte)) {
		if b := decisionBucket(tx, name); b != nil {
			_ = b.ForEach(func(k, v []byte) error { fn(k, v); return nil })
		}
	}
	each(bucketDecisionDrafts, func(k, v []byte) {
		if d := get("drafts", v); d != nil && (d.Status != multaque.DecisionDraft || d.Author != int64(binary.BigEndian.Uint64(k))) {
			add("decisions/drafts: decision %d is no draft of its author", d.ID)
		}
	})
	each(bucketDecisionPolls, func(k, v []byte) {
		if d := get("polls", v); d != nil && d.PollID != string(k) {
			add("decisions/polls: decision %d has another poll", d.ID)
		}
	})
	each(bucketDecisionOpen, func(k, _ []byte) {
		if d := get("open", k); d != nil && d.Status != multaque.DecisionOpen && (d.Status != multaque.DecisionClosed || d.Posted != 0) {
			add("decisions/open: decision %d is %s and posted", d.ID, d.Status)
		}
	})
	open := decisionBucket(tx, bucketDecisionOpen)
	_ = records.ForEach(func(k, v []byte) error {
		var d multaque.Decision
		if err := json.Unmarshal(v, &d); err != nil {
			add("decisions/records: %d: %v", binary.BigEndian.Uint64(k), err)
			return nil
		}
		if d.Status == multaque.DecisionOpen && (open == nil || open.Get(k) == nil) {
			add("decisions: open decision %d is not in the open index", d.ID)
		}
		return nil
	})
}

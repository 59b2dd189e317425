package store

// What the decisions hold about a person, for /mydata and /forget
// (personal.go): their answers (with a block's reason), the drafts they
// write, and their name as a decision's author.

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// decisionAnswer is a person's answer to a decision, as their data shows it.
type decisionAnswer struct {
	Team     string                  `json:"team"`
	Question string                  `json:"question"`
	Status   multaque.DecisionStatus `json:"status"`
	Answer   []string                `json:"answer"`
	Reason   string                  `json:"reason,omitempty"`
	At       time.Time               `json:"at"`
}

// decisionsOf adds to pd the person's answers and the decisions they
// drafted or are drafting.
func decisionsOf(tx *bolt.Tx, id int64, pd *personalData) error {
	b := decisionBucket(tx, bucketDecisionRecords)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var d multaque.Decision
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode decision: %w", err)
		}
		if d.Author == id {
			pd.DecisionsDrafted = append(pd.DecisionsDrafted, d.Question)
		}
		if vote := d.VoteOf(id); vote != nil {
			a := decisionAnswer{Team: d.Team, Question: d.Question, Status: d.Status, Reason: vote.Reason, At: vote.At}
			for _, o := range vote.Options {
				if o >= 0 && o < len(d.Options) {
					a.Answer = append(a.Answer, d.Options[o])
				}
			}
			pd.DecisionAnswers = append(pd.DecisionAnswers, a)
		}
		return nil
	})
}

// forgetInDecisions takes the people of set out of every decision: their
// drafts go, their answers leave open decisions (they no longer count) and
// the voters of closed ones (whose outcome, counts included, stays), and
// they are no longer named as authors. A block's reason leaves the
// outcome too; the block stays counted.
func forgetInDecisions(tx *bolt.Tx, set personSet) error {
	if tx.Bucket(bucketDecisions) == nil {
		return nil
	}
	bs, err := decisionBuckets(tx)
	if err != nil {
		return err
	}
	for id := range set {
		if err := discardDraft(tx, bs, id); err != nil {
			return err
		}
		if err := bs[string(bucketDecisionReasons)].Delete(idKey(id)); err != nil {
			return err
		}
	}
	var changed []*multaque.Decision
	err = bs[string(bucketDecisionRecords)].ForEach(func(k, v []byte) error {
		var d multaque.Decision
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode decision: %w", err)
		}
		n := len(d.Votes)
		for _, v := range d.Votes {
			// A block's reason in the outcome is theirs too: it goes, the
			// block stays counted.
			if i := blockIndex(d.Outcome, v); set[v.Voter] && i >= 0 {
				d.Outcome.Blocks[i] = ""
			}
		}
		d.Votes = slices.DeleteFunc(d.Votes, func(v multaque.Vote) bool { return set[v.Voter] })
		if set[d.Author] || len(d.Votes) != n {
			if set[d.Author] {
				d.Author = 0
			}
			changed = append(changed, &d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range changed {
		if err := putDecision(bs, d); err != nil {
			return err
		}
	}
	return nil
}

// blockIndex is where v's reason is among o's blocks, -1 if it is not.
func blockIndex(o *multaque.Outcome, v multaque.Vote) int {
	if o == nil || v.Reason == "" {
		return -1
	}
	return slices.Index(o.Blocks, v.Reason)
}

// decisionsMarker is the holding heldInDecisions records for a person who
// answered a poll or drafted a decision without being anyone else the
// store knows (a stranger in a team's group): it names no key (deleting
// it deletes nothing) and only makes forgetHeld and PersonalData look at
// the decisions, which forgetInDecisions and decisionsOf do.
var decisionsMarker = []byte("person")

// heldInDecisions adds the marker for each person of set found in a
// decision, as author or voter.
func heldInDecisions(tx *bolt.Tx, set personSet, out map[int64][]holding) error {
	b := decisionBucket(tx, bucketDecisionRecords)
	if b == nil {
		return nil
	}
	found := personSet{}
	err := b.ForEach(func(k, v []byte) error {
		var d struct {
			Author int64 `json:"author"`
			Votes  []struct {
				Voter int64 `json:"voter"`
			} `json:"votes"`
		}
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode decision: %w", err)
		}
		if set[d.Author] {
			found[d.Author] = true
		}
		for _, v := range d.Votes {
			if set[v.Voter] {
				found[v.Voter] = true
			}
		}
		return nil
	})
	for id := range found {
		out[id] = append(out[id], holding{bucketDecisions, decisionsMarker})
	}
	return err
}

package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Awaiting says which conversation waits for the text person types next,
// in one read transaction: a broadcast of theirs still a draft (it waits
// for its text), else a note they are writing on a proposal or an answer
// their own proposal waits for, else nothing (the survey's). It is the one
// look-up the bot makes to route typed text.
func (db *DB) Awaiting(ctx context.Context, person int64) (multaque.Awaiting, error) {
	if err := ctx.Err(); err != nil {
		return multaque.AwaitNothing, err
	}
	out := multaque.AwaitNothing
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if open := nested(tx, bucketBroadcastOpen); open != nil {
			if v := open.Get(idKey(person)); len(v) == 8 {
				bc, err := readBroadcast(tx, binary.BigEndian.Uint64(v))
				if err != nil {
					return err
				}
				if bc != nil && bc.Status == multaque.BroadcastDraft {
					out = multaque.AwaitBroadcast
					return nil
				}
			}
		}
		if yes, err := awaitingDecision(tx, person); yes || err != nil { // decisions.go
			out = multaque.AwaitDecision
			return err
		}
		if tx.Bucket(bucketPlanNotes).Get(idKey(person)) != nil { // plans.go
			out = multaque.AwaitCheckInNote
			return nil
		}
		if pledgeTyping(tx, person) { // pledges_typing.go
			out = multaque.AwaitPledge
			return nil
		}
		if tx.Bucket(bucketProposals).Get(proposalNoteKey(person)) != nil {
			out = multaque.AwaitProposal
			return nil
		}
		p, err := openProposal(tx, person)
		if err != nil {
			return err
		}
		if p != nil && p.Step.Typing() && (p.Status == multaque.ProposalDraft || p.Status == multaque.ProposalChanges) {
			out = multaque.AwaitProposal
		}
		return nil
	})
	if err != nil {
		return multaque.AwaitNothing, fmt.Errorf("awaiting %d: %w", person, err)
	}
	return out, nil
}

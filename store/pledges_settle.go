package store

import (
	"bytes"
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// DueGoals returns the teams whose open goal's deadline is not after now,
// earliest first.
func (db *DB) DueGoals(ctx context.Context, now time.Time) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		limit := u64(uint64(now.UnixNano()))
		c := tx.Bucket(bucketGoalDeadlines).Cursor()
		for k, _ := c.First(); len(k) > 8 && bytes.Compare(k[:8], limit) <= 0; k, _ = c.Next() {
			out = append(out, string(k[8:]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due goals: %w", err)
	}
	return out, nil
}

// SettleItems builds the messages of a goal's settlement from its state
// after it: messages to send now, and for each pledge number the reminders
// to keep until its pledge is marked paid.
type SettleItems = func(s *multaque.GoalState) (now []multaque.OutboxItem, reminders map[int][]multaque.OutboxItem)

// SettleGoal settles team's goal once its deadline has passed, in one
// transaction with its messages: met (multaque.Settle) → every pledge comes
// due and its fund's match, and the team's bonuses, are paid; missed →
// every pledge lapses and its match and the bonuses go back to the funds.
// It returns the goal's state after it; settling a settled goal changes
// nothing and returns ECONFLICT, as does a deadline not yet passed.
func (db *DB) SettleGoal(ctx context.Context, team string, now time.Time, items SettleItems) (*multaque.GoalState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.GoalState
	err := db.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getGoal(tx, team)
		if err != nil {
			return err
		}
		if rec.Status != multaque.GoalOpen || now.Before(rec.Deadline) {
			return multaque.Errorf(multaque.ECONFLICT, "the goal of team %s is %s, due %s", team, rec.Status, rec.Deadline.Format(time.RFC3339))
		}
		ps, err := teamPledges(tx, team)
		if err != nil {
			return err
		}
		rec.Status = multaque.Settle(&rec.Goal, multaque.Progress(ps, teamBonus(tx, team)))
		rec.SettledAt = now
		rec.Version++
		for i := range ps {
			p := &ps[i]
			if rec.Status == multaque.GoalMet {
				p.Status = multaque.PledgeDue
			} else {
				p.Status = multaque.PledgeLapsed
			}
			if err := settleMatch(tx, p.Fund, p.Match, rec.Status); err != nil {
				return err
			}
			if err := putPledge(tx, p); err != nil {
				return err
			}
		}
		if err := settleBonuses(tx, team, rec.Status); err != nil {
			return err
		}
		if err := putGoal(tx, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketGoalDeadlines).Delete(deadlineKey(rec.Deadline, team)); err != nil {
			return err
		}
		if out, err = goalState(tx, team); err != nil {
			return err
		}
		if items == nil {
			return nil
		}
		msgs, reminders := items(out)
		for _, it := range msgs {
			if err := enqueueFolded(tx, team, &it, now); err != nil {
				return err
			}
		}
		for i := range out.Pledges {
			p := &out.Pledges[i]
			for _, it := range reminders[p.No] {
				if err := enqueueChecked(tx, &it, now); err != nil {
					return err
				}
				if it.ID != 0 {
					p.Reminders = append(p.Reminders, it.ID)
				}
			}
			if len(p.Reminders) > 0 {
				if err := putPledge(tx, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settle goal of %s: %w", team, err)
	}
	return out, nil
}

func enqueueChecked(tx *bolt.Tx, it *multaque.OutboxItem, now time.Time) error {
	if err := checkOutboxItem(it); err != nil {
		return err
	}
	ok, err := enqueueTx(tx, it, now)
	if !ok {
		it.ID = 0
	}
	return err
}

// MarkPaid records, for the team's treasurer by, that pledge number no was
// paid, and deletes its reminders still waiting, in one transaction.
// EUNAUTHORIZED if by is not the treasurer, ENOTFOUND for no such pledge,
// ECONFLICT unless the pledge is due.
func (db *DB) MarkPaid(ctx context.Context, team string, no int, by int64, now time.Time, items PledgeItems) (*multaque.Pledge, error) {
	var out multaque.Pledge
	err := db.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getGoal(tx, team)
		if err != nil {
			return err
		}
		if rec.Treasurer == 0 || rec.Treasurer != by {
			return multaque.Errorf(multaque.EUNAUTHORIZED, "%d is not the treasurer of %s", by, team)
		}
		v := tx.Bucket(bucketPledges).Get(pledgeKey(team, no))
		if v == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "no pledge %d to %s", no, team)
		}
		p, err := decodePledge(v)
		if err != nil {
			return err
		}
		if p.Status != multaque.PledgeDue || p.Amount == 0 {
			return multaque.Errorf(multaque.ECONFLICT, "pledge %d to %s is %s", no, team, p.Status)
		}
		ob := tx.Bucket(bucketOutbox)
		for _, id := range p.Reminders {
			it, err := getItem(ob, id)
			if err != nil {
				return err
			}
			if it != nil {
				if err := removeItem(ob, it); err != nil {
					return err
				}
			}
		}
		p.Status, p.PaidAt, p.Reminders = multaque.PledgePaid, now, nil
		if err := putPledge(tx, p); err != nil {
			return err
		}
		if err := touchGoal(tx, team); err != nil {
			return err
		}
		out = *p
		return enqueuePledgeItems(tx, items, p, nil, team, now)
	})
	if err != nil {
		return nil, fmt.Errorf("mark paid %s/%d: %w", team, no, err)
	}
	return &out, nil
}

// forgetPledges erases the people of set from their pledges, in the
// erasure's transaction: a pledge to a goal still open is deleted and its
// match released (nobody relies on it yet); a pledge to a settled goal is
// kept as anonymous, amount and status only (the team relies on it).
func forgetPledges(tx *bolt.Tx, set personSet, now time.Time) error {
	for person := range set {
		ps, err := pledgesOf(tx, person)
		if err != nil {
			return err
		}
		for i := range ps {
			p := &ps[i]
			rec, err := getGoal(tx, p.Team)
			if err != nil {
				return err
			}
			if err := touchGoal(tx, p.Team); err != nil { // the pinned message may show their name
				return err
			}
			if rec.Status == multaque.GoalOpen {
				if err := dropPledge(tx, p, person); err != nil {
					return err
				}
				continue
			}
			p.Person, p.Name, p.Named, p.Lang = 0, "", false, ""
			if err := putPledge(tx, p); err != nil {
				return err
			}
			if err := tx.Bucket(bucketPledgesByPerson).Delete(byPersonKey(person, p.Team)); err != nil {
				return err
			}
		}
		if rec := treasurerOf(tx, person); rec != nil {
			rec.Treasurer = 0
			if err := putGoal(tx, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// treasurerOf returns a goal whose treasurer is person, nil if none.
func treasurerOf(tx *bolt.Tx, person int64) *goalRecord {
	var out *goalRecord
	_ = tx.Bucket(bucketGoals).ForEach(func(k, _ []byte) error {
		if rec, err := getGoal(tx, string(k)); err == nil && rec.Treasurer == person {
			out = rec
		}
		return nil
	})
	return out
}

// heldPledges adds to out the pledges index entries of the people of set,
// so that /forget finds a supporter who holds nothing else, and erases them.
func heldPledges(tx *bolt.Tx, set personSet, out map[int64][]holding) {
	for person := range set {
		if tx.Bucket(bucketPledgeTyping).Get(idKey(person)) != nil {
			out[person] = append(out[person], holding{bucketPledgeTyping, idKey(person)})
		}
		prefix := idKey(person)
		c := tx.Bucket(bucketPledgesByPerson).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out[person] = append(out[person], holding{bucketPledgesByPerson, bytes.Clone(k)})
		}
	}
}

func utf8Over(s string, n int) bool { return !utf8.ValidString(s) || utf8.RuneCountInString(s) > n }

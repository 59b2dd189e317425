package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Teams' goals and the pledges to them (issue 17), in four buckets that
// change together:
//
//   - goals: team id → JSON of the multaque.Goal (with the number of the
//     team's last pledge);
//   - goal_deadlines: deadline (unix nanoseconds, 8 bytes) | team id →
//     nothing, only for open goals, so that DueGoals reads no more than
//     the goals due;
//   - pledges: team id | 0 | pledge number (8 bytes) → JSON of the
//     multaque.Pledge;
//   - pledges_by_person: person (8 bytes) | team id → pledge number (8
//     bytes), for /me, /mydata and /forget. An erased person's pledges
//     kept as anonymous have no entry here.
//
// A pledge and its fund's reservation (funds.go) are written in the same
// transaction, so a fund's commitments never exceed its budget.
var (
	bucketGoals           = []byte("goals")
	bucketGoalDeadlines   = []byte("goal_deadlines")
	bucketPledges         = []byte("pledges")
	bucketPledgesByPerson = []byte("pledges_by_person")
)

// init adds the buckets of goals, pledges and funds to allBuckets in a file
// of their own, so that the list in db.go, which every subject extends,
// needs no edit here.
func init() {
	allBuckets = append(allBuckets, bucketGoals, bucketGoalDeadlines, bucketPledges, bucketPledgesByPerson, bucketFunds, bucketFundBonuses)
}

// lastNo is how a goal's record keeps the number of its team's last pledge.
type goalRecord struct {
	multaque.Goal
	LastNo int `json:"last_no"`
	// ProgressItem is the outbox item of the group's last progress message
	// (multaque.KindGoalProgress), replaced by the next one if it is still
	// waiting.
	ProgressItem uint64 `json:"progress_item,omitempty"`
	// Version counts the changes of what the group's pinned progress
	// message shows; Shown is the version it shows, and ProgressMsg its
	// message id in the group (0 before it is posted).
	Version     uint64 `json:"version,omitempty"`
	Shown       uint64 `json:"shown,omitempty"`
	ProgressMsg int    `json:"progress_msg,omitempty"`
}

// touchGoal records, in the transaction of a change, that team's progress
// message no longer shows its goal as it stands.
func touchGoal(tx *bolt.Tx, team string) error {
	rec, err := getGoal(tx, team)
	if err != nil {
		return err
	}
	rec.Version++
	return putGoal(tx, rec)
}

func pledgeKey(team string, no int) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(team), 0), uint64(no))
}

func pledgePrefix(team string) []byte { return append([]byte(team), 0) }

func byPersonKey(person int64, team string) []byte { return append(idKey(person), team...) }

func deadlineKey(t time.Time, team string) []byte {
	return append(u64(uint64(t.UnixNano())), team...)
}

func getGoal(tx *bolt.Tx, team string) (*goalRecord, error) {
	v := tx.Bucket(bucketGoals).Get([]byte(team))
	if v == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "team %s has no goal", team)
	}
	var g goalRecord
	if err := json.Unmarshal(v, &g); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "goal %s: stored record is not valid JSON", team)
	}
	return &g, nil
}

func putGoal(tx *bolt.Tx, g *goalRecord) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketGoals).Put([]byte(g.Team), data)
}

func decodePledge(v []byte) (*multaque.Pledge, error) {
	var p multaque.Pledge
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "pledge: stored record is not valid JSON")
	}
	return &p, nil
}

func putPledge(tx *bolt.Tx, p *multaque.Pledge) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketPledges).Put(pledgeKey(p.Team, p.No), data)
}

// teamPledges returns every pledge of team, in number order.
func teamPledges(tx *bolt.Tx, team string) ([]multaque.Pledge, error) {
	var out []multaque.Pledge
	prefix := pledgePrefix(team)
	c := tx.Bucket(bucketPledges).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		p, err := decodePledge(v)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// personPledge returns person's pledge to team, nil if none.
func personPledge(tx *bolt.Tx, person int64, team string) (*multaque.Pledge, error) {
	no := tx.Bucket(bucketPledgesByPerson).Get(byPersonKey(person, team))
	if len(no) != 8 {
		return nil, nil
	}
	v := tx.Bucket(bucketPledges).Get(pledgeKey(team, int(binary.BigEndian.Uint64(no))))
	if v == nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "pledge of %d to %s: indexed but missing", person, team)
	}
	return decodePledge(v)
}

// SetGoal sets or changes team's goal while it is open (a settled goal
// cannot change: ECONFLICT). The team must exist (ENOTFOUND). A change of
// deadline moves the goal in the deadline index.
func (db *DB) SetGoal(ctx context.Context, g multaque.Goal, now time.Time) (*multaque.Goal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := g.Validate(now); err != nil {
		return nil, err
	}
	var out multaque.Goal
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := getTeam(tx, g.Team); err != nil {
			return err
		}
		rec := &goalRecord{}
		if old, err := getGoal(tx, g.Team); err == nil {
			if old.Status != multaque.GoalOpen {
				return multaque.Errorf(multaque.ECONFLICT, "the goal of team %s is %s", g.Team, old.Status)
			}
			if err := tx.Bucket(bucketGoalDeadlines).Delete(deadlineKey(old.Deadline, g.Team)); err != nil {
				return err
			}
			rec = old
			if g.PayInstructions == "" {
				g.PayInstructions = old.PayInstructions
			}
			if g.Treasurer == 0 {
				g.Treasurer = old.Treasurer
			}
		} else if multaque.ErrorCode(err) != multaque.ENOTFOUND {
			return err
		}
		g.Status, g.SetAt = multaque.GoalOpen, now
		rec.Goal = g
		rec.Version++
		if err := putGoal(tx, rec); err != nil {
			return err
		}
		out = rec.Goal
		return tx.Bucket(bucketGoalDeadlines).Put(deadlineKey(g.Deadline, g.Team), nil)
	})
	if err != nil {
		return nil, fmt.Errorf("set goal of %s: %w", g.Team, err)
	}
	return &out, nil
}

// UpdateGoal changes what fn changes of team's goal (payment instructions,
// treasurer) in one transaction; fn may refuse with an error. The amounts,
// deadline and status are kept as they were.
func (db *DB) UpdateGoal(ctx context.Context, team string, fn func(g *multaque.Goal) error) (*multaque.Goal, error) {
	var out multaque.Goal
	err := db.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getGoal(tx, team)
		if err != nil {
			return err
		}
		g := rec.Goal
		if err := fn(&g); err != nil {
			return err
		}
		g.Min, g.Optimum, g.Hours, g.Deadline, g.Status, g.Team = rec.Min, rec.Optimum, rec.Hours, rec.Deadline, rec.Status, rec.Team
		if utf8Over(g.PayInstructions, multaque.MaxPayInstructions) {
			return multaque.Errorf(multaque.EINVALID, "payment instructions over %d characters", multaque.MaxPayInstructions)
		}
		rec.Goal = g
		out = g
		return putGoal(tx, rec)
	})
	if err != nil {
		return nil, fmt.Errorf("update goal of %s: %w", team, err)
	}
	return &out, nil
}

// Goal returns team's goal, its pledges and progress; ENOTFOUND if it has
// none.
func (db *DB) Goal(ctx context.Context, team string) (*multaque.GoalState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.GoalState
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = goalState(tx, team)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("goal of %s: %w", team, err)
	}
	return out, nil
}

func goalState(tx *bolt.Tx, team string) (*multaque.GoalState, error) {
	rec, err := getGoal(tx, team)
	if err != nil {
		return nil, err
	}
	ps, err := teamPledges(tx, team)
	if err != nil {
		return nil, err
	}
	return &multaque.GoalState{Goal: rec.Goal, Pledges: ps, Progress: multaque.Progress(ps, teamBonus(tx, team))}, nil
}

// PledgeItems builds the messages that go with a pledge, enqueued in its
// transaction: the pledge as stored (its match set, nil when withdrawn),
// the fund that matches it (nil if none) and the goal's state after it.
// The methods take it as a plain func type, so that the bot's interfaces
// can name it without importing store.
type PledgeItems = func(p *multaque.Pledge, f *multaque.Fund, s *multaque.GoalState) []multaque.OutboxItem

// Pledge records p (its Team, Person, Name, Named, Lang, Amount, Hours,
// Supporter) as person's pledge to the team's open goal, replacing their
// earlier one, and reserves its match in the same transaction: the match
// of an earlier pledge is released first, then the fund already matching
// it (else the first eligible fund, by id, with money left) reserves
// multaque.Match of the new amount. It returns ENOTFOUND if the team has no
// goal, ECONFLICT if the goal is settled or its deadline has passed.
// Concurrent pledges share a transaction (Batch) and are numbered in the
// order they commit.
func (db *DB) Pledge(ctx context.Context, p multaque.Pledge, now time.Time, items PledgeItems) (*multaque.Pledge, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out multaque.Pledge
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		rec, err := openGoal(tx, p.Team, now)
		if err != nil {
			return refuse(err)
		}
		team, err := getTeam(tx, p.Team)
		if err != nil {
			return refuse(err)
		}
		next := p
		next.Status, next.At, next.Match, next.Fund, next.PaidAt, next.Reminders = multaque.PledgeOpen, now, 0, "", time.Time{}, nil
		if !next.Named {
			next.Name = ""
		}
		old, err := personPledge(tx, p.Person, p.Team)
		if err != nil {
			return err
		}
		var keep string
		if old != nil {
			next.No = old.No
			if old.Match > 0 {
				f, err := getFund(tx, old.Fund)
				if err != nil {
					return err
				}
				f.Release(old.Match)
				if err := putFund(tx, f); err != nil {
					return err
				}
				keep = old.Fund
			}
		} else {
			rec.LastNo++
			next.No = rec.LastNo
			if err := putGoal(tx, rec); err != nil {
				return err
			}
			if err := tx.Bucket(bucketPledgesByPerson).Put(byPersonKey(p.Person, p.Team), u64(uint64(next.No))); err != nil {
				return err
			}
		}
		f, err := reserveMatch(tx, &next, team, keep, now)
		if err != nil {
			return err
		}
		if err := putPledge(tx, &next); err != nil {
			return err
		}
		if err := touchGoal(tx, p.Team); err != nil {
			return err
		}
		out = next
		return enqueuePledgeItems(tx, items, &next, f, p.Team, now)
	})
	if err != nil {
		return nil, fmt.Errorf("pledge to %s: %w", p.Team, err)
	}
	return &out, nil
}

// Withdraw deletes person's pledge to team's open goal and releases its
// match; ENOTFOUND if they have none.
func (db *DB) Withdraw(ctx context.Context, team string, person int64, now time.Time, items PledgeItems) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := openGoal(tx, team, now); err != nil {
			return err
		}
		old, err := personPledge(tx, person, team)
		if err != nil {
			return err
		}
		if old == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "no pledge of %d to %s", person, team)
		}
		if err := dropPledge(tx, old, person); err != nil {
			return err
		}
		if err := touchGoal(tx, team); err != nil {
			return err
		}
		return enqueuePledgeItems(tx, items, nil, nil, team, now)
	})
	if err != nil {
		return fmt.Errorf("withdraw from %s: %w", team, err)
	}
	return nil
}

// dropPledge deletes p, made by person, releasing its match.
func dropPledge(tx *bolt.Tx, p *multaque.Pledge, person int64) error {
	if p.Match > 0 {
		f, err := getFund(tx, p.Fund)
		if err != nil {
			return err
		}
		f.Release(p.Match)
		if err := putFund(tx, f); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketPledges).Delete(pledgeKey(p.Team, p.No)); err != nil {
		return err
	}
	return tx.Bucket(bucketPledgesByPerson).Delete(byPersonKey(person, p.Team))
}

func enqueuePledgeItems(tx *bolt.Tx, items PledgeItems, p *multaque.Pledge, f *multaque.Fund, team string, now time.Time) error {
	if items == nil {
		return nil
	}
	s, err := goalState(tx, team)
	if err != nil {
		return err
	}
	for _, it := range items(p, f, s) {
		if err := enqueueFolded(tx, team, &it, now); err != nil {
			return err
		}
	}
	return nil
}

// enqueueFolded enqueues it for team; a progress message
// (multaque.KindGoalProgress) takes the place of the team's previous one if
// that one still waits. (A Sender that holds the previous one already may
// still send it: the newer one follows.)
func enqueueFolded(tx *bolt.Tx, team string, it *multaque.OutboxItem, now time.Time) error {
	if err := checkOutboxItem(it); err != nil {
		return err
	}
	if it.Kind != multaque.KindGoalProgress {
		_, err := enqueueTx(tx, it, now)
		return err
	}
	rec, err := getGoal(tx, team)
	if err != nil {
		return err
	}
	ob := tx.Bucket(bucketOutbox)
	if rec.ProgressItem != 0 {
		old, err := getItem(ob, rec.ProgressItem)
		if err != nil {
			return err
		}
		if old != nil {
			if err := removeItem(ob, old); err != nil {
				return err
			}
		}
	}
	if _, err := enqueueTx(tx, it, now); err != nil {
		return err
	}
	rec.ProgressItem = it.ID
	return putGoal(tx, rec)
}

// openGoal returns team's goal if pledges may still change: open and
// before its deadline.
func openGoal(tx *bolt.Tx, team string, now time.Time) (*goalRecord, error) {
	rec, err := getGoal(tx, team)
	if err != nil {
		return nil, err
	}
	if rec.Status != multaque.GoalOpen || !now.Before(rec.Deadline) {
		return nil, multaque.Errorf(multaque.ECONFLICT, "the goal of team %s is closed", team)
	}
	return rec, nil
}

// PledgesOf returns every pledge person made, for /me and /mydata.
func (db *DB) PledgesOf(ctx context.Context, person int64) ([]multaque.Pledge, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Pledge
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = pledgesOf(tx, person)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pledges of %d: %w", person, err)
	}
	return out, nil
}

func pledgesOf(tx *bolt.Tx, person int64) ([]multaque.Pledge, error) {
	var out []multaque.Pledge
	prefix := idKey(person)
	c := tx.Bucket(bucketPledgesByPerson).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		p, err := personPledge(tx, person, string(k[8:]))
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// pledger says whether chat is someone with a pledge, a known chat for
// the outbox's check.
func pledger(tx *bolt.Tx, chat int64) bool {
	b := tx.Bucket(bucketPledgesByPerson)
	if b == nil {
		return false
	}
	k, _ := b.Cursor().Seek(idKey(chat))
	return k != nil && bytes.HasPrefix(k, idKey(chat))
}

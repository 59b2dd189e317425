package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Match funds (issue 17), in two buckets:
//
//   - funds: fund id → JSON of the multaque.Fund, its accounts included;
//   - fund_bonuses: team id | 0 | fund id → JSON of a bonus: the
//     critical-mass bonus the fund reserved for the team when it formed,
//     and whether it is still committed, paid or released.
//
// Every reservation (a pledge's match, a bonus) and its record are written
// in one transaction, so that Committed + Paid never exceeds Budget and
// Committed + Released + Paid = Reserved.
var (
	bucketFunds       = []byte("funds")
	bucketFundBonuses = []byte("fund_bonuses")
)

// bonus is a critical-mass bonus of a fund to a team.
type bonus struct {
	Fund   string                `json:"fund"`
	Team   string                `json:"team"`
	Amount multaque.Cents        `json:"amount"`
	Status multaque.PledgeStatus `json:"status"` // pledged (committed), paid or lapsed (released)
}

func getFund(tx *bolt.Tx, id string) (*multaque.Fund, error) {
	v := tx.Bucket(bucketFunds).Get([]byte(id))
	if v == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "no fund %q", id)
	}
	var f multaque.Fund
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "fund %s: stored record is not valid JSON", id)
	}
	return &f, nil
}

func putFund(tx *bolt.Tx, f *multaque.Fund) error {
	if !f.Balanced() {
		return multaque.Errorf(multaque.EINTERNAL, "fund %s: accounts would not add up", f.ID)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFunds).Put([]byte(f.ID), data)
}

func allFunds(tx *bolt.Tx) ([]multaque.Fund, error) {
	var out []multaque.Fund
	err := tx.Bucket(bucketFunds).ForEach(func(k, _ []byte) error {
		f, err := getFund(tx, string(k))
		if err != nil {
			return err
		}
		out = append(out, *f)
		return nil
	})
	return out, err
}

// CreateFund stores a new fund with empty accounts; ECONFLICT if its id is
// taken.
func (db *DB) CreateFund(ctx context.Context, f multaque.Fund, now time.Time) (*multaque.Fund, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	f.Committed, f.Released, f.Paid, f.Reserved, f.CreatedAt = 0, 0, 0, 0, now
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunds).Get([]byte(f.ID)) != nil {
			return multaque.Errorf(multaque.ECONFLICT, "fund %s exists", f.ID)
		}
		return putFund(tx, &f)
	})
	if err != nil {
		return nil, fmt.Errorf("create fund %s: %w", f.ID, err)
	}
	return &f, nil
}

// Funds returns every fund, by id.
func (db *DB) Funds(ctx context.Context) ([]multaque.Fund, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Fund
	err := db.bolt.View(func(tx *bolt.Tx) (err error) { out, err = allFunds(tx); return err })
	if err != nil {
		return nil, fmt.Errorf("funds: %w", err)
	}
	return out, nil
}

// reserveMatch reserves p's match from fund keep if it still matches the
// team, else from the first eligible fund with money left, and records it
// in p. It returns the fund (nil if none matches).
func reserveMatch(tx *bolt.Tx, p *multaque.Pledge, t *multaque.Team, keep string, now time.Time) (*multaque.Fund, error) {
	if p.Amount == 0 {
		return nil, nil
	}
	funds, err := allFunds(tx)
	if err != nil {
		return nil, err
	}
	var chosen, spent *multaque.Fund
	for i := range funds {
		f := &funds[i]
		if !f.Eligible(t.Project, t.Community, now) {
			continue
		}
		if f.ID == keep {
			chosen = f
			break
		}
		if chosen == nil && f.Left() > 0 {
			chosen = f
		}
		if spent == nil {
			spent = f
		}
	}
	if chosen == nil {
		chosen = spent
	}
	if chosen == nil {
		return nil, nil
	}
	// An eligible fund is named even when it matches nothing (spent, or
	// the team's cap reached), so that the pledger is told why.
	p.Fund = chosen.ID
	var teamMatched multaque.Cents
	if chosen.CapTeam > 0 { // only a cap per team needs the team's other matches
		var err error
		if teamMatched, err = matchedTo(tx, chosen.ID, p.Team, p.No); err != nil {
			return nil, err
		}
	}
	m := multaque.Match(chosen, p.Amount, teamMatched)
	if m == 0 {
		return chosen, nil
	}
	chosen.Reserve(m)
	p.Match = m
	return chosen, putFund(tx, chosen)
}

// matchedTo sums what fund matches to team's live pledges but number skip.
func matchedTo(tx *bolt.Tx, fund, team string, skip int) (multaque.Cents, error) {
	ps, err := teamPledges(tx, team)
	if err != nil {
		return 0, err
	}
	var sum multaque.Cents
	for _, p := range ps {
		if p.Fund == fund && p.No != skip && p.Status != multaque.PledgeLapsed {
			sum += p.Match
		}
	}
	return sum, nil
}

// settleMatch pays (met) or releases (missed) a match c of fund.
func settleMatch(tx *bolt.Tx, fund string, c multaque.Cents, status multaque.GoalStatus) error {
	if c == 0 || fund == "" {
		return nil
	}
	f, err := getFund(tx, fund)
	if err != nil {
		return err
	}
	if status == multaque.GoalMet {
		f.Pay(c)
	} else {
		f.Release(c)
	}
	return putFund(tx, f)
}

func bonusKey(team, fund string) []byte { return append(pledgePrefix(team), fund...) }

func teamBonuses(tx *bolt.Tx, team string) []bonus {
	var out []bonus
	prefix := pledgePrefix(team)
	c := tx.Bucket(bucketFundBonuses).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var b bonus
		if json.Unmarshal(v, &b) == nil {
			out = append(out, b)
		}
	}
	return out
}

// teamBonus sums the team's bonuses that still count.
func teamBonus(tx *bolt.Tx, team string) multaque.Cents {
	var sum multaque.Cents
	for _, b := range teamBonuses(tx, team) {
		if b.Status != multaque.PledgeLapsed {
			sum += b.Amount
		}
	}
	return sum
}

// grantBonuses reserves, in the transaction that forms team t, the
// critical-mass bonus of every eligible fund whose member threshold t
// reaches and whose budget can still pay it whole. putTeam calls it for a
// new team (teams.go).
func grantBonuses(tx *bolt.Tx, t *multaque.Team, now time.Time) error {
	funds, err := allFunds(tx)
	if err != nil {
		return err
	}
	for i := range funds {
		f := &funds[i]
		if f.Bonus == 0 || len(t.Members) < f.BonusMembers || !f.Eligible(t.Project, t.Community, now) || f.Left() < f.Bonus {
			continue
		}
		if tx.Bucket(bucketFundBonuses).Get(bonusKey(t.ID, f.ID)) != nil {
			continue
		}
		f.Reserve(f.Bonus)
		if err := putFund(tx, f); err != nil {
			return err
		}
		data, err := json.Marshal(bonus{Fund: f.ID, Team: t.ID, Amount: f.Bonus, Status: multaque.PledgeOpen})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketFundBonuses).Put(bonusKey(t.ID, f.ID), data); err != nil {
			return err
		}
	}
	return nil
}

// settleBonuses pays or releases team's committed bonuses with its goal.
func settleBonuses(tx *bolt.Tx, team string, status multaque.GoalStatus) error {
	for _, b := range teamBonuses(tx, team) {
		if b.Status != multaque.PledgeOpen {
			continue
		}
		if err := settleMatch(tx, b.Fund, b.Amount, status); err != nil {
			return err
		}
		b.Status = multaque.PledgePaid
		if status != multaque.GoalMet {
			b.Status = multaque.PledgeLapsed
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketFundBonuses).Put(bonusKey(team, b.Fund), data); err != nil {
			return err
		}
	}
	return nil
}

// TeamBonuses returns what funds granted team when it formed.
func (db *DB) TeamBonuses(ctx context.Context, team string) (multaque.Cents, []string, error) {
	var sum multaque.Cents
	var funds []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range teamBonuses(tx, team) {
			if b.Status != multaque.PledgeLapsed {
				sum += b.Amount
				funds = append(funds, b.Fund)
			}
		}
		return nil
	})
	return sum, funds, err
}

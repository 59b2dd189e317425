package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// FundLedger returns fund id and its ledger, by team and pledge number.
func (db *DB) FundLedger(ctx context.Context, id string) (*multaque.Fund, []multaque.LedgerRow, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var f *multaque.Fund
	var rows []multaque.LedgerRow
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		if f, err = getFund(tx, id); err != nil {
			return err
		}
		teamOf := func(team string) (string, string) {
			if t, err := getTeam(tx, team); err == nil {
				return t.Project, t.Community
			}
			return "", ""
		}
		if err := tx.Bucket(bucketPledges).ForEach(func(_, v []byte) error {
			p, err := decodePledge(v)
			if err != nil || p.Fund != id {
				return err
			}
			pr, cm := teamOf(p.Team)
			rows = append(rows, multaque.LedgerRow{Team: p.Team, Project: pr, Community: cm, Kind: "match", Pledge: p.No, Pledged: p.Amount, Match: p.Match, Status: p.Status})
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketFundBonuses).ForEach(func(k, _ []byte) error {
			team, _, _ := bytes.Cut(k, []byte{0})
			for _, b := range teamBonuses(tx, string(team)) {
				if b.Fund == id {
					pr, cm := teamOf(b.Team)
					rows = append(rows, multaque.LedgerRow{Team: b.Team, Project: pr, Community: cm, Kind: "bonus", Match: b.Amount, Status: b.Status})
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ledger of fund %s: %w", id, err)
	}
	return f, rows, nil
}

// PledgeTotals sums every live pledge and counts goals by status, of the
// teams whose community keep accepts (nil: all).
func (db *DB) PledgeTotals(ctx context.Context, keep func(community string) bool) (multaque.PledgeTotals, error) {
	var t multaque.PledgeTotals
	if err := ctx.Err(); err != nil {
		return t, err
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		kept := func(team string) bool {
			if keep == nil {
				return true
			}
			tm, err := getTeam(tx, team)
			return err == nil && keep(tm.Community)
		}
		if err := tx.Bucket(bucketGoals).ForEach(func(k, _ []byte) error {
			rec, err := getGoal(tx, string(k))
			if err != nil {
				return err
			}
			if !kept(rec.Team) {
				return nil
			}
			t.Goals++
			switch rec.Status {
			case multaque.GoalMet:
				t.Met++
			case multaque.GoalMissed:
				t.Missed++
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketPledges).ForEach(func(_, v []byte) error {
			p, err := decodePledge(v)
			if err != nil || p.Status == multaque.PledgeLapsed || !kept(p.Team) {
				return err
			}
			t.Pledges++
			t.Pledged += p.Amount
			t.Matched += p.Match
			t.Hours += p.Hours
			if p.Status == multaque.PledgePaid {
				t.Paid += p.Amount
			}
			return nil
		})
	})
	if err != nil {
		return t, fmt.Errorf("pledge totals: %w", err)
	}
	return t, nil
}

// checkPledges checks the invariants of goals, pledges and funds: every
// fund's accounts add up and are within its budget; what a fund has
// committed and paid is exactly what its pledges' matches and bonuses say;
// the index of pledges by person and the deadline index agree with the
// records.
func (c *checker) checkPledges() {
	committed, paid := map[string]multaque.Cents{}, map[string]multaque.Cents{}
	count := func(fund string, m multaque.Cents, s multaque.PledgeStatus) {
		switch s {
		case multaque.PledgeOpen:
			committed[fund] += m
		case multaque.PledgeDue, multaque.PledgePaid:
			paid[fund] += m
		}
	}
	_ = c.tx.Bucket(bucketPledges).ForEach(func(k, v []byte) error {
		p, err := decodePledge(v)
		if err != nil {
			c.add("pledge %q: the record is not valid JSON", bytes.ReplaceAll(k, []byte{0}, []byte("/")))
			return nil
		}
		if p.Fund != "" {
			count(p.Fund, p.Match, p.Status)
		}
		if p.Person != 0 {
			no := c.tx.Bucket(bucketPledgesByPerson).Get(byPersonKey(p.Person, p.Team))
			if len(no) != 8 || int(binary.BigEndian.Uint64(no)) != p.No {
				c.add("pledge %s/%d: not in the index of pledges by person", p.Team, p.No)
			}
		}
		return nil
	})
	_ = c.tx.Bucket(bucketFundBonuses).ForEach(func(k, _ []byte) error {
		team, _, _ := bytes.Cut(k, []byte{0})
		for _, b := range teamBonuses(c.tx, string(team)) {
			count(b.Fund, b.Amount, b.Status)
		}
		return nil
	})
	_ = c.tx.Bucket(bucketPledgesByPerson).ForEach(func(k, v []byte) error {
		if len(k) <= 8 || len(v) != 8 || c.tx.Bucket(bucketPledges).Get(pledgeKey(string(k[8:]), int(binary.BigEndian.Uint64(v)))) == nil {
			c.add("pledges_by_person: an entry of person %d points to no pledge", int64(binary.BigEndian.Uint64(k[:min(8, len(k))])))
		}
		return nil
	})
	funds, err := allFunds(c.tx)
	if err != nil {
		c.add("funds: %v", err)
	}
	for _, f := range funds {
		if !f.Balanced() {
			c.add("fund %s: committed %s + released %s + paid %s does not add up to reserved %s within budget %s", f.ID, f.Committed, f.Released, f.Paid, f.Reserved, f.Budget)
		}
		if f.Committed != committed[f.ID] || f.Paid != paid[f.ID] {
			c.add("fund %s: committed %s and paid %s, but its pledges and bonuses say %s and %s", f.ID, f.Committed, f.Paid, committed[f.ID], paid[f.ID])
		}
	}
	_ = c.tx.Bucket(bucketGoals).ForEach(func(k, _ []byte) error {
		rec, err := getGoal(c.tx, string(k))
		if err != nil {
			c.add("goal %s: the record is not valid JSON", k)
			return nil
		}
		indexed := c.tx.Bucket(bucketGoalDeadlines).Get(deadlineKey(rec.Deadline, rec.Team)) != nil
		if indexed != (rec.Status == multaque.GoalOpen) {
			c.add("goal %s: %s, but in the deadline index: %v", rec.Team, rec.Status, indexed)
		}
		return nil
	})
}

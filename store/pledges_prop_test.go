package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// Under any interleaving of pledges, changes, withdrawals and deadlines
// across three teams sharing one fund, on a real store: the fund never
// commits more than its budget, its accounts add up (committed + released
// + paid = reserved), each match is min(factor × pledge, caps, what the
// fund has left) as a model replaying the same steps computes it, and is
// exactly min(factor × pledge, caps) whenever the fund had enough left.
func TestPledgesNeverOvercommitAFund(t *testing.T) {
	dir := t.TempDir()
	runs := 0
	rapid.Check(t, func(rt *rapid.T) {
		runs++
		db, err := store.Open(filepath.Join(dir, "p"+time.Now().Format("150405.000000000")+".db"))
		if err != nil {
			rt.Fatalf("Open: %v", err)
		}
		defer db.Close()
		fund := multaque.Fund{
			ID: "city", Name: "City",
			Budget:    multaque.Cents(rapid.Int64Range(1, 20_000).Draw(rt, "budget")),
			FactorNum: rapid.Int64Range(1, 3).Draw(rt, "num"),
			FactorDen: rapid.Int64Range(1, 2).Draw(rt, "den"),
			CapPledge: multaque.Cents(rapid.Int64Range(0, 5_000).Draw(rt, "capPledge")),
			CapTeam:   multaque.Cents(rapid.Int64Range(0, 10_000).Draw(rt, "capTeam")),
			Ends:      t0.Add(365 * 24 * time.Hour),
		}
		if _, err := db.CreateFund(ctx, fund, t0); err != nil {
			rt.Fatalf("CreateFund: %v", err)
		}
		var teams []string
		for i := range 3 {
			tm := formPledgeTeam(rt, db, int64(100*i+1), 2, "gracia", "energy-coop")
			setGoal(rt, db, tm.ID, multaque.Cents(rapid.Int64Range(1, 30_000).Draw(rt, "min")), t0.Add(time.Duration(i+1)*24*time.Hour))
			teams = append(teams, tm.ID)
		}
		// The model: each team's live pledges (person → match), and the
		// fund's accounts replayed with multaque's own arithmetic.
		model := fund
		matches := map[string]map[int64]multaque.Cents{}
		settled := map[string]bool{}
		for _, tm := range teams {
			matches[tm] = map[int64]multaque.Cents{}
		}
		teamMatched := func(team string, except int64) multaque.Cents {
			var s multaque.Cents
			for p, m := range matches[team] {
				if p != except {
					s += m
				}
			}
			return s
		}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			team := rapid.SampledFrom(teams).Draw(rt, "team")
			person := rapid.Int64Range(1, 6).Draw(rt, "person")
			switch rapid.IntRange(0, 9).Draw(rt, "op") {
			case 0, 1, 2, 3, 4, 5: // a pledge or a change of one
				amount := multaque.Cents(rapid.Int64Range(1, 8_000).Draw(rt, "amount"))
				p, err := db.Pledge(ctx, multaque.Pledge{Team: team, Person: person, Amount: amount}, t0, nil)
				if settled[team] {
					if multaque.ErrorCode(err) != multaque.ECONFLICT {
						rt.Fatalf("pledge to a settled goal: %v, want ECONFLICT", err)
					}
					continue
				}
				if err != nil {
					rt.Fatalf("Pledge: %v", err)
				}
				model.Release(matches[team][person])
				want := multaque.Match(&model, amount, teamMatched(team, person))
				uncapped := min(multaque.Cents(int64(amount)*fund.FactorNum/fund.FactorDen), orMax(fund.CapPledge), orMax(fund.CapTeam)-teamMatched(team, person))
				if model.Left() >= uncapped && want != max(uncapped, 0) {
					rt.Fatalf("match %s with %s left, want min(factor × pledge, caps) = %s", want, model.Left(), uncapped)
				}
				if p.Match != want {
					rt.Fatalf("pledge of %s to %s: match %s, want %s", amount, team, p.Match, want)
				}
				model.Reserve(want)
				matches[team][person] = want
			case 6, 7: // a withdrawal
				err := db.Withdraw(ctx, team, person, t0, nil)
				_, had := matches[team][person]
				switch {
				case settled[team] && multaque.ErrorCode(err) != multaque.ECONFLICT:
					rt.Fatalf("withdraw from a settled goal: %v, want ECONFLICT", err)
				case !settled[team] && had && err != nil:
					rt.Fatalf("Withdraw: %v", err)
				case !settled[team] && !had && multaque.ErrorCode(err) != multaque.ENOTFOUND:
					rt.Fatalf("withdraw of no pledge: %v, want ENOTFOUND", err)
				}
				if !settled[team] && had {
					model.Release(matches[team][person])
					delete(matches[team], person)
				}
			default: // the deadline
				s, err := db.SettleGoal(ctx, team, t0.Add(400*24*time.Hour), nil)
				if settled[team] {
					if multaque.ErrorCode(err) != multaque.ECONFLICT {
						rt.Fatalf("settling twice: %v, want ECONFLICT", err)
					}
					continue
				}
				if err != nil {
					rt.Fatalf("SettleGoal: %v", err)
				}
				settled[team] = true
				for _, m := range matches[team] {
					if s.Goal.Status == multaque.GoalMet {
						model.Pay(m)
					} else {
						model.Release(m)
					}
				}
			}
			funds, err := db.Funds(ctx)
			if err != nil {
				rt.Fatal(err)
			}
			f := funds[0]
			if f.Committed+f.Paid > f.Budget || f.Committed+f.Released+f.Paid != f.Reserved {
				rt.Fatalf("fund %+v: over its budget or its accounts do not add up", f)
			}
			if f.Committed != model.Committed || f.Released != model.Released || f.Paid != model.Paid {
				rt.Fatalf("fund committed/released/paid %s/%s/%s, the model says %s/%s/%s",
					f.Committed, f.Released, f.Paid, model.Committed, model.Released, model.Paid)
			}
		}
		if problems, err := db.Check(ctx); err != nil || len(problems) > 0 {
			rt.Fatalf("Check=%v, %v", problems, err)
		}
	})
	if runs == 0 {
		t.Fatal("rapid ran nothing")
	}
}

// orMax reads a cap of 0 as none.
func orMax(c multaque.Cents) multaque.Cents {
	if c == 0 {
		return multaque.MaxCents * multaque.MaxMatchRatio
	}
	return c
}

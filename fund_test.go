package multaque_test

import (
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestMatch(t *testing.T) {
	f := func(num, den int64, capPledge, capTeam, budget, committed multaque.Cents) *multaque.Fund {
		return &multaque.Fund{FactorNum: num, FactorDen: den, CapPledge: capPledge, CapTeam: capTeam, Budget: budget, Committed: committed, Reserved: committed}
	}
	tests := []struct {
		name        string
		fund        *multaque.Fund
		amount      multaque.Cents
		teamMatched multaque.Cents
		want        multaque.Cents
	}{
		{"one per one", f(1, 1, 0, 0, 100_00, 0), 20_00, 0, 20_00},
		{"two per one", f(2, 1, 0, 0, 100_00, 0), 20_00, 0, 40_00},
		{"one per two rounds down", f(1, 2, 0, 0, 100_00, 0), 3, 0, 1},
		{"cap per pledge", f(1, 1, 15_00, 0, 100_00, 0), 20_00, 0, 15_00},
		{"cap per team", f(1, 1, 0, 50_00, 100_00, 0), 20_00, 40_00, 10_00},
		{"team cap spent", f(1, 1, 0, 50_00, 100_00, 0), 20_00, 50_00, 0},
		{"fund runs out", f(1, 1, 0, 0, 100_00, 95_00), 20_00, 0, 5_00},
		{"fund spent", f(1, 1, 0, 0, 100_00, 100_00), 20_00, 0, 0},
		{"nothing pledged", f(1, 1, 0, 0, 100_00, 0), 0, 0, 0},
	}
	for _, tt := range tests {
		if got := multaque.Match(tt.fund, tt.amount, tt.teamMatched); got != tt.want {
			t.Errorf("%s: Match=%s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestFundAccounts(t *testing.T) {
	f := multaque.Fund{Budget: 100}
	f.Reserve(60)
	f.Release(10)
	f.Pay(20)
	if f.Committed != 30 || f.Released != 10 || f.Paid != 20 || f.Reserved != 60 || !f.Balanced() || f.Left() != 50 {
		t.Fatalf("fund=%+v, want committed 30, released 10, paid 20 of 60 reserved, 50 left", f)
	}
	f.Reserve(51)
	if f.Balanced() {
		t.Fatalf("fund=%+v balanced, want over its budget refused", f)
	}
}

func TestParseCents(t *testing.T) {
	for in, want := range map[string]multaque.Cents{"20": 2000, "20.5": 2050, "20,50": 2050, "€7": 700, "0.01": 1, " 3 € ": 300} {
		if got, err := multaque.ParseCents(in); err != nil || got != want {
			t.Errorf("ParseCents(%q)=%v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "1.234", "abc", "1e3", "10000001", "1.", ".5", "NaN"} {
		if got, err := multaque.ParseCents(in); multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("ParseCents(%q)=%v, %v; want EINVALID", in, got, err)
		}
	}
	if s := multaque.Cents(123405).String(); s != "1234.05" {
		t.Errorf("String=%q, want 1234.05", s)
	}
}

func TestParseFactor(t *testing.T) {
	for in, want := range map[string][2]int64{"1": {1, 1}, "2": {2, 1}, "0.5": {50, 100}, "1:2": {1, 2}} {
		n, d, err := multaque.ParseFactor(in)
		if err != nil || n != want[0] || d != want[1] {
			t.Errorf("ParseFactor(%q)=%d/%d, %v; want %d/%d", in, n, d, err, want[0], want[1])
		}
	}
	for _, in := range []string{"0", "x", "1:0", "101"} {
		if _, _, err := multaque.ParseFactor(in); err == nil {
			t.Errorf("ParseFactor(%q) accepted", in)
		}
	}
}

func TestGoalAndSettle(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	g := multaque.Goal{Team: "t1", Min: 100_00, Deadline: now.Add(48 * time.Hour), Purpose: "panels"}
	if err := g.Validate(now); err != nil {
		t.Fatal(err)
	}
	bad := g
	bad.Deadline = now.Add(time.Hour)
	if bad.Validate(now) == nil {
		t.Error("a deadline within the hour accepted")
	}
	ps := []multaque.Pledge{{Amount: 40_00, Match: 40_00}, {Amount: 30_00, Status: multaque.PledgeLapsed}}
	if s := multaque.Settle(&g, multaque.Progress(ps, 10_00)); s != multaque.GoalMissed {
		t.Errorf("Settle at 90.00 of 100.00=%s, want missed", s)
	}
	if s := multaque.Settle(&g, multaque.Progress(ps, 20_00)); s != multaque.GoalMet {
		t.Errorf("Settle at 100.00 of 100.00=%s, want met", s)
	}
}

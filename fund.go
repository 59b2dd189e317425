package multaque

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Fund is an institution's match fund: it matches pledges to eligible
// teams, factor × pledge within its caps, until its budget is committed.
// Its accounts: Committed is reserved for goals still open, Paid came due
// (goals met), Released went back to the fund (goals missed, pledges
// changed or withdrawn). Reserved = Committed + Released + Paid counts
// every reservation ever made, and Committed + Paid never exceeds Budget.
type Fund struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Funder string `json:"funder"` // who funds it (an institution, not a person)
	Budget Cents  `json:"budget"`
	// The match factor is FactorNum/FactorDen euros per euro pledged
	// (1/1 by default), a ratio so that no float is ever involved.
	FactorNum int64 `json:"factor_num"`
	FactorDen int64 `json:"factor_den"`
	CapPledge Cents `json:"cap_pledge,omitempty"` // the most one pledge is matched; 0: no cap
	CapTeam   Cents `json:"cap_team,omitempty"`   // the most one team is matched; 0: no cap
	// Projects and Communities are the eligible ones; empty means all. A
	// team is eligible when its project and community are.
	Projects    []string  `json:"projects,omitempty"`
	Communities []string  `json:"communities,omitempty"`
	Ends        time.Time `json:"ends"` // pledges after it are not matched
	// The critical-mass bonus: Bonus to each eligible team that forms with
	// at least BonusMembers members (0: no bonus).
	BonusMembers int   `json:"bonus_members,omitempty"`
	Bonus        Cents `json:"bonus,omitempty"`

	Committed Cents `json:"committed"`
	Released  Cents `json:"released"`
	Paid      Cents `json:"paid"`
	Reserved  Cents `json:"reserved"`

	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits of a fund.
const (
	MaxFundName   = 80
	MaxMatchRatio = 100 // a factor of at most 100 euros per euro
)

// Validate checks a fund as a coordinator creates it.
func (f *Fund) Validate() error {
	switch {
	case !ValidID(f.ID):
		return Errorf(EINVALID, "fund: the id must be 1-%d characters of a-z, 0-9 and -", MaxIDLen)
	case strings.TrimSpace(f.Name) == "" || utf8.RuneCountInString(f.Name) > MaxFundName:
		return Errorf(EINVALID, "fund: the name must be 1-%d characters", MaxFundName)
	case utf8.RuneCountInString(f.Funder) > MaxFundName:
		return Errorf(EINVALID, "fund: the funder must be at most %d characters", MaxFundName)
	case f.Budget <= 0 || f.Budget > MaxCents:
		return Errorf(EINVALID, "fund: the budget must be more than 0 and at most %s", MaxCents)
	case f.FactorNum <= 0 || f.FactorDen <= 0 || f.FactorNum > MaxMatchRatio*f.FactorDen || f.FactorDen > 100:
		return Errorf(EINVALID, "fund: the match factor must be more than 0 and at most %d", MaxMatchRatio)
	case f.CapPledge < 0 || f.CapTeam < 0 || f.CapPledge > MaxCents || f.CapTeam > MaxCents:
		return Errorf(EINVALID, "fund: caps must be 0 (none) or positive")
	case f.BonusMembers < 0 || f.Bonus < 0 || f.Bonus > f.Budget || (f.Bonus > 0) != (f.BonusMembers > 0):
		return Errorf(EINVALID, "fund: a bonus needs both a sum within the budget and a number of members")
	case f.Ends.IsZero():
		return Errorf(EINVALID, "fund: no end date")
	}
	for _, id := range append(slices.Clone(f.Projects), f.Communities...) {
		if !ValidID(id) {
			return Errorf(EINVALID, "fund: bad project or community id")
		}
	}
	return nil
}

// Eligible says whether f matches pledges to a team of project in
// community at now.
func (f *Fund) Eligible(project, community string, now time.Time) bool {
	return now.Before(f.Ends) &&
		(len(f.Projects) == 0 || slices.Contains(f.Projects, project)) &&
		(len(f.Communities) == 0 || slices.Contains(f.Communities, community))
}

// Left is what f can still reserve.
func (f *Fund) Left() Cents {
	if left := f.Budget - f.Committed - f.Paid; left > 0 {
		return left
	}
	return 0
}

// Balanced says whether f's accounts add up: Committed + Released + Paid
// equals Reserved, none is negative, and Committed + Paid is within Budget.
func (f *Fund) Balanced() bool {
	return f.Committed >= 0 && f.Released >= 0 && f.Paid >= 0 &&
		f.Committed+f.Released+f.Paid == f.Reserved &&
		f.Committed+f.Paid <= f.Budget
}

// Match is the rule of a fund's match, pure: min(factor × amount, the cap
// per pledge, what the team may still be matched under the cap per team,
// what the fund has left), never below 0. teamMatched is what f already
// matches to the same team (other pledges and its bonus excluded: the cap
// per team counts matches).
func Match(f *Fund, amount, teamMatched Cents) Cents {
	if amount <= 0 || f.FactorDen <= 0 {
		return 0
	}
	m := Cents(int64(amount) * f.FactorNum / f.FactorDen)
	if f.CapPledge > 0 {
		m = min(m, f.CapPledge)
	}
	if f.CapTeam > 0 {
		m = min(m, f.CapTeam-teamMatched)
	}
	m = min(m, f.Left())
	return max(m, 0)
}

// Reserve commits m more of f's budget; Release gives c back; Pay moves c
// from committed to paid. They keep Balanced true when given what Match
// returned and amounts reserved before.
func (f *Fund) Reserve(m Cents) { f.Committed += m; f.Reserved += m }

// Release gives c, reserved before, back to the fund.
func (f *Fund) Release(c Cents) { f.Committed -= c; f.Released += c }

// Pay records that c, reserved before, came due: the goal was met.
func (f *Fund) Pay(c Cents) { f.Committed -= c; f.Paid += c }

// ParseFactor reads a match factor as "1", "2", "0.5", "1:2" (one euro per
// two), into a ratio.
func ParseFactor(s string) (num, den int64, err error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if a, b, ok := strings.Cut(s, ":"); ok {
		n, e1 := parseSmall(a)
		d, e2 := parseSmall(b)
		if e1 != nil || e2 != nil || n == 0 || d == 0 {
			return 0, 0, Errorf(EINVALID, "not a match factor")
		}
		return n, d, nil
	}
	c, err := ParseCents(s) // hundredths
	if err != nil || c > MaxMatchRatio*100 {
		return 0, 0, Errorf(EINVALID, "not a match factor")
	}
	if c%100 == 0 {
		return int64(c / 100), 1, nil
	}
	return int64(c), 100, nil
}

func parseSmall(s string) (int64, error) {
	c, err := ParseCents(s)
	if err != nil || c%100 != 0 || c > 100*100 {
		return 0, Errorf(EINVALID, "not a small whole number")
	}
	return int64(c / 100), nil
}

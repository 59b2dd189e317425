package multaque

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Cents is an amount of money in euro cents. Money is never a float: every
// sum, match and cap is a whole number of cents.
type Cents int64

// MaxCents bounds every amount Multaque records (ten million euros), so that
// a match (amount × factor) can never overflow int64.
const MaxCents Cents = 1_000_000_000

// String writes c as euros with two decimals, "12.50".
func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return sign + strconv.FormatInt(int64(c/100), 10) + "." + strconv.FormatInt(int64(c%100/10), 10) + strconv.FormatInt(int64(c%10), 10)
}

// ParseCents reads an amount in euros as people type it: "20", "20.5",
// "20,50", "€20", "20 €". It refuses negative, fractional cents, zero and
// amounts over MaxCents with an EINVALID error.
func ParseCents(s string) (Cents, error) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "€"))
	s = strings.ReplaceAll(s, ",", ".")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || (dot && (frac == "" || len(frac) > 2)) {
		return 0, Errorf(EINVALID, "not an amount in euros")
	}
	if frac != "" && len(frac) == 1 {
		frac += "0"
	}
	if frac == "" {
		frac = "00"
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, Errorf(EINVALID, "not an amount in euros")
		}
	}
	e, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := Cents(e*100 + f)
	if c <= 0 || c > MaxCents {
		return 0, Errorf(EINVALID, "an amount must be more than 0 and at most %s", MaxCents)
	}
	return c, nil
}

// KindGoalProgress is the kind of the outbox item that tells a team's group
// where its goal stands when it is settled (the pinned progress message is
// edited in place besides). The store folds them: a new one replaces the
// team's previous one still waiting in the outbox, so that a group never
// gets a backlog of stale figures.
const KindGoalProgress = "pledge-progress"

// ProgressDue is a goal whose group's pinned progress message is behind:
// the version of the goal to show, and the message to edit (0: post one).
type ProgressDue struct {
	Team    string
	Version uint64
	Message int
}

// GoalStatus is where a team's goal stands.
type GoalStatus string

// A goal is open until its deadline, then met or missed for good.
const (
	GoalOpen   GoalStatus = "open"
	GoalMet    GoalStatus = "met"
	GoalMissed GoalStatus = "missed"
)

// Limits of a goal's and a pledge's texts and numbers.
const (
	MaxGoalPurpose      = 200 // characters
	MaxPayInstructions  = 500 // characters
	MaxHours            = 10_000
	MaxPledgerName      = 64 // characters
	MinGoalDeadlineDays = 1
	MaxGoalDeadlineDays = 366
)

// Goal is what a team needs and by when: all or nothing, nothing is due
// unless pledges (with their matches) reach Min by Deadline.
type Goal struct {
	Team    string `json:"team"`
	Min     Cents  `json:"min"`               // the amount that must be reached
	Optimum Cents  `json:"optimum,omitempty"` // what would be ideal, 0 if none
	Hours   int    `json:"hours,omitempty"`   // hours of work asked for
	// Deadline is when the goal is settled: met or missed.
	Deadline time.Time `json:"deadline"`
	Purpose  string    `json:"purpose"`
	// PayInstructions (an IBAN, a Bizum number, a link) are shown only to
	// pledgers, in private, once the goal is met.
	PayInstructions string     `json:"pay_instructions,omitempty"`
	Treasurer       int64      `json:"treasurer,omitempty"` // a member who marks pledges paid
	Status          GoalStatus `json:"status"`
	SetBy           int64      `json:"set_by"`
	SetAt           time.Time  `json:"set_at"`
	SettledAt       time.Time  `json:"settled_at,omitzero"`
}

// Validate checks a goal as its team sets it, at now.
func (g *Goal) Validate(now time.Time) error {
	switch {
	case !ValidID(g.Team):
		return Errorf(EINVALID, "goal: bad team id")
	case g.Min <= 0 || g.Min > MaxCents:
		return Errorf(EINVALID, "goal: the minimum must be more than 0 and at most %s", MaxCents)
	case g.Optimum != 0 && (g.Optimum < g.Min || g.Optimum > MaxCents):
		return Errorf(EINVALID, "goal: the optimum must be at least the minimum")
	case g.Hours < 0 || g.Hours > MaxHours:
		return Errorf(EINVALID, "goal: hours must be 0-%d", MaxHours)
	case g.Deadline.Before(now.Add(MinGoalDeadlineDays*24*time.Hour - time.Minute)):
		return Errorf(EINVALID, "goal: the deadline must be at least %d day ahead", MinGoalDeadlineDays)
	case g.Deadline.After(now.Add(MaxGoalDeadlineDays * 24 * time.Hour)):
		return Errorf(EINVALID, "goal: the deadline must be within %d days", MaxGoalDeadlineDays)
	case strings.TrimSpace(g.Purpose) == "" || utf8.RuneCountInString(g.Purpose) > MaxGoalPurpose || !utf8.ValidString(g.Purpose):
		return Errorf(EINVALID, "goal: the purpose must be 1-%d characters", MaxGoalPurpose)
	case utf8.RuneCountInString(g.PayInstructions) > MaxPayInstructions || !utf8.ValidString(g.PayInstructions):
		return Errorf(EINVALID, "goal: payment instructions must be at most %d characters", MaxPayInstructions)
	}
	return nil
}

// PledgeStatus is where a pledge stands.
type PledgeStatus string

// A pledge is pledged until its goal settles: then due (met) or lapsed
// (missed); a due pledge becomes paid when the team's treasurer says so.
const (
	PledgeOpen   PledgeStatus = "pledged"
	PledgeDue    PledgeStatus = "due"
	PledgePaid   PledgeStatus = "paid"
	PledgeLapsed PledgeStatus = "lapsed"
)

// Pledge is one person's conditional commitment to a team's goal: money,
// hours or both, named in the group or anonymous. There is at most one per
// person and team; a change replaces it (and its match) in commit order.
type Pledge struct {
	Team string `json:"team"`
	// No numbers the team's pledges in commit order; the treasurer and the
	// payment reference use it.
	No     int   `json:"no"`
	Person int64 `json:"person,omitempty"` // 0 once the person was erased
	// Name is shown in the group when the pledge is named; empty when
	// anonymous.
	Name   string       `json:"name,omitempty"`
	Named  bool         `json:"named,omitempty"`
	Lang   Lang         `json:"lang,omitempty"`
	Amount Cents        `json:"amount"`
	Hours  int          `json:"hours,omitempty"`
	Fund   string       `json:"fund,omitempty"`  // the fund that matches it, if any
	Match  Cents        `json:"match,omitempty"` // what that fund reserved for it
	Status PledgeStatus `json:"status"`
	// Supporter: not a member of the team (came through its share link).
	Supporter bool      `json:"supporter,omitempty"`
	At        time.Time `json:"at"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	// Reminders are the outbox items reminding an unpaid pledger, deleted
	// when the pledge is marked paid.
	Reminders []uint64 `json:"reminders,omitempty"`
}

// Validate checks what a pledger chose.
func (p *Pledge) Validate() error {
	switch {
	case !ValidID(p.Team):
		return Errorf(EINVALID, "pledge: bad team id")
	case p.Amount < 0 || p.Amount > MaxCents:
		return Errorf(EINVALID, "pledge: the amount must be 0-%s", MaxCents)
	case p.Hours < 0 || p.Hours > MaxHours:
		return Errorf(EINVALID, "pledge: hours must be 0-%d", MaxHours)
	case p.Amount == 0 && p.Hours == 0:
		return Errorf(EINVALID, "pledge: nothing pledged")
	case utf8.RuneCountInString(p.Name) > MaxPledgerName || !utf8.ValidString(p.Name):
		return Errorf(EINVALID, "pledge: name over %d characters", MaxPledgerName)
	}
	return nil
}

// GoalProgress is what a goal has gathered: the sums of the live pledges
// (pledged, due or paid), their matches and the funds' bonuses.
type GoalProgress struct {
	Pledged  Cents `json:"pledged"`
	Matched  Cents `json:"matched"`
	Bonus    Cents `json:"bonus"`
	Paid     Cents `json:"paid"` // of Pledged, what the treasurer marked paid
	Hours    int   `json:"hours"`
	Pledgers int   `json:"pledgers"`
	PaidBy   int   `json:"paid_by"`
}

// Total is what counts towards the goal: pledges, matches and bonuses.
func (p GoalProgress) Total() Cents { return p.Pledged + p.Matched + p.Bonus }

// Reached says whether the progress meets g's minimum.
func (p GoalProgress) Reached(g *Goal) bool { return p.Total() >= g.Min }

// Progress sums the pledges that still count (not lapsed).
func Progress(pledges []Pledge, bonus Cents) GoalProgress {
	out := GoalProgress{Bonus: bonus}
	for _, p := range pledges {
		if p.Status == PledgeLapsed {
			continue
		}
		out.Pledged += p.Amount
		out.Matched += p.Match
		out.Hours += p.Hours
		out.Pledgers++
		if p.Status == PledgePaid {
			out.Paid += p.Amount
			out.PaidBy++
		}
	}
	return out
}

// Settle is the rule at a goal's deadline: met when what was gathered
// reaches the minimum, missed otherwise.
func Settle(g *Goal, p GoalProgress) GoalStatus {
	if p.Reached(g) {
		return GoalMet
	}
	return GoalMissed
}

// GoalState is a goal with its pledges and what they gathered.
type GoalState struct {
	Goal     Goal
	Pledges  []Pledge
	Progress GoalProgress
}

// LedgerRow is one line of a fund's ledger: a match of a pledge or a
// bonus, by team, with no person in it.
type LedgerRow struct {
	Team      string
	Project   string
	Community string
	Kind      string // "match" or "bonus"
	Pledge    int    // the pledge's number in its team, 0 for a bonus
	Pledged   Cents
	Match     Cents
	Status    PledgeStatus
}

// PledgeTotals are the figures of pledges for /stats.
type PledgeTotals struct {
	Goals, Met, Missed int
	Pledges            int // live ones (not lapsed)
	Pledged, Matched   Cents
	Paid               Cents
	Hours              int
}

package multaque

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Decision is a question a team decides together in its group, on a
// native Telegram poll the bot sends and closes: a proposal to consent to,
// a choice among options, a "count me in" with a target, or a meeting
// time. It is drafted in private by a member or the mentor (Step), open
// while the poll takes answers, and closed with its Outcome, which stays in
// the team's decision log.
type Decision struct {
	ID   uint64 `json:"id"`
	Team string `json:"team"`
	Chat int64  `json:"chat"`
	// Author is who drafted it, 0 once they asked to be forgotten.
	Author   int64          `json:"author,omitempty"`
	Lang     Lang           `json:"lang"` // the author's, for the fixed options of the poll
	Kind     DecisionKind   `json:"kind"`
	Question string         `json:"question"`
	Options  []string       `json:"options"`
	Multiple bool           `json:"multiple,omitempty"` // several answers per person
	Target   int            `json:"target,omitempty"`   // count me in: how many are needed
	Quorum   int            `json:"quorum"`             // percent of the team's members who must answer
	Mentor   bool           `json:"mentor,omitempty"`   // the mentor's answer counts
	Status   DecisionStatus `json:"status"`
	Step     DecisionStep   `json:"step,omitempty"` // a draft's
	// Closes is when the bot stops the poll; it keeps the time itself.
	Closes  time.Time `json:"closes,omitzero"`
	PollID  string    `json:"poll_id,omitempty"`
	Message int       `json:"message,omitempty"` // the poll's message in Chat
	// Votes are the latest answer of each person who answered, member or
	// not (Outcome decides who counts).
	Votes    []Vote `json:"votes,omitempty"`
	Reminded bool   `json:"reminded,omitempty"` // the reminders were queued
	Outcome  *Outcome
	// Posted is the outcome's message in Chat, 0 until it is posted.
	Posted int `json:"posted,omitempty"`
	// Note says why a decision closed otherwise than on time
	// (NotePollDeleted).
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	OpenedAt  time.Time `json:"opened_at,omitzero"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// DecisionTally is what coordinators see of a team's decisions: how many
// it took and when the last one closed, never their content.
type DecisionTally struct {
	Closed int
	Last   time.Time
}

// NotePollDeleted: the poll's message was deleted in the group; the
// decision closed with the answers given until then.
const NotePollDeleted = "poll_deleted"

// Vote is one person's latest answer to a decision's poll.
type Vote struct {
	Voter   int64     `json:"voter"`
	Options []int     `json:"options"`
	Reason  string    `json:"reason,omitempty"` // a block's
	Update  int       `json:"update,omitempty"` // the poll_answer's update_id: an older one never replaces it
	At      time.Time `json:"at"`
}

// DecisionKind is the kind of a decision.
type DecisionKind string

// The kinds of decision.
const (
	KindProposal DecisionKind = "proposal" // consent: agree, abstain, disagree, block
	KindChoice   DecisionKind = "choice"   // 2-12 options, one answer or several
	KindCountIn  DecisionKind = "countin"  // who will do it, with a target
	KindMeeting  DecisionKind = "meeting"  // candidate times, several answers
)

// DecisionKinds lists the kinds in the order they are offered.
var DecisionKinds = []DecisionKind{KindProposal, KindChoice, KindCountIn, KindMeeting}

// Valid reports whether k is one of the kinds above.
func (k DecisionKind) Valid() bool {
	for _, x := range DecisionKinds {
		if x == k {
			return true
		}
	}
	return false
}

// The options of a proposal, in the poll's order.
const (
	ProposalAgree = iota
	ProposalAbstain
	ProposalDisagree
	ProposalBlock
)

// The options of a "count me in", in the poll's order.
const (
	CountMeIn = iota
	CountMeOut
)

// DecisionStatus is where a decision is in its life.
type DecisionStatus string

// The statuses of a decision.
const (
	DecisionDraft  DecisionStatus = "draft"
	DecisionOpen   DecisionStatus = "open"
	DecisionClosed DecisionStatus = "closed"
)

// DecisionStep is the step of a draft: what it asks its author next.
type DecisionStep string

// The steps of a draft, in order; a kind skips those it does not need.
const (
	StepDecisionKind     DecisionStep = "kind"
	StepDecisionQuestion DecisionStep = "question" // typed
	StepDecisionOptions  DecisionStep = "options"  // typed, one a line
	StepDecisionTarget   DecisionStep = "target"   // typed, a number
	StepDecisionAnswers  DecisionStep = "answers"  // one answer or several
	StepDecisionClosing  DecisionStep = "closing"
	StepDecisionConfirm  DecisionStep = "confirm"
)

// Typing reports whether the step waits for typed text.
func (s DecisionStep) Typing() bool {
	return s == StepDecisionQuestion || s == StepDecisionOptions || s == StepDecisionTarget
}

// Telegram's limits of a poll (Bot API sendPoll) and ours of a decision.
const (
	MaxDecisionQuestion = 300 // characters
	MinDecisionOptions  = 2
	MaxDecisionOptions  = 12
	MaxDecisionOption   = 100 // characters
	MaxDecisionTarget   = 1000
	MaxBlockReason      = 500 // characters
	DefaultQuorum       = 50  // percent of the members
)

// CheckQuestion returns the question as it will be asked, trimmed, or an
// EINVALID error if Telegram would refuse it.
func CheckQuestion(text string) (string, error) {
	q := strings.TrimSpace(text)
	if q == "" || utf8.RuneCountInString(q) > MaxDecisionQuestion {
		return "", Errorf(EINVALID, "a question is 1-%d characters", MaxDecisionQuestion)
	}
	return q, nil
}

// ParseOptions reads options typed one a line (empty lines skipped), or an
// EINVALID error if Telegram would refuse them: 2-12 options of 1-100
// characters, none twice.
func ParseOptions(text string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for line := range strings.Lines(text) {
		o := strings.TrimSpace(line)
		if o == "" {
			continue
		}
		if utf8.RuneCountInString(o) > MaxDecisionOption {
			return nil, Errorf(EINVALID, "an option is at most %d characters", MaxDecisionOption)
		}
		if seen[strings.ToLower(o)] {
			return nil, Errorf(EINVALID, "option %q is there twice", o)
		}
		seen[strings.ToLower(o)] = true
		out = append(out, o)
	}
	if len(out) < MinDecisionOptions || len(out) > MaxDecisionOptions {
		return nil, Errorf(EINVALID, "a poll has %d-%d options", MinDecisionOptions, MaxDecisionOptions)
	}
	return out, nil
}

// Validate checks what an open or closed decision must hold.
func (d *Decision) Validate() error {
	switch {
	case d.Team == "" || d.Chat == 0:
		return Errorf(EINVALID, "decision %d: no team or group", d.ID)
	case !d.Kind.Valid():
		return Errorf(EINVALID, "decision %d: unknown kind %q", d.ID, d.Kind)
	case d.Quorum < 0 || d.Quorum > 100:
		return Errorf(EINVALID, "decision %d: quorum %d%% is not 0-100", d.ID, d.Quorum)
	case d.Kind == KindCountIn && (d.Target < 1 || d.Target > MaxDecisionTarget):
		return Errorf(EINVALID, "decision %d: target %d is not 1-%d", d.ID, d.Target, MaxDecisionTarget)
	case d.Kind == KindProposal && len(d.Options) != ProposalBlock+1, d.Kind == KindCountIn && len(d.Options) != CountMeOut+1,
		len(d.Options) < MinDecisionOptions || len(d.Options) > MaxDecisionOptions:
		return Errorf(EINVALID, "decision %d: %d options", d.ID, len(d.Options))
	}
	if _, err := CheckQuestion(d.Question); err != nil {
		return err
	}
	for _, o := range d.Options {
		if o == "" || utf8.RuneCountInString(o) > MaxDecisionOption {
			return Errorf(EINVALID, "decision %d: an option is not 1-%d characters", d.ID, MaxDecisionOption)
		}
	}
	return nil
}

// VoteOf returns voter's vote, or nil.
func (d *Decision) VoteOf(voter int64) *Vote {
	for i := range d.Votes {
		if d.Votes[i].Voter == voter {
			return &d.Votes[i]
		}
	}
	return nil
}

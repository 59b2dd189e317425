package multaque

import (
	"slices"
)

// Outcome is what a closed decision says: the counts, whether enough
// members answered, and the result.
type Outcome struct {
	// Counts are the counted answers per option (a person who chose
	// several options counts once for each).
	Counts []int `json:"counts"`
	// Members is how many people could answer (the team's members, and
	// its mentor when the team chose so); Voted, how many of them did.
	Members int `json:"members"`
	Voted   int `json:"voted"`
	// NotCounted is how many answers came from people who are not (or no
	// longer) among Members: a coordinator, a stranger, a member who left.
	NotCounted int `json:"not_counted,omitempty"`
	// Needed is the quorum: how many of Members had to answer.
	Needed    int            `json:"needed"`
	QuorumMet bool           `json:"quorum_met"`
	Result    DecisionResult `json:"result"`
	// Winners are the options with the most answers, ties included
	// (a choice or a meeting time).
	Winners []int `json:"winners,omitempty"`
	// Blocks are the reasons given for each counted block (a proposal),
	// "" where none was given.
	Blocks []string `json:"blocks,omitempty"`
}

// DecisionResult is the verdict of an outcome.
type DecisionResult string

// The results.
const (
	ResultNoQuorum     DecisionResult = "no_quorum"
	ResultAgreed       DecisionResult = "agreed"        // a proposal: more agree than disagree, no block
	ResultNotAgreed    DecisionResult = "not_agreed"    // a proposal: as many disagree as agree, or more
	ResultBlocked      DecisionResult = "blocked"       // a proposal: a member blocked it
	ResultChosen       DecisionResult = "chosen"        // a choice or meeting time: the Winners
	ResultTargetMet    DecisionResult = "target_met"    // count me in: enough are in
	ResultTargetMissed DecisionResult = "target_missed" // count me in: too few
)

// Tally computes the outcome of d from its kind, options, quorum and
// votes, counting only the answers of members (the people who may answer:
// the team's members, with the mentor when the team chose so). It is pure
// and deterministic: the same decision and members give the same outcome
// whatever their order.
//
// The rule, whole: each member's latest vote counts (d.Votes holds only
// the latest); a vote with no option is no answer; options out of range are
// ignored, and a single-answer poll counts a vote's first option only.
// Answers of anyone else are NotCounted. The quorum is Needed =
// ceil(Members × Quorum / 100), at least 1: with fewer members answering,
// the result is ResultNoQuorum whatever they said. Otherwise a proposal is
// blocked by any counted block (Blocks lists their reasons, ordered by
// voter), else agreed when more agree than disagree; a choice or meeting
// time has the options with the most answers as Winners; a "count me in"
// meets its Target when at least Target members are in.
func Tally(d *Decision, members []int64) Outcome {
	eligible := make(map[int64]bool, len(members))
	for _, m := range members {
		eligible[m] = true
	}
	out := Outcome{Counts: make([]int, len(d.Options)), Members: len(eligible)}
	votes := slices.Clone(d.Votes)
	slices.SortFunc(votes, func(a, b Vote) int {
		switch {
		case a.Voter < b.Voter:
			return -1
		case a.Voter > b.Voter:
			return 1
		}
		return 0
	})
	multiple := d.Multiple && (d.Kind == KindChoice || d.Kind == KindMeeting)
	for _, v := range votes {
		var picked []int
		for _, o := range v.Options {
			if o >= 0 && o < len(d.Options) && !slices.Contains(picked, o) {
				picked = append(picked, o)
			}
		}
		if len(picked) == 0 {
			continue
		}
		if !eligible[v.Voter] {
			out.NotCounted++
			continue
		}
		if !multiple {
			picked = picked[:1]
		}
		out.Voted++
		for _, o := range picked {
			out.Counts[o]++
		}
		if d.Kind == KindProposal && picked[0] == ProposalBlock {
			out.Blocks = append(out.Blocks, v.Reason)
		}
	}
	if d.Quorum > 0 {
		out.Needed = max(1, (out.Members*d.Quorum+99)/100)
	}
	out.QuorumMet = out.Voted >= out.Needed && out.Voted > 0
	if !out.QuorumMet {
		out.Blocks = nil
		out.Result = ResultNoQuorum
		return out
	}
	switch {
	case d.Kind == KindProposal && len(out.Counts) > ProposalBlock:
		switch {
		case len(out.Blocks) > 0:
			out.Result = ResultBlocked
		case out.Counts[ProposalAgree] > out.Counts[ProposalDisagree]:
			out.Result = ResultAgreed
		default:
			out.Result = ResultNotAgreed
		}
	case d.Kind == KindCountIn && len(out.Counts) > CountMeOut:
		out.Result = ResultTargetMissed
		if out.Counts[CountMeIn] >= d.Target {
			out.Result = ResultTargetMet
		}
	default:
		best := slices.Max(out.Counts)
		for i, n := range out.Counts {
			if n == best && n > 0 {
				out.Winners = append(out.Winners, i)
			}
		}
		out.Result = ResultChosen
	}
	return out
}

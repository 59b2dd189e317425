package multaque_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/multaque/multaque"
)

func proposal(votes ...multaque.Vote) *multaque.Decision {
	return &multaque.Decision{Kind: multaque.KindProposal, Options: []string{"a", "ab", "d", "b"}, Quorum: 50, Votes: votes}
}

func vote(voter int64, options ...int) multaque.Vote {
	return multaque.Vote{Voter: voter, Options: options}
}

func TestTally(t *testing.T) {
	members := []int64{1, 2, 3, 4}
	block := vote(3, multaque.ProposalBlock)
	block.Reason = "too dear"
	for _, c := range []struct {
		name    string
		d       *multaque.Decision
		members []int64
		want    multaque.Outcome
	}{
		{"proposal agreed", proposal(vote(1, 0), vote(2, 0), vote(3, 2)), members,
			multaque.Outcome{Counts: []int{2, 0, 1, 0}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultAgreed}},
		{"proposal tied is not agreed", proposal(vote(1, 0), vote(2, 2)), members,
			multaque.Outcome{Counts: []int{1, 0, 1, 0}, Members: 4, Voted: 2, Needed: 2, QuorumMet: true, Result: multaque.ResultNotAgreed}},
		{"one block blocks", proposal(vote(1, 0), vote(2, 0), block), members,
			multaque.Outcome{Counts: []int{2, 0, 0, 1}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultBlocked, Blocks: []string{"too dear"}}},
		{"no quorum", proposal(vote(1, 0)), members,
			multaque.Outcome{Counts: []int{1, 0, 0, 0}, Members: 4, Voted: 1, Needed: 2, Result: multaque.ResultNoQuorum}},
		{"outsiders are not counted", proposal(vote(1, 0), vote(9, 2), vote(8, 2)), members,
			multaque.Outcome{Counts: []int{1, 0, 0, 0}, Members: 4, Voted: 1, NotCounted: 2, Needed: 2, Result: multaque.ResultNoQuorum}},
		{"a member who left is not counted", proposal(vote(1, 0), vote(2, 0), vote(3, 2)), []int64{1, 2},
			multaque.Outcome{Counts: []int{2, 0, 0, 0}, Members: 2, Voted: 2, NotCounted: 1, Needed: 1, QuorumMet: true, Result: multaque.ResultAgreed}},
		{"a retracted vote is no answer", proposal(vote(1), vote(2, 0)), []int64{1, 2},
			multaque.Outcome{Counts: []int{1, 0, 0, 0}, Members: 2, Voted: 1, Needed: 1, QuorumMet: true, Result: multaque.ResultAgreed}},
		{"choice tie; one answer counts the first", &multaque.Decision{Kind: multaque.KindChoice, Options: []string{"x", "y", "z"}, Quorum: 50, Votes: []multaque.Vote{vote(1, 0), vote(2, 2), vote(3, 1, 2)}}, members,
			multaque.Outcome{Counts: []int{1, 1, 1}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultChosen, Winners: []int{0, 1, 2}}},
		{"meeting several answers", &multaque.Decision{Kind: multaque.KindMeeting, Multiple: true, Options: []string{"x", "y", "z"}, Quorum: 50, Votes: []multaque.Vote{vote(1, 0, 1), vote(2, 1, 2), vote(4, 1, 7)}}, members,
			multaque.Outcome{Counts: []int{1, 3, 1}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultChosen, Winners: []int{1}}},
		{"count me in met", &multaque.Decision{Kind: multaque.KindCountIn, Options: []string{"in", "out"}, Target: 2, Quorum: 50, Votes: []multaque.Vote{vote(1, 0), vote(2, 0), vote(3, 1)}}, members,
			multaque.Outcome{Counts: []int{2, 1}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultTargetMet}},
		{"count me in missed", &multaque.Decision{Kind: multaque.KindCountIn, Options: []string{"in", "out"}, Target: 3, Quorum: 50, Votes: []multaque.Vote{vote(1, 0), vote(2, 0), vote(3, 1)}}, members,
			multaque.Outcome{Counts: []int{2, 1}, Members: 4, Voted: 3, Needed: 2, QuorumMet: true, Result: multaque.ResultTargetMissed}},
		{"full quorum", &multaque.Decision{Kind: multaque.KindCountIn, Options: []string{"in", "out"}, Target: 1, Quorum: 100, Votes: []multaque.Vote{vote(1, 0), vote(2, 0), vote(3, 1)}}, members,
			multaque.Outcome{Counts: []int{2, 1}, Members: 4, Voted: 3, Needed: 4, Result: multaque.ResultNoQuorum}},
		{"nobody answered", proposal(), members,
			multaque.Outcome{Counts: []int{0, 0, 0, 0}, Members: 4, Needed: 2, Result: multaque.ResultNoQuorum}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := multaque.Tally(c.d, c.members)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Tally (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTallyProperties: whatever the votes, the outcome does not depend on
// their order or the members', counts nobody twice, counts outsiders only
// as NotCounted, and says no quorum exactly when too few members answered.
func TestTallyProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom(multaque.DecisionKinds).Draw(t, "kind")
		n := map[multaque.DecisionKind]int{multaque.KindProposal: 4, multaque.KindCountIn: 2}[kind]
		if n == 0 {
			n = rapid.IntRange(2, 12).Draw(t, "options")
		}
		d := &multaque.Decision{Kind: kind, Options: make([]string, n), Multiple: rapid.Bool().Draw(t, "multiple"),
			Quorum: rapid.IntRange(0, 100).Draw(t, "quorum"), Target: rapid.IntRange(1, 10).Draw(t, "target")}
		members := rapid.SliceOfDistinct(rapid.Int64Range(1, 30), func(x int64) int64 { return x }).Draw(t, "members")
		voters := rapid.SliceOfDistinct(rapid.Int64Range(1, 40), func(x int64) int64 { return x }).Draw(t, "voters")
		for _, v := range voters {
			d.Votes = append(d.Votes, multaque.Vote{Voter: v, Options: rapid.SliceOfN(rapid.IntRange(-1, n), 0, 3).Draw(t, "options")})
		}
		got := multaque.Tally(d, members)

		shuffled := *d
		shuffled.Votes = slices.Clone(d.Votes)
		slices.Reverse(shuffled.Votes)
		m2 := slices.Clone(members)
		slices.Reverse(m2)
		if diff := cmp.Diff(got, multaque.Tally(&shuffled, m2)); diff != "" {
			t.Fatalf("order changed the outcome:\n%s", diff)
		}
		if got.Voted > got.Members || got.Voted+got.NotCounted > len(d.Votes) {
			t.Fatalf("Voted %d + NotCounted %d of %d votes, %d members", got.Voted, got.NotCounted, len(d.Votes), got.Members)
		}
		sum := 0
		for _, c := range got.Counts {
			sum += c
		}
		if sum < got.Voted || (!d.Multiple || kind == multaque.KindProposal || kind == multaque.KindCountIn) && sum != got.Voted {
			t.Fatalf("counts %v sum to %d for %d voters", got.Counts, sum, got.Voted)
		}
		if got.QuorumMet != (got.Voted >= got.Needed && got.Voted > 0) || got.QuorumMet == (got.Result == multaque.ResultNoQuorum) {
			t.Fatalf("quorum %v with %d of %d needed, result %s", got.QuorumMet, got.Voted, got.Needed, got.Result)
		}
		// An outsider's vote changes only NotCounted.
		outsider := *d
		outsider.Votes = append(slices.Clone(d.Votes), multaque.Vote{Voter: 1000, Options: []int{0}})
		more := multaque.Tally(&outsider, members)
		got.NotCounted++
		if diff := cmp.Diff(got, more); diff != "" {
			t.Fatalf("an outsider's vote changed more than NotCounted:\n%s", diff)
		}
	})
}

func TestParseOptions(t *testing.T) {
	got, err := multaque.ParseOptions("  Mon 18:00\n\nTue 19:00 \r\nWed")
	if err != nil || !slices.Equal(got, []string{"Mon 18:00", "Tue 19:00", "Wed"}) {
		t.Errorf("ParseOptions = %q, %v", got, err)
	}
	for _, bad := range []string{"one", "a\nA", strings.Repeat("x\n", 0) + "a\n" + strings.Repeat("y", 101), strings.Repeat("o\n", 1) + "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12"} {
		if _, err := multaque.ParseOptions(bad); multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("ParseOptions(%q) = %v, want EINVALID", bad, err)
		}
	}
	if _, err := multaque.CheckQuestion(strings.Repeat("é", 301)); err == nil {
		t.Error("a question of 301 characters was taken")
	}
}

// BenchmarkTally is the outcome of a meeting poll of 12 options answered
// by 60 people, 50 of them members.
func BenchmarkTally(b *testing.B) {
	d := &multaque.Decision{Kind: multaque.KindMeeting, Multiple: true, Options: make([]string, 12), Quorum: 50}
	var members []int64
	for i := range 60 {
		d.Votes = append(d.Votes, multaque.Vote{Voter: int64(i), Options: []int{i % 12, (i + 5) % 12}})
		if i < 50 {
			members = append(members, int64(i))
		}
	}
	b.ResetTimer()
	for range b.N {
		if o := multaque.Tally(d, members); o.Voted != 50 {
			b.Fatal(o.Voted)
		}
	}
}

package store_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func openDecision(t *testing.T, db *store.DB, author int64) *multaque.Decision {
	t.Helper()
	now := time.Now()
	d, err := db.SaveDecisionDraft(ctx, multaque.Decision{Team: "t1", Chat: -1001, Author: author, Kind: multaque.KindProposal, Step: multaque.StepDecisionQuestion}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Awaiting(ctx, author); got != multaque.AwaitDecision {
		t.Errorf("Awaiting = %q while the draft waits for its question, want %q", got, multaque.AwaitDecision)
	}
	d.Question, d.Options, d.Quorum, d.Closes, d.Step = "Buy from Joan?", []string{"a", "ab", "d", "b"}, 50, now.Add(time.Hour), multaque.StepDecisionConfirm
	if d, err = db.SaveDecisionDraft(ctx, *d, now); err != nil {
		t.Fatal(err)
	}
	if d, err = db.OpenDecision(ctx, d.ID, "poll-1", 7, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenDecision(ctx, d.ID, "poll-1", 7, now); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Errorf("second OpenDecision: %v, want ECONFLICT", err)
	}
	return d
}

func TestDecisionVotesAndClosing(t *testing.T) {
	db := openDB(t, fast)
	d := openDecision(t, db, 1)
	at := time.Now()
	vote := func(voter int64, update int, options ...int) bool {
		t.Helper()
		_, changed, err := db.RecordVote(ctx, "poll-1", multaque.Vote{Voter: voter, Options: options, Update: update, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return changed
	}
	if !vote(1, 10, multaque.ProposalAgree) || !vote(2, 11, multaque.ProposalBlock) || !vote(3, 12, multaque.ProposalAgree) {
		t.Fatal("a first vote changed nothing")
	}
	if vote(1, 10, multaque.ProposalDisagree) || vote(1, 9, multaque.ProposalDisagree) {
		t.Error("a vote of an update already seen, or older, replaced a newer one")
	}
	if !vote(3, 13) {
		t.Error("a retraction changed nothing")
	}
	if _, _, err := db.RecordVote(ctx, "someone-elses", multaque.Vote{Voter: 1, Options: []int{0}, Update: 14}); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("vote to an unknown poll: %v, want ENOTFOUND", err)
	}
	if got, _ := db.Awaiting(ctx, 2); got != multaque.AwaitDecision {
		t.Errorf("the blocker's Awaiting = %q, want %q", got, multaque.AwaitDecision)
	}
	if _, err := db.SetBlockReason(ctx, 2, "too dear"); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Decision(ctx, d.ID)
	if len(got.Votes) != 2 || got.VoteOf(1).Options[0] != multaque.ProposalAgree || got.VoteOf(2).Reason != "too dear" || got.VoteOf(3) != nil {
		t.Fatalf("votes %+v, want 1 agrees, 2 blocks for a reason, 3 retracted", got.Votes)
	}

	o := multaque.Tally(got, []int64{1, 2, 3})
	closed, err := db.CloseDecision(ctx, d.ID, o, "", time.Now())
	if err != nil || closed.Status != multaque.DecisionClosed || closed.Outcome.Result != multaque.ResultBlocked {
		t.Fatalf("CloseDecision = %+v, %v", closed, err)
	}
	if vote(1, 20, multaque.ProposalDisagree) {
		t.Error("a closed decision took a vote")
	}
	tend, _ := db.DecisionsToTend(ctx)
	if len(tend) != 1 {
		t.Errorf("DecisionsToTend = %d, want the closed one to post", len(tend))
	}
	if err := db.DecisionPosted(ctx, d.ID, 9); err != nil {
		t.Fatal(err)
	}
	if tend, _ := db.DecisionsToTend(ctx); len(tend) != 0 {
		t.Errorf("DecisionsToTend = %d, want none", len(tend))
	}
	log, _ := db.TeamDecisions(ctx, "t1")
	tallies, _ := db.DecisionTallies(ctx)
	if len(log) != 1 || tallies["t1"].Closed != 1 || tallies["t1"].Last.IsZero() {
		t.Errorf("log %d, tallies %+v; want one decision", len(log), tallies)
	}
}

func TestForgetTakesAVoterOutOfDecisions(t *testing.T) {
	db := openDB(t, fast)
	voter := newCitizen(42, "Quima", "gracia", "energy")
	save(t, db, voter)
	d := openDecision(t, db, 42)
	if _, _, err := db.RecordVote(ctx, "poll-1", multaque.Vote{Voter: 42, Options: []int{multaque.ProposalBlock}, Reason: "", Update: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetBlockReason(ctx, 42, "my distinctive reason"); err != nil {
		t.Fatal(err)
	}
	data, err := db.PersonalData(ctx, 42)
	if err != nil || !strings.Contains(string(data), "my distinctive reason") || !strings.Contains(string(data), "Buy from Joan?") {
		t.Errorf("PersonalData = %s, %v; want the answer and its reason", data, err)
	}
	got, _ := db.Decision(ctx, d.ID)
	closed, err := db.CloseDecision(ctx, d.ID, multaque.Tally(got, []int64{42}), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 42); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Decision(ctx, d.ID)
	if len(after.Votes) != 0 || after.Author != 0 {
		t.Errorf("after /forget: votes %+v, author %d; want none", after.Votes, after.Author)
	}
	if after.Outcome.Voted != closed.Outcome.Voted || after.Outcome.Counts[multaque.ProposalBlock] != 1 {
		t.Errorf("outcome changed: %+v, want %+v", after.Outcome, closed.Outcome)
	}
	scan(t, db, func(path string, k, v []byte) {
		if strings.Contains(string(v), "my distinctive reason") {
			t.Errorf("%s still holds the reason", path)
		}
	})
}

// TestCheckFindsABrokenDecisionIndex: check reports an open decision the
// open index lost.
func TestCheckFindsABrokenDecisionIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	d := openDecision(t, db, 1)
	if problems, err := db.Check(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("Check = %v, %v on a sound file", problems, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tamper(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("decisions")).Bucket([]byte("open")).Delete(id8(int64(d.ID)))
	})
	if problems := problemsOf(t, path, store.CheckOptions{}); len(problems) != 1 || !strings.Contains(problems[0], "not in the open index") {
		t.Errorf("Check = %v, want the lost index entry", problems)
	}
}

// TestForgetAStrangerWhoVoted: someone the store knows only from their
// answer to a poll (a stranger in the group) is found and erased, and
// /mydata shows them that answer.
func TestForgetAStrangerWhoVoted(t *testing.T) {
	db := openDB(t, fast)
	openDecision(t, db, 1)
	const stranger = 777777
	if _, _, err := db.RecordVote(ctx, "poll-1", multaque.Vote{Voter: stranger, Options: []int{multaque.ProposalDisagree}, Update: 1}); err != nil {
		t.Fatal(err)
	}
	data, err := db.PersonalData(ctx, stranger)
	if err != nil || !strings.Contains(string(data), "Buy from Joan?") {
		t.Errorf("PersonalData = %s, %v; want their answer", data, err)
	}
	if err := db.ForgetCitizen(ctx, stranger); err != nil {
		t.Fatalf("ForgetCitizen: %v", err)
	}
	scan(t, db, func(path string, k, v []byte) {
		if strings.Contains(string(v), "777777") {
			t.Errorf("%s still names the stranger", path)
		}
	})
}

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// seedDecisions stores n decisions of team t1, open ones every openEvery,
// the others closed with their outcome posted.
func seedDecisions(b *testing.B, db *store.DB, n, openEvery int) {
	b.Helper()
	now := time.Now()
	for i := range n {
		author := int64(i + 1)
		d, err := db.SaveDecisionDraft(ctx, multaque.Decision{Team: "t1", Chat: -1001, Author: author, Kind: multaque.KindChoice,
			Question: "Where do we meet?", Options: []string{"Library", "Café", "Square"}, Quorum: 50, Closes: now.Add(time.Hour)}, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.OpenDecision(ctx, d.ID, fmt.Sprintf("poll-%d", i), i+1, now); err != nil {
			b.Fatal(err)
		}
		if i%openEvery == 0 {
			continue
		}
		if _, err := db.CloseDecision(ctx, d.ID, multaque.Outcome{Counts: []int{1, 0, 0}}, "", now); err != nil {
			b.Fatal(err)
		}
		if err := db.DecisionPosted(ctx, d.ID, i+1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordVote is one poll answer: a write transaction on a
// decision with 30 votes already.
func BenchmarkRecordVote(b *testing.B) {
	db := openDB(b, fast)
	seedDecisions(b, db, 1, 1)
	for v := range 30 {
		if _, _, err := db.RecordVote(ctx, "poll-0", multaque.Vote{Voter: int64(v + 100), Options: []int{v % 3}, Update: v + 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := db.RecordVote(ctx, "poll-0", multaque.Vote{Voter: int64(i%30 + 100), Options: []int{i % 3}, Update: 100 + i}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecisionsToTend is one pass of RunDecisions over a store of
// 2,000 decisions of which 20 are open: it reads the open ones only.
func BenchmarkDecisionsToTend(b *testing.B) {
	db := openDB(b, fast)
	seedDecisions(b, db, 2000, 100)
	b.ResetTimer()
	for range b.N {
		ds, err := db.DecisionsToTend(ctx)
		if err != nil || len(ds) != 20 {
			b.Fatalf("DecisionsToTend = %d, %v; want 20", len(ds), err)
		}
	}
}

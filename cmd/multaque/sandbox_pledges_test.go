package main

import (
	"context"
	"testing"

	"github.com/multaque/multaque/store"
)

// checkDemoPledges reads the stopped demo's file: the pledgers' team has a
// goal of 400 € halfway there (100 € pledged, 100 € matched by the fund).
func checkDemoPledges(t *testing.T, data string) {
	t.Helper()
	db, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	teams, err := db.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		if tm.Project != "car-co-owning" {
			continue
		}
		s, err := db.Goal(ctx, tm.ID)
		if err != nil {
			t.Fatalf("the pledgers' team %s: %v", tm.ID, err)
		}
		if s.Goal.Min != 40000 || s.Progress.Pledged != 10000 || s.Progress.Matched != 10000 {
			t.Fatalf("the pledgers' goal %+v, progress %+v; want 200.00 of 400.00", s.Goal, s.Progress)
		}
		return
	}
	t.Fatalf("no car co-owning team in the demo: %d teams", len(teams))
}

package store_test

import (
	"testing"

	"github.com/multaque/multaque"
)

// TestChangeRecordsItsUpdate: a change made while handling an update records
// the update in the same transaction; a refused change records nothing.
func TestChangeRecordsItsUpdate(t *testing.T) {
	db := openDB(t)
	uctx, mark := multaque.WithUpdate(ctx, 41)
	if err := db.SaveCitizen(uctx, newCitizen(1, "Anna", "gracia", "consumer-group")); err != nil {
		t.Fatal(err)
	}
	if !mark.Recorded() {
		t.Fatal("the mark does not say the update was recorded")
	}
	if seen, err := db.SeenUpdate(ctx, 41); err != nil || !seen {
		t.Fatalf("SeenUpdate(41)=%v,%v, want true", seen, err)
	}

	uctx, mark = multaque.WithUpdate(ctx, 42)
	bad := newCitizen(2, "", "gracia")
	bad.Lang = "xx"
	if err := db.SaveCitizen(uctx, bad); err == nil {
		t.Fatal("an invalid citizen was saved")
	}
	if mark.Recorded() {
		t.Fatal("a refused change marked its update recorded")
	}
	if seen, _ := db.SeenUpdate(ctx, 42); seen {
		t.Fatal("a refused change recorded its update: a redelivery would be skipped")
	}
	if fresh, err := db.RecordUpdate(ctx, 41); err != nil || fresh {
		t.Fatalf("RecordUpdate(41)=%v,%v, want not fresh", fresh, err)
	}
}

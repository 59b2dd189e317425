package store_test

import (
	"testing"

	"github.com/multaque/multaque"
)

func TestCitizenByRefCode(t *testing.T) {
	db := openDB(t, fast)
	c := newCitizen(42, "Mercè", "gracia")
	save(t, db, c)
	id, err := db.CitizenByRefCode(ctx, c.RefCode)
	if err != nil || id != 42 {
		t.Errorf("CitizenByRefCode=%d, %v, want 42, nil", id, err)
	}
	for _, code := range []string{"", "nosuchcd", "../../x"} {
		_, err := db.CitizenByRefCode(ctx, code)
		wantCode(t, err, multaque.ENOTFOUND)
	}
}

func TestAddReferral(t *testing.T) {
	db := openDB(t, fast)
	c := newCitizen(42, "Mercè", "gracia", "energy")
	save(t, db, c)
	for range 3 {
		if err := db.AddReferral(ctx, c.RefCode); err != nil {
			t.Fatalf("AddReferral: %v", err)
		}
	}
	got, _ := db.Citizen(ctx, 42)
	if got.Referrals != 3 {
		t.Errorf("Referrals=%d, want 3", got.Referrals)
	}
	if got.RefCode != c.RefCode || len(got.Interests) != 1 {
		t.Errorf("AddReferral changed more than Referrals: %+v", got)
	}
	wantCode(t, db.AddReferral(ctx, "nosuchcd"), multaque.ENOTFOUND)
}

package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

// TestLeaverRemembered: leaving a team puts the person in its Left list,
// which /mydata shows and /forget empties.
func TestLeaverRemembered(t *testing.T) {
	db := openDB(t, fast)
	now := time.Now()
	var team multaque.Team
	for _, id := range []int64{1, 2, 3} {
		if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: id, Lang: multaque.Catalan, Name: "N", Community: "gracia", ConsentAt: now, UpdatedAt: now,
			Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
			Interests: []multaque.Interest{{Project: "consumer-group", Since: now}}}); err != nil {
			t.Fatal(err)
		}
		team.Members = append(team.Members, multaque.TeamMember{Citizen: id})
	}
	team.Community, team.Project = "gracia", "consumer-group"
	formed, err := db.FormTeam(ctx, team, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	left, err := db.LeaveTeam(ctx, formed.ID, 1, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left.Left, []int64{1}) {
		t.Fatalf("Left=%v after 1 left, want [1]", left.Left)
	}
	data, err := db.PersonalData(ctx, 1)
	if err != nil || !strings.Contains(string(data), `"role": "left"`) {
		t.Errorf("PersonalData of the leaver does not show the team they left (%v):\n%s", err, data)
	}
	if err := db.ForgetCitizen(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got, err := db.Team(ctx, formed.ID)
	if err != nil || len(got.Left) != 0 {
		t.Fatalf("Left=%v,%v after the leaver's /forget, want empty", got.Left, err)
	}
}

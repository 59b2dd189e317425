package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

// TestErasedMentorNameLeavesMessages: the invitations waiting for a team's
// members name its mentor; once the mentor is erased, those messages, and
// those given up on, no longer do, and say the rest as they did.
func TestErasedMentorNameLeavesMessages(t *testing.T) {
	db := openDB(t, fast)
	now := time.Now()
	const marta = int64(900)
	if err := db.SaveMentor(ctx, multaque.Mentor{ID: marta, Name: "Marta <Puig>", Projects: []string{"consumer-group"},
		Capacity: 2, Lang: multaque.Catalan, JoinedAt: now}); err != nil {
		t.Fatal(err)
	}
	team := multaque.Team{Community: "gracia", Project: "consumer-group", Mentor: marta}
	for _, id := range []int64{1, 2, 3} {
		if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: id, Lang: multaque.Catalan, Name: "N", Community: "gracia", ConsentAt: now, UpdatedAt: now,
			Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
			Interests: []multaque.Interest{{Project: "consumer-group", Since: now}}}); err != nil {
			t.Fatal(err)
		}
		team.Members = append(team.Members, multaque.TeamMember{Citizen: id})
	}
	formed, err := db.FormTeam(ctx, team, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := "Consumer group · Gràcia\n\nYou are 3.\n🧭 Your mentor is Marta &lt;Puig&gt;, who has done it before.\n\nJoin the group."
	var items []multaque.OutboxItem
	for _, id := range []int64{1, 2} {
		items = append(items, multaque.OutboxItem{Kind: "invite", Chat: id, Owner: "team/" + formed.ID, Text: text, ParseMode: "HTML"})
	}
	ids, err := db.Enqueue(ctx, items...)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Bury(ctx, ids[1], "chat not found"); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, marta); err != nil {
		t.Fatal(err)
	}
	waiting := dueItems(t, db)
	dead, err := db.Dead(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 1 || len(dead) != 1 {
		t.Fatalf("%d messages waiting and %d dead after the mentor's /forget, want 1 and 1", len(waiting), len(dead))
	}
	want := "Consumer group · Gràcia\n\nYou are 3.\n\nJoin the group."
	for _, it := range append(waiting, dead...) {
		if strings.Contains(it.Text, "Marta") || it.Text != want {
			t.Errorf("message %d reads %q after the mentor's /forget, want %q", it.ID, it.Text, want)
		}
	}
}

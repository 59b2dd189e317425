package store_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

func members(ids ...int64) []multaque.TeamMember {
	out := make([]multaque.TeamMember, len(ids))
	for i, id := range ids {
		out[i] = multaque.TeamMember{Citizen: id}
	}
	return out
}

func invites(t *multaque.Team) []multaque.OutboxItem {
	var out []multaque.OutboxItem
	for _, m := range t.Members {
		out = append(out, multaque.OutboxItem{Kind: "invite", Chat: m.Citizen, Text: "join " + t.ID, DedupKey: "invite/" + t.ID + "/" + fmt.Sprint(m.Citizen)})
	}
	return out
}

func TestFormTeamTakesMembersOutOfTheQueue(t *testing.T) {
	db := openDB(t)
	for id := int64(1); id <= 4; id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group", "time-bank"))
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2, 3)}, t0, invites)
	if err != nil {
		t.Fatalf("FormTeam: %v", err)
	}
	if team.ID != "t1" || len(team.Members) != 3 || team.Status != multaque.TeamForming {
		t.Fatalf("team=%+v, want t1 forming with 3 members", team)
	}
	n, _ := db.CountWaiting(ctx, "gracia", []string{"consumer-group", "time-bank"})
	if n["consumer-group"] != 1 || n["time-bank"] != 4 {
		t.Fatalf("CountWaiting=%v, want consumer-group 1 (only 4 left), time-bank 4", n)
	}
	c, _ := db.Citizen(ctx, 2)
	if in, _ := c.Interest("consumer-group"); in.Team != "t1" {
		t.Fatalf("citizen 2's interest=%+v, want team t1", in)
	}
	if l, _ := db.OutboxLen(ctx); l != 3 {
		t.Fatalf("OutboxLen=%d, want the 3 invitations enqueued with the team", l)
	}

	// Saving a member again (a later answer) must not put them back in the queue.
	if _, err := db.UpdateCitizen(ctx, 2, func(c *multaque.Citizen) error { c.Name = "Q"; return nil }); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountWaiting(ctx, "gracia", []string{"consumer-group"}); n["consumer-group"] != 1 {
		t.Fatalf("a team member is waiting again after an update: %v", n)
	}

	// The same decision again forms nothing: they are taken.
	_, err = db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2, 3)}, t0, invites)
	wantCode(t, err, multaque.ECONFLICT)
	if ts, _ := db.Teams(ctx); len(ts) != 1 {
		t.Fatalf("Teams=%d, want 1", len(ts))
	}
	if l, _ := db.OutboxLen(ctx); l != 3 {
		t.Fatalf("OutboxLen=%d after a refused FormTeam, want 3 (nothing enqueued)", l)
	}
}

func TestFormTeamConcurrentNeverTwice(t *testing.T) {
	db := openDB(t)
	for id := int64(1); id <= 8; id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group"))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	formed := 0
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2, 3, 4, 5, 6, 7, 8)}, t0, nil); err == nil {
				mu.Lock()
				formed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if formed != 1 {
		t.Fatalf("%d teams formed from the same people, want 1", formed)
	}
}

func TestJoinAndLeaveTeam(t *testing.T) {
	db := openDB(t)
	for id := int64(1); id <= 4; id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group"))
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	team, err = db.JoinTeam(ctx, team.ID, []int64{3, 1, 99}, later, invites)
	if err != nil || len(team.Members) != 3 || !team.HasMember(3) {
		t.Fatalf("JoinTeam=%+v,%v, want 3 members with 3 added", team, err)
	}
	_, err = db.JoinTeam(ctx, team.ID, []int64{3}, later, nil)
	wantCode(t, err, multaque.ECONFLICT)

	team, err = db.LeaveTeam(ctx, team.ID, 2, later, nil)
	if err != nil || team.HasMember(2) {
		t.Fatalf("LeaveTeam=%+v,%v, want 2 gone", team, err)
	}
	c, _ := db.Citizen(ctx, 2)
	if in, _ := c.Interest("consumer-group"); in.Team != "" || !in.Since.Equal(later) {
		t.Fatalf("after leaving: %+v, want waiting again since %v", in, later)
	}
	_, err = db.LeaveTeam(ctx, team.ID, 2, later, nil)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestTeamByChat(t *testing.T) {
	db := openDB(t)
	save(t, db, newCitizen(1, "A", "gracia", "consumer-group"))
	save(t, db, newCitizen(2, "B", "gracia", "consumer-group"))
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.TeamByChat(ctx, -1001)
	wantCode(t, err, multaque.ENOTFOUND)
	for _, chat := range []int64{-1001, -1002} {
		if _, err := db.UpdateTeam(ctx, team.ID, t0, func(_ *bolt.Tx, t *multaque.Team) error { t.Chat = chat; return nil }, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.TeamByChat(ctx, -1002)
	if err != nil || got.ID != team.ID {
		t.Fatalf("TeamByChat(-1002)=%+v,%v, want %s", got, err, team.ID)
	}
	_, err = db.TeamByChat(ctx, -1001)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestForgetTakesThePersonOutOfTheirTeam(t *testing.T) {
	db := openDB(t)
	for id := int64(1); id <= 3; id++ {
		save(t, db, newCitizen(id, fmt.Sprintf("Persona%d", id), "gracia", "consumer-group"))
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2, 3)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Team(ctx, team.ID)
	if got.HasMember(2) || len(got.Members) != 2 {
		t.Fatalf("team after erasure=%+v, want members 1 and 3", got.Members)
	}
	id := make([]byte, 8)
	binary.BigEndian.PutUint64(id, 2)
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Equal(k, id) || bytes.Contains(v, []byte(`"citizen":2,`)) || bytes.Contains(v, []byte("Persona2")) {
					t.Errorf("bucket %s still holds citizen 2", name)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPersonalDataShowsTeamsAndWaitingMessages(t *testing.T) {
	db := openDB(t)
	save(t, db, newCitizen(1, "Anna", "gracia", "consumer-group"))
	save(t, db, newCitizen(2, "Bea", "gracia", "consumer-group"))
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, 2)}, t0, invites)
	if err != nil {
		t.Fatal(err)
	}
	data, err := db.PersonalData(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id": "` + team.ID + `"`, `"role": "member"`, `"members": 2`, `"text": "join ` + team.ID + `"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("PersonalData lacks %s:\n%s", want, data)
		}
	}
	if bytes.Contains(data, []byte("Bea")) {
		t.Errorf("PersonalData of Anna shows another member's name:\n%s", data)
	}
}

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// TestServeMatchAndBroadcast runs `multaque serve` against the fake
// Telegram with eight neighbours of Gràcia waiting for the consumer group:
// a coordinator's /match forms their team with the cron's Runner, and a
// broadcast to Gràcia reaches each of them once through the Sender.
func TestServeMatchAndBroadcast(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "data", "multaque.db")
	coord := srv.NewUser("Carme", "ca")
	var people []*telegramtest.User
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 8 {
		u := srv.NewUser(fmt.Sprintf("Veí %d", i), "ca")
		people = append(people, u)
		err := db.SaveCitizen(context.Background(), &multaque.Citizen{
			ID: u.ID, Lang: multaque.Catalan, Name: u.FirstName, Community: "gracia", ConsentAt: now, UpdatedAt: now,
			Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
			Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	env := envFor(srv, dataPath)
	env["MULTAQUE_COORDINATORS"] = strconv.FormatInt(coord.ID, 10)
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &logs, &logs)
	}()
	for _, u := range people {
		u.Send("/help") // they start the bot, as people who did the survey have
		u.Expect(t, "/")
	}

	coord.Send("/match")
	got := coord.Expect(t, "Aparellament fet.")
	if !strings.Contains(got.Text, "Equips formats: 1") || !strings.Contains(got.Text, "Gràcia: 8 persones") {
		t.Fatalf("/match answered %q, want the team of Gràcia formed", got.Text)
	}

	coord.Send("/broadcast community gracia")
	coord.Expect(t, "la gent de Gràcia")
	coord.Send("Benvinguts al grup de consum!")
	coord.Expect(t, "Destinataris: 8")
	coord.Press(t, "📤 Envia")
	coord.Expect(t, "S'està enviant")
	for _, u := range people {
		u.Expect(t, "Benvinguts al grup de consum!")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run=%v, want nil after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of being asked to")
	}
	for _, u := range people {
		n := 0
		for _, m := range u.Messages() {
			if m.FromBot && strings.Contains(m.Text, "Benvinguts al grup de consum!") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got the broadcast %d times, want once", u.FirstName, n)
		}
	}
}

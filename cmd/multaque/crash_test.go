package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// duoCatalog is a catalogue with one project whose teams are pairs, so that
// 400 people make 200 teams.
const duoCatalog = `projects:
  - id: duo
    name: {ca: Parella, es: Pareja, en: Pair}
    pitch: {ca: Dos veïns, es: Dos vecinos, en: Two neighbours}
    explanation: {ca: Una prova., es: Una prueba., en: A test.}
    min_team: 2
    max_team: 2
    playbook:
      - {ca: Saludeu-vos., es: Saludaos., en: Say hello.}
communities:
  - id: catalunya
    name: {ca: Catalunya, es: Cataluña, en: Catalonia}
  - id: gracia
    parent: catalunya
    name: {ca: Gràcia, es: Gracia, en: Gràcia}
`

// TestTeamsSurviveSIGKILL kills the whole program with SIGKILL at random
// moments while its matcher forms 200 teams and its provisioner and Sender
// set up their groups and invite their members, then lets a last run
// finish. After each kill `multaque check` must find the file sound; at the
// end every person must be in exactly one team, there must be exactly 200
// teams, every member must have their invitation, and the invitations sent
// twice must be no more than the messages the Sender can have in flight at
// the kills.
func TestTeamsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes for a minute")
	}
	const teams, people = 200, 400
	began := time.Now()
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "multaque.db")
	catPath := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(catPath, []byte(duoCatalog), 0o600); err != nil {
		t.Fatal(err)
	}

	// The people have written to the bot (so it may write to them) and are
	// in the database, waiting for the project.
	users := make([]*telegramtest.User, people)
	var cs []*multaque.Citizen
	now := time.Now()
	for i := range users {
		users[i] = srv.NewUser(fmt.Sprintf("Veí %d", i), "ca")
		users[i].Send("/help")
		c := &multaque.Citizen{ID: users[i].ID, Lang: multaque.Catalan, Name: "Veí", Community: "gracia", ConsentAt: now,
			Survey: multaque.Survey{Step: multaque.StepDone, Version: 3}}
		c.SetInterests([]string{"duo"}, now.Add(time.Duration(i)*time.Millisecond))
		cs = append(cs, c)
	}
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCitizens(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A coordinator adds 200 spare groups to the pool.
	coord := srv.NewUser("Carme", "ca")
	coord.Send("/start")
	groups := make([]*telegramtest.Group, teams)
	for i := range groups {
		groups[i] = srv.NewSupergroup(fmt.Sprintf("Spare %d", i), coord)
		groups[i].AddBot(coord, telegramtest.BotAdminRights)
	}

	env := envFor(srv, dataPath)
	env["MULTAQUE_LOG_LEVEL"] = "info"
	env["MULTAQUE_CATALOG_PATH"] = catPath
	env["MULTAQUE_COORDINATORS"] = strconv.FormatInt(coord.ID, 10)
	env["MULTAQUE_MATCHING_SCHEDULE"] = "@every 1s"
	env["MULTAQUE_SENDER_RATE"] = "30"
	env["MULTAQUE_SENDER_PER_CHAT_INTERVAL"] = "10ms" // the fake enforces no limits here

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	for ; kills < 5; kills++ {
		titled := len(srv.Calls("setChatTitle"))
		p := startUp(t, srv, env)
		// The first kills aim at the matching pass: it starts within a
		// second or two of the start (cron rounds @every to whole seconds),
		// and the provisioner names the group of each team as soon as it
		// is formed, while the pass goes on; so they come at a random
		// moment after the first group is named. The later kills aim at
		// the provisioning and the invitations.
		if kills < 2 {
			deadline := time.Now().Add(time.Minute)
			for len(srv.Calls("setChatTitle")) == titled && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		wait := rng.IntN(400)
		if kills >= 2 {
			wait = 900 + rng.IntN(900)
		}
		time.Sleep(time.Duration(wait) * time.Millisecond)
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.Wait()
		checkClean(t, env, dataPath)
		formed, active := progress(t, dataPath)
		t.Logf("kill %d: %d teams formed, %d active", kills+1, formed, active)
	}

	// The last run finishes the work.
	p := startProcess(t, env)
	invited := func(u *telegramtest.User) string {
		for _, m := range u.Messages() {
			if m.FromBot && len(m.Keyboard) > 0 && strings.HasPrefix(m.Keyboard[0][0].URL, "https://t.me/+") {
				return m.Keyboard[0][0].URL
			}
		}
		return ""
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		missing := 0
		for _, u := range users {
			if invited(u) == "" {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
			explain(t, dataPath)
			t.Fatalf("%d of %d people never got their invitation after %d kills", missing, people, kills)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	checkClean(t, env, dataPath)

	db, err = store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != teams {
		t.Fatalf("%d teams after %d kills, want %d", len(all), kills, teams)
	}
	inTeam := map[int64]string{}
	links := map[string]bool{}
	for _, tm := range all {
		if len(tm.Members) != 2 {
			t.Errorf("team %s has %d members, want 2", tm.ID, len(tm.Members))
		}
		if tm.Status != multaque.TeamActive {
			t.Errorf("team %s is %s, want active", tm.ID, tm.Status)
		}
		links[tm.InviteLink] = true
		for _, m := range tm.Members {
			if other, ok := inTeam[m.Citizen]; ok {
				t.Errorf("citizen %d is in teams %s and %s for one project", m.Citizen, other, tm.ID)
			}
			inTeam[m.Citizen] = tm.ID
		}
	}
	duplicates := 0
	for _, u := range users {
		team, ok := inTeam[u.ID]
		if !ok {
			t.Errorf("citizen %d is in no team", u.ID)
			continue
		}
		c, err := db.Citizen(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in, _ := c.Interest("duo"); in.Team != team {
			t.Errorf("citizen %d's interest names team %q, the team list %q", u.ID, in.Team, team)
		}
		if link := invited(u); !links[link] {
			t.Errorf("citizen %d was invited to %s, which is no team's link", u.ID, link)
		}
		n := 0
		for _, m := range u.Messages() {
			if m.FromBot && len(m.Keyboard) > 0 && strings.HasPrefix(m.Keyboard[0][0].URL, "https://t.me/+") {
				n++
			}
		}
		duplicates += n - 1
	}
	// The Sender of `multaque serve` has 16 workers: at most 16 messages in
	// flight when it is killed.
	const inFlight = 16
	t.Logf("%d kills; %d teams; %d duplicate invitations (at most %d: %d in flight at each kill); %v",
		kills, len(all), duplicates, kills*inFlight, inFlight, time.Since(began).Round(100*time.Millisecond))
	if duplicates > kills*inFlight {
		t.Errorf("%d duplicate invitations after %d kills, more than the %d messages that can be in flight", duplicates, kills, kills*inFlight)
	}
}

// progress counts the teams formed and active in the database of a killed
// process.
func progress(t *testing.T, path string) (formed, active int) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer db.Close()
	all, err := db.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range all {
		if tm.Status == multaque.TeamActive {
			active++
		}
	}
	return len(all), active
}

// explain logs what the database holds when the test fails.
func explain(t *testing.T, path string) {
	db, err := store.Open(path)
	if err != nil {
		t.Logf("open: %v", err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	all, _ := db.Teams(ctx)
	status := map[multaque.TeamStatus]int{}
	for _, tm := range all {
		status[tm.Status]++
		if tm.Status != multaque.TeamActive {
			t.Logf("team %s: %s, chat %d, setup %q", tm.ID, tm.Status, tm.Chat, tm.Setup)
		}
	}
	n, _ := db.OutboxLen(ctx)
	dead, _ := db.Dead(ctx, 20)
	pool, _ := db.PoolCounts(ctx)
	t.Logf("teams by status %v; outbox %d; pool %v; %d dead", status, n, pool, len(dead))
	for _, d := range dead {
		t.Logf("dead: %s to %d: %s", d.Kind, d.Chat, d.LastError)
	}
}

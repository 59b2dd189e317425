package matching_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/matching"
	"github.com/multaque/multaque/store"
)

var ctx = context.Background()

var day0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// notes is the notifier at the edge: it writes one outbox item per event,
// so tests can see that messages commit with the change.
type notes struct{}

func (notes) TeamFormed(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	var out []multaque.OutboxItem
	for _, m := range t.Members {
		out = append(out, multaque.OutboxItem{Kind: "forming", Chat: m.Citizen, Text: "forming " + string(langs[m.Citizen]), DedupKey: fmt.Sprintf("forming/%s/%d", t.ID, m.Citizen)})
	}
	return out
}

func (notes) TeamJoined(t *multaque.Team, joined []int64, _ map[int64]multaque.Lang) []multaque.OutboxItem {
	var out []multaque.OutboxItem
	for _, c := range joined {
		out = append(out, multaque.OutboxItem{Kind: "joined", Chat: c, Text: "joined", DedupKey: fmt.Sprintf("joined/%s/%d", t.ID, c)})
	}
	return out
}

func (notes) MentorAssigned(t *multaque.Team, _ map[int64]multaque.Lang) []multaque.OutboxItem {
	return []multaque.OutboxItem{{Kind: "mentor", Chat: t.Mentor, Text: "mentor of " + t.ID}}
}

func newRunner(t testing.TB, db *store.DB, now *time.Time) *matching.Runner {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &matching.Runner{Store: db, Catalog: cat, Notifier: notes{}, Logger: zerolog.Nop(), Now: func() time.Time { return *now }}
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// citizens stores n citizens of community wanting project, ids from first.
func citizens(t testing.TB, db *store.DB, first int64, n int, community, project string, lang multaque.Lang) {
	t.Helper()
	for i := range n {
		c := &multaque.Citizen{ID: first + int64(i), Lang: lang, Name: "Veí", Community: community, ConsentAt: day0,
			Survey: multaque.Survey{Step: multaque.StepDone, Version: 4}}
		c.SetInterests([]string{project}, day0.Add(time.Duration(i)*time.Minute))
		if err := db.SaveCitizen(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

func waiting(t testing.TB, db *store.DB, community, project string) int {
	t.Helper()
	n, err := db.CountWaiting(ctx, community, []string{project})
	if err != nil {
		t.Fatal(err)
	}
	return n[project]
}

func TestRunnerFormsJoinsAndNeverTwice(t *testing.T) {
	db := openStore(t)
	now := day0.Add(time.Hour)
	r := newRunner(t, db, &now)
	citizens(t, db, 1, 8, "gracia", "consumer-group", multaque.Spanish)
	citizens(t, db, 101, 7, "sants", "consumer-group", multaque.Catalan)

	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Formed) != 1 || rep.NoMentor != 1 {
		t.Fatalf("Report=%+v, want one team formed, without mentor", rep)
	}
	team, err := db.Team(ctx, rep.Formed[0])
	if err != nil || team.Community != "gracia" || len(team.Members) != 8 || team.Status != multaque.TeamForming {
		t.Fatalf("team=%+v,%v, want 8 of gracia, forming", team, err)
	}
	if got := waiting(t, db, "gracia", "consumer-group"); got != 0 {
		t.Errorf("gracia still has %d waiting, want 0", got)
	}
	if got := waiting(t, db, "sants", "consumer-group"); got != 7 {
		t.Errorf("sants has %d waiting, want 7: below critical mass nothing forms", got)
	}
	due, _ := db.Due(ctx, now.Add(time.Minute), 100, 100, nil)
	if len(due) != 8 || due[0].Text != "forming es" {
		t.Fatalf("outbox=%d items (first %q), want 8 'forming es' committed with the team", len(due), due[0].Text)
	}

	rep, err = r.Run(ctx)
	if err != nil || len(rep.Formed) != 0 || rep.Joined != 0 {
		t.Fatalf("second pass: %+v,%v, want nothing", rep, err)
	}

	citizens(t, db, 9, 1, "gracia", "consumer-group", multaque.English)
	rep, err = r.Run(ctx)
	if err != nil || rep.Joined != 1 || len(rep.Formed) != 0 ||
		!slices.Equal(rep.JoinedTeams, []matching.TeamJoined{{Team: team.ID, Added: 1}}) {
		t.Fatalf("late joiner: %+v,%v, want 1 joined %s, none formed", rep, err, team.ID)
	}
	if team, _ = db.Team(ctx, team.ID); len(team.Members) != 9 || !team.HasMember(9) {
		t.Fatalf("team after late joiner=%v, want 9 members with 9", team.Members)
	}
}

func TestRunnerConcurrentPassesFormOnce(t *testing.T) {
	db := openStore(t)
	now := day0.Add(time.Hour)
	citizens(t, db, 1, 16, "gracia", "consumer-group", multaque.Catalan)
	var wg sync.WaitGroup
	var mu sync.Mutex
	formed := 0
	for range 4 {
		r := newRunner(t, db, &now) // separate runners: only the store serializes them
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := r.Run(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			formed += len(rep.Formed)
			mu.Unlock()
		}()
	}
	wg.Wait()
	teams, _ := db.Teams(ctx)
	if formed != 2 || len(teams) != 2 {
		t.Fatalf("formed %d (%d stored), want 2 teams of 8 from 16 people", formed, len(teams))
	}
	seen := map[int64]bool{}
	for _, tm := range teams {
		for _, m := range tm.Members {
			if seen[m.Citizen] {
				t.Fatalf("citizen %d is in two teams for one project", m.Citizen)
			}
			seen[m.Citizen] = true
		}
	}
}

func TestRunnerMentors(t *testing.T) {
	db := openStore(t)
	now := day0.Add(time.Hour)
	r := newRunner(t, db, &now)
	citizens(t, db, 1, 8, "vila-de-gracia", "consumer-group", multaque.Catalan)
	rep, err := r.Run(ctx)
	if err != nil || len(rep.Formed) != 1 || rep.NoMentor != 1 {
		t.Fatalf("%+v,%v, want a team without mentor", rep, err)
	}
	mentor := multaque.Mentor{ID: 900, Name: "Marta", Projects: []string{"consumer-group"}, Communities: []string{"barcelona"}, Capacity: 2, Lang: multaque.Catalan, JoinedAt: now}
	if err := db.SaveMentor(ctx, mentor); err != nil {
		t.Fatal(err)
	}
	rep, err = r.Run(ctx)
	if err != nil || rep.Assigned != 1 || !slices.Equal(rep.AssignedTeams, []string{"t1"}) {
		t.Fatalf("%+v,%v, want the Barcelona mentor assigned to the Vila de Gràcia team t1", rep, err)
	}
	team, _ := db.Team(ctx, "t1")
	if team.Mentor != 900 {
		t.Fatalf("Mentor=%d, want 900", team.Mentor)
	}
	citizens(t, db, 20, 8, "la-salut", "consumer-group", multaque.Catalan)
	rep, _ = r.Run(ctx)
	if len(rep.Formed) != 1 {
		t.Fatalf("%+v, want a team in La Salut", rep)
	}
	team2, _ := db.Team(ctx, rep.Formed[0])
	if team2.Mentor != 900 {
		t.Fatalf("second team's Mentor=%d, want 900 (capacity 2)", team2.Mentor)
	}
}

func TestRunnerPoolsAtParent(t *testing.T) {
	db := openStore(t)
	now := day0.Add(time.Hour)
	r := newRunner(t, db, &now)
	r.PoolAfter = 7 * 24 * time.Hour
	citizens(t, db, 1, 4, "vila-de-gracia", "consumer-group", multaque.Catalan)
	citizens(t, db, 11, 4, "la-salut", "consumer-group", multaque.Catalan)
	if rep, _ := r.Run(ctx); len(rep.Formed) != 0 {
		t.Fatalf("formed %v before PoolAfter, want none", rep.Formed)
	}
	now = day0.Add(8 * 24 * time.Hour)
	rep, err := r.Run(ctx)
	if err != nil || len(rep.Formed) != 1 {
		t.Fatalf("%+v,%v, want one team pooled at the district", rep, err)
	}
	team, _ := db.Team(ctx, rep.Formed[0])
	if team.Community != "gracia" || len(team.Members) != 8 {
		t.Fatalf("team=%s with %d, want gracia with 8", team.Community, len(team.Members))
	}
	if waiting(t, db, "vila-de-gracia", "consumer-group")+waiting(t, db, "la-salut", "consumer-group") != 0 {
		t.Fatal("pooled people are still waiting in their neighbourhoods")
	}
}

// TestRunnerReadsWhatPlanNeeds checks that a pass, which reads only the
// queues due for a look and the parents of the communities it reads,
// decides what Plan decides over everything: every queue in full and the
// whole tree of the catalogue. Random people wait in the communities of
// Barcelona (city, districts, neighbourhoods) for two projects, some for
// long enough to be pooled; a first pass forms teams, then more people come
// and mentors of the city or a district are added, and the second pass is
// compared.
func TestRunnerReadsWhatPlanNeeds(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	places := []string{"barcelona"}
	for k := 0; k < len(places); k++ {
		for _, c := range cat.Children(places[k]) {
			places = append(places, c.ID)
		}
	}
	projects := []string{"consumer-group", "time-bank"}
	rules := map[string]matching.Rules{"consumer-group": {MinTeam: 3, MaxTeam: 5}, "time-bank": {MinTeam: 4, MaxTeam: 7}}
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			db := openStore(t)
			now := day0.Add(10 * 24 * time.Hour)
			r := newRunner(t, db, &now)
			r.Rules = func() map[string]matching.Rules { return rules }
			r.PoolAfter = 7 * 24 * time.Hour
			next := int64(1)
			arrive := func(n int) {
				for range n {
					c := &multaque.Citizen{ID: next, Lang: multaque.Catalan, Name: "Veí", Community: places[rng.IntN(len(places))],
						ConsentAt: day0, Survey: multaque.Survey{Step: multaque.StepDone, Version: 4}}
					ps := projects[:1+rng.IntN(2)]
					if rng.IntN(2) == 0 {
						ps = projects[1:]
					}
					since := now.Add(-time.Duration(1+rng.IntN(3*24)) * time.Hour) // most came lately
					if rng.IntN(5) == 0 {
						since = now.Add(-time.Duration(rng.IntN(10*24)) * time.Hour)
					}
					c.SetInterests(ps, since)
					if err := db.SaveCitizen(ctx, c); err != nil {
						t.Fatal(err)
					}
					next++
				}
			}
			arrive(40 + rng.IntN(80))
			if _, err := r.Run(ctx); err != nil {
				t.Fatal(err)
			}
			arrive(20 + rng.IntN(60))
			for m := range 1 + rng.IntN(3) {
				mentor := multaque.Mentor{ID: int64(900 + m), Name: "M", Projects: projects[rng.IntN(2):], Capacity: 1 + rng.IntN(3),
					Communities: []string{places[rng.IntN(11)]}, Lang: multaque.Catalan, JoinedAt: now} // the city or a district
				if err := db.SaveMentor(ctx, mentor); err != nil {
					t.Fatal(err)
				}
			}

			want := matching.Plan(fullSnapshot(t, db, cat, now, rules, r.PoolAfter))
			before := teamsByID(t, db)
			rep, err := r.Run(ctx)
			if err != nil || rep.Skipped != 0 {
				t.Fatalf("Run=%+v,%v, want no error and nothing skipped", rep, err)
			}
			var formed, joined, assigned int
			after := teamsByID(t, db)
			for _, d := range want {
				switch d.Kind {
				case matching.FormTeam:
					formed++
					if !slices.ContainsFunc(rep.Formed, func(id string) bool {
						tm := after[id]
						return tm.Community == d.Community && tm.Project == d.Project && tm.Mentor == d.Mentor && slices.Equal(memberIDs(tm), d.Members)
					}) {
						t.Errorf("Plan over everything forms %+v; the pass formed no such team", d)
					}
				case matching.JoinTeam:
					joined += len(d.Members)
					if got := memberIDs(after[d.Team])[len(before[d.Team].Members):]; !slices.Equal(got, d.Members) {
						t.Errorf("Plan over everything adds %v to %s; the pass added %v", d.Members, d.Team, got)
					}
				case matching.AssignMentor:
					assigned++
					if got := after[d.Team].Mentor; got != d.Mentor {
						t.Errorf("Plan over everything makes %d the mentor of %s; the pass made %d", d.Mentor, d.Team, got)
					}
				}
			}
			if len(rep.Formed) != formed || rep.Joined != joined || rep.Assigned != assigned {
				t.Errorf("pass %+v; Plan over everything forms %d, adds %d, assigns %d", rep, formed, joined, assigned)
			}
			t.Logf("second pass: formed %d, joined %d, assigned %d", formed, joined, assigned)
		})
	}
}

// fullSnapshot is the snapshot of everything: every queue in full and the
// parent of every community of the catalogue.
func fullSnapshot(t *testing.T, db *store.DB, cat *catalog.Catalog, now time.Time, rules map[string]matching.Rules, poolAfter time.Duration) matching.Snapshot {
	t.Helper()
	s := matching.Snapshot{Now: now, Projects: map[string]matching.Rules{}, Parents: map[string]string{}, PoolAfter: poolAfter}
	for _, p := range cat.Projects() {
		s.Projects[p.ID] = matching.Rules{MinTeam: p.MinTeam, MaxTeam: p.MaxTeam}
	}
	maps.Copy(s.Projects, rules)
	for _, c := range cat.Communities() {
		if c.Parent != "" {
			s.Parents[c.ID] = c.Parent
		}
	}
	var queues []string
	if err := db.ForEachQueue(ctx, func(q []byte, _ int, _ time.Time) error {
		queues = append(queues, string(q))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ForEachWaitingIn(ctx, queues, func(community, project string, since time.Time, citizen int64) error {
		s.Waiting = append(s.Waiting, matching.Waiter{Citizen: citizen, Community: community, Project: project, Since: since})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	teams, err := db.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	load := map[int64]int{}
	for _, tm := range teams {
		if tm.Status == multaque.TeamClosed {
			continue
		}
		if tm.Mentor != 0 {
			load[tm.Mentor]++
		} else {
			s.TeamsWithoutMentor = append(s.TeamsWithoutMentor, matching.MentorlessTeam{ID: tm.ID, Community: tm.Community, Project: tm.Project, Members: memberIDs(tm), CreatedAt: tm.CreatedAt})
		}
		if tm.Open(s.Projects[tm.Project].MaxTeam) {
			s.OpenTeams = append(s.OpenTeams, matching.OpenTeam{ID: tm.ID, Community: tm.Community, Project: tm.Project, Size: len(tm.Members), Mentor: tm.Mentor, CreatedAt: tm.CreatedAt})
		}
	}
	mentors, err := db.Mentors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mentors {
		s.Mentors = append(s.Mentors, matching.MentorLoad{ID: m.ID, Projects: m.Projects, Communities: m.Communities, Capacity: m.Capacity, Load: load[m.ID], Paused: m.Paused})
	}
	return s
}

func teamsByID(t *testing.T, db *store.DB) map[string]*multaque.Team {
	t.Helper()
	teams, err := db.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*multaque.Team{}
	for _, tm := range teams {
		out[tm.ID] = tm
	}
	return out
}

func memberIDs(tm *multaque.Team) []int64 {
	if tm == nil {
		return nil
	}
	var out []int64
	for _, m := range tm.Members {
		out = append(out, m.Citizen)
	}
	return out
}

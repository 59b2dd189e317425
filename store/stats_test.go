package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	"pgregory.net/rapid"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func TestStatsByCommunity(t *testing.T) {
	db := openDB(t, fast)
	for _, c := range []*multaque.Citizen{
		newCitizen(1, "Anna", "gracia", "consumer-group", "time-bank"),
		newCitizen(2, "Biel", "gracia", "consumer-group"),
		newCitizen(3, "Carla", "gracia", "consumer-group"),
		newCitizen(4, "Dani", "sants", "time-bank"),
		newCitizen(5, "Eva", "sants"), // no interest yet
		newCitizen(6, "Ferran", ""),   // still choosing a community
		newCitizen(7, "Gina", "gracia", "time-bank"),
	} {
		save(t, db, c)
	}
	// 2 and 3 form a team for the consumer group; 7 blocks the bot.
	if _, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group",
		Members: []multaque.TeamMember{{Citizen: 2}, {Citizen: 3}}}, t0, nil); err != nil {
		t.Fatalf("FormTeam: %v", err)
	}
	if err := db.MarkUnreachable(ctx, 7); err != nil {
		t.Fatalf("MarkUnreachable: %v", err)
	}

	asked := map[string]int{}
	everything := func(c string) bool { asked[c]++; return true }
	got, err := db.StatsByCommunity(ctx, everything)
	if err != nil {
		t.Fatalf("StatsByCommunity: %v", err)
	}
	want := []multaque.CommunityStats{
		{Community: "", People: 1, Projects: map[string]multaque.ProjectStats{}},
		{Community: "gracia", People: 4, Projects: map[string]multaque.ProjectStats{
			"consumer-group": {Interested: 3, Waiting: 1, InTeams: 2},
			"time-bank":      {Interested: 2, Waiting: 1}, // Gina is unreachable: interested, not waiting
		}},
		{Community: "sants", People: 2, Projects: map[string]multaque.ProjectStats{
			"time-bank": {Interested: 1, Waiting: 1},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("StatsByCommunity(everything) (-want +got):\n%s", diff)
	}
	for c, n := range asked {
		if n != 1 {
			t.Errorf("within(%q) asked %d times, want once", c, n)
		}
	}
	if len(asked) != 3 {
		t.Errorf("within asked about %v, want the 3 communities", asked)
	}

	// Waiting agrees with the waiting index the matcher reads.
	counts, err := db.CountWaiting(ctx, "gracia", []string{"consumer-group", "time-bank"})
	if err != nil {
		t.Fatal(err)
	}
	if counts["consumer-group"] != 1 || counts["time-bank"] != 1 {
		t.Errorf("CountWaiting(gracia)=%v, want 1 and 1 as the stats say", counts)
	}

	got, err = db.StatsByCommunity(ctx, func(c string) bool { return c == "sants" })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Community != "sants" || got[0].People != 2 {
		t.Errorf("StatsByCommunity(sants only)=%+v, want sants with 2 people", got)
	}
	got, err = db.StatsByCommunity(ctx, func(string) bool { return false })
	if err != nil || len(got) != 0 {
		t.Errorf("StatsByCommunity(nothing)=%+v, %v; want none", got, err)
	}
}

func TestStatsByCommunityEmptyAndCanceled(t *testing.T) {
	db := openDB(t, fast)
	got, err := db.StatsByCommunity(ctx, func(string) bool { return true })
	if err != nil || len(got) != 0 {
		t.Fatalf("StatsByCommunity on an empty store = %+v, %v; want none", got, err)
	}
	save(t, db, newCitizen(1, "Anna", "gracia", "time-bank"))
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.StatsByCommunity(done, func(string) bool { return true }); err == nil {
		t.Fatalf("StatsByCommunity with a canceled context: no error")
	}
}

// TestStatsByCommunityKeepsNamesOut checks that a stored record the
// reports cannot read fails with an internal error that names the citizen
// by id only.
func TestStatsByCommunityKeepsNamesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(1, "Anna", "gracia", "time-bank"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("citizens")).Put(binary.BigEndian.AppendUint64(nil, 1), []byte(`{"name":"Secret Name","community":`))
	})
	if cerr := raw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	db = openDBAt(t, path, fast)
	_, err = db.StatsByCommunity(ctx, func(string) bool { return true })
	if multaque.ErrorCode(err) != multaque.EINTERNAL {
		t.Fatalf("StatsByCommunity over a broken record: err=%v, want EINTERNAL", err)
	}
	if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "gracia") {
		t.Fatalf("error %q quotes the record", err)
	}
}

// TestStatsByCommunityReadsWhatJSONReads stores random citizens, their
// names and team ids full of what JSON escapes or could be taken for its
// structure, and checks the counts against the citizens themselves: the
// stats read records without decoding them whole (see figures.read).
func TestStatsByCommunityReadsWhatJSONReads(t *testing.T) {
	tricky := []string{`"community":"sants"`, `\`, `"}],"unreachable":true,{"project":"x"`, "<&>", "\u0022", `"interests":[`, "Mercè", "}"}
	word := rapid.OneOf(rapid.SampledFrom(tricky), rapid.StringMatching(`[ -~àèéíòóúç"\\{}\[\]]{1,12}`))
	communities := []string{"", "gracia", "sants", "el-raval"}
	projects := []string{"consumer-group", "time-bank", "energy-coop"}
	dir := t.TempDir()
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		db, err := store.Open(filepath.Join(dir, fmt.Sprint(run, ".db")), fast)
		if err != nil {
			rt.Fatal(err)
		}
		defer db.Close()
		want := map[string]*multaque.CommunityStats{}
		var cs []*multaque.Citizen
		for i := range rapid.IntRange(0, 12).Draw(rt, "citizens") {
			c := newCitizen(int64(i+1), "", rapid.SampledFrom(communities).Draw(rt, "community"))
			if name, err := multaque.CleanName(word.Draw(rt, "name") + " " + word.Draw(rt, "surname")); err == nil {
				c.Name = name
			}
			c.Unreachable = rapid.Bool().Draw(rt, "unreachable")
			for _, p := range projects {
				if !rapid.Bool().Draw(rt, "wants "+p) {
					continue
				}
				in := multaque.Interest{Project: p, Since: t0}
				if rapid.Bool().Draw(rt, "in a team") {
					in.Team = word.Draw(rt, "team")
				}
				c.Interests = append(c.Interests, in)
			}
			cs = append(cs, c)
			s := want[c.Community]
			if s == nil {
				s = &multaque.CommunityStats{Community: c.Community, Projects: map[string]multaque.ProjectStats{}}
				want[c.Community] = s
			}
			s.People++
			for _, in := range c.Interests {
				ps := s.Projects[in.Project]
				ps.Interested++
				switch {
				case in.Team != "":
					ps.InTeams++
				case c.Waiting():
					ps.Waiting++
				}
				s.Projects[in.Project] = ps
			}
		}
		if err := db.ImportCitizens(ctx, cs); err != nil {
			rt.Fatal(err)
		}
		got, err := db.StatsByCommunity(ctx, func(string) bool { return true })
		if err != nil {
			rt.Fatal(err)
		}
		if len(got) != len(want) {
			rt.Fatalf("%d communities, want %d", len(got), len(want))
		}
		for _, g := range got {
			if diff := cmp.Diff(*want[g.Community], g); diff != "" {
				rt.Fatalf("community %q (-want +got):\n%s", g.Community, diff)
			}
		}
	})
}

// TestStatsByCommunityReadsWithoutDecoding checks that the stats read the
// records the store writes without decoding them with encoding/json, which
// allocates for every field of every citizen.
func TestStatsByCommunityReadsWithoutDecoding(t *testing.T) {
	db := openDB(t, fast)
	var cs []*multaque.Citizen
	for i := range 500 {
		c := newCitizen(int64(i+1), "Mercè \"la\" Puig", fmt.Sprint("community-", i%7), "consumer-group", "time-bank")
		c.Unreachable = i%5 == 0
		cs = append(cs, c)
	}
	if err := db.ImportCitizens(ctx, cs); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := db.StatsByCommunity(ctx, all); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 500 {
		t.Errorf("StatsByCommunity over 500 citizens made %.0f allocations, want a few per community", allocs)
	}
}

// BenchmarkStatsByCommunity counts a million citizens spread over 60
// communities, with 0-3 interests each and one in ten in a team, as /stats
// does for a coordinator of everything.
func BenchmarkStatsByCommunity(b *testing.B) {
	const people = 1_000_000
	projects := []string{"consumer-group", "energy-coop", "car-sharing", "time-bank", "shared-orchard", "community-solar", "ethical-finance", "crowdfunding"}
	rng := rand.New(rand.NewPCG(3, 4))
	db := filledDB(b, "stats-1m", people, func(i int) *multaque.Citizen {
		c := newCitizen(int64(i+1), "Mercè Puig", fmt.Sprintf("community-%d", rng.IntN(60)))
		for _, p := range rng.Perm(len(projects))[:rng.IntN(4)] {
			in := multaque.Interest{Project: projects[p], Since: t0.Add(time.Duration(rng.IntN(1e6)) * time.Second)}
			if rng.IntN(10) == 0 {
				in.Team = fmt.Sprintf("t%d", rng.IntN(5000)+1)
			}
			c.Interests = append(c.Interests, in)
		}
		return c
	})
	for b.Loop() {
		stats, err := db.StatsByCommunity(ctx, func(c string) bool { return c != "community-0" })
		if err != nil {
			b.Fatal(err)
		}
		if len(stats) != 59 {
			b.Fatalf("%d communities, want 59", len(stats))
		}
	}
	b.ReportMetric(float64(people)*float64(b.N)/b.Elapsed().Seconds(), "citizens/s")
}

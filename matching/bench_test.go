package matching_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/multaque/multaque/matching"
)

// The size of a large deployment.
const (
	benchCitizens    = 1_000_000
	benchCommunities = 100_000 // 10 regions, 990 towns, the rest neighbourhoods
	benchProjects    = 15
	benchMentors     = 1_000
)

// benchSnapshot builds a snapshot of benchCitizens people, each in a random
// community with 1-5 random interests, so that no queue reaches critical
// mass (about 2 people a queue, critical mass 15 or more). Then it tops up
// teams random queues to exactly MaxTeam people, so that exactly that many
// teams form. Waiting comes in the order of the store's waiting index, with
// each id held once and shared, as a snapshot read from it would.
func benchSnapshot(tb testing.TB, seed uint64, teams int, poolAfter time.Duration) matching.Snapshot {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	s := matching.Snapshot{
		Now:       time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Projects:  make(map[string]matching.Rules, benchProjects),
		Parents:   make(map[string]string, benchCommunities),
		PoolAfter: poolAfter,
	}
	communities := make([]string, benchCommunities)
	for i := range communities {
		communities[i] = fmt.Sprintf("c%06d", i) // fixed width: index order is index order
		switch {
		case i < 10:
		case i < 1000:
			s.Parents[communities[i]] = communities[i%10]
		default:
			s.Parents[communities[i]] = communities[10+i%990]
		}
	}
	projects := make([]string, benchProjects)
	rules := make([]matching.Rules, benchProjects)
	for i := range projects {
		projects[i] = fmt.Sprintf("p%02d", i)
		rules[i] = matching.Rules{MinTeam: 15 + r.IntN(15)}
		rules[i].MaxTeam = 2 * rules[i].MinTeam
		s.Projects[projects[i]] = rules[i]
	}

	// Draw interests as (queue, since, citizen), then lay them out queue by
	// queue with a counting sort, as the index would hold them.
	type entry struct {
		queue   int32
		since   int32 // seconds before Now
		citizen int64
	}
	entries := make([]entry, 0, 3*benchCitizens+teams*30)
	const window = 60 * 24 * 3600
	perm := [benchProjects]int{}
	for i := range perm {
		perm[i] = i
	}
	for c := int64(1); c <= benchCitizens; c++ {
		community := r.IntN(benchCommunities)
		for k := range 1 + r.IntN(5) {
			j := k + r.IntN(benchProjects-k)
			perm[k], perm[j] = perm[j], perm[k]
			entries = append(entries, entry{int32(community*benchProjects + perm[k]), int32(r.IntN(window)), c})
		}
	}
	counts := make([]int32, benchCommunities*benchProjects+1)
	for _, e := range entries {
		counts[e.queue]++
	}
	for q, n := range counts[:len(counts)-1] {
		if int(n) >= rules[q%benchProjects].MinTeam {
			tb.Fatalf("queue %d has %d people, at critical mass", q, n)
		}
	}
	next := int64(2 * benchCitizens)
	for _, q := range rand.Perm(benchCommunities * benchProjects)[:teams] {
		for range rules[q%benchProjects].MaxTeam - int(counts[q]) {
			entries = append(entries, entry{int32(q), int32(r.IntN(window)), next})
			next++
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.queue != b.queue {
			return int(a.queue - b.queue)
		}
		if a.since != b.since {
			return int(b.since - a.since) // more seconds before Now is earlier
		}
		return int(a.citizen - b.citizen)
	})
	s.Waiting = make([]matching.Waiter, len(entries))
	for i, e := range entries {
		s.Waiting[i] = matching.Waiter{
			Citizen:   e.citizen,
			Community: communities[e.queue/benchProjects],
			Project:   projects[e.queue%benchProjects],
			Since:     s.Now.Add(-time.Duration(e.since) * time.Second),
		}
	}

	for i := range benchMentors {
		m := matching.MentorLoad{ID: int64(3*benchCitizens + i), Capacity: 1 + r.IntN(5)}
		for range 1 + r.IntN(3) {
			m.Projects = append(m.Projects, projects[r.IntN(benchProjects)])
		}
		if i%3 != 0 {
			for range 1 + r.IntN(3) {
				m.Communities = append(m.Communities, communities[r.IntN(1000)]) // a region or a town
			}
		}
		s.Mentors = append(s.Mentors, m)
	}
	return s
}

// BenchmarkPlanNoTeams is a pass over a large deployment where nothing
// reaches critical mass: the cost of every cron run in a quiet week.
func BenchmarkPlanNoTeams(b *testing.B) {
	s := benchSnapshot(b, 1, 0, 90*24*time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if plan := matching.Plan(s); len(plan) != 0 {
			b.Fatalf("Plan() gave %d decisions, want none", len(plan))
		}
	}
	b.ReportMetric(float64(len(s.Waiting)), "waiters")
}

// BenchmarkPlanNoTeamsUnsorted is BenchmarkPlanNoTeams with Waiting in a
// random order, which makes Plan sort a copy first.
func BenchmarkPlanNoTeamsUnsorted(b *testing.B) {
	s := benchSnapshot(b, 1, 0, 90*24*time.Hour)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(s.Waiting), func(i, j int) {
		s.Waiting[i], s.Waiting[j] = s.Waiting[j], s.Waiting[i]
	})
	b.ReportAllocs()
	for b.Loop() {
		if plan := matching.Plan(s); len(plan) != 0 {
			b.Fatalf("Plan() gave %d decisions, want none", len(plan))
		}
	}
}

// BenchmarkPlanFormTenThousand is a pass over a large deployment where
// exactly 10,000 teams form, with 1,000 mentors to choose from.
func BenchmarkPlanFormTenThousand(b *testing.B) {
	const teams = 10_000
	s := benchSnapshot(b, 2, teams, 90*24*time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		plan := matching.Plan(s)
		if len(plan) != teams {
			b.Fatalf("Plan() gave %d decisions, want %d", len(plan), teams)
		}
	}
	b.ReportMetric(float64(teams*b.N)/b.Elapsed().Seconds(), "teams/s")
}

// BenchmarkPlanPoolEverything is the worst case of pooling: everybody has
// waited longer than PoolAfter, so every queue moves up, level by level, to
// the 10 regions, where teams form.
func BenchmarkPlanPoolEverything(b *testing.B) {
	s := benchSnapshot(b, 3, 0, time.Hour)
	b.ReportAllocs()
	var decisions int
	for b.Loop() {
		decisions = len(matching.Plan(s))
	}
	b.ReportMetric(float64(decisions), "decisions")
}

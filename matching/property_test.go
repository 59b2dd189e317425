package matching_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/multaque/multaque/matching"
)

// communities lists the test tree, parents before children.
var communities = []string{
	"catalunya", "barcelona", "girona", "gracia", "eixample",
	"vila-de-gracia", "camp-grassot", "sant-antoni", "girona-barri-vell",
}

// within reports whether community is ancestor or inside it.
func within(parents map[string]string, community, ancestor string) bool {
	for c := community; c != ""; c = parents[c] {
		if c == ancestor {
			return true
		}
	}
	return false
}

// randomSnapshot draws a snapshot over the test tree, small enough for
// every rule to meet the others: repeats, pooling, open teams, mentors.
func randomSnapshot(t *rapid.T) matching.Snapshot {
	projects := []string{"energy", "time-bank"}
	s := matching.Snapshot{
		Now:      now,
		Parents:  parents,
		Projects: map[string]matching.Rules{},
	}
	for _, p := range projects {
		lo := rapid.IntRange(1, 5).Draw(t, "min "+p)
		s.Projects[p] = matching.Rules{MinTeam: lo, MaxTeam: rapid.IntRange(lo, lo+4).Draw(t, "max "+p)}
	}
	if rapid.Bool().Draw(t, "pool") {
		s.PoolAfter = 30 * 24 * time.Hour
	}
	community := rapid.SampledFrom(communities)
	project := rapid.SampledFrom(projects)
	citizen := rapid.Int64Range(1, 40)
	since := func(label string) time.Time {
		return now.Add(-time.Duration(rapid.IntRange(0, 60*24).Draw(t, label)) * time.Hour)
	}
	for i := range rapid.IntRange(0, 80).Draw(t, "waiters") {
		s.Waiting = append(s.Waiting, matching.Waiter{
			Citizen:   citizen.Draw(t, fmt.Sprint("citizen ", i)),
			Community: community.Draw(t, fmt.Sprint("community ", i)),
			Project:   project.Draw(t, fmt.Sprint("project ", i)),
			Since:     since(fmt.Sprint("since ", i)),
		})
	}
	teamID := rapid.SampledFrom([]string{"t1", "t2", "t3", "t4", "t5", "t6"})
	for i := range rapid.IntRange(0, 4).Draw(t, "open teams") {
		p := project.Draw(t, fmt.Sprint("open project ", i))
		s.OpenTeams = append(s.OpenTeams, matching.OpenTeam{
			ID:        teamID.Draw(t, fmt.Sprint("open id ", i)),
			Community: community.Draw(t, fmt.Sprint("open community ", i)),
			Project:   p,
			Size:      rapid.IntRange(0, s.Projects[p].MaxTeam+1).Draw(t, fmt.Sprint("open size ", i)),
			Mentor:    rapid.Int64Range(0, 40).Draw(t, fmt.Sprint("open mentor ", i)),
			Left:      rapid.SliceOfNDistinct(citizen, 0, 4, rapid.ID).Draw(t, fmt.Sprint("open left ", i)),
			CreatedAt: since(fmt.Sprint("open created ", i)),
		})
	}
	for i := range rapid.IntRange(0, 3).Draw(t, "mentorless teams") {
		s.TeamsWithoutMentor = append(s.TeamsWithoutMentor, matching.MentorlessTeam{
			ID:        teamID.Draw(t, fmt.Sprint("mentorless id ", i)),
			Community: community.Draw(t, fmt.Sprint("mentorless community ", i)),
			Project:   project.Draw(t, fmt.Sprint("mentorless project ", i)),
			Members:   rapid.SliceOfNDistinct(citizen, 1, 5, rapid.ID).Draw(t, fmt.Sprint("mentorless members ", i)),
			CreatedAt: since(fmt.Sprint("mentorless created ", i)),
		})
	}
	for i := range rapid.IntRange(0, 5).Draw(t, "mentors") {
		s.Mentors = append(s.Mentors, matching.MentorLoad{
			ID:          rapid.Int64Range(1, 45).Draw(t, fmt.Sprint("mentor id ", i)),
			Projects:    rapid.SliceOfDistinct(project, rapid.ID).Draw(t, fmt.Sprint("mentor projects ", i)),
			Communities: rapid.SliceOfNDistinct(community, 0, 2, rapid.ID).Draw(t, fmt.Sprint("mentor communities ", i)),
			Capacity:    rapid.IntRange(0, 3).Draw(t, fmt.Sprint("mentor capacity ", i)),
			Load:        rapid.IntRange(0, 3).Draw(t, fmt.Sprint("mentor load ", i)),
			Paused:      rapid.Bool().Draw(t, fmt.Sprint("mentor paused ", i)),
		})
	}
	return s
}

// TestPlanProperties checks the promises of Plan on random snapshots.
func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := randomSnapshot(t)
		plan := matching.Plan(s)
		checkPlan(t, s, plan)

		// Any order of the input gives the same plan.
		shuffled := s
		shuffled.Waiting = rapid.Permutation(s.Waiting).Draw(t, "shuffled waiting")
		shuffled.OpenTeams = rapid.Permutation(s.OpenTeams).Draw(t, "shuffled open teams")
		shuffled.TeamsWithoutMentor = rapid.Permutation(s.TeamsWithoutMentor).Draw(t, "shuffled mentorless")
		shuffled.Mentors = rapid.Permutation(s.Mentors).Draw(t, "shuffled mentors")
		if diff := cmp.Diff(plan, matching.Plan(shuffled)); diff != "" {
			t.Fatalf("Plan() of the shuffled snapshot differs (-first +shuffled):\n%s", diff)
		}
	})
}

// fataler is what checkPlan needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkPlan checks a plan against its snapshot: nobody twice, team sizes,
// members who really wait, nobody put back in a team they left, open teams
// filled first, nobody left at critical
// mass, mentors eligible and within capacity, none left unused.
func checkPlan(t fataler, s matching.Snapshot, plan []matching.Decision) {
	t.Helper()
	type pc struct {
		project string
		citizen int64
	}
	mentorsByID := map[int64][]matching.MentorLoad{}
	for _, m := range s.Mentors {
		mentorsByID[m.ID] = append(mentorsByID[m.ID], m)
	}
	openByID := map[string][]matching.OpenTeam{}
	for _, o := range s.OpenTeams {
		openByID[o.ID] = append(openByID[o.ID], o)
	}
	mentorlessByID := map[string][]matching.MentorlessTeam{}
	for _, m := range s.TeamsWithoutMentor {
		mentorlessByID[m.ID] = append(mentorlessByID[m.ID], m)
	}
	waits := map[pc][]matching.Waiter{}
	for _, w := range s.Waiting {
		waits[pc{w.Project, w.Citizen}] = append(waits[pc{w.Project, w.Citizen}], w)
	}
	eligible := func(m matching.MentorLoad, project, community string, members []int64) bool {
		return !m.Paused && slices.Contains(m.Projects, project) && !slices.Contains(members, m.ID) &&
			(len(m.Communities) == 0 || slices.ContainsFunc(m.Communities, func(c string) bool { return within(s.Parents, community, c) }))
	}

	placed := map[pc]bool{}
	joined := map[string]int{}         // open team → members added
	teamMentor := map[string]int64{}   // open team → mentor given in the pass
	extraLoad := map[int64]int{}       // mentor → teams given in the pass
	var unmentored []matching.Decision // teams left without a mentor
	assignedTeams := map[string]bool{} // mentorless teams given one
	for _, d := range plan {
		r := s.Projects[d.Project]
		switch d.Kind {
		case matching.FormTeam:
			if n := len(d.Members); n < r.MinTeam || n > r.MaxTeam {
				t.Fatalf("%v: %d members, want %d-%d", d, n, r.MinTeam, r.MaxTeam)
			}
			if d.Mentor == 0 {
				unmentored = append(unmentored, d)
			}
		case matching.JoinTeam:
			o := openByID[d.Team]
			if len(o) != 1 || o[0].Community != d.Community || o[0].Project != d.Project {
				t.Fatalf("%v: joins %v", d, o)
			}
			joined[d.Team] += len(d.Members)
			if o[0].Size+joined[d.Team] > r.MaxTeam {
				t.Fatalf("%v: team of %d grows past %d", d, o[0].Size, r.MaxTeam)
			}
			for _, m := range []int64{o[0].Mentor, teamMentor[d.Team]} {
				if m != 0 && slices.Contains(d.Members, m) {
					t.Fatalf("%v: mentor %d made a member", d, m)
				}
			}
			for _, c := range d.Members {
				if slices.Contains(o[0].Left, c) {
					t.Fatalf("%v: citizen %d put back in the team they left", d, c)
				}
			}
		case matching.AssignMentor:
			o := mentorlessByID[d.Team]
			if len(o) != 1 || o[0].Community != d.Community || o[0].Project != d.Project || assignedTeams[d.Team] {
				t.Fatalf("%v: assigns to %v", d, o)
			}
			assignedTeams[d.Team] = true
			teamMentor[d.Team] = d.Mentor
			if d.Mentor == 0 {
				t.Fatalf("%v: no mentor", d)
			}
		default:
			t.Fatalf("%v: unknown kind", d)
		}
		for i, c := range d.Members {
			k := pc{d.Project, c}
			if placed[k] {
				t.Fatalf("%v: citizen %d placed twice for %s", d, c, d.Project)
			}
			placed[k] = true
			ws := waits[k]
			if !slices.ContainsFunc(ws, func(w matching.Waiter) bool { return within(s.Parents, w.Community, d.Community) }) {
				t.Fatalf("%v: citizen %d does not wait for it in %s: %v", d, c, d.Community, ws)
			}
			if s.PoolAfter == 0 && !slices.ContainsFunc(ws, func(w matching.Waiter) bool { return w.Community == d.Community }) {
				t.Fatalf("%v: citizen %d moved from %v without pooling", d, c, ws)
			}
			if i > 0 && len(ws) == 1 && len(waits[pc{d.Project, d.Members[i-1]}]) == 1 &&
				ws[0].Since.Before(waits[pc{d.Project, d.Members[i-1]}][0].Since) {
				t.Fatalf("%v: members out of queue order at %d", d, i)
			}
		}
		if d.Mentor != 0 {
			ms := mentorsByID[d.Mentor]
			members := d.Members
			if d.Kind == matching.AssignMentor {
				members = mentorlessByID[d.Team][0].Members
			}
			if len(ms) != 1 || !eligible(ms[0], d.Project, d.Community, members) {
				t.Fatalf("%v: mentor %v not eligible", d, ms)
			}
			extraLoad[d.Mentor]++
			if ms[0].Load+extraLoad[d.Mentor] > ms[0].Capacity {
				t.Fatalf("%v: mentor %d over capacity %d", d, d.Mentor, ms[0].Capacity)
			}
		}
	}

	// Nobody left waiting in a queue at critical mass, or next to an open
	// team with room.
	left := map[[2]string]map[int64]bool{}
	for _, w := range s.Waiting {
		if placed[pc{w.Project, w.Citizen}] {
			continue
		}
		k := [2]string{w.Community, w.Project}
		if left[k] == nil {
			left[k] = map[int64]bool{}
		}
		left[k][w.Citizen] = true
	}
	for k, people := range left {
		r, ok := s.Projects[k[1]]
		if ok && len(people) >= r.MinTeam {
			t.Fatalf("%d people left waiting in %v, critical mass %d", len(people), k, r.MinTeam)
		}
		for _, o := range s.OpenTeams {
			if !ok || o.Community != k[0] || o.Project != k[1] || len(openByID[o.ID]) != 1 || o.Size+joined[o.ID] >= r.MaxTeam {
				continue
			}
			for c := range people {
				if c != o.Mentor && c != teamMentor[o.ID] && !slices.Contains(o.Left, c) {
					t.Fatalf("citizen %d left waiting in %v next to open team %s with room", c, k, o.ID)
				}
			}
		}
	}

	// Nobody left without a mentor while an eligible one has room.
	for _, team := range s.TeamsWithoutMentor {
		if len(mentorlessByID[team.ID]) == 1 && !assignedTeams[team.ID] {
			unmentored = append(unmentored, matching.Decision{Team: team.ID, Community: team.Community, Project: team.Project, Members: team.Members})
		}
	}
	for _, d := range unmentored {
		for id, ms := range mentorsByID {
			if len(ms) == 1 && eligible(ms[0], d.Project, d.Community, d.Members) && ms[0].Load+extraLoad[id] < ms[0].Capacity {
				t.Fatalf("%v: no mentor, but %d has room", d, id)
			}
		}
	}
}

// TestPlanDeterministic plans a larger snapshot with every feature, then
// the same snapshot shuffled 20 times, and wants the same plan each time,
// with the snapshot itself unchanged.
func TestPlanDeterministic(t *testing.T) {
	s := bigSnapshot(rand.New(rand.NewPCG(1, 2)))
	before := cloneSnapshot(s)
	want := matching.Plan(s)
	if diff := cmp.Diff(before, s); diff != "" {
		t.Fatalf("Plan() changed its snapshot (-before +after):\n%s", diff)
	}
	kinds := map[matching.Kind]int{}
	for _, d := range want {
		kinds[d.Kind]++
	}
	for _, k := range []matching.Kind{matching.FormTeam, matching.JoinTeam, matching.AssignMentor} {
		if kinds[k] == 0 {
			t.Fatalf("plan has no %v: the snapshot does not test enough", k)
		}
	}
	checkPlan(t, s, want)

	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20 {
		shuffled := cloneSnapshot(s)
		r.Shuffle(len(shuffled.Waiting), func(i, j int) { shuffled.Waiting[i], shuffled.Waiting[j] = shuffled.Waiting[j], shuffled.Waiting[i] })
		r.Shuffle(len(shuffled.Mentors), func(i, j int) { shuffled.Mentors[i], shuffled.Mentors[j] = shuffled.Mentors[j], shuffled.Mentors[i] })
		r.Shuffle(len(shuffled.OpenTeams), func(i, j int) {
			shuffled.OpenTeams[i], shuffled.OpenTeams[j] = shuffled.OpenTeams[j], shuffled.OpenTeams[i]
		})
		r.Shuffle(len(shuffled.TeamsWithoutMentor), func(i, j int) {
			shuffled.TeamsWithoutMentor[i], shuffled.TeamsWithoutMentor[j] = shuffled.TeamsWithoutMentor[j], shuffled.TeamsWithoutMentor[i]
		})
		if diff := cmp.Diff(want, matching.Plan(shuffled)); diff != "" {
			t.Fatalf("shuffle %d: Plan() differs (-first +shuffled):\n%s", i, diff)
		}
	}
}

// bigSnapshot draws a few thousand people over the test tree and 27 more
// neighbourhoods, with open teams, teams without mentor and mentors of every
// kind, pooling after 30 days.
func bigSnapshot(r *rand.Rand) matching.Snapshot {
	ps := map[string]string{}
	for k, v := range parents {
		ps[k] = v
	}
	cs := slices.Clone(communities)
	for i := range 27 {
		c := fmt.Sprintf("%s-%d", communities[3+i%6], i) // below a district or neighbourhood
		ps[c] = communities[3+i%6]
		cs = append(cs, c)
	}
	projects := []string{"energy", "time-bank", "car-sharing"}
	s := matching.Snapshot{
		Now:       now,
		Parents:   ps,
		PoolAfter: 30 * 24 * time.Hour,
		Projects: map[string]matching.Rules{
			"energy":      {MinTeam: 8, MaxTeam: 15},
			"time-bank":   {MinTeam: 5, MaxTeam: 6},
			"car-sharing": {MinTeam: 20, MaxTeam: 40},
		},
	}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	for c := range int64(3000) {
		community := pick(cs)
		for _, p := range projects {
			if r.IntN(2) == 0 {
				since := now.Add(-time.Duration(r.IntN(60*24)) * time.Hour)
				s.Waiting = append(s.Waiting, matching.Waiter{Citizen: 1 + c, Community: community, Project: p, Since: since})
			}
		}
	}
	// A few repeats, as a stale index might hold.
	for i := range 20 {
		w := s.Waiting[r.IntN(len(s.Waiting))]
		if i%2 == 0 {
			w.Community = pick(cs)
		}
		s.Waiting = append(s.Waiting, w)
	}
	for i := range 40 {
		p := pick(projects)
		s.OpenTeams = append(s.OpenTeams, matching.OpenTeam{
			ID: fmt.Sprintf("open-%d", i), Community: pick(cs), Project: p,
			Size:      r.IntN(s.Projects[p].MaxTeam),
			CreatedAt: now.Add(-time.Duration(r.IntN(1000)) * time.Hour),
		})
	}
	for i := range 30 {
		s.TeamsWithoutMentor = append(s.TeamsWithoutMentor, matching.MentorlessTeam{
			ID: fmt.Sprintf("old-%d", i), Community: pick(cs), Project: pick(projects),
			Members:   []int64{10_000 + int64(i)},
			CreatedAt: now.Add(-time.Duration(r.IntN(5)) * time.Hour), // ties, broken by id
		})
	}
	for i := range 60 {
		m := matching.MentorLoad{ID: 20_000 + int64(r.IntN(80)), Capacity: r.IntN(4), Paused: r.IntN(10) == 0}
		m.Load = r.IntN(m.Capacity + 1)
		m.Projects = []string{pick(projects)}
		if i%3 != 0 {
			m.Communities = []string{pick(cs)}
		}
		s.Mentors = append(s.Mentors, m)
	}
	return s
}

// cloneSnapshot copies the slices of s so that shuffling the copy leaves s
// alone.
func cloneSnapshot(s matching.Snapshot) matching.Snapshot {
	s.Waiting = slices.Clone(s.Waiting)
	s.OpenTeams = slices.Clone(s.OpenTeams)
	s.TeamsWithoutMentor = slices.Clone(s.TeamsWithoutMentor)
	s.Mentors = slices.Clone(s.Mentors)
	return s
}

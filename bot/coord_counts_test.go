package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/multaque/multaque"
)

// countsTree is the communities of the property test, each with its
// parent ("" for a root).
var countsTree = map[string]string{
	"catalunya": "", "barcelona": "catalunya", "girona": "catalunya",
	"gracia": "barcelona", "eixample": "barcelona", "vila-de-gracia": "gracia", "camp-grassot": "gracia",
}

func countsWithin(community, root string) bool {
	for c := community; c != ""; c = countsTree[c] {
		if c == root {
			return true
		}
	}
	return false
}

// countsWorld is the exact figures the reports are made from.
type countsWorld struct {
	stats []multaque.CommunityStats
	teams []*multaque.Team
}

// reportsOf renders, for every area a coordinator can ask for (everything
// and each community with all inside it), every count of people the
// reports show: /stats' totals and queues, /chart's bars (the same cells),
// demand.csv's rows and teams.csv's sizes.
func reportsOf(w countsWorld) string {
	var out strings.Builder
	areas := []string{""}
	for c := range countsTree {
		areas = append(areas, c)
	}
	slices.Sort(areas)
	for _, root := range areas {
		in := func(c string) bool { return root == "" || c != "" && countsWithin(c, root) }
		var stats []multaque.CommunityStats
		for _, s := range w.stats {
			if in(s.Community) {
				stats = append(stats, s)
			}
		}
		var teams []*multaque.Team
		for _, t := range w.teams {
			if in(t.Community) {
				teams = append(teams, t)
			}
		}
		a := countArea(stats, teams)
		fmt.Fprintf(&out, "area %q: people %s, unplaced %s\n", root, a.placed, a.unplaced)
		projects := make([]string, 0, len(a.projects))
		for p := range a.projects {
			projects = append(projects, p)
		}
		slices.Sort(projects)
		for _, p := range projects {
			pc := a.projects[p]
			fmt.Fprintf(&out, "  %s: %s interested, %s waiting, %s in teams; bars %d/%d\n", p, pc.interested, pc.waiting, pc.inTeams,
				int(chartLength(pc.waiting)), int(chartLength(pc.inTeams)))
		}
		for _, q := range a.queues {
			fmt.Fprintf(&out, "  queue %s/%s: %s (%d)\n", q.community, q.project, q.waiting, q.waiting.shown())
		}
		for _, d := range a.demand {
			fmt.Fprintf(&out, "  demand %s,%s,%s,%s\n", d.community, d.project, d.waiting, d.inTeams)
		}
		for _, t := range teams {
			fmt.Fprintf(&out, "  team %s,%s\n", t.ID, published(len(t.Members)))
		}
	}
	return out.String()
}

// setHidden is w with every count of one or two people the reports hide
// set to n, each kept consistent with the others (a count hidden as "<3"
// is 1 or 2 whichever n is).
func setHidden(w countsWorld, n int) countsWorld {
	hide := func(v int) int {
		if v > 0 && v < 3 {
			return n
		}
		return v
	}
	var out countsWorld
	for _, s := range w.stats {
		c := multaque.CommunityStats{Community: s.Community, People: hide(s.People), Projects: map[string]multaque.ProjectStats{}}
		for p, ps := range s.Projects {
			c.Projects[p] = multaque.ProjectStats{Interested: hide(ps.Interested), Waiting: hide(ps.Waiting), InTeams: ps.InTeams}
		}
		out.stats = append(out.stats, c)
	}
	for _, t := range w.teams {
		c := *t
		c.Members = make([]multaque.TeamMember, hide(len(t.Members)))
		for i := range c.Members {
			c.Members[i].Citizen = int64(i + 1)
		}
		out.teams = append(out.teams, &c)
	}
	return out
}

// TestReportsKeepSmallCountsHidden: over random figures, every report of
// every area is the same whether each hidden count is 1 or 2. So no count
// shown as "<3" follows from what the reports show, by sums and
// differences along the hierarchy (a parent's total minus its children's,
// /stats against demand.csv and teams.csv and /chart) or any other way.
func TestReportsKeepSmallCountsHidden(t *testing.T) {
	communities := make([]string, 0, len(countsTree))
	for c := range countsTree {
		communities = append(communities, c)
	}
	slices.Sort(communities)
	projects := []string{"consumer-group", "time-bank", "energy-coop"}
	rapid.Check(t, func(t *rapid.T) {
		var w countsWorld
		small := rapid.IntRange(0, 12)
		for _, c := range append([]string{""}, communities...) {
			if !rapid.Bool().Draw(t, "has people "+c) {
				continue
			}
			s := multaque.CommunityStats{Community: c, Projects: map[string]multaque.ProjectStats{}}
			if c != "" {
				for _, p := range projects {
					waiting, inTeams, gone := small.Draw(t, "waiting "+c+p), small.Draw(t, "in teams "+c+p), rapid.IntRange(0, 3).Draw(t, "gone "+c+p)
					if waiting+inTeams+gone > 0 {
						s.Projects[p] = multaque.ProjectStats{Interested: waiting + inTeams + gone, Waiting: waiting, InTeams: inTeams}
					}
					s.People = max(s.People, waiting+inTeams+gone)
				}
			}
			s.People += small.Draw(t, "more people "+c)
			if s.People > 0 {
				w.stats = append(w.stats, s)
			}
		}
		for i := range rapid.IntRange(0, 6).Draw(t, "teams") {
			team := &multaque.Team{
				ID:        fmt.Sprintf("t%d", i+1),
				Community: rapid.SampledFrom(communities).Draw(t, fmt.Sprint("team community ", i)),
				Project:   rapid.SampledFrom(projects).Draw(t, fmt.Sprint("team project ", i)),
				Status:    rapid.SampledFrom([]multaque.TeamStatus{multaque.TeamForming, multaque.TeamActive, multaque.TeamClosed}).Draw(t, fmt.Sprint("team status ", i)),
			}
			team.Members = make([]multaque.TeamMember, rapid.IntRange(0, 9).Draw(t, fmt.Sprint("team size ", i)))
			w.teams = append(w.teams, team)
		}
		got := reportsOf(w)
		for _, n := range []int{1, 2} {
			if other := reportsOf(setHidden(w, n)); other != got {
				t.Fatalf("the reports change when every hidden count is %d: a hidden count can be worked out.\nas they are:\n%s\nwith %d:\n%s", n, got, n, other)
			}
		}
	})
}

// TestCellText: how a published count and a sum of them read.
func TestCellText(t *testing.T) {
	for _, tc := range []struct {
		c    cell
		want string
	}{
		{published(0), "0"}, {published(1), "<3"}, {published(2), "<3"}, {published(3), "3"},
		{published(7).plus(published(1)), "8–9"},
		{published(1).plus(published(2)), "<5"},
		{published(0).plus(published(4)), "4"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%+v reads %q, want %q", tc.c, got, tc.want)
		}
	}
}

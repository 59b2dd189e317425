package bot

// What the coordinators' reports may show of people: complementary
// suppression, so that a "<3" cannot be undone by subtraction.
//
// Every count of people a report shows (/stats, /chart, /export) is built
// from published cells, never from the exact figures: the people who named
// one community, the people of one community waiting for one project, or
// interested in it, and the members of one team. A cell of 1 or 2 people
// is published as "somewhere from 1 to 2" and every sum of cells as the
// range its parts allow: the waiting of Gràcia (7) and of La Vila de
// Gràcia (<3) add up to "8–9", not 8. A total is exact only when none of
// its parts is hidden. So every figure of every report, whatever the area
// asked for (a community, its parent, the coordinator's scope, everything),
// is a function of the published cells alone: changing a hidden cell from
// 1 to 2 changes no report, and no hidden count follows from the others
// by sums and differences (TestReportsKeepSmallCountsHidden).
//
// "In teams" counts the members of the teams formed in a community (a team
// pooled at Barcelona counts at Barcelona), from the team's size as
// teams.csv shows it, so that the sizes in teams.csv and the in_teams of
// demand.csv are the same published cells.

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/multaque/multaque"
)

// cell is a count of people as the reports may show it: lo ≤ the count ≤
// hi. A count is exact when lo == hi; one or two people are the cell
// {1, 2}.
type cell struct{ lo, hi int }

// published is the cell of n people: exact, unless n is 1 or 2.
func published(n int) cell {
	if n > 0 && n < 3 {
		return cell{1, 2}
	}
	return cell{n, n}
}

// plus is the sum of two cells, as a range.
func (c cell) plus(d cell) cell { return cell{c.lo + d.lo, c.hi + d.hi} }

// String is the cell as a report shows it: the count when it is exact;
// "<n" when it is below 3 for sure not (n is hi+1: "<3" is one or two
// people); else the range, "8–9".
func (c cell) String() string {
	switch {
	case c.lo == c.hi:
		return strconv.Itoa(c.lo)
	case c.lo < 3:
		return "<" + strconv.Itoa(c.hi+1)
	}
	return strconv.Itoa(c.lo) + "–" + strconv.Itoa(c.hi)
}

// shown is the value a report may draw or sort by: the count when it is
// exact, the least it may be otherwise, and nothing below 3 (the chart
// draws no bar for one or two people).
func (c cell) shown() int {
	if c.lo < 3 {
		return 0
	}
	return c.lo
}

// projectCells are the cells of one project over an area.
type projectCells struct {
	interested, waiting, inTeams cell
}

// queueCell is the people of one community waiting for one project.
type queueCell struct {
	community, project string
	waiting            cell
}

// demandCell is one row of demand.csv: one community and project.
type demandCell struct {
	community, project string
	waiting, inTeams   cell
}

// areaCounts is everything the reports show of the people of an area.
type areaCounts struct {
	placed   cell                    // people who named a community of the area
	unplaced cell                    // people who named none (whole-service reports only)
	projects map[string]projectCells // by project, summed over the area
	queues   []queueCell             // every queue with someone waiting
	demand   []demandCell            // by community id, then project id
}

// countArea publishes the figures of an area: stats are its communities'
// (StatsByCommunity), teams its teams. Nothing exact of stats or teams
// reaches the result but through published.
func countArea(stats []multaque.CommunityStats, teams []*multaque.Team) areaCounts {
	a := areaCounts{projects: map[string]projectCells{}}
	type key struct{ community, project string }
	demand := map[key]*demandCell{}
	row := func(community, project string) *demandCell {
		k := key{community, project}
		if demand[k] == nil {
			demand[k] = &demandCell{community: community, project: project}
		}
		return demand[k]
	}
	for _, s := range stats {
		if s.Community == "" {
			a.unplaced = a.unplaced.plus(published(s.People))
			continue
		}
		a.placed = a.placed.plus(published(s.People))
		for p, ps := range s.Projects {
			pc := a.projects[p]
			w := published(ps.Waiting)
			pc.interested = pc.interested.plus(published(ps.Interested))
			pc.waiting = pc.waiting.plus(w)
			a.projects[p] = pc
			if ps.Waiting > 0 {
				a.queues = append(a.queues, queueCell{community: s.Community, project: p, waiting: w})
				row(s.Community, p).waiting = w
			}
		}
	}
	for _, t := range teams {
		if t.Status == multaque.TeamClosed {
			continue
		}
		size := published(len(t.Members))
		pc := a.projects[t.Project]
		pc.inTeams = pc.inTeams.plus(size)
		a.projects[t.Project] = pc
		r := row(t.Community, t.Project)
		r.inTeams = r.inTeams.plus(size)
	}
	slices.SortFunc(a.queues, func(x, y queueCell) int {
		return cmp.Or(cmp.Compare(x.community, y.community), cmp.Compare(x.project, y.project))
	})
	for _, r := range demand {
		a.demand = append(a.demand, *r)
	}
	slices.SortFunc(a.demand, func(x, y demandCell) int {
		return cmp.Or(cmp.Compare(x.community, y.community), cmp.Compare(x.project, y.project))
	})
	return a
}

package matching

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// indexMentors keeps the mentors who can take a team in this pass and
// indexes them by project and community, so that choosing a mentor looks at
// the candidates of the team's community and its ancestors only.
func (p *planner) indexMentors() {
	ms := dropRepeated(p.s.Mentors, func(m MentorLoad) string { return strconv.FormatInt(m.ID, 10) })
	slices.SortFunc(ms, func(a, b MentorLoad) int { return cmp.Compare(a.ID, b.ID) })
	for _, m := range ms {
		if m.ID <= 0 || m.Paused || m.Load >= m.Capacity {
			continue // loads only grow during a pass
		}
		at := int32(len(p.mentors))
		p.mentors = append(p.mentors, mentorState{id: m.ID, capacity: m.Capacity, load: max(0, m.Load)})
		for _, project := range m.Projects {
			if len(m.Communities) == 0 {
				k := scopeKey{project, ""} // "" is no community id: everywhere
				p.scope[k] = append(p.scope[k], at)
			}
			for _, community := range m.Communities {
				k := scopeKey{project, community}
				p.scope[k] = append(p.scope[k], at)
			}
		}
	}
}

// pickMentor chooses the mentor of a team of project in community with
// members and counts the team in their load. It returns 0 if none is
// eligible.
func (p *planner) pickMentor(project, community string, members []int64) int64 {
	best := -1
	consider := func(candidates []int32) {
		for _, i := range candidates {
			m := &p.mentors[i]
			if m.load >= m.capacity || slices.Contains(members, m.id) {
				continue
			}
			if best < 0 || lessLoaded(m, &p.mentors[best]) {
				best = int(i)
			}
		}
	}
	consider(p.scope[scopeKey{project, ""}])
	consider(p.scope[scopeKey{project, community}])
	for _, a := range p.ancestors(community) {
		consider(p.scope[scopeKey{project, a}])
	}
	if best < 0 {
		return 0
	}
	p.mentors[best].load++
	return p.mentors[best].id
}

// lessLoaded reports whether a should be chosen before b: lower
// load/capacity (compared as exact fractions), then lower load, then lower
// id.
func lessLoaded(a, b *mentorState) bool {
	if l, r := int64(a.load)*int64(b.capacity), int64(b.load)*int64(a.capacity); l != r {
		return l < r
	}
	if a.load != b.load {
		return a.load < b.load
	}
	return a.id < b.id
}

// assignMentorless plans a mentor for each existing team that has none,
// oldest team first: they have waited longest.
func (p *planner) assignMentorless() {
	teams := dropRepeated(p.s.TeamsWithoutMentor, func(t MentorlessTeam) string { return t.ID })
	slices.SortFunc(teams, func(a, b MentorlessTeam) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, t := range teams {
		if t.ID == "" {
			continue
		}
		if m := p.pickMentor(t.Project, t.Community, t.Members); m != 0 {
			p.assigned[t.ID] = m
			p.out = append(p.out, Decision{Kind: AssignMentor, Team: t.ID, Community: t.Community, Project: t.Project, Mentor: m})
		}
	}
}

// mentorFormed gives the teams formed in this pass their mentors, the team
// whose first member waited longest first.
func (p *planner) mentorFormed() {
	slices.SortStableFunc(p.formed, func(a, b formedTeam) int { return a.since.Compare(b.since) })
	for _, f := range p.formed {
		d := &p.out[f.at]
		d.Mentor = p.pickMentor(d.Project, d.Community, d.Members)
	}
}

package matching_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multaque/multaque/matching"
)

// mentor is a mentor of energy everywhere with room for two teams.
func mentor(id int64, edit ...func(*matching.MentorLoad)) matching.MentorLoad {
	m := matching.MentorLoad{ID: id, Projects: []string{"energy"}, Capacity: 2}
	for _, e := range edit {
		e(&m)
	}
	return m
}

func load(n, capacity int) func(*matching.MentorLoad) {
	return func(m *matching.MentorLoad) { m.Load, m.Capacity = n, capacity }
}

func in(communities ...string) func(*matching.MentorLoad) {
	return func(m *matching.MentorLoad) { m.Communities = communities }
}

func projects(ids ...string) func(*matching.MentorLoad) {
	return func(m *matching.MentorLoad) { m.Projects = ids }
}

func paused(m *matching.MentorLoad) { m.Paused = true }

func TestPlanMentorChoice(t *testing.T) {
	oneTeam := queue("vila-de-gracia", "energy", 101, 3)
	tests := []struct {
		name    string
		mentors []matching.MentorLoad
		waiting []matching.Waiter
		want    []int64 // the mentor of each team formed, in order
	}{
		{
			name:    "no mentor at all: the team still forms",
			waiting: oneTeam,
			want:    []int64{0},
		},
		{
			name:    "the lowest load relative to capacity wins",
			mentors: []matching.MentorLoad{mentor(1, load(1, 2)), mentor(2, load(2, 5)), mentor(3, load(3, 4))},
			waiting: oneTeam,
			want:    []int64{2}, // 0.5, 0.4, 0.75
		},
		{
			name:    "equal ratios go to the lower load",
			mentors: []matching.MentorLoad{mentor(1, load(2, 4)), mentor(2, load(1, 2))},
			waiting: oneTeam,
			want:    []int64{2},
		},
		{
			name:    "equal ratio and load go to the lower id",
			mentors: []matching.MentorLoad{mentor(7, load(1, 3)), mentor(5, load(1, 3)), mentor(9, load(1, 3))},
			waiting: oneTeam,
			want:    []int64{5},
		},
		{
			name:    "a mentor at capacity is passed over",
			mentors: []matching.MentorLoad{mentor(1, load(2, 2)), mentor(2, load(9, 10))},
			waiting: oneTeam,
			want:    []int64{2},
		},
		{
			name:    "a mentor with capacity 0 takes nothing",
			mentors: []matching.MentorLoad{mentor(1, load(0, 0))},
			waiting: oneTeam,
			want:    []int64{0},
		},
		{
			name:    "a paused mentor is passed over",
			mentors: []matching.MentorLoad{mentor(1, paused), mentor(2, load(1, 2))},
			waiting: oneTeam,
			want:    []int64{2},
		},
		{
			name:    "a mentor of another project is passed over",
			mentors: []matching.MentorLoad{mentor(1, projects("time-bank")), mentor(2, projects("time-bank", "energy"), load(1, 2))},
			waiting: oneTeam,
			want:    []int64{2},
		},
		{
			name:    "a mentor of the town covers its neighbourhoods",
			mentors: []matching.MentorLoad{mentor(1, in("barcelona"))},
			waiting: oneTeam,
			want:    []int64{1},
		},
		{
			name:    "a mentor of the neighbourhood itself covers it",
			mentors: []matching.MentorLoad{mentor(1, in("girona", "vila-de-gracia"))},
			waiting: oneTeam,
			want:    []int64{1},
		},
		{
			name:    "a mentor of another town does not",
			mentors: []matching.MentorLoad{mentor(1, in("girona"))},
			waiting: oneTeam,
			want:    []int64{0},
		},
		{
			name:    "a mentor of a neighbourhood does not cover its district",
			mentors: []matching.MentorLoad{mentor(1, in("vila-de-gracia"))},
			waiting: queue("gracia", "energy", 101, 3),
			want:    []int64{0},
		},
		{
			name:    "a mentor of a sibling neighbourhood does not",
			mentors: []matching.MentorLoad{mentor(1, in("camp-grassot"))},
			waiting: oneTeam,
			want:    []int64{0},
		},
		{
			name:    "scope does not change the order: the least loaded in scope wins",
			mentors: []matching.MentorLoad{mentor(1, in("gracia"), load(1, 2)), mentor(2, load(0, 2)), mentor(3, in("girona"))},
			waiting: oneTeam,
			want:    []int64{2},
		},
		{
			name:    "a member is not their own team's mentor",
			mentors: []matching.MentorLoad{mentor(101), mentor(9, load(1, 2))},
			waiting: oneTeam,
			want:    []int64{9},
		},
		{
			name:    "earlier teams of the pass count in the load",
			mentors: []matching.MentorLoad{mentor(1, load(0, 2)), mentor(2, load(0, 2))},
			waiting: join(queue("camp-grassot", "energy", 101, 3), queue("sant-antoni", "energy", 111, 3), queue("gracia", "energy", 121, 3)),
			want:    []int64{1, 2, 1},
		},
		{
			name:    "when mentors run out the last teams go without",
			mentors: []matching.MentorLoad{mentor(1, load(0, 1))},
			waiting: join(queue("camp-grassot", "energy", 101, 3), queue("sant-antoni", "energy", 111, 3)),
			want:    []int64{1, 0},
		},
		{
			name:    "the team whose first member waited longest gets the mentor first",
			mentors: []matching.MentorLoad{mentor(1, load(0, 1))},
			waiting: join(queue("camp-grassot", "energy", 101, 3), queueSince("sant-antoni", "energy", 111, 3, t0.Add(-time.Hour))),
			want:    []int64{0, 1},
		},
		{
			name:    "a mentor listed twice is left alone",
			mentors: []matching.MentorLoad{mentor(1), mentor(1, load(1, 2))},
			waiting: oneTeam,
			want:    []int64{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{
				Now:      now,
				Projects: map[string]matching.Rules{"energy": {MinTeam: 3, MaxTeam: 5}},
				Parents:  parents,
				Waiting:  tt.waiting,
				Mentors:  tt.mentors,
			}
			var got []int64
			for _, d := range matching.Plan(s) {
				if d.Kind != matching.FormTeam {
					t.Fatalf("Plan() gave %v, want only FormTeam", d)
				}
				got = append(got, d.Mentor)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mentors of the teams formed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanAssignMentor(t *testing.T) {
	tests := []struct {
		name    string
		teams   []matching.MentorlessTeam
		mentors []matching.MentorLoad
		waiting []matching.Waiter
		open    []matching.OpenTeam
		want    []matching.Decision
	}{
		{
			name:  "no mentor free: nothing to do",
			teams: []matching.MentorlessTeam{{ID: "t1", Community: "gracia", Project: "energy", Members: []int64{1, 2, 3}, CreatedAt: t0}},
		},
		{
			name:    "a team without mentor gets one",
			teams:   []matching.MentorlessTeam{{ID: "t1", Community: "gracia", Project: "energy", Members: []int64{1, 2, 3}, CreatedAt: t0}},
			mentors: []matching.MentorLoad{mentor(7, in("girona")), mentor(8, in("barcelona"))},
			want:    []matching.Decision{assign("t1", "gracia", "energy", 8)},
		},
		{
			name: "the oldest team gets the last free mentor",
			teams: []matching.MentorlessTeam{
				{ID: "t-new", Community: "gracia", Project: "energy", Members: []int64{4, 5, 6}, CreatedAt: t0.Add(time.Hour)},
				{ID: "t-old", Community: "gracia", Project: "energy", Members: []int64{1, 2, 3}, CreatedAt: t0},
			},
			mentors: []matching.MentorLoad{mentor(7, load(1, 2))},
			want:    []matching.Decision{assign("t-old", "gracia", "energy", 7)},
		},
		{
			name:    "existing teams come before teams formed in the same pass",
			teams:   []matching.MentorlessTeam{{ID: "t1", Community: "gracia", Project: "energy", Members: []int64{1, 2, 3}, CreatedAt: now}},
			mentors: []matching.MentorLoad{mentor(7, load(1, 2))},
			waiting: queue("gracia", "energy", 10, 3),
			want: []matching.Decision{
				assign("t1", "gracia", "energy", 7),
				form("gracia", "energy", 0, 10, 11, 12),
			},
		},
		{
			name:    "a member of the team is not its mentor",
			teams:   []matching.MentorlessTeam{{ID: "t1", Community: "gracia", Project: "energy", Members: []int64{1, 7, 3}, CreatedAt: t0}},
			mentors: []matching.MentorLoad{mentor(7)},
		},
		{
			name:    "the mentor just assigned does not also join the team",
			teams:   []matching.MentorlessTeam{{ID: "t1", Community: "gracia", Project: "energy", Members: []int64{1, 2, 3}, CreatedAt: t0}},
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 3, CreatedAt: t0}},
			mentors: []matching.MentorLoad{mentor(10)},
			waiting: queue("gracia", "energy", 10, 2),
			want: []matching.Decision{
				assign("t1", "gracia", "energy", 10),
				joinTeam("t1", "gracia", "energy", 11),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{
				Now:                now,
				Projects:           map[string]matching.Rules{"energy": {MinTeam: 3, MaxTeam: 5}},
				Parents:            parents,
				Waiting:            tt.waiting,
				OpenTeams:          tt.open,
				TeamsWithoutMentor: tt.teams,
				Mentors:            tt.mentors,
			}
			if diff := cmp.Diff(tt.want, matching.Plan(s)); diff != "" {
				t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

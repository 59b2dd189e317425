package matching_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multaque/multaque/matching"
)

func TestPlanThresholdsAndSplitting(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		waiting  []matching.Waiter
		want     []matching.Decision
	}{
		{
			name: "nobody waits", min: 3, max: 5,
		},
		{
			name: "below critical mass forms nothing", min: 3, max: 5,
			waiting: queue("gracia", "energy", 1, 2),
		},
		{
			name: "exactly critical mass forms one team", min: 3, max: 5,
			waiting: queue("gracia", "energy", 1, 3),
			want:    []matching.Decision{form("gracia", "energy", 0, 1, 2, 3)},
		},
		{
			name: "members come in queue order, not id order", min: 3, max: 5,
			waiting: []matching.Waiter{
				{Citizen: 5, Community: "gracia", Project: "energy", Since: t0.Add(2 * time.Minute)},
				{Citizen: 3, Community: "gracia", Project: "energy", Since: t0},
				{Citizen: 9, Community: "gracia", Project: "energy", Since: t0.Add(time.Minute)},
			},
			want: []matching.Decision{form("gracia", "energy", 0, 3, 9, 5)},
		},
		{
			name: "same place in the queue goes by citizen id", min: 2, max: 2,
			waiting: []matching.Waiter{
				{Citizen: 7, Community: "gracia", Project: "energy", Since: t0},
				{Citizen: 4, Community: "gracia", Project: "energy", Since: t0},
				{Citizen: 1, Community: "gracia", Project: "energy", Since: t0.Add(time.Minute)},
			},
			want: []matching.Decision{form("gracia", "energy", 0, 4, 7)},
		},
		{
			name: "max team exactly forms one full team", min: 8, max: 15,
			waiting: queue("gracia", "energy", 1, 15),
			want:    []matching.Decision{form("gracia", "energy", 0, ids(1, 15)...)},
		},
		{
			name: "16 with 8-15 forms 8+8", min: 8, max: 15,
			waiting: queue("gracia", "energy", 1, 16),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 8)...),
				form("gracia", "energy", 0, ids(9, 8)...),
			},
		},
		{
			name: "30 with 8-15 forms 15+15", min: 8, max: 15,
			waiting: queue("gracia", "energy", 1, 30),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 15)...),
				form("gracia", "energy", 0, ids(16, 15)...),
			},
		},
		{
			name: "31 with 8-15 forms 11+10+10, the longest waiting in the bigger team", min: 8, max: 15,
			waiting: queue("gracia", "energy", 1, 31),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 11)...),
				form("gracia", "energy", 0, ids(12, 10)...),
				form("gracia", "energy", 0, ids(22, 10)...),
			},
		},
		{
			name: "10 with 8-9 forms one full team and the newest waits", min: 8, max: 9,
			waiting: queue("gracia", "energy", 1, 10),
			want:    []matching.Decision{form("gracia", "energy", 0, ids(1, 9)...)},
		},
		{
			name: "17 with 8-9 forms 9+8", min: 8, max: 9,
			waiting: queue("gracia", "energy", 1, 17),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 9)...),
				form("gracia", "energy", 0, ids(10, 8)...),
			},
		},
		{
			name: "26 with 8-9 forms 9+9+8", min: 8, max: 9,
			waiting: queue("gracia", "energy", 1, 26),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 9)...),
				form("gracia", "energy", 0, ids(10, 9)...),
				form("gracia", "energy", 0, ids(19, 8)...),
			},
		},
		{
			name: "min equal to max forms only full teams", min: 4, max: 4,
			waiting: queue("gracia", "energy", 1, 11),
			want: []matching.Decision{
				form("gracia", "energy", 0, ids(1, 4)...),
				form("gracia", "energy", 0, ids(5, 4)...),
			},
		},
		{
			name: "a person listed twice in a queue counts once", min: 3, max: 5,
			waiting: join(queue("gracia", "energy", 1, 2), queueSince("gracia", "energy", 1, 1, t0.Add(time.Hour))),
		},
		{
			name: "a person listed twice keeps their first place", min: 3, max: 5,
			waiting: join(queueSince("gracia", "energy", 1, 1, t0.Add(time.Hour)), queue("gracia", "energy", 1, 3)),
			want:    []matching.Decision{form("gracia", "energy", 0, 1, 2, 3)},
		},
		{
			name: "a person listed in two communities is placed once per project", min: 2, max: 5,
			waiting: join(queue("camp-grassot", "energy", 1, 2), queue("vila-de-gracia", "energy", 2, 2)),
			want:    []matching.Decision{form("camp-grassot", "energy", 0, 1, 2)},
		},
		{
			name: "one person in two projects may join a team of each", min: 2, max: 5,
			waiting: join(queue("gracia", "energy", 1, 2), queue("gracia", "time-bank", 1, 2)),
			want: []matching.Decision{
				form("gracia", "energy", 0, 1, 2),
				form("gracia", "time-bank", 0, 1, 2),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{
				Now: now,
				Projects: map[string]matching.Rules{
					"energy":    {MinTeam: tt.min, MaxTeam: tt.max},
					"time-bank": {MinTeam: tt.min, MaxTeam: tt.max},
				},
				Parents: parents,
				Waiting: tt.waiting,
			}
			if diff := cmp.Diff(tt.want, matching.Plan(s)); diff != "" {
				t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanProjects(t *testing.T) {
	tests := []struct {
		name     string
		projects map[string]matching.Rules
		waiting  []matching.Waiter
		want     []matching.Decision
	}{
		{
			name:     "two projects in one community are independent",
			projects: map[string]matching.Rules{"energy": {MinTeam: 3, MaxTeam: 5}, "car-sharing": {MinTeam: 4, MaxTeam: 6}},
			waiting: join(
				queue("gracia", "energy", 1, 3),
				queue("gracia", "car-sharing", 10, 3),
			),
			want: []matching.Decision{form("gracia", "energy", 0, 1, 2, 3)},
		},
		{
			name:     "each project has its own sizes",
			projects: map[string]matching.Rules{"energy": {MinTeam: 2, MaxTeam: 2}, "car-sharing": {MinTeam: 4, MaxTeam: 6}},
			waiting: join(
				queue("gracia", "car-sharing", 10, 4),
				queue("gracia", "energy", 1, 4),
			),
			want: []matching.Decision{
				form("gracia", "car-sharing", 0, 10, 11, 12, 13),
				form("gracia", "energy", 0, 1, 2),
				form("gracia", "energy", 0, 3, 4),
			},
		},
		{
			name:     "one project in two communities is independent",
			projects: map[string]matching.Rules{"energy": {MinTeam: 3, MaxTeam: 5}},
			waiting: join(
				queue("gracia", "energy", 1, 2),
				queue("eixample", "energy", 10, 3),
			),
			want: []matching.Decision{form("eixample", "energy", 0, 10, 11, 12)},
		},
		{
			name:     "a project missing from the catalogue keeps waiting",
			projects: map[string]matching.Rules{"energy": {MinTeam: 3, MaxTeam: 5}},
			waiting:  queue("gracia", "withdrawn", 1, 10),
		},
		{
			name:     "rules with max below min keep everyone waiting",
			projects: map[string]matching.Rules{"energy": {MinTeam: 5, MaxTeam: 3}},
			waiting:  queue("gracia", "energy", 1, 10),
		},
		{
			name:     "rules with min 0 keep everyone waiting",
			projects: map[string]matching.Rules{"energy": {MinTeam: 0, MaxTeam: 3}},
			waiting:  queue("gracia", "energy", 1, 10),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{Now: now, Projects: tt.projects, Parents: parents, Waiting: tt.waiting}
			if diff := cmp.Diff(tt.want, matching.Plan(s)); diff != "" {
				t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanLateJoiners(t *testing.T) {
	tests := []struct {
		name    string
		open    []matching.OpenTeam
		waiting []matching.Waiter
		want    []matching.Decision
	}{
		{
			name:    "one late joiner fills the open team",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 4, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 1),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 10)},
		},
		{
			name:    "late joiners fill the open team before a new team forms",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 4, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 4),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 10, 11, 12, 13)},
		},
		{
			name:    "late joiners beyond the room form a new team",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 6, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 5),
			want: []matching.Decision{
				joinTeam("t1", "gracia", "energy", 10, 11),
				form("gracia", "energy", 0, 12, 13, 14),
			},
		},
		{
			name:    "late joiners beyond the room but below critical mass keep waiting",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 7, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 3),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 10)},
		},
		{
			name: "the oldest open team fills first, then the next",
			open: []matching.OpenTeam{
				{ID: "t-new", Community: "gracia", Project: "energy", Size: 6, CreatedAt: t0.Add(time.Hour)},
				{ID: "t-old", Community: "gracia", Project: "energy", Size: 6, CreatedAt: t0},
			},
			waiting: queue("gracia", "energy", 10, 3),
			want: []matching.Decision{
				joinTeam("t-old", "gracia", "energy", 10, 11),
				joinTeam("t-new", "gracia", "energy", 12),
			},
		},
		{
			name: "open teams created together fill by id",
			open: []matching.OpenTeam{
				{ID: "t2", Community: "gracia", Project: "energy", Size: 7, CreatedAt: t0},
				{ID: "t1", Community: "gracia", Project: "energy", Size: 7, CreatedAt: t0},
			},
			waiting: queue("gracia", "energy", 10, 1),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 10)},
		},
		{
			name:    "a full team takes nobody and a new team forms",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 8, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 3),
			want:    []matching.Decision{form("gracia", "energy", 0, 10, 11, 12)},
		},
		{
			name:    "a team over the maximum after a lowered override takes nobody",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 12, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 2),
		},
		{
			name: "open teams of another community or project are not filled",
			open: []matching.OpenTeam{
				{ID: "t1", Community: "eixample", Project: "energy", Size: 4, CreatedAt: t0},
				{ID: "t2", Community: "gracia", Project: "time-bank", Size: 4, CreatedAt: t0},
				{ID: "t3", Community: "barcelona", Project: "energy", Size: 4, CreatedAt: t0},
			},
			waiting: queue("gracia", "energy", 10, 2),
		},
		{
			name:    "the team's mentor waiting for the project is not made its member",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 6, Mentor: 10, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 3),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 11, 12)},
		},
		{
			name:    "the team's mentor as the last one waiting keeps waiting",
			open:    []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 6, Mentor: 11, CreatedAt: t0}},
			waiting: queue("gracia", "energy", 10, 2),
			want:    []matching.Decision{joinTeam("t1", "gracia", "energy", 10)},
		},
		{
			name: "an open team listed twice is left alone",
			open: []matching.OpenTeam{
				{ID: "t1", Community: "gracia", Project: "energy", Size: 6, CreatedAt: t0},
				{ID: "t1", Community: "gracia", Project: "energy", Size: 7, CreatedAt: t0},
			},
			waiting: queue("gracia", "energy", 10, 2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{
				Now: now,
				Projects: map[string]matching.Rules{
					"energy":    {MinTeam: 3, MaxTeam: 8},
					"time-bank": {MinTeam: 3, MaxTeam: 8},
				},
				Parents:   parents,
				Waiting:   tt.waiting,
				OpenTeams: tt.open,
			}
			if diff := cmp.Diff(tt.want, matching.Plan(s)); diff != "" {
				t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanPooling(t *testing.T) {
	const poolAfter = 30 * 24 * time.Hour
	old := now.Add(-poolAfter)               // waited exactly PoolAfter
	young := now.Add(-poolAfter + time.Hour) // an hour short
	tests := []struct {
		name      string
		poolAfter time.Duration
		open      []matching.OpenTeam
		waiting   []matching.Waiter
		want      []matching.Decision
	}{
		{
			name: "before PoolAfter siblings keep waiting apart", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, young),
				queueSince("camp-grassot", "energy", 10, 2, young),
			),
		},
		{
			name: "after PoolAfter two siblings form a team at their district", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, old),
				queueSince("camp-grassot", "energy", 10, 2, old.Add(-time.Hour)),
			),
			want: []matching.Decision{form("gracia", "energy", 0, 10, 11, 1, 2)},
		},
		{
			name: "the oldest person decides: one old enough moves the whole queue", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 1, old),
				queueSince("vila-de-gracia", "energy", 2, 1, now),
				queueSince("camp-grassot", "energy", 10, 2, old),
			),
			want: []matching.Decision{form("gracia", "energy", 0, 1, 10, 11, 2)},
		},
		{
			name: "PoolAfter 0 never pools", poolAfter: 0,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, old.AddDate(-1, 0, 0)),
				queueSince("camp-grassot", "energy", 10, 2, old.AddDate(-1, 0, 0)),
			),
		},
		{
			name: "pooled people join the district's own queue", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 1, old),
				queueSince("camp-grassot", "energy", 10, 1, old),
				queueSince("gracia", "energy", 20, 2, now),
			),
			want: []matching.Decision{form("gracia", "energy", 0, 1, 10, 20, 21)},
		},
		{
			name: "a young sibling stays; the old one alone moves on up and waits at the root", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 3, old),
				queueSince("camp-grassot", "energy", 10, 3, young),
			),
		},
		{
			name: "pooling is recursive: two districts' neighbourhoods meet at the town", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, old),
				queueSince("sant-antoni", "energy", 10, 2, old.Add(-time.Minute)),
			),
			want: []matching.Decision{form("barcelona", "energy", 0, 10, 1, 11, 2)},
		},
		{
			name: "pooling goes up to the root in one pass", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, old),
				queueSince("girona-barri-vell", "energy", 10, 2, old.Add(-time.Minute)),
			),
			want: []matching.Decision{form("catalunya", "energy", 0, 10, 1, 11, 2)},
		},
		{
			name: "a neighbourhood at critical mass keeps its team; its old rest is pooled", poolAfter: poolAfter,
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 6, old.Add(-time.Hour)), // 5 form, 1 moves
				queueSince("camp-grassot", "energy", 10, 3, old),
			),
			want: []matching.Decision{
				form("vila-de-gracia", "energy", 0, 1, 2, 3, 4, 5),
				form("gracia", "energy", 0, 6, 10, 11, 12),
			},
		},
		{
			name: "pooled people fill the district's open team first", poolAfter: poolAfter,
			open: []matching.OpenTeam{{ID: "t1", Community: "gracia", Project: "energy", Size: 4, CreatedAt: t0}},
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 2, old),
			),
			want: []matching.Decision{joinTeam("t1", "gracia", "energy", 1)},
		},
		{
			name: "a neighbourhood's own open team comes before pooling", poolAfter: poolAfter,
			open: []matching.OpenTeam{{ID: "t1", Community: "vila-de-gracia", Project: "energy", Size: 4, CreatedAt: t0}},
			waiting: join(
				queueSince("vila-de-gracia", "energy", 1, 1, old),
				queueSince("camp-grassot", "energy", 10, 3, old),
			),
			want: []matching.Decision{joinTeam("t1", "vila-de-gracia", "energy", 1)},
		},
		{
			name: "a community unknown to Parents is a root", poolAfter: poolAfter,
			waiting: join(
				queueSince("nowhere", "energy", 1, 3, old),
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := matching.Snapshot{
				Now:       now,
				Projects:  map[string]matching.Rules{"energy": {MinTeam: 4, MaxTeam: 5}},
				Parents:   parents,
				Waiting:   tt.waiting,
				OpenTeams: tt.open,
				PoolAfter: tt.poolAfter,
			}
			if diff := cmp.Diff(tt.want, matching.Plan(s)); diff != "" {
				t.Errorf("Plan() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanPoolingCycle(t *testing.T) {
	// The catalogue forbids cycles; Plan must still end, and pool nowhere.
	s := matching.Snapshot{
		Now:       now,
		Projects:  map[string]matching.Rules{"energy": {MinTeam: 4, MaxTeam: 5}},
		Parents:   map[string]string{"a": "b", "b": "a"},
		Waiting:   join(queueSince("a", "energy", 1, 2, t0), queueSince("b", "energy", 10, 2, t0)),
		PoolAfter: time.Hour,
	}
	if got := matching.Plan(s); len(got) != 0 {
		t.Errorf("Plan()=%v, want nothing", got)
	}
}

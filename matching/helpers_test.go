package matching_test

import (
	"time"

	"github.com/multaque/multaque/matching"
)

// t0 is when the first person of every test queue started waiting.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// now is the time of every test pass unless a test says otherwise.
var now = t0.Add(7 * 24 * time.Hour)

// queue returns n people of community waiting for project, citizens
// first, first+1, … who came one minute apart in that order.
func queue(community, project string, first int64, n int) []matching.Waiter {
	return queueSince(community, project, first, n, t0)
}

// queueSince is queue with the first person coming at since.
func queueSince(community, project string, first int64, n int, since time.Time) []matching.Waiter {
	out := make([]matching.Waiter, n)
	for i := range out {
		out[i] = matching.Waiter{
			Citizen:   first + int64(i),
			Community: community,
			Project:   project,
			Since:     since.Add(time.Duration(i) * time.Minute),
		}
	}
	return out
}

// ids returns first, first+1, …, first+n-1.
func ids(first int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i)
	}
	return out
}

// join concatenates queues.
func join(qs ...[]matching.Waiter) []matching.Waiter {
	var out []matching.Waiter
	for _, q := range qs {
		out = append(out, q...)
	}
	return out
}

// form is a FormTeam decision.
func form(community, project string, mentor int64, members ...int64) matching.Decision {
	return matching.Decision{Kind: matching.FormTeam, Community: community, Project: project, Members: members, Mentor: mentor}
}

// joinTeam is a JoinTeam decision.
func joinTeam(team, community, project string, members ...int64) matching.Decision {
	return matching.Decision{Kind: matching.JoinTeam, Team: team, Community: community, Project: project, Members: members}
}

// assign is an AssignMentor decision.
func assign(team, community, project string, mentor int64) matching.Decision {
	return matching.Decision{Kind: matching.AssignMentor, Team: team, Community: community, Project: project, Mentor: mentor}
}

// The community tree of the tests:
//
//	catalunya
//	├── barcelona
//	│   ├── gracia
//	│   │   ├── vila-de-gracia
//	│   │   └── camp-grassot
//	│   └── eixample
//	│       └── sant-antoni
//	└── girona
//	    └── girona-barri-vell
var parents = map[string]string{
	"barcelona":         "catalunya",
	"gracia":            "barcelona",
	"vila-de-gracia":    "gracia",
	"camp-grassot":      "gracia",
	"eixample":          "barcelona",
	"sant-antoni":       "eixample",
	"girona":            "catalunya",
	"girona-barri-vell": "girona",
}

package matching

import (
	"strconv"
	"time"
)

// Snapshot is everything one matching pass needs, taken by the caller in one
// short read transaction. Plan only reads it: it neither keeps nor changes
// any of its slices or maps.
type Snapshot struct {
	// Now is the time of the pass; Plan never reads the clock.
	Now time.Time
	// Projects gives the team sizes of each project by id, after the
	// coordinators' overrides. Waiters of a project missing here, or with
	// rules that make no sense (see Rules), keep waiting.
	Projects map[string]Rules
	// Parents gives the parent of each community that has one
	// (neighbourhood → district → town). A community missing here is a root.
	// Plan looks up only the communities of Waiting, OpenTeams and
	// TeamsWithoutMentor and their ancestors, so the Runner puts only those
	// here, not the whole catalogue.
	Parents map[string]string
	// Waiting holds one entry per citizen and project they are still
	// waiting for. Any order gives the same plan, but Plan is linear only
	// when each (Community, Project) queue is contiguous and the queues come
	// in the order of the store's waiting index, whose keys are
	// "community/project/…": ids compared byte by byte as if each ended in
	// '/'. In any other order Plan sorts a copy first.
	Waiting []Waiter
	// OpenTeams are the teams that can still take late joiners: not closed
	// and smaller than their project's MaxTeam.
	OpenTeams []OpenTeam
	// TeamsWithoutMentor are the teams, not closed, whose mentor is still
	// to be found.
	TeamsWithoutMentor []MentorlessTeam
	// Mentors are all mentors, with the teams each mentors now.
	Mentors []MentorLoad
	// PoolAfter is how long the oldest person of a queue below critical
	// mass waits before the queue is pooled at the parent community. 0
	// never pools.
	PoolAfter time.Duration
}

// Rules are the team sizes of one project.
type Rules struct {
	// MinTeam is the critical mass: the fewest people a team forms with.
	MinTeam int
	// MaxTeam is the most people a team takes, late joiners included.
	MaxTeam int
}

// Valid reports whether teams can form under r: 1 ≤ MinTeam ≤ MaxTeam.
func (r Rules) Valid() bool {
	return r.MinTeam >= 1 && r.MaxTeam >= r.MinTeam
}

// Waiter is one citizen waiting for one project in their community.
type Waiter struct {
	Citizen   int64
	Community string
	Project   string
	// Since is their place in the queue: earlier comes first, ties by
	// citizen id.
	Since time.Time
}

// OpenTeam is a team that can still take late joiners.
type OpenTeam struct {
	ID        string
	Community string
	Project   string
	// Size is how many members it has now.
	Size int
	// Mentor is its mentor, 0 if none: a mentor is never made a member of
	// their own team.
	Mentor int64
	// Left are the citizens who left it: none of them is put back in it.
	Left      []int64
	CreatedAt time.Time
}

// MentorlessTeam is a team that formed when no mentor was free.
type MentorlessTeam struct {
	ID        string
	Community string
	Project   string
	// Members are its members: none of them can be its mentor.
	Members   []int64
	CreatedAt time.Time
}

// MentorLoad is a mentor as the matcher sees them: what they mentor, where,
// and how many teams they have now.
type MentorLoad struct {
	ID       int64
	Projects []string
	// Communities are the communities they cover, each with every community
	// inside it. Empty means everywhere.
	Communities []string
	// Capacity is how many teams they take at once.
	Capacity int
	// Load is how many teams, not closed, they mentor now.
	Load   int
	Paused bool
}

// Kind says what a Decision does.
type Kind uint8

// The kinds of decision.
const (
	// FormTeam forms a new team in Community for Project with Members,
	// mentored by Mentor, or by nobody yet when Mentor is 0 (coordinators
	// are then told, and a later pass assigns one).
	FormTeam Kind = iota + 1
	// JoinTeam adds Members to the open team Team.
	JoinTeam
	// AssignMentor makes Mentor the mentor of Team, which had none.
	AssignMentor
)

// String returns the kind's name, as in "FormTeam".
func (k Kind) String() string {
	switch k {
	case FormTeam:
		return "FormTeam"
	case JoinTeam:
		return "JoinTeam"
	case AssignMentor:
		return "AssignMentor"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Decision is one change a pass makes. The Runner applies each in its own
// write transaction and must check there that it still holds (the members
// still wait for Project within Community, the team is still open, the
// mentor still free), skipping it otherwise: a later pass plans again from
// what is then true.
type Decision struct {
	Kind Kind
	// Team is the id of the team joined or given a mentor; empty for
	// FormTeam, whose id the Runner gives.
	Team string
	// Community is the team's community. For FormTeam it may be an
	// ancestor of the members' communities when their queues were pooled.
	Community string
	Project   string
	// Members are the citizens who form or join the team, in queue order.
	Members []int64
	// Mentor is the team's new mentor; for FormTeam 0 means none was free.
	Mentor int64
}

package multaque

import (
	"slices"
	"time"
)

// Mentor is an experienced person who accompanies teams of the projects they
// know, in the communities they cover, a limited number of teams at a time.
type Mentor struct {
	ID   int64  `json:"id"` // Telegram user id, also their private chat id
	Name string `json:"name,omitempty"`
	// Projects are the ids of the projects they mentor.
	Projects []string `json:"projects"`
	// Communities are the ids of the communities they cover, each with every
	// community inside it: a mentor of a town covers its districts and
	// neighbourhoods. Empty means everywhere.
	Communities []string `json:"communities,omitempty"`
	// Scope are the communities of the coordinator whose invite made them a
	// mentor, as they were when it was created: Communities stay within
	// them (and are then never empty, as empty would mean everywhere).
	// Empty means everywhere: the inviter was a coordinator of every
	// community, or the record is older than scoped invites.
	Scope []string `json:"scope,omitempty"`
	// Capacity is how many open teams they take at once; 0 takes none.
	Capacity int `json:"capacity"`
	// Paused mentors keep their teams but get no new ones.
	Paused   bool      `json:"paused,omitempty"`
	Lang     Lang      `json:"lang"`
	JoinedAt time.Time `json:"joined_at"`
}

// MayCover reports whether community, whose ancestors (parent first) are
// ancestors, lies within m's scope: whether m may choose to cover it.
func (m *Mentor) MayCover(community string, ancestors []string) bool {
	return inScope(m.Scope, community, ancestors)
}

// MaxMentorCapacity is the most teams a mentor can take at once.
const MaxMentorCapacity = 50

// Covers reports whether m mentors project in community, whose ancestors
// (parent first, as catalog.Catalog.Ancestors gives them) are ancestors,
// within the scope of the invite they came through.
// It says nothing about whether m has room for another team.
func (m *Mentor) Covers(project, community string, ancestors []string) bool {
	return slices.Contains(m.Projects, project) && inScope(m.Scope, community, ancestors) &&
		inScope(m.Communities, community, ancestors)
}

// Available reports whether m takes a new team while mentoring load teams.
func (m *Mentor) Available(load int) bool {
	return !m.Paused && load < m.Capacity
}

// Validate checks what a stored mentor must hold.
func (m *Mentor) Validate() error {
	switch {
	case m.ID <= 0:
		return Errorf(EINVALID, "mentor: id must be positive")
	case !m.Lang.Valid():
		return Errorf(EINVALID, "mentor %d: unknown language %q", m.ID, m.Lang)
	case m.JoinedAt.IsZero():
		return Errorf(EINVALID, "mentor %d: no joining time", m.ID)
	case m.Capacity < 0 || m.Capacity > MaxMentorCapacity:
		return Errorf(EINVALID, "mentor %d: capacity %d must be 0-%d", m.ID, m.Capacity, MaxMentorCapacity)
	}
	if m.Name != "" {
		if _, err := CleanName(m.Name); err != nil {
			return Errorf(EINVALID, "mentor %d: bad name", m.ID)
		}
	}
	if err := checkIDs(m.Projects); err != nil {
		return Errorf(EINVALID, "mentor %d: project %s", m.ID, err.Message)
	}
	if err := checkIDs(m.Communities); err != nil {
		return Errorf(EINVALID, "mentor %d: community %s", m.ID, err.Message)
	}
	if err := checkIDs(m.Scope); err != nil {
		return Errorf(EINVALID, "mentor %d: scope %s", m.ID, err.Message)
	}
	return nil
}

// inScope reports whether community lies within scope: scope is empty
// (everywhere), or lists community or one of its ancestors.
func inScope(scope []string, community string, ancestors []string) bool {
	if len(scope) == 0 {
		return true
	}
	for _, id := range scope {
		if id == community || slices.Contains(ancestors, id) {
			return true
		}
	}
	return false
}

// checkIDs checks a list of project or community ids: each valid, none twice.
func checkIDs(ids []string) *Error {
	for i, id := range ids {
		if !ValidID(id) {
			return Errorf(EINVALID, "%q is not a valid id", id)
		}
		if slices.Contains(ids[:i], id) {
			return Errorf(EINVALID, "%q twice", id)
		}
	}
	return nil
}

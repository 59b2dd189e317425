package multaque

import "time"

// Team is a group of citizens of one community who want the same project,
// formed by the matcher once enough of them wait for it, with a mentor and a
// Telegram group of their own.
type Team struct {
	ID string `json:"id"`
	// Community is the community the team belongs to. It is the community of
	// its members, or one above theirs when their queues were pooled at a
	// parent because none reached critical mass on its own.
	Community string       `json:"community"`
	Project   string       `json:"project"`
	Members   []TeamMember `json:"members"`
	// Mentor is the Telegram id of the team's mentor, 0 while none is free:
	// a later matching run assigns one.
	Mentor int64 `json:"mentor,omitempty"`
	// Left are the citizens who left the team (with /leave, or by leaving
	// its group): the matcher never puts them back in it. /forget takes a
	// person out of it.
	Left   []int64    `json:"left,omitempty"`
	Status TeamStatus `json:"status"`
	// Chat is the id of the team's Telegram supergroup (negative, like every
	// group id), 0 until a group from the pool is provisioned for it.
	Chat int64 `json:"chat,omitempty"`
	// InviteLink is the group's join-request link; only members, the mentor
	// and coordinators are approved through it.
	InviteLink string `json:"invite_link,omitempty"`
	// Setup is the last provisioning step done on Chat, "" before the
	// first. Each step is recorded once Telegram has taken it, so that a
	// provisioning interrupted by a crash resumes after the last step done
	// instead of starting over; it is reset with Chat when the group breaks.
	Setup SetupStep `json:"setup,omitempty"`
	// Welcome is the id of the welcome message posted (and pinned) in
	// Chat, 0 until it is posted.
	Welcome int `json:"welcome,omitempty"`
	// ActiveSince is when the team's group was ready and its people were
	// invited to it; reminders count from then. Zero unless active.
	ActiveSince time.Time `json:"active_since,omitzero"`
	// SettledAt is when the Provisioner stopped following an active team:
	// every member had joined its group or been reminded, and the group
	// had served it long enough. A settled team is not read by the
	// Provisioner's passes; the store clears SettledAt when the team
	// changes status or gains a member.
	SettledAt time.Time `json:"settled_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TeamMember is a citizen in a team.
type TeamMember struct {
	Citizen int64 `json:"citizen"`
	// JoinedAt is when the matcher put them in the team, not when they
	// joined its group.
	JoinedAt time.Time `json:"joined_at"`
	// InChat is set once they have joined the team's Telegram group.
	InChat bool `json:"in_chat,omitempty"`
	// RemindedAt is when they were reminded to join the group, zero if
	// they were not: a member is reminded once per group.
	RemindedAt time.Time `json:"reminded_at,omitzero"`
}

// SetupStep is a step of provisioning a team's group, in the order they
// are done: rename the group, describe it, create its join-request invite
// link, post the welcome, pin it. The team becomes active after the last.
type SetupStep string

// The provisioning steps, in order; SetupNone is before the first.
const (
	SetupNone        SetupStep = ""
	SetupTitle       SetupStep = "title"
	SetupDescription SetupStep = "description"
	SetupLink        SetupStep = "link"
	SetupWelcome     SetupStep = "welcome"
	SetupPinned      SetupStep = "pinned"
)

// setupOrder lists the steps in the order they are done.
var setupOrder = []SetupStep{SetupNone, SetupTitle, SetupDescription, SetupLink, SetupWelcome, SetupPinned}

// Valid reports whether s is one of the steps above.
func (s SetupStep) Valid() bool { return s.index() >= 0 }

// Done reports whether step is done once s is: s is step or comes after it.
func (s SetupStep) Done(step SetupStep) bool {
	return s.index() >= step.index() && step.index() >= 0
}

func (s SetupStep) index() int {
	for i, x := range setupOrder {
		if x == s {
			return i
		}
	}
	return -1
}

// TeamStatus is where a team is in its life.
type TeamStatus string

// The statuses of a team. A team is forming from the moment the matcher
// forms it until its group is provisioned.
const (
	TeamForming TeamStatus = "forming"
	TeamActive  TeamStatus = "active"
	TeamClosed  TeamStatus = "closed"
)

// Valid reports whether s is one of the statuses above.
func (s TeamStatus) Valid() bool {
	return s == TeamForming || s == TeamActive || s == TeamClosed
}

// MaxTeamIDLen is the longest team id. Team ids travel in callback data and
// deep links next to other ids, so they are kept short.
const MaxTeamIDLen = 32

// ValidTeamID reports whether id is 1-MaxTeamIDLen characters of A-Z, a-z,
// 0-9, '_' and '-': the characters a deep-link payload allows.
func ValidTeamID(id string) bool {
	if id == "" || len(id) > MaxTeamIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// HasMember reports whether citizen is a member of t.
func (t *Team) HasMember(citizen int64) bool {
	for _, m := range t.Members {
		if m.Citizen == citizen {
			return true
		}
	}
	return false
}

// Open reports whether t can still take late joiners when the project's
// teams hold at most maxTeam people.
func (t *Team) Open(maxTeam int) bool {
	return t.Status != TeamClosed && len(t.Members) < maxTeam
}

// NeedsMentor reports whether t is still looking for a mentor.
func (t *Team) NeedsMentor() bool {
	return t.Status != TeamClosed && t.Mentor == 0
}

// Validate checks what a stored team must hold. Whether its community,
// project, members and mentor exist, and its size against the project's
// limits, is checked by whoever holds them all.
func (t *Team) Validate() error {
	switch {
	case !ValidTeamID(t.ID):
		return Errorf(EINVALID, "team %q: id must be 1-%d characters of A-Z, a-z, 0-9, _ and -", t.ID, MaxTeamIDLen)
	case !ValidID(t.Community):
		return Errorf(EINVALID, "team %s: bad community %q", t.ID, t.Community)
	case !ValidID(t.Project):
		return Errorf(EINVALID, "team %s: bad project %q", t.ID, t.Project)
	case !t.Status.Valid():
		return Errorf(EINVALID, "team %s: unknown status %q", t.ID, t.Status)
	case t.CreatedAt.IsZero():
		return Errorf(EINVALID, "team %s: no creation time", t.ID)
	case t.Mentor < 0:
		return Errorf(EINVALID, "team %s: mentor id must be positive", t.ID)
	case t.Chat > 0:
		// Private chats have positive ids: a team's chat is always a group.
		return Errorf(EINVALID, "team %s: chat %d is not a group", t.ID, t.Chat)
	case t.Status == TeamActive && t.Chat == 0:
		return Errorf(EINVALID, "team %s: active without a group", t.ID)
	case t.InviteLink != "" && t.Chat == 0:
		return Errorf(EINVALID, "team %s: invite link without a group", t.ID)
	case !t.Setup.Valid():
		return Errorf(EINVALID, "team %s: unknown setup step %q", t.ID, t.Setup)
	case t.Setup != SetupNone && t.Chat == 0:
		return Errorf(EINVALID, "team %s: setup step %s without a group", t.ID, t.Setup)
	case t.Setup.Done(SetupLink) && t.InviteLink == "":
		return Errorf(EINVALID, "team %s: setup past the invite link without one", t.ID)
	case t.Welcome < 0 || t.Setup.Done(SetupWelcome) && t.Welcome == 0:
		return Errorf(EINVALID, "team %s: setup past the welcome without its message", t.ID)
	case t.Status == TeamActive && (t.Setup != SetupPinned || t.ActiveSince.IsZero()):
		// Active means provisioned: its people have their invitations.
		return Errorf(EINVALID, "team %s: active before its group is set up", t.ID)
	}
	seen := make(map[int64]bool, len(t.Members))
	for _, m := range t.Members {
		switch {
		case m.Citizen <= 0:
			return Errorf(EINVALID, "team %s: member id must be positive", t.ID)
		case seen[m.Citizen]:
			return Errorf(EINVALID, "team %s: member %d twice", t.ID, m.Citizen)
		case m.JoinedAt.IsZero():
			return Errorf(EINVALID, "team %s: member %d has no joining time", t.ID, m.Citizen)
		case m.Citizen == t.Mentor:
			return Errorf(EINVALID, "team %s: %d is both member and mentor", t.ID, m.Citizen)
		}
		seen[m.Citizen] = true
	}
	return nil
}

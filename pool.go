package multaque

import (
	"time"
	"unicode/utf8"
)

// PoolGroup is a Telegram supergroup that a coordinator gave the bot for
// teams. A bot cannot create groups, so coordinators create spare ones and
// add the bot as administrator; the bot renames one for each new team.
type PoolGroup struct {
	Chat  int64  `json:"chat"`            // the group's id, negative
	Title string `json:"title,omitempty"` // its title when it joined the pool
	// AddedBy is the coordinator who added the bot to it.
	AddedBy int64      `json:"added_by"`
	AddedAt time.Time  `json:"added_at"`
	Status  PoolStatus `json:"status"`
	// Team is the team that uses the group, set only while it is used.
	Team string `json:"team,omitempty"`
	// Reason says why a broken group broke (deleted, bot removed...).
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PoolStatus is where a pool group is in its life.
type PoolStatus string

// The statuses of a pool group: free for the next team, used by a team, or
// broken (deleted, the bot removed or demoted) and never handed out again
// unless a coordinator adds the bot back.
const (
	PoolFree   PoolStatus = "free"
	PoolUsed   PoolStatus = "used"
	PoolBroken PoolStatus = "broken"
)

// Valid reports whether s is one of the statuses above.
func (s PoolStatus) Valid() bool { return s == PoolFree || s == PoolUsed || s == PoolBroken }

// MaxPoolReasonLen bounds PoolGroup.Reason, in bytes.
const MaxPoolReasonLen = 200

// Validate checks what a stored pool group must hold.
func (g *PoolGroup) Validate() error {
	switch {
	case g.Chat >= 0:
		return Errorf(EINVALID, "pool group %d: not a group id", g.Chat)
	case !g.Status.Valid():
		return Errorf(EINVALID, "pool group %d: unknown status %q", g.Chat, g.Status)
	case g.AddedBy <= 0:
		return Errorf(EINVALID, "pool group %d: added by nobody", g.Chat)
	case g.AddedAt.IsZero():
		return Errorf(EINVALID, "pool group %d: no time added", g.Chat)
	case (g.Status == PoolUsed) != (g.Team != ""):
		return Errorf(EINVALID, "pool group %d: a used group, and only a used group, names its team", g.Chat)
	case g.Team != "" && !ValidTeamID(g.Team):
		return Errorf(EINVALID, "pool group %d: bad team id %q", g.Chat, g.Team)
	case utf8.RuneCountInString(g.Title) > 128 || !utf8.ValidString(g.Title):
		return Errorf(EINVALID, "pool group %d: title must be valid UTF-8 of at most 128 characters", g.Chat)
	case len(g.Reason) > MaxPoolReasonLen:
		return Errorf(EINVALID, "pool group %d: reason over %d bytes", g.Chat, MaxPoolReasonLen)
	}
	return nil
}

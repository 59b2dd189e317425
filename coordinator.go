package multaque

import "time"

// Coordinator is a person of the municipality or social-economy body running
// Multaque who steers it with admin commands in Telegram.
type Coordinator struct {
	ID int64 `json:"id"` // Telegram user id, also their private chat id
	// Communities are the ids of the communities they oversee, each with
	// every community inside it. Empty means all of them.
	Communities []string  `json:"communities,omitempty"`
	Name        string    `json:"name,omitempty"` // as shown in /coordinators: their Telegram first name when they became one
	Lang        Lang      `json:"lang"`
	AddedAt     time.Time `json:"added_at"`
}

// Oversees reports whether community, whose ancestors (parent first) are
// ancestors, is within c's scope: alerts about it, such as a team left
// without a mentor, go to c.
func (c *Coordinator) Oversees(community string, ancestors []string) bool {
	return inScope(c.Communities, community, ancestors)
}

// Validate checks what a stored coordinator must hold.
func (c *Coordinator) Validate() error {
	switch {
	case c.ID <= 0:
		return Errorf(EINVALID, "coordinator: id must be positive")
	case !c.Lang.Valid():
		return Errorf(EINVALID, "coordinator %d: unknown language %q", c.ID, c.Lang)
	case c.AddedAt.IsZero():
		return Errorf(EINVALID, "coordinator %d: no time added", c.ID)
	}
	if err := checkIDs(c.Communities); err != nil {
		return Errorf(EINVALID, "coordinator %d: community %s", c.ID, err.Message)
	}
	return nil
}

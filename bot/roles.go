package bot

import (
	"slices"
	"sync"
)

// Coordinators are, until coordinators have a store of their own, the
// Telegram ids listed in the configuration (Options.Coordinators), and any
// added while the bot runs (AddCoordinator: the sandbox does). They may add
// groups to the pool and are always let into a team's group.

// coordinatorSet is the set of coordinators' ids. Handlers read it from
// many goroutines while AddCoordinator may write it.
type coordinatorSet struct {
	mu  sync.RWMutex
	ids map[int64]bool
}

// newCoordinatorSet makes the set of coordinators' ids, leaving out ids
// that cannot be people's.
func newCoordinatorSet(ids []int64) *coordinatorSet {
	set := &coordinatorSet{ids: make(map[int64]bool, len(ids))}
	for _, id := range ids {
		if id > 0 {
			set.ids[id] = true
		}
	}
	return set
}

// isCoordinator reports whether id is a coordinator's Telegram id.
func (b *Bot) isCoordinator(id int64) bool {
	if id <= 0 {
		return false
	}
	b.coordinators.mu.RLock()
	defer b.coordinators.mu.RUnlock()
	return b.coordinators.ids[id]
}

// AddCoordinator makes the person with Telegram id id a coordinator from
// now on, until the bot stops: it is not stored, so a coordinator who must
// stay one belongs in Options.Coordinators. It reports whether id was
// added: false if it is one already or cannot be a person's (id <= 0).
// It is safe to call while the bot runs.
func (b *Bot) AddCoordinator(id int64) bool {
	if id <= 0 {
		return false
	}
	b.coordinators.mu.Lock()
	defer b.coordinators.mu.Unlock()
	if b.coordinators.ids[id] {
		return false
	}
	b.coordinators.ids[id] = true
	return true
}

// coordinatorIDs lists the coordinators in ascending order, for alerts.
func (b *Bot) coordinatorIDs() []int64 {
	b.coordinators.mu.RLock()
	ids := make([]int64, 0, len(b.coordinators.ids))
	for id := range b.coordinators.ids {
		ids = append(ids, id)
	}
	b.coordinators.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// poolRights are the administrator rights a pool group must give the bot,
// in the order the startgroup link asks for them: invite users (join
// request links, approving requests), restrict members (removing someone
// who leaves the team), pin messages (the welcome) and change info (title
// and description).
var poolRights = []string{"invite_users", "restrict_members", "pin_messages", "change_info"}

// startGroupLink is the one-tap link that lets a coordinator add the bot
// to a group of theirs as administrator with poolRights.
func (b *Bot) startGroupLink() string {
	link := "https://t.me/" + b.Username() + "?startgroup=pool&admin="
	for i, r := range poolRights {
		if i > 0 {
			link += "+"
		}
		link += r
	}
	return link
}

package bot

import "slices"

// Coordinators are, until coordinators have a store of their own, the
// Telegram ids listed in the configuration (Options.Coordinators). They may
// add groups to the pool and are always let into a team's group.

// isCoordinator reports whether id is a coordinator's Telegram id.
func (b *Bot) isCoordinator(id int64) bool {
	return id > 0 && b.coordinators[id]
}

// coordinatorSet makes the set of coordinators' ids, leaving out ids that
// cannot be people's.
func coordinatorSet(ids []int64) map[int64]bool {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id > 0 {
			set[id] = true
		}
	}
	return set
}

// coordinatorIDs lists the coordinators in ascending order, for alerts.
func (b *Bot) coordinatorIDs() []int64 {
	ids := make([]int64, 0, len(b.coordinators))
	for id := range b.coordinators {
		ids = append(ids, id)
	}
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

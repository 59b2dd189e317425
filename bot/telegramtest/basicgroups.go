package telegramtest

import (
	"fmt"
	"maps"
	"slices"
)

// NewBasicGroup creates a basic group (chat type "group") owned by owner,
// as the apps create small groups: its id is negative without the -100 of
// supergroups. The bot is not in it until AddBot. A basic group differs from
// a supergroup where Telegram makes it differ: banning only removes a
// member, unbanChatMember answers 400 "method is available for supergroup
// and channel chats only", and the 403s speak of "the group chat". Upgrade
// turns it into a supergroup.
func (s *Server) NewBasicGroup(title string, owner *User) *Group {
	s.mu.Lock()
	s.nextGroup++
	id := -(4100000000 + s.nextGroup)
	g := &Group{
		ID: id, s: s, title: title, basic: true,
		members: map[int64]*member{owner.ID: {user: owner.api(), status: "creator"}},
		order:   []int64{owner.ID},
		pending: make(map[int64]*joinRequest),
	}
	g.chat = newChat(s, id, "group")
	g.chat.group = g
	s.groups[id] = g
	s.chats[id] = g.chat
	s.mu.Unlock()
	return g
}

// IsBasic reports whether g is a basic group (see NewBasicGroup).
func (g *Group) IsBasic() bool { return g.basic }

// Upgrade has by upgrade the basic group g to a supergroup, as the apps do
// on their own when some settings change, and returns the new supergroup. It
// is what Telegram does:
//
//   - the supergroup gets a new -100… id and keeps the title, description,
//     members with their rights (the bot's included), invite links and
//     pending join requests;
//   - the basic group gets a service message with migrate_to_chat_id and
//     the supergroup one with migrate_from_chat_id, both sent to the bot if
//     it is in the group (Bot API, Message.migrate_to_chat_id and
//     migrate_from_chat_id);
//   - from then on every method on the old id answers 400 "Bad Request:
//     group chat was upgraded to a supergroup chat" with
//     parameters.migrate_to_chat_id, except getChat, which still answers
//     (Client.cpp, check_chat: only calls that need write access to an
//     inactive basic group get the error).
//
// It panics if g is not a basic group or was upgraded already.
func (g *Group) Upgrade(by *User) *Group {
	s := g.s
	old := g.chat
	old.mu.Lock()
	defer old.mu.Unlock()
	if !g.basic || g.migratedTo != nil || old.deleted {
		panic(fmt.Sprintf("telegramtest: %s is not a basic group that can be upgraded", g))
	}
	s.mu.Lock()
	s.nextGroup++
	id := -(1001000000000 + s.nextGroup)
	ng := &Group{
		ID: id, s: s, title: g.title, description: g.description,
		members: make(map[int64]*member, len(g.members)),
		order:   slices.Clone(g.order),
		pending: maps.Clone(g.pending),
		primary: g.primary, migratedFrom: g.ID,
	}
	for uid, m := range g.members {
		cp := *m
		ng.members[uid] = &cp
	}
	ng.chat = newChat(s, id, "supergroup")
	ng.chat.group = ng
	for _, l := range s.links {
		if l.group == g {
			l.group = ng
		}
	}
	s.groups[id] = ng
	s.chats[id] = ng.chat
	s.mu.Unlock()
	g.pending = make(map[int64]*joinRequest)
	g.primary = nil
	g.migratedTo = ng

	from := by.api()
	botIn := isIn(g.status(s.botID))
	m := old.add(&message{sender: from, date: s.now(), service: "migrate_to_chat_id", migrateTo: id})
	if botIn {
		s.updates.push("message", old.id, old.apiMessage(m))
	}
	nc := ng.chat
	nc.mu.Lock()
	nm := nc.add(&message{sender: from, date: s.now(), service: "migrate_from_chat_id", migrateFrom: g.ID})
	if botIn {
		s.updates.push("message", nc.id, nc.apiMessage(nm))
	}
	nc.mu.Unlock()
	return ng
}

// MigratedTo returns the supergroup a basic group was upgraded to.
func (g *Group) MigratedTo() (*Group, bool) {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return g.migratedTo, g.migratedTo != nil
}

// readMethods are the methods that work on a basic group after its upgrade:
// those that need only read access (Client.cpp, check_chat with
// AccessRights::Read).
var readMethods = map[string]bool{"getChat": true}

// migratedErr answers a call about an upgraded basic group, unless the
// method only reads; c.mu must be held.
func (c *chat) migratedErr(method string) *apiError {
	if g := c.group; g != nil && g.migratedTo != nil && !readMethods[method] {
		return errMigrated(g.migratedTo.ID)
	}
	return nil
}

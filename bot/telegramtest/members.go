package telegramtest

// AddMember has by (an administrator, or the owner) add u to the group
// directly, as the apps' "Add members" does: u becomes a member, with a
// chat_member update (if the bot is an administrator and allows it) and a
// new_chat_members service message. Adding someone who is in already does
// nothing.
func (g *Group) AddMember(by, u *User) {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if isIn(g.status(u.ID)) {
		return
	}
	old, neu := g.setStatus(u.api(), "member", AdminRights{})
	g.pushMemberUpdate("chat_member", by.api(), old, neu, nil)
	ua := u.api()
	g.serviceLocked(by.api(), "new_chat_members", &ua, "")
}

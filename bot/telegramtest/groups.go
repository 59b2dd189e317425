package telegramtest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// AdminRights are the administrator rights a group grants the bot. The zero
// value adds the bot as an ordinary member.
type AdminRights struct {
	InviteUsers     bool
	RestrictMembers bool
	PinMessages     bool
	ChangeInfo      bool
	DeleteMessages  bool
}

// BotAdminRights are the rights Multaque asks for when added to a pool group.
var BotAdminRights = AdminRights{InviteUsers: true, RestrictMembers: true, PinMessages: true, ChangeInfo: true}

func (r AdminRights) any() bool {
	return r.InviteUsers || r.RestrictMembers || r.PinMessages || r.ChangeInfo || r.DeleteMessages
}

// Errors OpenInviteLink returns.
var (
	// ErrInvalidInviteLink: the link does not exist, was revoked, expired or
	// reached its member limit.
	ErrInvalidInviteLink = errors.New("telegramtest: invite link is invalid or expired")
	// ErrAlreadyMember: the user is already in the group.
	ErrAlreadyMember = errors.New("telegramtest: user is already a member of the group")
	// ErrBannedFromGroup: the user was banned from the group.
	ErrBannedFromGroup = errors.New("telegramtest: user is banned from the group")
)

type member struct {
	user   apiUser
	status string // creator, administrator, member, left, kicked
	rights AdminRights
	until  int64
}

type joinRequest struct {
	user *User
	link *inviteLink
	date time.Time
}

type inviteLink struct {
	url         string
	group       *Group
	joinRequest bool
	primary     bool
	revoked     bool
	name        string
	expire      int64
	limit       int
	joined      int
}

func (l *inviteLink) api(s *Server, pending int) *apiChatInviteLink {
	return &apiChatInviteLink{
		InviteLink: l.url, Creator: s.botAPIUser(), CreatesJoinRequest: l.joinRequest,
		IsPrimary: l.primary, IsRevoked: l.revoked, Name: l.name, ExpireDate: l.expire,
		MemberLimit: l.limit, PendingJoinRequestCount: pending,
	}
}

// Group is a simulated supergroup, or a basic group (see NewBasicGroup). Its
// methods are safe for concurrent use.
type Group struct {
	// ID is the chat id, negative like Telegram's: -100… for supergroups,
	// without the 100 for basic groups.
	ID int64

	s    *Server
	chat *chat

	title       string
	description string
	members     map[int64]*member
	order       []int64 // people in the order they joined
	pending     map[int64]*joinRequest
	primary     *inviteLink
	mark        uint64

	basic        bool   // a basic group (chat type "group")
	migratedTo   *Group // the supergroup a basic group was upgraded to
	migratedFrom int64  // the basic group a supergroup was upgraded from
}

// NewSupergroup creates a supergroup owned by owner. The bot is not in it
// until AddBot.
func (s *Server) NewSupergroup(title string, owner *User) *Group {
	s.mu.Lock()
	s.nextGroup++
	id := -(1001000000000 + s.nextGroup)
	g := &Group{
		ID: id, s: s, title: title,
		members: map[int64]*member{owner.ID: {user: owner.api(), status: "creator"}},
		order:   []int64{owner.ID},
		pending: make(map[int64]*joinRequest),
	}
	g.chat = newChat(s, id, "supergroup")
	g.chat.group = g
	s.groups[id] = g
	s.chats[id] = g.chat
	s.mu.Unlock()
	return g
}

// Group returns the group with that chat id.
func (s *Server) Group(id int64) (*Group, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[id]
	return g, ok
}

func (g *Group) status(id int64) string {
	if m := g.members[id]; m != nil {
		return m.status
	}
	return "left"
}

// botRight reports whether the bot holds a right; chat.mu must be held.
func (g *Group) botRight(has func(AdminRights) bool) bool {
	m := g.members[g.s.botID]
	return m != nil && (m.status == "creator" || m.status == "administrator" && has(m.rights))
}

func (g *Group) memberAPI(id int64) apiChatMember {
	m := g.members[id]
	if m == nil {
		if u, ok := g.s.User(id); ok {
			return apiChatMember{User: u.api(), Status: "left"}
		}
		return apiChatMember{User: apiUser{ID: id}, Status: "left"}
	}
	return memberJSON(m)
}

func memberJSON(m *member) apiChatMember {
	t, f := true, false
	out := apiChatMember{User: m.user, Status: m.status}
	switch m.status {
	case "creator":
		out.IsAnonymous = &f
	case "administrator":
		r := m.rights
		b := func(v bool) *bool { return &v }
		out.CanBeEdited, out.IsAnonymous, out.CanManageChat = &f, &f, &t
		out.CanDeleteMessages, out.CanManageVideoChats = b(r.DeleteMessages), &f
		out.CanRestrictMembers, out.CanPromoteMembers = b(r.RestrictMembers), &f
		out.CanChangeInfo, out.CanInviteUsers, out.CanPinMessages = b(r.ChangeInfo), b(r.InviteUsers), b(r.PinMessages)
		out.CanPostStories, out.CanEditStories, out.CanDeleteStories, out.CanManageTopics = &f, &f, &f, &f
	case "kicked":
		until := m.until
		out.UntilDate = &until
	}
	return out
}

// setStatus changes a member's status and returns the old and new
// ChatMember; chat.mu must be held.
func (g *Group) setStatus(u apiUser, status string, rights AdminRights) (apiChatMember, apiChatMember) {
	old := g.memberAPI(u.ID)
	m := g.members[u.ID]
	if m == nil {
		m = &member{user: u}
		g.members[u.ID] = m
	}
	wasIn := isIn(m.status)
	m.status, m.rights, m.until = status, rights, 0
	if isIn(status) && !wasIn && u.ID != g.s.botID {
		g.order = append(g.order, u.ID)
	}
	if !isIn(status) && wasIn {
		g.order = slices.DeleteFunc(g.order, func(id int64) bool { return id == u.ID })
	}
	return old, memberJSON(m)
}

// botAdmin reports whether the bot is the group's creator or one of its
// administrators; chat.mu must be held.
func (g *Group) botAdmin() bool {
	st := g.status(g.s.botID)
	return st == "administrator" || st == "creator"
}

func isIn(status string) bool {
	return status == "creator" || status == "administrator" || status == "member" || status == "restricted"
}

// botSees reports whether the bot receives an ordinary message posted in the
// group: Telegram's privacy mode (on by default) lets a bot that is not an
// administrator see only commands. chat.mu must be held.
func (g *Group) botSees(text string) bool {
	switch g.status(g.s.botID) {
	case "administrator", "creator":
		return true
	case "member":
		return strings.HasPrefix(text, "/")
	}
	return false
}

// serviceLocked records a service message and, when the bot is in the
// group, queues it as a message update; chat.mu must be held.
func (g *Group) serviceLocked(from apiUser, kind string, subject *apiUser, title string) {
	c := g.chat
	m := c.add(&message{sender: from, date: g.s.now(), service: kind, serviceUser: subject, newTitle: title})
	botIn := isIn(g.status(g.s.botID))
	aboutBot := subject != nil && subject.ID == g.s.botID
	if (botIn || aboutBot) && from.ID != g.s.botID {
		if g.s.updates.push("message", c.id, c.apiMessage(m)) != 0 {
			g.s.see(from.ID)
			if subject != nil {
				g.s.see(subject.ID)
			}
		}
	}
}

// pushMemberUpdate queues a chat_member or my_chat_member update; chat.mu
// must be held. Telegram sends chat_member only to a bot that is an
// administrator of the chat (Bot API, Update.chat_member: "The bot must be an
// administrator in the chat"); my_chat_member always.
func (g *Group) pushMemberUpdate(kind string, from apiUser, old, new apiChatMember, link *inviteLink) {
	if kind == "chat_member" && !g.botAdmin() {
		return
	}
	upd := apiChatMemberUpdated{
		Chat: g.chat.apiChat(), From: from, Date: g.s.now().Unix(),
		OldChatMember: old, NewChatMember: new,
	}
	if link != nil {
		upd.InviteLink = link.api(g.s, 0)
	}
	if g.s.updates.push(kind, g.ID, upd) != 0 {
		g.s.see(from.ID, new.User.ID)
	}
}

// queueMyChatMember queues a my_chat_member update about the bot in c;
// c.mu must be held.
func (s *Server) queueMyChatMember(c *chat, from apiUser, oldStatus, newStatus string) {
	bot := s.botAPIUser()
	old := apiChatMember{User: bot, Status: oldStatus}
	neu := apiChatMember{User: bot, Status: newStatus}
	var zero int64
	if oldStatus == "kicked" {
		old.UntilDate = &zero
	}
	if newStatus == "kicked" {
		neu.UntilDate = &zero
	}
	s.updates.push("my_chat_member", c.id, apiChatMemberUpdated{
		Chat: c.apiChat(), From: from, Date: s.now().Unix(), OldChatMember: old, NewChatMember: neu,
	})
}

// AddBot has by add the bot to the group, as an administrator with rights
// (or as a member if rights is zero). The bot gets a my_chat_member update
// (from by, old status left) and the new_chat_members service message.
func (g *Group) AddBot(by *User, rights AdminRights) {
	status := "member"
	if rights.any() {
		status = "administrator"
	}
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	bot := g.s.botAPIUser()
	old, neu := g.setStatus(bot, status, rights)
	g.pushMemberUpdate("my_chat_member", by.api(), old, neu, nil)
	if !isIn(old.Status) {
		g.serviceLocked(by.api(), "new_chat_members", &bot, "")
	}
}

// RemoveBot has by remove the bot from the group (my_chat_member: → kicked,
// as for any member removed from a supergroup).
func (g *Group) RemoveBot(by *User) {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	bot := g.s.botAPIUser()
	old, neu := g.setStatus(bot, "kicked", AdminRights{})
	g.pushMemberUpdate("my_chat_member", by.api(), old, neu, nil)
	g.serviceLocked(by.api(), "left_chat_member", &bot, "")
}

// Delete deletes the group: from then on every method about it answers 400
// "Bad Request: chat not found". The bot is not told.
func (g *Group) Delete() {
	g.chat.mu.Lock()
	g.chat.deleted = true
	g.chat.touch()
	g.chat.mu.Unlock()
}

// Title returns the group's current title.
func (g *Group) Title() string {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return g.title
}

// Description returns the group's current description.
func (g *Group) Description() string {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return g.description
}

// Members returns the IDs of the people in the group (creator,
// administrators and members; not the bot), in the order they joined.
func (g *Group) Members() []int64 {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return slices.Clone(g.order)
}

// Status returns the member status of a user (or of the bot, by its ID):
// "creator", "administrator", "member", "left" or "kicked".
func (g *Group) Status(userID int64) string {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return g.status(userID)
}

// PendingRequests returns the IDs of users whose join request is pending.
func (g *Group) PendingRequests() []int64 {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	var ids []int64
	for id := range g.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Messages returns the group's messages, oldest first, service messages
// (joins, leaves, title changes) included.
func (g *Group) Messages() []Message { return g.chat.snapshot() }

// Expect waits for a message from the bot in the group, sent or edited after
// the last SendToGroup, containing substr; see User.Expect.
func (g *Group) Expect(t testing.TB, substr string) Message {
	t.Helper()
	g.chat.mu.Lock()
	since := g.mark
	g.chat.mu.Unlock()
	m, ok := expectIn(g.chat, since, g.s.waitTimeout, substr)
	if !ok {
		t.Fatalf("group %q: no message from the bot containing %q within %v; chat shows:\n%s",
			g.Title(), substr, g.s.waitTimeout, g.chat.render(since))
	}
	return m
}

// SendToGroup posts text from u in the group and returns the update_id, or 0
// if the bot does not receive it: the bot must be in the group and, unless it
// is an administrator, privacy mode shows it only /commands. It panics if u
// is not a member.
func (u *User) SendToGroup(g *Group, text string) int {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if !isIn(g.status(u.ID)) || c.deleted {
		panic(fmt.Sprintf("telegramtest: %s (%d) is not a member of group %q", u.FirstName, u.ID, g.title))
	}
	if g.migratedTo != nil {
		panic(fmt.Sprintf("telegramtest: group %q was upgraded to %d; post there", g.title, g.migratedTo.ID))
	}
	m := c.add(&message{sender: u.api(), date: u.s.now(), text: text, entities: commandEntities(text)})
	g.mark = c.seq
	if !g.botSees(text) {
		return 0
	}
	id := u.s.updates.push("message", c.id, c.apiMessage(m))
	if id != 0 {
		u.seen.Store(true)
	}
	return id
}

// OpenInviteLink has u open an invite link. For a link that creates join
// requests, the request waits and, if the bot has the can_invite_users
// right, a chat_join_request update is queued (and the bot may then write to
// u for 5 minutes); otherwise u joins at once (chat_member update, if the
// bot is an administrator and allows it, and a new_chat_members service
// message).
func (u *User) OpenInviteLink(link string) error {
	s := u.s
	s.mu.RLock()
	l := s.links[link]
	s.mu.RUnlock()
	if l == nil {
		return ErrInvalidInviteLink
	}
	g := l.group
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted || l.revoked || (l.expire != 0 && s.now().Unix() >= l.expire) ||
		(l.limit > 0 && l.joined >= l.limit) {
		return ErrInvalidInviteLink
	}
	switch g.status(u.ID) {
	case "kicked":
		return ErrBannedFromGroup
	case "creator", "administrator", "member", "restricted":
		return ErrAlreadyMember
	}
	if l.joinRequest {
		if g.pending[u.ID] != nil {
			return nil // the request is already waiting
		}
		now := s.now()
		g.pending[u.ID] = &joinRequest{user: u, link: l, date: now}
		// Telegram sends chat_join_request only to a bot with the
		// can_invite_users right (Bot API, Update.chat_join_request), and
		// lets the bot write to the applicant for 5 minutes through
		// user_chat_id (Bot API, ChatJoinRequest.user_chat_id).
		if !g.botRight(func(r AdminRights) bool { return r.InviteUsers }) {
			c.touch()
			return nil
		}
		u.chat.mu.Lock()
		u.seen.Store(true)
		if until := now.Add(joinRequestWindow); until.After(u.writableUntil) {
			u.writableUntil = until
		}
		u.chat.mu.Unlock()
		s.updates.push("chat_join_request", g.ID, apiChatJoinRequest{
			Chat: c.apiChat(), From: u.api(), UserChatID: u.ID, Date: now.Unix(), InviteLink: l.api(s, 0),
		})
		return nil
	}
	l.joined++
	g.joinLocked(u, u.api(), l)
	return nil
}

// joinLocked makes u a member; chat.mu must be held.
func (g *Group) joinLocked(u *User, by apiUser, l *inviteLink) {
	old, neu := g.setStatus(u.api(), "member", AdminRights{})
	g.pushMemberUpdate("chat_member", by, old, neu, l)
	ua := u.api()
	g.serviceLocked(ua, "new_chat_members", &ua, "")
}

// Leave has u leave the group (chat_member update, if allowed, and a
// left_chat_member service message).
func (u *User) Leave(g *Group) {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if !isIn(g.status(u.ID)) {
		return
	}
	ua := u.api()
	old, neu := g.setStatus(ua, "left", AdminRights{})
	g.pushMemberUpdate("chat_member", ua, old, neu, nil)
	g.serviceLocked(ua, "left_chat_member", &ua, "")
}

// groupFor resolves chat_id to a group the bot can administer.
func (s *Server) groupFor(r *request) (*Group, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	if c.group == nil {
		return nil, errSupergroupOnly
	}
	return c.group, nil
}

// botIn checks that the bot is in g; chat.mu must be held.
func (g *Group) botIn() *apiError {
	if g.chat.deleted {
		return errChatNotFound
	}
	switch g.status(g.s.botID) {
	case "kicked":
		return g.errKicked()
	case "left":
		return g.errNotMember()
	}
	return nil
}

// errKicked and errNotMember are the 403s for a bot outside the group,
// worded for its kind (Client.cpp, check_chat).
func (g *Group) errKicked() *apiError {
	if g.basic {
		return errKickedGroup
	}
	return errKickedSupergroup
}

func (g *Group) errNotMember() *apiError {
	if g.basic {
		return errNotMemberGroup
	}
	return errNotMemberSupergrp
}

func (s *Server) setChatTitle(r *request) (any, *apiError) {
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	title := strings.TrimSpace(r.str("title"))
	if title == "" {
		return nil, errBadRequest("chat title is empty")
	}
	// Telegram cuts an over-long title to 128 characters rather than refuse it.
	title = strings.TrimSpace(truncateRunes(title, maxTitleLen))
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	if !g.botRight(func(r AdminRights) bool { return r.ChangeInfo }) {
		return nil, errBadRequest("not enough rights to change chat title")
	}
	if g.title == title {
		// Telegram answers true for the title the chat already has (TDLib
		// drops CHAT_NOT_MODIFIED for setChatTitle).
		return true, nil
	}
	g.title = title
	g.serviceLocked(s.botAPIUser(), "new_chat_title", nil, title)
	return true, nil
}

func (s *Server) setChatDescription(r *request) (any, *apiError) {
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	// Telegram cuts an over-long description to 255 characters.
	desc := truncateRunes(r.str("description"), maxDescriptionLen)
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	if !g.botRight(func(r AdminRights) bool { return r.ChangeInfo }) {
		return nil, errBadRequest("not enough rights to change chat description")
	}
	if g.description == desc {
		return nil, errBadRequest("chat description is not modified")
	}
	g.description = desc
	g.chat.touch()
	return true, nil
}

// linkParams applies name, expire_date, member_limit and
// creates_join_request to l.
func linkParams(r *request, l *inviteLink) *apiError {
	if r.has("name") {
		// Telegram cuts an over-long name to 32 characters.
		l.name = truncateRunes(r.str("name"), maxLinkNameLen)
	}
	if v, ok := r.integer("expire_date"); ok {
		l.expire = v
	}
	if v, ok := r.integer("member_limit"); ok {
		if v < 0 || v > 99999 {
			return errBadRequest("member limit must be between 1 and 99999")
		}
		l.limit = int(v)
	}
	if r.has("creates_join_request") {
		l.joinRequest = r.boolean("creates_join_request")
	}
	if l.joinRequest && l.limit > 0 {
		return errBadRequest("member limit can't be specified for links requiring administrator approval")
	}
	return nil
}

// inviteAdmin locks g after checking the bot may manage invite links; the
// caller must unlock g.chat.mu when aerr is nil.
func (s *Server) inviteAdmin(r *request) (*Group, *apiError) {
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	g.chat.mu.Lock()
	if aerr := g.botIn(); aerr != nil {
		g.chat.mu.Unlock()
		return nil, aerr
	}
	if !g.botRight(func(r AdminRights) bool { return r.InviteUsers }) {
		g.chat.mu.Unlock()
		return nil, errBadRequest("not enough rights to manage chat invite link")
	}
	return g, nil
}

func (s *Server) newLink(g *Group) *inviteLink {
	l := &inviteLink{url: "https://t.me/+" + randomString(16), group: g}
	s.mu.Lock()
	s.links[l.url] = l
	s.mu.Unlock()
	return l
}

func (s *Server) createChatInviteLink(r *request) (any, *apiError) {
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	l := &inviteLink{}
	if aerr := linkParams(r, l); aerr != nil {
		return nil, aerr
	}
	nl := s.newLink(g)
	l.url, l.group = nl.url, g
	*nl = *l
	return nl.api(s, 0), nil
}

func (s *Server) findLink(g *Group, url string) (*inviteLink, *apiError) {
	s.mu.RLock()
	l := s.links[url]
	s.mu.RUnlock()
	if l == nil || l.group != g {
		return nil, errBadRequest("INVITE_HASH_EXPIRED")
	}
	return l, nil
}

func (s *Server) editChatInviteLink(r *request) (any, *apiError) {
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	l, aerr := s.findLink(g, r.str("invite_link"))
	if aerr != nil {
		return nil, aerr
	}
	changed := *l
	if aerr := linkParams(r, &changed); aerr != nil {
		return nil, aerr
	}
	*l = changed
	return l.api(s, g.pendingVia(l)), nil
}

func (g *Group) pendingVia(l *inviteLink) int {
	n := 0
	for _, p := range g.pending {
		if p.link == l {
			n++
		}
	}
	return n
}

func (s *Server) revokeChatInviteLink(r *request) (any, *apiError) {
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	l, aerr := s.findLink(g, r.str("invite_link"))
	if aerr != nil {
		return nil, aerr
	}
	l.revoked = true
	if l.primary {
		g.primary = s.newLink(g)
		g.primary.primary = true
	}
	return l.api(s, 0), nil
}

func (s *Server) exportChatInviteLink(r *request) (any, *apiError) {
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	if g.primary != nil {
		g.primary.revoked = true
	}
	g.primary = s.newLink(g)
	g.primary.primary = true
	return g.primary.url, nil
}

func (s *Server) userParam(r *request) (*User, *apiError) {
	id, ok := r.integer("user_id")
	if !ok {
		return nil, errBadRequest("user_id is empty")
	}
	u, found := s.User(id)
	if !found {
		return nil, errUserNotFound
	}
	return u, nil
}

func (s *Server) approveChatJoinRequest(r *request) (any, *apiError) {
	u, aerr := s.userParam(r)
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	req := g.pending[u.ID]
	if req == nil {
		if isIn(g.status(u.ID)) {
			return nil, errBadRequest("USER_ALREADY_PARTICIPANT")
		}
		return nil, errHideRequesterMiss
	}
	delete(g.pending, u.ID)
	req.link.joined++
	g.joinLocked(u, s.botAPIUser(), req.link)
	return true, nil
}

func (s *Server) declineChatJoinRequest(r *request) (any, *apiError) {
	u, aerr := s.userParam(r)
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := s.inviteAdmin(r)
	if aerr != nil {
		return nil, aerr
	}
	defer g.chat.mu.Unlock()
	if g.pending[u.ID] == nil {
		return nil, errHideRequesterMiss
	}
	delete(g.pending, u.ID)
	g.chat.touch()
	return true, nil
}

func (s *Server) getChatMember(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	id, ok := r.integer("user_id")
	if !ok {
		return nil, errBadRequest("user_id is empty")
	}
	if id != s.botID {
		if _, found := s.User(id); !found {
			return nil, errUserNotFound
		}
	}
	if c.group == nil {
		if id == s.botID {
			return apiChatMember{User: s.botAPIUser(), Status: "member"}, nil
		}
		if id != c.id {
			return nil, errUserNotFound
		}
		return apiChatMember{User: c.user.api(), Status: "member"}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if aerr := c.group.botIn(); aerr != nil {
		return nil, aerr
	}
	return c.group.memberAPI(id), nil
}

func (s *Server) getChatAdministrators(r *request) (any, *apiError) {
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	out := []apiChatMember{}
	ids := append([]int64{s.botID}, g.order...)
	for _, id := range ids {
		if st := g.status(id); st == "creator" || st == "administrator" {
			out = append(out, memberJSON(g.members[id]))
		}
	}
	return out, nil
}

func (s *Server) getChatMemberCount(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	if c.group == nil {
		return 2, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.group.order)
	if isIn(c.group.status(s.botID)) {
		n++
	}
	return n, nil
}

func (s *Server) banChatMember(r *request) (any, *apiError) {
	u, aerr := s.userParam(r)
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	until, _ := r.integer("until_date")
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	if !g.botRight(func(r AdminRights) bool { return r.RestrictMembers }) {
		return nil, errBadRequest("not enough rights to restrict/unrestrict chat member")
	}
	switch g.status(u.ID) {
	case "creator":
		return nil, errBadRequest("can't remove chat owner")
	case "administrator":
		return nil, errBadRequest("user is an administrator of the chat")
	}
	wasIn := isIn(g.status(u.ID))
	if g.basic {
		// A basic group has no list of banned users: banning removes the
		// member, who may come back through an invite link (Bot API,
		// banChatMember: "In the case of supergroups and channels, the user
		// will not be able to return…").
		if !wasIn {
			return true, nil
		}
		old, neu := g.setStatus(u.api(), "left", AdminRights{})
		delete(g.pending, u.ID)
		g.pushMemberUpdate("chat_member", s.botAPIUser(), old, neu, nil)
		ua := u.api()
		g.serviceLocked(s.botAPIUser(), "left_chat_member", &ua, "")
		return true, nil
	}
	old, neu := g.setStatus(u.api(), "kicked", AdminRights{})
	g.members[u.ID].until = until
	neu.UntilDate = &until
	delete(g.pending, u.ID)
	g.pushMemberUpdate("chat_member", s.botAPIUser(), old, neu, nil)
	if wasIn {
		ua := u.api()
		g.serviceLocked(s.botAPIUser(), "left_chat_member", &ua, "")
	}
	return true, nil
}

// unbanChatMember is faithful to a Telegram quirk: without only_if_banned,
// unbanning someone who is in the group removes them from it.
func (s *Server) unbanChatMember(r *request) (any, *apiError) {
	u, aerr := s.userParam(r)
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := s.groupFor(r)
	if aerr != nil {
		return nil, aerr
	}
	if g.basic {
		return nil, errSupergroupOnly // Client.cpp, process_unban_chat_member_query
	}
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	if !g.botRight(func(r AdminRights) bool { return r.RestrictMembers }) {
		return nil, errBadRequest("not enough rights to restrict/unrestrict chat member")
	}
	st := g.status(u.ID)
	switch {
	case st == "creator":
		return nil, errBadRequest("can't remove chat owner")
	case st == "administrator":
		return nil, errBadRequest("user is an administrator of the chat")
	case st == "kicked", st == "member" && !r.boolean("only_if_banned"):
		old, neu := g.setStatus(u.api(), "left", AdminRights{})
		g.pushMemberUpdate("chat_member", s.botAPIUser(), old, neu, nil)
		if st == "member" {
			ua := u.api()
			g.serviceLocked(s.botAPIUser(), "left_chat_member", &ua, "")
		}
	}
	return true, nil
}

func (s *Server) leaveChat(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	if c.group == nil {
		return nil, errBadRequest("chat member status can't be changed in private chats")
	}
	g := c.group
	c.mu.Lock()
	defer c.mu.Unlock()
	if aerr := g.botIn(); aerr != nil {
		return nil, aerr
	}
	bot := s.botAPIUser()
	old, neu := g.setStatus(bot, "left", AdminRights{})
	g.pushMemberUpdate("my_chat_member", bot, old, neu, nil)
	c.add(&message{sender: bot, fromBot: true, date: s.now(), service: "left_chat_member", serviceUser: &bot})
	return true, nil
}

func (s *Server) getChat(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	info := apiChatFullInfo{apiChat: c.apiChat(), MaxReactionCount: 11}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		if c.msgs[i].pinned {
			info.PinnedMessage = c.apiMessage(c.msgs[i])
			break
		}
	}
	if g := c.group; g != nil {
		if aerr := g.botIn(); aerr != nil {
			return nil, aerr
		}
		info.Description = g.description
		if g.primary != nil {
			info.InviteLink = g.primary.url
		}
		info.Permissions = &apiPermissions{CanSendMessages: true, CanSendOtherMessages: true}
	}
	return info, nil
}

// String describes the group for test failures.
func (g *Group) String() string { return "group " + strconv.FormatInt(g.ID, 10) }

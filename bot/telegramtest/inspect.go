package telegramtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// This file lets a client other than a test — the sandbox's web page — look
// at the fake and act in it: list people and their chats, read messages with
// their formatting, wait for the bot without a testing.TB, and notice change.

// Entity is a formatting span of a message's text or caption (bold, italic,
// text_link, code, pre, …), with Offset and Length in UTF-16 code units as
// Telegram counts them.
type Entity struct {
	Type   string
	Offset int
	Length int
	// URL is the target of a text_link.
	URL string
}

// RichMessage is a Message with what a client needs to draw it.
type RichMessage struct {
	Message
	// Entities format Text, or Caption for a document or photo.
	Entities []Entity
	// FromName is the sender's first name.
	FromName string
	// SubjectID and SubjectName name who joined or left, for the service
	// messages new_chat_members and left_chat_member.
	SubjectID   int64
	SubjectName string
}

// ErrNoChat is returned for a chat id the server does not know.
var ErrNoChat = errors.New("telegramtest: no such chat")

// ChatLog returns every message of a chat (a user's private chat by the
// user's ID, or a group's), oldest first, with formatting.
func (s *Server) ChatLog(chatID int64) ([]RichMessage, error) {
	s.mu.RLock()
	c := s.chats[chatID]
	s.mu.RUnlock()
	if c == nil {
		return nil, ErrNoChat
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]RichMessage, len(c.msgs))
	for i, m := range c.msgs {
		rm := RichMessage{Message: m.snapshot(c.id), FromName: m.sender.FirstName}
		ents := m.entities
		if m.document != nil || m.photo != nil {
			ents = m.captionEntities
		}
		for _, e := range ents {
			rm.Entities = append(rm.Entities, Entity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL})
		}
		if m.serviceUser != nil {
			rm.SubjectID, rm.SubjectName = m.serviceUser.ID, m.serviceUser.FirstName
		}
		out[i] = rm
	}
	return out, nil
}

// Users returns every simulated user, in the order of their IDs.
func (s *Server) Users() []*User {
	s.mu.RLock()
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// RestoreUser recreates a user that existed in an earlier run of a server
// (the sandbox keeps its people across restarts while the fake keeps
// nothing): same ID, name and language. The user counts as having started
// the bot already. IDs given by NewUser afterwards are above every restored
// one. It fails if a user with that ID exists or the ID is not positive.
func (s *Server) RestoreUser(id int64, firstName, languageCode string) (*User, error) {
	if id <= 0 || id == s.botID {
		return nil, fmt.Errorf("telegramtest: restore user: bad id %d", id)
	}
	s.mu.Lock()
	if _, taken := s.users[id]; taken {
		s.mu.Unlock()
		return nil, fmt.Errorf("telegramtest: restore user: id %d is taken", id)
	}
	u := &User{ID: id, FirstName: firstName, LanguageCode: languageCode, s: s, started: true}
	u.seen.Store(true)
	u.chat = newChat(s, id, "private")
	u.chat.user = u
	s.users[id] = u
	s.chats[id] = u.chat
	if id > s.nextUserID {
		s.nextUserID = id
	}
	s.mu.Unlock()
	return u, nil
}

// GroupsOf returns the groups the user is in (as creator, administrator or
// member), oldest group first.
func (s *Server) GroupsOf(userID int64) []*Group {
	s.mu.RLock()
	all := make([]*Group, 0, len(s.groups))
	for _, g := range s.groups {
		all = append(all, g)
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *Group) int { return cmp.Compare(b.ID, a.ID) }) // -1001…01 first
	var out []*Group
	for _, g := range all {
		g.chat.mu.Lock()
		in := isIn(g.status(userID)) && !g.chat.deleted && g.migratedTo == nil
		g.chat.mu.Unlock()
		if in {
			out = append(out, g)
		}
	}
	return out
}

// ChangeMark returns a number that differs after any change a client could
// show: a message sent, edited or deleted in any chat, a user or group
// created, a join request made or settled. It is not ordered; compare it
// for equality only. It costs a pass over all chats.
func (s *Server) ChangeMark() uint64 {
	s.mu.RLock()
	chats := make([]*chat, 0, len(s.chats))
	for _, c := range s.chats {
		chats = append(chats, c)
	}
	s.mu.RUnlock()
	slices.SortFunc(chats, func(a, b *chat) int { return cmp.Compare(a.id, b.id) })
	h := fnv.New64a()
	var buf [8]byte
	put := func(v uint64) {
		for i := range buf {
			buf[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(buf[:])
	}
	for _, c := range chats {
		c.mu.Lock()
		put(uint64(c.id))
		put(c.seq)
		if c.group != nil {
			put(uint64(len(c.group.pending)))
		}
		c.mu.Unlock()
	}
	return h.Sum64()
}

// File returns an uploaded file by its file_id.
func (s *Server) File(fileID string) (*File, bool) {
	if strings.HasPrefix(fileID, "path:") {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.files[fileID]
	return f, ok
}

// PressInGroup sends a callback_query from u for message messageID of group
// g with the given callback data, as a tap on an inline button of a group
// message does. It returns the update_id (see User.AnswerFor), or an error
// if u is not in the group.
func (u *User) PressInGroup(g *Group, messageID int, data string) (int, error) {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if !isIn(g.status(u.ID)) || c.deleted {
		return 0, fmt.Errorf("telegramtest: %s (%d) is not a member of group %d", u.FirstName, u.ID, g.ID)
	}
	var msg any
	if _, m := c.find(messageID); m != nil {
		msg = c.apiMessage(m)
	} else {
		msg = apiInaccessibleMessage{Chat: c.apiChat(), MessageID: messageID, Date: 0}
	}
	u.seen.Store(true)
	return u.s.pushCallback(u, c, msg, data), nil
}

// IsMember reports whether u is in the group (creator, administrator or
// member).
func (g *Group) IsMember(userID int64) bool {
	g.chat.mu.Lock()
	defer g.chat.mu.Unlock()
	return isIn(g.status(userID)) && !g.chat.deleted
}

// Await waits until the bot has sent or edited, after u's last action, a
// message in u's private chat whose text or caption contains substr, and
// returns the oldest such message. It is Expect for code that is not a test:
// it returns an error when ctx ends first, or the server closes.
func (u *User) Await(ctx context.Context, substr string) (Message, error) {
	c := u.chat
	since := u.markSeq()
	var got Message
	ok := c.waitCtx(ctx, func() bool {
		for _, m := range c.msgs {
			if m.fromBot && m.changedSeq > since &&
				(strings.Contains(m.text, substr) || strings.Contains(m.caption, substr)) {
				got = m.snapshot(c.id)
				return true
			}
		}
		return false
	})
	if !ok {
		return Message{}, fmt.Errorf("telegramtest: %s awaits a message containing %q: %w", u.FirstName, substr, waitErr(ctx))
	}
	return got, nil
}

// PressButton taps the callback button with exactly that text on the newest
// message of u's private chat that shows one, waiting for it to appear. It
// is Press for code that is not a test: it returns an error when ctx ends
// first, or the server closes.
func (u *User) PressButton(ctx context.Context, text string) (int, error) {
	c := u.chat
	var id int
	var data string
	ok := c.waitCtx(ctx, func() bool {
		for i := len(c.msgs) - 1; i >= 0; i-- {
			for _, row := range c.msgs[i].keyboard {
				for _, b := range row {
					if b.Text == text && b.URL == "" {
						id, data = c.msgs[i].id, b.Data
						return true
					}
				}
			}
		}
		return false
	})
	if !ok {
		return 0, fmt.Errorf("telegramtest: %s presses %q: no such button: %w", u.FirstName, text, waitErr(ctx))
	}
	return u.PressData(id, data), nil
}

// waitCtx is waitFor bounded by a context instead of a timeout.
func (c *chat) waitCtx(ctx context.Context, pick func() bool) bool {
	for {
		c.mu.Lock()
		if pick() {
			c.mu.Unlock()
			return true
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-c.s.closed:
			return false
		}
	}
}

// waitErr says why a wait ended without what it waited for.
func waitErr(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return errServerClosed
}

var errServerClosed = errors.New("server closed")

// WithFirstUpdateID makes update ids start at id instead of 1. Telegram's
// update ids keep growing while a bot lives, and a bot remembers the recent
// ones to skip redeliveries; a fake that starts again against the same bot
// database (the sandbox) must not hand out ids that bot has seen.
func WithFirstUpdateID(id int) Option {
	return func(s *Server) {
		if id > 0 {
			s.updates.nextID = id - 1
		}
	}
}

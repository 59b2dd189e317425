package telegramtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"
)

// Message is a snapshot of one message in a chat, as a person would see it.
type Message struct {
	// ID is the message_id, unique within its chat.
	ID int
	// ChatID is the chat the message is in (a user's ID for private chats).
	ChatID int64
	// From is the sender's user ID (the bot's ID for the bot's messages).
	From int64
	// FromBot reports whether the bot sent the message.
	FromBot bool
	// Text is the visible text: HTML tags and MarkdownV2 markers are removed.
	Text string
	// Caption is the visible caption of a document or photo.
	Caption string
	// ParseMode is the parse_mode the bot used ("" when none).
	ParseMode string
	// Keyboard is the inline keyboard attached to the message, if any.
	Keyboard [][]Button
	// ReplyKeyboard holds the texts of a reply keyboard sent with the message.
	ReplyKeyboard [][]string
	// Document is the file of a document message.
	Document *File
	// Photo is the file of a photo message.
	Photo *File
	// Location is the location of a location message.
	Location *Location
	// Service names a service message ("new_chat_members",
	// "left_chat_member", "new_chat_title", "migrate_to_chat_id",
	// "migrate_from_chat_id"), "" for ordinary messages.
	Service string
	// MigrateToChatID and MigrateFromChatID are the ids a basic group's
	// upgrade service messages name (see Group.Upgrade).
	MigrateToChatID, MigrateFromChatID int64
	// Edited reports whether the message was edited.
	Edited bool
	// Pinned reports whether the message is pinned.
	Pinned bool
	// Date is when the message was sent.
	Date time.Time
	// Poll is the native poll the message holds (polls.go), nil if none.
	Poll *Poll
}

// Button is an inline keyboard button.
type Button struct {
	Text string
	// Data is the callback_data of a callback button, as sent (telebot's
	// "\f<unique>|<data>" prefix included).
	Data string
	// URL is the url of a URL button.
	URL string
}

// File is an uploaded document or photo.
type File struct {
	// Name is the file name given by the uploader.
	Name string
	// Data is the content.
	Data []byte
	// MIME is the MIME type (from the file name's extension, else the
	// uploader's Content-Type).
	MIME string
	// ID is the file_id Telegram gave it; resending by file_id works.
	ID string
}

// Location is a point on the map.
type Location struct {
	Lat, Lon float64
}

// message is the server's record of a message; guarded by its chat's mutex.
type message struct {
	id              int
	sender          apiUser
	fromBot         bool
	date, editDate  time.Time
	text            string
	entities        []apiEntity
	caption         string
	captionEntities []apiEntity
	parseMode       string
	markup          json.RawMessage // normalized inline keyboard, nil if none
	keyboard        [][]Button
	replyKeyboard   [][]string
	document        *File
	photo           *File
	location        *apiLocation
	pinned          bool
	service         string
	serviceUser     *apiUser
	newTitle        string
	migrateTo       int64
	migrateFrom     int64
	poll            *pollState // polls.go
	createdSeq      uint64
	changedSeq      uint64
}

func (m *message) snapshot(chatID int64) Message {
	out := Message{
		ID: m.id, ChatID: chatID, From: m.sender.ID, FromBot: m.fromBot,
		Text: m.text, Caption: m.caption, ParseMode: m.parseMode,
		Document: m.document, Photo: m.photo, Service: m.service,
		Edited: !m.editDate.IsZero(), Pinned: m.pinned, Date: m.date,
		MigrateToChatID: m.migrateTo, MigrateFromChatID: m.migrateFrom,
	}
	if m.service == "new_chat_title" {
		out.Text = m.newTitle
	}
	if m.poll != nil {
		out.Poll = m.poll.snapshot()
	}
	for _, row := range m.keyboard {
		out.Keyboard = append(out.Keyboard, append([]Button(nil), row...))
	}
	for _, row := range m.replyKeyboard {
		out.ReplyKeyboard = append(out.ReplyKeyboard, append([]string(nil), row...))
	}
	if m.location != nil {
		out.Location = &Location{Lat: m.location.Latitude, Lon: m.location.Longitude}
	}
	return out
}

// chat is a private chat or a group; its mutex guards its messages, the
// state of its User or Group, and its change counter.
type chat struct {
	s            *Server
	id           int64
	kind         string // "private", "group" or "supergroup"
	user         *User
	group        *Group
	chatInstance string

	mu      sync.Mutex
	nextID  int
	msgs    []*message
	seq     uint64        // incremented on every change
	changed chan struct{} // closed and replaced on every change
	deleted bool
}

func newChat(s *Server, id int64, kind string) *chat {
	return &chat{
		s: s, id: id, kind: kind, nextID: 1, changed: make(chan struct{}),
		chatInstance: fmt.Sprintf("%d", (id*7919+4093)&0x7fffffffffff),
	}
}

// touch records a change; c.mu must be held.
func (c *chat) touch() uint64 {
	c.seq++
	close(c.changed)
	c.changed = make(chan struct{})
	return c.seq
}

// add appends a new message and returns it; c.mu must be held.
func (c *chat) add(m *message) *message {
	m.id = c.nextID
	c.nextID++
	seq := c.touch()
	m.createdSeq, m.changedSeq = seq, seq
	c.msgs = append(c.msgs, m)
	return m
}

// find returns the message with that id; c.mu must be held.
func (c *chat) find(id int) (int, *message) {
	// Messages are appended in id order: binary search.
	lo, hi := 0, len(c.msgs)
	for lo < hi {
		mid := (lo + hi) / 2
		if c.msgs[mid].id < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(c.msgs) && c.msgs[lo].id == id {
		return lo, c.msgs[lo]
	}
	return -1, nil
}

// apiChat renders the chat; c.mu must be held (it guards a group's title).
func (c *chat) apiChat() apiChat {
	if c.kind == "private" {
		return apiChat{ID: c.id, Type: "private", FirstName: c.user.FirstName, Username: c.user.Username}
	}
	return apiChat{ID: c.id, Type: c.kind, Title: c.group.title}
}

// apiMessage renders m; c.mu must be held.
func (c *chat) apiMessage(m *message) *apiMessage {
	sender := m.sender
	out := &apiMessage{
		MessageID: m.id, From: &sender, Chat: c.apiChat(), Date: m.date.Unix(),
		Text: m.text, Entities: m.entities, Caption: m.caption, CaptionEntities: m.captionEntities,
		Location: m.location, ReplyMarkup: m.markup, NewChatTitle: m.newTitle,
		MigrateToChatID: m.migrateTo, MigrateFromChatID: m.migrateFrom,
	}
	if !m.editDate.IsZero() {
		out.EditDate = m.editDate.Unix()
	}
	if m.poll != nil {
		out.Poll = m.poll.api()
	}
	if m.document != nil {
		out.Document = &apiDocument{
			FileID: m.document.ID, FileUniqueID: uniqueID(m.document.ID),
			FileName: m.document.Name, MimeType: m.document.MIME, FileSize: len(m.document.Data),
		}
	}
	if m.photo != nil {
		w, h := imageSize(m.photo.Data)
		out.Photo = []apiPhotoSize{{
			FileID: m.photo.ID, FileUniqueID: uniqueID(m.photo.ID), Width: w, Height: h, FileSize: len(m.photo.Data),
		}}
	}
	if m.serviceUser != nil {
		switch m.service {
		case "new_chat_members":
			out.NewChatMembers = []apiUser{*m.serviceUser}
		case "left_chat_member":
			out.LeftChatMember = m.serviceUser
		}
	}
	return out
}

// snapshot returns all messages oldest first.
func (c *chat) snapshot() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Message, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.snapshot(c.id)
	}
	return out
}

// waitFor waits until pick finds what it wants among the chat's messages, or
// the timeout passes. pick runs with c.mu held.
func (c *chat) waitFor(timeout time.Duration, pick func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
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
		case <-deadline.C:
			c.mu.Lock()
			ok := pick()
			c.mu.Unlock()
			return ok
		case <-c.s.closed:
			return false
		}
	}
}

// render describes the last messages of the chat for failure messages.
func (c *chat) render(since uint64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	start := 0
	if len(c.msgs) > 12 {
		start = len(c.msgs) - 12
		fmt.Fprintf(&b, "  … %d older messages\n", start)
	}
	for _, m := range c.msgs[start:] {
		who := m.sender.FirstName
		if m.fromBot {
			who = "bot"
		}
		mark := " "
		if m.changedSeq > since {
			mark = "*"
		}
		text := m.text
		if m.caption != "" {
			text = m.caption
		}
		if m.document != nil {
			text = "[document " + m.document.Name + "] " + text
		}
		if m.photo != nil {
			text = "[photo " + m.photo.Name + "] " + text
		}
		if m.location != nil {
			text = fmt.Sprintf("[location %g,%g]", m.location.Latitude, m.location.Longitude)
		}
		if m.service != "" {
			text = "[" + m.service + "] " + text
		}
		edited := ""
		if !m.editDate.IsZero() {
			edited = " (edited)"
		}
		fmt.Fprintf(&b, " %s#%d %s: %q%s\n", mark, m.id, who, text, edited)
		for _, row := range m.keyboard {
			b.WriteString("      ")
			for _, btn := range row {
				fmt.Fprintf(&b, "[%s] ", btn.Text)
			}
			b.WriteString("\n")
		}
	}
	if len(c.msgs) == 0 {
		b.WriteString("  (no messages)\n")
	}
	b.WriteString("  (* = sent or edited after the last action)")
	return b.String()
}

// User is a simulated Telegram user. Create users with Server.NewUser; the
// exported fields must not be changed afterwards.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string

	s    *Server
	chat *chat // private chat with the bot

	// guarded by chat.mu
	started       bool // has written to the bot
	blocked       bool
	deactivated   bool
	mark          uint64    // chat.seq at the user's last action
	writableUntil time.Time // end of the 5 minutes a join request opens

	seen atomic.Bool // the bot has met the user in an update
}

// joinRequestWindow is how long the bot may write to someone who asked to
// join a group, through ChatJoinRequest.user_chat_id (Bot API: "The bot can
// use this identifier for 5 minutes to send messages until the join request
// is processed").
const joinRequestWindow = 5 * time.Minute

// see notes that the bot met these users in an update: from then on a
// message to one who never started the bot answers 403, not "chat not found".
func (s *Server) see(ids ...int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range ids {
		if u := s.users[id]; u != nil {
			u.seen.Store(true)
		}
	}
}

// NewUser creates a user with the next free ID (from 100001 up). The user has
// not started the bot yet: until they send it something (Send, Press...), the
// bot's messages to them get 403 "bot can't initiate conversation with a user".
func (s *Server) NewUser(firstName, languageCode string) *User {
	s.mu.Lock()
	s.nextUserID++
	id := s.nextUserID
	u := &User{ID: id, FirstName: firstName, LanguageCode: languageCode, s: s}
	u.chat = newChat(s, id, "private")
	u.chat.user = u
	s.users[id] = u
	s.chats[id] = u.chat
	s.mu.Unlock()
	return u
}

// User returns the user with that ID.
func (s *Server) User(id int64) (*User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok
}

func (u *User) api() apiUser {
	return apiUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode}
}

func (s *Server) botAPIUser() apiUser {
	return apiUser{ID: s.botID, IsBot: true, FirstName: s.botName, Username: s.botUsername}
}

// act posts a message from u into their private chat and queues the update.
func (u *User) act(m *message) int {
	c := u.chat
	m.sender = u.api()
	m.date = u.s.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	u.startLocked()
	c.add(m)
	u.mark = c.seq
	// Updates are queued with the chat locked so that they keep the order of
	// the messages in the chat.
	return u.s.updates.push("message", c.id, c.apiMessage(m))
}

// startLocked notes that u wrote to the bot; u.chat.mu must be held.
// Writing to a blocked bot first unblocks it, as "Restart" does in the apps.
func (u *User) startLocked() {
	if u.blocked {
		u.blocked = false
		u.s.queueMyChatMember(u.chat, u.api(), "kicked", "member")
	}
	u.started = true
	u.seen.Store(true)
}

// Send sends text from u to the bot in their private chat and returns the
// update_id (0 if the bot's allowed_updates exclude messages). Commands
// (/start, /help@multaque_bot) get bot_command entities as Telegram sets them.
func (u *User) Send(text string) int {
	return u.act(&message{text: text, entities: commandEntities(text)})
}

// ShareLocation sends a location message from u to the bot.
func (u *User) ShareLocation(lat, lon float64) int {
	return u.act(&message{location: &apiLocation{Latitude: lat, Longitude: lon}})
}

// Press taps the inline button with exactly that text on the newest message
// of u's private chat that has one, and returns the update_id of the
// callback_query. If no message shows such a button yet it waits for one
// (up to the wait timeout), then fails the test listing the buttons on screen.
func (u *User) Press(t testing.TB, buttonText string) int {
	t.Helper()
	c := u.chat
	var target *message
	var data string
	found := c.waitFor(u.s.waitTimeout, func() bool {
		for i := len(c.msgs) - 1; i >= 0; i-- {
			m := c.msgs[i]
			for _, row := range m.keyboard {
				for _, b := range row {
					if b.Text == buttonText && b.URL == "" {
						target, data = m, b.Data
						return true
					}
				}
			}
		}
		return false
	})
	if !found {
		t.Fatalf("%s presses %q: no message in the chat has a callback button with that text; chat shows:\n%s",
			u.FirstName, buttonText, c.render(u.markSeq()))
		return 0
	}
	return u.PressData(target.id, data)
}

// PressData sends a callback_query from u for message messageID in their
// private chat with the given callback data, whether or not such a button
// exists (to test stale or forged buttons). If the message does not exist the
// query carries an inaccessible message (date 0), as Telegram does.
func (u *User) PressData(messageID int, data string) int {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	u.startLocked()
	var msg any
	if _, m := c.find(messageID); m != nil {
		msg = c.apiMessage(m)
	} else {
		msg = apiInaccessibleMessage{Chat: c.apiChat(), MessageID: messageID, Date: 0}
	}
	u.mark = c.seq
	return u.s.pushCallback(u, c, msg, data)
}

// Block makes u block the bot: sending to u answers 403 "Forbidden: bot was
// blocked by the user", and the bot gets a my_chat_member update (member →
// kicked) as Telegram sends it.
func (u *User) Block() {
	u.chat.mu.Lock()
	defer u.chat.mu.Unlock()
	if !u.blocked {
		u.blocked = true
		u.s.queueMyChatMember(u.chat, u.api(), "member", "kicked")
	}
}

// Unblock undoes Block (with a my_chat_member update kicked → member).
func (u *User) Unblock() {
	u.chat.mu.Lock()
	defer u.chat.mu.Unlock()
	if u.blocked {
		u.blocked = false
		u.s.queueMyChatMember(u.chat, u.api(), "kicked", "member")
	}
}

// Deactivate deletes u's account: sending to u answers 403 "Forbidden: user
// is deactivated".
func (u *User) Deactivate() {
	u.chat.mu.Lock()
	u.deactivated = true
	u.chat.mu.Unlock()
}

// Messages returns u's private chat, oldest first (bot's and u's messages).
func (u *User) Messages() []Message { return u.chat.snapshot() }

// LastFromBot returns the newest message the bot sent in u's private chat.
func (u *User) LastFromBot() (Message, bool) {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.msgs) - 1; i >= 0; i-- {
		if c.msgs[i].fromBot {
			return c.msgs[i].snapshot(c.id), true
		}
	}
	return Message{}, false
}

func (u *User) markSeq() uint64 {
	u.chat.mu.Lock()
	defer u.chat.mu.Unlock()
	return u.mark
}

// Expect waits (up to the wait timeout) for a message from the bot in u's
// private chat, sent or edited after u's last action (Send, Press, ...), whose
// text or caption contains substr, and returns the oldest such message. It
// fails the test with what the chat shows if none comes.
func (u *User) Expect(t testing.TB, substr string) Message {
	t.Helper()
	m, ok := expectIn(u.chat, u.markSeq(), u.s.waitTimeout, substr)
	if !ok {
		t.Fatalf("%s expects a message from the bot containing %q within %v after their last action; chat shows:\n%s",
			u.FirstName, substr, u.s.waitTimeout, u.chat.render(u.markSeq()))
	}
	return m
}

func expectIn(c *chat, since uint64, timeout time.Duration, substr string) (Message, bool) {
	var got Message
	ok := c.waitFor(timeout, func() bool {
		for _, m := range c.msgs {
			if m.fromBot && m.changedSeq > since &&
				(strings.Contains(m.text, substr) || strings.Contains(m.caption, substr)) {
				got = m.snapshot(c.id)
				return true
			}
		}
		return false
	})
	return got, ok
}

// WaitBotMessages waits until the bot has sent at least n new messages in
// u's private chat since u's last action, and returns them oldest first.
func (u *User) WaitBotMessages(t testing.TB, n int) []Message {
	t.Helper()
	c := u.chat
	since := u.markSeq()
	var got []Message
	ok := c.waitFor(u.s.waitTimeout, func() bool {
		got = got[:0]
		for _, m := range c.msgs {
			if m.fromBot && m.createdSeq > since {
				got = append(got, m.snapshot(c.id))
			}
		}
		return len(got) >= n
	})
	if !ok {
		t.Fatalf("%s waits for %d new messages from the bot, got %d within %v; chat shows:\n%s",
			u.FirstName, n, len(got), u.s.waitTimeout, c.render(since))
	}
	return got
}

// AnswerFor returns the answerCallbackQuery the bot gave to the
// callback_query with that update_id.
func (u *User) AnswerFor(updateID int) (CallbackAnswer, bool) {
	return u.s.callbacks.answerFor(updateID)
}

// commandEntities marks /commands (optionally /command@bot) that start the
// text or follow whitespace, with offsets in UTF-16 code units.
func commandEntities(text string) []apiEntity {
	var out []apiEntity
	rs := []rune(text)
	off := 0 // UTF-16 offset of rs[i]
	for i := 0; i < len(rs); i++ {
		if rs[i] == '/' && (i == 0 || isSpace(rs[i-1])) {
			j := i + 1
			for j < len(rs) && j-i <= 64 && isCommandChar(rs[j]) {
				j++
			}
			if j > i+1 && j-i-1 <= 32 {
				if j < len(rs) && rs[j] == '@' {
					k := j + 1
					for k < len(rs) && isCommandChar(rs[k]) {
						k++
					}
					if k > j+1 {
						j = k
					}
				}
				if j == len(rs) || isSpace(rs[j]) {
					out = append(out, apiEntity{Type: "bot_command", Offset: off, Length: utf16Len(string(rs[i:j]))})
					for ; i < j; i++ {
						off += utf16.RuneLen(rs[i])
					}
					i--
					continue
				}
			}
		}
		off += utf16.RuneLen(rs[i])
	}
	return out
}

func isCommandChar(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }

// utf16Len counts UTF-16 code units, which is how Telegram measures text.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// WaitUntil waits (up to the wait timeout) until cond, given a snapshot of
// u's private chat, returns true, and returns that snapshot; otherwise it
// fails the test saying what was awaited. cond runs with the chat locked: it
// must not call methods of u.
func (u *User) WaitUntil(t testing.TB, what string, cond func([]Message) bool) []Message {
	t.Helper()
	c := u.chat
	var snap []Message
	ok := c.waitFor(u.s.waitTimeout, func() bool {
		snap = snap[:0]
		for _, m := range c.msgs {
			snap = append(snap, m.snapshot(c.id))
		}
		return cond(snap)
	})
	if !ok {
		t.Fatalf("%s waits until %s: not within %v; chat shows:\n%s", u.FirstName, what, u.s.waitTimeout, c.render(u.markSeq()))
	}
	return snap
}

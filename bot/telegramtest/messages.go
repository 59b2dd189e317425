package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif" // photo dimensions
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// Text and caption limits count Unicode code points after entity
	// parsing ("1-4096 characters after entities parsing", Bot API
	// sendMessage): Telegram takes 4,096 emoji, 8,192 UTF-16 units.
	maxTextLen     = 4096
	maxCaptionLen  = 1024
	maxCallbackLen = 64 // bytes
	callbackMaxAge = 15 * time.Minute

	// Telegram cuts these to length in code points instead of refusing
	// them (tdlib/td cleans titles and names with clean_name(str,
	// max_length); the Bot API reference gives the lengths).
	maxTitleLen       = 128
	maxDescriptionLen = 255
	maxLinkNameLen    = 32

	// Inline keyboard limits. The Bot API reference gives none; Telegram
	// answers "reply markup is too long" (REPLY_MARKUP_TOO_LONG, worded in
	// Client.cpp) past about 100 buttons, 8 buttons in a row, or about 10 KB
	// of markup, as observed and recorded by the tginfo/Telegram-Limits
	// project (issues 187 and 228) and bot library maintainers.
	maxInlineButtons      = 100
	maxInlineButtonsInRow = 8
	maxMarkupBytes        = 10 << 10
	maxReplyButtons       = 300
	maxReplyButtonsInRow  = 12
)

// runeLen counts Unicode code points, as Telegram measures text limits.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// truncateRunes cuts s to at most n code points.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// resolveChat finds the chat named by chat_id.
func (s *Server) resolveChat(r *request) (*chat, *apiError) {
	raw := r.str("chat_id")
	if raw == "" {
		return nil, errChatIDEmpty
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, errChatNotFound // @username: the fake's chats have none
	}
	s.mu.RLock()
	c := s.chats[id]
	s.mu.RUnlock()
	if c == nil {
		return nil, errChatNotFound
	}
	c.mu.Lock()
	gone := c.deleted
	migrated := c.migratedErr(r.method)
	c.mu.Unlock()
	if gone {
		return nil, errChatNotFound
	}
	if migrated != nil {
		return nil, migrated
	}
	return c, nil
}

// canWriteLocked checks that the bot may post in c; c.mu must be held.
func (c *chat) canWriteLocked() *apiError {
	if c.deleted {
		return errChatNotFound
	}
	if c.kind == "private" {
		u := c.user
		switch {
		case u.deactivated:
			return errDeactivated
		case u.blocked:
			return errBlocked
		case u.started, c.s.now().Before(u.writableUntil):
			return nil
		case !u.seen.Load():
			// A user the bot never met has no access hash on Telegram's
			// side: "chat not found", not a 403 (Client.cpp, check_chat).
			return errChatNotFound
		}
		return errNotStarted
	}
	switch c.group.status(c.s.botID) {
	case "kicked":
		return c.group.errKicked()
	case "administrator", "member", "creator":
		return nil
	}
	return c.group.errNotMember()
}

// messageParams reads the message id of an edit, delete or pin.
func messageID(r *request) (int, *apiError) {
	if r.has("inline_message_id") {
		return 0, errMessageIDInvalid // inline messages are not faked
	}
	id, ok := r.integer("message_id")
	if !ok {
		return 0, errBadRequest("message identifier is not specified")
	}
	return int(id), nil
}

// post adds a message from the bot to c, enforcing access and rate limits.
func (s *Server) post(c *chat, m *message, r *request) (any, *apiError) {
	m.sender = s.botAPIUser()
	m.fromBot = true
	m.date = s.now()
	c.mu.Lock()
	if aerr := c.canWriteLocked(); aerr != nil {
		c.mu.Unlock()
		return nil, aerr
	}
	if reply, ok := r.integer("reply_to_message_id"); ok && !r.boolean("allow_sending_without_reply") {
		if _, target := c.find(int(reply)); target == nil {
			c.mu.Unlock()
			return nil, errBadRequest("message to be replied not found")
		}
	}
	if aerr := s.limiter.admit(c, time.Now(), &s.stats); aerr != nil {
		c.mu.Unlock()
		return nil, aerr
	}
	c.add(m)
	am := c.apiMessage(m)
	c.mu.Unlock()
	s.stats.sent.Add(1)
	return am, nil
}

func (s *Server) sendMessage(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	text, ents, aerr := parseText(r.str("text"), r.str("parse_mode"), r.str("entities"))
	if aerr != nil {
		return nil, aerr
	}
	if text == "" {
		return nil, errTextEmpty
	}
	if runeLen(text) > maxTextLen {
		return nil, errTooLong
	}
	mk, aerr := parseMarkup(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	m := &message{text: text, entities: ents, parseMode: r.str("parse_mode")}
	mk.apply(m)
	return s.post(c, m, r)
}

func (s *Server) sendLocation(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	lat, err1 := strconv.ParseFloat(r.str("latitude"), 64)
	lon, err2 := strconv.ParseFloat(r.str("longitude"), 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, errBadRequest("wrong location")
	}
	mk, aerr := parseMarkup(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	m := &message{location: &apiLocation{Latitude: lat, Longitude: lon}}
	mk.apply(m)
	return s.post(c, m, r)
}

func (s *Server) sendDocument(r *request) (any, *apiError) { return s.sendMedia(r, "document") }

func (s *Server) sendPhoto(r *request) (any, *apiError) { return s.sendMedia(r, "photo") }

func (s *Server) sendMedia(r *request, field string) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	f := r.files[field]
	if f == nil {
		ref := r.str(field)
		if ref == "" {
			return nil, errBadRequest("there is no " + field + " in the request")
		}
		if strings.HasPrefix(ref, "attach://") {
			f = r.files[strings.TrimPrefix(ref, "attach://")]
		} else {
			s.mu.RLock()
			f = s.files[ref]
			s.mu.RUnlock()
		}
		if f == nil {
			return nil, errBadRequest("wrong file identifier/HTTP URL specified")
		}
	} else {
		if len(f.Data) == 0 {
			return nil, errBadRequest("file must be non-empty")
		}
		if field == "photo" {
			if _, _, err := image.DecodeConfig(bytes.NewReader(f.Data)); err != nil {
				return nil, errBadRequest("IMAGE_PROCESS_FAILED")
			}
		}
		if t := mime.TypeByExtension(path.Ext(f.Name)); t != "" {
			f.MIME = t
		}
		if t, _, err := mime.ParseMediaType(f.MIME); err == nil {
			f.MIME = t
		} else {
			f.MIME = "application/octet-stream"
		}
		if field == "photo" {
			f.MIME = "image/jpeg" // Telegram re-encodes photos
		}
		s.storeFile(f, field)
	}
	caption, ents, aerr := parseText(r.str("caption"), r.str("parse_mode"), r.str("caption_entities"))
	if aerr != nil {
		return nil, aerr
	}
	if runeLen(caption) > maxCaptionLen {
		return nil, errCaptionTooLong
	}
	mk, aerr := parseMarkup(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	m := &message{caption: caption, captionEntities: ents, parseMode: r.str("parse_mode")}
	if field == "photo" {
		m.photo = f
	} else {
		m.document = f
	}
	mk.apply(m)
	return s.post(c, m, r)
}

// storeFile gives f a file_id and keeps it for getFile and resending.
func (s *Server) storeFile(f *File, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	prefix := "BQACAgQAAxkDAAI"
	if kind == "photo" {
		prefix = "AgACAgQAAxkDAAI"
	}
	f.ID = fmt.Sprintf("%s%06d%s", prefix, s.nextFile, randomString(20))
	s.files[f.ID] = f
	s.files["path:"+filePath(f, kind, s.nextFile)] = f
}

func filePath(f *File, kind string, n int64) string {
	dir := "documents"
	if kind == "photo" {
		dir = "photos"
	}
	ext := path.Ext(f.Name)
	if kind == "photo" {
		ext = ".jpg"
	}
	return fmt.Sprintf("%s/file_%d%s", dir, n, ext)
}

func uniqueID(fileID string) string {
	if len(fileID) > 21 {
		return "AgAD" + fileID[15:21]
	}
	return "AgAD" + fileID
}

func imageSize(data []byte) (int, int) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}

func (s *Server) getFile(r *request) (any, *apiError) {
	id := r.str("file_id")
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := s.files[id]
	if f == nil {
		return nil, errBadRequest("invalid file_id")
	}
	for k, v := range s.files {
		if v == f && strings.HasPrefix(k, "path:") {
			return apiFile{FileID: f.ID, FileUniqueID: uniqueID(f.ID), FileSize: len(f.Data), FilePath: strings.TrimPrefix(k, "path:")}, nil
		}
	}
	return nil, errBadRequest("invalid file_id")
}

// serveFile answers /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, p, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	s.mu.RLock()
	f := s.files["path:"+p]
	s.mu.RUnlock()
	if f == nil {
		writeError(w, errNotFound)
		return
	}
	w.Header().Set("Content-Type", f.MIME)
	_, _ = w.Write(f.Data)
}

func (s *Server) editMessageText(r *request) (any, *apiError) {
	text, ents, aerr := parseText(r.str("text"), r.str("parse_mode"), r.str("entities"))
	if aerr != nil {
		return nil, aerr
	}
	if text == "" {
		return nil, errTextEmpty
	}
	if runeLen(text) > maxTextLen {
		return nil, errTooLong
	}
	return s.edit(r, func(m *message, mk markup) *apiError {
		if m.text == "" {
			return errNoTextToEdit
		}
		if m.text == text && slices.Equal(m.entities, ents) && bytes.Equal(m.markup, mk.inline) {
			return errNotModified
		}
		m.text, m.entities, m.parseMode = text, ents, r.str("parse_mode")
		mk.apply(m)
		return nil
	})
}

func (s *Server) editMessageCaption(r *request) (any, *apiError) {
	caption, ents, aerr := parseText(r.str("caption"), r.str("parse_mode"), r.str("caption_entities"))
	if aerr != nil {
		return nil, aerr
	}
	if runeLen(caption) > maxCaptionLen {
		return nil, errCaptionTooLong
	}
	return s.edit(r, func(m *message, mk markup) *apiError {
		if m.document == nil && m.photo == nil {
			return errBadRequest("there is no caption in the message to edit")
		}
		if m.caption == caption && slices.Equal(m.captionEntities, ents) && bytes.Equal(m.markup, mk.inline) {
			return errNotModified
		}
		m.caption, m.captionEntities, m.parseMode = caption, ents, r.str("parse_mode")
		mk.apply(m)
		return nil
	})
}

func (s *Server) editMessageReplyMarkup(r *request) (any, *apiError) {
	return s.edit(r, func(m *message, mk markup) *apiError {
		if bytes.Equal(m.markup, mk.inline) {
			return errNotModified
		}
		mk.apply(m)
		return nil
	})
}

// edit applies change to the bot's message named by chat_id and message_id.
// Like Telegram, an edit without reply_markup removes the inline keyboard.
func (s *Server) edit(r *request, change func(*message, markup) *apiError) (any, *apiError) {
	id, aerr := messageID(r)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	if len(mk.replyKeyboard) > 0 {
		return nil, errBadRequest("inline keyboard expected")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kind == "private" && (c.user.blocked || c.user.deactivated) {
		return nil, c.canWriteLocked()
	}
	_, m := c.find(id)
	if m == nil {
		return nil, errEditNotFound
	}
	if !m.fromBot || m.service != "" {
		return nil, errCantEdit
	}
	before := *m
	if aerr := change(m, mk); aerr != nil {
		*m = before
		return nil, aerr
	}
	if aerr := s.limiter.admit(c, time.Now(), &s.stats); aerr != nil {
		*m = before
		return nil, aerr
	}
	m.editDate = s.now()
	m.changedSeq = c.touch()
	s.stats.edited.Add(1)
	return c.apiMessage(m), nil
}

func (s *Server) deleteMessage(r *request) (any, *apiError) {
	id, aerr := messageID(r)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, m := c.find(id)
	if m == nil {
		return nil, errDeleteNotFound
	}
	if c.kind != "private" && !m.fromBot && !c.group.botRight(func(r AdminRights) bool { return r.DeleteMessages }) {
		return nil, errBadRequest("message can't be deleted")
	}
	c.msgs = slices.Delete(c.msgs, i, i+1)
	c.touch()
	return true, nil
}

func (s *Server) pinChatMessage(r *request) (any, *apiError) {
	id, aerr := messageID(r)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if aerr := c.canWriteLocked(); aerr != nil {
		return nil, aerr
	}
	if c.kind != "private" && !c.group.botRight(func(r AdminRights) bool { return r.PinMessages }) {
		return nil, errBadRequest("not enough rights to manage pinned messages in the chat")
	}
	_, m := c.find(id)
	if m == nil {
		return nil, errBadRequest("message to pin not found")
	}
	m.pinned = true
	m.changedSeq = c.touch()
	return true, nil
}

func (s *Server) unpinChatMessage(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	id, hasID := r.integer("message_id")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kind != "private" && !c.group.botRight(func(r AdminRights) bool { return r.PinMessages }) {
		return nil, errBadRequest("not enough rights to manage pinned messages in the chat")
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if m.pinned && (!hasID || m.id == int(id)) {
			m.pinned = false
			m.changedSeq = c.touch()
			return true, nil
		}
	}
	return nil, errBadRequest("message to unpin not found")
}

// markup is a parsed reply_markup.
type markup struct {
	inline        json.RawMessage // normalized inline keyboard; nil if none
	keyboard      [][]Button
	replyKeyboard [][]string
}

func (mk markup) apply(m *message) {
	m.markup, m.keyboard = mk.inline, mk.keyboard
	if mk.replyKeyboard != nil {
		m.replyKeyboard = mk.replyKeyboard
	}
}

// parseMarkup validates reply_markup as Telegram does and normalizes inline
// keyboards the way Telegram echoes them back.
func parseMarkup(raw string) (markup, *apiError) {
	var mk markup
	if raw == "" {
		return mk, nil
	}
	var rm apiReplyMarkup
	if err := json.Unmarshal([]byte(raw), &rm); err != nil {
		return mk, errCantParseKeyboard
	}
	if len(rm.InlineKeyboard) > 0 {
		norm := make([][]apiInlineButton, 0, len(rm.InlineKeyboard))
		buttons := 0
		for _, row := range rm.InlineKeyboard {
			buttons += len(row)
			if len(row) > maxInlineButtonsInRow || buttons > maxInlineButtons {
				return mk, errMarkupTooLong
			}
			var nrow []apiInlineButton
			var brow []Button
			for _, b := range row {
				nb := apiInlineButton{Text: b.Text}
				kinds := 0
				if b.CallbackData != nil {
					if n := len(*b.CallbackData); n == 0 || n > maxCallbackLen {
						return mk, errButtonData
					}
					nb.CallbackData = b.CallbackData
					kinds++
				}
				if b.URL != "" {
					u, err := url.Parse(b.URL)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tg") {
						return mk, errBadRequest("BUTTON_URL_INVALID")
					}
					nb.URL = b.URL
					kinds++
				}
				for _, other := range []json.RawMessage{b.WebApp, b.LoginURL, b.CopyText} {
					if len(other) > 0 {
						kinds++
					}
				}
				nb.WebApp, nb.LoginURL, nb.CopyText, nb.Pay = b.WebApp, b.LoginURL, b.CopyText, b.Pay
				if b.Pay {
					kinds++
				}
				if b.SwitchInlineQuery != nil {
					nb.SwitchInlineQuery = b.SwitchInlineQuery
					kinds++
				}
				// telebot always sends switch_inline_query_current_chat, empty
				// when unused; Telegram then ignores it.
				if b.SwitchInlineQueryCurrentChat != nil && (kinds == 0 || *b.SwitchInlineQueryCurrentChat != "") {
					nb.SwitchInlineQueryCurrentChat = b.SwitchInlineQueryCurrentChat
					kinds++
				}
				if kinds == 0 {
					return mk, errTextButtonsInline
				}
				if b.Text == "" {
					return mk, errBadRequest("text buttons are unallowed in the inline keyboard")
				}
				nrow = append(nrow, nb)
				btn := Button{Text: b.Text, URL: b.URL}
				if b.CallbackData != nil {
					btn.Data = *b.CallbackData
				}
				brow = append(brow, btn)
			}
			norm = append(norm, nrow)
			mk.keyboard = append(mk.keyboard, brow)
		}
		mk.inline, _ = json.Marshal(struct {
			InlineKeyboard [][]apiInlineButton `json:"inline_keyboard"`
		}{norm})
		// Measured on the keyboard as Telegram echoes it, without the empty
		// fields some clients send.
		if len(mk.inline) > maxMarkupBytes {
			return mk, errMarkupTooLong
		}
	}
	replyButtons := 0
	for _, row := range rm.Keyboard {
		replyButtons += len(row)
		if len(row) > maxReplyButtonsInRow || replyButtons > maxReplyButtons {
			return mk, errMarkupTooLong
		}
		var texts []string
		for _, b := range row {
			var text string
			if json.Unmarshal(b, &text) != nil {
				var rb apiReplyButton
				if json.Unmarshal(b, &rb) != nil {
					return mk, errCantParseKeyboard
				}
				text = rb.Text
			}
			texts = append(texts, text)
		}
		mk.replyKeyboard = append(mk.replyKeyboard, texts)
	}
	if rm.RemoveKeyboard {
		mk.replyKeyboard = [][]string{}
	}
	return mk, nil
}

// CallbackAnswer is what the bot answered to a callback query.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
	At        time.Time
}

type callbackQuery struct {
	id       string
	created  time.Time
	updateID int
	answered bool
	answer   CallbackAnswer
}

type callbackStore struct {
	mu       sync.Mutex
	next     uint64
	byID     map[string]*callbackQuery
	byUpdate map[int]*callbackQuery
}

func (cs *callbackStore) init() {
	cs.byID = make(map[string]*callbackQuery)
	cs.byUpdate = make(map[int]*callbackQuery)
	cs.next = 4382199051937000000
}

func (cs *callbackStore) answerFor(updateID int) (CallbackAnswer, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	q := cs.byUpdate[updateID]
	if q == nil || !q.answered {
		return CallbackAnswer{}, false
	}
	return q.answer, true
}

// pushCallback queues a callback_query from u about msg; c.mu is held.
func (s *Server) pushCallback(u *User, c *chat, msg any, data string) int {
	cs := &s.callbacks
	cs.mu.Lock()
	cs.next += 7919
	q := &callbackQuery{id: strconv.FormatUint(cs.next, 10), created: s.now()}
	cs.byID[q.id] = q
	cs.mu.Unlock()
	id := s.updates.push("callback_query", c.id, apiCallbackQuery{
		ID: q.id, From: u.api(), Message: msg, ChatInstance: c.chatInstance, Data: data,
	})
	cs.mu.Lock()
	q.updateID = id
	if id != 0 {
		cs.byUpdate[id] = q
	}
	cs.mu.Unlock()
	return id
}

func (s *Server) answerCallbackQuery(r *request) (any, *apiError) {
	text := r.str("text")
	if utf16Len(text) > 200 {
		return nil, errBadRequest("MESSAGE_TOO_LONG")
	}
	cache, _ := r.integer("cache_time")
	cs := &s.callbacks
	cs.mu.Lock()
	defer cs.mu.Unlock()
	q := cs.byID[r.str("callback_query_id")]
	now := s.now()
	if q == nil || q.answered || now.Sub(q.created) > callbackMaxAge {
		return nil, errQueryTooOld
	}
	q.answered = true
	q.answer = CallbackAnswer{Text: text, ShowAlert: r.boolean("show_alert"), URL: r.str("url"), CacheTime: int(cache), At: now}
	return true, nil
}

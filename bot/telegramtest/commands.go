package telegramtest

import (
	"encoding/json"
	"sync"

	tele "gopkg.in/telebot.v3"
)

type commandScope struct {
	Type   string `json:"type"`
	ChatID int64  `json:"chat_id,omitempty"`
	UserID int64  `json:"user_id,omitempty"`
}

type commandKey struct {
	scope commandScope
	lang  string
}

type typeKey struct{ scopeType, lang string }

type commandStore struct {
	mu           sync.Mutex
	byScope      map[commandKey][]tele.Command
	lastByType   map[typeKey][]tele.Command
	descriptions map[string]string // language → description
	short        map[string]string
	menuButtons  map[int64]string // chat id (0: default) → raw JSON
}

func (cs *commandStore) init() {
	cs.byScope = make(map[commandKey][]tele.Command)
	cs.lastByType = make(map[typeKey][]tele.Command)
	cs.descriptions = make(map[string]string)
	cs.short = make(map[string]string)
	cs.menuButtons = make(map[int64]string)
}

var scopeTypes = map[string]bool{
	"default": true, "all_private_chats": true, "all_group_chats": true,
	"all_chat_administrators": true, "chat": true, "chat_administrators": true, "chat_member": true,
}

func commandParams(r *request) (commandKey, *apiError) {
	k := commandKey{scope: commandScope{Type: "default"}, lang: r.str("language_code")}
	if raw := r.str("scope"); raw != "" {
		if json.Unmarshal([]byte(raw), &k.scope) != nil || !scopeTypes[k.scope.Type] {
			return k, errBadRequest("can't parse BotCommandScope JSON object")
		}
	}
	if !validLanguage(k.lang) {
		return k, errBadRequest("invalid language code specified")
	}
	return k, nil
}

// validLanguage: a two-letter ISO 639-1 code in lower case, or none (Bot
// API, setMyCommands.language_code).
func validLanguage(code string) bool {
	return code == "" || len(code) == 2 && code[0] >= 'a' && code[0] <= 'z' && code[1] >= 'a' && code[1] <= 'z'
}

// scopeChat checks that a scope naming a chat names one the bot knows:
// Telegram answers 400 "chat not found" otherwise (Client.cpp,
// check_bot_command_scope runs check_chat on scope.chat_id for
// setMyCommands, getMyCommands and deleteMyCommands).
func (s *Server) scopeChat(k commandKey) *apiError {
	if k.scope.ChatID == 0 {
		return nil
	}
	s.mu.RLock()
	c := s.chats[k.scope.ChatID]
	s.mu.RUnlock()
	if c == nil {
		return errChatNotFound
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		return errChatNotFound
	}
	if aerr := c.migratedErr("setMyCommands"); aerr != nil {
		return aerr
	}
	if c.kind == "private" && !c.user.started && !c.user.seen.Load() {
		return errChatNotFound
	}
	return nil
}

func (s *Server) setMyCommands(r *request) (any, *apiError) {
	k, aerr := commandParams(r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.scopeChat(k); aerr != nil {
		return nil, aerr
	}
	var cmds []tele.Command
	if raw := r.str("commands"); raw != "" {
		if json.Unmarshal([]byte(raw), &cmds) != nil {
			return nil, errBadRequest("can't parse commands JSON object")
		}
	}
	if len(cmds) > 100 {
		return nil, errBadRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !validCommand(c.Text) {
			return nil, errBadRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(c.Description); n == 0 || n > 256 {
			return nil, errBadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cmds) == 0 {
		delete(cs.byScope, k)
		delete(cs.lastByType, typeKey{k.scope.Type, k.lang})
	} else {
		cs.byScope[k] = cmds
		cs.lastByType[typeKey{k.scope.Type, k.lang}] = cmds
	}
	return true, nil
}

func validCommand(c string) bool {
	if len(c) == 0 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Server) getMyCommands(r *request) (any, *apiError) {
	k, aerr := commandParams(r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.scopeChat(k); aerr != nil {
		return nil, aerr
	}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cmds := cs.byScope[k]
	if cmds == nil {
		cmds = []tele.Command{}
	}
	return cmds, nil
}

func (s *Server) deleteMyCommands(r *request) (any, *apiError) {
	k, aerr := commandParams(r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.scopeChat(k); aerr != nil {
		return nil, aerr
	}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.byScope, k)
	delete(cs.lastByType, typeKey{k.scope.Type, k.lang})
	return true, nil
}

// Command is an entry of a command menu, as the bot published it.
type Command = tele.Command

// Commands returns the commands last set with setMyCommands for that scope
// type ("default", "all_private_chats", "chat", ...) and language_code (""
// for none), or nil. For scopes naming a chat, see CommandsFor.
func (s *Server) Commands(scopeType, languageCode string) []tele.Command {
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]tele.Command(nil), cs.lastByType[typeKey{scopeType, languageCode}]...)
}

// CommandsFor returns the commands set for exactly that scope and language.
func (s *Server) CommandsFor(scope tele.CommandScope, languageCode string) []tele.Command {
	k := commandKey{scope: commandScope{Type: string(scope.Type), ChatID: scope.ChatID, UserID: scope.UserID}, lang: languageCode}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]tele.Command(nil), cs.byScope[k]...)
}

// Menu returns the commands the user with that id sees in their private
// chat with the bot when their app is in languageCode, as Telegram chooses
// them: the first list set of the chat with that language, the chat, all
// private chats with that language, all private chats, the default with
// that language, the default.
func (s *Server) Menu(userID int64, languageCode string) []tele.Command {
	if len(languageCode) > 2 {
		languageCode = languageCode[:2] // "es-419" looks up "es"
	}
	chat := commandScope{Type: "chat", ChatID: userID}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, scope := range []commandScope{chat, {Type: "all_private_chats"}, {Type: "default"}} {
		for _, lang := range []string{languageCode, ""} {
			if cmds, ok := cs.byScope[commandKey{scope, lang}]; ok {
				return append([]tele.Command(nil), cmds...)
			}
		}
	}
	return nil
}

func (s *Server) setMyDescription(r *request) (any, *apiError) {
	return s.setText(r, "description", 512, s.commands.descriptions)
}

func (s *Server) setMyShortDescription(r *request) (any, *apiError) {
	return s.setText(r, "short_description", 120, s.commands.short)
}

func (s *Server) setText(r *request, field string, maxLen int, into map[string]string) (any, *apiError) {
	text := r.str(field)
	if utf16Len(text) > maxLen {
		return nil, errBadRequest(field + " is too long")
	}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if text == "" {
		delete(into, r.str("language_code"))
	} else {
		into[r.str("language_code")] = text
	}
	return true, nil
}

func (s *Server) getMyDescription(r *request) (any, *apiError) {
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return map[string]string{"description": cs.descriptions[r.str("language_code")]}, nil
}

func (s *Server) getMyShortDescription(r *request) (any, *apiError) {
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return map[string]string{"short_description": cs.short[r.str("language_code")]}, nil
}

// Description returns the bot description set for languageCode ("" for the
// default one).
func (s *Server) Description(languageCode string) string {
	s.commands.mu.Lock()
	defer s.commands.mu.Unlock()
	return s.commands.descriptions[languageCode]
}

// ShortDescription returns the short description set for languageCode.
func (s *Server) ShortDescription(languageCode string) string {
	s.commands.mu.Lock()
	defer s.commands.mu.Unlock()
	return s.commands.short[languageCode]
}

func (s *Server) setChatMenuButton(r *request) (any, *apiError) {
	var chatID int64
	if r.has("chat_id") {
		c, aerr := s.resolveChat(r)
		if aerr != nil {
			return nil, aerr
		}
		chatID = c.id
	}
	button := r.str("menu_button")
	if button == "" {
		button = `{"type":"default"}`
	}
	var probe struct {
		Type string `json:"type"`
	}
	if json.Unmarshal([]byte(button), &probe) != nil || probe.Type == "" {
		return nil, errBadRequest("can't parse menu button JSON object")
	}
	s.commands.mu.Lock()
	defer s.commands.mu.Unlock()
	s.commands.menuButtons[chatID] = button
	return true, nil
}

func (s *Server) getChatMenuButton(r *request) (any, *apiError) {
	var chatID int64
	if r.has("chat_id") {
		c, aerr := s.resolveChat(r)
		if aerr != nil {
			return nil, aerr
		}
		chatID = c.id
	}
	s.commands.mu.Lock()
	defer s.commands.mu.Unlock()
	b, ok := s.commands.menuButtons[chatID]
	if !ok {
		b, ok = s.commands.menuButtons[0]
	}
	if !ok {
		b = `{"type":"commands"}`
	}
	return json.RawMessage(b), nil
}

package sandboxweb

// What the page shows: the people, their chats and each chat's messages,
// as JSON for the page's script (GET /api/view).

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/multaque/multaque/bot/telegramtest"
)

// viewJSON is everything the page shows at once.
type viewJSON struct {
	Mark        string        `json:"mark"`
	Bot         botJSON       `json:"bot"`
	People      []personJSON  `json:"people"`
	Actions     []actionJSON  `json:"actions"`
	PageActions []actionJSON  `json:"page_actions"`
	Chats       []chatJSON    `json:"chats"`
	Chat        *chatJSON     `json:"chat,omitempty"`
	Messages    []messageJSON `json:"messages"`
	Commands    []commandJSON `json:"commands"`
}

type botJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

type actionJSON struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

type commandJSON struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

type chatJSON struct {
	ID          int64    `json:"id"`
	Kind        string   `json:"kind"` // "private" or "group"
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
	Preview     string   `json:"preview"`
}

type buttonJSON struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

type fileJSON struct {
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int    `json:"size"`
	URL  string `json:"url"`
}

type messageJSON struct {
	ID       int                    `json:"id"`
	From     string                 `json:"from"` // "bot", "me" or "other"
	FromName string                 `json:"from_name"`
	HTML     string                 `json:"html,omitempty"`
	Service  string                 `json:"service,omitempty"` // a sentence for a service message
	Keyboard [][]buttonJSON         `json:"keyboard,omitempty"`
	Reply    [][]string             `json:"reply_keyboard,omitempty"`
	Document *fileJSON              `json:"document,omitempty"`
	Photo    *fileJSON              `json:"photo,omitempty"`
	Location *telegramtest.Location `json:"location,omitempty"`
	Poll     *pollJSON              `json:"poll,omitempty"` // polls.go
	Edited   bool                   `json:"edited,omitempty"`
	Pinned   bool                   `json:"pinned,omitempty"`
	Time     string                 `json:"time"`
}

// view answers GET /api/view?person=ID&chat=ID&mark=M: the people, the
// person's chats and the open chat's messages, or 204 No Content when
// nothing changed since the page got mark.
func (h *handler) view(w http.ResponseWriter, r *http.Request) {
	mark := strconv.FormatUint(h.srv.ChangeMark(), 16)
	if r.URL.Query().Get("mark") == mark {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	bot := h.srv.BotUser()
	v := viewJSON{Mark: mark, Bot: botJSON{ID: bot.ID, Name: bot.FirstName, Username: bot.Username},
		People: []personJSON{}, Actions: []actionJSON{}, PageActions: []actionJSON{}, Chats: []chatJSON{}, Messages: []messageJSON{}, Commands: []commandJSON{}}
	for _, u := range h.srv.Users() {
		v.People = append(v.People, personOf(u))
	}
	for _, a := range h.actions {
		v.Actions = append(v.Actions, actionJSON{ID: a.ID, Label: a.Label})
	}
	for _, a := range h.pageActions {
		v.PageActions = append(v.PageActions, actionJSON{ID: a.ID, Label: a.Label})
	}
	id, _ := strconv.ParseInt(r.URL.Query().Get("person"), 10, 64)
	u, ok := h.srv.User(id)
	if !ok {
		reply(w, v)
		return
	}
	for _, c := range commandsFor(h.srv, u) {
		v.Commands = append(v.Commands, commandJSON{Command: "/" + c.Text, Description: c.Description})
	}
	open, _ := strconv.ParseInt(r.URL.Query().Get("chat"), 10, 64)
	private := chatJSON{ID: u.ID, Kind: "private", Title: bot.FirstName}
	msgs, _ := h.srv.ChatLog(u.ID)
	private.Preview = preview(msgs)
	v.Chats = append(v.Chats, private)
	if open == u.ID {
		v.Chat = &v.Chats[0]
		v.Messages = h.messages(u, msgs)
	}
	for _, g := range h.srv.GroupsOf(u.ID) {
		msgs, _ := h.srv.ChatLog(g.ID)
		c := chatJSON{ID: g.ID, Kind: "group", Title: g.Title(), Preview: preview(msgs)}
		if g.ID == open {
			c.Description = g.Description()
			for _, m := range g.Members() {
				if mu, ok := h.srv.User(m); ok {
					c.Members = append(c.Members, mu.FirstName)
				}
			}
			v.Messages = h.messages(u, msgs)
		}
		v.Chats = append(v.Chats, c)
		if g.ID == open {
			v.Chat = &v.Chats[len(v.Chats)-1]
		}
	}
	reply(w, v)
}

func preview(msgs []telegramtest.RichMessage) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		switch {
		case m.Service != "":
			continue
		case m.Text != "":
			return firstLine(m.Text)
		case m.Document != nil:
			return "📄 " + m.Document.Name
		case m.Photo != nil:
			return "🖼 Photo"
		case m.Location != nil:
			return "📍 Location"
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

func (h *handler) messages(u *telegramtest.User, msgs []telegramtest.RichMessage) []messageJSON {
	if len(msgs) > maxShown {
		msgs = msgs[len(msgs)-maxShown:]
	}
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		j := messageJSON{ID: m.ID, FromName: m.FromName, Edited: m.Edited, Pinned: m.Pinned, Time: m.Date.Format("15:04"), Reply: m.ReplyKeyboard}
		switch {
		case m.FromBot:
			j.From = "bot"
		case m.From == u.ID:
			j.From = "me"
		default:
			j.From = "other"
		}
		if m.Service != "" {
			j.Service = serviceText(m)
			out = append(out, j)
			continue
		}
		if m.Text != "" {
			j.HTML = formatHTML(m.Text, m.Entities)
		} else if m.Caption != "" {
			j.HTML = formatHTML(m.Caption, m.Entities)
		}
		for _, row := range m.Keyboard {
			var jr []buttonJSON
			for _, b := range row {
				jr = append(jr, buttonJSON(b))
			}
			j.Keyboard = append(j.Keyboard, jr)
		}
		if f := m.Document; f != nil {
			j.Document = &fileJSON{Name: f.Name, MIME: f.MIME, Size: len(f.Data), URL: "/api/files/" + url.PathEscape(f.ID)}
		}
		if f := m.Photo; f != nil {
			j.Photo = &fileJSON{Name: f.Name, MIME: f.MIME, Size: len(f.Data), URL: "/api/files/" + url.PathEscape(f.ID)}
		}
		j.Location = m.Location
		j.Poll = pollOf(m.Poll, u)
		out = append(out, j)
	}
	return out
}

func serviceText(m telegramtest.RichMessage) string {
	switch m.Service {
	case "new_chat_members":
		if m.SubjectID == m.From || m.SubjectName == "" {
			return m.SubjectName + " joined the group"
		}
		return m.FromName + " added " + m.SubjectName
	case "left_chat_member":
		if m.SubjectID == m.From {
			return m.SubjectName + " left the group"
		}
		return m.FromName + " removed " + m.SubjectName
	case "new_chat_title":
		return m.FromName + " changed the group name to “" + m.Text + "”"
	}
	return m.Service
}

// commandsFor returns the command menu Telegram would show u in their chat
// with the bot: the most specific scope and language the bot set.
func commandsFor(srv *telegramtest.Server, u *telegramtest.User) []tele.Command {
	chat := tele.CommandScope{Type: tele.CommandScopeChat, ChatID: u.ID}
	private := tele.CommandScope{Type: tele.CommandScopeAllPrivateChats}
	def := tele.CommandScope{Type: tele.CommandScopeDefault}
	for _, scope := range []tele.CommandScope{chat, private, def} {
		for _, lang := range []string{u.LanguageCode, ""} {
			if cmds := srv.CommandsFor(scope, lang); len(cmds) > 0 {
				return cmds
			}
		}
	}
	return nil
}

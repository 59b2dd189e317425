package sandboxweb

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/multaque/multaque/bot/telegramtest"
)

// opened is what following a link did, for the page to show.
type opened struct {
	// Kind is "start" (a deep link: /start sent to the bot), "chat" (the
	// bot's chat opened), "join_request" (an invite link that asks the
	// admins), "joined" (an invite link that let the person in), "group" (a
	// startgroup link: a new group with the bot in it) or "external" (any
	// other link, for the browser to open).
	Kind string `json:"kind"`
	// Chat is the chat to show next, 0 to stay.
	Chat int64 `json:"chat,omitempty"`
	// URL is the link, for "external".
	URL string `json:"url,omitempty"`
	// Note is a sentence for the person.
	Note string `json:"note,omitempty"`
}

var startPayload = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// adminRights maps the admin parameter of a startgroup link to the rights
// the bot asks for.
var adminRights = map[string]func(*telegramtest.AdminRights){
	"invite_users":     func(r *telegramtest.AdminRights) { r.InviteUsers = true },
	"restrict_members": func(r *telegramtest.AdminRights) { r.RestrictMembers = true },
	"pin_messages":     func(r *telegramtest.AdminRights) { r.PinMessages = true },
	"change_info":      func(r *telegramtest.AdminRights) { r.ChangeInfo = true },
	"delete_messages":  func(r *telegramtest.AdminRights) { r.DeleteMessages = true },
}

// open follows a link as the Telegram app does when the person taps it.
func (h *handler) open(u *telegramtest.User, raw string) (opened, error) {
	raw = strings.TrimSpace(raw)
	link := raw
	if strings.HasPrefix(link, "t.me/") {
		link = "https://" + link
	}
	p, err := url.Parse(link)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return opened{}, errors.New("not a link")
	}
	if p.Host != "t.me" && p.Host != "telegram.me" {
		return opened{Kind: "external", URL: link}, nil
	}
	path := strings.Trim(p.Path, "/")
	switch {
	case strings.HasPrefix(path, "+") || strings.HasPrefix(path, "joinchat/"):
		return h.join(u, "https://t.me/"+path)
	case !strings.EqualFold(path, h.srv.BotUser().Username):
		return opened{Kind: "external", URL: link}, nil
	}
	q := p.Query()
	switch {
	case q.Has("startgroup"):
		return h.startGroup(u, q.Get("startgroup"), q.Get("admin"))
	case q.Has("start"):
		payload := q.Get("start")
		if !startPayload.MatchString(payload) {
			return opened{}, errors.New("the start parameter may hold only letters, digits, _ and -, at most 64")
		}
		text := "/start"
		if payload != "" {
			text += " " + payload
		}
		u.Send(text)
		return opened{Kind: "start", Chat: u.ID}, nil
	}
	return opened{Kind: "chat", Chat: u.ID}, nil
}

func (h *handler) join(u *telegramtest.User, link string) (opened, error) {
	before := h.srv.GroupsOf(u.ID)
	switch err := u.OpenInviteLink(link); {
	case errors.Is(err, telegramtest.ErrAlreadyMember):
		for _, g := range h.srv.GroupsOf(u.ID) {
			return opened{Kind: "joined", Chat: g.ID, Note: "You are already in this group."}, nil
		}
		return opened{}, err
	case err != nil:
		return opened{}, fmt.Errorf("this invite link does not work: %w", err)
	}
	for _, g := range h.srv.GroupsOf(u.ID) {
		if !containsGroup(before, g) {
			return opened{Kind: "joined", Chat: g.ID, Note: "You joined " + g.Title() + "."}, nil
		}
	}
	return opened{Kind: "join_request", Note: "Request to join sent: the group's admins will decide."}, nil
}

func containsGroup(gs []*telegramtest.Group, g *telegramtest.Group) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// startGroup does what a startgroup link does in the apps: the person
// picks a group (here: a new one they own), the bot is added with the
// rights asked for, and "/start@bot <payload>" is posted in the group.
func (h *handler) startGroup(u *telegramtest.User, payload, admin string) (opened, error) {
	if !startPayload.MatchString(payload) {
		return opened{}, errors.New("the startgroup parameter may hold only letters, digits, _ and -, at most 64")
	}
	var rights telegramtest.AdminRights
	for _, r := range strings.FieldsFunc(admin, func(c rune) bool { return c == '+' || c == ' ' || c == ',' }) {
		if set, ok := adminRights[r]; ok {
			set(&rights)
		}
	}
	g := h.newGroup(u, "", rights)
	text := "/start@" + h.srv.BotUser().Username
	if payload != "" {
		text += " " + payload
	}
	u.SendToGroup(g, text)
	return opened{Kind: "group", Chat: g.ID, Note: "New group " + g.Title() + " with the bot in it."}, nil
}

// newGroup creates a supergroup owned by u and adds the bot to it.
func (h *handler) newGroup(u *telegramtest.User, title string, rights telegramtest.AdminRights) *telegramtest.Group {
	if title == "" {
		h.mu.Lock()
		h.groups++
		title = fmt.Sprintf("%s's group %d", u.FirstName, h.groups)
		h.mu.Unlock()
	}
	g := h.srv.NewSupergroup(title, u)
	g.AddBot(u, rights)
	return g
}

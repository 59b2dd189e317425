package telegramtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func chatID(id int64) []string { return []string{strconv.FormatInt(id, 10)} }

// updateReader reads updates with getUpdates, confirming each batch.
type updateReader struct {
	t    *testing.T
	srv  *telegramtest.Server
	next int
}

func (r *updateReader) read(allowed string) []map[string]json.RawMessage {
	r.t.Helper()
	params := url.Values{"timeout": {"0"}, "offset": {strconv.Itoa(r.next)}}
	if allowed != "" {
		params.Set("allowed_updates", allowed)
	}
	ups := rawUpdates(r.t, r.srv, params)
	for _, u := range ups {
		var id int
		_ = json.Unmarshal(u["update_id"], &id)
		r.next = id + 1
	}
	return ups
}

// serviceMessages returns the messages among ups that carry field.
func withField(ups []map[string]json.RawMessage, field string) []map[string]json.RawMessage {
	var out []map[string]json.RawMessage
	for _, u := range ups {
		var m map[string]json.RawMessage
		if json.Unmarshal(u["message"], &m) == nil && m[field] != nil {
			out = append(out, m)
		}
	}
	return out
}

func chatOf(t *testing.T, m map[string]json.RawMessage) (int64, string) {
	t.Helper()
	var c struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(m["chat"], &c); err != nil {
		t.Fatalf("chat: %v", err)
	}
	return c.ID, c.Type
}

// TestBasicGroupUpgrade follows a basic group through its upgrade to a
// supergroup as Telegram performs it. Sources: Bot API reference
// (Message.migrate_to_chat_id / migrate_from_chat_id; Chat ids of basic
// groups have no -100 prefix) and tdlib/telegram-bot-api Client.cpp
// (check_chat: a write to an upgraded basic group answers 400 "Bad Request:
// group chat was upgraded to a supergroup chat" with
// parameters.migrate_to_chat_id; getChat needs read access only and still
// answers).
func TestBasicGroupUpgrade(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewBasicGroup("Pool", owner)
	if !g.IsBasic() || g.ID >= 0 || g.ID <= -1000000000000 {
		t.Fatalf("basic group id %d, IsBasic %v: want a negative id without -100", g.ID, g.IsBasic())
	}
	g.AddBot(owner, telegramtest.BotAdminRights)
	rd := &updateReader{t: t, srv: srv}
	rd.read("")

	status, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID), "creates_join_request": {"true"}})
	if status != http.StatusOK {
		t.Fatalf("createChatInviteLink in a basic group: %d %s", status, a.Description)
	}
	var link struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(a.Result, &link)
	if status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(g.ID), "text": {"hola"}}); status != http.StatusOK {
		t.Fatalf("sendMessage to the basic group: %d %s", status, a.Description)
	}

	sg := g.Upgrade(owner)
	if sg.ID > -1000000000000 || sg.IsBasic() || sg.Title() != "Pool" {
		t.Fatalf("supergroup %d basic=%v title %q, want a -100… supergroup titled Pool", sg.ID, sg.IsBasic(), sg.Title())
	}
	if to, ok := g.MigratedTo(); !ok || to != sg {
		t.Fatalf("MigratedTo = %v %v, want the new supergroup", to, ok)
	}
	ups := rd.read("")
	to, from := withField(ups, "migrate_to_chat_id"), withField(ups, "migrate_from_chat_id")
	if len(to) != 1 || len(from) != 1 {
		t.Fatalf("updates %s: want one migrate_to_chat_id and one migrate_from_chat_id message", kinds(ups))
	}
	var toID, fromID int64
	_ = json.Unmarshal(to[0]["migrate_to_chat_id"], &toID)
	_ = json.Unmarshal(from[0]["migrate_from_chat_id"], &fromID)
	if id, typ := chatOf(t, to[0]); id != g.ID || typ != "group" || toID != sg.ID {
		t.Fatalf("migrate_to message in chat %d (%s) names %d, want chat %d (group) naming %d", id, typ, toID, g.ID, sg.ID)
	}
	if id, typ := chatOf(t, from[0]); id != sg.ID || typ != "supergroup" || fromID != g.ID {
		t.Fatalf("migrate_from message in chat %d (%s) names %d, want chat %d (supergroup) naming %d", id, typ, fromID, sg.ID, g.ID)
	}

	// Writes to the old id are refused with the new id.
	for _, call := range []struct {
		method string
		params url.Values
	}{
		{"sendMessage", url.Values{"chat_id": chatID(g.ID), "text": {"hola"}}},
		{"setChatTitle", url.Values{"chat_id": chatID(g.ID), "title": {"Other"}}},
		{"getChatMember", url.Values{"chat_id": chatID(g.ID), "user_id": chatID(owner.ID)}},
		{"createChatInviteLink", url.Values{"chat_id": chatID(g.ID)}},
	} {
		status, a := rawCall(t, srv, call.method, call.params)
		if status != 400 || a.Description != "Bad Request: group chat was upgraded to a supergroup chat" || a.Parameters.MigrateToChatID != sg.ID {
			t.Errorf("%s on the old id: %d %q migrate_to_chat_id=%d, want 400 upgraded with %d",
				call.method, status, a.Description, a.Parameters.MigrateToChatID, sg.ID)
		}
	}
	var gerr tele.GroupError
	if _, err := b.Send(&tele.Chat{ID: g.ID}, "hola"); !errors.As(err, &gerr) || gerr.MigratedTo != sg.ID {
		t.Fatalf("telebot Send to the old id: err = %#v, want GroupError{MigratedTo: %d}", err, sg.ID)
	}
	// Reads still work.
	status, a = rawCall(t, srv, "getChat", url.Values{"chat_id": chatID(g.ID)})
	var info struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(a.Result, &info)
	if status != http.StatusOK || info.Type != "group" {
		t.Fatalf("getChat on the old id: %d %s type %q, want 200 group", status, a.Description, info.Type)
	}

	// The supergroup keeps members, rights and invite links.
	if sg.Status(owner.ID) != "creator" || sg.Status(telegramtest.DefaultBotID) != "administrator" {
		t.Fatalf("supergroup statuses: owner %s, bot %s", sg.Status(owner.ID), sg.Status(telegramtest.DefaultBotID))
	}
	if status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(sg.ID), "text": {"hola"}}); status != http.StatusOK {
		t.Fatalf("sendMessage to the supergroup: %d %s", status, a.Description)
	}
	applicant := srv.NewUser("Pau", "ca")
	if err := applicant.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatalf("link made before the upgrade: %v", err)
	}
	reqs := 0
	for _, u := range rd.read("") {
		if raw := u["chat_join_request"]; raw != nil {
			var jr map[string]json.RawMessage
			_ = json.Unmarshal(raw, &jr)
			if id, _ := chatOf(t, jr); id != sg.ID {
				t.Fatalf("join request through the old link names chat %d, want the supergroup %d", id, sg.ID)
			}
			reqs++
		}
	}
	if reqs != 1 || len(sg.PendingRequests()) != 1 {
		t.Fatalf("%d join requests, %v pending in the supergroup; want 1", reqs, sg.PendingRequests())
	}
	if gs := srv.GroupsOf(owner.ID); len(gs) != 1 || gs[0] != sg {
		t.Fatalf("GroupsOf(owner) = %v, want only the supergroup", gs)
	}
}

// TestBasicGroupDifferences: in a basic group unbanChatMember answers 400
// "method is available for supergroup and channel chats only" (Client.cpp,
// process_unban_chat_member_query), banning only removes the member, who may
// come back (Bot API, banChatMember: only in supergroups and channels can the
// user not return), and the 403s speak of "the group chat" (Client.cpp,
// check_chat).
func TestBasicGroupDifferences(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewBasicGroup("Pool", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	_, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID)})
	var link struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(a.Result, &link)
	member := srv.NewUser("Pau", "ca")
	if err := member.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatal(err)
	}
	status, a := rawCall(t, srv, "unbanChatMember", url.Values{"chat_id": chatID(g.ID), "user_id": chatID(member.ID), "only_if_banned": {"true"}})
	if status != 400 || a.Description != "Bad Request: method is available for supergroup and channel chats only" {
		t.Fatalf("unbanChatMember in a basic group: %d %q", status, a.Description)
	}
	if status, a := rawCall(t, srv, "banChatMember", url.Values{"chat_id": chatID(g.ID), "user_id": chatID(member.ID)}); status != http.StatusOK {
		t.Fatalf("banChatMember in a basic group: %d %s", status, a.Description)
	}
	if st := g.Status(member.ID); st != "left" {
		t.Fatalf("status after a ban in a basic group = %s, want left", st)
	}
	if err := member.OpenInviteLink(link.InviteLink); err != nil || !g.IsMember(member.ID) {
		t.Fatalf("coming back after a ban in a basic group: %v, member %v", err, g.IsMember(member.ID))
	}
	g.RemoveBot(owner)
	status, a = rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(g.ID), "text": {"hola"}})
	if status != 403 || a.Description != "Forbidden: bot was kicked from the group chat" {
		t.Fatalf("sendMessage after removal: %d %q, want 403 bot was kicked from the group chat", status, a.Description)
	}
}

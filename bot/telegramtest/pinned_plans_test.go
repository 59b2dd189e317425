package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
)

// What a team's pinned plan needs of Telegram, as Telegram does it: a
// message edited in a group stays pinned and can be pinned after an edit;
// editMessageReplyMarkup and editMessageText work on the bot's group
// messages, answer "message is not modified" for the same content and
// "message to edit not found" once it is deleted; a tap on a button of a
// group message is a callback query naming the group's message, answered
// once; and edits count against the group's 20 messages a minute.
func TestPinnedPlanInAGroup(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Carme", "ca")
	member := srv.NewUser("Anna", "ca")
	g := srv.NewSupergroup("Equip", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	_, link := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID)})
	var l struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(link.Result, &l)
	if err := member.OpenInviteLink(l.InviteLink); err != nil || !g.IsMember(member.ID) {
		t.Fatalf("Anna joins: %v", err)
	}

	call := func(method string, v url.Values) (int, apiAnswer) {
		t.Helper()
		v.Set("chat_id", strconv.FormatInt(g.ID, 10))
		return rawCall(t, srv, method, v)
	}
	kb := func(label string) string {
		b, _ := json.Marshal(map[string]any{"inline_keyboard": [][]map[string]string{{{"text": label, "callback_data": "ptick|0|1"}}}})
		return string(b)
	}
	status, a := call("sendMessage", url.Values{"text": {"Pla"}, "reply_markup": {kb("⬜ 1")}})
	if status != http.StatusOK {
		t.Fatalf("sendMessage: %d %s", status, a.Description)
	}
	var sent struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(a.Result, &sent)
	id := strconv.Itoa(sent.MessageID)

	// Edited first, then pinned; edited again, still pinned.
	if status, a := call("editMessageText", url.Values{"message_id": {id}, "text": {"Pla v2"}, "reply_markup": {kb("⬜ 1")}}); status != http.StatusOK {
		t.Fatalf("editMessageText in a group: %d %s", status, a.Description)
	}
	if status, a := call("pinChatMessage", url.Values{"message_id": {id}, "disable_notification": {"true"}}); status != http.StatusOK {
		t.Fatalf("pinChatMessage on an edited message: %d %s", status, a.Description)
	}
	if status, a := call("editMessageReplyMarkup", url.Values{"message_id": {id}, "reply_markup": {kb("✅ 1")}}); status != http.StatusOK {
		t.Fatalf("editMessageReplyMarkup in a group: %d %s", status, a.Description)
	}
	if status, a := call("editMessageReplyMarkup", url.Values{"message_id": {id}, "reply_markup": {kb("✅ 1")}}); status != 400 || !strings.Contains(a.Description, "message is not modified") {
		t.Errorf("the same markup again: %d %q, want 400 message is not modified", status, a.Description)
	}
	m := findMessage(t, g, sent.MessageID)
	if !m.Pinned || m.Text != "Pla v2" || m.Keyboard[0][0].Text != "✅ 1" {
		t.Errorf("message %+v, want it pinned with the edited text and keyboard", m)
	}

	// A member's tap is a callback query for the group's message.
	up, err := member.PressInGroup(g, sent.MessageID, "ptick|0|1")
	if err != nil {
		t.Fatal(err)
	}
	ups := rawUpdates(t, srv, url.Values{"allowed_updates": {`["callback_query"]`}})
	var cq struct {
		ID      string `json:"id"`
		From    struct{ ID int64 }
		Data    string `json:"data"`
		Message struct {
			MessageID int `json:"message_id"`
			Chat      struct{ ID int64 }
		} `json:"message"`
	}
	found := false
	for _, u := range ups {
		if raw, ok := u["callback_query"]; ok {
			_ = json.Unmarshal(raw, &cq)
			found = true
		}
	}
	if !found || cq.From.ID != member.ID || cq.Data != "ptick|0|1" || cq.Message.Chat.ID != g.ID || cq.Message.MessageID != sent.MessageID {
		t.Fatalf("callback query %+v (found %v), want Anna's tap on the group's message", cq, found)
	}
	if status, a := rawCall(t, srv, "answerCallbackQuery", url.Values{"callback_query_id": {cq.ID}, "text": {"✅"}}); status != http.StatusOK {
		t.Fatalf("answerCallbackQuery: %d %s", status, a.Description)
	}
	if ans, ok := member.AnswerFor(up); !ok || ans.Text != "✅" {
		t.Errorf("AnswerFor=%+v %v, want the toast", ans, ok)
	}
	if status, _ := rawCall(t, srv, "answerCallbackQuery", url.Values{"callback_query_id": {cq.ID}}); status != 400 {
		t.Errorf("a second answer to one query: %d, want 400", status)
	}

	// Deleted: edits are refused, as Telegram refuses them.
	if status, a := call("deleteMessage", url.Values{"message_id": {id}}); status != http.StatusOK {
		t.Fatalf("deleteMessage: %d %s", status, a.Description)
	}
	if status, a := call("editMessageText", url.Values{"message_id": {id}, "text": {"Pla v3"}}); status != 400 || !strings.Contains(a.Description, "message to edit not found") {
		t.Errorf("edit of a deleted message: %d %q, want 400 message to edit not found", status, a.Description)
	}
}

// Edits count against a group's 20 messages a minute, as sends do.
func TestGroupEditsCountAgainstTheMinute(t *testing.T) {
	srv := newServer(t)
	srv.SetLimits(telegramtest.Limits{PerGroupPerMinute: 20})
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Equip", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(g.ID), "text": {"v0"}})
	if status != http.StatusOK {
		t.Fatal(a.Description)
	}
	var sent struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(a.Result, &sent)
	for i := 1; i < 20; i++ {
		status, a := rawCall(t, srv, "editMessageText", url.Values{"chat_id": chatID(g.ID), "message_id": {strconv.Itoa(sent.MessageID)}, "text": {"v" + strconv.Itoa(i)}})
		if status != http.StatusOK {
			t.Fatalf("edit %d: %d %s", i, status, a.Description)
		}
	}
	status, a = rawCall(t, srv, "editMessageText", url.Values{"chat_id": chatID(g.ID), "message_id": {strconv.Itoa(sent.MessageID)}, "text": {"v20"}})
	if status != http.StatusTooManyRequests || a.Parameters.RetryAfter < 1 {
		t.Errorf("the 21st message of the minute: %d %+v, want 429 with retry_after", status, a)
	}
}

func findMessage(t *testing.T, g *telegramtest.Group, id int) telegramtest.Message {
	t.Helper()
	for _, m := range g.Messages() {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no message %d in %s", id, g)
	return telegramtest.Message{}
}

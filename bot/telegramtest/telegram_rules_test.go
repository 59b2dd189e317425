package telegramtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

// keyboard builds an inline keyboard of rows × perRow callback buttons with
// label as text.
func keyboard(rows, perRow int, label string) string {
	var kb [][]map[string]string
	n := 0
	for range rows {
		var row []map[string]string
		for range perRow {
			n++
			row = append(row, map[string]string{"text": label, "callback_data": "b" + strconv.Itoa(n)})
		}
		kb = append(kb, row)
	}
	b, _ := json.Marshal(map[string]any{"inline_keyboard": kb})
	return string(b)
}

// TestKeyboardLimits: the Bot API reference states no keyboard limits, but
// Telegram answers 400 "Bad Request: reply markup is too long" (the wording
// Client.cpp gives REPLY_MARKUP_TOO_LONG) for an inline keyboard of more than
// 100 buttons, more than 8 buttons in a row, or more than about 10 KB, as
// recorded by the tginfo/Telegram-Limits project (issues 187 and 228).
func TestKeyboardLimits(t *testing.T) {
	srv := newServer(t)
	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	send := func(markup string) (int, string) {
		status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(u.ID), "text": {"Tria"}, "reply_markup": {markup}})
		return status, a.Description
	}
	for _, tc := range []struct {
		name   string
		markup string
		ok     bool
	}{
		{"8 in a row", keyboard(1, 8, "x"), true},
		{"9 in a row", keyboard(1, 9, "x"), false},
		{"100 buttons", keyboard(25, 4, "x"), true},
		{"101 buttons", keyboard(101, 1, "x"), false},
		{"about 10 KB in 50 buttons", keyboard(50, 1, strings.Repeat("é", 100)), false},
		{"300 reply buttons, 12 in a row", `{"keyboard":[` + strings.Repeat(`["a","a","a","a","a","a","a","a","a","a","a","a"],`, 24) + `["a","a","a","a","a","a","a","a","a","a","a","a"]]}`, true},
		{"13 reply buttons in a row", `{"keyboard":[["a","a","a","a","a","a","a","a","a","a","a","a","a"]]}`, false},
	} {
		status, desc := send(tc.markup)
		if tc.ok && status != http.StatusOK {
			t.Errorf("%s: %d %s, want it accepted", tc.name, status, desc)
		}
		if !tc.ok && (status != 400 || desc != "Bad Request: reply markup is too long") {
			t.Errorf("%s: %d %q, want 400 reply markup is too long", tc.name, status, desc)
		}
	}
	// Edits are held to the same limits.
	status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(u.ID), "text": {"Tria"}})
	if status != http.StatusOK {
		t.Fatal(a.Description)
	}
	var m struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(a.Result, &m)
	status, a = rawCall(t, srv, "editMessageReplyMarkup", url.Values{"chat_id": chatID(u.ID),
		"message_id": {strconv.Itoa(m.MessageID)}, "reply_markup": {keyboard(13, 8, "x")}})
	if status != 400 || a.Description != "Bad Request: reply markup is too long" {
		t.Fatalf("edit to 104 buttons: %d %q, want reply markup is too long", status, a.Description)
	}
}

// TestMemberUpdatesNeedRights: Telegram sends chat_member only to a bot that
// is an administrator of the chat, and chat_join_request only to one with
// the can_invite_users right (Bot API reference, Update.chat_member and
// Update.chat_join_request). my_chat_member is always sent.
func TestMemberUpdatesNeedRights(t *testing.T) {
	srv := newServer(t)
	rd := &updateReader{t: t, srv: srv}
	rd.read(`["message","my_chat_member","chat_member","chat_join_request"]`)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Pool", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	links := map[bool]string{}
	for _, jr := range []bool{false, true} {
		_, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID), "creates_join_request": {strconv.FormatBool(jr)}})
		var l struct {
			InviteLink string `json:"invite_link"`
		}
		_ = json.Unmarshal(a.Result, &l)
		links[jr] = l.InviteLink
	}
	rd.read("")
	count := func(kind string) int {
		n := 0
		for _, u := range rd.read("") {
			if u[kind] != nil {
				n++
			}
		}
		return n
	}

	if err := srv.NewUser("A", "ca").OpenInviteLink(links[false]); err != nil {
		t.Fatal(err)
	}
	if n := count("chat_member"); n != 1 {
		t.Fatalf("join with the bot an administrator: %d chat_member updates, want 1", n)
	}
	g.AddBot(owner, telegramtest.AdminRights{}) // demoted to a plain member
	rd.read("")
	if err := srv.NewUser("B", "ca").OpenInviteLink(links[false]); err != nil {
		t.Fatal(err)
	}
	if n := count("chat_member"); n != 0 {
		t.Fatalf("join with the bot a plain member: %d chat_member updates, want 0", n)
	}
	g.AddBot(owner, telegramtest.AdminRights{RestrictMembers: true}) // an administrator without can_invite_users
	rd.read("")
	c := srv.NewUser("C", "ca")
	if err := c.OpenInviteLink(links[true]); err != nil {
		t.Fatal(err)
	}
	if n := count("chat_join_request"); n != 0 || len(g.PendingRequests()) != 1 {
		t.Fatalf("join request without can_invite_users: %d updates, pending %v; want none sent, one pending", n, g.PendingRequests())
	}
	g.AddBot(owner, telegramtest.BotAdminRights)
	rd.read("")
	if err := srv.NewUser("D", "ca").OpenInviteLink(links[true]); err != nil {
		t.Fatal(err)
	}
	if n := count("chat_join_request"); n != 1 {
		t.Fatalf("join request with can_invite_users: %d updates, want 1", n)
	}
}

// TestAnyMethodMayAnswer429: Telegram may answer any method with 429 and
// parameters.retry_after, not only sending ones (Client.cpp calls
// set_retry_after_error for many methods and passes on the flood waits of
// Telegram's servers). ForceRetryAfterOn lets a test make any method do so.
func TestAnyMethodMayAnswer429(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Pool", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	_, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID), "creates_join_request": {"true"}})
	var l struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(a.Result, &l)
	applicant := srv.NewUser("Pau", "ca")
	if err := applicant.OpenInviteLink(l.InviteLink); err != nil {
		t.Fatal(err)
	}
	srv.ForceRetryAfterOn("approveChatJoinRequest", 2, 3)
	params := url.Values{"chat_id": chatID(g.ID), "user_id": chatID(applicant.ID)}
	for i := range 2 {
		status, a := rawCall(t, srv, "approveChatJoinRequest", params)
		if status != 429 || a.Parameters.RetryAfter != 3 || a.Description != "Too Many Requests: retry after 3" {
			t.Fatalf("approval %d: %d %q retry_after=%d, want 429 retry after 3", i+1, status, a.Description, a.Parameters.RetryAfter)
		}
	}
	if len(g.PendingRequests()) != 1 {
		t.Fatalf("a refused approval changed the request: pending %v", g.PendingRequests())
	}
	if status, a := rawCall(t, srv, "approveChatJoinRequest", params); status != http.StatusOK || !g.IsMember(applicant.ID) {
		t.Fatalf("third approval: %d %s, member %v; want it through", status, a.Description, g.IsMember(applicant.ID))
	}

	b, _ := newBot(t, srv, nil)
	srv.ForceRetryAfterOn("getChat", 1, 5)
	var flood tele.FloodError
	if _, err := b.ChatByID(g.ID); !errors.As(err, &flood) || flood.RetryAfter != 5 {
		t.Fatalf("getChat: err = %v, want telebot's FloodError with RetryAfter 5", err)
	}
	if _, err := b.ChatByID(g.ID); err != nil {
		t.Fatalf("getChat after the forced 429: %v", err)
	}
	srv.ForceErrorOn("setChatTitle", 1, 400, "Bad Request: CHAT_NOT_MODIFIED")
	if status, a := rawCall(t, srv, "setChatTitle", url.Values{"chat_id": chatID(g.ID), "title": {"Pool"}}); status != 400 || a.Description != "Bad Request: CHAT_NOT_MODIFIED" {
		t.Fatalf("forced error: %d %q", status, a.Description)
	}
}

// TestSetWebhookOncePerSecond: Client.cpp (process_set_webhook_query) lets
// setWebhook with a URL through once a second and answers 429 retry after 1
// otherwise; deleteWebhook is not limited.
func TestSetWebhookOncePerSecond(t *testing.T) {
	srv := newServer(t, telegramtest.WithHTTPWebhooks(), telegramtest.WithLimits(telegramtest.Limits{Scale: 20}))
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	set := url.Values{"url": {hook.URL + "/hook"}}
	if status, a := rawCall(t, srv, "setWebhook", set); status != http.StatusOK {
		t.Fatalf("setWebhook: %d %s", status, a.Description)
	}
	if status, a := rawCall(t, srv, "setWebhook", set); status != 429 || a.Parameters.RetryAfter != 1 {
		t.Fatalf("second setWebhook at once: %d %q, want 429 retry after 1", status, a.Description)
	}
	if status, a := rawCall(t, srv, "deleteWebhook", nil); status != http.StatusOK {
		t.Fatalf("deleteWebhook: %d %s", status, a.Description)
	}
	time.Sleep(srv.Second())
	if status, a := rawCall(t, srv, "setWebhook", set); status != http.StatusOK {
		t.Fatalf("setWebhook a second later: %d %s", status, a.Description)
	}
}

// TestTextLimitsCountCodePoints: "1-4096 characters after entities parsing"
// (Bot API, sendMessage) counts Unicode code points: 4,096 emoji (8,192
// UTF-16 units) are one message; captions likewise take 1,024.
func TestTextLimitsCountCodePoints(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Emoji", "en")
	u.Send("/start")
	to := &tele.User{ID: u.ID}
	if _, err := b.Send(to, strings.Repeat("😀", 4096)); err != nil {
		t.Fatalf("4096 emoji: %v", err)
	}
	doc := &tele.Document{File: tele.FromReader(strings.NewReader("x")), FileName: "a.txt", Caption: strings.Repeat("😀", 1024)}
	if _, err := b.Send(to, doc); err != nil {
		t.Fatalf("caption of 1024 emoji: %v", err)
	}
	doc = &tele.Document{File: tele.FromReader(strings.NewReader("x")), FileName: "a.txt", Caption: strings.Repeat("😀", 1025)}
	if _, err := b.Send(to, doc); err == nil || !strings.Contains(err.Error(), "message caption is too long") {
		t.Fatalf("caption of 1025 emoji: err = %v, want message caption is too long", err)
	}
}

// TestTitlesAsTelegramTakesThem: setting the title a chat already has
// answers true (TDLib does nothing for an unchanged title; only a stale
// cache lets Telegram's CHAT_NOT_MODIFIED through, see ForceErrorOn), and an
// over-long title or invite link name is cut to 128 or 32 characters
// (tdlib/td clean_name; limits from the Bot API reference).
func TestTitlesAsTelegramTakesThem(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Pool", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	set := url.Values{"chat_id": chatID(g.ID), "title": {"Grup"}}
	for i := range 2 {
		if status, a := rawCall(t, srv, "setChatTitle", set); status != http.StatusOK || string(a.Result) != "true" {
			t.Fatalf("setChatTitle %d: %d %s %s, want true", i+1, status, a.Description, a.Result)
		}
	}
	changes := 0
	for _, m := range g.Messages() {
		if m.Service == "new_chat_title" {
			changes++
		}
	}
	if changes != 1 {
		t.Fatalf("%d new_chat_title messages, want 1 (the same title changes nothing)", changes)
	}
	long := strings.Repeat("é", 200)
	if status, a := rawCall(t, srv, "setChatTitle", url.Values{"chat_id": chatID(g.ID), "title": {long}}); status != http.StatusOK {
		t.Fatalf("over-long title: %d %s, want it cut", status, a.Description)
	}
	if got := g.Title(); got != strings.Repeat("é", 128) {
		t.Fatalf("title has %d characters, want 128", len([]rune(got)))
	}
	status, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID), "name": {strings.Repeat("n", 40)}})
	var l struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(a.Result, &l)
	if status != http.StatusOK || l.Name != strings.Repeat("n", 32) {
		t.Fatalf("invite link name of 40: %d %s name %q, want it cut to 32", status, a.Description, l.Name)
	}
}

// TestHTMLAsTelegramParsesIt: Telegram's HTML parser (tdlib/td,
// parse_html) takes <a> without href as a link to its own text, closes the
// tag open last on "</>", decodes an entity without its ';', and refuses an
// unquoted attribute value that is not a name token (href=https://…).
func TestHTMLAsTelegramParsesIt(t *testing.T) {
	srv := newServer(t)
	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	for _, tc := range []struct {
		html, text, ents, err string
	}{
		{`<a>example.com</a>`, "example.com", "text_link@0+11 http://example.com", ""},
		{`<a>https://t.me/x</a>`, "https://t.me/x", "text_link@0+14 https://t.me/x", ""},
		{`<a>no link here</a>`, "no link here", "", ""},
		{`<b>bold</> plain`, "bold plain", "bold@0+4", ""},
		{`<i><b>x</></>`, "x", "bold@0+1 italic@0+1", ""},
		{`1 &lt 2 &amp 3 &#60 4`, "1 < 2 & 3 < 4", "", ""},
		{`<a href=https://example.com>x</a>`, "", "", "Unexpected end of name token"},
		{`<a href="https://example.com">x</a>`, "x", "text_link@0+1 https://example.com", ""},
	} {
		status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": chatID(u.ID), "text": {tc.html}, "parse_mode": {"HTML"}})
		if tc.err != "" {
			if status != 400 || !strings.Contains(a.Description, "can't parse entities: "+tc.err) {
				t.Errorf("%s: %d %q, want can't parse entities: %s…", tc.html, status, a.Description, tc.err)
			}
			continue
		}
		var m struct {
			Text     string `json:"text"`
			Entities []struct {
				Type   string `json:"type"`
				Offset int    `json:"offset"`
				Length int    `json:"length"`
				URL    string `json:"url"`
			} `json:"entities"`
		}
		_ = json.Unmarshal(a.Result, &m)
		var ents []string
		for _, e := range m.Entities {
			s := e.Type + "@" + strconv.Itoa(e.Offset) + "+" + strconv.Itoa(e.Length)
			if e.URL != "" {
				s += " " + e.URL
			}
			ents = append(ents, s)
		}
		if status != http.StatusOK || m.Text != tc.text || strings.Join(ents, " ") != tc.ents {
			t.Errorf("%s: %d %s text %q entities %q, want %q %q", tc.html, status, a.Description, m.Text, strings.Join(ents, " "), tc.text, tc.ents)
		}
	}
}

// TestJoinRequestOpensFiveMinutes: "The bot can use this identifier for 5
// minutes to send messages until the join request is processed" (Bot API,
// ChatJoinRequest.user_chat_id); afterwards the applicant, who never
// started the bot, answers 403 like anyone the bot met but may not write to.
func TestJoinRequestOpensFiveMinutes(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := newServer(t, telegramtest.WithClock(clock))
	b, _ := newBot(t, srv, nil)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Pool", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	link, err := b.CreateInviteLink(&tele.Chat{ID: g.ID}, &tele.ChatInviteLink{JoinRequest: true})
	if err != nil {
		t.Fatal(err)
	}
	applicant := srv.NewUser("Pau", "ca")
	if err := applicant.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatal(err)
	}
	to := tele.ChatID(applicant.ID)
	if _, err := b.Send(to, "Hola"); err != nil {
		t.Fatalf("within the 5 minutes: %v", err)
	}
	mu.Lock()
	now = now.Add(5*time.Minute + time.Second)
	mu.Unlock()
	if _, err := b.Send(to, "Hola"); !errors.Is(err, tele.ErrNotStartedByUser) {
		t.Fatalf("after 5 minutes: err = %v, want 403 bot can't initiate conversation with a user", err)
	}
}

// TestCommandsRules: setMyCommands for a chat the bot does not know answers
// 400 "chat not found" (Client.cpp, check_bot_command_scope checks the
// chat), and language_code must be a two-letter ISO 639-1 code (Bot API,
// setMyCommands).
func TestCommandsRules(t *testing.T) {
	srv := newServer(t)
	cmds := `[{"command":"start","description":"Start"}]`
	stranger := srv.NewUser("Stranger", "en")
	for _, id := range []int64{424242, stranger.ID} {
		status, a := rawCall(t, srv, "setMyCommands", url.Values{"commands": {cmds},
			"scope": {`{"type":"chat","chat_id":` + strconv.FormatInt(id, 10) + `}`}})
		if status != 400 || a.Description != "Bad Request: chat not found" {
			t.Errorf("setMyCommands for unknown chat %d: %d %q, want chat not found", id, status, a.Description)
		}
	}
	stranger.Send("/start")
	if status, a := rawCall(t, srv, "setMyCommands", url.Values{"commands": {cmds},
		"scope": {`{"type":"chat","chat_id":` + strconv.FormatInt(stranger.ID, 10) + `}`}}); status != http.StatusOK {
		t.Errorf("setMyCommands once the user wrote: %d %s", status, a.Description)
	}
	for lang, ok := range map[string]bool{"es": true, "": true, "EN": false, "eng": false, "e1": false, "ca-ES": false} {
		status, a := rawCall(t, srv, "setMyCommands", url.Values{"commands": {cmds}, "language_code": {lang}})
		if ok != (status == http.StatusOK) || !ok && a.Description != "Bad Request: invalid language code specified" {
			t.Errorf("language_code %q: %d %q, want ok=%v", lang, status, a.Description, ok)
		}
	}
}

// TestWebhookURLRules: Telegram delivers only over HTTPS, on ports 443, 80,
// 88 or 8443 (tdlib/telegram-bot-api WebhookActor.cpp: "An HTTPS URL must be
// provided for webhook", "Webhook can be set up only on ports 80, 88, 443 or
// 8443"); only its --local mode takes plain HTTP, which WithHTTPWebhooks
// mirrors for tests.
func TestWebhookURLRules(t *testing.T) {
	srv := newServer(t)
	for raw, want := range map[string]string{
		"http://127.0.0.1:8080/hook":  "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
		"https://127.0.0.1:8080/hook": "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
		"https://127.0.0.1:8443/hook": "",
	} {
		status, a := rawCall(t, srv, "setWebhook", url.Values{"url": {raw}})
		if want == "" && status != http.StatusOK || want != "" && a.Description != want {
			t.Errorf("setWebhook %s: %d %q, want %q", raw, status, a.Description, want)
		}
	}
	rawCall(t, srv, "deleteWebhook", nil)
	plain := newServer(t, telegramtest.WithHTTPWebhooks())
	if status, a := rawCall(t, plain, "setWebhook", url.Values{"url": {"http://127.0.0.1:8080/hook"}}); status != http.StatusOK {
		t.Fatalf("WithHTTPWebhooks: setWebhook over http: %d %s", status, a.Description)
	}
	rawCall(t, plain, "deleteWebhook", nil)
}

// TestWebhookHonoursRetryAfter: an answer with Retry-After delays the next
// attempt by that many seconds (WebhookActor.cpp, on_update_error).
func TestWebhookHonoursRetryAfter(t *testing.T) {
	second := time.Millisecond
	srv := newServer(t, telegramtest.WithHTTPWebhooks(), telegramtest.WithWebhookClock(second))
	var (
		mu    sync.Mutex
		times []time.Time
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "150")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer hook.Close()
	if status, a := rawCall(t, srv, "setWebhook", url.Values{"url": {hook.URL}}); status != http.StatusOK {
		t.Fatal(a.Description)
	}
	srv.NewUser("Anna", "ca").Send("hola")
	waitFor(t, "the update delivered", func() bool { return srv.PendingUpdates() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 || times[1].Sub(times[0]) < 150*second {
		t.Fatalf("%d attempts, %v apart; want 2, at least 150 webhook seconds apart", len(times), times[len(times)-1].Sub(times[0]))
	}
}

// TestWebhookDropsAnUpdateAfterADay: an update Telegram cannot deliver is
// dropped about a day after it was made (updates live 86400 s; the back-off
// drops one whose next attempt would fall later, WebhookActor.cpp).
func TestWebhookDropsAnUpdateAfterADay(t *testing.T) {
	srv := newServer(t, telegramtest.WithHTTPWebhooks(), telegramtest.WithWebhookClock(5*time.Microsecond)) // a day: 0.43 s
	var mu sync.Mutex
	attempts := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer hook.Close()
	if status, a := rawCall(t, srv, "setWebhook", url.Values{"url": {hook.URL}}); status != http.StatusOK {
		t.Fatal(a.Description)
	}
	start := time.Now()
	srv.NewUser("Anna", "ca").Send("hola")
	waitFor(t, "the update dropped", func() bool { return srv.PendingUpdates() == 0 })
	if d := time.Since(start); d < 432*time.Millisecond {
		t.Fatalf("dropped after %v, want about a (webhook) day, 0.43 s", d)
	}
	_, a := rawCall(t, srv, "getWebhookInfo", nil)
	var info struct {
		LastErrorMessage string `json:"last_error_message"`
	}
	_ = json.Unmarshal(a.Result, &info)
	mu.Lock()
	defer mu.Unlock()
	if attempts < 10 || !strings.Contains(info.LastErrorMessage, "500") {
		t.Fatalf("%d attempts, last error %q; want retries that failed with 500", attempts, info.LastErrorMessage)
	}
}

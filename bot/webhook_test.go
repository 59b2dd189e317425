package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

const secret = "s3cret-Token_for-webhook"

// newWebhookBot serves the real bot's webhook handler and points the fake
// Telegram at it, as `multaque serve` does in webhook mode.
func newWebhookBot(t *testing.T) (*telegramtest.Server, *store.DB, string) {
	t.Helper()
	srv := telegramtest.NewServer(telegramtest.WithHTTPWebhooks())
	t.Cleanup(srv.Close)
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(b.WebhookHandler(secret, 64<<10))
	t.Cleanup(func() {
		hs.Close()
		b.Close()
		db.Close()
	})
	if err := b.SetWebhook(hs.URL+"/telegram", secret); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	return srv, db, hs.URL + "/telegram"
}

func post(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func helpUpdate(updateID int, u *telegramtest.User) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private","first_name":"%s"},"from":{"id":%d,"is_bot":false,"first_name":"%s","language_code":"%s"},"text":"/help","entities":[{"type":"bot_command","offset":0,"length":5}]}}`,
		updateID, updateID, time.Now().Unix(), u.ID, u.FirstName, u.ID, u.FirstName, u.LanguageCode)
}

func TestWebhookDelivery(t *testing.T) {
	srv, db, _ := newWebhookBot(t)
	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Expect(t, "/mydata")
	u.Press(t, "✅ D'acord, comencem")
	u.Expect(t, "Com et dius?")
	u.Send("Anna")
	u.Expect(t, "On vius?")
	c, err := db.Citizen(context.Background(), u.ID)
	if err != nil || c.Name != "Anna" {
		t.Fatalf("Citizen=%+v,%v, want Anna stored through the webhook", c, err)
	}
}

func TestWebhookRefusesBadRequests(t *testing.T) {
	srv, _, url := newWebhookBot(t)
	u := srv.NewUser("Pere", "ca")
	u.Send("/start") // Pere has written to the bot: it may answer him
	u.Expect(t, "Multaque")

	tests := []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"no secret", "", helpUpdate(900001, u), http.StatusUnauthorized},
		{"wrong secret", secret + "x", helpUpdate(900002, u), http.StatusUnauthorized},
		{"secret prefix", secret[:5], helpUpdate(900003, u), http.StatusUnauthorized},
		{"too big", secret, append(helpUpdate(900004, u), bytes.Repeat([]byte(" "), 65<<10)...), http.StatusRequestEntityTooLarge},
		// Past the secret, a body that can never be parsed is acknowledged
		// (and logged, and counted): Telegram would retry anything else
		// for a day, holding the chat's later updates behind it.
		{"not json", secret, []byte("hello"), http.StatusOK},
		{"no update id", secret, []byte(`{"message":{}}`), http.StatusOK},
	}
	for _, tt := range tests {
		if got := post(t, url, tt.secret, tt.body); got != tt.want {
			t.Errorf("%s: status=%d, want %d", tt.name, got, tt.want)
		}
	}
	if got := len(u.Messages()); got != 2 {
		t.Fatalf("refused requests reached the bot: Pere's chat has %d messages, want 2", got)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status=%d, want 405", resp.StatusCode)
	}
}

func TestWebhookDuplicateHandledOnce(t *testing.T) {
	srv, _, url := newWebhookBot(t)
	u := srv.NewUser("Pere", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	before := len(u.Messages())
	upd := helpUpdate(900010, u)
	for i := 0; i < 3; i++ {
		if got := post(t, url, secret, upd); got != http.StatusOK {
			t.Fatalf("delivery %d: status=%d, want 200", i+1, got)
		}
	}
	help := 0
	for _, m := range u.Messages()[before:] {
		if strings.Contains(m.Text, "/projects") {
			help++
		}
	}
	if help != 1 {
		t.Fatalf("an update delivered 3 times was answered %d times, want 1", help)
	}
}

// TestTokenNeverInErrorsOrLogs points the bot at a Bot API that fails in
// the ways that make telebot quote the request URL, token included.
func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	token := srv.Token()

	// Nothing listens there: the connection error quotes the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	_, err = bot.New(bot.Options{Token: token, APIURL: dead, Logger: zerolog.Nop()})
	if err == nil {
		t.Fatal("bot.New against a closed port succeeded")
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "<redacted>") {
		t.Fatalf("bot.New error %q, want the token redacted", err)
	}

	// getMe works, then every getUpdates fails at the connection: the
	// poller logs each failure.
	var logs syncBuffer
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getMe") || strings.HasSuffix(r.URL.Path, "/deleteWebhook") {
			srv.ServeHTTP(w, r)
			return
		}
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer flaky.Close()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, _ := catalog.Default()
	texts, _ := catalog.LoadMessages()
	b, err := bot.New(bot.Options{Token: token, APIURL: flaky.URL, Store: db, Catalog: cat, Texts: texts,
		Logger: zerolog.New(&logs), PollTimeout: time.Second})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := b.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "get updates") || !strings.Contains(out, "<redacted>") {
		t.Fatalf("no poller failure was logged:\n%s", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, strings.SplitN(token, ":", 2)[1]) {
		t.Fatalf("the token appears in the logs:\n%s", out)
	}
}

func TestMatchLanguage(t *testing.T) {
	tests := map[string]multaque.Lang{
		"": multaque.Catalan, "ca": multaque.Catalan, "ca-ES": multaque.Catalan, "es": multaque.Spanish,
		"es-419": multaque.Spanish, "en": multaque.English, "en-GB": multaque.English, "fr": multaque.English,
		"zz-garbage-!!": multaque.Catalan,
	}
	for code, want := range tests {
		if got := bot.MatchLanguage(code); got != want {
			t.Errorf("MatchLanguage(%q)=%s, want %s", code, got, want)
		}
	}
}

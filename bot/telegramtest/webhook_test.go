package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func TestWebhookDeliversWithSecretAndRetries(t *testing.T) {
	srv := newServer(t, telegramtest.WithHTTPWebhooks())
	b, _ := newBot(t, srv, nil)
	b.Handle(tele.OnText, func(c tele.Context) error { return c.Send("echo " + c.Text()) })

	var (
		mu      sync.Mutex
		texts   []string // delivered message texts, in order, failures included
		secrets []string
		failed  bool
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd tele.Update
		if err := json.NewDecoder(r.Body).Decode(&upd); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		texts = append(texts, upd.Message.Text)
		secrets = append(secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		fail := !failed
		failed = true
		mu.Unlock()
		if fail {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		b.ProcessUpdate(upd)
	}))
	defer hook.Close()

	if _, err := b.Raw("setWebhook", map[string]string{"url": hook.URL + "/hook", "secret_token": "s3cr3t-TOKEN_1"}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	if _, err := b.Raw("getUpdates", map[string]string{"timeout": "0"}); err == nil ||
		!strings.Contains(err.Error(), "Conflict: can't use getUpdates method while webhook is active") {
		t.Fatalf("getUpdates with a webhook: err = %v, want 409 Conflict", err)
	}

	u := srv.NewUser("Web", "en")
	for _, text := range []string{"one", "two", "three"} {
		u.Send(text)
	}
	u.WaitUntil(t, "three echoes", func(ms []telegramtest.Message) bool { return countFromBot(ms) == 3 })

	mu.Lock()
	delivered, gotSecrets := strings.Join(texts, ","), append([]string(nil), secrets...)
	mu.Unlock()
	if got, want := delivered, "one,one,two,three"; got != want {
		t.Fatalf("deliveries = %s, want %s (first one retried after the 500, order kept)", got, want)
	}
	for _, s := range gotSecrets {
		if s != "s3cr3t-TOKEN_1" {
			t.Fatalf("secret header = %q, want %q", s, "s3cr3t-TOKEN_1")
		}
	}
	// The echo of "three" is sent while the hook is still answering, and
	// Telegram counts an update pending until the hook has answered 200: wait
	// for the queue to drain instead of reading it at once.
	var info *tele.Webhook
	waitFor(t, "the webhook queue to drain", func() bool {
		var err error
		info, err = b.Webhook()
		if err != nil {
			t.Fatal(err)
		}
		return info.PendingUpdates == 0
	})
	if info.Listen != hook.URL+"/hook" || info.PendingUpdates != 0 || !strings.Contains(info.ErrorMessage, "500") {
		t.Fatalf("getWebhookInfo = %+v, want url, 0 pending and the 500 as last error", info)
	}
	if err := b.RemoveWebhook(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Raw("getUpdates", map[string]string{"timeout": "0"}); err != nil {
		t.Fatalf("getUpdates after deleteWebhook: %v", err)
	}
}

func TestWebhookOnlyLoopback(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	if _, err := b.Raw("setWebhook", map[string]string{"url": "https://example.com/hook"}); err == nil {
		t.Fatalf("setWebhook to a public host: no error")
	}
}

func TestTwoPollersConflict(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	base := srv.Stats().Requests
	first := make(chan error, 1)
	go func() {
		_, err := b.Raw("getUpdates", map[string]string{"timeout": "5"})
		first <- err
	}()
	waitFor(t, "the first getUpdates", func() bool { return srv.Stats().Requests > base })
	second := make(chan error, 1)
	go func() {
		_, err := b.Raw("getUpdates", map[string]string{"timeout": "1"})
		second <- err
	}()
	select {
	case err := <-first:
		if err == nil || !strings.Contains(err.Error(), "terminated by other getUpdates request") {
			t.Fatalf("older getUpdates: err = %v, want 409 terminated by other getUpdates request", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("older getUpdates was not ended by the newer one")
	}
	if err := <-second; err != nil {
		t.Fatalf("newer getUpdates: %v", err)
	}
}

func TestLongPollWakesPromptly(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Quick", "en")
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		data, err := b.Raw("getUpdates", map[string]string{"timeout": "10"})
		if err != nil || !strings.Contains(string(data), "wake up") {
			t.Errorf("getUpdates = %s, %v", data, err)
		}
		done <- time.Since(start)
	}()
	time.Sleep(100 * time.Millisecond)
	u.Send("wake up")
	select {
	case d := <-done:
		if d > time.Second {
			t.Fatalf("long poll answered after %v, want right after the update", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("long poll did not wake up")
	}
}

func countFromBot(ms []telegramtest.Message) int {
	n := 0
	for _, m := range ms {
		if m.FromBot {
			n++
		}
	}
	return n
}

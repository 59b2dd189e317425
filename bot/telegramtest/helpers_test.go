package telegramtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func newServer(t testing.TB, opts ...telegramtest.Option) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// errorLog collects the errors telebot reports from handlers; it outlives the
// test safely (t.Logf would panic once the test has ended).
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error, _ tele.Context) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// newBot creates a telebot bot against srv without starting it.
func newBot(t testing.TB, srv *telegramtest.Server, poller tele.Poller) (*tele.Bot, *errorLog) {
	t.Helper()
	if poller == nil {
		poller = &tele.LongPoller{Timeout: time.Second}
	}
	log := &errorLog{}
	b, err := tele.NewBot(tele.Settings{
		URL: srv.URL(), Token: srv.Token(), Poller: poller, Client: srv.Client(), OnError: log.add,
	})
	if err != nil {
		t.Fatalf("NewBot: %v", err)
	}
	return b, log
}

// start runs b until the test ends.
func start(t testing.TB, b *tele.Bot, log *errorLog) {
	t.Helper()
	go b.Start()
	t.Cleanup(func() {
		// Errors after Stop are requests it cancelled: ignore them.
		errs := log.all()
		b.Stop()
		for _, err := range errs {
			t.Errorf("handler error: %v", err)
		}
	})
}

// rawCall calls a Bot API method with form values and decodes the answer.
func rawCall(t testing.TB, srv *telegramtest.Server, method string, params url.Values) (int, apiAnswer) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL()+"/bot"+srv.Token()+"/"+method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a apiAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s: answer %q is not JSON: %v", method, body, err)
	}
	return resp.StatusCode, a
}

type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func rawUpdates(t testing.TB, srv *telegramtest.Server, params url.Values) []map[string]json.RawMessage {
	t.Helper()
	status, a := rawCall(t, srv, "getUpdates", params)
	if status != http.StatusOK {
		t.Fatalf("getUpdates: %d %s", status, a.Description)
	}
	var ups []map[string]json.RawMessage
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		t.Fatalf("getUpdates result: %v", err)
	}
	return ups
}

func kinds(ups []map[string]json.RawMessage) string {
	var out []string
	for _, u := range ups {
		for k := range u {
			if k != "update_id" {
				out = append(out, k)
			}
		}
	}
	return strings.Join(out, ",")
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

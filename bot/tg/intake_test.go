package tg

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
)

// TestDispatcherKeepsChatsApart: a chat whose work blocks holds up neither
// another chat nor its own later work's order; at the limit, chats take
// turns; Close drops what is queued.
func TestDispatcherKeepsChatsApart(t *testing.T) {
	d := NewDispatcher(2)
	block := make(chan struct{})
	var mu sync.Mutex
	var order []string
	note := func(s string) func() {
		return func() { mu.Lock(); order = append(order, s); mu.Unlock() }
	}
	if err := d.Submit(1, func() { <-block }, nil); err != nil {
		t.Fatal(err)
	}
	d.Submit(1, note("1b"), nil)
	done := make(chan struct{})
	d.Submit(2, func() { note("2a")(); close(done) }, nil)
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("chat 2 waited behind chat 1's blocked work")
	}
	close(block)
	for d.Queued() > 0 {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	if strings.Join(order, ",") != "2a,1b" {
		t.Errorf("order %v, want 2a then 1b", order)
	}
	mu.Unlock()

	// Closing lets the running work finish and drops the rest.
	hold := make(chan struct{})
	d.Submit(3, func() { <-hold }, nil)
	dropped := make(chan bool, 1)
	d.Submit(3, func() { t.Error("ran after Close") }, func() { dropped <- true })
	go func() { time.Sleep(20 * time.Millisecond); close(hold) }()
	d.Close()
	if !<-dropped {
		t.Error("queued work not dropped")
	}
	if err := d.Submit(4, func() {}, nil); err == nil {
		t.Error("Submit after Close succeeded")
	}
}

// TestFloodGate: 3 in a window let in, the 4th slows down, the rest drop
// until the window has passed.
func TestFloodGate(t *testing.T) {
	g := NewFloodGate(3, time.Second)
	t0 := time.Unix(1000, 0)
	var got []Verdict
	for i := range 6 {
		got = append(got, g.Check(7, t0.Add(time.Duration(i)*10*time.Millisecond)))
	}
	want := []Verdict{Admit, Admit, Admit, SlowDown, Drop, Drop}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("verdicts %v, want %v", got, want)
		}
	}
	if v := g.Check(8, t0); v != Admit {
		t.Errorf("another person: %v, want Admit", v)
	}
	if v := g.Check(7, t0.Add(1100*time.Millisecond)); v != Admit {
		t.Errorf("after the window: %v, want Admit", v)
	}
	if v := g.Check(0, t0); v != Admit {
		t.Errorf("nobody's update: %v, want Admit", v)
	}
}

// TestGlobalBudgetPutsDirectAnswersFirst: the global budget caps all
// messages, and the Sender (TakeBulk) leaves a reserve to direct answers.
func TestGlobalBudgetPutsDirectAnswersFirst(t *testing.T) {
	p := NewPacer(0, 1, 0, time.Second, nil)
	p.SetGlobal(10, 3) // reserve 1
	now := time.Unix(1000, 0)
	for chat := int64(1); chat <= 2; chat++ {
		if ok, _ := p.TakeBulk(chat, now); !ok {
			t.Fatalf("Sender refused with %d of 3 tokens used", chat-1)
		}
	}
	if ok, _ := p.TakeBulk(3, now); ok {
		t.Fatal("Sender took the reserve left to direct answers")
	}
	if ok, _ := p.Take(4, now); !ok {
		t.Fatal("a direct answer refused the reserve")
	}
	ok, wait := p.Take(5, now)
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("Take over budget = %v, %v; want a wait of up to 100 ms", ok, wait)
	}
	if ok, _ := p.Take(0, now); !ok {
		t.Error("a request that is no message was held by the budget")
	}
}

// TestWebhookAcknowledgesAnUnparseableBody: past the secret, a body that
// is no update gets 200, is counted and logged, and reaches nobody.
func TestWebhookAcknowledgesAnUnparseableBody(t *testing.T) {
	m := UnregisteredMetrics()
	var logs strings.Builder
	took := 0
	h := WebhookHandler("s", 1<<10, func(_ context.Context, in Incoming) error { took++; return nil }, m, zerolog.New(&logs))
	for _, body := range []string{"hello", `{"message":{}}`, `{"update_id":-3}`} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("%q: status %d, want 200", body, w.Code)
		}
	}
	if took != 0 {
		t.Errorf("%d unparseable bodies reached the bot", took)
	}
	if got := testCounter(m.unparseable); got != 3 {
		t.Errorf("unparseable = %v, want 3", got)
	}
	if strings.Count(logs.String(), `"level":"error"`) != 3 || strings.Contains(logs.String(), "hello") {
		t.Errorf("want 3 error lines without the body: %s", logs.String())
	}
}

func testCounter(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

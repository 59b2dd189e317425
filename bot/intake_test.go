package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// intakeRig is the real bot against the fake, polling or behind its
// webhook, with production pacing unless opts says otherwise.
type intakeRig struct {
	srv   *telegramtest.Server
	db    *store.DB
	bot   *bot.Bot
	reg   *prometheus.Registry
	texts *catalog.Messages
}

func newIntakeRig(t testing.TB, webhook bool, lim telegramtest.Limits, opts func(*bot.Options)) *intakeRig {
	t.Helper()
	srvOpts := []telegramtest.Option{telegramtest.WithLimits(lim)}
	if webhook {
		srvOpts = append(srvOpts, telegramtest.WithHTTPWebhooks())
	}
	srv := telegramtest.NewServer(srvOpts...)
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
	reg := prometheus.NewRegistry()
	metrics, err := tg.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	o := bot.Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts,
		Client: &http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}, PollTimeout: time.Second,
		Logger:          zerolog.Nop(),
		PerChatInterval: time.Second, // production pacing
		RetryAfterUnit:  srv.Second(),
		Metrics:         metrics,
	}
	if opts != nil {
		opts(&o)
	}
	b, err := bot.New(o)
	if err != nil {
		t.Fatal(err)
	}
	r := &intakeRig{srv: srv, db: db, bot: b, reg: reg, texts: texts}
	if webhook {
		if err := b.Replay(context.Background()); err != nil {
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
		return r
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		db.Close()
	})
	return r
}

// TestSlowChatHoldsNobody: one person sending /help twenty times, whose
// answers their chat's pace spreads over some 18 s, does not hold up
// another person's /help — in polling and in webhook mode, with
// production pacing (1 s per chat after a burst of 2).
func TestSlowChatHoldsNobody(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			r := newIntakeRig(t, mode == "webhook", telegramtest.TelegramLimits(), nil)
			hurried, other := r.srv.NewUser("Pressa", "ca"), r.srv.NewUser("Calma", "ca")
			for range 20 {
				hurried.Send("/help")
			}
			hurried.WaitBotMessages(t, 2) // the burst is answered: the rest wait for the pace
			start := time.Now()
			other.Send("/help")
			other.WaitBotMessages(t, 1)
			if took := time.Since(start); took > 500*time.Millisecond {
				t.Errorf("another person's /help took %v behind a paced chat, want well under a second", took)
			}
			if st := r.srv.Stats(); st.TooManyRequests != 0 {
				t.Errorf("%d answers of 429", st.TooManyRequests)
			}
		})
	}
}

// TestFloodLimit: a person who sends far more than anyone answering the
// survey gets one "slow down" in their language, then silence, and nothing
// of what they sent meanwhile is written; once the window has passed they
// are answered again.
func TestFloodLimit(t *testing.T) {
	const window = 2 * time.Second
	r := newIntakeRig(t, false, telegramtest.Limits{}, func(o *bot.Options) {
		o.PerChatInterval = 0 // the answers come at once: only the gate limits
		o.FloodWindow = window
	})
	u := r.srv.NewUser("Ràpid", "es")
	slow := r.texts.Text(multaque.Spanish, "flood_slow_down", nil)
	for range 60 {
		u.Send("/help")
	}
	u.Expect(t, slow)
	time.Sleep(window / 4) // whatever was let in is answered by now
	var helps, slows int
	for _, m := range u.Messages() {
		switch {
		case !m.FromBot:
		case m.Text == slow:
			slows++
		default:
			helps++
		}
	}
	if helps != 20 || slows != 1 {
		t.Errorf("%d answers and %d \"slow down\" for 60 messages, want 20 and 1", helps, slows)
	}
	if got := metricValue(t, r.reg, "multaque_updates_flood_dropped_total"); got != 40 {
		t.Errorf("flood_dropped = %v, want 40", got)
	}
	left, err := r.db.Inbox(context.Background())
	if err != nil || len(left) != 0 {
		t.Errorf("inbox after the flood: %d entries (err %v), want none", len(left), err)
	}
	time.Sleep(window)
	u.Send("/help")
	u.WaitUntil(t, "an answer after the window", func(ms []telegramtest.Message) bool {
		n := 0
		for _, m := range ms {
			if m.FromBot && m.Text != slow {
				n++
			}
		}
		return n == 21
	})
}

// metricValue is the value of reg's counter (or a histogram's count) name.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var v float64
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				v += float64(h.GetSampleCount())
			} else {
				v += m.GetCounter().GetValue()
			}
		}
		return v
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestTwentyPressesAtALowGlobalLimit (issue 21, item 2): twenty people
// press a button at the same moment against a Telegram that takes only 5
// messages a second in all. Nobody is told something went wrong, no
// request goes while a pause runs, and every press edits its screen (an
// edit stays an edit).
func TestTwentyPressesAtALowGlobalLimit(t *testing.T) {
	lim := telegramtest.Limits{Global: 5, PerChat: 1, PerChatBurst: 3, Scale: 10}
	r := newIntakeRig(t, false, lim, func(o *bot.Options) {
		o.PerChatInterval = time.Second / 10
		o.GlobalPerSecond = 4
	})
	people := make([]*telegramtest.User, 20)
	for i := range people {
		people[i] = r.srv.NewUser("Veí", "ca")
		people[i].Send("/start")
	}
	for _, u := range people {
		u.WaitBotMessages(t, 1)
	}
	before := r.srv.Stats()
	var wg sync.WaitGroup
	for _, u := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.Press(t, "✓ Català")
		}()
	}
	wg.Wait()
	wrong := r.texts.Text(multaque.Catalan, "error_internal", nil)
	for _, u := range people {
		ms := u.WaitUntil(t, "the language screen edited", func(ms []telegramtest.Message) bool {
			return len(ms) >= 2 && ms[1].Edited
		})
		for _, m := range ms {
			if m.FromBot && strings.Contains(m.Text, wrong) {
				t.Errorf("a person was told %q", m.Text)
			}
		}
	}
	after := r.srv.Stats()
	if n := after.RequestsDuringPause - before.RequestsDuringPause; n != 0 {
		t.Errorf("%d requests during a pause, want 0", n)
	}
	if n := after.Sent - before.Sent; n != 0 {
		t.Errorf("%d new messages sent for 20 presses, want none: every press edits its screen", n)
	}
	if n := after.Edited - before.Edited; n != 20 {
		t.Errorf("%d edits for 20 presses, want 20", n)
	}
	t.Logf("429 answers during the presses: %d", after.TooManyRequests-before.TooManyRequests)
}

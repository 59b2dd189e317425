package bot_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// senderScale speeds Telegram's limits up 20 times: a minute lasts 3 s.
const senderScale = 20

// pacedBot runs the real bot, polling the fake with Telegram's limits on
// (sped up senderScale times), and returns it with its metrics' registry.
func pacedBot(t *testing.T) (*telegramtest.Server, *prometheus.Registry) {
	t.Helper()
	lim := telegramtest.TelegramLimits()
	lim.Scale = senderScale
	srv := telegramtest.NewServer(telegramtest.WithLimits(lim))
	t.Cleanup(srv.Close)
	db, err := store.Open(t.TempDir() + "/multaque.db")
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
	b, err := bot.New(bot.Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts,
		Client: &http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}, PollTimeout: time.Second,
		Logger:          zerolog.Nop(),
		PerChatInterval: time.Second / senderScale,
		RetryAfterUnit:  srv.Second(),
		Metrics:         metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		db.Close()
	})
	return srv, reg
}

// TestDirectAnswerWaitsOut429: a direct answer refused with 429 goes again
// once retry_after is over, and not before.
func TestDirectAnswerWaitsOut429(t *testing.T) {
	srv, _ := pacedBot(t)
	u := srv.NewUser("Anna", "en")
	u.Send("/help")
	u.WaitBotMessages(t, 1) // the bot is up
	start := time.Now()
	srv.ForceRetryAfter(20) // 1 s at scale 20
	u.Send("/help")
	u.WaitBotMessages(t, 1)
	// The fake records a call once its answer is written, which may be just
	// after the message shows in the chat.
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Calls("sendMessage")) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	calls := srv.Calls("sendMessage")[1:]
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || !calls[1].OK() {
		t.Fatalf("sendMessage calls during the storm: %d (first: %d at %v after it began), want a 429 then a success", len(calls), calls[0].Status, calls[0].At.Sub(start))
	}
	if gap, pause := calls[1].At.Sub(calls[0].At), calls[0].At.Sub(start); gap < 20*srv.Second()-pause {
		t.Errorf("tried again %v after the 429, want at least the rest of the storm (%v)", gap, 20*srv.Second()-pause)
	}
	// The fake counts the request that met the storm, which could not know.
	if st := srv.Stats(); st.RequestsDuringPause > 1 {
		t.Errorf("%d requests during the pause, want only the one that was refused", st.RequestsDuringPause)
	}
}

// TestDirectAnswersKeepChatPace: a person who types fast gets every answer,
// paced so that Telegram never has to refuse one; the updates are counted.
func TestDirectAnswersKeepChatPace(t *testing.T) {
	srv, reg := pacedBot(t)
	u := srv.NewUser("Bernat", "ca")
	for range 8 {
		u.Send("/help")
	}
	u.WaitBotMessages(t, 8)
	if st := srv.Stats(); st.TooManyRequests != 0 || st.MaxPerChatPerSecond > 3 {
		t.Errorf("fake: %+v; want no 429 and at most 3 messages a second", st)
	}
	// The last update is counted just after its answer went.
	var handled, observed float64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			switch mf.GetName() {
			case "multaque_updates_handled_total":
				handled = mf.GetMetric()[0].GetCounter().GetValue()
			case "multaque_update_handle_seconds":
				observed = float64(mf.GetMetric()[0].GetHistogram().GetSampleCount())
			}
		}
		if handled == 8 && observed == 8 {
			break
		}
	}
	if handled != 8 || observed != 8 {
		t.Errorf("updates handled %v, latencies observed %v; want 8 and 8", handled, observed)
	}
}

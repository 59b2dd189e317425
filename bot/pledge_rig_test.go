package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// pledgeT0 is the pinned clock's start. It lies in the past, so that the
// Sender (on the real clock) sends at once whatever the bot queued, even a
// reminder for three days after a deadline: a test that looks at what waits
// stops the Sender first (stopSend).
var pledgeT0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// pinnedClock is a clock tests move by hand.
type pinnedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pinnedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *pinnedClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// pledgeRig is a teamRig whose bot runs on a pinned clock, with a Sender
// the test can stop and start (to crash between a change and its
// messages).
type pledgeRig struct {
	*teamRig
	clock      *pinnedClock
	startSend  func()
	stopSend   func()
	sendActive bool
}

func newPledgeRig(t *testing.T) *pledgeRig {
	t.Helper()
	h := newIdleHarness(t)
	h.openStore()
	srv := h.srv
	var err error
	clock := &pinnedClock{now: pledgeT0}
	r := &pledgeRig{teamRig: &teamRig{harness: h, coord: srv.NewUser("Carme", "ca"), checkEvery: 300 * time.Millisecond}, clock: clock}
	h.bot, err = bot.New(bot.Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: h.db, Catalog: h.cat, Texts: h.texts, Client: srv.Client(),
		Logger: zerolog.New(h.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
		Coordinators: []int64{r.coord.ID}, ReminderAfter: time.Hour, Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	sender, err := outbox.New(h.bot.Wire(), h.db, outbox.Options{Logger: h.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond, ChatGone: h.bot.ChatGone})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	botDone := make(chan struct{})
	go func() { h.bot.Run(ctx); close(botDone) }()
	var sendDone chan struct{}
	var sendCancel context.CancelFunc
	r.startSend = func() {
		var sctx context.Context
		sctx, sendCancel = context.WithCancel(ctx)
		sendDone = make(chan struct{})
		go func() { sender.Run(sctx); close(sendDone) }()
		r.sendActive = true
	}
	r.stopSend = func() {
		if r.sendActive {
			sendCancel()
			<-sendDone
			r.sendActive = false
		}
	}
	r.startSend()
	r.prov = r.startProvisioner(sender)
	r.stop = func() {
		if r.stopProv != nil {
			r.stopProv()
		}
		r.stopSend()
		cancel()
		<-botDone
		if problems, err := h.db.CheckWith(context.Background(), store.CheckOptions{Coordinators: []int64{r.coord.ID}}); err != nil || len(problems) > 0 {
			t.Errorf("Check=%v, %v; want a sound file", problems, err)
		}
		if err := h.db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if strings.Contains(h.logs.String(), srv.Token()) {
			t.Errorf("the bot token appears in the logs")
		}
	}
	t.Cleanup(r.stop)
	r.coord.Send("/start")
	r.coord.Expect(t, "Multaque")
	return r
}

// activeTeam forms a team of users for the consumer group in Gràcia and
// waits until its group from the pool is ready.
func (r *pledgeRig) activeTeam(users ...*telegramtest.User) (*multaque.Team, *telegramtest.Group) {
	r.t.Helper()
	g := r.poolGroup("Spare")
	formed := r.formTeam(users...)
	return r.active(formed.ID, g), g
}

// goal reads a team's goal.
func (r *pledgeRig) goal(team string) *multaque.GoalState {
	r.t.Helper()
	s, err := r.db.Goal(context.Background(), team)
	if err != nil {
		r.t.Fatalf("Goal(%s): %v", team, err)
	}
	return s
}

// fund reads a fund.
func (r *pledgeRig) fund(id string) multaque.Fund {
	r.t.Helper()
	fs, err := r.db.Funds(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	r.t.Fatalf("no fund %s", id)
	return multaque.Fund{}
}

// outboxKinds counts the outbox items of each kind for chat, due or not.
func (r *pledgeRig) outboxKinds(chat int64) map[string][]multaque.OutboxItem {
	r.t.Helper()
	items, err := r.db.Due(context.Background(), pledgeT0.Add(10*365*24*time.Hour), 10_000, 0, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]multaque.OutboxItem{}
	for _, it := range items {
		if it.Chat == chat {
			out[it.Kind] = append(out[it.Kind], it)
		}
	}
	return out
}

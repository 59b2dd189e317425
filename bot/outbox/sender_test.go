package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/store"
)

// senderScale speeds Telegram's limits, and the Sender's rates with them,
// up 20 times: 25 messages/s become 500/s and a minute lasts 3 s.
const senderScale = 20

// outboxRig is the real bot and Sender on a real bbolt file, sending to the
// fake Telegram with its limits on.
type outboxRig struct {
	t     testing.TB
	srv   *telegramtest.Server
	db    *store.DB
	wire  *tg.Client
	reg   *prometheus.Registry
	logs  *syncBuffer
	scale float64

	mu   sync.Mutex
	gone []int64 // chats reported gone
}

// newOutboxRig starts the fake with Telegram's limits sped up by scale. The
// bot reaches it with the fake's own client, whose transport wrap may wrap.
func newOutboxRig(t testing.TB, scale float64, wrap func(http.RoundTripper) http.RoundTripper) *outboxRig {
	t.Helper()
	lim := telegramtest.TelegramLimits()
	lim.Scale = scale
	srv := telegramtest.NewServer(telegramtest.WithLimits(lim))
	t.Cleanup(srv.Close)
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	client := srv.Client()
	if wrap != nil {
		client = &http.Client{Transport: wrap(client.Transport), Timeout: client.Timeout}
	}
	r := &outboxRig{t: t, srv: srv, db: db, reg: prometheus.NewRegistry(), logs: &syncBuffer{}, scale: scale}
	t.Cleanup(func() { r.db.Close() })
	metrics, err := tg.NewMetrics(r.reg)
	if err != nil {
		t.Fatal(err)
	}
	r.wire, err = tg.NewClient(tg.ClientOptions{
		Token: srv.Token(), APIURL: srv.URL(), HTTP: client, Metrics: metrics,
		Pacer: tg.NewPacer(time.Duration(float64(time.Second)/scale), 2, 20, srv.Second(), metrics),
	})
	if err != nil {
		t.Fatalf("tg.NewClient: %v", err)
	}
	t.Cleanup(func() {
		if strings.Contains(r.logs.String(), srv.Token()) {
			t.Errorf("the bot token appears in the logs")
		}
	})
	return r
}

// senderOptions are the Sender's defaults sped up by scale.
func senderOptions(scale float64) outbox.Options {
	unit := time.Duration(float64(time.Second) / scale)
	return outbox.Options{
		Rate:         25 * scale,
		Workers:      64, // the round trip and the commit do not speed up
		PollInterval: unit,
		MinBackoff:   unit,
		MaxBackoff:   20 * unit,
		// Injected timeouts drop the connection; the client's own timeout
		// must not fire on a request the fake is still answering on a loaded
		// machine, or a delivered message would be sent again.
		SendTimeout: 10 * time.Second,
	}
}

// run starts a Sender and returns the function that stops it and waits.
func (r *outboxRig) run(opts outbox.Options) (stop func()) {
	r.t.Helper()
	opts.ChatGone = func(_ context.Context, it multaque.OutboxItem) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !slices.Contains(r.gone, it.Chat) {
			r.gone = append(r.gone, it.Chat)
		}
		return nil
	}
	if opts.Logger == nil {
		log := zerolog.New(r.logs).Level(zerolog.InfoLevel)
		opts.Logger = &log
	}
	s, err := outbox.New(r.wire, r.db, opts)
	if err != nil {
		r.t.Fatalf("NewSender: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("Sender.Run: %v", err)
			}
		})
	}
	r.t.Cleanup(stop)
	return stop
}

// people creates n people who started the bot and consented.
func (r *outboxRig) people(n int) []*telegramtest.User {
	r.t.Helper()
	out := make([]*telegramtest.User, n)
	for i := range out {
		u := r.srv.NewUser(fmt.Sprintf("P%d", i), "ca")
		u.Send("/start")
		c := &multaque.Citizen{ID: u.ID, Lang: multaque.Catalan, ConsentAt: time.Now()}
		if err := r.db.SaveCitizen(context.Background(), c); err != nil {
			r.t.Fatalf("SaveCitizen: %v", err)
		}
		out[i] = u
	}
	return out
}

// groups creates n supergroups with the bot as administrator.
func (r *outboxRig) groups(n int) []*telegramtest.Group {
	owner := r.srv.NewUser("Owner", "ca")
	out := make([]*telegramtest.Group, n)
	for i := range out {
		out[i] = r.srv.NewSupergroup(fmt.Sprintf("Pool %d", i), owner)
		out[i].AddBot(owner, telegramtest.BotAdminRights)
	}
	return out
}

func (r *outboxRig) enqueue(items []multaque.OutboxItem) {
	r.t.Helper()
	for len(items) > 0 {
		n := min(len(items), 500)
		if _, err := r.db.Enqueue(context.Background(), items[:n]...); err != nil {
			r.t.Fatalf("Enqueue: %v", err)
		}
		items = items[n:]
	}
}

// waitEmpty waits until the outbox is empty.
func waitEmpty(t testing.TB, db *store.DB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, err := db.OutboxLen(context.Background())
		if err != nil {
			t.Fatalf("OutboxLen: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items still in the outbox after %v", n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// delivered counts the bot's messages in the chats by text (or caption).
func delivered(users []*telegramtest.User, groups []*telegramtest.Group) map[string]int {
	n := map[string]int{}
	count := func(ms []telegramtest.Message) {
		for _, m := range ms {
			if m.FromBot && m.Service == "" {
				n[m.Text+m.Caption]++
			}
		}
	}
	for _, u := range users {
		count(u.Messages())
	}
	for _, g := range groups {
		count(g.Messages())
	}
	return n
}

func item(chat int64, text string) multaque.OutboxItem {
	return multaque.OutboxItem{Kind: "test", Chat: chat, Priority: multaque.PriorityNormal, Text: text}
}

// TestSenderDeliversWithinLimits: 2,000 messages to 500 people and 5 groups,
// each delivered exactly once, without a single 429 and within every limit.
func TestSenderDeliversWithinLimits(t *testing.T) {
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(500)
	groups := r.groups(5)
	var items []multaque.OutboxItem
	for i := range 2000 {
		var chat int64
		if i%40 == 0 { // 50 to the groups: 10 each
			chat = groups[(i/40)%5].ID
		} else {
			chat = users[i%500].ID
		}
		it := item(chat, fmt.Sprintf("message %d", i))
		it.Priority = i % 3 * 4
		items = append(items, it)
	}
	r.enqueue(items)
	start := time.Now()
	r.run(senderOptions(senderScale))
	waitEmpty(t, r.db, 60*time.Second)
	took := time.Since(start)

	got := delivered(users, groups)
	for _, it := range items {
		if n := got[it.Text]; n != 1 {
			t.Errorf("%q delivered %d times, want 1", it.Text, n)
		}
	}
	if len(got) != len(items) {
		t.Errorf("%d distinct messages delivered, want %d", len(got), len(items))
	}
	st := r.srv.Stats()
	t.Logf("2000 messages in %v (%.0f/s; configured %d/s): %+v", took.Round(time.Millisecond), 2000/took.Seconds(), 25*senderScale, st)
	if st.TooManyRequests != 0 {
		t.Errorf("the fake answered 429 %d times, want 0", st.TooManyRequests)
	}
	lim := telegramtest.TelegramLimits()
	// The global count is not checked: the fake's 1/20 s window sees
	// requests bunch up on a loaded machine; its 429s would show a real excess.
	if st.MaxPerChatPerSecond > lim.PerChatBurst || st.MaxPerGroupPerMinute > lim.PerGroupPerMinute {
		t.Errorf("per chat/s %d, per group/min %d; want at most %d and %d",
			st.MaxPerChatPerSecond, st.MaxPerGroupPerMinute, lim.PerChatBurst, lim.PerGroupPerMinute)
	}
	if dead, _ := r.db.Dead(context.Background(), 10); len(dead) != 0 {
		t.Errorf("dead items: %+v, want none", dead)
	}
}

// TestSenderOrder: urgent items go before bulk ones enqueued earlier, and
// items not due yet wait.
func TestSenderOrder(t *testing.T) {
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(6)
	var items []multaque.OutboxItem
	for i, u := range users[:4] {
		it := item(u.ID, fmt.Sprintf("bulk %d", i))
		it.Priority = multaque.PriorityBulk
		items = append(items, it)
	}
	urgent := item(users[4].ID, "urgent")
	urgent.Priority = multaque.PriorityUrgent
	later := item(users[5].ID, "later")
	later.Priority = multaque.PriorityUrgent
	later.NotBefore = time.Now().Add(300 * time.Millisecond)
	r.enqueue(append(items, urgent, later))
	opts := senderOptions(senderScale)
	opts.Rate = 20 // slow enough to see the order
	r.run(opts)
	waitEmpty(t, r.db, 10*time.Second)

	var order []string
	for _, c := range r.srv.Calls("sendMessage") {
		if c.OK() {
			order = append(order, c.Params["text"])
		}
	}
	want := []string{"urgent", "bulk 0", "bulk 1", "bulk 2", "bulk 3", "later"}
	if !slices.Equal(order, want) {
		t.Errorf("sent in order %q, want %q", order, want)
	}
}

// callRecord is one sending request as the bot's HTTP client saw it.
type callRecord struct {
	start, end time.Time
	status     int
	retryAfter int
}

// recordingTransport notes when each sending request left and when its
// answer was read, to check that none left during a 429 pause.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []callRecord
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sending := strings.Contains(req.URL.Path, "/send") || strings.Contains(req.URL.Path, "/editMessage")
	rec := callRecord{start: time.Now()}
	resp, err := rt.base.RoundTrip(req)
	if err == nil && sending {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		err = rerr
		var answer struct {
			Parameters struct {
				RetryAfter int `json:"retry_after"`
			} `json:"parameters"`
		}
		_ = json.Unmarshal(body, &answer)
		rec.status, rec.retryAfter = resp.StatusCode, answer.Parameters.RetryAfter
	}
	rec.end = time.Now()
	if sending {
		rt.mu.Lock()
		rt.log = append(rt.log, rec)
		rt.mu.Unlock()
	}
	return resp, err
}

// duringPauses counts the requests that left after the bot had read a 429
// and before its retry_after was over. A request that left within slack of
// the answer was already on its way (a worker past the check) and is not
// counted.
func (rt *recordingTransport) duringPauses(second, slack time.Duration) (made, floods int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, f := range rt.log {
		if f.status != http.StatusTooManyRequests {
			continue
		}
		floods++
		from, to := f.end.Add(slack), f.end.Add(time.Duration(f.retryAfter)*second)
		for _, c := range rt.log {
			if c.start.After(from) && c.start.Before(to) {
				made++
			}
		}
	}
	return made, floods
}

// TestSenderSurvivesFaultsAndFloods: with 10% server errors, 10% timeouts
// and a 429 storm, every message to a reachable person is delivered once;
// blocked, deleted and never-started people are marked unreachable; a
// deleted group is reported gone; a message Telegram cannot parse is dead;
// and no request leaves during a pause.
func TestSenderSurvivesFaultsAndFloods(t *testing.T) {
	rt := &recordingTransport{}
	r := newOutboxRig(t, senderScale, func(base http.RoundTripper) http.RoundTripper {
		rt.base = base
		return rt
	})
	users := r.people(200)
	blocked, deactivated := users[:10], users[10:15]
	for _, u := range blocked {
		u.Block()
	}
	for _, u := range deactivated {
		u.Deactivate()
	}
	stranger := r.srv.NewUser("Stranger", "en") // never started the bot
	reachable := users[15:]
	groups := r.groups(2)
	groups[1].Delete()

	var items []multaque.OutboxItem
	for i := range 800 {
		items = append(items, item(users[i%len(users)].ID, fmt.Sprintf("message %d", i)))
	}
	for i := range 5 {
		items = append(items, item(groups[0].ID, fmt.Sprintf("to the group %d", i)), item(groups[1].ID, fmt.Sprintf("to the gone group %d", i)))
	}
	bad := item(reachable[0].ID, "<b>unclosed")
	bad.ParseMode = "HTML"
	items = append(items, item(stranger.ID, "hello stranger"), bad)
	r.enqueue(items)

	r.srv.InjectFaults(telegramtest.Faults{ServerErrorRate: 0.1, TimeoutRate: 0.1, Delay: 20 * time.Millisecond, Seed: 3})
	r.run(senderOptions(senderScale))
	time.Sleep(300 * time.Millisecond)
	r.srv.ForceRetryAfter(5) // 250 ms at scale 20
	time.Sleep(500 * time.Millisecond)
	r.srv.ForceRetryAfter(3)
	waitEmpty(t, r.db, 60*time.Second)

	got := delivered(users, groups)
	for _, it := range items {
		want := 1
		switch {
		case it.Chat == stranger.ID || it.Chat == groups[1].ID || it.Text == bad.Text:
			want = 0
		case slices.ContainsFunc(users[:15], func(u *telegramtest.User) bool { return u.ID == it.Chat }):
			want = 0
		}
		if n := got[it.Text]; n != want {
			t.Errorf("%q (to %d) delivered %d times, want %d", it.Text, it.Chat, n, want)
		}
	}
	for _, u := range append(slices.Clone(users[:15]), reachable[:3]...) {
		c, err := r.db.Citizen(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := u.ID <= users[14].ID; c.Unreachable != want {
			t.Errorf("citizen %d Unreachable=%v, want %v", u.ID, c.Unreachable, want)
		}
	}
	r.mu.Lock()
	gone := slices.Clone(r.gone)
	r.mu.Unlock()
	if !slices.Equal(gone, []int64{groups[1].ID}) {
		t.Errorf("chats reported gone: %v, want [%d]", gone, groups[1].ID)
	}
	dead, err := r.db.Dead(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var deadTexts []string
	for _, d := range dead {
		deadTexts = append(deadTexts, d.Text)
		if strings.Contains(d.LastError, r.srv.Token()) {
			t.Errorf("dead item %d keeps the token in its error", d.ID)
		}
	}
	slices.Sort(deadTexts)
	wantDead := []string{"<b>unclosed", "to the gone group 0", "to the gone group 1", "to the gone group 2", "to the gone group 3", "to the gone group 4"}
	if !slices.Equal(deadTexts, wantDead) {
		t.Errorf("dead items %q, want %q", deadTexts, wantDead)
	}

	st := r.srv.Stats()
	made, floods := rt.duringPauses(r.srv.Second(), r.srv.Second()/5)
	t.Logf("fake: %+v; 429s read by the bot: %d; requests made during a pause: %d", st, floods, made)
	if st.ServerErrors == 0 || st.Timeouts == 0 || floods == 0 {
		t.Fatalf("the test injected no faults or floods: %+v", st)
	}
	if made != 0 {
		t.Errorf("%d requests were made during a 429 pause, want 0", made)
	}
}

// TestSenderStopsCleanly: a stopped Sender leaves what it did not send in
// the outbox, and a new one sends exactly the rest.
func TestSenderStopsCleanly(t *testing.T) {
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(100)
	var items []multaque.OutboxItem
	for i := range 600 {
		items = append(items, item(users[i%100].ID, fmt.Sprintf("message %d", i)))
	}
	r.enqueue(items)
	opts := senderOptions(senderScale)
	opts.Rate = 400
	stop := r.run(opts)
	for r.srv.Stats().Sent < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	left, err := r.db.OutboxLen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sent := int(r.srv.Stats().Sent)
	if left+sent != len(items) {
		t.Fatalf("after stopping: %d sent + %d in the outbox, want %d: an item in flight was lost or counted twice", sent, left, len(items))
	}
	r.run(opts)
	waitEmpty(t, r.db, 30*time.Second)
	got := delivered(users, nil)
	for _, it := range items {
		if got[it.Text] != 1 {
			t.Errorf("%q delivered %d times, want 1", it.Text, got[it.Text])
		}
	}
}

// TestSenderDocumentAndKeyboard: an item's document and buttons arrive.
func TestSenderDocumentAndKeyboard(t *testing.T) {
	r := newOutboxRig(t, senderScale, nil)
	u := r.people(1)[0]
	doc := item(u.ID, "Your plan")
	doc.Document = &multaque.OutboxFile{Name: "plan.txt", MIME: "text/plain", Data: []byte("step 1")}
	invite := item(u.ID, "<b>Join</b> your team")
	invite.ParseMode = "HTML"
	invite.Keyboard = [][]multaque.OutboxButton{{{Text: "Join", URL: "https://t.me/+abc"}}, {{Text: "Not now", Data: "later|1|t1"}}}
	r.enqueue([]multaque.OutboxItem{doc, invite})
	r.run(senderOptions(senderScale))
	waitEmpty(t, r.db, 10*time.Second)
	ms := u.WaitBotMessages(t, 2)
	if d := ms[0].Document; d == nil || d.Name != "plan.txt" || string(d.Data) != "step 1" || ms[0].Caption != "Your plan" {
		t.Errorf("first message=%+v, want the document plan.txt with caption %q", ms[0], "Your plan")
	}
	kb := ms[1].Keyboard
	if ms[1].Text != "Join your team" || ms[1].ParseMode != "HTML" || len(kb) != 2 || kb[0][0].URL != "https://t.me/+abc" || kb[1][0].Data != "later|1|t1" {
		t.Errorf("second message=%+v, want the HTML invite with a link and a callback button", ms[1])
	}
}

// TestSenderMetrics: the Sender's counters reach /metrics.
func TestSenderMetrics(t *testing.T) {
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(3)
	users[2].Block()
	r.enqueue([]multaque.OutboxItem{item(users[0].ID, "a"), item(users[1].ID, "b"), item(users[2].ID, "c")})
	r.run(senderOptions(senderScale))
	waitEmpty(t, r.db, 10*time.Second)
	time.Sleep(3 * time.Second / senderScale) // a poll refreshes the queue length
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[name] = m.GetGauge().GetValue()
			}
		}
	}
	want := map[string]float64{
		"multaque_outbox_sent_total":               2,
		"multaque_outbox_failed_total/unreachable": 1,
		"multaque_outbox_failed_total/permanent":   0,
		"multaque_outbox_dead_total":               0,
		"multaque_outbox_queue_length":             0,
		"multaque_sender_pause_seconds":            0,
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("%s=%v (present %v), want %v", name, g, ok, w)
		}
	}
}

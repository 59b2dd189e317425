package bot

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// TestPanicIsRecoveredAndRecorded (issue 13, item 7): a panic while
// handling one update is recovered, logged without what the person wrote,
// counted, and the update recorded as handled, so that a restart does not
// meet it again; the next update is answered.
func TestPanicIsRecoveredAndRecorded(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	logs := &SyncBuffer{}
	b, err := New(Options{Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts,
		Client: srv.Client(), Logger: zerolog.New(logs), PollTimeout: time.Second, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const secretWords = "Carrer de la Pau 7"
	b.routeFn = func(ctx context.Context, c *tg.Context) error {
		if c.Message() != nil && c.Message().Text == secretWords {
			var none []string
			_ = none[len(c.Message().Text)] // index out of range: a runtime error
		}
		return b.route(ctx, c)
	}
	u := srv.NewUser("Pere", "ca")
	u.Send("/start") // Pere has written to the bot (nothing polls: this test hands updates itself)
	ctx := context.Background()
	boom := tg.Update{ID: 41, Message: &tg.Message{ID: 1, Text: secretWords,
		Chat: &tg.Chat{ID: u.ID, Type: tg.ChatPrivate}, Sender: &tg.User{ID: u.ID, FirstName: "Pere"}}}
	if err := b.HandleUpdate(ctx, boom); err != nil {
		t.Fatalf("HandleUpdate: %v", err)
	}
	b.flushDone()
	if seen, err := db.SeenUpdate(ctx, 41); err != nil || !seen {
		t.Errorf("the update that panicked is not recorded as handled (seen %v, err %v): it would crash every restart", seen, err)
	}
	if left, err := db.Inbox(ctx); err != nil || len(left) != 0 {
		t.Errorf("inbox holds %d updates after the panic (err %v), want none", len(left), err)
	}
	var panics float64
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "multaque_update_panics_total" {
			panics = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if panics != 1 {
		t.Errorf("multaque_update_panics_total = %v, want 1", panics)
	}
	out := logs.String()
	if !strings.Contains(out, "panicked") || strings.Contains(out, secretWords) || strings.Contains(out, "Pere") {
		t.Errorf("the log should name the panic and nothing the person wrote:\n%s", out)
	}
	// Handed again (a redelivery), it is skipped; the next update is answered.
	if err := b.HandleUpdate(ctx, boom); err != nil {
		t.Fatal(err)
	}
	help := tg.Update{ID: 42, Message: &tg.Message{ID: 2, Text: "/help",
		Chat: &tg.Chat{ID: u.ID, Type: tg.ChatPrivate}, Sender: &tg.User{ID: u.ID, FirstName: "Pere"}}}
	if err := b.HandleUpdate(ctx, help); err != nil {
		t.Fatal(err)
	}
	u.WaitBotMessages(t, 1)
}

// TestReplayShowsTheScreenOfACommittedChange (issue 12, no answer lost): an
// update whose change was committed, but whose answer a crash took, is
// left in the inbox trimmed to who sent it; at the next start the person
// gets their current screen rather than nothing, and the inbox empties.
func TestReplayShowsTheScreenOfACommittedChange(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts,
		Client: srv.Client(), Logger: zerolog.Nop(), PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	u := srv.NewUser("Pere", "ca")
	u.Send("/start")
	who := &tg.User{ID: u.ID, FirstName: "Pere", LanguageCode: "ca"}
	chat := &tg.Chat{ID: u.ID, Type: tg.ChatPrivate}
	if err := b.HandleUpdate(ctx, tg.Update{ID: 1, Message: &tg.Message{ID: 1, Text: "/start", Chat: chat, Sender: who}}); err != nil {
		t.Fatal(err)
	}
	for id, button := range []string{"✓ Català", "✅ D'acord, comencem"} {
		upd := u.Press(t, button)
		_ = upd
		m, _ := u.LastFromBot()
		if err := b.HandleUpdate(ctx, tg.Update{ID: 2 + id, Callback: &tg.Callback{ID: "cb", Sender: who,
			Message: &tg.Message{ID: m.ID, Chat: chat}, Data: callbackOf(t, m, button)}}); err != nil {
			t.Fatal(err)
		}
	}
	u.Expect(t, "Com et dius?")
	before := len(u.Messages())
	// The crash: update 9 (the name typed) was taken, its change committed,
	// its answer never sent.
	body := []byte(`{"update_id":9,"message":{"message_id":9,"from":{"id":` + strconv.FormatInt(u.ID, 10) +
		`,"first_name":"Pere"},"chat":{"id":` + strconv.FormatInt(u.ID, 10) + `,"type":"private"},"text":"Pere Secret"}}`)
	if _, err := db.TakeUpdates(ctx, []multaque.InboxUpdate{{ID: 9, Arrived: time.Now(), Body: body}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordUpdate(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if err := b.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	b.idle()
	b.flushDone()
	if len(u.Messages()) == before {
		t.Fatal("the replayed update got no answer: the person would wait for nothing")
	}
	u.Expect(t, "Com et dius?") // the current screen
	if left, _ := db.Inbox(ctx); len(left) != 0 {
		t.Errorf("inbox holds %d after the replay, want none", len(left))
	}
}

// callbackOf is the data of the button labelled text on m.
func callbackOf(t *testing.T, m telegramtest.Message, text string) string {
	t.Helper()
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == text {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q on %q", text, m.Text)
	return ""
}

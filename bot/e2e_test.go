package bot_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// syncBuffer is a log sink the bot's goroutines and the test share.
type syncBuffer = bot.SyncBuffer

// harness is the real bot, on a real bbolt file, polling the fake Telegram.
type harness struct {
	t     testing.TB
	srv   *telegramtest.Server
	db    *store.DB
	path  string
	cat   *catalog.Catalog
	texts *catalog.Messages
	bot   *bot.Bot
	logs  *syncBuffer
	stop  func()
	// coordinators are passed to bot.Options by start.
	coordinators []int64
	// match is passed to bot.Options by start (steering_test.go).
	match func(ctx context.Context) (bot.MatchReport, error)
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := newIdleHarness(t)
	h.start()
	t.Cleanup(h.shutdown)
	return h
}

// newIdleHarness is a harness on a new fake Telegram and a new file in
// t.TempDir(), with the built-in catalogue and texts, whose bot is not
// started: newHarness starts it, the rigs that start their own bot open
// the store first (openStore).
func newIdleHarness(t testing.TB) *harness {
	t.Helper()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, path: filepath.Join(t.TempDir(), "multaque.db"), logs: &syncBuffer{}}
	var err error
	if h.cat, err = catalog.Default(); err != nil {
		t.Fatal(err)
	}
	if h.texts, err = catalog.LoadMessages(); err != nil {
		t.Fatal(err)
	}
	return h
}

// openStore opens the harness's file, for a rig that starts its own bot.
func (h *harness) openStore() {
	h.t.Helper()
	db, err := store.Open(h.path)
	if err != nil {
		h.t.Fatalf("store.Open: %v", err)
	}
	h.db = db
}

// start opens the store and runs the bot until shutdown.
func (h *harness) start() {
	h.t.Helper()
	db, err := store.Open(h.path)
	if err != nil {
		h.t.Fatalf("store.Open: %v", err)
	}
	b, err := bot.New(bot.Options{
		Token: h.srv.Token(), APIURL: h.srv.URL(), Store: db, Catalog: h.cat, Texts: h.texts,
		Logger: zerolog.New(h.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
		Coordinators: h.coordinators, Match: h.match,
		FloodLimit: -1, // tests type faster than people; bot/intake_test.go tests the limit
		// The fake enforces no limit here; intake_test.go tests the budget.
		GlobalPerSecond: -1,
	})
	if err != nil {
		h.t.Fatalf("bot.New: %v", err)
	}
	if err := b.PublishCommands(); err != nil {
		h.t.Fatalf("PublishCommands: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	h.db, h.bot = db, b
	h.stop = func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
		if err := db.Close(); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	}
}

func (h *harness) shutdown() {
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
	if strings.Contains(h.logs.String(), h.srv.Token()) {
		h.t.Errorf("the bot token appears in the logs")
	}
}

// text is an interface message as a person sees it: HTML tags removed.
func (h *harness) text(lang multaque.Lang, id string) string {
	return h.textWith(lang, id, nil)
}

func (h *harness) textWith(lang multaque.Lang, id string, data map[string]any) string {
	return tags.ReplaceAllString(h.texts.Text(lang, id, data), "")
}

var tags = regexp.MustCompile(`<[^>]+>`)

func (h *harness) project(lang multaque.Lang, id string) string {
	p, ok := h.cat.Project(id)
	if !ok {
		h.t.Fatalf("no project %q", id)
	}
	return p.Name.In(lang)
}

func (h *harness) citizen(id int64) *multaque.Citizen {
	h.t.Helper()
	c, err := h.db.Citizen(context.Background(), id)
	if err != nil {
		h.t.Fatalf("Citizen(%d): %v", id, err)
	}
	return c
}

var langLabel = map[multaque.Lang]string{multaque.Catalan: "Català", multaque.Spanish: "Español", multaque.English: "English"}

// community is a community's name in lang.
func (h *harness) community(lang multaque.Lang, id string) string {
	c, ok := h.cat.Community(id)
	if !ok {
		h.t.Fatalf("no community %q", id)
	}
	return c.Name.In(lang)
}

// survey walks u through the whole survey in lang, to Gràcia and the
// consumer group, checking what they see at each step.
func (h *harness) survey(u *telegramtest.User, lang multaque.Lang, name string) {
	h.t.Helper()
	u.Send("/start")
	u.Expect(h.t, "Multaque")
	u.Press(h.t, "✓ "+langLabel[lang]) // preselected from language_code
	u.Expect(h.t, "/mydata")           // the privacy notice says how to see one's data
	u.Press(h.t, h.text(lang, "btn_consent"))
	u.Expect(h.t, h.text(lang, "ask_name"))
	u.Send(name)
	u.Expect(h.t, h.text(lang, "ask_community"))
	u.Press(h.t, h.community(lang, "barcelona")+" ›")
	u.Expect(h.t, h.community(lang, "barcelona"))
	u.Press(h.t, h.community(lang, "gracia")+" ›")
	u.Expect(h.t, h.community(lang, "gracia"))
	u.Press(h.t, "✓ "+h.textWith(lang, "btn_all_of", map[string]any{"Community": h.community(lang, "gracia")}))
	u.Expect(h.t, h.textWith(lang, "ask_interests", map[string]any{"Count": 0}))
	u.Press(h.t, "▫️ "+h.project(lang, "consumer-group"))
	u.Expect(h.t, h.textWith(lang, "ask_interests", map[string]any{"Count": 1}))
	u.Press(h.t, h.text(lang, "btn_done"))
}

func TestSurveyInEachLanguage(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		lang     multaque.Lang
		tgLang   string
		name     string
		asked    string // the name question, as a person reads it
		progress string
	}{
		{multaque.Catalan, "ca", "Anna", "Com et dius?", "de 8 veïns de Gràcia el volen"},
		{multaque.Spanish, "es-419", "Lucía", "¿Cómo te llamas?", "de 8 vecinos de Gracia lo quieren"},
		{multaque.English, "en-GB", "Joe O'Brien <b>", "What is your name?", "of 8 neighbours in Gràcia want it"},
	}
	for i, tt := range tests {
		t.Run(string(tt.lang), func(t *testing.T) {
			h.t = t
			u := h.srv.NewUser(tt.name, tt.tgLang)
			u.Send("/start")
			first := u.Expect(t, "Multaque")
			if !strings.Contains(first.Text, h.text(tt.lang, "choose_language")) {
				t.Fatalf("first message %q is not in %s", first.Text, tt.lang)
			}
			if _, err := h.db.Citizen(context.Background(), u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
				t.Fatalf("a citizen is stored before consent (err=%v)", err)
			}
			h.survey(u, tt.lang, tt.name)
			sum := u.Expect(t, tt.progress)
			want := fmt.Sprintf("%d %s", i+1, tt.progress)
			if !strings.Contains(sum.Text, want) {
				t.Errorf("summary %q does not say %q", sum.Text, want)
			}
			if !strings.Contains(sum.Text, tt.name) {
				t.Errorf("summary %q does not show the name %q as typed", sum.Text, tt.name)
			}
			if !strings.Contains(sum.Text, "https://t.me/"+h.bot.Username()+"?start=c_gracia_p_consumer-group_r_") {
				t.Errorf("summary %q has no share link", sum.Text)
			}
			found := false
			for _, m := range u.Messages() {
				found = found || strings.Contains(m.Text, tt.asked)
			}
			if !found {
				t.Errorf("no message asked %q", tt.asked)
			}
			c := h.citizen(u.ID)
			if c.Name != tt.name || c.Community != "gracia" || !c.HasInterest("consumer-group") || c.Lang != tt.lang || c.Survey.Step != multaque.StepDone {
				t.Errorf("stored %+v, want %s in gracia wanting consumer-group in %s, done", c, tt.name, tt.lang)
			}
		})
	}
}

func TestCommandsPublishedInEachLanguage(t *testing.T) {
	h := newHarness(t)
	h.srv.NewUser("Anna", "ca").Send("/help") // the bot is up once it answers
	for _, lang := range []string{"ca", "es", "en", ""} {
		cmds := h.srv.Commands("all_private_chats", lang)
		if len(cmds) != 11 {
			t.Fatalf("Commands(%q)=%v, want 11", lang, cmds)
		}
		for _, c := range cmds {
			if len(c.Description) < 3 || strings.HasPrefix(c.Description, "[") {
				t.Errorf("command %s in %q has description %q", c.Text, lang, c.Description)
			}
		}
	}
	if ca, es := h.srv.Commands("all_private_chats", "ca"), h.srv.Commands("all_private_chats", "es"); ca[0].Description == es[0].Description {
		t.Errorf("ca and es command descriptions are the same: %q", ca[0].Description)
	}
}

func TestBadInputGetsAnAnswer(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Marta", "ca")

	u.Send("hola")
	u.Expect(t, h.text(multaque.Catalan, "problem_choose_language"))

	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, h.text(multaque.Catalan, "btn_consent"))
	u.Expect(t, h.text(multaque.Catalan, "ask_name"))

	u.Send(strings.Repeat("M", 65))
	u.Expect(t, h.text(multaque.Catalan, "problem_name_too_long"))
	u.Send("Mar\u0000ta")
	u.Expect(t, h.text(multaque.Catalan, "problem_name_bad_chars"))
	u.Send(strings.Repeat("x", 4096))
	u.Expect(t, h.text(multaque.Catalan, "problem_name_too_long"))
	if c := h.citizen(u.ID); c.Name != "" || c.Survey.Step != multaque.StepName {
		t.Fatalf("bad names changed the citizen: %+v", c)
	}

	u.Send("/nosuchcommand")
	u.Expect(t, h.text(multaque.Catalan, "unknown_command"))
	u.ShareLocation(41.4036, 2.1570)
	u.Expect(t, h.text(multaque.Catalan, "problem_use_buttons"))

	u.Send("Marta")
	u.Expect(t, h.text(multaque.Catalan, "ask_community"))
	u.Send("Atlàntida")
	u.Expect(t, h.text(multaque.Catalan, "problem_no_community"))
	u.ShareLocation(41.4036, 2.1570)
	u.Expect(t, "Vila de Gràcia")
	if c := h.citizen(u.ID); c.Community != "vila-de-gracia" {
		t.Fatalf("Community=%q after sharing a location in Vila de Gràcia, want vila-de-gracia", c.Community)
	}
}

func TestStaleAndForgedButtonsChangeNothing(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Pau", "ca")
	u.Send("/start")
	u.Press(t, "✓ Català")
	u.Press(t, h.text(multaque.Catalan, "btn_consent"))
	u.Send("Pau")
	menu := u.Expect(t, h.text(multaque.Catalan, "ask_community"))
	u.Press(t, "Barcelona ›")
	u.Press(t, "Gràcia ›")
	u.Press(t, "✓ "+h.textWith(multaque.Catalan, "btn_all_of", map[string]any{"Community": "Gràcia"}))
	u.Expect(t, h.textWith(multaque.Catalan, "ask_interests", map[string]any{"Count": 0}))
	before := h.citizen(u.ID)

	var old string // a community button drawn for an earlier version
	for _, row := range menu.Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.Text, "Girona") {
				old = b.Data
			}
		}
	}
	if old == "" {
		t.Fatalf("no Girona button in %+v", menu.Keyboard)
	}
	for _, data := range []string{old, "itog|999|consumer-group", "itog|" + strconv.Itoa(before.Survey.Version) + "|no-such-project", "\x00garbage", "cpick|x|gracia"} {
		id := u.PressData(menu.ID, data)
		ans := waitAnswer(t, u, id)
		if !strings.Contains(ans.Text, h.text(multaque.Catalan, "stale")) {
			t.Errorf("press %q answered %q, want the expired-button text", data, ans.Text)
		}
	}
	after := h.citizen(u.ID)
	if after.Community != before.Community || after.Survey != before.Survey || len(after.Interests) != len(before.Interests) {
		t.Fatalf("stale buttons changed the citizen: before %+v after %+v", before, after)
	}
}

func waitAnswer(t *testing.T, u *telegramtest.User, updateID int) telegramtest.CallbackAnswer {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if a, ok := u.AnswerFor(updateID); ok {
			return a
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("callback %d was never answered", updateID)
	return telegramtest.CallbackAnswer{}
}

func TestDeclineStoresNothing(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Nil", "es")
	u.Send("/start")
	u.Press(t, "✓ Español")
	u.Press(t, h.text(multaque.Spanish, "btn_decline"))
	u.Expect(t, "no he guardado nada")
	if _, err := h.db.Citizen(context.Background(), u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Citizen after declining: err=%v, want not found", err)
	}
	u.Send("/mydata")
	u.Expect(t, h.text(multaque.Spanish, "nothing_held"))
}

func TestRestartResumesTheSurvey(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Jordi", "ca")
	u.Send("/start")
	u.Press(t, "✓ Català")
	u.Press(t, h.text(multaque.Catalan, "btn_consent"))
	u.Send("Jordi")
	u.Expect(t, h.text(multaque.Catalan, "ask_community"))

	h.shutdown()
	h.start()

	u.Send("/start")
	u.Expect(t, h.text(multaque.Catalan, "ask_community"))
	u.Send("Girona")
	u.Press(t, "Girona (Catalunya)")
	u.Expect(t, h.textWith(multaque.Catalan, "ask_interests", map[string]any{"Count": 0}))
	if c := h.citizen(u.ID); c.Name != "Jordi" || c.Community != "girona" {
		t.Fatalf("after restart: %+v, want Jordi in girona", c)
	}
}

func TestSettingsKeepQueuePlace(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Laia", "en")
	h.survey(u, multaque.English, "Laia")
	u.Expect(t, "1 of 8")
	since := h.citizen(u.ID).Interests[0].Since

	u.Send("/settings")
	u.Press(t, h.text(multaque.English, "btn_set_interests"))
	u.Press(t, "▫️ "+h.project(multaque.English, "time-bank"))
	u.Expect(t, h.textWith(multaque.English, "ask_interests", map[string]any{"Count": 2}))
	u.Press(t, h.text(multaque.English, "btn_done"))
	u.Expect(t, h.project(multaque.English, "time-bank"))

	c := h.citizen(u.ID)
	if len(c.Interests) != 2 || c.Interests[0].Project != "consumer-group" || !c.Interests[0].Since.Equal(since) {
		t.Fatalf("Interests=%+v, want consumer-group kept since %v, then time-bank", c.Interests, since)
	}

	u.Send("/settings")
	u.Press(t, h.text(multaque.English, "btn_set_lang"))
	u.Press(t, "Català")
	u.Expect(t, "de 8 veïns de Gràcia")
	if c := h.citizen(u.ID); c.Lang != multaque.Catalan {
		t.Fatalf("Lang=%s, want ca", c.Lang)
	}

	u.Send("/settings")
	u.Press(t, h.text(multaque.Catalan, "btn_set_name"))
	u.Expect(t, h.text(multaque.Catalan, "ask_name"))
	u.Send("/cancel")
	u.Expect(t, h.text(multaque.Catalan, "cancelled"))
	if c := h.citizen(u.ID); c.Name != "Laia" || c.Survey.Step != multaque.StepDone {
		t.Fatalf("after /cancel: %+v, want Laia, done", c)
	}
}

func TestDeepLinkPrefillsAndCountsReferral(t *testing.T) {
	h := newHarness(t)
	anna := h.srv.NewUser("Anna", "ca")
	h.survey(anna, multaque.Catalan, "Anna")
	code := h.citizen(anna.ID).RefCode

	bea := h.srv.NewUser("Bea", "ca")
	bea.Send("/start c_gracia_p_time-bank_r_" + code)
	bea.Press(t, "✓ Català")
	bea.Press(t, h.text(multaque.Catalan, "btn_consent"))
	bea.Send("Bea")
	// Community and project came with the link: straight to the projects.
	bea.Expect(t, h.textWith(multaque.Catalan, "ask_interests", map[string]any{"Count": 1}))
	c := h.citizen(bea.ID)
	if c.Community != "gracia" || !c.HasInterest("time-bank") {
		t.Fatalf("Bea=%+v, want gracia and time-bank from the link", c)
	}
	if got := h.citizen(anna.ID).Referrals; got != 1 {
		t.Fatalf("Anna's Referrals=%d, want 1", got)
	}
}

func TestProjectsBrowseAndInterested(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Ona", "ca")
	h.survey(u, multaque.Catalan, "Ona")
	u.Send("/projects")
	list := u.Expect(t, h.project(multaque.Catalan, "energy-coop"))
	if n := len(list.Keyboard); n < 12 {
		t.Fatalf("/projects shows %d buttons, want one per project", n)
	}
	u.Press(t, h.project(multaque.Catalan, "energy-coop"))
	u.Expect(t, "Som Energia")
	u.Press(t, h.text(multaque.Catalan, "btn_interested"))
	u.WaitUntil(t, "the project marked as wanted", func(ms []telegramtest.Message) bool {
		last := ms[len(ms)-1]
		return len(last.Keyboard) > 0 && last.Keyboard[0][0].Text == "✅ "+h.text(multaque.Catalan, "btn_already_interested")
	})
	if c := h.citizen(u.ID); !c.HasInterest("energy-coop") || !c.HasInterest("consumer-group") {
		t.Fatalf("Interests=%+v, want consumer-group and energy-coop", c.Interests)
	}
	u.Send("/me")
	u.Expect(t, h.project(multaque.Catalan, "energy-coop"))
}

func TestMyDataAndForget(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Rita", "es")
	h.survey(u, multaque.Spanish, "Rita Zubiaurre")
	other := h.srv.NewUser("Otro", "es")
	h.survey(other, multaque.Spanish, "Otro")
	code := h.citizen(u.ID).RefCode

	u.Send("/mydata")
	doc := u.Expect(t, h.text(multaque.Spanish, "mydata_caption"))
	if doc.Document == nil || !bytes.Contains(doc.Document.Data, []byte("Rita Zubiaurre")) || !json.Valid(doc.Document.Data) {
		t.Fatalf("/mydata document = %+v, want JSON with the name", doc.Document)
	}

	u.Send("/forget")
	u.Press(t, h.text(multaque.Spanish, "btn_forget"))
	u.Expect(t, "he borrado todo")

	id := make([]byte, 8)
	binary.BigEndian.PutUint64(id, uint64(u.ID))
	needles := [][]byte{id, []byte(strconv.FormatInt(u.ID, 10)), []byte("Rita Zubiaurre"), []byte(code)}
	err := h.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, n) || bytes.Contains(v, n) {
						t.Errorf("bucket %s still holds %q", name, n)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := h.citizen(other.ID); c.Name != "Otro" {
		t.Fatalf("another citizen was touched: %+v", c)
	}
	u.Send("/me")
	u.Expect(t, "Multaque") // back to the start, as a stranger
}

func TestBlockedPersonIsMarkedUnreachable(t *testing.T) {
	h := newHarness(t)
	u := h.srv.NewUser("Quim", "ca")
	h.survey(u, multaque.Catalan, "Quim")
	u.Expect(t, "1 de 8")
	u.Block() // Telegram tells the bot with a my_chat_member update
	deadline := time.Now().Add(5 * time.Second)
	for !h.citizen(u.ID).Unreachable {
		if time.Now().After(deadline) {
			t.Fatal("a person who blocked the bot is not marked unreachable")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n, err := h.db.CountWaiting(context.Background(), "gracia", []string{"consumer-group"})
	if err != nil || n["consumer-group"] != 0 {
		t.Fatalf("CountWaiting=%v,%v, want 0: an unreachable person does not wait", n, err)
	}
	u.Unblock()
	for h.citizen(u.ID).Unreachable {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("a person who unblocked the bot is still unreachable")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := h.db.CountWaiting(context.Background(), "gracia", []string{"consumer-group"}); n["consumer-group"] != 1 {
		t.Fatalf("after unblocking, CountWaiting=%v, want 1 again", n)
	}
}

// senderLog is the logger a test's Sender writes to: the harness's logs,
// beside the bot's.
func (h *harness) senderLog() *zerolog.Logger {
	l := zerolog.New(h.logs).Level(zerolog.DebugLevel)
	return &l
}

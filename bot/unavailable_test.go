package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
	"github.com/multaque/multaque/store/faultfs"
)

// These tests put the bot's database on a real file system that stops
// taking writes: a tmpfs that fills up (ENOSPC), an ext4 file system that
// fails and turns read-only under the open file (EROFS), and a file opened
// read-only. See store/faultfs.

// harnessAt is the e2e harness with its database at path. before, if
// set, prepares the harness before its bot starts.
func harnessAt(t *testing.T, path string, before ...func(h *harness)) *harness {
	t.Helper()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, path: path, logs: &syncBuffer{}}
	var err error
	if h.cat, err = catalog.Default(); err != nil {
		t.Fatal(err)
	}
	if h.texts, err = catalog.LoadMessages(); err != nil {
		t.Fatal(err)
	}
	for _, fn := range before {
		fn(h)
	}
	h.start()
	t.Cleanup(h.shutdown)
	return h
}

// runSender runs a Sender on h's bot and store until the returned stop.
func runSender(t *testing.T, h *harness) (stop func()) {
	t.Helper()
	s, err := outbox.New(h.bot.Wire(), h.db, outbox.Options{Logger: h.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// toName walks u through the survey up to the question of their name.
func toName(h *harness, u *telegramtest.User, lang multaque.Lang) {
	h.t.Helper()
	u.Send("/start")
	u.Expect(h.t, "Multaque")
	u.Press(h.t, "✓ "+langLabel[lang])
	u.Press(h.t, h.text(lang, "btn_consent"))
	u.Expect(h.t, h.text(lang, "ask_name"))
}

// fromName walks u, asked their name, to the end of the survey, as
// harness.survey does.
func fromName(h *harness, u *telegramtest.User, lang multaque.Lang, name string) {
	h.t.Helper()
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
	u.Expect(h.t, h.project(lang, "consumer-group"))
}

// whileUnwritable checks what people see while the store takes no
// writes: u, asked their name, is told the bot cannot save and stays
// where they were; /help, /projects and /me (reads) are answered.
func whileUnwritable(t *testing.T, h *harness, u, other *telegramtest.User) {
	t.Helper()
	es := multaque.Spanish
	u.Send("Ulla Zebulon")
	u.Expect(t, h.text(es, "error_unavailable"))
	if c := h.citizen(u.ID); c.Name != "" || c.Survey.Step != multaque.StepName {
		t.Errorf("after a refused write the citizen is %+v, want still asked their name", c)
	}
	u.Send("/help")
	u.Expect(t, "/mydata")
	u.Send("/projects")
	u.Expect(t, h.project(es, "consumer-group"))
	other.Send("/me")
	other.Expect(t, h.project(es, "consumer-group"))
}

// mustBeSound fails the test if h's database has any problem.
func mustBeSound(t *testing.T, h *harness) {
	t.Helper()
	problems, err := h.db.CheckWith(context.Background(), store.CheckOptions{Coordinators: h.coordinators})
	if err != nil || len(problems) != 0 {
		t.Fatalf("Check: %q, %v", problems, err)
	}
}

// TestDiskFullThenFreed fills the disk under the running bot: a person
// answering is told the bot cannot save now, what needs no write is
// answered, and once space is freed the same person finishes the survey,
// in the same process.
func TestDiskFullThenFreed(t *testing.T) {
	dir := faultfs.Tmpfs(t, "8m")
	h := harnessAt(t, filepath.Join(dir, "multaque.db"))
	es := multaque.Spanish
	other := h.srv.NewUser("Otra", "es")
	h.survey(other, es, "Otra")
	u := h.srv.NewUser("Ulla", "es")
	toName(h, u, es)

	filled, release := faultfs.Fill(t, dir)
	// bbolt writes into its free pages first: a full disk refuses only
	// the writes that need more. Use them up as other writes would.
	spare := 0
	for ; spare < 10_000; spare++ {
		_, err := h.db.RecordUpdate(context.Background(), 1<<40+spare)
		if err != nil {
			if multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
				t.Fatalf("RecordUpdate on a full disk: %v, want EUNAVAILABLE", err)
			}
			break
		}
	}
	t.Logf("filled %d bytes; %d small writes still fitted in bbolt's free pages", filled, spare)

	whileUnwritable(t, h, u, other)
	if !strings.Contains(h.logs.String(), "store unavailable") {
		t.Error("the refused write was not logged as the store being unavailable")
	}

	release()
	fromName(h, u, es, "Ulla Zebulon")
	if c := h.citizen(u.ID); c.Name != "Ulla Zebulon" || c.Survey.Step != multaque.StepDone {
		t.Errorf("after space was freed: %+v, want the survey done", c)
	}
	mustBeSound(t, h)
	if strings.Contains(h.logs.String(), "Zebulon") {
		t.Error("a name appears in the logs")
	}
}

// TestFileSystemFailsReadOnly makes the file system fail under the running
// bot and its Sender, as a dying disk does: every write fails with EROFS.
// People are told the bot cannot save; reads are answered; a message the
// Sender sent meanwhile is not sent again and again (it pauses, once);
// after the operator's repair and a restart, the same person finishes the
// survey, and the message whose sending could not be recorded goes once
// more (delivery is at least once).
func TestFileSystemFailsReadOnly(t *testing.T) {
	fs := faultfs.NewExt4(t, 32)
	h := harnessAt(t, filepath.Join(fs.Dir, "multaque.db"))
	stopSender := runSender(t, h)
	es := multaque.Spanish
	other := h.srv.NewUser("Otra", "es")
	h.survey(other, es, "Otra")
	u := h.srv.NewUser("Ulla", "es")
	toName(h, u, es)
	const notice = "Aviso de prueba 7310"
	if _, err := h.db.Enqueue(context.Background(), multaque.OutboxItem{
		Kind: "test", Chat: other.ID, Text: notice, NotBefore: time.Now().Add(time.Second),
	}); err != nil {
		t.Fatal(err)
	}

	fs.Fail(t)
	whileUnwritable(t, h, u, other)
	// The notice falls due while nothing can be written.
	other.WaitUntil(t, "the notice", func(ms []telegramtest.Message) bool { return len(sent(ms, notice)) > 0 })
	time.Sleep(1500 * time.Millisecond) // 30 polls of the Sender
	if n := len(sent(other.Messages(), notice)); n != 1 {
		t.Errorf("the notice was sent %d times while its sending could not be recorded, want once", n)
	}
	if n := strings.Count(h.logs.String(), "sending paused until it can"); n != 1 {
		t.Errorf("the Sender's pause was logged %d times, want once", n)
	}

	// The operator stops the bot, repairs the file system, starts it again.
	stopSender()
	h.shutdown()
	fs.Repair(t)
	h.start()
	stopSender = runSender(t, h)
	defer stopSender()
	u.Send("/start")
	u.Expect(t, h.text(es, "ask_name"))
	fromName(h, u, es, "Ulla Zebulon")
	if c := h.citizen(u.ID); c.Name != "Ulla Zebulon" || c.Survey.Step != multaque.StepDone {
		t.Errorf("after the repair: %+v, want the survey done", c)
	}
	other.WaitUntil(t, "the notice again", func(ms []telegramtest.Message) bool { return len(sent(ms, notice)) == 2 })
	eventually(t, "the outbox is empty", func() bool { n, _ := h.db.OutboxLen(context.Background()); return n == 0 })
	mustBeSound(t, h)
}

// TestProvisionerWaitsForTheStore: a team waits for its group while the
// file system has failed. The Provisioner cannot record its first step;
// it says so once, backs off instead of trying every pass, and provisions
// the team once the store is back.
func TestProvisionerWaitsForTheStore(t *testing.T) {
	fs := faultfs.NewExt4(t, 32)
	var coord *telegramtest.User
	h := harnessAt(t, filepath.Join(fs.Dir, "multaque.db"), func(h *harness) {
		coord = h.srv.NewUser("Carme", "ca")
		h.coordinators = []int64{coord.ID}
	})
	coord.Send("/start")
	coord.Expect(t, "Multaque")
	g := h.srv.NewSupergroup("Spare", coord)
	g.AddBot(coord, telegramtest.BotAdminRights)
	ctx := context.Background()
	eventually(t, "the group is in the pool", func() bool { gs, _ := h.db.PoolGroups(ctx); return len(gs) == 1 })
	var ids []int64
	for _, name := range []string{"Pau", "Rita"} {
		u := h.srv.NewUser(name, "ca")
		u.Send("/start")
		u.Expect(t, "Multaque")
		now := time.Now()
		if err := h.db.SaveCitizen(ctx, &multaque.Citizen{
			ID: u.ID, Lang: multaque.Catalan, Name: name, Community: "gracia", ConsentAt: now, UpdatedAt: now,
			Survey:    multaque.Survey{Step: multaque.StepDone, Version: 1},
			Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
		}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	team, err := h.db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group",
		Members: []multaque.TeamMember{{Citizen: ids[0]}, {Citizen: ids[1]}}}, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}

	fs.Fail(t)
	runProvisioner := func() (stop func()) {
		p, err := h.bot.NewProvisioner(bot.ProvisionerOptions{Interval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { p.Run(pctx); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := runProvisioner()
	time.Sleep(time.Second) // 50 intervals
	stop()
	logs := h.logs.String()
	if n := strings.Count(logs, "provisioning paused until it can"); n != 1 {
		t.Errorf("the pause was logged %d times, want once", n)
	}
	if n := strings.Count(logs, "provisioning failed"); n != 0 {
		t.Errorf("%d failures logged besides the pause, want none", n)
	}
	if g.Title() != "Spare" {
		t.Errorf("the group was renamed to %q while nothing could be recorded", g.Title())
	}

	h.shutdown()
	fs.Repair(t)
	h.start()
	stop = runProvisioner()
	defer stop()
	eventually(t, "the team is active in the group", func() bool {
		tm, err := h.db.Team(ctx, team.ID)
		return err == nil && tm.Status == multaque.TeamActive && tm.Chat == g.ID
	})
	mustBeSound(t, h)
}

// TestReadOnlyStore serves from a database opened read-only, as from a
// file that cannot be written: the same answers as on a failed disk.
func TestReadOnlyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	h := harnessAt(t, path)
	es := multaque.Spanish
	other := h.srv.NewUser("Otra", "es")
	h.survey(other, es, "Otra")
	u := h.srv.NewUser("Ulla", "es")
	toName(h, u, es)
	h.shutdown()

	db, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{
		Token: h.srv.Token(), APIURL: h.srv.URL(), Store: db, Catalog: h.cat, Texts: h.texts,
		Logger: zerolog.New(h.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	h.db = db
	defer func() {
		cancel()
		<-done
		db.Close()
	}()
	whileUnwritable(t, h, u, other)
}

// sent returns the messages of ms from the bot that contain text.
func sent(ms []telegramtest.Message, text string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range ms {
		if m.FromBot && strings.Contains(m.Text, text) {
			out = append(out, m)
		}
	}
	return out
}

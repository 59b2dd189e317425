package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// What a person reads on each screen of the survey, in Catalan, and the
// buttons they press.
const (
	seeName      = "Com et dius?"
	seeCommunity = "On vius?"
	seeChoices   = "Quina és la teva?"
	seeInterests = "Quins projectes"
	seeSummary   = "això és el que m'has dit"
	btnLanguage  = "✓ Català"
	btnConsent   = "✅ D'acord, comencem"
	btnGirona    = "Girona (Catalunya)"
	btnWant      = "▫️ Grup de consum agroecològic"
	btnWanted    = "✅ Grup de consum agroecològic"
	btnDone      = "Fet ✔️"
)

// How far a person has seen the bot confirm their answers: every screen is
// shown only after what led to it is committed, so a person who has seen
// the interests question knows their name and community are stored.
const (
	ackNone      = iota
	ackName      // they saw the community question: their name is stored
	ackCommunity // they saw the interests question: their community is stored
	ackInterest  // they saw their project ticked: the interest is stored
	ackDone      // they saw the summary: the survey is done
)

// respondent is a simulated person answering the survey as people do:
// reading the last screen the bot showed, answering it, and sending /start
// to see where they are when no answer comes.
type respondent struct {
	u       *telegramtest.User
	name    string
	acked   atomic.Int32
	retries atomic.Int32 // the /start they sent because no answer came
	actions atomic.Int32
}

// TestSurveySurvivesSIGKILL: 100 people (200 with -sigkill.full) answer
// the survey at the same time while the whole program is killed with
// SIGKILL 3 times (5) at random moments, in polling and in webhook mode (the intake's inbox: an update
// confirmed to Telegram, by the offset or the 200, is in the file). After
// each kill `multaque check` finds the file sound and every answer any
// person saw acknowledged is in it; after the last run everyone has
// finished the survey with all their answers, and the inbox is empty.
var sigkillFull = flag.Bool("sigkill.full", false, "TestSurveySurvivesSIGKILL: 200 people and 5 kills in each mode (else 100 and 3)")

func TestSurveySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes for a minute")
	}
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { surveySurvivesSIGKILL(t, mode) })
	}
}

func surveySurvivesSIGKILL(t *testing.T, mode string) {
	people, kills := 200, 5
	if !*sigkillFull {
		// Within CI's budget: the answers keep the global budget of 30
		// messages a second (sender.rate), which 200 people would wait on.
		people, kills = 100, 3
	}
	began := time.Now()
	srv := telegramtest.NewServer(telegramtest.WithWaitTimeout(15*time.Second), telegramtest.WithHTTPWebhooks())
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	env := envFor(srv, dataPath)
	env["MULTAQUE_LOG_LEVEL"] = "warn"
	env["MULTAQUE_SENDER_PER_CHAT_INTERVAL"] = "10ms"
	env["MULTAQUE_SENDER_RATE"] = "30"
	if mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		env["MULTAQUE_TELEGRAM_MODE"] = "webhook"
		env["MULTAQUE_WEBHOOK_LISTEN"] = addr
		env["MULTAQUE_WEBHOOK_PATH"] = "/telegram"
		// Telegram posts to https on a few ports only, and the fake has no
		// certificate: the binary registers this address, and the test then
		// points the fake at its plain listener, as a proxy ending TLS in
		// front of it would (see pointWebhook).
		env["MULTAQUE_WEBHOOK_PUBLIC_URL"] = "https://127.0.0.1:8443/telegram"
		env["MULTAQUE_WEBHOOK_SECRET"] = strings.Repeat("s3cr3t-", 6)
	}
	startUp := func(t *testing.T, srv *telegramtest.Server, env map[string]string) *exec.Cmd {
		hooks := len(srv.Calls("setWebhook"))
		p := startUp(t, srv, env)
		if mode == "webhook" {
			pointWebhook(t, srv, hooks, "http://"+env["MULTAQUE_WEBHOOK_LISTEN"]+"/telegram", env["MULTAQUE_WEBHOOK_SECRET"])
		}
		return p
	}

	rs := make([]*respondent, people)
	for i := range rs {
		rs[i] = &respondent{u: srv.NewUser(fmt.Sprintf("Veí %d", i), "ca"), name: fmt.Sprintf("Veí %d", i)}
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() { r.answer(ctx, t) })
	}
	// Once the people are done, the last run may stop.
	finished := func() int {
		n := 0
		for _, r := range rs {
			if r.acked.Load() == ackDone {
				n++
			}
		}
		return n
	}

	// Kill k comes when the people, all together, have seen a random
	// share in the k-th fifth of all the acknowledgements the survey gives
	// (4 a person), and a few milliseconds more: the kills fall amid every
	// stage of the survey however fast the machine is.
	progress := func() int64 {
		n := int64(0)
		for _, r := range rs {
			n += int64(r.acked.Load())
		}
		return n
	}
	answers := func() int64 { st := srv.Stats(); return st.Sent + st.Edited }
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	span := int64(ackDone * people / kills)
	lost := 0
	for k := range kills {
		p := startUp(t, srv, env)
		target := int64(k)*span + span/4 + rng.Int64N(span/2)
		deadline := time.Now().Add(time.Minute)
		for progress() < target {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: the people saw %d of %d acknowledgements in a minute", k+1, progress(), target)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.Wait()
		acked := acknowledged(rs)
		checkClean(t, env, dataPath)
		n := lostAnswers(t, dataPath, rs, acked)
		lost += n
		t.Logf("kill %d after %d answers: acknowledged %v; %d answers lost", k+1, answers(), tally(acked), n)
	}

	p := startUp(t, srv, env)
	deadline := time.Now().Add(90 * time.Second)
	for finished() < people {
		if time.Now().After(deadline) {
			stop()
			wg.Wait()
			t.Fatalf("%d of %d people finished the survey after %d kills; acknowledged %v", finished(), people, kills, tally(acknowledged(rs)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	checkClean(t, env, dataPath)
	lost += lostAnswers(t, dataPath, rs, acknowledged(rs))
	var retries, actions int32
	for _, r := range rs {
		retries += r.retries.Load()
		actions += r.actions.Load()
	}
	t.Logf("%d people, %d kills, %d actions (%d of them a /start after no answer came), %d answers; %d acknowledged answers lost; %v",
		people, kills, actions, retries, answers(), lost, time.Since(began).Round(100*time.Millisecond))
	if lost > 0 {
		t.Fatalf("%d acknowledged answers lost", lost)
	}
	db, err := store.Open(dataPath, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if left, err := db.Inbox(context.Background()); err != nil || len(left) != 0 {
		t.Errorf("after a clean stop the inbox holds %d updates (err %v), want none", len(left), err)
	}
}

// answer walks r through the survey until they see their summary or ctx is
// done.
func (r *respondent) answer(ctx context.Context, t *testing.T) {
	u := r.u
	for ctx.Err() == nil {
		m, _ := u.LastFromBot()
		var act func(tb testing.TB)
		switch {
		case strings.Contains(m.Text, seeSummary):
			r.see(ackDone)
			return
		case strings.Contains(m.Text, seeInterests) && hasButton(m, btnWanted):
			r.see(ackInterest)
			act = func(tb testing.TB) { u.Press(tb, btnDone) }
		case strings.Contains(m.Text, seeInterests):
			r.see(ackCommunity)
			act = func(tb testing.TB) { u.Press(tb, btnWant) }
		case strings.Contains(m.Text, seeChoices):
			r.see(ackName)
			act = func(tb testing.TB) { u.Press(tb, btnGirona) }
		case strings.Contains(m.Text, seeCommunity):
			r.see(ackName)
			act = func(testing.TB) { u.Send("Girona") }
		case strings.Contains(m.Text, seeName):
			act = func(testing.TB) { u.Send(r.name) }
		case hasButton(m, btnConsent):
			act = func(tb testing.TB) { u.Press(tb, btnConsent) }
		case hasButton(m, btnLanguage):
			act = func(tb testing.TB) { u.Press(tb, btnLanguage) }
		default: // nothing yet, or a message that is no screen of the survey
			act = func(testing.TB) { u.Send("/start") }
		}
		r.actions.Add(1)
		if attempt(t, func(tb testing.TB) { act(tb); u.Expect(tb, "") }) {
			continue
		}
		// No answer came: the bot is down, or died between its commit and
		// its answer. Ask where we are.
		r.retries.Add(1)
		r.actions.Add(1)
		attempt(t, func(tb testing.TB) { u.Send("/start"); u.Expect(tb, "") })
	}
}

// startUp starts `multaque serve` as a process and returns once it is up:
// it has asked the fake Telegram who it is (getMe), its first call.
func startUp(t *testing.T, srv *telegramtest.Server, env map[string]string) *exec.Cmd {
	t.Helper()
	before := len(srv.Calls("getMe"))
	p := startProcess(t, env)
	deadline := time.Now().Add(time.Minute)
	for len(srv.Calls("getMe")) == before {
		if time.Now().After(deadline) {
			t.Fatal("multaque serve did not call getMe within a minute of its start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p
}

// pointWebhook waits for the binary's setWebhook (the hooks-th) and sets
// the webhook again at url, with the same secret.
func pointWebhook(t *testing.T, srv *telegramtest.Server, hooks int, url, secret string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(srv.Calls("setWebhook")) <= hooks {
		if time.Now().After(deadline) {
			t.Fatal("multaque serve did not set its webhook within a minute of its start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	body := fmt.Sprintf(`{"url":%q,"secret_token":%q,"allowed_updates":["message","callback_query","my_chat_member","chat_member","chat_join_request"]}`, url, secret)
	for {
		resp, err := srv.Client().Post(srv.URL()+"/bot"+srv.Token()+"/setWebhook", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == 200:
			return
		case resp.StatusCode != 429 || time.Now().After(deadline):
			t.Fatalf("setWebhook %s: status %d", url, resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond) // Telegram takes one setWebhook a second
	}
}

// see notes that r has seen the bot confirm their answers up to level.
func (r *respondent) see(level int32) {
	for {
		cur := r.acked.Load()
		if cur >= level || r.acked.CompareAndSwap(cur, level) {
			return
		}
	}
}

func hasButton(m telegramtest.Message, text string) bool {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}

// missed is what soft's Fatalf panics with: a wait of the fake Telegram ran
// out.
type missed struct{ msg string }

// soft is a testing.TB whose Fatalf does not fail the test, so that the
// fake Telegram's waits can be tried from the respondents' goroutines.
type soft struct{ testing.TB }

func (soft) Helper() {}

func (soft) Fatalf(format string, args ...any) { panic(missed{fmt.Sprintf(format, args...)}) }

// attempt runs f with a soft TB and reports whether it went through.
func attempt(tb testing.TB, f func(testing.TB)) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(missed); !is {
				panic(r)
			}
			ok = false
		}
	}()
	f(soft{tb})
	return true
}

// acknowledged takes each person's level at this moment.
func acknowledged(rs []*respondent) []int32 {
	out := make([]int32, len(rs))
	for i, r := range rs {
		out[i] = r.acked.Load()
	}
	return out
}

// tally counts the people at each level.
func tally(acked []int32) map[string]int {
	names := []string{"none", "name", "community", "interest", "done"}
	out := map[string]int{}
	for _, a := range acked {
		out[names[a]]++
	}
	return out
}

// lostAnswers counts the answers people saw acknowledged that the database
// does not hold.
func lostAnswers(t *testing.T, path string, rs []*respondent, acked []int32) int {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open after the kill: %v", err)
	}
	defer db.Close()
	lost := 0
	for i, r := range rs {
		if acked[i] == ackNone {
			continue
		}
		c, err := db.Citizen(context.Background(), r.u.ID)
		if err != nil {
			t.Errorf("%s saw their answers acknowledged up to %d, but: %v", r.name, acked[i], err)
			lost += int(acked[i])
			continue
		}
		var missing []string
		if c.Name != r.name {
			missing = append(missing, "name")
		}
		if acked[i] >= ackCommunity && c.Community != "girona" {
			missing = append(missing, "community")
		}
		if acked[i] >= ackInterest && !c.HasInterest("consumer-group") {
			missing = append(missing, "interest")
		}
		if acked[i] >= ackDone && c.Survey.Step != multaque.StepDone {
			missing = append(missing, "done")
		}
		if len(missing) > 0 {
			t.Errorf("%s saw their answers acknowledged up to %d; the database lacks %v: %+v", r.name, acked[i], missing, c)
			lost += len(missing)
		}
	}
	return lost
}

// checkClean runs `multaque check --data FILE` as a process, with the
// environment the stopped program had (it names the coordinators, whom
// messages may be for), and fails the test if it reports any problem.
func checkClean(t *testing.T, env map[string]string, path string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "check", "--data", path)
	cmd.Env = append(os.Environ(), "MULTAQUE_TEST_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("multaque check: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sound") {
		t.Fatalf("multaque check did not say the file is sound:\n%s", out)
	}
}

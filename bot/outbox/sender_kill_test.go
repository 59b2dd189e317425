package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/store"
)

// The child process of TestSenderSurvivesSIGKILL is this test binary again,
// told by the environment what to do.
const (
	envChild = "MULTAQUE_SENDER_CHILD" // "run" (until killed) or "drain" (until the outbox is empty)
	envDB    = "MULTAQUE_SENDER_DB"
	envURL   = "MULTAQUE_SENDER_API_URL"
	envToken = "MULTAQUE_SENDER_TOKEN"
	envUnit  = "MULTAQUE_SENDER_UNIT" // the fake's second, in nanoseconds
)

// TestSenderChildProcess is not a test of its own: it is the Sender process
// that TestSenderSurvivesSIGKILL starts, kills and starts again.
func TestSenderChildProcess(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("the child process of TestSenderSurvivesSIGKILL")
	}
	unit, err := strconv.ParseInt(os.Getenv(envUnit), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(os.Getenv(envDB))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wire, err := tg.NewClient(tg.ClientOptions{
		Token: os.Getenv(envToken), APIURL: os.Getenv(envURL),
		HTTP:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Pacer: tg.NewPacer(time.Duration(float64(time.Second)/senderScale), 2, 20, time.Duration(unit), nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := senderOptions(senderScale)
	log := zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	opts.Logger = &log
	s, err := outbox.New(wire, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if mode != "drain" {
			continue // run until killed
		}
		if n, err := db.OutboxLen(context.Background()); err != nil || n == 0 {
			cancel()
			if rerr := <-done; rerr != nil {
				t.Fatal(rerr)
			}
			return
		}
	}
	t.Fatal("the child ran for a minute")
}

// TestSenderSurvivesSIGKILL: a Sender process draining an outbox of 3,000
// items is killed with SIGKILL 5 times, each after a random number of
// deliveries, and started again. After each kill the file is sound (the
// check `multaque check` runs) and every item is delivered or still
// queued; at the end every item is delivered, and the duplicates are no
// more than the items that were in flight at the kills: delivered, but not
// yet recorded as such.
func TestSenderSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	const total, kills = 3000, 5
	began := time.Now()
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(300)
	var items []multaque.OutboxItem
	for i := range total {
		items = append(items, item(users[i%len(users)].ID, fmt.Sprintf("message %d", i)))
	}
	var ids []uint64
	for i := 0; i < total; i += 500 {
		got, err := r.db.Enqueue(context.Background(), items[i:i+500]...)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	path := r.db.Path()
	if err := r.db.Close(); err != nil {
		t.Fatal(err)
	}

	child := func(mode string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSenderChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChild+"="+mode, envDB+"="+path, envURL+"="+r.srv.URL(),
			envToken+"="+r.srv.Token(), envUnit+"="+strconv.FormatInt(int64(r.srv.Second()), 10))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, out
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	inFlight := 0 // items delivered but still queued, summed over the kills
	for k := range kills {
		p, out := child("run")
		target := r.srv.Stats().Sent + 100 + rng.Int64N(400)
		deadline := time.Now().Add(30 * time.Second)
		for r.srv.Stats().Sent < target {
			if time.Now().After(deadline) {
				p.Process.Kill()
				p.Wait()
				t.Fatalf("the child sent %d of %d messages in 30s:\n%s", r.srv.Stats().Sent, target, out)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond) // not in step with a delivery
		if err := p.Process.Kill(); err != nil {                   // SIGKILL
			t.Fatal(err)
		}
		_ = p.Wait()
		time.Sleep(50 * time.Millisecond) // requests the fake was still answering
		n, queued := settledAfterKill(t, path, items, ids, users)
		inFlight += n
		t.Logf("kill %d: %d messages sent, %d items queued, %d of them delivered already (in flight)", k+1, r.srv.Stats().Sent, queued, n)
	}

	last, out := child("drain")
	waited := make(chan error, 1)
	go func() { waited <- last.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("the last child: %v\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		last.Process.Kill()
		t.Fatalf("the last child did not empty the outbox in 60s:\n%s", out)
	}

	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r.db = db
	checkFile(t, db)
	if n, err := db.OutboxLen(context.Background()); err != nil || n != 0 {
		t.Fatalf("OutboxLen=%d, %v after the last child; want 0", n, err)
	}
	got := delivered(users, nil)
	duplicates, lost := 0, 0
	for _, it := range items {
		switch n := got[it.Text]; {
		case n == 0:
			lost++
			t.Errorf("%q never delivered", it.Text)
		case n > 1:
			duplicates += n - 1
		}
	}
	workers := senderOptions(senderScale).Workers // items in flight at most, per kill
	t.Logf("%d items, %d kills: %d lost, %d duplicates; %d items were in flight at the kills (at most %d each); %v",
		total, kills, lost, duplicates, inFlight, workers, time.Since(began).Round(100*time.Millisecond))
	if duplicates > inFlight || inFlight > kills*workers {
		t.Errorf("%d duplicates, %d items in flight at %d kills; want duplicates <= in flight <= %d", duplicates, inFlight, kills, kills*workers)
	}
}

// settledAfterKill checks the file a killed Sender left: sound, and every
// item delivered or still queued. It returns how many queued items were
// delivered already (they were in flight: each will be delivered again)
// and how many are queued.
func settledAfterKill(t *testing.T, path string, items []multaque.OutboxItem, ids []uint64, users []*telegramtest.User) (inFlight, queued int) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer db.Close()
	checkFile(t, db)
	got := delivered(users, nil)
	for i, it := range items {
		_, err := db.OutboxItem(context.Background(), ids[i])
		switch {
		case err == nil:
			queued++
			if got[it.Text] > 0 {
				inFlight++
			}
		case multaque.ErrorCode(err) != multaque.ENOTFOUND:
			t.Fatalf("OutboxItem: %v", err)
		case got[it.Text] == 0:
			t.Errorf("%q is neither delivered nor queued after a kill", it.Text)
		}
	}
	return inFlight, queued
}

// checkFile fails the test if the check `multaque check` runs finds a
// problem in the file.
func checkFile(t *testing.T, db *store.DB) {
	t.Helper()
	problems, err := db.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(problems) > 0 {
		t.Fatalf("Check found %d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

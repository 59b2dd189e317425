package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
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
	b, err := bot.New(bot.Options{
		Token: os.Getenv(envToken), APIURL: os.Getenv(envURL), Store: db,
		Client:          &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Logger:          zerolog.New(os.Stderr).Level(zerolog.WarnLevel),
		PerChatInterval: time.Duration(float64(time.Second) / senderScale),
		RetryAfterUnit:  time.Duration(unit),
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.NewSender(db, senderOptions(senderScale))
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

// TestSenderSurvivesSIGKILL: a Sender process killed with SIGKILL while it
// sends 1,000 items, then started again, delivers every item; duplicates
// are at most the requests that were in flight at the kill.
func TestSenderSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	r := newOutboxRig(t, senderScale, nil)
	users := r.people(250)
	var items []multaque.OutboxItem
	for i := range 1000 {
		items = append(items, item(users[i%len(users)].ID, fmt.Sprintf("message %d", i)))
	}
	r.enqueue(items)
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
	first, out := child("run")
	deadline := time.Now().Add(30 * time.Second)
	for r.srv.Stats().Sent < 300 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("the first child sent %d messages in 30s:\n%s", r.srv.Stats().Sent, out)
		}
		time.Sleep(time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := r.srv.Stats().Sent

	second, out := child("drain")
	waited := make(chan error, 1)
	go func() { waited <- second.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("the second child: %v\n%s", err, out)
		}
	case <-time.After(45 * time.Second):
		second.Process.Kill()
		t.Fatalf("the second child did not empty the outbox in 45s:\n%s", out)
	}

	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r.db = db
	if n, err := db.OutboxLen(context.Background()); err != nil || n != 0 {
		t.Fatalf("OutboxLen=%d, %v after the second child; want 0", n, err)
	}
	got := delivered(users, nil)
	duplicates := 0
	for _, it := range items {
		switch n := got[it.Text]; {
		case n == 0:
			t.Errorf("%q never delivered", it.Text)
		case n > 1:
			duplicates += n - 1
		}
	}
	workers := senderOptions(senderScale).Workers // items in flight at most
	t.Logf("killed after %d of %d messages; %d duplicates (at most %d items were in flight)", atKill, len(items), duplicates, workers)
	if duplicates > workers {
		t.Errorf("%d duplicates, more than the %d items that can be in flight", duplicates, workers)
	}
}

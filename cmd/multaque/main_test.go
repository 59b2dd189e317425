package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// TestMain lets the test binary stand in for the multaque binary: with
// MULTAQUE_TEST_RUN_MAIN=1 it runs main() with the arguments after "--", so
// that tests can start, signal and SIGKILL a real process.
func TestMain(m *testing.M) {
	if os.Getenv("MULTAQUE_TEST_RUN_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"multaque"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func envFor(srv *telegramtest.Server, dataPath string) map[string]string {
	return map[string]string{
		"MULTAQUE_TELEGRAM_TOKEN":        srv.Token(),
		"MULTAQUE_TELEGRAM_API_URL":      srv.URL(),
		"MULTAQUE_TELEGRAM_POLL_TIMEOUT": "1s",
		"MULTAQUE_DATA_PATH":             dataPath,
		"MULTAQUE_HTTP_ADDR":             "off",
		"MULTAQUE_LOG_FORMAT":            "json",
		"MULTAQUE_LOG_LEVEL":             "debug",
	}
}

// TestServeEndToEnd runs `multaque serve` in-process against the fake
// Telegram: a person answers, the context is cancelled as SIGTERM would,
// Run returns cleanly and the answer is in the database.
func TestServeEndToEnd(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "data", "multaque.db")
	env := envFor(srv, dataPath)
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &logs, &logs)
	}()

	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, "✅ D'acord, comencem")
	u.Expect(t, "Com et dius?")
	u.Send("Anna")
	u.Expect(t, "On vius?")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run=%v, want nil after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of being asked to")
	}
	if strings.Contains(logs.String(), srv.Token()) {
		t.Fatal("the bot token appears in the logs")
	}
	if strings.Contains(logs.String(), `"Anna"`) {
		t.Fatalf("a person's name appears in the logs:\n%s", logs.String())
	}
	// The store was closed: it opens again at once.
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatalf("reopen after shutdown: %v", err)
	}
	defer db.Close()
	c, err := db.Citizen(context.Background(), u.ID)
	if err != nil || c.Name != "Anna" || c.Survey.Step != multaque.StepCommunity {
		t.Fatalf("Citizen=%+v,%v, want Anna at the community step", c, err)
	}
	if cmds := srv.Commands("all_private_chats", "es"); len(cmds) == 0 {
		t.Error("serve did not publish the commands")
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no token", map[string]string{}, "telegram.token"},
		{"bad rate", map[string]string{"MULTAQUE_TELEGRAM_TOKEN": "1:abc", "MULTAQUE_SENDER_RATE": "31"}, "sender.rate"},
		{"bad mode", map[string]string{"MULTAQUE_TELEGRAM_TOKEN": "1:abc", "MULTAQUE_TELEGRAM_MODE": "carrier-pigeon"}, "telegram.mode"},
	}
	for _, tt := range tests {
		var out lockedBuffer
		err := Run(context.Background(), []string{"serve"}, func(k string) string { return tt.env[k] }, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run=%v, want an error naming %s", tt.name, err, tt.want)
		}
	}
	if err := Run(context.Background(), []string{"fly"}, func(string) string { return "" }, &lockedBuffer{}, &lockedBuffer{}); err == nil {
		t.Error("an unknown command must fail")
	}
}

// startProcess runs `multaque serve` as a real process (this test binary
// standing in for it).
func startProcess(t *testing.T, env map[string]string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve")
	cmd.Env = append(os.Environ(), "MULTAQUE_TEST_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// TestAnswersSurviveSIGKILL kills the process the moment the bot has
// answered: every answer the person saw must be in the database after a
// restart, and the survey resumes at the next question.
func TestAnswersSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	env := envFor(srv, dataPath)

	u := srv.NewUser("Joan", "ca")
	p := startProcess(t, env)
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, "✅ D'acord, comencem")
	u.Expect(t, "Com et dius?")
	u.Send("Joan")
	u.Expect(t, "On vius?")
	if err := p.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Wait()

	p = startProcess(t, env)
	u.Send("/start")
	u.Expect(t, "On vius?")
	u.Send("Girona")
	u.Press(t, "Girona (Catalunya)")
	u.Expect(t, "Quins projectes")
	if err := p.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Wait()

	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer db.Close()
	c, err := db.Citizen(context.Background(), u.ID)
	if err != nil || c.Name != "Joan" || c.Community != "girona" || c.Survey.Step != multaque.StepInterests {
		t.Fatalf("after two SIGKILLs: %+v,%v, want Joan in girona at the interests step", c, err)
	}
}

// TestSIGTERMStopsCleanly sends SIGTERM to a serving process: it must exit
// 0, promptly, leaving a database another process can open.
func TestSIGTERMStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	p := startProcess(t, envFor(srv, dataPath))
	u := srv.NewUser("Eva", "es")
	u.Send("/start")
	u.Expect(t, "Multaque")
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0; output:\n%s", err, fmt.Sprint(p.Stderr))
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatalf("open after SIGTERM: %v", err)
	}
	db.Close()
}

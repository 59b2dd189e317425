package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sandbox is `multaque sandbox` running in-process for a test.
type sandbox struct {
	t    testing.TB
	url  string // the page, without the trailing slash
	logs *lockedBuffer
	stop func() error
}

var pageLine = regexp.MustCompile(`Multaque sandbox: open (http://127\.0\.0\.1:[0-9]+)/`)

// startSandbox runs the sandbox on a free port with its data in dataPath,
// and stops it when the test ends if the test did not.
func startSandbox(t testing.TB, dataPath string, extra ...string) *sandbox {
	t.Helper()
	env := map[string]string{"MULTAQUE_LOG_FORMAT": "json", "MULTAQUE_LOG_LEVEL": "warn"}
	args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--data", dataPath}, extra...)
	var out lockedBuffer
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, args, func(k string) string { return env[k] }, &out, logs) }()
	s := &sandbox{t: t, logs: logs}
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("the sandbox did not stop within 15 s")
		}
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("sandbox: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := pageLine.FindStringSubmatch(out.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox stopped at once: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox printed no address within 10 s; stdout %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// api calls the page's JSON API.
func (s *sandbox) api(method, path string, body, out any) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %s %s", method, path, res.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

type sandboxView struct {
	People []struct {
		ID   int64
		Name string
	}
	Messages []struct {
		From string
		HTML string
	}
}

// chatText is a person's chat with the bot, as text.
func (s *sandbox) chatText(person int64) string {
	s.t.Helper()
	var v sandboxView
	s.api("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", person, person), nil, &v)
	var b strings.Builder
	for _, m := range v.Messages {
		fmt.Fprintf(&b, "%s: %s\n", m.From, m.HTML)
	}
	return b.String()
}

// waitChat waits until a person's chat with the bot contains want.
func (s *sandbox) waitChat(person int64, want string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		text := s.chatText(person)
		if strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("person %d: no %q in the chat within 20 s; chat:\n%s\nlogs:\n%s", person, want, text, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *sandbox) people() map[string]int64 {
	s.t.Helper()
	var v sandboxView
	s.api("GET", "/api/view", nil, &v)
	out := map[string]int64{}
	for _, p := range v.People {
		out[p.Name] = p.ID
	}
	return out
}

// TestSandboxRunsTheBot starts the sandbox, chats with the bot through the
// page's API, stops it as SIGINT would, and starts it again: the person is
// back with the same Telegram id and the bot remembers their answers.
func TestSandboxRunsTheBot(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data", "sandbox.db")
	s := startSandbox(t, data)
	var anna struct{ ID int64 }
	s.api("POST", "/api/people", map[string]string{"name": "Anna", "lang": "en"}, &anna)
	send := func(s *sandbox, text string) {
		s.api("POST", fmt.Sprintf("/api/people/%d/chats/%d/send", anna.ID, anna.ID), map[string]string{"text": text}, nil)
	}
	send(s, "/start")
	s.waitChat(anna.ID, "Which language do you prefer?")
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("no database at %s: %v", data, err)
	}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(data), "sandbox.people.json")); err != nil || !strings.Contains(string(b), `"Anna"`) {
		t.Fatalf("people file: %q, %v", b, err)
	}

	s = startSandbox(t, data)
	if got := s.people(); got["Anna"] != anna.ID || len(got) != 1 {
		t.Fatalf("people after restart=%v, want Anna with id %d", got, anna.ID)
	}
	send(s, "/help")
	s.waitChat(anna.ID, "/projects")
}

// TestSandboxDemo seeds the demo people through the real bot: seven in
// Gràcia wait for a consumer group of eight. A restart adds nobody twice.
func TestSandboxDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("drives twelve people through the survey")
	}
	data := filepath.Join(t.TempDir(), "sandbox.db")
	s := startSandbox(t, data, "--demo")
	var ps map[string]int64
	for deadline := time.Now().Add(10 * time.Second); len(ps) < len(demoPeople); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("people=%v, want the %d demo people", ps, len(demoPeople))
		}
		ps = s.people()
	}
	counts := regexp.MustCompile(`([0-9]+) (of|de) 8`)
	most := 0
	for _, d := range demoPeople {
		chat := s.waitChat(ps[d.name], "/settings")
		if d.community != "gracia" {
			continue
		}
		m := counts.FindStringSubmatch(chat)
		if m == nil {
			t.Fatalf("%s's summary shows no count of 8:\n%s", d.name, chat)
		}
		var n int
		fmt.Sscan(m[1], &n)
		most = max(most, n)
	}
	if most != 7 {
		t.Errorf("the last Gràcia neighbour to finish saw %d of 8, want 7", most)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s = startSandbox(t, data, "--demo")
	time.Sleep(300 * time.Millisecond)
	if got := s.people(); len(got) != len(demoPeople) {
		t.Errorf("after a restart with --demo there are %d people, want %d", len(got), len(demoPeople))
	}
}

func TestSandboxRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"sandbox", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "a.db"), "extra"},
		{"sandbox", "--nope"},
		{"sandbox", "--addr", "256.0.0.1:0", "--data", filepath.Join(dir, "b.db")},
	} {
		var out lockedBuffer
		if err := Run(context.Background(), args, func(string) string { return "" }, &out, &out); err == nil {
			t.Errorf("Run(%q) = nil, want an error", args)
		}
	}
	var out lockedBuffer
	err := Run(context.Background(), []string{"sandbox", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "c.db")},
		func(k string) string { return map[string]string{"MULTAQUE_SENDER_RATE": "31"}[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "sender.rate") {
		t.Errorf("Run with a bad rate = %v, want an error naming sender.rate", err)
	}
}

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
	url  string        // the page, without the trailing slash
	out  *lockedBuffer // what it prints
	logs *lockedBuffer
	stop func() error
}

var pageLine = regexp.MustCompile(`Multaque sandbox: open (http://127\.0\.0\.1:[0-9]+)/`)

// startSandbox runs the sandbox on a free port with its data in dataPath,
// and stops it when the test ends if the test did not. Messages to one chat
// are paced 20 ms apart instead of Telegram's second, and the matcher's
// cron waits for New Year, so that only the test forms teams.
func startSandbox(t testing.TB, dataPath string, extra ...string) *sandbox {
	t.Helper()
	env := map[string]string{"MULTAQUE_LOG_FORMAT": "json", "MULTAQUE_LOG_LEVEL": "warn",
		"MULTAQUE_SENDER_PER_CHAT_INTERVAL": "20ms", "MULTAQUE_MATCHING_SCHEDULE": "0 0 1 1 *"}
	args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--data", dataPath}, extra...)
	out := &lockedBuffer{}
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, args, func(k string) string { return env[k] }, out, logs) }()
	s := &sandbox{t: t, out: out, logs: logs}
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
	Chats []struct {
		ID   int64
		Kind string
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

// groupText waits until one of a person's groups shows want, and returns
// that group's messages as text.
func (s *sandbox) groupText(person int64, want string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v sandboxView
		s.api("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", person, person), nil, &v)
		for _, c := range v.Chats {
			if c.Kind != "group" {
				continue
			}
			var g sandboxView
			s.api("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", person, c.ID), nil, &g)
			var b strings.Builder
			for _, m := range g.Messages {
				fmt.Fprintf(&b, "%s: %s\n", m.From, m.HTML)
			}
			if strings.Contains(b.String(), want) {
				return b.String()
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("person %d: no group shows %q within 30 s", person, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
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

// waitOut waits until the sandbox has printed want.
func (s *sandbox) waitOut(want string, within time.Duration) {
	s.t.Helper()
	for deadline := time.Now().Add(within); !strings.Contains(s.out.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the sandbox did not print %q within %s; it printed %q\nlogs:\n%s", want, within, s.out.String(), s.logs.String())
		}
	}
}

const demoReady = "Multaque sandbox: demo ready"

// act runs a page action for a person and returns its note.
func (s *sandbox) act(person int64, action string) string {
	s.t.Helper()
	var r struct{ Note string }
	s.api("POST", fmt.Sprintf("/api/people/%d/actions/%s", person, action), map[string]string{}, &r)
	return r.Note
}

// TestSandboxDemo seeds the demo through the real bot: a coordinator whose
// three groups are in the pool, a mentor onboarded with the coordinator's
// invite, and the demo people, seven in Gràcia waiting for a consumer
// group of eight, and four of Sants in a team whose plan is under way. A
// restart adds nobody twice.
func TestSandboxDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("drives twelve people through the survey")
	}
	data := filepath.Join(t.TempDir(), "sandbox.db")
	s := startSandbox(t, data, "--demo")
	s.waitOut(demoReady, 60*time.Second)
	ps := s.people()
	if len(ps) != len(demoPeople)+len(demoDeciders)+len(demoTeamPeople)+2 || ps[demoCoordinatorName] == 0 || ps[demoMentor.name] == 0 {
		t.Fatalf("people=%v, want the %d demo people, %s and %s", ps, len(demoPeople)+len(demoDeciders)+len(demoTeamPeople), demoCoordinatorName, demoMentor.name)
	}
	checkDemoDecisions(t, s, ps) // sandbox_demo_decisions_test.go
	coord := s.waitChat(ps[demoCoordinatorName], "4 grups lliures")
	if n := strings.Count(coord, "✅ Grup afegit"); n != 4 {
		t.Errorf("the coordinator was told %d times that a group joined the pool, want 4:\n%s", n, coord)
	}
	// The team of Sants has its plan pinned in its group, two steps done.
	plan := s.groupText(ps[demoTeamPeople[0].name], "✅ 2.")
	if !strings.Contains(plan, "Tomàs") || strings.Count(plan, "⬜") == 0 {
		t.Errorf("the demo team's plan shows no step of Tomàs's or none left to do:\n%s", plan)
	}
	s.waitChat(ps[demoMentor.name], "ya eres mentor")

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
	var none struct{ Note string }
	s.api("POST", "/api/actions/match", map[string]string{}, &none)
	if !strings.HasPrefix(none.Note, "No team formed") {
		t.Errorf("Form teams now with 7 of 8 said %q, want that no team formed", none.Note)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	checkDemoPledges(t, data) // sandbox_pledges_test.go

	s = startSandbox(t, data, "--demo")
	s.waitOut(demoReady, 30*time.Second)
	if got := s.people(); len(got) != len(ps) {
		t.Errorf("after a restart with --demo there are %d people, want %d", len(got), len(ps))
	}
	// The coordinator's groups are back in the fake, with the ids the pool
	// knows; the team with a plan (sandbox_demo_plan.go) and the deciding
	// team (sandbox_demo_decisions.go) have one of them each.
	s.waitChat(ps[demoCoordinatorName], "2 grups lliures")
}

// TestSandboxPersonActions uses the page's actions for a person: a mentor
// invite starts the real onboarding (once someone coordinates: an invite
// dies with its maker's role), and a coordinator made on the page can make
// mentor invites at once and after a restart.
func TestSandboxPersonActions(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sandbox.db")
	s := startSandbox(t, data)
	var anna, carme struct{ ID int64 }
	s.api("POST", "/api/people", map[string]string{"name": "Anna", "lang": "en"}, &anna)
	s.api("POST", "/api/people", map[string]string{"name": "Carme", "lang": "ca"}, &carme)
	send := func(s *sandbox, text string) {
		s.api("POST", fmt.Sprintf("/api/people/%d/chats/%d/send", anna.ID, anna.ID), map[string]string{"text": text}, nil)
	}
	if note := s.act(anna.ID, "mentor-invite"); !strings.Contains(note, "There is no coordinator yet") {
		t.Errorf("a mentor invite with no coordinator said %q", note)
	}
	if got := s.act(carme.ID, "coordinator"); !strings.Contains(got, "Carme is a coordinator now") {
		t.Errorf("Make coordinator said %q", got)
	}
	note := s.act(anna.ID, "mentor-invite")
	if !strings.Contains(note, "mentor invite") {
		t.Errorf("mentor invite note %q", note)
	}
	s.waitChat(anna.ID, "Becoming a mentor")

	send(s, "/mentorinvite")
	s.waitChat(anna.ID, "This command is not available.")
	if got := s.act(anna.ID, "coordinator"); !strings.Contains(got, "Anna is a coordinator now") {
		t.Errorf("Make coordinator said %q", got)
	}
	if got := s.act(anna.ID, "coordinator"); got != "Anna is a coordinator already." {
		t.Errorf("Make coordinator again said %q", got)
	}
	send(s, "/mentorinvite")
	s.waitChat(anna.ID, "Here is a mentor invite")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s = startSandbox(t, data)
	if got := s.act(anna.ID, "coordinator"); got != "Anna is a coordinator already." {
		t.Errorf("after a restart, Make coordinator said %q, want that Anna is one already", got)
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

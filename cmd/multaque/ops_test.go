package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// runCmd runs the program with args and no environment, and returns what
// it printed.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// opsCitizen is a citizen of gracia waiting for the consumer group.
func opsCitizen(id int64, name string) *multaque.Citizen {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return &multaque.Citizen{
		ID: id, Lang: multaque.Catalan, Name: name, Community: "gracia", ConsentAt: now, UpdatedAt: now,
		Survey:    multaque.Survey{Step: multaque.StepDone, Version: 1},
		Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
	}
}

func TestHelpListsTheOperatorCommands(t *testing.T) {
	out, _, err := runCmd(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"multaque backup FILE", "multaque restore FILE", "multaque check", "multaque compact"} {
		if !strings.Contains(out, cmd) {
			t.Errorf("help does not mention %q:\n%s", cmd, out)
		}
	}
}

// TestOperatorCommands runs check, backup, restore and compact on a
// database no bot holds, as an operator would, and each of them on one a
// process holds: only backup may go on (it asks the bot, which here has
// no operator endpoint, so it fails saying so).
func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	backup := filepath.Join(dir, "backup.db")
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(7310442001); id <= 7310442005; id++ {
		if err := db.SaveCitizen(ctx, opsCitizen(id, "Zebulon")); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	out, _, err := runCmd(t, "check", "--data", path)
	if err != nil || !strings.Contains(out, "sound") {
		t.Fatalf("check: %q, %v; want sound", out, err)
	}
	out, _, err = runCmd(t, "backup", "--data", path, backup)
	if err != nil || !strings.Contains(out, "backup of "+path) {
		t.Fatalf("backup: %q, %v", out, err)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Fatal(err)
	}

	// An erasure after the backup, then a restore: made again.
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 7310442003); err != nil {
		t.Fatal(err)
	}
	// Held by a process: restore, compact and check refuse, saying why.
	for _, args := range [][]string{
		{"restore", "--data", path, backup},
		{"compact", "--data", path},
		{"check", "--data", path},
		{"backup", "--data", path, filepath.Join(dir, "other.db")},
	} {
		_, _, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Errorf("%s on a database in use: %v, want a refusal saying it is in use", args[0], err)
		}
	}
	db.Close()
	out, _, err = runCmd(t, "restore", "--data", path, backup)
	if err != nil || !strings.Contains(out, "made again: 1") {
		t.Fatalf("restore: %q, %v; want one erasure made again", out, err)
	}
	out, _, err = runCmd(t, "compact", "--data", path)
	if err != nil || !regexp.MustCompile(`compacted .*: .*B → .*B in `).MatchString(out) {
		t.Fatalf("compact: %q, %v", out, err)
	}
	db, err = store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Citizen(ctx, 7310442003); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("the person erased after the backup is back: %v", err)
	}
	db.Close()

	// A problem: one line for it, and a failure.
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("waiting")).Put([]byte("gracia/consumer-group/00000000000000000001/4242"), nil)
	})
	bdb.Close()
	out, _, err = runCmd(t, "check", "--data", path)
	if err == nil || !strings.Contains(err.Error(), "2 problem(s)") {
		t.Errorf("check of a damaged database: %v, want a failure counting 2 problems", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(out, "an entry for 4242, who is no citizen") || strings.Contains(out, "Zebulon") {
		t.Errorf("check printed %q, want two problems naming ids only", out)
	}

	// Usage mistakes.
	if _, _, err := runCmd(t, "backup", "--data", path); err == nil {
		t.Error("backup without a file succeeded")
	}
	if _, _, err := runCmd(t, "check", "--data", filepath.Join(dir, "none.db")); err == nil {
		t.Error("check of a missing database succeeded")
	}
}

// TestBackupWhileServing runs `multaque serve` with its operator endpoint
// and has `multaque backup` take a backup while a person is in the middle
// of the survey: the bot takes it, and the copy is sound and holds them.
func TestBackupWhileServing(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "data", "multaque.db")
	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = "127.0.0.1:0"
	_, stop := serving(t, env)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
		if _, err := os.Stat(dataPath + opsFileSuffix); err == nil {
			t.Errorf("%s left behind after serve stopped", opsFileSuffix)
		}
	}()

	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, "✅ D'acord, comencem")
	u.Send("Anna Zebulon")
	u.Expect(t, "On vius?")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(dataPath + opsFileSuffix); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve wrote no %s", opsFileSuffix)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if fi, err := os.Stat(dataPath + opsFileSuffix); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, %v; want mode 0600", opsFileSuffix, fi, err)
	}

	backup := filepath.Join(dir, "backup.db")
	out, _, err := runCmd(t, "backup", "--data", dataPath, backup)
	if err != nil || !strings.Contains(out, "taken by the running bot") {
		t.Fatalf("backup while serving: %q, %v", out, err)
	}
	out, _, err = runCmd(t, "check", "--data", backup)
	if err != nil {
		t.Fatalf("check of the backup: %q, %v", out, err)
	}
	db, err := store.Open(backup, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err := db.Citizen(context.Background(), u.ID); err != nil || c.Name != "Anna Zebulon" {
		t.Errorf("the backup holds %+v, %v; want Anna at the community step", c, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "data", ".*")); len(left) != 0 {
		t.Errorf("temporary files left beside the database: %q", left)
	}
}

// TestOperatorEndpointsRefuseStrangers calls POST /backup and POST /check
// as someone not on this machine, and as someone without the token: both
// refuse alike, and answer only the operator.
func TestOperatorEndpointsRefuseStrangers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ep := range []struct {
		path string
		h    http.Handler
		// answered reports whether an answer is the endpoint's work.
		answered func(body []byte) bool
	}{
		{"/backup", withBackup(http.NotFoundHandler(), db, "s3cret", zerolog.Nop()),
			func(body []byte) bool { return bytes.Contains(body, []byte("citizens")) }},
		{"/check", withCheck(http.NotFoundHandler(), db, store.CheckOptions{}, "s3cret", zerolog.Nop()),
			func(body []byte) bool { // a sound database's answer
				var answer checkAnswer
				return json.Unmarshal(body, &answer) == nil && bytes.Contains(body, []byte(`"problems"`)) && len(answer.Problems) == 0
			}},
	} {
		for _, tt := range []struct {
			name, remote, token string
			want                int
		}{
			{"from elsewhere with the token", "10.0.0.7:5000", "s3cret", http.StatusForbidden},
			{"no token", "127.0.0.1:5000", "", http.StatusForbidden},
			{"wrong token", "[::1]:5000", "s3cre7", http.StatusForbidden},
			{"from here with the token", "127.0.0.1:5000", "s3cret", http.StatusOK},
		} {
			req := httptest.NewRequest(http.MethodPost, ep.path, nil)
			req.RemoteAddr = tt.remote
			if tt.token != "" {
				req.Header.Set(backupTokenHeader, tt.token)
			}
			rec := httptest.NewRecorder()
			ep.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("POST %s %s: status %d, want %d", ep.path, tt.name, rec.Code, tt.want)
			}
			if got, want := ep.answered(rec.Body.Bytes()), tt.want == http.StatusOK; got != want {
				t.Errorf("POST %s %s: answered %v (%.80q), want %v", ep.path, tt.name, got, rec.Body.String(), want)
			}
		}
		req := httptest.NewRequest(http.MethodGet, ep.path, nil)
		req.RemoteAddr = "127.0.0.1:5000"
		rec := httptest.NewRecorder()
		ep.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404 (from the handler beneath)", ep.path, rec.Code)
		}
	}
}

// TestScheduledBackups runs serve with a backup every second, keeping 2,
// and leaves a crash's temporary file beside the database once it runs,
// which a scheduled backup removes.
func TestScheduledBackups(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for three scheduled backups")
	}
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	env := envFor(srv, filepath.Join(dir, "multaque.db"))
	env["MULTAQUE_BACKUP_DIR"] = backups
	env["MULTAQUE_BACKUP_SCHEDULE"] = "@every 1s"
	env["MULTAQUE_BACKUP_KEEP"] = "2"
	logs, stop := serving(t, env)
	waitForLog(t, logs, `"backups scheduled"`)
	// A crash's leftover beside the database, after the sweep at the
	// start: the next scheduled backup removes it.
	leftover := filepath.Join(dir, ".multaque.db.backup-17")
	leaveBehind(t, leftover)
	// Two more backups taken: one of them started after the leftover was.
	want := max(3, strings.Count(logs.String(), `"backup taken"`)+2)
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(logs.String(), `"backup taken"`) < want {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d backups in 15 s; logs:\n%s", want, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if present(leftover) != nil {
		t.Errorf("the scheduled backups left %s", leftover)
	}
	if !strings.Contains(logs.String(), `"component":"backup","file":"`+leftover+`"`) {
		t.Errorf("no log line names %s; logs:\n%s", leftover, logs.String())
	}
	files, _ := filepath.Glob(filepath.Join(backups, "multaque-*.db"))
	if len(files) != 2 {
		t.Fatalf("backup directory holds %q, want the 2 newest", files)
	}
	// The backups pruned are named, and durations are strings.
	if !regexp.MustCompile(`"removed":\["[^"]+multaque-[^"]+\.db"\]`).MatchString(logs.String()) ||
		!regexp.MustCompile(`"message":"backup taken"`).MatchString(logs.String()) ||
		!regexp.MustCompile(`"took":"[0-9.]+[mµn]?s"`).MatchString(logs.String()) {
		t.Errorf("no \"backup taken\" line names the backups it removed, with took a duration string; logs:\n%s", logs.String())
	}
	for _, f := range files {
		if out, _, err := runCmd(t, "check", "--data", f); err != nil {
			t.Errorf("check %s: %q, %v", f, out, err)
		}
	}
}

// serving runs `multaque serve` with env in the background. stop cancels
// it and returns what it returned; the test's cleanup stops it too.
func serving(t *testing.T, env map[string]string) (logs *lockedBuffer, stop func() error) {
	t.Helper()
	logs = &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, logs, logs) }()
	var (
		once sync.Once
		err  error
	)
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return logs, stop
}

// waitForLog waits until the logs hold substr: at most 30 s, which bounds
// only a failing test.
func waitForLog(t *testing.T, logs *lockedBuffer, substr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("the logs never held %s; logs:\n%s", substr, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

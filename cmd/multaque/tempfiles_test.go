//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

// The sweeps remove nothing where there is no flock (see store/tempfiles_other.go).

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// longAgo is a modification time old enough for a sweep to remove a
// temporary file nobody holds.
var longAgo = time.Now().Add(-2 * time.Minute)

// leaveBehind writes, at each path, a file as a crashed backup, restore or
// compaction leaves it: nobody holds it, and it was written two minutes ago.
func leaveBehind(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.WriteFile(p, []byte("half a copy of a database"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, longAgo, longAgo); err != nil {
			t.Fatal(err)
		}
	}
}

// present returns which of paths exist.
func present(paths ...string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestBackupKilledMidwayIsSwept runs `multaque backup` as a real process
// while a bot holds the database, so that it asks the bot, here a server
// that sends the first 64 KiB of the copy and then nothing more. While the
// process is alive, a sweep keeps its temporary file (it holds the file
// locked, though the file is dated two minutes ago). Killed with SIGKILL,
// it leaves the file behind, and the next `multaque backup` to the same
// destination removes it, says so, and writes the backup.
func TestBackupKilledMidwayIsSwept(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a process")
	}
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "multaque.db")
	dest := filepath.Join(dir, "backups", "copy.db")
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	bot, err := store.Open(dataPath) // the bot that holds the database
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	if err := bot.SaveCitizen(context.Background(), opsCitizen(7310442201, "Zebulon")); err != nil {
		t.Fatal(err)
	}

	// The bot's endpoint: the copy starts, then stalls until the end.
	stalled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<20))
		w.Write(make([]byte, 64<<10))
		w.(http.Flusher).Flush()
		select {
		case <-stalled:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stalled) // before srv.Close, which waits for the handler
	remove, err := writeOpsFile(dataPath, srv.Listener.Addr(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer remove()

	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "backup", "--data", dataPath, dest)
	cmd.Env = append(os.Environ(), "MULTAQUE_TEST_RUN_MAIN=1")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// Its temporary file, once the 64 KiB are in it.
	var tmp string
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".copy.db.tmp-*"))
		if len(left) == 1 {
			if fi, err := os.Stat(left[0]); err == nil && fi.Size() == 64<<10 {
				tmp = left[0]
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no temporary file of 64 KiB within 30 s: %q; the process said:\n%s", left, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.Chtimes(tmp, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	if removed, err := store.SweepTemps(dest); err != nil || len(removed) != 0 {
		t.Fatalf("a sweep while the backup runs removed %q, %v; want nothing", removed, err)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if present(tmp) == nil {
		t.Fatalf("the killed backup left no %s: nothing to test", tmp)
	}
	if present(dest) != nil {
		t.Fatalf("the killed backup left %s", dest)
	}

	bot.Close()
	stdout, stderr, err := runCmd(t, "backup", "--data", dataPath, dest)
	if err != nil {
		t.Fatalf("the next backup: %v; %s", err, stderr)
	}
	if !strings.Contains(stdout, "removed "+tmp+", left by an interrupted backup") {
		t.Errorf("the next backup said %q, want that it removed %s", stdout, tmp)
	}
	if left := present(tmp); left != nil {
		t.Errorf("the next backup left %q", left)
	}
	if out, _, err := runCmd(t, "check", "--data", dest); err != nil {
		t.Errorf("check of the next backup: %q, %v", out, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// TestServeSweepsLeftovers starts `multaque serve` with, beside its
// database and in its backup directory, the temporary files of crashed
// backups, restores and compactions, one held by a live writer (this
// test), one written just now, and files that merely look like them: the
// bot removes the crashed ones as it starts, logging each path, and
// leaves the others.
func TestServeSweepsLeftovers(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "data", "multaque.db")
	backups := filepath.Join(dir, "backups")
	for _, d := range []string{filepath.Dir(dataPath), backups} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	in := func(d string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
		return out
	}
	crashed := append(in(filepath.Dir(dataPath), ".multaque.db.tmp-1", ".multaque.db.backup-2", "..multaque.db.backup-3.tmp-4"),
		in(backups, ".multaque-20260301T030000.000Z.db.tmp-5")...)
	lookalikes := append(in(filepath.Dir(dataPath), ".multaque.db.tmp-1.keep", "multaque.db.tmp-6", ".other.db.tmp-7", ".multaque.db.backup-x"),
		in(backups, "multaque-20260301T030000.000Z.db", ".notes.tmp-8")...)
	leaveBehind(t, crashed...)
	leaveBehind(t, lookalikes...)
	fresh := filepath.Join(filepath.Dir(dataPath), ".multaque.db.tmp-9")
	if err := os.WriteFile(fresh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := store.CreateTemp(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Discard()
	if err := os.Chtimes(held.Name(), longAgo, longAgo); err != nil {
		t.Fatal(err)
	}

	env := envFor(srv, dataPath)
	env["MULTAQUE_LOG_LEVEL"] = "info"
	env["MULTAQUE_BACKUP_DIR"] = backups
	env["MULTAQUE_BACKUP_SCHEDULE"] = "0 3 1 1 *" // not during the test
	logs, stop := serving(t, env)
	waitForLog(t, logs, `"backups scheduled"`)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}

	if left := present(crashed...); left != nil {
		t.Errorf("serve left %q", left)
	}
	want := append(slices.Clone(lookalikes), fresh, held.Name())
	if kept := present(want...); !slices.Equal(kept, want) {
		t.Errorf("serve kept %q, want %q", kept, want)
	}
	for _, p := range crashed {
		n := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"file":"`+p+`"`) && strings.Contains(line, `"removed a temporary file left by an interrupted backup, restore or compaction"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d log lines on removing %s, want 1; logs:\n%s", n, p, logs.String())
		}
	}
}

// TestOperatorCommandsSweepLeftovers leaves the temporary files of
// crashed runs, and a lookalike, beside the database and the destination
// of a backup, before `compact`, `restore`, `backup` and POST /backup:
// each removes those of its own destination and says which.
func TestOperatorCommandsSweepLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	dest := filepath.Join(dir, "copies", "copy.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCitizen(context.Background(), opsCitizen(7310442301, "Zebulon")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	beside := []string{
		filepath.Join(dir, ".multaque.db.tmp-11"),
		filepath.Join(dir, ".multaque.db.backup-12"),
		filepath.Join(dir, "..multaque.db.backup-13.tmp-14"),
	}
	lookalike := filepath.Join(dir, ".multaque.db.tmp-15.old")
	leaveBehind(t, lookalike)

	// The backup first: the others restore it.
	leaveBehind(t, filepath.Join(filepath.Dir(dest), ".copy.db.tmp-16"))
	leaveBehind(t, beside...) // not backup's to sweep
	out, _, err := runCmd(t, "backup", "--data", path, dest)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(out, "removed "+filepath.Join(filepath.Dir(dest), ".copy.db.tmp-16")) || strings.Count(out, "removed ") != 1 {
		t.Errorf("backup said %q, want that it removed .copy.db.tmp-16 only", out)
	}
	if kept := present(beside...); !slices.Equal(kept, beside) {
		t.Errorf("backup to another directory removed some of %q: %q kept", beside, kept)
	}

	for _, args := range [][]string{
		{"compact", "--data", path},
		{"restore", "--data", path, dest},
	} {
		leaveBehind(t, beside...)
		out, _, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%s: %v", args[0], err)
		}
		for _, p := range beside {
			if !strings.Contains(out, "removed "+p+", left by an interrupted backup, restore or compaction\n") {
				t.Errorf("%s said %q, want that it removed %s", args[0], out, p)
			}
		}
		if left := present(beside...); left != nil {
			t.Errorf("%s left %q", args[0], left)
		}
		if present(lookalike) == nil {
			t.Fatalf("%s removed %s", args[0], lookalike)
		}
	}

	// POST /backup, to the bot that holds the database.
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	leaveBehind(t, beside...)
	req := httptest.NewRequest(http.MethodPost, "/backup", nil)
	req.RemoteAddr = "127.0.0.1:5000"
	req.Header.Set(backupTokenHeader, "s3cret")
	rec := httptest.NewRecorder()
	withBackup(http.NotFoundHandler(), db, "s3cret", zerolog.Nop()).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /backup: %d, want 200", rec.Code)
	}
	if left := present(beside...); left != nil {
		t.Errorf("POST /backup left %q", left)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".multaque.db.*")); len(left) != 1 || left[0] != lookalike {
		t.Errorf("beside the database after POST /backup: %q, want only %s", left, lookalike)
	}
}

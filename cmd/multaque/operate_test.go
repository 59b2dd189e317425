package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// Tests of what an operator relies on (issue 20): damaged backups refused,
// harmful backup destinations refused, readiness and metrics, the default
// configuration file, the version, the command line and its words.

// damagedBackups writes a sound backup of a database of 300 citizens and
// files made from it the ways operators meet damaged ones; it returns the
// sound one and the damaged ones by name.
func damagedBackups(t *testing.T) (sound string, damaged map[string]string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(7310442001); id <= 7310442300; id++ {
		if err := db.SaveCitizen(context.Background(), opsCitizen(id, "Zebulon")); err != nil {
			t.Fatal(err)
		}
	}
	sound = filepath.Join(dir, "sound.db")
	if _, err := db.Backup(context.Background(), sound); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(sound)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	damaged = map[string]string{
		"truncated": write("truncated.db", data[:12288]), // head -c 12288
		"empty":     write("empty.db", nil),
	}
	// A page's flag flipped: the citizens bucket's root, a leaf, read as
	// a branch.
	bdb, err := bolt.Open(sound, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	bdb.View(func(tx *bolt.Tx) error { root = uint64(tx.Bucket([]byte("citizens")).Root()); return nil })
	bdb.Close()
	flipped := slices.Clone(data)
	flags := flipped[root*4096+8:]
	binary.LittleEndian.PutUint16(flags, binary.LittleEndian.Uint16(flags)^0x03)
	damaged["flipped page flag"] = write("flipped.db", flipped)
	// One citizen's record damaged.
	rec := write("record.db", data)
	bdb, err = bolt.Open(rec, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("citizens")).Put(binary.BigEndian.AppendUint64(nil, 7310442007), []byte(`{"id": 7310442007, "lang": `))
	})
	bdb.Close()
	damaged["damaged record"] = rec
	damaged["directory"] = filepath.Join(dir, "a-directory")
	os.Mkdir(damaged["directory"], 0o700)
	return sound, damaged
}

// TestCheckAndRestoreRefuseDamagedFiles: check and restore refuse each
// damaged file with a one-line error an operator can act on, never a
// crash; restore changes nothing and leaves no temporary copy.
func TestCheckAndRestoreRefuseDamagedFiles(t *testing.T) {
	_, damaged := damagedBackups(t)
	for name, file := range damaged {
		t.Run(name, func(t *testing.T) {
			out, _, err := runCmd(t, "check", "--data", file)
			if err == nil {
				t.Fatalf("check of a %s file: %q, want an error", name, out)
			}
			if msg := plainError(err); strings.Contains(msg, "\n") || strings.Contains(msg, "code=") || strings.Contains(msg, "runtime error") {
				t.Errorf("check of a %s file: %q, want one line an operator reads", name, msg)
			}

			dir := t.TempDir()
			path := filepath.Join(dir, "multaque.db")
			db, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			db.SaveCitizen(context.Background(), opsCitizen(42, "Zebulon"))
			db.Close()
			before, _ := os.ReadFile(path)
			_, stderr, err := runCmd(t, "restore", "--data", path, file)
			if err == nil {
				t.Fatalf("restore of a %s file succeeded", name)
			}
			msg := plainError(err)
			if strings.Contains(msg, "\n") || strings.Contains(msg, "code=") || !strings.Contains(msg, "not a Multaque database, or damaged") {
				t.Errorf("restore of a %s file: %q, want one line saying it is damaged", name, msg)
			}
			if name == "damaged record" && (!strings.Contains(msg, "--force") || !strings.Contains(stderr, "problem:")) {
				t.Errorf("restore of a damaged record: %q, stderr %q; want the problems and --force named", msg, stderr)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Errorf("restore of a %s file changed the database", name)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("restore of a %s file left %d files, want the database alone", name, len(entries))
			}
		})
	}
}

// TestRestoreForceAndKeep: --force restores the backup with a damaged
// record, saying what is lost; the database replaced is kept and named.
func TestRestoreForceAndKeep(t *testing.T) {
	_, damaged := damagedBackups(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, stderr, err := runCmd(t, "restore", damaged["damaged record"], "--data", path, "--force") // flags after the file
	if err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	if !strings.Contains(stderr, "restored despite 1 problem") && !strings.Contains(stderr, "restored despite") {
		t.Errorf("stderr %q, want a warning that it was restored despite problems", stderr)
	}
	kept, _ := filepath.Glob(path + ".before-restore-*")
	if len(kept) != 1 || !strings.Contains(out, "kept as "+kept[0]) {
		t.Errorf("kept %q, output %q; want one kept file, named", kept, out)
	}
}

// TestBackupRefusesTheLiveDatabase: backup onto the database, its ops
// file or a directory is refused, and the running bot keeps its file.
func TestBackupRefusesTheLiveDatabase(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "multaque.db")
	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = "127.0.0.1:0"
	logs, stop := serving(t, env)
	waitForLog(t, logs, "serving /healthz")
	getenv := func(k string) string { return env[k] }
	for _, dest := range []string{dataPath, filepath.Join(dir, ".", "multaque.db"), dataPath + ".ops.json", dir} {
		var o, e lockedBuffer
		err := Run(context.Background(), []string{"backup", dest}, getenv, &o, &e)
		if err == nil || !strings.Contains(err.Error(), dest) {
			t.Errorf("backup %s: %v, want it refused, naming it", dest, err)
		}
	}
	if _, err := os.Stat(dataPath + ".ops.json"); err != nil {
		t.Errorf("the ops file is gone: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// telegramLike answers every Bot API request with status.
func telegramLike(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"ok": status == 200, "error_code": status, "description": http.StatusText(status)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReadyz: /readyz says what is wrong, with 503, when Telegram refuses
// the token or another poller takes the updates, and when the last backup
// is late; /healthz (liveness) stays 200; the errors are counted by code.
func TestReadyz(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	m, err := newOpsMetrics(reg, currentVersion())
	if err != nil {
		t.Fatal(err)
	}
	watch := newTelegramWatch(http.DefaultTransport, m.telegramErrors)
	backups := &backupWatch{maxAge: 25 * time.Hour, metrics: m}
	handler := withReady(operatorHandler(db, reg), db, watch, backups)
	ops, err := startOperatorServer("127.0.0.1:0", handler, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer ops.shutdown(context.Background())
	base := "http://" + ops.addr.String()
	client := &http.Client{Transport: watch}

	if code, body := get(t, base+"/readyz"); code != 200 || body != "database: ok\ntelegram: ok\nbackup: ok\n" {
		t.Errorf("/readyz at start: %d %q, want 200 and ok for each part", code, body)
	}
	for _, tt := range []struct {
		status int
		want   string
	}{
		{401, "telegram: Telegram refuses the bot token (401 Unauthorized)"},
		{409, "telegram: Telegram answers 409 Conflict: another instance polls with this token, or a webhook is set"},
	} {
		resp, err := client.Post(telegramLike(t, tt.status).URL+"/bot1:x/getUpdates", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, tt.want) {
			t.Errorf("/readyz after %d: %d %q, want 503 saying %q", tt.status, code, body, tt.want)
		}
		if code, _ := get(t, base+"/healthz"); code != 200 {
			t.Errorf("/healthz after %d: %d, want 200 (the process lives)", tt.status, code)
		}
	}
	resp, err := client.Post(telegramLike(t, 200).URL+"/bot1:x/getUpdates", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	backups.taken(time.Now().Add(-50 * time.Hour))
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "telegram: ok") || !strings.Contains(body, "backup: the last good backup is 50h0m0s old") {
		t.Errorf("/readyz with a late backup: %d %q, want 503 naming the backup's age", code, body)
	}

	_, body := get(t, base+"/metrics")
	for _, want := range []string{
		`multaque_telegram_errors_total{code="401"} 1`,
		`multaque_telegram_errors_total{code="409"} 1`,
		`multaque_handler_errors_total 0`,
		`multaque_backup_last_success_timestamp_seconds`,
		`multaque_build_info{goversion="go`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// TestHandlerErrorsCounted: an update whose handling ends in an internal
// error, as the bot logs it, is counted.
func TestHandlerErrorsCounted(t *testing.T) {
	m, err := newOpsMetrics(prometheus.NewRegistry(), currentVersion())
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(io.Discard).Hook(handlerErrorHook{m.handlerErrors}).With().Str("component", "bot").Logger()
	log.Error().Msg("handle update")
	log.Info().Msg("update refused")
	log.Warn().Msg("store unavailable")
	var got dto.Metric
	if err := m.handlerErrors.Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Errorf("handler errors = %v, %v; want 1", got.GetCounter().GetValue(), err)
	}
}

// TestServeReadsTheDefaultConfigFile: without --config, serve reads
// ./configs/config.yaml, as the help says, and logs that it did.
func TestServeReadsTheDefaultConfigFile(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "configs"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "configs", "config.yaml"), []byte("sender:\n  rate: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	logs, stop := serving(t, envFor(srv, filepath.Join(dir, "multaque.db")))
	waitForLog(t, logs, `"message":"starting"`)
	stop()
	for _, want := range []string{`"sender.rate":"7"`, `"config_file":"configs/config.yaml"`, `"version":"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the starting line has no %s; logs:\n%s", want, logs.String())
		}
	}
}

// TestVersionAndHelp: version and --version print the version; a
// command's --help exits 0 with a description and an example.
func TestVersionAndHelp(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		out, _, err := runCmd(t, arg)
		if err != nil || !strings.HasPrefix(out, "multaque ") || !strings.Contains(out, "go1.") {
			t.Errorf("%s: %q, %v; want the version", arg, out, err)
		}
	}
	for _, c := range commands {
		if c.name == "version" {
			continue
		}
		out, stderr, err := runCmd(t, c.name, "--help")
		if err != nil || !strings.Contains(out, "Usage: multaque "+c.name) || !strings.Contains(out, "Example:") || strings.Contains(stderr, "flag: help requested") {
			t.Errorf("%s --help: %q, %q, %v; want its help, exit 0", c.name, out, stderr, err)
		}
	}
	if _, _, err := runCmd(t, "backup", "--nonsense", "b.db"); err == nil || !strings.Contains(err.Error(), "multaque backup --help") {
		t.Errorf("backup --nonsense: %v, want an error pointing at the help", err)
	}
}

// TestOperatorWords: the errors an operator meets say what to do.
func TestOperatorWords(t *testing.T) {
	// A second serve on the same database.
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	env := envFor(srv, dataPath)
	logs, stop := serving(t, env)
	waitForLog(t, logs, "polling for updates")
	env2 := envFor(srv, dataPath)
	env2["MULTAQUE_LOG_FORMAT"] = "console"
	var out lockedBuffer
	err := Run(context.Background(), []string{"serve"}, func(k string) string { return env2[k] }, &out, &out)
	if msg := plainError(err); err == nil || strings.Contains(msg, "code=") || !strings.Contains(msg, "data.path") || !strings.Contains(msg, "another multaque serve") {
		t.Errorf("a second serve: %q, want it to name data.path and another serve, with no code=", msg)
	}
	stop()

	// The operator port taken.
	taken, err := startOperatorServer("127.0.0.1:0", http.NotFoundHandler(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer taken.shutdown(context.Background())
	if _, err := startOperatorServer(taken.addr.String(), http.NotFoundHandler(), zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Errorf("a taken port: %v, want an error naming http.addr", err)
	}

	// A backup into a missing directory names the directory, not a temp file.
	src := filepath.Join(t.TempDir(), "multaque.db")
	db, _ := store.Open(src)
	db.Close()
	missing := filepath.Join(t.TempDir(), "nowhere", "b.db")
	if _, _, err := runCmd(t, "backup", "--data", src, missing); err == nil || !strings.Contains(err.Error(), "directory "+filepath.Dir(missing)+" does not exist") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("backup into a missing directory: %v", err)
	}
}

// TestFatalErrorIsJSON: with a JSON log, the reason serve stops is its
// last line, in JSON.
func TestFatalErrorIsJSON(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	env := envFor(srv, filepath.Join(t.TempDir(), "multaque.db"))
	env["MULTAQUE_CATALOG_PATH"] = filepath.Join(t.TempDir(), "missing-catalog.yaml")
	var logs lockedBuffer
	err := Run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &logs, &logs)
	if err == nil {
		t.Fatal("serve with a missing catalogue succeeded")
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var last struct{ Level, Message, Error string }
	if json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last.Level != "fatal" || !strings.Contains(last.Error, "missing-catalog.yaml") {
		t.Errorf("last log line %q, want a JSON fatal line with the error", lines[len(lines)-1])
	}
	if _, ok := err.(loggedError); !ok {
		t.Errorf("Run returned %T, want loggedError so that main does not print it again", err)
	}
}

// TestDurationsAreStrings: durations in the log are Go duration strings.
func TestDurationsAreStrings(t *testing.T) {
	var buf strings.Builder
	log, err := NewLogger(&buf, LogConfig{Format: "json"}, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Dur("took", 8060*time.Microsecond).Msg("x")
	if !strings.Contains(buf.String(), `"took":"8.06ms"`) {
		t.Errorf("log line %s, want took as \"8.06ms\"", buf.String())
	}
}

// TestEnvTurnsOff: MULTAQUE_BACKUP_DIR=off turns off the file's backups;
// http.addr "off" in the file gets a hint.
func TestEnvTurnsOff(t *testing.T) {
	c, err := ParseConfig(strings.NewReader("backup:\n  dir: /backups\nhttp:\n  addr: \"off\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv(func(k string) string { return map[string]string{"MULTAQUE_BACKUP_DIR": "off"}[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Backup.Dir != "" {
		t.Errorf("backup.dir = %q after MULTAQUE_BACKUP_DIR=off, want empty", c.Backup.Dir)
	}
	if err := c.ValidateSandbox(); err == nil || !strings.Contains(err.Error(), `write addr: ""`) {
		t.Errorf("http.addr \"off\" in the file: %v, want a hint", err)
	}
}

// TestSIGHUPStopsCleanly: SIGHUP stops serve as SIGTERM does: exit 0, the
// ops file removed.
func TestSIGHUPStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = "127.0.0.1:0"
	p := startProcess(t, env)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(dataPath + ".ops.json"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve never wrote its ops file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGHUP: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGHUP")
	}
	if _, err := os.Stat(dataPath + ".ops.json"); err == nil {
		t.Error("the ops file is left after SIGHUP")
	}
}

// TestServeKeepsTheFileBeforeMigrating: serve on a file of an older schema
// keeps a copy of it before migrating, and says where.
func TestServeKeepsTheFileBeforeMigrating(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dataPath := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(dataPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
	})
	bdb.Close()
	logs, stop := serving(t, envFor(srv, dataPath))
	waitForLog(t, logs, "polling for updates")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(dataPath + ".before-migration-v1-*")
	if len(kept) != 1 || !strings.Contains(logs.String(), `"kept":"`+kept[0]+`"`) || !strings.Contains(logs.String(), "database migrated") {
		t.Errorf("kept %q; want one copy, named in the log:\n%s", kept, logs.String())
	}
}

package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// waitForOpsFile waits until the bot serving the database at dataPath has
// written its ops file: at most 30 s, which bounds only a failing test.
func waitForOpsFile(t *testing.T, dataPath string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(dataPath + opsFileSuffix); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve wrote no %s", opsFileSuffix)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCheckWhileServing has `multaque check` check the database the bot
// is serving while a person is in the middle of the survey: the running
// bot checks it, with its own configured coordinator (the command here has
// none, and an alert waits for that coordinator in the outbox), and finds
// it sound; the person goes on. With the token in the ops file changed,
// the bot refuses and the command says so.
func TestCheckWhileServing(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "data", "multaque.db")
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(context.Background(), multaque.OutboxItem{
		Kind: "alert", Chat: 7310442900, Text: "pool low", NotBefore: time.Now().Add(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = "127.0.0.1:0"
	env["MULTAQUE_COORDINATORS"] = "7310442900"
	logs, stop := serving(t, env)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, "✅ D'acord, comencem")
	u.Send("Anna Zebulon")
	u.Expect(t, "On vius?")
	waitForOpsFile(t, dataPath)

	out, _, err := runCmd(t, "check", "--data", dataPath)
	if err != nil || !strings.HasPrefix(out, dataPath+": sound (checked by the running bot in ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("check while serving: %q, %v; want one line: sound, checked by the running bot", out, err)
	}
	waitForLog(t, logs, "check made for a request")
	if left, _ := filepath.Glob(filepath.Join(dir, "data", ".*")); len(left) != 0 {
		t.Errorf("temporary files left beside the database: %q", left)
	}

	// The bot goes on serving: the person is asked what they were asked.
	u.Send("/start")
	u.Expect(t, "On vius?")

	// A token that is not the bot's: refused, and the command says why.
	data, err := os.ReadFile(dataPath + opsFileSuffix)
	if err != nil {
		t.Fatal(err)
	}
	var of opsFile
	if err := json.Unmarshal(data, &of); err != nil {
		t.Fatal(err)
	}
	of.Token = strings.Repeat("0", len(of.Token))
	data, _ = json.Marshal(of)
	if err := os.WriteFile(dataPath+opsFileSuffix, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "check", "--data", dataPath)
	if err == nil || !strings.Contains(err.Error(), "in use and the running bot could not check it") || !strings.Contains(err.Error(), "403") || out != "" {
		t.Errorf("check with a wrong token: %q, %v; want a refusal (403) and nothing printed", out, err)
	}
	waitForLog(t, logs, "check refused")
}

// TestCheckWhileServingFindsProblems breaks an invariant before the bot
// starts (a group indexed to a team that does not exist, which nothing the
// bot does here reads): `multaque check` while it serves prints the
// problem, as the offline check does, and fails; the bot's log counts the
// problem without naming the group.
func TestCheckWhileServingFindsProblems(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "data", "multaque.db")
	db, err := store.Open(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCitizen(context.Background(), opsCitizen(7310442001, "Zebulon")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(dataPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error {
		group := int64(-1007310442999)
		return tx.Bucket([]byte("teams_by_chat")).Put(binary.BigEndian.AppendUint64(nil, uint64(group)), []byte("t404"))
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	offline, _, offlineErr := runCmd(t, "check", "--data", dataPath)
	const want = "teams by group: group -1007310442999 names team t404, which does not exist\n"
	if offline != want || offlineErr == nil {
		t.Fatalf("offline check: %q, %v; want %q and a failure", offline, offlineErr, want)
	}

	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = "127.0.0.1:0"
	logs, _ := serving(t, env)
	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	waitForOpsFile(t, dataPath)

	out, _, err := runCmd(t, "check", "--data", dataPath)
	if out != offline || err == nil || !strings.Contains(err.Error(), "1 problem(s), found by the running bot") {
		t.Errorf("check while serving: %q, %v; want %q and a failure saying the running bot found 1 problem", out, err, offline)
	}
	waitForLog(t, logs, `"problems":1`)
	if strings.Contains(logs.String(), "7310442999") || strings.Contains(logs.String(), "Zebulon") {
		t.Errorf("the logs name the group or a person:\n%s", logs.String())
	}
}

// TestCheckOfAFileNotInUse still runs offline, in this process: it says
// nothing of a running bot, even where an ops file is left beside the
// database (a bot killed without removing it).
func TestCheckOfAFileNotInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCitizen(context.Background(), opsCitizen(7310442001, "Zebulon")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.WriteFile(path+opsFileSuffix, []byte(`{"addr":"127.0.0.1:1","token":"left"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "check", "--data", path)
	if err != nil || !strings.HasPrefix(out, path+": sound (checked in ") {
		t.Errorf("check of a file not in use: %q, %v; want it sound, checked here", out, err)
	}
}

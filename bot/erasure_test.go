package bot_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/store"
)

// TestForgetLeavesNoBytes: a person with a distinctive name does the
// survey, is put in a team whose group they join, then says /forget. The
// raw bytes of the database file are scanned for their name and their id
// (as the 8-byte key and as decimal text): before compaction the free
// pages still hold them; a backup taken afterwards and the file once
// compacted hold none of them.
func TestForgetLeavesNoBytes(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.poolGroup("Spare")
	const name = "Zebulon Quaresma-Ytterbø"
	es := multaque.Spanish
	u := r.srv.NewUser("Zebulon", "es")
	r.survey(u, es, name)
	other := r.srv.NewUser("Otra", "es")
	r.survey(other, es, "Otra")
	team := r.active(r.formTeam(u, other).ID, g)
	for _, p := range []*telegramtest.User{u, other} {
		if err := p.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both in the group", func() bool {
		in := 0
		for _, m := range r.team(team.ID).Members {
			if m.InChat {
				in++
			}
		}
		return in == 2
	})
	traces := map[string][]byte{
		"name":       []byte(name),
		"8-byte id":  binary.BigEndian.AppendUint64(nil, uint64(u.ID)),
		"decimal id": []byte(strconv.FormatInt(u.ID, 10)),
	}
	dir := t.TempDir()
	snapshot := func(name string) string { // a raw copy: free pages included
		path := filepath.Join(dir, name)
		if err := r.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(path, 0o600) }); err != nil {
			t.Fatal(err)
		}
		return path
	}
	found := func(path string) []string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for what, trace := range traces {
			if bytes.Contains(data, trace) {
				out = append(out, what)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := found(snapshot("before.db")); len(got) != 3 {
		t.Fatalf("before /forget the file holds %q of the person, want all three traces (else the scan proves nothing)", got)
	}

	u.Send("/forget")
	u.Press(t, r.text(es, "btn_forget"))
	u.Expect(t, r.text(es, "forgotten"))
	if r.team(team.ID).HasMember(u.ID) {
		t.Fatal("the team still lists the person")
	}

	raw := snapshot("after.db")
	t.Logf("after /forget, before compaction, the file's free pages still hold the person's %q", found(raw))
	backup := filepath.Join(dir, "backup.db")
	if _, err := r.db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	if got := found(backup); len(got) != 0 {
		t.Errorf("a backup taken after /forget holds the person's %q", got)
	}
	if _, err := store.Compact(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if got := found(raw); len(got) != 0 {
		t.Errorf("the file compacted after /forget holds the person's %q", got)
	}
	db, err := store.Open(raw, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	problems, err := db.CheckWith(context.Background(), store.CheckOptions{Coordinators: []int64{r.coord.ID}})
	if err != nil || len(problems) != 0 {
		t.Errorf("Check of the compacted file: %q, %v", problems, err)
	}
}

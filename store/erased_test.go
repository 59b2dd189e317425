package store_test

import (
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// TestErasureLeavesNoBytes erases a citizen who was waiting, in a team,
// had messages queued and was a mentor, then scans the raw bytes of the
// file for their name and their id (as the 8-byte key and as decimal
// text): before compaction the free pages still hold them; a backup taken
// after the erasure holds none of them, nor does the file once compacted.
// Only a tag of their id stays, in the erased bucket.
func TestErasureLeavesNoBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	const id = 7310442019
	const name = "Zebulon Quaresma-Ytterbø"
	traces := tracesOf(id, name)
	save(t, db, newCitizen(1, "Ada", "gracia", "consumer-group"))
	save(t, db, newCitizen(id, name, "gracia", "consumer-group", "energy", "time-bank"))
	if err := db.SaveMentor(ctx, newMentor(id, name, 1, "energy")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, id)}, t0, invites); err != nil {
		t.Fatal(err)
	}
	if got := found(t, path, traces); len(got) != 3 {
		t.Fatalf("before the erasure the file holds %q of the person, want all three traces (else the scan proves nothing)", got)
	}

	if err := db.ForgetCitizen(ctx, id); err != nil {
		t.Fatal(err)
	}
	lingering := found(t, path, traces)
	t.Logf("after the erasure, before compaction, the file's free pages still hold the person's %q", lingering)
	if !slices.Contains(lingering, "name") {
		t.Errorf("the name is gone from the free pages too (%q): the test no longer shows why compaction is needed", lingering)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if got := found(t, backup, traces); len(got) != 0 {
		t.Errorf("a backup taken after the erasure holds the person's %q", got)
	}
	var tags int
	db.View(func(tx *bolt.Tx) error {
		tags = tx.Bucket([]byte("erased")).Stats().KeyN
		return nil
	})
	if tags != 1 {
		t.Errorf("erased bucket holds %d records, want 1", tags)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := store.Compact(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := found(t, path, traces); len(got) != 0 {
		t.Errorf("after compaction the file holds the person's %q", got)
	}
	mustCheck(t, path)
	t.Logf("compaction: %d → %d bytes", rep.Before, rep.After)

}

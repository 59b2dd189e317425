//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

// The sweeps remove nothing where there is no flock (see store/tempfiles_other.go).

package store_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/multaque/multaque/store"
)

// longAgo is a modification time old enough for a sweep to remove a file
// nobody holds.
var longAgo = time.Now().Add(-2 * time.Minute)

// writeAged writes a file at path and dates it longAgo.
func writeAged(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("a copy of a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, path)
}

// age dates the file at path longAgo.
func age(t testing.TB, path string) {
	t.Helper()
	if err := os.Chtimes(path, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
}

// names returns the last elements of paths, sorted.
func names(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	slices.Sort(out)
	return out
}

// TestSweepsRemoveOnlyAbandonedTemps fills a directory with the temporary
// files of crashed writers (nobody holds them, written two minutes ago)
// of each kind, and with files that merely look like them: each sweep
// removes exactly its own kind, and keeps a file held by a live writer, one
// written just now, symbolic links (and what they point to), a directory,
// a pipe, and names that differ by a character.
func TestSweepsRemoveOnlyAbandonedTemps(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "multaque.db")
	dest := filepath.Join(dir, "copy.db")
	abandoned := map[string][]string{
		"database": {".multaque.db.tmp-123", ".multaque.db.backup-4567", "..multaque.db.backup-1.tmp-2"},
		"dest":     {".copy.db.tmp-5"},
		"backups":  {".multaque-20260301T100000.123Z.db.tmp-99"},
	}
	lookalikes := []string{
		"multaque.db", "copy.db", "multaque-20260301T100000.123Z.db", "target",
		".multaque.db.tmp-", ".multaque.db.tmp-12a", ".multaque.db.tmp-1.bak", "multaque.db.tmp-1",
		".multaque.db.tmpx-1", ".other.db.tmp-1", ".multaque.db.backup-", "multaque.db.ops.json.tmp",
		".multaque.db.tmp-123456789012345678901", "..multaque.db.backup-1.tmp-", ".copy.db.tmp-5x",
		".multaque-2026.db.tmp-1", ".multaque-20260301T100000.123Z.db.tmp-", "..multaque-20260301T100000.123Z.db.tmp-1",
	}
	for _, list := range abandoned {
		for _, n := range list {
			writeAged(t, filepath.Join(dir, n))
		}
	}
	for _, n := range lookalikes {
		writeAged(t, filepath.Join(dir, n))
	}
	// Names of ours on what is not a regular file.
	if err := os.Symlink("target", filepath.Join(dir, ".multaque.db.tmp-77")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, ".copy.db.tmp-5"), filepath.Join(dir, ".copy.db.tmp-6")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, ".multaque.db.tmp-88"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, ".multaque.db.backup-99"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A crashed writer's, but written just now.
	fresh := filepath.Join(dir, ".multaque.db.tmp-55")
	if err := os.WriteFile(fresh, []byte("a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A live writer's (this goroutine's), not written for two minutes.
	held, err := store.CreateTemp(data)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Discard()
	if _, err := held.Write([]byte("a copy being written")); err != nil {
		t.Fatal(err)
	}
	age(t, held.Name())
	kept := append(slices.Clone(lookalikes), ".multaque.db.tmp-77", ".copy.db.tmp-6", ".multaque.db.tmp-88",
		".multaque.db.backup-99", filepath.Base(fresh), filepath.Base(held.Name()))

	for _, s := range []struct {
		kind  string
		sweep func() ([]string, error)
	}{
		{"database", func() ([]string, error) { return store.SweepDatabaseTemps(data) }},
		{"dest", func() ([]string, error) { return store.SweepTemps(dest) }},
		{"backups", func() ([]string, error) { return store.SweepBackupDir(dir) }},
	} {
		removed, err := s.sweep()
		if err != nil {
			t.Errorf("sweep of the %s temporary files: %v", s.kind, err)
		}
		want := slices.Sorted(slices.Values(abandoned[s.kind]))
		if got := names(removed); !slices.Equal(got, want) {
			t.Errorf("sweep of the %s temporary files removed %q, want %q", s.kind, got, want)
		}
		for _, r := range removed {
			if filepath.Dir(r) != dir {
				t.Errorf("removed %s, want a path in %s", r, dir)
			}
		}
	}
	got := leftovers(t, dir)
	slices.Sort(got)
	slices.Sort(kept)
	if !slices.Equal(got, kept) {
		t.Errorf("left %q,\nwant %q", got, kept)
	}

	// Once its writer lets it go, or once it is old, it goes too.
	if err := held.Discard(); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	if _, err := os.Stat(held.Name()); !os.IsNotExist(err) {
		t.Errorf("Discard left %s: %v", held.Name(), err)
	}
	age(t, fresh)
	removed, err := store.SweepDatabaseTemps(data)
	if err != nil || !slices.Equal(names(removed), []string{filepath.Base(fresh)}) {
		t.Errorf("second sweep: %q, %v; want %s only", names(removed), err, filepath.Base(fresh))
	}

	// A directory that does not exist has nothing to sweep.
	if removed, err := store.SweepTemps(filepath.Join(dir, "none", "copy.db")); err != nil || removed != nil {
		t.Errorf("SweepTemps in a missing directory: %q, %v; want nothing", removed, err)
	}
}

// TestBackupTempHeldUntilDiscarded takes the backup POST /backup sends: the
// file, beside the database, is held while the caller reads it (a sweep
// keeps it though it is dated two minutes ago), it is the whole backup, and
// Discard removes it.
func TestBackupTempHeldUntilDiscarded(t *testing.T) {
	dir := t.TempDir()
	db := openDBAt(t, filepath.Join(dir, "multaque.db"))
	save(t, db, newCitizen(7310442101, "Zebulon", "gracia", "consumer-group"))

	tmp, info, err := db.BackupTemp(ctx)
	if err != nil {
		t.Fatalf("BackupTemp: %v", err)
	}
	defer tmp.Discard()
	if !regexp.MustCompile(`^\.multaque\.db\.backup-[0-9]+$`).MatchString(filepath.Base(tmp.Name())) || filepath.Dir(tmp.Name()) != dir {
		t.Errorf("BackupTemp wrote %s, want .multaque.db.backup-<digits> in %s", tmp.Name(), dir)
	}
	if info.Path != tmp.Name() || info.TakenAt.IsZero() {
		t.Errorf("BackupInfo %+v, want the file's path and a time", info)
	}
	age(t, tmp.Name())
	if removed, err := store.SweepDatabaseTemps(db.Path()); err != nil || len(removed) != 0 {
		t.Errorf("a sweep while the backup is held removed %q, %v; want nothing", removed, err)
	}

	var sent bytes.Buffer
	if _, err := io.Copy(&sent, tmp); err != nil {
		t.Fatalf("read the backup: %v", err)
	}
	if int64(sent.Len()) != info.Size {
		t.Errorf("read %d bytes, want the backup's %d", sent.Len(), info.Size)
	}
	copied := filepath.Join(t.TempDir(), "sent.db")
	if err := os.WriteFile(copied, sent.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, copied)
	if n := countCitizens(t, copied); n != 1 {
		t.Errorf("the backup sent holds %d citizens, want 1", n)
	}

	if err := tmp.Discard(); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	if left := leftovers(t, dir, "multaque.db"); len(left) != 0 {
		t.Errorf("left beside the database: %q", left)
	}
}

package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// mustCheck fails the test if the database at path has any problem.
func mustCheck(t testing.TB, path string) {
	t.Helper()
	db, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatalf("Open(%s, ReadOnly): %v", path, err)
	}
	defer db.Close()
	problems, err := db.Check(ctx)
	if err != nil {
		t.Fatalf("Check(%s): %v", path, err)
	}
	for _, p := range problems {
		t.Errorf("Check(%s): %s", path, p)
	}
}

// countCitizens counts the citizens of the database at path.
func countCitizens(t testing.TB, path string) int {
	t.Helper()
	db, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatalf("Open(%s, ReadOnly): %v", path, err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("citizens")).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// leftovers lists the files in dir other than those named.
func leftovers(t testing.TB, dir string, names ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !slices.Contains(names, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestBackupWhileWriting takes a backup while eight writers keep saving
// citizens: the copy must be consistent (Check finds nothing) and hold
// at least every citizen saved before it started, and no temporary file
// may be left behind.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	db := openDBAt(t, filepath.Join(dir, "multaque.db"))
	for id := int64(1); id <= 200; id++ {
		save(t, db, newCitizen(id, "Before", "gracia", "energy", "time-bank"))
	}
	var next atomic.Int64
	next.Store(1000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.SaveCitizen(ctx, newCitizen(next.Add(1), "During", "gracia", "energy")); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	for written.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	backup := filepath.Join(dir, "backups", "copy.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	before := written.Load()
	info, err := db.Backup(ctx, backup)
	during := written.Load() - before
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Size() != info.Size || info.Path != backup || info.TakenAt.IsZero() {
		t.Fatalf("Backup=%+v, file %v (%v); want its path, size and time", info, fi, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	mustCheck(t, backup)
	if n := countCitizens(t, backup); n < 200 || int64(n) > 200+written.Load() {
		t.Errorf("backup holds %d citizens, want between 200 and %d", n, 200+written.Load())
	}
	if left := leftovers(t, filepath.Dir(backup), "copy.db"); len(left) != 0 {
		t.Errorf("left in the backup directory: %q", left)
	}
	t.Logf("backup of about %d citizens, with 8 writers saving %d more during the copy: %d bytes in %v", 200+before, during, info.Size, info.Took)
}

func TestBackupIntoKeepsTheNewest(t *testing.T) {
	now := t0
	db := openDB(t, fast, store.WithClock(func() time.Time { return now }))
	save(t, db, newCitizen(1, "A", "gracia", "energy"))
	dir := filepath.Join(t.TempDir(), "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Files that are not ours stay.
	for _, other := range []string{"notes.txt", "multaque-old.db"} {
		if err := os.WriteFile(filepath.Join(dir, other), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for i := range 4 {
		info, removed, err := db.BackupInto(ctx, dir, 2)
		if err != nil {
			t.Fatalf("BackupInto #%d: %v", i+1, err)
		}
		names = append(names, filepath.Base(info.Path))
		wantRemoved := 0
		if i >= 2 {
			wantRemoved = 1
		}
		if len(removed) != wantRemoved {
			t.Errorf("BackupInto #%d removed %q, want %d", i+1, removed, wantRemoved)
		}
		now = now.Add(24 * time.Hour)
	}
	if names[0] != "multaque-20260301T100000.123Z.db" {
		t.Errorf("first backup named %q, want multaque-20260301T100000.123Z.db", names[0])
	}
	left := leftovers(t, dir)
	slices.Sort(left)
	want := []string{"multaque-old.db", names[2], names[3], "notes.txt"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("backup directory holds %q, want %q", left, want)
	}
}

// tracesOf are the ways the store writes a person into the file: their
// name, their id as the 8-byte key and as decimal text.
func tracesOf(id int64, name string) map[string][]byte {
	return map[string][]byte{
		"name":       []byte(name),
		"8-byte id":  binary.BigEndian.AppendUint64(nil, uint64(id)),
		"decimal id": []byte(strconv.FormatInt(id, 10)),
	}
}

// found returns which of traces the file at path holds anywhere in its
// bytes, free pages included.
func found(t testing.TB, path string, traces map[string][]byte) []string {
	t.Helper()
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

// TestRestoreMakesLaterErasuresAgain restores a backup over a database in
// which, after the backup, one person erased themselves: they are erased
// again, and their bytes are nowhere in the restored file. A person who
// erased themselves before the backup and came back stays.
func TestRestoreMakesLaterErasuresAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	now := t0
	db, err := store.Open(path, fast, store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	const gone, back = 7310442019, 7310442020
	const goneName, backName = "Zebulon Quaresma", "Ofelia Returns"
	save(t, db, newCitizen(1, "Ada", "gracia", "consumer-group"))
	save(t, db, newCitizen(gone, goneName, "gracia", "consumer-group"))
	save(t, db, newCitizen(back, backName, "gracia", "energy"))
	if _, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(1, gone)}, now, invites); err != nil {
		t.Fatal(err)
	}
	// back erases themselves and comes back, all before the backup.
	if err := db.ForgetCitizen(ctx, back); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	save(t, db, newCitizen(back, backName, "gracia", "energy"))
	now = now.Add(time.Minute)
	backup := filepath.Join(dir, "backup.db")
	info, err := db.Backup(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	// After the backup: gone erases themselves, someone new arrives.
	now = now.Add(time.Hour)
	if err := db.ForgetCitizen(ctx, gone); err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(99, "Late", "gracia", "energy"))
	// The database is in use: restore refuses and changes nothing.
	before, _ := os.ReadFile(path)
	if _, err := store.Restore(ctx, backup, path); multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
		t.Fatalf("Restore while in use: %v, want EUNAVAILABLE", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("Restore refused but changed the file")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := store.Restore(ctx, backup, path)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if rep.Erasures != 1 || !rep.TakenAt.Equal(info.TakenAt) || len(rep.Warnings) != 0 {
		t.Errorf("Restore=%+v, want 1 erasure made again, taken at %v, no warnings", rep, info.TakenAt)
	}
	if got := found(t, path, tracesOf(gone, goneName)); len(got) != 0 {
		t.Errorf("the restored file holds the erased person's %q", got)
	}
	// Beside the database, only the database it replaced, kept (compacted:
	// the erased person is not in it either).
	if left := leftovers(t, dir, "multaque.db", "backup.db", filepath.Base(rep.Kept)); len(left) != 0 || rep.Kept == "" {
		t.Errorf("left beside the database: %q, kept %q; want only the kept database", left, rep.Kept)
	}
	if got := found(t, rep.Kept, tracesOf(gone, goneName)); len(got) != 0 {
		t.Errorf("the kept database holds the erased person's %q", got)
	}
	mustCheck(t, path)

	db, err = store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Citizen(ctx, gone)
	wantCode(t, err, multaque.ENOTFOUND)
	if c, err := db.Citizen(ctx, back); err != nil || c.Name != backName {
		t.Errorf("the person who came back before the backup: %+v, %v; want them restored", c, err)
	}
	_, err = db.Citizen(ctx, 99)
	wantCode(t, err, multaque.ENOTFOUND) // after the backup: lost, as a restore loses
	team, err := db.Team(ctx, "t1")
	if err != nil || len(team.Members) != 1 || team.Members[0].Citizen != 1 {
		t.Errorf("team after restore: %+v, %v; want Ada alone", team, err)
	}
	if n, _ := db.OutboxLen(ctx); n != 1 {
		t.Errorf("OutboxLen=%d, want Ada's invitation only", n)
	}
	// The erasure is still on record: restoring the same backup again
	// erases them again.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err = store.Restore(ctx, backup, path)
	if err != nil || rep.Erasures != 1 {
		t.Fatalf("second Restore=%+v, %v; want the erasure made again", rep, err)
	}
	db = openDBAt(t, path, fast)
	_, err = db.Citizen(ctx, gone)
	wantCode(t, err, multaque.ENOTFOUND)
}

// TestRestoreOverNothingOrDamage: with no database, or one that cannot be
// read, the backup is restored as it is, with a warning.
func TestRestoreOverNothingOrDamage(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db, err := store.Open(src, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(1, "Ada", "gracia", "energy"))
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, tt := range []struct {
		name    string
		prepare func(path string)
		warning string
	}{
		{"missing", func(string) {}, "there is no database"},
		{"garbage", func(path string) { os.WriteFile(path, bytes.Repeat([]byte("not bbolt "), 1000), 0o600) }, "cannot be opened"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "multaque.db")
			os.MkdirAll(filepath.Dir(path), 0o700)
			tt.prepare(path)
			rep, err := store.Restore(ctx, backup, path)
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], tt.warning) {
				t.Errorf("warnings %q, want one saying %q", rep.Warnings, tt.warning)
			}
			mustCheck(t, path)
			if n := countCitizens(t, path); n != 1 {
				t.Errorf("restored %d citizens, want 1", n)
			}
		})
	}

	// Not a database, or the database itself: refused.
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("hello"), 0o600)
	if _, err := store.Restore(ctx, notDB, filepath.Join(dir, "x.db")); err == nil {
		t.Error("Restore of a text file succeeded")
	}
	if _, err := store.Restore(ctx, src, src); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Errorf("Restore of a file onto itself: %v, want EINVALID", err)
	}
}

// TestRestoreFromAnotherDatabase: a database started afresh (after a loss)
// has its own erasure secret; erasures recorded in it after the backup was
// taken are still made again, told by their time.
func TestRestoreFromAnotherDatabase(t *testing.T) {
	dir := t.TempDir()
	now := t0
	clock := store.WithClock(func() time.Time { return now })
	old, err := store.Open(filepath.Join(dir, "old.db"), fast, clock)
	if err != nil {
		t.Fatal(err)
	}
	const quima = 7310442031
	save(t, old, newCitizen(quima, "Quima Fresc", "gracia", "energy"))
	save(t, old, newCitizen(6, "Stays", "gracia", "energy"))
	backup := filepath.Join(dir, "backup.db")
	if _, err := old.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	old.Close()

	path := filepath.Join(dir, "multaque.db")
	fresh, err := store.Open(path, fast, clock)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	save(t, fresh, newCitizen(quima, "Quima Fresc", "gracia", "energy"))
	if err := fresh.ForgetCitizen(ctx, quima); err != nil {
		t.Fatal(err)
	}
	fresh.Close()

	rep, err := store.Restore(ctx, backup, path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Erasures != 1 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "another database") {
		t.Errorf("Restore=%+v, want 1 erasure and a warning about another database", rep)
	}
	if got := found(t, path, tracesOf(quima, "Quima Fresc")); len(got) != 0 {
		t.Errorf("the restored file holds the erased person's %q", got)
	}
	if n := countCitizens(t, path); n != 1 {
		t.Errorf("restored %d citizens, want 1", n)
	}
}

func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	var cs []*multaque.Citizen
	for id := int64(1); id <= 2000; id++ {
		cs = append(cs, newCitizen(id, fmt.Sprintf("Person %d", id), "gracia", "energy", "time-bank"))
	}
	if err := db.ImportCitizens(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 100; id++ {
		if err := db.ForgetCitizen(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Compact(ctx, path); multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
		t.Fatalf("Compact while in use: %v, want EUNAVAILABLE", err)
	}
	db.Close()
	rep, err := store.Compact(ctx, path)
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	fi, _ := os.Stat(path)
	if rep.After != fi.Size() || rep.After >= rep.Before {
		t.Errorf("Compact=%+v, file %d bytes; want it smaller than before and the size reported", rep, fi.Size())
	}
	mustCheck(t, path)
	if n := countCitizens(t, path); n != 1900 {
		t.Errorf("%d citizens after Compact, want 1900", n)
	}
	if left := leftovers(t, filepath.Dir(path), "multaque.db"); len(left) != 0 {
		t.Errorf("left beside the database: %q", left)
	}
	t.Logf("compacted 2,000 citizens less 100 erased: %d → %d bytes in %v", rep.Before, rep.After, rep.Took)
}

func TestBackupHonoursContext(t *testing.T) {
	db := openDB(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	path := filepath.Join(t.TempDir(), "b.db")
	if _, err := db.Backup(cctx, path); err == nil {
		t.Error("Backup with a cancelled context succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("Backup with a cancelled context wrote a file")
	}
}

// opsDB is a database of 100,000 citizens waiting for two projects each
// in 50 communities, for the figures of backup, check and compaction.
func opsDB(b *testing.B) *store.DB {
	return filledDB(b, "ops", 100_000, func(i int) *multaque.Citizen {
		return newCitizen(int64(i+1), "Mercè", fmt.Sprintf("community-%d", i%50), "energy", "time-bank")
	})
}

// BenchmarkBackup100k takes a backup of 100,000 citizens.
func BenchmarkBackup100k(b *testing.B) {
	db := opsDB(b)
	fi, _ := os.Stat(db.Path())
	path := filepath.Join(b.TempDir(), "backup.db")
	var size int64
	for b.Loop() {
		info, err := db.Backup(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size
	}
	b.ReportMetric(float64(fi.Size())/1e6, "MB-live")
	b.ReportMetric(float64(size)/1e6, "MB-backup")
}

// BenchmarkCheck100k checks a database of 100,000 citizens.
func BenchmarkCheck100k(b *testing.B) {
	db := opsDB(b)
	for b.Loop() {
		problems, err := db.Check(ctx)
		if err != nil || len(problems) != 0 {
			b.Fatal(problems, err)
		}
	}
}

// BenchmarkRestore100k restores a backup of 100,000 citizens over the
// database it was taken from, with 100 and with 2,000 erasures made since,
// which the restore makes again. It reports the CPU time of a restore too
// (cpu-s/op). Run it with:
//
//	go test -run='^$' -bench=Restore100k -benchtime=1x ./store/
func BenchmarkRestore100k(b *testing.B) {
	for _, erasures := range []int{100, 2000} {
		b.Run(fmt.Sprintf("erasures=%d", erasures), func(b *testing.B) {
			db := opsDB(b)
			backup := filepath.Join(b.TempDir(), "backup.db")
			if _, err := db.Backup(ctx, backup); err != nil {
				b.Fatal(err)
			}
			// Spread over the file, so that the erased are in many pages of
			// every bucket, as they would be after a year.
			for i := range erasures {
				if err := db.ForgetCitizen(ctx, int64(i*(100_000/erasures)+1)); err != nil {
					b.Fatal(err)
				}
			}
			path := filepath.Join(b.TempDir(), "current.db") // the database replaced, not in use
			if _, err := db.Backup(ctx, path); err != nil {
				b.Fatal(err)
			}
			cpu := cpuTime(b)
			for b.Loop() {
				rep, err := store.Restore(ctx, backup, path)
				if err != nil || rep.Erasures != erasures {
					b.Fatal(rep, err)
				}
			}
			// The CPU time varies much less than the clock's with the
			// machine's load.
			b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

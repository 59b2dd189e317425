package store_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	"github.com/multaque/multaque/store/faultfs"
)

// damagedFixture writes a sound backup of a database with 300 citizens
// (enough for the citizens bucket to have pages of its own) and returns
// its path and the page id of the citizens bucket's root.
func damagedFixture(t *testing.T) (backup string, citizensRoot int64) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "src.db"), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cs []*multaque.Citizen
	for id := int64(1); id <= 300; id++ {
		cs = append(cs, newCitizen(id, "Zebulon", "gracia", "energy"))
	}
	if err := db.ImportCitizens(ctx, cs); err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(dir, "backup.db")
	if _, err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(backup, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	bdb.View(func(tx *bolt.Tx) error {
		citizensRoot = int64(tx.Bucket([]byte("citizens")).Root())
		return nil
	})
	bdb.Close()
	if citizensRoot == 0 {
		t.Fatal("the citizens bucket has no page of its own")
	}
	return backup, citizensRoot
}

// damagedFiles returns, by name, files made from a sound backup the ways
// an operator meets damaged ones: cut short, a page's flag flipped, a
// record that does not read, empty, a directory. Every one must be refused.
func damagedFiles(t *testing.T) map[string]string {
	t.Helper()
	backup, root := damagedFixture(t)
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := map[string]string{}
	files["truncated"] = write("truncated.db", data[:12288])

	flipped := slices.Clone(data)
	const pageSize = 4096
	flags := flipped[root*pageSize+8:]
	binary.LittleEndian.PutUint16(flags, binary.LittleEndian.Uint16(flags)^0x03) // leaf <-> branch
	files["flipped page flag"] = write("flipped.db", flipped)

	rec := write("record.db", data)
	tamper(t, rec, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("citizens")).Put(id8(7), []byte(`{"id": 7, "lang": `))
	})
	files["damaged record"] = rec

	files["empty"] = write("empty.db", nil)
	files["directory"] = filepath.Join(dir, "adir")
	if err := os.Mkdir(files["directory"], 0o700); err != nil {
		t.Fatal(err)
	}
	files["not bbolt"] = write("notes.db", []byte(strings.Repeat("not a database ", 500)))
	return files
}

// TestDamagedFilesAreRefused opens, checks and restores damaged files
// as the operator's commands do: each is refused with an error or
// reported with problems, never a crash, and a refused restore leaves the
// database as it was, with no temporary file beside it.
func TestDamagedFilesAreRefused(t *testing.T) {
	for name, path := range damagedFiles(t) {
		t.Run(name, func(t *testing.T) {
			// check: Open refuses it, or Check finds problems.
			db, err := store.Open(path, store.ReadOnly())
			if err == nil {
				problems, cerr := db.Check(ctx)
				db.Close()
				if cerr == nil && len(problems) == 0 {
					t.Errorf("Open and Check of a %s file: sound, want problems", name)
				}
			} else if !store.IsDamaged(err) {
				t.Errorf("Open of a %s file: %v, want an error IsDamaged reports", name, err)
			} else if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "goroutine") {
				t.Errorf("Open of a %s file: %q, want one line", name, err)
			}

			// restore: refused, the database kept, nothing left behind.
			dir := t.TempDir()
			dest := filepath.Join(dir, "multaque.db")
			cur, err := store.Open(dest, fast)
			if err != nil {
				t.Fatal(err)
			}
			save(t, cur, newCitizen(42, "Zebulon", "gracia", "energy"))
			cur.Close()
			before, _ := os.ReadFile(dest)
			rep, err := store.Restore(ctx, path, dest)
			if err == nil {
				t.Fatalf("Restore of a %s file: succeeded (%+v), want it refused", name, rep)
			}
			if !store.IsDamaged(err) {
				t.Errorf("Restore of a %s file: %v, want an error IsDamaged reports", name, err)
			}
			if !strings.Contains(err.Error(), "not a Multaque database, or damaged") {
				t.Errorf("Restore of a %s file: %v, want it to say it is damaged", name, err)
			}
			after, _ := os.ReadFile(dest)
			if string(before) != string(after) {
				t.Errorf("Restore of a %s file changed the database", name)
			}
			if left := leftovers(t, dir, "multaque.db"); len(left) > 0 {
				t.Errorf("Restore of a %s file left %q", name, left)
			}
		})
	}
}

// TestRestoreForceDamagedRecord: --force restores a backup whose check
// found a record that does not read, saying so, and keeps what it replaced.
func TestRestoreForceDamagedRecord(t *testing.T) {
	files := damagedFiles(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "multaque.db")
	cur, err := store.Open(dest, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, cur, newCitizen(42, "Zebulon", "gracia", "energy"))
	cur.Close()

	rep, err := store.RestoreWith(ctx, files["damaged record"], dest, store.RestoreOptions{Force: true})
	if err != nil {
		t.Fatalf("RestoreWith(Force): %v", err)
	}
	if len(rep.Problems) == 0 {
		t.Error("RestoreWith(Force): no problems reported")
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "restored despite") }) {
		t.Errorf("warnings %q, want one saying it was restored despite problems", rep.Warnings)
	}
	if rep.Kept == "" || !strings.HasPrefix(filepath.Base(rep.Kept), "multaque.db.before-restore-") {
		t.Fatalf("Kept = %q, want multaque.db.before-restore-<time>", rep.Kept)
	}
	if n := countCitizens(t, rep.Kept); n != 1 {
		t.Errorf("the kept file has %d citizens, want the replaced database's 1", n)
	}
	if n := countCitizens(t, dest); n != 300 {
		t.Errorf("restored %d citizens, want 300", n)
	}

	// A file that cannot be opened is refused even with Force.
	if _, err := store.RestoreWith(ctx, files["truncated"], dest, store.RestoreOptions{Force: true}); !store.IsDamaged(err) {
		t.Errorf("RestoreWith(Force) of a truncated file: %v, want it refused as damaged", err)
	}
}

// TestRestoreKeepsTheReplacedFile: a sound restore keeps the database it
// replaces beside it.
func TestRestoreKeepsTheReplacedFile(t *testing.T) {
	backup, _ := damagedFixture(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "multaque.db")
	cur, err := store.Open(dest, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, cur, newCitizen(42, "Zebulon", "gracia", "energy"))
	cur.Close()
	rep, err := store.Restore(ctx, backup, dest)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kept == "" {
		t.Fatal("Kept is empty, want the replaced database kept")
	}
	if n := countCitizens(t, rep.Kept); n != 1 {
		t.Errorf("the kept file has %d citizens, want the replaced database's 1", n)
	}
}

// TestBackupRefusesHarmfulDestinations: a backup onto the database (by
// its path or another name), its files, a directory or into a missing
// directory is refused before anything is written.
func TestBackupRefusesHarmfulDestinations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	save(t, db, newCitizen(1, "Zebulon", "gracia", "energy"))
	link := filepath.Join(t.TempDir(), "other-name.db")
	if err := os.Link(path, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "backups")
	os.Mkdir(sub, 0o700)
	for _, dest := range []string{
		path,
		filepath.Join(dir, ".", "multaque.db"),
		link,
		path + ".ops.json",
		filepath.Join(dir, ".multaque.db.tmp-123"),
		sub,
		filepath.Join(dir, "missing", "b.db"),
	} {
		_, err := db.Backup(ctx, dest)
		if multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("Backup(%s): %v, want EINVALID", dest, err)
		}
	}
	if left := leftovers(t, dir, "multaque.db", "backups"); len(left) > 0 {
		t.Errorf("refused backups left %q", left)
	}
	if n := countCitizensOpen(t, db); n != 1 {
		t.Errorf("the database has %d citizens after refused backups, want 1", n)
	}
}

func countCitizensOpen(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("citizens")).Stats().KeyN
		return nil
	})
	return n
}

// TestBackupOntoAFullDisk: a backup the file system refuses names the
// destination and the system's reason, not "the store cannot write", and
// leaves nothing behind.
func TestBackupOntoAFullDisk(t *testing.T) {
	dest := faultfs.Tmpfs(t, "256k")
	db := openDB(t)
	var cs []*multaque.Citizen
	for id := int64(1); id <= 2000; id++ {
		cs = append(cs, newCitizen(id, "Zebulon", "gracia", "energy"))
	}
	if err := db.ImportCitizens(ctx, cs); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dest, "b.db")
	_, err := db.Backup(ctx, path)
	if multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
		t.Fatalf("Backup onto a full disk: %v, want EUNAVAILABLE", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "cannot write "+path+": no space left on device") || strings.Contains(msg, "the store") || strings.Contains(msg, ".tmp-") {
		t.Errorf("Backup onto a full disk: %q, want it to name %s and the disk being full", msg, path)
	}
	if left := leftovers(t, dest); len(left) > 0 {
		t.Errorf("a refused backup left %q", left)
	}
}

// TestKeepBeforeMigration: opening a file of an older schema with
// KeepBeforeMigration keeps a copy of it as it was, which still says the
// older version (the way back to the older program); a file of this
// schema is migrated nowhere and copied nowhere.
func TestKeepBeforeMigration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	db, err := store.Open(path, fast, store.KeepBeforeMigration())
	if err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(1, "Zebulon", "gracia", "energy"))
	if m := db.Migrated(); m != (store.Migration{}) {
		t.Errorf("Migrated() of a new file = %+v, want nothing", m)
	}
	db.Close()
	tamper(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
	})

	db, err = store.Open(path, fast, store.KeepBeforeMigration())
	if err != nil {
		t.Fatal(err)
	}
	m := db.Migrated()
	db.Close()
	if m.From != 1 || m.To != store.SchemaVersion || !strings.HasPrefix(filepath.Base(m.Kept), "multaque.db.before-migration-v1-") {
		t.Fatalf("Migrated() = %+v, want from 1 to %d with a copy kept", m, store.SchemaVersion)
	}
	bdb, err := bolt.Open(m.Kept, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	bdb.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); binary.BigEndian.Uint64(v) != 1 {
			t.Errorf("the kept copy says schema %x, want 1", v)
		}
		if n := tx.Bucket([]byte("citizens")).Stats().KeyN; n != 1 {
			t.Errorf("the kept copy has %d citizens, want 1", n)
		}
		return nil
	})
	if left := leftovers(t, dir, "multaque.db", filepath.Base(m.Kept)); len(left) > 0 {
		t.Errorf("left %q", left)
	}
}

package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	"github.com/multaque/multaque/store/faultfs"
)

// TestDiskFull puts the database on a 4 MiB tmpfs and fills it. bbolt
// writes into its free pages first, so small writes may still succeed for
// a while; once a write needs the file to grow, it fails with EUNAVAILABLE
// and changes nothing, reads go on, and once space is freed the same write
// succeeds and the file is sound.
func TestDiskFull(t *testing.T) {
	dir := faultfs.Tmpfs(t, "4m")
	path := filepath.Join(dir, "multaque.db")
	db := openDBAt(t, path, fast)
	for id := int64(1); id <= 100; id++ {
		save(t, db, newCitizen(id, "Before", "gracia", "energy"))
	}
	filled, release := faultfs.Fill(t, dir)

	var first int64
	succeeded := 0
	for id := int64(1000); id < 2000; id++ {
		err := db.SaveCitizen(ctx, newCitizen(id, fmt.Sprint("Full ", id), "gracia", "energy"))
		if err == nil {
			succeeded++
			continue
		}
		wantCode(t, err, multaque.EUNAVAILABLE)
		first = id
		break
	}
	if first == 0 {
		t.Fatalf("1,000 writes on a full disk all succeeded")
	}
	t.Logf("filled %d bytes; %d writes still went into bbolt's free pages, then: refused", filled, succeeded)
	// Nothing of the refused write is kept, and reads go on.
	_, err := db.Citizen(ctx, first)
	wantCode(t, err, multaque.ENOTFOUND)
	if c, err := db.Citizen(ctx, 1); err != nil || c.Name != "Before" {
		t.Fatalf("read on a full disk: %+v, %v", c, err)
	}
	// The same write keeps being refused: nothing spins, nothing breaks.
	for range 20 {
		err := db.SaveCitizen(ctx, newCitizen(first, "Full", "gracia", "energy"))
		wantCode(t, err, multaque.EUNAVAILABLE)
	}

	release()
	start := time.Now()
	save(t, db, newCitizen(first, "After", "gracia", "energy"))
	t.Logf("first write after space was freed took %v", time.Since(start))
	if c, err := db.Citizen(ctx, first); err != nil || c.Name != "After" {
		t.Fatalf("after space was freed: %+v, %v", c, err)
	}
	problems, err := db.Check(ctx)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Check after the disk was full: %q, %v", problems, err)
	}
}

// TestFileSystemTurnsReadOnly puts the database on an ext4 file system
// that fails and turns read-only under the open file (errors=remount-ro):
// every write fails with EUNAVAILABLE, reads go on; once the operator has
// repaired the file system (unmount, e2fsck, mount) the database opens
// again with everything written before the failure, and is sound.
func TestFileSystemTurnsReadOnly(t *testing.T) {
	fs := faultfs.NewExt4(t, 32)
	path := filepath.Join(fs.Dir, "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(1, "Before", "gracia", "energy"))
	fs.Fail(t)
	err = db.SaveCitizen(ctx, newCitizen(2, "During", "gracia", "energy"))
	wantCode(t, err, multaque.EUNAVAILABLE)
	_, err = db.RecordUpdate(ctx, 7)
	wantCode(t, err, multaque.EUNAVAILABLE)
	if c, err := db.Citizen(ctx, 1); err != nil || c.Name != "Before" {
		t.Fatalf("read on a read-only file system: %+v, %v", c, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close on a read-only file system: %v", err)
	}
	fs.Repair(t)
	db = openDBAt(t, path, fast)
	if c, err := db.Citizen(ctx, 1); err != nil || c.Name != "Before" {
		t.Fatalf("after the repair: %+v, %v", c, err)
	}
	_, err = db.Citizen(ctx, 2)
	wantCode(t, err, multaque.ENOTFOUND)
	save(t, db, newCitizen(2, "After", "gracia", "energy"))
	problems, err := db.Check(ctx)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Check after the repair: %q, %v", problems, err)
	}
}

package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Temporary files. Backups, restores and compactions write a file beside
// its destination and rename it into place, and the bot streams POST
// /backup from one: each is a full copy of a database, personal data
// included, as large as the database. A process killed while writing one
// leaves it behind, where nothing else would remove it: an erased person
// would survive in it and the disk would fill.
//
// So a temporary file is held with an exclusive flock(2), from the moment
// it is created until it is renamed or removed, and the sweeps remove only
// the temporary files nobody holds: the kernel drops the locks of a
// process that dies, whatever killed it. A lock taken by another goroutine
// of this process conflicts too (flock locks belong to the open file, not
// to the process). As a second guard a sweep leaves alone a file written
// less than tempMinAge ago, which covers the instants in which its writer
// does not hold it: between its creation and its lock, and while bbolt,
// closing it, lets go of the lock its writer takes again.
//
// A sweep removes only regular files whose names are exactly those this
// package and cmd/multaque create (a dot, the destination's name, a
// suffix, the digits os.CreateTemp adds), never follows a symbolic link,
// and never removes a file that is no longer the one it locked.
//
// Where flock does not exist (see tempfiles_other.go) nothing is locked
// and the sweeps remove nothing.

// tempMinAge is how long ago a temporary file must have been written for a
// sweep to remove it.
const tempMinAge = time.Minute

// The suffixes of temporary files, after ".<destination name>".
const (
	tempSuffix       = ".tmp-"    // CreateTemp's: Backup, Compact, Restore, `multaque backup`
	backupTempSuffix = ".backup-" // BackupTemp's: POST /backup
)

// TempFile is a new file beside its destination, being written, held
// against the sweeps until Commit renames it into place or Discard removes
// it. It is not safe for concurrent use.
type TempFile struct {
	f    *os.File
	dest string // "" for a file that is only ever discarded
	done bool
}

// CreateTemp creates an empty file named .<name>.tmp-<digits> in the
// directory of dest, where <name> is the last element of dest, for a file
// that Commit will rename to dest. The directory must exist. Call Discard
// when done with it, even after Commit (it then does nothing).
func CreateTemp(dest string) (*TempFile, error) {
	return createTemp(filepath.Dir(dest), "."+filepath.Base(dest)+tempSuffix, dest)
}

// createTemp creates, in dir, a file named prefix and digits, and holds it.
func createTemp(dir, prefix, dest string) (*TempFile, error) {
	f, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return nil, err
	}
	// Only a sweep can hold a file just created, for an instant: it
	// leaves one written so recently alone.
	if err := lock(f); err != nil {
		os.Remove(f.Name())
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &TempFile{f: f, dest: dest}, nil
}

// Name returns the file's path.
func (t *TempFile) Name() string { return t.f.Name() }

// Write writes p at the file's offset.
func (t *TempFile) Write(p []byte) (int, error) { return t.f.Write(p) }

// Read reads from the file's offset.
func (t *TempFile) Read(p []byte) (int, error) { return t.f.Read(p) }

// WriteTo writes the file from its offset to w, through the system's own
// copy where there is one (a socket).
func (t *TempFile) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, t.f) }

// Commit syncs the file, renames it to its destination and syncs the
// directory, so that after a crash the destination holds either the old
// file or the whole new one. The file is let go only once renamed.
func (t *TempFile) Commit() error {
	if t.done || t.dest == "" {
		return errors.New("commit: nothing to commit")
	}
	if err := t.f.Sync(); err != nil {
		return cannotWrite(err)
	}
	if err := os.Rename(t.f.Name(), t.dest); err != nil {
		return cannotWrite(err)
	}
	t.done = true
	if err := t.f.Close(); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(t.dest))
	if err != nil {
		return err
	}
	defer d.Close()
	return cannotWrite(d.Sync())
}

// Discard removes the file, unless Commit renamed it, and lets it go. It
// may be called more than once.
func (t *TempFile) Discard() error {
	if t.done {
		return nil
	}
	t.done = true
	// Removed while still held, so that no sweep finds it let go under
	// its name.
	err := os.Remove(t.f.Name())
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openBolt opens the file as a bbolt database with opts. bbolt locks the
// file it opens with flock too: it is given a duplicate of the descriptor
// this file is held through, one open file with one lock, so that its lock
// does not wait for this one. Closing the database drops that lock: call
// relock after.
func (t *TempFile) openBolt(opts bolt.Options) (*bolt.DB, error) {
	opts.OpenFile = func(name string, _ int, _ os.FileMode) (*os.File, error) {
		if name != t.f.Name() {
			return nil, fmt.Errorf("open %s: not the temporary file %s", name, t.f.Name())
		}
		return dupFile(t.f)
	}
	return bolt.Open(t.f.Name(), 0o600, &opts)
}

// relock takes the file again after a bbolt database opened on it (see
// openBolt) is closed. Only a sweep can have taken it meanwhile, for an
// instant, and it leaves a file written so recently alone.
func (t *TempFile) relock() error {
	if err := lock(t.f); err != nil {
		return fmt.Errorf("lock %s: %w", t.f.Name(), err)
	}
	return nil
}

// SweepTemps removes from the directory of dest the files CreateTemp(dest)
// created whose writers are gone (a crashed backup to dest, or `multaque
// backup` to dest interrupted), and returns their paths. A missing
// directory has none. It goes on past a file it cannot remove and returns
// the errors joined.
func SweepTemps(dest string) ([]string, error) {
	prefix := "." + filepath.Base(dest) + tempSuffix
	return sweep(filepath.Dir(dest), func(name string) bool {
		digits, ok := strings.CutPrefix(name, prefix)
		return ok && isDigits(digits)
	})
}

// SweepDatabaseTemps removes from the directory of the database at path
// the temporary files that Compact, Restore and BackupTemp made for it
// whose writers are gone, and the ones POST /backup made in earlier
// versions, and returns their paths (see SweepTemps).
func SweepDatabaseTemps(path string) ([]string, error) {
	base := filepath.Base(path)
	return sweep(filepath.Dir(path), func(name string) bool {
		return isTempName(name, base, tempSuffix) || isTempName(name, base, backupTempSuffix) ||
			isOldBackupTempName(name, base)
	})
}

// SweepBackupDir removes from dir the temporary files that BackupInto made
// for its backups whose writers are gone, and returns their paths (see
// SweepTemps).
func SweepBackupDir(dir string) ([]string, error) {
	return sweep(dir, func(name string) bool {
		i := strings.LastIndex(name, tempSuffix)
		return i > 1 && name[0] == '.' && backupName.MatchString(name[1:i]) && isDigits(name[i+len(tempSuffix):])
	})
}

// isTempName reports whether name is "." + base + suffix + digits.
func isTempName(name, base, suffix string) bool {
	digits, ok := strings.CutPrefix(name, "."+base+suffix)
	return ok && isDigits(digits)
}

// isOldBackupTempName reports whether name is that of the file Backup
// wrote for POST /backup before BackupTemp: a CreateTemp beside a file
// named "." + base + ".backup-" + digits.
func isOldBackupTempName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, ".."+base+backupTempSuffix)
	if !ok {
		return false
	}
	outer, inner, ok := strings.Cut(rest, tempSuffix)
	return ok && isDigits(outer) && isDigits(inner)
}

// isDigits reports whether s is one or more ASCII digits, as many as the
// random part of os.CreateTemp's names may have.
func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// sweep removes the regular files of dir whose names ours accepts and that
// nobody holds and nobody wrote for tempMinAge, and returns their paths.
func sweep(dir string, ours func(name string) bool) ([]string, error) {
	if !canLock {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !ours(e.Name()) {
			continue // a symbolic link, a directory, someone else's file
		}
		path := filepath.Join(dir, e.Name())
		gone, err := removeAbandoned(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", path, err))
		}
		if gone {
			removed = append(removed, path)
		}
	}
	return removed, errors.Join(errs...)
}

// removeAbandoned removes the file at path if nobody holds it, nobody wrote
// it for tempMinAge, and it is still a regular file under that name.
func removeAbandoned(path string) (bool, error) {
	f, err := openNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotRegular) {
		return false, nil // renamed or removed by its writer meanwhile, or not ours
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	held, err := tryLock(f)
	if err != nil || !held {
		return false, err // !held: its writer is alive
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < tempMinAge {
		return false, nil
	}
	// Its writer may have renamed it, after which another file could
	// bear the name.
	li, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !os.SameFile(fi, li) {
		return false, nil
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

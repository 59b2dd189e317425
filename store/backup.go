package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/multaque/multaque"
)

// Backups are compacted copies: bbolt's Compact walks the database in one
// read transaction, so the copy is the database as of one moment, and it
// writes only the live keys, so that what an erasure deleted, which may
// linger in the free pages of the live file, is not copied. A copy is
// written to a temporary file beside its destination (see TempFile), synced,
// and only then renamed into place: a crash never leaves half a backup
// under the final name, and the sweeps remove what it leaves.

// keyBackupAt is the meta key under which a backup records when it was
// taken (RFC 3339, UTC, to the nanosecond).
var keyBackupAt = []byte("backup_at")

// compactTxSize bounds the bytes of keys and values one transaction of a
// compaction writes, so that the copy's dirty pages do not all sit in memory.
const compactTxSize = 32 << 20

// BackupInfo describes a backup that was written.
type BackupInfo struct {
	Path    string
	TakenAt time.Time     // the moment the copy is of
	Size    int64         // bytes
	Took    time.Duration // from the start of the copy to its rename
}

// Backup writes a compacted copy of the database, as of one moment, to
// path, replacing any file there, while the database stays in use: writers
// go on during the copy (a long copy only keeps the pages it reads from
// being reused meanwhile). The copy records when it was taken, which
// Restore reports. Once started, it is not interrupted by ctx.
func (db *DB) Backup(ctx context.Context, path string) (BackupInfo, error) {
	if err := ctx.Err(); err != nil {
		return BackupInfo{}, err
	}
	if err := CheckBackupDest(db.path, path); err != nil {
		return BackupInfo{}, err
	}
	start := time.Now()
	tmp, err := CreateTemp(path)
	if err != nil {
		return BackupInfo{}, destError(path, cannotWrite(err))
	}
	defer tmp.Discard()
	info, err := db.backupInto(tmp)
	if err != nil {
		return BackupInfo{}, destError(path, err)
	}
	if err := tmp.Commit(); err != nil {
		return BackupInfo{}, destError(path, err)
	}
	info.Path, info.Took = path, time.Since(start)
	return info, nil
}

// refusedWrite is a backup the file system refused to write: its text
// names the destination and the system's reason, for the operator, and it
// wraps the EUNAVAILABLE error and the cause.
type refusedWrite struct {
	path string
	err  error
}

func (e refusedWrite) Error() string {
	reason := "the file system refused the write"
	var errno syscall.Errno
	if errors.As(e.err, &errno) {
		reason = errno.Error()
	}
	return fmt.Sprintf("backup: cannot write %s: %s (disk full, over quota or read-only? free some space or choose another place)", e.path, reason)
}

func (e refusedWrite) Unwrap() error { return e.err }

// destError is the error of a backup to path that failed with err.
func destError(path string, err error) error {
	if multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
		return refusedWrite{path: path, err: err}
	}
	return fmt.Errorf("backup: %w", err)
}

// CheckBackupDest refuses, with an EINVALID error, a backup destination
// that would harm the database at dbPath or cannot be written: the
// database itself (its path or the same file by another name), the files
// beside it that belong to it (its temporary files, the running bot's
// ops file, the copies a restore keeps: any name in its directory that
// starts with its name and a dot, or a dot and its name), a directory, a
// file in a directory that does not exist.
func CheckBackupDest(dbPath, dest string) error {
	refuse := func(format string, args ...any) error {
		return multaque.Errorf(multaque.EINVALID, "backup: %s: "+format, append([]any{dest}, args...)...)
	}
	if dest == "" {
		return multaque.Errorf(multaque.EINVALID, "backup: no destination file given")
	}
	absDB, err1 := filepath.Abs(dbPath)
	absDest, err2 := filepath.Abs(dest)
	if err1 == nil && err2 == nil {
		if absDB == absDest {
			return refuse("is the database itself; give another file name")
		}
		base := filepath.Base(absDB)
		name := filepath.Base(absDest)
		if filepath.Dir(absDB) == filepath.Dir(absDest) &&
			(strings.HasPrefix(name, base+".") || strings.HasPrefix(name, "."+base+".")) {
			return refuse("belongs to the database %s (its temporary, lock or kept files); give another file name", dbPath)
		}
	}
	if same, _ := sameFile(dbPath, dest); same {
		return refuse("is the database itself (another name of the same file); give another file name")
	}
	fi, err := os.Stat(dest)
	switch {
	case err == nil && fi.IsDir():
		return refuse("is a directory; give a file name, such as %s", filepath.Join(dest, "multaque-backup.db"))
	case err == nil && !fi.Mode().IsRegular():
		return refuse("is not a regular file")
	}
	dir := filepath.Dir(dest)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return refuse("the directory %s does not exist", dir)
	}
	return nil
}

// BackupTemp writes a backup, as Backup does, to a new temporary file beside
// the database, named .<database file name>.backup-<digits>, and returns it
// with its offset at the start, for a caller that sends it elsewhere
// (POST /backup). Until the caller discards it, which it must, the sweeps
// leave it alone. The returned BackupInfo's Path is the file's.
func (db *DB) BackupTemp(ctx context.Context) (*TempFile, BackupInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, BackupInfo{}, err
	}
	start := time.Now()
	tmp, err := createTemp(filepath.Dir(db.path), "."+filepath.Base(db.path)+backupTempSuffix, "")
	if err != nil {
		return nil, BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info, err := db.backupInto(tmp)
	if err == nil {
		_, err = tmp.f.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Discard()
		return nil, BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info.Path, info.Took = tmp.Name(), time.Since(start)
	return tmp, info, nil
}

// backupInto writes the backup to tmp, synced.
func (db *DB) backupInto(tmp *TempFile) (BackupInfo, error) {
	at := db.now().UTC()
	mark := func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keyBackupAt, []byte(at.Format(time.RFC3339Nano)))
	}
	size, err := compactInto(db.bolt, tmp, mark)
	if err != nil {
		return BackupInfo{}, err
	}
	return BackupInfo{TakenAt: at, Size: size}, nil
}

// backupName is how BackupInto names its files: by the time they were
// taken, so that names sort in time order.
var backupName = regexp.MustCompile(`^multaque-\d{8}T\d{6}\.\d{3}Z\.db$`)

// BackupInto writes a backup (see Backup) into dir, named
// multaque-<UTC time>.db, then removes the oldest files of that name until
// keep are left (keep below 1 counts as 1). Other files in dir are left
// alone. It returns the backup and the files it removed.
func (db *DB) BackupInto(ctx context.Context, dir string, keep int) (BackupInfo, []string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, nil, fmt.Errorf("backup: %w", err)
	}
	name := "multaque-" + db.now().UTC().Format("20060102T150405.000Z") + ".db"
	info, err := db.Backup(ctx, filepath.Join(dir, name))
	if err != nil {
		return info, nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return info, nil, fmt.Errorf("backup: prune: %w", err)
	}
	var backups []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			backups = append(backups, e.Name())
		}
	}
	slices.Sort(backups)
	var removed []string
	for _, old := range backups[:max(0, len(backups)-max(keep, 1))] {
		p := filepath.Join(dir, old)
		if err := os.Remove(p); err != nil {
			return info, removed, fmt.Errorf("backup: prune: %w", err)
		}
		removed = append(removed, p)
	}
	return info, removed, nil
}

// CompactReport says what Compact did.
type CompactReport struct {
	Before, After int64 // file sizes in bytes
	Took          time.Duration
}

// Compact rewrites the database file at path with only its live data, so
// that the free pages, which may still hold erased bytes, are gone, and
// swaps the new file in with a rename. The database must not be in use: if
// another process holds it, Compact fails with an EUNAVAILABLE error (from
// Open) and changes nothing.
func Compact(ctx context.Context, path string) (CompactReport, error) {
	if err := ctx.Err(); err != nil {
		return CompactReport{}, err
	}
	start := time.Now()
	fi, err := os.Stat(path)
	if err != nil {
		return CompactReport{}, fmt.Errorf("compact: %w", err)
	}
	db, err := Open(path) // holds the lock until the new file is in place
	if err != nil {
		return CompactReport{}, fmt.Errorf("compact: %w", err)
	}
	defer db.Close()
	tmp, err := CreateTemp(path)
	if err != nil {
		return CompactReport{}, fmt.Errorf("compact: %w", err)
	}
	defer tmp.Discard()
	size, err := compactInto(db.bolt, tmp, nil)
	if err != nil {
		return CompactReport{}, fmt.Errorf("compact: %w", err)
	}
	if err := tmp.Commit(); err != nil {
		return CompactReport{}, fmt.Errorf("compact: %w", err)
	}
	return CompactReport{Before: fi.Size(), After: size, Took: time.Since(start)}, nil
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	// TakenAt is when the backup was taken; zero if it does not say (a
	// copy made otherwise than by Backup).
	TakenAt time.Time
	// Erasures is how many erasures made after the backup were made again
	// on the restored data.
	Erasures int
	// Problems are those the check of the backup found (see CheckWith):
	// a backup with any is refused unless RestoreOptions.Force.
	Problems []string
	// Kept is where the database replaced was kept, "" if there was none.
	Kept string
	// Warnings are things the operator should know: the database replaced
	// could not be read, so erasures made after the backup could not be
	// made again; the backup comes from another database…
	Warnings []string
	Took     time.Duration
}

// RestoreOptions change what Restore does.
type RestoreOptions struct {
	// Check are the options of the check the backup must pass.
	Check CheckOptions
	// Force restores a backup in which the check found problems: what the
	// problems name may be unreadable or lost in the restored database.
	// A backup that cannot be opened at all is refused even so.
	Force bool
}

// keptSuffix names the copy Restore keeps of the database it replaces:
// <name>.before-restore-<UTC time>.
const keptSuffix = ".before-restore-"

// Restore replaces the database file at path with the backup at backup,
// as RestoreWith does with no options.
func Restore(ctx context.Context, backup, path string) (RestoreReport, error) {
	return RestoreWith(ctx, backup, path, RestoreOptions{})
}

// RestoreWith replaces the database file at path with the backup at
// backup. It refuses, with an EUNAVAILABLE error and changing nothing,
// while another process holds path (stop the bot first).
//
// The backup is opened as a file that may be anything: one that is not a
// bbolt file, is cut short or damaged is refused with an error IsDamaged
// reports, and so is one in which the check (CheckWith) finds problems,
// listed in the report, unless o.Force. Nothing is written before the
// backup has passed, and a refusal leaves no file behind.
//
// Erasures recorded in the database being replaced that the backup does
// not hold, those made after it was taken, are made again on the restored
// data before it takes the database's place, and the record of every
// erasure is kept; the result is then compacted, so that nothing erased
// lingers in its free pages. If the database being replaced is missing or
// cannot be read, the backup is restored as it is, with a warning: the
// erasures made since it was taken cannot be known. The database replaced
// is kept beside it as <name>.before-restore-<UTC time> (RestoreReport.Kept).
func RestoreWith(ctx context.Context, backup, path string, o RestoreOptions) (rep RestoreReport, err error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if same, _ := sameFile(backup, path); same || filepath.Clean(backup) == filepath.Clean(path) {
		return rep, multaque.Errorf(multaque.EINVALID, "restore: the backup %s is the database itself", backup)
	}
	old, takenAt, problems, err := readBackup(ctx, backup, o.Check)
	if err != nil {
		return rep, err
	}
	rep.TakenAt, rep.Problems = takenAt, problems
	if len(problems) > 0 {
		if !o.Force {
			return rep, fmt.Errorf("restore: backup %s: %w", backup, damaged("the check found %d problem(s)", len(problems)))
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("restored despite %d problem(s) the check found in the backup: what they name may be unreadable or lost", len(problems)))
	}

	// The database being replaced: held until the backup is in its place,
	// so that no bot starts on it meanwhile.
	var cur *erasureLog
	var replaced *bolt.DB
	exists := true
	switch cdb, err := openReplaced(path); {
	case errors.Is(err, berrors.ErrTimeout):
		return rep, multaque.Errorf(multaque.EUNAVAILABLE, "restore: %s is in use by a running Multaque; stop it first", path)
	case errors.Is(err, fs.ErrNotExist):
		exists = false
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("there is no database at %s: restored as it is; erasures made after the backup cannot be known", path))
	case err != nil:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the database at %s cannot be opened (%v): restored as it is; erasures made after the backup cannot be known", path, err))
	default:
		defer cdb.Close()
		replaced = cdb
		log, err := readErasuresSafely(cdb)
		if err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the erasures recorded in %s cannot be read (%v): restored as it is; erasures made after the backup cannot be known", path, err))
		} else {
			cur = &log
		}
	}

	// Stage the backup beside the database, erase again, compact.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	stage, err := CreateTemp(path)
	if err != nil {
		return rep, fmt.Errorf("restore: %w", cannotWrite(err))
	}
	defer stage.Discard()
	if err := copyFile(backup, stage); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	sdb, err := openStaged(stage)
	if err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	defer sdb.Close()
	err = guarded(func() error {
		return sdb.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketMeta).Delete(keyBackupAt); err != nil {
				return err
			}
			if cur == nil {
				return nil
			}
			n, warning, err := eraseAgain(tx, *cur, old, takenAt)
			rep.Erasures = n
			if warning != "" {
				rep.Warnings = append(rep.Warnings, warning)
			}
			return err
		})
	})
	if err != nil {
		return rep, fmt.Errorf("restore: erase again: %w", err)
	}
	final, err := CreateTemp(path)
	if err != nil {
		return rep, fmt.Errorf("restore: %w", cannotWrite(err))
	}
	defer final.Discard()
	if err := guarded(func() error { _, err := compactInto(sdb, final, nil); return err }); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	if exists {
		kept, err := keepReplaced(replaced, path)
		if err != nil {
			return rep, fmt.Errorf("restore: keep the database replaced: %w", err)
		}
		rep.Kept = kept
	}
	if err := final.Commit(); err != nil {
		if rep.Kept != "" {
			os.Remove(rep.Kept) // the database is still there
			rep.Kept = ""
		}
		return rep, fmt.Errorf("restore: %w", err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// keepReplaced keeps the database at path, about to be replaced, as
// <path>.before-restore-<UTC time> (see keepCopy).
func keepReplaced(cdb *bolt.DB, path string) (string, error) {
	return keepCopy(cdb, path, keptSuffix)
}

// keepCopy keeps the database at path as <path><suffix><UTC time>. cdb is
// that database if it could be opened: the copy is then compacted, so that
// what erasures left in its free pages is not kept; one that could not be
// opened is kept as it is (a second name for the file, or a copy), for
// whoever tries to save it.
func keepCopy(cdb *bolt.DB, path, suffix string) (string, error) {
	kept := path + suffix + time.Now().UTC().Format("20060102T150405.000Z")
	for i := 2; ; i++ {
		if _, err := os.Lstat(kept); errors.Is(err, fs.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s%s%s-%d", path, suffix, time.Now().UTC().Format("20060102T150405.000Z"), i)
	}
	if cdb == nil {
		if err := os.Link(path, kept); err == nil {
			return kept, nil
		}
	}
	// Named as the database's own temporary files, so that the sweeps
	// remove it if a crash leaves it.
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+tempSuffix, kept)
	if err != nil {
		return "", cannotWrite(err)
	}
	defer tmp.Discard()
	if cdb != nil {
		err = guarded(func() error { _, err := compactInto(cdb, tmp, nil); return err })
	} else {
		err = copyFile(path, tmp)
	}
	if err != nil {
		return "", err
	}
	if err := tmp.Commit(); err != nil {
		return "", err
	}
	return kept, nil
}

// openStaged opens the backup copied to stage as Open would, completing
// the buckets of a backup made by an older version, through the
// descriptor stage is held by (see TempFile.openBolt). The stage is not
// taken again after the database is closed: it is only discarded then.
func openStaged(stage *TempFile) (*bolt.DB, error) {
	bdb, err := stage.openBolt(bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	if err := guarded(func() error { return bdb.Update(initSchema) }); err != nil {
		bdb.Close()
		return nil, err
	}
	return bdb, nil
}

// openReplaced opens the database Restore replaces, which may be missing
// (fs.ErrNotExist: it is not created) or damaged (bbolt panics on some
// damaged pages as it opens).
func openReplaced(path string) (bdb *bolt.DB, err error) {
	if err := ValidateFile(path); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("damaged file: %v", r)
		}
	}()
	return bolt.Open(path, 0o600, &bolt.Options{
		Timeout: time.Second,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			return os.OpenFile(name, flag&^os.O_CREATE, perm)
		},
	})
}

// readBackup checks that the file at path is a sound Multaque database
// this program can read, and returns its erasure log, when it was taken
// and the problems the check (with o) finds in it. A file that cannot be
// read at all is an error IsDamaged reports; nothing is mapped before its
// size is checked against its meta pages.
func readBackup(ctx context.Context, path string, o CheckOptions) (log erasureLog, at time.Time, problems []string, err error) {
	if err := ValidateFile(path); err != nil {
		return log, at, nil, fmt.Errorf("restore: backup %s: %w", path, err)
	}
	err = guarded(func() error {
		bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			return damaged("%v", err)
		}
		defer bdb.Close()
		return bdb.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil {
				return damaged("it has no meta bucket")
			}
			if err := checkSchema(meta.Get(keySchema)); err != nil {
				return err
			}
			if v := meta.Get(keyBackupAt); v != nil {
				at, _ = time.Parse(time.RFC3339Nano, string(v))
			}
			problems = check(ctx, tx, o)
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			log, err = readErasures(tx)
			if err != nil && len(problems) == 0 {
				return err
			}
			return nil // the problems say it
		})
	})
	if err != nil {
		return log, at, nil, fmt.Errorf("restore: backup %s: %w", path, err)
	}
	return log, at, problems, nil
}

// readErasuresSafely reads the erasure log of a database that may be
// damaged: bbolt panics on some damaged pages.
func readErasuresSafely(bdb *bolt.DB) (log erasureLog, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged file: %v", r)
		}
	}()
	err = bdb.View(func(tx *bolt.Tx) error {
		log, err = readErasures(tx)
		return err
	})
	return log, err
}

// eraseAgain makes again, in tx (the restored backup), the erasures of cur
// (the database being replaced) made after the backup was taken, and
// records every erasure of cur in tx. old is the backup's own log and
// takenAt its time.
//
// When both come from the same database (the same erasure secret), the
// erasures made after the backup are exactly those old does not hold. A
// backup of another database (a database started afresh after a loss, say)
// has other tags, so the erasures made after it are told by their time;
// without one, every erasure is made again.
func eraseAgain(tx *bolt.Tx, cur, old erasureLog, takenAt time.Time) (n int, warning string, err error) {
	var redo map[string]string
	sameDB := len(cur.secret) > 0 && string(cur.secret) == string(old.secret)
	if sameDB {
		redo = cur.since(old)
	} else {
		redo = map[string]string{}
		for tag, at := range cur.at {
			t, perr := time.Parse(time.RFC3339Nano, at)
			if takenAt.IsZero() || perr != nil || t.After(takenAt) {
				redo[tag] = at
			}
		}
		if len(cur.at) > 0 {
			warning = "the backup comes from another database (its erasure secret differs): the erasures made after it were told by their time"
		}
	}
	if len(redo) > 0 {
		people, err := peopleIn(tx)
		if err != nil {
			return 0, "", err
		}
		// All at once: each bucket is walked once however many there are
		// (see forgetMany).
		set, asked := personSet{}, map[int64]string{}
		for _, id := range people {
			if at, ok := redo[erasureTag(cur.secret, id)]; ok {
				set[id], asked[id] = true, at
			}
		}
		if len(set) > 0 {
			if _, err := forgetMany(tx, set, time.Now()); err != nil {
				return 0, warning, err
			}
		}
		for id, at := range asked {
			if t, perr := time.Parse(time.RFC3339Nano, at); perr == nil {
				if err := recordErasure(tx, id, t); err != nil { // when it was asked for
					return 0, warning, err
				}
			}
		}
		n = len(set)
	}
	if sameDB {
		// Keep the record of every erasure, for a restore of an even
		// older backup.
		b := tx.Bucket(bucketErased)
		for tag, at := range cur.at {
			if err := b.Put([]byte(tag), []byte(at)); err != nil {
				return n, warning, err
			}
		}
	}
	return n, warning, nil
}

// peopleIn returns the id of every person the file tx reads holds anything
// about: the places where held and ForgetCitizen look, and the teams and
// the outbox.
func peopleIn(tx *bolt.Tx) ([]int64, error) {
	ids := map[int64]bool{}
	byKey := func(name []byte) error {
		return tx.Bucket(name).ForEach(func(k, _ []byte) error {
			if len(k) == 8 {
				ids[int64(binary.BigEndian.Uint64(k))] = true
			}
			return nil
		})
	}
	if err := byKey(bucketCitizens); err != nil {
		return nil, err
	}
	if err := byKey(bucketMentors); err != nil {
		return nil, err
	}
	err := tx.Bucket(bucketWaiting).ForEach(func(k, _ []byte) error {
		if _, _, _, id, ok := parseWaitingKey(k); ok {
			ids[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.Bucket(bucketRefCodes).ForEach(func(_, v []byte) error {
		if len(v) == 8 {
			ids[int64(binary.BigEndian.Uint64(v))] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.Bucket(bucketTeams).ForEach(func(k, v []byte) error {
		t, err := decodeTeam(string(k), v)
		if err != nil {
			return nil // not a person's; Check reports it
		}
		for _, m := range t.Members {
			ids[m.Citizen] = true
		}
		if t.Mentor != 0 {
			ids[t.Mentor] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range []*bolt.Bucket{tx.Bucket(bucketOutbox).Bucket(bucketOutboxItems), tx.Bucket(bucketDead)} {
		err := b.ForEach(func(_, v []byte) error {
			if chat := chatOf(v); chat > 0 {
				ids[chat] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]int64, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// compactInto writes a compacted copy of src to the new, empty file tmp,
// synced, and returns its size. mark, if set, changes the copy before it is
// synced. The copy is written without an fsync per transaction: it is
// nobody's data until it is synced once at the end and renamed (Commit).
func compactInto(src *bolt.DB, tmp *TempFile, mark func(tx *bolt.Tx) error) (size int64, err error) {
	dst, err := tmp.openBolt(bolt.Options{Timeout: time.Second, NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if lerr := tmp.relock(); lerr != nil && err == nil {
			err = lerr
		}
	}()
	if err := bolt.Compact(dst, src, compactTxSize); err != nil {
		return 0, fmt.Errorf("copy: %w", cannotWrite(err))
	}
	if mark != nil {
		if err := dst.Update(mark); err != nil {
			return 0, cannotWrite(err)
		}
	}
	if err := dst.Sync(); err != nil {
		return 0, cannotWrite(err)
	}
	fi, err := tmp.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// copyFile copies the file at from to the empty file to.
func copyFile(from string, to *TempFile) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := io.Copy(to.f, src); err != nil {
		return cannotWrite(err)
	}
	return nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the data this package writes. Open records
// it in a new file and refuses a file written by a newer layout.
//
// Versions: 1, the first; 2 adds the queue summaries ordered by size and by
// age (queues_by_size, queues_by_age), built from the summaries when a
// version 1 file is opened; 3 adds the indexes of teams by state and by
// member (teams_by_state, teams_by_member), built from the teams, and the
// join requests waiting for an answer (joins); the buckets of the same
// release, created empty on open, belong to version 3 too, so that an older
// binary, which would not erase what they hold, refuses the file: the
// teams' decisions (decisions), plans (plans, plan_notes), goals, pledges
// and funds (pledges.go), the audit log's index by person, and the intake's
// inbox.
const SchemaVersion = 3

// The buckets. Keys and values are described where each bucket is used.
var (
	bucketCitizens     = []byte("citizens")
	bucketWaiting      = []byte("waiting")
	bucketQueues       = []byte("queues")
	bucketRefCodes     = []byte("refcodes")
	bucketUpdates      = []byte("updates")
	bucketMeta         = []byte("meta")
	bucketOutbox       = []byte("outbox")
	bucketDead         = []byte("dead")
	bucketTeams        = []byte("teams")
	bucketTeamsByChat  = []byte("teams_by_chat")
	bucketMentors      = []byte("mentors")
	bucketCoordinators = []byte("coordinators")
	bucketPool         = []byte("pool")
	bucketCodes        = []byte("codes")
	bucketProposals    = []byte("proposals")
	bucketAudit        = []byte("audit")
	bucketThresholds   = []byte("thresholds")
	bucketBroadcasts   = []byte("broadcasts")
	bucketErased       = []byte("erased")
	bucketPlans        = []byte("plans")      // plans.go
	bucketPlanNotes    = []byte("plan_notes") // plans.go
	// teams.go's indexes and pending join answers (teams_index.go, joins.go).
	bucketTeamsByState  = []byte("teams_by_state")
	bucketTeamsByMember = []byte("teams_by_member")
	bucketJoins         = []byte("joins")

	allBuckets = [][]byte{
		bucketCitizens, bucketWaiting, bucketQueues, bucketQueuesBySize, bucketQueuesByAge, bucketRefCodes, bucketUpdates, bucketMeta,
		bucketOutbox, bucketDead, bucketTeams, bucketTeamsByChat, bucketMentors,
		bucketCoordinators, bucketPool, bucketCodes, bucketProposals, bucketAudit,
		bucketThresholds, bucketBroadcasts, bucketErased, bucketPlans, bucketPlanNotes,
		bucketTeamsByState, bucketTeamsByMember, bucketJoins,
		bucketDecisions, // decisions.go
	}

	keySchema = []byte("schema")
)

// DefaultKeepUpdates is how many recent update ids RecordUpdate remembers.
// Webhook retries and redeliveries after a restart can come minutes later:
// at 2,000 updates/s, 100,000 ids are nearly a minute of history, and cost
// about 2 MB.
const DefaultKeepUpdates = 100_000

// DefaultBatchDelay is how long a write waits for others to share its
// transaction and its fsync (bbolt's MaxBatchDelay). bbolt's own default,
// 10ms, caps 64 workers doing two writes per update at about 2,000 updates/s
// on two cores; 2ms more than doubles that while still sharing each fsync
// among dozens of writers (see BenchmarkUpdateParallel).
const DefaultBatchDelay = 2 * time.Millisecond

// DB is the Multaque database: one bbolt file. It is safe for concurrent use.
//
// Besides the errors each method documents, any method may fail with an
// error from bbolt or the file system (multaque.ErrorCode reports EINTERNAL),
// and after Close every method fails with bbolt's ErrDatabaseNotOpen. A
// method given a context that is already done returns ctx.Err() and does
// nothing; once started, a write is not interrupted.
//
// A write the file system refuses (disk full, read-only file system, quota,
// I/O error) or any write to a database opened ReadOnly fails with an
// EUNAVAILABLE error and changes nothing: bbolt rolls the transaction back
// and stays usable, reads go on working, and writes succeed again as soon as
// the file system takes them.
type DB struct {
	bolt        *bolt.DB
	path        string
	keepUpdates int
	batchDelay  time.Duration
	readOnly    bool
	now         func() time.Time
	// keepBeforeMigration: Open keeps a copy of a file it migrates, named
	// in migrated.
	keepBeforeMigration bool
	migrated            Migration
}

// Migration says what Open did to a file written by an older schema.
type Migration struct {
	From, To int    // schema versions; From is 0 when nothing was migrated
	Kept     string // the copy kept before, "" if none
}

// KeepBeforeMigration makes Open keep, before it migrates a file written
// by an older schema, a compacted copy of it beside it, named
// <path>.before-migration-v<old version>-<UTC time>: the way back to the
// older program, which refuses the migrated file (see DB.Migrated).
func KeepBeforeMigration() Option {
	return func(db *DB) { db.keepBeforeMigration = true }
}

// Migrated says whether Open migrated the file from an older schema, and
// where it kept the file as it was (with KeepBeforeMigration).
func (db *DB) Migrated() Migration { return db.migrated }

// Option configures Open.
type Option func(*DB)

// KeepUpdates sets how many recent update ids RecordUpdate remembers
// (default DefaultKeepUpdates). Values below 1 are ignored.
func KeepUpdates(n int) Option {
	return func(db *DB) {
		if n >= 1 {
			db.keepUpdates = n
		}
	}
}

// BatchDelay sets how long a write waits for others to share its
// transaction (default DefaultBatchDelay). A longer delay means fewer fsyncs
// under load and more latency for each write. Negative values are ignored.
func BatchDelay(d time.Duration) Option {
	return func(db *DB) {
		if d >= 0 {
			db.batchDelay = d
		}
	}
}

// ReadOnly opens the file for reading only: Open neither creates it nor
// completes its buckets, several processes may read it at once (but not
// while one holds it for writing), and every write fails with EUNAVAILABLE.
// It is for looking at a database that is not in use (check, backup) and
// for serving from a file that cannot be written.
func ReadOnly() Option {
	return func(db *DB) { db.readOnly = true }
}

// Open opens the database file at path, creating it and its directories if
// needed, and makes sure every bucket exists.
//
// If another process (or another DB in this process) holds the file, Open
// fails after about a second with an EUNAVAILABLE error naming the path. A
// file written by a newer schema than SchemaVersion is refused with EINTERNAL.
// With ReadOnly, a missing file is an ENOTFOUND error.
func Open(path string, opts ...Option) (*DB, error) {
	db := &DB{path: path, keepUpdates: DefaultKeepUpdates, batchDelay: DefaultBatchDelay, now: time.Now}
	for _, opt := range opts {
		opt(db)
	}
	if db.readOnly {
		// bbolt would create the file it cannot then initialise.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, multaque.Errorf(multaque.ENOTFOUND, "open store %s: no such file", path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// An existing file may be anything: a damaged copy, a truncated one.
	// bbolt maps it and trusts its pages, so a page past the end of the
	// file would kill the process (SIGBUS) instead of failing: its size
	// is checked against its meta pages first. A new, empty file is
	// bbolt's to initialise, but not when opened for reading.
	if err := ValidateFile(path); err != nil && !(errors.Is(err, errEmptyFile) && !db.readOnly) && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: time.Second, // a second process fails instead of hanging
		// Remapping a growing file blocks every reader; 1 GiB of address
		// space is free and puts that off for a long time.
		InitialMmapSize: 1 << 30,
		FreelistType:    bolt.FreelistMapType,
		ReadOnly:        db.readOnly,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, multaque.Errorf(multaque.EUNAVAILABLE, "open store %s: the file is locked by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.bolt = bdb
	bdb.MaxBatchDelay = db.batchDelay
	initialise := bdb.Update
	if db.readOnly {
		initialise = bdb.View
	} else if err := db.beforeMigration(bdb); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := guarded(func() error { return initialise(initSchema) }); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// beforeMigration notes whether the file bdb holds is of an older schema,
// which initSchema is about to migrate, and if asked keeps a copy of it.
func (db *DB) beforeMigration(bdb *bolt.DB) error {
	var old uint64
	err := guarded(func() error {
		return bdb.View(func(tx *bolt.Tx) error {
			if meta := tx.Bucket(bucketMeta); meta != nil {
				if v := meta.Get(keySchema); len(v) == 8 {
					old = binary.BigEndian.Uint64(v)
				}
			}
			return nil
		})
	})
	if err != nil || old == 0 || old >= SchemaVersion {
		return err
	}
	db.migrated = Migration{From: int(old), To: SchemaVersion}
	if !db.keepBeforeMigration {
		return nil
	}
	kept, err := keepCopy(bdb, db.path, fmt.Sprintf(".before-migration-v%d-", old))
	if err != nil {
		return fmt.Errorf("keep a copy before migrating from schema %d: %w", old, err)
	}
	db.migrated.Kept = kept
	return nil
}

// guarded runs fn, turning a panic into an error, and a fault on the
// mapped file (a page past its end, a SIGBUS) into a panic first: bbolt
// panics on some damaged pages, and a damaged file must be refused, not
// take the program down with it. Only for reading files that may be
// damaged: a panic there leaves no transaction open that matters.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damaged("%v", r)
		}
	}()
	return fn()
}

// errDamaged marks the errors of files that are not Multaque databases or
// are damaged: multaque.ErrorCode reports EINTERNAL for them.
var errDamaged = multaque.Errorf(multaque.EINTERNAL, "not a Multaque database, or damaged")

// errEmptyFile is ValidateFile's error for an empty file.
var errEmptyFile = errors.New("the file is empty")

// damagedError is a file refused as damaged, with the reason.
type damagedError struct {
	reason string
	cause  error // errEmptyFile, or nil
}

func (e damagedError) Error() string { return errDamaged.Message + ": " + e.reason }

func (e damagedError) Unwrap() []error { return []error{errDamaged, e.cause} }

func damaged(format string, args ...any) error {
	return damagedError{reason: fmt.Sprintf(format, args...)}
}

// IsDamaged reports whether err says a file is not a Multaque database or
// is damaged (see ValidateFile).
func IsDamaged(err error) bool { return errors.Is(err, errDamaged) }

// bbolt's file format: each of the first two pages holds a meta page after
// a 16-byte page header, which says the page size, the page count (the
// high-water mark) and where the root and the free list are, with a
// checksum of itself.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
)

// boltMeta is the part of a meta page ValidateFile reads.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// readMeta decodes the meta page in b (the page, from its start), or
// reports why it is not one.
func readMeta(b []byte) (boltMeta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return boltMeta{}, errors.New("too short")
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.LittleEndian // bbolt writes in the machine's order; amd64 and arm64 are little-endian
	if le.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("no bbolt magic number")
	}
	if le.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", le.Uint32(m[4:]), boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return boltMeta{}, errors.New("meta page checksum does not match")
	}
	return boltMeta{
		pageSize: le.Uint32(m[8:]),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, nil
}

// ValidateFile checks, without mapping it, that the file at path can be
// opened as a bbolt database: a regular file, not empty, with a sound meta
// page whose pages all lie within the file. It does not read the data;
// Check does. Its errors, but for the file's absence (fs.ErrNotExist),
// are "not a Multaque database, or damaged" (IsDamaged; EINTERNAL).
func ValidateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return damaged("%s is a directory", path)
	case !fi.Mode().IsRegular():
		return damaged("%s is not a regular file", path)
	case fi.Size() == 0:
		return damagedError{reason: "the file is empty", cause: errEmptyFile}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	first := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(first, 0); err != nil {
		return damaged("the file is %d bytes, too short for a database", fi.Size())
	}
	var metas []boltMeta
	var why []string
	m0, err := readMeta(first)
	if err == nil {
		metas = append(metas, m0)
	} else {
		why = append(why, "first meta page: "+err.Error())
	}
	// The second meta page is one page in: its size is the first's, or,
	// if that one is damaged, one of the usual sizes.
	sizes := []int64{4096, 16384, 65536}
	if err == nil {
		sizes = []int64{int64(m0.pageSize)}
	}
	for _, size := range sizes {
		second := make([]byte, pageHeaderSize+metaSize)
		if _, err := f.ReadAt(second, size); err != nil {
			continue
		}
		if m1, err := readMeta(second); err == nil {
			metas = append(metas, m1)
			break
		} else if len(sizes) == 1 {
			why = append(why, "second meta page: "+err.Error())
		}
	}
	if len(metas) == 0 {
		return damaged("%s", strings.Join(why, "; "))
	}
	m := metas[0]
	if len(metas) == 2 && metas[1].txid > m.txid {
		m = metas[1]
	}
	ps := uint64(m.pageSize)
	switch {
	case ps < 1024 || ps > 1<<20 || ps&(ps-1) != 0:
		return damaged("page size %d is not one bbolt writes", ps)
	case m.pgid < 4 || m.root >= m.pgid || (m.freelist >= m.pgid && m.freelist != ^uint64(0)):
		return damaged("the meta page points outside the file's %d pages", m.pgid)
	case uint64(fi.Size()) < m.pgid*ps:
		return damaged("the file is %d bytes but its meta page counts %d pages of %d bytes (%d bytes): it was cut short",
			fi.Size(), m.pgid, ps, m.pgid*ps)
	}
	return nil
}

// initSchema creates every bucket and records the schema version of a new
// file, all in one transaction so that a file is either new or complete.
// In a read-only transaction it only checks the version, if there is one.
func initSchema(tx *bolt.Tx) error {
	if !tx.Writable() {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			return checkSchema(meta.Get(keySchema))
		}
		return nil
	}
	if _, err := tx.CreateBucketIfNotExists(bucketWaiting); err != nil {
		return err
	}
	if err := initQueues(tx); err != nil { // before the loop creates it empty
		return err
	}
	if err := initTeamIndexes(tx); err != nil { // teams_index.go; before the loop too
		return err
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if err := initOutbox(tx); err != nil {
		return err
	}
	if err := initErasureSecret(tx); err != nil {
		return err
	}
	if err := initAudit(tx); err != nil { // audit.go
		return err
	}
	meta := tx.Bucket(bucketMeta)
	v := meta.Get(keySchema)
	if err := checkSchema(v); err != nil {
		return err
	}
	if v == nil || binary.BigEndian.Uint64(v) < SchemaVersion {
		// A new file; or an older one, which the steps above brought up to
		// date in this same transaction: recorded, so that an older
		// program, which would not keep the newer buckets, refuses it.
		return meta.Put(keySchema, u64(SchemaVersion))
	}
	return nil
}

// checkSchema refuses a schema version this program cannot read.
func checkSchema(v []byte) error {
	switch {
	case v == nil:
		return nil
	case len(v) != 8:
		return multaque.Errorf(multaque.EINTERNAL, "schema version is malformed")
	case binary.BigEndian.Uint64(v) > SchemaVersion:
		return multaque.Errorf(multaque.EINTERNAL, "schema version %d is newer than this program's %d",
			binary.BigEndian.Uint64(v), SchemaVersion)
	}
	return nil
}

// Close closes the file, waiting for the transactions in progress. It
// returns an error if the file cannot be unlocked or unmapped.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Buckets returns the names of all top-level buckets, sorted, so that tests
// and checks can go through every one of them.
func (db *DB) Buckets() []string {
	names := make([]string, len(allBuckets))
	for i, b := range allBuckets {
		names[i] = string(b)
	}
	slices.Sort(names)
	return names
}

// View runs fn in a read-only transaction, for tests and consistency checks,
// and returns fn's error. The byte slices fn sees are valid only until it
// returns. Keep it short: a long read transaction holds pages that writers
// would otherwise reuse.
func (db *DB) View(fn func(tx *bolt.Tx) error) error {
	return db.bolt.View(fn)
}

// refusal marks an error found by a batched function before it wrote
// anything: see batch.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }

// refuse wraps err so that batch hands it back without rolling back the
// other callers of the same batch. Only return it before writing anything.
func refuse(err error) error { return refusal{err} }

// batch runs fn in a write transaction shared with other concurrent callers
// (bbolt's Batch), so that they share one fsync. bbolt may run fn more than
// once, and it rolls back the whole batch and runs it again whenever one
// function fails: fn must be idempotent, and must set its results afresh on
// every run. An error that fn finds before writing anything should be
// returned as refuse(err): batch passes it on while the batch commits.
//
// If ctx carries an update mark (multaque.WithUpdate), the update is
// recorded as handled in the same transaction as fn's change, and marked so
// once that commits.
func (db *DB) batch(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	mark := multaque.UpdateFrom(ctx)
	var refused error
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		refused = nil
		err := fn(tx)
		var r refusal
		if errors.As(err, &r) {
			refused = r.err
			return nil
		}
		if err != nil || mark == nil {
			return err
		}
		_, err = db.recordUpdateTx(tx, mark.ID)
		return err
	})
	if err != nil {
		return cannotWrite(err)
	}
	if refused == nil && mark != nil {
		mark.SetRecorded()
	}
	return refused
}

// update runs fn in a write transaction of its own, recording the update
// ctx carries, if any, as batch does.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	mark := multaque.UpdateFrom(ctx)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil || mark == nil {
			return err
		}
		_, err := db.recordUpdateTx(tx, mark.ID)
		return err
	})
	if err == nil && mark != nil {
		mark.SetRecorded()
	}
	return cannotWrite(err)
}

// writeRefusals are the errors with which a file system refuses a write
// for a while (full, over quota, read-only, failing) and bbolt refuses one
// to a file opened read-only.
var writeRefusals = []error{
	syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, syscall.EFBIG,
	berrors.ErrDatabaseReadOnly,
}

// cannotWrite turns err into an EUNAVAILABLE error, still wrapping it, when
// it says that the file system refused the write; other errors, and nil,
// are returned as they are. bbolt rolls a transaction back when its commit
// fails, so nothing of the write is kept.
func cannotWrite(err error) error {
	if err == nil {
		return nil
	}
	refused := false
	for _, r := range writeRefusals {
		if errors.Is(err, r) {
			refused = true
			break
		}
	}
	// bbolt formats the errors of growing the file with %s, which loses
	// the errno: "file resize error: …" (truncate) and "file sync error: …".
	if msg := err.Error(); strings.HasPrefix(msg, "file resize error:") || strings.HasPrefix(msg, "file sync error:") {
		refused = true
	}
	if !refused {
		return err
	}
	return fmt.Errorf("%w: %w", multaque.Errorf(multaque.EUNAVAILABLE, "the store cannot write"), err)
}

// u64 encodes v as 8 bytes, big-endian, so that keys sort by number.
func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

// idKey is the key of a person in the buckets keyed by Telegram id.
func idKey(id int64) []byte { return u64(uint64(id)) }

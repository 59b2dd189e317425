package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// The operator's commands on the database: backup, restore, check and
// compact. Backup and check work while the bot runs (they ask the running
// bot for the copy, for the check); restore and compact refuse a database
// in use.

// opsFlags are the flags every operator command takes.
type opsFlags struct {
	config string
	data   string
	force  bool // restore only
}

// parseOpsFlags parses the flags of the command name, before or after its
// file arguments, and returns the configuration they point to, with --data
// over data.path, and the file arguments, of which there must be want.
// Help asked for is printed to stdout and returned as errHelp.
func parseOpsFlags(name string, args []string, want int, getenv func(string) string, stdout io.Writer) (Config, []string, opsFlags, error) {
	fs := newFlagSet(name)
	var f opsFlags
	fs.StringVar(&f.config, "config", "", "configuration file (default: "+defaultConfigPath+" if it exists, else built-in defaults; MULTAQUE_* variables apply)")
	fs.StringVar(&f.data, "data", "", "database file (default: data.path of the configuration)")
	if name == "restore" {
		fs.BoolVar(&f.force, "force", false, "restore a backup in which the check finds problems (what they name may be lost)")
	}
	files, err := parseFlags(fs, args, stdout)
	if err != nil {
		return Config{}, nil, f, err
	}
	if len(files) != want {
		c, _ := commandNamed(name)
		return Config{}, nil, f, fmt.Errorf("%s: want %d file argument(s), got %d: %q (usage: multaque %s %s; see multaque %s --help)",
			name, want, len(files), files, name, c.args, name)
	}
	cfg, err := LoadConfig(configPathOr(f.config), getenv)
	if err != nil {
		return Config{}, nil, f, err
	}
	if f.data != "" {
		cfg.Data.Path = f.data
	}
	if cfg.Data.Path == "" {
		return Config{}, nil, f, errors.New("data.path: required: the bbolt database file")
	}
	return cfg, files, f, nil
}

// runBackup is `multaque backup [--config FILE] [--data FILE] BACKUP`.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, files, _, err := parseOpsFlags("backup", args, 1, getenv, stdout)
	if err != nil {
		return err
	}
	dest := files[0]
	// Before anything: a backup onto the database, or its files, would
	// lose data while the bot runs (see store.CheckBackupDest).
	if err := store.CheckBackupDest(cfg.Data.Path, dest); err != nil {
		return err
	}
	removed, err := store.SweepTemps(dest)
	saySwept(stdout, stderr, removed, err)
	db, err := store.Open(cfg.Data.Path, store.ReadOnly())
	switch {
	case multaque.ErrorCode(err) == multaque.EUNAVAILABLE:
		// A running bot holds the file: it takes the copy.
		info, err := askForBackup(ctx, cfg.Data.Path, dest)
		if err != nil {
			return fmt.Errorf("backup: %s is in use and the running bot could not take the backup: %w", cfg.Data.Path, err)
		}
		fmt.Fprintf(stdout, "backup of %s taken by the running bot at %s: %s, %s\n",
			cfg.Data.Path, info.TakenAt.Format(time.RFC3339), dest, humanBytes(info.Size))
		return nil
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	info, err := db.Backup(ctx, dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s taken at %s: %s, %s in %s\n",
		cfg.Data.Path, info.TakenAt.Format(time.RFC3339), dest, humanBytes(info.Size), info.Took.Round(time.Millisecond))
	return nil
}

// runRestore is `multaque restore [--config FILE] [--data FILE] [--force] BACKUP`.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, files, f, err := parseOpsFlags("restore", args, 1, getenv, stdout)
	if err != nil {
		return err
	}
	removed, err := store.SweepDatabaseTemps(cfg.Data.Path)
	saySwept(stdout, stderr, removed, err)
	rep, err := store.RestoreWith(ctx, files[0], cfg.Data.Path, store.RestoreOptions{
		Check: store.CheckOptions{Coordinators: cfg.Coordinators},
		Force: f.force,
	})
	for _, p := range rep.Problems {
		fmt.Fprintln(stderr, "problem:", p)
	}
	if err != nil {
		if len(rep.Problems) > 0 {
			return fmt.Errorf("%w; nothing was changed. Restore an older backup, or restore this one anyway with --force, losing what the problems above name", err)
		}
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	taken := "at an unknown time"
	if !rep.TakenAt.IsZero() {
		taken = "at " + rep.TakenAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "restored %s (taken %s) into %s in %s; erasures made since then and made again: %d\n",
		files[0], taken, cfg.Data.Path, rep.Took.Round(time.Millisecond), rep.Erasures)
	if rep.Kept != "" {
		fmt.Fprintf(stdout, "the database replaced is kept as %s (remove it once the restore is confirmed: it holds people's data)\n", rep.Kept)
	}
	return nil
}

// runCheck is `multaque check [--config FILE] [--data FILE]`: it prints
// one problem per line and fails if there is any. A database in use is
// checked by the bot that holds it (POST /check), the same checks on the
// database as of one moment.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, _, err := parseOpsFlags("check", args, 0, getenv, stdout)
	if err != nil {
		return err
	}
	start := time.Now()
	var problems []string
	by := "" // who checked it, when not this command
	db, err := store.Open(cfg.Data.Path, store.ReadOnly())
	switch {
	case multaque.ErrorCode(err) == multaque.EUNAVAILABLE:
		// A running bot holds the file: it checks it, with its own
		// configured coordinators.
		problems, err = askForCheck(ctx, cfg.Data.Path)
		if err != nil {
			return fmt.Errorf("check: %s is in use and the running bot could not check it (or check a backup of it: multaque backup FILE, then multaque check --data FILE): %w", cfg.Data.Path, err)
		}
		by = " by the running bot"
	case err != nil:
		return fmt.Errorf("check: %w", err)
	default:
		defer db.Close()
		problems, err = db.CheckWith(ctx, store.CheckOptions{Coordinators: cfg.Coordinators})
		if err != nil {
			return err
		}
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		if by != "" {
			return fmt.Errorf("check: %s: %d problem(s), found%s", cfg.Data.Path, len(problems), by)
		}
		return fmt.Errorf("check: %s: %d problem(s)", cfg.Data.Path, len(problems))
	}
	fmt.Fprintf(stdout, "%s: sound (checked%s in %s)\n", cfg.Data.Path, by, time.Since(start).Round(time.Millisecond))
	return nil
}

// runCompact is `multaque compact [--config FILE] [--data FILE]`.
func runCompact(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, _, err := parseOpsFlags("compact", args, 0, getenv, stdout)
	if err != nil {
		return err
	}
	removed, err := store.SweepDatabaseTemps(cfg.Data.Path)
	saySwept(stdout, stderr, removed, err)
	rep, err := store.Compact(ctx, cfg.Data.Path)
	if multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
		return fmt.Errorf("compact: %s is in use by a running Multaque; stop it first", cfg.Data.Path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "compacted %s: %s → %s in %s\n", cfg.Data.Path, humanBytes(rep.Before), humanBytes(rep.After), rep.Took.Round(time.Millisecond))
	return nil
}

// A backup, a restore or a compaction killed midway leaves behind a
// temporary file, a full copy of the database (see store.TempFile). Each
// command sweeps those of its own destination before it starts, and the
// bot those beside its database when it opens it and those of its backup
// directory: a file its writer still holds is left alone.

// saySwept tells the operator on stdout of each temporary file a sweep
// removed, and on stderr that it failed, which does not stop the command.
func saySwept(stdout, stderr io.Writer, removed []string, err error) {
	for _, p := range removed {
		fmt.Fprintf(stdout, "removed %s, left by an interrupted backup, restore or compaction\n", p)
	}
	if err != nil {
		fmt.Fprintln(stderr, "warning: temporary files left by an interrupted backup, restore or compaction:", err)
	}
}

// logSwept logs each temporary file a sweep removed, and that it failed.
func logSwept(log zerolog.Logger, removed []string, err error) {
	for _, p := range removed {
		log.Info().Str("file", p).Msg("removed a temporary file left by an interrupted backup, restore or compaction")
	}
	if err != nil {
		log.Warn().Err(err).Msg("temporary files left by an interrupted backup, restore or compaction")
	}
}

// sweepDatabaseDir removes the temporary files an interrupted backup,
// restore or compaction left beside the database at path, for the bot
// that has just opened it.
func sweepDatabaseDir(log zerolog.Logger, path string) {
	removed, err := store.SweepDatabaseTemps(path)
	logSwept(log.With().Str("component", "backup").Logger(), removed, err)
}

// humanBytes writes n bytes as KiB, MiB or GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// startBackups takes a backup into cfg.Dir on cfg.Schedule, keeping
// cfg.Keep of them, until the returned stop is called; stop waits for a
// backup in progress. With no cfg.Dir it takes none. It sweeps cfg.Dir
// when it starts; before each backup it sweeps cfg.Dir and the database's
// directory, whose leftovers the sweep at the bot's start keeps while they
// are less than a minute old (a bot restarted at once after a crash).
func startBackups(ctx context.Context, db *store.DB, cfg BackupConfig, watch *backupWatch, log zerolog.Logger) (stop func(), err error) {
	if cfg.Dir == "" {
		return func() {}, nil
	}
	log = log.With().Str("component", "backup").Logger()
	sweep := func() {
		removed, err := store.SweepBackupDir(cfg.Dir)
		logSwept(log, removed, err)
	}
	sweep() // now, rather than at the first backup, which may be a day away
	logger := cronLog{log}
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	_, err = c.AddFunc(cfg.Schedule, func() {
		sweep()
		swept, err := store.SweepDatabaseTemps(db.Path())
		logSwept(log, swept, err)
		info, removed, err := db.BackupInto(ctx, cfg.Dir, cfg.Keep)
		if err != nil {
			if ctx.Err() == nil {
				watch.failed()
				log.Error().Str("dir", cfg.Dir).Str("error", plainError(err)).Msg("backup failed")
			}
			return
		}
		watch.taken(info.TakenAt)
		log.Info().Str("file", info.Path).Int64("bytes", info.Size).Dur("took", info.Took).Strs("removed", removed).Msg("backup taken")
	})
	if err != nil {
		return nil, fmt.Errorf("backup.schedule %q: %w", cfg.Schedule, err)
	}
	c.Start()
	log.Info().Str("dir", cfg.Dir).Str("schedule", cfg.Schedule).Int("keep", cfg.Keep).Msg("backups scheduled")
	return func() { <-c.Stop().Done() }, nil
}

// cronLog gives cron's log lines to zerolog.
type cronLog struct{ log zerolog.Logger }

func (l cronLog) Info(msg string, kv ...any) { l.log.Debug().Fields(kv).Msg("cron: " + msg) }

func (l cronLog) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}

// The running bot takes a backup for `multaque backup` through POST
// /backup on its operator address, and checks the database for `multaque
// check` through POST /check. The request must come from the same machine
// and carry the token the bot wrote, with its address, in a file beside
// the database (mode 0600): whoever can read the data directory may have a
// copy of the database, or its problems, nobody else, even where the
// operator address listens beyond loopback (a container's :9090).

// opsFileSuffix names the file beside the database that says where the
// running bot takes backups, and with what token.
const opsFileSuffix = ".ops.json"

// opsFile is that file's content.
type opsFile struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

// backupTokenHeader carries the token of a POST /backup or /check.
const backupTokenHeader = "X-Multaque-Token"

// newOpsToken returns a new random token for POST /backup and /check.
func newOpsToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writeOpsFile writes the file telling `multaque backup` that the bot on
// the database at dataPath takes backups at addr (where its operator
// server listens) with token, and returns a function that removes it.
func writeOpsFile(dataPath string, addr net.Addr, token string) (remove func(), err error) {
	dial := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && (tcp.IP == nil || tcp.IP.IsUnspecified()) {
		dial = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port)) // listening on every address
	}
	data, err := json.Marshal(opsFile{Addr: dial, Token: token})
	if err != nil {
		return nil, err
	}
	path := dataPath + opsFileSuffix
	// A new file of a new name, created exclusively with mode 0600, then
	// renamed over the old one: never a file or a symlink someone put
	// there, nor the mode of one.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600) // whatever the umask; no sync: it is rewritten at every start
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return func() { os.Remove(path) }, nil
}

// askForBackup asks the bot running on the database at dataPath for a
// backup and writes it to dest (through a temporary file, synced, then
// renamed: see store.TempFile).
func askForBackup(ctx context.Context, dataPath, dest string) (store.BackupInfo, error) {
	resp, err := askTheBot(ctx, dataPath, "/backup")
	if err != nil {
		return store.BackupInfo{}, err
	}
	defer resp.Body.Close()
	info := store.BackupInfo{Path: dest}
	info.TakenAt, _ = time.Parse(time.RFC3339Nano, resp.Header.Get("X-Multaque-Taken-At"))
	tmp, err := store.CreateTemp(dest)
	if err != nil {
		return info, err
	}
	defer tmp.Discard()
	n, err := io.Copy(tmp, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if err == nil {
		err = tmp.Commit()
	}
	if err != nil {
		return info, err
	}
	info.Size = n
	return info, nil
}

// askTheBot posts to endpoint of the bot running on the database at
// dataPath, with the token of its ops file, and returns its answer if it
// is 200 OK; the caller closes its body.
func askTheBot(ctx context.Context, dataPath, endpoint string) (*http.Response, error) {
	data, err := os.ReadFile(dataPath + opsFileSuffix)
	if err != nil {
		return nil, fmt.Errorf("the bot's %s cannot be read (is http.addr off?): %w", opsFileSuffix, err)
	}
	var of opsFile
	if err := json.Unmarshal(data, &of); err != nil || of.Addr == "" || of.Token == "" {
		return nil, fmt.Errorf("%s%s is malformed", dataPath, opsFileSuffix)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+of.Addr+endpoint, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(backupTokenHeader, of.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("%s: %s", resp.Status, msg)
	}
	return resp, nil
}

// askForCheck asks the bot running on the database at dataPath to check
// it (POST /check) and returns the problems it found.
func askForCheck(ctx context.Context, dataPath string) ([]string, error) {
	resp, err := askTheBot(ctx, dataPath, "/check")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var answer checkAnswer
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("the answer does not read: %w", err)
	}
	return answer.Problems, nil
}

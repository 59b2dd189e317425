// Command multaque runs Multaque, the Telegram bot that turns neighbours'
// shared interest into working cooperatives.
//
//	multaque serve [--config FILE]   the bot against Telegram
//	multaque sandbox [--addr ADDR]   the bot against a fake Telegram, played in a browser
//	multaque backup|restore|check|compact   the operator's work on the database
//
// Configuration comes from the YAML file and MULTAQUE_* environment
// variables; see configs/config.yaml.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/matching"
	"github.com/multaque/multaque/store"
)

// The concrete types that fill the interfaces the packages declare.
var (
	_ bot.Store    = (*store.DB)(nil) // every room's part: bot.CitizenStore, bot.TeamStore, ...
	_ outbox.Store = (*store.DB)(nil)
	_ bot.Catalog  = (*catalog.Catalog)(nil)
	_ bot.Catalog  = (*catalog.Live)(nil)
	_ bot.Texts    = (*catalog.Messages)(nil)

	_ matching.Store    = (*store.DB)(nil)
	_ matching.Catalog  = (*catalog.Catalog)(nil)
	_ matching.Catalog  = (*catalog.Live)(nil)
	_ matching.Notifier = (*bot.Bot)(nil)
)

func main() {
	// SIGHUP, sent when a terminal closes or by tools that mean "reload",
	// stops the bot as SIGTERM does, cleanly: nothing is reloaded.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.As(err, new(loggedError)) {
			fmt.Fprintln(os.Stderr, "multaque:", plainError(err))
		}
		os.Exit(1)
	}
}

const usage = `Multaque turns neighbours' shared interest into working cooperatives.

Usage:
  multaque serve [--config FILE]   run the bot against Telegram (MULTAQUE_TELEGRAM_TOKEN)
  multaque sandbox [--addr ADDR] [--data FILE] [--demo] [--config FILE]
                                   try it with no Telegram account: the bot against an
                                   in-process fake Telegram, played from a web page
  multaque version                 print the version (also --version)

The database (data.path, or --data FILE; each takes --config FILE too):
  multaque backup FILE             write a compacted, consistent copy to FILE; while
                                   the bot runs, it takes the copy (needs http.addr)
  multaque restore FILE            replace the database with the backup FILE (the bot
                                   stopped) once it passes the check (--force: even
                                   if not), keeping the database replaced and making
                                   again the erasures made since
  multaque check                   bbolt's consistency check and Multaque's invariants:
                                   one problem per line, exit status 1 if any; while
                                   the bot runs, it checks a copy (needs http.addr)
  multaque compact                 rewrite the database without its free pages, which
                                   may hold erased data (the bot stopped)

The catalogue:
  multaque catalog stale [--older-than 12mo]
                                   list the claims last checked at their source
                                   longer ago than that (exit status 1 if any)

Configuration: --config FILE, else configs/config.yaml if it exists, else the
built-in defaults; MULTAQUE_* environment variables override it.
"multaque COMMAND --help" describes a command, with an example.
Operating it (monitoring, backups, upgrades): docs/OPERATIONS.md.
`

// Run runs the subcommand named in args until ctx is done.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		m := NewMain(getenv, stderr)
		if err := m.parseFlags(args[1:], stdout); err != nil {
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		}
		return m.Run(ctx)
	case "sandbox":
		return helpIsNoError(runSandbox(ctx, args[1:], getenv, stdout, stderr))
	case "backup":
		return helpIsNoError(runBackup(ctx, args[1:], getenv, stdout, stderr))
	case "restore":
		return helpIsNoError(runRestore(ctx, args[1:], getenv, stdout, stderr))
	case "check":
		return helpIsNoError(runCheck(ctx, args[1:], getenv, stdout, stderr))
	case "compact":
		return helpIsNoError(runCompact(ctx, args[1:], getenv, stdout, stderr))
	case "catalog":
		return helpIsNoError(runCatalog(ctx, args[1:], getenv, stdout, stderr))
	case "version", "--version", "-version", "-v":
		fmt.Fprintln(stdout, currentVersion())
		return nil
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if _, ok := commandNamed(args[1]); ok {
				return Run(ctx, []string{args[1], "--help"}, getenv, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func helpIsNoError(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// Main is the running program: configuration, store and bot.
type Main struct {
	ConfigPath string
	Config     Config

	getenv func(string) string
	stderr io.Writer
	log    zerolog.Logger
	// wired, if set, is told what run has wired, before the bot takes
	// updates: the sandbox acts through it as a coordinator would (page
	// actions that make coordinators, mentor invites, a matching run now).
	wired func(wiring)
}

// wiring is what run has built, for the sandbox. Its parts stop working
// when run returns.
type wiring struct {
	db      *store.DB
	catalog *catalog.Live
	bot     *bot.Bot
	// runner is the matcher the cron runs; a pass started from elsewhere
	// never overlaps the cron's.
	runner *matching.Runner
}

// NewMain returns a Main reading the environment through getenv and logging
// to stderr.
func NewMain(getenv func(string) string, stderr io.Writer) *Main {
	return &Main{getenv: getenv, stderr: stderr}
}

// ParseFlags reads the command's flags and the configuration they point to.
func (m *Main) ParseFlags(args []string) error {
	return m.parseFlags(args, m.stderr)
}

// parseFlags is ParseFlags with the help, if asked for, printed to stdout
// (then it returns errHelp). Without --config, configs/config.yaml is read
// if it exists.
func (m *Main) parseFlags(args []string, stdout io.Writer) error {
	fs := newFlagSet("serve")
	fs.StringVar(&m.ConfigPath, "config", "", "configuration file (default: "+defaultConfigPath+" if it exists, else built-in defaults)")
	rest, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected argument %q (see multaque serve --help)", rest[0])
	}
	m.ConfigPath = configPathOr(m.ConfigPath)
	cfg, err := LoadConfig(m.ConfigPath, m.getenv)
	if err != nil {
		return err
	}
	m.Config = cfg
	return nil
}

// loggedError is an error serve already wrote as the last line of its
// JSON log (see run), which main then does not print again.
type loggedError struct{ err error }

func (e loggedError) Error() string { return e.err.Error() }
func (e loggedError) Unwrap() error { return e.err }

// Run serves the bot until ctx is done, with the Sender draining the outbox
// and, if http.addr is set, /healthz and /metrics. On the way out it stops
// taking updates and finishes those in flight, then stops the Sender (a
// message in flight is settled or stays queued), then the HTTP endpoints,
// and closes the store last.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	return m.run(ctx)
}

// run is Run after validation; the sandbox shares it, with the fake
// Telegram's URL and token in the configuration.
func (m *Main) run(ctx context.Context) (err error) {
	cfg := m.Config
	m.log, err = NewLogger(m.stderr, cfg.Log, isTerminal(m.stderr), cfg.Secrets()...)
	if err != nil {
		return err
	}
	if cfg.Log.Format == "json" || (cfg.Log.Format == "auto" && !isTerminal(m.stderr)) {
		// The reason it stops is the last event of the log, in its
		// format, for whatever collects it (main does not print it again).
		defer func() {
			if err != nil {
				m.log.WithLevel(zerolog.FatalLevel).Str("error", plainError(err)).Msg("multaque stopped")
				err = loggedError{err}
			}
		}()
	}
	v := currentVersion()
	m.log.Info().Str("version", v.Version).Str("revision", v.Revision).Str("go", v.GoVersion).
		Str("config_file", describeConfig(m.ConfigPath)).Object("config", cfg).Msg("starting")

	cat, err := loadCatalog(cfg.Catalog.Path)
	if err != nil {
		return err
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		return err
	}
	// Before a migration to a newer schema, which the older program would
	// refuse, a copy of the file as it was is kept beside it.
	db, err := store.Open(cfg.Data.Path, store.KeepBeforeMigration())
	if multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
		return fmt.Errorf("data.path %s is in use by another process, another multaque serve perhaps; stop it, or give this one another data.path", cfg.Data.Path)
	}
	if err != nil {
		return fmt.Errorf("data.path: %w", err)
	}
	if mig := db.Migrated(); mig.From != 0 {
		m.log.Warn().Int("from", mig.From).Int("to", mig.To).Str("kept", mig.Kept).
			Msg("database migrated to a newer schema, which older versions refuse; to roll back, restore the kept copy with the older version (see docs/OPERATIONS.md), else remove it: it holds people's data")
	}
	sweepDatabaseDir(m.log, cfg.Data.Path) // what a killed backup, restore or compaction left
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
		m.log.Info().Msg("store closed")
	}()

	// The catalogue the bot and the matcher read is the file's with what
	// coordinators changed on top (approved proposals, thresholds), which
	// the bot rebuilds after each change (bot.Options.OnCatalogChange).
	live := catalog.NewLive(cat, texts)
	reloadCatalog := func(ctx context.Context) error { return live.Reload(ctx, catalogOverlay(db)) }
	if err := reloadCatalog(ctx); err != nil {
		if multaque.ErrorCode(err) != multaque.EINVALID {
			return err
		}
		m.log.Warn().Err(err).Msg("catalogue: some changes of coordinators left out")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := tg.NewMetrics(reg)
	if err != nil {
		return err
	}
	opsMetrics, err := newOpsMetrics(reg, v)
	if err != nil {
		return err
	}
	// Every Bot API request goes through tgWatch, which counts Telegram's
	// errors and tells /readyz whether Telegram is reachable and takes the
	// token. Go's default transport keeps 2 idle connections per host:
	// keep as many as the workers use.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = cfg.Telegram.Workers + 8
	tr.MaxIdleConnsPerHost = cfg.Telegram.Workers + 8
	tgWatch := newTelegramWatch(tr, opsMetrics.telegramErrors)
	backups := newBackupWatch(cfg.Backup, opsMetrics)
	// The matcher is made below, with the bot as its notifier; a
	// coordinator's /match runs it once updates are handled.
	var runner *matching.Runner
	b, err := bot.New(bot.Options{
		Token:             cfg.Telegram.Token,
		APIURL:            cfg.Telegram.APIURL,
		Client:            &http.Client{Timeout: time.Duration(cfg.Telegram.PollTimeout) + 15*time.Second, Transport: tgWatch},
		Store:             db,
		Catalog:           live,
		OnCatalogChange:   reloadCatalog,
		Texts:             texts,
		Logger:            m.log.Hook(handlerErrorHook{opsMetrics.handlerErrors}),
		Workers:           cfg.Telegram.Workers,
		PollTimeout:       time.Duration(cfg.Telegram.PollTimeout),
		PerChatInterval:   time.Duration(cfg.Sender.PerChatInterval),
		PerGroupPerMinute: cfg.Sender.PerGroupPerMinute,
		Metrics:           metrics,
		Coordinators:      cfg.Coordinators,
		PoolLowWater:      cfg.Teams.PoolLowWater,
		ReminderAfter:     time.Duration(cfg.Teams.ReminderAfter),
		Match:             func(ctx context.Context) (bot.MatchReport, error) { return matchNow(ctx, db, runner) },
	})
	if err != nil {
		return err
	}
	sender, err := outbox.New(b.Wire(), db, outbox.Options{Rate: cfg.Sender.Rate, ChatGone: b.ChatGone, Logger: &m.log})
	if err != nil {
		return err
	}
	// The Provisioner sets up the groups of the teams the matcher forms.
	provisioner, err := b.NewProvisioner(bot.ProvisionerOptions{Sender: sender})
	if err != nil {
		return err
	}
	// The matcher forms teams on the configured schedule and wakes the
	// provisioner when it has.
	runner = &matching.Runner{
		Store: db, Catalog: live, Notifier: b,
		PoolAfter: time.Duration(cfg.Matching.ParentPoolingAfter),
		Formed:    provisioner.Wake,
		Logger:    m.log.With().Str("component", "matching").Logger(),
	}
	matcher, err := runner.Schedule(ctx, cfg.Matching.Schedule)
	if err != nil {
		return err
	}
	defer func() { <-matcher.Stop().Done() }() // a pass in progress ends before the store closes
	// Backups: on the configured schedule, and for `multaque backup`
	// through the operator endpoint (see ops.go). A backup in progress
	// ends before the store closes.
	stopBackups, err := startBackups(ctx, db, cfg.Backup, backups, m.log)
	if err != nil {
		return err
	}
	defer stopBackups()
	// What has an end (invites, mentor drafts, old refusals) is deleted
	// once it is over (housekeeping.go).
	stopHousekeeping := housekeeper{db: db, now: time.Now, log: m.log.With().Str("component", "housekeeping").Logger()}.start(ctx, housekeepingEvery)
	defer stopHousekeeping()
	if cfg.HTTP.Addr != "" {
		token, err := newOpsToken()
		if err != nil {
			return err
		}
		handler := withReady(operatorHandler(db, reg), db, tgWatch, backups)
		handler = withBackup(handler, db, token, m.log.With().Str("component", "backup").Logger())
		handler = withCheck(handler, db, store.CheckOptions{Coordinators: cfg.Coordinators}, token, m.log.With().Str("component", "check").Logger())
		ops, err := startOperatorServer(cfg.HTTP.Addr, handler, m.log)
		if err != nil {
			return err
		}
		defer func() {
			shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if serr := ops.shutdown(shutdown); serr != nil && err == nil {
				err = serr
			}
		}()
		removeOpsFile, err := writeOpsFile(cfg.Data.Path, ops.addr, token)
		if err != nil {
			m.log.Warn().Err(err).Msg("multaque backup cannot ask this process for backups")
		} else {
			defer removeOpsFile()
		}
	}
	if err := b.PublishCommands(); err != nil {
		m.log.Warn().Err(err).Msg("publish commands")
	}
	if m.wired != nil {
		m.wired(wiring{db: db, catalog: live, bot: b, runner: runner})
	}

	// The Sender outlives ctx until the updates in flight are handled.
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	senderDone := make(chan error, 1)
	go func() { senderDone <- sender.Run(senderCtx) }()
	provisionerDone := make(chan error, 1)
	go func() { provisionerDone <- provisioner.Run(senderCtx) }()
	// Broadcasts confirmed are queued a chunk at a time, resuming any that
	// a stop interrupted.
	broadcastsDone := make(chan error, 1)
	go func() { broadcastsDone <- b.RunBroadcasts(senderCtx) }()
	// The teams' decisions: reminders, and polls closed on time, also
	// those whose time passed while the bot was down.
	decisionsDone := make(chan error, 1)
	go func() { decisionsDone <- b.RunDecisions(senderCtx, 0) }()
	// The teams' kickoff plans: posted, kept up to date, nudges sent.
	plansDone := make(chan error, 1)
	go func() {
		plansDone <- b.RunPlans(senderCtx, bot.PlanOptions{Rules: multaque.PlanRules{
			Quiet: time.Duration(cfg.Plans.QuietAfter), ToMentor: time.Duration(cfg.Plans.MentorAfter),
			ToCoordinators: time.Duration(cfg.Plans.CoordinatorsAfter), CheckInEvery: time.Duration(cfg.Plans.CheckInEvery),
		}})
	}()
	// Goals past their deadline are settled (met or missed) and their
	// messages queued; a stop loses none (the store keeps the deadlines).
	goalsDone := make(chan error, 1)
	go func() { goalsDone <- b.RunGoals(senderCtx, bot.DefaultGoalsEvery) }()
	if cfg.Telegram.Mode == "webhook" {
		err = m.serveWebhook(ctx, b)
	} else {
		err = b.Run(ctx)
	}
	stopSender()
	if serr := <-senderDone; serr != nil && err == nil {
		err = serr
	}
	if perr := <-provisionerDone; perr != nil && err == nil {
		err = perr
	}
	if berr := <-broadcastsDone; berr != nil && err == nil {
		err = berr
	}
	if derr := <-decisionsDone; derr != nil && err == nil {
		err = derr
	}
	if perr := <-plansDone; perr != nil && err == nil {
		err = perr
	}
	if gerr := <-goalsDone; gerr != nil && err == nil {
		err = gerr
	}
	return err
}

// catalogOverlay loads from db what coordinators changed in the
// catalogue: the approved proposals and the thresholds.
func catalogOverlay(db *store.DB) func(context.Context) (catalog.Overlay, error) {
	return func(ctx context.Context) (catalog.Overlay, error) {
		approved, err := db.Proposals(ctx, multaque.ProposalApproved)
		if err != nil {
			return catalog.Overlay{}, err
		}
		thresholds, err := db.Thresholds(ctx)
		if err != nil {
			return catalog.Overlay{}, err
		}
		return catalog.Overlay{Proposals: approved, Thresholds: thresholds}, nil
	}
}

func loadCatalog(path string) (*catalog.Catalog, error) {
	if path == "" {
		return catalog.Default()
	}
	return catalog.LoadFile(path)
}

// serveWebhook registers the webhook with Telegram and serves it until ctx
// is done, then lets requests in flight finish.
func (m *Main) serveWebhook(ctx context.Context, b *bot.Bot) error {
	wh := m.Config.Telegram.Webhook
	mux := http.NewServeMux()
	mux.Handle(wh.Path, b.WebhookHandler(wh.Secret, wh.MaxBodyBytes))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", wh.Listen)
	if err != nil {
		return fmt.Errorf("telegram.webhook.listen %s: cannot listen (%w); another program may use it: choose another address", wh.Listen, err)
	}
	if err := b.SetWebhook(wh.PublicURL, wh.Secret); err != nil {
		ln.Close()
		return fmt.Errorf("set webhook: %w", err)
	}
	m.log.Info().Str("listen", ln.Addr().String()).Msg("serving webhook")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("webhook: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	b.Close()
	m.log.Info().Msg("webhook stopped")
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

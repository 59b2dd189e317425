package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// What an operator alerts on. /healthz says the process lives (its store
// answers a read): an orchestrator restarts it when it does not. /readyz
// says whether it does its work: the store answers, Telegram is reachable
// and takes the token, and, when backups are configured, the last good one
// is recent. The metrics below say the same over time, for alert rules
// (docs/OPERATIONS.md).

// opsMetrics are the metrics of the process around the bot: Telegram's
// answers, handler errors, backups and the build.
type opsMetrics struct {
	telegramErrors *prometheus.CounterVec
	handlerErrors  prometheus.Counter
	backupFailures prometheus.Counter
	backupLast     prometheus.Gauge
}

// newOpsMetrics registers the metrics on reg, with the build's version.
func newOpsMetrics(reg prometheus.Registerer, v buildVersion) (*opsMetrics, error) {
	m := &opsMetrics{
		telegramErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multaque_telegram_errors_total",
			Help: "Bot API requests that failed, by HTTP status (401 token refused, 409 another poller or a webhook, 429 too many requests, 5xx) or \"network\" when Telegram could not be reached.",
		}, []string{"code"}),
		handlerErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_handler_errors_total",
			Help: "Updates whose handling ended in an internal error (the person was told something went wrong).",
		}),
		backupFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_backup_failures_total",
			Help: "Scheduled backups that failed.",
		}),
		backupLast: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "multaque_backup_last_success_timestamp_seconds",
			Help: "Unix time of the newest good backup in backup.dir (0: none yet, or backups off).",
		}),
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "multaque_build_info",
		Help: "Always 1; its labels say which build runs.",
	}, []string{"version", "revision", "goversion"})
	info.WithLabelValues(v.Version, v.Revision, v.GoVersion).Set(1)
	for _, c := range []prometheus.Collector{m.telegramErrors, m.handlerErrors, m.backupFailures, m.backupLast, info} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	for _, code := range []string{"401", "409", "429", "network"} {
		m.telegramErrors.WithLabelValues(code) // at 0 from the start, for rate()
	}
	return m, nil
}

// handlerErrorHook counts, into the handler errors metric, the events the
// bot logs at error level when handling an update ends in an internal
// error ("handle update") or the store cannot say whether it was handled
// ("check update").
type handlerErrorHook struct{ count prometheus.Counter }

func (h handlerErrorHook) Run(_ *zerolog.Event, level zerolog.Level, msg string) {
	if level >= zerolog.ErrorLevel && (msg == "handle update" || msg == "check update") {
		h.count.Inc()
	}
}

// telegramWatch is the transport of every Bot API request the bot makes
// (polling, direct answers, the Sender, the provisioner): it counts the
// failures by status and remembers what Telegram last said, for /readyz.
type telegramWatch struct {
	base   http.RoundTripper
	errors *prometheus.CounterVec
	now    func() time.Time

	mu       sync.Mutex
	lastOK   time.Time // the last answer that shows Telegram reachable and the token taken
	problem  string    // what the last failure says, "" after a success
	failedAt time.Time // since when the failures last
	hard     bool      // the problem is one waiting does not cure (401, 409)
}

func newTelegramWatch(base http.RoundTripper, errors *prometheus.CounterVec) *telegramWatch {
	return &telegramWatch{base: base, errors: errors, now: time.Now}
}

// RoundTrip passes req on and notes the outcome. Bot API errors answer
// with the HTTP status of their error_code, so the status says it.
func (w *telegramWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(req)
	switch {
	case err != nil:
		if req.Context().Err() == nil { // not our own cancellation (shutting down)
			w.errors.WithLabelValues("network").Inc()
			w.fail("Telegram cannot be reached (network error or timeout)", false)
		}
	case resp.StatusCode == http.StatusUnauthorized:
		w.errors.WithLabelValues("401").Inc()
		w.fail("Telegram refuses the bot token (401 Unauthorized): revoked or mistyped? Set MULTAQUE_TELEGRAM_TOKEN to the token @BotFather gives", true)
	case resp.StatusCode == http.StatusConflict:
		w.errors.WithLabelValues("409").Inc()
		w.fail("Telegram answers 409 Conflict: another instance polls with this token, or a webhook is set", true)
	case resp.StatusCode >= 500:
		w.errors.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		w.fail(fmt.Sprintf("Telegram answers %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), false)
	case resp.StatusCode >= 400:
		// 400, 403, 429: about one message or one chat; Telegram is
		// there and takes the token.
		w.errors.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		w.ok()
	default:
		w.ok()
	}
	return resp, err
}

func (w *telegramWatch) ok() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastOK, w.problem, w.hard = w.now(), "", false
}

func (w *telegramWatch) fail(problem string, hard bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problem == "" {
		w.failedAt = w.now()
	}
	w.problem, w.hard = problem, hard
}

// telegramGrace is how long failures that may cure themselves (the
// network, Telegram's 5xx) last before /readyz reports them: the poller
// retries them with a backoff of up to a minute.
const telegramGrace = 2 * time.Minute

// TelegramHealth reports whether Telegram is reachable and takes the
// token, as far as the last requests tell, and if not, what is wrong.
func (w *telegramWatch) TelegramHealth() (ok bool, problem string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.problem == "":
		return true, ""
	case w.hard:
		return false, w.problem
	case w.now().Sub(w.failedAt) < telegramGrace:
		return true, ""
	}
	return false, fmt.Sprintf("%s, for %s", w.problem, w.now().Sub(w.failedAt).Round(time.Second))
}

// telegramHealth is what /readyz asks about Telegram.
type telegramHealth interface {
	TelegramHealth() (ok bool, problem string)
}

// backupWatch remembers when the last good backup was taken, for /readyz
// and the metric.
type backupWatch struct {
	mu      sync.Mutex
	last    time.Time
	maxAge  time.Duration // older than this, /readyz says so; 0: backups off
	metrics *opsMetrics
}

// newBackupWatch starts from the newest backup already in cfg.Dir. A
// backup is late when it is older than twice the time between two
// scheduled ones, plus an hour.
func newBackupWatch(cfg BackupConfig, m *opsMetrics) *backupWatch {
	w := &backupWatch{metrics: m}
	if cfg.Dir == "" {
		return w
	}
	if sched, err := cron.ParseStandard(cfg.Schedule); err == nil {
		next := sched.Next(time.Now())
		w.maxAge = 2*sched.Next(next).Sub(next) + time.Hour
	}
	if t, ok := newestBackup(cfg.Dir); ok {
		w.taken(t)
	}
	return w
}

// backupFile is how store.DB.BackupInto names its files.
var backupFile = regexp.MustCompile(`^multaque-(\d{8}T\d{6}\.\d{3}Z)\.db$`)

// newestBackup returns when the newest backup in dir was taken, by its name.
func newestBackup(dir string) (time.Time, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return time.Time{}, false
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupFile.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405.000Z", backupFile.FindStringSubmatch(slices.Max(names))[1])
	return t, err == nil
}

func (w *backupWatch) taken(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = at
	if w.metrics != nil {
		w.metrics.backupLast.Set(float64(at.UnixNano()) / 1e9)
	}
}

func (w *backupWatch) failed() {
	if w.metrics != nil {
		w.metrics.backupFailures.Inc()
	}
}

// health reports whether the last good backup is recent enough.
func (w *backupWatch) health(now time.Time) (ok bool, problem string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.maxAge == 0:
		return true, ""
	case w.last.IsZero():
		return true, "" // none yet: the first is taken at its time
	case now.Sub(w.last) > w.maxAge:
		return false, fmt.Sprintf("the last good backup is %s old (taken %s); see the log for \"backup failed\"",
			now.Sub(w.last).Round(time.Minute), w.last.Format(time.RFC3339))
	}
	return true, ""
}

// withReady adds to h the endpoint GET /readyz: 200 and one "ok" line per
// part when the store answers a read within two seconds, Telegram is
// reachable and takes the token, and the last backup is recent; 503 and
// what is wrong, one line per part, otherwise.
func withReady(h http.Handler, db storeProbe, tg telegramHealth, backups *backupWatch) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var lines []string
		ready := true
		part := func(name string, ok bool, problem string) {
			if ok {
				lines = append(lines, name+": ok")
				return
			}
			ready = false
			lines = append(lines, name+": "+problem)
		}
		_, err := db.OutboxLen(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			part("database", false, "does not answer within 2s")
		} else {
			part("database", err == nil, "cannot be read")
		}
		if tg != nil {
			ok, problem := tg.TelegramHealth()
			part("telegram", ok, problem)
		}
		if backups != nil && backups.maxAge > 0 {
			ok, problem := backups.health(time.Now())
			part("backup", ok, problem)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	})
	return mux
}

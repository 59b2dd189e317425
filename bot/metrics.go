package bot

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bot's Prometheus metrics: the outbox and the Sender, the
// 429 pause, and the updates handled. Create them with NewMetrics and pass
// them in Options; a Bot without them records into an unregistered set.
type Metrics struct {
	queueLength   prometheus.Gauge
	sent          prometheus.Counter
	failed        *prometheus.CounterVec
	dead          prometheus.Counter
	updates       prometheus.Counter
	handleSeconds prometheus.Histogram
	pauseUntil    atomic.Int64 // unix nanoseconds
}

// Reasons a send fails, the values of the "reason" label of
// multaque_outbox_failed_total.
const (
	failFlood       = "flood"       // 429: all sending paused, the item goes again after
	failTransient   = "transient"   // 5xx, timeout, network: retried with backoff
	failUnreachable = "unreachable" // 403: the person blocked the bot; item dropped
	failChatGone    = "chat_gone"   // the group is deleted or the bot was removed
	failPermanent   = "permanent"   // any other 400: the item is dead
)

// NewMetrics creates the metrics and registers them on reg (not the global
// registry, so that tests and several bots in one process do not collide).
// It fails if reg already holds metrics of the same names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		queueLength: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "multaque_outbox_queue_length",
			Help: "Messages waiting in the outbox, due or not, as the Sender last saw it.",
		}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_outbox_sent_total",
			Help: "Outbox messages Telegram accepted.",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multaque_outbox_failed_total",
			Help: "Failed attempts to send an outbox message, by reason (flood, transient, unreachable, chat_gone, permanent).",
		}, []string{"reason"}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_outbox_dead_total",
			Help: "Outbox messages given up on and moved to the dead items.",
		}),
		updates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_updates_handled_total",
			Help: "Telegram updates handled (duplicates skipped are not counted).",
		}),
		handleSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "multaque_update_handle_seconds",
			Help:    "Time to handle one update, from taking it to the last answer sent.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5 ms to about 10 s
		}),
	}
	pause := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "multaque_sender_pause_seconds",
		Help: "Time left of the pause of all sending after Telegram's last 429; 0 when not paused.",
	}, func() float64 {
		return max(time.Until(time.Unix(0, m.pauseUntil.Load())).Seconds(), 0)
	})
	for _, c := range []prometheus.Collector{m.queueLength, m.sent, m.failed, m.dead, m.updates, m.handleSeconds, pause} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	for _, r := range []string{failFlood, failTransient, failUnreachable, failChatGone, failPermanent} {
		m.failed.WithLabelValues(r) // show every reason from the start, at 0
	}
	return m, nil
}

// unregisteredMetrics are metrics nobody reads, for a Bot given none.
func unregisteredMetrics() *Metrics {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry cannot hold duplicates
	}
	return m
}

func (m *Metrics) setPause(until time.Time) { m.pauseUntil.Store(until.UnixNano()) }

func (m *Metrics) handled(took time.Duration) {
	m.updates.Inc()
	m.handleSeconds.Observe(took.Seconds())
}

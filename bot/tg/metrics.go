package tg

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are Multaque's Prometheus metrics of the wire: the outbox and the Sender, the
// 429 pause, and the updates handled. Create them with NewMetrics and pass
// them in Options; a Bot without them records into an unregistered set.
type Metrics struct {
	queueLength   prometheus.Gauge
	sent          prometheus.Counter
	failed        *prometheus.CounterVec
	dead          prometheus.Counter
	updates       prometheus.Counter
	handleSeconds prometheus.Histogram
	latency       prometheus.Histogram
	panics        prometheus.Counter
	unparseable   prometheus.Counter
	flooded       prometheus.Counter
	pauseUntil    atomic.Int64 // unix nanoseconds
}

// Reasons a send fails, the values of the "reason" label of
// multaque_outbox_failed_total.
const (
	FailFlood       = "flood"       // 429: all sending paused, the item goes again after
	FailTransient   = "transient"   // 5xx, timeout, network: retried with backoff
	FailUnreachable = "unreachable" // 403: the person blocked the bot; item dropped
	FailChatGone    = "chat_gone"   // the group is deleted or the bot was removed
	FailPermanent   = "permanent"   // any other 400: the item is dead
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
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "multaque_update_latency_seconds",
			Help: "Time from an update's arrival (the poll's answer, the webhook's request) to the end of its handling, as the person feels it.",
			// 1 ms to about 33 s
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_update_panics_total",
			Help: "Updates whose handling panicked: recovered, logged, and recorded as handled.",
		}),
		unparseable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_webhook_unparseable_total",
			Help: "Webhook bodies that passed the secret check but were no update: answered 200 and dropped.",
		}),
		flooded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "multaque_updates_flood_dropped_total",
			Help: "Updates dropped unread because their sender went over the per-person flood limit.",
		}),
	}
	pause := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "multaque_sender_pause_seconds",
		Help: "Time left of the pause of all sending after Telegram's last 429; 0 when not paused.",
	}, func() float64 {
		return max(time.Until(time.Unix(0, m.pauseUntil.Load())).Seconds(), 0)
	})
	for _, c := range []prometheus.Collector{m.queueLength, m.sent, m.failed, m.dead, m.updates, m.handleSeconds, m.latency, m.panics, m.unparseable, m.flooded, pause} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	for _, r := range []string{FailFlood, FailTransient, FailUnreachable, FailChatGone, FailPermanent} {
		m.failed.WithLabelValues(r) // show every reason from the start, at 0
	}
	return m, nil
}

// UnregisteredMetrics are metrics nobody reads, for a component given none.
func UnregisteredMetrics() *Metrics {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry cannot hold duplicates
	}
	return m
}

// SetPause records when the pause of all sending ends.
func (m *Metrics) SetPause(until time.Time) { m.pauseUntil.Store(until.UnixNano()) }

// Handled records an update handled in took.
func (m *Metrics) Handled(took time.Duration) {
	m.updates.Inc()
	m.handleSeconds.Observe(took.Seconds())
}

// Latency records an update handled took after it arrived.
func (m *Metrics) Latency(took time.Duration) { m.latency.Observe(took.Seconds()) }

// Panicked records an update whose handling panicked.
func (m *Metrics) Panicked() { m.panics.Inc() }

// Unparseable records a webhook body that was no update.
func (m *Metrics) Unparseable() { m.unparseable.Inc() }

// Flooded records an update dropped by the flood limit.
func (m *Metrics) Flooded() { m.flooded.Inc() }

// Sent records an outbox message Telegram accepted.
func (m *Metrics) Sent() { m.sent.Inc() }

// Failed records a failed attempt to send an outbox message, for reason
// (one of the Fail* constants).
func (m *Metrics) Failed(reason string) { m.failed.WithLabelValues(reason).Inc() }

// Dead records an outbox message given up on.
func (m *Metrics) Dead() { m.dead.Inc() }

// QueueLength records how many messages wait in the outbox.
func (m *Metrics) QueueLength(n int) { m.queueLength.Set(float64(n)) }

package outbox_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

var senderSeconds = flag.Int("sender.seconds", 60, "how long BenchmarkSenderSustained sends, in seconds")

// BenchmarkSenderSustained sends for -sender.seconds (60 by default) at the
// default bulk rate, with production's 16 workers and the bot's global
// budget (25 a second, a burst of 5), 4 messages to each person so that
// the per-chat pace binds, against the fake with Telegram's real limits
// (30/s in all, 1/s per chat), and reports the rate achieved as a share of
// the configured one and the 429s the fake gave. It takes over a minute:
// run it by hand (see docs/BENCHMARKS.md), not in CI.
func BenchmarkSenderSustained(b *testing.B) {
	const rate = 25.0
	secs := time.Duration(*senderSeconds) * time.Second
	for b.Loop() {
		b.StopTimer()
		r := newOutboxRig(b, 1, nil)
		r.wire.Pacer().SetGlobal(rate, 5) // as bot.New sets it
		const each = 4
		n := int(rate*secs.Seconds()*1.2) + 50 // never runs dry
		users := r.people(n/each + 1)
		items := make([]multaque.OutboxItem, 0, n)
		for i := range n {
			items = append(items, item(users[i%len(users)].ID, fmt.Sprintf("message %d", i)))
		}
		r.enqueue(items)
		opts := senderOptions(1)
		opts.Rate = rate
		opts.Workers = 16 // production's default (outbox.Options)
		b.StartTimer()
		start := time.Now()
		stop := r.run(opts)
		time.Sleep(secs)
		st := r.srv.Stats()
		elapsed := time.Since(start)
		stop()
		achieved := float64(st.Sent) / elapsed.Seconds()
		b.ReportMetric(achieved, "msgs/s")
		b.ReportMetric(achieved/rate, "achieved/configured")
		b.ReportMetric(float64(st.TooManyRequests), "429s")
		b.ReportMetric(float64(st.MaxGlobalPerSecond), "max-global/s")
		b.Logf("%d messages in %v at a configured %v/s: %+v", st.Sent, elapsed.Round(time.Millisecond), rate, st)
	}
}

package outbox_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

var senderSeconds = flag.Int("sender.seconds", 60, "how long BenchmarkSenderSustained sends, in seconds")

// BenchmarkSenderSustained sends to distinct people for -sender.seconds (60
// by default) at the default bulk rate, against the fake with Telegram's
// real limits (30/s in all, 1/s per chat), and reports the rate achieved as
// a share of the configured one and the 429s the fake gave. It takes over a
// minute: run it by hand (see docs/BENCHMARKS.md), not in CI.
func BenchmarkSenderSustained(b *testing.B) {
	const rate = 25.0
	secs := time.Duration(*senderSeconds) * time.Second
	for b.Loop() {
		b.StopTimer()
		r := newOutboxRig(b, 1, nil)
		n := int(rate*secs.Seconds()*1.2) + 50 // never runs dry
		users := r.people(n)
		items := make([]multaque.OutboxItem, n)
		for i, u := range users {
			items[i] = item(u.ID, fmt.Sprintf("message %d", i))
		}
		r.enqueue(items)
		opts := senderOptions(1)
		opts.Rate = rate
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

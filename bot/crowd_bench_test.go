package bot_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
)

// BenchmarkCrowd: 1,000 citizens answer the survey at once with human
// think time (0.5-3 s between answers), polling the real bot over the fake
// Telegram with Telegram's limits on and production pacing (1 s per chat
// after a burst of 2, 25 messages a second in all). It reports the reply
// latency a person feels (action to answer) over all answers and over
// those their own chat's pace did not delay, the 429s the fake gave, and
// the most updates one person sent in any 10 s (the flood limit's rhythm).
// One run takes about 20 s:
//
//	go test -run='^$' -bench='Crowd|Flood' -benchtime=1x ./bot/
func BenchmarkCrowd(b *testing.B) { crowd(b, 0) }

// BenchmarkFlood is BenchmarkCrowd with 5 more people each sending 50
// messages a second throughout.
func BenchmarkFlood(b *testing.B) { crowd(b, 5) }

// The crowd's size and the global budget. Telegram's 30 messages a second
// in all cannot carry 1,000 people answering at ~370 updates/s: with the
// budget on (-crowd.global=25, the production default) the answers queue
// behind it by construction, so by default the fake enforces Telegram's
// per-chat limits and not the global one, and the bot's budget is off, as
// in the measurements of issue 12.
var (
	crowdPeople = flag.Int("crowd.people", 1000, "BenchmarkCrowd/Flood: how many citizens")
	crowdGlobal = flag.Float64("crowd.global", -1, "BenchmarkCrowd/Flood: the bot's global budget, messages/s (-1 off); the fake then enforces 30/s")
)

func crowd(b *testing.B, flooders int) {
	people := *crowdPeople
	lim := telegramtest.TelegramLimits()
	if *crowdGlobal < 0 {
		lim.Global = 0
	}
	r := newIntakeRig(b, false, lim, func(o *bot.Options) { o.GlobalPerSecond = *crowdGlobal })
	ca := multaque.Catalan
	steps := []func(u *telegramtest.User){
		func(u *telegramtest.User) { u.Send("/start") },
		func(u *telegramtest.User) { u.Press(b, "✓ Català") },
		func(u *telegramtest.User) { u.Press(b, r.texts.Text(ca, "btn_consent", nil)) },
		func(u *telegramtest.User) { u.Send("Veïna") },
		func(u *telegramtest.User) { u.Press(b, "Barcelona ›") },
		func(u *telegramtest.User) { u.Press(b, "Gràcia ›") },
		func(u *telegramtest.User) { u.Press(b, "✓ Tot Gràcia") },
		func(u *telegramtest.User) { u.Send("/me") },
		func(u *telegramtest.User) { u.Send("/help") },
	}
	users := make([]*telegramtest.User, people)
	for i := range users {
		users[i] = r.srv.NewUser(fmt.Sprintf("Veïna %d", i), "ca")
	}
	stopFlood := make(chan struct{})
	var floodWG sync.WaitGroup
	for range flooders {
		f := r.srv.NewUser("Flood", "es")
		floodWG.Add(1)
		go func() {
			defer floodWG.Done()
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopFlood:
					return
				case <-t.C:
					f.Send("/help")
				}
			}
		}()
	}
	type sample struct {
		took   time.Duration
		paced  bool
		person int
	}
	var mu sync.Mutex
	var samples []sample
	var maxWindow int
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			time.Sleep(time.Duration(rng.Int64N(int64(3 * time.Second))))
			// The bot's pace for this chat, followed on the person's side:
			// an answer is paced if the chat's bucket (burst 2, 1 a second)
			// was empty when the person acted.
			tokens, last := 2.0, time.Time{}
			var sent []time.Time
			for _, step := range steps {
				now := time.Now()
				if !last.IsZero() {
					tokens = min(2, tokens+now.Sub(last).Seconds())
				}
				paced := tokens < 1
				tokens--
				last = now
				sent = append(sent, now)
				step(u)
				u.Expect(b, "")
				took := time.Since(now)
				mu.Lock()
				samples = append(samples, sample{took, paced, i})
				mu.Unlock()
				time.Sleep(500*time.Millisecond + time.Duration(rng.Int64N(int64(2500*time.Millisecond))))
			}
			w := 0
			for j := range sent {
				n := 0
				for k := j; k < len(sent) && sent[k].Sub(sent[j]) < 10*time.Second; k++ {
					n++
				}
				w = max(w, n)
			}
			mu.Lock()
			maxWindow = max(maxWindow, w)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stopFlood)
	floodWG.Wait()
	b.StopTimer()
	var all, unpaced []time.Duration
	for _, s := range samples {
		all = append(all, s.took)
		if !s.paced {
			unpaced = append(unpaced, s.took)
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(pct(unpaced, 0.50)), "p50-ms")
	b.ReportMetric(ms(pct(unpaced, 0.95)), "p95-ms")
	b.ReportMetric(ms(pct(unpaced, 0.99)), "p99-ms")
	b.ReportMetric(ms(pct(unpaced, 1)), "max-ms")
	b.ReportMetric(ms(pct(all, 0.99)), "p99-all-ms")
	b.ReportMetric(float64(r.srv.Stats().TooManyRequests), "429s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d answers (%d not delayed by their own chat's pace), most updates of one person in 10 s: %d; fake: %+v",
		len(all), len(unpaced), maxWindow, r.srv.Stats())
}

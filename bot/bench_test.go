package bot_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// benchParallel is how many simulated people talk to the bot at once.
const benchParallel = 128

// BenchmarkSurvey drives simulated citizens through the whole survey over
// HTTP against the fake Telegram: /start, language, consent, name, three
// community buttons, one interest, done — 9 updates each, every answer
// committed to bbolt (fsync) before the bot replies. It reports updates/s.
// Run it with BenchmarkEchoBot in the same run to compare:
//
//	go test -run='^$' -bench='Survey|EchoBot' -benchtime=2000x ./bot/
func BenchmarkSurvey(b *testing.B) {
	h := newHarness(b)
	lang := multaque.Catalan
	steps := []func(u *telegramtest.User){
		func(u *telegramtest.User) { u.Send("/start"); u.Expect(b, "Multaque") },
		func(u *telegramtest.User) { u.Press(b, "✓ Català"); u.Expect(b, "/mydata") },
		func(u *telegramtest.User) {
			u.Press(b, h.text(lang, "btn_consent"))
			u.Expect(b, h.text(lang, "ask_name"))
		},
		func(u *telegramtest.User) { u.Send("Veïna"); u.Expect(b, h.text(lang, "ask_community")) },
		func(u *telegramtest.User) { u.Press(b, "Barcelona ›"); u.Expect(b, "Ara a: Barcelona") },
		func(u *telegramtest.User) { u.Press(b, "Gràcia ›"); u.Expect(b, "Ara a: Gràcia") },
		func(u *telegramtest.User) {
			u.Press(b, "✓ Tot Gràcia")
			u.Expect(b, h.textWith(lang, "ask_interests", map[string]any{"Count": 0}))
		},
		func(u *telegramtest.User) {
			u.Press(b, "▫️ "+h.project(lang, "consumer-group"))
			u.Expect(b, h.textWith(lang, "ask_interests", map[string]any{"Count": 1}))
		},
		func(u *telegramtest.User) { u.Press(b, h.text(lang, "btn_done")); u.Expect(b, "de 8 veïns") },
	}
	users := make([]*telegramtest.User, b.N)
	for i := range users {
		users[i] = h.srv.NewUser(fmt.Sprintf("Veïna %d", i), "ca")
	}
	b.ResetTimer()
	start := time.Now()
	drive(b.N, func(i int) {
		for _, step := range steps {
			step(users[i])
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(steps))/elapsed.Seconds(), "updates/s")
	b.ReportMetric(0, "ns/op")
	p50, p90 := latencies(h.logs.String())
	b.Logf("handler latency p50=%v p90=%v", p50, p90)
	// Every answer was committed: the last citizen is done.
	if c := h.citizen(users[b.N-1].ID); c.Survey.Step != multaque.StepDone {
		b.Fatalf("last citizen at step %s, want done", c.Survey.Step)
	}
}

// BenchmarkEchoBot is the baseline: a bare telebot bot with its own long
// poller that echoes every text, on the same fake Telegram. Each simulated
// person sends 9 texts and waits for each echo.
func BenchmarkEchoBot(b *testing.B) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	stop, err := srv.StartEchoBot()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	users := make([]*telegramtest.User, b.N)
	for i := range users {
		users[i] = srv.NewUser(fmt.Sprintf("Veïna %d", i), "ca")
	}
	const steps = 9
	b.ResetTimer()
	start := time.Now()
	drive(b.N, func(i int) {
		for s := 0; s < steps; s++ {
			text := fmt.Sprintf("echo %d", s)
			users[i].Send(text)
			users[i].Expect(b, text)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*steps)/elapsed.Seconds(), "updates/s")
	b.ReportMetric(0, "ns/op")
}

// drive runs work(0..n-1) on benchParallel goroutines.
func drive(n int, work func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < benchParallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				work(i)
			}
		}()
	}
	wg.Wait()
}

// latencies reads the handler durations the bot logs at debug level.
func latencies(logs string) (p50, p90 time.Duration) {
	var ds []time.Duration
	for _, line := range strings.Split(logs, "\n") {
		var m struct {
			Took float64 `json:"took"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Took > 0 {
			ds = append(ds, time.Duration(m.Took*float64(time.Millisecond)))
		}
	}
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*9/10]
}

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
)

// longRun is how long TestLongRun drives the real binary; 0 (the default,
// and CI's) skips it. docs/BENCHMARKS.md ("A month in ten minutes") has
// the command and the figures.
var longRun = flag.Duration("longrun", 0, "run TestLongRun for this long (at least 10m for the issue 21 figures)")

// longRunPeople is how many people act at once in TestLongRun.
var longRunPeople = flag.Int("longrun.people", 50, "people acting at once in TestLongRun")

// TestLongRun drives `multaque serve`, a real process, against the fake
// Telegram with Telegram's limits on (30 messages/s, 1/s a chat with
// bursts of 3, 20/minute a group), as people would for -longrun: surveys,
// /me, /settings, /forget and joining again, /leave, invitations followed
// into teams' groups and groups left; the matcher every minute, backups
// and a live check every 5 minutes; a coordinator who adds groups when the
// pool runs low. It reports 429s, requests made during a 429's pause,
// "something went wrong" answers, the p50/p99 latency of a step (an
// action until the bot's answer), RSS and goroutines after warm-up, and
// the check of the file at the end.
func TestLongRun(t *testing.T) {
	if *longRun <= 0 {
		t.Skip("run with -longrun=10m (see docs/BENCHMARKS.md)")
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	ca := multaque.Catalan
	tx := func(id string, kv ...any) string {
		data := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
		return texts.Text(ca, id, data)
	}
	wrong := tx("error_internal")

	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SetLimits(telegramtest.TelegramLimits())
	dir := t.TempDir()
	dataPath := filepath.Join(dir, "data", "multaque.db")
	coord := srv.NewUser("Coord", "ca")
	coord.Send("/start") // so that the bot may write to the coordinator
	addr := freeAddr(t)
	env := envFor(srv, dataPath)
	env["MULTAQUE_HTTP_ADDR"] = addr
	env["MULTAQUE_LOG_LEVEL"] = "info"
	env["MULTAQUE_COORDINATORS"] = strconv.FormatInt(coord.ID, 10)
	env["MULTAQUE_MATCHING_SCHEDULE"] = "@every 1m"
	env["MULTAQUE_BACKUP_DIR"] = filepath.Join(dir, "backups")
	env["MULTAQUE_BACKUP_SCHEDULE"] = "*/5 * * * *"
	env["MULTAQUE_TEAMS_POOL_LOW_WATER"] = "5"
	p := startProcess(t, env)

	// The pool: 40 groups now, 10 more at each alert that it runs low.
	var groups atomic.Int64
	addGroups := func(n int) {
		for range n {
			g := srv.NewSupergroup(fmt.Sprintf("Spare %d", groups.Add(1)), coord)
			g.AddBot(coord, telegramtest.BotAdminRights)
		}
	}
	addGroups(40)

	ctx, cancel := context.WithTimeout(context.Background(), *longRun)
	defer cancel()
	start := time.Now()
	warm := start.Add(min(2*time.Minute, *longRun/4))

	var (
		mu        sync.Mutex
		latencies []time.Duration // after warm-up
		byKind    = map[string][]time.Duration{}
		counts    = map[string]int{}
		lost      int // steps the bot never answered within 30 s
		// lefts are the members who left their team's group (neither
		// erased nor /leave'd since they joined it), and when: each must
		// hear that they left the team.
		lefts []leftGroup
	)
	count := func(what string) { mu.Lock(); counts[what]++; mu.Unlock() }
	// step does act and waits for the bot's answer (a message sent or
	// edited after it), recording how long it took.
	step := func(u *telegramtest.User, what string, act func() error) bool {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		began := time.Now()
		if err := act(); err != nil {
			count("failed " + what)
			return false
		}
		if _, err := u.Await(sctx, ""); err != nil {
			mu.Lock()
			lost++
			mu.Unlock()
			return false
		}
		if began.After(warm) {
			mu.Lock()
			latencies = append(latencies, time.Since(began))
			byKind[what] = append(byKind[what], time.Since(began))
			mu.Unlock()
		}
		count(what)
		return true
	}
	press := func(u *telegramtest.User, text string) func() error {
		return func() error {
			pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer pcancel()
			_, err := u.PressButton(pctx, text)
			return err
		}
	}
	send := func(u *telegramtest.User, text string) func() error {
		return func() error { u.Send(text); return nil }
	}
	communities := []struct{ search, choice string }{
		{"Gràcia", "Gràcia (Barcelona)"}, {"Sants", "Sants-Montjuïc (Barcelona)"},
	}
	// Few queues, so that teams form every minute as in issue 21's run.
	projects := []string{"Grup de consum agroecològic", "Banc del temps"}
	survey := func(u *telegramtest.User, rng *rand.Rand) bool {
		com := communities[rng.IntN(len(communities))]
		steps := []struct {
			what string
			act  func() error
		}{
			{"survey", send(u, "/start")},
			{"survey", press(u, "✓ Català")},
			{"survey", press(u, tx("btn_consent"))},
			{"survey", send(u, "Veí "+strconv.Itoa(rng.IntN(1000)))},
			{"survey", send(u, com.search)},
			{"survey", press(u, com.choice)},
			{"survey", press(u, "▫️ "+projects[rng.IntN(len(projects))])},
			{"survey", press(u, tx("btn_done"))},
		}
		for i, s := range steps {
			if i > 0 { // people read before they answer
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(700+rng.IntN(1800)) * time.Millisecond):
				}
			}
			if ctx.Err() != nil || !step(u, s.what, s.act) {
				return false
			}
		}
		count("surveys")
		return true
	}
	// join opens the invitations u got that were not opened yet.
	// joined holds the groups u was let into as a member of their team;
	// gone those they were in when they left their team (/leave) or were
	// erased (/forget): an erased person stays in the group (Telegram's
	// membership is not the bot's data), and leaving it then is no news.
	join := func(u *telegramtest.User, opened map[string]bool, joined, gone map[int64]bool) {
		for _, m := range u.Messages() {
			for _, row := range m.Keyboard {
				for _, b := range row {
					if strings.HasPrefix(b.URL, "https://t.me/+") && !opened[b.URL] {
						opened[b.URL] = true
						if err := u.OpenInviteLink(b.URL); err == nil {
							count("join requests")
						}
						for _, g := range srv.GroupsOf(u.ID) {
							joined[g.ID] = !gone[g.ID]
						}
					}
				}
			}
		}
	}
	person := func(seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 21))
		think := func() {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(1000+rng.IntN(4000)) * time.Millisecond):
			}
		}
	nextPerson:
		for ctx.Err() == nil {
			u := srv.NewUser("Veí", "ca")
			if !survey(u, rng) {
				continue
			}
			opened, joined, gone := map[string]bool{}, map[int64]bool{}, map[int64]bool{}
			forget := func() {
				for _, g := range srv.GroupsOf(u.ID) {
					gone[g.ID] = true
				}
				clear(joined)
			}
			for range 6 + rng.IntN(10) {
				think()
				if ctx.Err() != nil {
					return
				}
				join(u, opened, joined, gone)
				for _, g := range srv.GroupsOf(u.ID) {
					joined[g.ID] = !gone[g.ID] // approved since
				}
				switch r := rng.IntN(100); {
				case r < 40:
					step(u, "/me", send(u, "/me"))
				case r < 70:
					if step(u, "/settings", send(u, "/settings")) {
						step(u, "/settings", press(u, "‹ "+tx("btn_back")))
					}
				case r < 78:
					forget() // /leave: leaving a group is no news then
					if step(u, "/leave", send(u, "/leave")) {
						m, _ := u.LastFromBot()
						if len(m.Keyboard) > 0 && len(m.Keyboard[0]) > 0 {
							step(u, "/leave", press(u, m.Keyboard[0][0].Text))
						}
					}
				case r < 85:
					for _, g := range srv.GroupsOf(u.ID) {
						if joined[g.ID] {
							mu.Lock()
							lefts = append(lefts, leftGroup{u, time.Now()})
							mu.Unlock()
						}
						u.Leave(g)
						joined[g.ID] = false
						count("groups left")
						break
					}
				case r < 92:
					forget()
					if step(u, "/forget", send(u, "/forget")) && step(u, "/forget", press(u, tx("btn_forget"))) {
						if rng.IntN(2) == 1 {
							continue nextPerson // gone for good
						}
						survey(u, rng) // joins again
						count("re-joins")
					}
				default:
					step(u, "/help", send(u, "/help"))
				}
			}
		}
	}
	var wg sync.WaitGroup
	for i := range *longRunPeople {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Arrivals spread over the first minute.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * time.Minute / time.Duration(*longRunPeople)):
			}
			person(uint64(i + 1))
		}()
	}

	// The coordinator adds groups when told the pool is low; a live
	// check every 5 minutes; the process's RSS and goroutines every 30 s.
	type sample struct {
		at         time.Duration
		rss        float64
		goroutines float64
	}
	var samples []sample
	var liveChecks []string
	alerts := 0
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	lastSample, lastCheck := time.Time{}, start
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		low := 0
		for _, m := range coord.Messages() {
			if m.FromBot && (strings.Contains(m.Text, "⚠️") || strings.Contains(m.Text, "🚨")) {
				low++
			}
		}
		if low > alerts {
			alerts = low
			addGroups(10)
		}
		if time.Since(lastSample) >= 30*time.Second {
			lastSample = time.Now()
			if rss, g, err := scrape(addr); err == nil {
				samples = append(samples, sample{time.Since(start).Round(time.Second), rss, g})
			}
		}
		if time.Since(lastCheck) >= 5*time.Minute {
			lastCheck = time.Now()
			out, _, err := runCmd(t, "check", "--data", dataPath)
			liveChecks = append(liveChecks, fmt.Sprintf("%s: %s %v", time.Since(start).Round(time.Second), strings.TrimSpace(out), err))
		}
	}
	wg.Wait()
	// A minute for what is under way: a join request or a member who left
	// is answered within it, or counts below.
	time.Sleep(time.Minute)
	stats := srv.Stats()
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	out, _, checkErr := runCmd(t, "check", "--data", dataPath)

	// Every bot message that said "something went wrong", in any chat.
	wrongs := 0
	for _, u := range srv.Users() {
		for _, m := range u.Messages() {
			if m.FromBot && strings.Contains(m.Text, wrong) {
				wrongs++
			}
		}
	}
	// Members who left their group and never heard they left the team;
	// join requests still waiting a minute after they were made.
	leftText, _, _ := strings.Cut(tx("team_left"), "{{")
	unheard := 0
	for _, l := range lefts {
		heard := false
		for _, m := range l.u.Messages() {
			heard = heard || m.FromBot && strings.Contains(m.Text, strings.TrimSpace(leftText[:min(len(leftText), 40)]))
		}
		if !heard {
			unheard++
		}
	}
	pending := 0
	for _, g := range srv.GroupsOf(srv.BotUser().ID) {
		pending += len(g.PendingRequests())
	}
	slices.Sort(latencies)
	pct := func(q float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(int(q*float64(len(latencies))), len(latencies)-1)]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "long run of %s, %d people at once, %d groups added\n", *longRun, *longRunPeople, groups.Load())
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-20s %d\n", k, counts[k])
	}
	fmt.Fprintf(&b, "  steps unanswered in 30 s: %d\n", lost)
	fmt.Fprintf(&b, "  requests %d, sent %d, edited %d, max %d/s over all chats\n", stats.Requests, stats.Sent, stats.Edited, stats.MaxGlobalPerSecond)
	fmt.Fprintf(&b, "  429 answers: %d; requests during a pause: %d\n", stats.TooManyRequests, stats.RequestsDuringPause)
	fmt.Fprintf(&b, "  \"something went wrong\" answers: %d\n", wrongs)
	fmt.Fprintf(&b, "  members who left their group: %d, of whom never told they left the team: %d\n", len(lefts), unheard)
	fmt.Fprintf(&b, "  join requests still pending a minute after the load stopped: %d\n", pending)
	fmt.Fprintf(&b, "  step latency after warm-up (%d steps): p50 %s, p99 %s, max %s\n", len(latencies), pct(0.5), pct(0.99), pct(1))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range byKind {
			if !yield(k) {
				return
			}
		}
	}) {
		l := byKind[k]
		slices.Sort(l)
		fmt.Fprintf(&b, "    %-10s %5d steps: p50 %s, p99 %s\n", k, len(l), l[len(l)/2].Round(time.Millisecond), l[min(len(l)*99/100, len(l)-1)].Round(time.Millisecond))
	}
	for _, s := range samples {
		fmt.Fprintf(&b, "  at %-6s RSS %5.1f MB, goroutines %.0f\n", s.at, s.rss/1e6, s.goroutines)
	}
	for _, c := range liveChecks {
		fmt.Fprintf(&b, "  live check at %s\n", c)
	}
	fmt.Fprintf(&b, "  check at the end: %s %v\n", strings.TrimSpace(out), checkErr)
	t.Log("\n" + b.String())
	if err := os.WriteFile(filepath.Join(os.TempDir(), "multaque-longrun.txt"), []byte(b.String()), 0o644); err != nil {
		t.Log(err)
	}
	if checkErr != nil {
		t.Errorf("check at the end: %v", checkErr)
	}
}

// leftGroup is a member who left their team's group at a time.
type leftGroup struct {
	u  *telegramtest.User
	at time.Time
}

// freeAddr returns a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// scrape reads the process's resident memory and goroutines from the
// bot's /metrics.
func scrape(addr string) (rss, goroutines float64, err error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		var v float64
		switch {
		case strings.HasPrefix(line, "process_resident_memory_bytes "):
			v, _ = strconv.ParseFloat(strings.Fields(line)[1], 64)
			rss = v
		case strings.HasPrefix(line, "go_goroutines "):
			v, _ = strconv.ParseFloat(strings.Fields(line)[1], 64)
			goroutines = v
		}
	}
	return rss, goroutines, sc.Err()
}

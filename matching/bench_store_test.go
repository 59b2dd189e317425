package matching_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/matching"
	"github.com/multaque/multaque/store"
)

// bigCatalog is a real catalogue (parsed and validated by package catalog)
// of 15 projects and 100,000 communities: a region, 1,000 towns, 99
// neighbourhoods in each.
func bigCatalog(b testing.TB, minTeam, maxTeam int) *catalog.Catalog {
	b.Helper()
	var y bytes.Buffer
	y.WriteString("projects:\n")
	for p := 1; p <= 15; p++ {
		fmt.Fprintf(&y, "  - id: p%02d\n    name: {ca: P%d, es: P%d, en: P%d}\n    pitch: {ca: x, es: x, en: x}\n    explanation: {ca: x, es: x, en: x}\n    min_team: %d\n    max_team: %d\n    playbook:\n      - {ca: x, es: x, en: x}\n", p, p, p, p, minTeam, maxTeam)
	}
	y.WriteString("communities:\n  - id: region\n    name: {ca: R, es: R, en: R}\n")
	for t := 0; t < 1000; t++ {
		fmt.Fprintf(&y, "  - {id: t%d, parent: region, name: {ca: T%d, es: T%d, en: T%d}}\n", t, t, t, t)
		for n := 0; n < 99; n++ {
			fmt.Fprintf(&y, "  - {id: n%d-%d, parent: t%d, name: {ca: N%d, es: N%d, en: N%d}}\n", t, n, t, n, n, n)
		}
	}
	cat, err := catalog.Parse(&y)
	if err != nil {
		b.Fatal(err)
	}
	return cat
}

func communityOf(i int) string { return "n" + strconv.Itoa(i%1000) + "-" + strconv.Itoa((i/1000)%99) }

// bigStore returns a store of n citizens, each in a random community of
// bigCatalog with 1-5 random projects (see bigStorePath).
func bigStore(b testing.TB, n int) *store.DB {
	b.Helper()
	db, err := store.Open(bigStorePath(b, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// bigStorePath returns the file of bigStore, building it if needed: as
// ImportCitizens writes it, or a compacted copy with -runner.compacted.
// Building takes minutes, so the file is kept in the temporary directory
// between runs; its name changes with the store's layout ("-v4": queue
// summaries ordered by size class and by age).
func bigStorePath(b testing.TB, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("multaque-bench-runner-%d-v4.db", n))
	if _, err := os.Stat(path); err != nil {
		tmp := path + ".building"
		os.Remove(tmp)
		db, err := store.Open(tmp)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 11))
		cs := make([]*multaque.Citizen, 0, 10000)
		for i := 0; i < n; i++ {
			c := &multaque.Citizen{ID: int64(i + 1), Lang: multaque.Catalan, Name: "Veí", Community: communityOf(rng.IntN(99000)),
				ConsentAt: day0, Survey: multaque.Survey{Step: multaque.StepDone, Version: 4}}
			var ps []string
			for _, p := range rng.Perm(15)[:1+rng.IntN(5)] {
				ps = append(ps, fmt.Sprintf("p%02d", p+1))
			}
			c.SetInterests(ps, day0.Add(time.Duration(i)*time.Second))
			cs = append(cs, c)
			if len(cs) == cap(cs) || i == n-1 {
				if err := db.ImportCitizens(context.Background(), cs); err != nil {
					b.Fatal(err)
				}
				cs = cs[:0]
			}
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	if *compacted {
		path = compactCopy(b, path)
	}
	return path
}

var (
	compacted = flag.Bool("runner.compacted", false, "run BenchmarkRunnerPassMillion on a compacted copy of the database, as a nightly backup or `compact` leaves it")
	pageCache = flag.String("runner.cache", "warm", "BenchmarkRunnerPassMillionAlone: the database file in the page cache before the child starts: warm (all of it, as on a server that has been running), cold (none of it, as after a reboot) or as-is")
)

// compactCopy returns a compacted copy of the database at path, made once
// (bbolt's Compact writes each bucket's pages together).
func compactCopy(b testing.TB, path string) string {
	b.Helper()
	dst := strings.TrimSuffix(path, ".db") + "-compact.db"
	if _, err := os.Stat(dst); err == nil {
		return dst
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	tmp := dst + ".building"
	os.Remove(tmp)
	out, err := bolt.Open(tmp, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := bolt.Compact(out, src, 64<<20); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		b.Fatal(err)
	}
	return dst
}

// procMB reads a memory figure of this process from /proc (Linux): VmRSS
// is the resident memory now, VmHWM its peak since the last resetPeak.
func procMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// resetPeak returns what the benchmark's own setup holds to the system and
// restarts the peak resident figure (VmHWM) from the resident memory now.
func resetPeak() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkRunnerPassMillion is a whole matching pass, from the store, over
// 1,000,000 citizens in 100,000 communities wanting 1-5 of 15 projects each
// (about 3,000,000 places in queues), where no queue reaches critical mass.
//
//	go test -run='^$' -bench=RunnerPassMillion -benchtime=20x ./matching/
func BenchmarkRunnerPassMillion(b *testing.B) {
	cat := bigCatalog(b, 50, 60)
	db := bigStore(b, 1_000_000)
	now := day0.Add(time.Hour)
	r := &matching.Runner{Store: db, Catalog: cat, Notifier: notes{}, Logger: zerolog.Nop(), Now: func() time.Time { return now }}
	if _, err := r.Run(context.Background()); err != nil { // warm: pages in memory
		b.Fatal(err)
	}
	resetPeak()
	base := procMB("VmRSS")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := r.Run(context.Background())
		if err != nil || len(rep.Formed) != 0 {
			b.Fatalf("%+v,%v, want nothing formed", rep, err)
		}
	}
	b.StopTimer()
	// The resident memory of the whole process after the passes (the
	// catalogue of 100,000 communities and the file pages the passes read
	// included), and what the passes added to what it held before them.
	// (The peak, VmHWM, would also count the benchmark's own parsing of the
	// catalogue's 6 MB of YAML, unless the kernel lets clear_refs reset it.)
	rss := procMB("VmRSS")
	b.ReportMetric(rss, "MB-rss")
	b.ReportMetric(procMB("RssAnon"), "MB-rss-anon") // Go's memory
	b.ReportMetric(procMB("RssFile"), "MB-rss-file") // pages of the mapped database file
	b.ReportMetric(rss-base, "MB-pass-rss")
}

// BenchmarkRunnerFormTenThousand is a pass that forms 10,000 teams of 8:
// each team, with its members leaving the queues and its 8 messages, is one
// committed (fsynced) transaction.
//
//	go test -run='^$' -bench=RunnerFormTenThousand -benchtime=1x ./matching/
func BenchmarkRunnerFormTenThousand(b *testing.B) {
	b.StopTimer() // the catalogue's parsing is no part of forming
	cat := bigCatalog(b, 8, 15)
	for range b.N {
		db, err := store.Open(filepath.Join(b.TempDir(), "m.db"))
		if err != nil {
			b.Fatal(err)
		}
		var cs []*multaque.Citizen
		for i := 0; i < 80_000; i++ {
			c := &multaque.Citizen{ID: int64(i + 1), Lang: multaque.Catalan, Name: "Veí", Community: communityOf(i / 8),
				ConsentAt: day0, Survey: multaque.Survey{Step: multaque.StepDone, Version: 4}}
			c.SetInterests([]string{"p01"}, day0.Add(time.Duration(i)*time.Second))
			cs = append(cs, c)
		}
		if err := db.ImportCitizens(context.Background(), cs); err != nil {
			b.Fatal(err)
		}
		now := day0.Add(time.Hour)
		r := &matching.Runner{Store: db, Catalog: cat, Notifier: notes{}, Logger: zerolog.Nop(), Now: func() time.Time { return now }}
		b.StartTimer()
		start := time.Now()
		rep, err := r.Run(context.Background())
		took := time.Since(start)
		b.StopTimer()
		if err != nil || len(rep.Formed) != 10_000 {
			b.Fatalf("formed %d,%v, want 10000", len(rep.Formed), err)
		}
		b.ReportMetric(float64(len(rep.Formed))/took.Seconds(), "teams/s")
		db.Close()
	}
	b.StartTimer()
}

// BenchmarkRunnerPassMillionAlone is BenchmarkRunnerPassMillion in a process
// of its own, so that its resident memory is that of a process doing
// nothing but passes: the test binary runs itself as a child (the test
// TestRunnerPassChild), which loads the catalogue and the store, makes a
// warm-up pass, then 20 timed ones, and reports its memory.
//
// Before it starts the child it puts the database file in the page cache
// (-runner.cache=warm, the default), drops it from there (cold) or leaves
// the cache as it is (as-is).
//
//	go test -run='^$' -bench=RunnerPassMillionAlone -benchtime=1x ./matching/ [-runner.compacted] [-runner.cache=cold]
func BenchmarkRunnerPassMillionAlone(b *testing.B) {
	path := bigStorePath(b, 1_000_000) // built (and compacted) here, once; the child opens it
	for range b.N {
		// The kernel maps into a process, around each page it reads, the
		// neighbouring pages it has cached, so what a pass keeps resident
		// depends on how much of the file is in the page cache.
		switch *pageCache {
		case "warm":
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, f)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
		case "cold":
			if err := dropFromPageCache(path); err != nil {
				b.Fatal(err)
			}
		case "as-is":
		default:
			b.Fatalf("-runner.cache=%q, want warm, cold or as-is", *pageCache)
		}
		args := []string{"-test.run=^TestRunnerPassChild$", "-test.v"}
		if *compacted {
			args = append(args, "-runner.compacted")
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "MULTAQUE_PASS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var ms, rss, anon, file, hwm float64
		i := bytes.Index(out, []byte("child:"))
		if i < 0 {
			b.Fatalf("child said:\n%s", out)
		}
		fmt.Sscanf(string(out[i:]), "child: ms=%f rss=%f anon=%f file=%f hwm=%f", &ms, &rss, &anon, &file, &hwm)
		b.ReportMetric(ms, "ms/pass")
		b.ReportMetric(rss, "MB-rss")
		b.ReportMetric(anon, "MB-rss-anon")
		b.ReportMetric(file, "MB-rss-file")
		b.ReportMetric(hwm, "MB-peak-rss")
	}
}

// TestRunnerPassChild is the child of BenchmarkRunnerPassMillionAlone.
func TestRunnerPassChild(t *testing.T) {
	if os.Getenv("MULTAQUE_PASS_CHILD") != "1" {
		t.Skip("run by BenchmarkRunnerPassMillionAlone")
	}
	cat := bigCatalog(t, 50, 60)
	db := bigStore(t, 1_000_000)
	now := day0.Add(time.Hour)
	r := &matching.Runner{Store: db, Catalog: cat, Notifier: notes{}, Logger: zerolog.Nop(), Now: func() time.Time { return now }}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	debug.FreeOSMemory() // what parsing the catalogue's YAML left behind
	start := time.Now()
	const passes = 20
	for range passes {
		if rep, err := r.Run(context.Background()); err != nil || len(rep.Formed) != 0 {
			t.Fatalf("%+v,%v", rep, err)
		}
	}
	ms := float64(time.Since(start).Microseconds()) / 1000 / passes
	fmt.Printf("child: ms=%.3f rss=%.1f anon=%.1f file=%.1f hwm=%.1f\n", ms, procMB("VmRSS"), procMB("RssAnon"), procMB("RssFile"), procMB("VmHWM"))
	if path := os.Getenv("MULTAQUE_PASS_HEAPPROFILE"); path != "" {
		// What the Go heap holds after the passes:
		// MULTAQUE_PASS_HEAPPROFILE=heap.prof go test -run='^$' -bench=RunnerPassMillionAlone -benchtime=1x ./matching/
		// go tool pprof -sample_index=inuse_space -top heap.prof
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		runtime.KeepAlive(r)
	}
}

package store_test

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// workers is how many updates the bot handles at once (bot.Options.Workers
// defaults to 64). Batched writes wait for company, so throughput depends on
// how many callers there are, not on GOMAXPROCS.
const workers = 64

func parallelism() int { return max(1, workers/runtime.GOMAXPROCS(0)) }

func reportRate(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

func BenchmarkSaveCitizenParallel(b *testing.B) {
	db := openDB(b, benchOpts()...)
	var next atomic.Int64
	b.SetParallelism(parallelism())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := newCitizen(next.Add(1), "Mercè", "gracia", "energy", "time-bank")
			if err := db.SaveCitizen(ctx, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "ops/s")
}

func BenchmarkRecordUpdateParallel(b *testing.B) {
	db := openDB(b, benchOpts()...)
	var next atomic.Int64
	b.SetParallelism(parallelism())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.RecordUpdate(ctx, int(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "ops/s")
}

// BenchmarkUpdateParallel is what the bot does for each update of a person
// who is taking the survey: RecordUpdate, then one UpdateCitizen, by 64
// workers at once, with 100,000 citizens stored.
func BenchmarkUpdateParallel(b *testing.B) {
	const people = 100_000
	db := filledDB(b, "gracia", people, func(i int) *multaque.Citizen {
		return newCitizen(int64(i+1), "Mercè", "gracia", "energy")
	}, benchOpts()...)
	var next atomic.Int64
	b.SetParallelism(parallelism())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := next.Add(1)
			if _, err := db.RecordUpdate(ctx, int(u)); err != nil {
				b.Error(err)
				return
			}
			_, err := db.UpdateCitizen(ctx, u%people+1, func(c *multaque.Citizen) error {
				c.Survey.Version++
				c.UpdatedAt = time.Now()
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "updates/s")
}

// BenchmarkCountWaiting counts the queues of one community with 100,000
// citizens stored, spread over 50 communities or all in one.
func BenchmarkCountWaiting(b *testing.B) {
	projects := []string{"energy", "car-sharing", "consumer-group", "time-bank", "food-coop", "housing", "repair-cafe", "solar"}
	for _, communities := range []int{50, 1} {
		b.Run(fmt.Sprintf("communities=%d", communities), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			db := filledDB(b, fmt.Sprintf("communities-%d", communities), 100_000, func(i int) *multaque.Citizen {
				c := newCitizen(int64(i+1), "Mercè", fmt.Sprintf("community-%d", rng.IntN(communities)))
				perm := rng.Perm(len(projects))[:1+rng.IntN(3)]
				for _, p := range perm {
					c.Interests = append(c.Interests, multaque.Interest{Project: projects[p], Since: t0.Add(time.Duration(rng.IntN(1e6)) * time.Second)})
				}
				return c
			})
			for b.Loop() {
				if _, err := db.CountWaiting(ctx, "community-0", projects); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// filledDB opens a copy of a database holding n citizens made by mk. Each
// kind (named by name) is built once per run: filling takes seconds, and
// benchmark functions run several times.
func filledDB(b *testing.B, name string, n int, mk func(i int) *multaque.Citizen, opts ...store.Option) *store.DB {
	b.Helper()
	templates.Lock()
	defer templates.Unlock()
	src := filepath.Join(templates.dir, name+".db")
	if _, err := os.Stat(src); err != nil {
		db, err := store.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		cs := make([]*multaque.Citizen, n)
		for i := range cs {
			cs[i] = mk(i)
		}
		err = store.LoadCitizens(db, cs)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(src)
			b.Fatalf("fill %s: %v", name, err)
		}
	}
	dst := filepath.Join(b.TempDir(), "multaque.db")
	if err := copyFile(dst, src); err != nil {
		b.Fatal(err)
	}
	return openDBAt(b, dst, opts...)
}

// templates holds the databases filledDB copies from.
var templates struct {
	sync.Mutex
	dir string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "multaque-store-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	templates.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// To tune the batch delay on a given machine and disk:
//
//	go test -run='^$' -bench=Parallel ./store/ -batch-delay=5ms
var batchDelay = flag.Duration("batch-delay", store.DefaultBatchDelay, "batch delay for the parallel benchmarks")

func benchOpts() []store.Option { return []store.Option{store.BatchDelay(*batchDelay)} }

// BenchmarkForgetCitizen erases one citizen among 100,000: the waiting and
// refcodes buckets are searched whole.
func BenchmarkForgetCitizen(b *testing.B) {
	const people = 100_000
	db := filledDB(b, "forget", people, func(i int) *multaque.Citizen {
		return newCitizen(int64(i+1), "Mercè", fmt.Sprintf("community-%d", i%50), "energy", "time-bank")
	})
	id := int64(0)
	for b.Loop() {
		id++
		if err := db.ForgetCitizen(ctx, id%people+1); err != nil {
			b.Fatal(err)
		}
	}
}

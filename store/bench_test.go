package store_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
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
// workers at once.
func BenchmarkUpdateParallel(b *testing.B) {
	db := openDB(b, benchOpts()...)
	const people = 10_000
	load(b, db, people, func(i int) *multaque.Citizen {
		return newCitizen(int64(i+1), "Mercè", "gracia", "energy")
	})
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
			db := openDB(b)
			rng := rand.New(rand.NewPCG(1, 2))
			var mu sync.Mutex
			load(b, db, 100_000, func(i int) *multaque.Citizen {
				mu.Lock()
				defer mu.Unlock()
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

// load saves n citizens made by mk, many at a time so that they share
// transactions.
func load(b *testing.B, db *store.DB, n int, mk func(i int) *multaque.Citizen) {
	b.Helper()
	const loaders = 1000
	var wg sync.WaitGroup
	for w := range loaders {
		wg.Go(func() {
			for i := w; i < n; i += loaders {
				if err := db.SaveCitizen(ctx, mk(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// To tune the batch delay on a given machine and disk:
//
//	go test -run='^$' -bench=Parallel ./store/ -batch-delay=5ms
var batchDelay = flag.Duration("batch-delay", store.DefaultBatchDelay, "batch delay for the parallel benchmarks")

func benchOpts() []store.Option { return []store.Option{store.BatchDelay(*batchDelay)} }

// BenchmarkForgetCitizen erases one citizen among 100,000: the waiting and
// refcodes buckets are searched whole.
func BenchmarkForgetCitizen(b *testing.B) {
	db := openDB(b)
	const people = 100_000
	load(b, db, people, func(i int) *multaque.Citizen {
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

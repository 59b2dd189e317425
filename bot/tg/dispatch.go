package tg

import (
	"context"
	"sync"

	"github.com/multaque/multaque"
)

// Dispatcher runs updates on a fixed set of workers. Updates of one chat
// always go to the same worker, so a person's answers are handled in the
// order they were given, while different people are handled in parallel.
type Dispatcher struct {
	mu     sync.RWMutex
	closed bool
	shards []chan job
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	upd  *Update
	done chan struct{}
}

// NewDispatcher starts workers goroutines that run handle.
func NewDispatcher(workers int, handle func(context.Context, *Update)) *Dispatcher {
	d := &Dispatcher{shards: make([]chan job, workers)}
	for i := range d.shards {
		ch := make(chan job, 16)
		d.shards[i] = ch
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for j := range ch {
				handle(j.ctx, j.upd)
				close(j.done)
			}
		}()
	}
	return d
}

// Submit queues u on its chat's worker and returns a channel closed when it
// has been handled. The update's handling is not cancelled by ctx: an
// answer being given is finished even during shutdown.
func (d *Dispatcher) Submit(ctx context.Context, u *Update) (<-chan struct{}, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, multaque.Errorf(multaque.EUNAVAILABLE, "bot is shutting down")
	}
	// Unsigned, so that every chat id has a shard: -math.MinInt64 is
	// negative, and so would be its remainder.
	shard := uint64(ChatOf(u)) % uint64(len(d.shards))
	j := job{ctx: context.WithoutCancel(ctx), upd: u, done: make(chan struct{})}
	select {
	case d.shards[shard] <- j:
		return j.done, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops taking updates and waits for the queued ones to finish.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	for _, ch := range d.shards {
		close(ch)
	}
	d.mu.Unlock()
	d.wg.Wait()
}

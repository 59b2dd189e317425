package bot

import (
	"context"
	"sync"

	tele "gopkg.in/telebot.v3"

	"github.com/multaque/multaque"
)

// dispatcher runs updates on a fixed set of workers. Updates of one chat
// always go to the same worker, so a person's answers are handled in the
// order they were given, while different people are handled in parallel.
type dispatcher struct {
	mu     sync.RWMutex
	closed bool
	shards []chan job
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	upd  tele.Update
	done chan struct{}
}

func newDispatcher(workers int, handle func(context.Context, tele.Update)) *dispatcher {
	d := &dispatcher{shards: make([]chan job, workers)}
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

// submit queues u on its chat's worker and returns a channel closed when it
// has been handled. The update's handling is not cancelled by ctx: an
// answer being given is finished even during shutdown.
func (d *dispatcher) submit(ctx context.Context, u tele.Update) (<-chan struct{}, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, multaque.Errorf(multaque.EUNAVAILABLE, "bot is shutting down")
	}
	// Unsigned, so that every chat id has a shard: -math.MinInt64 is
	// negative, and so would be its remainder.
	shard := uint64(chatOf(u)) % uint64(len(d.shards))
	j := job{ctx: context.WithoutCancel(ctx), upd: u, done: make(chan struct{})}
	select {
	case d.shards[shard] <- j:
		return j.done, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close stops taking updates and waits for the queued ones to finish.
func (d *dispatcher) close() {
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

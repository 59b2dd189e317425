package tg

import (
	"sync"

	"github.com/multaque/multaque"
)

// Dispatcher runs the work of each chat in order, and the work of
// different chats side by side: a chat's work waits only behind that
// chat's own. Each chat with work queued gets a goroutine of its own,
// which runs the chat's queue to its end and goes; at most limit chats run
// at once (the others wait their turn, first come first served). Submit
// never blocks: the queues live in memory, and whatever must survive a
// crash is made durable before it is submitted (see the inbox, bot.go).
type Dispatcher struct {
	limit int

	mu      sync.Mutex
	closed  bool
	running int
	queues  map[int64]*chatQueue
	waiting []int64 // chats with work queued and no goroutine, in arrival order
	wg      sync.WaitGroup
}

// chatQueue is one chat's work.
type chatQueue struct {
	jobs   []*task
	active bool // a goroutine runs this chat, or it is in waiting
	fresh  bool // just taken from waiting: it runs one piece before it yields
}

type task struct {
	run  func()
	drop func() // when the dispatcher stops before running it
}

// NewDispatcher returns a dispatcher that runs at most limit chats at once.
func NewDispatcher(limit int) *Dispatcher {
	return &Dispatcher{limit: max(limit, 1), queues: make(map[int64]*chatQueue)}
}

// Submit queues run after chat's earlier work. If the dispatcher stops
// before run is taken up, drop is called instead (if not nil). It fails
// only once the dispatcher is closed.
func (d *Dispatcher) Submit(chat int64, run, drop func()) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return multaque.Errorf(multaque.EUNAVAILABLE, "bot is shutting down")
	}
	q := d.queues[chat]
	if q == nil {
		q = &chatQueue{}
		d.queues[chat] = q
	}
	q.jobs = append(q.jobs, &task{run: run, drop: drop})
	if !q.active {
		q.active = true
		d.startLocked(chat)
	}
	return nil
}

// startLocked gives chat a goroutine if the limit allows, else puts it in
// line. d.mu is held.
func (d *Dispatcher) startLocked(chat int64) {
	if d.running >= d.limit {
		d.waiting = append(d.waiting, chat)
		return
	}
	d.running++
	d.wg.Add(1)
	go d.drain(chat)
}

// drain runs chat's queue until it is empty, then hands its place to the
// next chat in line.
func (d *Dispatcher) drain(chat int64) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.queues[chat]
		if d.closed || len(q.jobs) == 0 {
			if len(q.jobs) == 0 {
				delete(d.queues, chat)
			}
			next, ok := d.nextLocked()
			if !ok {
				d.running--
			}
			d.mu.Unlock()
			if !ok {
				return
			}
			chat = next
			d.mu.Lock()
			d.queues[chat].fresh = true
			d.mu.Unlock()
			continue
		}
		if len(d.waiting) > 0 && !q.fresh {
			// At the limit, chats take turns: one piece of work each.
			d.waiting = append(d.waiting, chat)
			chat, _ = d.nextLocked()
			d.queues[chat].fresh = true
			d.mu.Unlock()
			continue
		}
		q.fresh = false
		t := q.jobs[0]
		q.jobs[0] = nil
		q.jobs = q.jobs[1:]
		d.mu.Unlock()
		t.run()
	}
}

// nextLocked takes the next chat in line, unless closed. d.mu is held.
func (d *Dispatcher) nextLocked() (int64, bool) {
	if d.closed || len(d.waiting) == 0 {
		return 0, false
	}
	chat := d.waiting[0]
	d.waiting = d.waiting[1:]
	return chat, true
}

// Queued is how much work waits or runs, over all chats.
func (d *Dispatcher) Queued() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, q := range d.queues {
		n += len(q.jobs)
	}
	return n + d.running
}

// Close stops taking work, lets the work running finish, and drops what
// is queued behind it (calling each drop): the intake keeps those updates
// in its inbox, for the next start.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.wg.Wait()
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
	d.mu.Lock()
	var dropped []*task
	for chat, q := range d.queues {
		dropped = append(dropped, q.jobs...)
		delete(d.queues, chat)
	}
	d.waiting = nil
	d.mu.Unlock()
	for _, t := range dropped {
		if t.drop != nil {
			t.drop()
		}
	}
}

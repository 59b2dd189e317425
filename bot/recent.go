package bot

import "sync"

// recentUpdates remembers the ids of the last updates handled, in memory.
// An update that changed something is recorded durably in the transaction
// of its change (see handle); one that changed nothing (a /help, a page of
// the community list) needs no durable record: handled again after a crash,
// it only shows its answer again. The memory catches the repeats that come
// while the process runs (webhook retries, a poll that overlaps), without a
// disk write per update.
type recentUpdates struct {
	mu   sync.Mutex
	seen map[int]struct{}
	ring []int
	next int
}

func newRecentUpdates(n int) *recentUpdates {
	return &recentUpdates{seen: make(map[int]struct{}, n), ring: make([]int, 0, n)}
}

// has reports whether id was added and not yet pushed out.
func (r *recentUpdates) has(id int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.seen[id]
	return ok
}

// add remembers id, forgetting the oldest when full.
func (r *recentUpdates) add(id int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.seen[id]; ok {
		return
	}
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, id)
	} else {
		delete(r.seen, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.seen[id] = struct{}{}
}

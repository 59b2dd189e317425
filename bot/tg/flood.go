package tg

import (
	"sync"
	"time"
)

// FloodGate is the per-person flood limit: at most Limit updates from one
// person within any Window. The first update over the limit gets one "slow
// down" (Verdict SlowDown); every later one until the window has passed is
// dropped unread (Drop): no answer, no write. It is safe for concurrent use.
type FloodGate struct {
	limit  int
	window time.Duration

	mu        sync.Mutex
	people    map[int64]*floodState
	lastPrune time.Time
}

type floodState struct {
	times         []time.Time // the updates let in within the window, oldest first
	silencedUntil time.Time
}

// Verdict is what the gate says of one update.
type Verdict int

// The verdicts.
const (
	Admit    Verdict = iota // handle it
	SlowDown                // the first over the limit: tell the person, once
	Drop                    // over the limit and told: drop it unread
)

// NewFloodGate returns a gate letting limit updates per person within
// window; limit ≤ 0 lets everything in.
func NewFloodGate(limit int, window time.Duration) *FloodGate {
	return &FloodGate{limit: limit, window: window, people: make(map[int64]*floodState)}
}

// Check counts an update from person at now and says what to do with it.
// Person 0 (an update of nobody's, such as a group's change) is always let in.
func (g *FloodGate) Check(person int64, now time.Time) Verdict {
	if g == nil || g.limit <= 0 || person == 0 {
		return Admit
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pruneLocked(now)
	s := g.people[person]
	if s == nil {
		s = &floodState{}
		g.people[person] = s
	}
	if now.Before(s.silencedUntil) {
		return Drop
	}
	s.times = trimTimes(s.times, now.Add(-g.window))
	if len(s.times) < g.limit {
		s.times = append(s.times, now)
		return Admit
	}
	s.silencedUntil = now.Add(g.window)
	s.times = s.times[:0]
	return SlowDown
}

// pruneLocked forgets, once a window, the people the gate no longer
// limits. g.mu is held.
func (g *FloodGate) pruneLocked(now time.Time) {
	if now.Sub(g.lastPrune) < g.window {
		return
	}
	g.lastPrune = now
	for id, s := range g.people {
		if !now.Before(s.silencedUntil) && len(trimTimes(s.times, now.Add(-g.window))) == 0 {
			delete(g.people, id)
		}
	}
}

// Sender is who sent u, for the flood limit: the person who wrote a
// message, pressed a button or answered a poll; 0 for other updates.
func Sender(u *Update) int64 {
	switch {
	case u.Message != nil && u.Message.Sender != nil:
		return u.Message.Sender.ID
	case u.Callback != nil && u.Callback.Sender != nil:
		return u.Callback.Sender.ID
	case u.PollAnswer != nil && u.PollAnswer.Voter != nil:
		return u.PollAnswer.Voter.ID
	}
	return 0
}

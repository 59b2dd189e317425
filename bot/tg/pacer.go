package tg

import (
	"context"
	"math"
	"sync"
	"time"
)

// Pacer keeps what the bot sends under Telegram's limits for one chat and
// one group, and holds all sending while a 429 pause runs. The Sender and
// the direct answers share one pacer, so that neither can use up what the
// other counted on. The bulk rate is not here: it binds the Sender only.
//
// A private chat gets a token bucket: PerChatBurst messages at once, then
// one per PerChatInterval. A group (a negative id) also gets a sliding
// window: at most PerGroupPerMinute messages in any minute. The window
// counts a message from when its answer came back, which is no earlier than
// when Telegram counted it, so the window never runs ahead of Telegram's.
type Pacer struct {
	interval time.Duration // between messages to one chat; 0 = no per-chat pacing
	burst    int
	groupN   int           // messages per group per minute; 0 = no limit
	minute   time.Duration // Telegram's minute (60 × unit)
	unit     time.Duration // Telegram's second, the unit of retry_after
	margin   time.Duration // added to every pause
	metrics  *Metrics

	// The global budget: every message to a chat, direct answer or
	// Sender's, draws from one token bucket (see SetGlobal).
	globalRate  float64 // messages per unit; 0 = no budget
	globalBurst float64
	reserve     float64 // tokens the Sender leaves for direct answers

	mu         sync.Mutex
	gTokens    float64
	gLast      time.Time
	pauseUntil time.Time
	chats      map[int64]*chatPace
	lastPrune  time.Time
}

// chatPace is the pacing state of one chat.
type chatPace struct {
	tokens  float64
	last    time.Time
	sent    []time.Time // groups: when the answers of the last minute's messages came
	pending int         // groups: messages allowed whose answers have not come yet
}

// NewPacer returns a Pacer: per chat, burst messages at once then one per
// interval (0: no per-chat pacing); per group, at most groupN messages a
// minute (0: no limit); unit is Telegram's second, the unit of
// retry_after (time.Second but against a faster fake).
func NewPacer(interval time.Duration, burst, groupN int, unit time.Duration, m *Metrics) *Pacer {
	if m == nil {
		m = UnregisteredMetrics()
	}
	return &Pacer{
		interval: interval, burst: max(burst, 1), groupN: groupN,
		minute: 60 * unit, unit: unit, margin: unit / 2, metrics: m,
		chats: make(map[int64]*chatPace),
	}
}

// SetGlobal sets the global budget, shared by every message to a chat:
// perSecond messages per Telegram second, burst at once (Telegram: 30 a
// second in all; keep under it). Direct answers come first: the Sender
// (TakeBulk) draws only while a third of the burst is left over, so that
// when direct answers are many they take the whole budget and the Sender
// waits. 0 turns the budget off. Call it before
// the pacer is used.
func (p *Pacer) SetGlobal(perSecond float64, burst int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.globalRate = perSecond
	p.globalBurst = float64(max(burst, 1))
	p.reserve = float64(max(burst, 1)) / 3
	p.gTokens = p.globalBurst
	p.gLast = time.Time{}
}

// globalAt is the global bucket's content at now. p.mu is held.
func (p *Pacer) globalAt(now time.Time) float64 {
	if p.gLast.IsZero() {
		return p.globalBurst
	}
	return math.Min(p.globalBurst, p.gTokens+p.globalRate*float64(now.Sub(p.gLast))/float64(p.unit))
}

// globalWaitLocked is how long a message must wait at now for the global
// budget, keeping need tokens. p.mu is held.
func (p *Pacer) globalWaitLocked(now time.Time, need float64) time.Duration {
	if p.globalRate <= 0 {
		return 0
	}
	t := p.globalAt(now)
	if t >= need {
		return 0
	}
	return time.Duration((need - t) / p.globalRate * float64(p.unit))
}

// IsGroup reports whether chat is a group or channel (negative ids).
func IsGroup(chat int64) bool { return chat < 0 }

// waitLocked returns how long chat must wait at now before it may get a
// message: 0 if it may. p.mu is held.
func (p *Pacer) waitLocked(chat int64, now time.Time, bulk bool) time.Duration {
	if now.Before(p.pauseUntil) {
		return p.pauseUntil.Sub(now)
	}
	if chat == 0 {
		return 0
	}
	need := 1.0
	if bulk {
		need += p.reserve // direct answers first
	}
	wait := p.globalWaitLocked(now, need)
	c := p.chats[chat]
	if c == nil {
		return wait
	}
	if p.interval > 0 {
		if tokens := c.tokensAt(now, p.interval, p.burst); tokens < 1 {
			wait = max(wait, time.Duration((1-tokens)*float64(p.interval)))
		}
	}
	if IsGroup(chat) && p.groupN > 0 {
		c.sent = trimTimes(c.sent, now.Add(-p.minute))
		if len(c.sent)+c.pending >= p.groupN {
			w := p.minute // all pending: Finish wakes the caller sooner
			if len(c.sent) > 0 && c.pending < p.groupN {
				w = c.sent[0].Add(p.minute).Sub(now)
			}
			wait = max(wait, w)
		}
	}
	return wait
}

// tokensAt is the bucket's content at now.
func (c *chatPace) tokensAt(now time.Time, interval time.Duration, burst int) float64 {
	if c.last.IsZero() {
		return float64(burst)
	}
	return math.Min(float64(burst), c.tokens+float64(now.Sub(c.last))/float64(interval))
}

// trimTimes drops the times not after t (ts is sorted).
func trimTimes(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(t) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

// Wait reports how long chat must wait at now before it may get a message.
func (p *Pacer) Wait(chat int64, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitLocked(chat, now, false)
}

// Take claims the right to send one message to chat at now, if it may get
// one; otherwise it reports how long to wait. A claim must be followed by
// Finish once the request is answered or given up.
func (p *Pacer) Take(chat int64, now time.Time) (bool, time.Duration) {
	return p.take(chat, now, false)
}

// TakeBulk is Take for the Sender: it also yields to the direct answers,
// which go first on the global budget (see SetGlobal).
func (p *Pacer) TakeBulk(chat int64, now time.Time) (bool, time.Duration) {
	return p.take(chat, now, true)
}

func (p *Pacer) take(chat int64, now time.Time, bulk bool) (bool, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.waitLocked(chat, now, bulk); w > 0 {
		return false, w
	}
	if chat == 0 {
		return true, 0
	}
	if p.globalRate > 0 {
		p.gTokens = p.globalAt(now) - 1
		p.gLast = now
	}
	p.pruneLocked(now)
	c := p.chats[chat]
	if c == nil {
		c = &chatPace{}
		p.chats[chat] = c
	}
	if p.interval > 0 {
		c.tokens = c.tokensAt(now, p.interval, p.burst) - 1
		c.last = now
	}
	if IsGroup(chat) {
		c.pending++
	}
	return true, 0
}

// Finish records the end of a request claimed with Take: when its answer
// came, if it was sent at all.
func (p *Pacer) Finish(chat int64, sent bool, at time.Time) {
	if !IsGroup(chat) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chats[chat]
	if c == nil {
		return
	}
	c.pending = max(c.pending-1, 0)
	if sent && p.groupN > 0 {
		c.sent = append(c.sent, at)
	}
}

// pruneLocked forgets, now and then, the chats whose state no longer
// limits anything, so that the map does not grow with every chat ever
// written to.
func (p *Pacer) pruneLocked(now time.Time) {
	if now.Sub(p.lastPrune) < 2*p.minute {
		return
	}
	p.lastPrune = now
	full := time.Duration(p.burst) * p.interval
	for id, c := range p.chats {
		if c.pending == 0 && now.Sub(c.last) >= full && len(trimTimes(c.sent, now.Add(-p.minute))) == 0 {
			delete(p.chats, id)
		}
	}
}

// Pause holds all sending for retryAfter of Telegram's seconds, plus a
// margin, from now; a pause already running longer is kept. It returns when
// the pause ends.
func (p *Pacer) Pause(retryAfter int) time.Time {
	until := time.Now().Add(time.Duration(max(retryAfter, 1))*p.unit + p.margin)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.pauseUntil) {
		p.pauseUntil = until
		p.metrics.SetPause(until)
	}
	return p.pauseUntil
}

// PausedFor returns how much of the current pause is left at now.
func (p *Pacer) PausedFor(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.pauseUntil.Sub(now), 0)
}

// WaitPause returns when no pause runs, or ctx's error if it ends first.
func (p *Pacer) WaitPause(ctx context.Context) error {
	for {
		d := p.PausedFor(time.Now())
		if d <= 0 {
			return nil
		}
		if err := Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Claim waits until chat may get a message and takes it (see Take), as a
// direct answer: it may use the reserve the Sender leaves (SetGlobal).
func (p *Pacer) Claim(ctx context.Context, chat int64) error {
	ok, d := p.Take(chat, time.Now())
	if ok {
		return nil
	}
	for {
		if err := Sleep(ctx, d); err != nil {
			return err
		}
		if ok, d = p.Take(chat, time.Now()); ok {
			return nil
		}
	}
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unit is the length of Telegram's second for this pacer.
func (p *Pacer) Unit() time.Duration { return p.unit }

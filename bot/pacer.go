package bot

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	tele "gopkg.in/telebot.v3"
)

// pacer keeps what the bot sends under Telegram's limits for one chat and
// one group, and holds all sending while a 429 pause runs. The Sender and
// the direct answers share one pacer, so that neither can use up what the
// other counted on. The bulk rate is not here: it binds the Sender only.
//
// A private chat gets a token bucket: PerChatBurst messages at once, then
// one per PerChatInterval. A group (a negative id) also gets a sliding
// window: at most PerGroupPerMinute messages in any minute. The window
// counts a message from when its answer came back, which is no earlier than
// when Telegram counted it, so the window never runs ahead of Telegram's.
type pacer struct {
	interval time.Duration // between messages to one chat; 0 = no per-chat pacing
	burst    int
	groupN   int           // messages per group per minute; 0 = no limit
	minute   time.Duration // Telegram's minute (60 × unit)
	unit     time.Duration // Telegram's second, the unit of retry_after
	margin   time.Duration // added to every pause
	metrics  *Metrics

	mu         sync.Mutex
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

// newPacer returns a pacer; see Options for the meaning of the arguments.
func newPacer(interval time.Duration, burst, groupN int, unit time.Duration, m *Metrics) *pacer {
	return &pacer{
		interval: interval, burst: max(burst, 1), groupN: groupN,
		minute: 60 * unit, unit: unit, margin: unit / 2, metrics: m,
		chats: make(map[int64]*chatPace),
	}
}

// isGroup reports whether chat is a group or channel (negative ids).
func isGroup(chat int64) bool { return chat < 0 }

// waitLocked returns how long chat must wait at now before it may get a
// message: 0 if it may. p.mu is held.
func (p *pacer) waitLocked(chat int64, now time.Time) time.Duration {
	if now.Before(p.pauseUntil) {
		return p.pauseUntil.Sub(now)
	}
	c := p.chats[chat]
	if c == nil || chat == 0 {
		return 0
	}
	var wait time.Duration
	if p.interval > 0 {
		if tokens := c.tokensAt(now, p.interval, p.burst); tokens < 1 {
			wait = time.Duration((1 - tokens) * float64(p.interval))
		}
	}
	if isGroup(chat) && p.groupN > 0 {
		c.sent = trimTimes(c.sent, now.Add(-p.minute))
		if len(c.sent)+c.pending >= p.groupN {
			w := p.minute // all pending: finish() wakes the caller sooner
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

// wait reports how long chat must wait at now before it may get a message.
func (p *pacer) wait(chat int64, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitLocked(chat, now)
}

// take claims the right to send one message to chat at now, if it may get
// one; otherwise it reports how long to wait. A claim must be followed by
// finish once the request is answered or given up.
func (p *pacer) take(chat int64, now time.Time) (bool, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.waitLocked(chat, now); w > 0 {
		return false, w
	}
	if chat == 0 {
		return true, 0
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
	if isGroup(chat) {
		c.pending++
	}
	return true, 0
}

// finish records the end of a request claimed with take: when its answer
// came, if it was sent at all.
func (p *pacer) finish(chat int64, sent bool, at time.Time) {
	if !isGroup(chat) {
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
func (p *pacer) pruneLocked(now time.Time) {
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

// pause holds all sending for retryAfter of Telegram's seconds, plus a
// margin, from now; a pause already running longer is kept. It returns when
// the pause ends.
func (p *pacer) pause(retryAfter int) time.Time {
	until := time.Now().Add(time.Duration(max(retryAfter, 1))*p.unit + p.margin)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.pauseUntil) {
		p.pauseUntil = until
		p.metrics.setPause(until)
	}
	return p.pauseUntil
}

// pausedFor returns how much of the current pause is left at now.
func (p *pacer) pausedFor(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.pauseUntil.Sub(now), 0)
}

// waitPause returns when no pause runs, or ctx's error if it ends first.
func (p *pacer) waitPause(ctx context.Context) error {
	for {
		d := p.pausedFor(time.Now())
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// claim waits until chat may get a message and takes it (see take).
func (p *pacer) claim(ctx context.Context, chat int64) error {
	for {
		ok, d := p.take(chat, time.Now())
		if ok {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// floodWait returns retry_after if err is Telegram's 429.
func floodWait(err error) (int, bool) {
	var flood tele.FloodError
	if errors.As(err, &flood) {
		return flood.RetryAfter, true
	}
	var te *tele.Error
	if errors.As(err, &te) && te.Code == 429 {
		return 1, true // a 429 without retry_after
	}
	return 0, false
}

// chatID is the chat a recipient stands for, 0 if it is not a numeric id.
func chatID(to tele.Recipient) int64 {
	id, err := strconv.ParseInt(to.Recipient(), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// direct sends a direct answer with fn: it keeps the chat's pacing and any
// 429 pause, but not the Sender's bulk rate. After a 429 it pauses all
// sending and tries once more when the pause is over, so that the person
// still gets their answer.
func (b *Bot) direct(ctx context.Context, chat int64, fn func() error) error {
	for attempt := 0; ; attempt++ {
		if err := b.pacer.claim(ctx, chat); err != nil {
			return err
		}
		err := fn()
		b.pacer.finish(chat, err == nil, time.Now())
		n, flood := floodWait(err)
		if !flood || attempt > 0 {
			return err
		}
		b.pacer.pause(n)
	}
}

package telegramtest

import (
	"math"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are the flood limits the server enforces on sending methods
// (sendMessage, sendDocument, sendPhoto, sendLocation, editMessageText,
// editMessageCaption, editMessageReplyMarkup). A zero field means no limit.
// All limits are off until set with WithLimits or SetLimits.
//
// Over a limit the server answers 429 "Too Many Requests: retry after N" with
// parameters.retry_after = N, an integer ≥ 1 counted in the server's seconds,
// and keeps refusing that chat (or, for Global, every chat) until the N
// seconds have passed, as Telegram does. With Scale ≠ 1 the server's second
// lasts time.Second/Scale (see Server.Second): at Scale 100 a "retry after 1"
// pause lasts 10 ms, and all rates run 100 times faster. A client under test
// should multiply retry_after by Server.Second() rather than time.Second.
type Limits struct {
	// Global is the number of messages per second over all chats (Telegram: 30).
	Global int
	// PerChat is the number of messages per second in one chat (Telegram: 1).
	PerChat int
	// PerChatBurst is how many messages one chat takes at once before PerChat
	// applies (Telegram tolerates a short burst; 0 means 3).
	PerChatBurst int
	// PerGroupPerMinute is the number of messages per minute in one group
	// (Telegram: 20), counted over a sliding minute.
	PerGroupPerMinute int
	// Scale speeds the limits' clock up; 0 means 1 (real time).
	Scale float64
}

// TelegramLimits returns the limits Telegram documents: 30 messages/s in
// total, 1/s per chat with bursts of 3, 20/minute per group.
func TelegramLimits() Limits {
	return Limits{Global: 30, PerChat: 1, PerChatBurst: 3, PerGroupPerMinute: 20, Scale: 1}
}

// SetLimits changes the limits; the zero Limits turns them off.
func (s *Server) SetLimits(l Limits) { s.limiter.set(l) }

// Second is the length of one of the server's seconds: time.Second divided
// by Limits.Scale.
func (s *Server) Second() time.Duration {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	return s.limiter.second
}

// ForceRetryAfter starts a "429 storm": every sending request answers 429
// with the remaining retry_after until the given number of (server) seconds
// have passed.
func (s *Server) ForceRetryAfter(seconds int) {
	l := &s.limiter
	l.mu.Lock()
	defer l.mu.Unlock()
	until := time.Now().Add(time.Duration(seconds) * l.second)
	l.stormUntil = until
	if until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
}

// ForceRetryAfterOn makes the next calls requests to method (any method,
// case-insensitive) answer 429 "Too Many Requests: retry after <seconds>"
// with parameters.retry_after, changing nothing. Telegram may answer any
// method so (Client.cpp answers with set_retry_after_error from many
// places, and passes on the flood waits of Telegram's servers), not only
// the sending ones Limits model. A later call for the same method replaces
// the earlier one; calls 0 stops it.
func (s *Server) ForceRetryAfterOn(method string, calls, seconds int) {
	s.limiter.force(method, calls, tooManyRequests(max(seconds, 1)))
}

// ForceErrorOn makes the next calls requests to method answer the error
// code with description, changing nothing: for answers the fake cannot
// otherwise produce, such as 400 "Bad Request: CHAT_NOT_MODIFIED", which
// Telegram gives for the title a chat already has when its cache is stale.
// description is the whole text, prefix included ("Bad Request: …").
func (s *Server) ForceErrorOn(method string, calls, code int, description string) {
	s.limiter.force(method, calls, &apiError{code: code, description: description})
}

type forcedAnswer struct {
	calls int
	err   *apiError
}

func (l *limiter) force(method string, calls int, e *apiError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.forced == nil {
		l.forced = make(map[string]*forcedAnswer)
	}
	l.forced[strings.ToLower(method)] = &forcedAnswer{calls: calls, err: e}
	l.anyForced.Store(true)
}

// forcedFor gives the answer ForceRetryAfterOn or ForceErrorOn asked for.
func (l *limiter) forcedFor(method string) *apiError {
	if !l.anyForced.Load() {
		return nil // the common case costs no lock
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.forced[strings.ToLower(method)]
	if f == nil || f.calls <= 0 {
		return nil
	}
	f.calls--
	return f.err
}

// setWebhookOnce lets setWebhook with a URL through once a second, as
// Client.cpp does (process_set_webhook_query: next_allowed_set_webhook_time_
// = now + 1, else retry after 1). The second is the limits' second.
func (l *limiter) setWebhookOnce(now time.Time) *apiError {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.second == 0 {
		l.second = time.Second
	}
	if now.Before(l.nextSetWebhook) {
		return tooManyRequests(1)
	}
	l.nextSetWebhook = now.Add(l.second)
	return nil
}

type bucket struct {
	tokens float64
	last   time.Time
	until  time.Time // refused until then after a 429
}

// take removes one token if there is one, refilling rate per second up to
// burst; otherwise it says how long until one is available.
func (b *bucket) take(now time.Time, rate float64, burst int, second time.Duration) (bool, time.Duration) {
	if b.last.IsZero() {
		b.tokens, b.last = float64(burst), now
	}
	b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*float64(time.Second)/float64(second)*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	need := (1 - b.tokens) / rate // server seconds
	return false, time.Duration(need * float64(second))
}

type chatLimit struct {
	bucket
	window  []time.Time // group sends in the last minute
	recent  []time.Time // sends in the last second (for Stats)
	minute  []time.Time // group sends in the last minute (for Stats)
	blocked time.Time
}

// limiter enforces Limits and measures the rates the bot achieved.
type limiter struct {
	mu         sync.Mutex
	lim        Limits
	on         bool
	second     time.Duration
	global     bucket
	chats      map[int64]*chatLimit
	stormUntil time.Time
	pauseUntil time.Time // end of the latest retry_after window given
	recent     []time.Time

	forced         map[string]*forcedAnswer // ForceRetryAfterOn and ForceErrorOn, by lower-case method
	anyForced      atomic.Bool
	nextSetWebhook time.Time

	maxChat, maxGroup, maxGlobal int
}

func (l *limiter) set(lim Limits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim.Scale <= 0 {
		lim.Scale = 1
	}
	if lim.PerChatBurst <= 0 {
		lim.PerChatBurst = 3
	}
	l.lim = lim
	l.on = lim.Global > 0 || lim.PerChat > 0 || lim.PerGroupPerMinute > 0
	l.second = time.Duration(float64(time.Second) / lim.Scale)
	l.global = bucket{}
	for _, c := range l.chats {
		c.bucket = bucket{}
		c.window = nil
	}
}

func (l *limiter) chat(id int64) *chatLimit {
	if l.chats == nil {
		l.chats = make(map[int64]*chatLimit)
	}
	c := l.chats[id]
	if c == nil {
		c = &chatLimit{}
		l.chats[id] = c
	}
	return c
}

// notePauseRequest counts a sending request that arrives during a pause.
func (l *limiter) notePauseRequest(now time.Time, st *counters) {
	l.mu.Lock()
	if now.Before(l.pauseUntil) {
		st.duringPause.Add(1)
	}
	l.mu.Unlock()
}

// retryAfter rounds a wait up to whole server seconds, at least 1.
func (l *limiter) retryAfter(wait time.Duration) int {
	n := int(math.Ceil(float64(wait) / float64(l.second)))
	return max(n, 1)
}

// refuse answers 429 and starts the pause window.
func (l *limiter) refuse(now time.Time, wait time.Duration) *apiError {
	n := l.retryAfter(wait)
	if until := now.Add(time.Duration(n) * l.second); until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
	return tooManyRequests(n)
}

// admit decides whether one more message may go to c now, and records it
// for Stats when it may. c.mu is held by the caller.
func (l *limiter) admit(c *chat, now time.Time, st *counters) *apiError {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.second == 0 {
		l.second = time.Second
	}
	if now.Before(l.stormUntil) {
		return l.refuse(now, l.stormUntil.Sub(now))
	}
	cl := l.chat(c.id)
	group := c.kind != "private"
	if l.on {
		if now.Before(cl.blocked) {
			return l.refuse(now, cl.blocked.Sub(now))
		}
		if now.Before(l.global.until) {
			return l.refuse(now, l.global.until.Sub(now))
		}
		minute := 60 * l.second
		if group && l.lim.PerGroupPerMinute > 0 {
			cl.window = trimBefore(cl.window, now.Add(-minute))
			if len(cl.window) >= l.lim.PerGroupPerMinute {
				wait := cl.window[0].Add(minute).Sub(now)
				e := l.refuse(now, wait)
				cl.blocked = now.Add(time.Duration(e.retryAfter) * l.second)
				return e
			}
		}
		if l.lim.PerChat > 0 {
			probe := cl.bucket
			if ok, wait := probe.take(now, float64(l.lim.PerChat), l.lim.PerChatBurst, l.second); !ok {
				e := l.refuse(now, wait)
				cl.blocked = now.Add(time.Duration(e.retryAfter) * l.second)
				return e
			}
		}
		if l.lim.Global > 0 {
			if ok, wait := l.global.take(now, float64(l.lim.Global), l.lim.Global, l.second); !ok {
				e := l.refuse(now, wait)
				l.global.until = now.Add(time.Duration(e.retryAfter) * l.second)
				return e
			}
		}
		if l.lim.PerChat > 0 {
			cl.bucket.take(now, float64(l.lim.PerChat), l.lim.PerChatBurst, l.second)
		}
		if group && l.lim.PerGroupPerMinute > 0 {
			cl.window = append(cl.window, now)
		}
	}
	// Measure what the bot achieved.
	cl.recent = append(trimBefore(cl.recent, now.Add(-l.second)), now)
	l.maxChat = max(l.maxChat, len(cl.recent))
	if group {
		cl.minute = append(trimBefore(cl.minute, now.Add(-60*l.second)), now)
		l.maxGroup = max(l.maxGroup, len(cl.minute))
	}
	l.recent = append(trimBefore(l.recent, now.Add(-l.second)), now)
	l.maxGlobal = max(l.maxGlobal, len(l.recent))
	return nil
}

// trimBefore drops the times not after t (ts is sorted).
func trimBefore(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(t) {
		i++
	}
	if i == 0 {
		return ts
	}
	n := copy(ts, ts[i:])
	return ts[:n]
}

func (l *limiter) observed() (perChat, perGroup, global int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxChat, l.maxGroup, l.maxGlobal
}

// Faults makes sending methods fail at random, to test retries. Rates are
// probabilities in [0,1]; the zero Faults injects nothing.
type Faults struct {
	// ServerErrorRate is the share of requests answered with a server error:
	// half 500 {"ok":false,"error_code":500,"description":"Internal Server
	// Error"}, half 502 with nginx's HTML "Bad Gateway" page, as Telegram's
	// front end sends it (telebot's Raw then reports no error at all).
	ServerErrorRate float64
	// TimeoutRate is the share of requests held for Delay and then dropped
	// without an answer (the connection is closed).
	TimeoutRate float64
	// Delay is how long a timed-out request is held (default 100 ms).
	Delay time.Duration
	// Seed makes the draws reproducible for a given order of requests.
	Seed int64
}

type fault int

const (
	faultNone fault = iota
	faultTimeout
	faultInternal
	faultBadGateway
)

type faultInjector struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.f = f
	fi.rng = rand.New(rand.NewSource(f.Seed))
}

func (fi *faultInjector) draw() fault {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.f.ServerErrorRate <= 0 && fi.f.TimeoutRate <= 0 {
		return faultNone
	}
	x := fi.rng.Float64()
	switch {
	case x < fi.f.TimeoutRate:
		return faultTimeout
	case x < fi.f.TimeoutRate+fi.f.ServerErrorRate/2:
		return faultInternal
	case x < fi.f.TimeoutRate+fi.f.ServerErrorRate:
		return faultBadGateway
	}
	return faultNone
}

func (fi *faultInjector) delay() time.Duration {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.f.Delay <= 0 {
		return 100 * time.Millisecond
	}
	return fi.f.Delay
}

// InjectFaults makes sending methods (those Limits apply to) fail at random
// from now on; InjectFaults(Faults{}) stops it. A request that fails this way
// changes nothing in the chats.
func (s *Server) InjectFaults(f Faults) { s.faults.set(f) }

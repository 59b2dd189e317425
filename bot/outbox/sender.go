package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// Store is what the Sender needs of the database: the outbox queue and the
// ways an item leaves it, each in one transaction with its effect.
type Store interface {
	Due(ctx context.Context, now time.Time, limit, perChat int, held func(id uint64) bool) ([]multaque.OutboxItem, error)
	OutboxLen(ctx context.Context) (int, error)
	Delivered(ctx context.Context, id uint64) error
	Retry(ctx context.Context, id uint64, notBefore time.Time, errText string) error
	Bury(ctx context.Context, id uint64, errText string) error
	DropUnreachable(ctx context.Context, id uint64, person int64) error
}

// Options configure a Sender. Zero fields take the defaults named.
type Options struct {
	// Rate is the bulk rate: outbox messages per second over all chats.
	// Default 25, which leaves Telegram's 30/s some room for direct answers.
	Rate float64
	// Workers is how many items may be in flight at once, from the request
	// to the commit that records its answer; it must cover Rate × (round
	// trip + commit). It also bounds the messages a crash can send twice.
	// Default 16.
	Workers int
	// Window is how many due items the Sender holds in memory to choose
	// from; at most 4 of them are of one chat. Default 512.
	Window int
	// PollInterval is how often the outbox is read for items enqueued or
	// come due since; Wake reads it at once. Default 1s.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait before an item that failed
	// for a passing reason (5xx, timeout, network) goes again: MinBackoff
	// doubled with every attempt, with jitter. Default 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many passing failures an item survives before it
	// is dead. Default 50 (hours of backoff).
	MaxAttempts int
	// SendTimeout bounds one request to Telegram, and so how long Run waits
	// for the requests in flight when it stops. Default 15s.
	SendTimeout time.Duration
	// ChatGone is told when a group is deleted or the bot was removed from
	// it, with the item that found out (its Owner says whose the chat was).
	// It must be idempotent: it is told again for every item to that chat,
	// and again if the process stops before the item is buried. If it fails
	// the item is retried later, so that the news is not lost.
	ChatGone func(ctx context.Context, item multaque.OutboxItem) error
	// Logger gets the Sender's log lines; default none.
	Logger *zerolog.Logger
}

// Sender drains the outbox: it sends the due items in priority and time
// order at the bulk rate, keeps each chat's and each group's pace (with the
// Bot's direct answers), pauses everything on 429, backs off per item on
// passing failures, and settles every item in one transaction with its
// effect (delivered, retried, dropped as unreachable, dead).
//
// Delivery is at least once: an item is sent twice only if the process
// dies between Telegram's answer and the commit that records it.
type Sender struct {
	store   Store
	wire    *tg.Client // the Sender's own, with SendTimeout, held during pauses
	pacer   *tg.Pacer
	metrics *tg.Metrics
	limiter *rate.Limiter
	opts    Options
	log     zerolog.Logger
	wake    chan struct{}
	waits   map[int64]time.Duration // pick's scratch space
	// storeDown is set while the store refuses to record what was sent
	// (EUNAVAILABLE): nothing new is sent until it takes writes again.
	storeDown atomic.Bool
}

// perChatDue is how many items of one chat the Sender holds at once.
const perChatDue = 4

// New returns a Sender that sends the outbox of store through wire,
// sharing wire's pacer, so that the bot's direct answers and the outbox
// keep one pace per chat and one pause.
func New(wire *tg.Client, store Store, opts Options) (*Sender, error) {
	if opts.Rate <= 0 {
		opts.Rate = 25
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Window <= 0 {
		opts.Window = 512
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Minute, opts.MinBackoff)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 50
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 15 * time.Second
	}
	log := zerolog.Nop()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	// A client of its own, with a timeout meant for sending rather than
	// for long polling, whose requests wait while a 429 pause runs.
	transport := wire.HTTP().Transport
	if transport == nil {
		// http.DefaultTransport keeps 2 idle connections per host: the
		// other workers would open a new TLS connection for every message.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = opts.Workers
		transport = t
	}
	own, err := wire.WithHTTP(&http.Client{Transport: transport, Timeout: opts.SendTimeout}, true)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	pacer := wire.Pacer()
	return &Sender{
		store:   store,
		wire:    own,
		pacer:   pacer,
		metrics: wire.Metrics(),
		// A tenth of a (Telegram) second's worth of burst makes up for a
		// scheduler that wakes late, yet keeps any second under Rate × 1.1.
		limiter: rate.NewLimiter(rate.Limit(opts.Rate), max(1, int(opts.Rate*pacer.Unit().Seconds()/10))),
		opts:    opts,
		log:     log.With().Str("component", "sender").Logger(),
		wake:    make(chan struct{}, 1),
		waits:   make(map[int64]time.Duration),
	}, nil
}

// Wake makes a running Sender read the outbox now rather than at its next
// poll, for a caller that just enqueued something urgent. It never blocks,
// and does nothing on a nil Sender.
func (s *Sender) Wake() {
	if s == nil {
		return // no Sender runs
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// held is an item the Sender holds in memory.
type held struct {
	item     multaque.OutboxItem
	inFlight bool // sent or being sent, not settled yet
}

// sendResult is what a worker reports once it has settled an item.
type sendResult struct {
	id      uint64
	chat    int64
	requeue bool // not settled: the item stays in memory and goes again
}

// Run sends until ctx is done, then waits for the requests in flight and
// records their outcome before it returns: an item is either settled or
// still in the outbox for the next Run. It returns nil after a clean stop.
//
// One goroutine (this one) owns the items held in memory and decides what
// goes next; each item goes on a goroutine of its own, which makes the
// request, settles the item in the store and reports back. Until then the
// item counts against Workers and its chat is busy, so that one chat's
// items go one at a time and in order, a read of the outbox never brings
// back an item being settled, and a crash can send again at most Workers
// messages that were sent but not recorded.
func (s *Sender) Run(ctx context.Context) error {
	s.log.Info().Float64("rate", s.opts.Rate).Int("workers", s.opts.Workers).Msg("sender started")
	results := make(chan sendResult, s.opts.Workers)
	mem := make(map[uint64]*held)
	busy := make(map[int64]bool) // chats with an item not settled yet
	unsettled := 0
	var lastFill time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()

	settle := func(r sendResult) {
		unsettled--
		delete(busy, r.chat)
		if h := mem[r.id]; h != nil {
			if r.requeue {
				h.inFlight = false
			} else {
				delete(mem, r.id)
			}
		}
	}
	for ctx.Err() == nil {
		now := time.Now()
		if now.Sub(lastFill) >= s.opts.PollInterval ||
			(len(mem)-unsettled < s.opts.Window/2 && now.Sub(lastFill) >= s.opts.PollInterval/20) {
			s.fill(ctx, mem, now)
			lastFill = now
		}
		next := lastFill.Add(s.opts.PollInterval).Sub(now)
		if unsettled < s.opts.Workers && !s.storeDown.Load() {
			h, wait := s.pick(mem, busy, now)
			if h != nil {
				if ok, _ := s.pacer.TakeBulk(h.item.Chat, now); ok {
					if err := s.limiter.Wait(ctx); err != nil {
						s.pacer.Finish(h.item.Chat, false, time.Now())
						break
					}
					h.inFlight = true
					busy[h.item.Chat] = true
					unsettled++
					go func(it multaque.OutboxItem) { results <- s.deliver(ctx, it) }(h.item)
					continue
				}
				wait = time.Millisecond // a direct answer took the chat's turn: look again
			}
			next = min(next, wait)
		}
		timer.Reset(max(next, 0))
		select {
		case r := <-results:
			settle(r)
		case <-s.wake:
			lastFill = time.Time{}
		case <-timer.C:
		case <-ctx.Done():
		}
		// Settle whatever else finished, so that the next pick sees it.
		for drained := false; !drained; {
			select {
			case r := <-results:
				settle(r)
			default:
				drained = true
			}
		}
	}
	for unsettled > 0 {
		settle(<-results)
	}
	s.log.Info().Msg("sender stopped")
	return nil
}

// fill adds to mem the due items it does not hold yet, up to the window,
// and refreshes the queue length metric.
func (s *Sender) fill(ctx context.Context, mem map[uint64]*held, now time.Time) {
	if n, err := s.store.OutboxLen(ctx); err == nil {
		s.metrics.QueueLength(n)
	}
	if len(mem) >= s.opts.Window {
		return
	}
	items, err := s.store.Due(ctx, now, s.opts.Window-len(mem), perChatDue, func(id uint64) bool { return mem[id] != nil })
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error().Err(err).Msg("read the outbox")
		}
		return
	}
	for _, it := range items {
		mem[it.ID] = &held{item: it}
	}
}

// pick returns the item to send next: of those whose chat may get a message
// now and has none in flight, the lowest priority, then the earliest, then
// the lowest id. With none, it says how long until one might be ready.
func (s *Sender) pick(mem map[uint64]*held, busy map[int64]bool, now time.Time) (*held, time.Duration) {
	var best *held
	wait := time.Duration(1<<63 - 1)
	clear(s.waits)
	for _, h := range mem {
		it := &h.item
		if h.inFlight || busy[it.Chat] {
			continue
		}
		if best != nil && !before(it, &best.item) {
			continue // cannot win; its wait is for a later look
		}
		w, ok := s.waits[it.Chat]
		if !ok {
			w = s.pacer.Wait(it.Chat, now)
			s.waits[it.Chat] = w
		}
		w = max(w, it.NotBefore.Sub(now))
		if w > 0 {
			wait = min(wait, w)
			continue
		}
		best = h
	}
	return best, wait
}

// before reports whether a goes out before b.
func before(a, b *multaque.OutboxItem) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	if !a.NotBefore.Equal(b.NotBefore) {
		return a.NotBefore.Before(b.NotBefore)
	}
	return a.ID < b.ID
}

// deliver sends one item and settles it in the store. It runs on its own
// goroutine; the pacer's claim on the chat was taken by Run.
func (s *Sender) deliver(ctx context.Context, it multaque.OutboxItem) sendResult {
	res := sendResult{id: it.ID, chat: it.Chat}
	// A 429 may have come while this item waited for its turn.
	if err := s.pacer.WaitPause(ctx); err != nil {
		s.pacer.Finish(it.Chat, false, time.Now())
		res.requeue = true
		return res
	}
	err := s.send(ctx, it)
	s.pacer.Finish(it.Chat, err == nil, time.Now())
	log := s.log.With().Uint64("item", it.ID).Str("kind", it.Kind).Int64("chat", it.Chat).Logger()

	// The outcome is recorded even when Run is stopping: the request went.
	var write func(ctx context.Context) error // the store write that settles the item
	switch class, retryAfter := tg.Classify(err, it.Chat); class {
	case tg.OK:
		s.metrics.Sent()
		write = func(ctx context.Context) error { return s.settleDelivered(ctx, it.ID) }
	case tg.Flood:
		s.metrics.Failed(tg.FailFlood)
		until := s.pacer.Pause(retryAfter)
		log.Warn().Int("retry_after", retryAfter).Time("until", until).Msg("429: all sending paused")
		res.requeue = true
	case tg.Transient:
		s.metrics.Failed(tg.FailTransient)
		write = func(ctx context.Context) error { return s.retry(ctx, it, err, log) }
	case tg.Unreachable:
		s.metrics.Failed(tg.FailUnreachable)
		log.Info().Err(err).Msg("person unreachable, item dropped")
		write = func(ctx context.Context) error { return s.store.DropUnreachable(ctx, it.ID, it.Chat) }
	case tg.ChatGone:
		s.metrics.Failed(tg.FailChatGone)
		log.Warn().Err(err).Str("owner", it.Owner).Msg("chat gone")
		write = func(ctx context.Context) error {
			if s.opts.ChatGone != nil {
				if gerr := s.opts.ChatGone(ctx, it); gerr != nil {
					if multaque.ErrorCode(gerr) == multaque.EUNAVAILABLE {
						return gerr // record waits for the store, then tells again
					}
					log.Error().Err(gerr).Msg("report a gone chat")
					return s.retry(ctx, it, err, log)
				}
			}
			return s.bury(ctx, it.ID, "chat gone: "+err.Error())
		}
	default: // Refused, NotModified (an outbox item is never an edit)
		s.metrics.Failed(tg.FailPermanent)
		log.Warn().Err(err).Msg("Telegram refused the item for good, moved to dead")
		write = func(ctx context.Context) error { return s.bury(ctx, it.ID, err.Error()) }
	}
	if write != nil {
		if serr := s.record(ctx, log, write); serr != nil {
			// The item stays in the outbox as it was and goes again later.
			log.Error().Err(serr).Msg("record the outcome of a send")
		}
	}
	return res
}

// maxStoreBackoff bounds record's wait between two tries of a write the
// store refused.
const maxStoreBackoff = time.Minute

// record runs write, the store write that settles a sent item, even when
// Run is stopping (the request went). While the store refuses writes
// (EUNAVAILABLE: a full disk, a read-only file system) it holds the item,
// pauses all sending (a message whose sending cannot be recorded would go
// again at every poll) and tries again with backoff, from MinBackoff
// doubling to a minute, until the store takes it or ctx is done; the item
// then stays in the outbox and goes again after a restart. The pause and
// its end are logged once each.
func (s *Sender) record(ctx context.Context, log zerolog.Logger, write func(ctx context.Context) error) error {
	sctx := context.WithoutCancel(ctx)
	err := write(sctx)
	for wait := s.opts.MinBackoff; multaque.ErrorCode(err) == multaque.EUNAVAILABLE; wait = min(2*wait, maxStoreBackoff) {
		if s.storeDown.CompareAndSwap(false, true) {
			log.Warn().Err(err).Msg("the store cannot write: sending paused until it can")
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		err = write(sctx)
	}
	if s.storeDown.CompareAndSwap(true, false) {
		s.log.Info().Msg("the store writes again: sending resumes")
	}
	return err
}

// settleDelivered records a delivery, trying a few times: an item whose
// delivery is not recorded is sent again.
func (s *Sender) settleDelivered(ctx context.Context, id uint64) error {
	var err error
	for attempt := range 3 {
		if err = s.store.Delivered(ctx, id); err == nil || multaque.ErrorCode(err) == multaque.EINVALID || multaque.ErrorCode(err) == multaque.EUNAVAILABLE {
			return err // EUNAVAILABLE: record waits for the store
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return err
}

// retry puts an item back for later with exponential backoff and jitter, or
// buries it once it has failed MaxAttempts times.
func (s *Sender) retry(ctx context.Context, it multaque.OutboxItem, cause error, log zerolog.Logger) error {
	attempts := it.Attempts + 1
	if attempts >= s.opts.MaxAttempts {
		log.Warn().Err(cause).Int("attempts", attempts).Msg("giving up on the item")
		return s.bury(ctx, it.ID, fmt.Sprintf("after %d attempts: %v", attempts, cause))
	}
	d := backoff(attempts, s.opts.MinBackoff, s.opts.MaxBackoff)
	log.Debug().Err(cause).Int("attempts", attempts).Dur("backoff", d).Msg("send failed, will retry")
	return s.store.Retry(ctx, it.ID, time.Now().Add(d), cause.Error())
}

func (s *Sender) bury(ctx context.Context, id uint64, errText string) error {
	s.metrics.Dead()
	return s.store.Bury(ctx, id, errText)
}

// backoff is the wait after the attempts-th failure: lo doubled with every
// failure up to hi, then spread over ±50% so that items that failed
// together do not come back together.
func backoff(attempts int, lo, hi time.Duration) time.Duration {
	d := hi
	if attempts-1 < 40 {
		d = min(lo<<(attempts-1), hi)
	}
	return d/2 + rand.N(d+1)
}

// send makes the request for one item.
func (s *Sender) send(ctx context.Context, it multaque.OutboxItem) error {
	m := tg.Outgoing{Chat: it.Chat, Text: it.Text, ParseMode: it.ParseMode}
	for _, row := range it.Keyboard {
		var r []tg.InlineButton
		for _, b := range row {
			r = append(r, tg.InlineButton{Text: b.Text, URL: b.URL, Data: b.Data})
		}
		m.Keyboard = append(m.Keyboard, r)
	}
	if d := it.Document; d != nil {
		m.File = &tg.File{Name: d.Name, MIME: d.MIME, Data: d.Data}
	}
	_, err := s.wire.Post(context.WithoutCancel(ctx), m) // the request goes, even while Run stops
	return err
}

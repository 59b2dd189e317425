package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// Store is everything the bot's rooms need of the database: each room
// declares its own part (CitizenStore, TeamStore, MentorStore, RoleStore,
// ReportStore, SteeringStore, ProposalStore, BroadcastStore) and gets only
// that; the intake adds the record of the updates handled. cmd/multaque
// passes the one database that is all of them.
type Store interface {
	CitizenStore
	TeamStore
	MentorStore
	RoleStore
	ReportStore
	SteeringStore
	ProposalStore
	BroadcastStore
	DecisionStore
	PlanStore   // plan.go
	PledgeStore // pledges.go
	RecordUpdate(ctx context.Context, updateID int) (fresh bool, err error)
	SeenUpdate(ctx context.Context, updateID int) (bool, error)
	// The inbox (store/inbox.go): updates taken durably before Telegram is
	// told to move on, deleted once answered, handled again at start.
	TakeUpdates(ctx context.Context, updates []multaque.InboxUpdate, done []int) (fresh []bool, err error)
	DoneUpdates(ctx context.Context, ids []int) error
	Inbox(ctx context.Context) ([]multaque.InboxUpdate, error)
	// Awaiting says which conversation waits for the text person types
	// next (routes.go: onText).
	Awaiting(ctx context.Context, person int64) (multaque.Awaiting, error)
}

// Options configure a Bot.
type Options struct {
	Token   string
	APIURL  string // Bot API server, default https://api.telegram.org
	Store   Store
	Catalog Catalog
	Texts   Texts
	Logger  zerolog.Logger
	// Workers is how many chats' updates are handled at once (updates of
	// one chat are always handled in order, and wait only behind that
	// chat's own). Default 1024: a worker waiting for its chat's pace
	// holds no one else up.
	Workers int
	// FloodLimit is how many updates one person may send within
	// FloodWindow: the first over it gets one "slow down", the rest are
	// dropped unread until the window has passed. Default 20 in 10 s (see
	// docs/ARCHITECTURE.md, "The intake" for why); negative turns it off.
	FloodLimit  int
	FloodWindow time.Duration
	// GlobalPerSecond is the budget of messages a second over all chats,
	// shared by direct answers (first) and the Sender. Default 25, under
	// Telegram's 30; negative turns it off.
	GlobalPerSecond float64
	// PollTimeout is the long-polling timeout. Default 25s.
	PollTimeout time.Duration
	// Client makes the HTTP requests to the Bot API. Default: a client with
	// a timeout a little over PollTimeout.
	Client *http.Client
	// Now returns the current time; tests may pin it. Default time.Now.
	Now func() time.Time

	// PerChatInterval is the least time between two messages to one chat
	// after a short burst (Telegram: about 1 s), for direct answers and the
	// Sender alike; 0 turns per-chat pacing off.
	PerChatInterval time.Duration
	// PerChatBurst is how many messages one chat may get at once before
	// PerChatInterval applies. Default 2: one less than the 3 Telegram
	// tolerates, which leaves room for requests that reach it late.
	PerChatBurst int
	// PerGroupPerMinute is how many messages one group may get in any
	// minute. Default 20, Telegram's limit.
	PerGroupPerMinute int
	// RetryAfterUnit is the length of the seconds Telegram counts
	// retry_after in, and of a sixtieth of the minute of PerGroupPerMinute:
	// time.Second (the default), except against a fake Telegram whose clock
	// runs faster (telegramtest.Server.Second).
	RetryAfterUnit time.Duration
	// Metrics record what the bot does; nil records them nowhere.
	Metrics *tg.Metrics
	// Coordinators are the Telegram user ids allowed to run the
	// coordinators' commands (see coord_roles.go).
	Coordinators []int64
	// PoolLowWater: coordinators are alerted when fewer groups than this
	// are left free in the pool. Default 2.
	PoolLowWater int
	// ReminderAfter is how long after their invitation a team member who
	// has not joined the group gets their one reminder. Default 24h.
	ReminderAfter time.Duration
	// OnCatalogChange, if set, is called once a coordinator's change to the
	// catalogue is stored (a threshold, an approved proposal, a
	// translation: coord_catalogue.go), to rebuild the Catalog the bot and the
	// matcher read (see catalog.Live).
	OnCatalogChange func(ctx context.Context) error
	// Match runs a matching pass now, the one the schedule runs, and says
	// what it did: a coordinator's /match (coord_steering.go). Nil: /match says
	// it is not available.
	Match func(ctx context.Context) (MatchReport, error)
}

// Bot is Multaque's Telegram bot: the intake (updates in, one chat's in
// order, duplicates skipped), the route table that sends each update to its
// room, and the rooms, one for each kind of person it serves (see
// routes.go and docs/ARCHITECTURE.md).
type Bot struct {
	*core
	store       Store // the intake's: SeenUpdate, and Awaiting for typed text
	pollTimeout time.Duration
	dispatch    *tg.Dispatcher
	flood       *tg.FloodGate
	metrics     *tg.Metrics
	recent      *recentUpdates
	// routeFn routes an update: route, except in the tests of a panic.
	routeFn func(context.Context, *tg.Context) error
	// The updates answered and not yet deleted from the inbox (finish).
	doneMu       sync.Mutex
	doneIDs      []int
	stopFlush    chan struct{}
	flushStopped chan struct{}
	closeOnce    sync.Once
	*rooms
}

// New connects to the Bot API (getMe) and returns a bot ready to Run or to
// serve a webhook. Errors never contain the token.
func New(opts Options) (*Bot, error) {
	if opts.Token == "" {
		return nil, multaque.Errorf(multaque.EINVALID, "bot: no token")
	}
	if opts.Workers <= 0 {
		opts.Workers = 1024
	}
	if opts.FloodLimit == 0 {
		opts.FloodLimit = 20
	}
	if opts.FloodWindow <= 0 {
		opts.FloodWindow = 10 * time.Second
	}
	if opts.GlobalPerSecond == 0 {
		opts.GlobalPerSecond = 25
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 25 * time.Second
	}
	if opts.Client == nil {
		// Go's default transport keeps 2 idle connections per host: under
		// load every other request would dial anew. One Bot API host gets
		// all our requests, so keep as many as the workers use.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 72
		tr.MaxIdleConnsPerHost = 72
		opts.Client = &http.Client{Timeout: opts.PollTimeout + 15*time.Second, Transport: tr}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PerChatBurst <= 0 {
		opts.PerChatBurst = 2
	}
	if opts.PerGroupPerMinute <= 0 {
		opts.PerGroupPerMinute = 20
	}
	if opts.RetryAfterUnit <= 0 {
		opts.RetryAfterUnit = time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = tg.UnregisteredMetrics()
	}
	pacer := tg.NewPacer(opts.PerChatInterval, opts.PerChatBurst, opts.PerGroupPerMinute, opts.RetryAfterUnit, opts.Metrics)
	if opts.GlobalPerSecond > 0 {
		// A burst of a fifth of a second: any one second stays under
		// Telegram's 30 even when requests reach it late.
		pacer.SetGlobal(opts.GlobalPerSecond, max(int(opts.GlobalPerSecond/5), 3))
	}
	wire, err := tg.NewClient(tg.ClientOptions{
		Token: opts.Token, APIURL: opts.APIURL, HTTP: opts.Client, Metrics: opts.Metrics, Pacer: pacer,
	})
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.PollTimeout+15*time.Second)
	defer cancel()
	me, err := wire.Me(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: connect to the bot api: %w", err)
	}
	c := &core{
		wire:          wire,
		username:      me.Username,
		store:         opts.Store,
		survey:        &Survey{Catalog: opts.Catalog},
		view:          &renderer{cat: opts.Catalog, texts: opts.Texts, botName: me.Username},
		log:           opts.Logger.With().Str("component", "bot").Logger(),
		rootLog:       opts.Logger,
		now:           opts.Now,
		coordinators:  newCoordinatorSet(opts.Coordinators),
		provisionWake: make(chan struct{}, 1),
	}
	b := &Bot{core: c, store: opts.Store, pollTimeout: opts.PollTimeout, metrics: opts.Metrics, rooms: newRooms(c, opts)}
	if err := b.roles.loadCoordinators(); err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	if b.routes, err = newRoutes(b.routeTable(), opts.Texts); err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	c.routes = b.routes
	c.view.help = b.routes.helpLines()
	b.recent = newRecentUpdates(100_000)
	b.dispatch = tg.NewDispatcher(opts.Workers)
	b.flood = tg.NewFloodGate(opts.FloodLimit, opts.FloodWindow)
	b.routeFn = b.route
	b.stopFlush, b.flushStopped = make(chan struct{}), make(chan struct{})
	go b.flushDoneEvery(b.stopFlush, b.flushStopped)
	return b, nil
}

// Username is the bot's Telegram username.
func (b *Bot) Username() string { return b.username }

// Wire is the bot's Telegram client, for the Sender: one pacer for the
// direct answers and the outbox.
func (b *Bot) Wire() *tg.Client { return b.wire }

// Close stops taking updates and waits for those being handled; those
// queued behind them stay in the inbox for the next start.
func (b *Bot) Close() {
	b.dispatch.Close()
	b.closeOnce.Do(func() {
		close(b.stopFlush)
		<-b.flushStopped
		b.flushDone()
	})
}

// Run handles again what the inbox holds (Replay), then takes updates by
// long polling until ctx is done, finishes the updates being handled and
// returns. Each batch is written to the inbox in one transaction before
// the next request's offset confirms it to Telegram, and the next batch is
// asked for at once: a chat's updates wait only behind that chat's own
// (see docs/ARCHITECTURE.md, "The intake").
func (b *Bot) Run(ctx context.Context) error {
	defer b.Close()
	b.log.Info().Str("bot", b.username).Msg("starting")
	if err := b.Replay(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	return b.wire.Poll(ctx, func(ctx context.Context, batch []tg.Incoming) error {
		_, err := b.take(ctx, batch)
		return err
	}, b.pollTimeout, b.log)
}

// Replay hands the workers the updates left in the inbox by a stop or a
// crash, oldest first. Call it once at start, before taking new updates.
func (b *Bot) Replay(ctx context.Context) error {
	left, err := b.store.Inbox(ctx)
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	if len(left) > 0 {
		b.log.Info().Int("updates", len(left)).Msg("handling again the updates a stop left in the inbox")
	}
	for _, e := range left {
		var u tg.Update
		if err := json.Unmarshal(e.Body, &u); err != nil || u.ID != e.ID {
			b.log.Error().Int("update_id", e.ID).Msg("an update in the inbox cannot be read: dropped")
			if err := b.store.DoneUpdates(ctx, []int{e.ID}); err != nil {
				return fmt.Errorf("bot: %w", err)
			}
			continue
		}
		if _, err := b.submit(ctx, u, e.Arrived, true); err != nil {
			return err
		}
	}
	return nil
}

// WebhookHandler returns the http.Handler Telegram posts updates to (see
// tg.WebhookHandler): it answers 200 as soon as the update is in the
// inbox, never after a pace. Call Replay before serving it.
func (b *Bot) WebhookHandler(secret string, maxBody int64) http.Handler {
	return tg.WebhookHandler(secret, maxBody, func(ctx context.Context, in tg.Incoming) error {
		_, err := b.take(ctx, []tg.Incoming{in})
		return err
	}, b.metrics, b.log.With().Str("transport", "webhook").Logger())
}

// SetWebhook tells Telegram to post updates to publicURL with secret.
func (b *Bot) SetWebhook(publicURL, secret string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return b.wire.SetWebhook(ctx, publicURL, secret)
}

// HandleUpdate takes one update as the intake does (inbox, flood limit,
// its chat's queue) and returns when it is handled. An update seen before
// is skipped. It is safe for concurrent use; updates of one chat are
// handled in the order they are submitted.
func (b *Bot) HandleUpdate(ctx context.Context, u tg.Update) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return multaque.Errorf(multaque.EINVALID, "update %d: %v", u.ID, err)
	}
	dones, err := b.take(ctx, []tg.Incoming{{Update: u, Raw: raw, Arrived: time.Now()}})
	if err != nil {
		return err
	}
	if dones[0] != nil {
		if handled := <-dones[0]; !handled {
			return multaque.Errorf(multaque.EUNAVAILABLE, "bot is shutting down")
		}
	}
	return nil
}

// take is the intake: it passes the batch through the flood limit, writes
// the updates let in to the inbox in one transaction, and queues each on
// its chat. Only once it returns nil may Telegram be told to move on. Each
// update gets a channel that says whether it was handled (nil: not queued,
// as a duplicate or a flood).
func (b *Bot) take(ctx context.Context, batch []tg.Incoming) ([]chan bool, error) {
	dones := make([]chan bool, len(batch))
	verdicts := make([]tg.Verdict, len(batch))
	entries := make([]multaque.InboxUpdate, 0, len(batch))
	for i := range batch {
		in := &batch[i]
		switch {
		case in.Update.ID <= 0:
			b.metrics.Unparseable()
			b.log.Error().Msg("an update without an id: dropped")
			verdicts[i] = tg.Drop
			continue
		case b.recent.has(in.Update.ID):
			verdicts[i] = tg.Drop
			continue
		}
		verdicts[i] = b.flood.Check(tg.Sender(&in.Update), in.Arrived)
		if verdicts[i] == tg.Admit {
			entries = append(entries, multaque.InboxUpdate{ID: in.Update.ID, Arrived: in.Arrived, Body: in.Raw})
		} else {
			b.metrics.Flooded()
		}
	}
	var fresh []bool
	if len(entries) > 0 {
		var err error
		done := b.takeDone()
		if fresh, err = b.store.TakeUpdates(ctx, entries, done); err != nil {
			b.putDone(done)
			if multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
				b.log.Warn().Err(err).Msg("take updates")
				return nil, err
			}
			// The store takes no writes (a full or read-only disk): handle
			// the batch without the inbox, so that people are told, and
			// let Telegram move on only once it is handled, as before
			// there was an inbox.
			b.log.Warn().Err(err).Msg("take updates: the inbox cannot be written, handling the batch before confirming it")
			return b.takeUnwritten(ctx, batch, verdicts)
		}
	}
	for i := range batch {
		in := &batch[i]
		switch verdicts[i] {
		case tg.Admit:
			f := fresh[0]
			fresh = fresh[1:]
			if !f {
				continue // in the inbox already, or handled before
			}
			done, err := b.submit(ctx, in.Update, in.Arrived, false)
			if err != nil {
				return nil, err // in the inbox: the next start handles it
			}
			dones[i] = done
		case tg.SlowDown:
			b.slowDown(ctx, in.Update)
		}
	}
	return dones, nil
}

// takeUnwritten queues the updates let in without the inbox and returns
// once they are handled.
func (b *Bot) takeUnwritten(ctx context.Context, batch []tg.Incoming, verdicts []tg.Verdict) ([]chan bool, error) {
	dones := make([]chan bool, len(batch))
	for i := range batch {
		if verdicts[i] != tg.Admit {
			continue
		}
		done, err := b.submit(ctx, batch[i].Update, batch[i].Arrived, false)
		if err != nil {
			return nil, err
		}
		dones[i] = done
	}
	for i, done := range dones {
		if done == nil {
			continue
		}
		if handled := <-done; !handled {
			return nil, multaque.Errorf(multaque.EUNAVAILABLE, "bot is shutting down")
		}
		dones[i] = make(chan bool, 1)
		dones[i] <- true
	}
	return dones, nil
}

// submit queues u on its chat.
func (b *Bot) submit(ctx context.Context, u tg.Update, arrived time.Time, replayed bool) (chan bool, error) {
	done := make(chan bool, 1)
	ctx = context.WithoutCancel(ctx) // an answer being given is finished
	err := b.dispatch.Submit(tg.ChatOf(&u), func() {
		b.handle(ctx, &u, arrived, replayed)
		done <- true
	}, func() { done <- false })
	if err != nil {
		return nil, err
	}
	return done, nil
}

// slowDown tells the person behind u, once, to slow down: in their chat's
// queue, after what they sent before. Nothing is written.
func (b *Bot) slowDown(ctx context.Context, u tg.Update) {
	ctx = context.WithoutCancel(ctx)
	_ = b.dispatch.Submit(tg.ChatOf(&u), func() {
		c := tg.NewContext(b.wire, &u)
		if ch := c.Chat(); ch == nil || ch.Type != tg.ChatPrivate {
			return // a group is not told
		}
		text := b.view.t(b.langOf(ctx, c), "flood_slow_down")
		if c.Callback() != nil {
			_ = c.Respond(&tg.CallbackResponse{Text: text})
		}
		if err := b.send(ctx, c.Recipient(), view{Text: text}); err != nil {
			b.log.Info().Err(b.wire.Redact(err)).Msg("send slow down")
		}
	}, nil)
}

// handle runs on its chat's worker.
func (b *Bot) handle(ctx context.Context, u *tg.Update, arrived time.Time, replayed bool) {
	log := b.log.With().Int("update_id", u.ID).Logger()
	if chat := tg.ChatOf(u); chat != 0 {
		log = log.With().Int64("chat", chat).Logger()
	}
	ctx = log.WithContext(ctx)
	began := time.Now() // not b.now, which tests may pin
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		// Logged without the panic's value, which may quote what the
		// person wrote; its type, and a runtime error's own words, are
		// the code's.
		ev := log.Error().Str("panic", fmt.Sprintf("%T", v)).Str("stack", string(debug.Stack()))
		if re, ok := v.(runtime.Error); ok {
			ev = ev.Str("error", re.Error())
		}
		ev.Msg("handling the update panicked: recorded as handled")
		b.metrics.Panicked()
		if _, err := b.store.RecordUpdate(context.WithoutCancel(ctx), u.ID); err != nil {
			log.Error().Err(err).Msg("record the update that panicked")
		}
		b.finish(ctx, u.ID)
	}()
	c := tg.NewContext(b.wire, u)
	if replayed {
		// Left in the inbox by a stop or a crash. If its change was
		// committed (the update was recorded in the same transaction, see
		// multaque.WithUpdate), its answer may not have gone: the person
		// gets their current screen rather than nothing.
		seen, err := b.store.SeenUpdate(ctx, u.ID)
		if err != nil {
			log.Error().Err(b.wire.Redact(err)).Msg("check update")
			return // stays in the inbox
		}
		if seen {
			b.reshow(ctx, c)
			b.finish(ctx, u.ID)
			return
		}
	}
	mctx, _ := multaque.WithUpdate(ctx, u.ID)
	if err := b.routeFn(mctx, c); err != nil {
		b.fail(mctx, c, err)
	}
	b.recent.add(u.ID)
	b.finish(ctx, u.ID)
	b.metrics.Handled(time.Since(began))
	b.metrics.Latency(time.Since(arrived))
	log.Debug().Dur("took", time.Since(began)).Msg("update handled")
}

// idle returns once no update is queued or being handled (for tests).
func (b *Bot) idle() {
	for b.dispatch.Queued() > 0 {
		time.Sleep(time.Millisecond)
	}
}

// finish notes an answered update, to be deleted from the inbox with the
// next batch taken (no write of its own) or by flushDone within
// doneFlushEvery. A crash before that hands it again at the next start:
// recognised if it changed anything (the person sees their current screen
// once more), else answered again.
func (b *Bot) finish(_ context.Context, id int) {
	b.doneMu.Lock()
	b.doneIDs = append(b.doneIDs, id)
	b.doneMu.Unlock()
}

// doneFlushEvery is how long an answered update may stay in the inbox
// when no new batch comes to take it out.
const doneFlushEvery = 100 * time.Millisecond

func (b *Bot) takeDone() []int {
	b.doneMu.Lock()
	defer b.doneMu.Unlock()
	ids := b.doneIDs
	b.doneIDs = nil
	return ids
}

// putDone gives back ids a failed write did not delete.
func (b *Bot) putDone(ids []int) {
	b.doneMu.Lock()
	b.doneIDs = append(b.doneIDs, ids...)
	b.doneMu.Unlock()
}

// flushDone deletes the answered updates from the inbox now.
func (b *Bot) flushDone() {
	ids := b.takeDone()
	if len(ids) == 0 {
		return
	}
	if err := b.store.DoneUpdates(context.Background(), ids); err != nil {
		b.putDone(ids)
		b.log.Warn().Err(err).Msg("clear answered updates from the inbox")
	}
}

// flushDoneEvery runs flushDone every doneFlushEvery until stop is closed.
func (b *Bot) flushDoneEvery(stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(doneFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			b.flushDone()
		}
	}
}

// reshow shows a person their current screen: the answer to an update
// whose change was committed before a crash took its answer.
func (b *Bot) reshow(ctx context.Context, c *tg.Context) {
	s, ch := c.Sender(), c.Chat()
	if s == nil || ch == nil || ch.Type != tg.ChatPrivate {
		return
	}
	cz, err := b.citizen(ctx, s.ID)
	if err != nil || cz == nil {
		return
	}
	_ = c.Respond()
	if err := b.citizens.reply(ctx, c, cz, b.survey.Resume(cz), nil); err != nil {
		zerolog.Ctx(ctx).Info().Err(b.wire.Redact(err)).Msg("show the current screen again")
	}
}

// fail tells the person something went wrong, in their language, and logs
// internal errors. A person is never left without an answer.
func (b *core) fail(ctx context.Context, c *tg.Context, err error) {
	log := zerolog.Ctx(ctx)
	err = b.wire.Redact(err)
	if b.unreachable(ctx, c, err) {
		return
	}
	if class, _ := tg.Classify(err, c.Recipient()); class == tg.Flood {
		// Telegram's 429 outlasted every retry: another request would
		// meet the same pause. Not the person's error to be told of.
		log.Warn().Msg("answer given up after repeated 429")
		return
	}
	lang := b.langOf(ctx, c)
	msg := "error_internal"
	switch multaque.ErrorCode(err) {
	case multaque.EUNAVAILABLE:
		msg = "error_unavailable"
		log.Warn().Err(err).Msg("store unavailable")
	case multaque.EINTERNAL:
		log.Error().Err(err).Msg("handle update")
	default:
		log.Info().Str("code", multaque.ErrorCode(err)).Msg("update refused")
	}
	text := b.view.t(lang, msg)
	if cq := c.Callback(); cq != nil {
		_ = c.Respond(&tg.CallbackResponse{Text: text})
	}
	if c.Chat() != nil && c.Chat().Type == tg.ChatPrivate {
		if err := b.send(ctx, c.Recipient(), view{Text: text}); err != nil {
			log.Warn().Err(err).Msg("send error message")
		}
	}
}

// unreachable marks a person who blocked the bot and reports whether err
// was that.
func (b *core) unreachable(ctx context.Context, c *tg.Context, err error) bool {
	if !tg.IsBlocked(err) {
		return false
	}
	if s := c.Sender(); s != nil {
		if err := b.store.MarkUnreachable(ctx, s.ID); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("mark unreachable")
		}
	}
	zerolog.Ctx(ctx).Info().Msg("person unreachable")
	return true
}

// langOf is the language to answer in: the stored citizen's, else the one
// Telegram reports for the sender.
func (b *core) langOf(ctx context.Context, c *tg.Context) multaque.Lang {
	s := c.Sender()
	if s == nil {
		return multaque.DefaultLang
	}
	if cz, err := b.store.Citizen(ctx, s.ID); err == nil {
		return cz.Lang
	}
	return MatchLanguage(s.LanguageCode)
}

// send posts a view to a chat. Direct answers go out at once, within the
// chat's pace and any 429 pause; the outbox handles everything else.
func (b *core) send(ctx context.Context, chat int64, v view) error {
	_, err := b.wire.Answer(ctx, v.outgoing(chat, 0))
	return err
}

// edit replaces the message whose button was pressed; if Telegram refuses
// (too old, deleted), the view is sent as a new message instead.
func (b *core) edit(ctx context.Context, c *tg.Context, v view) error {
	msg := c.Message()
	if msg == nil {
		return b.send(ctx, c.Recipient(), v)
	}
	var chat int64
	if msg.Chat != nil {
		chat = msg.Chat.ID
	}
	_, err := b.wire.Answer(ctx, v.outgoing(chat, msg.ID))
	switch class, _ := tg.Classify(err, chat); {
	case class == tg.OK, class == tg.NotModified:
		// Telegram answers "message is not modified: specified new message
		// content and reply markup are exactly the same…" when the screen
		// did not change.
		return nil
	case tg.IsBlocked(err), class == tg.Flood:
		return err // an edit stays an edit: a new message would meet the same
	}
	zerolog.Ctx(ctx).Debug().Err(err).Msg("edit failed, sending instead")
	return b.send(ctx, c.Recipient(), v)
}

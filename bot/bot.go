package bot

import (
	"context"
	"fmt"
	"net/http"
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
	// Workers is how many updates are handled at once (updates of one chat
	// are always handled in order). Default 64.
	Workers int
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
	metrics     *tg.Metrics
	recent      *recentUpdates
	*rooms
}

// New connects to the Bot API (getMe) and returns a bot ready to Run or to
// serve a webhook. Errors never contain the token.
func New(opts Options) (*Bot, error) {
	if opts.Token == "" {
		return nil, multaque.Errorf(multaque.EINVALID, "bot: no token")
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 25 * time.Second
	}
	if opts.Client == nil {
		// Go's default transport keeps 2 idle connections per host: under
		// load every other request would dial anew. One Bot API host gets
		// all our requests, so keep as many as the workers use.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = opts.Workers + 8
		tr.MaxIdleConnsPerHost = opts.Workers + 8
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
	wire, err := tg.NewClient(tg.ClientOptions{
		Token: opts.Token, APIURL: opts.APIURL, HTTP: opts.Client, Metrics: opts.Metrics,
		Pacer: tg.NewPacer(opts.PerChatInterval, opts.PerChatBurst, opts.PerGroupPerMinute, opts.RetryAfterUnit, opts.Metrics),
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
	b.dispatch = tg.NewDispatcher(opts.Workers, b.handle)
	return b, nil
}

// Username is the bot's Telegram username.
func (b *Bot) Username() string { return b.username }

// Wire is the bot's Telegram client, for the Sender: one pacer for the
// direct answers and the outbox.
func (b *Bot) Wire() *tg.Client { return b.wire }

// Close stops taking updates and waits for those in flight.
func (b *Bot) Close() { b.dispatch.Close() }

// Run takes updates by long polling until ctx is done, then finishes the
// updates in flight and returns. A batch is confirmed to Telegram (by the
// next request's offset) only once every update in it has been handled, so
// a crash loses no update; one handled but not confirmed is recognised by
// its update_id when it comes again.
func (b *Bot) Run(ctx context.Context) error {
	b.log.Info().Str("bot", b.username).Msg("starting")
	return b.wire.Poll(ctx, b.dispatch, b.pollTimeout, b.log)
}

// WebhookHandler returns the http.Handler Telegram posts updates to (see
// tg.WebhookHandler): it answers 200 once the update is handled.
func (b *Bot) WebhookHandler(secret string, maxBody int64) http.Handler {
	return tg.WebhookHandler(secret, maxBody, func(ctx context.Context, u *tg.Update) error {
		return b.HandleUpdate(ctx, *u)
	})
}

// SetWebhook tells Telegram to post updates to publicURL with secret.
func (b *Bot) SetWebhook(publicURL, secret string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return b.wire.SetWebhook(ctx, publicURL, secret)
}

// HandleUpdate handles one update and returns when it is done. An update
// seen before (a webhook retry, a redelivery after a restart) is skipped.
// It is safe for concurrent use; updates of one chat are handled in the
// order they are submitted.
func (b *Bot) HandleUpdate(ctx context.Context, u tg.Update) error {
	done, err := b.dispatch.Submit(ctx, &u)
	if err != nil {
		return err
	}
	<-done
	return nil
}

// handle runs on a dispatcher worker.
func (b *Bot) handle(ctx context.Context, u *tg.Update) {
	log := b.log.With().Int("update_id", u.ID).Logger()
	if chat := tg.ChatOf(u); chat != 0 {
		log = log.With().Int64("chat", chat).Logger()
	}
	ctx = log.WithContext(ctx)
	start := b.now()
	// An update is recorded as handled in the same transaction as the first
	// change it causes (see multaque.WithUpdate), and in memory once handled.
	// A crash thus never loses an update: Telegram delivers again an update
	// whose batch was not confirmed, and one that did change something is
	// then recognised and skipped. (Updates of one chat run on one worker,
	// in order, so a second delivery never races the first.)
	seen := b.recent.has(u.ID)
	if !seen {
		var err error
		if seen, err = b.store.SeenUpdate(ctx, u.ID); err != nil {
			log.Error().Err(b.wire.Redact(err)).Msg("check update")
			return
		}
	}
	if seen {
		log.Debug().Msg("duplicate update skipped")
		return
	}
	ctx, _ = multaque.WithUpdate(ctx, u.ID)
	defer b.recent.add(u.ID) // see recentUpdates for why that is enough
	began := time.Now()      // not b.now, which tests may pin
	c := tg.NewContext(b.wire, u)
	if err := b.route(ctx, c); err != nil {
		b.fail(ctx, c, err)
	}
	b.metrics.Handled(time.Since(began))
	log.Debug().Dur("took", b.now().Sub(start)).Msg("update handled")
}

// fail tells the person something went wrong, in their language, and logs
// internal errors. A person is never left without an answer.
func (b *core) fail(ctx context.Context, c *tg.Context, err error) {
	log := zerolog.Ctx(ctx)
	err = b.wire.Redact(err)
	if b.unreachable(ctx, c, err) {
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
	case tg.IsBlocked(err):
		return err
	}
	zerolog.Ctx(ctx).Debug().Err(err).Msg("edit failed, sending instead")
	return b.send(ctx, c.Recipient(), v)
}

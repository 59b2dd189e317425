package bot

// A decision's life after it is posted: one private reminder to the
// members who have not answered, 24 hours before closing (halfway through
// a shorter decision) (an outbox item
// with NotBefore, queued with the mark that it was, so that a restart never
// sends it twice); the closing with stopPoll at the time the bot keeps,
// also for the polls whose time passed while it was down; the outcome
// posted and pinned in the group.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// DecisionReminderBefore is how long before closing the members who have
// not answered get their reminder.
const DecisionReminderBefore = 24 * time.Hour

// DefaultDecisionsEvery is how often RunDecisions looks at the open
// decisions by default.
const DefaultDecisionsEvery = 15 * time.Second

// RunDecisions looks after the teams' decisions every interval (default
// DefaultDecisionsEvery) until ctx is done: reminders, closing, outcomes.
// It returns nil once ctx is done.
func (b *Bot) RunDecisions(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultDecisionsEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		b.decisions.tend(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-b.decisions.wake:
		}
	}
}

// wakeDecisions has RunDecisions look at the decisions now.
func (b *decisions) wakeDecisions() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// tend does what each decision needs now; a failure is logged and tried
// again at the next pass.
func (b *decisions) tend(ctx context.Context) {
	log := b.log.With().Str("component", "decisions").Logger()
	ds, err := b.store.DecisionsToTend(ctx)
	if err != nil {
		log.Error().Err(err).Msg("read decisions")
		return
	}
	now := b.now()
	for _, d := range ds {
		var err error
		switch {
		case d.Status == multaque.DecisionClosed:
			err = b.postOutcome(ctx, d)
		case !now.Before(d.Closes):
			err = b.close(ctx, d)
		case !d.Reminded && !now.Before(reminderDue(d)):
			err = b.remind(ctx, d)
		}
		if err != nil && ctx.Err() == nil {
			log.Error().Err(b.wire.Redact(err)).Uint64("decision", d.ID).Msg("tend decision")
		}
	}
}

// reminderDue is when d's reminders go: DecisionReminderBefore its
// closing, or halfway through a decision shorter than twice that (a day's
// decision is not reminded as soon as it is posted).
func reminderDue(d *multaque.Decision) time.Time {
	due := d.Closes.Add(-DecisionReminderBefore)
	if half := d.OpenedAt.Add(d.Closes.Sub(d.OpenedAt) / 2); half.After(due) {
		return half
	}
	return due
}

// remind queues one reminder for each member who has not answered d, in
// their language.
func (b *decisions) remind(ctx context.Context, d *multaque.Decision) error {
	team, err := b.teamOrNone(ctx, d)
	if err != nil {
		return err
	}
	var due []int64
	for _, id := range voters(team, d) {
		if v := d.VoteOf(id); v == nil || len(v.Options) == 0 {
			due = append(due, id)
		}
	}
	langs, err := b.store.Languages(ctx, due)
	if err != nil {
		return err
	}
	items := make([]multaque.OutboxItem, 0, len(due))
	for _, id := range due {
		lang, ok := langs[id]
		if !ok {
			lang = d.Lang
		}
		items = append(items, multaque.OutboxItem{
			Kind: "decision-reminder", Chat: id, Priority: multaque.PriorityNormal,
			NotBefore: reminderDue(d),
			DedupKey:  fmt.Sprintf("decision-reminder/%d/%d", d.ID, id),
			Text:      b.view.t(lang, "decision_reminder", "Question", esc(d.Question), "Closes", when(d.Closes)),
			ParseMode: tg.ModeHTML, Owner: "team/" + d.Team,
		})
	}
	return b.store.QueueDecisionReminders(ctx, d.ID, items)
}

// close stops d's poll and closes d with its outcome. A poll whose message
// is gone closes with a note; the group gone, the decision closes all the
// same with what it had.
func (b *decisions) close(ctx context.Context, d *multaque.Decision) error {
	note := ""
	err := b.wire.GroupCall(ctx, "stopPoll", map[string]any{"chat_id": d.Chat, "message_id": d.Message}, nil)
	switch class, _ := tg.Classify(err, d.Chat); {
	case err == nil:
	case strings.Contains(tg.Description(err), "poll has already been closed"):
	case strings.Contains(tg.Description(err), "message with poll to stop not found"):
		note = multaque.NotePollDeleted
	case class == tg.ChatGone || class == tg.Refused:
		zerolog.Ctx(ctx).Warn().Err(b.wire.Redact(err)).Uint64("decision", d.ID).Msg("poll not stopped; closing")
	default:
		return fmt.Errorf("stop poll of decision %d: %w", d.ID, err)
	}
	team, err := b.teamOrNone(ctx, d)
	if err != nil {
		return err
	}
	closed, err := b.store.CloseDecision(ctx, d.ID, multaque.Tally(d, voters(team, d)), note, b.now())
	if err != nil {
		return err
	}
	return b.postOutcome(ctx, closed)
}

// teamOrNone is d's team; a team no longer on record has no members, so
// that its decision still closes (nobody counts) instead of failing at
// every pass.
func (b *decisions) teamOrNone(ctx context.Context, d *multaque.Decision) (*multaque.Team, error) {
	t, err := b.store.Team(ctx, d.Team)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return &multaque.Team{ID: d.Team}, nil
	}
	return t, err
}

// postOutcome posts closed decision d's outcome in its group and pins it.
// A group that takes nothing more leaves the outcome in the log alone
// (Posted -1).
func (b *decisions) postOutcome(ctx context.Context, d *multaque.Decision) error {
	if d.Posted != 0 || d.Outcome == nil {
		return nil
	}
	v := b.outcomeView(d)
	o := v.outgoing(d.Chat, 0)
	o.WantID = true
	msg, err := b.wire.Answer(ctx, o)
	if err != nil {
		if class, _ := tg.Classify(err, d.Chat); class == tg.ChatGone || class == tg.Refused {
			return b.store.DecisionPosted(ctx, d.ID, -1)
		}
		return err
	}
	if err := b.store.DecisionPosted(ctx, d.ID, msg); err != nil {
		return err
	}
	err = b.wire.GroupCall(ctx, "pinChatMessage", map[string]any{"chat_id": d.Chat, "message_id": msg, "disable_notification": true}, nil)
	if err != nil {
		// Posted; a pin refused (the right taken away) is no reason to post again.
		zerolog.Ctx(ctx).Warn().Err(b.wire.Redact(err)).Uint64("decision", d.ID).Msg("outcome not pinned")
	}
	return nil
}

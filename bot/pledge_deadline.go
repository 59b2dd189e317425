package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// The deadline of a goal. A goal is settled by the first run after its
// deadline (the goals' index in the store, so a restart loses none): met →
// every pledger gets, in private and in their language, what to pay and
// how, with reminders 3 and 7 days later until the treasurer marks the
// pledge paid; missed → the pledges lapse, the matches go back to their
// funds, and everyone is told. All of it is outbox items enqueued in the
// settling transaction, the reminders with their NotBefore.

// ReminderDays are the days after a goal is met when an unpaid pledger is
// reminded.
var ReminderDays = []int{3, 7}

// DefaultGoalsEvery is how often RunGoals looks for goals past their
// deadline.
const DefaultGoalsEvery = time.Minute

// SettleGoals settles every goal whose deadline has passed and returns how
// many it settled. cmd/multaque runs it through RunGoals.
func (b *Bot) SettleGoals(ctx context.Context) (int, error) {
	return b.pledges.settleDue(ctx)
}

// RunGoals settles goals past their deadline and brings the groups' pinned
// progress messages up to date, every interval (default
// DefaultGoalsEvery) and ProgressFold after a change, until ctx is done.
func (b *Bot) RunGoals(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultGoalsEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := b.SettleGoals(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("settle goals")
		}
		if _, err := b.RefreshProgress(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("refresh progress")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-b.pledges.wake:
			// Fold a burst of pledges into one edit per group.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(ProgressFold):
			}
		}
	}
}

func (b *pledges) settleDue(ctx context.Context) (int, error) {
	now := b.now()
	due, err := b.store.DueGoals(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, team := range due {
		t, err := b.store.Team(ctx, team)
		if err != nil {
			return n, err
		}
		s, err := b.store.SettleGoal(ctx, team, now, b.settleItems(ctx, t, now))
		if multaque.ErrorCode(err) == multaque.ECONFLICT {
			continue // settled by another run meanwhile
		}
		if err != nil {
			return n, err
		}
		zerolog.Ctx(ctx).Info().Str("team", team).Str("status", string(s.Goal.Status)).Msg("goal settled")
		n++
	}
	return n, nil
}

// settleItems builds the settlement's messages from the goal's state after
// it: the group's, each pledger's, and the reminders of each pledge.
func (b *pledges) settleItems(ctx context.Context, t *multaque.Team, now time.Time) func(s *multaque.GoalState) ([]multaque.OutboxItem, map[int][]multaque.OutboxItem) {
	glang := b.groupLang(ctx, t)
	return func(s *multaque.GoalState) ([]multaque.OutboxItem, map[int][]multaque.OutboxItem) {
		var items []multaque.OutboxItem
		if t.Chat != 0 { // the outcome must reach the group: a message of its own, besides the pinned one
			items = append(items, multaque.OutboxItem{Kind: multaque.KindGoalProgress, Chat: t.Chat, Priority: multaque.PriorityNormal,
				Text: b.progressText(glang, t, s), ParseMode: "HTML", Owner: "team/" + t.ID})
		}
		reminders := map[int][]multaque.OutboxItem{}
		met := s.Goal.Status == multaque.GoalMet
		for _, p := range s.Pledges {
			if p.Person == 0 {
				continue // erased: kept as an anonymous amount only
			}
			lang := p.Lang
			if !lang.Valid() {
				lang = multaque.DefaultLang
			}
			title := b.view.t(lang, "pledge_goal_title", "Project", esc(b.nameOfProject(lang, t.Project)), "Community", esc(b.nameOfCommunity(lang, t.Community)))
			key := "pledge/" + t.ID + "/" + strconv.Itoa(p.No)
			if !met {
				items = append(items, pledgeItem("pledge-lapsed", p.Person, t.ID, key+"/lapsed", time.Time{},
					title+"\n"+b.view.t(lang, "deadline_missed_pledger", "Amount", p.Amount.String())))
				continue
			}
			if p.Amount == 0 {
				items = append(items, pledgeItem("pledge-due", p.Person, t.ID, key+"/due", time.Time{},
					title+"\n"+b.view.t(lang, "deadline_met_hours", "Hours", p.Hours)))
				continue
			}
			items = append(items, pledgeItem("pledge-due", p.Person, t.ID, key+"/due", time.Time{}, b.payText(lang, title, t, s, &p, "deadline_met_pay")))
			for _, d := range ReminderDays {
				reminders[p.No] = append(reminders[p.No], pledgeItem("pledge-reminder", p.Person, t.ID, key+"/remind/"+strconv.Itoa(d),
					now.Add(time.Duration(d)*24*time.Hour), b.payText(lang, title, t, s, &p, "deadline_reminder")))
			}
		}
		return items, reminders
	}
}

// payText tells a pledger what to pay and how, with the reference that
// lets the treasurer find their payment.
func (b *pledges) payText(lang multaque.Lang, title string, t *multaque.Team, s *multaque.GoalState, p *multaque.Pledge, key string) string {
	how := s.Goal.PayInstructions
	if strings.TrimSpace(how) == "" {
		how = b.view.t(lang, "deadline_no_payinfo")
	} else {
		how = esc(how)
	}
	return title + "\n" + b.view.t(lang, key, "Amount", p.Amount.String(), "Ref", t.ID+"-"+strconv.Itoa(p.No), "How", how)
}

// pledgeItem is a message to a pledger; a zero notBefore sends it at once.
func pledgeItem(kind string, chat int64, team, key string, notBefore time.Time, text string) multaque.OutboxItem {
	return multaque.OutboxItem{Kind: kind, Chat: chat, Priority: multaque.PriorityNormal, NotBefore: notBefore,
		DedupKey: key, Text: text, ParseMode: "HTML", Owner: "team/" + team}
}

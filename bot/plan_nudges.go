package bot

// What the plans call for (multaque.Plan.Due): the nudges of a quiet team
// (its group, then its mentor, then the coordinators who oversee it), the
// mentor's check-in and a step's owner's reminders. Each is an outbox item
// enqueued once it is due (so it goes at once: its NotBefore is left to the
// store), whose dedup key is the nudge's, committed with the plan's record
// of it (Plan.Sent) in one transaction: a restart neither loses nor doubles
// one. (They are not queued ahead with a later NotBefore because any
// activity of the team cancels them, and the outbox cannot take an item
// back.)

import (
	"context"
	"strconv"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// nudge sends what p calls for now.
func (b *plans) nudge(ctx context.Context, t *multaque.Team, p *multaque.Plan) error {
	now := b.now()
	if len(p.Due(now, t.Mentor, b.rules)) == 0 {
		return nil
	}
	ids := teamPeople(t)
	coords := b.coordinatorsOverseeing(t.Community)
	ids = append(ids, coords...)
	langs, err := b.store.Languages(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range coords {
		if _, ok := langs[id]; !ok {
			langs[id] = b.alertLang(langs, id)
		}
	}
	in, err := b.info(ctx, t, p)
	if err != nil {
		return err
	}
	var due []multaque.Nudge
	_, err = b.store.UpdatePlan(ctx, t.ID, now, func(p *multaque.Plan) error {
		due = p.Due(now, t.Mentor, b.rules)
		for _, n := range due {
			p.Sent(n)
		}
		return nil
	}, func(p *multaque.Plan) []multaque.OutboxItem {
		var out []multaque.OutboxItem
		for _, n := range due {
			out = append(out, b.nudgeItems(in, p, n, coords, langs, now)...)
		}
		return out
	})
	return err
}

// nudgeItems are the messages of nudge n of in's team.
func (b *plans) nudgeItems(in *planInfo, p *multaque.Plan, n multaque.Nudge, coords []int64, langs map[int64]multaque.Lang, now time.Time) []multaque.OutboxItem {
	t := in.team
	quiet := int(now.Sub(p.LastActivity) / (24 * time.Hour))
	item := func(chat int64, lang multaque.Lang, key, text string) multaque.OutboxItem {
		return multaque.OutboxItem{
			Kind: "nudge", Chat: chat, Priority: multaque.PriorityNormal, Owner: "team/" + t.ID,
			DedupKey: key, ParseMode: tg.ModeHTML, Text: b.teamTitle(t, lang) + "\n\n" + text,
		}
	}
	next := func(lang multaque.Lang) string {
		if s := p.NextOpen(); s != nil {
			return esc(b.stepText(in, *s, lang))
		}
		return "—"
	}
	switch n.Kind {
	case multaque.NudgeGroup:
		return []multaque.OutboxItem{item(t.Chat, in.lang, n.Key, b.view.t(in.lang, "plan_nudge_group", "Step", next(in.lang)))}
	case multaque.NudgeMentor:
		lang := langOr(langs, t.Mentor)
		return []multaque.OutboxItem{item(t.Mentor, lang, n.Key, b.view.t(lang, "plan_nudge_mentor", "Days", quiet, "Step", next(lang)))}
	case multaque.NudgeCoordinators:
		var out []multaque.OutboxItem
		for _, id := range coords {
			lang := langOr(langs, id)
			text := b.view.t(lang, "plan_nudge_coordinators", "Team", t.ID, "Days", quiet, "Done", p.Done(), "Total", len(p.Steps))
			if t.Mentor == 0 {
				text += "\n" + b.view.t(lang, "plan_nudge_no_mentor")
			}
			it := item(id, lang, n.Key+"/"+strconv.FormatInt(id, 10), text)
			it.Kind, it.Priority = "alert", multaque.PriorityUrgent
			out = append(out, it)
		}
		return out
	case multaque.NudgeCheckIn:
		lang := langOr(langs, t.Mentor)
		it := item(t.Mentor, lang, n.Key, b.view.t(lang, "plan_checkin_ask", "Done", p.Done(), "Total", len(p.Steps), "Stage", b.stageName(lang, p.Stage())))
		it.Kind = "checkin"
		arg := func(c multaque.Colour) string {
			return button{Action: actPlanCheckIn, Version: n.Period, Arg: t.ID + "," + string(c)}.encode()
		}
		it.Keyboard = [][]multaque.OutboxButton{{
			{Text: b.view.t(lang, "plan_checkin_green"), Data: arg(multaque.Green)},
			{Text: b.view.t(lang, "plan_checkin_yellow"), Data: arg(multaque.Yellow)},
			{Text: b.view.t(lang, "plan_checkin_red"), Data: arg(multaque.Red)},
		}}
		return []multaque.OutboxItem{it}
	case multaque.NudgeOwnerEve, multaque.NudgeOwnerDay:
		st, ok := p.Step(n.Step)
		if !ok || st.Owner != n.To {
			return nil
		}
		lang := langOr(langs, n.To)
		key := "plan_owner_eve"
		if n.Kind == multaque.NudgeOwnerDay {
			key = "plan_owner_day"
		}
		it := item(n.To, lang, n.Key, b.view.t(lang, key, "Step", esc(b.stepText(in, *st, lang)), "Date", day(st.Due)))
		it.Kind = "reminder"
		return []multaque.OutboxItem{it}
	}
	return nil
}

package bot

// A mentor's check-in on a team: 🟢 on track, 🟡 needs help, 🔴 stuck,
// pressed under the question the runner sends every CheckInEvery. 🟡 and 🔴
// reach at once, in the same transaction, the coordinators who oversee the
// team's community, and only them.

import (
	"context"
	"strconv"
	"strings"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// colourMark is the colour's dot.
var colourMark = map[multaque.Colour]string{multaque.Green: "🟢", multaque.Yellow: "🟡", multaque.Red: "🔴"}

// onCheckIn is a mentor's press of a check-in colour.
func (b *plans) onCheckIn(ctx context.Context, r *request) error {
	c := r.c
	team, colour, ok := strings.Cut(r.bt.Arg, ",")
	if !ok || colourMark[multaque.Colour(colour)] == "" || r.bt.Version < 1 {
		return b.stale(ctx, c, r.lang)
	}
	t, err := b.store.Team(ctx, team)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, r.lang)
	} else if err != nil {
		return err
	}
	mentor := c.Sender().ID
	if t.Mentor != mentor {
		// No longer their team's mentor: the question has expired.
		return b.stale(ctx, c, r.lang)
	}
	coords := b.coordinatorsOverseeing(t.Community)
	langs, err := b.store.Languages(ctx, coords)
	if err != nil {
		return err
	}
	now := b.now()
	var fresh bool
	_, err = b.store.UpdatePlan(ctx, t.ID, now, func(p *multaque.Plan) error {
		var err error
		fresh, err = p.CheckIn(mentor, multaque.Colour(colour), "", r.bt.Version, now)
		return err
	}, func(p *multaque.Plan) []multaque.OutboxItem {
		if !fresh || colour == string(multaque.Green) {
			return nil
		}
		var out []multaque.OutboxItem
		for _, id := range coords {
			lang := b.alertLang(langs, id)
			out = append(out, multaque.OutboxItem{
				Kind: "alert", Chat: id, Priority: multaque.PriorityUrgent, Owner: "team/" + t.ID, ParseMode: tg.ModeHTML,
				DedupKey: "checkin-alert/" + t.ID + "/" + strconv.Itoa(r.bt.Version) + "/" + strconv.FormatInt(id, 10),
				Text:     b.checkInAlert(t, p, multaque.Colour(colour), lang),
			})
		}
		return out
	})
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, r.lang)
	} else if err != nil {
		return err
	}
	key := "plan_checkin_thanks"
	if !fresh {
		key = "plan_checkin_already"
	}
	return b.edit(ctx, c, view{Text: b.teamTitle(t, r.lang) + "\n\n" + b.view.t(r.lang, key, "Mark", colourMark[multaque.Colour(colour)])})
}

// checkInAlert tells a coordinator, in lang, that the mentor of t checked
// in 🟡 or 🔴.
func (b *plans) checkInAlert(t *multaque.Team, p *multaque.Plan, colour multaque.Colour, lang multaque.Lang) string {
	return b.teamTitle(t, lang) + "\n\n" + b.view.t(lang, "plan_checkin_alert_"+string(colour), "Team", t.ID,
		"Done", p.Done(), "Total", len(p.Steps), "Stage", b.stageName(lang, p.Stage()))
}

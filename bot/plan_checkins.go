package bot

// A mentor's check-in on a team: 🟢 on track, 🟡 needs help, 🔴 stuck,
// pressed under the question the runner sends every CheckInEvery. 🟡 and 🔴
// reach at once, in the same transaction, the coordinators who oversee the
// team's community, and only them. The mentor may then write one line,
// within noteWindow, which is added to the check-in and, after a 🟡 or a
// 🔴, sent to the same coordinators.

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	text := b.view.t(r.lang, "plan_checkin_already")
	if fresh {
		if err := b.store.WaitCheckInNote(ctx, mentor, t.ID, r.bt.Version, now); err != nil {
			return err
		}
		text = b.view.t(r.lang, "plan_checkin_thanks", "Mark", colourMark[multaque.Colour(colour)]) + "\n" + b.view.t(r.lang, "plan_checkin_note_ask")
	}
	return b.edit(ctx, c, view{Text: b.teamTitle(t, r.lang) + "\n\n" + text})
}

// noteWindow is how long after a check-in the mentor's next text is taken
// as its line; later, it goes where it would have gone.
const noteWindow = 30 * time.Minute

// onCheckInNote takes a mentor's text as the line of the check-in that
// waits for one, if it is recent; it reports whether it took it.
func (b *plans) onCheckInNote(ctx context.Context, c *tg.Context, text string) (bool, error) {
	mentor := c.Sender().ID
	team, period, at, ok, err := b.store.TakeCheckInNote(ctx, mentor)
	if err != nil || !ok || b.now().Sub(at) > noteWindow {
		return false, err
	}
	lang := b.langOf(ctx, c)
	note := strings.TrimSpace(text)
	if utf8.RuneCountInString(note) > multaque.MaxCheckInNote {
		note = clipRunes(note, multaque.MaxCheckInNote)
	}
	t, err := b.store.Team(ctx, team)
	if err != nil {
		return true, err
	}
	coords := b.coordinatorsOverseeing(t.Community)
	langs, err := b.store.Languages(ctx, coords)
	if err != nil {
		return true, err
	}
	_, err = b.store.UpdatePlan(ctx, team, b.now(), func(p *multaque.Plan) error {
		_, err := p.NoteCheckIn(mentor, period, note)
		return err
	}, func(p *multaque.Plan) []multaque.OutboxItem {
		var colour multaque.Colour
		for _, ci := range p.CheckIns {
			if ci.Period == period && ci.Mentor == mentor {
				colour = ci.Colour
			}
		}
		if colour != multaque.Yellow && colour != multaque.Red {
			return nil
		}
		var out []multaque.OutboxItem
		for _, id := range coords {
			lang := b.alertLang(langs, id)
			out = append(out, multaque.OutboxItem{
				Kind: "alert", Chat: id, Priority: multaque.PriorityUrgent, Owner: "team/" + t.ID, ParseMode: tg.ModeHTML,
				DedupKey: "checkin-note/" + t.ID + "/" + strconv.Itoa(period) + "/" + strconv.FormatInt(id, 10),
				Text: b.teamTitle(t, lang) + "\n\n" + b.view.t(lang, "plan_checkin_note_alert", "Team", t.ID,
					"Mark", colourMark[colour], "Note", esc(note)),
			})
		}
		return out
	})
	switch multaque.ErrorCode(err) {
	case "":
	case multaque.EINVALID, multaque.ENOTFOUND:
		return false, nil // an empty line, or a check-in gone: not a note
	default:
		return true, err
	}
	return true, b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "plan_checkin_note_saved")})
}

// checkInAlert tells a coordinator, in lang, that the mentor of t checked
// in 🟡 or 🔴.
func (b *plans) checkInAlert(t *multaque.Team, p *multaque.Plan, colour multaque.Colour, lang multaque.Lang) string {
	return b.teamTitle(t, lang) + "\n\n" + b.view.t(lang, "plan_checkin_alert_"+string(colour), "Team", t.ID,
		"Done", p.Done(), "Total", len(p.Steps), "Stage", b.stageName(lang, p.Stage()))
}

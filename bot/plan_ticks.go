package bot

// A tap on a step of the pinned plan: a member or the mentor marks it done,
// or, tapping a done step twice within undoWindow, not done. Each tap is
// one transaction with its update (so a tap delivered twice counts once)
// and is answered by a toast; the plan's message is edited afterwards, the
// taps of a burst folded into one edit (planEditor), within the group's 20
// messages a minute.

import (
	"context"
	"strconv"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// onTick is a tap on a step's button.
func (b *plans) onTick(ctx context.Context, r *request) error {
	c := r.c
	msg := c.Message()
	if msg == nil || msg.Chat == nil || msg.Chat.Type == tg.ChatPrivate {
		return b.stale(ctx, c, r.lang)
	}
	t, err := b.store.TeamByChat(ctx, msg.Chat.ID)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, r.lang)
	} else if err != nil {
		return err
	}
	person := c.Sender().ID
	if !canTick(t, person) {
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_not_yours"), ShowAlert: true})
	}
	id, err := strconv.Atoi(r.bt.Arg)
	if err != nil {
		return b.stale(ctx, c, r.lang)
	}
	p, err := b.store.Plan(ctx, t.ID)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, r.lang)
	} else if err != nil {
		return err
	}
	st, ok := p.Step(id)
	if !ok {
		return b.stale(ctx, c, r.lang)
	}
	if st.Done {
		return b.onUndo(ctx, r, t, id)
	}
	now, lang := b.now(), b.groupLangOf(ctx, t)
	var reached multaque.Stage
	_, err = b.store.UpdatePlan(ctx, t.ID, now, func(p *multaque.Plan) error {
		var err error
		reached, err = p.Mark(id, person, now)
		return err
	}, func(p *multaque.Plan) []multaque.OutboxItem { return b.stageItems(t, p, reached, lang) })
	switch multaque.ErrorCode(err) {
	case "":
	case multaque.ECONFLICT: // done by someone else meanwhile, or the team is no longer open
		b.planChanged(t.ID)
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_tick_conflict")})
	default:
		return err
	}
	b.planChanged(t.ID)
	return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_ticked")})
}

// onUndo is a tap on a done step: the first asks for a confirmation, a
// second within undoWindow undoes it.
func (b *plans) onUndo(ctx context.Context, r *request, t *multaque.Team, id int) error {
	c, now := r.c, b.now()
	key := undoKey{team: t.ID, step: id, person: c.Sender().ID}
	if first, ok := b.undo.Load(key); !ok || now.Sub(first.(time.Time)) > undoWindow || now.Before(first.(time.Time)) {
		b.undo.Store(key, now)
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_undo_confirm")})
	}
	b.undo.Delete(key)
	_, err := b.store.UpdatePlan(ctx, t.ID, now, func(p *multaque.Plan) error { return p.Unmark(id, now) }, nil)
	switch multaque.ErrorCode(err) {
	case "":
	case multaque.ECONFLICT:
		b.planChanged(t.ID)
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_tick_conflict")})
	default:
		return err
	}
	b.planChanged(t.ID)
	return c.Respond(&tg.CallbackResponse{Text: b.view.t(r.lang, "plan_undone")})
}

// stageItems announce in t's group, in lang, the stage p reached (""
// reached none).
func (b *plans) stageItems(t *multaque.Team, p *multaque.Plan, reached multaque.Stage, lang multaque.Lang) []multaque.OutboxItem {
	if reached == "" {
		return nil
	}
	return []multaque.OutboxItem{b.stageItem(t, p, lang)}
}

// stageItem announces p's current stage in t's group, once per change of
// stage (keyed by its place in the history).
func (b *plans) stageItem(t *multaque.Team, p *multaque.Plan, lang multaque.Lang) multaque.OutboxItem {
	last := p.Stages[len(p.Stages)-1]
	key := "plan_stage_announce_" + string(last.Stage)
	if n := len(p.Stages); last.Stage == multaque.StageStarted && n > 1 && p.Stages[n-2].Stage == multaque.StagePaused {
		key = "plan_stage_announce_resumed"
	}
	text := b.view.t(lang, key)
	if last.Reason != "" {
		text += "\n" + b.view.t(lang, "plan_reason", "Reason", esc(last.Reason))
	}
	return multaque.OutboxItem{
		Kind: "stage", Chat: t.Chat, Priority: multaque.PriorityNormal, Owner: "team/" + t.ID, ParseMode: tg.ModeHTML,
		DedupKey: "stage/" + t.ID + "/" + strconv.Itoa(len(p.Stages)),
		Text:     b.teamTitle(t, lang) + "\n\n" + text,
	}
}

// groupLangOf is the language of t's group (the default one if the
// members' cannot be read).
func (b *plans) groupLangOf(ctx context.Context, t *multaque.Team) multaque.Lang {
	langs, err := b.store.Languages(ctx, teamPeople(t))
	if err != nil {
		return multaque.DefaultLang
	}
	return groupLang(t, langs)
}

package bot

import (
	"context"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// The citizens' commands, as the route table calls them.

func (b *citizens) onStartCommand(ctx context.Context, r *request) error {
	return b.onStart(ctx, r.c, r.cz, parsePayload(r.args))
}

func (b *citizens) onHelp(ctx context.Context, r *request) error {
	return b.reply(ctx, r.c, r.cz, Reply{Screen: ScreenHelp, Lang: r.lang}, nil)
}

func (b *citizens) onProjects(ctx context.Context, r *request) error {
	return b.send(ctx, r.c.Recipient(), b.view.projectList(r.lang))
}

// onMe is /me: where the person is, or the survey's start before consent.
func (b *citizens) onMe(ctx context.Context, r *request) error {
	if err := b.pledges.sendMine(ctx, r.c, r.lang); err != nil { // pledges.go: a pledger's goals
		return err
	}
	if r.cz == nil {
		return b.reply(ctx, r.c, nil, b.survey.Start(r.lang, startPayload{}), nil)
	}
	return b.reply(ctx, r.c, r.cz, b.survey.Resume(r.cz), nil)
}

func (b *citizens) onSettings(ctx context.Context, r *request) error {
	if r.cz == nil {
		return b.reply(ctx, r.c, nil, b.survey.Start(r.lang, startPayload{}), nil)
	}
	return b.reply(ctx, r.c, r.cz, b.survey.OpenSettings(r.cz), nil)
}

func (b *citizens) onPrivacyCommand(ctx context.Context, r *request) error {
	return b.onPrivacy(ctx, r.c, r.cz, r.lang)
}

func (b *citizens) onMyDataCommand(ctx context.Context, r *request) error {
	return b.onMyData(ctx, r.c, r.cz, r.lang)
}

// onForgetCommand is /forget: it asks before it erases anything.
func (b *citizens) onForgetCommand(ctx context.Context, r *request) error {
	id := r.c.Sender().ID
	erasable, err := b.store.Erasable(ctx, id)
	if err != nil {
		return err
	}
	if !erasable {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "nothing_held") + b.coordinatorKeeps(ctx, id, r.lang)})
	}
	return b.send(ctx, r.c.Recipient(), view{
		Text: b.view.t(r.lang, "forget_confirm") + b.coordinatorKeeps(ctx, id, r.lang),
		Markup: keyboard([]tg.InlineButton{
			cb(b.view.t(r.lang, "btn_forget"), button{Action: actForget, Version: noVersion}),
			cb(b.view.t(r.lang, "btn_keep"), button{Action: actKeep, Version: noVersion}),
		}),
	})
}

func (b *citizens) onForgetButton(ctx context.Context, r *request) error {
	return b.onForget(ctx, r.c, r.cz, r.lang)
}

func (b *citizens) onWantButton(ctx context.Context, r *request) error {
	return b.onWant(ctx, r.c, r.cz, r.lang, r.bt.Arg)
}

// onCancel is /cancel: it leaves whatever the person is in the middle of,
// a coordinator's broadcast, a proposal, or a change from /settings.
func (b *citizens) onCancel(ctx context.Context, r *request) error {
	c, cz, lang := r.c, r.cz, r.lang
	if done, err := b.broadcasts.cancelOpenBroadcast(ctx, c, lang); done || err != nil {
		return err
	}
	if done, err := b.proposals.onProposalCancel(ctx, c, lang); done || err != nil {
		return err
	}
	if done, err := b.decisions.cancelDraft(ctx, c); done || err != nil { // decisions.go
		return err
	}
	if cz == nil {
		return b.reply(ctx, c, nil, Reply{Screen: ScreenHelp, Lang: lang, Problem: "nothing_to_cancel"}, nil)
	}
	if n := b.survey.Cancel(cz, b.now()); n != nil {
		saved, err := b.store.UpdateCitizen(ctx, cz.ID, func(cur *multaque.Citizen) error {
			if m := b.survey.Cancel(cur, b.now()); m != nil {
				*cur = *m
			}
			return nil
		})
		if err != nil {
			return err
		}
		return b.reply(ctx, c, saved, Reply{Screen: ScreenSummary, Lang: saved.Lang, Problem: "cancelled"}, nil)
	}
	rr := b.survey.Resume(cz)
	rr.Problem = "nothing_to_cancel"
	return b.reply(ctx, c, cz, rr, nil)
}

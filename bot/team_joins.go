package bot

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// Join requests. The members of the team whose group it is, its mentor and
// the coordinators who oversee its community are let in; anyone else is
// declined (and told so, in their language, if they are a citizen).
//
// A decision is stored before it is sent (multaque.JoinAnswer) and dropped
// once Telegram took it, so that a request is answered even when Telegram
// answers 429 more than once or the process stops: the Provisioner's pass
// sends what is left (answerPending). A request to a group the bot does not
// know may come from a basic group's new supergroup before the bot has
// followed the upgrade (the two arrive in different chats, handled in
// parallel): it waits, undecided, until the group is known or
// undecidedFor has passed, instead of being declined.

// undecidedFor is how long a request to a group the bot does not know
// waits for the group to be known before it is declined.
const undecidedFor = 2 * time.Minute

// onJoinRequest records and answers a request to join a group.
func (b *teams) onJoinRequest(ctx context.Context, c *tg.Context) error {
	req := c.Update().ChatJoinRequest
	if req.Chat == nil || req.Sender == nil {
		return nil
	}
	a := multaque.JoinAnswer{Chat: req.Chat.ID, User: req.Sender.ID, UserChat: req.UserChatID, Since: b.now()}
	if err := b.decideJoin(ctx, &a); err != nil {
		return err
	}
	if err := b.store.PutJoinAnswer(ctx, a); err != nil {
		return err
	}
	if !a.Decided {
		zerolog.Ctx(ctx).Info().Msg("join request to a group not known yet: waits")
		return nil
	}
	_, err := b.answerJoin(ctx, a)
	return err
}

// decideJoin decides a: approve or decline, or leave it undecided if its
// group is not known yet and undecidedFor has not passed.
func (b *teams) decideJoin(ctx context.Context, a *multaque.JoinAnswer) error {
	t, err := b.store.TeamByChat(ctx, a.Chat)
	if err != nil && multaque.ErrorCode(err) != multaque.ENOTFOUND {
		return err
	}
	coord, err := b.coordinator(ctx, a.User)
	if err != nil {
		return err
	}
	if t == nil && coord == nil && !b.inPool(ctx, a.Chat) && b.now().Sub(a.Since) < undecidedFor {
		a.Decided = false
		return nil
	}
	// A coordinator comes in only where they oversee: a coordinator of
	// Gràcia does not see the members of a team of Sants.
	a.Decided = true
	a.Approve = coord != nil && (t == nil || b.oversees(coord, t.Community)) ||
		t != nil && t.Status != multaque.TeamClosed && (t.HasMember(a.User) || a.User == t.Mentor)
	return nil
}

// answerJoin sends the decision a to Telegram and, once Telegram took it
// (or the request was settled otherwise), drops it from the store. A 429
// or a network failure keeps it for the next pass; a group that was
// upgraded is followed and the request answered there. It reports whether
// the request is settled.
func (b *teams) answerJoin(ctx context.Context, a multaque.JoinAnswer) (bool, error) {
	log := zerolog.Ctx(ctx)
	method := "declineChatJoinRequest"
	if a.Approve {
		method = "approveChatJoinRequest"
	}
	err := b.wire.GroupCall(ctx, method, map[string]any{"chat_id": a.Chat, "user_id": a.User}, nil)
	if to, merr := b.followMigration(ctx, a.Chat, err); merr != nil {
		return false, merr
	} else if to != 0 {
		a.Chat = to // the store moved the request with the group
		err = b.wire.GroupCall(ctx, method, map[string]any{"chat_id": a.Chat, "user_id": a.User}, nil)
	}
	if err != nil && !tg.IsRequestSettled(err) {
		switch class, _ := tg.Classify(err, a.Chat); class {
		case tg.Flood, tg.Transient:
			a.Tries++
			if perr := b.store.PutJoinAnswer(ctx, a); perr != nil {
				return false, perr
			}
			log.Info().Err(err).Int("tries", a.Tries).Msg("join request not answered yet: next pass")
			b.wakeProvisionerLater()
			return false, nil
		}
		log.Warn().Err(err).Str("method", method).Msg("join request cannot be answered: dropped")
		return true, b.store.DropJoinAnswer(ctx, a.Chat, a.User)
	}
	if err := b.store.DropJoinAnswer(ctx, a.Chat, a.User); err != nil {
		return false, err
	}
	if a.Approve {
		log.Info().Msg("join request approved")
		return true, nil
	}
	log.Info().Msg("join request from outside the team declined")
	cz, err := b.citizen(ctx, a.User)
	if err != nil || cz == nil {
		return true, err
	}
	to := a.UserChat
	if to == 0 {
		to = a.User
	}
	if err := b.send(ctx, to, view{Text: b.view.t(cz.Lang, "team_declined")}); err != nil {
		log.Debug().Err(err).Msg("tell the declined applicant")
	}
	return true, nil
}

// wakeProvisionerLater wakes the Provisioner in a second: a request
// refused with 429 is tried again soon, not only at the next tick.
func (b *teams) wakeProvisionerLater() {
	time.AfterFunc(time.Second, b.wakeProvisioner)
}

// answerPending answers the join requests the store still holds: those
// Telegram refused to take (429, network) and those whose group was not
// known when they came.
func (p *Provisioner) answerPending(ctx context.Context) error {
	pending, err := p.store.JoinAnswers(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	ctx = p.log.WithContext(ctx)
	for _, a := range pending {
		if ctx.Err() != nil {
			return nil
		}
		if !a.Decided {
			if err := p.tm.decideJoin(ctx, &a); err != nil {
				return err
			}
			if !a.Decided {
				continue
			}
		}
		if _, err := p.tm.answerJoin(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

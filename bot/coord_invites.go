package bot

// Becoming a coordinator: /claim with the operator's setup code, and the
// one-time invites a coordinator makes (/coordinatorinvite) and opens.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// onClaim is /claim <setup code>: with the right code the sender becomes
// the first coordinator, of every community. Anyone else is answered in one
// sentence that does not say whether a code is pending, and audited.
func (b *roles) onClaim(ctx context.Context, r *request) error {
	c, args, lang := r.c, r.args, r.lang
	id := c.Sender().ID
	code := strings.ToUpper(strings.TrimSpace(args))
	if code == "" || strings.ContainsAny(code, " \n\t") {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "role_claim_usage")})
	}
	refuse := func(detail, msg string) error {
		if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: id, Command: "claim", Detail: detail, Refused: true}); err != nil {
			return err
		}
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, msg)})
	}
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return err
	}
	if coord != nil {
		return refuse("already a coordinator", "role_already_coordinator")
	}
	if len(b.coordinatorIDs()) > 0 {
		b.dropSetupCode() // someone became a coordinator another way
	}
	switch b.claimSetupCode(code) {
	case setupNone:
		return refuse("no setup code pending", "role_claim_refused")
	case setupWrong:
		return refuse("wrong setup code", "role_claim_refused")
	case setupBurnt:
		zerolog.Ctx(ctx).Warn().Int("tries", maxSetupTries).Msg("setup code burnt after wrong tries")
		b.newSetupCode("too many wrong setup codes were tried: this one replaces the last")
		return refuse("wrong setup code: setup code replaced", "role_claim_refused")
	}
	rec := multaque.Coordinator{ID: id, Name: clipRunes(c.Sender().FirstName, 64), Lang: lang, AddedAt: b.now().UTC()}
	if err := b.store.SaveCoordinator(ctx, &rec); err != nil {
		b.restoreSetupCode(code)
		return err
	}
	if err := b.becameCoordinator(ctx, id); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("first coordinator claimed the setup code")
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: id, Command: "claim", Detail: "first coordinator"}); err != nil {
		return err
	}
	return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "role_claimed")})
}

// becameCoordinator makes what holds coordinators in memory see a change
// that made id one, and gives them the coordinators' menu.
func (b *roles) becameCoordinator(ctx context.Context, id int64) error {
	if err := b.syncCoordinators(ctx); err != nil {
		return err
	}
	if err := b.publishCoordinatorMenu(ctx, id); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int64("coordinator", id).Msg("publish coordinator menu")
	}
	return nil
}

// runCoordinatorInvite is /coordinatorinvite [all | community ...]: a
// one-time link, valid for coordinatorInviteDays, that makes whoever opens
// it a coordinator of those communities; with none named, of the caller's
// own scope.
func (b *roles) runCoordinatorInvite(ctx context.Context, a *adminCall) error {
	communities, all, bad, ok := b.parseScope(a.args)
	switch {
	case !ok:
		return b.say(ctx, a, "role_invite_usage")
	case bad != "":
		return b.sayUnknownCommunity(ctx, a, bad, "role_invite_usage")
	case all && len(a.coord.Communities) > 0:
		return b.refuseOutOfScope(ctx, a, allCommunities)
	case !all && len(communities) == 0:
		communities = slices.Clone(a.coord.Communities)
	}
	for _, id := range communities {
		if !b.oversees(a.coord, id) {
			return b.refuseOutOfScope(ctx, a, id)
		}
	}
	now := b.now().UTC()
	code, err := b.store.CreateCoordinatorCode(ctx, a.coord.ID, communities, now, now.AddDate(0, 0, coordinatorInviteDays))
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "invite with scope "+scopeDetail(communities)); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("coordinator invite created")
	link := "https://t.me/" + b.username + "?start=k_" + code
	return b.say(ctx, a, "role_invite_link", "Link", esc(link), "Days", coordinatorInviteDays,
		"Scope", b.scopeText(a.lang, communities))
}

// onCoordinatorLink is /start k_<code>: the person becomes a coordinator
// with the invite's scope, and the coordinator who invited them is told.
// An invite is void once whoever made it can no longer give it (removed,
// or their scope narrowed since).
func (b *roles) onCoordinatorLink(ctx context.Context, c *tg.Context, cz *multaque.Citizen, code string) error {
	id := c.Sender().ID
	lang := MatchLanguage(c.Sender().LanguageCode)
	if cz != nil {
		lang = cz.Lang
	}
	answer := func(msg string, kv ...any) error {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, msg, kv...)})
	}
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return err
	}
	if coord != nil {
		return answer("role_already_coordinator")
	}
	now := b.now().UTC()
	by, scope, err := b.store.CheckCoordinatorCode(ctx, code, now)
	if msg, ok := inviteProblem(err); ok {
		return answer(msg)
	} else if err != nil {
		return err
	}
	inviter, err := b.coordinator(ctx, by)
	if err != nil {
		return err
	}
	if inviter == nil || !b.within(inviter, scope) {
		return answer("role_invite_void")
	}
	inviterLang := b.coordinatorLang(ctx, by)
	rec, by, err := b.store.RedeemCoordinatorCode(ctx, code,
		multaque.Coordinator{ID: id, Name: clipRunes(c.Sender().FirstName, 64), Lang: lang}, now,
		func(n *multaque.Coordinator, by int64) []multaque.OutboxItem {
			return []multaque.OutboxItem{{
				Kind: "coordinator", Chat: by, Priority: multaque.PriorityNormal,
				DedupKey:  "coordinator/joined/" + strconv.FormatInt(n.ID, 10) + "/" + n.AddedAt.Format(time.RFC3339Nano),
				ParseMode: tg.ModeHTML,
				Text: b.view.t(inviterLang, "role_invite_accepted", "Name", esc(n.Name), "ID", n.ID,
					"Scope", b.scopeText(inviterLang, n.Communities)),
			}}
		})
	if msg, ok := inviteProblem(err); ok {
		return answer(msg)
	} else if err != nil {
		return err
	}
	if err := b.becameCoordinator(ctx, id); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("coordinator invite redeemed")
	detail := fmt.Sprintf("joined, invited by %d, scope %s", by, scopeDetail(rec.Communities))
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: id, Command: "coordinatorinvite", Detail: detail}); err != nil {
		return err
	}
	return answer("role_welcome", "Scope", b.scopeText(lang, rec.Communities))
}

// inviteProblem maps the store's answer about a coordinator invite to the
// message that explains it, if it is one of those.
func inviteProblem(err error) (string, bool) {
	switch {
	case err == nil:
		return "", false
	case multaque.ErrorCode(err) == multaque.ENOTFOUND:
		return "role_invite_used", true
	case multaque.ErrorCode(err) == multaque.EINVALID && multaque.ErrorMessage(err) == "expired":
		return "role_invite_expired", true
	case multaque.ErrorCode(err) == multaque.ECONFLICT:
		return "role_already_coordinator", true
	}
	return "", false
}

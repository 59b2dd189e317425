package bot

// Who steers Multaque: the first coordinator (/claim with the setup code of
// roles.go), the invites that make more (/coordinatorinvite, opened as
// start=k_<code>), the list (/coordinators), removal (/removecoordinator),
// scopes (/scope) and the audit log (/audit); and the command menu that
// coordinators, and only they, get in their private chat.
//
// Scopes. A coordinator limited to some communities oversees those and
// every community inside them. They may invite only within their scope
// (with no community named, the person they invite gets their scope), see
// and remove only coordinators whose scope lies within theirs, and see in
// the audit log only their own entries. Only a coordinator of every
// community changes scopes. Whatever changes, one coordinator of every
// community always remains, so that Multaque never loses its steering.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// RoleStore is what the coordinators' roles (who they are, their scope, the
// audit log, invites, the refusals) need of the database.
type RoleStore interface {
	// Coordinator returns a stored coordinator, or an ENOTFOUND error.
	Coordinator(ctx context.Context, id int64) (*multaque.Coordinator, error)
	Coordinators(ctx context.Context) ([]multaque.Coordinator, error)
	SaveCoordinator(ctx context.Context, c *multaque.Coordinator) error
	RemoveCoordinator(ctx context.Context, id int64) error
	Audit(ctx context.Context, e multaque.AuditEntry) error
	AuditLog(ctx context.Context, n int) ([]multaque.AuditEntry, error)
	CreateCoordinatorCode(ctx context.Context, by int64, communities []string, now, expires time.Time) (string, error)
	CheckCoordinatorCode(ctx context.Context, code string, now time.Time) (by int64, communities []string, err error)
	RedeemCoordinatorCode(ctx context.Context, code string, c multaque.Coordinator, now time.Time, items func(c *multaque.Coordinator, by int64) []multaque.OutboxItem) (*multaque.Coordinator, int64, error)
	// UpdateCoordinators applies fn to the stored coordinators, by id, and
	// stores what it leaves, in one transaction.
	UpdateCoordinators(ctx context.Context, fn func(cs map[int64]*multaque.Coordinator) error) error
	AuditLogBy(ctx context.Context, actor int64, n int) ([]multaque.AuditEntry, error)
	AuditRefusal(ctx context.Context, e multaque.AuditEntry) (first bool, err error)
}

const (
	// coordinatorInviteDays is how long a coordinator invite stays valid.
	coordinatorInviteDays = 7
	// maxScope is the most communities one scope names.
	maxScope = 20
	// defaultAuditEntries and maxAuditEntries are how many entries /audit
	// shows when not told, and at most.
	defaultAuditEntries, maxAuditEntries = 20, 100
	// allCommunities is the argument that means every community.
	allCommunities = "all"
)

// say answers the coordinator running a command with message id.
func (b *core) say(ctx context.Context, a *adminCall, id string, kv ...any) error {
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, id, kv...)})
}

// refuseRole audits a coordinator's command as refused, with detail, and
// tells them why with message id.
func (b *roles) refuseRole(ctx context.Context, a *adminCall, detail, id string, kv ...any) error {
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: a.coord.ID, Command: a.cmd, Detail: detail, Refused: true}); err != nil {
		return err
	}
	return b.say(ctx, a, id, kv...)
}

// roleRefusal is why a change to the coordinators was not made: the
// message that says so, and the audit detail.
type roleRefusal struct {
	msg, detail string
}

func (r roleRefusal) Error() string { return r.detail }

// changeCoordinators changes the stored coordinators with fn in one
// transaction and reloads them. A roleRefusal from fn changes nothing: the
// caller is told why, with target's id, and the attempt is audited; done
// is then false.
func (b *roles) changeCoordinators(ctx context.Context, a *adminCall, target int64, fn func(cs map[int64]*multaque.Coordinator) error) (done bool, err error) {
	err = b.store.UpdateCoordinators(ctx, fn)
	if r := (roleRefusal{}); errors.As(err, &r) {
		return false, b.refuseRole(ctx, a, r.detail, r.msg, "ID", target)
	}
	if err != nil {
		return false, err
	}
	return true, b.syncCoordinators(ctx)
}

// /claim

// /coordinatorinvite and its link

// /coordinators

// runCoordinators is /coordinators: every coordinator, with their name if
// known, Telegram id and scope; for a coordinator of some communities,
// only those whose scope lies within theirs.
func (b *roles) runCoordinators(ctx context.Context, a *adminCall) error {
	if a.args != "" {
		return b.say(ctx, a, "role_coordinators_usage")
	}
	stored, err := b.store.Coordinators(ctx)
	if err != nil {
		return err
	}
	all := map[int64]*multaque.Coordinator{}
	for i := range stored {
		all[stored[i].ID] = &stored[i]
	}
	for _, id := range b.coordinatorIDs() {
		if all[id] == nil && b.isListed(id) {
			all[id] = &multaque.Coordinator{ID: id}
		}
	}
	var shown []*multaque.Coordinator
	for _, c := range all {
		if len(a.coord.Communities) == 0 || len(c.Communities) > 0 && b.within(a.coord, c.Communities) {
			shown = append(shown, c)
		}
	}
	slices.SortFunc(shown, func(x, y *multaque.Coordinator) int { return cmp.Compare(x.ID, y.ID) })
	lines := make([]string, 0, len(shown))
	for _, c := range shown {
		name := c.Name
		if name == "" {
			if cz, err := b.citizen(ctx, c.ID); err != nil {
				return err
			} else if cz != nil {
				name = cz.Name
			}
		}
		if name == "" {
			name = b.view.t(a.lang, "role_name_unknown")
		}
		line := fmt.Sprintf("• <b>%s</b> · <code>%d</code> · %s", esc(name), c.ID, b.scopeText(a.lang, c.Communities))
		if b.isListed(c.ID) {
			line += " · " + b.view.t(a.lang, "role_configured")
		}
		lines = append(lines, line)
	}
	if err := b.audit(ctx, a, fmt.Sprintf("listed %d", len(lines))); err != nil {
		return err
	}
	return b.sendLines(ctx, a, append([]string{b.view.t(a.lang, "role_coordinators_header")}, lines...)...)
}

// /removecoordinator

// runRemoveCoordinator is /removecoordinator <id>: the stored coordinator
// id is one no more. Coordinators of the configuration cannot be removed
// from Telegram, the last coordinator of every community cannot be removed,
// and a coordinator of some communities removes only coordinators whose
// scope lies within theirs.
func (b *roles) runRemoveCoordinator(ctx context.Context, a *adminCall) error {
	target, ok := parseID(a.args)
	if !ok {
		return b.say(ctx, a, "role_remove_usage")
	}
	detail := "remove " + strconv.FormatInt(target, 10)
	scoped := len(a.coord.Communities) > 0
	if scoped {
		// Nothing is said about coordinators outside the caller's
		// scope, not even whether there is one with that id.
		t, ok := b.storedCoordinator(target)
		if !ok || len(t.Communities) == 0 || !b.within(a.coord, t.Communities) {
			return b.refuseRole(ctx, a, detail+": not within scope", "role_not_within")
		}
	}
	if b.isListed(target) {
		return b.refuseRole(ctx, a, detail+": configured", "role_remove_configured", "ID", target)
	}
	done, err := b.changeCoordinators(ctx, a, target, func(cs map[int64]*multaque.Coordinator) error {
		t := cs[target]
		switch {
		case t == nil:
			return roleRefusal{"role_not_coordinator", detail + ": not a coordinator"}
		case scoped && (len(t.Communities) == 0 || !b.within(a.coord, t.Communities)):
			return roleRefusal{"role_not_within", detail + ": not within scope"}
		}
		delete(cs, target)
		if b.unscopedLeft(cs) == 0 {
			return roleRefusal{"role_last_unscoped", detail + ": last coordinator of every community"}
		}
		return nil
	})
	if !done || err != nil {
		return err
	}
	if err := b.withdrawCoordinatorMenu(ctx, target); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int64("coordinator", target).Msg("withdraw coordinator menu")
	}
	zerolog.Ctx(ctx).Info().Int64("coordinator", target).Msg("coordinator removed")
	if err := b.audit(ctx, a, detail); err != nil {
		return err
	}
	return b.say(ctx, a, "role_removed", "ID", target)
}

// /scope

// runScope is /scope <id> all | <community> ...: sets which communities
// coordinator id oversees. Only a coordinator of every community may.
func (b *roles) runScope(ctx context.Context, a *adminCall) error {
	if len(a.coord.Communities) > 0 {
		return b.refuseRole(ctx, a, "scope: only for coordinators of every community", "role_scope_only_unscoped")
	}
	idArg, rest, _ := strings.Cut(strings.TrimSpace(a.args), " ")
	target, ok := parseID(idArg)
	if !ok || strings.TrimSpace(rest) == "" {
		return b.say(ctx, a, "role_scope_usage")
	}
	communities, all, bad, ok := b.parseScope(rest)
	switch {
	case !ok:
		return b.say(ctx, a, "role_scope_usage")
	case bad != "":
		return b.sayUnknownCommunity(ctx, a, bad, "role_scope_usage")
	}
	if all {
		communities = nil
	}
	detail := fmt.Sprintf("scope %d: %s", target, scopeDetail(communities))
	if !b.isCoordinator(target) {
		return b.refuseRole(ctx, a, detail+": not a coordinator", "role_not_coordinator", "ID", target)
	}
	lang := b.coordinatorLang(ctx, target)
	listed := b.isListed(target)
	now := b.now().UTC()
	done, err := b.changeCoordinators(ctx, a, target, func(cs map[int64]*multaque.Coordinator) error {
		t := cs[target]
		switch {
		case t == nil && !listed:
			return roleRefusal{"role_not_coordinator", detail + ": not a coordinator"}
		case t == nil:
			// A record limits a coordinator of the configuration.
			t = &multaque.Coordinator{ID: target, Lang: lang, AddedAt: now}
			cs[target] = t
		}
		t.Communities = slices.Clone(communities)
		if b.unscopedLeft(cs) == 0 {
			return roleRefusal{"role_last_unscoped", detail + ": last coordinator of every community"}
		}
		return nil
	})
	if !done || err != nil {
		return err
	}
	if err := b.audit(ctx, a, detail); err != nil {
		return err
	}
	return b.say(ctx, a, "role_scope_set", "ID", target, "Scope", b.scopeText(a.lang, communities))
}

// /audit

// runAudit is /audit [n]: the latest n entries of the audit log (default
// defaultAuditEntries, at most maxAuditEntries), newest first. A
// coordinator of some communities sees only their own entries: the others'
// may be about communities outside their scope.
func (b *roles) runAudit(ctx context.Context, a *adminCall) error {
	n := defaultAuditEntries
	if a.args != "" {
		v, err := strconv.Atoi(a.args)
		if err != nil || v < 1 {
			return b.say(ctx, a, "role_audit_usage")
		}
		n = min(v, maxAuditEntries)
	}
	var entries []multaque.AuditEntry
	var err error
	header := "role_audit_header"
	if len(a.coord.Communities) == 0 {
		entries, err = b.store.AuditLog(ctx, n)
	} else {
		entries, err = b.store.AuditLogBy(ctx, a.coord.ID, n)
		header = "role_audit_header_own"
	}
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, fmt.Sprintf("read %d", len(entries))); err != nil {
		return err
	}
	if len(entries) == 0 {
		return b.say(ctx, a, "role_audit_empty")
	}
	refused := b.view.t(a.lang, "role_audit_refused")
	lines := make([]string, len(entries))
	for i, e := range entries {
		line := fmt.Sprintf("<code>%s</code> · <code>%d</code> · /%s", e.At.UTC().Format(time.DateTime), e.Actor, esc(e.Command))
		if e.Detail != "" {
			line += " · " + esc(e.Detail)
		}
		if e.Refused {
			line += " · ⛔ " + refused
			if e.Count > 1 {
				line += fmt.Sprintf(" ×%d", e.Count)
			}
		}
		lines[i] = line
	}
	return b.sendLines(ctx, a, append([]string{b.view.t(a.lang, header)}, lines...)...)
}

// The menus

// Helpers

// coordinatorLang is the language to write to coordinator id in: their
// own choice as a citizen, else the one of their record, else the default.
func (b *core) coordinatorLang(ctx context.Context, id int64) multaque.Lang {
	if cz, err := b.citizen(ctx, id); err == nil && cz != nil && cz.Lang.Valid() {
		return cz.Lang
	}
	if c, ok := b.storedCoordinator(id); ok && c.Lang.Valid() {
		return c.Lang
	}
	return multaque.DefaultLang
}

// within reports whether every community of scope is within coord's scope;
// an empty scope (every community) is within an unscoped coordinator's
// only.
func (b *roles) within(coord *multaque.Coordinator, scope []string) bool {
	if len(coord.Communities) == 0 {
		return true
	}
	if len(scope) == 0 {
		return false
	}
	for _, id := range scope {
		if !b.oversees(coord, id) {
			return false
		}
	}
	return true
}

// unscopedLeft counts the coordinators of every community there would be
// with cs stored: the listed ones without a record, and the stored ones
// without communities.
func (b *roles) unscopedLeft(cs map[int64]*multaque.Coordinator) int {
	n := 0
	for _, c := range cs {
		if c != nil && len(c.Communities) == 0 {
			n++
		}
	}
	b.coordinators.mu.RLock()
	defer b.coordinators.mu.RUnlock()
	for id := range b.coordinators.listed {
		if cs[id] == nil {
			n++
		}
	}
	return n
}

// parseScope reads "all" or community ids, separated by spaces or commas.
// ok is false for too many; bad is the first id that names no community.
// Neither all nor any community means args was empty.
func (b *roles) parseScope(args string) (communities []string, all bool, bad string, ok bool) {
	fields := strings.FieldsFunc(strings.ToLower(args), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t'
	})
	if len(fields) == 1 && fields[0] == allCommunities {
		return nil, true, "", true
	}
	if len(fields) > maxScope {
		return nil, false, "", false
	}
	for _, f := range fields {
		if _, known := b.view.cat.Community(f); !known || !multaque.ValidID(f) {
			return nil, false, f, true
		}
		if !slices.Contains(communities, f) {
			communities = append(communities, f)
		}
	}
	return communities, false, "", true
}

// sayUnknownCommunity answers a scope naming a community that does not
// exist, with the command's usage line.
func (b *roles) sayUnknownCommunity(ctx context.Context, a *adminCall, bad, usage string) error {
	text := b.view.t(a.lang, "role_unknown_community", "Community", esc(clipRunes(bad, 64))) + "\n" + b.view.t(a.lang, usage)
	return b.send(ctx, a.c.Recipient(), view{Text: text})
}

// scopeText names a scope in lang: its communities, or every community.
func (b *roles) scopeText(lang multaque.Lang, communities []string) string {
	if len(communities) == 0 {
		return b.view.t(lang, "role_scope_all")
	}
	names := make([]string, len(communities))
	for i, id := range communities {
		names[i] = id
		if c, ok := b.view.cat.Community(id); ok {
			names[i] = c.Name.In(lang)
		}
		names[i] = esc(names[i])
	}
	return strings.Join(names, ", ")
}

// scopeDetail names a scope for the audit log, by ids.
func scopeDetail(communities []string) string {
	if len(communities) == 0 {
		return allCommunities
	}
	return strings.Join(communities, ",")
}

// parseID reads a Telegram user id.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

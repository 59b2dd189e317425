package bot

// The coordinators' commands. Each subject keeps its commands in a file of
// its own (coord_manage.go, coord_reports.go, coord_steering.go,
// coord_catalogue.go, coord_broadcast.go), and the route table (routes.go)
// lists them. Here is what they share: who may run them (a coordinator,
// within their scope), the neutral refusal everyone else gets, and the
// audit log.

import (
	"context"
	"strconv"
	"strings"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// adminCommand is one coordinators' command.
type adminCommand struct {
	name string
	// run does the command for a coordinator allowed to run it. It audits
	// what it changed with b.audit; refusals are audited before it runs.
	run func(ctx context.Context, a *adminCall) error
}

// adminCall is a coordinator's command being run.
type adminCall struct {
	c     *tg.Context
	coord *multaque.Coordinator // Communities empty: every community
	lang  multaque.Lang
	cmd   string
	args  string
}

// onAdminCommand runs a coordinators' command: for a coordinator, the
// command; for anyone else one neutral sentence, and the attempt audited.
func (b *roles) onAdminCommand(ctx context.Context, c *tg.Context, ac adminCommand, args string, lang multaque.Lang) error {
	id := c.Sender().ID
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return err
	}
	if coord == nil {
		zerolog.Ctx(ctx).Info().Str("command", ac.name).Msg("admin command refused")
		first, err := b.store.AuditRefusal(ctx, multaque.AuditEntry{At: b.now().UTC(), Actor: id, Command: ac.name, Refused: true})
		if err != nil {
			return err
		}
		// Someone taken out of the configuration keeps the coordinators'
		// menu in their chat (Telegram cannot list the chats that have one):
		// their first refusal of the day takes it away, within the chat's
		// pace. Once a day is enough: refusals cannot make the bot spend
		// Telegram's budget.
		if first {
			err := b.wire.Paced(ctx, id, func() error { return b.withdrawCoordinatorMenu(ctx, id) })
			if err != nil {
				zerolog.Ctx(ctx).Debug().Err(err).Msg("withdraw the coordinators' menu")
			}
		}
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "admin_refused")})
	}
	return ac.run(ctx, &adminCall{c: c, coord: coord, lang: lang, cmd: ac.name, args: args})
}

// coordinator returns the coordinator with Telegram id id, nil if the
// person is none: a stored record (which may limit them to some
// communities), else one of the configured coordinators, who oversee
// everything.
func (b *core) coordinator(ctx context.Context, id int64) (*multaque.Coordinator, error) {
	if id <= 0 {
		return nil, nil
	}
	c, err := b.store.Coordinator(ctx, id)
	switch {
	case err == nil:
		return c, nil
	case multaque.ErrorCode(err) != multaque.ENOTFOUND:
		return nil, err
	}
	if b.isCoordinator(id) {
		return &multaque.Coordinator{ID: id, Lang: multaque.DefaultLang}, nil
	}
	return nil, nil
}

// audit records an admin action a coordinator took; detail names ids only.
func (b *core) audit(ctx context.Context, a *adminCall, detail string) error {
	return b.auditEntry(ctx, multaque.AuditEntry{Actor: a.coord.ID, Command: a.cmd, Detail: detail})
}

// refuseOutOfScope audits a coordinator's attempt to see or act on
// community outside their scope and tells them so, in one sentence that
// does not say whether the community has anything in it.
func (b *core) refuseOutOfScope(ctx context.Context, a *adminCall, community string) error {
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: a.coord.ID, Command: a.cmd, Detail: "out of scope: " + community, Refused: true}); err != nil {
		return err
	}
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "admin_out_of_scope")})
}

func (b *core) auditEntry(ctx context.Context, e multaque.AuditEntry) error {
	e.At = b.now().UTC()
	return b.store.Audit(ctx, e)
}

// oversees reports whether community is within the coordinator's scope:
// one of their communities or inside one.
func (b *core) oversees(coord *multaque.Coordinator, community string) bool {
	if len(coord.Communities) == 0 {
		return true
	}
	return coord.Oversees(community, b.ancestors(community))
}

// ancestors lists the communities community is inside, parent first.
func (b *core) ancestors(community string) []string {
	var out []string
	for id := community; ; {
		c, ok := b.view.cat.Community(id)
		if !ok || c.Parent == "" || len(out) > 64 {
			return out
		}
		out = append(out, c.Parent)
		id = c.Parent
	}
}

// maxListMessage is how long, in bytes, a message of a list may grow
// before the rest goes into another: bytes are never fewer than the UTF-16
// units Telegram counts up to 4096.
const maxListMessage = 4000

// sendLines sends lines to the coordinator running a command, one message
// cut between lines into as many as Telegram's length limit asks for.
func (b *core) sendLines(ctx context.Context, a *adminCall, lines ...string) error {
	var msg strings.Builder
	for _, line := range lines {
		switch {
		case msg.Len() > 0 && msg.Len()+1+len(line) > maxListMessage:
			if err := b.send(ctx, a.c.Recipient(), view{Text: msg.String()}); err != nil {
				return err
			}
			msg.Reset()
		case msg.Len() > 0:
			msg.WriteByte('\n')
		}
		msg.WriteString(line)
	}
	return b.send(ctx, a.c.Recipient(), view{Text: msg.String()})
}

// count shows a number of people as coordinators may see it: "<3" for one
// or two people, so that no count points at someone; the number otherwise.
func count(n int) string {
	if n > 0 && n < 3 {
		return "<3"
	}
	return strconv.Itoa(n)
}

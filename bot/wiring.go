package bot

// What cmd/multaque wires to the other components: the matcher's Notifier,
// the Sender's hook, the Provisioner, the broadcasts' queue and the
// sandbox's coordinators. Each hands the work to its room.

import (
	"context"

	"github.com/multaque/multaque"
)

// RunBroadcasts queues the broadcasts coordinators confirmed until ctx is
// done: those whose confirmation did not queue them in full (a broadcast to
// many people) and those a stop or a crash interrupted. Each chunk is one
// transaction that moves the broadcast's cursor, so nobody is queued twice.
// It returns nil once ctx is done.
func (b *Bot) RunBroadcasts(ctx context.Context) error {
	return b.broadcasts.runBroadcasts(ctx)
}

// AddCoordinator makes the person with Telegram id id a coordinator from
// now on, until the bot stops: it is not stored, so a coordinator who must
// stay one belongs in Options.Coordinators (or is invited with
// /coordinatorinvite). It reports whether id was added: false if it is one
// already or cannot be a person's (id <= 0). Their private chat gets the
// coordinators' command menu. It is safe to call while the bot runs.
func (b *Bot) AddCoordinator(id int64) bool {
	return b.roles.addCoordinator(id)
}

// TeamFormed tells each member of a new team that it is forming (its group
// comes when the provisioner has prepared it) and, if no mentor was free,
// tells the coordinators.
func (b *Bot) TeamFormed(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.teams.teamFormed(t, langs)
}

// TeamJoined invites late joiners to the team's group, or, while it is
// still forming, tells them they are in.
func (b *Bot) TeamJoined(t *multaque.Team, joined []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.teams.teamJoined(t, joined, langs)
}

// MentorAssigned invites a team's new mentor to its group. A team still
// forming invites them with its members when its group is ready.
func (b *Bot) MentorAssigned(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.teams.mentorAssigned(t, langs)
}

// NewProvisioner returns the Provisioner of the teams.
func (b *Bot) NewProvisioner(opts ProvisionerOptions) (*Provisioner, error) {
	return b.teams.newProvisioner(opts)
}

// InviteItems builds the private invitations to the group of team t for
// people (members of t or its mentor; anyone else is skipped), each in the
// language langs gives (the default language if it gives none), with a
// "Join the team" button to the team's invite link. It builds nothing
// until t is active: the Provisioner invites everyone in t when its group
// is ready. It only builds items, so the matcher can call it inside the
// transaction that adds late joiners (store JoinTeam) or a mentor
// (AssignMentor), passing the team as it will be stored:
//
//	db.JoinTeam(ctx, id, joined, now, func(t *multaque.Team) []multaque.OutboxItem {
//		return b.InviteItems(t, joined, langs)
//	})
//
// Invitations are keyed by team, group and person ("invite/<team>/<chat>/
// <person>"), so nobody is invited twice to one group, and everyone is
// invited again when the team moves to another group.
func (b *Bot) InviteItems(t *multaque.Team, people []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.teams.inviteItemsFor(t, people, langs)
}

// ChatGone is the Sender's hook (SenderOptions.ChatGone): a group the
// outbox could not write to leaves the pool, and its team gets another.
// Private chats are not groups: it ignores them.
func (b *Bot) ChatGone(ctx context.Context, item multaque.OutboxItem) error {
	return b.teams.chatGone(ctx, item)
}

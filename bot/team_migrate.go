package bot

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque/bot/tg"
)

// Basic groups and their upgrade to supergroups. A basic group does not
// enter the pool: Telegram's apps upgrade it to a supergroup on their own
// when some settings change (a new id, and every write to the old one
// answers 400 with migrate_to_chat_id), and a basic group cannot unban the
// member it removes, which /leave needs. The coordinator is told in one
// sentence how to make it a supergroup; when they do, the bot, which stays
// in the group, takes the supergroup into the pool.
//
// A group of the pool that migrates all the same (one admitted before this
// rule, or upgraded by Telegram) is followed: its pool record, its team and
// the join requests waiting for an answer move to the new id in one
// transaction, whether the bot learns it from the service messages or from
// the 400 of a write.

// isBasicGroup reports whether chat is a basic group's id: negative
// without the -100… of supergroups.
func isBasicGroup(chat int64) bool { return chat < 0 && chat > -1000000000000 }

// onGroupMessage handles the service messages of groups that matter to
// the pool: a basic group upgraded to a supergroup (migrate_to_chat_id in
// the old group, migrate_from_chat_id in the new one; the bot gets both).
func (b *teams) onGroupMessage(ctx context.Context, c *tg.Context) error {
	m := c.Update().Message
	var by int64
	if m.Sender != nil {
		by = m.Sender.ID
	}
	switch {
	case m.MigrateTo != 0:
		return b.migrate(ctx, m.Chat.ID, m.MigrateTo)
	case m.MigrateFrom != 0:
		if err := b.migrate(ctx, m.MigrateFrom, m.Chat.ID); err != nil {
			return err
		}
		return b.admitUpgraded(ctx, c, m.Chat.ID, m.Chat.Title, by)
	}
	return nil
}

// migrate moves what the bot knows of the group from to the supergroup to.
func (b *teams) migrate(ctx context.Context, from, to int64) error {
	t, err := b.store.MigrateGroup(ctx, from, to, b.now())
	if err != nil {
		return err
	}
	log := zerolog.Ctx(ctx).Info().Int64("from", from).Int64("to", to)
	if t != nil {
		log = log.Str("team", t.ID)
	}
	log.Msg("group upgraded to a supergroup: followed")
	b.wakeProvisioner() // its join requests can be answered in the new group
	return nil
}

// admitUpgraded takes into the pool a supergroup that a coordinator made
// of a basic group the bot was refused in, if the bot has its rights
// there. Anything else (a group of the pool, which migrate moved; a group
// upgraded by someone who is not a coordinator) is left as it is.
func (b *teams) admitUpgraded(ctx context.Context, c *tg.Context, chat int64, title string, by int64) error {
	if b.inPool(ctx, chat) || !b.isCoordinator(by) {
		return nil
	}
	var admins []tg.ChatMember
	if err := b.wire.GroupCall(ctx, "getChatAdministrators", map[string]any{"chat_id": chat}, &admins); err != nil {
		zerolog.Ctx(ctx).Info().Err(err).Msg("read the upgraded group's administrators")
		return nil
	}
	for i := range admins {
		if b.isMe(admins[i].User) {
			return b.admit(ctx, c, chat, title, by, &admins[i])
		}
	}
	return nil // not an administrator: nothing to do until promoted
}

// isMe reports whether u is this bot.
func (b *teams) isMe(u *tg.User) bool {
	return u != nil && u.IsBot && b.username != "" && equalFoldASCII(u.Username, b.username)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// followMigration is for a call about a group that answered err: if the
// group was upgraded to a supergroup, the bot follows it and returns the
// new id; else 0.
func (b *teams) followMigration(ctx context.Context, chat int64, err error) (int64, error) {
	to := tg.MigratedTo(err)
	if to == 0 || chat >= 0 {
		return 0, nil
	}
	if err := b.migrate(ctx, chat, to); err != nil {
		return 0, err
	}
	return to, nil
}

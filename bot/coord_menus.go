package bot

import (
	"context"
	"fmt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// The coordinators' command menu: the citizens' menu followed by the
// coordinators' commands of the route table, set for each coordinator's
// private chat. Telegram refuses a menu for a chat the bot has never seen
// ("chat not found"), so a coordinator who never wrote to the bot gets
// theirs when they first do (showMenu).

// coordinatorCommands is the command menu of a coordinator's private
// chat in lang: the citizens' commands, then the coordinators'.
func (b *roles) coordinatorCommands(lang multaque.Lang) []tg.Command {
	return b.routes.menu(b.view, lang, coordinatorMenu)
}

// publishCoordinatorMenu gives coordinator id's private chat the
// coordinators' menu, in their language. The menu is set for the chat
// with no language, so that it shows whatever language their Telegram
// app uses: Telegram looks at a chat's own menu before the menus of all
// private chats.
func (b *roles) publishCoordinatorMenu(ctx context.Context, id int64) error {
	if err := b.wire.SetCommands(ctx, b.coordinatorCommands(b.coordinatorLang(ctx, id)), tg.ScopeChat, id, ""); err != nil {
		return fmt.Errorf("set coordinator commands: %w", err)
	}
	b.menuShown.Store(id, true)
	return nil
}

// withdrawCoordinatorMenu takes the coordinators' menu out of id's private
// chat, which shows the citizens' menu again.
func (b *roles) withdrawCoordinatorMenu(ctx context.Context, id int64) error {
	if err := b.wire.DeleteCommands(ctx, tg.ScopeChat, id, ""); err != nil {
		return fmt.Errorf("delete coordinator commands: %w", err)
	}
	b.menuShown.Delete(id)
	return nil
}

// publishCoordinatorMenus gives every coordinator their menu, at start. A
// chat Telegram refuses (a configured coordinator who never started the
// bot) is logged and skipped: it gets its menu at the next start.
func (b *roles) publishCoordinatorMenus() {
	ctx := context.Background()
	for _, id := range b.coordinatorIDs() {
		if err := b.publishCoordinatorMenu(ctx, id); err != nil {
			b.log.Warn().Err(err).Int64("coordinator", id).Msg("publish coordinator menu")
		}
	}
}

// showMenu gives coordinator id their menu if this process has not yet
// set it: a configured coordinator who had never written to the bot when
// it started, or one whose menu Telegram refused then. Anyone else is left
// as they are. Failures are only logged: the menu is tried again at their
// next message.
func (b *roles) showMenu(ctx context.Context, id int64) {
	if !b.isCoordinator(id) {
		return
	}
	if _, shown := b.menuShown.Load(id); shown {
		return
	}
	if err := b.publishCoordinatorMenu(ctx, id); err != nil {
		b.log.Info().Err(err).Int64("coordinator", id).Msg("publish coordinator menu")
	}
}

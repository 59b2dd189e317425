package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// citizenCommands are the commands of private chats, in menu order. Each
// has a description "cmd_<name>" in the locale files.
var citizenCommands = []string{"start", "projects", "me", "settings", "leave", "propose", "privacy", "mydata", "forget", "cancel", "help"}

// PublishCommands sets the command menu of private chats in each language,
// and once without a language for everyone else (in English); then each
// coordinator's chat gets the coordinators' menu.
func (b *Bot) PublishCommands() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, lang := range multaque.Languages {
		if err := b.wire.SetCommands(ctx, b.commands(lang), tg.ScopeAllPrivateChats, 0, string(lang)); err != nil {
			return fmt.Errorf("set commands %s: %w", lang, err)
		}
	}
	if err := b.wire.SetCommands(ctx, b.commands(multaque.English), tg.ScopeAllPrivateChats, 0, ""); err != nil {
		return fmt.Errorf("set commands: %w", err)
	}
	b.publishCoordinatorMenus() // roles_admin.go
	return nil
}

func (b *Bot) commands(lang multaque.Lang) []tg.Command {
	out := make([]tg.Command, len(citizenCommands))
	for i, c := range citizenCommands {
		out[i] = tg.Command{Text: c, Description: b.view.t(lang, "cmd_"+c)}
	}
	return out
}

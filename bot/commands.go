package bot

import (
	"fmt"

	tele "gopkg.in/telebot.v3"

	"github.com/multaque/multaque"
)

// citizenCommands are the commands of private chats, in menu order. Each
// has a description "cmd_<name>" in the locale files.
var citizenCommands = []string{"start", "projects", "me", "settings", "leave", "propose", "privacy", "mydata", "forget", "cancel", "help"}

// PublishCommands sets the command menu of private chats in each language,
// and once without a language for everyone else (in English); then each
// coordinator's chat gets the coordinators' menu.
func (b *Bot) PublishCommands() error {
	scope := tele.CommandScope{Type: tele.CommandScopeAllPrivateChats}
	for _, lang := range multaque.Languages {
		if err := b.tg.SetCommands(b.commands(lang), scope, string(lang)); err != nil {
			return fmt.Errorf("set commands %s: %w", lang, redact(err, b.token))
		}
	}
	if err := b.tg.SetCommands(b.commands(multaque.English), scope); err != nil {
		return fmt.Errorf("set commands: %w", redact(err, b.token))
	}
	b.publishCoordinatorMenus() // roles_admin.go
	return nil
}

func (b *Bot) commands(lang multaque.Lang) []tele.Command {
	out := make([]tele.Command, len(citizenCommands))
	for i, c := range citizenCommands {
		out[i] = tele.Command{Text: c, Description: b.view.t(lang, "cmd_"+c)}
	}
	return out
}

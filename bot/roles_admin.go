package bot

func (b *Bot) roleCommands() []adminCommand { return nil }

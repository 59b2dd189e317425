package bot

func (b *Bot) steeringCommands() []adminCommand { return nil }

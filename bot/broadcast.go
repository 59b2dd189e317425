package bot

// BroadcastStore is what the broadcast commands need of the database (see AdminStore).
type BroadcastStore interface{}

func (b *Bot) broadcastCommands() []adminCommand { return nil }

package bot

// ReportStore is what the report commands need of the database (see AdminStore).
type ReportStore interface{}

func (b *Bot) reportCommands() []adminCommand { return nil }

package bot

// ProposalStore is what the proposal commands need of the database (see AdminStore).
type ProposalStore interface{}

func (b *Bot) proposalCommands() []adminCommand { return nil }

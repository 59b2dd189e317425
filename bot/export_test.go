package bot

// AdminCommandNames lists the name of every coordinators' command of the
// registry (admin.go), for the tests that walk them all.
func AdminCommandNames(b *Bot) []string {
	var names []string
	for _, ac := range b.adminCommands() {
		names = append(names, ac.name)
	}
	return names
}

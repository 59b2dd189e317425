package multaque

// CommunityStats counts the citizens of one community and what they want,
// for the coordinators' reports (/stats, /chart, /export). It holds numbers
// only, never who: whoever shows them to a person hides counts of one or
// two people.
type CommunityStats struct {
	// Community is the community's id, "" for the citizens who have not
	// named one yet.
	Community string
	// People is how many citizens named the community.
	People int
	// Projects counts the interests of its citizens by project id; a
	// project that nobody there wants has no entry.
	Projects map[string]ProjectStats
}

// ProjectStats counts the citizens of one community who want one project.
type ProjectStats struct {
	// Interested is everyone who wants it: waiting, in a team for it, or
	// unreachable (they blocked the bot, and wait no more).
	Interested int
	// Waiting is those in its queue (Citizen.Waiting, and in no team for it).
	Waiting int
	// InTeams is those in a team for it.
	InTeams int
}

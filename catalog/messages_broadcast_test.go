package catalog_test

// The values the texts of /pool, /match, /mentors and /broadcast use
// (locales/steering and locales/broadcast), for TestMessagesEveryLanguage.
func init() {
	for k, v := range map[string]any{
		"Usage": "/pool", "Used": 3, "Broken": 1, "More": 2, "Teams": 2, "People": "&lt;3", "Added": "&lt;3",
		"Mentors": 4, "Target": "la gent de Gràcia", "ID": "12", "Length": 4200, "Max": 4040,
		"Recipients": "&lt;3", "Status": "enviada", "Queued": 120, "Delivered": 118, "Failed": "&lt;3",
	} {
		sampleData[k] = v
	}
}

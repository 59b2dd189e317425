package catalog_test

// The values the reports' texts use (catalog/locales/reports).
func init() {
	for k, v := range map[string]any{
		"Area": "Gràcia", "People": "<3", "Interested": 12, "Waiting": 7, "InTeams": 5,
		"Forming": 1, "Active": 3, "Mentors": 4, "Paused": "<3", "Outbox": 17,
		"Command": "stats", "More": 6,
	} {
		sampleData[k] = v
	}
}

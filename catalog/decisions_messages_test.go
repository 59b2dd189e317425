package catalog_test

// The values the decisions' texts use (catalog/locales/decisions), added
// to sampleData apart so that they merge without touching its list.
func init() {
	for k, v := range map[string]any{
		"Question": "Buy from Joan?", "Closes": "2026-12-10 18:00", "Options": "• a\n• b", "Needed": 2,
		"Target": 3, "Kind": "proposal", "Voted": 3, "Option": "Agree", "Winners": "Tue 19:00", "In": 2,
		"Reason": "too dear", "Votes": 2, "Result": "✅", "Closed": "2026-12-10",
	} {
		sampleData[k] = v
	}
}

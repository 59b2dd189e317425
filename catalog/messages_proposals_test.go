package catalog_test

// The values the messages of proposals and thresholds use
// (locales/proposals).
func init() {
	for k, v := range map[string]any{
		"Limit": 64, "Min": 6, "Max": 12, "OldMin": 8, "OldMax": 15, "ID": 7, "Language": "català",
		"Note": "Explica què costa", "Who": "Carme", "Text": "Hort comunitari", "Field": "pitch",
	} {
		sampleData[k] = v
	}
}

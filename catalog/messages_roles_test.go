package catalog_test

// The values the texts of catalog/locales/roles use besides those of
// sampleData.
func init() {
	sampleData["ID"] = 100001
	sampleData["Scope"] = "Gràcia, Sants-Montjuïc"
}

package catalog_test

// The values of the pledges room's messages (locales/pledges), added to
// sampleData here so that its list needs no edit.
func init() {
	for k, v := range map[string]any{
		"Hours": 5, "Amount": "20.00", "Ref": "t1-3", "How": "IBAN ES00", "ID": "city", "Budget": "5000.00",
		"Committed": "120.00", "Released": "10.00", "Paid": "40.00", "Left": "4830.00", "Ends": "2027-12-31",
		"Funder": "City Council", "Who": "Anna", "No": 3, "Min": "500.00", "Deadline": "2027-03-31",
		"Optimum": "800.00", "Pledged": "200.00", "Matched": "150.00", "Bonus": "0.00", "Total": "350.00",
		"PaidBy": 1, "Match": "20.00", "Goals": 4, "Met": 1, "Missed": 1, "Pledges": "12", "Teams": "t1, t2", "What": "20.00 €", "Names": "Anna, Ben",
	} {
		sampleData[k] = v
	}
}

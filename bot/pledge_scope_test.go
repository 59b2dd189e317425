package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

// pledgeScopeRows are the rows of TestEveryAdminCommandKeepsScope for the
// funds' commands: a fund of Gràcia and one of Sants ("Badal") exist; a
// coordinator of Gràcia cannot create a fund outside Gràcia (nor one for
// every community), cannot read the Sants fund's ledger, and her /funds
// lists the Gràcia fund only.
func pledgeScopeRows(t *testing.T, h *harness, seen func(id string, kv ...any) string) []scopeRow {
	t.Helper()
	now := time.Now()
	for _, f := range []multaque.Fund{
		{ID: "gracia-fund", Name: "Fons de Gràcia", Communities: []string{"gracia"}},
		{ID: "badal", Name: "Fons de Badal", Communities: []string{"sants"}},
	} {
		f.Budget, f.FactorNum, f.FactorDen, f.Ends = 100_000, 1, 1, now.Add(365*24*time.Hour)
		if _, err := h.db.CreateFund(context.Background(), f, now); err != nil {
			t.Fatalf("CreateFund: %v", err)
		}
	}
	return []scopeRow{
		{name: "fund", attempts: []scopeAttempt{
			{"/fund sants2 100 1 2030-12-31 communities=sants Fons de Sants / Districte", "admin_out_of_scope"},
			{"/fund every 100 1 2030-12-31 Fons de tothom / Generalitat", "admin_out_of_scope"},
			{"/fund mix 100 1 2030-12-31 communities=gracia,sants Fons mixt / Districte", "admin_out_of_scope"},
		}},
		{name: "funds",
			attempts: []scopeAttempt{{"/funds badal", "funds_not_found"}},
			views: []scopeView{{
				text: "/funds", msgs: 1, control: true,
				want: []string{seen("funds_head"), "Fons de Gràcia"},
				not:  []string{"Badal"},
			}}},
	}
}

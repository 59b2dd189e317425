package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// staleCatalog has one example checked in 2024 and one claim checked in
// 2026.
const staleCatalog = `
projects:
  - id: worker-coop
    name: {ca: Cooperativa, es: Cooperativa, en: Cooperative}
    pitch: {ca: Uniu-vos., es: Uníos., en: Team up.}
    explanation: {ca: Almenys 3.000 euros., es: Al menos 3.000 euros., en: "At least 3,000 euros."}
    examples:
      - name: Coòpolis
        url: https://bcn.coop
        text: {ca: A Sants., es: En Sants., en: In Sants.}
        source: https://bcn.coop
        checked: 2024-03-01
    claims:
      - says: At least 3,000 euros of share capital.
        figures: ["3000"]
        source: https://www.boe.es/eli/es-ct/l/2015/07/09/12/con
        checked: 2026-11-30
    min_team: 3
    max_team: 10
    playbook:
      - {ca: Trobeu-vos., es: Reuníos., en: Meet.}
communities:
  - id: region
    name: {ca: Regió, es: Región, en: Region}
`

func TestCatalogStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, []byte(staleCatalog), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	noEnv := func(string) string { return "" }
	tests := []struct {
		age     string
		listed  []string
		missing []string
		fails   bool
	}{
		{"12mo", []string{`2024-03-01  worker-coop  example "Coòpolis"  https://bcn.coop`, "1 of 2 claims last checked before 2025-12-07"}, []string{"2026-11-30"}, true},
		{"1w", []string{"2024-03-01", "2026-11-30  worker-coop  claim  https://www.boe.es/eli/es-ct/l/2015/07/09/12/con", "At least 3,000 euros", "2 of 2 claims"}, nil, true},
		{"3y", []string{"all 2 claims checked since 2023-12-07"}, []string{"2024-03-01"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.age, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := catalogStale([]string{"--older-than", tt.age, "--catalog", path}, now, noEnv, &out, &errOut)
			if (err != nil) != tt.fails {
				t.Fatalf("catalog stale --older-than %s: error %v, want failure %v", tt.age, err, tt.fails)
			}
			for _, s := range tt.listed {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output %q, want it to contain %q", out.String(), s)
				}
			}
			for _, s := range tt.missing {
				if strings.Contains(out.String(), s) {
					t.Errorf("output %q, want it not to contain %q", out.String(), s)
				}
			}
		})
	}
}

// The built-in catalogue was checked less than a year before this test was
// written: nothing in it is stale a day later.
func TestCatalogStaleBuiltIn(t *testing.T) {
	var out, errOut bytes.Buffer
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	if err := catalogStale([]string{"--older-than", "12mo"}, now, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("catalog stale on the built-in catalogue: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(out.String(), "all ") {
		t.Fatalf("output %q, want all claims checked", out.String())
	}
}

func TestCatalogStaleRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"catalog"},
		{"catalog", "fresh"},
		{"catalog", "stale", "--older-than", "a year"},
		{"catalog", "stale", "--older-than", "-3mo"},
		{"catalog", "stale", "extra"},
		{"catalog", "stale", "--catalog", "/nonexistent/catalog.yaml"},
	} {
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err == nil {
			t.Errorf("Run(%q) succeeded, want an error", args)
		}
	}
}

package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// withExample is the valid project with its example's source lines
// replaced by lines.
func withExample(lines string) string {
	return strings.Replace(project, `        source: https://www.bancdeltemps.org
        checked: 2026-12-07
`, lines, 1)
}

// withClaims is the valid project with its explanation and claims
// replaced.
func withClaims(explanation, claims string) string {
	p := strings.Replace(project,
		"explanation: {ca: Una hora val una hora., es: Una hora vale una hora., en: An hour is an hour.}",
		"explanation: {ca: "+explanation+", es: "+explanation+", en: "+explanation+"}", 1)
	return strings.Replace(p, "    min_team: 10", "    claims:"+claims+"\n    min_team: 10", 1)
}

func TestSourcesRefused(t *testing.T) {
	tests := []struct {
		name    string
		project string
		want    string
	}{
		{"example without source", withExample("        checked: 2026-12-07\n"), `example "Banc del Temps": no source`},
		{"example without date", withExample("        source: https://www.bancdeltemps.org\n"), `example "Banc del Temps": no checked date`},
		{"example with a plain http source", withExample("        source: http://www.bancdeltemps.org\n        checked: 2026-12-07\n"), `source "http://www.bancdeltemps.org" must start with https://`},
		{"example checked on no day", withExample("        source: https://www.bancdeltemps.org\n        checked: 2026-13-07\n"), `checked "2026-13-07" is not a date YYYY-MM-DD`},
		{"example as of a month after it was checked", withExample("        source: https://www.bancdeltemps.org\n        checked: 2026-12-07\n        as_of: \"2027-01\"\n"), "as_of 2027-01 is after it was checked"},
		{"example as of no month", withExample("        source: https://www.bancdeltemps.org\n        checked: 2026-12-07\n        as_of: december\n"), `as_of "december" is not a month`},
		{"claim that says nothing", withClaims("Una hora", `
      - source: https://example.org
        checked: 2026-12-07`), "claim 1: says nothing"},
		{"claim without source", withClaims("Una hora", `
      - says: An hour is an hour.
        checked: 2026-12-07`), "claim 1: no source"},
		{"claim without date", withClaims("Una hora", `
      - says: An hour is an hour.
        source: https://example.org`), "claim 1: no checked date"},
		{"a figure no claim stands for", withClaims("Cal un capital de 3.000 euros", `
      - says: Something else.
        figures: ["300"]
        source: https://example.org
        checked: 2026-12-07`), "explanation in ca says 3000, which no claim stands for"},
		{"a figure without any claim", withClaims("Uns 2 km", " []"), "explanation in en says 2, which no claim stands for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.Parse(strings.NewReader(catalogYAML(tt.project, communities)))
			if err == nil {
				t.Fatalf("Parse() accepted it, want an error containing %q", tt.want)
			}
			if msg := multaque.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Fatalf("Parse() error %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestSourcesAccepted(t *testing.T) {
	// 3,000 and 3.000 are one figure; 12/2015 is two; Coop57 is a name.
	p := withClaims(`"A Coop57, 3.000 euros (llei 12/2015), i 3,000 més"`, `
      - says: At least 3,000 euros (Llei 12/2015).
        figures: ["3000", "12/2015"]
        source: https://example.org/llei
        checked: 2025-06-30
        as_of: "2025"`)
	c, err := catalog.Parse(strings.NewReader(catalogYAML(p, communities)))
	if err != nil {
		t.Fatalf("Parse() error: %v", err)
	}
	claims := c.Claims()
	if len(claims) != 2 {
		t.Fatalf("len(Claims())=%d, want 2 (the example and the claim)", len(claims))
	}
	ex, cl := claims[0], claims[1]
	if ex.Project != "time-bank" || ex.Example != "Banc del Temps" || ex.Source != "https://www.bancdeltemps.org" ||
		!ex.Checked.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Claims()[0]=%+v, want the example with its source and date", ex)
	}
	if cl.Example != "" || cl.Says != "At least 3,000 euros (Llei 12/2015)." || cl.AsOf != "2025" {
		t.Fatalf("Claims()[1]=%+v, want the claim", cl)
	}
	stale := c.Stale(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(stale) != 1 || stale[0].Says != cl.Says {
		t.Fatalf("Stale(2026-01-01)=%+v, want only the claim checked in 2025", stale)
	}
	if got := c.Stale(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 2 || got[0].Says != cl.Says {
		t.Fatalf("Stale(2027-01-01)=%+v, want both, the oldest first", got)
	}
	if got := c.Stale(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Fatalf("Stale(2025-01-01)=%+v, want none", got)
	}
}

func TestDefaultClaimsAreChecked(t *testing.T) {
	c := defaultCatalog(t)
	n := 0
	for _, p := range c.Projects() {
		n += len(p.Examples)
	}
	claims := c.Claims()
	if len(claims) <= n {
		t.Fatalf("len(Claims())=%d, want more than the %d examples (the money and law claims)", len(claims), n)
	}
	for _, cl := range claims {
		if cl.Source == "" || cl.Checked.IsZero() {
			t.Errorf("claim %+v has no source or date", cl)
		}
	}
}

func TestExampleHTML(t *testing.T) {
	p := strings.Replace(project, `        url: https://www.bancdeltemps.org
        text: {ca: Des del 1998., es: Desde 1998., en: Since 1998.}
        source: https://www.bancdeltemps.org
        checked: 2026-12-07
`, `        url: https://www.bancdeltemps.org/?a=1&b=2
        text: {ca: Des del 1998., es: Desde 1998., en: Since 1998.}
        source: https://www.bancdeltemps.org
        checked: 2026-12-07
        as_of: "2026-04"
      - name: Veïns <& Co>
        text: {ca: 70 bancs., es: 70 bancos., en: 70 banks <now>.}
        source: https://www.bancdeltemps.org
        checked: 2026-12-07
        as_of: "2025"
`, 1)
	c, err := catalog.Parse(strings.NewReader(catalogYAML(p, communities)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		i    int
		lang multaque.Lang
		want string
	}{
		{0, multaque.Catalan, `<a href="https://www.bancdeltemps.org/?a=1&amp;b=2">Banc del Temps</a>: Des del 1998 (dades d&#39;abril de 2026).`},
		{0, multaque.Spanish, `<a href="https://www.bancdeltemps.org/?a=1&amp;b=2">Banc del Temps</a>: Desde 1998 (datos de abril de 2026).`},
		{0, multaque.English, `<a href="https://www.bancdeltemps.org/?a=1&amp;b=2">Banc del Temps</a>: Since 1998 (as of April 2026).`},
		// No url: plain text, never <a href="">.
		{1, multaque.Catalan, `Veïns &lt;&amp; Co&gt;: 70 bancs (dades del 2025).`},
		{1, multaque.English, `Veïns &lt;&amp; Co&gt;: 70 banks &lt;now&gt; (as of 2025).`},
		{2, multaque.English, ``},
		{-1, multaque.English, ``},
	}
	for _, tt := range tests {
		if got := c.ExampleHTML("time-bank", tt.i, tt.lang); got != tt.want {
			t.Errorf("ExampleHTML(time-bank, %d, %s)=%q, want %q", tt.i, tt.lang, got, tt.want)
		}
	}
	if got := c.ExampleHTML("nothing", 0, multaque.English); got != "" {
		t.Errorf("ExampleHTML(unknown project)=%q, want \"\"", got)
	}
}

func TestAsOf(t *testing.T) {
	tests := []struct {
		asOf string
		lang multaque.Lang
		want string
	}{
		{"2025-12", multaque.Catalan, "dades de desembre de 2025"},
		{"2025-04", multaque.Catalan, "dades d'abril de 2025"},
		{"2025-08", multaque.Catalan, "dades d'agost de 2025"},
		{"2025-10", multaque.Catalan, "dades d'octubre de 2025"},
		{"2025-12", multaque.Spanish, "datos de diciembre de 2025"},
		{"2025-12", multaque.English, "as of December 2025"},
		{"2019", multaque.Catalan, "dades del 2019"},
		{"2019", multaque.Spanish, "datos de 2019"},
		{"2019", multaque.English, "as of 2019"},
		{"someday", multaque.English, ""},
	}
	for _, tt := range tests {
		if got := catalog.AsOf(tt.asOf, tt.lang); got != tt.want {
			t.Errorf("AsOf(%q, %s)=%q, want %q", tt.asOf, tt.lang, got, tt.want)
		}
	}
}

package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// A valid project and community tree, in pieces that the cases below
// change one at a time.
const (
	project = `
  - id: time-bank
    name: {ca: Banc del temps, es: Banco del tiempo, en: Time bank}
    pitch: {ca: Intercanvieu hores., es: Intercambiad horas., en: Swap hours.}
    explanation: {ca: Una hora val una hora., es: Una hora vale una hora., en: An hour is an hour.}
    examples:
      - name: Banc del Temps
        url: https://www.bancdeltemps.org
        text: {ca: Des del 1998., es: Desde 1998., en: Since 1998.}
        source: https://www.bancdeltemps.org
        checked: 2026-12-07
    min_team: 10
    max_team: 30
    playbook:
      - {ca: Trobeu un espai., es: Buscad un espacio., en: Find a place.}
`
	communities = `
  - id: region
    name: {ca: Regió, es: Región, en: Region}
  - id: town
    parent: region
    name: {ca: Vila, es: Villa, en: Town}
    lat: 41.5
    lon: 2.0
`
)

func catalogYAML(projects, communities string) string {
	return "projects:" + projects + "communities:" + communities
}

func TestParseValid(t *testing.T) {
	c, err := catalog.Parse(strings.NewReader(catalogYAML(project, communities)))
	if err != nil {
		t.Fatalf("Parse(valid) error: %v", err)
	}
	p, ok := c.Project("time-bank")
	if !ok {
		t.Fatalf("Project(time-bank) not found")
	}
	if got, want := p.Name.In(multaque.Spanish), "Banco del tiempo"; got != want {
		t.Fatalf("name in es=%q, want %q", got, want)
	}
	if got, want := p.MinTeam, 10; got != want {
		t.Fatalf("MinTeam=%d, want %d", got, want)
	}
	town, _ := c.Community("town")
	if town.Lat == nil || *town.Lat != 41.5 {
		t.Fatalf("town Lat=%v, want 41.5", town.Lat)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every one must appear in the message
	}{
		{
			name: "duplicate project id",
			yaml: catalogYAML(project+project, communities),
			want: []string{`project "time-bank": id used twice (entries 1 and 2)`},
		},
		{
			name: "duplicate community id",
			yaml: catalogYAML(project, communities+`
  - id: town
    name: {ca: Vila, es: Villa, en: Town}
`),
			want: []string{`community "town": id used twice (entries 2 and 3)`},
		},
		{
			name: "missing language text",
			yaml: catalogYAML(strings.Replace(project, "es: Intercambiad horas., ", "", 1), communities),
			want: []string{`project "time-bank": pitch has no text in [es]`},
		},
		{
			name: "missing language in example",
			yaml: catalogYAML(strings.Replace(project, "en: Since 1998.", "en: ''", 1), communities),
			want: []string{`project "time-bank": example "Banc del Temps" has no text in [en]`},
		},
		{
			name: "unsupported language",
			yaml: catalogYAML(strings.Replace(project, "en: Time bank}", "en: Time bank, fr: Banque du temps}", 1), communities),
			want: []string{`project "time-bank": name has text in unsupported language "fr"`},
		},
		{
			name: "blank text",
			yaml: catalogYAML(strings.Replace(project, "en: Swap hours.", "en: '   '", 1), communities),
			want: []string{`project "time-bank": pitch in en is blank`},
		},
		{
			name: "pitch on two lines",
			yaml: catalogYAML(strings.Replace(project, "en: Swap hours.", `en: "Swap\nhours."`, 1), communities),
			want: []string{`project "time-bank": pitch in en must be one line`},
		},
		{
			name: "explanation too long",
			yaml: catalogYAML(strings.Replace(project, "en: An hour is an hour.", "en: "+strings.Repeat("a", catalog.MaxExplanationLen+1), 1), communities),
			want: []string{`project "time-bank": explanation in en is 701 characters, more than 700`},
		},
		{
			name: "min above max",
			yaml: catalogYAML(strings.Replace(project, "max_team: 30", "max_team: 5", 1), communities),
			want: []string{`project "time-bank": max_team 5 is below min_team 10`},
		},
		{
			name: "empty playbook",
			yaml: catalogYAML(strings.Replace(project, "      - {ca: Trobeu un espai., es: Buscad un espacio., en: Find a place.}\n", "", 1), communities),
			want: []string{`project "time-bank": playbook is empty`},
		},
		{
			name: "plain http example",
			yaml: catalogYAML(strings.Replace(project, "https://www.bancdeltemps.org", "http://www.bancdeltemps.org", 1), communities),
			want: []string{`project "time-bank": example "Banc del Temps": url "http://www.bancdeltemps.org" must start with https://`},
		},
		{
			name: "bad project id",
			yaml: catalogYAML(strings.Replace(project, "id: time-bank", "id: Time_Bank", 1), communities),
			want: []string{`project "Time_Bank": id must be 1-20 characters of a-z, 0-9 and -`},
		},
		{
			name: "bad community id",
			yaml: catalogYAML(project, strings.Replace(communities, "id: town", "id: a-town-with-a-very-long-id", 1)),
			want: []string{`community "a-town-with-a-very-long-id": id must be 1-20 characters`},
		},
		{
			name: "unknown parent",
			yaml: catalogYAML(project, strings.Replace(communities, "parent: region", "parent: regio", 1)),
			want: []string{`community "town": parent "regio" does not exist`},
		},
		{
			name: "cycle a→b→a",
			yaml: catalogYAML(project, communities+`
  - id: a
    parent: b
    name: {ca: A, es: A, en: A}
  - id: b
    parent: a
    name: {ca: B, es: B, en: B}
`),
			want: []string{`community "a": parents form a cycle a → b → a`},
		},
		{
			name: "own parent",
			yaml: catalogYAML(project, strings.Replace(communities, "parent: region", "parent: town", 1)),
			want: []string{`community "town": is its own parent`},
		},
		{
			name: "community name with no letters",
			yaml: catalogYAML(project, strings.Replace(communities, "en: Town}", "en: '--'}", 1)),
			want: []string{`community "town": name in en has no letters or digits`},
		},
		{
			name: "lat without lon",
			yaml: catalogYAML(project, strings.Replace(communities, "    lon: 2.0\n", "", 1)),
			want: []string{`community "town": lat and lon go together`},
		},
		{
			name: "lat not a number",
			yaml: catalogYAML(project, strings.Replace(communities, "lat: 41.5", "lat: .nan", 1)),
			want: []string{`community "town": coordinates are not numbers`},
		},
		{
			name: "unknown field",
			yaml: catalogYAML(strings.Replace(project, "min_team: 10", "min_teem: 10", 1), communities),
			want: []string{"line 12: field min_teem not found"},
		},
		{
			name: "unknown top-level field",
			yaml: catalogYAML(project, communities) + "mentors: []\n",
			want: []string{"field mentors not found"},
		},
		{
			name: "wrong type",
			yaml: catalogYAML(strings.Replace(project, "min_team: 10", "min_team: ten", 1), communities),
			want: []string{"cannot unmarshal", "ten"},
		},
		{
			name: "no projects",
			yaml: catalogYAML(" []\n", communities),
			want: []string{"no projects"},
		},
		{
			name: "no communities",
			yaml: catalogYAML(project, " []\n"),
			want: []string{"no communities"},
		},
		{
			name: "empty document",
			yaml: "",
			want: []string{"catalog: empty document"},
		},
		{
			name: "two documents",
			yaml: catalogYAML(project, communities) + "---\nprojects: []\n",
			want: []string{"only one YAML document"},
		},
		{
			name: "not YAML",
			yaml: "projects: [\n",
			want: []string{"catalog: line 1: did not find expected node content"},
		},
		{
			name: "every bad entry named",
			yaml: catalogYAML(strings.Replace(project, "max_team: 30", "max_team: 5", 1), strings.Replace(communities, "parent: region", "parent: regio", 1)),
			want: []string{`project "time-bank": max_team 5 is below min_team 10`, `community "town": parent "regio" does not exist`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := catalog.Parse(strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatalf("Parse()=%v, nil; want an error", c)
			}
			if got := multaque.ErrorCode(err); got != multaque.EINVALID {
				t.Fatalf("ErrorCode=%q (%v), want %q", got, err, multaque.EINVALID)
			}
			msg := multaque.ErrorMessage(err)
			if !strings.HasPrefix(msg, "catalog: ") {
				t.Fatalf("message=%q, want it to start with %q", msg, "catalog: ")
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Fatalf("message=%q, want it to contain %q", msg, want)
				}
			}
		})
	}
}

// A file where every entry is wrong gives a message of bounded length.
func TestParseManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("projects:")
	b.WriteString(project)
	b.WriteString("communities:\n")
	for range 100 {
		b.WriteString("  - {id: x, name: {ca: X, es: X, en: X}}\n")
	}
	_, err := catalog.Parse(strings.NewReader(b.String()))
	msg := multaque.ErrorMessage(err)
	if !strings.HasSuffix(msg, "; and 79 more") {
		t.Fatalf("message ends %q, want it to end with %q", msg[max(0, len(msg)-40):], "; and 79 more")
	}
}

func TestParseTooLarge(t *testing.T) {
	big := strings.NewReader("# " + strings.Repeat("x", catalog.MaxFileSize))
	_, err := catalog.Parse(big)
	if got := multaque.ErrorCode(err); got != multaque.EINVALID {
		t.Fatalf("ErrorCode(Parse(too large))=%q (%v), want %q", got, err, multaque.EINVALID)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errDisk }

var errDisk = errors.New("disk on fire")

// A reader that fails is not the catalogue's fault: the error is not
// EINVALID, and the cause stays in the chain.
func TestParseReadError(t *testing.T) {
	_, err := catalog.Parse(failingReader{})
	if got := multaque.ErrorCode(err); got != multaque.EINTERNAL {
		t.Fatalf("ErrorCode(Parse(failing reader))=%q (%v), want %q", got, err, multaque.EINTERNAL)
	}
	if !errors.Is(err, errDisk) {
		t.Fatalf("Parse(failing reader) error=%v, want it to wrap %v", err, errDisk)
	}
}

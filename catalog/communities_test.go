package catalog_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/configs"
)

// TestCommunitiesAsInTheFile checks that the catalogue, which keeps its
// communities in a compact form, gives back every community exactly as the
// file has it (names in every language, the same or not, parent,
// coordinates or none), through Communities, Community and Children.
func TestCommunitiesAsInTheFile(t *testing.T) {
	mixed := communities + `
  - id: same
    parent: town
    name: {ca: Gràcia, es: Gràcia, en: Gràcia}
  - id: two-alike
    parent: town
    name: {ca: Sant Martí, es: San Martín, en: Sant Martí}
    lat: -33.25
    lon: 151.5
  - id: last-differs
    parent: same
    name: {ca: L'Hospitalet, es: L'Hospitalet, en: Hospitalet}
  - id: other-root
    name: {ca: Altre, es: Otro, en: Other}
    lat: 0
    lon: 0
`
	for name, doc := range map[string]string{
		"small":   catalogYAML(project, mixed),
		"default": string(configs.CatalogYAML),
	} {
		t.Run(name, func(t *testing.T) {
			var file struct {
				Communities []multaque.Community `yaml:"communities"`
			}
			if err := yaml.Unmarshal([]byte(doc), &file); err != nil {
				t.Fatal(err)
			}
			c, err := catalog.Parse(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			want := file.Communities
			if diff := cmp.Diff(want, c.Communities()); diff != "" {
				t.Fatalf("Communities() differs from the file (-file +got):\n%s", diff)
			}
			children := map[string][]multaque.Community{}
			for _, cm := range want {
				children[cm.Parent] = append(children[cm.Parent], cm)
				got, ok := c.Community(cm.ID)
				if !ok {
					t.Fatalf("Community(%q) not found", cm.ID)
				}
				if diff := cmp.Diff(cm, got); diff != "" {
					t.Fatalf("Community(%q) differs from the file (-file +got):\n%s", cm.ID, diff)
				}
			}
			for _, cm := range append(want, multaque.Community{}) {
				if diff := cmp.Diff(children[cm.ID], c.Children(cm.ID)); diff != "" {
					t.Fatalf("Children(%q) differs from the file (-file +got):\n%s", cm.ID, diff)
				}
			}
			for _, id := range []string{"nowhere", "Town", "town ", "a"} {
				if cm, ok := c.Community(id); ok {
					t.Errorf("Community(%q)=%+v, want none", id, cm)
				}
				if got := c.Children(id); got != nil {
					t.Errorf("Children(%q)=%v, want none", id, got)
				}
			}
		})
	}
}

// TestCommunitiesAreTheCallers checks that what Community returns can be
// changed without changing the catalogue.
func TestCommunitiesAreTheCallers(t *testing.T) {
	c, err := catalog.Parse(strings.NewReader(catalogYAML(project, communities)))
	if err != nil {
		t.Fatal(err)
	}
	cm, _ := c.Community("town")
	cm.Name[multaque.Catalan] = "Changed"
	*cm.Lat = 0
	again, _ := c.Community("town")
	if got := again.Name[multaque.Catalan]; got != "Vila" {
		t.Errorf("name after a caller changed theirs=%q, want Vila", got)
	}
	if *again.Lat != 41.5 {
		t.Errorf("lat after a caller changed theirs=%v, want 41.5", *again.Lat)
	}
	if got := c.Search("changed", multaque.Catalan, 0); len(got) != 0 {
		t.Errorf("Search(changed)=%v, want nothing", got)
	}
}

// TestSearchOrdersByTheLanguagesName checks that results tied on how they
// match and on depth come in the order of their names in the language
// asked for, whichever of a community's spellings that is.
func TestSearchOrdersByTheLanguagesName(t *testing.T) {
	doc := catalogYAML(project, communities+`
  - {id: x1, parent: town, name: {ca: Plaça Beta, es: Plaza Alfa, en: Square Gamma}}
  - {id: x2, parent: town, name: {ca: Plaça Alfa, es: Plaza Gamma, en: Square Beta}}
  - {id: x3, parent: town, name: {ca: Plaça Gamma, es: Plaza Beta, en: Square Alfa}}
`)
	c, err := catalog.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[multaque.Lang][]string{
		multaque.Catalan: {"x2", "x1", "x3"},
		multaque.Spanish: {"x1", "x3", "x2"},
		multaque.English: {"x3", "x2", "x1"},
		"fr":             {"x2", "x1", "x3"}, // as Text.In: the first language
	} {
		var got []string
		for _, cm := range c.Search("pla", lang, 0) {
			if slices.Contains([]string{"x1", "x2", "x3"}, cm.ID) {
				got = append(got, cm.ID)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Search(pla, %s)=%v, want %v", lang, got, want)
		}
	}
}

// TestSearchFirstUseConcurrently runs the first searches of a catalogue at
// once, as people of a freshly started bot might: the index Search builds
// on first use is built once and every search sees it whole (run with
// -race).
func TestSearchFirstUseConcurrently(t *testing.T) {
	c, err := catalog.Parse(strings.NewReader(string(configs.CatalogYAML)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gracia", "vila-de-gracia", "camp-d-en-grassot"}
	got := make([][]string, 8)
	var wg sync.WaitGroup
	for k := range got {
		wg.Go(func() {
			for _, cm := range c.Search("gràcia", multaque.Catalan, 0) {
				got[k] = append(got[k], cm.ID)
			}
		})
	}
	wg.Wait()
	for k, ids := range got {
		if !slices.Equal(ids, got[0]) {
			t.Errorf("search %d found %v, search 0 %v", k, ids, got[0])
		}
	}
	for _, id := range want {
		if !slices.Contains(got[0], id) {
			t.Errorf("Search(gràcia)=%v, want it to include %s", got[0], id)
		}
	}
}

package catalog_test

import (
	"slices"
	"testing"

	"github.com/multaque/multaque"
)

func TestSearch(t *testing.T) {
	c := defaultCatalog(t)
	tests := []struct {
		name  string
		query string
		lang  multaque.Lang
		limit int
		want  []string // the first results, in order
		also  []string // further ids that must be among the results
	}{
		{name: "plain", query: "gracia", lang: multaque.Catalan, want: []string{"gracia"}, also: []string{"vila-de-gracia", "camp-d-en-grassot"}},
		{name: "accent", query: "Gràcia", lang: multaque.Catalan, want: []string{"gracia"}},
		{name: "upper case and accent", query: "GRÀCIA", lang: multaque.English, want: []string{"gracia"}},
		{name: "spaces around", query: "  gracia ", lang: multaque.Catalan, want: []string{"gracia"}},
		{name: "punctuation ignored", query: "camp d’en grassot", lang: multaque.Catalan, want: []string{"camp-d-en-grassot"}},
		{name: "hyphen as space", query: "sants montjuic", lang: multaque.Catalan, want: []string{"sants-montjuic"}},
		{name: "Spanish name", query: "cataluña", lang: multaque.Spanish, want: []string{"catalunya"}},
		{name: "English name", query: "gothic", lang: multaque.English, want: []string{"barri-gotic"}},
		{name: "word start", query: "salut", lang: multaque.Catalan, want: []string{"la-salut"}},
		{
			name: "prefix, shallower first, then by name", query: "sant", lang: multaque.Catalan,
			want: []string{"sant-cugat", "sant-andreu", "sant-marti", "sants-montjuic"},
		},
		{name: "limit", query: "sant", lang: multaque.Catalan, limit: 2, want: []string{"sant-cugat", "sant-andreu"}},
		{name: "exact before prefix", query: "sants", lang: multaque.Catalan, want: []string{"sants", "sants-montjuic"}},
		{name: "no match", query: "zzz", lang: multaque.Catalan},
		{name: "empty", query: "", lang: multaque.Catalan},
		{name: "only punctuation", query: " - ' ", lang: multaque.Catalan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(c.Search(tt.query, tt.lang, tt.limit))
			if len(got) < len(tt.want) || !slices.Equal(got[:len(tt.want)], tt.want) {
				t.Fatalf("Search(%q)=%v, want it to start with %v", tt.query, got, tt.want)
			}
			if len(tt.want) == 0 && len(got) != 0 {
				t.Fatalf("Search(%q)=%v, want nothing", tt.query, got)
			}
			if tt.limit > 0 && len(got) > tt.limit {
				t.Fatalf("len(Search(%q, limit %d))=%d, want at most %d", tt.query, tt.limit, len(got), tt.limit)
			}
			for _, id := range tt.also {
				if !slices.Contains(got, id) {
					t.Fatalf("Search(%q)=%v, want it to contain %s", tt.query, got, id)
				}
			}
		})
	}
}

// Names that start with the query come before names that only contain it,
// however deep.
func TestSearchPrefixBeforeInside(t *testing.T) {
	c := defaultCatalog(t)
	got := ids(c.Search("sant", multaque.Catalan, 0))
	inside := slices.Index(got, "sarria-sant-gervasi")
	if inside < 0 {
		t.Fatalf("Search(sant)=%v, want it to contain sarria-sant-gervasi", got)
	}
	for _, prefix := range []string{"sant-antoni", "sant-andreu-palomar", "sant-pere-ribera", "sants"} {
		if i := slices.Index(got, prefix); i < 0 || i > inside {
			t.Fatalf("Search(sant)=%v, want %s before sarria-sant-gervasi", got, prefix)
		}
	}
}

// Every community can be found by its own name in every language, first.
func TestSearchFindsEveryName(t *testing.T) {
	c := defaultCatalog(t)
	for _, cm := range c.Communities() {
		for _, lang := range multaque.Languages {
			name := cm.Name.In(lang)
			res := c.Search(name, lang, 0)
			found := false
			for _, r := range res {
				if r.ID == cm.ID {
					found = true
				}
			}
			if !found {
				t.Errorf("Search(%q, %s) does not find %s", name, lang, cm.ID)
			}
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	c := defaultCatalog(b)
	for b.Loop() {
		c.Search("gràcia", multaque.Catalan, 8)
	}
}

package catalog

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/multaque/multaque"
)

// How well a name matches a query, best first.
const (
	matchExact     = iota // the whole name
	matchPrefix           // the start of the name
	matchWordStart        // the start of a later word: "salut" in "La Salut"
	matchInside           // anywhere else
	noMatch
)

// Search returns the communities whose name, in any language, contains
// query, ignoring case, accents and punctuation: "gracia", "GRÀCIA" and
// "Gràcia" find the same places, and "camp d en grassot" finds
// "El Camp d'en Grassot i Gràcia Nova".
//
// Results come best first: names equal to the query, then names that start
// with it, then names with a word that starts with it, then the rest; within
// each group shallower communities (towns before districts before
// neighbourhoods) and then names in lang, alphabetically. At most limit
// results are returned; limit ≤ 0 means no limit. A query with no letters or
// digits matches nothing.
func (c *Catalog) Search(query string, lang multaque.Lang, limit int) []multaque.Community {
	q := fold(query)
	if q == "" {
		return nil
	}
	type hit struct {
		i, match, depth int
		name            string
	}
	var hits []hit
	for i, names := range c.folded {
		best := noMatch
		for _, n := range names {
			best = min(best, matchOf(n, q))
		}
		if best == noMatch {
			continue
		}
		hits = append(hits, hit{
			i:     i,
			match: best,
			depth: int(c.depth[i]),
			name:  c.sortName(i, lang),
		})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(
			cmp.Compare(a.match, b.match),
			cmp.Compare(a.depth, b.depth),
			strings.Compare(a.name, b.name),
			strings.Compare(c.communities[a.i].ID, c.communities[b.i].ID),
		)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]multaque.Community, len(hits))
	for k, h := range hits {
		out[k] = c.communities[h.i]
	}
	return out
}

// sortName is the folded name of community i in lang, precomputed for the
// languages we speak.
func (c *Catalog) sortName(i int, lang multaque.Lang) string {
	if j := slices.Index(multaque.Languages, lang); j >= 0 && j < len(c.sortNames[i]) {
		return c.sortNames[i][j]
	}
	return fold(c.communities[i].Name.In(lang))
}

// matchOf says how name (folded) matches q (folded).
func matchOf(name, q string) int {
	switch {
	case name == q:
		return matchExact
	case strings.HasPrefix(name, q):
		return matchPrefix
	case strings.Contains(name, " "+q):
		return matchWordStart
	case strings.Contains(name, q):
		return matchInside
	}
	return noMatch
}

// foldNames returns the distinct folded spellings of a name across
// languages: Barcelona is the same in all three and is searched once.
func foldNames(t multaque.Text) []string {
	var out []string
	for _, l := range multaque.Languages {
		if s := fold(t[l]); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// fold reduces s to what Search compares: lower case, no accents or other
// combining marks (ç → c, ï → i, ñ → n), and every run of characters that
// are not letters or digits (spaces, apostrophes, hyphens, the Catalan
// middle dot) as one space. So "Sants-Montjuïc" and "sants montjuic", or
// "d’en" and "d'en", compare equal.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	stripped, _, err := transform.String(t, s)
	if err != nil {
		// Only invalid UTF-8 gets here; compare what is left of it as is.
		stripped = s
	}
	var b strings.Builder
	b.Grow(len(stripped))
	space := false
	for _, r := range stripped {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}

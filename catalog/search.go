package catalog

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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
	cs := c.communities
	ix := cs.searchIndex()
	l := max(0, slices.Index(multaque.Languages, lang)) // Text.In falls back to the first
	type hit struct {
		i            int32
		match, depth int
		name         string
	}
	var hits []hit
	for i := range int32(cs.len()) {
		best := noMatch
		for n := range strings.SplitSeq(ix.folded.get(i), nameSep) {
			best = min(best, matchOf(n, q))
		}
		if best == noMatch {
			continue
		}
		hits = append(hits, hit{
			i:     i,
			match: best,
			depth: int(cs.depth[i]),
			name:  ix.sortName(i, l),
		})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(
			cmp.Compare(a.match, b.match),
			cmp.Compare(a.depth, b.depth),
			strings.Compare(a.name, b.name),
			strings.Compare(cs.ids.get(a.i), cs.ids.get(b.i)),
		)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	at := make([]int32, len(hits))
	for k, h := range hits {
		at[k] = h.i
	}
	return cs.list(at)
}

// searchIndex is what Search compares, made on the first search rather
// than at load: a process that never searches (the matcher, a command)
// does without it, and a catalogue loads faster.
type searchIndex struct {
	once sync.Once
	// folded holds per community its names folded, one per distinct
	// spelling (Barcelona is the same in all three languages and is
	// compared once), separated by nameSep.
	folded strtab
	// sortAt holds per community and language of multaque.Languages which
	// of its folded spellings is its name in that language, to order
	// results.
	sortAt []uint8
}

// searchIndex returns the index Search uses, making it on the first call.
func (c *communities) searchIndex() *searchIndex {
	ix := &c.search
	ix.once.Do(func() {
		nl := len(multaque.Languages)
		ix.folded.grow(c.len(), len(c.names.all))
		ix.sortAt = make([]uint8, c.len()*nl)
		names := make([]string, nl)
		var spellings []string
		for i := range int32(c.len()) {
			spellings = spellings[:0]
			at := ix.sortAt[int(i)*nl : int(i+1)*nl]
			for l := range nl {
				names[l] = c.nameOf(i, l)
				if k := slices.Index(names[:l], names[l]); k >= 0 {
					at[l] = at[k] // most names are the same in every language: fold once
					continue
				}
				f := fold(names[l])
				k := slices.Index(spellings, f)
				if k < 0 {
					k = len(spellings)
					spellings = append(spellings, f)
				}
				at[l] = uint8(k)
			}
			ix.folded.add(strings.Join(spellings, nameSep))
		}
		ix.folded.done()
	})
	return ix
}

// sortName is the folded name of community i in the language of
// multaque.Languages at index l.
func (ix *searchIndex) sortName(i int32, l int) string {
	k := ix.sortAt[int(i)*len(multaque.Languages)+l]
	names := ix.folded.get(i)
	for range k {
		_, names, _ = strings.Cut(names, nameSep)
	}
	name, _, _ := strings.Cut(names, nameSep)
	return name
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

// fold reduces s to what Search compares: lower case, no accents or other
// combining marks (ç → c, ï → i, ñ → n), and every run of characters that
// are not letters or digits (spaces, apostrophes, hyphens, the Catalan
// middle dot) as one space. So "Sants-Montjuïc" and "sants montjuic", or
// "d’en" and "d'en", compare equal.
func fold(s string) string {
	stripped := s
	if !isASCII(s) { // ASCII has no marks to remove
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		var err error
		if stripped, _, err = transform.String(t, s); err != nil {
			// Only invalid UTF-8 gets here; compare what is left of it as is.
			stripped = s
		}
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

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

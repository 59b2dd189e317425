package multaque

// Lang is one of the languages Multaque speaks, as an ISO 639-1 code.
type Lang string

// The languages every text of the catalogue and of the interface exists in.
const (
	Catalan Lang = "ca"
	Spanish Lang = "es"
	English Lang = "en"
)

// DefaultLang is used when nothing better is known about a person.
const DefaultLang = Catalan

// Languages lists the supported languages in the order they are offered.
var Languages = []Lang{Catalan, Spanish, English}

// Valid reports whether l is a supported language.
func (l Lang) Valid() bool {
	for _, k := range Languages {
		if l == k {
			return true
		}
	}
	return false
}

// Text is a text in several languages.
type Text map[Lang]string

// In returns the text in lang, falling back to the other languages in the
// order of Languages so that a person never sees nothing.
func (t Text) In(lang Lang) string {
	if s := t[lang]; s != "" {
		return s
	}
	for _, l := range Languages {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// Missing returns the supported languages that t has no text for.
func (t Text) Missing() []Lang {
	var out []Lang
	for _, l := range Languages {
		if t[l] == "" {
			out = append(out, l)
		}
	}
	return out
}

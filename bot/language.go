package bot

import (
	"golang.org/x/text/language"

	"github.com/multaque/multaque"
)

var langMatcher = language.NewMatcher([]language.Tag{
	language.Catalan, // the first is the fallback
	language.Spanish,
	language.English,
})

// MatchLanguage picks the supported language closest to a Telegram
// language_code ("es-419" → es, "en-GB" → en, "ca" → ca). Unknown or empty
// codes give multaque.DefaultLang; a language we do not speak gives English,
// the one most people who use Telegram in another language read.
func MatchLanguage(code string) multaque.Lang {
	if code == "" {
		return multaque.DefaultLang
	}
	tag, err := language.Parse(code)
	if err != nil {
		return multaque.DefaultLang
	}
	_, i, conf := langMatcher.Match(tag)
	if conf == language.No {
		return multaque.English
	}
	return multaque.Languages[i]
}

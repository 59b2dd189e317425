package bot

import (
	"strconv"
	"strings"
)

// Callback data is "<action>|<version>|<arg>". The version is the survey
// version the button was drawn for; a press whose version is not the
// citizen's current one is stale. Buttons drawn before consent carry their
// state in the data instead (the chosen language and the deep-link payload),
// because nothing is stored about a person before they consent.
const maxCallbackData = 64 // bytes, Telegram's limit

// Callback actions.
const (
	actLang     = "lang"  // choose the language: arg = lang[,payload] (before consent) or lang
	actConsent  = "ok"    // consent: arg = lang[,payload]
	actDecline  = "no"    // decline the privacy notice: arg = lang
	actBrowse   = "cnav"  // show the children of a community: arg = community id ("" = roots)
	actPick     = "cpick" // choose a community: arg = community id
	actToggle   = "itog"  // toggle an interest: arg = project id
	actMore     = "imore" // tell me more about a project: arg = project id
	actDone     = "idone" // interests chosen
	actSettings = "set"   // settings: arg = lang|name|community|interests
	actWant     = "want"  // "I'm interested" from /projects: arg = project id
	actProject  = "proj"  // show a project from /projects: arg = project id
	actForget   = "forget"
	actKeep     = "keep" // do not forget me
	actSummary  = "sum"  // back to the summary
	// noVersion marks buttons drawn before consent; stored citizens start at
	// version 1.
	noVersion     = 0
	callbackSplit = "|"
)

// button is a decoded callback data.
type button struct {
	Action  string
	Version int
	Arg     string
}

// encode returns the callback data of b. It panics if the data would exceed
// Telegram's limit: every id that goes into callback data is bounded
// (multaque.MaxIDLen), so that is a programming error, caught by tests.
func (b button) encode() string {
	s := b.Action + callbackSplit + strconv.Itoa(b.Version) + callbackSplit + b.Arg
	if len(s) > maxCallbackData {
		panic("bot: callback data too long: " + b.Action)
	}
	return s
}

// decodeButton parses callback data. It reports false for anything that is
// not data this bot draws: a forged or foreign button.
func decodeButton(data string) (button, bool) {
	if len(data) > maxCallbackData {
		return button{}, false
	}
	parts := strings.SplitN(data, callbackSplit, 3)
	if len(parts) != 3 || parts[0] == "" {
		return button{}, false
	}
	v, err := strconv.Atoi(parts[1])
	if err != nil || v < noVersion || strconv.Itoa(v) != parts[1] {
		return button{}, false
	}
	return button{Action: parts[0], Version: v, Arg: parts[2]}, true
}

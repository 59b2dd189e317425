package sandboxweb

import (
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/multaque/multaque/bot/telegramtest"
)

// formatHTML renders a message's visible text with its entities as HTML that
// is safe to put in a page: every piece of text is escaped, the only tags
// are the ones written here, and links point only to http, https or tg URLs.
//
// Each stretch of text between two entity boundaries is wrapped in the tags
// of all entities covering it, always in the same order, so the result is
// well formed even when entities overlap. As Telegram's apps do, bare URLs
// and /commands in plain text become links.
func formatHTML(text string, ents []telegramtest.Entity) string {
	units := utf16.Encode([]rune(text))
	cuts := []int{0, len(units)}
	for _, e := range ents {
		if e.Length <= 0 || e.Offset < 0 || e.Offset >= len(units) {
			continue
		}
		cuts = append(cuts, e.Offset, min(e.Offset+e.Length, len(units)))
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)

	var b strings.Builder
	for i := 0; i+1 < len(cuts); i++ {
		from, to := cuts[i], cuts[i+1]
		seg := string(utf16.Decode(units[from:to]))
		var on []telegramtest.Entity
		for _, e := range ents {
			if e.Offset <= from && to <= e.Offset+e.Length {
				on = append(on, e)
			}
		}
		writeSegment(&b, seg, on)
	}
	return b.String()
}

// tagOrder is the nesting order of formatting tags, outermost first.
var tagOrder = []struct{ entity, open, close string }{
	{"pre", `<pre>`, `</pre>`},
	{"blockquote", `<blockquote>`, `</blockquote>`},
	{"expandable_blockquote", `<blockquote>`, `</blockquote>`},
	{"bold", `<b>`, `</b>`},
	{"italic", `<i>`, `</i>`},
	{"underline", `<u>`, `</u>`},
	{"strikethrough", `<s>`, `</s>`},
	{"spoiler", `<span class="spoiler">`, `</span>`},
	{"code", `<code>`, `</code>`},
}

func writeSegment(b *strings.Builder, seg string, on []telegramtest.Entity) {
	has := func(typ string) bool {
		return slices.ContainsFunc(on, func(e telegramtest.Entity) bool { return e.Type == typ })
	}
	var closing []string
	for _, t := range tagOrder {
		if has(t.entity) {
			b.WriteString(t.open)
			closing = append(closing, t.close)
		}
	}
	link := ""
	for _, e := range on {
		if e.Type == "text_link" && safeURL(e.URL) {
			link = e.URL
		}
		if e.Type == "url" && safeURL(seg) {
			link = seg
		}
	}
	switch {
	case link != "":
		writeLink(b, link, html.EscapeString(seg))
	case has("code") || has("pre"):
		b.WriteString(html.EscapeString(seg))
	default:
		writePlain(b, seg)
	}
	for i := len(closing) - 1; i >= 0; i-- {
		b.WriteString(closing[i])
	}
}

// writeLink writes an anchor; body must already be escaped.
func writeLink(b *strings.Builder, href, body string) {
	b.WriteString(`<a href="`)
	b.WriteString(html.EscapeString(href))
	b.WriteString(`" target="_blank" rel="noopener noreferrer">`)
	b.WriteString(body)
	b.WriteString(`</a>`)
}

var (
	bareURL    = regexp.MustCompile(`https?://[^\s<>"']+`)
	botCommand = regexp.MustCompile(`(^|[\s(])(/[A-Za-z0-9_]{1,32})\b`)
)

// writePlain writes text without entities, linking bare URLs and /commands.
func writePlain(b *strings.Builder, s string) {
	for s != "" {
		loc := bareURL.FindStringIndex(s)
		if loc == nil {
			writeCommands(b, s)
			return
		}
		u := strings.TrimRight(s[loc[0]:loc[1]], ".,;:!?)")
		writeCommands(b, s[:loc[0]])
		if safeURL(u) {
			writeLink(b, u, html.EscapeString(u))
		} else {
			b.WriteString(html.EscapeString(u))
		}
		s = s[loc[0]+len(u):]
	}
}

func writeCommands(b *strings.Builder, s string) {
	for s != "" {
		m := botCommand.FindStringSubmatchIndex(s)
		if m == nil {
			b.WriteString(html.EscapeString(s))
			return
		}
		b.WriteString(html.EscapeString(s[:m[4]]))
		cmd := s[m[4]:m[5]]
		b.WriteString(`<a href="#" class="cmd" data-cmd="`)
		b.WriteString(html.EscapeString(cmd))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(cmd))
		b.WriteString(`</a>`)
		s = s[m[5]:]
	}
}

// safeURL reports whether a link may be followed from the page.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	// url.Parse lowers the scheme's case; the page writes s as it is, so s
	// itself must start with the scheme in lower case.
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "tg") &&
		strings.HasPrefix(s, u.Scheme+":") && !strings.ContainsAny(s, "\x00\n\r")
}

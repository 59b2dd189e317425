package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

// parseText turns text sent with parse_mode (or explicit entities) into the
// visible text and its entities, as Telegram stores it: tags and markers are
// removed and leading/trailing whitespace is trimmed. Offsets are in UTF-16
// code units.
func parseText(text, parseMode, entitiesJSON string) (string, []apiEntity, *apiError) {
	var (
		plain string
		ents  []apiEntity
		err   error
	)
	switch strings.ToLower(parseMode) {
	case "":
		plain = text
		if entitiesJSON != "" {
			if json.Unmarshal([]byte(entitiesJSON), &ents) != nil {
				return "", nil, errBadRequest("can't parse entities JSON object")
			}
		}
	case "html":
		plain, ents, err = parseHTML(text)
	case "markdownv2":
		plain, ents, err = parseMarkdownV2(text)
	case "markdown":
		plain, ents, err = parseMarkdownLegacy(text)
	default:
		return "", nil, errBadRequest("unsupported parse_mode")
	}
	if err != nil {
		return "", nil, errBadRequest("can't parse entities: " + err.Error())
	}
	plain, ents = trimText(plain, ents)
	return plain, ents, nil
}

// trimText removes leading and trailing whitespace and shifts entities.
func trimText(s string, ents []apiEntity) (string, []apiEntity) {
	trimmed := strings.TrimLeftFunc(s, unicode.IsSpace)
	shift := utf16Len(s[:len(s)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	total := utf16Len(trimmed)
	var out []apiEntity
	for _, e := range ents {
		start, end := max(e.Offset-shift, 0), min(e.Offset+e.Length-shift, total)
		if end > start {
			e.Offset, e.Length = start, end-start
			out = append(out, e)
		}
	}
	return trimmed, out
}

// htmlTags maps the tags Telegram supports to entity types.
var htmlTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"tg-spoiler": "spoiler", "span": "spoiler",
	"a": "text_link", "code": "code", "pre": "pre",
	"blockquote": "blockquote", "tg-emoji": "custom_emoji",
}

type openTag struct {
	name  string
	ent   apiEntity
	start int  // UTF-16 offset
	at    int  // byte offset in the output
	merge bool // <code> inside <pre>: only sets the pre's language
}

// parseHTML implements Telegram's HTML parse mode.
func parseHTML(src string) (string, []apiEntity, error) {
	var (
		out   strings.Builder
		off   int // UTF-16 length of out
		stack []openTag
		ents  []apiEntity
	)
	write := func(s string) {
		out.WriteString(s)
		off += utf16Len(s)
	}
	for i := 0; i < len(src); {
		switch src[i] {
		case '<':
			end := strings.IndexByte(src[i:], '>')
			if end < 0 {
				return "", nil, entityErrorf("Unclosed start tag at byte offset %d", i)
			}
			tag := src[i+1 : i+end]
			if closing, ok := strings.CutPrefix(tag, "/"); ok {
				name := strings.ToLower(strings.TrimSpace(closing))
				if len(stack) == 0 {
					return "", nil, entityErrorf("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if name == "" {
					name = top.name // Telegram: "</>" closes the tag open last
				}
				if top.name != name {
					return "", nil, entityErrorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if top.name == "a" && top.ent.URL == "" {
					// Telegram takes <a> without href as a link to its
					// own text, when that text is a link.
					top.ent.URL = checkLink(out.String()[top.at:])
					if top.ent.URL == "" {
						top.merge = true // no entity
					}
				}
				if off > top.start && !top.merge {
					top.ent.Offset, top.ent.Length = top.start, off-top.start
					ents = append(ents, top.ent)
				}
			} else {
				name, attrs, _ := strings.Cut(strings.TrimSpace(tag), " ")
				name = strings.ToLower(name)
				typ, ok := htmlTags[name]
				if !ok || (name == "span" && !strings.Contains(attrs, "tg-spoiler")) {
					return "", nil, entityErrorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				ent := apiEntity{Type: typ}
				if at := unquotedValueError(attrs); at >= 0 {
					return "", nil, entityErrorf("Unexpected end of name token at byte offset %d", i+1+len(name)+1+at)
				}
				if name == "a" {
					ent.URL = attrValue(attrs, "href")
				}
				merge := false
				if n := len(stack); name == "code" && n > 0 && stack[n-1].name == "pre" {
					merge = true
					if lang, ok := strings.CutPrefix(attrValue(attrs, "class"), "language-"); ok {
						stack[n-1].ent.Language = lang
					}
				}
				stack = append(stack, openTag{name: name, ent: ent, start: off, at: out.Len(), merge: merge})
			}
			i += end + 1
		case '&':
			// The ';' after an entity is optional in Telegram's parser.
			if r, n, ok := entityAt(src[i:]); ok {
				write(string(r))
				i += n
				continue
			}
			write("&")
			i++
		default:
			j := i
			for j < len(src) && src[j] != '<' && src[j] != '&' {
				j++
			}
			write(src[i:j])
			i = j
		}
	}
	if len(stack) > 0 {
		return "", nil, entityErrorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sortEntities(ents)
	return out.String(), ents, nil
}

// entityAt decodes the HTML entity at the start of s ("&lt;", "&lt",
// "&#60;", "&#x3c") and says how many bytes it takes.
func entityAt(s string) (rune, int, bool) {
	j := 1
	if j < len(s) && s[j] == '#' {
		j++
		if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
			j++
			for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
				j++
			}
		} else {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
		}
	} else {
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
	}
	name := strings.Replace(s[1:j], "X", "x", 1)
	r, ok := htmlEntity(name)
	if !ok {
		return 0, 0, false
	}
	if j < len(s) && s[j] == ';' {
		j++
	}
	return r, j, true
}

// unquotedValueError finds an unquoted attribute value that is not a name
// token (letters, digits, '_', '-', '.'): Telegram refuses it ("Unexpected
// end of name token"), so href=https://… must be quoted. It returns the byte
// offset in attrs of the offending character, or -1.
func unquotedValueError(attrs string) int {
	quote := byte(0)
	for i := 0; i < len(attrs); i++ {
		c := attrs[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			j := i + 1
			if j < len(attrs) && (attrs[j] == '"' || attrs[j] == '\'') {
				continue
			}
			for j < len(attrs) && isNameTokenChar(attrs[j]) {
				j++
			}
			if j < len(attrs) && attrs[j] != ' ' && attrs[j] != '\t' && attrs[j] != '\n' {
				return j
			}
			i = j
		}
	}
	return -1
}

func isNameTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// checkLink returns text as a link Telegram accepts for a text_link, or ""
// if it is none: a URL with a scheme, or a domain-like text that gets
// "http://".
func checkLink(text string) string {
	text = strings.TrimSpace(text)
	if text == "" || strings.ContainsAny(text, " \t\n") {
		return ""
	}
	if scheme, rest, ok := strings.Cut(text, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "https", "tg", "ton":
			if rest != "" {
				return text
			}
		}
		return ""
	}
	if strings.HasPrefix(text, "tg:") {
		return text
	}
	if host, _, _ := strings.Cut(text, "/"); strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".") {
		return "http://" + text
	}
	return ""
}

func attrValue(attrs, name string) string {
	i := strings.Index(attrs, name+"=")
	if i < 0 {
		return ""
	}
	v := attrs[i+len(name)+1:]
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		if j := strings.IndexByte(v[1:], q); j >= 0 {
			return unescapeHTML(v[1 : j+1])
		}
		return ""
	}
	if j := strings.IndexAny(v, " \t"); j >= 0 {
		v = v[:j]
	}
	return unescapeHTML(v)
}

func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			if semi := strings.IndexByte(s[i:], ';'); semi > 1 {
				if r, ok := htmlEntity(s[i+1 : i+semi]); ok {
					b.WriteRune(r)
					i += semi
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func htmlEntity(name string) (rune, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	}
	if num, ok := strings.CutPrefix(name, "#"); ok {
		base := 10
		if h, ok := strings.CutPrefix(num, "x"); ok {
			num, base = h, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err == nil && n > 0 && n <= unicode.MaxRune {
			return rune(n), true
		}
	}
	return 0, false
}

func sortEntities(ents []apiEntity) {
	// Insertion sort by offset, keeping outer entities first: lists are short.
	for i := 1; i < len(ents); i++ {
		for j := i; j > 0 && (ents[j].Offset < ents[j-1].Offset ||
			ents[j].Offset == ents[j-1].Offset && ents[j].Length > ents[j-1].Length); j-- {
			ents[j], ents[j-1] = ents[j-1], ents[j]
		}
	}
}

// markdownV2Reserved must be escaped with '\' in MarkdownV2 text.
const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

// parseMarkdownV2 implements the common part of Telegram's MarkdownV2: the
// markers *bold* _italic_ __underline__ ~strike~ ||spoiler|| `code`
// ```pre``` [text](url), '\' escapes, and the rule that every other reserved
// character must be escaped. Nesting rules are checked loosely.
func parseMarkdownV2(src string) (string, []apiEntity, error) {
	var (
		out   strings.Builder
		off   int
		ents  []apiEntity
		open  = map[string]int{} // marker → start offset
		order []string
	)
	rs := []rune(src)
	byteOff := func(i int) int { return len(string(rs[:i])) }
	closeOrOpen := func(marker, typ string) {
		if start, ok := open[marker]; ok {
			delete(open, marker)
			for k := len(order) - 1; k >= 0; k-- {
				if order[k] == marker {
					order = append(order[:k], order[k+1:]...)
					break
				}
			}
			if off > start {
				ents = append(ents, apiEntity{Type: typ, Offset: start, Length: off - start})
			}
			return
		}
		open[marker] = off
		order = append(order, marker)
	}
	linkStart := -1
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs):
			i++
			out.WriteRune(rs[i])
			off += utf16.RuneLen(rs[i])
		case r == '`':
			if i+2 < len(rs) && rs[i+1] == '`' && rs[i+2] == '`' {
				end := strings.Index(string(rs[i+3:]), "```")
				if end < 0 {
					return "", nil, entityErrorf("Can't find end of pre entity at byte offset %d", byteOff(i))
				}
				body := []rune(string(rs[i+3:])[:end])
				lang := ""
				if nl := indexRune(body, '\n'); nl >= 0 {
					lang, body = string(body[:nl]), body[nl+1:]
				}
				text := unescapeMarkdown(string(body))
				ents = append(ents, apiEntity{Type: "pre", Offset: off, Length: utf16Len(text), Language: lang})
				out.WriteString(text)
				off += utf16Len(text)
				i += 3 + len([]rune(string(rs[i+3:])[:end])) + 2
				continue
			}
			j := i + 1
			for j < len(rs) && rs[j] != '`' {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return "", nil, entityErrorf("Can't find end of Code entity at byte offset %d", byteOff(i))
			}
			text := unescapeMarkdown(string(rs[i+1 : j]))
			ents = append(ents, apiEntity{Type: "code", Offset: off, Length: utf16Len(text)})
			out.WriteString(text)
			off += utf16Len(text)
			i = j
		case r == '*':
			closeOrOpen("*", "bold")
		case r == '_' && i+1 < len(rs) && rs[i+1] == '_':
			closeOrOpen("__", "underline")
			i++
		case r == '_':
			closeOrOpen("_", "italic")
		case r == '~':
			closeOrOpen("~", "strikethrough")
		case r == '|' && i+1 < len(rs) && rs[i+1] == '|':
			closeOrOpen("||", "spoiler")
			i++
		case r == '[':
			if linkStart >= 0 {
				return "", nil, entityErrorf("Character '[' is reserved and must be escaped with the preceding '\\'")
			}
			linkStart = off
		case r == ']' && linkStart >= 0:
			if i+1 >= len(rs) || rs[i+1] != '(' {
				return "", nil, entityErrorf("Character ']' is reserved and must be escaped with the preceding '\\'")
			}
			j := i + 2
			for j < len(rs) && rs[j] != ')' {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return "", nil, entityErrorf("Can't find end of a URL at byte offset %d", byteOff(i+1))
			}
			if off > linkStart {
				ents = append(ents, apiEntity{Type: "text_link", Offset: linkStart, Length: off - linkStart, URL: unescapeMarkdown(string(rs[i+2 : j]))})
			}
			linkStart = -1
			i = j
		case strings.ContainsRune(markdownV2Reserved, r):
			return "", nil, entityErrorf("Character '%c' is reserved and must be escaped with the preceding '\\'", r)
		default:
			out.WriteRune(r)
			off += utf16.RuneLen(r)
		}
	}
	if len(order) > 0 {
		return "", nil, entityErrorf("Can't find end of %s entity at byte offset %d", markerName(order[len(order)-1]), len(src))
	}
	if linkStart >= 0 {
		return "", nil, entityErrorf("Can't find end of a URL at byte offset %d", len(src))
	}
	sortEntities(ents)
	return out.String(), ents, nil
}

func markerName(m string) string {
	switch m {
	case "*":
		return "Bold"
	case "_":
		return "Italic"
	case "__":
		return "Underline"
	case "~":
		return "Strikethrough"
	}
	return "Spoiler"
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

func unescapeMarkdown(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	esc := false
	for _, r := range s {
		if r == '\\' && !esc {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

// parseMarkdownLegacy implements the legacy Markdown mode: *bold* _italic_
// `code` ```pre``` [text](url); an unclosed marker is an error.
func parseMarkdownLegacy(src string) (string, []apiEntity, error) {
	var (
		out  strings.Builder
		off  int
		ents []apiEntity
	)
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '*', '_', '`':
			marker := string(c)
			typ := map[byte]string{'*': "bold", '_': "italic", '`': "code"}[c]
			if strings.HasPrefix(src[i:], "```") {
				marker, typ = "```", "pre"
			}
			end := strings.Index(src[i+len(marker):], marker)
			if end < 0 {
				return "", nil, entityErrorf("Can't find end of the entity starting at byte offset %d", i)
			}
			text := src[i+len(marker) : i+len(marker)+end]
			if n := utf16Len(text); n > 0 {
				ents = append(ents, apiEntity{Type: typ, Offset: off, Length: n})
			}
			out.WriteString(text)
			off += utf16Len(text)
			i += 2*len(marker) + end
		case '[':
			close := strings.Index(src[i:], "](")
			paren := strings.IndexByte(src[i:], ')')
			if close < 0 || paren < close {
				return "", nil, entityErrorf("Can't find end of the entity starting at byte offset %d", i)
			}
			text := src[i+1 : i+close]
			ents = append(ents, apiEntity{Type: "text_link", Offset: off, Length: utf16Len(text), URL: src[i+close+2 : i+paren]})
			out.WriteString(text)
			off += utf16Len(text)
			i += paren + 1
		default:
			out.WriteByte(c)
			if c < 0x80 || c >= 0xC0 {
				// count each rune once, at its first byte
				r, _ := decodeRuneAt(src, i)
				off += utf16.RuneLen(r)
			}
			i++
		}
	}
	return out.String(), ents, nil
}

func decodeRuneAt(s string, i int) (rune, int) {
	for _, r := range s[i:] {
		return r, i
	}
	return 0, i
}

// entityError is a parse error worded as Telegram words it (capitalized),
// shown after "Bad Request: can't parse entities: ".
type entityError string

func (e entityError) Error() string { return string(e) }

func entityErrorf(format string, args ...any) error {
	return entityError(fmt.Sprintf(format, args...))
}

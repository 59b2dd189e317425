package sandboxweb

import (
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
)

func TestFormatHTML(t *testing.T) {
	type E = telegramtest.Entity
	tests := []struct {
		name string
		text string
		ents []E
		want string
	}{
		{"escapes everything", `<script>alert("x")</script> & co`, nil,
			`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co`},
		{"bold", "Hello Multaque", []E{{Type: "bold", Offset: 6, Length: 8}},
			`Hello <b>Multaque</b>`},
		{"offsets in UTF-16 units", "👋 Hi Bob!", []E{{Type: "bold", Offset: 6, Length: 3}},
			`👋 Hi <b>Bob</b>!`},
		{"nested", "ab", []E{{Type: "bold", Offset: 0, Length: 2}, {Type: "italic", Offset: 1, Length: 1}},
			`<b>a</b><b><i>b</i></b>`},
		{"overlapping stays well formed", "abc", []E{{Type: "bold", Offset: 0, Length: 2}, {Type: "italic", Offset: 1, Length: 2}},
			`<b>a</b><b><i>b</i></b><i>c</i>`},
		{"text link", "see Som Energia", []E{{Type: "text_link", Offset: 4, Length: 11, URL: "https://www.somenergia.coop/?a=1&b=2"}},
			`see <a href="https://www.somenergia.coop/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Som Energia</a>`},
		{"javascript link dropped", "click", []E{{Type: "text_link", Offset: 0, Length: 5, URL: "javascript:alert(1)"}},
			`click`},
		{"link text escaped", "<i>", []E{{Type: "text_link", Offset: 0, Length: 3, URL: "https://x.org"}},
			`<a href="https://x.org" target="_blank" rel="noopener noreferrer">&lt;i&gt;</a>`},
		{"bare url", "Share: https://t.me/multaque_bot?start=c_gracia. Thanks", nil,
			`Share: <a href="https://t.me/multaque_bot?start=c_gracia" target="_blank" rel="noopener noreferrer">https://t.me/multaque_bot?start=c_gracia</a>. Thanks`},
		{"commands", "/start: begin\nsee /help", nil,
			`<a href="#" class="cmd" data-cmd="/start">/start</a>: begin` + "\n" + `see <a href="#" class="cmd" data-cmd="/help">/help</a>`},
		{"no command inside a path", "a/b and x/start", nil, `a/b and x/start`},
		{"code not linked", "/start", []E{{Type: "code", Offset: 0, Length: 6}}, `<code>/start</code>`},
		{"entity past the end ignored", "ab", []E{{Type: "bold", Offset: 5, Length: 3}, {Type: "italic", Offset: 1, Length: 9}},
			`a<i>b</i>`},
		{"spoiler", "boo", []E{{Type: "spoiler", Offset: 0, Length: 3}}, `<span class="spoiler">boo</span>`},
	}
	for _, tt := range tests {
		if got := formatHTML(tt.text, tt.ents); got != tt.want {
			t.Errorf("%s: formatHTML(%q)=\n%s\nwant\n%s", tt.name, tt.text, got, tt.want)
		}
	}
}

// FuzzFormatHTML checks that no text and no entities get a tag or an
// attribute into the page that formatHTML did not write itself.
func FuzzFormatHTML(f *testing.F) {
	f.Add("<b>x</b>", 0, 3, "https://a.org/\"><script>")
	f.Add("👋 javascript:alert(1)", 2, 5, "javascript:alert(1)")
	f.Fuzz(func(t *testing.T, text string, off, n int, url string) {
		out := formatHTML(text, []telegramtest.Entity{{Type: "text_link", Offset: off, Length: n, URL: url}, {Type: "bold", Offset: n, Length: off}})
		rest := out
		for {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i:]
			ok := false
			for _, tag := range allowedTags {
				if strings.HasPrefix(rest, tag) {
					ok = true
					rest = rest[len(tag):]
					break
				}
			}
			if !ok {
				t.Fatalf("formatHTML(%q) wrote an unexpected tag at %q", text, rest)
			}
		}
		if strings.Contains(out, "javascript:") && strings.Contains(out, `href="javascript`) {
			t.Fatalf("formatHTML(%q) links to javascript: %s", text, out)
		}
	})
}

var allowedTags = []string{
	"<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<code>", "</code>", "<pre>", "</pre>",
	"<blockquote>", "</blockquote>", `<span class="spoiler">`, "</span>", "</a>", `<a href="#" class="cmd" data-cmd="/`, `<a href="http`, `<a href="tg:`,
}

package bot

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// Telegram counts a title's length in code points (issue 19.5); the bot
// clips titles and descriptions in UTF-16 units, never fewer than the code
// points, so what it sends is never over Telegram's limit, and it never
// cuts a character in two.
func TestClipsStayWithinTelegramsCount(t *testing.T) {
	pieces := []string{"a", "é", "😀", "👩‍👩‍👧", "漢", " ", "🇨🇦"}
	for n := 2; n <= 140; n += 3 {
		for _, p := range pieces {
			s := strings.Repeat(p, 200)
			for name, got := range map[string]string{"clipUTF16": clipUTF16(s, n), "clipRunes": clipRunes(s, n)} {
				if !utf8.ValidString(got) {
					t.Fatalf("%s(%q×200, %d) is not valid UTF-8", name, p, n)
				}
				if cps := utf8.RuneCountInString(got); cps > n {
					t.Errorf("%s(%q×200, %d) has %d code points, over Telegram's %d", name, p, n, cps, n)
				}
				if name == "clipUTF16" && len(utf16.Encode([]rune(got))) > n {
					t.Errorf("clipUTF16(%q×200, %d) has %d UTF-16 units", p, n, len(utf16.Encode([]rune(got))))
				}
			}
		}
	}
}

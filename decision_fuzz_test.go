package multaque_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multaque/multaque"
)

// FuzzParseOptions: whatever a person types, the options taken are what
// Telegram's sendPoll takes (2-12 options of 1-100 characters, no blank
// one), and the question likewise (1-300 characters).
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"Mon\nTue", "a\n\n b \r\nc", "x", "é\u200b\nè"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if opts, err := multaque.ParseOptions(text); err == nil {
			if len(opts) < 2 || len(opts) > 12 {
				t.Fatalf("%d options taken from %q", len(opts), text)
			}
			for _, o := range opts {
				if n := utf8.RuneCountInString(o); n < 1 || n > 100 || o != trimmed(o) {
					t.Fatalf("option %q (%d characters) taken from %q", o, n, text)
				}
			}
		}
		if q, err := multaque.CheckQuestion(text); err == nil {
			if n := utf8.RuneCountInString(q); n < 1 || n > 300 || q != trimmed(q) {
				t.Fatalf("question %q (%d characters) taken from %q", q, n, text)
			}
		}
	})
}

func trimmed(s string) string { return strings.TrimSpace(s) }

package bot

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/multaque/multaque"
)

// FuzzReportArg reads any argument of /stats, /chart and /export, and looks
// the community it names up in the real catalogue, in any language. The
// argument is either refused (too long, not UTF-8, control characters) or
// read as a query with its spaces collapsed, which reads as itself again;
// a query names one community of the catalogue, or offers at most
// maxReportChoices of them, never exactly one; and an id, in any case,
// always names its own community. The seed corpus is in
// testdata/fuzz/FuzzReportArg.
//
//	go test -run '^$' -fuzz '^FuzzReportArg$' -fuzztime 60s ./bot/
func FuzzReportArg(f *testing.F) {
	for _, s := range []string{"", "gracia", "Gràcia", "  vila   de gràcia ", "sant", "GRÀCIA", "atlantis",
		"sants-montjuic", "x\u200by", "gr\x00cia", strings.Repeat("a", maxReportArg+1), "\xff\xfe", "<b>gràcia</b>"} {
		f.Add(s, uint8(0))
	}
	b := &reports{core: &core{view: fuzzRenderer(f)}}
	f.Fuzz(func(t *testing.T, arg string, l uint8) {
		lang := multaque.Languages[int(l)%len(multaque.Languages)]
		query, ok := parseReportArg(arg)
		if !ok {
			if query != "" {
				t.Fatalf("parseReportArg(%q) refused it but gave %q", arg, query)
			}
			return
		}
		if len(arg) > maxReportArg || !utf8.ValidString(arg) {
			t.Fatalf("parseReportArg(%q) took an argument it must refuse", arg)
		}
		if query != strings.Join(strings.Fields(query), " ") {
			t.Fatalf("parseReportArg(%q)=%q: spaces not collapsed", arg, query)
		}
		if again, ok := parseReportArg(query); !ok || again != query {
			t.Fatalf("parseReportArg(%q)=%q, %v; want the query itself", query, again, ok)
		}
		for _, r := range query {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("parseReportArg(%q)=%q holds the control character %U", arg, query, r)
			}
		}
		if query == "" {
			return // the coordinator's whole scope
		}
		id, choices := b.findCommunity(query, lang)
		if id2, choices2 := b.findCommunity(query, lang); id2 != id || !slices.Equal(choiceIDs(choices2), choiceIDs(choices)) {
			t.Fatalf("findCommunity(%q) is not deterministic", query)
		}
		switch {
		case id != "":
			if _, ok := b.view.cat.Community(id); !ok || len(choices) > 0 {
				t.Fatalf("findCommunity(%q)=%q, %v: want a community of the catalogue, alone", query, id, choiceIDs(choices))
			}
		case len(choices) == 1 || len(choices) > maxReportChoices:
			t.Fatalf("findCommunity(%q) offers %d communities", query, len(choices))
		}
		for _, c := range choices {
			if _, ok := b.view.cat.Community(c.ID); !ok {
				t.Fatalf("findCommunity(%q) offers %q, which the catalogue lacks", query, c.ID)
			}
		}
		if low := strings.ToLower(query); multaque.ValidID(low) {
			if _, ok := b.view.cat.Community(low); ok && id != low {
				t.Fatalf("findCommunity(%q)=%q, want the community with that id", query, id)
			}
		}
	})
}

func choiceIDs(cs []multaque.Community) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

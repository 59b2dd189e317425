package bot

import (
	"strings"
	"testing"

	"github.com/multaque/multaque"
)

// FuzzParseBroadcastArgs: whatever a coordinator types after /broadcast,
// parsing does not panic, accepts only well-formed ids, and what it accepts
// reads back the same once written out again.
func FuzzParseBroadcastArgs(f *testing.F) {
	for _, s := range []string{
		"", "all", "status", "cancel", "community gracia", "project consumer-group",
		"project consumer-group community gracia", "community gracia project time-bank",
		"COMMUNITY Gracia", "  all  ", "community", "community gracia sants", "project a project b",
		"community gràcia", "community " + strings.Repeat("a", 21), "all all", "status\tnow", "cancel\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseBroadcastArgs(s)
		if !ok {
			if a != (broadcastArgs{}) {
				t.Fatalf("parseBroadcastArgs(%q) refused but returned %+v", s, a)
			}
			return
		}
		switch a.op {
		case "status", "cancel":
			if a.community != "" || a.project != "" {
				t.Fatalf("parseBroadcastArgs(%q)=%+v: %s with a target", s, a, a.op)
			}
		case "new":
		default:
			t.Fatalf("parseBroadcastArgs(%q) gave op %q", s, a.op)
		}
		for _, id := range []string{a.community, a.project} {
			if id != "" && !multaque.ValidID(id) {
				t.Fatalf("parseBroadcastArgs(%q) accepted the id %q", s, id)
			}
		}
		again, ok := parseBroadcastArgs(a.String())
		if !ok || again != a {
			t.Fatalf("parseBroadcastArgs(%q)=%+v, written %q, read back %+v, %v", s, a, a.String(), again, ok)
		}
	})
}

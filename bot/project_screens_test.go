package bot_test

import (
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// TestEveryProjectScreenInEveryLanguage opens every project of the
// catalogue from /projects in each language, through the fake Telegram,
// which refuses what Telegram refuses (an <a> with an empty href among
// them: an example without a url once made four projects' screens fail).
// Each screen shows every example, linked or not, and the date of its
// figures in the person's language.
func TestEveryProjectScreenInEveryLanguage(t *testing.T) {
	h := newHarness(t)
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	asOf := map[string]string{} // "project/example" → as_of
	for _, cl := range cat.Claims() {
		if cl.Example != "" && cl.AsOf != "" {
			asOf[cl.Project+"/"+cl.Example] = cl.AsOf
		}
	}
	plain := 0
	for _, lang := range multaque.Languages {
		u := h.srv.NewUser("Pere "+string(lang), string(lang))
		h.survey(u, lang, "Pere")
		for _, p := range h.cat.Projects() {
			u.Send("/projects")
			u.Expect(t, h.text(lang, "projects_intro"))
			u.Press(t, p.Name.In(lang))
			m := u.Expect(t, p.Pitch.In(lang))
			for _, ex := range p.Examples {
				want := ex.Name + ": " + ex.Text.In(lang)
				if a, ok := asOf[p.ID+"/"+ex.Name]; ok {
					want = strings.TrimSuffix(want, ".") + " (" + catalog.AsOf(a, lang) + ")."
				}
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s in %s: screen %q, want it to show %q", p.ID, lang, m.Text, want)
				}
				if ex.URL == "" {
					plain++
				}
			}
		}
	}
	if plain == 0 {
		t.Errorf("no example without a url: the test no longer shows they render")
	}
}

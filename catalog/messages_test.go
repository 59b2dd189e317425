package catalog_test

import (
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// sampleData fills the values messages use; a message using a value not
// listed here fails the test with "<no value>": add it.
var sampleData = map[string]any{
	"Count": 2, "Need": 8, "Community": "Gràcia", "Name": "Anna", "Link": "https://t.me/+abc",
	"Project": "Grup de consum", "Team": "t1", "Mentor": "Marta", "Members": 8, "Free": 1,
	"Missing": "pin_messages", "Code": "abc123", "Days": 7, "Capacity": 3, "Load": 1,
	"Projects": "Grup de consum", "Communities": "Gràcia", "Title": "Grup de consum · Gràcia",
	"Steps": "1. …", "Bot": "multaque_bot", "Group": "Pool 1", "When": "2026-11-29",
	// locales/plan
	"N": 3, "Step": "Primera reunió", "Stage": "en marxa", "Since": "2026-11-29", "Date": "2026-11-29",
	"Done": 2, "Total": 5, "Mark": "🟢", "Reason": "estiu", "CheckIn": "🟡 2026-11-29", "Stages": "format 1 · en marxa 2", "Note": "Cal un local",
	"Page": 2, "Pages": 3, // keyboard pages (locales/groups)
}

func TestMessagesEveryLanguage(t *testing.T) {
	m, err := catalog.LoadMessages()
	if err != nil {
		t.Fatalf("LoadMessages: %v", err)
	}
	if len(m.IDs()) < 50 {
		t.Fatalf("len(IDs)=%d, want at least 50", len(m.IDs()))
	}
	for _, id := range m.IDs() {
		for _, lang := range multaque.Languages {
			s := m.Text(lang, id, sampleData)
			if s == "" || strings.HasPrefix(s, "[") {
				t.Errorf("Text(%s, %s)=%q, want a text", lang, id, s)
			}
			if strings.Contains(s, "<no value>") {
				t.Errorf("Text(%s, %s)=%q has an unfilled value", lang, id, s)
			}
		}
	}
}

func TestMessagesPluralAndData(t *testing.T) {
	m, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang  multaque.Lang
		count int
		want  string
	}{
		{multaque.English, 1, "A team starts when 1 neighbour wants it."},
		{multaque.English, 8, "A team starts when 8 neighbours want it."},
		{multaque.Catalan, 1, "Un equip comença quan 1 veí el vol."},
		{multaque.Catalan, 8, "Un equip comença quan 8 veïns el volen."},
		{multaque.Spanish, 8, "Un equipo empieza cuando 8 vecinos lo quieren."},
	}
	for _, tt := range tests {
		if got := m.Text(tt.lang, "critical_mass", map[string]any{"Count": tt.count}); got != tt.want {
			t.Errorf("Text(%s, critical_mass, %d)=%q, want %q", tt.lang, tt.count, got, tt.want)
		}
	}
	if got := m.Text(multaque.English, "no_such_message", nil); got != "[no_such_message]" {
		t.Errorf("unknown id gives %q, want [no_such_message]", got)
	}
}

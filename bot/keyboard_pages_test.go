package bot_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
)

// Issue 19.2: with 60 projects and more than 100 communities in
// Barcelona, the keyboards page ("More ›") instead of being refused by
// Telegram ("reply markup is too long", which the fake answers as Telegram
// does), every item can be reached, and a toggle keeps its page.
func TestLongKeyboardsPage(t *testing.T) {
	cat := bot.BigCatalog(t, 60, 100)
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "multaque.db"), logs: &syncBuffer{}, cat: cat}
	h.srv = telegramtest.NewServer()
	t.Cleanup(h.srv.Close)
	var err error
	if h.texts, err = catalog.LoadMessages(); err != nil {
		t.Fatal(err)
	}
	h.start()
	t.Cleanup(h.shutdown)
	ca := multaque.Catalan
	u := h.srv.NewUser("Anna", "ca")
	u.Send("/start")
	u.Expect(t, "Multaque")
	u.Press(t, "✓ Català")
	u.Press(t, h.text(ca, "btn_consent"))
	u.Expect(t, h.text(ca, "ask_name"))
	u.Send("Anna")
	u.Expect(t, h.text(ca, "ask_community"))
	u.Press(t, h.community(ca, "barcelona")+" ›")
	more := func(page, pages int) string {
		return h.textWith(ca, "btn_page_more", map[string]any{"Page": page, "Pages": pages}) + " ›"
	}
	// Barcelona: its districts and the 100 copies, 40 a page.
	u.Expect(t, h.community(ca, "barcelona"))
	u.Press(t, more(2, 3))
	u.Press(t, more(3, 3))
	u.Press(t, h.community(ca, "barri-99"))
	u.Expect(t, h.textWith(ca, "ask_interests", map[string]any{"Count": 0}))
	// Projects: 60, 20 a page. A toggle on page 3 stays on page 3.
	u.Press(t, more(2, 3))
	u.Press(t, more(3, 3))
	last := h.project(ca, "extra-59")
	u.Press(t, "▫️ "+last)
	u.Expect(t, h.textWith(ca, "ask_interests", map[string]any{"Count": 1}))
	m, _ := u.LastFromBot()
	if !hasButton(m.Keyboard, "✅ "+last) {
		t.Errorf("after the toggle the keyboard is %v, want page 3 with %q", m.Keyboard, "✅ "+last)
	}
	u.Press(t, h.text(ca, "btn_done"))
	if strings.Contains(h.logs.String(), "reply markup is too long") {
		t.Errorf("Telegram refused a keyboard: %s", h.logs.String())
	}
}

func hasButton(kb [][]telegramtest.Button, text string) bool {
	for _, row := range kb {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}

package bot_test

import (
	"sync"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// TestAddCoordinator makes a person a coordinator while the bot runs: the
// coordinator's commands answer them from then on, and a group they add the
// bot to joins the pool. Adding them again, or an id that cannot be a
// person's, adds nothing.
func TestAddCoordinator(t *testing.T) {
	h := newHarness(t)
	ca := multaque.Catalan
	u := h.srv.NewUser("Carme", "ca")
	u.Send("/mentorinvite")
	u.Expect(t, h.text(ca, "admin_refused"))

	if !h.bot.AddCoordinator(u.ID) {
		t.Fatalf("AddCoordinator(%d)=false, want true for someone who was not one", u.ID)
	}
	if h.bot.AddCoordinator(u.ID) {
		t.Errorf("AddCoordinator(%d) again=true, want false", u.ID)
	}
	for _, id := range []int64{0, -5} {
		if h.bot.AddCoordinator(id) {
			t.Errorf("AddCoordinator(%d)=true, want false", id)
		}
	}
	h.invite(t, u)

	g := h.srv.NewSupergroup("Spare", u)
	g.AddBot(u, telegramtest.BotAdminRights)
	u.Expect(t, h.textWith(ca, "pool_accepted", map[string]any{"Count": 1}))
}

// TestAddCoordinatorWhileHandling adds coordinators while the bot answers
// one, for the race detector.
func TestAddCoordinatorWhileHandling(t *testing.T) {
	h := newHarness(t)
	first := h.srv.NewUser("Carme", "ca")
	h.bot.AddCoordinator(first.ID)
	var wg sync.WaitGroup
	wg.Go(func() {
		for id := int64(1); id <= 200; id++ {
			h.bot.AddCoordinator(1_000_000 + id)
		}
	})
	for range 5 {
		first.Send("/mentorinvite")
		first.Expect(t, "?start=m_")
	}
	wg.Wait()
}

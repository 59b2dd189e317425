package telegramtest_test

import (
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func TestStartButtonAnswerAndEdit(t *testing.T) {
	srv := newServer(t)
	b, log := newBot(t, srv, nil)
	menu := &tele.ReplyMarkup{}
	ca, en := menu.Data("Català", "lang", "ca"), menu.Data("English", "lang", "en")
	menu.Inline(menu.Row(ca, en))
	b.Handle("/start", func(c tele.Context) error {
		return c.Send("Welcome! Choose a language", menu)
	})
	b.Handle(&en, func(c tele.Context) error {
		if err := c.Respond(&tele.CallbackResponse{Text: "Saved: " + c.Data()}); err != nil {
			return err
		}
		return c.Edit("Language: " + c.Data())
	})
	start(t, b, log)

	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	welcome := u.Expect(t, "Welcome!")
	if got, want := len(welcome.Keyboard), 1; got != want {
		t.Fatalf("keyboard rows = %d, want %d", got, want)
	}
	if got, want := welcome.Keyboard[0][1], (telegramtest.Button{Text: "English", Data: "\flang|en"}); got != want {
		t.Fatalf("button = %+v, want %+v", got, want)
	}

	upd := u.Press(t, "English")
	edited := u.Expect(t, "Language: en")
	if edited.ID != welcome.ID || !edited.Edited || edited.Keyboard != nil {
		t.Fatalf("edited = %+v, want message %d edited without keyboard", edited, welcome.ID)
	}
	ans, ok := u.AnswerFor(upd)
	if !ok || ans.Text != "Saved: en" || ans.ShowAlert {
		t.Fatalf("AnswerFor = %+v, %v; want text %q", ans, ok, "Saved: en")
	}

	msgs := u.Messages()
	if got, want := len(msgs), 2; got != want {
		t.Fatalf("len(Messages) = %d, want %d: %+v", got, want, msgs)
	}
	if msgs[0].FromBot || msgs[0].Text != "/start" || !msgs[1].FromBot {
		t.Fatalf("Messages = %+v, want /start then the bot's message", msgs)
	}
	if last, _ := u.LastFromBot(); last.Text != "Language: en" {
		t.Fatalf("LastFromBot.Text = %q, want %q", last.Text, "Language: en")
	}

	// A command addressed to the bot by name is routed as well.
	u.Send("/start@multaque_bot")
	u.WaitBotMessages(t, 1)
}

func TestPressWithoutButtonFails(t *testing.T) {
	srv := newServer(t, telegramtest.WithWaitTimeout(50*time.Millisecond))
	u := srv.NewUser("Pau", "ca")
	u.Send("hello")
	ft := &fakeT{TB: t}
	u.Press(ft, "Nope")
	if !ft.failed {
		t.Fatalf("Press of a missing button did not fail the test")
	}
	ft = &fakeT{TB: t}
	u.Expect(ft, "anything")
	if !ft.failed {
		t.Fatalf("Expect of a missing message did not fail the test")
	}
}

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.TB.Logf("(expected failure) "+format, args...)
}

func TestUpdatesBatchAndOffset(t *testing.T) {
	srv := newServer(t)
	u := srv.NewUser("Joan", "es")
	for range 250 {
		u.Send("hi")
	}
	ups := rawUpdates(t, srv, nil)
	if got, want := len(ups), 100; got != want {
		t.Fatalf("first batch = %d updates, want %d", got, want)
	}
	ups = rawUpdates(t, srv, map[string][]string{"offset": {"201"}, "limit": {"10"}})
	if got, want := len(ups), 10; got != want {
		t.Fatalf("batch after offset 201 = %d, want %d", got, want)
	}
	if got, want := string(ups[0]["update_id"]), "201"; got != want {
		t.Fatalf("first update_id = %s, want %s", got, want)
	}
	if got, want := srv.PendingUpdates(), 50; got != want {
		t.Fatalf("PendingUpdates = %d, want %d", got, want)
	}
}

package telegramtest_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

// TestErrorsDecodeAsTelebotExpects checks that every error the fake gives is
// decoded by telebot into the error it decodes from real Telegram.
func TestErrorsDecodeAsTelebotExpects(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	started := func(name string) *tele.User {
		u := srv.NewUser(name, "en")
		u.Send("/start")
		return &tele.User{ID: u.ID}
	}
	bigData := &tele.ReplyMarkup{}
	bigData.Inline(bigData.Row(bigData.Data("Go", "go", strings.Repeat("x", 62))))

	tests := []struct {
		name   string
		call   func() error
		is     error  // errors.Is target, or
		substr string // a text the error must contain
	}{
		{"blocked", func() error {
			u := srv.NewUser("Blocker", "en")
			u.Send("/start")
			u.Block()
			_, err := b.Send(&tele.User{ID: u.ID}, "hi")
			return err
		}, tele.ErrBlockedByUser, ""},
		{"deactivated", func() error {
			u := srv.NewUser("Gone", "en")
			u.Send("/start")
			u.Deactivate()
			_, err := b.Send(&tele.User{ID: u.ID}, "hi")
			return err
		}, tele.ErrUserIsDeactivated, ""},
		{"never started", func() error {
			// The bot met u (who added it to a group) but u never wrote to it.
			u := srv.NewUser("Stranger", "en")
			srv.NewSupergroup("Met", u).AddBot(u, telegramtest.AdminRights{})
			_, err := b.Send(&tele.User{ID: u.ID}, "hi")
			return err
		}, tele.ErrNotStartedByUser, ""},
		{"never seen", func() error {
			// A user the bot never met: 400 "chat not found", not a 403.
			u := srv.NewUser("Unknown", "en")
			_, err := b.Send(&tele.User{ID: u.ID}, "hi")
			return err
		}, tele.ErrChatNotFound, ""},
		{"chat not found", func() error {
			_, err := b.Send(tele.ChatID(424242), "hi")
			return err
		}, tele.ErrChatNotFound, ""},
		{"text too long", func() error {
			_, err := b.Send(started("Long"), strings.Repeat("a", 4097))
			return err
		}, tele.ErrTooLongMessage, ""},
		{"too long in code points", func() error {
			_, err := b.Send(started("Emoji"), strings.Repeat("😀", 4097))
			return err
		}, tele.ErrTooLongMessage, ""},
		{"text empty", func() error {
			_, err := b.Send(started("Empty"), "  \n ")
			return err
		}, nil, "Bad Request: message text is empty (400)"},
		{"callback data too long", func() error {
			_, err := b.Send(started("Buttons"), "pick", bigData) // "\fgo|" + 62 = 66 bytes
			return err
		}, tele.ErrBadButtonData, ""},
		{"unbalanced HTML", func() error {
			_, err := b.Send(started("Html"), "<b>bold <i>both</b>", tele.ModeHTML)
			return err
		}, nil, `can't parse entities: Unmatched end tag at byte offset 15, expected "</i>", found "</b>"`},
		{"unsupported tag", func() error {
			_, err := b.Send(started("Html2"), "<div>x</div>", tele.ModeHTML)
			return err
		}, nil, `can't parse entities: Unsupported start tag "div"`},
		{"unescaped MarkdownV2", func() error {
			_, err := b.Send(started("Md"), "Done.", tele.ModeMarkdownV2)
			return err
		}, nil, `Character '.' is reserved`},
		{"caption too long", func() error {
			doc := &tele.Document{File: tele.FromReader(strings.NewReader("x")), FileName: "a.txt", Caption: strings.Repeat("c", 1025)}
			_, err := b.Send(started("Caption"), doc)
			return err
		}, nil, "message caption is too long"},
		{"not modified", func() error {
			m, err := b.Send(started("Same"), "same")
			if err != nil {
				return err
			}
			_, err = b.Edit(m, "same")
			return err
		}, tele.ErrSameMessageContent, ""},
		{"edit not found", func() error {
			u := started("Edit")
			_, err := b.Edit(&tele.Message{ID: 999, Chat: &tele.Chat{ID: u.ID}}, "x")
			return err
		}, nil, "message to edit not found"},
		{"delete not found", func() error {
			u := started("Delete")
			return b.Delete(&tele.Message{ID: 999, Chat: &tele.Chat{ID: u.ID}})
		}, tele.ErrNotFoundToDelete, ""},
		{"query too old", func() error {
			return b.Respond(&tele.Callback{ID: "123"})
		}, tele.ErrQueryTooOld, ""},
		{"unknown method", func() error {
			_, err := b.Raw("sendTelepathy", nil)
			return err
		}, tele.ErrNotFound, ""},
		{"flood", func() error {
			u := started("Flood")
			srv.ForceRetryAfter(7)
			defer srv.ForceRetryAfter(0)
			_, err := b.Send(u, "hi")
			var flood tele.FloodError
			if !errors.As(err, &flood) || flood.RetryAfter != 7 {
				t.Errorf("flood: err = %#v, want FloodError with RetryAfter 7", err)
			}
			return err
		}, nil, "retry after 7 (429)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatalf("err = nil, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.is)
			}
			if tc.substr != "" && !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.substr)
			}
		})
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	srv := newServer(t)
	_, err := tele.NewBot(tele.Settings{URL: srv.URL(), Token: "1:wrong", Offline: false, Client: srv.Client()})
	if !errors.Is(err, tele.ErrUnauthorized) {
		t.Fatalf("NewBot with a wrong token: err = %v, want %v", err, tele.ErrUnauthorized)
	}
}

func TestLimitsOfTextAreInclusive(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Max", "en")
	u.Send("/start")
	for _, text := range []string{strings.Repeat("a", 4096), strings.Repeat("😀", 2048)} {
		if _, err := b.Send(&tele.User{ID: u.ID}, text); err != nil {
			t.Fatalf("Send %d bytes: %v, want no error", len(text), err)
		}
	}
	ok := &tele.ReplyMarkup{}
	ok.Inline(ok.Row(ok.Data("Go", "go", strings.Repeat("x", 60)))) // 64 bytes
	if _, err := b.Send(&tele.User{ID: u.ID}, "pick", ok); err != nil {
		t.Fatalf("Send with 64-byte callback data: %v, want no error", err)
	}
}

func TestParseModesShowVisibleText(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Rosa", "ca")
	u.Send("/start")
	to := &tele.User{ID: u.ID}
	tests := []struct {
		text, mode, want string
		entities         []string
	}{
		{`<b>Hola</b> &amp; <a href="https://t.me/x">adéu</a> 😀 <i>x</i>`, tele.ModeHTML, "Hola & adéu 😀 x", []string{"bold@0+4", "text_link@7+4", "italic@15+1"}},
		{"<pre><code class=\"language-go\">x := 1</code></pre>", tele.ModeHTML, "x := 1", []string{"pre@0+6"}},
		{`*Hola* \- _tu_ [web](https://x.y/a\)b)\.`, tele.ModeMarkdownV2, "Hola - tu web.", []string{"bold@0+4", "italic@7+2", "text_link@10+3"}},
		{"*Hola* _tu_", tele.ModeMarkdown, "Hola tu", []string{"bold@0+4", "italic@5+2"}},
		{"  <b>trimmed</b>  ", tele.ModeHTML, "trimmed", []string{"bold@0+7"}},
	}
	for _, tc := range tests {
		m, err := b.Send(to, tc.text, tc.mode)
		if err != nil {
			t.Fatalf("Send(%q, %s): %v", tc.text, tc.mode, err)
		}
		last, _ := u.LastFromBot()
		if last.Text != tc.want || m.Text != tc.want {
			t.Errorf("Send(%q, %s): visible text %q (answer %q), want %q", tc.text, tc.mode, last.Text, m.Text, tc.want)
		}
		var got []string
		for _, e := range m.Entities {
			got = append(got, string(e.Type)+"@"+strconv.Itoa(e.Offset)+"+"+strconv.Itoa(e.Length))
		}
		if strings.Join(got, " ") != strings.Join(tc.entities, " ") {
			t.Errorf("Send(%q, %s): entities %v, want %v", tc.text, tc.mode, got, tc.entities)
		}
		if last.ParseMode != tc.mode {
			t.Errorf("ParseMode = %q, want %q", last.ParseMode, tc.mode)
		}
	}
}

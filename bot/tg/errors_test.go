package tg

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

func TestClassify(t *testing.T) {
	const person, group = 100001, -1001234567890
	network := fmt.Errorf("telebot: %w", &url.Error{Op: "Post", URL: "https://api.telegram.org/bot<redacted>/sendMessage", Err: errors.New("connection reset by peer")})
	notJSON := fmt.Errorf("telebot: %w", errors.New("invalid character '<' looking for beginning of value"))
	tests := []struct {
		name string
		err  error
		chat int64
		want Class
	}{
		{"ok", nil, person, OK},
		{"429", tele.FloodError{RetryAfter: 3}, person, Flood},
		{"429 without retry_after", tele.NewError(429, "Too Many Requests"), person, Flood},
		{"blocked", tele.ErrBlockedByUser, person, Unreachable},
		{"deactivated", tele.ErrUserIsDeactivated, person, Unreachable},
		{"never started", tele.ErrNotStartedByUser, person, Unreachable},
		{"person not found", tele.ErrChatNotFound, person, Unreachable},
		{"unknown 403 to a person", errors.New("telegram: Forbidden: bot can't send messages to bots (403)"), person, Unreachable},
		{"group deleted", tele.ErrChatNotFound, group, ChatGone},
		{"kicked from supergroup", tele.ErrKickedFromSuperGroup, group, ChatGone},
		{"kicked from group", tele.ErrKickedFromGroup, group, ChatGone},
		{"not a member of the supergroup", errors.New("telegram: Forbidden: bot is not a member of the supergroup chat (403)"), group, ChatGone},
		{"migrated", tele.GroupError{MigratedTo: -100999}, group, ChatGone},
		{"bad HTML", errors.New("telegram: Bad Request: can't parse entities: Unexpected end tag at byte offset 3 (400)"), person, Refused},
		{"too long", tele.ErrTooLongMessage, person, Refused},
		{"bad button", tele.ErrBadButtonData, group, Refused},
		{"500", tele.ErrInternal, person, Transient},
		{"502 page", notJSON, person, Transient},
		{"503 text", errors.New("telegram: Service Unavailable (503)"), person, Transient},
		{"network", network, person, Transient},
		{"network error ending like a code", errors.New("telebot: dial tcp: lookup (400)"), person, Transient},
		{"unauthorized", tele.ErrUnauthorized, person, Transient},
		{"not modified", tele.ErrSameMessageContent, person, NotModified},
		{"chat not modified, upper case", errors.New("telegram: Bad Request: CHAT_NOT_MODIFIED (400)"), group, NotModified},
		{"redacted 403", Redact(fmt.Errorf("at 123:SECRET: %w", tele.ErrBlockedByUser), "123:SECRET"), person, Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := Classify(tt.err, tt.chat); got != tt.want {
				t.Errorf("Classify(%v, %d)=%v, want %v", tt.err, tt.chat, got, tt.want)
			}
		})
	}
	if _, n := Classify(tele.FloodError{RetryAfter: 7}, person); n != 7 {
		t.Errorf("retry_after=%d, want 7", n)
	}
}

func TestPacerPerChatAndGroup(t *testing.T) {
	p := NewPacer(time.Second, 2, 3, 10*time.Millisecond, UnregisteredMetrics()) // a minute of 600 ms
	now := time.Unix(1000, 0)
	for i := range 2 {
		if ok, _ := p.Take(7, now); !ok {
			t.Fatalf("message %d of the burst refused", i+1)
		}
	}
	if ok, wait := p.Take(7, now); ok || wait != time.Second {
		t.Fatalf("third message at once: ok=%v wait=%v, want refused for 1s", ok, wait)
	}
	if ok, _ := p.Take(8, now); !ok {
		t.Fatal("another chat is held by chat 7's pace")
	}
	if ok, _ := p.Take(7, now.Add(time.Second)); !ok {
		t.Fatal("refused after the interval")
	}

	const g = -100
	p = NewPacer(0, 1, 3, 10*time.Millisecond, UnregisteredMetrics())
	for i := range 3 {
		if ok, _ := p.Take(g, now); !ok {
			t.Fatalf("group message %d refused", i+1)
		}
		p.Finish(g, true, now.Add(time.Duration(i)*time.Millisecond))
	}
	if ok, wait := p.Take(g, now.Add(100*time.Millisecond)); ok || wait != 500*time.Millisecond {
		t.Fatalf("4th group message in the minute: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := p.Take(g, now.Add(601*time.Millisecond)); !ok {
		t.Fatal("group message refused a minute after the first answer")
	}
	// A claim not answered yet counts too.
	p = NewPacer(0, 1, 1, 10*time.Millisecond, UnregisteredMetrics())
	if ok, _ := p.Take(g, now); !ok {
		t.Fatal("first group message refused")
	}
	if ok, _ := p.Take(g, now.Add(time.Hour)); ok {
		t.Fatal("second group message allowed while the first is in flight")
	}
}

func TestPacerPause(t *testing.T) {
	p := NewPacer(0, 1, 20, 10*time.Millisecond, UnregisteredMetrics())
	until := p.Pause(3)
	if d := time.Until(until); d < 30*time.Millisecond || d > 40*time.Millisecond {
		t.Fatalf("pause of 3 units of 10ms ends in %v, want 30ms plus a 5ms margin", d)
	}
	if ok, _ := p.Take(5, time.Now()); ok {
		t.Fatal("message allowed during a pause")
	}
	if shorter := p.Pause(1); !shorter.Equal(until) {
		t.Fatalf("a shorter pause moved the end from %v to %v", until, shorter)
	}
}

package bot

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
		want outcome
	}{
		{"ok", nil, person, outcomeDelivered},
		{"429", tele.FloodError{RetryAfter: 3}, person, outcomeFlood},
		{"429 without retry_after", tele.NewError(429, "Too Many Requests"), person, outcomeFlood},
		{"blocked", tele.ErrBlockedByUser, person, outcomeUnreachable},
		{"deactivated", tele.ErrUserIsDeactivated, person, outcomeUnreachable},
		{"never started", tele.ErrNotStartedByUser, person, outcomeUnreachable},
		{"person not found", tele.ErrChatNotFound, person, outcomeUnreachable},
		{"unknown 403 to a person", errors.New("telegram: Forbidden: bot can't send messages to bots (403)"), person, outcomeUnreachable},
		{"group deleted", tele.ErrChatNotFound, group, outcomeChatGone},
		{"kicked from supergroup", tele.ErrKickedFromSuperGroup, group, outcomeChatGone},
		{"kicked from group", tele.ErrKickedFromGroup, group, outcomeChatGone},
		{"not a member of the supergroup", errors.New("telegram: Forbidden: bot is not a member of the supergroup chat (403)"), group, outcomeChatGone},
		{"migrated", tele.GroupError{MigratedTo: -100999}, group, outcomeChatGone},
		{"bad HTML", errors.New("telegram: Bad Request: can't parse entities: Unexpected end tag at byte offset 3 (400)"), person, outcomePermanent},
		{"too long", tele.ErrTooLongMessage, person, outcomePermanent},
		{"bad button", tele.ErrBadButtonData, group, outcomePermanent},
		{"500", tele.ErrInternal, person, outcomeTransient},
		{"502 page", notJSON, person, outcomeTransient},
		{"503 text", errors.New("telegram: Service Unavailable (503)"), person, outcomeTransient},
		{"network", network, person, outcomeTransient},
		{"network error ending like a code", errors.New("telebot: dial tcp: lookup (400)"), person, outcomeTransient},
		{"unauthorized", tele.ErrUnauthorized, person, outcomeTransient},
		{"redacted 403", redact(fmt.Errorf("at 123:SECRET: %w", tele.ErrBlockedByUser), "123:SECRET"), person, outcomeUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := classify(tt.err, tt.chat); got != tt.want {
				t.Errorf("classify(%v, %d)=%v, want %v", tt.err, tt.chat, got, tt.want)
			}
		})
	}
	if _, n := classify(tele.FloodError{RetryAfter: 7}, person); n != 7 {
		t.Errorf("retry_after=%d, want 7", n)
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, time.Minute
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute, 500: time.Minute} {
		for range 100 {
			if got := backoff(attempts, lo, hi); got < want/2 || got > want*3/2 {
				t.Fatalf("backoff(%d)=%v, want within [%v, %v]", attempts, got, want/2, want*3/2)
			}
		}
	}
}

func TestPacerPerChatAndGroup(t *testing.T) {
	p := newPacer(time.Second, 2, 3, 10*time.Millisecond, unregisteredMetrics()) // a minute of 600 ms
	now := time.Unix(1000, 0)
	for i := range 2 {
		if ok, _ := p.take(7, now); !ok {
			t.Fatalf("message %d of the burst refused", i+1)
		}
	}
	if ok, wait := p.take(7, now); ok || wait != time.Second {
		t.Fatalf("third message at once: ok=%v wait=%v, want refused for 1s", ok, wait)
	}
	if ok, _ := p.take(8, now); !ok {
		t.Fatal("another chat is held by chat 7's pace")
	}
	if ok, _ := p.take(7, now.Add(time.Second)); !ok {
		t.Fatal("refused after the interval")
	}

	const g = -100
	p = newPacer(0, 1, 3, 10*time.Millisecond, unregisteredMetrics())
	for i := range 3 {
		if ok, _ := p.take(g, now); !ok {
			t.Fatalf("group message %d refused", i+1)
		}
		p.finish(g, true, now.Add(time.Duration(i)*time.Millisecond))
	}
	if ok, wait := p.take(g, now.Add(100*time.Millisecond)); ok || wait != 500*time.Millisecond {
		t.Fatalf("4th group message in the minute: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := p.take(g, now.Add(601*time.Millisecond)); !ok {
		t.Fatal("group message refused a minute after the first answer")
	}
	// A claim not answered yet counts too.
	p = newPacer(0, 1, 1, 10*time.Millisecond, unregisteredMetrics())
	if ok, _ := p.take(g, now); !ok {
		t.Fatal("first group message refused")
	}
	if ok, _ := p.take(g, now.Add(time.Hour)); ok {
		t.Fatal("second group message allowed while the first is in flight")
	}
}

func TestPacerPause(t *testing.T) {
	p := newPacer(0, 1, 20, 10*time.Millisecond, unregisteredMetrics())
	until := p.pause(3)
	if d := time.Until(until); d < 30*time.Millisecond || d > 40*time.Millisecond {
		t.Fatalf("pause of 3 units of 10ms ends in %v, want 30ms plus a 5ms margin", d)
	}
	if ok, _ := p.take(5, time.Now()); ok {
		t.Fatal("message allowed during a pause")
	}
	if shorter := p.pause(1); !shorter.Equal(until) {
		t.Fatalf("a shorter pause moved the end from %v to %v", until, shorter)
	}
}

package telegramtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func TestPerChatBurstGets429(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{PerChat: 1, PerChatBurst: 3, Scale: 1})) // real seconds: a loaded CI machine must not refill a token mid-burst
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Burst", "en")
	u.Send("/start")
	to := &tele.User{ID: u.ID}
	for i := range 3 {
		if _, err := b.Send(to, "burst "+strconv.Itoa(i)); err != nil {
			t.Fatalf("message %d of the burst: %v", i, err)
		}
	}
	_, err := b.Send(to, "one too many")
	var flood tele.FloodError
	if !errors.As(err, &flood) || flood.RetryAfter < 1 {
		t.Fatalf("4th message: err = %v, want FloodError with RetryAfter ≥ 1", err)
	}
	// Another chat is not affected.
	other := srv.NewUser("Other", "en")
	other.Send("/start")
	if _, err := b.Send(&tele.User{ID: other.ID}, "hi"); err != nil {
		t.Fatalf("message to another chat: %v", err)
	}
	// Trying again at once is refused and counted as a request during the pause.
	if _, err := b.Send(to, "impatient"); !errors.As(err, &flood) {
		t.Fatalf("retry inside the window: err = %v, want FloodError", err)
	}
	time.Sleep(time.Duration(flood.RetryAfter) * srv.Second())
	if _, err := b.Send(to, "patient"); err != nil {
		t.Fatalf("after retry_after: %v", err)
	}
	st := srv.Stats()
	if st.TooManyRequests != 2 || st.RequestsDuringPause != 2 || st.MaxPerChatPerSecond != 3 {
		t.Fatalf("Stats = %+v, want 2 × 429, 2 requests during the pause, max 3 per chat per second", st)
	}
	if got := len(u.Messages()); got != 1+3+1 {
		t.Fatalf("chat has %d messages, want 5 (the refused ones are not recorded)", got)
	}
}

func TestGlobalAndGroupLimits(t *testing.T) {
	// At Scale 0.01 a server second lasts 100 s: no token comes back during the test.
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{Global: 5, Scale: 0.01}))
	b, _ := newBot(t, srv, nil)
	refused := 0
	for i := range 8 {
		u := srv.NewUser("G"+strconv.Itoa(i), "en")
		u.Send("/start")
		if _, err := b.Send(&tele.User{ID: u.ID}, "hi"); err != nil {
			var flood tele.FloodError
			if !errors.As(err, &flood) {
				t.Fatalf("Send: %v", err)
			}
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("refused %d of 8 messages over a global limit of 5/s, want 3", refused)
	}

	// Groups: 20 per (scaled) minute; at Scale 6 a minute lasts 10 s.
	srv.SetLimits(telegramtest.Limits{PerGroupPerMinute: 20, Scale: 6})
	owner := srv.NewUser("Owner", "ca")
	g := srv.NewSupergroup("Busy", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	chat := &tele.Chat{ID: g.ID}
	for i := range 20 {
		if _, err := b.Send(chat, "msg "+strconv.Itoa(i)); err != nil {
			t.Fatalf("group message %d: %v", i, err)
		}
	}
	if _, err := b.Send(chat, "21st"); !errors.As(err, &tele.FloodError{}) {
		t.Fatalf("21st group message: err = %v, want FloodError", err)
	}
	if st := srv.Stats(); st.MaxPerGroupPerMinute != 20 {
		t.Fatalf("MaxPerGroupPerMinute = %d, want 20", st.MaxPerGroupPerMinute)
	}
}

func TestForceRetryAfterStorm(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{Scale: 5}))
	u := srv.NewUser("Storm", "en")
	u.Send("/start")
	srv.ForceRetryAfter(2) // 400 ms at Scale 5
	params := url.Values{"chat_id": {strconv.FormatInt(u.ID, 10)}, "text": {"x"}}
	status, a := rawCall(t, srv, "sendMessage", params)
	if status != http.StatusTooManyRequests || a.Parameters.RetryAfter != 2 || a.Description != "Too Many Requests: retry after 2" {
		t.Fatalf("during the storm: %d %+v, want 429 with retry_after 2", status, a)
	}
	time.Sleep(2 * srv.Second())
	if status, a := rawCall(t, srv, "sendMessage", params); status != http.StatusOK {
		t.Fatalf("after the storm: %d %+v, want 200", status, a)
	}
}

func TestInjectedFaultsFollowTheirRates(t *testing.T) {
	srv := newServer(t)
	u := srv.NewUser("Faulty", "en")
	u.Send("/start")
	srv.InjectFaults(telegramtest.Faults{ServerErrorRate: 0.2, TimeoutRate: 0.1, Delay: time.Millisecond, Seed: 42})
	params := url.Values{"chat_id": {strconv.FormatInt(u.ID, 10)}, "text": {"x"}}
	const n = 1000
	var ok, e500, e502, dropped int
	for range n {
		resp, err := srv.Client().PostForm(srv.URL()+"/bot"+srv.Token()+"/sendMessage", params)
		if err != nil {
			dropped++
			continue
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusInternalServerError:
			e500++
		case http.StatusBadGateway:
			e502++
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	within := func(got int, rate float64) bool {
		want := rate * n
		return float64(got) > want*0.7 && float64(got) < want*1.3
	}
	if !within(e500, 0.1) || !within(e502, 0.1) || !within(dropped, 0.1) {
		t.Fatalf("500: %d, 502: %d, dropped: %d of %d; want about 100 each", e500, e502, dropped, n)
	}
	if got := len(u.Messages()) - 1; got != ok {
		t.Fatalf("chat holds %d bot messages, want %d (only the successful ones)", got, ok)
	}
	st := srv.Stats()
	if st.ServerErrors != int64(e500+e502) || st.Timeouts != int64(dropped) {
		t.Fatalf("Stats = %+v, want %d server errors and %d timeouts", st, e500+e502, dropped)
	}
	// getMe is never faulted.
	if status, _ := rawCall(t, srv, "getMe", nil); status != http.StatusOK {
		t.Fatalf("getMe under faults: %d", status)
	}
	srv.InjectFaults(telegramtest.Faults{})
	if status, _ := rawCall(t, srv, "sendMessage", params); status != http.StatusOK {
		t.Fatalf("sendMessage after faults were switched off: %d", status)
	}
}

package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/tg"
)

const (
	fuzzSecret  = "s3cret-Token_for-webhook"
	fuzzMaxBody = 2048 // small, so that the fuzzer crosses it
)

// FuzzWebhook posts any body with any method and secret to the real bot's
// webhook handler, on a real store. The handler must not panic and must
// answer 200, 400, 401, 405 or 413; a request that is not a POST is 405, a
// wrong secret 401, a body over the limit 413; only a 200 lets an update
// reach the bot, and an update answered 200 has been handled.
//
// The bot runs 5 workers, a count that is not a power of two, as a
// configuration may set (telegram.workers).
func FuzzWebhook(f *testing.F) {
	rig := newFuzzBot(f, 5)
	h := rig.bot.WebhookHandler(fuzzSecret, fuzzMaxBody)
	u := rig.people[4].user // a citizen who is done
	msg := func(id int, text string) []byte {
		return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private","first_name":"Anna"},"from":{"id":%d,"is_bot":false,"first_name":"Anna","language_code":"ca"},"text":%q}}`,
			id, id, time.Now().Unix(), u.ID, u.ID, text)
	}
	press := fmt.Appendf(nil, `{"update_id":7,"callback_query":{"id":"77","from":{"id":%d,"is_bot":false,"first_name":"Anna"},"message":{"message_id":1,"date":1,"chat":{"id":%d,"type":"private"}},"chat_instance":"1","data":"set|3|menu"}}`, u.ID, u.ID)
	blocked := fmt.Appendf(nil, `{"update_id":8,"my_chat_member":{"chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"Anna"},"date":1,"old_chat_member":{"user":{"id":1},"status":"member"},"new_chat_member":{"user":{"id":1},"status":"kicked"}}}`, u.ID, u.ID)
	join := []byte(`{"update_id":9,"chat_join_request":{"chat":{"id":-1001,"type":"supergroup","title":"x"},"from":{"id":5,"first_name":"Eve"},"user_chat_id":5,"date":1}}`)
	group := []byte(`{"update_id":10,"message":{"message_id":3,"date":1,"chat":{"id":-9223372036854775808,"type":"supergroup"},"from":{"id":5,"first_name":"Eve"},"text":"/start"}}`)
	for _, body := range [][]byte{msg(1, "/start"), msg(2, "/help"), msg(3, "Gràcia"), press, blocked, join, group,
		[]byte(`{}`), []byte(`{"update_id":0}`), []byte(`{"update_id":-1}`), []byte(`{"update_id":11,"message":null}`),
		[]byte(`[1,2]`), []byte(`not json`), []byte(``), append(msg(12, "/help"), bytes.Repeat([]byte(" "), fuzzMaxBody)...)} {
		f.Add(uint8(0), uint8(0), "", body)
	}
	f.Add(uint8(1), uint8(0), "", msg(13, "/help"))
	f.Add(uint8(0), uint8(1), "", msg(14, "/help"))
	f.Add(uint8(0), uint8(2), fuzzSecret+"x", msg(15, "/help"))
	f.Add(uint8(0), uint8(2), fuzzSecret[:5], msg(16, "/help"))
	f.Fuzz(func(t *testing.T, method, auth uint8, secret string, body []byte) {
		methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodHead, "DELETE", "PATCH"}
		m := methods[int(method)%len(methods)]
		req := httptest.NewRequest(m, "/telegram", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		switch auth % 3 {
		case 0:
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", fuzzSecret)
		case 2:
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		var upd tg.Update
		parsed := json.Unmarshal(body, &upd) == nil
		seen := rig.bot.recent.has(upd.ID)
		handled := rig.handled()

		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)

		status := w.Code
		if !slices.Contains([]int{200, 401, 405, 413}, status) {
			t.Fatalf("status %d, want 200, 400, 401, 405 or 413", status)
		}
		rightSecret := req.Header.Get("X-Telegram-Bot-Api-Secret-Token") == fuzzSecret
		switch {
		case m != http.MethodPost:
			if status != http.StatusMethodNotAllowed {
				t.Fatalf("%s: status %d, want 405", m, status)
			}
		case !rightSecret:
			if status != http.StatusUnauthorized {
				t.Fatalf("secret %q: status %d, want 401", secret, status)
			}
		case len(body) > fuzzMaxBody:
			if status != http.StatusRequestEntityTooLarge {
				t.Fatalf("a body of %d bytes: status %d, want 413", len(body), status)
			}
		default: // an update, or a body that never will be: 200 either way
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
		}
		// 200 comes once the update is in the inbox; its handling follows.
		rig.bot.idle()
		grew := rig.handled() - handled
		switch {
		case (status != http.StatusOK || !parsed || upd.ID <= 0) && grew != 0:
			t.Fatalf("status %d, yet %d updates reached the bot", status, grew)
		case status == http.StatusOK && parsed && upd.ID > 0 && !seen && !rig.bot.recent.has(upd.ID):
			t.Fatalf("update %d answered 200, but not handled", upd.ID)
		}
	})
}

// handled counts the updates the bot has handled since it started.
func (r *fuzzBot) handled() int {
	rec := r.bot.recent
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.seen)
}

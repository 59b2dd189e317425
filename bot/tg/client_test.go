package tg_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/tg"
)

// TestCallRefusesWhatIsNoAnswer: telebot takes any body it cannot read as a
// success (a proxy's error page, a connection cut mid-answer); the client
// must not, or the Sender would record as delivered a message that was not.
func TestCallRefusesWhatIsNoAnswer(t *testing.T) {
	const token = "123456:SECRET-token"
	for _, tt := range []struct {
		body string
		ok   bool
	}{
		{`{"ok":true,"result":{"message_id":7}}`, true},
		{`{"result":true,"ok":true}`, true},
		{`<html><body>502 Bad Gateway</body></html>`, false},
		{`{"ok":true,"result":{"message_id":7`, false},
		{``, false},
		{`{"ok":false}`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(tt.body))
		}))
		c, err := tg.NewClient(tg.ClientOptions{Token: token, APIURL: srv.URL, HTTP: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Post(context.Background(), tg.Outgoing{Chat: 1, Text: "hi"})
		if (err == nil) != tt.ok {
			t.Errorf("answer %q: error %v, want ok=%v", tt.body, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("error %q holds the token", err)
		}
		srv.Close()
	}
}

package tg

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// WebhookHandler returns the http.Handler Telegram posts updates to. It
// checks the X-Telegram-Bot-Api-Secret-Token header in constant time (401),
// refuses bodies over maxBody bytes (413) and anything that is not a POST
// (405), and hands the update to take, which returns once the update is
// durably taken (the inbox, bot.go), not once it is handled: the answer 200
// never waits for a pace. If take fails, it answers 503 and Telegram
// delivers the update again.
//
// A body that passed the secret check but is no update can never be
// parsed however often it comes: it is answered 200 (Telegram retries
// anything else for up to a day, holding that chat's later updates behind
// it), logged as an error and counted in m (multaque_webhook_unparseable_total).
func WebhookHandler(secret string, maxBody int64, take func(context.Context, Incoming) error, m *Metrics, log zerolog.Logger) http.Handler {
	if m == nil {
		m = UnregisteredMetrics()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "bad request", http.StatusBadRequest) // the body did not come whole
			return
		}
		in := Incoming{Raw: body, Arrived: arrived}
		if err := json.Unmarshal(body, &in.Update); err != nil || in.Update.ID <= 0 {
			m.Unparseable()
			log.Error().Int("bytes", len(body)).Msg("webhook: a body that is no update, acknowledged and dropped")
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := take(r.Context(), in); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// SetWebhook tells Telegram to post updates to publicURL with secret.
func (c *Client) SetWebhook(ctx context.Context, publicURL, secret string) error {
	return c.Call(ctx, "setWebhook", map[string]any{
		"url":             publicURL,
		"secret_token":    secret,
		"allowed_updates": AllowedUpdates,
		"max_connections": 40,
	}, nil)
}

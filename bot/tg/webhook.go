package tg

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// WebhookHandler returns the http.Handler Telegram posts updates to. It
// checks the X-Telegram-Bot-Api-Secret-Token header in constant time (401),
// refuses bodies over maxBody bytes (413) and anything that is not a POST of
// an update (405, 400), handles the update, and answers 200 only once it is
// handled, so Telegram retries an update the bot did not finish. An update
// seen before is answered 200 without being handled again.
//
// handle must return once the update is handled; an error answers 503.
func WebhookHandler(secret string, maxBody int64, handle func(context.Context, *Update) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var u Update
		if err := json.Unmarshal(body, &u); err != nil || u.ID <= 0 {
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if err := handle(r.Context(), &u); err != nil {
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

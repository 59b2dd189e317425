package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tele "gopkg.in/telebot.v3"
)

// allowedUpdates are the update types the bot asks Telegram for. chat_member
// must be named explicitly: Telegram does not send it otherwise.
var allowedUpdates = []string{"message", "callback_query", "my_chat_member", "chat_member", "chat_join_request"}

// Run takes updates by long polling until ctx is done, then finishes the
// updates in flight and returns. A batch is confirmed to Telegram (by the
// next request's offset) only once every update in it has been handled, so
// a crash loses no update; one handled but not confirmed is recognised by
// its update_id when it comes again. Errors back off exponentially with
// jitter, up to a minute.
func (b *Bot) Run(ctx context.Context) error {
	defer b.Close()
	log := b.log.With().Str("transport", "polling").Logger()
	if _, err := b.tg.Raw("deleteWebhook", map[string]any{}); err != nil {
		return fmt.Errorf("delete webhook: %w", redact(err, b.token))
	}
	log.Info().Str("bot", b.Username()).Msg("polling for updates")
	offset := 0
	backoff := time.Duration(0)
	for {
		if ctx.Err() != nil {
			b.confirm(offset)
			log.Info().Msg("polling stopped")
			return nil
		}
		updates, err := b.getUpdates(ctx, offset, b.pollTimeout, 100)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			backoff = nextBackoff(backoff)
			log.Warn().Err(redact(err, b.token)).Dur("retry_in", backoff).Msg("get updates")
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		dones := make([]<-chan struct{}, 0, len(updates))
		for _, u := range updates {
			done, err := b.dispatch.submit(ctx, u)
			if err != nil {
				break // shutting down: the rest stays unconfirmed
			}
			dones = append(dones, done)
			offset = u.ID + 1
		}
		for _, d := range dones {
			<-d
		}
	}
}

// confirm tells Telegram, on the way out, that every update before offset
// was handled, so that a restart does not get them again: Telegram confirms
// updates only with the offset of the next request. The one update this
// request may return stays unconfirmed, for the next run.
func (b *Bot) confirm(offset int) {
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := b.getUpdates(ctx, offset, 0, 1); err != nil {
		b.log.Info().Err(redact(err, b.token)).Msg("confirm handled updates")
	}
}

// nextBackoff doubles d between 1 s and 60 s and adds up to 25% jitter.
func nextBackoff(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		d = time.Second
	case d < 30*time.Second:
		d *= 2
	default:
		d = 60 * time.Second
	}
	return d + rand.N(d/4+1)
}

// getUpdates makes one long-polling request, cancelled with ctx.
func (b *Bot) getUpdates(ctx context.Context, offset int, timeout time.Duration, limit int) ([]tele.Update, error) {
	allowed, _ := json.Marshal(allowedUpdates)
	q := url.Values{
		"offset":          {strconv.Itoa(offset)},
		"timeout":         {strconv.Itoa(int(timeout / time.Second))},
		"limit":           {strconv.Itoa(limit)},
		"allowed_updates": {string(allowed)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.apiURL+"/bot"+b.token+"/getUpdates", nil)
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = q.Encode()
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var r struct {
		OK          bool          `json:"ok"`
		Result      []tele.Update `json:"result"`
		ErrorCode   int           `json:"error_code"`
		Description string        `json:"description"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("get updates: http %d: not a bot api answer", resp.StatusCode)
	}
	if !r.OK {
		return nil, fmt.Errorf("get updates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}

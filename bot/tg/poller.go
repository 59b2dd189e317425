package tg

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

	"github.com/rs/zerolog"
)

// AllowedUpdates are the update types the bot asks Telegram for. chat_member
// must be named explicitly: Telegram does not send it otherwise.
var AllowedUpdates = []string{"message", "callback_query", "my_chat_member", "chat_member", "chat_join_request", "poll_answer"}

// Poll takes updates by long polling until ctx is done, hands each to d,
// then finishes the updates in flight and returns. A batch is confirmed to Telegram (by the
// next request's offset) only once every update in it has been handled, so
// a crash loses no update; one handled but not confirmed is recognised by
// its update_id when it comes again. Errors back off exponentially with
// jitter, up to a minute.
func (c *Client) Poll(ctx context.Context, d *Dispatcher, timeout time.Duration, log zerolog.Logger) error {
	defer d.Close()
	log = log.With().Str("transport", "polling").Logger()
	if err := c.Call(ctx, "deleteWebhook", map[string]any{}, nil); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("delete webhook: %w", err)
	}
	log.Info().Msg("polling for updates")
	offset := 0
	backoff := time.Duration(0)
	for {
		if ctx.Err() != nil {
			c.confirm(offset, log)
			log.Info().Msg("polling stopped")
			return nil
		}
		updates, err := c.getUpdates(ctx, offset, timeout, 100)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			backoff = nextBackoff(backoff)
			log.Warn().Err(c.Redact(err)).Dur("retry_in", backoff).Msg("get updates")
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		dones := make([]<-chan struct{}, 0, len(updates))
		for i := range updates {
			u := &updates[i]
			done, err := d.Submit(ctx, u)
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
func (c *Client) confirm(offset int, log zerolog.Logger) {
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.getUpdates(ctx, offset, 0, 1); err != nil {
		log.Info().Err(c.Redact(err)).Msg("confirm handled updates")
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
func (c *Client) getUpdates(ctx context.Context, offset int, timeout time.Duration, limit int) ([]Update, error) {
	allowed, _ := json.Marshal(AllowedUpdates)
	q := url.Values{
		"offset":          {strconv.Itoa(offset)},
		"timeout":         {strconv.Itoa(int(timeout / time.Second))},
		"limit":           {strconv.Itoa(limit)},
		"allowed_updates": {string(allowed)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+"/bot"+c.token+"/getUpdates", nil)
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = q.Encode()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var r struct {
		OK          bool     `json:"ok"`
		Result      []Update `json:"result"`
		ErrorCode   int      `json:"error_code"`
		Description string   `json:"description"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("get updates: http %d: not a bot api answer", resp.StatusCode)
	}
	if !r.OK {
		return nil, fmt.Errorf("get updates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}

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

// Incoming is an update as it came in: decoded, as Telegram sent it, and
// when it arrived (the start of the latency people feel).
type Incoming struct {
	Update  Update
	Raw     json.RawMessage
	Arrived time.Time
}

// Poll takes updates by long polling until ctx is done, handing each batch
// to take, and returns. The next request's offset confirms a batch to
// Telegram, so take must return only once the batch is durably taken (the
// inbox, bot.go) — not once it is handled: a slow chat never holds up the
// next batch. If take fails, the same batch is asked for again after a
// back-off. Errors back off exponentially with jitter, up to a minute.
func (c *Client) Poll(ctx context.Context, take func(context.Context, []Incoming) error, timeout time.Duration, log zerolog.Logger) error {
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
		batch, err := c.getUpdates(ctx, offset, timeout, 100)
		if err == nil && len(batch) > 0 {
			if err = take(context.WithoutCancel(ctx), batch); err == nil {
				offset = batch[len(batch)-1].Update.ID + 1
			}
		}
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
func (c *Client) getUpdates(ctx context.Context, offset int, timeout time.Duration, limit int) ([]Incoming, error) {
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
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("get updates: http %d: not a bot api answer", resp.StatusCode)
	}
	if !r.OK {
		return nil, fmt.Errorf("get updates: %d %s", r.ErrorCode, r.Description)
	}
	arrived := time.Now()
	out := make([]Incoming, 0, len(r.Result))
	for _, raw := range r.Result {
		in := Incoming{Raw: raw, Arrived: arrived}
		if err := json.Unmarshal(raw, &in.Update); err != nil || in.Update.ID <= 0 {
			// Telegram's own answer: keep the id if there is one, so that
			// the offset moves past it; the bot logs and drops it.
			var id struct {
				ID int `json:"update_id"`
			}
			_ = json.Unmarshal(raw, &id)
			in.Update = Update{ID: id.ID}
		}
		out = append(out, in)
	}
	return out, nil
}

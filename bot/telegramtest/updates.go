package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// defaultExcluded are the update types Telegram does not send unless the bot
// lists them in allowed_updates.
var defaultExcluded = map[string]bool{
	"chat_member":            true,
	"message_reaction":       true,
	"message_reaction_count": true,
}

type queuedUpdate struct {
	id        int
	kind      string
	chatID    int64
	body      []byte
	inflight  bool // being POSTed to the webhook
	attempts  int
	notBefore time.Time // next webhook attempt
	queued    time.Time // when it was created (real time)
	delay     int       // current webhook back-off, in webhook seconds
}

// Webhook delivery as telegram-bot-api's WebhookActor does it: a failed
// update is retried at once, then after 2, 4, 8… seconds up to a random
// 60-120 s; a Retry-After header (at most 3600) replaces the back-off; an
// update that could not be delivered within a day of its creation is
// dropped (WebhookActor::on_update_error, WEBHOOK_MAX_RESEND_TIMEOUT = 60;
// updates expire 86400 s after their date, Client.cpp add_update).
const (
	webhookMaxResend  = 60
	webhookMaxRetry   = 3600
	webhookUpdateLife = 86400
)

type webhook struct {
	url     string
	secret  string
	maxConn int
	ctx     context.Context // canceled when the webhook is replaced or removed
	cancel  context.CancelFunc
	client  *http.Client
}

// updateQueue holds the updates the bot has not confirmed yet.
type updateQueue struct {
	second      time.Duration // one second of webhook delivery (WithWebhookClock)
	httpHooks   bool          // plain http and any port allowed (WithHTTPWebhooks)
	mu          sync.Mutex
	nextID      int
	items       []*queuedUpdate
	wake        chan struct{} // closed and replaced when something changes
	allowed     map[string]bool
	allowedList []string
	pollGen     uint64
	hook        *webhook
	lastErrDate int64
	lastErrMsg  string
}

func (q *updateQueue) init() {
	q.wake = make(chan struct{})
	q.second = 10 * time.Millisecond
}

// WithWebhookClock sets how long one second of webhook delivery lasts: the
// back-off between attempts, Retry-After and the one-day expiry of an update
// are counted in these seconds. The default is 10 ms, so a back-off of 60 s
// lasts 0.6 s and a day about 14 minutes; a test of expiry sets less.
func WithWebhookClock(second time.Duration) Option {
	return func(s *Server) {
		if second > 0 {
			s.updates.second = second
		}
	}
}

// WithHTTPWebhooks lets setWebhook take plain http:// URLs on any port, as
// telegram-bot-api does when started with --local. Without it the fake
// answers as Telegram does: "bad webhook: An HTTPS URL must be provided for
// webhook", and HTTPS only on ports 443, 80, 88 and 8443 (WebhookActor.cpp).
// Either way the fake only delivers to loopback addresses.
func WithHTTPWebhooks() Option { return func(s *Server) { s.updates.httpHooks = true } }

// broadcastLocked wakes everybody waiting on the queue; q.mu must be held.
func (q *updateQueue) broadcastLocked() {
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *updateQueue) allowedLocked(kind string) bool {
	if q.allowed == nil {
		return !defaultExcluded[kind]
	}
	return q.allowed[kind]
}

// setAllowedLocked applies an allowed_updates list; empty means the default.
func (q *updateQueue) setAllowedLocked(list []string) {
	if len(list) == 0 {
		q.allowed, q.allowedList = nil, nil
		return
	}
	q.allowed = make(map[string]bool, len(list))
	for _, k := range list {
		q.allowed[k] = true
	}
	q.allowedList = append([]string(nil), list...)
}

// push queues an update of that kind ("message", "callback_query", ...)
// about chatID and returns its update_id, or 0 when the bot's
// allowed_updates exclude that kind (Telegram then never creates it).
func (q *updateQueue) push(kind string, chatID int64, payload any) int {
	inner, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: encode %s update: %v", kind, err))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.allowedLocked(kind) {
		return 0
	}
	q.nextID++
	id := q.nextID
	body := make([]byte, 0, len(inner)+len(kind)+32)
	body = append(body, `{"update_id":`...)
	body = strconv.AppendInt(body, int64(id), 10)
	body = append(body, `,"`...)
	body = append(body, kind...)
	body = append(body, `":`...)
	body = append(body, inner...)
	body = append(body, '}')
	q.items = append(q.items, &queuedUpdate{id: id, kind: kind, chatID: chatID, body: body, queued: time.Now(), delay: 1})
	q.broadcastLocked()
	return id
}

// dropBeforeLocked forgets updates with an id below offset (confirmed), or
// all but the last -offset ones when offset is negative.
func (q *updateQueue) dropBeforeLocked(offset int64) {
	n := 0
	switch {
	case offset > 0:
		for n < len(q.items) && int64(q.items[n].id) < offset {
			n++
		}
	case offset < 0:
		if keep := int(-offset); keep < len(q.items) {
			n = len(q.items) - keep
		}
	}
	for i := 0; i < n; i++ {
		q.items[i] = nil
	}
	q.items = q.items[n:]
}

// PendingUpdates is the number of updates the bot has not confirmed (or, with
// a webhook, that were not delivered yet).
func (s *Server) PendingUpdates() int {
	s.updates.mu.Lock()
	defer s.updates.mu.Unlock()
	return len(s.updates.items)
}

func (s *Server) getUpdates(r *request) (any, *apiError) {
	offset, _ := r.integer("offset")
	limit, ok := r.integer("limit")
	if !ok || limit < 1 || limit > 100 {
		limit = 100
	}
	timeout, _ := r.integer("timeout")
	var list []string
	setAllowed := false
	if v := r.str("allowed_updates"); v != "" && v != "null" {
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return nil, errBadRequest("can't parse allowed updates")
		}
		setAllowed = true
	}
	q := &s.updates
	q.mu.Lock()
	if q.hook != nil {
		q.mu.Unlock()
		return nil, errWebhookActive
	}
	if setAllowed {
		q.setAllowedLocked(list)
	}
	q.pollGen++
	gen := q.pollGen
	q.broadcastLocked() // an older poll still waiting ends with 409
	q.dropBeforeLocked(offset)
	var timer *time.Timer
	if timeout > 0 {
		timer = time.NewTimer(time.Duration(timeout) * time.Second)
		defer timer.Stop()
	}
	for {
		if q.hook != nil {
			q.mu.Unlock()
			return nil, errWebhookActive
		}
		if q.pollGen != gen {
			q.mu.Unlock()
			return nil, errTerminatedByOther
		}
		if len(q.items) > 0 || timer == nil {
			n := min(len(q.items), int(limit))
			bodies := make([][]byte, n)
			for i := range n {
				bodies[i] = q.items[i].body
			}
			q.mu.Unlock()
			return json.RawMessage(joinJSON(bodies)), nil
		}
		ch := q.wake
		q.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			timer = nil
		case <-r.ctx.Done():
			return json.RawMessage("[]"), nil
		case <-s.closed:
			return json.RawMessage("[]"), nil
		}
		q.mu.Lock()
	}
}

func joinJSON(items [][]byte) []byte {
	n := 2
	for _, b := range items {
		n += len(b) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, b := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	return append(out, ']')
}

func (s *Server) setWebhook(r *request) (any, *apiError) {
	raw := r.str("url")
	if raw == "" {
		return s.deleteWebhook(r)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errBadRequest("bad webhook: Failed to resolve host: Name or service not known")
	}
	if !s.updates.httpHooks {
		if u.Scheme != "https" {
			return nil, errBadRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
		switch u.Port() {
		case "", "443", "80", "88", "8443":
		default:
			return nil, errBadRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
		}
	}
	if aerr := s.limiter.setWebhookOnce(time.Now()); aerr != nil {
		return nil, aerr
	}
	if !isLoopback(u.Hostname()) {
		// Not Telegram's behaviour: the fake never posts outside the machine.
		return nil, errBadRequest("bad webhook: the fake Bot API server only delivers to loopback addresses")
	}
	secret := r.str("secret_token")
	if len(secret) > 256 || !validSecret(secret) {
		return nil, errBadRequest("secret token contains unallowed characters")
	}
	maxConn := 40
	if n, ok := r.integer("max_connections"); ok {
		maxConn = int(min(max(n, 1), 100))
	}
	var list []string
	setAllowed := false
	if v := r.str("allowed_updates"); v != "" && v != "null" {
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return nil, errBadRequest("can't parse allowed updates")
		}
		setAllowed = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &webhook{
		url: raw, secret: secret, maxConn: maxConn, ctx: ctx, cancel: cancel,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: maxConn, IdleConnTimeout: 30 * time.Second},
		},
	}
	q := &s.updates
	q.mu.Lock()
	if q.hook != nil {
		q.hook.cancel()
	}
	select {
	case <-s.closed:
		q.mu.Unlock()
		cancel()
		return nil, errBadRequest("server is closing")
	default:
	}
	q.hook = h
	if setAllowed {
		q.setAllowedLocked(list)
	}
	if r.boolean("drop_pending_updates") {
		q.dropBeforeLocked(int64(q.nextID + 1))
	}
	q.lastErrDate, q.lastErrMsg = 0, ""
	q.broadcastLocked()
	s.bg.Add(maxConn)
	q.mu.Unlock()
	for range maxConn {
		go s.deliverLoop(h)
	}
	return true, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validSecret(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Server) deleteWebhook(r *request) (any, *apiError) {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.hook != nil {
		q.hook.cancel()
		q.hook = nil
	}
	if r.boolean("drop_pending_updates") {
		q.dropBeforeLocked(int64(q.nextID + 1))
	}
	q.broadcastLocked()
	return true, nil
}

func (q *updateQueue) stopWebhook() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.hook != nil {
		q.hook.cancel()
		q.hook = nil
	}
	q.broadcastLocked()
}

func (s *Server) getWebhookInfo(*request) (any, *apiError) {
	q := &s.updates
	q.mu.Lock()
	defer q.mu.Unlock()
	info := apiWebhookInfo{PendingUpdateCount: len(q.items), LastErrorDate: q.lastErrDate, LastErrorMessage: q.lastErrMsg}
	if q.hook != nil {
		info.URL = q.hook.url
		info.MaxConnections = q.hook.maxConn
		info.AllowedUpdates = q.allowedList
	}
	return info, nil
}

// pickLocked returns the oldest update that may be delivered now: not in
// flight, not waiting for a retry, and with no older update of the same chat
// still pending (Telegram keeps the order within a chat). Otherwise it says
// how long to wait for the next retry (0: until something changes).
func (q *updateQueue) pickLocked(now time.Time) (*queuedUpdate, time.Duration) {
	var busy map[int64]bool
	var wait time.Duration
	for _, it := range q.items {
		if busy[it.chatID] {
			continue
		}
		if it.inflight || now.Before(it.notBefore) {
			if busy == nil {
				busy = make(map[int64]bool)
			}
			busy[it.chatID] = true
			if !it.inflight {
				if d := it.notBefore.Sub(now); wait == 0 || d < wait {
					wait = d
				}
			}
			continue
		}
		return it, 0
	}
	return nil, wait
}

func (s *Server) deliverLoop(h *webhook) {
	defer s.bg.Done()
	q := &s.updates
	for {
		q.mu.Lock()
		var it *queuedUpdate
		for {
			if q.hook != h {
				q.mu.Unlock()
				return
			}
			var wait time.Duration
			it, wait = q.pickLocked(time.Now())
			if it != nil {
				break
			}
			ch := q.wake
			q.mu.Unlock()
			var timeout <-chan time.Time
			var t *time.Timer
			if wait > 0 {
				t = time.NewTimer(wait)
				timeout = t.C
			}
			select {
			case <-ch:
			case <-timeout:
			case <-h.ctx.Done():
			case <-s.closed:
			}
			if t != nil {
				t.Stop()
			}
			q.mu.Lock()
		}
		it.inflight = true
		q.mu.Unlock()

		errMsg, retryAfter := s.postUpdate(h, it.body)

		q.mu.Lock()
		it.inflight = false
		if errMsg == "" || !q.backOffLocked(it, retryAfter, time.Now()) {
			for i, x := range q.items {
				if x == it {
					copy(q.items[i:], q.items[i+1:])
					q.items[len(q.items)-1] = nil
					q.items = q.items[:len(q.items)-1]
					break
				}
			}
		}
		if errMsg != "" {
			q.lastErrDate = s.now().Unix()
			q.lastErrMsg = errMsg
		}
		q.broadcastLocked()
		q.mu.Unlock()
	}
}

// backOffLocked schedules the next attempt of an update that failed, as
// WebhookActor::on_update_error does, and reports false when the update
// must be dropped instead because it would outlive its day; q.mu must be
// held.
func (q *updateQueue) backOffLocked(it *queuedUpdate, retryAfter int, now time.Time) bool {
	retryAfter = min(max(retryAfter, 0), webhookMaxRetry)
	next, wait := it.delay, retryAfter
	if retryAfter == 0 && it.attempts > 0 {
		next = min(webhookMaxResend+rand.IntN(webhookMaxResend+1), next*2)
		wait = next
	}
	age := int(now.Sub(it.queued) / q.second)
	if age+wait > webhookUpdateLife {
		return false
	}
	it.delay = next
	it.attempts++
	it.notBefore = now.Add(time.Duration(wait) * q.second)
	return true
}

// postUpdate delivers one update; it returns "" on success, else the error as
// getWebhookInfo's last_error_message words it and the Retry-After the
// webhook answered, in seconds.
func (s *Server) postUpdate(h *webhook, body []byte) (string, int) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return err.Error(), 0
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return "Connection refused", 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		retryAfter, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "Wrong response from the webhook: " + resp.Status, retryAfter
	}
	return "", 0
}

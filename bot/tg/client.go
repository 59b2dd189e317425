package tg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	tele "gopkg.in/telebot.v3"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// ClientOptions configure a Client.
type ClientOptions struct {
	Token  string
	APIURL string // default DefaultAPIURL
	// HTTP makes the requests. Default: a client with a 40 s timeout.
	HTTP *http.Client
	// Pacer keeps the requests within Telegram's limits; share one between
	// every client of a bot. Default: no per-chat pacing, one second of
	// Telegram's, pauses on 429.
	Pacer *Pacer
	// Metrics record what the client does; nil records nowhere.
	Metrics *Metrics
}

// Client talks to the Bot API: it sends, edits and calls raw methods,
// redacts the token from every error it returns, and paces direct answers.
// It is safe for concurrent use.
type Client struct {
	tb      *tele.Bot
	token   string
	apiURL  string
	http    *http.Client
	pacer   *Pacer
	metrics *Metrics
}

// NewClient returns a client; it makes no request.
func NewClient(o ClientOptions) (*Client, error) {
	if o.Token == "" {
		return nil, fmt.Errorf("tg: no token")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 40 * time.Second}
	}
	if o.Metrics == nil {
		o.Metrics = UnregisteredMetrics()
	}
	if o.Pacer == nil {
		o.Pacer = NewPacer(0, 1, 0, time.Second, o.Metrics)
	}
	tb, err := tele.NewBot(tele.Settings{
		URL:     o.APIURL,
		Token:   o.Token,
		Client:  o.HTTP,
		Offline: true,
		Poller:  &tele.LongPoller{}, // never started: Poll polls itself
		OnError: func(error, tele.Context) {},
	})
	if err != nil {
		return nil, fmt.Errorf("tg: %w", Redact(err, o.Token))
	}
	return &Client{tb: tb, token: o.Token, apiURL: o.APIURL, http: o.HTTP, pacer: o.Pacer, metrics: o.Metrics}, nil
}

// WithHTTP returns a client like c (same token, pacer and metrics) whose
// requests go through hc: the Sender's, with a timeout meant for sending
// rather than for long polling. With holdDuringPause, each request waits,
// as late as can be, while a 429 pause runs.
func (c *Client) WithHTTP(hc *http.Client, holdDuringPause bool) (*Client, error) {
	if holdDuringPause {
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		hc = &http.Client{Transport: &pausingTransport{base: base, pacer: c.pacer}, Timeout: hc.Timeout}
	}
	return NewClient(ClientOptions{Token: c.token, APIURL: c.apiURL, HTTP: hc, Pacer: c.pacer, Metrics: c.metrics})
}

// HTTP is the client's HTTP client.
func (c *Client) HTTP() *http.Client { return c.http }

// Pacer is the client's pacer.
func (c *Client) Pacer() *Pacer { return c.pacer }

// Metrics are the client's metrics.
func (c *Client) Metrics() *Metrics { return c.metrics }

// Redact hides the client's token in err.
func (c *Client) Redact(err error) error { return Redact(err, c.token) }

// Me asks Telegram who the bot is (getMe).
func (c *Client) Me(ctx context.Context) (*User, error) {
	var me User
	if err := c.Call(ctx, "getMe", map[string]any{}, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// Call makes one request of method with params (marshalled to JSON) and
// decodes its result into out, if out is not nil. It keeps no pace: see
// Paced and GroupCall. Its error keeps Telegram's (for Classify) with the
// token redacted.
func (c *Client) Call(ctx context.Context, method string, params, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := c.tb.Raw(method, params)
	if err != nil {
		return c.Redact(err)
	}
	if !answered(data) {
		// telebot takes any body it cannot read as a success: a proxy's
		// error page, a cut connection. It is not one.
		return fmt.Errorf("%s: not a Bot API answer", method)
	}
	if out == nil {
		return nil
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: decode the answer: %w", method, err)
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%s: decode the result: %w", method, err)
	}
	return nil
}

// okPrefix is how Telegram's Bot API server (and the fake) begins every
// successful answer.
var okPrefix = []byte(`{"ok":true`)

// answered reports whether data is a successful Bot API answer: cheaply
// when it begins as Telegram's do, else by reading it.
func answered(data []byte) bool {
	if bytes.HasPrefix(data, okPrefix) {
		return json.Valid(data)
	}
	var r struct {
		OK bool `json:"ok"`
	}
	return json.Unmarshal(data, &r) == nil && r.OK
}

// Paced makes a request with fn as a direct answer to chat: it keeps the
// chat's pace and any 429 pause, but not the Sender's bulk rate. After a
// 429 it pauses all sending and tries once more when the pause is over, so
// that the person still gets their answer. Chat 0 keeps only the pause (a
// request that is no message to a chat).
func (c *Client) Paced(ctx context.Context, chat int64, fn func() error) error {
	for attempt := 0; ; attempt++ {
		if err := c.pacer.Claim(ctx, chat); err != nil {
			return err
		}
		err := fn()
		c.pacer.Finish(chat, err == nil, time.Now())
		n, flood := floodWait(err)
		if !flood || attempt > 0 {
			return err
		}
		c.pacer.Pause(n)
	}
}

// GroupCall makes a request about a group that is not a message (a title,
// an invite link, a join request): it keeps any 429 pause (and tries again
// once after it) but not the group's pace of messages.
func (c *Client) GroupCall(ctx context.Context, method string, params, out any) error {
	return c.Paced(ctx, 0, func() error { return c.Call(ctx, method, params, out) })
}

// File is a document or a photo to send.
type File struct {
	Name  string
	MIME  string
	Data  []byte
	Photo bool // a picture shown in the chat, rather than a file
}

// Outgoing is a message to send, or the new content of one to edit.
type Outgoing struct {
	Chat      int64
	Edit      int    // the message to edit; 0 sends a new one
	Text      string // the text, or the caption of File
	ParseMode string // ModeHTML, or "" for plain text
	Keyboard  Keyboard
	Preview   bool // show a preview of the first link
	File      *File
	// WantID asks for the id of the message sent: Telegram's answer is then
	// decoded, which direct answers, the hot path, do without.
	WantID bool
}

// textPayload is the body of sendMessage and editMessageText.
type textPayload struct {
	ChatID      int64            `json:"chat_id"`
	MessageID   int              `json:"message_id,omitempty"`
	Text        string           `json:"text"`
	ParseMode   string           `json:"parse_mode,omitempty"`
	NoPreview   bool             `json:"disable_web_page_preview"`
	ReplyMarkup *keyboardPayload `json:"reply_markup,omitempty"`
}

type keyboardPayload struct {
	Rows Keyboard `json:"inline_keyboard"`
}

// Post makes the one request that sends or edits m, keeping no pace (see
// Answer), and returns the message's id if m.WantID (else 0).
//
// Texts go through a plain JSON payload rather than telebot's Send and
// Edit, which copy every button through reflection on the way out and
// decode the whole returned message on the way back: they are the bot's
// hot path.
func (c *Client) Post(ctx context.Context, m Outgoing) (int, error) {
	if m.File != nil {
		return c.postFile(ctx, m)
	}
	p := textPayload{ChatID: m.Chat, MessageID: m.Edit, Text: m.Text, ParseMode: m.ParseMode, NoPreview: !m.Preview}
	if len(m.Keyboard) > 0 {
		p.ReplyMarkup = &keyboardPayload{Rows: m.Keyboard}
	}
	method := "sendMessage"
	if m.Edit != 0 {
		method = "editMessageText"
	}
	if !m.WantID {
		return 0, c.Call(ctx, method, p, nil)
	}
	var sent struct {
		ID int `json:"message_id"`
	}
	err := c.Call(ctx, method, p, &sent)
	return sent.ID, err
}

func (c *Client) postFile(ctx context.Context, m Outgoing) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	opts := &tele.SendOptions{ParseMode: tele.ParseMode(m.ParseMode), DisableWebPagePreview: !m.Preview}
	if len(m.Keyboard) > 0 {
		rows := make([][]tele.InlineButton, len(m.Keyboard))
		for i, row := range m.Keyboard {
			for _, b := range row {
				rows[i] = append(rows[i], tele.InlineButton{Text: b.Text, URL: b.URL, Data: b.Data})
			}
		}
		opts.ReplyMarkup = &tele.ReplyMarkup{InlineKeyboard: rows}
	}
	var what tele.Sendable
	f := tele.FromReader(bytes.NewReader(m.File.Data))
	if m.File.Photo {
		what = &tele.Photo{File: f, Caption: m.Text}
	} else {
		what = &tele.Document{File: f, FileName: m.File.Name, MIME: m.File.MIME, Caption: m.Text}
	}
	msg, err := c.tb.Send(tele.ChatID(m.Chat), what, opts)
	if err != nil {
		return 0, c.Redact(err)
	}
	return msg.ID, nil
}

// Answer sends or edits m as a direct answer (see Paced) and returns the
// message's id if m.WantID.
func (c *Client) Answer(ctx context.Context, m Outgoing) (int, error) {
	var id int
	err := c.Paced(ctx, m.Chat, func() error {
		var err error
		id, err = c.Post(ctx, m)
		return err
	})
	return id, err
}

// SetCommands publishes a command menu for scope ("all_private_chats", or
// "chat" with chat) in language lang ("" for everyone else).
func (c *Client) SetCommands(ctx context.Context, cmds []Command, scope string, chat int64, lang string) error {
	return c.GroupCall(ctx, "setMyCommands", commandsPayload{Commands: cmds, Scope: commandScope{Type: scope, ChatID: chat}, Lang: lang}, nil)
}

// DeleteCommands takes away the command menu of scope (see SetCommands).
func (c *Client) DeleteCommands(ctx context.Context, scope string, chat int64, lang string) error {
	return c.GroupCall(ctx, "deleteMyCommands", commandsPayload{Scope: commandScope{Type: scope, ChatID: chat}, Lang: lang}, nil)
}

// The command scopes the bot publishes menus for.
const (
	ScopeAllPrivateChats = "all_private_chats"
	ScopeChat            = "chat"
)

type commandScope struct {
	Type   string `json:"type"`
	ChatID int64  `json:"chat_id,omitempty"`
}

type commandsPayload struct {
	Commands []Command    `json:"commands,omitempty"`
	Scope    commandScope `json:"scope"`
	Lang     string       `json:"language_code,omitempty"`
}

// pausingTransport holds every request while a 429 pause runs, as late as
// can be: a worker that passed its check just before the 429 came in (or
// waited for the bulk rate meanwhile) waits too. A pause longer than the
// client's timeout makes the request time out unsent.
type pausingTransport struct {
	base  http.RoundTripper
	pacer *Pacer
}

// RoundTrip implements http.RoundTripper.
func (t *pausingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.pacer.WaitPause(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

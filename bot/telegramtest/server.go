package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tele "gopkg.in/telebot.v3"
)

// Default identity of the fake bot.
const (
	DefaultBotID       int64 = 1000000001
	DefaultBotUsername       = "multaque_bot"
	DefaultBotName           = "Multaque"

	// DefaultWaitTimeout is how long Expect, WaitBotMessages and Press wait.
	// It only bounds how long a failing test waits, so it is generous: on a
	// CI machine running every package under -race on two cores, a bot's
	// answer can take seconds.
	DefaultWaitTimeout = 15 * time.Second

	// maxUploadBytes is Telegram's limit for files uploaded by bots (50 MB).
	maxUploadBytes = 50 << 20
)

// Server is an in-process fake of the Telegram Bot API, listening on
// 127.0.0.1 over real HTTP. Create one with NewServer and point telebot at it
// with tele.Settings{URL: srv.URL(), Token: srv.Token()}. All methods are
// safe for concurrent use.
type Server struct {
	hs          *httptest.Server
	client      *http.Client
	token       string
	botID       int64
	botUsername string
	botName     string
	now         func() time.Time
	waitTimeout time.Duration
	methods     map[string]method

	mu         sync.RWMutex // guards the maps below and the counters next to them
	users      map[int64]*User
	chats      map[int64]*chat
	groups     map[int64]*Group
	links      map[string]*inviteLink
	files      map[string]*File
	nextUserID int64
	nextGroup  int64
	nextFile   int64

	updates   updateQueue
	calls     callLog
	commands  commandStore
	callbacks callbackStore
	limiter   limiter
	faults    faultInjector
	stats     counters
	polls     pollBook // polls.go

	closed    chan struct{}
	closeOnce sync.Once
	bg        sync.WaitGroup // background goroutines (webhook delivery)
}

// Option configures a Server in NewServer.
type Option func(*Server)

// WithToken sets the bot token instead of a random one.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithBotUsername sets the bot's username (default "multaque_bot").
func WithBotUsername(username string) Option {
	return func(s *Server) { s.botUsername = strings.TrimPrefix(username, "@") }
}

// WithBotName sets the bot's first name (default "Multaque").
func WithBotName(name string) Option { return func(s *Server) { s.botName = name } }

// WithLimits turns on Telegram's rate limits from the start (see Limits).
func WithLimits(l Limits) Option { return func(s *Server) { s.limiter.set(l) } }

// WithClock sets the clock used for message dates, callback query expiry and
// invite link expiry. Rate limits, long polling and waits always use real time.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithWaitTimeout sets how long Expect, WaitBotMessages and Press wait
// (default DefaultWaitTimeout).
func WithWaitTimeout(d time.Duration) Option { return func(s *Server) { s.waitTimeout = d } }

// NewServer starts a fake Bot API server on 127.0.0.1. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		botID:       DefaultBotID,
		botUsername: DefaultBotUsername,
		botName:     DefaultBotName,
		now:         time.Now,
		waitTimeout: DefaultWaitTimeout,
		users:       make(map[int64]*User),
		chats:       make(map[int64]*chat),
		groups:      make(map[int64]*Group),
		links:       make(map[string]*inviteLink),
		files:       make(map[string]*File),
		nextUserID:  100000,
		closed:      make(chan struct{}),
	}
	s.updates.init()
	s.callbacks.init()
	s.commands.init()
	s.faults.set(Faults{})
	s.limiter.set(Limits{})
	for _, o := range opts {
		o(s)
	}
	if s.token == "" {
		s.token = strconv.FormatInt(s.botID, 10) + ":AA" + randomString(33)
	}
	s.methods = s.methodTable()
	s.hs = httptest.NewUnstartedServer(s)
	s.hs.Config.ReadHeaderTimeout = 10 * time.Second
	s.hs.Start()
	s.client = &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 512,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	return s
}

// URL is the base URL to put in tele.Settings.URL (no trailing slash).
func (s *Server) URL() string { return s.hs.URL }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// Client returns an HTTP client tuned for the fake: it keeps up to 512 idle
// connections, whereas http.DefaultTransport keeps 2 per host, so heavy
// parallel use would otherwise open (and leave in TIME_WAIT) a connection per
// request. Pass it as tele.Settings.Client in load tests and benchmarks.
func (s *Server) Client() *http.Client { return s.client }

// BotUser is the bot's own user, as getMe returns it.
func (s *Server) BotUser() tele.User {
	return tele.User{ID: s.botID, IsBot: true, FirstName: s.botName, Username: s.botUsername, CanJoinGroups: true}
}

// Close stops webhook delivery, wakes pending long polls and shuts the HTTP
// server down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.updates.stopWebhook()
		s.hs.Close() // waits for requests in flight; long polls end at once
		s.bg.Wait()
		if t, ok := s.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	})
}

// request is one decoded Bot API call.
type request struct {
	ctx    context.Context
	method string // canonical name
	params map[string]string
	files  map[string]*File
}

func (r *request) str(name string) string { return r.params[name] }

func (r *request) has(name string) bool { _, ok := r.params[name]; return ok }

func (r *request) boolean(name string) bool {
	v := r.params[name]
	return v == "true" || v == "True" || v == "1"
}

func (r *request) integer(name string) (int64, bool) {
	v, ok := r.params[name]
	if !ok || v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

// apiError is a Bot API error answer.
type apiError struct {
	code        int
	description string
	retryAfter  int
	migrateTo   int64 // parameters.migrate_to_chat_id of a write to an upgraded group
	html        bool  // answer with an nginx-style HTML page instead of JSON
}

func errBadRequest(desc string) *apiError {
	return &apiError{code: 400, description: "Bad Request: " + desc}
}

var (
	errUnauthorized      = &apiError{code: 401, description: "Unauthorized"}
	errNotFound          = &apiError{code: 404, description: "Not Found"}
	errTooLarge          = &apiError{code: 413, description: "Request Entity Too Large"}
	errChatNotFound      = errBadRequest("chat not found")
	errChatIDEmpty       = errBadRequest("chat_id is empty")
	errTextEmpty         = errBadRequest("message text is empty")
	errTooLong           = errBadRequest("message is too long")
	errCaptionTooLong    = errBadRequest("message caption is too long")
	errButtonData        = errBadRequest("BUTTON_DATA_INVALID")
	errNotModified       = errBadRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errEditNotFound      = errBadRequest("message to edit not found")
	errDeleteNotFound    = errBadRequest("message to delete not found")
	errCantEdit          = errBadRequest("message can't be edited")
	errNoTextToEdit      = errBadRequest("there is no text in the message to edit")
	errQueryTooOld       = errBadRequest("query is too old and response timeout expired or query ID is invalid")
	errBlocked           = &apiError{code: 403, description: "Forbidden: bot was blocked by the user"}
	errDeactivated       = &apiError{code: 403, description: "Forbidden: user is deactivated"}
	errNotStarted        = &apiError{code: 403, description: "Forbidden: bot can't initiate conversation with a user"}
	errKickedSupergroup  = &apiError{code: 403, description: "Forbidden: bot was kicked from the supergroup chat"}
	errNotMemberSupergrp = &apiError{code: 403, description: "Forbidden: bot is not a member of the supergroup chat"}
	errKickedGroup       = &apiError{code: 403, description: "Forbidden: bot was kicked from the group chat"}
	errNotMemberGroup    = &apiError{code: 403, description: "Forbidden: bot is not a member of the group chat"}
	errSupergroupOnly    = errBadRequest("method is available for supergroup and channel chats only")
	errMarkupTooLong     = errBadRequest("reply markup is too long")
	errInternal          = &apiError{code: 500, description: "Internal Server Error"}
	errBadGateway        = &apiError{code: 502, description: "Bad Gateway", html: true}
	errWebhookActive     = &apiError{code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errTerminatedByOther = &apiError{code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	errHideRequesterMiss = errBadRequest("HIDE_REQUESTER_MISSING")
	errUserNotFound      = errBadRequest("user not found")
	errMessageIDInvalid  = errBadRequest("MESSAGE_ID_INVALID")
	errCantParseKeyboard = errBadRequest("can't parse reply keyboard markup JSON object")
	errTextButtonsInline = errBadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
)

// errMigrated answers a write to a basic group that was upgraded to the
// supergroup newID (Client.cpp, check_chat: "group chat was upgraded to a
// supergroup chat" with parameters.migrate_to_chat_id).
func errMigrated(newID int64) *apiError {
	return &apiError{code: 400, description: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: newID}
}

func tooManyRequests(retryAfter int) *apiError {
	return &apiError{
		code:        429,
		description: "Too Many Requests: retry after " + strconv.Itoa(retryAfter),
		retryAfter:  retryAfter,
	}
}

func (e *apiError) body() []byte {
	if e.html {
		return []byte("<html>\r\n<head><title>" + strconv.Itoa(e.code) + " " + e.description +
			"</title></head>\r\n<body>\r\n<center><h1>" + strconv.Itoa(e.code) + " " + e.description +
			"</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")
	}
	type parameters struct {
		MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
		RetryAfter      int   `json:"retry_after,omitempty"`
	}
	var out struct {
		OK          bool        `json:"ok"`
		ErrorCode   int         `json:"error_code"`
		Description string      `json:"description"`
		Parameters  *parameters `json:"parameters,omitempty"`
	}
	out.ErrorCode = e.code
	out.Description = e.description
	if e.retryAfter > 0 || e.migrateTo != 0 {
		out.Parameters = &parameters{MigrateToChatID: e.migrateTo, RetryAfter: e.retryAfter}
	}
	b, _ := json.Marshal(out)
	return b
}

// method handles one Bot API method.
type method struct {
	name    string
	sending bool // subject to rate limits and fault injection
	handle  func(r *request) (any, *apiError)
}

func (s *Server) methodTable() map[string]method {
	list := []method{
		{"getMe", false, s.getMe},
		{"logOut", false, s.acceptTrue},
		{"close", false, s.acceptTrue},
		{"getUpdates", false, s.getUpdates},
		{"setWebhook", false, s.setWebhook},
		{"deleteWebhook", false, s.deleteWebhook},
		{"getWebhookInfo", false, s.getWebhookInfo},
		{"sendMessage", true, s.sendMessage},
		{"sendDocument", true, s.sendDocument},
		{"sendPhoto", true, s.sendPhoto},
		{"sendLocation", true, s.sendLocation},
		{"editMessageText", true, s.editMessageText},
		{"editMessageCaption", true, s.editMessageCaption},
		{"editMessageReplyMarkup", true, s.editMessageReplyMarkup},
		{"deleteMessage", false, s.deleteMessage},
		{"answerCallbackQuery", false, s.answerCallbackQuery},
		{"sendChatAction", false, s.sendChatAction},
		{"setMyCommands", false, s.setMyCommands},
		{"getMyCommands", false, s.getMyCommands},
		{"deleteMyCommands", false, s.deleteMyCommands},
		{"setMyDescription", false, s.setMyDescription},
		{"getMyDescription", false, s.getMyDescription},
		{"setMyShortDescription", false, s.setMyShortDescription},
		{"getMyShortDescription", false, s.getMyShortDescription},
		{"setChatMenuButton", false, s.setChatMenuButton},
		{"getChatMenuButton", false, s.getChatMenuButton},
		{"pinChatMessage", false, s.pinChatMessage},
		{"unpinChatMessage", false, s.unpinChatMessage},
		{"getChat", false, s.getChat},
		{"leaveChat", false, s.leaveChat},
		{"getFile", false, s.getFile},
		{"setChatTitle", false, s.setChatTitle},
		{"setChatDescription", false, s.setChatDescription},
		{"createChatInviteLink", false, s.createChatInviteLink},
		{"editChatInviteLink", false, s.editChatInviteLink},
		{"revokeChatInviteLink", false, s.revokeChatInviteLink},
		{"exportChatInviteLink", false, s.exportChatInviteLink},
		{"approveChatJoinRequest", false, s.approveChatJoinRequest},
		{"declineChatJoinRequest", false, s.declineChatJoinRequest},
		{"getChatMember", false, s.getChatMember},
		{"getChatAdministrators", false, s.getChatAdministrators},
		{"getChatMemberCount", false, s.getChatMemberCount},
		{"getChatMembersCount", false, s.getChatMemberCount},
		{"banChatMember", false, s.banChatMember},
		{"kickChatMember", false, s.banChatMember},
		{"unbanChatMember", false, s.unbanChatMember},
	}
	list = append(list, s.pollMethods()...) // polls.go
	m := make(map[string]method, len(list))
	for _, x := range list {
		m[strings.ToLower(x.name)] = x
	}
	return m
}

// ServeHTTP implements the Bot API endpoint /bot<token>/<method> and the file
// download endpoint /file/bot<token>/<path>.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	path := hr.URL.Path
	if rest, ok := strings.CutPrefix(path, "/file/bot"); ok {
		s.serveFile(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	s.stats.requests.Add(1)
	start := time.Now()
	m, known := s.methods[strings.ToLower(name)]
	if !known {
		s.calls.add(Call{Method: name, Params: map[string]string{}, Status: 404, Response: errNotFound.body(), At: start})
		writeError(w, errNotFound)
		return
	}
	r := &request{ctx: hr.Context(), method: m.name}
	if aerr := s.parseParams(w, hr, r); aerr != nil {
		s.finish(w, r, start, nil, aerr)
		return
	}
	if aerr := s.limiter.forcedFor(m.name); aerr != nil {
		s.finish(w, r, start, nil, aerr)
		return
	}
	if m.sending {
		s.limiter.notePauseRequest(time.Now(), &s.stats)
		switch f := s.faults.draw(); f {
		case faultTimeout:
			s.stats.timeouts.Add(1)
			s.calls.add(Call{Method: m.name, Params: r.params, Status: 0, At: start})
			s.holdAndDrop(w, hr)
			return
		case faultInternal, faultBadGateway:
			s.stats.serverErrors.Add(1)
			e := errInternal
			if f == faultBadGateway {
				e = errBadGateway
			}
			s.finish(w, r, start, nil, e)
			return
		}
	}
	result, aerr := m.handle(r)
	s.finish(w, r, start, result, aerr)
}

// finish records the call and writes the answer. The call is recorded before
// the answer is written, so a bot that got its answer always finds it in Calls.
func (s *Server) finish(w http.ResponseWriter, r *request, at time.Time, result any, aerr *apiError) {
	var body []byte
	status := http.StatusOK
	if aerr != nil {
		status = aerr.code
		body = aerr.body()
		if aerr.code == 429 {
			s.stats.tooManyRequests.Add(1)
		}
	} else {
		var res []byte
		switch v := result.(type) {
		case json.RawMessage:
			res = v
		default:
			var err error
			res, err = json.Marshal(v)
			if err != nil {
				panic(fmt.Sprintf("telegramtest: encode %s result: %v", r.method, err))
			}
		}
		body = make([]byte, 0, len(res)+24)
		body = append(body, `{"ok":true,"result":`...)
		body = append(body, res...)
		body = append(body, '}')
	}
	if r.params == nil {
		r.params = map[string]string{}
	}
	s.calls.add(Call{Method: r.method, Params: r.params, Status: status, Response: body, At: at})
	if aerr != nil && aerr.html {
		w.Header().Set("Content-Type", "text/html")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_, _ = w.Write(e.body())
}

// holdAndDrop simulates a request that times out: it waits for the configured
// delay and closes the connection without answering.
func (s *Server) holdAndDrop(w http.ResponseWriter, hr *http.Request) {
	t := time.NewTimer(s.faults.delay())
	defer t.Stop()
	select {
	case <-t.C:
	case <-hr.Context().Done():
		return
	case <-s.closed:
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // closes the connection without an answer
}

// parseParams decodes query, JSON, urlencoded and multipart parameters the way
// the Bot API accepts them. JSON values that are not strings are kept as
// their raw JSON text, so "reply_markup" may be an object or a string.
func (s *Server) parseParams(w http.ResponseWriter, hr *http.Request, r *request) *apiError {
	r.params = make(map[string]string)
	for k, v := range hr.URL.Query() {
		if len(v) > 0 {
			r.params[k] = v[0]
		}
	}
	if hr.Method != http.MethodPost {
		return nil
	}
	hr.Body = http.MaxBytesReader(w, hr.Body, maxUploadBytes+1<<20)
	ct, ctParams, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			return errTooLarge
		}
		body = trimSpace(body)
		if len(body) == 0 || string(body) == "null" {
			return nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return errBadRequest("can't parse JSON encoded request body")
		}
		for k, raw := range obj {
			if len(raw) > 0 && raw[0] == '"' {
				var str string
				if json.Unmarshal(raw, &str) == nil {
					r.params[k] = str
					continue
				}
			}
			if string(raw) == "null" {
				continue
			}
			r.params[k] = string(raw)
		}
	case "application/x-www-form-urlencoded":
		if err := hr.ParseForm(); err != nil {
			return errTooLarge
		}
		for k, v := range hr.PostForm {
			if len(v) > 0 {
				r.params[k] = v[0]
			}
		}
	case "multipart/form-data":
		mr := multipart.NewReader(hr.Body, ctParams["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return errTooLarge
				}
				return errBadRequest("can't parse multipart/form-data request body")
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return errTooLarge
			}
			_, disp, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			if _, isFile := disp["filename"]; !isFile {
				r.params[part.FormName()] = string(data)
				continue
			}
			if r.files == nil {
				r.files = make(map[string]*File)
			}
			r.files[part.FormName()] = &File{Name: part.FileName(), Data: data, MIME: part.Header.Get("Content-Type")}
			r.params[part.FormName()] = "attach://" + part.FileName()
		}
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// Call is one Bot API request the bot made, as the server saw it.
type Call struct {
	// Method is the canonical method name ("sendMessage"), or the name as
	// requested when the method is unknown.
	Method string
	// Params holds every parameter as a string; JSON objects and arrays
	// (reply_markup, commands, scope, ...) keep their raw JSON text, and
	// uploaded files appear as "attach://<filename>".
	Params map[string]string
	// Status is the HTTP status answered, 0 if the connection was dropped.
	Status int
	// Response is the body answered.
	Response []byte
	// At is when the request arrived.
	At time.Time
}

// OK reports whether Telegram accepted the call.
func (c Call) OK() bool { return c.Status == http.StatusOK }

type callLog struct {
	mu       sync.Mutex
	byMethod map[string][]Call
	all      int
}

func (l *callLog) add(c Call) {
	key := strings.ToLower(c.Method)
	l.mu.Lock()
	if l.byMethod == nil {
		l.byMethod = make(map[string][]Call)
	}
	l.byMethod[key] = append(l.byMethod[key], c)
	l.all++
	l.mu.Unlock()
}

// Calls returns every request the bot made to method (case-insensitive), in
// the order they arrived.
func (s *Server) Calls(method string) []Call {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return append([]Call(nil), s.calls.byMethod[strings.ToLower(method)]...)
}

// ResetCalls forgets the recorded calls (useful in long benchmarks).
func (s *Server) ResetCalls() {
	s.calls.mu.Lock()
	s.calls.byMethod = nil
	s.calls.all = 0
	s.calls.mu.Unlock()
}

// counters are the raw numbers behind Stats.
type counters struct {
	requests, sent, edited, tooManyRequests, duringPause, serverErrors, timeouts atomic.Int64
}

// Stats are counters of what the server saw since it started.
type Stats struct {
	// Requests is the number of authorised API requests, all methods.
	Requests int64
	// Sent is the number of messages the bot sent successfully (send* methods).
	Sent int64
	// Edited is the number of successful edits (editMessage* methods).
	Edited int64
	// TooManyRequests is the number of 429 answers given.
	TooManyRequests int64
	// RequestsDuringPause is the number of sending requests that arrived
	// while the retry_after window of a 429 given earlier was still running
	// (a well-behaved sender pauses all sending and makes none).
	RequestsDuringPause int64
	// ServerErrors is the number of injected 500/502 answers.
	ServerErrors int64
	// Timeouts is the number of injected dropped connections.
	Timeouts int64
	// MaxPerChatPerSecond is the largest number of messages sent or edited
	// successfully in one chat within one (scaled) second.
	MaxPerChatPerSecond int
	// MaxPerGroupPerMinute is the same over one (scaled) minute, groups only.
	MaxPerGroupPerMinute int
	// MaxGlobalPerSecond is the largest number of messages sent or edited
	// successfully over all chats within one (scaled) second.
	MaxGlobalPerSecond int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:            s.stats.requests.Load(),
		Sent:                s.stats.sent.Load(),
		Edited:              s.stats.edited.Load(),
		TooManyRequests:     s.stats.tooManyRequests.Load(),
		RequestsDuringPause: s.stats.duringPause.Load(),
		ServerErrors:        s.stats.serverErrors.Load(),
		Timeouts:            s.stats.timeouts.Load(),
	}
	st.MaxPerChatPerSecond, st.MaxPerGroupPerMinute, st.MaxGlobalPerSecond = s.limiter.observed()
	return st
}

func (s *Server) acceptTrue(*request) (any, *apiError) { return true, nil }

func (s *Server) getMe(*request) (any, *apiError) {
	return apiMe{
		ID: s.botID, IsBot: true, FirstName: s.botName, Username: s.botUsername,
		CanJoinGroups: true,
	}, nil
}

func (s *Server) sendChatAction(r *request) (any, *apiError) {
	if _, aerr := s.resolveChat(r); aerr != nil {
		return nil, aerr
	}
	return true, nil
}

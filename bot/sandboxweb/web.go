package sandboxweb

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/telegramtest"
)

//go:embed assets
var assets embed.FS

// Languages are the languages a new person may speak, as Telegram's
// language_code.
var Languages = []string{"ca", "es", "en"}

// Action is something the page offers to do for a person besides chatting,
// such as making them a coordinator or giving them a mentor invite. The
// program that serves the page knows how; the page shows a button.
type Action struct {
	// ID names the action in the API: a-z, 0-9 and -.
	ID string
	// Label is the button's text.
	Label string
	// Do acts for the person and returns a sentence saying what it did.
	Do func(ctx context.Context, u *telegramtest.User) (string, error)
}

// PageAction is something the page offers to do for the whole sandbox
// rather than for one person, such as running the matcher now. The page
// shows a button at the top and the sentence Do returns as a toast.
type PageAction struct {
	// ID names the action in the API: a-z, 0-9 and -.
	ID string
	// Label is the button's text.
	Label string
	// Do acts and returns a sentence saying what it did.
	Do func(ctx context.Context) (string, error)
}

// Option configures Handler.
type Option func(*handler)

// WithActions adds actions the page offers for each person.
func WithActions(actions ...Action) Option {
	return func(h *handler) { h.actions = append(h.actions, actions...) }
}

// WithPageActions adds actions the page offers for the whole sandbox.
func WithPageActions(actions ...PageAction) Option {
	return func(h *handler) { h.pageActions = append(h.pageActions, actions...) }
}

// OnNewPerson calls fn after the page creates a person, so that the caller
// can remember them (the fake itself forgets everything when it stops).
func OnNewPerson(fn func(u *telegramtest.User)) Option {
	return func(h *handler) { h.onNew = fn }
}

// Limits of what the page accepts.
const (
	maxPeople   = 1000
	maxNameLen  = 64   // characters
	maxTextLen  = 4096 // characters, Telegram's limit for a message
	maxBodySize = 64 << 10
	maxShown    = 300 // newest messages of a chat sent to the page
)

// Handler serves the sandbox page for srv: a small Telegram-like client in
// which a person can create simulated people and chat with the bot as any
// of them. It serves the page at / (and its files under /assets/) and a JSON
// API under /api/; the page polls /api/view for changes.
//
// The API trusts its caller completely, like the fake it drives: serve it
// on a loopback address only. Requests that change something must be JSON
// and, when the browser names an Origin, come from the page's own origin,
// so that another web site cannot act in the sandbox through the browser.
func Handler(srv *telegramtest.Server, opts ...Option) http.Handler {
	h := &handler{srv: srv}
	for _, o := range opts {
		o(h)
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy",
			"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/view", h.view)
	mux.HandleFunc("POST /api/people", h.createPerson)
	mux.HandleFunc("POST /api/people/{person}/chats/{chat}/send", h.send)
	mux.HandleFunc("POST /api/people/{person}/chats/{chat}/press", h.press)
	mux.HandleFunc("POST /api/people/{person}/chats/{chat}/vote", h.vote) // polls.go
	mux.HandleFunc("GET /api/people/{person}/answers/{update}", h.answer)
	mux.HandleFunc("POST /api/people/{person}/location", h.location)
	mux.HandleFunc("POST /api/people/{person}/open", h.openLink)
	mux.HandleFunc("POST /api/people/{person}/groups", h.createGroup)
	mux.HandleFunc("POST /api/people/{person}/actions/{action}", h.act)
	mux.HandleFunc("POST /api/actions/{action}", h.actPage)
	mux.HandleFunc("GET /api/files/{file}", h.file)
	return guard(mux)
}

type handler struct {
	srv         *telegramtest.Server
	actions     []Action
	pageActions []PageAction
	onNew       func(*telegramtest.User)

	mu     sync.Mutex // serializes person creation; guards groups
	groups int        // groups made from the page, for their default titles
}

// guard refuses requests addressed to another host than the one the page
// listens on (a site whose name was rebound to 127.0.0.1 would otherwise
// read every chat through the visitor's browser) and cross-site requests
// that change something.
func guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if !ownHost(r) {
			fail(w, http.StatusMisdirectedRequest, "this page answers only at the address it listens on")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" {
				if u, err := url.Parse(o); err != nil || u.Host != r.Host {
					fail(w, http.StatusForbidden, "cross-origin request refused")
					return
				}
			}
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				fail(w, http.StatusUnsupportedMediaType, "send JSON")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBodySize)
		}
		next.ServeHTTP(w, r)
	})
}

// ownHost reports whether the request's Host names the address the
// connection came in on: the same IP and port, or "localhost" with that
// port when the address is a loopback one. A name that merely resolves to
// the address (DNS rebinding) does not count.
func ownHost(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok {
		return false
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != strconv.Itoa(tcp.Port) {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return tcp.IP.IsLoopback()
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.Equal(tcp.IP)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	return true
}

// person finds the person named in the path.
func (h *handler) person(w http.ResponseWriter, r *http.Request) (*telegramtest.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("person"), 10, 64)
	if err == nil {
		if u, ok := h.srv.User(id); ok {
			return u, true
		}
	}
	fail(w, http.StatusNotFound, "no such person")
	return nil, false
}

// chatOf finds the chat named in the path among u's: their private chat
// with the bot (by u's ID) or a group u is in. g is nil for the private chat.
func (h *handler) chatOf(w http.ResponseWriter, r *http.Request, u *telegramtest.User) (g *telegramtest.Group, ok bool) {
	id, err := strconv.ParseInt(r.PathValue("chat"), 10, 64)
	switch {
	case err != nil:
	case id == u.ID:
		return nil, true
	default:
		if g, found := h.srv.Group(id); found && g.IsMember(u.ID) {
			return g, true
		}
	}
	fail(w, http.StatusNotFound, "no such chat for this person")
	return nil, false
}

type personJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Lang string `json:"lang"`
}

func personOf(u *telegramtest.User) personJSON {
	return personJSON{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode}
}

func (h *handler) createPerson(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		Lang string `json:"lang"`
	}
	if !decode(w, r, &in) {
		return
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		fail(w, http.StatusBadRequest, "give the person a name")
		return
	case utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) || strings.ContainsFunc(name, isControl):
		fail(w, http.StatusBadRequest, fmt.Sprintf("a name is at most %d letters, without control characters", maxNameLen))
		return
	case !validLang(in.Lang):
		fail(w, http.StatusBadRequest, "language must be one of "+strings.Join(Languages, ", "))
		return
	}
	h.mu.Lock()
	if len(h.srv.Users()) >= maxPeople {
		h.mu.Unlock()
		fail(w, http.StatusTooManyRequests, "that is enough people for a sandbox")
		return
	}
	u := h.srv.NewUser(name, in.Lang)
	h.mu.Unlock()
	if h.onNew != nil {
		h.onNew(u)
	}
	reply(w, personOf(u))
}

func validLang(l string) bool {
	for _, x := range Languages {
		if l == x {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func (h *handler) send(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	g, ok := h.chatOf(w, r, u)
	if !ok {
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	if !decode(w, r, &in) {
		return
	}
	text := strings.TrimSpace(in.Text)
	if text == "" || utf8.RuneCountInString(text) > maxTextLen || !utf8.ValidString(text) {
		fail(w, http.StatusBadRequest, fmt.Sprintf("a message has 1 to %d characters", maxTextLen))
		return
	}
	var update int
	if g == nil {
		update = u.Send(text)
	} else {
		update = u.SendToGroup(g, text)
	}
	reply(w, map[string]int{"update": update})
}

func (h *handler) press(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	g, ok := h.chatOf(w, r, u)
	if !ok {
		return
	}
	var in struct {
		Message int    `json:"message"`
		Data    string `json:"data"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Data == "" || len(in.Data) > 64 {
		fail(w, http.StatusBadRequest, "a button's data has 1 to 64 bytes")
		return
	}
	var update int
	if g == nil {
		update = u.PressData(in.Message, in.Data)
	} else {
		var err error
		if update, err = u.PressInGroup(g, in.Message, in.Data); err != nil {
			fail(w, http.StatusNotFound, "not in that group")
			return
		}
	}
	reply(w, map[string]int{"update": update})
}

// answer answers GET /api/people/{person}/answers/{update}: what the bot
// answered to a button press (a toast or an alert), 204 while it has not.
func (h *handler) answer(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("update"))
	if err != nil {
		fail(w, http.StatusBadRequest, "bad update id")
		return
	}
	a, ok := u.AnswerFor(id)
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	reply(w, map[string]any{"text": a.Text, "alert": a.ShowAlert, "url": a.URL})
}

func (h *handler) location(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	var in struct {
		Lat *float64 `json:"lat"`
		Lon *float64 `json:"lon"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Lat == nil || in.Lon == nil || *in.Lat < -90 || *in.Lat > 90 || *in.Lon < -180 || *in.Lon > 180 {
		fail(w, http.StatusBadRequest, "latitude must be in [-90, 90] and longitude in [-180, 180]")
		return
	}
	reply(w, map[string]int{"update": u.ShareLocation(*in.Lat, *in.Lon)})
}

func (h *handler) openLink(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	var in struct {
		URL string `json:"url"`
	}
	if !decode(w, r, &in) {
		return
	}
	res, err := h.open(u, in.URL)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, res)
}

func (h *handler) createGroup(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	var in struct {
		Title string `json:"title"`
	}
	if !decode(w, r, &in) {
		return
	}
	title := strings.TrimSpace(in.Title)
	if utf8.RuneCountInString(title) > 128 || strings.ContainsFunc(title, isControl) {
		fail(w, http.StatusBadRequest, "a group title has at most 128 characters")
		return
	}
	g := h.newGroup(u, title, telegramtest.BotAdminRights)
	reply(w, opened{Kind: "group", Chat: g.ID, Note: "New group " + g.Title() + " with the bot as administrator."})
}

func (h *handler) act(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	for _, a := range h.actions {
		if a.ID != r.PathValue("action") {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		note, err := a.Do(ctx, u)
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		reply(w, map[string]string{"note": note})
		return
	}
	fail(w, http.StatusNotFound, "no such action")
}

func (h *handler) actPage(w http.ResponseWriter, r *http.Request) {
	for _, a := range h.pageActions {
		if a.ID != r.PathValue("action") {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		note, err := a.Do(ctx)
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		reply(w, map[string]string{"note": note})
		return
	}
	fail(w, http.StatusNotFound, "no such action")
}

// file serves a document or photo the bot sent. Anything but an image is
// sent as a download, never shown inline, so that a file cannot run script
// in the page's origin.
func (h *handler) file(w http.ResponseWriter, r *http.Request) {
	f, ok := h.srv.File(r.PathValue("file"))
	if !ok {
		fail(w, http.StatusNotFound, "no such file")
		return
	}
	ct := f.MIME
	inline := strings.HasPrefix(ct, "image/") && ct != "image/svg+xml" && r.URL.Query().Get("download") == ""
	if !inline {
		ct = "application/octet-stream"
		if f.MIME != "" {
			ct = f.MIME
		}
		name := path.Base(f.Name)
		if name == "." || name == "/" {
			name = "file"
		}
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

package sandboxweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/sandboxweb"
	"github.com/multaque/multaque/bot/telegramtest"
)

// page is the sandbox page's API over real HTTP, with the test playing the
// bot through the fake's Bot API.
type page struct {
	t   *testing.T
	srv *telegramtest.Server
	hs  *httptest.Server
	// offset is the next update the bot has not taken.
	offset int
}

func newPage(t *testing.T, opts ...sandboxweb.Option) *page {
	t.Helper()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(sandboxweb.Handler(srv, opts...))
	t.Cleanup(hs.Close)
	return &page{t: t, srv: srv, hs: hs}
}

// do makes a request to the page's API and decodes a JSON answer into out.
func (p *page) do(method, path string, body any, out any) int {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.hs.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return res.StatusCode
}

// bot calls a Bot API method as the bot would.
func (p *page) bot(method string, params map[string]any) json.RawMessage {
	p.t.Helper()
	b, _ := json.Marshal(params)
	res, err := http.Post(p.srv.URL()+"/bot"+p.srv.Token()+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || !out.OK {
		p.t.Fatalf("%s: %v %s", method, err, out.Description)
	}
	return out.Result
}

type update struct {
	ID      int `json:"update_id"`
	Message *struct {
		Text string `json:"text"`
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		Location *struct {
			Latitude float64 `json:"latitude"`
		} `json:"location"`
	} `json:"message"`
	Callback *struct {
		ID   string `json:"id"`
		Data string `json:"data"`
	} `json:"callback_query"`
	JoinRequest *struct {
		UserChatID int64 `json:"user_chat_id"`
	} `json:"chat_join_request"`
	MyChatMember *struct {
		NewChatMember struct {
			Status string `json:"status"`
		} `json:"new_chat_member"`
	} `json:"my_chat_member"`
}

// updates takes the updates waiting for the bot.
func (p *page) updates() []update {
	p.t.Helper()
	var ups []update
	raw := p.bot("getUpdates", map[string]any{"offset": p.offset, "timeout": 0})
	if err := json.Unmarshal(raw, &ups); err != nil {
		p.t.Fatal(err)
	}
	if len(ups) > 0 {
		p.offset = ups[len(ups)-1].ID + 1
	}
	return ups
}

type person struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Lang string `json:"lang"`
}

type view struct {
	Mark   string   `json:"mark"`
	People []person `json:"people"`
	Chats  []struct {
		ID      int64    `json:"id"`
		Kind    string   `json:"kind"`
		Title   string   `json:"title"`
		Preview string   `json:"preview"`
		Members []string `json:"members"`
	} `json:"chats"`
	Chat *struct {
		ID int64 `json:"id"`
	} `json:"chat"`
	Messages []struct {
		ID       int    `json:"id"`
		From     string `json:"from"`
		HTML     string `json:"html"`
		Service  string `json:"service"`
		Keyboard [][]struct {
			Text string `json:"text"`
			Data string `json:"data"`
			URL  string `json:"url"`
		} `json:"keyboard"`
		Document *struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"document"`
		Location *telegramtest.Location `json:"location"`
	} `json:"messages"`
	Commands []struct {
		Command string `json:"command"`
	} `json:"commands"`
	Actions []struct {
		ID string `json:"id"`
	} `json:"actions"`
	PageActions []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"page_actions"`
}

func (p *page) view(person, chat int64) view {
	p.t.Helper()
	var v view
	if code := p.do("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", person, chat), nil, &v); code != http.StatusOK {
		p.t.Fatalf("view: status %d", code)
	}
	return v
}

func (p *page) newPerson(name, lang string) person {
	p.t.Helper()
	var who person
	if code := p.do("POST", "/api/people", map[string]string{"name": name, "lang": lang}, &who); code != http.StatusOK {
		p.t.Fatalf("create %s: status %d", name, code)
	}
	return who
}

func TestPageServesItsFilesOffline(t *testing.T) {
	p := newPage(t)
	for _, path := range []string{"/", "/assets/app.js", "/assets/app.css"} {
		res, err := http.Get(p.hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) < 100 {
			t.Fatalf("GET %s: status %d, %d bytes", path, res.StatusCode, len(body))
		}
		if strings.Contains(string(body), "//cdn") || strings.Contains(string(body), "https://fonts") {
			t.Errorf("GET %s refers to a file on the network", path)
		}
		if path == "/" && !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("the page has no Content-Security-Policy: %q", res.Header.Get("Content-Security-Policy"))
		}
	}
}

func TestCreatePeople(t *testing.T) {
	p := newPage(t)
	anna := p.newPerson("  Anna  ", "ca")
	if anna.Name != "Anna" || anna.Lang != "ca" || anna.ID == 0 {
		t.Fatalf("created %+v, want Anna in ca", anna)
	}
	p.newPerson("Joe", "en")
	for _, bad := range []map[string]string{
		{"name": "", "lang": "ca"},
		{"name": strings.Repeat("x", 65), "lang": "ca"},
		{"name": "Ann\u0000a", "lang": "ca"},
		{"name": "Anna", "lang": "fr"},
	} {
		if code := p.do("POST", "/api/people", bad, nil); code != http.StatusBadRequest {
			t.Errorf("create %q: status %d, want 400", bad, code)
		}
	}
	v := p.view(0, 0)
	if len(v.People) != 2 || v.People[0].Name != "Anna" || v.People[1].Name != "Joe" {
		t.Fatalf("People=%+v, want Anna and Joe", v.People)
	}
	if u, ok := p.srv.User(anna.ID); !ok || u.LanguageCode != "ca" {
		t.Fatalf("the fake has no user %d in ca", anna.ID)
	}
}

func TestRefusesCrossSiteAndNonJSON(t *testing.T) {
	p := newPage(t)
	req, _ := http.NewRequest("POST", p.hs.URL+"/api/people", strings.NewReader(`{"name":"Eve","lang":"en"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: status %d, want 403", res.StatusCode)
	}
	res, err = http.Post(p.hs.URL+"/api/people", "text/plain", strings.NewReader(`{"name":"Eve","lang":"en"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain POST: status %d, want 415", res.StatusCode)
	}
	if len(p.srv.Users()) != 0 {
		t.Fatal("a refused request created a person")
	}
}

func TestChatWithTheBot(t *testing.T) {
	p := newPage(t)
	anna := p.newPerson("Anna", "en")
	chat := fmt.Sprintf("/api/people/%d/chats/%d", anna.ID, anna.ID)
	if code := p.do("POST", chat+"/send", map[string]string{"text": "/start"}, nil); code != http.StatusOK {
		t.Fatalf("send: status %d", code)
	}
	ups := p.updates()
	if len(ups) != 1 || ups[0].Message == nil || ups[0].Message.Text != "/start" {
		t.Fatalf("updates=%+v, want /start", ups)
	}
	p.bot("setMyCommands", map[string]any{"commands": []map[string]string{{"command": "start", "description": "Start"}},
		"scope": map[string]string{"type": "all_private_chats"}})
	p.bot("sendMessage", map[string]any{
		"chat_id": anna.ID, "parse_mode": "HTML",
		"text": "👋 Hello <b>Anna</b> &lt;script&gt;, see /help",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{
			{{"text": "✓ English", "callback_data": "lang|en"}, {"text": "Web", "url": "https://example.org"}},
		}},
	})
	before := p.view(anna.ID, anna.ID)
	if before.Chat == nil || before.Chat.ID != anna.ID || len(before.Chats) != 1 || before.Chats[0].Kind != "private" {
		t.Fatalf("view: chat=%+v chats=%+v, want the private chat open", before.Chat, before.Chats)
	}
	if len(before.Messages) != 2 {
		t.Fatalf("Messages=%+v, want /start and the answer", before.Messages)
	}
	m := before.Messages[1]
	wantHTML := `👋 Hello <b>Anna</b> &lt;script&gt;, see <a href="#" class="cmd" data-cmd="/help">/help</a>`
	if m.From != "bot" || m.HTML != wantHTML {
		t.Errorf("bot message from %q html %q, want bot %q", m.From, m.HTML, wantHTML)
	}
	if before.Messages[0].From != "me" {
		t.Errorf("own message from %q, want me", before.Messages[0].From)
	}
	if len(m.Keyboard) != 1 || m.Keyboard[0][0].Data != "lang|en" || m.Keyboard[0][1].URL != "https://example.org" {
		t.Errorf("Keyboard=%+v", m.Keyboard)
	}
	if len(before.Commands) != 1 || before.Commands[0].Command != "/start" {
		t.Errorf("Commands=%+v, want /start", before.Commands)
	}

	// Nothing changed: the page's poll gets 204.
	if code := p.do("GET", fmt.Sprintf("/api/view?person=%d&chat=%d&mark=%s", anna.ID, anna.ID, before.Mark), nil, nil); code != http.StatusNoContent {
		t.Errorf("poll without change: status %d, want 204", code)
	}

	var pressed struct{ Update int }
	p.do("POST", chat+"/press", map[string]any{"message": m.ID, "data": "lang|en"}, &pressed)
	ups = p.updates()
	if len(ups) != 1 || ups[0].Callback == nil || ups[0].Callback.Data != "lang|en" || ups[0].ID != pressed.Update {
		t.Fatalf("updates=%+v, want the callback query %d", ups, pressed.Update)
	}
	answers := fmt.Sprintf("/api/people/%d/answers/%d", anna.ID, pressed.Update)
	if code := p.do("GET", answers, nil, nil); code != http.StatusNoContent {
		t.Errorf("answer before the bot answered: status %d, want 204", code)
	}
	p.bot("answerCallbackQuery", map[string]any{"callback_query_id": ups[0].Callback.ID, "text": "Saved", "show_alert": true})
	var ans struct {
		Text  string
		Alert bool
	}
	if p.do("GET", answers, nil, &ans); ans.Text != "Saved" || !ans.Alert {
		t.Errorf("answer=%+v, want the alert Saved", ans)
	}

	p.do("POST", fmt.Sprintf("/api/people/%d/location", anna.ID), map[string]float64{"lat": 41.40165, "lon": 2.15745}, nil)
	if ups := p.updates(); len(ups) != 1 || ups[0].Message == nil || ups[0].Message.Location == nil || ups[0].Message.Location.Latitude != 41.40165 {
		t.Fatalf("updates=%+v, want a location", ups)
	}
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/location", anna.ID), map[string]float64{"lat": 91, "lon": 0}, nil); code != http.StatusBadRequest {
		t.Errorf("location at latitude 91: status %d, want 400", code)
	}
	if code := p.do("POST", chat+"/send", map[string]string{"text": "   "}, nil); code != http.StatusBadRequest {
		t.Errorf("empty text: status %d, want 400", code)
	}
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/chats/%d/send", anna.ID, 42), map[string]string{"text": "hi"}, nil); code != http.StatusNotFound {
		t.Errorf("send to a chat that is not hers: status %d, want 404", code)
	}
}

func TestDocumentsAreDownloads(t *testing.T) {
	p := newPage(t)
	anna := p.newPerson("Anna", "en")
	p.do("POST", fmt.Sprintf("/api/people/%d/chats/%d/send", anna.ID, anna.ID), map[string]string{"text": "/mydata"}, nil)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("chat_id", fmt.Sprint(anna.ID))
	_ = mw.WriteField("caption", "Your data")
	fw, _ := mw.CreateFormFile("document", "my-data.json")
	_, _ = fw.Write([]byte(`{"name":"<script>Anna</script>"}`))
	mw.Close()
	res, err := http.Post(p.srv.URL()+"/bot"+p.srv.Token()+"/sendDocument", mw.FormDataContentType(), &body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("sendDocument: %v %v", err, res.Status)
	}
	res.Body.Close()

	v := p.view(anna.ID, anna.ID)
	doc := v.Messages[len(v.Messages)-1].Document
	if doc == nil || doc.Name != "my-data.json" {
		t.Fatalf("last message has document %+v, want my-data.json", doc)
	}
	res, err = http.Get(p.hs.URL + doc.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || string(data) != `{"name":"<script>Anna</script>"}` {
		t.Fatalf("download: disposition %q body %q", res.Header.Get("Content-Disposition"), data)
	}
}

func TestLinks(t *testing.T) {
	p := newPage(t)
	anna := p.newPerson("Anna", "en")
	open := func(url string) (string, int64) {
		t.Helper()
		var r struct {
			Kind string
			Chat int64
		}
		if code := p.do("POST", fmt.Sprintf("/api/people/%d/open", anna.ID), map[string]string{"url": url}, &r); code != http.StatusOK {
			t.Fatalf("open %s: status %d", url, code)
		}
		return r.Kind, r.Chat
	}

	if kind, chat := open("https://t.me/multaque_bot?start=c_gracia_p_consumer-group"); kind != "start" || chat != anna.ID {
		t.Errorf("deep link: %s %d, want start in her chat", kind, chat)
	}
	if ups := p.updates(); len(ups) != 1 || ups[0].Message.Text != "/start c_gracia_p_consumer-group" {
		t.Errorf("updates=%+v, want /start with the payload", ups)
	}
	if kind, _ := open("https://example.org/x"); kind != "external" {
		t.Errorf("other link: %s, want external", kind)
	}
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/open", anna.ID), map[string]string{"url": "https://t.me/multaque_bot?start=bad%20payload"}, nil); code != http.StatusBadRequest {
		t.Errorf("bad payload: status %d, want 400", code)
	}

	// A coordinator's startgroup link: a new group with the bot as admin.
	kind, gid := open("https://t.me/multaque_bot?startgroup=pool&admin=invite_users+restrict_members+pin_messages+change_info")
	g, ok := p.srv.Group(gid)
	if kind != "group" || !ok || g.Status(telegramtest.DefaultBotID) != "administrator" {
		t.Fatalf("startgroup: %s %d, want a group with the bot as administrator", kind, gid)
	}
	var sawJoin, sawStart bool
	for _, u := range p.updates() {
		sawJoin = sawJoin || u.MyChatMember != nil && u.MyChatMember.NewChatMember.Status == "administrator"
		sawStart = sawStart || u.Message != nil && u.Message.Text == "/start@multaque_bot pool"
	}
	if !sawJoin || !sawStart {
		t.Errorf("startgroup updates: my_chat_member %v, /start@bot pool %v; want both", sawJoin, sawStart)
	}

	// A team's invite link that makes a join request, then the approval.
	link := p.bot("createChatInviteLink", map[string]any{"chat_id": gid, "creates_join_request": true})
	var il struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(link, &il)
	bob := p.newPerson("Bob", "es")
	var r struct{ Kind string }
	p.do("POST", fmt.Sprintf("/api/people/%d/open", bob.ID), map[string]string{"url": il.InviteLink}, &r)
	if r.Kind != "join_request" {
		t.Fatalf("invite link: %s, want join_request", r.Kind)
	}
	if ids := g.PendingRequests(); len(ids) != 1 || ids[0] != bob.ID {
		t.Fatalf("PendingRequests=%v, want Bob", ids)
	}
	if v := p.view(bob.ID, gid); len(v.Chats) != 1 || v.Chat != nil {
		t.Fatalf("Bob sees the group before he is let in: %+v", v.Chats)
	}
	p.bot("approveChatJoinRequest", map[string]any{"chat_id": gid, "user_id": bob.ID})
	p.bot("sendMessage", map[string]any{"chat_id": gid, "text": "Welcome to the team!"})
	v := p.view(bob.ID, gid)
	if len(v.Chats) != 2 || v.Chat == nil || v.Chat.ID != gid || v.Chats[1].Kind != "group" {
		t.Fatalf("Bob's chats=%+v, want his chat and the group", v.Chats)
	}
	var joined, welcome bool
	for _, m := range v.Messages {
		joined = joined || m.Service == "Bob joined the group"
		welcome = welcome || m.From == "bot" && m.HTML == "Welcome to the team!"
	}
	if !joined || !welcome {
		t.Errorf("group messages=%+v, want Bob joining and the welcome", v.Messages)
	}
	if got := strings.Join(v.Chats[1].Members, ", "); got != "Anna, Bob" {
		t.Errorf("members=%q, want Anna, Bob", got)
	}

	// Bob writes in the group, and presses a button there.
	p.do("POST", fmt.Sprintf("/api/people/%d/chats/%d/send", bob.ID, gid), map[string]string{"text": "Hola!"}, nil)
	msg := p.bot("sendMessage", map[string]any{"chat_id": gid, "text": "Step 1",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{{{"text": "Done", "callback_data": "step|1"}}}}})
	var sent struct {
		ID int `json:"message_id"`
	}
	_ = json.Unmarshal(msg, &sent)
	var pr struct{ Update int }
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/chats/%d/press", bob.ID, gid), map[string]any{"message": sent.ID, "data": "step|1"}, &pr); code != http.StatusOK || pr.Update == 0 {
		t.Fatalf("press in group: status %d update %d", code, pr.Update)
	}
	var texts, data []string
	for _, u := range p.updates() {
		if u.Message != nil && u.Message.Text != "" {
			texts = append(texts, u.Message.Text)
		}
		if u.Callback != nil {
			data = append(data, u.Callback.Data)
		}
	}
	if strings.Join(texts, "|") != "Hola!" || strings.Join(data, "|") != "step|1" {
		t.Errorf("group updates: texts %q callbacks %q", texts, data)
	}
}

func TestNewGroupAndActions(t *testing.T) {
	var acted int64
	p := newPage(t, sandboxweb.WithActions(sandboxweb.Action{ID: "coordinator", Label: "Make coordinator",
		Do: func(_ context.Context, u *telegramtest.User) (string, error) {
			acted = u.ID
			return u.FirstName + " is a coordinator now.", nil
		}}))
	anna := p.newPerson("Anna", "ca")
	var r struct {
		Kind string
		Chat int64
	}
	p.do("POST", fmt.Sprintf("/api/people/%d/groups", anna.ID), map[string]string{"title": "Pool 1"}, &r)
	g, ok := p.srv.Group(r.Chat)
	if !ok || g.Title() != "Pool 1" || g.Status(telegramtest.DefaultBotID) != "administrator" || g.Status(anna.ID) != "creator" {
		t.Fatalf("new group %d: want Pool 1 created by Anna with the bot as admin", r.Chat)
	}
	v := p.view(anna.ID, anna.ID)
	if len(v.Actions) != 1 || v.Actions[0].ID != "coordinator" {
		t.Fatalf("Actions=%+v", v.Actions)
	}
	var note struct{ Note string }
	p.do("POST", fmt.Sprintf("/api/people/%d/actions/coordinator", anna.ID), map[string]string{}, &note)
	if acted != anna.ID || note.Note != "Anna is a coordinator now." {
		t.Fatalf("action: acted for %d, note %q", acted, note.Note)
	}
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/actions/nope", anna.ID), map[string]string{}, nil); code != http.StatusNotFound {
		t.Errorf("unknown action: status %d, want 404", code)
	}
}

func TestPageActions(t *testing.T) {
	runs := 0
	p := newPage(t, sandboxweb.WithPageActions(
		sandboxweb.PageAction{ID: "match", Label: "Form teams now", Do: func(context.Context) (string, error) {
			runs++
			return "1 team formed.", nil
		}},
		sandboxweb.PageAction{ID: "broken", Label: "Fail", Do: func(context.Context) (string, error) {
			return "", errors.New("the matcher is not running")
		}}))
	v := p.view(0, 0)
	if len(v.PageActions) != 2 || v.PageActions[0].ID != "match" || v.PageActions[0].Label != "Form teams now" {
		t.Fatalf("PageActions=%+v, want match and broken", v.PageActions)
	}
	var note struct{ Note string }
	if code := p.do("POST", "/api/actions/match", map[string]string{}, &note); code != http.StatusOK || note.Note != "1 team formed." || runs != 1 {
		t.Fatalf("POST /api/actions/match: status %d, note %q, %d runs; want 200, the note, 1 run", code, note.Note, runs)
	}
	if code := p.do("POST", "/api/actions/broken", map[string]string{}, nil); code != http.StatusInternalServerError {
		t.Errorf("a failing action: status %d, want 500", code)
	}
	if code := p.do("POST", "/api/actions/nope", map[string]string{}, nil); code != http.StatusNotFound {
		t.Errorf("unknown page action: status %d, want 404", code)
	}
}

func TestOnNewPerson(t *testing.T) {
	got := make(chan string, 1)
	p := newPage(t, sandboxweb.OnNewPerson(func(u *telegramtest.User) { got <- u.FirstName }))
	p.newPerson("Anna", "es")
	select {
	case name := <-got:
		if name != "Anna" {
			t.Fatalf("OnNewPerson got %q, want Anna", name)
		}
	case <-time.After(time.Second):
		t.Fatal("OnNewPerson was not called")
	}
}

// TestRefusesAnotherHost: a page reached under a name that was rebound to
// the loopback address (DNS rebinding) answers nothing, not even a read.
func TestRefusesAnotherHost(t *testing.T) {
	p := newPage(t)
	for _, tc := range []struct {
		method, path, host string
		want               int
	}{
		{"GET", "/api/view", "evil.example:" + p.port(), http.StatusMisdirectedRequest},
		{"GET", "/", "evil.example", http.StatusMisdirectedRequest},
		{"POST", "/api/people", "evil.example:" + p.port(), http.StatusMisdirectedRequest},
		{"GET", "/api/view", "127.0.0.1:1", http.StatusMisdirectedRequest},
		{"GET", "/api/view", "localhost:" + p.port(), http.StatusOK},
		{"GET", "/api/view", "127.0.0.1:" + p.port(), http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, p.hs.URL+tc.path, strings.NewReader(`{"name":"Eve","lang":"en"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Host = tc.host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s %s Host %s: status %d, want %d", tc.method, tc.path, tc.host, res.StatusCode, tc.want)
		}
	}
	if len(p.srv.Users()) != 0 {
		t.Fatal("a request for another host created a person")
	}
}

func (p *page) port() string {
	u, err := url.Parse(p.hs.URL)
	if err != nil {
		p.t.Fatal(err)
	}
	return u.Port()
}

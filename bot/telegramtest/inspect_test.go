package telegramtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/multaque/multaque/bot/telegramtest"
)

func TestChatLogKeepsFormatting(t *testing.T) {
	srv := newServer(t)
	u := srv.NewUser("Anna", "ca")
	u.Send("/start")
	status, a := rawCall(t, srv, "sendMessage", url.Values{
		"chat_id": {strconv.FormatInt(u.ID, 10)}, "parse_mode": {"HTML"},
		"text": {`👋 Hola <b>Anna</b>, mira <a href="https://somenergia.coop">Som Energia</a>`},
	})
	if status != 200 {
		t.Fatalf("sendMessage: %d %s", status, a.Description)
	}
	log, err := srv.ChatLog(u.ID)
	if err != nil || len(log) != 2 {
		t.Fatalf("ChatLog=%+v,%v, want 2 messages", log, err)
	}
	if log[0].FromName != "Anna" || len(log[0].Entities) != 1 || log[0].Entities[0].Type != "bot_command" {
		t.Errorf("first message %+v, want Anna's /start with a bot_command entity", log[0])
	}
	want := []telegramtest.Entity{
		{Type: "bold", Offset: 8, Length: 4},
		{Type: "text_link", Offset: 19, Length: 11, URL: "https://somenergia.coop"},
	}
	got := log[1]
	if got.Text != "👋 Hola Anna, mira Som Energia" || !got.FromBot || got.FromName != telegramtest.DefaultBotName {
		t.Errorf("bot message %+v", got.Message)
	}
	if len(got.Entities) != len(want) || got.Entities[0] != want[0] || got.Entities[1] != want[1] {
		t.Errorf("Entities=%+v, want %+v", got.Entities, want)
	}
	if _, err := srv.ChatLog(42); !errors.Is(err, telegramtest.ErrNoChat) {
		t.Errorf("ChatLog(42) err=%v, want ErrNoChat", err)
	}
}

func TestUsersGroupsAndChangeMark(t *testing.T) {
	srv := newServer(t)
	m0 := srv.ChangeMark()
	anna := srv.NewUser("Anna", "ca")
	bob := srv.NewUser("Bob", "es")
	m1 := srv.ChangeMark()
	if m1 == m0 {
		t.Error("ChangeMark did not change when people were created")
	}
	if us := srv.Users(); len(us) != 2 || us[0] != anna || us[1] != bob {
		t.Fatalf("Users=%v, want Anna, Bob", us)
	}
	if srv.ChangeMark() != m1 {
		t.Error("ChangeMark changed with nothing happening")
	}
	g := srv.NewSupergroup("Team", anna)
	g.AddBot(anna, telegramtest.BotAdminRights)
	m2 := srv.ChangeMark()
	if m2 == m1 {
		t.Error("ChangeMark did not change when a group was created")
	}
	if gs := srv.GroupsOf(anna.ID); len(gs) != 1 || gs[0] != g {
		t.Fatalf("GroupsOf(Anna)=%v, want the group", gs)
	}
	if gs := srv.GroupsOf(bob.ID); len(gs) != 0 || g.IsMember(bob.ID) {
		t.Fatalf("GroupsOf(Bob)=%v, want none", gs)
	}

	status, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": {strconv.FormatInt(g.ID, 10)}, "creates_join_request": {"true"}})
	if status != 200 {
		t.Fatalf("createChatInviteLink: %s", a.Description)
	}
	var link tele.ChatInviteLink
	if err := json.Unmarshal(a.Result, &link); err != nil {
		t.Fatal(err)
	}
	if err := bob.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatal(err)
	}
	m3 := srv.ChangeMark()
	if m3 == m2 {
		t.Error("ChangeMark did not change on a join request")
	}
	rawCall(t, srv, "approveChatJoinRequest", url.Values{"chat_id": {strconv.FormatInt(g.ID, 10)}, "user_id": {strconv.FormatInt(bob.ID, 10)}})
	if srv.ChangeMark() == m3 {
		t.Error("ChangeMark did not change when a request was approved")
	}
	if gs := srv.GroupsOf(bob.ID); len(gs) != 1 || !g.IsMember(bob.ID) {
		t.Fatalf("GroupsOf(Bob)=%v after approval, want the group", gs)
	}

	// A button in the group, pressed by Bob.
	status, a = rawCall(t, srv, "sendMessage", url.Values{"chat_id": {strconv.FormatInt(g.ID, 10)}, "text": {"Step 1"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"Done","callback_data":"s1"}]]}`}})
	if status != 200 {
		t.Fatalf("sendMessage: %s", a.Description)
	}
	var msg tele.Message
	_ = json.Unmarshal(a.Result, &msg)
	id, err := bob.PressInGroup(g, msg.ID, "s1")
	if err != nil || id == 0 {
		t.Fatalf("PressInGroup=%d,%v", id, err)
	}
	ups := rawUpdates(t, srv, url.Values{"offset": {strconv.Itoa(id)}})
	if kinds(ups) != "callback_query" {
		t.Fatalf("updates=%s, want the callback_query", kinds(ups))
	}
	carol := srv.NewUser("Carol", "en")
	if _, err := carol.PressInGroup(g, msg.ID, "s1"); err == nil {
		t.Error("someone outside the group pressed a button in it")
	}
}

func TestRestoreUser(t *testing.T) {
	srv := newServer(t)
	u, err := srv.RestoreUser(100042, "Anna", "ca")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := srv.User(100042); !ok || got != u {
		t.Fatal("restored user not found by id")
	}
	if _, err := srv.RestoreUser(100042, "Anna", "ca"); err == nil {
		t.Error("restoring a taken id succeeded")
	}
	if _, err := srv.RestoreUser(0, "X", "ca"); err == nil {
		t.Error("restoring id 0 succeeded")
	}
	if next := srv.NewUser("Bob", "es"); next.ID != 100043 {
		t.Errorf("next new user ID=%d, want 100043", next.ID)
	}
	// The bot may write to a restored user at once: they started it before.
	status, a := rawCall(t, srv, "sendMessage", url.Values{"chat_id": {"100042"}, "text": {"Welcome back"}})
	if status != 200 {
		t.Fatalf("sendMessage to a restored user: %d %s", status, a.Description)
	}
}

func TestWithFirstUpdateID(t *testing.T) {
	srv := newServer(t, telegramtest.WithFirstUpdateID(5000))
	if id := srv.NewUser("Anna", "ca").Send("hi"); id != 5000 {
		t.Fatalf("first update_id=%d, want 5000", id)
	}
}

func TestAwaitAndPressButton(t *testing.T) {
	srv := newServer(t)
	b, log := newBot(t, srv, nil)
	b.Handle("/start", func(c tele.Context) error {
		m := &tele.ReplyMarkup{}
		m.Inline(m.Row(m.Data("Go", "go")))
		return c.Send("Ready?", m)
	})
	b.Handle(&tele.Btn{Unique: "go"}, func(c tele.Context) error { return c.Edit("Gone") })
	start(t, b, log)

	u := srv.NewUser("Anna", "en")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u.Send("/start")
	if m, err := u.Await(ctx, "Ready"); err != nil || m.Text != "Ready?" {
		t.Fatalf("Await=%+v,%v", m, err)
	}
	if _, err := u.PressButton(ctx, "Go"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Await(ctx, "Gone"); err != nil {
		t.Fatal(err)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := u.PressButton(short, "Nope"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("PressButton of a missing button: err=%v, want DeadlineExceeded", err)
	}
	if _, err := u.Await(short, "never"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Await of a missing message: err=%v, want DeadlineExceeded", err)
	}
}

func TestFile(t *testing.T) {
	srv := newServer(t)
	b, log := newBot(t, srv, nil)
	b.Handle("/mydata", func(c tele.Context) error {
		return c.Send(&tele.Document{File: tele.FromReader(strings.NewReader(`{"a":1}`)), FileName: "d.json"})
	})
	start(t, b, log)
	u := srv.NewUser("Anna", "en")
	u.Send("/mydata")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var doc *telegramtest.File
	for doc == nil && ctx.Err() == nil {
		if m, ok := u.LastFromBot(); ok {
			doc = m.Document
		}
		time.Sleep(5 * time.Millisecond)
	}
	if doc == nil {
		t.Fatal("no document came")
	}
	if f, ok := srv.File(doc.ID); !ok || string(f.Data) != `{"a":1}` {
		t.Fatalf("File(%q)=%v,%v", doc.ID, f, ok)
	}
	if _, ok := srv.File("nope"); ok {
		t.Error("File found an unknown id")
	}
}

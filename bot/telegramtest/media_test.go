package telegramtest_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"

	tele "gopkg.in/telebot.v3"
)

func TestSendDocumentRoundTrip(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Marta", "ca")
	u.Send("/start")
	data := []byte("name,community\nMarta,Gràcia\n")
	doc := &tele.Document{File: tele.FromReader(bytes.NewReader(data)), FileName: "my-data.csv", Caption: "Your <b>data</b>"}
	sent, err := b.Send(&tele.User{ID: u.ID}, doc, tele.ModeHTML)
	if err != nil {
		t.Fatalf("Send document: %v", err)
	}
	got := u.Expect(t, "Your data")
	if got.Document == nil || !bytes.Equal(got.Document.Data, data) || got.Document.Name != "my-data.csv" || got.Document.MIME != "text/csv" {
		t.Fatalf("Document = %+v, want my-data.csv (text/csv) with the bytes sent", got.Document)
	}
	if sent.Document == nil || sent.Document.FileName != "my-data.csv" || sent.Document.FileSize != int64(len(data)) || sent.Document.FileID == "" {
		t.Fatalf("answer Document = %+v, want file name, size and file_id", sent.Document)
	}

	// Download through getFile and the file endpoint, as telebot does.
	rc, err := b.File(&tele.File{FileID: sent.Document.FileID})
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	downloaded, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(downloaded, data) {
		t.Fatalf("downloaded %q, want %q", downloaded, data)
	}

	// Resending by file_id shares the file.
	again := &tele.Document{File: tele.File{FileID: sent.Document.FileID}, Caption: "again"}
	if _, err := b.Send(&tele.User{ID: u.ID}, again); err != nil {
		t.Fatalf("resend by file_id: %v", err)
	}
	if m, _ := u.LastFromBot(); m.Document == nil || !bytes.Equal(m.Document.Data, data) {
		t.Fatalf("resent Document = %+v, want the same bytes", m.Document)
	}
	if calls := srv.Calls("SENDDOCUMENT"); len(calls) != 2 || calls[0].Params["caption"] != "Your <b>data</b>" || calls[0].Params["document"] != "attach://my-data.csv" {
		t.Fatalf("Calls(sendDocument) = %+v", calls)
	}
}

func TestSendPhotoKeepsBytesAndSize(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	u := srv.NewUser("Iu", "ca")
	u.Send("/start")
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	sent, err := b.Send(&tele.User{ID: u.ID}, &tele.Photo{File: tele.FromReader(bytes.NewReader(buf.Bytes())), Caption: "chart"})
	if err != nil {
		t.Fatalf("Send photo: %v", err)
	}
	if sent.Photo == nil || sent.Photo.Width != 40 || sent.Photo.Height != 30 {
		t.Fatalf("answer Photo = %+v, want 40x30", sent.Photo)
	}
	got := u.Expect(t, "chart")
	if got.Photo == nil || !bytes.Equal(got.Photo.Data, buf.Bytes()) {
		t.Fatalf("Photo = %+v, want the PNG sent", got.Photo)
	}
	_, err = b.Send(&tele.User{ID: u.ID}, &tele.Photo{File: tele.FromReader(strings.NewReader("not an image"))})
	if !errors.Is(err, tele.ErrFailedImageProcess) {
		t.Fatalf("Send of a non-image photo: err = %v, want %v", err, tele.ErrFailedImageProcess)
	}
}

func TestLocationBothWays(t *testing.T) {
	srv := newServer(t)
	b, log := newBot(t, srv, nil)
	b.Handle(tele.OnLocation, func(c tele.Context) error {
		l := c.Message().Location
		return c.Send(&tele.Location{Lat: l.Lat + 1, Lng: l.Lng + 1})
	})
	start(t, b, log)
	u := srv.NewUser("Nil", "ca")
	u.ShareLocation(41.4, 2.15)
	m := u.WaitBotMessages(t, 1)[0]
	if m.Location == nil || m.Location.Lat < 42.39 || m.Location.Lat > 42.41 {
		t.Fatalf("Location = %+v, want about 42.4", m.Location)
	}
}

func TestCommandsPerScopeAndLanguage(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	srv.NewUser("Coordinator", "ca").Send("/start") // user 100001: a chat the bot knows
	private := tele.CommandScope{Type: tele.CommandScopeAllPrivateChats}
	coordinator := tele.CommandScope{Type: tele.CommandScopeChat, ChatID: 100001}
	ca := []tele.Command{{Text: "start", Description: "Comença"}, {Text: "projectes", Description: "Projectes"}}
	en := []tele.Command{{Text: "start", Description: "Start"}}
	admin := []tele.Command{{Text: "stats", Description: "Stats"}}
	for _, set := range []struct {
		cmds  []tele.Command
		scope tele.CommandScope
		lang  string
	}{{ca, private, "ca"}, {en, private, ""}, {admin, coordinator, ""}} {
		if err := b.SetCommands(set.cmds, set.scope, set.lang); err != nil {
			t.Fatalf("SetCommands(%v, %q): %v", set.scope, set.lang, err)
		}
	}
	if got := srv.Commands("all_private_chats", "ca"); !equalCommands(got, ca) {
		t.Errorf("Commands(all_private_chats, ca) = %v, want %v", got, ca)
	}
	if got := srv.Commands("all_private_chats", ""); !equalCommands(got, en) {
		t.Errorf("Commands(all_private_chats, \"\") = %v, want %v", got, en)
	}
	if got := srv.Commands("chat", ""); !equalCommands(got, admin) {
		t.Errorf("Commands(chat) = %v, want %v", got, admin)
	}
	if got := srv.Commands("default", ""); got != nil {
		t.Errorf("Commands(default) = %v, want none", got)
	}
	got, err := b.Commands(private, "ca")
	if err != nil || !equalCommands(got, ca) {
		t.Errorf("getMyCommands = %v, %v; want %v", got, err, ca)
	}
	if err := b.DeleteCommands(private, "ca"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Commands("all_private_chats", "ca"); got != nil {
		t.Errorf("after deleteMyCommands: %v, want none", got)
	}
	err = b.SetCommands([]tele.Command{{Text: "Start", Description: "x"}})
	if err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Errorf("SetCommands with an upper-case command: err = %v, want BOT_COMMAND_INVALID", err)
	}
	if _, err := b.Raw("setMyDescription", map[string]string{"description": "Cooperatives", "language_code": "en"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Description("en"); got != "Cooperatives" {
		t.Errorf("Description(en) = %q, want %q", got, "Cooperatives")
	}
	if _, err := b.Raw("setChatMenuButton", map[string]any{"menu_button": map[string]string{"type": "commands"}}); err != nil {
		t.Errorf("SetMenuButton: %v", err)
	}
	if _, err := b.Raw("setMyShortDescription", map[string]string{"short_description": strings.Repeat("x", 121)}); err == nil {
		t.Errorf("setMyShortDescription of 121 characters: no error")
	}
}

func equalCommands(a, b []tele.Command) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

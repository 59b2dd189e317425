package telegramtest_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
	tele "gopkg.in/telebot.v3"
)

func TestGroupProvisioningFlow(t *testing.T) {
	srv := newServer(t)
	b, log := newBot(t, srv, nil)
	var (
		mu      sync.Mutex
		added   []*tele.ChatMemberUpdate
		invited = map[int64]bool{}
	)
	b.Handle(tele.OnMyChatMember, func(c tele.Context) error {
		mu.Lock()
		added = append(added, c.ChatMember())
		mu.Unlock()
		return nil
	})
	b.Handle(tele.OnChatJoinRequest, func(c tele.Context) error {
		req := c.ChatJoinRequest()
		mu.Lock()
		ok := invited[req.Sender.ID]
		mu.Unlock()
		if !ok {
			return b.DeclineJoinRequest(req.Chat, req.Sender)
		}
		if err := b.ApproveJoinRequest(req.Chat, req.Sender); err != nil {
			return err
		}
		_, err := b.Send(tele.ChatID(req.UserChatID), "Welcome to the team!")
		return err
	})
	start(t, b, log)

	coordinator := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Pool 1", coordinator)
	if g.ID >= -1000000000000 {
		t.Fatalf("group ID = %d, want a -100… supergroup id", g.ID)
	}
	g.AddBot(coordinator, telegramtest.BotAdminRights)
	waitFor(t, "my_chat_member", func() bool { mu.Lock(); defer mu.Unlock(); return len(added) == 1 })
	upd := added[0]
	if upd.Sender.ID != coordinator.ID || upd.OldChatMember.Role != tele.Left || upd.NewChatMember.Role != tele.Administrator ||
		!upd.NewChatMember.CanInviteUsers || !upd.NewChatMember.CanRestrictMembers || !upd.NewChatMember.CanPinMessages ||
		!upd.NewChatMember.CanChangeInfo || upd.Chat.Type != tele.ChatSuperGroup {
		t.Fatalf("my_chat_member = %+v (new %+v), want left → administrator with the four rights, from the coordinator", upd, upd.NewChatMember)
	}

	chat := &tele.Chat{ID: g.ID}
	if err := b.SetGroupTitle(chat, "Energy cooperative · Gràcia"); err != nil {
		t.Fatalf("SetGroupTitle: %v", err)
	}
	if err := b.SetGroupTitle(chat, ""); err == nil || !strings.Contains(err.Error(), "chat title is empty") {
		t.Fatalf("SetGroupTitle(\"\"): err = %v, want chat title is empty", err)
	}
	// Telegram cuts an over-long description to 255 characters.
	if err := b.SetGroupDescription(chat, strings.Repeat("d", 256)); err != nil || g.Description() != strings.Repeat("d", 255) {
		t.Fatalf("SetGroupDescription of 256 characters: err = %v, description %d long, want nil and 255", err, len(g.Description()))
	}
	if err := b.SetGroupDescription(chat, "Kickoff plan inside"); err != nil {
		t.Fatalf("SetGroupDescription: %v", err)
	}
	if g.Title() != "Energy cooperative · Gràcia" || g.Description() != "Kickoff plan inside" {
		t.Fatalf("group = %q / %q", g.Title(), g.Description())
	}
	link, err := b.CreateInviteLink(chat, &tele.ChatInviteLink{Name: "team-7", JoinRequest: true})
	if err != nil {
		t.Fatalf("CreateInviteLink: %v", err)
	}
	if !strings.HasPrefix(link.InviteLink, "https://t.me/+") || !link.JoinRequest || link.Name != "team-7" {
		t.Fatalf("invite link = %+v", link)
	}

	member := srv.NewUser("Marc", "ca")
	outsider := srv.NewUser("Eve", "en")
	mu.Lock()
	invited[member.ID] = true
	mu.Unlock()
	if err := member.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatalf("OpenInviteLink: %v", err)
	}
	member.Expect(t, "Welcome to the team!")
	if err := outsider.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatalf("OpenInviteLink: %v", err)
	}
	waitFor(t, "the outsider declined", func() bool { return len(g.PendingRequests()) == 0 })
	if got, want := g.Members(), []int64{coordinator.ID, member.ID}; !slices.Equal(got, want) {
		t.Fatalf("Members = %v, want %v", got, want)
	}
	if err := member.OpenInviteLink(link.InviteLink); !errors.Is(err, telegramtest.ErrAlreadyMember) {
		t.Fatalf("second OpenInviteLink: %v, want ErrAlreadyMember", err)
	}
	if err := b.ApproveJoinRequest(chat, &tele.User{ID: outsider.ID}); !errors.Is(err, tele.ErrHideRequesterMissing) {
		t.Fatalf("approve without a request: %v, want %v", err, tele.ErrHideRequesterMissing)
	}

	m, err := b.Send(chat, "Step 1: meet")
	if err != nil {
		t.Fatalf("Send to group: %v", err)
	}
	if err := b.Pin(m); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	g.Expect(t, "Step 1")
	msgs := g.Messages()
	last := msgs[len(msgs)-1]
	if last.Text != "Step 1: meet" || !last.Pinned {
		t.Fatalf("last group message = %+v, want the pinned step", last)
	}
	cm, err := b.ChatMemberOf(chat, &tele.User{ID: member.ID})
	if err != nil || cm.Role != tele.Member {
		t.Fatalf("ChatMemberOf = %+v, %v; want member", cm, err)
	}
	admins, err := b.AdminsOf(chat)
	if err != nil || len(admins) != 2 {
		t.Fatalf("AdminsOf = %+v, %v; want the bot and the creator", admins, err)
	}

	if err := b.Ban(chat, &tele.ChatMember{User: &tele.User{ID: member.ID}}); err != nil {
		t.Fatalf("Ban: %v", err)
	}
	if got := g.Status(member.ID); got != "kicked" {
		t.Fatalf("status after ban = %q, want kicked", got)
	}
	if err := b.Ban(chat, &tele.ChatMember{User: &tele.User{ID: coordinator.ID}}); !errors.Is(err, tele.ErrCantRemoveOwner) {
		t.Fatalf("Ban of the owner: %v, want %v", err, tele.ErrCantRemoveOwner)
	}

	g.Delete()
	if _, err := b.Send(chat, "anyone?"); !errors.Is(err, tele.ErrChatNotFound) {
		t.Fatalf("Send to a deleted group: %v, want %v", err, tele.ErrChatNotFound)
	}
}

func TestChatMemberUpdatesOnlyWhenAllowed(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Owner", "ca")
	g := srv.NewSupergroup("Open", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	b, _ := newBot(t, srv, nil)
	link, err := b.CreateInviteLink(&tele.Chat{ID: g.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}

	first := srv.NewUser("First", "ca")
	if err := first.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(rawUpdates(t, srv, nil)), "my_chat_member,message,message"; got != want {
		t.Fatalf("default updates = %s, want %s (no chat_member)", got, want)
	}

	all, _ := jsonList(tele.AllowedUpdates)
	rawUpdates(t, srv, url.Values{"offset": {"-1"}, "allowed_updates": {all}, "timeout": {"0"}})
	second := srv.NewUser("Second", "ca")
	if err := second.OpenInviteLink(link.InviteLink); err != nil {
		t.Fatal(err)
	}
	second.Leave(g)
	ups := rawUpdates(t, srv, url.Values{"offset": {"4"}})
	if got, want := kinds(ups), "chat_member,message,chat_member,message"; got != want {
		t.Fatalf("updates with chat_member allowed = %s, want %s", got, want)
	}
	if got, want := g.Members(), []int64{owner.ID, first.ID}; !slices.Equal(got, want) {
		t.Fatalf("Members = %v, want %v", got, want)
	}
}

func TestGroupPrivacyModeAndRemoval(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser("Owner", "ca")
	g := srv.NewSupergroup("Plain", owner)
	g.AddBot(owner, telegramtest.AdminRights{}) // a plain member: privacy mode applies
	if id := owner.SendToGroup(g, "just chatting"); id != 0 {
		t.Fatalf("plain message reached a non-admin bot (update %d)", id)
	}
	if id := owner.SendToGroup(g, "/status"); id == 0 {
		t.Fatalf("command did not reach the bot")
	}
	g.RemoveBot(owner)
	b, _ := newBot(t, srv, nil)
	if _, err := b.Send(&tele.Chat{ID: g.ID}, "hello?"); !errors.Is(err, tele.ErrKickedFromSuperGroup) {
		t.Fatalf("Send after removal: %v, want %v", err, tele.ErrKickedFromSuperGroup)
	}
	status, a := rawCall(t, srv, "setChatTitle", url.Values{"chat_id": {strconv.FormatInt(g.ID, 10)}, "title": {"x"}})
	if status != 403 {
		t.Fatalf("setChatTitle after removal: %d %s", status, a.Description)
	}
}

func jsonList(list []string) (string, error) {
	return `["` + strings.Join(list, `","`) + `"]`, nil
}

// Telegram counts every member in getChatMemberCount (the bot and the
// owner included) and lists only administrators in getChatAdministrators
// (Bot API, getChatMemberCount and getChatAdministrators); a member added
// by an administrator counts at once.
func TestAddMemberCountsButIsNoAdministrator(t *testing.T) {
	srv := newServer(t)
	b, _ := newBot(t, srv, nil)
	callJSON := func(method string, params map[string]any, out any) error {
		data, err := b.Raw(method, params)
		if err != nil {
			return err
		}
		var r struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return err
		}
		return json.Unmarshal(r.Result, out)
	}
	owner, guest := srv.NewUser("Owner", "en"), srv.NewUser("Guest", "en")
	g := srv.NewSupergroup("G", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	g.AddMember(owner, guest)
	var count int
	if err := callJSON("getChatMemberCount", map[string]any{"chat_id": g.ID}, &count); err != nil || count != 3 {
		t.Fatalf("getChatMemberCount=%d, %v; want 3 (owner, bot, guest)", count, err)
	}
	var admins []struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if err := callJSON("getChatAdministrators", map[string]any{"chat_id": g.ID}, &admins); err != nil || len(admins) != 2 {
		t.Fatalf("getChatAdministrators=%+v, %v; want the owner and the bot", admins, err)
	}
	for _, a := range admins {
		if a.User.ID == guest.ID {
			t.Errorf("the guest is listed as an administrator")
		}
	}
}

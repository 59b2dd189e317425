package bot_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// faultyTransport passes requests on, except that fault may refuse one
// (before it reaches Telegram) or lose its answer (after Telegram did it).
type faultyTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	// fault is told each Bot API method; refuse fails the request before
	// it is sent, lose after.
	fault func(method string) (refuse, lose bool)
}

var errFault = errors.New("injected fault")

func (f *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]
	f.mu.Lock()
	refuse, lose := false, false
	if f.fault != nil {
		refuse, lose = f.fault(method)
	}
	f.mu.Unlock()
	if refuse {
		return nil, errFault
	}
	resp, err := f.base.RoundTrip(req)
	if err == nil && lose {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errFault
	}
	return resp, err
}

func (f *faultyTransport) set(fault func(method string) (refuse, lose bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

func TestProvisioningResumesAfterACrash(t *testing.T) {
	ft := &faultyTransport{}
	r := newTeamRig(t, rigOptions{noProvisioner: true, transport: func(rt http.RoundTripper) http.RoundTripper {
		ft.base = rt
		return ft
	}})
	g := r.poolGroup("Spare")
	users := []*telegramtest.User{r.starter("Anna", "ca"), r.starter("Lucía", "es"), r.starter("Joe", "en")}
	team := r.formTeam(users...)

	// The first rename reaches Telegram but its answer is lost; then the
	// process "dies" at the description.
	titleLost := false
	crashed := make(chan struct{})
	ft.set(func(method string) (bool, bool) {
		switch method {
		case "setChatTitle":
			if !titleLost {
				titleLost = true
				return false, true
			}
		case "setChatDescription":
			select {
			case <-crashed:
			default:
				close(crashed)
			}
			return true, false
		}
		return false, false
	})
	r.startProvisioner(nil)
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("the provisioner never reached the description")
	}
	r.stopProv()
	p, _ := r.cat.Project("consumer-group")
	title := p.Name.In("ca") + " · Gràcia"
	if got := r.team(team.ID); got.Setup != multaque.SetupTitle || got.Chat != g.ID || got.Status != multaque.TeamForming {
		t.Fatalf("after the crash team=%+v, want forming in %d with the title recorded", got, g.ID)
	}
	if g.Title() != title {
		t.Fatalf("title %q, want %q", g.Title(), title)
	}
	ok := 0
	for _, c := range r.srv.Calls("setChatTitle") {
		if c.OK() {
			ok++
		}
	}
	if ok != 2 {
		// Telegram answers true to the title a chat already has.
		t.Errorf("setChatTitle succeeded %d times, want 2 (the lost answer, then the retry of the same title)", ok)
	}

	// Restarted, it finishes: one welcome, one invitation each.
	ft.set(nil)
	r.startProvisioner(nil)
	active := r.active(team.ID, g)
	if active.Setup != multaque.SetupPinned {
		t.Errorf("Setup=%q, want %q", active.Setup, multaque.SetupPinned)
	}
	for i, u := range users {
		lang := []multaque.Lang{"ca", "es", "en"}[i]
		u.Expect(t, r.text(lang, "team_invite_join"))
	}
	// Another restart changes nothing.
	r.stopProv()
	r.startProvisioner(nil)
	time.Sleep(400 * time.Millisecond)
	welcomes := 0
	for _, m := range g.Messages() {
		if m.FromBot && strings.Contains(m.Text, r.text("ca", "team_playbook")) {
			welcomes++
			if !m.Pinned {
				t.Errorf("welcome not pinned")
			}
		}
	}
	if welcomes != 1 {
		t.Errorf("%d welcomes in the group, want 1", welcomes)
	}
	for i, u := range users {
		lang := []multaque.Lang{"ca", "es", "en"}[i]
		if n := len(fromBot(u, r.text(lang, "team_invite_join"))); n != 1 {
			t.Errorf("%s got %d invitations, want 1", u.FirstName, n)
		}
	}
	if n := len(r.srv.Calls("createChatInviteLink")); n != 1 {
		t.Errorf("createChatInviteLink called %d times, want 1", n)
	}
}

func TestNoFreeGroupAlertsCoordinators(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	users := []*telegramtest.User{r.starter("Anna", "ca"), r.starter("Pau", "ca")}
	late := r.starter("Joe", "en")
	team := r.formTeam(users...)

	alert := r.coord.Expect(t, r.text("ca", "pool_empty"))
	link := "https://t.me/" + r.bot.Username() + "?startgroup=pool&admin=invite_users+restrict_members+pin_messages+change_info"
	if !strings.Contains(alert.Text, link) || len(alert.Keyboard) != 1 || alert.Keyboard[0][0].URL != link {
		t.Errorf("alert %+v, want the startgroup link %s in the text and a button", alert, link)
	}
	time.Sleep(500 * time.Millisecond) // several passes
	if n := len(fromBot(r.coord, r.text("ca", "pool_empty"))); n != 1 {
		t.Errorf("coordinator alerted %d times, want once", n)
	}
	if got := r.team(team.ID); got.Status != multaque.TeamForming || got.Chat != 0 {
		t.Fatalf("team=%+v, want forming without a group", got)
	}

	// A group arrives: the team gets it.
	g := r.poolGroup("Spare")
	active := r.active(team.ID, g)

	// A late joiner, added by the matcher, gets an invitation built by
	// InviteItems in the same transaction.
	if items := r.bot.InviteItems(active, []int64{late.ID}, nil); len(items) != 0 {
		t.Errorf("InviteItems for someone not in the team=%v, want none", items)
	}
	langs := map[int64]multaque.Lang{late.ID: "en"}
	_, err := r.db.JoinTeam(context.Background(), team.ID, []int64{late.ID}, time.Now(), func(t *multaque.Team) []multaque.OutboxItem {
		return r.bot.InviteItems(t, []int64{late.ID}, langs)
	})
	if err != nil {
		t.Fatalf("JoinTeam: %v", err)
	}
	m := late.Expect(t, r.textWith("en", "team_invite", map[string]any{"Count": 3, "Community": "Gràcia"}))
	if len(m.Keyboard) != 1 || m.Keyboard[0][0].URL != active.InviteLink {
		t.Errorf("late invitation keyboard %+v, want a button to %s", m.Keyboard, active.InviteLink)
	}
	forming := *active
	forming.Status = multaque.TeamForming
	if items := r.bot.InviteItems(&forming, []int64{users[0].ID}, nil); len(items) != 0 {
		t.Errorf("InviteItems for a forming team=%v, want none (the Provisioner invites)", items)
	}
}

func TestOutboxFindsAGroupGone(t *testing.T) {
	r := newTeamRig(t, rigOptions{checkEvery: time.Hour}) // the outbox, not the checks, finds out
	g1 := r.poolGroup("Spare 1")
	users := []*telegramtest.User{r.starter("Anna", "ca"), r.starter("Pau", "ca")}
	team := r.formTeam(users...)
	r.active(team.ID, g1)
	g2 := r.poolGroup("Spare 2")

	// Telegram tells the bot nothing when a group is deleted; a message
	// queued for the group finds out.
	g1.Delete()
	if _, err := r.db.Enqueue(context.Background(), multaque.OutboxItem{Kind: "broadcast", Chat: g1.ID, Text: "hello", Owner: "team/" + team.ID}); err != nil {
		t.Fatal(err)
	}
	r.active(team.ID, g2)
	if s := r.poolStatus(g1.ID); s != multaque.PoolBroken {
		t.Errorf("pool status of the deleted group %q, want broken", s)
	}
}

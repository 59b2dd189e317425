package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
)

// teamRig is the real bot, Sender and Provisioner on a real bbolt file,
// polling the fake Telegram, with one coordinator who has started the bot.
type teamRig struct {
	*harness // for its survey and texts; its bot is this rig's
	// coord is Carme, a configured coordinator of every community, with
	// no record; coord2 is Pau, with rigOptions.secondCoordinator.
	coord, coord2 *telegramtest.User
	// live is the bot's catalogue, with rigOptions.liveCatalog.
	live                        *catalog.Live
	checkEvery                  time.Duration
	settleAfter, waitAlertAfter time.Duration
	prov                        *bot.Provisioner
	stopProv                    func()
	stop                        func()
}

// rigOptions change a teamRig.
type rigOptions struct {
	reminderAfter time.Duration
	// transport wraps the bot's HTTP transport, to inject faults.
	transport func(http.RoundTripper) http.RoundTripper
	// noProvisioner leaves the Provisioner to the test.
	noProvisioner bool
	// checkEvery is the Provisioner's CheckGroupsEvery (default 300ms).
	checkEvery time.Duration
	// settleAfter and waitAlertAfter are the Provisioner's SettleAfter
	// and WaitAlertAfter (default its own).
	settleAfter, waitAlertAfter time.Duration
	// liveCatalog gives the bot the live catalogue cmd/multaque wires (the
	// file's, with approved proposals and thresholds on top) and the
	// OnCatalogChange hook that rebuilds it after each change. The rig's
	// live is it; its harness's cat stays the file's.
	liveCatalog bool
	// secondCoordinator adds Pau, a coordinator of every community with a
	// record in English, who has started the bot: the rig's coord2.
	secondCoordinator bool
	// now is the bot's clock (bot.Options.Now); nil is time.Now.
	now func() time.Time
}

func newTeamRig(t *testing.T, o rigOptions) *teamRig {
	t.Helper()
	h := newIdleHarness(t)
	h.openStore()
	srv := h.srv
	var err error
	r := &teamRig{harness: h, coord: srv.NewUser("Carme", "ca"), checkEvery: o.checkEvery, settleAfter: o.settleAfter, waitAlertAfter: o.waitAlertAfter}
	if r.checkEvery == 0 {
		r.checkEvery = 300 * time.Millisecond
	}
	client := srv.Client()
	if o.transport != nil {
		client = &http.Client{Transport: o.transport(client.Transport), Timeout: client.Timeout}
	}
	if o.reminderAfter == 0 {
		o.reminderAfter = time.Hour
	}
	var cat bot.Catalog = h.cat
	var onCatalogChange func(ctx context.Context) error
	if o.liveCatalog {
		r.live = catalog.NewLive(h.cat, h.texts)
		cat = r.live
		onCatalogChange = func(ctx context.Context) error {
			return r.live.Reload(ctx, func(ctx context.Context) (catalog.Overlay, error) {
				approved, err := h.db.Proposals(ctx, multaque.ProposalApproved)
				if err != nil {
					return catalog.Overlay{}, err
				}
				ts, err := h.db.Thresholds(ctx)
				return catalog.Overlay{Proposals: approved, Thresholds: ts}, err
			})
		}
	}
	coordinators := []int64{r.coord.ID}
	if o.secondCoordinator {
		// Carme has no record: the bot writes to her in the default
		// language, Catalan. Pau has one, in English.
		r.coord2 = srv.NewUser("Pau", "en")
		coordinators = append(coordinators, r.coord2.ID)
		err := h.db.SaveCoordinator(context.Background(), &multaque.Coordinator{ID: r.coord2.ID, Lang: multaque.English, AddedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}
	h.bot, err = bot.New(bot.Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: h.db, Catalog: cat, Texts: h.texts, Client: client,
		Logger: zerolog.New(h.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
		Coordinators: coordinators, ReminderAfter: o.reminderAfter, OnCatalogChange: onCatalogChange, Now: o.now,
		FloodLimit: -1, // tests type faster than people; bot/intake_test.go tests the limit
	})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	sender, err := outbox.New(h.bot.Wire(), h.db, outbox.Options{Logger: h.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond, ChatGone: h.bot.ChatGone})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { h.bot.Run(ctx); done <- struct{}{} }()
	go func() { sender.Run(ctx); done <- struct{}{} }()
	if !o.noProvisioner {
		r.prov = r.startProvisioner(sender)
	}
	var stopOnce sync.Once // a test may stop the rig to restart its bot (decisions_test.go)
	r.stop = func() {
		stopOnce.Do(func() {
			if r.stopProv != nil {
				r.stopProv()
			}
			cancel()
			<-done
			<-done
			if err := h.db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if strings.Contains(h.logs.String(), srv.Token()) {
				t.Errorf("the bot token appears in the logs")
			}
		})
	}
	t.Cleanup(r.stop)
	for _, u := range []*telegramtest.User{r.coord, r.coord2} {
		if u != nil {
			u.Send("/start")
			u.Expect(t, "Multaque")
		}
	}
	return r
}

// startProvisioner runs a Provisioner that looks at the groups often,
// until stopProv.
func (r *teamRig) startProvisioner(sender *outbox.Sender) *bot.Provisioner {
	r.t.Helper()
	p, err := r.bot.NewProvisioner(bot.ProvisionerOptions{Interval: 100 * time.Millisecond, CheckGroupsEvery: r.checkEvery, SettleAfter: r.settleAfter, WaitAlertAfter: r.waitAlertAfter, Sender: sender})
	if err != nil {
		r.t.Fatalf("NewProvisioner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	r.stopProv = func() { cancel(); <-done; r.stopProv = nil }
	return p
}

// eventually waits up to 10 s for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	// Generous: it bounds only a failing test, and CI runs every package
	// under -race on two cores.
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fromBot counts the bot's messages to u containing substr.
func fromBot(u *telegramtest.User, substr string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range u.Messages() {
		if m.FromBot && strings.Contains(m.Text, substr) {
			out = append(out, m)
		}
	}
	return out
}

// poolGroup has the coordinator create a supergroup and add the bot to it
// with every right, and waits until the pool holds it.
func (r *teamRig) poolGroup(title string) *telegramtest.Group {
	r.t.Helper()
	g := r.srv.NewSupergroup(title, r.coord)
	g.AddBot(r.coord, telegramtest.BotAdminRights)
	eventually(r.t, title+" is in the pool", func() bool { s := r.poolStatus(g.ID); return s == multaque.PoolFree || s == multaque.PoolUsed })
	return g
}

// poolStatus is the pool's status of a group, "" if it is not in the pool.
func (r *teamRig) poolStatus(chat int64) multaque.PoolStatus {
	gs, err := r.db.PoolGroups(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, g := range gs {
		if g.Chat == chat {
			return g.Status
		}
	}
	return ""
}

// starter creates a user who started the bot and stores them as a citizen
// of gracia wanting the consumer group, without the survey.
func (r *teamRig) starter(name string, lang multaque.Lang) *telegramtest.User {
	r.t.Helper()
	u := r.srv.NewUser(name, string(lang))
	u.Send("/start")
	u.Expect(r.t, "Multaque")
	now := time.Now()
	err := r.db.SaveCitizen(context.Background(), &multaque.Citizen{
		ID: u.ID, Lang: lang, Name: name, Community: "gracia", ConsentAt: now, UpdatedAt: now,
		Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
		Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
	})
	if err != nil {
		r.t.Fatalf("SaveCitizen: %v", err)
	}
	return u
}

// formTeam forms a team of users for the consumer group in gracia, as the
// matcher would.
func (r *teamRig) formTeam(users ...*telegramtest.User) *multaque.Team {
	r.t.Helper()
	team := multaque.Team{Community: "gracia", Project: "consumer-group"}
	for _, u := range users {
		team.Members = append(team.Members, multaque.TeamMember{Citizen: u.ID})
	}
	formed, err := r.db.FormTeam(context.Background(), team, time.Now(), nil)
	if err != nil {
		r.t.Fatalf("FormTeam: %v", err)
	}
	if r.prov != nil {
		r.prov.Wake()
	}
	return formed
}

// team reads a team.
func (r *teamRig) team(id string) *multaque.Team {
	r.t.Helper()
	t, err := r.db.Team(context.Background(), id)
	if err != nil {
		r.t.Fatalf("Team(%s): %v", id, err)
	}
	return t
}

// active waits until the team is active in group g and returns it.
func (r *teamRig) active(id string, g *telegramtest.Group) *multaque.Team {
	r.t.Helper()
	var t *multaque.Team
	eventually(r.t, "team "+id+" is active in "+g.String(), func() bool {
		t = r.team(id)
		return t.Status == multaque.TeamActive && t.Chat == g.ID
	})
	return t
}

func (r *teamRig) waiting() int {
	r.t.Helper()
	n, err := r.db.CountWaiting(context.Background(), "gracia", []string{"consumer-group"})
	if err != nil {
		r.t.Fatal(err)
	}
	return n["consumer-group"]
}

func TestPoolTakesGroupsFromCoordinatorsOnly(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	botID := r.srv.BotUser().ID

	g1 := r.poolGroup("Spare 1")
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_accepted", map[string]any{"Count": 1}))
	r.poolGroup("Spare 2")
	r.coord.Expect(t, r.textWith(multaque.Catalan, "pool_accepted", map[string]any{"Count": 2}))

	// Someone who is not a coordinator: the bot leaves, nothing is stored.
	stranger := r.srv.NewUser("Xavi", "es")
	g3 := r.srv.NewSupergroup("Xavi's", stranger)
	g3.AddBot(stranger, telegramtest.BotAdminRights)
	eventually(t, "the bot leaves the stranger's group", func() bool { return g3.Status(botID) == "left" })
	if s := r.poolStatus(g3.ID); s != "" {
		t.Errorf("the stranger's group is in the pool as %q, want not at all", s)
	}
	g3.Expect(t, r.text(multaque.Spanish, "pool_only_coordinators"))

	// A coordinator without enough rights: told which, not added.
	g4 := r.srv.NewSupergroup("Partial", r.coord)
	g4.AddBot(r.coord, telegramtest.AdminRights{InviteUsers: true, PinMessages: true})
	told := r.coord.Expect(t, r.text(multaque.Catalan, "pool_missing_rights"))
	for _, right := range []string{"pool_right_restrict_members", "pool_right_change_info"} {
		if !strings.Contains(told.Text, r.text(multaque.Catalan, right)) {
			t.Errorf("missing-rights message %q does not name %s", told.Text, right)
		}
	}
	if strings.Contains(told.Text, r.text(multaque.Catalan, "pool_right_pin_messages")) {
		t.Errorf("missing-rights message %q names a right the bot has", told.Text)
	}
	if s := r.poolStatus(g4.ID); s != "" || g4.Status(botID) != "administrator" {
		t.Errorf("group without rights: pool status %q, bot %s; want not in the pool, bot still there", s, g4.Status(botID))
	}
	// Given the rights, it joins the pool.
	g4.AddBot(r.coord, telegramtest.BotAdminRights)
	eventually(t, "the promoted group joins the pool", func() bool { return r.poolStatus(g4.ID) == multaque.PoolFree })

	// Removed or demoted: out of the pool.
	g1.RemoveBot(r.coord)
	eventually(t, "the group the bot was removed from breaks", func() bool { return r.poolStatus(g1.ID) == multaque.PoolBroken })
	g4.AddBot(r.coord, telegramtest.AdminRights{InviteUsers: true})
	eventually(t, "the group the bot was demoted in breaks", func() bool { return r.poolStatus(g4.ID) == multaque.PoolBroken })
	n, err := r.db.PoolCounts(context.Background())
	if err != nil || n[multaque.PoolFree] != 1 || n[multaque.PoolBroken] != 2 {
		t.Errorf("PoolCounts=%v, %v; want 1 free, 2 broken", n, err)
	}
}

func TestTeamGroupEndToEnd(t *testing.T) {
	const reminderAfter = 3 * time.Second
	r := newTeamRig(t, rigOptions{reminderAfter: reminderAfter})
	g1 := r.poolGroup("Spare 1")
	g2 := r.poolGroup("Spare 2")

	// Eight neighbours of Gràcia do the survey: most speak Catalan.
	langs := []multaque.Lang{"ca", "ca", "es", "ca", "en", "ca", "es", "ca"}
	var users []*telegramtest.User
	for i, lang := range langs {
		u := r.srv.NewUser(fmt.Sprintf("Veí %d", i+1), string(lang))
		r.harness.t = t
		r.survey(u, lang, fmt.Sprintf("Veí %d", i+1))
		users = append(users, u)
	}
	if n := r.waiting(); n != 8 {
		t.Fatalf("waiting=%d, want 8", n)
	}
	formed := r.formTeam(users...)
	team := r.active(formed.ID, g1)

	// The group: renamed in Catalan, described, welcome with the plan pinned.
	p, _ := r.cat.Project("consumer-group")
	if want := p.Name.In("ca") + " · Gràcia"; g1.Title() != want {
		t.Errorf("group title %q, want %q", g1.Title(), want)
	}
	if g1.Description() != p.Pitch.In("ca") {
		t.Errorf("group description %q, want the pitch %q", g1.Description(), p.Pitch.In("ca"))
	}
	welcome := g1.Expect(t, r.text("ca", "team_playbook"))
	if !welcome.Pinned || !strings.Contains(welcome.Text, "1. "+p.Playbook[0].In("ca")) || !strings.Contains(welcome.Text, fmt.Sprintf("%d. ", len(p.Playbook))) {
		t.Errorf("welcome %+v, want it pinned with the numbered playbook", welcome)
	}
	if team.InviteLink == "" || team.Setup != multaque.SetupPinned {
		t.Fatalf("active team %+v, want its invite link and every step done", team)
	}
	if g2.Title() != "Spare 2" {
		t.Errorf("the other pool group was renamed to %q", g2.Title())
	}
	// Below the low-water mark (2) after the claim: the coordinator is told.
	low := r.coord.Expect(t, r.textWith("ca", "pool_low", map[string]any{"Count": 1, "Need": 2}))
	if !strings.Contains(low.Text, "?startgroup=pool&admin=invite_users+restrict_members+pin_messages+change_info") {
		t.Errorf("low-water alert %q has no startgroup link", low.Text)
	}

	// Each member gets an invitation in their language with the button.
	for i, u := range users {
		lang := langs[i]
		m := u.Expect(t, r.textWith(lang, "team_invite", map[string]any{"Count": 8, "Community": r.community(lang, "gracia")}))
		if len(m.Keyboard) != 1 || m.Keyboard[0][0].URL != team.InviteLink || m.Keyboard[0][0].Text != r.text(lang, "team_btn_join") {
			t.Fatalf("invitation of %s has keyboard %+v, want %q to %s", u.FirstName, m.Keyboard, r.text(lang, "team_btn_join"), team.InviteLink)
		}
	}

	// Seven open the link and are let in; the eighth does not come.
	for _, u := range users[:7] {
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatalf("OpenInviteLink: %v", err)
		}
	}
	eventually(t, "seven members in the group and marked so", func() bool {
		in := 0
		for _, m := range r.team(team.ID).Members {
			if m.InChat {
				in++
			}
		}
		return len(g1.Members()) == 8 && in == 7 // the coordinator who created it, and seven
	})

	// A stranger's request is declined, and they are told.
	stranger := r.srv.NewUser("Intrús", "es")
	r.survey(stranger, "es", "Intrús")
	if err := stranger.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	stranger.Expect(t, r.text("es", "team_declined"))
	if g1.Status(stranger.ID) != "left" || len(g1.PendingRequests()) != 0 {
		t.Errorf("stranger is %q with pending %v, want declined", g1.Status(stranger.ID), g1.PendingRequests())
	}

	// Coordinators come in only where they oversee: one of Sants-Montjuïc
	// is declined, one of Gràcia let in.
	sants, gracia := r.srv.NewUser("Dani", "ca"), r.srv.NewUser("Gina", "ca")
	for _, c := range []struct {
		u         *telegramtest.User
		community string
	}{{sants, "sants-montjuic"}, {gracia, "gracia"}} {
		err := r.db.SaveCoordinator(context.Background(), &multaque.Coordinator{ID: c.u.ID, Communities: []string{c.community}, Lang: multaque.Catalan, AddedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the coordinator of Gràcia is in the group", func() bool { return g1.Status(gracia.ID) == "member" })
	eventually(t, "the coordinator of Sants-Montjuïc is declined", func() bool { return g1.Status(sants.ID) == "left" })

	// A member who leaves the group leaves the team and waits again.
	waiting := r.waiting()
	users[1].Leave(g1)
	users[1].Expect(t, r.textWith("ca", "team_left", map[string]any{"Community": "Gràcia"}))
	if n := r.waiting(); n != waiting+1 {
		t.Errorf("waiting=%d after a member left the group, want %d", n, waiting+1)
	}
	if r.team(team.ID).HasMember(users[1].ID) {
		t.Errorf("the member who left the group is still in the team")
	}

	// /leave: out of the team, back in the queue, out of the group.
	users[2].Send("/leave")
	users[2].Expect(t, r.text("es", "leave_choose"))
	users[2].Press(t, p.Name.In("es")+" · Gracia")
	users[2].Expect(t, r.textWith("es", "leave_done", map[string]any{"Community": "Gracia"}))
	if n := r.waiting(); n != waiting+2 {
		t.Errorf("waiting=%d after /leave, want %d", n, waiting+2)
	}
	eventually(t, "the member who said /leave is out of the group", func() bool { return g1.Status(users[2].ID) == "left" })
	if r.team(team.ID).HasMember(users[2].ID) {
		t.Errorf("the member who said /leave is still in the team")
	}

	// The one who never came gets one reminder, and only one.
	reminder := r.text("ca", "team_reminder")
	users[7].Expect(t, reminder)
	time.Sleep(500 * time.Millisecond)
	for i, u := range users {
		want := 0
		if i == 7 {
			want = 1
		}
		if n := len(fromBot(u, reminder[:20])); n != want {
			t.Errorf("%s got %d reminders, want %d", u.FirstName, n, want)
		}
	}

	// The group is deleted: the team gets the other group and its members
	// a new invitation.
	g1.Delete()
	team = r.active(team.ID, g2)
	if want := p.Name.In("ca") + " · Gràcia"; g2.Title() != want {
		t.Errorf("new group title %q, want %q", g2.Title(), want)
	}
	if r.poolStatus(g1.ID) != multaque.PoolBroken {
		t.Errorf("deleted group is %q in the pool, want broken", r.poolStatus(g1.ID))
	}
	for i, u := range users {
		if !team.HasMember(u.ID) {
			continue
		}
		lang := langs[i]
		invite := r.textWith(lang, "team_invite", map[string]any{"Count": 6, "Community": r.community(lang, "gracia")})
		u.WaitUntil(t, "a second invitation", func(ms []telegramtest.Message) bool {
			for _, m := range ms {
				if m.FromBot && strings.Contains(m.Text, invite) && len(m.Keyboard) == 1 && m.Keyboard[0][0].URL == team.InviteLink {
					return true
				}
			}
			return false
		})
	}
}

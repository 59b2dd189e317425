package bot_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
)

// planClock is a clock a test moves by hand.
type planClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *planClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *planClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// planRig is a teamRig whose bot also runs the plans' runner, with a
// clock the test may pin and, with pacing, the production pacing against a
// fake Telegram that enforces Telegram's limits (sped up).
type planRig struct {
	*teamRig
	noRunner bool
	clock    *planClock                    // nil: real time
	scoped   map[string]*telegramtest.User // planRigOptions.scoped, by name
	runPlans func()                        // starts the plans' runner (planRigOptions.noRunner)
}

type planRigOptions struct {
	pinned bool // the bot's clock is the rig's clock
	pacing bool // production pacing, and Telegram's limits in the fake
	// noRunner leaves the plans' runner to the test (PlanPass, runPlans).
	noRunner bool
	// scoped are coordinators stored before the bot starts (name →
	// communities), Spanish speakers who have started the bot.
	scoped map[string][]string
}

func newPlanRig(t *testing.T, o planRigOptions) *planRig {
	t.Helper()
	h := newIdleHarness(t)
	h.openStore()
	srv := h.srv
	var err error
	r := &planRig{teamRig: &teamRig{harness: h, coord: srv.NewUser("Carme", "ca"), checkEvery: 300 * time.Millisecond}, scoped: map[string]*telegramtest.User{}, noRunner: o.noRunner}
	for name, communities := range o.scoped {
		r.scoped[name] = h.scopedCoordinator(t, name, communities...)
	}
	opts := bot.Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: h.db, Catalog: h.cat, Texts: h.texts, Client: srv.Client(),
		Logger: zerolog.New(h.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
		Coordinators: []int64{r.coord.ID}, ReminderAfter: time.Hour,
	}
	if o.pinned {
		r.clock = &planClock{t: time.Now().UTC()}
		opts.Now = r.clock.Now
	}
	if o.pacing {
		// Telegram's limits, 20 times faster: a group's minute lasts 3 s.
		lim := telegramtest.TelegramLimits()
		lim.Scale = 20
		srv.SetLimits(lim)
		opts.PerChatInterval, opts.RetryAfterUnit = srv.Second(), srv.Second()
	}
	if h.bot, err = bot.New(opts); err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	sender, err := outbox.New(h.bot.Wire(), h.db, outbox.Options{Logger: h.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond, ChatGone: h.bot.ChatGone})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(){func() { h.bot.Run(ctx) }, func() { sender.Run(ctx) }} {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	r.runPlans = func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.bot.RunPlans(ctx, bot.PlanOptions{Every: 100 * time.Millisecond, Debounce: 300 * time.Millisecond}); err != nil {
				t.Errorf("RunPlans: %v", err)
			}
		}()
	}
	if !o.noRunner {
		r.runPlans()
	}
	r.prov = r.startProvisioner(sender)
	r.stop = func() {
		if r.stopProv != nil {
			r.stopProv()
		}
		cancel()
		wg.Wait()
		if err := h.db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if strings.Contains(h.logs.String(), srv.Token()) {
			t.Errorf("the bot token appears in the logs")
		}
	}
	t.Cleanup(r.stop)
	for _, u := range append([]*telegramtest.User{r.coord}, slices.Collect(maps.Values(r.scoped))...) {
		u.Send("/start")
		u.Expect(t, "Multaque")
	}
	return r
}

// planTeam forms a team of the users (with mentor, if not nil) in a new
// pool group, has them join it, and waits until its plan is pinned there.
func (r *planRig) planTeam(mentor *telegramtest.User, users ...*telegramtest.User) (*multaque.Team, *telegramtest.Group, telegramtest.Message) {
	t := r.t
	t.Helper()
	team := multaque.Team{Community: "gracia", Project: "consumer-group"}
	for _, u := range users {
		team.Members = append(team.Members, multaque.TeamMember{Citizen: u.ID})
	}
	if mentor != nil {
		team.Mentor = mentor.ID
		m := multaque.Mentor{ID: mentor.ID, Name: mentor.FirstName, Lang: multaque.Lang(mentor.LanguageCode), Projects: []string{"consumer-group"}, Capacity: 3, JoinedAt: time.Now()}
		if err := r.db.SaveMentor(context.Background(), m); err != nil {
			t.Fatalf("SaveMentor: %v", err)
		}
	}
	now := time.Now()
	if r.clock != nil {
		now = r.clock.Now()
	}
	formed, err := r.db.FormTeam(context.Background(), team, now, nil)
	if err != nil {
		t.Fatalf("FormTeam: %v", err)
	}
	g := r.poolGroup(fmt.Sprintf("Pool %s", formed.ID))
	r.prov.Wake()
	active := r.active(formed.ID, g)
	for _, u := range users {
		if err := u.OpenInviteLink(active.InviteLink); err != nil {
			t.Fatalf("OpenInviteLink: %v", err)
		}
	}
	eventually(t, "the members are in the group", func() bool {
		for _, u := range users {
			if !g.IsMember(u.ID) {
				return false
			}
		}
		return true
	})
	if r.noRunner {
		if err := r.bot.PlanPass(context.Background()); err != nil {
			t.Fatalf("PlanPass: %v", err)
		}
	}
	return active, g, r.pinnedPlan(g, func(telegramtest.Message) bool { return true })
}

// pinnedPlan waits until the group's pinned plan satisfies ok and returns it.
func (r *planRig) pinnedPlan(g *telegramtest.Group, ok func(telegramtest.Message) bool) telegramtest.Message {
	r.t.Helper()
	var plan telegramtest.Message
	title := plainOf(r.text(multaque.Catalan, "plan_title"))
	eventually(r.t, "the plan is pinned in "+g.String(), func() bool {
		for _, m := range g.Messages() {
			if m.FromBot && m.Pinned && strings.Contains(m.Text, title) && ok(m) {
				plan = m
				return true
			}
		}
		return false
	})
	return plan
}

// storedPlan reads a team's plan.
func (r *planRig) storedPlan(team string) *multaque.Plan {
	r.t.Helper()
	p, err := r.db.Plan(context.Background(), team)
	if err != nil {
		r.t.Fatalf("Plan(%s): %v", team, err)
	}
	return p
}

// plainOf is an HTML text as Telegram shows it: without its tags.
func plainOf(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#39;", "'", "&#34;", `"`).Replace(b.String())
}

// tickData is the callback data of step id's button.
func tickData(id int) string { return fmt.Sprintf("ptick|0|%d", id) }

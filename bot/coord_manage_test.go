package bot_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
)

var (
	setupCodeLogged = regexp.MustCompile(`"setup_code":"([A-Z2-7]+)"`)
	coordinatorLink = regexp.MustCompile(`https://t\.me/([A-Za-z0-9_]+)\?start=k_([a-z0-9]+)`)
)

// roleSetupCode is the last setup code the bot logged.
func (h *harness) roleSetupCode(t *testing.T) string {
	t.Helper()
	all := setupCodeLogged.FindAllStringSubmatch(h.logs.String(), -1)
	if len(all) == 0 {
		t.Fatalf("no setup code in the log:\n%s", h.logs.String())
	}
	return all[len(all)-1][1]
}

// roleInvite has inviter run /coordinatorinvite with args and returns the
// code of the link they get.
func (h *harness) roleInvite(t *testing.T, inviter *telegramtest.User, args string) string {
	t.Helper()
	inviter.Send(strings.TrimSpace("/coordinatorinvite " + args))
	msg := inviter.Expect(t, "?start=k_")
	m := coordinatorLink.FindStringSubmatch(msg.Text)
	if m == nil || m[1] != h.bot.Username() {
		t.Fatalf("/coordinatorinvite answered %q, want a t.me link to this bot with start=k_<code>", msg.Text)
	}
	return m[2]
}

// roleScopeText names a scope as the bot does.
func (h *harness) roleScopeText(lang multaque.Lang, communities []string) string {
	if len(communities) == 0 {
		return h.text(lang, "role_scope_all")
	}
	names := make([]string, len(communities))
	for i, id := range communities {
		names[i] = h.community(lang, id)
	}
	return strings.Join(names, ", ")
}

// roleMake has inviter invite a new person, who speaks Catalan, as a
// coordinator of communities, and has them open the link.
func (h *harness) roleMake(t *testing.T, inviter *telegramtest.User, name string, communities ...string) *telegramtest.User {
	t.Helper()
	u := h.srv.NewUser(name, "ca")
	code := h.roleInvite(t, inviter, strings.Join(communities, " "))
	u.Send("/start k_" + code)
	u.Expect(t, h.textWith(multaque.Catalan, "role_welcome", map[string]any{"Scope": h.roleScopeText(multaque.Catalan, communities)}))
	return u
}

// roleStored is the stored coordinator id, nil if there is none.
func (h *harness) roleStored(t *testing.T, id int64) *multaque.Coordinator {
	t.Helper()
	c, err := h.db.Coordinator(context.Background(), id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatalf("Coordinator(%d): %v", id, err)
	}
	return c
}

// roleAudit is the audit log, newest first.
func (h *harness) roleAudit(t *testing.T) []multaque.AuditEntry {
	t.Helper()
	log, err := h.db.AuditLog(context.Background(), 100_000)
	if err != nil {
		t.Fatalf("AuditLog: %v", err)
	}
	return log
}

// roleAudited fails the test unless the newest audit entry is by actor,
// for command, refused or not as said.
func (h *harness) roleAudited(t *testing.T, actor int64, command string, refused bool) multaque.AuditEntry {
	t.Helper()
	log := h.roleAudit(t)
	if len(log) == 0 {
		t.Fatalf("the audit log is empty, want an entry by %d for %s", actor, command)
	}
	e := log[0]
	if e.Actor != actor || e.Command != command || e.Refused != refused {
		t.Fatalf("newest audit entry %+v, want actor %d, command %s, refused %v", e, actor, command, refused)
	}
	if e.At.IsZero() || e.At.Location() != time.UTC {
		t.Errorf("audit entry at %v, want a time in UTC", e.At)
	}
	return e
}

// roleSnapshot is every key and value of the database but the audit log,
// the recent update ids and the outbox's dedup keys: what a refused
// command must leave as it was.
func (h *harness) roleSnapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(prefix+string(k)+"/", b.Bucket(k))
			} else {
				out[prefix+string(k)] = string(v)
			}
			return nil
		})
	}
	h.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if n := string(name); n != "audit" && n != "updates" {
				walk(n+"/", b)
			}
			return nil
		})
	})
	return out
}

func menuNames(cmds []telegramtest.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Text)
	}
	return out
}

// adminNames are the coordinators' commands: the registry's and
// /mentorinvite.
func adminNames(b *bot.Bot) []string {
	names := bot.AdminCommandNames(b)
	if !slices.Contains(names, "mentorinvite") {
		names = append(names, "mentorinvite")
	}
	return names
}

// TestClaimFirstCoordinator: with no coordinator, the log holds a setup
// code; /claim with it makes the sender the first coordinator, of every
// community, once. Wrong codes, a second claim and a coordinator's claim
// are refused in one sentence and audited.
func TestClaimFirstCoordinator(t *testing.T) {
	h := newHarness(t)
	ca, en := multaque.Catalan, multaque.English
	code := h.roleSetupCode(t)
	if len(code) < 26 {
		t.Fatalf("setup code %q, want at least 26 characters", code)
	}
	carme := h.srv.NewUser("Carme", "ca")
	ivan := h.srv.NewUser("Ivan", "en")

	ivan.Send("/claim")
	ivan.Expect(t, h.text(en, "role_claim_usage"))
	ivan.Send("/claim " + strings.Repeat("A", len(code)))
	ivan.Expect(t, h.text(en, "role_claim_refused"))
	h.roleAudited(t, ivan.ID, "claim", true)
	ivan.Send("/audit")
	ivan.Expect(t, h.text(en, "admin_refused"))

	carme.Send("/claim " + strings.ToLower(code)) // typed as it comes
	carme.Expect(t, h.text(ca, "role_claimed"))
	c := h.roleStored(t, carme.ID)
	if c == nil || len(c.Communities) != 0 || c.Name != "Carme" || c.Lang != ca {
		t.Fatalf("stored coordinator %+v, want Carme, in Catalan, of every community", c)
	}
	if e := h.roleAudited(t, carme.ID, "claim", false); e.Detail == "" {
		t.Errorf("the claim's audit entry has no detail")
	}
	if menu := menuNames(h.srv.Menu(carme.ID, "ca")); !slices.Contains(menu, "audit") || !slices.Contains(menu, "start") {
		t.Errorf("Carme's menu %v, want the citizens' and the coordinators' commands", menu)
	}

	// The code is used up; a coordinator's claim is refused too.
	ivan.Send("/claim " + code)
	ivan.Expect(t, h.text(en, "role_claim_refused"))
	h.roleAudited(t, ivan.ID, "claim", true)
	carme.Send("/claim " + code)
	carme.Expect(t, h.text(ca, "role_already_coordinator"))
	h.roleAudited(t, carme.ID, "claim", true)
	if h.roleStored(t, ivan.ID) != nil {
		t.Fatalf("Ivan is stored as a coordinator")
	}

	// A restart loads her from the store, and logs no new code.
	logged := len(setupCodeLogged.FindAllString(h.logs.String(), -1))
	h.shutdown()
	h.start()
	carme.Send("/coordinators")
	carme.Expect(t, strconv.FormatInt(carme.ID, 10))
	if n := len(setupCodeLogged.FindAllString(h.logs.String(), -1)); n != logged {
		t.Errorf("setup codes logged=%d after a restart with a coordinator, want %d", n, logged)
	}
	g := h.srv.NewSupergroup("Spare", carme)
	g.AddBot(carme, telegramtest.BotAdminRights)
	carme.Expect(t, h.textWith(ca, "pool_accepted", map[string]any{"Count": 1}))
}

// TestSetupCodeBurntAfterWrongTries: the wrong code that reaches the limit
// burns the setup code, and the log gets a new one.
func TestSetupCodeBurntAfterWrongTries(t *testing.T) {
	h := newHarness(t)
	es := multaque.Spanish
	first := h.roleSetupCode(t)
	u := h.srv.NewUser("Lucía", "es")
	for i := range 5 {
		u.Send(fmt.Sprintf("/claim WRONG%d", i))
		u.Expect(t, h.text(es, "role_claim_refused"))
	}
	second := h.roleSetupCode(t)
	if second == first {
		t.Fatalf("the setup code is still %q after 5 wrong tries", first)
	}
	u.Send("/claim " + first)
	u.Expect(t, h.text(es, "role_claim_refused"))
	if h.roleStored(t, u.ID) != nil {
		t.Fatalf("a burnt setup code made a coordinator")
	}
	refused := 0
	for _, e := range h.roleAudit(t) {
		if e.Actor == u.ID && e.Command == "claim" && e.Refused {
			refused += e.Count // a day's refusals with one detail are one entry
		}
	}
	if refused != 6 {
		t.Errorf("refused claims audited=%d, want 6", refused)
	}
	u.Send("/claim " + second)
	u.Expect(t, h.text(es, "role_claimed"))
}

// TestLastCoordinatorOfEveryCommunityStays: nobody removes, or limits, the
// last coordinator of every community.
func TestLastCoordinatorOfEveryCommunityStays(t *testing.T) {
	h := newHarness(t)
	ca := multaque.Catalan
	carme := h.srv.NewUser("Carme", "ca")
	carme.Send("/claim " + h.roleSetupCode(t))
	carme.Expect(t, h.text(ca, "role_claimed"))
	anna := h.roleMake(t, carme, "Anna", "gracia")
	id := strconv.FormatInt(carme.ID, 10)

	carme.Send("/removecoordinator " + id)
	carme.Expect(t, h.textWith(ca, "role_last_unscoped", map[string]any{"ID": carme.ID}))
	h.roleAudited(t, carme.ID, "removecoordinator", true)
	carme.Send("/scope " + id + " gracia")
	carme.Expect(t, h.textWith(ca, "role_last_unscoped", map[string]any{"ID": carme.ID}))
	h.roleAudited(t, carme.ID, "scope", true)
	if c := h.roleStored(t, carme.ID); c == nil || len(c.Communities) != 0 {
		t.Fatalf("Carme is %+v, want a coordinator of every community still", c)
	}

	// With another one, she may step down.
	carme.Send("/scope " + strconv.FormatInt(anna.ID, 10) + " all")
	carme.Expect(t, h.textWith(ca, "role_scope_set", map[string]any{"ID": anna.ID, "Scope": h.text(ca, "role_scope_all")}))
	carme.Send("/removecoordinator " + id)
	carme.Expect(t, h.textWith(ca, "role_removed", map[string]any{"ID": carme.ID}))
	if h.roleStored(t, carme.ID) != nil {
		t.Fatalf("Carme is still stored")
	}
	carme.Send("/coordinators")
	carme.Expect(t, h.text(ca, "admin_refused"))
}

// TestCoordinatorInvite: a coordinator's invite link makes whoever opens
// it a coordinator with the invite's scope, once, and tells the inviter;
// the new coordinator gets the menu and may add groups to the pool. Used,
// forged and expired links say so and change nothing.
func TestCoordinatorInvite(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca, es := multaque.Catalan, multaque.Spanish
	sender, err := outbox.New(h.bot.Wire(), h.db, outbox.Options{Logger: h.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sender.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	carme.Send("/coordinatorinvite nowhere")
	carme.Expect(t, h.textWith(ca, "role_unknown_community", map[string]any{"Community": "nowhere"}))
	carme.Send("/coordinatorinvite " + strings.Repeat("gracia ", 21))
	carme.Expect(t, h.text(ca, "role_invite_usage"))
	if n := h.codes(t); n != 0 {
		t.Fatalf("codes held=%d after bad invites, want 0", n)
	}

	code := h.roleInvite(t, carme, "gracia")
	h.roleAudited(t, carme.ID, "coordinatorinvite", false)
	by, scope, err := h.db.CheckCoordinatorCode(context.Background(), code, time.Now().Add(7*24*time.Hour-time.Minute))
	if err != nil || by != carme.ID || !slices.Equal(scope, []string{"gracia"}) {
		t.Fatalf("CheckCoordinatorCode in 7 days=%d, %v, %v; want Carme's invite for gracia", by, scope, err)
	}
	nuria := h.srv.NewUser("Núria", "es")
	nuria.Send("/start k_" + code)
	nuria.Expect(t, h.textWith(es, "role_welcome", map[string]any{"Scope": h.community(es, "gracia")}))
	c := h.roleStored(t, nuria.ID)
	if c == nil || !slices.Equal(c.Communities, []string{"gracia"}) || c.Name != "Núria" || c.Lang != es {
		t.Fatalf("stored %+v, want Núria, in Spanish, of gracia", c)
	}
	h.roleAudited(t, nuria.ID, "coordinatorinvite", false)
	carme.Expect(t, h.textWith(ca, "role_invite_accepted", map[string]any{"Name": "Núria", "ID": nuria.ID, "Scope": h.community(ca, "gracia")}))
	menu := h.srv.Menu(nuria.ID, "es")
	if !slices.Contains(menuNames(menu), "coordinatorinvite") {
		t.Errorf("Núria's menu %v, want the coordinators' commands", menuNames(menu))
	}
	g := h.srv.NewSupergroup("Spare", nuria)
	g.AddBot(nuria, telegramtest.BotAdminRights)
	nuria.Expect(t, h.textWith(es, "pool_accepted", map[string]any{"Count": 1}))

	// The link works once; a forged one does nothing.
	pau := h.srv.NewUser("Pau", "ca")
	pau.Send("/start k_" + code)
	pau.Expect(t, h.text(ca, "role_invite_used"))
	pau.Send("/start k_abcdefghijklmnopqrstuvwxyz")
	pau.Expect(t, h.text(ca, "role_invite_used"))
	if h.roleStored(t, pau.ID) != nil {
		t.Fatalf("a used or forged link made Pau a coordinator")
	}

	// A coordinator opening an invite leaves it for someone else.
	code = h.roleInvite(t, carme, "")
	nuria.Send("/start k_" + code)
	nuria.Expect(t, h.text(es, "role_already_coordinator"))
	pau.Send("/start k_" + code)
	pau.Expect(t, h.textWith(ca, "role_welcome", map[string]any{"Scope": h.text(ca, "role_scope_all")}))
	if c := h.roleStored(t, pau.ID); c == nil || len(c.Communities) != 0 {
		t.Fatalf("stored %+v, want Pau, of every community", c)
	}

	// An expired link.
	past := time.Now().Add(-8 * 24 * time.Hour)
	code, err = h.db.CreateCoordinatorCode(context.Background(), carme.ID, nil, past, past.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	joan := h.srv.NewUser("Joan", "ca")
	joan.Send("/start k_" + code)
	joan.Expect(t, h.text(ca, "role_invite_expired"))
	if h.roleStored(t, joan.ID) != nil {
		t.Fatalf("an expired link made Joan a coordinator")
	}
}

// TestRemoveCoordinator: a coordinator removes a stored one, who loses
// the commands, the menu and the pool at once, and whose pending invites
// die with their role. Configured coordinators, people who are none and
// malformed ids get a clear answer.
func TestRemoveCoordinator(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca := multaque.Catalan
	anna := h.roleMake(t, carme, "Anna", "barcelona")
	berta := h.roleMake(t, anna, "Berta", "gracia")
	dani := h.roleMake(t, carme, "Dani")

	for _, args := range []string{"", "abc", "-5", "12 13"} {
		carme.Send(strings.TrimSpace("/removecoordinator " + args))
		carme.Expect(t, h.text(ca, "role_remove_usage"))
	}
	dani.Send("/removecoordinator " + strconv.FormatInt(carme.ID, 10))
	dani.Expect(t, h.textWith(ca, "role_remove_configured", map[string]any{"ID": carme.ID}))
	h.roleAudited(t, dani.ID, "removecoordinator", true)
	carme.Send("/removecoordinator 999999")
	carme.Expect(t, h.textWith(ca, "role_not_coordinator", map[string]any{"ID": 999999}))
	h.roleAudited(t, carme.ID, "removecoordinator", true)

	pending := h.roleInvite(t, berta, "")
	carme.Send("/removecoordinator " + strconv.FormatInt(berta.ID, 10))
	carme.Expect(t, h.textWith(ca, "role_removed", map[string]any{"ID": berta.ID}))
	h.roleAudited(t, carme.ID, "removecoordinator", false)
	if h.roleStored(t, berta.ID) != nil {
		t.Fatalf("Berta is still stored")
	}
	berta.Send("/coordinators")
	berta.Expect(t, h.text(ca, "admin_refused"))
	h.roleAudited(t, berta.ID, "coordinators", true)
	if menu := menuNames(h.srv.Menu(berta.ID, "ca")); slices.Contains(menu, "coordinators") {
		t.Errorf("Berta's menu %v still has the coordinators' commands", menu)
	}
	g := h.srv.NewSupergroup("Hers", berta)
	g.AddBot(berta, telegramtest.BotAdminRights)
	g.Expect(t, h.text(ca, "pool_only_coordinators"))

	eva := h.srv.NewUser("Eva", "ca")
	eva.Send("/start k_" + pending)
	eva.Expect(t, h.text(ca, "role_invite_void"))
	if h.roleStored(t, eva.ID) != nil {
		t.Fatalf("a removed coordinator's invite made Eva a coordinator")
	}
}

// TestScope: a coordinator of every community sets what another oversees;
// malformed and unknown scopes get the usage line.
func TestScope(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca := multaque.Catalan
	anna := h.roleMake(t, carme, "Anna", "gracia")
	id := strconv.FormatInt(anna.ID, 10)

	for _, args := range []string{"", "abc all", id, "0 all"} {
		carme.Send(strings.TrimSpace("/scope " + args))
		carme.Expect(t, h.text(ca, "role_scope_usage"))
	}
	carme.Send("/scope " + id + " gracia nowhere")
	carme.Expect(t, h.textWith(ca, "role_unknown_community", map[string]any{"Community": "nowhere"}))
	carme.Send("/scope 999999 all")
	carme.Expect(t, h.textWith(ca, "role_not_coordinator", map[string]any{"ID": 999999}))
	if c := h.roleStored(t, anna.ID); !slices.Equal(c.Communities, []string{"gracia"}) {
		t.Fatalf("after refused changes Anna oversees %v, want [gracia]", c.Communities)
	}

	carme.Send("/scope " + id + " sants-montjuic,gracia")
	carme.Expect(t, h.textWith(ca, "role_scope_set", map[string]any{"ID": anna.ID, "Scope": h.roleScopeText(ca, []string{"sants-montjuic", "gracia"})}))
	if c := h.roleStored(t, anna.ID); !slices.Equal(c.Communities, []string{"sants-montjuic", "gracia"}) {
		t.Fatalf("Anna oversees %v, want [sants-montjuic gracia]", c.Communities)
	}
	if e := h.roleAudited(t, carme.ID, "scope", false); !strings.Contains(e.Detail, "sants-montjuic,gracia") {
		t.Errorf("audit detail %q, want the new scope by ids", e.Detail)
	}

	// A configured coordinator can be limited too, while someone else
	// oversees everything.
	carme.Send("/scope " + id + " all")
	carme.Expect(t, h.textWith(ca, "role_scope_set", map[string]any{"ID": anna.ID, "Scope": h.text(ca, "role_scope_all")}))
	anna.Send("/scope " + strconv.FormatInt(carme.ID, 10) + " barcelona")
	anna.Expect(t, h.textWith(ca, "role_scope_set", map[string]any{"ID": carme.ID, "Scope": h.community(ca, "barcelona")}))
	if c := h.roleStored(t, carme.ID); c == nil || !slices.Equal(c.Communities, []string{"barcelona"}) {
		t.Fatalf("Carme is %+v, want a record limiting her to barcelona", c)
	}
	carme.Send("/scope " + id + " gracia")
	carme.Expect(t, h.text(ca, "role_scope_only_unscoped"))
	h.roleAudited(t, carme.ID, "scope", true)
}

// TestAudit: /audit shows the latest entries, in UTC, newest first, in as
// many messages as it takes; a coordinator of some communities sees only
// their own.
func TestAudit(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca := multaque.Catalan
	anna := h.roleMake(t, carme, "Anna", "gracia")

	for _, args := range []string{"abc", "0", "-3", "1 2"} {
		carme.Send("/audit " + args)
		carme.Expect(t, h.text(ca, "role_audit_usage"))
	}
	carme.Send("/audit")
	msg := carme.Expect(t, h.text(ca, "role_audit_header"))
	for _, want := range []string{"/coordinatorinvite", strconv.FormatInt(anna.ID, 10), "joined, invited by " + strconv.FormatInt(carme.ID, 10)} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("/audit shows %q, want %q in it", msg.Text, want)
		}
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · `).MatchString(msg.Text) {
		t.Errorf("/audit shows %q, want times as 2006-01-02 15:04:05", msg.Text)
	}
	carme.Send("/audit 1")
	msg = carme.Expect(t, h.text(ca, "role_audit_header"))
	if lines := strings.Split(msg.Text, "\n"); len(lines) != 2 || !strings.Contains(lines[1], "/audit") {
		t.Errorf("/audit 1 shows %q, want the header and the last /audit", msg.Text)
	}

	anna.Send("/audit")
	msg = anna.Expect(t, h.text(ca, "role_audit_header_own"))
	if strings.Contains(msg.Text, " · "+strconv.FormatInt(carme.ID, 10)+" · ") {
		t.Errorf("Anna, of gracia, sees Carme's entries: %q", msg.Text)
	}
	if !strings.Contains(msg.Text, strconv.FormatInt(anna.ID, 10)) {
		t.Errorf("Anna's /audit %q, want her own entries", msg.Text)
	}

	// A long log comes in several messages, each within Telegram's limit.
	for i := range 100 {
		e := multaque.AuditEntry{At: time.Now().UTC(), Actor: carme.ID, Command: "broadcast", Detail: fmt.Sprintf("%03d ", i) + strings.Repeat("é", 95)}
		if err := h.db.Audit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	carme.Send("/audit 500")
	msgs := 0
	carme.WaitUntil(t, "/audit 500 shows the 100 entries it may", func(ms []telegramtest.Message) bool {
		shown := 0
		msgs = 0
		for _, m := range ms {
			if n := strings.Count(m.Text, "/broadcast"); m.FromBot && n > 0 {
				shown += n
				msgs++
			}
		}
		return shown == 100
	})
	if msgs < 2 {
		t.Errorf("/audit 500 came in %d message, want several: one would be too long", msgs)
	}
}

// TestCoordinatorMenus: a citizen's menu has none of the coordinators'
// commands; a coordinator's has them all, described in their language.
func TestCoordinatorMenus(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca := multaque.Catalan
	marta := h.srv.NewUser("Marta", "ca")
	h.survey(marta, ca, "Marta")
	admin := adminNames(h.bot)
	if len(admin) < 5 {
		t.Fatalf("admin commands %v, want at least the five of roles", admin)
	}
	citizen := menuNames(h.srv.Menu(marta.ID, "ca"))
	if len(citizen) == 0 {
		t.Fatalf("Marta has no menu")
	}
	for _, name := range admin {
		if slices.Contains(citizen, name) {
			t.Errorf("a citizen's menu %v has /%s", citizen, name)
		}
	}
	// Telegram takes a menu only for a chat the bot has seen: Carme's
	// comes when she first writes.
	carme.Send("/help")
	carme.Expect(t, h.text(ca, "help"))
	menu := h.srv.Menu(carme.ID, "es") // whatever the app's language
	byName := map[string]string{}
	for _, c := range menu {
		byName[c.Text] = c.Description
	}
	for _, name := range append(slices.Clone(citizen), admin...) {
		if want := h.text(ca, "cmd_"+name); byName[name] != want || strings.HasPrefix(want, "[") {
			t.Errorf("Carme's menu describes /%s as %q, want %q", name, byName[name], want)
		}
	}
	if len(menu) > 100 {
		t.Errorf("the coordinators' menu has %d commands, Telegram takes 100", len(menu))
	}
}

// TestEveryAdminCommandRefusedToCitizens walks every coordinators'
// command as a citizen who is not a coordinator: each gets one neutral
// sentence, nothing changes, and each attempt is audited.
func TestEveryAdminCommandRefusedToCitizens(t *testing.T) {
	h, carme := newMentorHarness(t)
	es := multaque.Spanish
	marta := h.srv.NewUser("Marta", "es")
	h.survey(marta, es, "Marta")
	marta.Send("/help")
	marta.Expect(t, "/mydata")
	before := h.roleSnapshot(t)
	seen := len(marta.Messages())

	names := bot.AdminCommandNames(h.bot)
	sent := 0
	for _, name := range names {
		for _, text := range []string{"/" + name, fmt.Sprintf("/%s %d all", name, carme.ID)} {
			marta.Send(text)
			got := marta.Expect(t, h.text(es, "admin_refused"))
			if got.Text != h.text(es, "admin_refused") {
				t.Errorf("%s answered %q, want only the neutral sentence", text, got.Text)
			}
			h.roleAudited(t, marta.ID, name, true)
			sent++
		}
	}
	marta.Send("/help")
	marta.Expect(t, "/mydata")
	fromBot := 0
	for _, m := range marta.Messages()[seen:] {
		if m.FromBot {
			fromBot++
		}
	}
	if fromBot != sent+1 {
		t.Errorf("the bot sent %d messages for %d refused commands and /help, want one each", fromBot, sent)
	}
	if after := h.roleSnapshot(t); !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Errorf("refused commands changed %s", k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("refused commands deleted %s", k)
			}
		}
	}
}

// TestScopedCoordinatorStaysInScope tries each of the roles' commands as a
// coordinator of Gràcia, outside Gràcia: each is refused and audited, and
// nothing outside is shown.
func TestScopedCoordinatorStaysInScope(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca := multaque.Catalan
	anna := h.roleMake(t, carme, "Anna", "gracia")
	dani := h.roleMake(t, carme, "Dani", "sants-montjuic")
	idOf := func(u *telegramtest.User) string { return strconv.FormatInt(u.ID, 10) }
	codes := h.codes(t)
	before := h.roleSnapshot(t)

	for _, tt := range []struct {
		text, want string
		data       map[string]any
	}{
		{"/coordinatorinvite sants-montjuic", "admin_out_of_scope", nil},
		{"/coordinatorinvite barcelona", "admin_out_of_scope", nil},
		{"/coordinatorinvite all", "admin_out_of_scope", nil},
		{"/coordinatorinvite gracia sants-montjuic", "admin_out_of_scope", nil},
		{"/removecoordinator " + idOf(dani), "role_not_within", nil},
		{"/removecoordinator " + idOf(carme), "role_not_within", nil},
		{"/removecoordinator 999999", "role_not_within", nil},
		{"/scope " + idOf(dani) + " gracia", "role_scope_only_unscoped", nil},
		{"/scope " + idOf(anna) + " all", "role_scope_only_unscoped", nil},
	} {
		anna.Send(tt.text)
		anna.Expect(t, h.textWith(ca, tt.want, tt.data))
		h.roleAudited(t, anna.ID, strings.Fields(tt.text)[0][1:], true)
	}
	if after := h.roleSnapshot(t); !maps.Equal(before, after) || h.codes(t) != codes {
		t.Errorf("refused commands of a coordinator of Gràcia changed the database")
	}

	anna.Send("/coordinators")
	msg := anna.Expect(t, h.text(ca, "role_coordinators_header"))
	if !strings.Contains(msg.Text, idOf(anna)) || strings.Contains(msg.Text, idOf(dani)) || strings.Contains(msg.Text, idOf(carme)) {
		t.Errorf("Anna's /coordinators %q, want herself only", msg.Text)
	}
	carme.Send("/coordinators")
	msg = carme.Expect(t, h.text(ca, "role_coordinators_header"))
	// Carme is configured and never told the bot her name.
	for _, want := range []string{
		"• " + h.text(ca, "role_name_unknown") + " · " + idOf(carme) + " · " + h.text(ca, "role_scope_all") + " · " + h.text(ca, "role_configured"),
		"• Anna · " + idOf(anna) + " · " + h.community(ca, "gracia"),
		"• Dani · " + idOf(dani) + " · " + h.community(ca, "sants-montjuic"),
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("Carme's /coordinators %q, want the line %q", msg.Text, want)
		}
	}

	// Within her scope she acts: an invite of her own scope, and removing
	// someone she invited.
	code := h.roleInvite(t, anna, "")
	berta := h.srv.NewUser("Berta", "ca")
	berta.Send("/start k_" + code)
	berta.Expect(t, h.textWith(ca, "role_welcome", map[string]any{"Scope": h.community(ca, "gracia")}))
	if c := h.roleStored(t, berta.ID); c == nil || !slices.Equal(c.Communities, []string{"gracia"}) {
		t.Fatalf("Berta, invited by Anna with no community, is %+v, want a coordinator of gracia", c)
	}
	anna.Send("/removecoordinator " + idOf(berta))
	anna.Expect(t, h.textWith(ca, "role_removed", map[string]any{"ID": berta.ID}))
}

// TestNoMentorAlertGoesToThoseWhoOversee: the alert about a team formed
// with no mentor goes to the coordinators whose scope holds its community,
// stored ones included, and to no one else.
func TestNoMentorAlertGoesToThoseWhoOversee(t *testing.T) {
	h, carme := newMentorHarness(t)
	anna := h.roleMake(t, carme, "Anna", "gracia")
	berta := h.roleMake(t, carme, "Berta", "barcelona")
	dani := h.roleMake(t, carme, "Dani", "sants-montjuic")
	eva := h.roleMake(t, carme, "Eva")

	team := &multaque.Team{ID: "t1", Community: "gracia", Project: "consumer-group",
		Members: []multaque.TeamMember{{Citizen: 1}, {Citizen: 2}, {Citizen: 3}}}
	var alerted []int64
	for _, it := range h.bot.TeamFormed(team, nil) {
		if it.Kind == "alert" {
			alerted = append(alerted, it.Chat)
		}
	}
	slices.Sort(alerted)
	want := []int64{carme.ID, anna.ID, berta.ID, eva.ID}
	slices.Sort(want)
	if !slices.Equal(alerted, want) {
		t.Errorf("no-mentor alert to %v, want %v (not Dani, of Sants-Montjuïc: %d)", alerted, want, dani.ID)
	}
}

// TestMenuWithdrawnFromFormerCoordinator: someone taken out of the
// configuration keeps the coordinators' menu until their first refused
// command takes it away.
func TestMenuWithdrawnFromFormerCoordinator(t *testing.T) {
	h := newHarness(t)
	pau := h.srv.NewUser("Pau", "ca")
	h.shutdown()
	h.coordinators = []int64{pau.ID}
	h.start()
	if menu := menuNames(h.srv.Menu(pau.ID, "ca")); slices.Contains(menu, "stats") {
		t.Fatalf("coordinator's menu %v before he wrote to the bot: Telegram refuses a menu for a chat the bot never saw", menu)
	}
	pau.Send("/help")
	pau.Expect(t, h.text(multaque.Catalan, "help"))
	if menu := menuNames(h.srv.Menu(pau.ID, "ca")); !slices.Contains(menu, "stats") {
		t.Fatalf("coordinator's menu %v once he wrote, want /stats in it", menu)
	}
	h.shutdown()
	h.coordinators = nil
	h.start()
	if menu := menuNames(h.srv.Menu(pau.ID, "ca")); !slices.Contains(menu, "stats") {
		t.Fatalf("menu after leaving the configuration %v, want it still there (Telegram keeps it)", menu)
	}
	pau.Send("/stats")
	pau.Expect(t, h.text(multaque.Catalan, "admin_refused"))
	if menu := menuNames(h.srv.Menu(pau.ID, "ca")); slices.Contains(menu, "stats") {
		t.Errorf("menu after a refused command %v, want no /stats", menu)
	}
}

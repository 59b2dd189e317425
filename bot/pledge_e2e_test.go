package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

const (
	ca = multaque.Catalan
	es = multaque.Spanish
	en = multaque.English
)

// A goal met, end to end on a pinned clock: a fund from a coordinator, a
// member's anonymous then named pledge, a supporter from the share link who
// types an amount and hours, the deadline, payment instructions to each in
// their language, reminders held for 3 and 7 days, the treasurer marking
// paid, and /forget of the supporter after the goal keeping the amount.
func TestGoalMetEndToEnd(t *testing.T) {
	r := newPledgeRig(t)
	anna, ben := r.starter("Anna", ca), r.starter("Ben", en)
	team, g := r.activeTeam(anna, ben)

	r.coord.Send("/fund city 100 1 2025-12-31 Fons de barri / Ajuntament")
	r.coord.Expect(t, "Fons de barri")

	anna.Send("/goal 30 2025-03-10 plaques solars")
	m := anna.Expect(t, r.text(ca, "goal_saved"))
	if !strings.Contains(m.Text, "?start=g_"+team.ID) {
		t.Fatalf("goal answer %q, want the share link", m.Text)
	}
	anna.Send("/payinfo IBAN ES00 1234")
	anna.Expect(t, r.text(ca, "payinfo_saved"))
	ben.Send("/treasurer")
	ben.Expect(t, "You are the team's treasurer")

	// Anna pledges 10 €, anonymous: matched 1:1; the group sees "Someone".
	anna.Send("/pledge")
	anna.Expect(t, r.text(ca, "pledge_terms"))
	anna.Press(t, "10.00 €")
	anna.Expect(t, r.textWith(ca, "pledge_matched", map[string]any{"Match": "10.00"}))
	// The group's progress message is posted and pinned by the next pass.
	if n, err := r.bot.RefreshProgress(context.Background()); n != 1 || err != nil {
		t.Fatalf("RefreshProgress=%d, %v; want the group's message", n, err)
	}
	pinned := g.Expect(t, "Fins ara: 10.00 € compromesos + 10.00 € de contrapartida")
	if !pinned.Pinned || strings.Contains(pinned.Text, "Anna") {
		t.Fatalf("progress message %+v, want it pinned, and Anna's anonymous pledge without her name", pinned)
	}
	// Then she shows her name: the same message is edited.
	anna.Press(t, r.text(ca, "btn_pledge_anonymous"))
	anna.Expect(t, r.textWith(ca, "pledge_yours_named", map[string]any{"What": "10.00 €", "No": 1}))
	if n, _ := r.bot.RefreshProgress(context.Background()); n != 1 {
		t.Fatalf("RefreshProgress=%d, want the message edited", n)
	}
	if m := g.Expect(t, r.textWith(ca, "pledge_named_list", map[string]any{"Names": "Anna"})); m.ID != pinned.ID {
		t.Fatalf("progress message %d, want %d edited in place", m.ID, pinned.ID)
	}
	if n, _ := r.bot.RefreshProgress(context.Background()); n != 0 {
		t.Fatalf("RefreshProgress with nothing new=%d, want 0", n)
	}

	// Carla, a supporter who never did the survey, comes by the share link.
	carla := r.srv.NewUser("Carla", "es")
	carla.Send("/start g_" + team.ID)
	carla.Expect(t, r.text(es, "pledge_terms"))
	carla.Press(t, r.text(es, "btn_pledge_other"))
	carla.Expect(t, "Escribe el importe")
	carla.Send("cinco")
	carla.Expect(t, "No he entendido")
	carla.Press(t, r.text(es, "btn_pledge_other"))
	carla.Send("5 2h")
	carla.Expect(t, r.text(es, "pledge_saved"))
	if s := r.goal(team.ID); s.Progress.Pledged != 1500 || s.Progress.Matched != 1500 || s.Progress.Hours != 2 || !s.Pledges[1].Supporter {
		t.Fatalf("progress %+v, pledges %+v; want 15.00 pledged, 15.00 matched, 2 h, Carla a supporter", s.Progress, s.Pledges)
	}

	// The deadline passes: the goal is met. (The Sender stops a while, to
	// look at what the settlement queued.)
	deadline := r.goal(team.ID).Goal.Deadline
	r.clock.Set(deadline.Add(time.Minute))
	r.stopSend()
	if n, err := r.bot.SettleGoals(context.Background()); n != 1 || err != nil {
		t.Fatalf("SettleGoals=%d, %v; want 1 settled", n, err)
	}
	// Reminders wait for 3 and 7 days after the deadline.
	rem := r.outboxKinds(carla.ID)["pledge-reminder"]
	if len(rem) != 2 || !rem[0].NotBefore.Equal(deadline.Add(time.Minute+72*time.Hour)) || !rem[1].NotBefore.Equal(deadline.Add(time.Minute+168*time.Hour)) {
		t.Fatalf("Carla's reminders %+v, want two, 3 and 7 days after the deadline", rem)
	}
	// The treasurer lists what is due and marks Carla's pledge paid before
	// the reminders are due: hers go, Anna's stay.
	ben.Send("/paid")
	ben.Expect(t, "#2: 5.00 €")
	anna.Send("/paid 2")
	anna.Expect(t, r.text(ca, "paid_treasurer_only"))
	ben.Send("/paid 2")
	ben.Expect(t, "Pledge #2 is marked paid")
	if n := len(r.outboxKinds(carla.ID)["pledge-reminder"]); n != 0 {
		t.Fatalf("Carla has %d reminders after paying, want 0", n)
	}
	if n := len(r.outboxKinds(anna.ID)["pledge-reminder"]); n != 2 {
		t.Fatalf("Anna has %d reminders, want 2", n)
	}
	ben.Send("/paid 2")
	ben.Expect(t, "Pledge #2 is not due")
	r.startSend() // days pass (the pinned clock lies in the past): the reminders go out
	pay := anna.Expect(t, "IBAN ES00 1234")
	if !strings.Contains(pay.Text, team.ID+"-1") || !strings.Contains(pay.Text, "10.00 €") || !strings.Contains(pay.Text, "Objectiu assolit") {
		t.Fatalf("Anna's payment message %q, want 10.00 € with reference %s-1, in Catalan", pay.Text, team.ID)
	}
	pay = carla.Expect(t, "IBAN ES00 1234")
	if !strings.Contains(pay.Text, team.ID+"-2") || !strings.Contains(pay.Text, "Objetivo alcanzado") {
		t.Fatalf("Carla's payment message %q, want reference %s-2, in Spanish", pay.Text, team.ID)
	}
	g.Expect(t, "Objectiu assolit")
	if f := r.fund("city"); f.Paid != 1500 || f.Committed != 0 {
		t.Fatalf("fund %+v, want 15.00 paid, none committed", f)
	}
	reminded := anna.Expect(t, "⏰")
	if !strings.Contains(reminded.Text, team.ID+"-1") {
		t.Fatalf("Anna's reminder %q, want her reference", reminded.Text)
	}
	if got := fromBot(carla, "⏰"); len(got) != 0 {
		t.Fatalf("Carla, who paid, got reminders: %+v", got)
	}
	r.bot.RefreshProgress(context.Background())
	g.Expect(t, "Pagat fins ara: 5.00 € de 15.00 €")

	// The coordinator's view: /funds, the ledger without people, /stats
	// keeping "<3" for two pledges (and hiding their sums).
	r.coord.Send("/funds")
	r.coord.Expect(t, "pagat 15.00 €")
	r.coord.Send("/funds city")
	doc := r.coord.Expect(t, "Llibre de Fons de barri")
	if doc.Document == nil || !strings.Contains(string(doc.Document.Data), team.ID+",consumer-group,gracia,match,2,500,500,paid") {
		t.Fatalf("ledger %+v, want Carla's pledge as team, amounts and status", doc.Document)
	}
	for _, name := range []string{"Anna", "Carla", "Ben", strconv.FormatInt(anna.ID, 10)} {
		if strings.Contains(string(doc.Document.Data), name) {
			t.Fatalf("the ledger names %q:\n%s", name, doc.Document.Data)
		}
	}
	r.coord.Send("/stats")
	defer func() {
		if t.Failed() {
			t.Logf("logs: %s", r.logs.String())
		}
	}()
	stats := r.coord.Expect(t, "Objectius: 1 (1 assolits, 0 no assolits). Compromisos: <3.")
	if strings.Contains(stats.Text, "15.00") {
		t.Fatalf("/stats shows the sum of two pledges: %q", stats.Text)
	}

	// Her /me and /privacy tell her about her pledge.
	carla.Send("/me")
	carla.Expect(t, r.textWith(es, "pledge_yours_anonymous", map[string]any{"What": "5.00 € y 2 h", "No": 2}))
	carla.Send("/privacy")
	carla.Expect(t, r.text(es, "privacy_pledges"))

	// /forget after the goal: Carla's name and id go, her 5 € stays.
	carla.Send("/forget")
	carla.Press(t, r.text(es, "btn_forget"))
	carla.Expect(t, "he borrado")
	s := r.goal(team.ID)
	if p := s.Pledges[1]; p.Person != 0 || p.Amount != 500 || p.Status != multaque.PledgePaid {
		t.Fatalf("Carla's pledge after /forget %+v, want an anonymous paid 5.00", p)
	}
}

// A goal missed: the pledges lapse, the match goes back to the fund,
// everyone is told; /forget before the deadline deleted a pledge outright.
func TestGoalMissedEndToEnd(t *testing.T) {
	r := newPledgeRig(t)
	anna, ben := r.starter("Anna", ca), r.starter("Ben", en)
	team, g := r.activeTeam(anna, ben)
	r.coord.Send("/fund city 25 2 2025-12-31 pledge=15 Fons / Ajuntament")
	r.coord.Expect(t, "Fons")

	anna.Send("/goal 500-800 2025-03-10 20h plaques solars")
	anna.Expect(t, r.text(ca, "goal_saved"))
	anna.Send("/pledge")
	anna.Press(t, "20.00 €")
	anna.Expect(t, r.textWith(ca, "pledge_matched", map[string]any{"Match": "15.00"})) // 2 × 20 capped at 15
	ben.Send("/pledge")
	ben.Press(t, "5.00 €")
	ben.Expect(t, r.textWith(en, "pledge_matched", map[string]any{"Match": "10.00"}))
	if f := r.fund("city"); f.Committed != 2500 || f.Left() != 0 {
		t.Fatalf("fund committed %s, want all its 25.00", f.Committed)
	}
	// The fund is spent: a supporter's pledge is not matched, and she is told.
	carla := r.srv.NewUser("Carla", "es")
	carla.Send("/start g_" + team.ID)
	carla.Press(t, "5.00 €")
	carla.Expect(t, r.text(es, "pledge_fund_spent"))

	// Ben is erased before the goal: his pledge is deleted, its match freed.
	ben.Send("/forget")
	ben.Press(t, r.text(en, "btn_forget"))
	ben.Expect(t, r.text(en, "forgotten")[:20])
	if s := r.goal(team.ID); len(s.Pledges) != 2 || s.Pledges[0].Person != anna.ID || s.Pledges[1].Person != carla.ID {
		t.Fatalf("pledges after Ben's /forget: %+v, want Anna's and Carla's only", s.Pledges)
	}
	if f := r.fund("city"); f.Committed != 1500 || f.Released != 1000 {
		t.Fatalf("fund %+v, want 15.00 committed, 10.00 released", f)
	}

	r.clock.Set(r.goal(team.ID).Goal.Deadline)
	if n, err := r.bot.SettleGoals(context.Background()); n != 1 || err != nil {
		t.Fatalf("SettleGoals=%d, %v", n, err)
	}
	anna.Expect(t, r.textWith(ca, "deadline_missed_pledger", map[string]any{"Amount": "20.00"}))
	carla.Expect(t, r.textWith(es, "deadline_missed_pledger", map[string]any{"Amount": "5.00"}))
	g.Expect(t, r.text(ca, "pledge_status_missed"))
	if f := r.fund("city"); f.Committed != 0 || f.Released != 2500 || f.Paid != 0 {
		t.Fatalf("fund %+v, want every match released", f)
	}
	anna.Send("/pledge")
	anna.Expect(t, r.text(ca, "pledge_status_missed"))
	if n, _ := r.bot.SettleGoals(context.Background()); n != 0 {
		t.Fatalf("SettleGoals again settled %d, want 0", n)
	}
}

// The critical-mass bonus comes with the team's forming (in the matcher's
// transaction) and counts towards its goal.
func TestCriticalMassBonusOnForming(t *testing.T) {
	r := newPledgeRig(t)
	r.coord.Send("/fund city 1000 1 2025-12-31 bonus=50@3 projects=consumer-group Fons / Ajuntament")
	r.coord.Expect(t, "Fons")
	small, _ := r.activeTeam(r.starter("Anna", ca), r.starter("Ben", en))
	// The matcher forms the big team at the bot's time (the fund ends in 2025).
	var members []multaque.TeamMember
	for _, u := range []*telegramtest.User{r.starter("Carla", es), r.starter("Dani", ca), r.starter("Eva", ca)} {
		members = append(members, multaque.TeamMember{Citizen: u.ID})
	}
	big, err := r.db.FormTeam(context.Background(), multaque.Team{Community: "gracia", Project: "consumer-group", Members: members}, r.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for team, want := range map[string]multaque.Cents{small.ID: 0, big.ID: 5000} {
		if got, _, err := r.db.TeamBonuses(context.Background(), team); got != want || err != nil {
			t.Errorf("team %s bonus %s, %v; want %s", team, got, err, want)
		}
	}
	if f := r.fund("city"); f.Committed != 5000 {
		t.Fatalf("fund committed %s, want the 50.00 bonus", f.Committed)
	}
}

// A crash between a pledge and its messages loses nothing: the change that
// the group's pinned message must show is committed with the pledge, and
// the deadline's messages with the settlement; a pass and a Sender that
// run only after the restart show and send them.
func TestPledgeMessagesSurviveACrash(t *testing.T) {
	r := newPledgeRig(t)
	anna, ben := r.starter("Anna", ca), r.starter("Ben", en)
	team, g := r.activeTeam(anna, ben)
	anna.Send("/goal 30 2025-03-10 plaques")
	anna.Expect(t, r.text(ca, "goal_saved"))
	anna.Send("/payinfo IBAN ES00 1234")
	anna.Expect(t, r.text(ca, "payinfo_saved"))

	r.stopSend() // the process dies before anything but the answers goes out
	anna.Send("/pledge")
	anna.Press(t, "50.00 €")
	anna.Expect(t, r.text(ca, "pledge_saved"))
	r.clock.Set(r.goal(team.ID).Goal.Deadline)
	if n, err := r.bot.SettleGoals(context.Background()); n != 1 || err != nil {
		t.Fatalf("SettleGoals=%d, %v", n, err)
	}
	if n := len(r.outboxKinds(anna.ID)["pledge-due"]); n != 1 {
		t.Fatalf("%d payment messages in the outbox, want 1 committed with the settlement", n)
	}

	// After the restart.
	if n, err := r.bot.RefreshProgress(context.Background()); n != 1 || err != nil {
		t.Fatalf("RefreshProgress=%d, %v; want the group's message", n, err)
	}
	if m := g.Expect(t, "50.00 € compromesos"); !m.Pinned {
		t.Fatalf("progress message %+v, want it pinned", m)
	}
	r.startSend()
	anna.Expect(t, "IBAN ES00 1234")
	g.Expect(t, "Objectiu assolit")
}

package bot_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
)

// A team forms; its plan is pinned in its group; members tick steps in a
// burst of 15 within the group's 20 messages a minute (production pacing,
// Telegram's limits enforced); a stranger in the group cannot tick; a
// second tap on a done step asks, a third undoes it.
func TestPlanTicksInTheGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{pacing: true})
	ca := multaque.Catalan
	anna, biel, cesc := r.starter("Anna", ca), r.starter("Biel", ca), r.starter("Cesc", ca)
	team, g, plan := r.planTeam(nil, anna, biel, cesc)
	project, _ := r.cat.Project("consumer-group")
	playbook := len(project.Playbook)
	if n := len(plan.Keyboard); n != playbook {
		t.Fatalf("the pinned plan has %d buttons, want one per playbook step (%d)", n, playbook)
	}

	// The team adds its own steps up to 16, through /plan add in the group.
	for i := playbook; i < 16; i++ {
		if anna.SendToGroup(g, "/plan add Pas propi "+string(rune('A'+i))) == 0 {
			t.Fatal("the bot does not see /plan in the group")
		}
	}
	plan = r.pinnedPlan(g, func(m telegramtest.Message) bool { return len(m.Keyboard) == 16 })

	// Carme, the coordinator who made the group, is in it but no member.
	up, err := r.coord.PressInGroup(g, plan.ID, tickData(1))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stranger is answered", func() bool { _, ok := r.coord.AnswerFor(up); return ok })
	if a, _ := r.coord.AnswerFor(up); !a.ShowAlert || a.Text != plainOf(r.text(ca, "plan_not_yours")) {
		t.Errorf("stranger's answer %+v, want the polite alert", a)
	}

	before := r.srv.Stats()
	// The burst: 15 steps ticked by the three, as fast as they tap.
	p := r.storedPlan(team.ID)
	people := []*telegramtest.User{anna, biel, cesc}
	var ups []int
	for i := range 15 {
		u := people[i%3]
		up, err := u.PressInGroup(g, plan.ID, tickData(p.Steps[i].ID))
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, up)
	}
	for i, up := range ups {
		u := people[i%3]
		eventually(t, "every tap is answered", func() bool { _, ok := u.AnswerFor(up); return ok })
		if a, _ := u.AnswerFor(up); a.Text != r.text(ca, "plan_ticked") {
			t.Errorf("tap %d answered %q, want %q", i, a.Text, r.text(ca, "plan_ticked"))
		}
	}
	plan = r.pinnedPlan(g, func(m telegramtest.Message) bool { return strings.Count(m.Text, "✅") == 15 })
	after := r.srv.Stats()
	if after.TooManyRequests != before.TooManyRequests {
		t.Errorf("%d answers 429 during the burst, want none", after.TooManyRequests-before.TooManyRequests)
	}
	if edits := after.Edited - before.Edited; edits > 8 {
		t.Errorf("%d edits for 15 taps, want them folded into a few", edits)
	}
	t.Logf("15 taps: %d edits, %d answers 429, at most %d messages in the group in a minute", after.Edited-before.Edited, after.TooManyRequests-before.TooManyRequests, after.MaxPerGroupPerMinute)
	if after.MaxPerGroupPerMinute > 20 {
		t.Errorf("MaxPerGroupPerMinute=%d, want at most 20", after.MaxPerGroupPerMinute)
	}
	for _, name := range []string{"Anna", "Biel", "Cesc"} {
		if !strings.Contains(plan.Text, name) {
			t.Errorf("the plan does not say %s marked a step:\n%s", name, plan.Text)
		}
	}
	stored := r.storedPlan(team.ID)
	if stored.Done() != 15 || stored.Stage() != multaque.StageLaunched {
		// The last playbook step is among the 15: the team is launched.
		t.Errorf("stored: %d done, stage %s; want 15 and launched", stored.Done(), stored.Stage())
	}
	g.Expect(t, plainOf(r.text(ca, "plan_stage_announce_started"))[:20])
}

// A tap on a done step asks for a confirmation; a second one undoes it.
func TestPlanUndoAsksFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{})
	ca := multaque.Catalan
	anna, biel := r.starter("Anna", ca), r.starter("Biel", ca)
	team, g, plan := r.planTeam(nil, anna, biel)
	press := func(u *telegramtest.User) telegramtest.CallbackAnswer {
		up, err := u.PressInGroup(g, plan.ID, tickData(1))
		if err != nil {
			t.Fatal(err)
		}
		var a telegramtest.CallbackAnswer
		eventually(t, "the tap is answered", func() bool { var ok bool; a, ok = u.AnswerFor(up); return ok })
		return a
	}
	if a := press(anna); a.Text != r.text(ca, "plan_ticked") {
		t.Fatalf("first tap: %q", a.Text)
	}
	if a := press(biel); a.Text != r.text(ca, "plan_undo_confirm") {
		t.Fatalf("tap on a done step: %q, want the confirmation", a.Text)
	}
	if r.storedPlan(team.ID).Done() != 1 {
		t.Fatalf("the step was undone without confirmation")
	}
	if a := press(biel); a.Text != r.text(ca, "plan_undone") {
		t.Fatalf("second tap: %q, want undone", a.Text)
	}
	p := r.storedPlan(team.ID)
	if p.Done() != 0 || p.Stage() != multaque.StageStarted {
		t.Errorf("after the undo: %d done, %s; want 0, and the stage kept", p.Done(), p.Stage())
	}
	r.pinnedPlan(g, func(m telegramtest.Message) bool { return !strings.Contains(m.Text, "✅") })
}

// A quiet team walks the ladder on a pinned clock: its group after 14
// days, its mentor after 21, the coordinators who oversee it after 28; and
// a mentor's 🔴 reaches only the coordinators who oversee the team.
func TestPlanLadderAndCheckIn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{pinned: true, scoped: map[string][]string{"Gemma": {"gracia"}, "Sergi": {"sants"}}})
	ca, es := multaque.Catalan, multaque.Spanish
	gracia, sants := r.scoped["Gemma"], r.scoped["Sergi"]
	mentor := r.srv.NewUser("Marta", "es")
	mentor.Send("/start")
	mentor.Expect(t, "Multaque")
	anna, biel := r.starter("Anna", ca), r.starter("Biel", ca)
	team, g, _ := r.planTeam(mentor, anna, biel)
	const day = 24 * time.Hour

	nudge := plainOf(r.text(ca, "plan_nudge_group"))[:15]
	r.clock.Add(13 * day)
	time.Sleep(400 * time.Millisecond) // a few passes of the runner
	if len(fromGroup(g, nudge)) != 0 {
		t.Fatalf("nudged after 13 days")
	}
	r.clock.Add(day + time.Minute)
	g.Expect(t, nudge)
	askText := plainOf(r.textWith(es, "plan_checkin_ask", map[string]any{"Done": 0, "Total": 1, "Stage": ""}))[:12]
	ask := mentor.Expect(t, askText) // the first check-in comes with the first nudge

	r.clock.Add(7 * day)
	mentor.Expect(t, plainOf(r.textWith(es, "plan_nudge_mentor", map[string]any{"Days": 21, "Step": ""}))[:20])
	if got := fromBot(gracia, "/team "+team.ID); len(got) != 0 {
		t.Fatalf("coordinators alerted at 21 days: %v", got)
	}
	r.clock.Add(7 * day)
	alertOf := func(lang multaque.Lang) string {
		return plainOf(r.textWith(lang, "plan_nudge_coordinators", map[string]any{"Team": team.ID, "Days": 28, "Done": 0, "Total": 6}))
	}
	eventually(t, "the coordinators of gracia are alerted", func() bool {
		return len(fromBot(gracia, alertOf(es))) == 1 && len(fromBot(r.coord, alertOf(ca))) == 1
	})
	if len(fromBot(sants, "/team "+team.ID)) != 0 {
		t.Errorf("a coordinator of sants was alerted about a team of gracia")
	}
	if n := len(fromGroup(g, nudge)); n != 1 {
		t.Errorf("%d group nudges, want 1", n)
	}

	// The mentor answers the check-in 🔴.
	mentor.Press(t, r.text(es, "plan_checkin_red"))
	_ = ask
	red := plainOf(r.textWith(es, "plan_checkin_alert_red", map[string]any{"Team": team.ID, "Done": 0, "Total": 0, "Stage": ""}))[:10]
	eventually(t, "the coordinators of gracia hear of the 🔴", func() bool { return len(fromBot(gracia, red)) == 1 })
	if len(fromBot(sants, "🔴")) != 0 || len(fromBot(sants, team.ID)) != 0 {
		t.Errorf("the 🔴 reached a coordinator of sants")
	}
	// Then one line, which follows the 🔴 to the same coordinators.
	mentor.Expect(t, plainOf(r.text(es, "plan_checkin_note_ask")))
	mentor.Send("Necesitan un local")
	mentor.Expect(t, r.text(es, "plan_checkin_note_saved"))
	eventually(t, "the line reaches Gemma", func() bool { return len(fromBot(gracia, "Necesitan un local")) == 1 })
	if len(fromBot(sants, "Necesitan un local")) != 0 {
		t.Errorf("the mentor's line reached a coordinator of sants")
	}
	if p := r.storedPlan(team.ID); p.LastCheckIn() == nil || p.LastCheckIn().Colour != multaque.Red || p.LastCheckIn().Note != "Necesitan un local" {
		t.Errorf("check-in not stored: %+v", p.CheckIns)
	}
	if aw, _ := r.db.Awaiting(context.Background(), mentor.ID); aw != multaque.AwaitNothing {
		t.Errorf("after the line the mentor's text still goes to %q", aw)
	}

	// Gemma's /teams lists the stalled team, naming no member; its button
	// opens /team, the plan and its history, still without names.
	gracia.Send("/teams")
	list := gracia.Expect(t, "⚠️ "+team.ID)
	if !strings.Contains(list.Text, "🔴") || !strings.Contains(list.Text, "Marta") {
		t.Errorf("/teams shows no 🔴 check-in or mentor:\n%s", list.Text)
	}
	gracia.PressData(list.ID, "pteam|0|"+team.ID)
	report := gracia.Expect(t, plainOf(r.text(es, "plan_history")))
	for _, m := range []telegramtest.Message{list, report} {
		if strings.Contains(m.Text, "Anna") || strings.Contains(m.Text, "Biel") {
			t.Errorf("a coordinator's view names a member:\n%s", m.Text)
		}
	}
	// Sergi oversees Sants only.
	sants.Send("/team " + team.ID)
	sants.Expect(t, r.text(es, "admin_out_of_scope"))
}

// A step taken on with a due day reminds its owner the day before and on
// the day, in their language.
func TestPlanOwnerIsReminded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{pinned: true})
	ca, en := multaque.Catalan, multaque.English
	anna, bob := r.starter("Anna", ca), r.starter("Bob", en)
	team, g, _ := r.planTeam(nil, anna, bob)
	due := r.clock.Now().Add(3 * 24 * time.Hour).Format("2006-01-02")
	bob.SendToGroup(g, "/plan take 2 "+due)
	eventually(t, "the step is Bob's", func() bool { s := r.storedPlan(team.ID).Steps[1]; return s.Owner == bob.ID && !s.Due.IsZero() })
	dueDay, _ := time.Parse("2006-01-02", due)
	r.clock.Add(dueDay.Add(-14 * time.Hour).Sub(r.clock.Now())) // 10:00 UTC the day before
	bob.Expect(t, plainOf(r.textWith(en, "plan_owner_eve", map[string]any{"Date": due, "Step": ""}))[:20])
	r.clock.Add(24 * time.Hour)
	bob.Expect(t, plainOf(r.textWith(en, "plan_owner_day", map[string]any{"Date": due, "Step": ""}))[:20])
	if len(fromBot(anna, "📅")) != 0 {
		t.Errorf("Anna was reminded of Bob's step")
	}
}

// fromGroup lists the bot's messages in g containing substr.
func fromGroup(g *telegramtest.Group, substr string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range g.Messages() {
		if m.FromBot && strings.Contains(m.Text, substr) {
			out = append(out, m)
		}
	}
	return out
}

// A tap stored while no runner edits the plan (the process stopped after
// answering it) shows when the runner runs again; the plan's message,
// deleted meanwhile, is posted and pinned anew; and the second tap on a
// done step, delivered twice, does not undo it.
func TestPlanRestartDeletedAndTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{noRunner: true})
	ca := multaque.Catalan
	anna, biel := r.starter("Anna", ca), r.starter("Biel", ca)
	team, g, plan := r.planTeam(nil, anna, biel)
	up, err := anna.PressInGroup(g, plan.ID, tickData(1))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the tap is answered", func() bool { _, ok := anna.AnswerFor(up); return ok })
	if p := r.storedPlan(team.ID); p.Done() != 1 || p.Shown >= p.Version {
		t.Fatalf("stored %d done, shown %d of %d; want the tap stored and not shown yet", p.Done(), p.Shown, p.Version)
	}
	status, err := r.srv.Client().PostForm(r.srv.URL()+"/bot"+r.srv.Token()+"/deleteMessage",
		url.Values{"chat_id": {strconv.FormatInt(g.ID, 10)}, "message_id": {strconv.Itoa(plan.ID)}})
	if err != nil || status.StatusCode != http.StatusOK {
		t.Fatalf("deleteMessage: %v %v", status, err)
	}
	status.Body.Close()

	r.runPlans()
	again := r.pinnedPlan(g, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "✅") })
	if again.ID == plan.ID {
		t.Fatalf("the plan was not posted anew")
	}
	if p := r.storedPlan(team.ID); p.Message != again.ID || p.Shown != p.Version {
		t.Errorf("stored message %d shown %d of %d; want %d, up to date", p.Message, p.Shown, p.Version, again.ID)
	}

	// Biel taps the done step once (a confirmation is asked); Telegram
	// delivers that tap twice: it stays done.
	tap := tg.Update{ID: 990001, Callback: &tg.Callback{ID: "twice", Sender: &tg.User{ID: biel.ID, FirstName: "Biel", LanguageCode: "ca"},
		Data: tickData(1), Message: &tg.Message{ID: again.ID, Chat: &tg.Chat{ID: g.ID, Type: tg.ChatSuperGroup}}}}
	for range 2 {
		if err := r.bot.HandleUpdate(context.Background(), tap); err != nil {
			t.Fatal(err)
		}
	}
	if p := r.storedPlan(team.ID); p.Done() != 1 {
		t.Errorf("a tap delivered twice undid the step: %d done", p.Done())
	}
}

// The team's first meeting starts it; its mentor pauses it with a reason,
// which the group is told, and a paused team cannot tick; a member cannot
// decide the stage; the mentor resumes it.
func TestPlanStagesDecidedInTheGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{})
	ca := multaque.Catalan
	mentor := r.srv.NewUser("Marta", "ca")
	mentor.Send("/start")
	mentor.Expect(t, "Multaque")
	anna, biel := r.starter("Anna", ca), r.starter("Biel", ca)
	team, g, plan := r.planTeam(mentor, anna, biel)
	if err := mentor.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the mentor is in the group", func() bool { return g.IsMember(mentor.ID) })

	anna.SendToGroup(g, "/plan met")
	g.Expect(t, plainOf(r.text(ca, "plan_stage_announce_started"))[:25])
	anna.SendToGroup(g, "/plan pause vacances")
	g.Expect(t, plainOf(r.text(ca, "plan_mentor_only")))
	mentor.SendToGroup(g, "/plan pause Vacances d'estiu")
	g.Expect(t, "Vacances d'estiu")
	if p := r.storedPlan(team.ID); p.Stage() != multaque.StagePaused || p.Stages[2].By != mentor.ID {
		t.Fatalf("stages %+v, want paused by the mentor", p.Stages)
	}
	up, err := biel.PressInGroup(g, plan.ID, tickData(1))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the tap is answered", func() bool { _, ok := biel.AnswerFor(up); return ok })
	if a, _ := biel.AnswerFor(up); a.Text != r.text(ca, "plan_tick_conflict") || r.storedPlan(team.ID).Done() != 0 {
		t.Errorf("a tap in a paused team: %q, %d done; want it refused", a.Text, r.storedPlan(team.ID).Done())
	}
	r.pinnedPlan(g, func(m telegramtest.Message) bool { return len(m.Keyboard) == 0 }) // no buttons while paused
	mentor.SendToGroup(g, "/plan resume")
	g.Expect(t, plainOf(r.text(ca, "plan_stage_announce_resumed"))[:20])
	r.pinnedPlan(g, func(m telegramtest.Message) bool { return len(m.Keyboard) > 0 })
}

// A member gives a step to another member by the name they gave; a name
// that is no member's is refused; the owner is shown in the pinned plan.
func TestPlanGiveAStep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a team through the fake Telegram")
	}
	r := newPlanRig(t, planRigOptions{})
	ca := multaque.Catalan
	anna, biel := r.starter("Anna", ca), r.starter("Biel", ca)
	team, g, _ := r.planTeam(nil, anna, biel)
	anna.SendToGroup(g, "/plan give 3 Carme")
	g.Expect(t, plainOf(r.text(ca, "plan_no_such_member"))[:20])
	anna.SendToGroup(g, "/plan give 3 biel 2031-05-04")
	eventually(t, "step 3 is Biel's", func() bool {
		s := r.storedPlan(team.ID).Steps[2]
		return s.Owner == biel.ID && s.Due.Format("2006-01-02") == "2031-05-04"
	})
	r.pinnedPlan(g, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "👤 Biel · 📅 2031-05-04") })
}

package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/bot/outbox"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/store"
)

// testClock is the bot's clock in the decisions' tests. It starts 30 days
// in the past, so that a reminder's NotBefore (on this clock) is already
// due for the Sender, which keeps real time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().Add(-30 * 24 * time.Hour)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// decisionRig is a team of members in their group, with the coordinator
// Carme in it too (she made it), and the bot looking after decisions every 50 ms.
type decisionRig struct {
	*teamRig
	clock   *testClock
	g       *telegramtest.Group
	team    *multaque.Team
	members []*telegramtest.User
}

func newDecisionRig(t *testing.T, langs ...multaque.Lang) *decisionRig {
	t.Helper()
	clock := newTestClock()
	r := &decisionRig{teamRig: newTeamRig(t, rigOptions{now: clock.Now}), clock: clock}
	r.g = r.poolGroup("Spare")
	names := []string{"Anna", "Berta", "Cesc", "Dolors", "Eloi"}
	for i, lang := range langs {
		r.members = append(r.members, r.starter(names[i], lang))
	}
	r.team = r.active(r.formTeam(r.members...).ID, r.g)
	for _, u := range r.members { // Carme, who made the group, is in it

		if err := u.OpenInviteLink(r.team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "everyone is in the group", func() bool {
		for _, m := range r.teamRig.team(r.team.ID).Members {
			if !m.InChat {
				return false
			}
		}
		return true
	})
	r.runDecisions(r.bot)
	return r
}

// runDecisions runs b's decisions every 50 ms until the test ends.
func (r *decisionRig) runDecisions(b *bot.Bot) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.RunDecisions(ctx, 50*time.Millisecond); close(done) }()
	r.t.Cleanup(func() { cancel(); <-done })
}

// decide has author prepare a decision from the group and post it; answer
// gives the typed steps after the question (options, or a target) and
// button the press of the answers step ("" if none). It returns the poll.
func (r *decisionRig) decide(author *telegramtest.User, lang multaque.Lang, kind multaque.DecisionKind, question string, typed string, button string) telegramtest.Message {
	t := r.t.(*testing.T)
	t.Helper()
	author.SendToGroup(r.g, "/decide")
	r.g.Expect(t, r.textWith(lang, "decide_check_private", map[string]any{"Name": author.FirstName}))
	author.Press(t, r.text(lang, "decide_btn_"+string(kind)))
	author.Send(question)
	if typed != "" {
		author.Send(typed)
	}
	if button != "" {
		author.Press(t, r.text(lang, button))
	}
	author.Press(t, r.textWith(lang, "decide_btn_days", map[string]any{"Count": 3}))
	author.Press(t, r.text(lang, "decide_btn_post"))
	poll, ok := r.g.WaitPoll(question)
	if !ok {
		t.Fatalf("no poll %q in the group; it shows %d messages", question, len(r.g.Messages()))
	}
	author.Expect(t, r.text(lang, "decide_posted")[:10])
	return poll
}

// latest is the team's newest decision.
func (r *decisionRig) latest() *multaque.Decision {
	r.t.Helper()
	log, err := r.db.TeamDecisions(context.Background(), r.team.ID)
	if err != nil || len(log) == 0 {
		r.t.Fatalf("TeamDecisions = %d, %v", len(log), err)
	}
	return log[0]
}

// vote has u answer the poll and waits until the bot has the answer.
func (r *decisionRig) vote(u *telegramtest.User, poll telegramtest.Message, options ...int) {
	r.t.Helper()
	if _, err := u.Vote(r.g, poll.ID, options...); err != nil {
		r.t.Fatal(err)
	}
	eventually(r.t, u.FirstName+"'s answer is recorded", func() bool {
		v := r.latest().VoteOf(u.ID)
		return v != nil && len(v.Options) == len(options)
	})
}

// closeNow moves the clock past the decision's closing and waits for its
// outcome in the group.
func (r *decisionRig) closeNow() *multaque.Decision {
	r.t.Helper()
	d := r.latest()
	r.clock.Set(d.Closes.Add(time.Minute))
	eventually(r.t, "the outcome is posted", func() bool { return r.latest().Posted > 0 })
	return r.latest()
}

func (r *decisionRig) outcomeMessage(d *multaque.Decision) telegramtest.Message {
	r.t.Helper()
	for _, m := range r.g.Messages() {
		if m.ID == d.Posted {
			return m
		}
	}
	r.t.Fatalf("outcome message %d is not in the group", d.Posted)
	return telegramtest.Message{}
}

// TestDecisionProposal: a member proposes; one agrees, one blocks with a
// reason, the coordinator's answer is not counted, the one who did not
// answer gets one reminder in their language, and the outcome (blocked,
// with the reason and the answer left out) is posted, pinned and logged.
func TestDecisionProposal(t *testing.T) {
	ca, es, en := multaque.Catalan, multaque.Spanish, multaque.English
	r := newDecisionRig(t, ca, es, en)
	anna, berta, cesc := r.members[0], r.members[1], r.members[2]
	poll := r.decide(anna, ca, multaque.KindProposal, "Comprem a cal Joan?", "", "")
	p, _ := r.srv.Poll(r.g.ID, poll.ID)
	if p.Anonymous || len(p.Options) != 4 || p.Options[multaque.ProposalBlock] != r.text(ca, "decision_opt_block") {
		t.Fatalf("poll %+v, want a non-anonymous proposal with four options in the author's language", p)
	}
	r.g.Expect(t, r.text(ca, "decision_kind_proposal"))

	r.vote(anna, poll, multaque.ProposalAgree)
	r.vote(berta, poll, multaque.ProposalBlock)
	berta.Expect(t, "✋")
	berta.Send("Massa car per a nosaltres")
	berta.Expect(t, r.text(es, "decision_reason_kept"))
	r.vote(r.coord, poll, multaque.ProposalDisagree)

	// A day before closing: Cesc alone is reminded, in English, once.
	d := r.latest()
	r.clock.Set(d.Closes.Add(-23 * time.Hour))
	cesc.Expect(t, "⏰")
	time.Sleep(300 * time.Millisecond) // several passes
	if n := len(fromBot(cesc, "⏰")); n != 1 {
		t.Errorf("Cesc got %d reminders, want 1", n)
	}
	if !strings.Contains(fromBot(cesc, "⏰")[0].Text, "closes on") {
		t.Errorf("reminder %q is not in English", fromBot(cesc, "⏰")[0].Text)
	}
	for _, u := range []*telegramtest.User{anna, berta, r.coord} {
		if n := len(fromBot(u, "⏰")); n != 0 {
			t.Errorf("%s, who answered or is no member, got %d reminders", u.FirstName, n)
		}
	}

	d = r.closeNow()
	o := d.Outcome
	if o.Result != multaque.ResultBlocked || o.Voted != 2 || o.Members != 3 || o.NotCounted != 1 || len(o.Blocks) != 1 {
		t.Fatalf("outcome %+v, want blocked, 2 of 3 members, 1 not counted", o)
	}
	m := r.outcomeMessage(d)
	for _, want := range []string{"Massa car per a nosaltres", r.text(ca, "decision_result_blocked"), r.textWith(ca, "decision_outcome_not_counted", map[string]any{"Count": 1})} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("outcome %q does not say %q", m.Text, want)
		}
	}
	if !m.Pinned {
		t.Error("the outcome is not pinned")
	}
	if p, _ := r.srv.Poll(r.g.ID, poll.ID); !p.Closed {
		t.Error("the poll was not stopped")
	}
	if _, err := cesc.Vote(r.g, poll.ID, 0); err == nil {
		t.Error("the closed poll took an answer")
	}
	anna.SendToGroup(r.g, "/decisions")
	r.g.Expect(t, "✋ Comprem a cal Joan?")
}

// TestDecisionChoiceQuorumAndLeaving: a choice of one answer among three;
// a member who leaves the team before closing no longer counts, and with
// two of four members answering the quorum of half is met; a meeting time
// one member answers (two times), closed early by its author, closes with
// no quorum.
func TestDecisionChoiceQuorumAndLeaving(t *testing.T) {
	en := multaque.English
	r := newDecisionRig(t, en, en, en, en)
	a, b, c := r.members[0], r.members[1], r.members[2]
	poll := r.decide(a, en, multaque.KindChoice, "Where do we meet?", "Library\nCafé\nSquare", "decide_btn_one")
	r.vote(a, poll, 1)
	r.vote(b, poll, 1)
	r.vote(c, poll, 0)
	c.Leave(r.g) // leaving the group leaves the team
	eventually(t, "Cesc is out of the team", func() bool { return !r.teamRig.team(r.team.ID).HasMember(c.ID) })
	d := r.closeNow()
	if o := d.Outcome; o.Result != multaque.ResultChosen || o.Members != 3 || o.Voted != 2 || o.NotCounted != 1 || len(o.Winners) != 1 || o.Winners[0] != 1 {
		t.Fatalf("outcome %+v, want Café chosen by 2 of 3 members, the leaver not counted", o)
	}
	if m := r.outcomeMessage(d); !strings.Contains(m.Text, "Chosen: Café") {
		t.Errorf("outcome %q does not name Café", m.Text)
	}

	// A draft given up with /cancel posts nothing.
	b.SendToGroup(r.g, "/decide")
	b.Press(t, r.text(en, "decide_btn_choice"))
	b.Expect(t, r.text(en, "decide_question"))
	b.Send("/cancel")
	b.Expect(t, r.text(en, "decide_cancelled"))
	if d, err := r.db.DecisionDraft(context.Background(), b.ID); err != nil || d != nil {
		t.Errorf("after /cancel: draft %+v, %v; want none", d, err)
	}

	meeting := r.decide(b, en, multaque.KindMeeting, "When?", "Mon 18:00\nTue 19:00", "")
	r.vote(a, meeting, 0, 1) // several answers: one of the two who must
	// Its author closes it early, from the message that said it was posted.
	b.Press(t, r.text(en, "decide_btn_close_now"))
	b.Expect(t, r.text(en, "decide_closing_now"))
	eventually(t, "the early outcome is posted", func() bool { return r.latest().Posted > 0 })
	d = r.latest()
	if o := d.Outcome; o.Result != multaque.ResultNoQuorum || !d.Multiple || o.Voted != 1 || o.Counts[0] != 1 || o.Counts[1] != 1 {
		t.Errorf("meeting answered by one: %+v (multiple %v), want no quorum, both times counted once", o, d.Multiple)
	}
	r.g.Expect(t, r.text(en, "decision_result_no_quorum"))

	// Coordinators see how many decisions the team took and when, not what.
	_, teams := exportCSV(t, r.harness, r.coord, "/export")
	last := d.ClosedAt.UTC().Format(time.DateOnly)
	if len(teams) != 2 || teams[1][0] != r.team.ID || teams[1][10] != "2" || teams[1][11] != last {
		t.Errorf("teams.csv = %v, want team %s with 2 decisions, the last on %s", teams, r.team.ID, last)
	}
	for _, row := range teams {
		if strings.Contains(strings.Join(row, ","), "Where do we meet") {
			t.Errorf("teams.csv shows a decision's content: %v", row)
		}
	}
}

// TestDecisionCountInAcrossRestart: a "count me in" whose closing time
// passes while the bot is down is closed when it comes back, with the
// answers given before; a duplicate answer counts once, and answers to a
// poll the bot did not send are ignored.
func TestDecisionCountInAcrossRestart(t *testing.T) {
	es := multaque.Spanish
	r := newDecisionRig(t, es, es, es)
	a, b := r.members[0], r.members[1]
	poll := r.decide(a, es, multaque.KindCountIn, "¿Quién trae las cajas?", "2", "")
	r.vote(a, poll, multaque.CountMeIn)
	id, err := b.Vote(r.g, poll.ID, multaque.CountMeIn)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "Berta's answer is recorded", func() bool { return r.latest().VoteOf(b.ID) != nil })
	// The same update delivered again (a webhook retry; here changed, to
	// show it is not read again), a newer one with the same answer, and an
	// answer to a poll that is not the bot's.
	d := r.latest()
	deliver := func(updateID int, pollID string, option int) {
		t.Helper()
		var u tg.Update
		if err := json.Unmarshal(telegramtest.PollAnswerJSON(updateID, pollID, b, option), &u); err != nil {
			t.Fatal(err)
		}
		if err := r.bot.HandleUpdate(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	deliver(id, d.PollID, multaque.CountMeOut)
	deliver(id+1000, d.PollID, multaque.CountMeIn)
	deliver(id+1001, "123456", multaque.CountMeOut)
	if got := r.latest(); len(got.Votes) != 2 || got.VoteOf(b.ID).Options[0] != multaque.CountMeIn || got.VoteOf(b.ID).Update != id+1000 {
		t.Errorf("after duplicates: votes %+v, want Anna's and Berta's, Berta in", got.Votes)
	}

	r.restart(func() { r.clock.Set(d.Closes.Add(time.Hour)) })
	eventually(t, "the outcome is posted after the restart", func() bool { return r.latest().Posted > 0 })
	d = r.latest()
	if o := d.Outcome; o.Result != multaque.ResultTargetMet || o.Counts[multaque.CountMeIn] != 2 || o.NotCounted != 0 {
		t.Fatalf("outcome %+v, want the target of 2 met, nothing left out", o)
	}
	if p, _ := r.srv.Poll(r.g.ID, poll.ID); !p.Closed {
		t.Error("the poll was not stopped after the restart")
	}
}

// restart stops the bot, does meanwhile while it is down, and starts a new
// one on the same file.
func (r *decisionRig) restart(meanwhile func()) {
	t := r.t
	r.stop()
	meanwhile()
	db, err := store.Open(r.path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{
		Token: r.srv.Token(), APIURL: r.srv.URL(), Store: db, Catalog: r.cat, Texts: r.texts, Client: r.srv.Client(),
		Logger: zerolog.New(r.logs).Level(zerolog.DebugLevel), PollTimeout: time.Second,
		Coordinators: []int64{r.coord.ID}, Now: r.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := outbox.New(b.Wire(), db, outbox.Options{Logger: r.senderLog(), PollInterval: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = b.Run(ctx); done <- struct{}{} }()
	go func() { _ = sender.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	r.db, r.bot = db, b
	r.runDecisions(b)
}

// TestDecisionMentorCountsWhenTheTeamSaysSo: the mentor's answer is left
// out until a member says /decisions mentor on; the decisions opened from
// then on count it.
func TestDecisionMentorCountsWhenTheTeamSaysSo(t *testing.T) {
	en := multaque.English
	r := newDecisionRig(t, en, en)
	a := r.members[0]
	marta := r.starter("Marta", en)
	if _, err := r.db.AssignMentor(context.Background(), r.team.ID, marta.ID, r.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if err := marta.OpenInviteLink(r.team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Marta is in the group", func() bool { return r.g.IsMember(marta.ID) })

	poll := r.decide(a, en, multaque.KindProposal, "Paint the door?", "", "")
	r.vote(marta, poll, multaque.ProposalAgree)
	if d := r.closeNow(); d.Outcome.Members != 2 || d.Outcome.NotCounted != 1 {
		t.Errorf("before the team's choice: %+v, want 2 members and the mentor not counted", d.Outcome)
	}

	// A forged or old button of the walk-through, or someone else's Close
	// now, changes nothing and is answered once, as expired.
	for _, data := range []string{"dkind|999|proposal", fmt.Sprintf("dnow|%d|", r.latest().ID)} {
		ans := waitAnswer(t, marta, marta.PressData(1, data))
		if !ans.ShowAlert || ans.Text != r.text(en, "stale") {
			t.Errorf("press of %q answered %+v, want the expired alert", data, ans)
		}
	}

	marta.SendToGroup(r.g, "/decisions mentor on")
	r.g.Expect(t, r.text(en, "decisions_mentor_members_only"))
	a.SendToGroup(r.g, "/decisions mentor on")
	r.g.Expect(t, r.text(en, "decisions_mentor_on"))
	poll = r.decide(a, en, multaque.KindProposal, "Paint it green?", "", "")
	r.vote(marta, poll, multaque.ProposalAgree)
	if d := r.closeNow(); d.Outcome.Members != 3 || d.Outcome.Voted != 1 || d.Outcome.NotCounted != 0 {
		t.Errorf("after /decisions mentor on: %+v, want the mentor among 3 who count", d.Outcome)
	}
}

// TestGroupCommandsPublished: every group's command menu lists /decide,
// /decisions and /plan, in each language.
func TestGroupCommandsPublished(t *testing.T) {
	h := newHarness(t)
	h.srv.NewUser("Anna", "ca").Send("/help") // the bot is up once it answers
	for _, lang := range []string{"ca", "es", "en", ""} {
		cmds := h.srv.Commands("all_group_chats", lang)
		if len(cmds) != 3 || cmds[0].Text != "decide" || cmds[1].Text != "decisions" || cmds[2].Text != "plan" ||
			strings.HasPrefix(cmds[0].Description, "[") || strings.HasPrefix(cmds[2].Description, "[") {
			t.Errorf("group commands in %q = %v, want decide, decisions and plan described", lang, cmds)
		}
	}
}

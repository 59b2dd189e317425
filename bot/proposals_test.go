package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/matching"
)

// proposalRig is what the proposal tests run on: a teamRig whose bot reads
// the live catalogue (rebuilt after each change, as cmd/multaque wires it),
// with two coordinators of every community, Carme in Catalan and Pau in
// English, and no Provisioner.
var proposalRig = rigOptions{liveCatalog: true, secondCoordinator: true, noProvisioner: true}

// with is a shorthand for template data.
func with(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// propose walks u, a citizen who speaks Spanish, through /propose to a sent
// proposal with critical mass mass, and returns it as stored.
func (r *teamRig) propose(u *telegramtest.User, name string, mass int) *multaque.Proposal {
	r.t.Helper()
	es := multaque.Spanish
	u.Send("/propose")
	u.Expect(r.t, r.textWith(es, "proposal_ask_name", with("Limit", 64)))
	u.Send(name)
	u.Expect(r.t, r.textWith(es, "proposal_ask_pitch", with("Limit", 160)))
	u.Send("Un huerto que cultivan los vecinos.")
	u.Expect(r.t, r.textWith(es, "proposal_ask_explanation", with("Limit", 700)))
	u.Send("Alquilamos un terreno.\nLo cultivamos juntos.")
	u.Expect(r.t, r.textWith(es, "proposal_ask_mass", with("Min", 2, "Max", 50)))
	u.Send(fmt.Sprint(mass))
	u.Expect(r.t, r.text(es, "proposal_confirm"))
	u.Press(r.t, r.text(es, "proposal_btn_send"))
	u.Expect(r.t, r.text(es, "proposal_sent"))
	p, err := r.db.OpenProposal(context.Background(), u.ID)
	if err != nil || p.Status != multaque.ProposalPending {
		r.t.Fatalf("OpenProposal=%+v,%v, want it pending", p, err)
	}
	return p
}

// cardHead is the head of a proposal's card as a coordinator reads it.
func (r *teamRig) cardHead(lang multaque.Lang, p *multaque.Proposal) string {
	return r.textWith(lang, "proposal_card_head", with("ID", p.ID, "Language", r.text(lang, "proposal_lang_"+string(p.Lang))))
}

// answer waits for the bot's answer to the callback query with that
// update id.
func answer(t *testing.T, u *telegramtest.User, update int) telegramtest.CallbackAnswer {
	t.Helper()
	var a telegramtest.CallbackAnswer
	eventually(t, "the button is answered", func() bool {
		var ok bool
		a, ok = u.AnswerFor(update)
		return ok
	})
	return a
}

// auditEntries returns the audit entries of command, newest first.
func (r *teamRig) auditEntries(command string) []multaque.AuditEntry {
	r.t.Helper()
	log, err := r.db.AuditLog(context.Background(), 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []multaque.AuditEntry
	for _, e := range log {
		if e.Command == command {
			out = append(out, e)
		}
	}
	return out
}

// TestProposalBecomesAProjectCitizensChoose is the whole way of a proposal:
// a citizen proposes a project in Spanish, with mistakes on the way; a
// coordinator asks for changes; she changes it and sends it again; the
// coordinator approves it; a Catalan neighbour sees it, marked as written in
// Spanish, in /projects and chooses it, she chooses it in /settings; the
// matcher forms their team; a translation removes the mark.
func TestProposalBecomesAProjectCitizensChoose(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole flow over HTTP")
	}
	r := newTeamRig(t, proposalRig)
	es, ca := multaque.Spanish, multaque.Catalan
	ctx := context.Background()
	anna := r.srv.NewUser("Anna", "es")
	r.survey(anna, es, "Anna")
	anna.Expect(t, "de 8 vecinos")

	// The questions, with bad answers asked again.
	anna.Send("/propose")
	anna.Expect(t, r.text(es, "proposal_intro")[:20])
	anna.Send("Taller de\nreparación")
	anna.Expect(t, r.text(es, "proposal_problem_one_line"))
	anna.Send("Taller de reparación")
	anna.Expect(t, r.textWith(es, "proposal_ask_pitch", with("Limit", 160)))
	anna.Send("Un huerto que cultivan los vecinos.")
	anna.Expect(t, r.textWith(es, "proposal_ask_explanation", with("Limit", 700)))
	anna.Send(strings.Repeat("x", 701))
	anna.Expect(t, r.textWith(es, "proposal_problem_too_long", with("Limit", 700)))
	anna.Send("Alquilamos un terreno.\nLo cultivamos juntos.")
	anna.Expect(t, r.textWith(es, "proposal_ask_mass", with("Min", 2, "Max", 50)))
	for _, bad := range []string{"1", "51", "dos"} {
		anna.Send(bad)
		anna.Expect(t, r.textWith(es, "proposal_problem_mass", with("Min", 2, "Max", 50)))
	}
	anna.Send("2")
	anna.Expect(t, r.text(es, "proposal_confirm"))
	if cz := r.citizen(anna.ID); cz.Name != "Anna" || len(cz.Interests) != 1 {
		t.Fatalf("the proposal's answers reached the survey: %+v", cz)
	}
	anna.Press(t, r.text(es, "proposal_btn_send"))
	anna.Expect(t, r.text(es, "proposal_sent"))
	p, err := r.db.OpenProposal(ctx, anna.ID)
	if err != nil || p.Status != multaque.ProposalPending || p.MinTeam != 2 {
		t.Fatalf("stored %+v,%v, want pending with critical mass 2", p, err)
	}

	// Each coordinator gets it in their language; Carme asks for changes.
	r.coord2.Expect(t, r.cardHead(multaque.English, p))
	card := r.coord.Expect(t, r.cardHead(ca, p))
	if !strings.Contains(card.Text, "Taller de reparación") || !strings.Contains(card.Text, "Alquilamos un terreno.") {
		t.Fatalf("the card shows %q, want the proposal", card.Text)
	}
	r.coord.Press(t, r.text(ca, "proposal_btn_changes"))
	r.coord.Expect(t, r.textWith(ca, "proposal_note_changes_ask", with("Name", "Taller de reparación")))
	r.coord.Send("Explica què costa el terreny.")
	r.coord.Expect(t, r.textWith(ca, "proposal_note_sent_changes", with("Name", "Taller de reparación")))
	asked := anna.Expect(t, r.textWith(es, "proposal_changes", with("Name", "Taller de reparación")))
	if !strings.Contains(asked.Text, "Explica què costa el terreny.") {
		t.Fatalf("the proposer reads %q, want the coordinator's note", asked.Text)
	}
	if got := r.auditEntries("changes"); len(got) != 1 || got[0].Actor != r.coord.ID || got[0].Refused {
		t.Fatalf("audit of changes: %+v", got)
	}

	// She changes the explanation and sends it again.
	anna.Press(t, r.text(es, "proposal_btn_open"))
	anna.Expect(t, r.text(es, "proposal_confirm"))
	anna.Press(t, r.text(es, "proposal_btn_explanation"))
	anna.Expect(t, r.textWith(es, "proposal_ask_explanation", with("Limit", 700)))
	anna.Send("Alquilamos un terreno por 300 € al año.\nLo cultivamos juntos.")
	anna.Expect(t, r.text(es, "proposal_confirm"))
	anna.Press(t, r.text(es, "proposal_btn_send"))
	anna.Expect(t, r.text(es, "proposal_sent"))
	eventually(t, "a second card reaches Carme", func() bool { return len(fromBot(r.coord, r.cardHead(ca, p))) == 2 })

	// The first card's Approve is stale now; the second's approves.
	upd := r.coord.PressData(card.ID, buttonData(t, card, r.text(ca, "proposal_btn_approve")))
	if a := answer(t, r.coord, upd); a.Text != r.text(ca, "stale") {
		t.Fatalf("the old card's Approve answers %q, want %q", a.Text, r.text(ca, "stale"))
	}
	r.coord.Press(t, r.text(ca, "proposal_btn_approve"))
	r.coord.Expect(t, r.textWith(ca, "proposal_approved_coord", with("Project", "taller-de-reparacion")))
	anna.Expect(t, r.textWith(es, "proposal_approved", with("Name", "Taller de reparación")))
	if got := r.auditEntries("approve"); len(got) != 1 || !strings.Contains(got[0].Detail, "taller-de-reparacion") {
		t.Fatalf("audit of approve: %+v", got)
	}

	// A Catalan neighbour sees it, marked, and chooses it from /projects.
	joan := r.srv.NewUser("Joan", "ca")
	r.survey(joan, ca, "Joan")
	joan.Send("/projects")
	joan.Expect(t, "🌐 Taller de reparación")
	joan.Press(t, "🌐 Taller de reparación")
	joan.Expect(t, "🌐 (en castellà) Un huerto que cultivan los vecinos.")
	joan.Press(t, r.text(ca, "btn_interested"))
	eventually(t, "Joan wants the new project", func() bool { return r.citizen(joan.ID).HasInterest("taller-de-reparacion") })

	// She chooses it in /settings and sees its progress.
	anna.Send("/settings")
	anna.Press(t, r.text(es, "btn_set_interests"))
	anna.Press(t, "▫️ Taller de reparación")
	anna.Expect(t, r.textWith(es, "ask_interests", with("Count", 2)))
	anna.Press(t, r.text(es, "btn_done"))
	anna.Expect(t, "2 de 2 vecinos de Gracia lo quieren")

	// The matcher forms their team.
	runner := &matching.Runner{Store: r.db, Catalog: r.live, Notifier: r.bot, Logger: zerolog.Nop()}
	rep, err := runner.Run(ctx)
	if err != nil || len(rep.Formed) != 1 {
		t.Fatalf("matching run: %+v,%v, want one team", rep, err)
	}
	team, err := r.db.Team(ctx, rep.Formed[0])
	if err != nil || team.Project != "taller-de-reparacion" || len(team.Members) != 2 {
		t.Fatalf("team %+v,%v, want Anna and Joan for the new project", team, err)
	}

	// A coordinator translates its name: the mark goes.
	r.coord.Send("/translate taller-de-reparacion ca name Taller de reparació")
	r.coord.Expect(t, r.textWith(ca, "translate_done", with("Project", "taller-de-reparacion", "Field", "name", "Language", "català")))
	joan.Send("/projects")
	list := joan.Expect(t, "• Taller de reparació: ")
	if strings.Contains(list.Text, "🌐 Taller") {
		t.Fatalf("/projects still shows the untranslated name: %q", list.Text)
	}
}

// TestThresholdChangesWhatCitizensAndMatcherSee: /threshold changes the
// critical mass a citizen's progress counts against and the matcher forms
// teams with; reset brings the catalogue's back.
func TestThresholdChangesWhatCitizensAndMatcherSee(t *testing.T) {
	r := newTeamRig(t, proposalRig)
	ca, es := multaque.Catalan, multaque.Spanish
	ctx := context.Background()
	usage := r.visible(ca, "threshold_usage", "Max", multaque.MaxTeamSize)
	anna := r.srv.NewUser("Anna", "es")
	r.survey(anna, es, "Anna")
	anna.Expect(t, "1 de 8 vecinos de Gracia")

	r.coord.Send("/threshold")
	r.coord.Expect(t, r.text(ca, "threshold_list_none"))
	for _, bad := range []string{"consumer-group", "consumer-group 1 4", "consumer-group 5 4", "consumer-group 2 201", "consumer-group x 4", "Consumer-Group 2 4", "consumer-group 2 4 5"} {
		r.coord.Send("/threshold " + bad)
		r.coord.Expect(t, usage)
	}
	r.coord.Send("/threshold no-such-project 2 4")
	r.coord.Expect(t, r.textWith(ca, "admin_project_unknown", with("Project", "no-such-project", "Projects", ""))[:30])
	if ts, _ := r.db.Thresholds(ctx); len(ts) != 0 {
		t.Fatalf("malformed commands stored %v", ts)
	}

	r.coord.Send("/threshold consumer-group 2 4")
	r.coord.Expect(t, r.textWith(ca, "threshold_set", with("Name", r.project(ca, "consumer-group"), "OldMin", 8, "OldMax", 15, "Min", 2, "Max", 4)))
	if got := r.auditEntries("threshold"); len(got) != 1 || got[0].Detail != "consumer-group 8-15 → 2-4" {
		t.Fatalf("audit: %+v", got)
	}
	anna.Send("/me")
	anna.Expect(t, "1 de 2 vecinos de Gracia")
	r.coord.Send("/threshold")
	r.coord.Expect(t, "consumer-group: 2–4")

	// The matcher uses it: two people form a team.
	joan := r.srv.NewUser("Joan", "ca")
	r.survey(joan, ca, "Joan")
	runner := &matching.Runner{Store: r.db, Catalog: r.live, Notifier: r.bot, Logger: zerolog.Nop()}
	rep, err := runner.Run(ctx)
	if err != nil || len(rep.Formed) != 1 {
		t.Fatalf("matching run: %+v,%v, want the two to form a team under the threshold", rep, err)
	}

	r.coord.Send("/threshold consumer-group reset")
	r.coord.Expect(t, r.textWith(ca, "threshold_reset", with("Name", r.project(ca, "consumer-group"), "Min", 8, "Max", 15)))
	r.coord.Send("/threshold consumer-group reset")
	r.coord.Expect(t, r.textWith(ca, "threshold_none", with("Project", "consumer-group")))
	pau := r.srv.NewUser("Pere", "ca")
	r.survey(pau, ca, "Pere")
	pau.Expect(t, "1 de 8 veïns de Gràcia")
}

// TestProposalCommandsRefused: a citizen running the coordinators' commands
// gets the neutral refusal; a coordinator of some communities cannot change
// the whole catalogue; each attempt is audited and changes nothing.
func TestProposalCommandsRefused(t *testing.T) {
	r := newTeamRig(t, proposalRig)
	ca, es := multaque.Catalan, multaque.Spanish
	ctx := context.Background()
	anna := r.srv.NewUser("Anna", "es")
	r.survey(anna, es, "Anna")
	p := r.propose(anna, "Taller de reparación", 2)
	card := r.coord.Expect(t, r.cardHead(ca, p))
	approve := buttonData(t, card, r.text(ca, "proposal_btn_approve"))

	scoped := r.srv.NewUser("Sílvia", "ca")
	scoped.Send("/start")
	scoped.Expect(t, "Multaque")
	err := r.db.SaveCoordinator(ctx, &multaque.Coordinator{ID: scoped.ID, Communities: []string{"gracia"}, Lang: ca, AddedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	commands := []string{"/threshold consumer-group 2 4", "/threshold", "/proposals", "/translate taller-de-reparacion ca name Hort"}
	for _, cmd := range commands {
		anna.Send(cmd)
		anna.Expect(t, r.text(es, "admin_refused"))
		scoped.Send(cmd)
		scoped.Expect(t, r.text(ca, "admin_whole_catalogue"))
	}
	// Buttons pressed by whoever got hold of their data.
	if a := answer(t, anna, anna.PressData(card.ID, approve)); a.Text != r.text(es, "admin_refused") {
		t.Fatalf("a citizen's Approve answers %q", a.Text)
	}
	if a := answer(t, scoped, scoped.PressData(card.ID, approve)); a.Text != r.text(ca, "admin_whole_catalogue") {
		t.Fatalf("a scoped coordinator's Approve answers %q", a.Text)
	}
	if got, _ := r.db.Proposal(ctx, p.ID); got.Status != multaque.ProposalPending {
		t.Fatalf("the proposal is %s after refused presses, want pending", got.Status)
	}
	if ts, _ := r.db.Thresholds(ctx); len(ts) != 0 {
		t.Fatalf("refused callers stored thresholds %v", ts)
	}
	refused := map[int64]int{}
	log, _ := r.db.AuditLog(ctx, 1000)
	for _, e := range log {
		if e.Refused {
			refused[e.Actor] += e.Count // a day's refusals of one command are one entry
		}
	}
	if refused[anna.ID] != len(commands)+1 || refused[scoped.ID] != len(commands)+1 {
		t.Fatalf("refused attempts audited: %v, want %d each", refused, len(commands)+1)
	}
	// Scoped coordinators do not get the cards.
	if got := fromBot(scoped, r.cardHead(ca, p)); len(got) != 0 {
		t.Fatalf("a scoped coordinator got %d cards", len(got))
	}
	// Malformed arguments get a usage line.
	r.coord.Send("/proposals now")
	r.coord.Expect(t, r.text(ca, "proposals_usage"))
	for _, bad := range []string{"", "taller-de-reparacion", "taller-de-reparacion fr name Hort", "taller-de-reparacion ca title Hort", "taller-de-reparacion ca name"} {
		r.coord.Send(strings.TrimSpace("/translate " + bad))
		r.coord.Expect(t, r.visible(ca, "translate_usage"))
	}
	// A text the field cannot take says why, with the field's limit.
	r.coord.Send("/translate consumer-group ca name " + strings.Repeat("x", 65))
	r.coord.Expect(t, r.textWith(ca, "proposal_problem_too_long", with("Limit", 64)))
	r.coord.Send("/translate consumer-group ca pitch Grup\nde consum")
	r.coord.Expect(t, r.text(ca, "proposal_problem_one_line"))
	r.coord.Send("/translate consumer-group ca name Grup")
	r.coord.Expect(t, r.textWith(ca, "translate_file_project", with("Project", "consumer-group")))
	r.coord.Send("/translate taller-de-reparacion ca name Hort")
	r.coord.Expect(t, r.textWith(ca, "admin_project_unknown", with("Project", "taller-de-reparacion", "Projects", ""))[:30])
	// Forged buttons, and someone else's, say they are stale and change nothing.
	joan := r.srv.NewUser("Joan", "ca")
	r.survey(joan, ca, "Joan")
	for _, data := range []string{"prs|1|999", "pra|1|0", "prs|1|x", fmt.Sprintf("prx|%d|%d", p.Version, p.ID), fmt.Sprintf("pre|%d|%d,title", p.Version, p.ID)} {
		if a := answer(t, joan, joan.PressData(1, data)); a.Text != r.text(ca, "stale") {
			t.Fatalf("Joan's press of %q answers %q, want stale", data, a.Text)
		}
	}
	if got, _ := r.db.Proposal(ctx, p.ID); got.Status != multaque.ProposalPending || got.Version != p.Version {
		t.Fatalf("after forged presses the proposal is %s v%d, want pending v%d", got.Status, got.Version, p.Version)
	}
	// /proposals lists it for a coordinator of every community, with its
	// buttons: a rejection without a reason.
	r.coord.Send("/proposals")
	r.coord.Expect(t, r.textWith(ca, "proposals_head", with("Count", 1)))
	eventually(t, "the card is shown again", func() bool { return len(fromBot(r.coord, r.cardHead(ca, p))) == 2 })
	r.coord.Press(t, r.text(ca, "proposal_btn_reject"))
	r.coord.Press(t, r.text(ca, "proposal_btn_reject_now"))
	r.coord.Expect(t, r.textWith(ca, "proposal_note_sent_rejected", with("Name", "Taller de reparación")))
	told := anna.Expect(t, r.textWith(es, "proposal_rejected", with("Name", "Taller de reparación")))
	if strings.Contains(told.Text, r.textWith(es, "proposal_note_line", with("Note", ""))) {
		t.Fatalf("a rejection without a reason reads %q", told.Text)
	}
}

// TestProposalDecidedOnce: a press delivered twice acts once, and of two
// coordinators deciding at once the first wins and the second is told who
// decided.
func TestProposalDecidedOnce(t *testing.T) {
	r := newTeamRig(t, proposalRig)
	ca, en, es := multaque.Catalan, multaque.English, multaque.Spanish
	ctx := context.Background()
	anna := r.srv.NewUser("Anna", "es")
	r.survey(anna, es, "Anna")

	// Send pressed twice: one proposal sent, one card each.
	anna.Send("/propose")
	for _, s := range []string{"Taller de reparación", "Un huerto.", "Lo cultivamos.", "3"} {
		anna.Send(s)
	}
	summary := anna.Expect(t, r.text(es, "proposal_confirm"))
	send := buttonData(t, summary, r.text(es, "proposal_btn_send"))
	first := anna.PressData(summary.ID, send)
	anna.Expect(t, r.text(es, "proposal_sent"))
	if a := answer(t, anna, anna.PressData(summary.ID, send)); a.Text != r.text(es, "stale") || !a.ShowAlert {
		t.Fatalf("the second Send answers %+v, want the stale alert", a)
	}
	answer(t, anna, first)
	p, _ := r.db.OpenProposal(ctx, anna.ID)
	cardCa := r.coord.Expect(t, r.cardHead(ca, p))
	cardEn := r.coord2.Expect(t, r.cardHead(en, p))
	time.Sleep(200 * time.Millisecond) // the Sender would have delivered a second card by now
	if n := len(fromBot(r.coord, r.cardHead(ca, p))); n != 1 {
		t.Fatalf("Carme got %d cards, want 1", n)
	}

	// Both coordinators decide: Carme rejects with a reason, Pau approves later.
	r.coord.PressData(cardCa.ID, buttonData(t, cardCa, r.text(ca, "proposal_btn_reject")))
	r.coord.Expect(t, r.textWith(ca, "proposal_note_reject_ask", with("Name", "Taller de reparación")))
	r.coord.Send("Ja hi ha un hort al barri.")
	r.coord.Expect(t, r.textWith(ca, "proposal_note_sent_rejected", with("Name", "Taller de reparación")))
	upd := r.coord2.PressData(cardEn.ID, buttonData(t, cardEn, r.text(en, "proposal_btn_approve")))
	want := r.texts.Text(en, "proposal_already_rejected", with("Name", "Taller de reparación", "Who", "Carme"))
	if a := answer(t, r.coord2, upd); a.Text != want {
		t.Fatalf("Pau's late Approve answers %q, want %q", a.Text, want)
	}
	rejected := anna.Expect(t, r.textWith(es, "proposal_rejected", with("Name", "Taller de reparación")))
	if !strings.Contains(rejected.Text, "Ja hi ha un hort al barri.") {
		t.Fatalf("the proposer reads %q, want the reason", rejected.Text)
	}
	got, _ := r.db.Proposal(ctx, p.ID)
	if got.Status != multaque.ProposalRejected || got.DecidedBy != r.coord.ID {
		t.Fatalf("stored %s by %d, want rejected by Carme", got.Status, got.DecidedBy)
	}
	if n := len(r.auditEntries("approve")); n != 0 {
		t.Fatalf("%d approvals audited, want none", n)
	}
	if approved, _ := r.db.Proposals(ctx, multaque.ProposalApproved); len(approved) != 0 {
		t.Fatalf("approved %v after a rejection", approved)
	}

	// A new proposal, approved by both at once: one wins.
	q := r.propose(anna, "Banco de semillas", 4)
	cardCa = r.coord.Expect(t, r.cardHead(ca, q))
	cardEn = r.coord2.Expect(t, r.cardHead(en, q))
	u1 := r.coord.PressData(cardCa.ID, buttonData(t, cardCa, r.text(ca, "proposal_btn_approve")))
	u2 := r.coord2.PressData(cardEn.ID, buttonData(t, cardEn, r.text(en, "proposal_btn_approve")))
	answer(t, r.coord, u1)
	a2 := answer(t, r.coord2, u2)
	approved, _ := r.db.Proposals(ctx, multaque.ProposalApproved)
	if len(approved) != 1 || approved[0].Project != "banco-de-semillas" {
		t.Fatalf("approved %+v, want one, as banco-de-semillas", approved)
	}
	if n := len(r.auditEntries("approve")); n != 1 {
		t.Fatalf("%d approvals audited, want 1", n)
	}
	winner := approved[0].DeciderName
	if winner == "Pau" {
		// Pau's press was handled first: Carme's answer says so instead.
		a2 = answer(t, r.coord, u1)
		want = r.texts.Text(ca, "proposal_already_approved", with("Name", "Banco de semillas", "Who", "Pau"))
	} else {
		want = r.texts.Text(en, "proposal_already_approved", with("Name", "Banco de semillas", "Who", "Carme"))
	}
	if a2.Text != want {
		t.Fatalf("the second approval answers %q, want %q", a2.Text, want)
	}
	eventually(t, "Anna is told once", func() bool {
		return len(fromBot(anna, r.textWith(es, "proposal_approved", with("Name", "Banco de semillas")))) == 1
	})
	if _, ok := r.live.Project("banco-de-semillas"); !ok {
		t.Fatal("the approved project is not in the live catalogue")
	}
}

// TestProposalCancelAndStrangers: /cancel leaves a proposal being written
// and a coordinator's note; someone who never consented cannot propose.
func TestProposalCancelAndStrangers(t *testing.T) {
	r := newTeamRig(t, proposalRig)
	ca, es := multaque.Catalan, multaque.Spanish
	ctx := context.Background()
	stranger := r.srv.NewUser("Xavi", "ca")
	stranger.Send("/propose")
	stranger.Expect(t, r.text(ca, "proposal_who"))

	anna := r.srv.NewUser("Anna", "es")
	r.survey(anna, es, "Anna")
	anna.Send("/propose")
	anna.Expect(t, r.textWith(es, "proposal_ask_name", with("Limit", 64)))
	anna.Send("Huerto")
	anna.Expect(t, r.textWith(es, "proposal_ask_pitch", with("Limit", 160)))
	anna.Send("/cancel")
	anna.Expect(t, r.text(es, "proposal_discarded"))
	if _, err := r.db.OpenProposal(ctx, anna.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("OpenProposal after /cancel: %v, want ENOTFOUND", err)
	}
	// Text goes to the survey again: at the summary, that is help.
	anna.Send("hola")
	anna.Expect(t, r.text(es, "help")[:30])

	p := r.propose(anna, "Taller de reparación", 2)
	card := r.coord.Expect(t, r.cardHead(ca, p))
	r.coord.PressData(card.ID, buttonData(t, card, r.text(ca, "proposal_btn_changes")))
	r.coord.Expect(t, r.textWith(ca, "proposal_note_changes_ask", with("Name", "Taller de reparación")))
	r.coord.Send(strings.Repeat("x", 1001))
	r.coord.Expect(t, r.textWith(ca, "proposal_problem_too_long", with("Limit", 1000)))
	r.coord.Send("/cancel")
	r.coord.Expect(t, r.text(ca, "proposal_note_cancelled"))
	if got, _ := r.db.Proposal(ctx, p.ID); got.Status != multaque.ProposalPending {
		t.Fatalf("after the coordinator's /cancel the proposal is %s, want pending", got.Status)
	}
	// While it waits, /propose says so.
	anna.Send("/propose")
	anna.Expect(t, r.text(es, "proposal_waiting"))

	// /mydata shows it; /forget erases it.
	anna.Send("/mydata")
	doc := anna.Expect(t, r.text(es, "mydata_caption")[:10])
	if doc.Document == nil || !strings.Contains(string(doc.Document.Data), "Taller de reparación") {
		t.Fatal("/mydata does not show the proposal")
	}
	anna.Send("/forget")
	anna.Press(t, r.text(es, "btn_forget"))
	anna.Expect(t, r.text(es, "forgotten"))
	if _, err := r.db.Proposal(ctx, p.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("the pending proposal after /forget: %v, want ENOTFOUND", err)
	}
}

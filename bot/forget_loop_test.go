package bot_test

import (
	"context"
	"testing"

	"github.com/multaque/multaque"
)

// TestForgetAndComeBackCountsNoReferral: someone who started from a
// referral link, asked to be forgotten and came back through the same link
// is counted once, not once a round.
func TestForgetAndComeBackCountsNoReferral(t *testing.T) {
	h := newHarness(t)
	ca := multaque.Catalan
	anna := h.srv.NewUser("Anna", "ca")
	h.survey(anna, ca, "Anna")
	code := h.citizen(anna.ID).RefCode

	bea := h.srv.NewUser("Bea", "ca")
	for round := range 3 {
		bea.Send("/start r_" + code)
		bea.Press(t, "✓ Català")
		bea.Press(t, h.text(ca, "btn_consent"))
		bea.Expect(t, h.text(ca, "ask_name"))
		if got := h.citizen(anna.ID).Referrals; got != 1 {
			t.Fatalf("round %d: Anna's Referrals=%d, want 1", round+1, got)
		}
		bea.Send("/forget")
		bea.Press(t, h.text(ca, "btn_forget"))
		bea.Expect(t, h.text(ca, "forgotten"))
	}
}

// TestForgetAndComeBackSendsNoCardsAgain: a proposer who asks to be
// forgotten (which withdraws their proposal) and comes back cannot send
// the coordinators a proposal again for a day.
func TestForgetAndComeBackSendsNoCardsAgain(t *testing.T) {
	r := newTeamRig(t, proposalRig)
	es := multaque.Spanish
	u := r.srv.NewUser("Nuria", "es")
	r.survey(u, es, "Nuria")
	p := r.propose(u, "Huerto comunitario", 5)
	eventually(t, "the card reaches Carme", func() bool { return len(fromBot(r.coord, r.cardHead(multaque.Catalan, p))) == 1 })

	u.Send("/forget")
	u.Press(t, r.text(es, "btn_forget"))
	u.Expect(t, r.text(es, "forgotten"))
	r.survey(u, es, "Nuria")
	u.Send("/propose")
	u.Expect(t, r.textWith(es, "proposal_ask_name", with("Limit", 64)))
	u.Send("Huerto comunitario")
	u.Expect(t, r.textWith(es, "proposal_ask_pitch", with("Limit", 160)))
	u.Send("Un huerto que cultivan los vecinos.")
	u.Expect(t, r.textWith(es, "proposal_ask_explanation", with("Limit", 700)))
	u.Send("Alquilamos un terreno.")
	u.Expect(t, r.textWith(es, "proposal_ask_mass", with("Min", 2, "Max", 50)))
	u.Send("5")
	u.Expect(t, r.text(es, "proposal_confirm"))
	u.Press(t, r.text(es, "proposal_btn_send"))
	u.Expect(t, r.text(es, "proposal_wait_after_forget"))
	again, err := r.db.OpenProposal(context.Background(), u.ID)
	if err != nil || again.Status != multaque.ProposalDraft {
		t.Fatalf("the proposal after /forget = %+v, %v; want it kept as a draft", again, err)
	}
	if got, _ := r.db.Proposals(context.Background(), multaque.ProposalPending); len(got) != 0 {
		t.Fatalf("%d proposals pending after /forget and a send, want 0", len(got))
	}
}

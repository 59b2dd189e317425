package bot_test

import (
	"bytes"
	"testing"

	"github.com/multaque/multaque"
)

// TestDecisionForgetAndDeletedPoll: /mydata shows a voter's answer and
// reason; after /forget their answer no longer counts in the open
// decision, and the closed one keeps its counts without them. A poll whose
// message was deleted in the group closes with a note.
func TestDecisionForgetAndDeletedPoll(t *testing.T) {
	ca := multaque.Catalan
	r := newDecisionRig(t, ca, ca, ca)
	a, b := r.members[0], r.members[1]

	first := r.decide(a, ca, multaque.KindProposal, "Fem una assemblea?", "", "")
	r.vote(a, first, multaque.ProposalAgree)
	r.vote(b, first, multaque.ProposalAgree)
	closed := r.closeNow()

	open := r.decide(a, ca, multaque.KindProposal, "Canviem de proveïdor?", "", "")
	r.vote(a, open, multaque.ProposalAgree)
	r.vote(b, open, multaque.ProposalBlock)
	b.Expect(t, "✋")
	b.Send("Un motiu molt distintiu")
	b.Expect(t, r.text(ca, "decision_reason_kept"))
	b.Send("/mydata")
	doc := b.Expect(t, r.text(ca, "mydata_caption"))
	if doc.Document == nil || !bytes.Contains(doc.Document.Data, []byte("Un motiu molt distintiu")) || !bytes.Contains(doc.Document.Data, []byte("Fem una assemblea?")) {
		t.Fatalf("/mydata does not show the answers and the reason")
	}

	b.Send("/forget")
	b.Press(t, r.text(ca, "btn_forget"))
	eventually(t, "Berta's answer leaves the open decision", func() bool { return r.latest().VoteOf(b.ID) == nil })
	if d, err := r.db.Decision(t.Context(), closed.ID); err != nil || d.VoteOf(b.ID) != nil || d.Outcome.Voted != 2 || d.Outcome.Counts[multaque.ProposalAgree] != 2 {
		t.Errorf("closed decision after /forget: %+v, %v; want Berta gone, counts kept", d, err)
	}

	// The poll's message is deleted in the group: the decision closes on
	// time with a note, counting Anna alone (Berta forgotten, Cesc silent).
	if !r.g.DeleteMessage(open.ID) {
		t.Fatal("DeleteMessage")
	}
	d := r.closeNow()
	if d.Note != multaque.NotePollDeleted || d.Outcome.Voted != 1 || len(d.Outcome.Blocks) != 0 {
		t.Errorf("outcome %+v, note %q; want Anna's answer alone and the note", d.Outcome, d.Note)
	}
	r.g.Expect(t, r.text(ca, "decision_note_poll_deleted"))
}

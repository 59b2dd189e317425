package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

var errMoved = errors.New("moved")

func draftOf(proposer int64) multaque.Proposal {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	return multaque.Proposal{Proposer: proposer, Lang: multaque.Catalan, Status: multaque.ProposalDraft,
		Step: multaque.ProposalStepName, CreatedAt: now, UpdatedAt: now}
}

// written fills a draft's answers, ready to send.
func written(p *multaque.Proposal) error {
	p.Name = multaque.Text{multaque.Catalan: "Hort comunitari"}
	p.Pitch = multaque.Text{multaque.Catalan: "Un hort dels veïns."}
	p.Explanation = multaque.Text{multaque.Catalan: "Cultivem junts."}
	p.MinTeam, p.Step = 5, multaque.ProposalStepConfirm
	return nil
}

func send(p *multaque.Proposal) error {
	p.Status, p.Step = multaque.ProposalPending, ""
	return nil
}

// pendingProposal stores a sent proposal of proposer.
func pendingProposal(t *testing.T, db *store.DB, proposer int64) *multaque.Proposal {
	t.Helper()
	ctx := context.Background()
	p, err := db.StartProposal(ctx, draftOf(proposer))
	if err != nil {
		t.Fatalf("StartProposal: %v", err)
	}
	if p, err = db.UpdateProposal(ctx, p.ID, written, nil); err != nil {
		t.Fatalf("UpdateProposal: %v", err)
	}
	if p, err = db.UpdateProposal(ctx, p.ID, send, nil); err != nil {
		t.Fatalf("UpdateProposal: %v", err)
	}
	return p
}

func TestProposalLifecycle(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := db.OpenProposal(ctx, 10); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("OpenProposal of nobody: %v, want ENOTFOUND", err)
	}
	p, err := db.StartProposal(ctx, draftOf(10))
	if err != nil || p.ID == 0 || p.Version != 1 {
		t.Fatalf("StartProposal=%+v,%v, want an id and version 1", p, err)
	}
	if _, err := db.StartProposal(ctx, draftOf(10)); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Fatalf("a second open proposal: %v, want ECONFLICT", err)
	}
	typing, note, err := db.ProposalTyping(ctx, 10)
	if err != nil || typing == nil || typing.ID != p.ID || note != nil {
		t.Fatalf("ProposalTyping=%v,%v,%v, want the draft waiting for its name", typing, note, err)
	}
	// Sending a draft without answers is refused by validation.
	if _, err := db.UpdateProposal(ctx, p.ID, send, nil); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("sending an empty draft: %v, want EINVALID", err)
	}
	if p, err = db.UpdateProposal(ctx, p.ID, written, nil); err != nil || p.Version != 2 {
		t.Fatalf("UpdateProposal=%+v,%v, want version 2", p, err)
	}
	if typing, _, _ := db.ProposalTyping(ctx, 10); typing != nil {
		t.Fatalf("ProposalTyping at the summary=%v, want nothing waiting for text", typing)
	}
	items := func(p *multaque.Proposal) []multaque.OutboxItem {
		return []multaque.OutboxItem{{Kind: "proposal", Chat: 99, Text: "new proposal", DedupKey: "proposal/1/99"}}
	}
	if p, err = db.UpdateProposal(ctx, p.ID, send, items); err != nil || p.Status != multaque.ProposalPending {
		t.Fatalf("send: %+v,%v", p, err)
	}
	if due := dueItems(t, db); len(due) != 1 || due[0].Chat != 99 {
		t.Fatalf("outbox holds %v, want the coordinator's card", due)
	}
	pending, err := db.Proposals(ctx, multaque.ProposalPending)
	if err != nil || len(pending) != 1 || pending[0].ID != p.ID {
		t.Fatalf("Proposals(pending)=%v,%v", pending, err)
	}
	// An error from fn changes nothing.
	if _, err := db.UpdateProposal(ctx, p.ID, func(*multaque.Proposal) error { return errMoved }, items); !errors.Is(err, errMoved) {
		t.Fatalf("UpdateProposal with a refusing fn: %v, want its error", err)
	}
	if got, _ := db.Proposal(ctx, p.ID); got.Version != p.Version {
		t.Fatalf("version %d after a refused change, want %d", got.Version, p.Version)
	}
	// Only ApproveProposal approves.
	if _, err := db.UpdateProposal(ctx, p.ID, func(p *multaque.Proposal) error {
		p.Status, p.Project = multaque.ProposalApproved, "hort"
		return nil
	}, nil); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("approving through UpdateProposal: %v, want EINVALID", err)
	}
	taken := func(id string) bool { return id == "hort-comunitari" } // the catalogue has it
	p, err = db.ApproveProposal(ctx, p.ID, func(p *multaque.Proposal) error { p.DecidedBy = 99; return nil }, "hort-comunitari", taken, nil)
	if err != nil || p.Status != multaque.ProposalApproved || p.Project != "hort-comunitari-2" {
		t.Fatalf("ApproveProposal=%+v,%v, want approved as hort-comunitari-2", p, err)
	}
	if _, err := db.OpenProposal(ctx, 10); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("OpenProposal after approval: %v, want ENOTFOUND: they may propose again", err)
	}
	got, err := db.ProjectProposal(ctx, "hort-comunitari-2")
	if err != nil || got.ID != p.ID {
		t.Fatalf("ProjectProposal=%v,%v", got, err)
	}
	// A second proposal of the same name gets the next free id.
	q := pendingProposal(t, db, 11)
	q, err = db.ApproveProposal(ctx, q.ID, func(*multaque.Proposal) error { return nil }, "hort-comunitari", taken, nil)
	if err != nil || q.Project != "hort-comunitari-3" {
		t.Fatalf("second approval=%+v,%v, want hort-comunitari-3", q, err)
	}
}

func TestApproveProposalRace(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	p := pendingProposal(t, db, 10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for coord := int64(1); coord <= 8; coord++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.ApproveProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
				if cur.Status != multaque.ProposalPending || cur.Version != p.Version {
					return errMoved
				}
				cur.DecidedBy = coord
				return nil
			}, "hort", nil, func(cur *multaque.Proposal) []multaque.OutboxItem {
				return []multaque.OutboxItem{{Kind: "proposal", Chat: cur.Proposer, Text: "approved", DedupKey: "approved/" + cur.Project}}
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, errMoved):
				t.Errorf("ApproveProposal: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d coordinators approved, want exactly 1", won)
	}
	approved, _ := db.Proposals(ctx, multaque.ProposalApproved)
	if len(approved) != 1 || approved[0].Project != "hort" {
		t.Fatalf("approved %v, want one, as hort", approved)
	}
	if due := dueItems(t, db); len(due) != 1 {
		t.Fatalf("%d messages to the proposer, want 1", len(due))
	}
}

func TestDiscardProposal(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	p, err := db.StartProposal(ctx, draftOf(10))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DiscardProposal(ctx, p.ID, p.Version+1); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Fatalf("discard at another version: %v, want ECONFLICT", err)
	}
	if err := db.DiscardProposal(ctx, p.ID, p.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Proposal(ctx, p.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Proposal after discard: %v, want ENOTFOUND", err)
	}
	if _, err := db.StartProposal(ctx, draftOf(10)); err != nil {
		t.Fatalf("a new proposal after discarding: %v", err)
	}
	sent := pendingProposal(t, db, 11)
	if err := db.DiscardProposal(ctx, sent.ID, sent.Version); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Fatalf("discarding a sent proposal: %v, want ECONFLICT", err)
	}
}

func TestProposalNotes(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	n := multaque.ProposalNote{Coordinator: 99, Proposal: 3, Version: 4, Reject: true, At: time.Unix(5, 0).UTC()}
	if err := db.SetProposalNote(ctx, n); err != nil {
		t.Fatal(err)
	}
	_, got, err := db.ProposalTyping(ctx, 99)
	if err != nil || got == nil || *got != n {
		t.Fatalf("ProposalTyping note=%+v,%v, want %+v", got, err, n)
	}
	if err := db.ClearProposalNote(ctx, 99); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := db.ProposalTyping(ctx, 99); got != nil {
		t.Fatalf("note after clearing: %+v", got)
	}
	if err := db.SetProposalNote(ctx, multaque.ProposalNote{Coordinator: 99}); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("a note about no proposal: %v, want EINVALID", err)
	}
}

func TestThresholds(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := db.SetThreshold(ctx, multaque.Threshold{Project: "time-bank", MinTeam: 5, MaxTeam: 4}); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("max below min: %v, want EINVALID", err)
	}
	if err := db.SetThreshold(ctx, multaque.Threshold{Project: "x", MinTeam: 2, MaxTeam: multaque.MaxTeamSize + 1}); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("max over the bound: %v, want EINVALID", err)
	}
	for _, th := range []multaque.Threshold{
		{Project: "time-bank", MinTeam: 5, MaxTeam: 9, By: 1},
		{Project: "consumer-group", MinTeam: 6, MaxTeam: 12, By: 1},
		{Project: "time-bank", MinTeam: 4, MaxTeam: 8, By: 2}, // replaces
	} {
		if err := db.SetThreshold(ctx, th); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := db.Thresholds(ctx)
	if err != nil || len(ts) != 2 || ts[0].Project != "consumer-group" || ts[1].MinTeam != 4 || ts[1].By != 2 {
		t.Fatalf("Thresholds=%+v,%v", ts, err)
	}
	if err := db.RemoveThreshold(ctx, "time-bank"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveThreshold(ctx, "time-bank"); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("removing twice: %v, want ENOTFOUND", err)
	}
	if ts, _ := db.Thresholds(ctx); len(ts) != 1 {
		t.Fatalf("after removal: %v", ts)
	}
}

// TestForgetProposer: /forget deletes the person's proposals that are not
// in the catalogue and takes their id off the approved ones, which stay;
// /mydata shows them before.
func TestForgetProposer(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	const who, coord = int64(10), int64(99)
	now := time.Now()
	if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: who, Lang: multaque.Catalan, ConsentAt: now, UpdatedAt: now,
		Survey: multaque.Survey{Step: multaque.StepName, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	old := pendingProposal(t, db, who)
	old, err := db.ApproveProposal(ctx, old.ID, func(p *multaque.Proposal) error {
		p.DecidedBy, p.DeciderName, p.DecidedAt = coord, "Carme", now
		return nil
	}, "hort", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := pendingProposal(t, db, who)
	other := pendingProposal(t, db, 11)
	if err := db.SetProposalNote(ctx, multaque.ProposalNote{Coordinator: who, Proposal: other.ID, Version: other.Version}); err != nil {
		t.Fatal(err)
	}

	data, err := db.PersonalData(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	var pd struct {
		Proposals    []multaque.Proposal    `json:"proposals"`
		ProposalNote *multaque.ProposalNote `json:"proposal_note"`
	}
	if err := json.Unmarshal(data, &pd); err != nil {
		t.Fatal(err)
	}
	if len(pd.Proposals) != 2 || pd.ProposalNote == nil || !strings.Contains(string(data), "Hort comunitari") {
		t.Fatalf("PersonalData shows %d proposals and note %v, want 2 and the note", len(pd.Proposals), pd.ProposalNote)
	}
	// The proposer learns the decision and its date, not who took it.
	if strings.Contains(string(data), "Carme") || strings.Contains(string(data), "decided_by") {
		t.Errorf("PersonalData of the proposer names the coordinator who decided:\n%s", data)
	}
	if !strings.Contains(string(data), `"decided_at"`) || !strings.Contains(string(data), `"approved"`) {
		t.Errorf("PersonalData of the proposer lacks the decision or its date:\n%s", data)
	}

	if err := db.ForgetCitizen(ctx, who); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Proposal(ctx, open.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("the pending proposal after /forget: %v, want ENOTFOUND", err)
	}
	kept, err := db.Proposal(ctx, old.ID)
	if err != nil || kept.Proposer != 0 || kept.Project != "hort" || kept.DecidedBy != coord {
		t.Fatalf("approved proposal after /forget=%+v,%v, want kept without the proposer", kept, err)
	}
	if _, err := db.OpenProposal(ctx, who); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("OpenProposal after /forget: %v", err)
	}
	if _, n, _ := db.ProposalTyping(ctx, who); n != nil {
		t.Fatalf("note after /forget: %+v", n)
	}
	if p, _ := db.Proposal(ctx, other.ID); p == nil || p.Proposer != 11 {
		t.Fatal("someone else's proposal was touched")
	}
	// A coordinator who decided is erased from the decision, not the
	// proposal.
	if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: coord, Lang: multaque.Catalan, ConsentAt: now, UpdatedAt: now,
		Survey: multaque.Survey{Step: multaque.StepName, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, coord); err != nil {
		t.Fatal(err)
	}
	if kept, _ := db.Proposal(ctx, old.ID); kept.DecidedBy != 0 || kept.DeciderName != "" || kept.Project != "hort" {
		t.Fatalf("approved proposal after its coordinator's /forget=%+v", kept)
	}
}

// dueItems lists every item waiting in the outbox.
func dueItems(t testing.TB, db *store.DB) []multaque.OutboxItem {
	t.Helper()
	items, err := db.Due(context.Background(), time.Now().Add(time.Hour), 1000, 1000, nil)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	return items
}

package multaque_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestCleanProposalText(t *testing.T) {
	tests := []struct {
		in        string
		max       int
		multiline bool
		want      string
		problem   string
	}{
		{"  Hort   comunitari ", 64, false, "Hort comunitari", ""},
		{"", 64, false, "", "empty"},
		{" \n\t ", 64, true, "", "empty"},
		{"a\nb", 64, false, "", "one_line"},
		{"a\r\nb", 64, true, "a\nb", ""},
		{"a\n\n\n\nb", 64, true, "a\n\nb", ""},
		{strings.Repeat("à", 65), 64, false, "", "too_long"},
		{strings.Repeat("à", 64), 64, false, strings.Repeat("à", 64), ""},
		{"a\u0007b", 64, false, "", "bad_chars"},
		{"a\u200bb", 64, false, "", "bad_chars"},
		{"👩\u200d🌾 hort", 64, false, "👩\u200d🌾 hort", ""},
		{"\xff", 64, false, "", "bad_chars"},
	}
	for _, tt := range tests {
		got, err := multaque.CleanProposalText(tt.in, tt.max, tt.multiline)
		if got != tt.want || multaque.ErrorMessage(err) != tt.problem {
			t.Errorf("CleanProposalText(%q)=%q,%q, want %q,%q", tt.in, got, multaque.ErrorMessage(err), tt.want, tt.problem)
		}
	}
}

func TestProposalValidate(t *testing.T) {
	sent := func() multaque.Proposal {
		return multaque.Proposal{ID: 1, Proposer: 5, Lang: multaque.Spanish, Status: multaque.ProposalPending, Version: 2,
			Name: multaque.Text{"es": "Huerto"}, Pitch: multaque.Text{"es": "Un huerto."}, Explanation: multaque.Text{"es": "Lo cultivamos."},
			MinTeam: 4, CreatedAt: time.Unix(1, 0)}
	}
	ok := sent()
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(sent)=%v", err)
	}
	tests := map[string]func(p *multaque.Proposal){
		"no id":                 func(p *multaque.Proposal) { p.ID = 0 },
		"no proposer":           func(p *multaque.Proposal) { p.Proposer = 0 },
		"bad language":          func(p *multaque.Proposal) { p.Lang = "fr" },
		"text in bad language":  func(p *multaque.Proposal) { p.Name["fr"] = "Potager" },
		"mass too small":        func(p *multaque.Proposal) { p.MinTeam = 1 },
		"mass too big":          func(p *multaque.Proposal) { p.MinTeam = 51 },
		"sent without pitch":    func(p *multaque.Proposal) { p.Pitch = nil },
		"sent without mass":     func(p *multaque.Proposal) { p.MinTeam = 0 },
		"unclean name":          func(p *multaque.Proposal) { p.Name["es"] = " Huerto" },
		"pitch on two lines":    func(p *multaque.Proposal) { p.Pitch["es"] = "a\nb" },
		"unknown status":        func(p *multaque.Proposal) { p.Status = "withdrawn" },
		"unknown step":          func(p *multaque.Proposal) { p.Step = "title" },
		"approved, no project":  func(p *multaque.Proposal) { p.Status = multaque.ProposalApproved },
		"project, not approved": func(p *multaque.Proposal) { p.Project = "huerto" },
		"no version":            func(p *multaque.Proposal) { p.Version = 0 },
	}
	for name, spoil := range tests {
		p := sent()
		spoil(&p)
		if err := p.Validate(); multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("%s: Validate=%v, want EINVALID", name, err)
		}
	}
	erased := sent()
	erased.Status, erased.Project, erased.Proposer = multaque.ProposalApproved, "huerto", 0
	if err := erased.Validate(); err != nil {
		t.Errorf("an approved proposal whose proposer was erased: %v", err)
	}
	draft := multaque.Proposal{ID: 1, Proposer: 5, Lang: multaque.Catalan, Status: multaque.ProposalDraft, Step: multaque.ProposalStepName, Version: 1, CreatedAt: time.Unix(1, 0)}
	if err := draft.Validate(); err != nil {
		t.Errorf("an empty draft: %v", err)
	}
}

func TestThresholdValidate(t *testing.T) {
	for _, tt := range []struct {
		th multaque.Threshold
		ok bool
	}{
		{multaque.Threshold{Project: "time-bank", MinTeam: 2, MaxTeam: 2}, true},
		{multaque.Threshold{Project: "time-bank", MinTeam: 2, MaxTeam: multaque.MaxTeamSize}, true},
		{multaque.Threshold{Project: "time-bank", MinTeam: 1, MaxTeam: 4}, false},
		{multaque.Threshold{Project: "time-bank", MinTeam: 5, MaxTeam: 4}, false},
		{multaque.Threshold{Project: "time-bank", MinTeam: 2, MaxTeam: multaque.MaxTeamSize + 1}, false},
		{multaque.Threshold{Project: "Time Bank", MinTeam: 2, MaxTeam: 4}, false},
	} {
		if err := tt.th.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v)=%v, want ok=%v", tt.th, err, tt.ok)
		}
	}
}

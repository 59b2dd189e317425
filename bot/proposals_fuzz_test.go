package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/multaque/multaque"
)

// FuzzProposalArgs feeds what people type to the parsers of proposals and
// thresholds: none may panic, and whatever they accept must be what the
// store and the catalogue accept. Seeds are in testdata/fuzz/FuzzProposalArgs.
func FuzzProposalArgs(f *testing.F) {
	for _, s := range []string{
		"", "consumer-group 2 4", "consumer-group reset", "consumer-group 1 4", "x 2 201",
		"hort ca name Hort comunitari", "hort es explanation Línia 1\nLínia 2", "hort en pitch a\nb",
		"7", "50", "-3", "7,name", "Huerto comunitario", "Çà et là — ½", "\u200b\u0007",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch op, project, lo, hi := parseThreshold(s); op {
		case thresholdSet:
			th := multaque.Threshold{Project: project, MinTeam: lo, MaxTeam: hi}
			if err := th.Validate(); err != nil {
				t.Fatalf("parseThreshold(%q) accepted %+v: %v", s, th, err)
			}
		case thresholdReset:
			if !multaque.ValidID(project) {
				t.Fatalf("parseThreshold(%q) resets bad id %q", s, project)
			}
		case thresholdList:
			if strings.TrimSpace(s) != "" {
				t.Fatalf("parseThreshold(%q) lists", s)
			}
		}
		tr, problem, err := parseTranslate(s)
		if err != nil {
			t.Fatalf("parseTranslate(%q): %v, want a problem with a sentence", s, err)
		}
		if problem == "" {
			limit := proposalLimit[tr.field]
			clean, err := multaque.CleanProposalText(tr.text, limit, tr.field == multaque.ProposalStepExplanation)
			if !multaque.ValidID(tr.project) || !tr.lang.Valid() || limit == 0 || err != nil || clean != tr.text {
				t.Fatalf("parseTranslate(%q) accepted %+v (%v)", s, tr, err)
			}
		}
		if n, ok := parseMass(s); ok && (n < multaque.MinProposalTeam || n > multaque.MaxProposalTeam) {
			t.Fatalf("parseMass(%q)=%d", s, n)
		}
		if slug := projectSlug(s); !multaque.ValidID(slug) {
			t.Fatalf("projectSlug(%q)=%q, not a valid id", s, slug)
		}
		if id, _, ok := splitProposalArg(s); ok && (id == 0 || !strings.HasPrefix(s, proposalArg(id))) {
			t.Fatalf("splitProposalArg(%q)=%d", s, id)
		}
		for _, step := range []multaque.ProposalStep{multaque.ProposalStepName, multaque.ProposalStepPitch, multaque.ProposalStepExplanation, multaque.ProposalStepMass} {
			p := &multaque.Proposal{ID: 1, Proposer: 1, Lang: multaque.Catalan, Status: multaque.ProposalDraft,
				Step: step, Version: 1, CreatedAt: time.Unix(1, 0)}
			if problem, err := applyProposalAnswer(p, s); err != nil {
				t.Fatalf("answer %q at %s: %v, want a problem with a sentence", s, step, err)
			} else if problem != "" {
				continue
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("answer %q at %s gives an invalid proposal: %v", s, step, err)
			}
			if p.Step == step {
				t.Fatalf("answer %q at %s stays there", s, step)
			}
			for _, txt := range []multaque.Text{p.Name, p.Pitch, p.Explanation} {
				if v := txt[multaque.Catalan]; !utf8.ValidString(v) {
					t.Fatalf("answer %q stored invalid UTF-8", s)
				}
			}
		}
	})
}

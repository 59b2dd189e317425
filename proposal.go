package multaque

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Proposal is a new kind of project that a citizen or a mentor proposes for
// the catalogue, written in their language. Coordinators approve it (it
// joins the catalogue as Project), ask for changes, or reject it.
type Proposal struct {
	// ID is given by the store; it grows with every proposal.
	ID uint64 `json:"id"`
	// Proposer is who wrote it (Telegram id); 0 once they were erased
	// from an approved proposal, which stays in the catalogue.
	Proposer int64 `json:"proposer,omitempty"`
	// Lang is the language it is written in. The other languages show the
	// original, marked, until a coordinator translates it.
	Lang        Lang `json:"lang"`
	Name        Text `json:"name,omitempty"`
	Pitch       Text `json:"pitch,omitempty"`
	Explanation Text `json:"explanation,omitempty"`
	// MinTeam is the critical mass proposed; 0 until answered.
	MinTeam int            `json:"min_team,omitempty"`
	Status  ProposalStatus `json:"status"`
	// Step is the question the proposer answers next while they write or
	// change it; Editing says it was opened from the summary, to which
	// answering returns.
	Step    ProposalStep `json:"step,omitempty"`
	Editing bool         `json:"editing,omitempty"`
	// Version grows with every change; buttons carry the version they were
	// drawn for, so that a press on an old message changes nothing.
	Version int `json:"version"`
	// Note is what the coordinator asked to change, or why they rejected it.
	Note string `json:"note,omitempty"`
	// Project is its id in the catalogue once approved.
	Project string `json:"project,omitempty"`
	// DecidedBy is the coordinator who decided last, and DeciderName the
	// first name they had in Telegram then, to tell another coordinator
	// who was first.
	DecidedBy   int64     `json:"decided_by,omitempty"`
	DeciderName string    `json:"decider_name,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// ProposalStatus is where a proposal stands.
type ProposalStatus string

// The statuses of a proposal. A person has at most one proposal that is
// a draft, pending or sent back for changes at a time.
const (
	ProposalDraft    ProposalStatus = "draft"    // being written, not sent yet
	ProposalPending  ProposalStatus = "pending"  // waiting for a coordinator
	ProposalChanges  ProposalStatus = "changes"  // a coordinator asked for changes
	ProposalApproved ProposalStatus = "approved" // in the catalogue
	ProposalRejected ProposalStatus = "rejected"
)

// Open reports whether the proposal is still its proposer's to write or
// change, or waiting for a decision.
func (s ProposalStatus) Open() bool {
	return s == ProposalDraft || s == ProposalPending || s == ProposalChanges
}

// ProposalStep names a question of the proposal's conversation.
type ProposalStep string

// The steps of writing a proposal, in order.
const (
	ProposalStepName        ProposalStep = "name"
	ProposalStepPitch       ProposalStep = "pitch"
	ProposalStepExplanation ProposalStep = "explanation"
	ProposalStepMass        ProposalStep = "mass"
	ProposalStepConfirm     ProposalStep = "confirm" // the summary, with Send and Cancel
)

// Typing reports whether the step waits for typed text.
func (s ProposalStep) Typing() bool {
	return s == ProposalStepName || s == ProposalStepPitch || s == ProposalStepExplanation || s == ProposalStepMass
}

// Limits of a proposal's texts, in characters. They are the catalogue's own
// limits (catalog.MaxNameLen, MaxPitchLen, MaxExplanationLen), so that an
// approved proposal is a valid project, and the critical mass a proposer
// may ask for.
const (
	MaxProposalName        = 64
	MaxProposalPitch       = 160
	MaxProposalExplanation = 700
	MinProposalTeam        = 2
	MaxProposalTeam        = 50
)

// MaxTeamSize bounds the team sizes coordinators can set with thresholds.
const MaxTeamSize = 200

// TextProblem is what CleanProposalText finds wrong with a text: the
// message of the EINVALID error it returns.
type TextProblem string

// The problems CleanProposalText reports. Whoever shows them to people
// needs a sentence for each of TextProblems.
const (
	TextEmpty    TextProblem = "empty"
	TextTooLong  TextProblem = "too_long"
	TextOneLine  TextProblem = "one_line"
	TextBadChars TextProblem = "bad_chars"
)

// TextProblems lists every problem CleanProposalText can report.
func TextProblems() []TextProblem {
	return []TextProblem{TextEmpty, TextTooLong, TextOneLine, TextBadChars}
}

// textProblem is the error CleanProposalText returns for problem p.
func textProblem(p TextProblem) error { return Errorf(EINVALID, "%s", p) }

// CleanProposalText trims a typed text for one field of a proposal and
// checks it: not empty, at most max characters, on one line unless
// multiline (inner spaces of a line are collapsed), no control or format
// characters. A refused text gets an EINVALID error whose message is one
// of TextProblems.
func CleanProposalText(s string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", textProblem(TextBadChars)
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 1 && !multiline {
		return "", textProblem(TextOneLine)
	}
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	s = strings.Join(lines, "\n")
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	switch {
	case s == "":
		return "", textProblem(TextEmpty)
	case utf8.RuneCountInString(s) > max:
		return "", textProblem(TextTooLong)
	}
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d') {
			return "", textProblem(TextBadChars)
		}
	}
	return s, nil
}

// Validate checks what a stored proposal must hold: a known status and
// language, texts within the limits, and, once sent, every answer in its
// own language; once approved, a project id.
func (p *Proposal) Validate() error {
	switch {
	case p.ID == 0:
		return Errorf(EINVALID, "proposal: no id")
	case p.Proposer < 0:
		return Errorf(EINVALID, "proposal %d: bad proposer", p.ID)
	case p.Proposer == 0 && p.Status != ProposalApproved:
		return Errorf(EINVALID, "proposal %d: no proposer", p.ID)
	case !p.Lang.Valid():
		return Errorf(EINVALID, "proposal %d: unknown language %q", p.ID, p.Lang)
	case p.MinTeam != 0 && (p.MinTeam < MinProposalTeam || p.MinTeam > MaxProposalTeam):
		return Errorf(EINVALID, "proposal %d: critical mass %d must be %d-%d", p.ID, p.MinTeam, MinProposalTeam, MaxProposalTeam)
	case p.Version < 1:
		return Errorf(EINVALID, "proposal %d: version must be positive", p.ID)
	case p.CreatedAt.IsZero():
		return Errorf(EINVALID, "proposal %d: no creation time", p.ID)
	}
	switch p.Status {
	case ProposalDraft, ProposalPending, ProposalChanges, ProposalApproved, ProposalRejected:
	default:
		return Errorf(EINVALID, "proposal %d: unknown status %q", p.ID, p.Status)
	}
	switch p.Step {
	case "", ProposalStepName, ProposalStepPitch, ProposalStepExplanation, ProposalStepMass, ProposalStepConfirm:
	default:
		return Errorf(EINVALID, "proposal %d: unknown step %q", p.ID, p.Step)
	}
	fields := []struct {
		name      string
		t         Text
		max       int
		multiline bool
	}{
		{"name", p.Name, MaxProposalName, false},
		{"pitch", p.Pitch, MaxProposalPitch, false},
		{"explanation", p.Explanation, MaxProposalExplanation, true},
	}
	for _, f := range fields {
		for _, l := range slices.Sorted(maps.Keys(f.t)) {
			if !l.Valid() {
				return Errorf(EINVALID, "proposal %d: %s in unknown language %q", p.ID, f.name, l)
			}
			if clean, err := CleanProposalText(f.t[l], f.max, f.multiline); err != nil || clean != f.t[l] {
				return Errorf(EINVALID, "proposal %d: %s in %s is not a clean text", p.ID, f.name, l)
			}
		}
		if p.Status != ProposalDraft && f.t[p.Lang] == "" {
			return Errorf(EINVALID, "proposal %d: %s has no text in %s", p.ID, f.name, p.Lang)
		}
	}
	if p.Status != ProposalDraft && p.MinTeam == 0 {
		return Errorf(EINVALID, "proposal %d: no critical mass", p.ID)
	}
	if (p.Status == ProposalApproved) != (p.Project != "") || p.Project != "" && !ValidID(p.Project) {
		return Errorf(EINVALID, "proposal %d: an approved proposal, and only one, has a valid project id", p.ID)
	}
	return nil
}

// Threshold is a coordinator's override of a project's team sizes (its
// critical mass and largest team), on top of the catalogue's.
type Threshold struct {
	Project string    `json:"project"`
	MinTeam int       `json:"min_team"`
	MaxTeam int       `json:"max_team"`
	By      int64     `json:"by"` // the coordinator who set it
	At      time.Time `json:"at"`
}

// Validate checks a threshold as the catalogue checks a project's sizes:
// 2 ≤ MinTeam ≤ MaxTeam ≤ MaxTeamSize.
func (t *Threshold) Validate() error {
	switch {
	case !ValidID(t.Project):
		return Errorf(EINVALID, "threshold: bad project id %q", t.Project)
	case t.MinTeam < 2 || t.MaxTeam < t.MinTeam || t.MaxTeam > MaxTeamSize:
		return Errorf(EINVALID, "threshold %s: sizes %d-%d must satisfy 2 ≤ min ≤ max ≤ %d", t.Project, t.MinTeam, t.MaxTeam, MaxTeamSize)
	}
	return nil
}

// ProposalNote is what a coordinator is about to type about a proposal:
// after they press "Ask for changes" or "Reject", their next message is
// the note sent to the proposer.
type ProposalNote struct {
	Coordinator int64  `json:"coordinator"`
	Proposal    uint64 `json:"proposal"`
	// Version is the proposal's version the coordinator saw.
	Version int `json:"version"`
	// Reject is set for a rejection's reason, clear for a request for
	// changes.
	Reject bool      `json:"reject,omitempty"`
	At     time.Time `json:"at"`
}

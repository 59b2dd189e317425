package bot

// Project proposals: a new project proposed by a person and decided on by
// the coordinators, changing the catalogue while the bot runs.
//
// A citizen or a mentor proposes a project with /propose: a few questions
// (name, pitch, explanation, critical mass) asked one by one, then a
// summary with Send and Cancel. The draft is stored with the question it
// waits for, so the text they type goes to it (the route table's awaited
// text: onProposalInput) and a restart loses nothing. Sent, it goes to every
// coordinator of the whole catalogue through the outbox, with Approve, Ask
// for changes and Reject. Asking for changes or rejecting takes the
// coordinator's next message as the note for the proposer. Approved, it
// becomes a project of the catalogue (OnCatalogChange rebuilds it), shown
// in the other languages with its original text, marked, until a
// coordinator adds a translation (/translate, coord_catalogue.go). The
// coordinators' side is in proposal_decisions.go, the screens in
// proposal_screens.go. Decisions on proposals change the whole catalogue:
// only coordinators of every community may take them.
//
// Buttons carry the proposal's version, which every change bumps: a press
// on an older message, or one delivered twice, changes nothing and says so.

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/multaque/multaque"
)

// ProposalStore is what the proposal commands need of the database (see AdminStore).
type ProposalStore interface {
	Coordinator(ctx context.Context, id int64) (*multaque.Coordinator, error)
	// ErasedAt is when the person was last erased, zero if never.
	ErasedAt(ctx context.Context, id int64) (time.Time, error)
	// Proposal returns a proposal, or an ENOTFOUND error.
	Proposal(ctx context.Context, id uint64) (*multaque.Proposal, error)
	// OpenProposal returns the person's draft, pending or sent-back
	// proposal, or an ENOTFOUND error.
	OpenProposal(ctx context.Context, person int64) (*multaque.Proposal, error)
	// ProposalTyping returns what the person's next typed message answers:
	// their proposal waiting for text, the note they type as coordinator.
	ProposalTyping(ctx context.Context, person int64) (*multaque.Proposal, *multaque.ProposalNote, error)
	Proposals(ctx context.Context, status multaque.ProposalStatus) ([]multaque.Proposal, error)
	// ProjectProposal returns the approved proposal that became project.
	ProjectProposal(ctx context.Context, project string) (*multaque.Proposal, error)
	// StartProposal stores a new draft; ECONFLICT if the proposer has an
	// open proposal.
	StartProposal(ctx context.Context, p multaque.Proposal) (*multaque.Proposal, error)
	UpdateProposal(ctx context.Context, id uint64, fn func(p *multaque.Proposal) error, items func(p *multaque.Proposal) []multaque.OutboxItem) (*multaque.Proposal, error)
	ApproveProposal(ctx context.Context, id uint64, fn func(p *multaque.Proposal) error, slug string, taken func(project string) bool, items func(p *multaque.Proposal) []multaque.OutboxItem) (*multaque.Proposal, error)
	// DiscardProposal deletes a draft never sent, at that version.
	DiscardProposal(ctx context.Context, id uint64, version int) error
	SetProposalNote(ctx context.Context, n multaque.ProposalNote) error
	ClearProposalNote(ctx context.Context, coordinator int64) error

	Thresholds(ctx context.Context) ([]multaque.Threshold, error)
	SetThreshold(ctx context.Context, t multaque.Threshold) error
	// RemoveThreshold returns ENOTFOUND if the project had none.
	RemoveThreshold(ctx context.Context, project string) error
}

// Callback actions of proposals; the version is the proposal's.
const (
	actProposalSend      = "prs" // the proposer sends it: arg = id
	actProposalDiscard   = "prx" // the proposer drops a draft never sent: arg = id
	actProposalEdit      = "pre" // the proposer changes one answer: arg = id,field
	actProposalOpen      = "pro" // the proposer opens it (after a request for changes): arg = id
	actProposalApprove   = "pra" // a coordinator approves: arg = id
	actProposalChanges   = "prc" // a coordinator asks for changes: arg = id
	actProposalReject    = "prr" // a coordinator rejects, asked for a reason: arg = id
	actProposalRejectNow = "prn" // a coordinator rejects without a reason: arg = id
)

// proposalAfterForget is how long after /forget a person may send a
// proposal again.
const proposalAfterForget = 24 * time.Hour

// maxProposalNote is the longest note a coordinator sends a proposer.
const maxProposalNote = 1000

// maxListedProposals bounds the proposals /proposals shows at once.
const maxListedProposals = 10

// errProposalMoved is returned inside a store change when the proposal is
// no longer as the button or the typed answer saw it.
var errProposalMoved = errors.New("proposal changed since")

// proposalProblem is what is wrong with a typed answer to a proposal's
// question, with a /translate or with a coordinator's note. Its value is
// the id of the sentence that tells the person; problemLine gives every
// sentence the data it may use.
type proposalProblem string

// The problems of proposals' typed answers.
const (
	problemProposalEmpty      proposalProblem = "proposal_problem_empty"
	problemProposalTooLong    proposalProblem = "proposal_problem_too_long"
	problemProposalOneLine    proposalProblem = "proposal_problem_one_line"
	problemProposalBadChars   proposalProblem = "proposal_problem_bad_chars"
	problemProposalMass       proposalProblem = "proposal_problem_mass"
	problemProposalUseButtons proposalProblem = "proposal_problem_use_buttons"
	problemTranslateUsage     proposalProblem = "translate_usage" // malformed arguments of /translate
	// proposalCancelled is no problem: /cancel left a change opened from
	// the summary, whose answer stays as it was.
	proposalCancelled proposalProblem = "cancelled"
)

// proposalTextProblems gives each problem CleanProposalText reports its
// sentence.
var proposalTextProblems = map[multaque.TextProblem]proposalProblem{
	multaque.TextEmpty:    problemProposalEmpty,
	multaque.TextTooLong:  problemProposalTooLong,
	multaque.TextOneLine:  problemProposalOneLine,
	multaque.TextBadChars: problemProposalBadChars,
}

// textProblem returns the problem that err, from CleanProposalText,
// names. Any other error comes back as an internal one, so that the person
// gets the generic answer in their language (never a raw message id) and
// the log gets the error, which names the problem, not the text.
func textProblem(err error) (proposalProblem, error) {
	if multaque.ErrorCode(err) == multaque.EINVALID {
		if p, ok := proposalTextProblems[multaque.TextProblem(multaque.ErrorMessage(err))]; ok {
			return p, nil
		}
	}
	return "", multaque.Errorf(multaque.EINTERNAL, "clean a proposal's text: unexpected problem: %v", err)
}

// proposalLimit is the longest answer of each typed step.
var proposalLimit = map[multaque.ProposalStep]int{
	multaque.ProposalStepName:        multaque.MaxProposalName,
	multaque.ProposalStepPitch:       multaque.MaxProposalPitch,
	multaque.ProposalStepExplanation: multaque.MaxProposalExplanation,
}

// applyProposalAnswer applies a typed answer to the step p waits for and
// moves p to the next step (or back to the summary when the step was
// opened from it). It returns the problem with the answer, "" if it was
// taken, or an error if the text's cleaner failed unexpectedly.
func applyProposalAnswer(p *multaque.Proposal, text string) (proposalProblem, error) {
	step := p.Step
	switch step {
	case multaque.ProposalStepMass:
		n, ok := parseMass(text)
		if !ok {
			return problemProposalMass, nil
		}
		p.MinTeam = n
	case multaque.ProposalStepName, multaque.ProposalStepPitch, multaque.ProposalStepExplanation:
		clean, err := multaque.CleanProposalText(text, proposalLimit[step], step == multaque.ProposalStepExplanation)
		if err != nil {
			return textProblem(err)
		}
		field := map[multaque.ProposalStep]*multaque.Text{
			multaque.ProposalStepName: &p.Name, multaque.ProposalStepPitch: &p.Pitch, multaque.ProposalStepExplanation: &p.Explanation,
		}[step]
		if *field == nil {
			*field = multaque.Text{}
		}
		(*field)[p.Lang] = clean
	default:
		return problemProposalUseButtons, nil
	}
	next := map[multaque.ProposalStep]multaque.ProposalStep{
		multaque.ProposalStepName:        multaque.ProposalStepPitch,
		multaque.ProposalStepPitch:       multaque.ProposalStepExplanation,
		multaque.ProposalStepExplanation: multaque.ProposalStepMass,
		multaque.ProposalStepMass:        multaque.ProposalStepConfirm,
	}[step]
	if p.Editing {
		next = multaque.ProposalStepConfirm
	}
	p.Step, p.Editing = next, false
	return "", nil
}

// parseMass reads a critical mass: a whole number within the limits.
func parseMass(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < multaque.MinProposalTeam || n > multaque.MaxProposalTeam {
		return 0, false
	}
	return n, true
}

// projectSlug makes a project id from a name: lower case, no accents,
// runs of anything but letters and digits as one "-", at most
// multaque.MaxIDLen characters. A name with none of those gives "project".
func projectSlug(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, err := transform.String(t, name)
	if err != nil {
		plain = name
	}
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(plain) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			dash = false
			sb.WriteRune(r)
			continue
		}
		dash = true
	}
	s := sb.String()
	if len(s) > multaque.MaxIDLen {
		s = strings.TrimRight(s[:multaque.MaxIDLen], "-")
	}
	if s == "" {
		return "project"
	}
	return s
}

// splitProposalArg reads the "id" or "id,field" of a proposal's button.
func splitProposalArg(arg string) (uint64, string, bool) {
	idText, field, _ := strings.Cut(arg, ",")
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != idText {
		return 0, "", false
	}
	return id, field, true
}

func proposalArg(id uint64) string { return strconv.FormatUint(id, 10) }

// --- Writing a proposal -----------------------------------------------------

// proposerLang is the language a person proposes in, and whether they may
// propose at all: citizens who consented and mentors may.
func (b *proposals) proposerLang(ctx context.Context, id int64, cz *multaque.Citizen) (multaque.Lang, bool, error) {
	if cz != nil {
		return cz.Lang, true, nil
	}
	m, _, err := b.mentors.mentorOf(ctx, id)
	if err != nil || m == nil {
		return "", false, err
	}
	return m.Lang, true, nil
}

// onPropose is /propose: it starts a proposal, or shows the one the person
// has open where they left it.
func (b *proposals) onProposeCommand(ctx context.Context, r *request) error {
	return b.onPropose(ctx, r.c, r.cz, r.lang)
}

func (b *proposals) onPropose(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
	id := c.Sender().ID
	plang, ok, err := b.proposerLang(ctx, id, cz)
	if err != nil {
		return err
	}
	if !ok {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "proposal_who")})
	}
	p, err := b.store.OpenProposal(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		now := b.now()
		p, err = b.store.StartProposal(ctx, multaque.Proposal{
			Proposer: id, Lang: plang, Status: multaque.ProposalDraft, Step: multaque.ProposalStepName,
			CreatedAt: now, UpdatedAt: now,
		})
		if err == nil {
			zerolog.Ctx(ctx).Info().Uint64("proposal", p.ID).Msg("proposal started")
			v := b.view.proposalScreen(p, "")
			v.Text = b.view.t(p.Lang, "proposal_intro") + "\n\n" + v.Text
			return b.send(ctx, c.Recipient(), v)
		}
		if multaque.ErrorCode(err) == multaque.ECONFLICT { // started from another message meanwhile
			p, err = b.store.OpenProposal(ctx, id)
		}
	}
	if err != nil {
		return err
	}
	return b.send(ctx, c.Recipient(), b.view.proposalScreen(p, ""))
}

// onProposalInput gives typed text to what waits for it before the
// survey: a coordinator's note about a proposal, or the answer to the
// question of the person's proposal. It reports whether it took the text.
func (b *proposals) onProposalInput(ctx context.Context, c *tg.Context, typed string) (bool, error) {
	in := Input{Text: typed}
	if in.Text == "" {
		return false, nil
	}
	p, note, err := b.store.ProposalTyping(ctx, c.Sender().ID)
	switch {
	case err != nil:
		return true, err
	case note != nil:
		return true, b.onProposalNote(ctx, c, note, in.Text)
	case p == nil:
		return false, nil
	}
	text := in.Text
	if len(text) > maxTextLen {
		// Still too long for every step: no need to read it all.
		cut := maxTextLen
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	problem, err := applyProposalAnswer(cloneProposal(p), text)
	if err != nil {
		return true, err
	}
	if problem != "" {
		return true, b.send(ctx, c.Recipient(), b.view.proposalScreen(p, problem))
	}
	saved, err := b.store.UpdateProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
		if cur.Version != p.Version {
			return errProposalMoved
		}
		if problem, err := applyProposalAnswer(cur, text); err != nil {
			return err
		} else if problem != "" {
			return errProposalMoved
		}
		cur.UpdatedAt = b.now()
		return nil
	}, nil)
	if errors.Is(err, errProposalMoved) {
		// Changed from another message meanwhile: show it as it is now.
		now, err := b.store.OpenProposal(ctx, p.Proposer)
		if err != nil {
			return true, err
		}
		return true, b.send(ctx, c.Recipient(), b.view.proposalScreen(now, ""))
	}
	if err != nil {
		return true, err
	}
	return true, b.send(ctx, c.Recipient(), b.view.proposalScreen(saved, ""))
}

// onProposalCancel is /cancel while a proposal or a note waits for text:
// a note is dropped, a change opened from the summary goes back to it, and
// a new proposal never sent is discarded. It reports whether there was
// such a thing to cancel.
func (b *proposals) onProposalCancel(ctx context.Context, c *tg.Context, lang multaque.Lang) (bool, error) {
	id := c.Sender().ID
	p, note, err := b.store.ProposalTyping(ctx, id)
	switch {
	case err != nil:
		return true, err
	case note != nil:
		if err := b.store.ClearProposalNote(ctx, id); err != nil {
			return true, err
		}
		return true, b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "proposal_note_cancelled")})
	case p == nil:
		return false, nil
	case p.Status == multaque.ProposalDraft && !p.Editing:
		if err := b.store.DiscardProposal(ctx, p.ID, p.Version); multaque.ErrorCode(err) == multaque.ECONFLICT || multaque.ErrorCode(err) == multaque.ENOTFOUND {
			return true, b.stale(ctx, c, p.Lang) // changed from another message meanwhile
		} else if err != nil {
			return true, err
		}
		return true, b.send(ctx, c.Recipient(), view{Text: b.view.t(p.Lang, "proposal_discarded")})
	}
	saved, err := b.store.UpdateProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
		if cur.Version != p.Version {
			return errProposalMoved
		}
		cur.Step, cur.Editing, cur.UpdatedAt = multaque.ProposalStepConfirm, false, b.now()
		return nil
	}, nil)
	if errors.Is(err, errProposalMoved) {
		return true, b.stale(ctx, c, p.Lang)
	}
	if err != nil {
		return true, err
	}
	return true, b.send(ctx, c.Recipient(), b.view.proposalScreen(saved, proposalCancelled))
}

// onProposalButton handles the buttons of proposals: the proposer's and
// the coordinators'.
func (b *proposals) onProposalButton(ctx context.Context, r *request) error {
	c := r.c
	cq := c.Callback()
	if cq.Sender == nil {
		return nil
	}
	bt, _ := decodeButton(cq.Data)
	lang := b.langOf(ctx, c)
	id, field, ok := splitProposalArg(bt.Arg)
	if !ok {
		return b.stale(ctx, c, lang)
	}
	switch bt.Action {
	case actProposalApprove, actProposalChanges, actProposalReject, actProposalRejectNow:
		return b.onDecisionButton(ctx, c, lang, bt, id)
	}
	p, err := b.store.Proposal(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, lang)
	}
	if err != nil {
		return err
	}
	if p.Proposer != cq.Sender.ID {
		return b.stale(ctx, c, lang)
	}
	if bt.Action == actProposalOpen {
		_ = c.Respond()
		return b.send(ctx, c.Recipient(), b.view.proposalScreen(p, ""))
	}
	if bt.Version != p.Version {
		return b.stale(ctx, c, p.Lang)
	}
	switch bt.Action {
	case actProposalDiscard:
		if p.Status != multaque.ProposalDraft {
			return b.stale(ctx, c, p.Lang)
		}
		if err := b.store.DiscardProposal(ctx, p.ID, p.Version); multaque.ErrorCode(err) == multaque.ECONFLICT || multaque.ErrorCode(err) == multaque.ENOTFOUND {
			return b.stale(ctx, c, p.Lang)
		} else if err != nil {
			return err
		}
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(p.Lang, "proposal_discarded")})
	case actProposalEdit:
		step := multaque.ProposalStep(field)
		if !step.Typing() {
			return b.stale(ctx, c, p.Lang)
		}
		saved, err := b.changeOwnProposal(ctx, p, func(cur *multaque.Proposal) {
			cur.Step, cur.Editing = step, true
		}, nil)
		if err != nil || saved == nil {
			return b.orStale(ctx, c, p.Lang, err)
		}
		_ = c.Respond()
		return b.edit(ctx, c, b.view.proposalScreen(saved, ""))
	case actProposalSend:
		if p.Step != multaque.ProposalStepConfirm {
			return b.stale(ctx, c, p.Lang)
		}
		// /forget withdraws a pending proposal; coming back to send one
		// again at once would send every coordinator its card again, as
		// often as one liked. One day after /forget, it may be sent.
		erased, err := b.store.ErasedAt(ctx, p.Proposer)
		if err != nil {
			return err
		}
		if !erased.IsZero() && b.now().Before(erased.Add(proposalAfterForget)) {
			_ = c.Respond()
			v := b.view.proposalSummary(p, "")
			v.Text += "\n\n" + b.view.t(p.Lang, "proposal_wait_after_forget")
			return b.edit(ctx, c, v)
		}
		coords, err := b.catalogueCoordinators(ctx)
		if err != nil {
			return err
		}
		saved, err := b.changeOwnProposal(ctx, p, func(cur *multaque.Proposal) {
			cur.Status, cur.Step, cur.Editing, cur.SubmittedAt = multaque.ProposalPending, "", false, b.now()
		}, func(sent *multaque.Proposal) []multaque.OutboxItem { return b.proposalCards(sent, coords) })
		if err != nil || saved == nil {
			return b.orStale(ctx, c, p.Lang, err)
		}
		zerolog.Ctx(ctx).Info().Uint64("proposal", saved.ID).Int("coordinators", len(coords)).Msg("proposal sent")
		_ = c.Respond()
		v := b.view.proposalSummary(saved, "")
		v.Text += "\n\n" + b.view.t(saved.Lang, "proposal_sent")
		return b.edit(ctx, c, v)
	}
	return b.stale(ctx, c, p.Lang)
}

// changeOwnProposal applies a proposer's change to p, which must still be
// theirs to change (a draft or sent back) at the version they saw. It
// returns nil, nil when it no longer is.
func (b *proposals) changeOwnProposal(ctx context.Context, p *multaque.Proposal, change func(cur *multaque.Proposal), items func(p *multaque.Proposal) []multaque.OutboxItem) (*multaque.Proposal, error) {
	saved, err := b.store.UpdateProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
		if cur.Version != p.Version || cur.Status != multaque.ProposalDraft && cur.Status != multaque.ProposalChanges {
			return errProposalMoved
		}
		change(cur)
		cur.UpdatedAt = b.now()
		return nil
	}, items)
	if errors.Is(err, errProposalMoved) {
		return nil, nil
	}
	return saved, err
}

// orStale returns err, or answers a stale button when there is none.
func (b *proposals) orStale(ctx context.Context, c *tg.Context, lang multaque.Lang, err error) error {
	if err != nil {
		return err
	}
	return b.stale(ctx, c, lang)
}

// --- Coordinators' decisions -------------------------------------------------

// --- Coordinators' commands -------------------------------------------------

// --- Screens --------------------------------------------------------------------

// cloneProposal copies p so that changing the copy leaves p alone.
func cloneProposal(p *multaque.Proposal) *multaque.Proposal {
	out := *p
	out.Name, out.Pitch, out.Explanation = maps.Clone(p.Name), maps.Clone(p.Pitch), maps.Clone(p.Explanation)
	return &out
}

package bot

// Project proposals and thresholds: what coordinators change in the
// catalogue while the bot runs.
//
// A citizen or a mentor proposes a project with /propose: a few questions
// (name, pitch, explanation, critical mass) asked one by one, then a
// summary with Send and Cancel. The draft is stored with the question it
// waits for, so the text they type goes to it (onProposalInput, before the
// survey sees it) and a restart loses nothing. Sent, it goes to every
// coordinator of the whole catalogue through the outbox, with Approve, Ask
// for changes and Reject. Asking for changes or rejecting takes the
// coordinator's next message as the note for the proposer. Approved, it
// becomes a project of the catalogue (OnCatalogChange rebuilds it), shown
// in the other languages with its original text, marked, until a
// coordinator adds a translation (/translate).
//
// /threshold overrides the team sizes of a project. Thresholds and
// decisions on proposals change the whole catalogue: only coordinators of
// every community may take them.
//
// Buttons carry the proposal's version, which every change bumps: a press
// on an older message, or one delivered twice, changes nothing and says so.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
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

// thresholdOp is what /threshold was asked to do.
type thresholdOp int

const (
	thresholdBad thresholdOp = iota
	thresholdList
	thresholdSet
	thresholdReset
)

// parseThreshold reads the arguments of /threshold: nothing (list),
// "<project> <min> <max>" or "<project> reset".
func parseThreshold(args string) (op thresholdOp, project string, minTeam, maxTeam int) {
	f := strings.Fields(args)
	switch {
	case len(f) == 0:
		return thresholdList, "", 0, 0
	case !multaque.ValidID(f[0]):
		return thresholdBad, "", 0, 0
	case len(f) == 2 && strings.EqualFold(f[1], "reset"):
		return thresholdReset, f[0], 0, 0
	case len(f) != 3:
		return thresholdBad, "", 0, 0
	}
	lo, err1 := strconv.Atoi(f[1])
	hi, err2 := strconv.Atoi(f[2])
	t := multaque.Threshold{Project: f[0], MinTeam: lo, MaxTeam: hi}
	if err1 != nil || err2 != nil || t.Validate() != nil {
		return thresholdBad, "", 0, 0
	}
	return thresholdSet, f[0], lo, hi
}

// translation is what /translate was asked to store.
type translation struct {
	project string
	lang    multaque.Lang
	field   multaque.ProposalStep // name, pitch or explanation
	text    string
}

// parseTranslate reads "<project> <lang> name|pitch|explanation <text>";
// the text runs to the end and may span lines for an explanation. It
// returns the problem: problemTranslateUsage for malformed arguments, or
// one of the text's (with the translation but its text read); an error if
// the text's cleaner failed unexpectedly.
func parseTranslate(args string) (translation, proposalProblem, error) {
	var tr translation
	rest := args
	var words [3]string
	for i := range words {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			end = len(rest)
		}
		words[i], rest = rest[:end], rest[end:]
	}
	tr.project, tr.lang, tr.field = words[0], multaque.Lang(strings.ToLower(words[1])), multaque.ProposalStep(strings.ToLower(words[2]))
	limit, ok := proposalLimit[tr.field]
	if !multaque.ValidID(tr.project) || !tr.lang.Valid() || !ok || strings.TrimSpace(rest) == "" {
		return translation{}, problemTranslateUsage, nil
	}
	text, err := multaque.CleanProposalText(rest, limit, tr.field == multaque.ProposalStepExplanation)
	if err != nil {
		problem, err := textProblem(err)
		return tr, problem, err
	}
	tr.text = text
	return tr, "", nil
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

// catalogueCoordinators are the coordinators who decide on proposals, those
// of every community, with the language to write to each in.
func (b *proposals) catalogueCoordinators(ctx context.Context) (map[int64]multaque.Lang, error) {
	out := map[int64]multaque.Lang{}
	for _, id := range b.coordinatorIDs() {
		rec, err := b.store.Coordinator(ctx, id)
		switch {
		case err == nil:
			if len(rec.Communities) == 0 {
				out[id] = rec.Lang
			}
		case multaque.ErrorCode(err) == multaque.ENOTFOUND:
			// Configured, with no record: every community, and no
			// language of their own as coordinator.
			if out[id], err = b.personLang(ctx, id); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
	return out, nil
}

// personLang is the language of a citizen or mentor, the default for
// anyone else.
func (b *proposals) personLang(ctx context.Context, id int64) (multaque.Lang, error) {
	cz, err := b.citizen(ctx, id)
	if err != nil {
		return "", err
	}
	if cz != nil {
		return cz.Lang, nil
	}
	m, _, err := b.mentors.mentorOf(ctx, id)
	if err != nil {
		return "", err
	}
	if m != nil {
		return m.Lang, nil
	}
	return multaque.DefaultLang, nil
}

// proposalCards are the messages that bring a sent proposal to each
// coordinator, with the buttons to decide on it.
func (b *proposals) proposalCards(p *multaque.Proposal, coords map[int64]multaque.Lang) []multaque.OutboxItem {
	out := make([]multaque.OutboxItem, 0, len(coords))
	for id, lang := range coords {
		v := b.view.proposalCard(p, lang)
		out = append(out, multaque.OutboxItem{
			Kind: "proposal", Chat: id, Priority: multaque.PriorityNormal,
			DedupKey:  fmt.Sprintf("proposal/%d/%d/%d", p.ID, p.Version, id),
			ParseMode: tg.ModeHTML, Text: v.Text, Keyboard: outboxKeyboard(v.Markup),
		})
	}
	return out
}

// outboxKeyboard turns an inline keyboard into the outbox's.
func outboxKeyboard(m tg.Keyboard) [][]multaque.OutboxButton {
	if m == nil {
		return nil
	}
	var rows [][]multaque.OutboxButton
	for _, r := range m {
		var row []multaque.OutboxButton
		for _, btn := range r {
			row = append(row, multaque.OutboxButton{Text: btn.Text, URL: btn.URL, Data: btn.Data})
		}
		rows = append(rows, row)
	}
	return rows
}

// wholeCatalogue checks that the caller may change the whole catalogue:
// a coordinator of every community. Anyone else gets one sentence, and the
// attempt is audited.
func (b *proposals) wholeCatalogue(ctx context.Context, actor int64, coord *multaque.Coordinator, command string) (bool, error) {
	if coord != nil && len(coord.Communities) == 0 {
		return true, nil
	}
	detail := "not a coordinator"
	if coord != nil {
		detail = "scoped coordinator"
	}
	zerolog.Ctx(ctx).Info().Str("command", command).Msg("catalogue change refused")
	return false, b.auditEntry(ctx, multaque.AuditEntry{Actor: actor, Command: command, Detail: detail, Refused: true})
}

// onDecisionButton handles a coordinator's Approve, Ask for changes and
// Reject.
func (b *proposals) onDecisionButton(ctx context.Context, c *tg.Context, lang multaque.Lang, bt button, id uint64) error {
	actor := c.Sender().ID
	coord, err := b.coordinator(ctx, actor)
	if err != nil {
		return err
	}
	command := map[string]string{
		actProposalApprove: "approve", actProposalChanges: "changes",
		actProposalReject: "reject", actProposalRejectNow: "reject",
	}[bt.Action]
	if ok, err := b.wholeCatalogue(ctx, actor, coord, command); err != nil || !ok {
		if err != nil {
			return err
		}
		msg := "admin_whole_catalogue"
		if coord == nil {
			msg = "admin_refused"
		}
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(lang, msg), ShowAlert: true})
	}
	p, err := b.store.Proposal(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, lang)
	}
	if err != nil {
		return err
	}
	if p.Status != multaque.ProposalPending {
		return b.alreadyDecided(ctx, c, lang, p)
	}
	if bt.Version != p.Version {
		return b.stale(ctx, c, lang)
	}
	switch bt.Action {
	case actProposalApprove:
		return b.approve(ctx, c, lang, p)
	case actProposalRejectNow:
		return b.decide(ctx, c, lang, multaque.ProposalNote{Coordinator: actor, Proposal: p.ID, Version: p.Version, Reject: true}, "")
	}
	note := multaque.ProposalNote{Coordinator: actor, Proposal: p.ID, Version: p.Version, Reject: bt.Action == actProposalReject, At: b.now()}
	if err := b.store.SetProposalNote(ctx, note); err != nil {
		return err
	}
	_ = c.Respond()
	name := esc(p.Name.In(p.Lang))
	if note.Reject {
		return b.send(ctx, c.Recipient(), view{
			Text: b.view.t(lang, "proposal_note_reject_ask", "Name", name),
			Markup: keyboard([]tg.InlineButton{cb(b.view.t(lang, "proposal_btn_reject_now"),
				button{Action: actProposalRejectNow, Version: p.Version, Arg: proposalArg(p.ID)})}),
		})
	}
	return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "proposal_note_changes_ask", "Name", name)})
}

// alreadyDecided tells a coordinator who decided on a proposal first.
func (b *proposals) alreadyDecided(ctx context.Context, c *tg.Context, lang multaque.Lang, p *multaque.Proposal) error {
	who := p.DeciderName
	if who == "" {
		who = b.view.t(lang, "proposal_a_coordinator")
	}
	msg := map[multaque.ProposalStatus]string{
		multaque.ProposalApproved: "proposal_already_approved",
		multaque.ProposalRejected: "proposal_already_rejected",
		multaque.ProposalChanges:  "proposal_already_changes",
	}[p.Status]
	if msg == "" { // sent back and being changed, or sent again: a newer message has it
		return b.stale(ctx, c, lang)
	}
	if c.Callback() != nil { // an alert is plain text: nothing to escape
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(lang, msg, "Name", p.Name.In(p.Lang), "Who", who), ShowAlert: true})
	}
	return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, msg, "Name", esc(p.Name.In(p.Lang)), "Who", esc(who))})
}

// decidable checks, inside the store's change, that the proposal is still
// as the coordinator saw it, and records them as who decided.
func (b *proposals) decidable(c *tg.Context, version int) func(cur *multaque.Proposal) error {
	return func(cur *multaque.Proposal) error {
		if cur.Status != multaque.ProposalPending || cur.Version != version {
			return errProposalMoved
		}
		now := b.now()
		cur.DecidedBy, cur.DeciderName, cur.DecidedAt, cur.UpdatedAt = c.Sender().ID, c.Sender().FirstName, now, now
		return nil
	}
}

// approve puts a pending proposal in the catalogue and tells the proposer.
func (b *proposals) approve(ctx context.Context, c *tg.Context, lang multaque.Lang, p *multaque.Proposal) error {
	taken := func(project string) bool { _, ok := b.view.cat.Project(project); return ok }
	check := b.decidable(c, p.Version)
	saved, err := b.store.ApproveProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
		if err := check(cur); err != nil {
			return err
		}
		cur.Note = ""
		return nil
	}, projectSlug(p.Name.In(p.Lang)), taken, func(ap *multaque.Proposal) []multaque.OutboxItem {
		return []multaque.OutboxItem{b.proposerItem(ap, "proposal_approved")}
	})
	if errors.Is(err, errProposalMoved) {
		return b.decidedMeanwhile(ctx, c, lang, p.ID)
	}
	if err != nil {
		return err
	}
	b.catalogChanged(ctx)
	zerolog.Ctx(ctx).Info().Uint64("proposal", saved.ID).Str("project", saved.Project).Msg("proposal approved")
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: c.Sender().ID, Command: "approve",
		Detail: fmt.Sprintf("proposal %d → project %s", saved.ID, saved.Project)}); err != nil {
		return err
	}
	_ = c.Respond()
	v := b.view.proposalCard(saved, lang)
	v.Markup = nil
	v.Text += "\n\n" + b.view.t(lang, "proposal_approved_coord", "Project", saved.Project)
	return b.edit(ctx, c, v)
}

// decidedMeanwhile answers a coordinator whose decision came second.
func (b *proposals) decidedMeanwhile(ctx context.Context, c *tg.Context, lang multaque.Lang, id uint64) error {
	now, err := b.store.Proposal(ctx, id)
	if err != nil {
		return err
	}
	return b.alreadyDecided(ctx, c, lang, now)
}

// onProposalNote takes a coordinator's typed note: the changes asked for,
// or the reason of a rejection.
func (b *proposals) onProposalNote(ctx context.Context, c *tg.Context, note *multaque.ProposalNote, text string) error {
	actor := c.Sender().ID
	lang := b.langOf(ctx, c)
	coord, err := b.coordinator(ctx, actor)
	if err != nil {
		return err
	}
	command := "changes"
	if note.Reject {
		command = "reject"
	}
	if ok, err := b.wholeCatalogue(ctx, actor, coord, command); err != nil || !ok {
		if err == nil {
			err = b.store.ClearProposalNote(ctx, actor)
		}
		if err != nil {
			return err
		}
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "admin_refused")})
	}
	var problem proposalProblem
	clean := ""
	if len(text) > maxTextLen {
		problem = problemProposalTooLong
	} else if clean, err = multaque.CleanProposalText(text, maxProposalNote, true); err != nil {
		if problem, err = textProblem(err); err != nil {
			return err
		}
	}
	if problem != "" {
		return b.send(ctx, c.Recipient(), view{Text: b.view.problemLine(lang, problem, maxProposalNote)})
	}
	return b.decide(ctx, c, lang, *note, clean)
}

// decide sends a pending proposal back for changes, or rejects it, with
// the coordinator's note (which may be empty for a rejection), and tells
// the proposer.
func (b *proposals) decide(ctx context.Context, c *tg.Context, lang multaque.Lang, note multaque.ProposalNote, text string) error {
	check := b.decidable(c, note.Version)
	status, msg, command := multaque.ProposalChanges, "proposal_changes", "changes"
	if note.Reject {
		status, msg, command = multaque.ProposalRejected, "proposal_rejected", "reject"
	}
	saved, err := b.store.UpdateProposal(ctx, note.Proposal, func(cur *multaque.Proposal) error {
		if err := check(cur); err != nil {
			return err
		}
		cur.Status, cur.Note, cur.Editing = status, text, false
		cur.Step = ""
		if status == multaque.ProposalChanges {
			cur.Step = multaque.ProposalStepConfirm
		}
		return nil
	}, func(p *multaque.Proposal) []multaque.OutboxItem {
		return []multaque.OutboxItem{b.proposerItem(p, msg)}
	})
	if clearErr := b.store.ClearProposalNote(ctx, c.Sender().ID); clearErr != nil && err == nil {
		err = clearErr
	}
	if errors.Is(err, errProposalMoved) {
		return b.decidedMeanwhile(ctx, c, lang, note.Proposal)
	}
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, lang)
	}
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Uint64("proposal", saved.ID).Str("status", string(saved.Status)).Msg("proposal decided")
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: c.Sender().ID, Command: command, Detail: fmt.Sprintf("proposal %d", saved.ID)}); err != nil {
		return err
	}
	done := b.view.t(lang, "proposal_note_sent_"+string(status), "Name", esc(saved.Name.In(saved.Lang)))
	if c.Callback() != nil {
		_ = c.Respond()
		v := b.view.proposalCard(saved, lang)
		v.Markup = nil
		v.Text += "\n\n" + done
		return b.edit(ctx, c, v)
	}
	return b.send(ctx, c.Recipient(), view{Text: done})
}

// proposerItem tells the proposer what a coordinator decided, in the
// proposal's language.
func (b *proposals) proposerItem(p *multaque.Proposal, msg string) multaque.OutboxItem {
	lang := p.Lang
	text := b.view.t(lang, msg, "Name", esc(p.Name.In(lang)), "Project", p.Project)
	if p.Note != "" {
		text += "\n\n" + b.view.t(lang, "proposal_note_line", "Note", esc(p.Note))
	}
	it := multaque.OutboxItem{
		Kind: "proposal", Chat: p.Proposer, Priority: multaque.PriorityNormal,
		DedupKey:  fmt.Sprintf("proposal/%d/%s/%d", p.ID, p.Status, p.Version),
		ParseMode: tg.ModeHTML, Text: text,
	}
	if p.Status == multaque.ProposalChanges {
		it.Keyboard = [][]multaque.OutboxButton{{{Text: b.view.t(lang, "proposal_btn_open"),
			Data: button{Action: actProposalOpen, Version: p.Version, Arg: proposalArg(p.ID)}.encode()}}}
	}
	return it
}

// catalogChanged rebuilds the catalogue after a change is stored. A
// failure is logged: the change is kept and shows at the next rebuild.
func (b *proposals) catalogChanged(ctx context.Context) {
	if b.onCatalogChange == nil {
		return
	}
	if err := b.onCatalogChange(ctx); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("rebuild the catalogue")
	}
}

// --- Coordinators' commands -------------------------------------------------

// onProposals is /proposals: the proposals waiting for a decision, each
// with its buttons.
func (b *proposals) onProposals(ctx context.Context, a *adminCall) error {
	if ok, err := b.wholeCatalogue(ctx, a.coord.ID, a.coord, a.cmd); err != nil || !ok {
		return b.refusedWhole(ctx, a, err)
	}
	if a.args != "" {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "proposals_usage")})
	}
	pending, err := b.store.Proposals(ctx, multaque.ProposalPending)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, fmt.Sprintf("%d pending", len(pending))); err != nil {
		return err
	}
	if len(pending) == 0 {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "proposals_none")})
	}
	if err := b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "proposals_head", "Count", len(pending))}); err != nil {
		return err
	}
	for i := range pending[:min(len(pending), maxListedProposals)] {
		if err := b.send(ctx, a.c.Recipient(), b.view.proposalCard(&pending[i], a.lang)); err != nil {
			return err
		}
	}
	return nil
}

// refusedWhole answers a coordinator who may not change the whole
// catalogue (wholeCatalogue audited it).
func (b *proposals) refusedWhole(ctx context.Context, a *adminCall, err error) error {
	if err != nil {
		return err
	}
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "admin_whole_catalogue")})
}

// onThreshold is /threshold: list, set or reset the team sizes of a
// project.
func (b *proposals) onThreshold(ctx context.Context, a *adminCall) error {
	if ok, err := b.wholeCatalogue(ctx, a.coord.ID, a.coord, a.cmd); err != nil || !ok {
		return b.refusedWhole(ctx, a, err)
	}
	usage := b.view.t(a.lang, "threshold_usage", "Max", multaque.MaxTeamSize)
	op, project, lo, hi := parseThreshold(a.args)
	switch op {
	case thresholdBad:
		return b.send(ctx, a.c.Recipient(), view{Text: usage})
	case thresholdList:
		ts, err := b.store.Thresholds(ctx)
		if err != nil {
			return err
		}
		var sb strings.Builder
		if len(ts) == 0 {
			sb.WriteString(b.view.t(a.lang, "threshold_list_none"))
		} else {
			sb.WriteString(b.view.t(a.lang, "threshold_list_head"))
			for _, t := range ts {
				fmt.Fprintf(&sb, "\n• <code>%s</code>: %d–%d", esc(t.Project), t.MinTeam, t.MaxTeam)
			}
		}
		return b.send(ctx, a.c.Recipient(), view{Text: sb.String() + "\n\n" + usage})
	}
	old, ok := b.view.cat.Project(project)
	if !ok {
		return b.send(ctx, a.c.Recipient(), b.view.unknownProject(a.lang, project))
	}
	if op == thresholdReset {
		if err := b.store.RemoveThreshold(ctx, project); multaque.ErrorCode(err) == multaque.ENOTFOUND {
			return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "threshold_none", "Project", project)})
		} else if err != nil {
			return err
		}
		b.catalogChanged(ctx)
		now, _ := b.view.cat.Project(project)
		if err := b.audit(ctx, a, fmt.Sprintf("%s %d-%d → reset %d-%d", project, old.MinTeam, old.MaxTeam, now.MinTeam, now.MaxTeam)); err != nil {
			return err
		}
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "threshold_reset",
			"Name", esc(now.Name.In(a.lang)), "Min", now.MinTeam, "Max", now.MaxTeam)})
	}
	if err := b.store.SetThreshold(ctx, multaque.Threshold{Project: project, MinTeam: lo, MaxTeam: hi, By: a.coord.ID, At: b.now().UTC()}); err != nil {
		return err
	}
	b.catalogChanged(ctx)
	if err := b.audit(ctx, a, fmt.Sprintf("%s %d-%d → %d-%d", project, old.MinTeam, old.MaxTeam, lo, hi)); err != nil {
		return err
	}
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "threshold_set",
		"Name", esc(old.Name.In(a.lang)), "OldMin", old.MinTeam, "OldMax", old.MaxTeam, "Min", lo, "Max", hi)})
}

// onTranslate is /translate: a coordinator adds or corrects the text of an
// approved proposal in one language.
func (b *proposals) onTranslate(ctx context.Context, a *adminCall) error {
	if ok, err := b.wholeCatalogue(ctx, a.coord.ID, a.coord, a.cmd); err != nil || !ok {
		return b.refusedWhole(ctx, a, err)
	}
	tr, problem, err := parseTranslate(a.args)
	switch {
	case err != nil:
		return err
	case problem == problemTranslateUsage:
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, string(problemTranslateUsage))})
	case problem != "":
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.problemLine(a.lang, problem, proposalLimit[tr.field]) + "\n\n" + b.view.t(a.lang, string(problemTranslateUsage))})
	}
	p, err := b.store.ProjectProposal(ctx, tr.project)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		if _, ok := b.view.cat.Project(tr.project); ok {
			return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "translate_file_project", "Project", tr.project)})
		}
		return b.send(ctx, a.c.Recipient(), b.view.unknownProject(a.lang, tr.project))
	}
	if err != nil {
		return err
	}
	_, err = b.store.UpdateProposal(ctx, p.ID, func(cur *multaque.Proposal) error {
		field := map[multaque.ProposalStep]*multaque.Text{
			multaque.ProposalStepName: &cur.Name, multaque.ProposalStepPitch: &cur.Pitch, multaque.ProposalStepExplanation: &cur.Explanation,
		}[tr.field]
		if *field == nil {
			*field = multaque.Text{}
		}
		(*field)[tr.lang] = tr.text
		cur.UpdatedAt = b.now()
		return nil
	}, nil)
	if err != nil {
		return err
	}
	b.catalogChanged(ctx)
	if err := b.audit(ctx, a, fmt.Sprintf("%s %s %s", tr.project, tr.lang, tr.field)); err != nil {
		return err
	}
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "translate_done",
		"Project", tr.project, "Field", string(tr.field), "Language", b.view.t(a.lang, "proposal_lang_"+string(tr.lang)))})
}

// --- Screens --------------------------------------------------------------------

// cloneProposal copies p so that changing the copy leaves p alone.
func cloneProposal(p *multaque.Proposal) *multaque.Proposal {
	out := *p
	out.Name, out.Pitch, out.Explanation = maps.Clone(p.Name), maps.Clone(p.Pitch), maps.Clone(p.Explanation)
	return &out
}

// proposalScreen is what the proposer sees of their proposal: the question
// it waits for, its summary to send, or that it waits for coordinators.
func (rd *renderer) proposalScreen(p *multaque.Proposal, problem proposalProblem) view {
	lang := p.Lang
	var v view
	switch {
	case p.Status == multaque.ProposalPending:
		v = rd.proposalSummary(p, "")
		v.Text += "\n\n" + rd.t(lang, "proposal_waiting")
	case p.Step.Typing():
		v = view{Text: rd.t(lang, "proposal_ask_"+string(p.Step),
			"Limit", proposalLimit[p.Step], "Min", multaque.MinProposalTeam, "Max", multaque.MaxProposalTeam)}
		v.Text += "\n" + rd.t(lang, "proposal_cancel_hint")
	case p.Status == multaque.ProposalDraft || p.Status == multaque.ProposalChanges:
		v = rd.proposalSummary(p, "")
		ver, arg := p.Version, proposalArg(p.ID)
		edit := func(label string, step multaque.ProposalStep) tg.InlineButton {
			return cb(rd.t(lang, label), button{Action: actProposalEdit, Version: ver, Arg: arg + "," + string(step)})
		}
		send := []tg.InlineButton{cb(rd.t(lang, "proposal_btn_send"), button{Action: actProposalSend, Version: ver, Arg: arg})}
		if p.Status == multaque.ProposalDraft {
			send = append(send, cb(rd.t(lang, "proposal_btn_discard"), button{Action: actProposalDiscard, Version: ver, Arg: arg}))
		}
		v.Text += "\n\n" + rd.t(lang, "proposal_confirm")
		v.Markup = keyboard(send,
			[]tg.InlineButton{edit("proposal_btn_name", multaque.ProposalStepName), edit("proposal_btn_pitch", multaque.ProposalStepPitch)},
			[]tg.InlineButton{edit("proposal_btn_explanation", multaque.ProposalStepExplanation), edit("proposal_btn_mass", multaque.ProposalStepMass)},
		)
	default:
		v = rd.proposalSummary(p, "")
	}
	if problem != "" {
		v.Text = rd.problemLine(lang, problem, proposalLimit[p.Step]) + "\n\n" + v.Text
	}
	return v
}

// problemLine is the warning that tells about problem, with the data its
// sentence may use: limit, the longest text the answer may be, and the
// bounds of a critical mass.
func (rd *renderer) problemLine(lang multaque.Lang, problem proposalProblem, limit int) string {
	return "⚠️ " + rd.t(lang, string(problem), "Limit", limit, "Min", multaque.MinProposalTeam, "Max", multaque.MaxProposalTeam)
}

// proposalSummary shows a proposal's answers, headed by head (a message
// id, or "" for the proposer's own heading).
func (rd *renderer) proposalSummary(p *multaque.Proposal, head string) view {
	lang := p.Lang
	if head == "" {
		head = rd.t(lang, "proposal_summary_head")
	}
	var sb strings.Builder
	sb.WriteString(head)
	fmt.Fprintf(&sb, "\n\n<b>%s</b>\n<i>%s</i>\n\n%s\n\n%s", esc(p.Name[lang]), esc(p.Pitch[lang]), esc(p.Explanation[lang]),
		rd.t(lang, "proposal_mass_line", "Count", p.MinTeam))
	if p.Note != "" && p.Status == multaque.ProposalChanges {
		sb.WriteString("\n\n" + rd.t(lang, "proposal_note_line", "Note", esc(p.Note)))
	}
	return view{Text: sb.String()}
}

// proposalCard is a proposal as coordinators see it, in their language
// (head and buttons; the proposal's own texts are in its language), with
// the buttons to decide while it waits.
func (rd *renderer) proposalCard(p *multaque.Proposal, lang multaque.Lang) view {
	head := rd.t(lang, "proposal_card_head", "ID", p.ID, "Language", rd.t(lang, "proposal_lang_"+string(p.Lang)))
	var sb strings.Builder
	sb.WriteString(head)
	fmt.Fprintf(&sb, "\n\n<b>%s</b>\n<i>%s</i>\n\n%s\n\n%s", esc(p.Name[p.Lang]), esc(p.Pitch[p.Lang]), esc(p.Explanation[p.Lang]),
		rd.t(lang, "proposal_mass_line", "Count", p.MinTeam))
	v := view{Text: sb.String()}
	if p.Status == multaque.ProposalPending {
		ver, arg := p.Version, proposalArg(p.ID)
		v.Markup = keyboard(
			[]tg.InlineButton{cb(rd.t(lang, "proposal_btn_approve"), button{Action: actProposalApprove, Version: ver, Arg: arg})},
			[]tg.InlineButton{
				cb(rd.t(lang, "proposal_btn_changes"), button{Action: actProposalChanges, Version: ver, Arg: arg}),
				cb(rd.t(lang, "proposal_btn_reject"), button{Action: actProposalReject, Version: ver, Arg: arg}),
			},
		)
	}
	return v
}

// unknownProject says there is no such project, listing the ids there are.
func (rd *renderer) unknownProject(lang multaque.Lang, project string) view {
	var ids []string
	for _, p := range rd.cat.Projects() {
		ids = append(ids, "<code>"+esc(p.ID)+"</code>")
	}
	return view{Text: rd.t(lang, "admin_project_unknown", "Project", esc(project), "Projects", strings.Join(ids, ", "))}
}

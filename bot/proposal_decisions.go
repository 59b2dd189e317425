package bot

// The coordinators' side of proposals: each sent proposal reaches the
// coordinators of the whole catalogue as a card with Approve, Ask for changes
// and Reject; the first decision counts, and the proposer is told.

import (
	"context"
	"errors"
	"fmt"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

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

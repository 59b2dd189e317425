package bot

// What people see of proposals: the proposer's screens and the coordinators' card.

import (
	"fmt"
	"strings"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

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

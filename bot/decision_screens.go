package bot

// The decisions' screens: the walk-through's steps in private, the
// announcement and the outcome in the group, the decision log. Values
// people typed (questions, options, reasons) are escaped here.

import (
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// decisionTime is how the decisions show a time (in UTC, as they say).
const decisionTime = "2006-01-02 15:04"

func when(t time.Time) string { return t.UTC().Format(decisionTime) }

// withCancel adds the draft's Cancel button under v.
func (b *decisions) withCancel(d *multaque.Decision, v view) view {
	v.Markup = append(v.Markup, []tg.InlineButton{cb(b.view.t(d.Lang, "decide_btn_cancel"), button{Action: actDecideCancel, Version: int(d.ID)})})
	return v
}

// stepView is the screen of a draft's step; team (nil if unknown) gives
// the preview its quorum.
func (b *decisions) stepView(d *multaque.Decision, team *multaque.Team) view {
	t := func(id string, kv ...any) string { return b.view.t(d.Lang, id, kv...) }
	btn := func(text, action, arg string) tg.InlineButton {
		return cb(text, button{Action: action, Version: int(d.ID), Arg: arg})
	}
	var v view
	switch d.Step {
	case multaque.StepDecisionKind:
		v.Text = t("decide_kind")
		for _, k := range multaque.DecisionKinds {
			v.Markup = append(v.Markup, []tg.InlineButton{btn(t("decide_btn_"+string(k)), actDecideKind, string(k))})
		}
	case multaque.StepDecisionQuestion:
		v.Text = t("decide_question")
		if d.Kind == multaque.KindCountIn {
			v.Text = t("decide_question_countin")
		}
	case multaque.StepDecisionOptions:
		v.Text = t("decide_options")
		if d.Kind == multaque.KindMeeting {
			v.Text = t("decide_options_meeting")
		}
	case multaque.StepDecisionTarget:
		v.Text = t("decide_target")
	case multaque.StepDecisionAnswers:
		v.Text = t("decide_answers")
		v.Markup = append(v.Markup, []tg.InlineButton{btn(t("decide_btn_one"), actDecideAnswers, "0"), btn(t("decide_btn_several"), actDecideAnswers, "1")})
	case multaque.StepDecisionClosing:
		v.Text = t("decide_closing")
		var row []tg.InlineButton
		for _, h := range decisionClosings {
			label := t("decide_btn_days", "Count", h/24)
			if h%24 != 0 {
				label = t("decide_btn_hours", "Count", h)
			}
			row = append(row, btn(label, actDecideClose, strconv.Itoa(h)))
		}
		v.Markup = append(v.Markup, row[:2], row[2:])
	case multaque.StepDecisionConfirm:
		v.Text = b.preview(d, team)
		v.Markup = append(v.Markup, []tg.InlineButton{btn(t("decide_btn_post"), actDecidePost, "")})
	}
	return b.withCancel(d, v)
}

// quorum is how many of team's members must answer d, and how many may.
func quorum(d *multaque.Decision, team *multaque.Team) (needed, members int) {
	if team == nil {
		return 0, 0
	}
	o := multaque.Tally(&multaque.Decision{Kind: d.Kind, Options: d.Options, Quorum: d.Quorum}, voters(team, d))
	return o.Needed, o.Members
}

func (b *decisions) preview(d *multaque.Decision, team *multaque.Team) string {
	var opts []string
	for _, o := range d.Options {
		opts = append(opts, "• "+esc(o))
	}
	if d.Kind == multaque.KindCountIn {
		opts = append(opts, b.view.t(d.Lang, "decide_preview_target", "Target", d.Target))
	}
	needed, members := quorum(d, team)
	return b.view.t(d.Lang, "decide_preview", "Question", esc(d.Question), "Options", strings.Join(opts, "\n"),
		"Closes", when(d.Closes), "Needed", needed, "Members", members)
}

// intro is the message posted in the group above the poll.
func (b *decisions) intro(d *multaque.Decision, team *multaque.Team) view {
	needed, members := quorum(d, team)
	if d.Kind == multaque.KindCountIn {
		return view{Text: b.view.t(d.Lang, "decision_intro_target", "Target", d.Target, "Closes", when(d.Closes), "Needed", needed, "Members", members)}
	}
	return view{Text: b.view.t(d.Lang, "decision_intro", "Kind", b.view.t(d.Lang, "decision_kind_"+string(d.Kind)),
		"Closes", when(d.Closes), "Needed", needed, "Members", members)}
}

// resultText is the verdict line of an outcome.
func (b *decisions) resultText(d *multaque.Decision) string {
	o := d.Outcome
	t := func(id string, kv ...any) string { return b.view.t(d.Lang, id, kv...) }
	switch o.Result {
	case multaque.ResultChosen:
		var w []string
		for _, i := range o.Winners {
			w = append(w, esc(d.Options[i]))
		}
		return t("decision_result_chosen", "Winners", strings.Join(w, ", "))
	case multaque.ResultTargetMet, multaque.ResultTargetMissed:
		return t("decision_result_"+string(o.Result), "In", o.Counts[multaque.CountMeIn], "Target", d.Target)
	}
	return t("decision_result_" + string(o.Result))
}

// outcomeView is the outcome of closed decision d, as the group sees it.
func (b *decisions) outcomeView(d *multaque.Decision) view {
	o := d.Outcome
	t := func(id string, kv ...any) string { return b.view.t(d.Lang, id, kv...) }
	lines := []string{t("decision_outcome_head", "Question", esc(d.Question))}
	for i, opt := range d.Options {
		lines = append(lines, t("decision_outcome_line", "Option", esc(opt), "Votes", o.Counts[i]))
	}
	lines = append(lines, "", t("decision_outcome_answered", "Voted", o.Voted, "Members", o.Members, "Needed", o.Needed), b.resultText(d))
	for _, r := range o.Blocks {
		if r == "" {
			lines = append(lines, t("decision_outcome_block_none"))
		} else {
			lines = append(lines, t("decision_outcome_block", "Reason", esc(r)))
		}
	}
	if o.NotCounted > 0 {
		lines = append(lines, t("decision_outcome_not_counted", "Count", o.NotCounted))
	}
	if d.Note == multaque.NotePollDeleted {
		lines = append(lines, t("decision_note_poll_deleted"))
	}
	return view{Text: strings.Join(lines, "\n")}
}

// logView is the team's decision log (/decisions), newest first.
func (b *decisions) logView(lang multaque.Lang, log []*multaque.Decision) view {
	if len(log) == 0 {
		return view{Text: b.view.t(lang, "decisions_none")}
	}
	lines := []string{b.view.t(lang, "decisions_head")}
	for i, d := range log {
		if i == decisionsShown {
			break
		}
		if d.Status == multaque.DecisionOpen {
			lines = append(lines, b.view.t(lang, "decisions_open_line", "Question", esc(d.Question), "Closes", when(d.Closes)))
			continue
		}
		mark := "✅"
		switch d.Outcome.Result {
		case multaque.ResultNoQuorum, multaque.ResultNotAgreed, multaque.ResultTargetMissed:
			mark = "❌"
		case multaque.ResultBlocked:
			mark = "✋"
		}
		lines = append(lines, b.view.t(lang, "decisions_closed_line", "Result", mark, "Question", esc(d.Question), "Closed", when(d.ClosedAt)))
	}
	lines = append(lines, "", b.view.t(lang, "decisions_foot"))
	return view{Text: strings.Join(lines, "\n")}
}

// decisionsShown is how many decisions /decisions lists, newest first: 12
// questions of up to 300 characters, with their lines, fit in one message
// of 4096.
const decisionsShown = 12

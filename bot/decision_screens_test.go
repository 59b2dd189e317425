package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// TestDecisionScreensGolden renders every screen of the decisions in each
// language to testdata/decisions_<lang>.golden: the walk-through's steps,
// the announcement, outcomes of each kind, and the log.
func TestDecisionScreensGolden(t *testing.T) {
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	b := &decisions{core: &core{view: &renderer{texts: texts}}}
	closes := time.Date(2026, 12, 10, 18, 0, 0, 0, time.UTC)
	team := &multaque.Team{ID: "t1", Members: []multaque.TeamMember{{Citizen: 1}, {Citizen: 2}, {Citizen: 3}, {Citizen: 4}}, Mentor: 9}
	for _, lang := range multaque.Languages {
		var out strings.Builder
		show := func(name string, v view) {
			fmt.Fprintf(&out, "== %s\n%s\n", name, v.Text)
			for _, row := range v.Markup {
				var labels []string
				for _, btn := range row {
					labels = append(labels, "["+btn.Text+"]")
				}
				fmt.Fprintln(&out, strings.Join(labels, " "))
			}
			out.WriteString("\n")
		}
		draft := func(kind multaque.DecisionKind, step multaque.DecisionStep) *multaque.Decision {
			return &multaque.Decision{ID: 7, Team: "t1", Lang: lang, Kind: kind, Step: step, Quorum: multaque.DefaultQuorum,
				Question: "Buy the <b>oil</b> from Joan & Co?", Options: b.fixedOptions(lang, kind), Target: 3, Closes: closes}
		}
		show("kind", b.stepView(draft("", multaque.StepDecisionKind), nil))
		show("question, proposal", b.stepView(draft(multaque.KindProposal, multaque.StepDecisionQuestion), nil))
		show("question, count me in", b.stepView(draft(multaque.KindCountIn, multaque.StepDecisionQuestion), nil))
		show("options, choice", b.stepView(draft(multaque.KindChoice, multaque.StepDecisionOptions), nil))
		show("options, meeting", b.stepView(draft(multaque.KindMeeting, multaque.StepDecisionOptions), nil))
		show("target", b.stepView(draft(multaque.KindCountIn, multaque.StepDecisionTarget), nil))
		show("answers", b.stepView(draft(multaque.KindChoice, multaque.StepDecisionAnswers), nil))
		show("closing", b.stepView(draft(multaque.KindProposal, multaque.StepDecisionClosing), nil))
		choice := draft(multaque.KindChoice, multaque.StepDecisionConfirm)
		choice.Options = []string{"Library", "Café <corner>", "Square"}
		show("preview, choice", b.stepView(choice, team))
		countin := draft(multaque.KindCountIn, multaque.StepDecisionConfirm)
		show("preview, count me in", b.stepView(countin, team))
		show("intro, proposal", b.intro(draft(multaque.KindProposal, ""), team))
		show("intro, count me in", b.intro(countin, team))

		blocked := draft(multaque.KindProposal, "")
		blocked.Status, blocked.ClosedAt, blocked.Note = multaque.DecisionClosed, closes, multaque.NotePollDeleted
		blocked.Votes = []multaque.Vote{{Voter: 1, Options: []int{0}}, {Voter: 2, Options: []int{3}, Reason: "too <dear>"}, {Voter: 3, Options: []int{3}}, {Voter: 50, Options: []int{2}}}
		o := multaque.Tally(blocked, voters(team, blocked))
		blocked.Outcome = &o
		show("outcome, blocked", b.outcomeView(blocked))
		choice.Status, choice.ClosedAt = multaque.DecisionClosed, closes
		choice.Votes = []multaque.Vote{{Voter: 1, Options: []int{1}}, {Voter: 2, Options: []int{1}}, {Voter: 3, Options: []int{0}}}
		o2 := multaque.Tally(choice, voters(team, choice))
		choice.Outcome = &o2
		show("outcome, chosen", b.outcomeView(choice))
		countin.Status, countin.ClosedAt = multaque.DecisionClosed, closes
		countin.Votes = []multaque.Vote{{Voter: 1, Options: []int{0}}, {Voter: 2, Options: []int{0}}}
		o3 := multaque.Tally(countin, voters(team, countin))
		countin.Outcome = &o3
		show("outcome, target missed", b.outcomeView(countin))
		quiet := draft(multaque.KindMeeting, "")
		quiet.Options = []string{"Mon 18:00", "Tue 19:00"}
		quiet.Status, quiet.ClosedAt = multaque.DecisionClosed, closes
		o4 := multaque.Tally(quiet, voters(team, quiet))
		quiet.Outcome = &o4
		show("outcome, no quorum", b.outcomeView(quiet))
		open := draft(multaque.KindChoice, "")
		open.Status = multaque.DecisionOpen
		show("log", b.logView(lang, []*multaque.Decision{open, choice, blocked, quiet}))
		show("log, empty", b.logView(lang, nil))
		tx := func(id string, kv ...any) view { return view{Text: b.view.t(lang, id, kv...)} }
		show("posted", tx("decide_posted", "Closes", when(closes)))
		show("block reason", tx("decision_block_reason", "Question", esc(blocked.Question)))
		show("reminder", tx("decision_reminder", "Question", esc(blocked.Question), "Closes", when(closes)))
		show("not a member", tx("decide_not_member"))
		show("start in private", tx("decide_start_private", "Name", "Anna"))

		golden(t, "decisions_"+string(lang), out.String())
	}
}

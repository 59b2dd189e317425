package bot

// The coordinators' changes to the catalogue: /threshold (a project's team
// size) and /translate (a proposed project in another language). Both need a
// coordinator of every community (wholeCatalogue).

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/multaque/multaque"
)

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

package bot

// The coordinators' view of the teams' start: /teams [community] lists
// each team they oversee with its stage, its steps done, the days since
// its last activity, its mentor and the last check-in, stalled teams
// first; /team <id> (or a button of /teams) shows one team's plan and the
// history of its stage. Both run after the access check and within the
// coordinator's scope, and name no member: what members did is shown
// without who did it.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// maxTeamsListed is how many teams /teams lists, and maxTeamButtons how
// many of them get a button.
const (
	maxTeamsListed = 40
	maxTeamButtons = 10
)

// teamRow is a team as /teams shows it.
type teamRow struct {
	team    *multaque.Team
	plan    *multaque.Plan // nil: no plan yet (its group is being made)
	quiet   int            // days since its last activity
	stalled bool
}

// teamRows reads the plans of teams, stalled ones first, then the longest
// quiet.
func (b *plans) teamRows(ctx context.Context, teams []*multaque.Team) ([]teamRow, error) {
	now := b.now()
	var rows []teamRow
	for _, t := range teams {
		if t.Status == multaque.TeamClosed {
			continue
		}
		r := teamRow{team: t}
		p, err := b.store.Plan(ctx, t.ID)
		switch {
		case err == nil:
			r.plan = p
			r.quiet = int(now.Sub(p.LastActivity) / (24 * time.Hour))
			r.stalled = p.Open() && now.Sub(p.LastActivity) >= b.rules.Quiet
		case multaque.ErrorCode(err) != multaque.ENOTFOUND:
			return nil, err
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, c teamRow) int {
		if a.stalled != c.stalled {
			if a.stalled {
				return -1
			}
			return 1
		}
		return cmp.Compare(c.quiet, a.quiet)
	})
	return rows, nil
}

// runTeams is /teams [community].
func (b *plans) runTeams(ctx context.Context, a *adminCall) error {
	ar, ok, err := b.reports.areaOf(ctx, a)
	if !ok || err != nil {
		return err
	}
	teams, err := b.reports.teamsIn(ctx, ar)
	if err != nil {
		return err
	}
	rows, err := b.teamRows(ctx, teams)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "area "+ar.id); err != nil {
		return err
	}
	lang := a.lang
	lines := []string{b.view.t(lang, "plan_teams_title", "Area", esc(ar.name)), ""}
	var kb tg.Keyboard
	for i, r := range rows {
		if i == maxTeamsListed {
			lines = append(lines, b.view.t(lang, "report_and_more", "More", len(rows)-i))
			break
		}
		lines = append(lines, b.teamLine(lang, r, b.mentorName(ctx, lang, r.team)))
		if i < maxTeamButtons {
			kb = append(kb, []tg.InlineButton{cb(r.team.ID+" · "+clipRunes(b.nameOfProject(lang, r.team.Project), 30), button{Action: actPlanTeam, Arg: r.team.ID})})
		}
	}
	if len(rows) == 0 {
		lines = append(lines, b.view.t(lang, "report_none"))
	}
	return b.send(ctx, a.c.Recipient(), view{Text: fitLines(lines, maxMessageLen), Markup: kb})
}

// mentorName is how /teams names t's mentor (escaped): the name they gave,
// or that there is a mentor, or none.
func (b *plans) mentorName(ctx context.Context, lang multaque.Lang, t *multaque.Team) string {
	if t.Mentor == 0 {
		return b.view.t(lang, "plan_no_mentor")
	}
	if name := b.personName(ctx, t.Mentor); name != "" {
		return esc(name)
	}
	return b.view.t(lang, "plan_mentor_unnamed")
}

// teamLine is one team of /teams, whose mentor is named mentor.
func (b *plans) teamLine(lang multaque.Lang, r teamRow, mentor string) string {
	t := r.team
	head := fmt.Sprintf("<b>%s</b> · %s · %s", esc(t.ID), esc(b.nameOfProject(lang, t.Project)), esc(b.nameOfCommunity(lang, t.Community)))
	if r.stalled {
		head = "⚠️ " + head
	}
	if r.plan == nil {
		return head + "\n" + b.view.t(lang, "plan_teams_no_plan", "Mentor", mentor)
	}
	p := r.plan
	checkIn := "—"
	if c := p.LastCheckIn(); c != nil {
		checkIn = colourMark[c.Colour] + " " + day(c.At)
	}
	return head + "\n" + b.view.t(lang, "plan_teams_line", "Stage", b.stageName(lang, p.Stage()), "Done", p.Done(), "Total", len(p.Steps),
		"Days", r.quiet, "Mentor", mentor, "CheckIn", checkIn)
}

// runTeam is /team <id>.
func (b *plans) runTeam(ctx context.Context, a *adminCall) error {
	id := strings.ToLower(strings.TrimSpace(a.args))
	to := a.c.Recipient()
	if id == "" || len(id) > multaque.MaxTeamIDLen {
		return b.send(ctx, to, view{Text: b.view.t(a.lang, "plan_team_usage")})
	}
	t, err := b.store.Team(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.send(ctx, to, view{Text: b.view.t(a.lang, "plan_team_unknown", "Team", esc(id))})
	} else if err != nil {
		return err
	}
	if !b.oversees(a.coord, t.Community) {
		// The same words as for a team that does not exist would be kinder
		// to privacy, but every scoped command says "out of scope".
		return b.refuseOutOfScope(ctx, a, t.Community)
	}
	if err := b.audit(ctx, a, "team "+t.ID); err != nil {
		return err
	}
	p, err := b.store.Plan(ctx, t.ID)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.send(ctx, to, view{Text: b.teamTitle(t, a.lang) + " · " + esc(t.ID) + "\n\n" + b.view.t(a.lang, "plan_teams_no_plan", "Mentor", b.mentorName(ctx, a.lang, t))})
	} else if err != nil {
		return err
	}
	return b.send(ctx, to, view{Text: b.teamReport(t, p, a.lang)})
}

// teamReport is /team's screen: the plan without who did what, and the
// stage's history.
func (b *plans) teamReport(t *multaque.Team, p *multaque.Plan, lang multaque.Lang) string {
	pr, _ := b.view.cat.Project(t.Project)
	in := &planInfo{team: t, project: pr, lang: lang}
	lines := []string{b.teamTitle(t, lang) + " · " + esc(t.ID), "",
		b.view.t(lang, "plan_stage", "Stage", b.stageName(lang, p.Stage()), "Since", day(p.Since())),
		b.view.t(lang, "plan_progress", "Done", p.Done(), "Total", len(p.Steps)),
		b.view.t(lang, "plan_last_activity", "Date", day(p.LastActivity)), ""}
	for i, s := range p.Steps {
		mark, when := "⬜", ""
		if s.Done {
			mark, when = "✅", " · "+day(s.DoneAt)
		} else if !s.Due.IsZero() {
			when = " · 📅 " + day(s.Due)
		}
		lines = append(lines, fmt.Sprintf("%s %d. %s%s", mark, i+1, esc(b.stepText(in, s, lang)), when))
	}
	lines = append(lines, "", b.view.t(lang, "plan_history"))
	for _, c := range p.Stages {
		line := day(c.At) + " · " + b.stageName(lang, c.Stage)
		if c.Reason != "" {
			line += " · " + esc(c.Reason)
		}
		lines = append(lines, line)
	}
	if len(p.CheckIns) > 0 {
		lines = append(lines, "", b.view.t(lang, "plan_checkins"))
		for _, c := range p.CheckIns {
			line := day(c.At) + " · " + colourMark[c.Colour]
			if c.Note != "" {
				line += " · " + esc(c.Note)
			}
			lines = append(lines, line)
		}
	}
	return fitLines(lines, maxMessageLen)
}

// onTeamButton is a press of a team's button under /teams: /team, after
// the same access check.
func (b *plans) onTeamButton(ctx context.Context, r *request) error {
	coord, err := b.coordinator(ctx, r.c.Sender().ID)
	if err != nil {
		return err
	}
	if coord == nil {
		return b.stale(ctx, r.c, r.lang)
	}
	_ = r.c.Respond()
	return b.runTeam(ctx, &adminCall{c: r.c, coord: coord, lang: r.lang, cmd: "team", args: r.bt.Arg})
}

package bot

// What the coordinators' reports (/stats, /chart, /export: coord_*.go)
// show of the teams' start: teams by stage (teams launched is the number a
// municipality reports), and teams.csv's columns of each team's plan.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
)

// planColumns are the columns teams.csv gains from each team's plan.
var planColumns = []string{"stage", "steps_done", "steps_total", "last_activity", "last_check_in"}

// plansOf reads the plans of teams, by team id; a team with none (its
// group is still being made, or it closed before plans) is left out.
func (b *plans) plansOf(ctx context.Context, teams []*multaque.Team) (map[string]*multaque.Plan, error) {
	out := make(map[string]*multaque.Plan, len(teams))
	for _, t := range teams {
		p, err := b.store.Plan(ctx, t.ID)
		switch {
		case err == nil:
			out[t.ID] = p
		case multaque.ErrorCode(err) != multaque.ENOTFOUND:
			return nil, err
		}
	}
	return out, nil
}

// planCells are teams.csv's plan columns of a team whose plan is p (nil:
// none yet): its stage, steps done and in all, the day of its last
// activity, and the colour and day of the mentor's last check-in.
func planCells(p *multaque.Plan) []string {
	if p == nil {
		return []string{"", "", "", "", ""}
	}
	checkIn := ""
	if c := p.LastCheckIn(); c != nil {
		checkIn = string(c.Colour) + " " + c.At.UTC().Format(time.DateOnly)
	}
	return []string{string(p.Stage()), strconv.Itoa(p.Done()), strconv.Itoa(len(p.Steps)), p.LastActivity.UTC().Format(time.DateOnly), checkIn}
}

// stagesLine is "Teams by stage: formed 2 · started 3 · …" for the teams
// of a report (those not closed), in lang; a team whose group is still
// being made counts as formed.
func (b *plans) stagesLine(ctx context.Context, lang multaque.Lang, teams []*multaque.Team) (string, error) {
	ps, err := b.plansOf(ctx, teams)
	if err != nil {
		return "", err
	}
	n := map[multaque.Stage]int{}
	for _, t := range teams {
		if t.Status == multaque.TeamClosed {
			continue
		}
		stage := multaque.StageFormed
		if p := ps[t.ID]; p != nil {
			stage = p.Stage()
		}
		n[stage]++
	}
	parts := make([]string, 0, len(multaque.Stages))
	for _, s := range multaque.Stages {
		parts = append(parts, b.stageName(lang, s)+" "+strconv.Itoa(n[s]))
	}
	return b.view.t(lang, "plan_report_stages", "Stages", strings.Join(parts, " · ")), nil
}

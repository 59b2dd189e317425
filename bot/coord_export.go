package bot

// /export: demand.csv and teams.csv of the coordinator's area.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// runExport is /export [community]: demand.csv and teams.csv.
func (b *reports) runExport(ctx context.Context, a *adminCall) error {
	ar, stats, teams, mentors, ok, err := b.areaFigures(ctx, a)
	if !ok || err != nil {
		return err
	}
	demandCSV, err := b.demandCSV(a.lang, stats, teams)
	if err != nil {
		return err
	}
	tallies, err := b.store.DecisionTallies(ctx)
	if err != nil {
		return err
	}
	plans, err := b.plans.plansOf(ctx, teams) // plan_reports.go
	if err != nil {
		return err
	}
	teamsCSV, err := b.teamsCSV(a.lang, teams, mentors, tallies, plans)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "area "+ar.id); err != nil {
		return err
	}
	to := a.c.Recipient()
	for _, doc := range []struct {
		name, caption string
		data          []byte
	}{
		{"demand.csv", b.view.t(a.lang, "report_export_demand", "Area", esc(ar.name)), demandCSV},
		{"teams.csv", b.view.t(a.lang, "report_export_teams", "Area", esc(ar.name)), teamsCSV},
	} {
		_, err := b.wire.Answer(ctx, tg.Outgoing{Chat: to, Text: doc.caption, ParseMode: tg.ModeHTML, File: &tg.File{Name: doc.name, MIME: "text/csv", Data: doc.data}})
		if err != nil {
			return err
		}
	}
	return nil
}

// demandCSV is demand.csv: one row per community and project that someone
// waits for or has a team for, by community id, then projects in the
// catalogue's order; its counts are published cells (coord_counts.go).
func (b *reports) demandCSV(lang multaque.Lang, stats []multaque.CommunityStats, teams []*multaque.Team) ([]byte, error) {
	rows := [][]string{demandHeader}
	d := countArea(stats, teams)
	for i := 0; i < len(d.demand); {
		j := i
		byProject := map[string]demandCell{}
		for ; j < len(d.demand) && d.demand[j].community == d.demand[i].community; j++ {
			byProject[d.demand[j].project] = d.demand[j]
		}
		for _, p := range reportProjectOrder(b, byProject) {
			r := byProject[p]
			need := ""
			if n := b.reportNeed(p); n > 0 {
				need = strconv.Itoa(n)
			}
			rows = append(rows, []string{r.community, csvCell(b.nameOfCommunity(lang, r.community)), p, csvCell(b.nameOfProject(lang, p)),
				r.waiting.String(), r.inTeams.String(), need})
		}
		i = j
	}
	return writeCSV(rows)
}

// teamsCSV is teams.csv: one row per team, oldest first, with how many
// decisions it took and when the last closed (never what they were), and
// the columns of its plan, if it has one (plan_reports.go).
func (b *reports) teamsCSV(lang multaque.Lang, teams []*multaque.Team, mentors []multaque.Mentor, tallies map[string]multaque.DecisionTally, plans map[string]*multaque.Plan) ([]byte, error) {
	names := make(map[int64]string, len(mentors))
	for _, m := range mentors {
		names[m.ID] = m.Name
	}
	now := b.now()
	rows := [][]string{teamsHeader}
	for _, t := range teams {
		mentor := ""
		if t.Mentor != 0 {
			mentor = names[t.Mentor]
			if mentor == "" {
				mentor = "?" // a mentor with no name on record
			}
		}
		age := max(0, int(now.Sub(t.CreatedAt)/(24*time.Hour)))
		rows = append(rows, []string{t.ID, t.Community, csvCell(b.nameOfCommunity(lang, t.Community)), t.Project, csvCell(b.nameOfProject(lang, t.Project)),
			published(len(t.Members)).String(), string(t.Status), csvCell(mentor), t.CreatedAt.UTC().Format(time.DateOnly), strconv.Itoa(age),
			strconv.Itoa(tallies[t.ID].Closed), lastDecision(tallies[t.ID])})
		rows[len(rows)-1] = append(rows[len(rows)-1], planCells(plans[t.ID])...)
	}
	return writeCSV(rows)
}

// lastDecision is when a team's last decision closed, "" if none did.
func lastDecision(t multaque.DecisionTally) string {
	if t.Last.IsZero() {
		return ""
	}
	return t.Last.UTC().Format(time.DateOnly)
}

// csvCell keeps a text from being read as a formula by a spreadsheet (a
// mentor's name comes from Telegram and could start with "="): such a
// text gets a leading apostrophe, which spreadsheets do not show.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return buf.Bytes(), nil
}

package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// The plans' screens, rendered in each language and compared with
// testdata/plan_*.golden; go test ./bot -run TestPlanGolden -update
// rewrites them. Read what you write, in all three languages.

// goldenView is a message as the golden files show it: the text, then the
// buttons, a row a line.
func goldenView(text string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(text)
	if len(rows) > 0 {
		b.WriteString("\n----")
	}
	for _, row := range rows {
		b.WriteString("\n[" + strings.Join(row, "] [") + "]")
	}
	return b.String() + "\n"
}

func TestPlanGolden(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	b := newPlans(&core{view: &renderer{cat: cat, texts: texts}}, nil)
	t0 := time.Date(2026, 3, 2, 18, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	team := &multaque.Team{ID: "t7", Community: "gracia", Project: "consumer-group", Chat: -100123, Mentor: 900,
		Members: []multaque.TeamMember{{Citizen: 1}, {Citizen: 2}, {Citizen: 3}}}
	project, _ := cat.Project("consumer-group")
	p := multaque.NewPlan(team.ID, team.Chat, len(project.Playbook), t0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	formed := *p
	formed.Steps = append([]multaque.Step(nil), p.Steps...)
	_, err = p.Mark(1, 1, t0.Add(day))
	must(err)
	_, err = p.Mark(2, 9, t0.Add(2*day)) // someone forgotten since
	must(err)
	_, err = p.Add("Obrir un compte a la cooperativa <de crèdit>", t0.Add(3*day))
	must(err)
	must(p.Assign(3, 2, t0.Add(10*day), t0.Add(3*day)))
	_, err = p.CheckIn(900, multaque.Yellow, "", 1, t0.Add(14*day))
	must(err)
	var paused multaque.Plan
	data, _ := json.Marshal(p)
	must(json.Unmarshal(data, &paused))
	must(paused.Decide(multaque.StagePaused, 900, "Vacances d'estiu", t0.Add(20*day)))
	var resumed multaque.Plan
	data, _ = json.Marshal(&paused)
	must(json.Unmarshal(data, &resumed))
	must(resumed.Decide(multaque.StageStarted, 900, "", t0.Add(30*day)))
	names := map[int64]string{1: "Núria", 2: "Jordi <J>"}

	for _, lang := range multaque.Languages {
		in := &planInfo{team: team, project: project, lang: lang, names: names}
		for name, plan := range map[string]*multaque.Plan{"formed": &formed, "started": p, "paused": &paused} {
			v := b.planView(in, plan)
			var rows [][]string
			for _, row := range v.Markup {
				var r []string
				for _, bt := range row {
					r = append(r, bt.Text+" → "+bt.Data)
				}
				rows = append(rows, r)
			}
			golden(t, fmt.Sprintf("plan_message_%s.%s", name, lang), goldenView(v.Text, rows))
		}

		var nudges strings.Builder
		now := t0.Add(30 * day)
		langs := map[int64]multaque.Lang{900: lang, 2: lang, 50: lang}
		for _, n := range []multaque.Nudge{
			{Kind: multaque.NudgeGroup, Key: "k1"}, {Kind: multaque.NudgeMentor, Key: "k2"}, {Kind: multaque.NudgeCoordinators, Key: "k3"},
			{Kind: multaque.NudgeCheckIn, Period: 2, Key: "k4"}, {Kind: multaque.NudgeOwnerEve, Step: 3, To: 2, Key: "k5"}, {Kind: multaque.NudgeOwnerDay, Step: 3, To: 2, Key: "k6"},
		} {
			for _, it := range b.nudgeItems(in, p, n, []int64{50}, langs, now) {
				var rows [][]string
				for _, row := range it.Keyboard {
					var r []string
					for _, bt := range row {
						r = append(r, bt.Text+" → "+bt.Data)
					}
					rows = append(rows, r)
				}
				fmt.Fprintf(&nudges, "== %s to %d (%s, key %s)\n%s\n", n.Kind, it.Chat, it.Kind, it.DedupKey, goldenView(it.Text, rows))
			}
		}
		golden(t, "plan_nudges."+string(lang), nudges.String())

		var stages strings.Builder
		for _, plan := range []*multaque.Plan{p, &paused, &resumed} {
			it := b.stageItem(team, plan, lang)
			fmt.Fprintf(&stages, "== %s (key %s)\n%s\n", plan.Stage(), it.DedupKey, it.Text)
		}
		for _, c := range []multaque.Colour{multaque.Yellow, multaque.Red} {
			fmt.Fprintf(&stages, "== check-in alert %s\n%s\n", c, b.checkInAlert(team, p, c, lang))
		}
		golden(t, "plan_announcements."+string(lang), stages.String())

		rows := []teamRow{
			{team: team, plan: p, quiet: 16, stalled: true},
			{team: &multaque.Team{ID: "t8", Community: "sants", Project: "time-bank"}, plan: &formed, quiet: 2},
			{team: &multaque.Team{ID: "t9", Community: "sants", Project: "time-bank"}},
		}
		var coord strings.Builder
		coord.WriteString("== /teams\n")
		for _, r := range rows {
			mentor := b.view.t(lang, "plan_no_mentor")
			if r.team.Mentor != 0 {
				mentor = "Marta"
			}
			coord.WriteString(b.teamLine(lang, r, mentor) + "\n")
		}
		coord.WriteString("== /team t7\n" + b.teamReport(team, &paused, lang) + "\n")
		coord.WriteString("== /plan usage\n" + b.view.t(lang, "plan_usage") + "\n")
		golden(t, "plan_coordinators."+string(lang), coord.String())
	}
}

// The plan message never names someone it has no name for, and never
// shows HTML a member typed as markup.
func TestPlanMessageEscapes(t *testing.T) {
	cat, _ := catalog.Default()
	texts, _ := catalog.LoadMessages()
	b := newPlans(&core{view: &renderer{cat: cat, texts: texts}}, nil)
	team := &multaque.Team{ID: "t1", Community: "gracia", Project: "consumer-group"}
	p := multaque.NewPlan("t1", -1, 1, time.Now())
	_, _ = p.Add("<b>bold</b> & co", time.Now())
	_, _ = p.Mark(2, 77, time.Now())
	project, _ := cat.Project("consumer-group")
	v := b.planView(&planInfo{team: team, project: project, lang: multaque.English, names: map[int64]string{}}, p)
	if strings.Contains(v.Text, "<b>bold</b>") || !strings.Contains(v.Text, "&lt;b&gt;bold&lt;/b&gt; &amp; co") {
		t.Errorf("a typed step is not escaped:\n%s", v.Text)
	}
	if !strings.Contains(v.Text, b.view.t(multaque.English, "plan_someone")) {
		t.Errorf("a step marked by someone unnamed does not say someone:\n%s", v.Text)
	}
}

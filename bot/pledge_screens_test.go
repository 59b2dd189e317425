package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// The pledges room's screens in each language: the pledge screen while the
// goal is open (with a pledge matched and one a spent fund did not match),
// the group's progress once met, the payment message, the reminder, the
// lapsed pledge, the treasurer's list and /funds' line.
func TestPledgeScreens(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	b := &pledges{core: &core{view: &renderer{cat: cat, texts: texts, botName: "multaque_bot"}, now: func() time.Time { return now }}}
	team := &multaque.Team{ID: "t7", Community: "gracia", Project: "consumer-group"}
	goal := multaque.Goal{Team: "t7", Min: 50000, Optimum: 80000, Hours: 20, Deadline: now.Add(9*24*time.Hour + time.Hour),
		Purpose: "Nevera i balança per al local <de recollida>", PayInstructions: "IBAN ES00 0000 & Bizum 600000000", Status: multaque.GoalOpen}
	pledges := []multaque.Pledge{
		{Team: "t7", No: 1, Person: 11, Named: true, Name: "Anna", Amount: 2000, Match: 2000, Fund: "city", Status: multaque.PledgeOpen},
		{Team: "t7", No: 2, Person: 12, Amount: 500, Hours: 3, Status: multaque.PledgeOpen, Supporter: true},
	}
	state := &multaque.GoalState{Goal: goal, Pledges: pledges, Progress: multaque.Progress(pledges, 5000)}
	fund := multaque.Fund{ID: "city", Name: "Fons de barri", Funder: "Ajuntament", Budget: 500000, Ends: now.Add(300 * 24 * time.Hour)}
	fund.Reserve(7000)
	fund.Pay(2000)
	fund.Release(1000)
	for _, lang := range multaque.Languages {
		var out []string
		add := func(title string, v view) {
			out = append(out, "## "+title, v.Text)
			for _, row := range v.Markup {
				var bs []string
				for _, bt := range row {
					bs = append(bs, "["+bt.Text+"]")
				}
				out = append(out, strings.Join(bs, " "))
			}
			out = append(out, "")
		}
		add("pledge screen, Anna's pledge matched", b.goalScreen(lang, team, state, 11, "pledge_saved"))
		add("pledge screen, a supporter's pledge not matched", b.goalScreen(lang, team, state, 12, "pledge_fund_spent"))
		met := *state
		met.Goal.Status = multaque.GoalMet
		met.Pledges = []multaque.Pledge{pledges[0], pledges[1]}
		met.Pledges[0].Status, met.Pledges[1].Status = multaque.PledgePaid, multaque.PledgeDue
		met.Progress = multaque.Progress(met.Pledges, 5000)
		add("group, goal met", view{Text: strings.Join(b.goalLines(lang, team, &met), "\n")})
		title := b.view.t(lang, "pledge_goal_title", "Project", esc(b.nameOfProject(lang, team.Project)), "Community", esc(b.nameOfCommunity(lang, team.Community)))
		add("payment message", view{Text: b.payText(lang, title, team, &met, &met.Pledges[1], "deadline_met_pay")})
		add("reminder", view{Text: b.payText(lang, title, team, &met, &met.Pledges[1], "deadline_reminder")})
		add("lapsed", view{Text: title + "\n" + b.view.t(lang, "deadline_missed_pledger", "Amount", "5.00")})
		add("funds line", view{Text: b.view.t(lang, "funds_line", "ID", fund.ID, "Name", esc(fund.Name), "Funder", esc(fund.Funder),
			"Budget", fund.Budget.String(), "Committed", fund.Committed.String(), "Released", fund.Released.String(),
			"Paid", fund.Paid.String(), "Left", fund.Left().String(), "Ends", fund.Ends.Format("2006-01-02"))})
		text := strings.Join(out, "\n")
		if strings.Contains(text, "<de recollida>") || strings.Contains(text, "& Bizum") {
			t.Errorf("%s: people's text is not escaped for HTML", lang)
		}
		if regexp.MustCompile(`\[[a-z_]+\]|<no value>`).MatchString(text) {
			t.Errorf("%s: a message is missing or lacks a value:\n%s", lang, text)
		}
		golden(t, "pledge_screens_"+string(lang), text)
	}
}

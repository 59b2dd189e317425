package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"image/png"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// The documented columns of /export's documents (docs/COORDINATORS.md).
var (
	demandColumns = []string{"community_id", "community_name", "project_id", "project_name", "waiting", "in_teams", "critical_mass"}
	teamsColumns  = []string{"team_id", "community_id", "community_name", "project_id", "project_name", "size", "status", "mentor", "formed", "age_days", "decisions", "last_decision",
		"stage", "steps_done", "steps_total", "last_activity", "last_check_in"} // the plan's columns: plan_reports.go
)

// seedReports stores the people the reports count (see the table below),
// two teams and a mentor, and returns the teams' ids.
//
//	gracia          consumer-group  7 waiting, 3 in team t1 (mentor "=Marta Puig")
//	gracia          time-bank       2 waiting
//	vila-de-gracia  consumer-group  1 waiting        (inside gracia)
//	eixample        car-sharing     5 waiting, 2 in team t2 (no mentor)
//	sants           energy-coop     4 waiting
//	(none yet)                      1 person still choosing a community
func seedReports(t *testing.T, h *harness) (gracia, eixample string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	id := int64(1000)
	var cs []*multaque.Citizen
	add := func(n int, community, project string) []int64 {
		var ids []int64
		for range n {
			id++
			c := &multaque.Citizen{ID: id, Lang: multaque.Catalan, Name: fmt.Sprintf("Veí %d", id), Community: community,
				ConsentAt: now, UpdatedAt: now, Survey: multaque.Survey{Step: multaque.StepDone, Version: 5}}
			if project != "" {
				c.Interests = []multaque.Interest{{Project: project, Since: now.Add(time.Duration(id) * time.Second)}}
			}
			cs = append(cs, c)
			ids = append(ids, id)
		}
		return ids
	}
	add(7, "gracia", "consumer-group")
	t1 := add(3, "gracia", "consumer-group")
	add(2, "gracia", "time-bank")
	add(1, "vila-de-gracia", "consumer-group")
	add(5, "eixample", "car-sharing")
	t2 := add(2, "eixample", "car-sharing")
	add(4, "sants", "energy-coop")
	add(1, "", "")
	cs[len(cs)-1].Survey.Step = multaque.StepCommunity
	if err := h.db.ImportCitizens(ctx, cs); err != nil {
		t.Fatalf("ImportCitizens: %v", err)
	}
	form := func(community, project string, ids []int64) string {
		team := multaque.Team{Community: community, Project: project}
		for _, id := range ids {
			team.Members = append(team.Members, multaque.TeamMember{Citizen: id})
		}
		formed, err := h.db.FormTeam(ctx, team, now, nil)
		if err != nil {
			t.Fatalf("FormTeam: %v", err)
		}
		return formed.ID
	}
	gracia, eixample = form("gracia", "consumer-group", t1), form("eixample", "car-sharing", t2)
	mentor := multaque.Mentor{ID: 900, Name: "=Marta Puig", Projects: []string{"consumer-group"}, Communities: []string{"barcelona"},
		Capacity: 3, Lang: multaque.Catalan, JoinedAt: now}
	if err := h.db.SaveMentor(ctx, mentor); err != nil {
		t.Fatalf("SaveMentor: %v", err)
	}
	if _, err := h.db.AssignMentor(ctx, gracia, mentor.ID, now, nil); err != nil {
		t.Fatalf("AssignMentor: %v", err)
	}
	return gracia, eixample
}

// visible is a report text as the person reads it: values escaped as the
// bot does, then tags removed and entities read.
func (h *harness) visible(lang multaque.Lang, id string, kv ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if s, ok := v.(string); ok {
			v = html.EscapeString(s)
		}
		data[kv[i].(string)] = v
	}
	return html.UnescapeString(tags.ReplaceAllString(h.texts.Text(lang, id, data), ""))
}

// run has u send text and returns the bot's n messages in answer.
func run(t *testing.T, u *telegramtest.User, text string, n int) []telegramtest.Message {
	t.Helper()
	u.Send(text)
	return u.WaitBotMessages(t, n)
}

func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, l) {
			t.Errorf("message lacks %q; it reads:\n%s", l, text)
		}
	}
}

func wantNot(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("message shows %q, which it must not; it reads:\n%s", p, text)
		}
	}
}

func TestStatsForCoordinatorOfEverything(t *testing.T) {
	h, coord := newMentorHarness(t) // Carme, Catalan, oversees everything
	seedReports(t, h)
	ca := multaque.Catalan
	name := func(id string) string { return h.project(ca, id) }

	text := run(t, coord, "/stats", 1)[0].Text
	wantLines(t, text,
		h.visible(ca, "report_stats_title", "Area", h.text(ca, "report_everywhere")),
		h.visible(ca, "report_people", "People", "24–25"),
		h.visible(ca, "report_unplaced", "People", "<3"),
		h.visible(ca, "report_interest_line", "Project", name("consumer-group"), "Interested", "11–12", "Waiting", "8–9", "InTeams", "3"),
		h.visible(ca, "report_interest_line", "Project", name("time-bank"), "Interested", "<3", "Waiting", "<3", "InTeams", "0"),
		h.visible(ca, "report_interest_line", "Project", name("car-sharing"), "Interested", "7", "Waiting", "5", "InTeams", "<3"),
		h.visible(ca, "report_interest_line", "Project", name("energy-coop"), "Interested", "4", "Waiting", "4", "InTeams", "0"),
		h.visible(ca, "report_teams", "Forming", 2, "Active", 0),
		h.visible(ca, "report_mentors", "Mentors", "<3", "Paused", "0", "Load", 1, "Capacity", 3),
		h.visible(ca, "report_pool", "Free", 0),
	)
	// The queues closest to critical mass come first; those of one or two
	// people show as "<3", after the others, whatever their exact count.
	bucket := func(community, project, waiting string) string {
		return h.visible(ca, "report_bucket_line", "Community", h.community(ca, community), "Project", name(project),
			"Waiting", waiting, "Need", h.criticalMass(project))
	}
	order := []string{
		bucket("gracia", "consumer-group", "7"), // 7 of 8
		bucket("sants", "energy-coop", "4"),     // 4 of 6
		bucket("eixample", "car-sharing", "5"),  // 5 of 15
	}
	last := -1
	for _, line := range order {
		at := strings.Index(text, line)
		if at < 0 || at < last {
			t.Fatalf("queue line %q missing or out of order in:\n%s", line, text)
		}
		last = at
	}
	wantLines(t, text, bucket("gracia", "time-bank", "<3"), bucket("vila-de-gracia", "consumer-group", "<3"))
	if strings.Index(text, bucket("gracia", "time-bank", "<3")) < last {
		t.Errorf("a queue of <3 comes before larger ones:\n%s", text)
	}
	noSmallCounts(t, text)
	wantNot(t, text, "Veí", "Marta")
	if !h.audited(t, coord.ID, "stats", false, "all") {
		t.Errorf("/stats is not in the audit log")
	}

	// One community, and everything inside it.
	text = run(t, coord, "/stats gracia", 1)[0].Text
	wantLines(t, text,
		h.visible(ca, "report_stats_title", "Area", h.community(ca, "gracia")),
		h.visible(ca, "report_people", "People", "13–14"),
		h.visible(ca, "report_interest_line", "Project", name("consumer-group"), "Interested", "11–12", "Waiting", "8–9", "InTeams", "3"),
		h.visible(ca, "report_teams", "Forming", 1, "Active", 0),
	)
	wantNot(t, text, name("car-sharing"), name("energy-coop"), h.community(ca, "eixample"), h.visible(ca, "report_unplaced", "People", "<3"))
	noSmallCounts(t, text)
}

// noSmallCounts fails if a line of people counts in a report shows 1 or 2.
func noSmallCounts(t *testing.T, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "•") && !strings.Contains(line, "👥") {
			continue // teams, mentors' load, pool and outbox count no people
		}
		if smallCount.MatchString(line) {
			t.Errorf("line %q shows a count of 1 or 2 people", line)
		}
	}
}

var smallCount = regexp.MustCompile(`(^|[^0-9<])[12]([^0-9]|$)`)

func (h *harness) criticalMass(project string) int {
	p, ok := h.cat.Project(project)
	if !ok {
		h.t.Fatalf("no project %q", project)
	}
	return p.MinTeam
}

func TestStatsArguments(t *testing.T) {
	h, coord := newMentorHarness(t)
	seedReports(t, h)
	ca := multaque.Catalan
	title := func(community string) string {
		return h.visible(ca, "report_stats_title", "Area", h.community(ca, community))
	}

	// By name, any case, with or without accents.
	for _, arg := range []string{"Gràcia", "GRÀCIA", "  gràcia  ", "Vila de Gràcia"} {
		want := title("gracia")
		if strings.Contains(arg, "Vila") {
			want = title("vila-de-gracia")
		}
		coord.Send("/stats " + arg)
		coord.Expect(t, want)
	}
	// An ambiguous name offers the communities it could mean, each with
	// its command.
	msg := run(t, coord, "/stats sant", 1)[0]
	wantLines(t, msg.Text, h.text(ca, "report_choose_community"), "/stats sant-cugat", "/stats sant-andreu")
	// Unknown and malformed arguments get the usage line.
	usage := h.visible(ca, "report_usage", "Command", "stats")
	for _, arg := range []string{"atlantis", strings.Repeat("a", 101), "gr\x00cia", "x\u200by"} {
		msg := run(t, coord, "/stats "+arg, 1)[0]
		wantLines(t, msg.Text, usage)
		if strings.Contains(msg.Text, h.visible(ca, "report_people", "People", "0")) {
			t.Errorf("/stats %q showed figures", arg)
		}
	}
	coord.Send("/export atlantis")
	coord.Expect(t, h.text(ca, "report_unknown_community"))
	coord.Expect(t, h.visible(ca, "report_usage", "Command", "export"))
	coord.Send("/chart " + strings.Repeat("x", 200))
	coord.Expect(t, h.visible(ca, "report_usage", "Command", "chart"))
}

func TestReportsRefusedToCitizens(t *testing.T) {
	h, _ := newMentorHarness(t)
	seedReports(t, h)
	u := h.srv.NewUser("Pol", "en")
	h.survey(u, multaque.English, "Pol")
	u.Expect(t, h.text(multaque.English, "summary_share")[:20])
	for _, cmd := range []string{"/stats", "/chart", "/export", "/stats gracia", "/export eixample"} {
		msgs := run(t, u, cmd, 1)
		if got, want := msgs[0].Text, h.text(multaque.English, "admin_refused"); got != want {
			t.Errorf("%s by a citizen: %q, want %q", cmd, got, want)
		}
		if msgs[0].Photo != nil || msgs[0].Document != nil {
			t.Errorf("%s by a citizen sent a file", cmd)
		}
		name := strings.Fields(strings.TrimPrefix(cmd, "/"))[0]
		if !h.audited(t, u.ID, name, true, "") {
			t.Errorf("%s by a citizen is not audited as refused", cmd)
		}
	}
	// Someone who never started the survey is refused alike.
	stranger := h.srv.NewUser("Nil", "ca")
	msgs := run(t, stranger, "/stats", 1)
	if msgs[0].Text != h.text(multaque.Catalan, "admin_refused") {
		t.Errorf("/stats by a stranger: %q", msgs[0].Text)
	}
}

func TestReportsWithinScope(t *testing.T) {
	h, _ := newMentorHarness(t)
	gracia, _ := seedReports(t, h)
	es := multaque.Spanish
	lucia := h.scopedCoordinator(t, "Lucía", "gracia")

	// Without an argument: only Gràcia and what lies in it.
	text := run(t, lucia, "/stats", 1)[0].Text
	wantLines(t, text,
		h.visible(es, "report_stats_title", "Area", h.community(es, "gracia")),
		h.visible(es, "report_people", "People", "13–14"),
		h.visible(es, "report_interest_line", "Project", h.project(es, "consumer-group"), "Interested", "11–12", "Waiting", "8–9", "InTeams", "3"),
		h.visible(es, "report_interest_line", "Project", h.project(es, "time-bank"), "Interested", "<3", "Waiting", "<3", "InTeams", "0"),
		h.visible(es, "report_teams", "Forming", 1, "Active", 0),
		h.visible(es, "report_mentors", "Mentors", "<3", "Paused", "0", "Load", 1, "Capacity", 3),
	)
	wantNot(t, text, h.project(es, "car-sharing"), h.project(es, "energy-coop"), h.community(es, "eixample"), h.community(es, "sants"))

	// Inside the scope: allowed.
	text = run(t, lucia, "/stats vila-de-gracia", 1)[0].Text
	wantLines(t, text, h.visible(es, "report_people", "People", "<3"))

	// Outside it: refused, audited, for every report.
	for _, cmd := range []string{"/stats sants", "/stats eixample", "/chart sants", "/export eixample", "/stats barcelona", "/stats Sants"} {
		msgs := run(t, lucia, cmd, 1)
		if got, want := msgs[0].Text, h.text(es, "admin_out_of_scope"); got != want {
			t.Errorf("%s out of scope: %q, want %q", cmd, got, want)
		}
		if msgs[0].Photo != nil || msgs[0].Document != nil {
			t.Errorf("%s out of scope sent a file", cmd)
		}
	}
	if !h.audited(t, lucia.ID, "export", true, "eixample") || !h.audited(t, lucia.ID, "chart", true, "sants") {
		t.Errorf("refusals out of scope are not audited")
	}

	// /export: only the scope's rows.
	demand, teams := exportCSV(t, h, lucia, "/export")
	for _, row := range demand[1:] {
		if row[0] != "gracia" && row[0] != "vila-de-gracia" {
			t.Errorf("demand.csv of a coordinator of Gràcia has a row of %s", row[0])
		}
	}
	if len(demand) != 4 { // header, gracia × 2 projects, vila-de-gracia
		t.Errorf("demand.csv has %d rows, want 4:\n%v", len(demand), demand)
	}
	if len(teams) != 2 || teams[1][0] != gracia {
		t.Errorf("teams.csv of a coordinator of Gràcia = %v, want only team %s", teams, gracia)
	}

	// /chart: the scope's chart.
	msgs := run(t, lucia, "/chart", 1)
	if msgs[0].Photo == nil {
		t.Fatalf("/chart sent no photo: %+v", msgs[0])
	}
	stages := h.visible(es, "plan_report_stages", "Stages", "formado 1 · en marcha 0 · lanzado 0 · en pausa 0 · disuelto 0") // plan_reports.go
	if want := h.visible(es, "report_chart_caption", "Area", h.community(es, "gracia")) + "\n" + stages; msgs[0].Caption != want {
		t.Errorf("chart caption %q, want %q", msgs[0].Caption, want)
	}
	decodePNG(t, msgs[0].Photo.Data)
}

// exportCSV has u run cmd and returns demand.csv and teams.csv, parsed,
// checking their names and headers.
func exportCSV(t *testing.T, h *harness, u *telegramtest.User, cmd string) (demand, teams [][]string) {
	t.Helper()
	msgs := run(t, u, cmd, 2)
	for i, want := range []struct {
		name   string
		header []string
		out    *[][]string
	}{{"demand.csv", demandColumns, &demand}, {"teams.csv", teamsColumns, &teams}} {
		doc := msgs[i].Document
		if doc == nil || doc.Name != want.name || doc.MIME != "text/csv" {
			t.Fatalf("%s: message %d is %+v, want the document %s (text/csv)", cmd, i, msgs[i], want.name)
		}
		rows, err := csv.NewReader(bytes.NewReader(doc.Data)).ReadAll()
		if err != nil {
			t.Fatalf("%s does not parse as CSV: %v\n%s", want.name, err, doc.Data)
		}
		if len(rows) == 0 || !slices.Equal(rows[0], want.header) {
			t.Fatalf("%s header = %v, want %v", want.name, rows[0], want.header)
		}
		*want.out = rows
	}
	return demand, teams
}

func decodePNG(t *testing.T, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dx() > 2000 || b.Dy() < 150 || b.Dy() > 2000 || b.Dy() > 20*b.Dx() || b.Dx() > 20*b.Dy() {
		t.Fatalf("chart is %dx%d pixels, want a sane photo", b.Dx(), b.Dy())
	}
}

func TestExportForCoordinatorOfEverything(t *testing.T) {
	h, coord := newMentorHarness(t)
	gracia, eixample := seedReports(t, h)
	ca := multaque.Catalan
	demand, teams := exportCSV(t, h, coord, "/export")
	row := func(community, project, waiting, inTeams string) []string {
		return []string{community, h.community(ca, community), project, h.project(ca, project), waiting, inTeams, fmt.Sprint(h.criticalMass(project))}
	}
	want := [][]string{
		demandColumns,
		row("eixample", "car-sharing", "5", "<3"),
		row("gracia", "consumer-group", "7", "3"),
		row("gracia", "time-bank", "<3", "0"),
		row("sants", "energy-coop", "4", "0"),
		row("vila-de-gracia", "consumer-group", "<3", "0"),
	}
	if !slices.EqualFunc(demand, want, slices.Equal) {
		t.Errorf("demand.csv =\n%v\nwant\n%v", demand, want)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	wantTeams := [][]string{
		teamsColumns,
		{gracia, "gracia", h.community(ca, "gracia"), "consumer-group", h.project(ca, "consumer-group"), "3", "forming", "'=Marta Puig", today, "0", "0", "", "", "", "", "", ""},
		{eixample, "eixample", h.community(ca, "eixample"), "car-sharing", h.project(ca, "car-sharing"), "<3", "forming", "", today, "0", "0", "", "", "", "", "", ""},
	}
	if !slices.EqualFunc(teams, wantTeams, slices.Equal) {
		t.Errorf("teams.csv =\n%v\nwant\n%v", teams, wantTeams)
	}
	for _, rows := range [][][]string{demand, teams} {
		for _, r := range rows {
			for _, cell := range r {
				if strings.Contains(cell, "Veí") || strings.HasPrefix(cell, "10") && len(cell) == 4 {
					t.Errorf("an export holds a citizen's name or id: %q", cell)
				}
			}
		}
	}
	if !h.audited(t, coord.ID, "export", false, "all") {
		t.Errorf("/export is not in the audit log")
	}

	// The documentation lists exactly these columns.
	doc, err := os.ReadFile("../docs/COORDINATORS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cols := range [][]string{demandColumns, teamsColumns} {
		if line := strings.Join(cols, ","); !strings.Contains(string(doc), line) {
			t.Errorf("docs/COORDINATORS.md does not give the header %s", line)
		}
	}
}

func TestChartHidesOneOrTwo(t *testing.T) {
	h, coord := newMentorHarness(t)
	seedReports(t, h)
	ca := multaque.Catalan

	msgs := run(t, coord, "/chart", 1)
	if msgs[0].Photo == nil {
		t.Fatalf("/chart sent no photo: %+v", msgs[0])
	}
	decodePNG(t, msgs[0].Photo.Data)
	stages := h.visible(ca, "plan_report_stages", "Stages", "format 2 · en marxa 0 · llançat 0 · en pausa 0 · dissolt 0") // plan_reports.go
	if want := h.visible(ca, "report_chart_caption", "Area", h.text(ca, "report_everywhere")) + "\n" + stages; msgs[0].Caption != want {
		t.Errorf("chart caption %q, want %q", msgs[0].Caption, want)
	}
	if !h.audited(t, coord.ID, "chart", false, "all") {
		t.Errorf("/chart is not in the audit log")
	}

	// Vila de Gràcia has one person waiting for the consumer group. With
	// two the chart is the very same picture; with three it is not.
	chart := func() []byte {
		t.Helper()
		m := run(t, coord, "/chart vila-de-gracia", 1)[0]
		if m.Photo == nil {
			t.Fatalf("/chart vila-de-gracia sent no photo: %+v", m)
		}
		return m.Photo.Data
	}
	one := chart()
	h.waitingCitizen(t, 5001, "vila-de-gracia")
	two := chart()
	h.waitingCitizen(t, 5002, "vila-de-gracia")
	three := chart()
	if !bytes.Equal(one, two) {
		t.Errorf("the charts of 1 and of 2 people differ: the picture tells them apart")
	}
	if bytes.Equal(two, three) {
		t.Errorf("the charts of 2 and of 3 people are the same")
	}

	// Where nobody wants anything, there is nothing to draw.
	coord.Send("/chart sant-andreu")
	coord.Expect(t, h.text(ca, "report_chart_empty"))
}

// TestChartsAtOnce has two coordinators ask for charts at the same time:
// charts are drawn on the bot's workers side by side (run with -race).
func TestChartsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("draws four charts at once: seconds under -race")
	}
	h, carme := newMentorHarness(t)
	seedReports(t, h)
	lucia := h.scopedCoordinator(t, "Lucía", "gracia")
	users := []*telegramtest.User{carme, lucia}
	for range 2 {
		for _, u := range users {
			u.Send("/chart")
		}
	}
	charts := func(u *telegramtest.User) (out [][]byte) {
		for _, m := range u.Messages() {
			if m.FromBot && m.Photo != nil {
				out = append(out, m.Photo.Data)
			}
		}
		return out
	}
	// Drawing takes a while under the race detector on a busy machine.
	deadline := time.Now().Add(time.Minute)
	for len(charts(carme)) < 2 || len(charts(lucia)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("charts: Carme got %d, Lucía %d; want 2 each", len(charts(carme)), len(charts(lucia)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, u := range users {
		c := charts(u)
		decodePNG(t, c[0])
		if !bytes.Equal(c[0], c[1]) {
			t.Errorf("%s got two different charts of the same figures", u.FirstName)
		}
	}
}

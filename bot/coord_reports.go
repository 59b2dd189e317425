package bot

// The coordinators' reports: /stats (a message), /chart (a PNG bar chart,
// chart.go) and /export (CSV documents), each over everything the
// coordinator oversees or one community of it. Every count of people they
// show is a published cell or a sum of them (coord_counts.go): one or two
// people show as "<3", and no sum lets a "<3" be worked out. They name
// nobody but the teams' mentors, who agreed to be shown to coordinators.
// The figures are read in a few short read transactions before anything
// is sent.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// ReportStore is what the report commands need of the database (see AdminStore).
type ReportStore interface {
	// StatsByCommunity counts the citizens of each community within
	// accepts, and their interests.
	StatsByCommunity(ctx context.Context, within func(community string) bool) ([]multaque.CommunityStats, error)
	Teams(ctx context.Context) ([]*multaque.Team, error)
	Mentors(ctx context.Context) ([]multaque.Mentor, error)
	// MentorLoads counts the teams each mentor mentors that are not closed.
	MentorLoads(ctx context.Context) (map[int64]int, error)
	PoolCounts(ctx context.Context) (map[multaque.PoolStatus]int, error)
	OutboxLen(ctx context.Context) (int, error)
	// DecisionTallies: how many decisions each team took, and when the
	// last one closed (decisions.go), never what they were.
	DecisionTallies(ctx context.Context) (map[string]multaque.DecisionTally, error)
}

// How much the reports list before "and N more".
const (
	maxReportScopeNames = 3  // communities naming a coordinator's scope
	maxReportProjects   = 20 // lines of interests per project
	maxReportBuckets    = 8  // queues closest to critical mass
	maxReportChoices    = 8  // communities offered for an ambiguous name
	maxReportArg        = 100
	maxMessageLen       = 4096 // Telegram's limit for a text message
)

// demandHeader and teamsHeader are the columns of /export's documents, as
// docs/COORDINATORS.md describes them.
var (
	demandHeader = []string{"community_id", "community_name", "project_id", "project_name", "waiting", "in_teams", "critical_mass"}
	teamsHeader  = append([]string{"team_id", "community_id", "community_name", "project_id", "project_name", "size", "status", "mentor", "formed", "age_days", "decisions", "last_decision"}, planColumns...) // plan_reports.go
)

// reportArea is what a report covers: communities, each with every community
// inside it.
type reportArea struct {
	roots []string // nil: everything, citizens not placed yet included
	name  string   // how the report names it, in the coordinator's language (not escaped)
	id    string   // for the audit log: a community id, "scope" or "all"
}

// inArea reports whether community lies in ar.
func (b *reports) inArea(ar reportArea, community string) bool {
	if ar.roots == nil {
		return true
	}
	if community == "" {
		return false
	}
	return withinAny(ar.roots, community, b.ancestors(community))
}

func withinAny(roots []string, community string, ancestors []string) bool {
	for _, r := range roots {
		if r == community || slices.Contains(ancestors, r) {
			return true
		}
	}
	return false
}

// parseReportArg reads the argument of a report command: nothing (the
// coordinator's whole scope) or a community's id or name, its spaces
// collapsed. ok is false for an argument no community could be named by:
// too long, not UTF-8, or with control characters.
func parseReportArg(s string) (query string, ok bool) {
	if len(s) > maxReportArg || !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return "", false
		}
	}
	return strings.Join(strings.Fields(s), " "), true
}

// findCommunity looks a community up by id or name: its id when there is
// one clear answer, otherwise the candidates (none: nothing matches).
func (b *reports) findCommunity(query string, lang multaque.Lang) (id string, choices []multaque.Community) {
	if low := strings.ToLower(query); multaque.ValidID(low) {
		if _, ok := b.view.cat.Community(low); ok {
			return low, nil
		}
	}
	hits := b.view.cat.Search(query, lang, maxReportChoices)
	var exact []string
	for _, c := range hits {
		for _, l := range multaque.Languages {
			if strings.EqualFold(c.Name.In(l), query) {
				exact = append(exact, c.ID)
				break
			}
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(hits) == 1:
		return hits[0].ID, nil
	}
	return "", hits
}

// areaOf works out what a report covers from the command's argument.
// ok is false when the coordinator has been answered already: with the
// usage line, the communities to choose from, or a refusal.
func (b *reports) areaOf(ctx context.Context, a *adminCall) (ar reportArea, ok bool, err error) {
	to := a.c.Recipient()
	query, valid := parseReportArg(a.args)
	if !valid {
		return reportArea{}, false, b.send(ctx, to, view{Text: b.reportUsage(a)})
	}
	if query == "" {
		if len(a.coord.Communities) == 0 {
			return reportArea{name: b.view.t(a.lang, "report_everywhere"), id: "all"}, true, nil
		}
		return reportArea{roots: a.coord.Communities, name: b.areaNames(a.lang, a.coord.Communities), id: "scope"}, true, nil
	}
	id, choices := b.findCommunity(query, a.lang)
	switch {
	case id == "" && len(choices) == 0:
		return reportArea{}, false, b.send(ctx, to, view{Text: b.view.t(a.lang, "report_unknown_community") + "\n" + b.reportUsage(a)})
	case id == "":
		return reportArea{}, false, b.send(ctx, to, view{Text: b.choicesText(a, choices)})
	case !b.oversees(a.coord, id):
		return reportArea{}, false, b.refuseOutOfScope(ctx, a, id)
	}
	c, _ := b.view.cat.Community(id)
	return reportArea{roots: []string{id}, name: c.Name.In(a.lang), id: id}, true, nil
}

func (b *reports) reportUsage(a *adminCall) string {
	return b.view.t(a.lang, "report_usage", "Command", a.cmd)
}

// choicesText offers the communities a name could mean, each with the
// command that shows it.
func (b *reports) choicesText(a *adminCall, choices []multaque.Community) string {
	var s strings.Builder
	s.WriteString(b.view.t(a.lang, "report_choose_community"))
	for _, c := range choices {
		name := c.Name.In(a.lang)
		if p, ok := b.view.cat.Community(c.Parent); ok {
			name += " (" + p.Name.In(a.lang) + ")"
		}
		fmt.Fprintf(&s, "\n• %s: <code>/%s %s</code>", esc(name), a.cmd, c.ID)
	}
	return s.String()
}

// areaNames names communities, a few at most, in lang.
func (b *reports) areaNames(lang multaque.Lang, ids []string) string {
	var names []string
	for i, id := range ids {
		if i == maxReportScopeNames {
			names = append(names, b.view.t(lang, "report_and_more", "More", len(ids)-i))
			break
		}
		names = append(names, b.nameOfCommunity(lang, id))
	}
	return strings.Join(names, ", ")
}

// nameOfCommunity is a community's name in lang, not escaped (for charts
// and CSV); its id if the catalogue no longer has it.
func (b *core) nameOfCommunity(lang multaque.Lang, id string) string {
	if c, ok := b.view.cat.Community(id); ok {
		return c.Name.In(lang)
	}
	return id
}

// nameOfProject is a project's name in lang, not escaped (for charts and
// CSV); its id if the catalogue no longer has it.
func (b *core) nameOfProject(lang multaque.Lang, id string) string {
	if p, ok := b.view.cat.Project(id); ok {
		return p.Name.In(lang)
	}
	return id
}

// reportNeed is the project's critical mass as the catalogue has it now,
// 0 for a project it no longer has.
func (b *reports) reportNeed(project string) int {
	p, _ := b.view.cat.Project(project)
	return p.MinTeam
}

// areaStats reads the citizens' figures of ar.
func (b *reports) areaStats(ctx context.Context, ar reportArea) ([]multaque.CommunityStats, error) {
	return b.store.StatsByCommunity(ctx, func(c string) bool { return b.inArea(ar, c) })
}

// reportProjectOrder lists the projects of d in the catalogue's order, then any
// the catalogue no longer has, by id.
func reportProjectOrder[V any](b *reports, ids map[string]V) []string {
	var out []string
	for _, p := range b.view.cat.Projects() {
		if _, ok := ids[p.ID]; ok {
			out = append(out, p.ID)
		}
	}
	var gone []string
	for id := range ids {
		if _, ok := b.view.cat.Project(id); !ok {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	return append(out, gone...)
}

// reportQueue is the people of one community waiting for one project.
type reportQueue struct {
	queueCell
	need int
}

// closestQueues lists the queues with people waiting, those closest to
// their critical mass first. They are ordered by what a coordinator sees
// (one or two people count as none), so that the order tells no more than
// the "<3" does.
func (b *reports) closestQueues(lang multaque.Lang, counts areaCounts) []reportQueue {
	qs := make([]reportQueue, 0, len(counts.queues))
	for _, q := range counts.queues {
		qs = append(qs, reportQueue{queueCell: q, need: b.reportNeed(q.project)})
	}
	shown := func(q reportQueue) int { return q.waiting.shown() }
	slices.SortFunc(qs, func(x, y reportQueue) int {
		// x before y when shown(x)/need(x) > shown(y)/need(y); a project
		// the catalogue lost (need 0) comes last.
		xn, yn := max(x.need, 1), max(y.need, 1)
		if x.need == 0 {
			xn = 1 << 20
		}
		if y.need == 0 {
			yn = 1 << 20
		}
		return cmp.Or(
			cmp.Compare(shown(y)*xn, shown(x)*yn),
			cmp.Compare(shown(y), shown(x)),
			strings.Compare(b.nameOfCommunity(lang, x.community), b.nameOfCommunity(lang, y.community)),
			strings.Compare(b.nameOfProject(lang, x.project), b.nameOfProject(lang, y.project)),
		)
	})
	return qs
}

// areaFigures reads what /stats and /export report on the area the
// coordinator asked for: its demand, its teams and the mentors. ok is
// false when the coordinator has been answered already (a usage line, an
// unknown community, one outside their scope).
func (b *reports) areaFigures(ctx context.Context, a *adminCall) (ar reportArea, stats []multaque.CommunityStats, teams []*multaque.Team, mentors []multaque.Mentor, ok bool, err error) {
	if ar, ok, err = b.areaOf(ctx, a); !ok || err != nil {
		return ar, nil, nil, nil, false, err
	}
	if stats, err = b.areaStats(ctx, ar); err != nil {
		return ar, nil, nil, nil, false, err
	}
	if teams, err = b.teamsIn(ctx, ar); err != nil {
		return ar, nil, nil, nil, false, err
	}
	if mentors, err = b.store.Mentors(ctx); err != nil {
		return ar, nil, nil, nil, false, err
	}
	return ar, stats, teams, mentors, true, nil
}

// runStats is /stats [community]: the figures of the area as a message.
func (b *reports) runStats(ctx context.Context, a *adminCall) error {
	ar, stats, teams, mentors, ok, err := b.areaFigures(ctx, a)
	if !ok || err != nil {
		return err
	}
	loads, err := b.store.MentorLoads(ctx)
	if err != nil {
		return err
	}
	pool, err := b.store.PoolCounts(ctx)
	if err != nil {
		return err
	}
	outbox, err := b.store.OutboxLen(ctx)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "area "+ar.id); err != nil {
		return err
	}

	lang := a.lang
	t := b.view.t
	d := countArea(stats, teams)
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	add(t(lang, "report_stats_title", "Area", esc(ar.name)), "", t(lang, "report_people", "People", esc(d.placed.String())))
	if ar.roots == nil && d.unplaced.hi > 0 {
		add(t(lang, "report_unplaced", "People", esc(d.unplaced.String())))
	}

	add("", t(lang, "report_interests_head"))
	order := reportProjectOrder(b, d.projects)
	for i, p := range order {
		if i == maxReportProjects {
			add(t(lang, "report_and_more", "More", len(order)-i))
			break
		}
		ps := d.projects[p]
		add(t(lang, "report_interest_line", "Project", esc(b.nameOfProject(lang, p)), "Interested", esc(ps.interested.String()),
			"Waiting", esc(ps.waiting.String()), "InTeams", esc(ps.inTeams.String())))
	}
	if len(order) == 0 {
		add(t(lang, "report_none"))
	}

	add("", t(lang, "report_buckets_head"))
	qs := b.closestQueues(lang, d)
	for i, q := range qs {
		if i == maxReportBuckets {
			add(t(lang, "report_and_more", "More", len(qs)-i))
			break
		}
		add(t(lang, "report_bucket_line", "Community", esc(b.nameOfCommunity(lang, q.community)), "Project", esc(b.nameOfProject(lang, q.project)),
			"Waiting", esc(q.waiting.String()), "Need", q.need))
	}
	if len(qs) == 0 {
		add(t(lang, "report_none"))
	}

	var forming, active int
	for _, tm := range teams {
		switch tm.Status {
		case multaque.TeamForming:
			forming++
		case multaque.TeamActive:
			active++
		}
	}
	var nMentors, paused, load, capacity int
	for _, m := range mentors {
		if !b.mentorCovers(ar.roots, m) {
			continue
		}
		nMentors++
		if m.Paused {
			paused++
		}
		load += loads[m.ID]
		capacity += m.Capacity
	}
	stages, err := b.plans.stagesLine(ctx, lang, teams) // plan_reports.go
	if err != nil {
		return err
	}
	add("", t(lang, "report_teams", "Forming", forming, "Active", active), stages,
		t(lang, "report_mentors", "Mentors", esc(count(nMentors)), "Paused", esc(count(paused)), "Load", load, "Capacity", capacity),
		t(lang, "report_pool", "Free", pool[multaque.PoolFree]),
		t(lang, "report_outbox", "Outbox", outbox),
		"", t(lang, "report_small_counts"))
	money, err := b.pledgeStatsLines(ctx, ar, lang) // coord_funds.go
	if err != nil {
		return err
	}
	lines = append(lines[:len(lines)-2], append(money, lines[len(lines)-2:]...)...)
	return b.send(ctx, a.c.Recipient(), view{Text: fitLines(lines, maxMessageLen)})
}

// fitLines joins lines, leaving out the last ones (for "…") if the text
// would be longer than limit characters.
func fitLines(lines []string, limit int) string {
	text := strings.Join(lines, "\n")
	for utf8.RuneCountInString(text) > limit && len(lines) > 1 {
		lines = append(lines[:len(lines)-2], "…")
		text = strings.Join(lines, "\n")
	}
	return text
}

// teamsIn lists the teams of the area.
func (b *reports) teamsIn(ctx context.Context, ar reportArea) ([]*multaque.Team, error) {
	all, err := b.store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	var out []*multaque.Team
	for _, t := range all {
		if b.inArea(ar, t.Community) {
			out = append(out, t)
		}
	}
	return out, nil
}

// mentorCovers reports whether m may mentor teams somewhere in the area of
// roots (nil or empty: everywhere): they cover everywhere, a community in
// the area, or one that part of the area lies in. Reports and /mentors
// both show mentors by it.
func (b *reports) mentorCovers(roots []string, m multaque.Mentor) bool {
	if len(roots) == 0 || len(m.Communities) == 0 {
		return true
	}
	for _, c := range m.Communities {
		if withinAny(roots, c, b.ancestors(c)) {
			return true
		}
		for _, r := range roots {
			if slices.Contains(b.ancestors(r), c) {
				return true
			}
		}
	}
	return false
}

// runChart is /chart [community]: people waiting and in teams per
// project, as a bar chart sent as a photo.
func (b *reports) runChart(ctx context.Context, a *adminCall) error {
	ar, ok, err := b.areaOf(ctx, a)
	if !ok || err != nil {
		return err
	}
	stats, err := b.areaStats(ctx, ar)
	if err != nil {
		return err
	}
	teams, err := b.teamsIn(ctx, ar)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "area "+ar.id); err != nil {
		return err
	}
	d := countArea(stats, teams)
	var rows []chartRow
	for _, p := range reportProjectOrder(b, d.projects) {
		ps := d.projects[p]
		if ps.waiting.hi+ps.inTeams.hi > 0 {
			rows = append(rows, chartRow{Name: b.nameOfProject(a.lang, p), Waiting: ps.waiting, InTeams: ps.inTeams})
		}
	}
	if len(rows) == 0 {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "report_chart_empty")})
	}
	png, err := renderChart(chartTexts{
		Title:   b.view.t(a.lang, "report_chart_title", "Area", ar.name),
		Waiting: b.view.t(a.lang, "report_chart_waiting"),
		InTeams: b.view.t(a.lang, "report_chart_in_teams"),
		Axis:    b.view.t(a.lang, "report_chart_axis"),
	}, rows)
	if err != nil {
		return err
	}
	caption := b.view.t(a.lang, "report_chart_caption", "Area", esc(ar.name))
	if teams, err := b.teamsIn(ctx, ar); err == nil { // teams by stage: plan_reports.go
		if line, err := b.plans.stagesLine(ctx, a.lang, teams); err == nil {
			caption += "\n" + line
		}
	}
	_, err = b.wire.Answer(ctx, tg.Outgoing{Chat: a.c.Recipient(), Text: caption, ParseMode: tg.ModeHTML, File: &tg.File{Name: "chart.png", MIME: "image/png", Data: png, Photo: true}})
	return err
}

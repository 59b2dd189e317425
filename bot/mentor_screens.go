package bot

// What mentors see: the notice, the choices of projects, communities and
// capacity, and their summary.

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// mentorSummary draws /mentor for m with their current load, headed by
// the message head if it is not "".
func (b *mentors) mentorSummary(ctx context.Context, m *multaque.Mentor, head string) (view, error) {
	loads, err := b.store.MentorLoads(ctx)
	if err != nil {
		return view{}, err
	}
	return b.view.mentorSummary(m, loads[m.ID], head), nil
}

// mentorNotice tells a person opening a mentor invite what becoming a
// mentor shows of them, before anything is stored.
func (rd *renderer) mentorNotice(lang multaque.Lang, name, code string) view {
	if name == "" {
		name = "—"
	}
	return view{
		Text: rd.t(lang, "mentor_notice", "Name", esc(name)),
		Markup: keyboard(
			[]tg.InlineButton{cb(rd.t(lang, "mentor_btn_agree"), button{Action: actMentorAgree, Version: noVersion, Arg: code})},
			[]tg.InlineButton{cb(rd.t(lang, "mentor_btn_decline"), button{Action: actMentorDecline, Version: noVersion})},
		),
	}
}

// mentorProjects draws the projects m mentors as toggle buttons.
func (rd *renderer) mentorProjects(m *multaque.Mentor, draft bool, problem string) view {
	return rd.mentorProjectsAt(m, draft, problem, 0, "")
}

// mentorProjectsAt is mentorProjects at page, or at the page of project
// focus if it is set (keyboard_pages.go).
func (rd *renderer) mentorProjectsAt(m *multaque.Mentor, draft bool, problem string, page int, focus string) view {
	lang, ver := m.Lang, mentorVersion(m, draft)
	ps := rd.cat.Projects()
	if i := indexOfProject(ps, focus); i >= 0 {
		page = i / mentorProjPerPage
	}
	lo, hi, pages, at := pageBounds(len(ps), mentorProjPerPage, page)
	var rows [][]tg.InlineButton
	for _, p := range ps[lo:hi] {
		mark := "▫️ "
		if slices.Contains(m.Projects, p.ID) {
			mark = "✅ "
		}
		rows = append(rows, []tg.InlineButton{cb(mark+p.Name.In(lang), button{Action: actMentorProject, Version: ver, Arg: p.ID})})
	}
	if nav := rd.pagerRow(lang, at, pages, func(p int) button {
		return button{Action: actMentorProjectsPage, Version: ver, Arg: strconv.Itoa(p)}
	}); nav != nil {
		rows = append(rows, nav)
	}
	rows = append(rows, []tg.InlineButton{cb(rd.t(lang, "btn_done"), button{Action: actMentorProjects, Version: ver})})
	return rd.withProblem(lang, problem, view{
		Text:   rd.t(lang, "mentor_ask_projects", "Count", len(m.Projects)),
		Markup: keyboard(rows...),
	})
}

// mentorCommunities draws the communities under at, each a toggle, those
// with communities inside them with a button that opens them, and the
// communities chosen so far. For a mentor with a scope, the top ("") lists
// the communities of their scope, and nothing outside it is drawn: at is
// the caller's to check.
func (rd *renderer) mentorCommunities(m *multaque.Mentor, draft bool, at, problem string) view {
	return rd.mentorCommunitiesAt(m, draft, at, problem, 0, "")
}

// mentorCommunitiesAt is mentorCommunities at page, or at the page of
// community focus if it is listed (keyboard_pages.go).
func (rd *renderer) mentorCommunitiesAt(m *multaque.Mentor, draft bool, at, problem string, page int, focus string) view {
	lang, ver := m.Lang, mentorVersion(m, draft)
	scoped := len(m.Scope) > 0
	var kids []multaque.Community
	switch {
	case scoped && at == "":
		for _, id := range m.Scope {
			if c, ok := rd.cat.Community(id); ok {
				kids = append(kids, c)
			}
		}
	default:
		kids = rd.cat.Children(at)
		if at == "" && len(kids) == 1 { // a single root: open it
			at, kids = kids[0].ID, rd.cat.Children(kids[0].ID)
		}
	}
	if i := slices.IndexFunc(kids, func(k multaque.Community) bool { return k.ID == focus }); i >= 0 {
		page = i / mentorComPerPage
	}
	lo, hi, pages, pg := pageBounds(len(kids), mentorComPerPage, page)
	var rows [][]tg.InlineButton
	for _, k := range kids[lo:hi] {
		mark := "▫️ "
		if slices.Contains(m.Communities, k.ID) {
			mark = "✅ "
		}
		row := []tg.InlineButton{cb(mark+k.Name.In(lang), button{Action: actMentorCommunity, Version: ver, Arg: k.ID})}
		if len(rd.cat.Children(k.ID)) > 0 {
			row = append(row, cb(k.Name.In(lang)+" ›", button{Action: actMentorBrowse, Version: ver, Arg: k.ID}))
		}
		rows = append(rows, row)
	}
	if nav := rd.pagerRow(lang, pg, pages, func(p int) button {
		return button{Action: actMentorBrowse, Version: ver, Arg: withPage(at, p)}
	}); nav != nil {
		rows = append(rows, nav)
	}
	var b strings.Builder
	everywhere := "mentor_btn_everywhere"
	if scoped {
		everywhere = "mentor_btn_all_scope"
		b.WriteString(rd.t(lang, "mentor_ask_communities_scoped", "Scope", rd.communityNames(lang, m.Scope)))
	} else {
		b.WriteString(rd.t(lang, "mentor_ask_communities"))
	}
	if p, ok := rd.cat.Community(at); ok {
		back := p.Parent
		if scoped && slices.Contains(m.Scope, at) { // its parent is outside: back to the scope
			back = ""
		}
		if back != "" || scoped {
			rows = append(rows, []tg.InlineButton{cb("‹ "+rd.t(lang, "btn_back"), button{Action: actMentorBrowse, Version: ver, Arg: back})})
		}
		b.WriteString("\n\n" + rd.t(lang, "browsing", "Community", esc(p.Name.In(lang))))
	}
	if len(m.Communities) == 0 {
		b.WriteString("\n" + rd.t(lang, "mentor_none_chosen"))
	} else {
		b.WriteString("\n" + rd.t(lang, "mentor_chosen", "Communities", rd.communityNames(lang, m.Communities)))
	}
	rows = append(rows, []tg.InlineButton{
		cb(rd.t(lang, everywhere), button{Action: actMentorEverywhere, Version: ver}),
		cb(rd.t(lang, "btn_done"), button{Action: actMentorCommunities, Version: ver}),
	})
	return rd.withProblem(lang, problem, view{Text: b.String(), Markup: keyboard(rows...)})
}

// mentorCapacity asks how many teams m takes at once; a mentor sees their
// current choice marked and a way back.
func (rd *renderer) mentorCapacity(m *multaque.Mentor, draft bool) view {
	lang, ver := m.Lang, mentorVersion(m, draft)
	var row []tg.InlineButton
	for _, n := range mentorCapacities {
		label := strconv.Itoa(n)
		if !draft && n == m.Capacity {
			label = "✓ " + label
		}
		row = append(row, cb(label, button{Action: actMentorCapacity, Version: ver, Arg: strconv.Itoa(n)}))
	}
	rows := [][]tg.InlineButton{row}
	if !draft {
		rows = append(rows, []tg.InlineButton{cb("‹ "+rd.t(lang, "btn_back"), button{Action: actMentorShow, Version: ver})})
	}
	return view{Text: rd.t(lang, "mentor_ask_capacity"), Markup: keyboard(rows...)}
}

// mentorSummary is /mentor: what m mentors, where, how many teams at once
// and now, whether paused, with buttons to change each.
func (rd *renderer) mentorSummary(m *multaque.Mentor, load int, head string) view {
	lang, ver := m.Lang, mentorVersion(m, false)
	projects := make([]string, 0, len(m.Projects))
	for _, id := range m.Projects {
		if p, ok := rd.cat.Project(id); ok {
			projects = append(projects, esc(p.Name.In(lang)))
		}
	}
	communities := rd.t(lang, "mentor_everywhere")
	if len(m.Communities) > 0 {
		communities = rd.communityNames(lang, m.Communities)
	}
	name := m.Name
	if name == "" {
		name = "—"
	}
	var b strings.Builder
	if head != "" {
		b.WriteString(rd.t(lang, head) + "\n\n")
	}
	b.WriteString(rd.t(lang, "mentor_summary", "Name", esc(name), "Projects", strings.Join(projects, ", "),
		"Communities", communities, "Capacity", m.Capacity, "Load", load))
	status, pause := "mentor_status_active", button{Action: actMentorPause, Version: ver, Arg: "1"}
	label := "mentor_btn_pause"
	if m.Paused {
		status, pause.Arg, label = "mentor_status_paused", "0", "mentor_btn_resume"
	}
	b.WriteString("\n" + rd.t(lang, status))
	edit := func(label, what string) tg.InlineButton {
		return cb(rd.t(lang, label), button{Action: actMentorEdit, Version: ver, Arg: what})
	}
	return view{Text: b.String(), Markup: keyboard(
		[]tg.InlineButton{edit("mentor_btn_projects", "projects"), edit("mentor_btn_communities", "communities")},
		[]tg.InlineButton{edit("mentor_btn_capacity", "capacity"), cb(rd.t(lang, label), pause)},
	)}
}

// communityNames lists communities by name, escaped for HTML.
func (rd *renderer) communityNames(lang multaque.Lang, ids []string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if c, ok := rd.cat.Community(id); ok {
			names = append(names, esc(c.Name.In(lang)))
		}
	}
	return strings.Join(names, ", ")
}

// withProblem puts a problem with the last input above v, as render does
// for the survey.
func (rd *renderer) withProblem(lang multaque.Lang, problem string, v view) view {
	if problem != "" {
		v.Text = "⚠️ " + rd.t(lang, problem) + "\n\n" + v.Text
	}
	return v
}

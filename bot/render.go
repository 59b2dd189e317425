package bot

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// Texts gives the interface messages in each language. Data values are
// inserted as they are: callers escape them for HTML. A "Count" entry in data
// selects the plural form.
type Texts interface {
	Text(lang multaque.Lang, id string, data map[string]any) string
}

// view is a rendered screen: HTML text and an optional inline keyboard.
type view struct {
	Text   string
	Markup tg.Keyboard
}

// outgoing is v as a message to chat (editing message edit, if not 0).
func (v view) outgoing(chat int64, edit int) tg.Outgoing {
	return tg.Outgoing{Chat: chat, Edit: edit, Text: v.Text, ParseMode: tg.ModeHTML, Keyboard: v.Markup}
}

// renderer turns screens into messages in a person's language.
type renderer struct {
	cat     Catalog
	texts   Texts
	botName string   // the bot's username, for share links
	help    []string // the commands /help lists (routes.helpLines)
}

// helpText is /help: what the bot is for, then a line for each command of
// the citizens' menu, in its order.
func (r *renderer) helpText(lang multaque.Lang) string {
	var b strings.Builder
	b.WriteString(r.t(lang, "help"))
	for _, name := range r.help {
		b.WriteString("\n/" + name + ": " + r.t(lang, "help_"+name))
	}
	return b.String()
}

// t is a shorthand for a message with key/value pairs as its data.
func (r *renderer) t(lang multaque.Lang, id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
	}
	return r.texts.Text(lang, id, data)
}

func esc(s string) string { return html.EscapeString(s) }

func cb(text string, b button) tg.InlineButton {
	return tg.InlineButton{Text: text, Data: b.encode()}
}

func keyboard(rows ...[]tg.InlineButton) tg.Keyboard {
	return rows
}

// progress holds, for the summary, how many people of the citizen's
// community wait for each of their interests.
type progress map[string]int

// render draws r for citizen c (nil before consent).
func (rd *renderer) render(c *multaque.Citizen, r Reply, counts progress, teams map[string]*multaque.Team) view {
	lang := r.Lang
	var v view
	switch r.Screen {
	case ScreenLanguage:
		v = rd.language(c, r)
	case ScreenConsent:
		v = rd.consent(r)
	case ScreenDeclined:
		v = view{Text: rd.t(lang, "declined")}
	case ScreenName:
		v = view{Text: rd.t(lang, "ask_name")}
	case ScreenCommunity:
		v = rd.communities(c, r.Community, r.Page)
	case ScreenCommunityChoices:
		v = rd.choices(c, r.Choices)
	case ScreenInterests:
		v = rd.interests(c, r.Page, r.Project)
	case ScreenProject:
		v = rd.project(c, lang, r.Project, false)
	case ScreenSummary:
		v = rd.summary(c, counts, teams)
	case ScreenSettings:
		v = rd.settings(c)
	case ScreenHelp:
		v = view{Text: rd.helpText(lang)}
	}
	if r.Placed != "" {
		com, _ := rd.cat.Community(r.Placed)
		v.Text = rd.t(lang, "placed", "Community", esc(com.Name.In(lang))) + "\n\n" + v.Text
	}
	if r.Problem != "" {
		v.Text = "⚠️ " + rd.t(lang, r.Problem) + "\n\n" + v.Text
	}
	return v
}

var langNames = map[multaque.Lang]string{
	multaque.Catalan: "Català",
	multaque.Spanish: "Español",
	multaque.English: "English",
}

func (rd *renderer) language(c *multaque.Citizen, r Reply) view {
	var row []tg.InlineButton
	for _, l := range multaque.Languages {
		label := langNames[l]
		if l == r.Lang {
			label = "✓ " + label
		}
		if c == nil {
			row = append(row, cb(label, button{Action: actLang, Version: noVersion, Arg: string(l) + "," + r.Payload.carried()}))
		} else {
			row = append(row, cb(label, button{Action: actLang, Version: c.Survey.Version, Arg: string(l)}))
		}
	}
	text := rd.t(r.Lang, "choose_language")
	if c == nil {
		text = rd.t(r.Lang, "welcome") + "\n\n" + text
	}
	return view{Text: text, Markup: keyboard(row)}
}

func (rd *renderer) consent(r Reply) view {
	arg := string(r.Lang) + "," + r.Payload.carried()
	return view{
		Text: rd.t(r.Lang, "about") + "\n\n" + rd.t(r.Lang, "privacy"),
		Markup: keyboard(
			[]tg.InlineButton{cb(rd.t(r.Lang, "btn_consent"), button{Action: actConsent, Version: noVersion, Arg: arg})},
			[]tg.InlineButton{cb(rd.t(r.Lang, "btn_decline"), button{Action: actDecline, Version: noVersion, Arg: string(r.Lang)})},
		),
	}
}

// communities draws the community keyboard at parent: its children (those
// with children of their own open further), a page at a time, the parent
// itself to choose it, and a way back up.
func (rd *renderer) communities(c *multaque.Citizen, parent string, page int) view {
	lang, ver := c.Lang, c.Survey.Version
	kids := rd.cat.Children(parent)
	if parent == "" && len(kids) == 1 {
		parent, kids = kids[0].ID, rd.cat.Children(kids[0].ID)
	}
	lo, hi, pages, at := pageBounds(len(kids), communitiesPerPage, page)
	var rows [][]tg.InlineButton
	var row []tg.InlineButton
	for _, k := range kids[lo:hi] {
		label := k.Name.In(lang)
		b := button{Action: actPick, Version: ver, Arg: k.ID}
		if len(rd.cat.Children(k.ID)) > 0 {
			label += " ›"
			b.Action = actBrowse
		}
		row = append(row, cb(label, b))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if nav := rd.pagerRow(lang, at, pages, func(p int) button {
		return button{Action: actBrowse, Version: ver, Arg: withPage(parent, p)}
	}); nav != nil {
		rows = append(rows, nav)
	}
	text := rd.t(lang, "ask_community")
	if p, ok := rd.cat.Community(parent); ok {
		rows = append(rows, []tg.InlineButton{cb("✓ "+rd.t(lang, "btn_all_of", "Community", p.Name.In(lang)), button{Action: actPick, Version: ver, Arg: p.ID})})
		if p.Parent != "" {
			rows = append(rows, []tg.InlineButton{cb("‹ "+rd.t(lang, "btn_back"), button{Action: actBrowse, Version: ver, Arg: p.Parent})})
		}
		text += "\n\n" + rd.t(lang, "browsing", "Community", esc(p.Name.In(lang)))
	}
	return view{Text: text, Markup: keyboard(rows...)}
}

func (rd *renderer) choices(c *multaque.Citizen, ids []string) view {
	lang := c.Lang
	var rows [][]tg.InlineButton
	for _, id := range ids {
		com, ok := rd.cat.Community(id)
		if !ok {
			continue
		}
		label := com.Name.In(lang)
		if p, ok := rd.cat.Community(com.Parent); ok {
			label += " (" + p.Name.In(lang) + ")"
		}
		rows = append(rows, []tg.InlineButton{cb(label, button{Action: actPick, Version: c.Survey.Version, Arg: id})})
	}
	rows = append(rows, []tg.InlineButton{cb(rd.t(lang, "btn_browse"), button{Action: actBrowse, Version: c.Survey.Version})})
	return view{Text: rd.t(lang, "pick_community"), Markup: keyboard(rows...)}
}

// interests draws the projects as toggles, a page at a time: page, or the
// page of project focus if it is set (the one just toggled).
func (rd *renderer) interests(c *multaque.Citizen, page int, focus string) view {
	lang, ver := c.Lang, c.Survey.Version
	ps := rd.cat.Projects()
	if i := indexOfProject(ps, focus); i >= 0 {
		page = i / interestsPerPage
	}
	lo, hi, pages, at := pageBounds(len(ps), interestsPerPage, page)
	var rows [][]tg.InlineButton
	for _, p := range ps[lo:hi] {
		mark := "▫️ "
		if c.HasInterest(p.ID) {
			mark = "✅ "
		}
		rows = append(rows, []tg.InlineButton{
			cb(mark+p.Name.In(lang), button{Action: actToggle, Version: ver, Arg: p.ID}),
			cb("ℹ️", button{Action: actMore, Version: ver, Arg: p.ID}),
		})
	}
	if nav := rd.pagerRow(lang, at, pages, func(p int) button {
		return button{Action: actInterestsPage, Version: ver, Arg: strconv.Itoa(p)}
	}); nav != nil {
		rows = append(rows, nav)
	}
	rows = append(rows, []tg.InlineButton{cb(rd.t(lang, "btn_done"), button{Action: actDone, Version: ver})})
	return view{
		Text:   rd.t(lang, "ask_interests", "Count", len(c.Interests)),
		Markup: keyboard(rows...),
	}
}

// project explains one project: pitch, explanation, examples. From
// /projects (browse) it carries an "I'm interested" button.
func (rd *renderer) project(c *multaque.Citizen, lang multaque.Lang, id string, browse bool) view {
	p, ok := rd.cat.Project(id)
	if !ok {
		return view{Text: rd.t(lang, "stale")}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b>\n<i>%s</i>\n\n%s", esc(p.Name.In(lang)), esc(p.Pitch.In(lang)), esc(p.Explanation.In(lang)))
	if len(p.Examples) > 0 {
		b.WriteString("\n\n" + rd.t(lang, "examples") + "\n")
		for i := range p.Examples {
			b.WriteString("• " + rd.cat.ExampleHTML(p.ID, i, lang) + "\n")
		}
	}
	b.WriteString("\n" + rd.t(lang, "critical_mass", "Count", p.MinTeam))
	v := view{Text: b.String()}
	if browse {
		var row []tg.InlineButton
		switch {
		case c == nil:
			row = append(row, tg.InlineButton{Text: rd.t(lang, "btn_interested"), URL: rd.shareLink(startPayload{Project: id})})
		case c.HasInterest(id):
			row = append(row, cb("✅ "+rd.t(lang, "btn_already_interested"), button{Action: actWant, Version: noVersion, Arg: id}))
		default:
			row = append(row, cb(rd.t(lang, "btn_interested"), button{Action: actWant, Version: noVersion, Arg: id}))
		}
		row = append(row, cb("‹ "+rd.t(lang, "btn_all_projects"), button{Action: actProject, Version: noVersion}))
		v.Markup = keyboard(row)
	}
	return v
}

// projectList is /projects: every project with its pitch, a button each.
func (rd *renderer) projectList(lang multaque.Lang) view {
	var b strings.Builder
	b.WriteString(rd.t(lang, "projects_intro") + "\n")
	var rows [][]tg.InlineButton
	for _, p := range rd.cat.Projects() {
		fmt.Fprintf(&b, "\n• <b>%s</b>: %s", esc(p.Name.In(lang)), esc(p.Pitch.In(lang)))
		rows = append(rows, []tg.InlineButton{cb(p.Name.In(lang), button{Action: actProject, Version: noVersion, Arg: p.ID})})
	}
	return view{Text: b.String(), Markup: keyboard(rows...)}
}

// summary shows a citizen's answers and, for each interest, how many
// people of their community wait for it against its critical mass, with a
// link to invite neighbours.
func (rd *renderer) summary(c *multaque.Citizen, counts progress, teams map[string]*multaque.Team) view {
	lang := c.Lang
	com, _ := rd.cat.Community(c.Community)
	comName := esc(com.Name.In(lang))
	var b strings.Builder
	b.WriteString(rd.t(lang, "summary_head", "Name", esc(c.Name), "Community", comName))
	b.WriteString("\n")
	for _, in := range c.Interests {
		p, ok := rd.cat.Project(in.Project)
		if !ok {
			continue
		}
		if in.Team != "" {
			fmt.Fprintf(&b, "\n• <b>%s</b>: %s", esc(p.Name.In(lang)), rd.teamStatus(lang, teams[in.Team]))
			continue
		}
		n := counts[p.ID]
		fmt.Fprintf(&b, "\n• <b>%s</b>: %s\n   %s", esc(p.Name.In(lang)),
			rd.t(lang, "progress", "Count", n, "Need", p.MinTeam, "Community", comName),
			esc(rd.shareLink(startPayload{Community: c.Community, Project: p.ID, Referrer: c.RefCode})))
	}
	b.WriteString("\n\n" + rd.t(lang, "summary_share"))
	return view{Text: b.String(), Markup: keyboard(
		[]tg.InlineButton{cb(rd.t(lang, "btn_settings"), button{Action: actSettings, Version: c.Survey.Version, Arg: "menu"})},
	)}
}

// teamStatus says where a citizen's team is: forming (its group is being
// prepared) or active, with the link to its group.
func (rd *renderer) teamStatus(lang multaque.Lang, t *multaque.Team) string {
	switch {
	case t == nil:
		return rd.t(lang, "summary_team_forming", "Count", 0)
	case t.Status == multaque.TeamActive && t.InviteLink != "":
		return rd.t(lang, "summary_team_active", "Count", len(t.Members), "Link", esc(t.InviteLink))
	default:
		return rd.t(lang, "summary_team_forming", "Count", len(t.Members))
	}
}

func (rd *renderer) settings(c *multaque.Citizen) view {
	lang, ver := c.Lang, c.Survey.Version
	row := func(label, what string) []tg.InlineButton {
		return []tg.InlineButton{cb(rd.t(lang, label), button{Action: actSettings, Version: ver, Arg: what})}
	}
	return view{
		Text: rd.t(lang, "settings"),
		Markup: keyboard(
			row("btn_set_lang", "lang"),
			row("btn_set_name", string(multaque.StepName)),
			row("btn_set_community", string(multaque.StepCommunity)),
			row("btn_set_interests", string(multaque.StepInterests)),
			[]tg.InlineButton{cb("‹ "+rd.t(lang, "btn_back"), button{Action: actSummary, Version: ver})},
		),
	}
}

// shareLink is the t.me deep link that pre-fills p.
func (rd *renderer) shareLink(p startPayload) string {
	s := p.String()
	for len(s) > maxPayload && p.Referrer != "" {
		p.Referrer = ""
		s = p.String()
	}
	return "https://t.me/" + rd.botName + "?start=" + s
}

package bot

// The teams' kickoff plans: the room that helps a team start its project
// once its group exists. A team's plan is its project's playbook made a
// checklist, one message pinned in its group with a button per step
// (plan_ticks.go), /plan in the group (plan_group.go), the runner that posts
// the plans, keeps their messages up to date and sends the nudges, the
// check-ins and the owners' reminders (plan_runner.go, plan_nudges.go,
// plan_checkins.go), and the coordinators' /teams and /team (plan_coord.go).
// What is due when is decided by multaque.Plan.Due, which is pure; this room
// only reads, asks it, and commits each decision with its outbox items.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// PlanStore is what the plans' room needs of the database.
type PlanStore interface {
	Plan(ctx context.Context, team string) (*multaque.Plan, error)
	Plans(ctx context.Context) ([]*multaque.Plan, error)
	CreatePlan(ctx context.Context, p *multaque.Plan) (*multaque.Plan, bool, error)
	UpdatePlan(ctx context.Context, team string, now time.Time, fn func(p *multaque.Plan) error, items func(p *multaque.Plan) []multaque.OutboxItem) (*multaque.Plan, error)
	Team(ctx context.Context, id string) (*multaque.Team, error)
	Teams(ctx context.Context) ([]*multaque.Team, error)
	TeamByChat(ctx context.Context, chat int64) (*multaque.Team, error)
	Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error)
	Citizen(ctx context.Context, id int64) (*multaque.Citizen, error)
	Mentor(ctx context.Context, id int64) (*multaque.Mentor, error)
	// A check-in waiting for its mentor's optional line (plan_checkins.go).
	WaitCheckInNote(ctx context.Context, mentor int64, team string, period int, at time.Time) error
	TakeCheckInNote(ctx context.Context, mentor int64) (team string, period int, at time.Time, ok bool, err error)
}

// plans is the room of the teams' kickoff plans.
type plans struct {
	*core
	store   PlanStore
	reports *reports // for /teams: the area a coordinator asks about
	rules   multaque.PlanRules
	// debounce is how long after a change the plan's message is edited,
	// so that the ticks of a burst go out as one edit.
	debounce time.Duration
	undo     sync.Map // undoKey → time of the first tap on a done step
	editor   planEditor
	showing  sync.Map // team id → *sync.Mutex held while its message is shown
}

// Button actions of the plans.
const (
	actPlanTick    = "ptick" // a step's button: arg = step id
	actPlanCheckIn = "pchk"  // a mentor's check-in: version = period, arg = team,colour
	actPlanTeam    = "pteam" // a team of /teams: arg = team id
)

// undoWindow is how long a second tap on a done step undoes it: the first
// tap only asks for the confirmation, in a toast, and sends no message to
// the group (whose 20 messages a minute the plan's edits need).
const undoWindow = 30 * time.Second

// undoKey is a pending undo: who tapped which step of which team.
type undoKey struct {
	team   string
	step   int
	person int64
}

func newPlans(c *core, st PlanStore) *plans {
	return &plans{core: c, store: st, rules: multaque.DefaultPlanRules(), debounce: 2 * time.Second}
}

// planInfo is what a plan's screens show besides the plan: its team, the
// catalogue's project, the language of its group and the names of the
// people it names (members and the mentor, as they gave them).
type planInfo struct {
	team    *multaque.Team
	project multaque.Project
	lang    multaque.Lang
	names   map[int64]string
}

// info reads what rendering p needs.
func (b *plans) info(ctx context.Context, t *multaque.Team, p *multaque.Plan) (*planInfo, error) {
	in := &planInfo{team: t, names: map[int64]string{}}
	in.project, _ = b.view.cat.Project(t.Project)
	langs, err := b.store.Languages(ctx, teamPeople(t))
	if err != nil {
		return nil, err
	}
	in.lang = groupLang(t, langs)
	var ids []int64
	for _, s := range p.Steps {
		ids = append(ids, s.DoneBy, s.Owner)
	}
	for _, id := range ids {
		if id == 0 || in.names[id] != "" {
			continue
		}
		in.names[id] = b.personName(ctx, id)
	}
	return in, nil
}

// personName is the name someone gave (as a citizen, else as a mentor),
// "" if none.
func (b *plans) personName(ctx context.Context, id int64) string {
	if cz, err := b.store.Citizen(ctx, id); err == nil && cz.Name != "" {
		return cz.Name
	}
	if m, err := b.store.Mentor(ctx, id); err == nil && m.Name != "" {
		return m.Name
	}
	return ""
}

// stepText is a step's text in lang: the catalogue's for a playbook step,
// the team's own otherwise.
func (b *plans) stepText(in *planInfo, s multaque.Step, lang multaque.Lang) string {
	if s.Playbook > 0 && s.Playbook <= len(in.project.Playbook) {
		return in.project.Playbook[s.Playbook-1].In(lang)
	}
	if s.Text != "" {
		return s.Text
	}
	return fmt.Sprintf("#%d", s.ID)
}

// stageLine is "Stage: <stage> since <date>".
func (b *plans) stageName(lang multaque.Lang, s multaque.Stage) string {
	return b.view.t(lang, "plan_stage_"+string(s))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// planView renders plan p of in's team: the checklist in the group's
// language, with a button per step while the team is open.
func (b *plans) planView(in *planInfo, p *multaque.Plan) view {
	lang := in.lang
	var s strings.Builder
	s.WriteString(b.view.t(lang, "plan_title") + "\n" + b.teamTitle(in.team, lang) + "\n\n")
	s.WriteString(b.view.t(lang, "plan_stage", "Stage", b.stageName(lang, p.Stage()), "Since", day(p.Since())))
	s.WriteString("\n" + b.view.t(lang, "plan_progress", "Done", p.Done(), "Total", len(p.Steps)) + "\n")
	var kb tg.Keyboard
	for i, st := range p.Steps {
		text := b.stepText(in, st, lang)
		mark := "⬜"
		if st.Done {
			mark = "✅"
		}
		fmt.Fprintf(&s, "\n%s %d. %s", mark, i+1, esc(text))
		if st.Done {
			who := in.names[st.DoneBy]
			if who == "" {
				who = b.view.t(lang, "plan_someone")
			}
			s.WriteString("\n     " + b.view.t(lang, "plan_done_by", "Name", esc(who), "Date", day(st.DoneAt)))
		} else if st.Owner != 0 || !st.Due.IsZero() {
			var parts []string
			if st.Owner != 0 {
				parts = append(parts, "👤 "+esc(in.names[st.Owner]))
			}
			if !st.Due.IsZero() {
				parts = append(parts, "📅 "+day(st.Due))
			}
			s.WriteString("\n     " + strings.Join(parts, " · "))
		}
		if p.Markable() {
			kb = append(kb, []tg.InlineButton{cb(clipRunes(fmt.Sprintf("%s %d. %s", mark, i+1, text), 40), button{Action: actPlanTick, Arg: fmt.Sprint(st.ID)})})
		}
	}
	s.WriteString("\n\n")
	if p.Markable() {
		s.WriteString(b.view.t(lang, "plan_howto"))
	} else {
		s.WriteString(b.view.t(lang, "plan_closed"))
	}
	return view{Text: clipRunes(s.String(), multaque.MaxOutboxText), Markup: kb}
}

// teamTitle is the bold "<project> · <community>" line.
func (b *plans) teamTitle(t *multaque.Team, lang multaque.Lang) string {
	return "<b>" + esc(b.nameOfProject(lang, t.Project)) + " · " + esc(b.nameOfCommunity(lang, t.Community)) + "</b>"
}

// canTick reports whether person may mark the steps of t: its members and
// its mentor.
func canTick(t *multaque.Team, person int64) bool {
	return person != 0 && (t.HasMember(person) || t.Mentor == person)
}

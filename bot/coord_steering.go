package bot

// Steering: the coordinators' commands that look after what makes teams
// possible. /pool shows the spare groups teams get and the link that adds
// more; /match runs the matcher now and says what formed; /mentorinvite
// makes a one-time mentor invite (mentors.go); /mentors lists the mentors
// with their load. A coordinator limited to some communities sees the
// teams and mentors of those only; the pool belongs to no community (but a
// team gets only a group added by one of its community's coordinators:
// Provisioner.claim).

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/multaque/multaque"
)

// SteeringStore is what the steering commands need of the database.
type SteeringStore interface {
	PoolGroups(ctx context.Context) ([]multaque.PoolGroup, error)
	// Mentors returns every mentor, drafts left out.
	Mentors(ctx context.Context) ([]multaque.Mentor, error)
	MentorLoads(ctx context.Context) (map[int64]int, error)
}

// MatchReport says what a matching pass did (Options.Match).
type MatchReport struct {
	Formed   []MatchTeam // the teams it formed
	Joined   []MatchTeam // the open teams it added people to, Added of them each
	Assigned []MatchTeam // the teams it gave the mentor they lacked
}

// MatchTeam is a team a matching pass formed or changed.
type MatchTeam struct {
	ID        string
	Community string
	Project   string
	Members   int  // how many people it has after the pass
	Added     int  // how many people the pass added to it (Joined)
	Mentor    bool // whether it has a mentor after the pass
}

// MatchPass is what a matching pass says it did, by team id (the
// matcher's report, in the bot's terms: the bot does not import the
// matcher; cmd/multaque wires the two).
type MatchPass struct {
	Formed   []string      // the teams it formed
	Joined   []MatchJoined // the open teams it added people to
	Assigned []string      // the teams it gave the mentor they lacked
}

// MatchJoined is an open team a pass added people to.
type MatchJoined struct {
	Team  string
	Added int
}

// NewMatchReport makes the report of a matching pass from what the pass
// says it did and the teams as they are after it.
func NewMatchReport(rep MatchPass, teams []*multaque.Team) MatchReport {
	byID := make(map[string]*multaque.Team, len(teams))
	for _, t := range teams {
		byID[t.ID] = t
	}
	summary := func(id string) (MatchTeam, bool) {
		t := byID[id]
		if t == nil { // gone since: erased people can take a team with them
			return MatchTeam{}, false
		}
		return MatchTeam{ID: t.ID, Community: t.Community, Project: t.Project, Members: len(t.Members), Mentor: t.Mentor != 0}, true
	}
	var out MatchReport
	for _, id := range rep.Formed {
		if mt, ok := summary(id); ok {
			out.Formed = append(out.Formed, mt)
		}
	}
	for _, j := range rep.Joined {
		if mt, ok := summary(j.Team); ok {
			mt.Added = j.Added
			out.Joined = append(out.Joined, mt)
		}
	}
	for _, id := range rep.Assigned {
		if mt, ok := summary(id); ok {
			out.Assigned = append(out.Assigned, mt)
		}
	}
	return out
}

// poolTitlesShown is how many free groups /pool names.
const poolTitlesShown = 5

// mentorCommunitiesShown is how many of a mentor's communities /mentors
// names, so that one mentor's line always fits in a message.
const mentorCommunitiesShown = 12

// noArgs wraps a command that takes no arguments: given some, it answers
// with its usage line and does nothing.
func (b *core) noArgs(usage string, run func(ctx context.Context, a *adminCall) error) func(ctx context.Context, a *adminCall) error {
	return func(ctx context.Context, a *adminCall) error {
		if a.args != "" {
			return b.usage(ctx, a, usage)
		}
		return run(ctx, a)
	}
}

// usage answers a malformed command with how to write it.
func (b *core) usage(ctx context.Context, a *adminCall, usage string) error {
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "steering_usage", "Usage", esc(usage))})
}

// onPool is /pool: how many groups are free, used by a team and broken,
// how many of the free ones no team will get (their adder is no longer a
// coordinator, and would sit in the team's group), the first free ones by
// title, and the link that adds another.
func (b *steering) onPool(ctx context.Context, a *adminCall) error {
	groups, err := b.store.PoolGroups(ctx)
	if err != nil {
		return err
	}
	n := map[multaque.PoolStatus]int{}
	var titles []string
	orphans := 0
	for _, g := range groups {
		n[g.Status]++
		if g.Status == multaque.PoolFree && !b.isCoordinator(g.AddedBy) {
			orphans++
		}
		if g.Status == multaque.PoolFree && len(titles) < poolTitlesShown {
			title := g.Title
			if title == "" {
				title = "—"
			}
			titles = append(titles, "• "+esc(title))
		}
	}
	lang := a.lang
	var s strings.Builder
	s.WriteString(b.view.t(lang, "steering_pool", "Free", n[multaque.PoolFree], "Used", n[multaque.PoolUsed], "Broken", n[multaque.PoolBroken]))
	if orphans > 0 {
		s.WriteString("\n" + b.view.t(lang, "steering_pool_orphans", "Count", orphans))
	}
	if len(titles) > 0 {
		s.WriteString("\n\n" + b.view.t(lang, "steering_pool_free") + "\n" + strings.Join(titles, "\n"))
		if more := n[multaque.PoolFree] - len(titles); more > 0 {
			s.WriteString("\n" + b.view.t(lang, "steering_pool_more", "More", more))
		}
	}
	s.WriteString("\n\n" + b.view.t(lang, "steering_pool_add", "Link", esc(b.startGroupLink())))
	return b.send(ctx, a.c.Recipient(), view{Text: s.String()})
}

// onMatch is /match: the matcher runs now (the pass the schedule runs,
// never at the same time as it) and the coordinator reads what formed in
// their scope.
func (b *steering) onMatch(ctx context.Context, a *adminCall) error {
	if b.match == nil {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "steering_match_unavailable")})
	}
	rep, err := b.match(ctx)
	if err != nil {
		return fmt.Errorf("match now: %w", err)
	}
	in := func(ts []MatchTeam) []MatchTeam {
		return slices.DeleteFunc(slices.Clone(ts), func(t MatchTeam) bool { return !b.oversees(a.coord, t.Community) })
	}
	rep = MatchReport{Formed: in(rep.Formed), Joined: in(rep.Joined), Assigned: in(rep.Assigned)}
	joined := 0
	for _, t := range rep.Joined {
		joined += t.Added
	}
	if err := b.audit(ctx, a, fmt.Sprintf("formed %d, joined %s, assigned %d", len(rep.Formed), count(joined), len(rep.Assigned))); err != nil {
		return err
	}
	lang := a.lang
	lines := []string{b.view.t(lang, "steering_match_done")}
	if len(rep.Formed)+len(rep.Joined)+len(rep.Assigned) == 0 {
		lines = append(lines, "", b.view.t(lang, "steering_match_nothing"))
		return b.sendLines(ctx, a, lines...)
	}
	if len(rep.Formed) > 0 {
		lines = append(lines, "", b.view.t(lang, "steering_match_formed", "Teams", len(rep.Formed)))
		for _, t := range rep.Formed {
			mentor := "steering_match_mentor"
			if !t.Mentor {
				mentor = "steering_match_no_mentor"
			}
			lines = append(lines, b.view.t(lang, "steering_match_team", "Project", b.projectName(lang, t.Project),
				"Community", b.communityName(lang, t.Community), "Members", esc(count(t.Members)), "Mentor", b.view.t(lang, mentor)))
		}
	}
	if len(rep.Joined) > 0 {
		lines = append(lines, "", b.view.t(lang, "steering_match_joined", "People", esc(count(joined))))
		for _, t := range rep.Joined {
			lines = append(lines, b.view.t(lang, "steering_match_grew", "Project", b.projectName(lang, t.Project),
				"Community", b.communityName(lang, t.Community), "Added", esc(count(t.Added)), "Members", esc(count(t.Members))))
		}
	}
	if len(rep.Assigned) > 0 {
		lines = append(lines, "", b.view.t(lang, "steering_match_assigned", "Teams", len(rep.Assigned)))
		for _, t := range rep.Assigned {
			lines = append(lines, "• "+b.projectName(lang, t.Project)+" · "+b.communityName(lang, t.Community))
		}
	}
	return b.sendLines(ctx, a, lines...)
}

// onMentors is /mentors: every mentor the coordinator may see, with what
// they mentor, where, how many teams they have against how many they take,
// and whether they are paused. Mentors agreed to coordinators seeing their
// name when they joined.
func (b *steering) onMentors(ctx context.Context, a *adminCall) error {
	mentors, err := b.store.Mentors(ctx)
	if err != nil {
		return err
	}
	loads, err := b.store.MentorLoads(ctx)
	if err != nil {
		return err
	}
	mentors = slices.DeleteFunc(mentors, func(m multaque.Mentor) bool { return !b.reports.mentorCovers(a.coord.Communities, m) })
	lang := a.lang
	if len(mentors) == 0 {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "steering_mentors_none")})
	}
	slices.SortFunc(mentors, func(x, y multaque.Mentor) int {
		if c := strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	lines := []string{b.view.t(lang, "steering_mentors", "Mentors", len(mentors))}
	for _, m := range mentors {
		name := m.Name
		if name == "" {
			name = "—"
		}
		projects := make([]string, 0, len(m.Projects))
		for _, p := range m.Projects {
			projects = append(projects, b.projectName(lang, p))
		}
		where := b.view.t(lang, "steering_mentors_everywhere")
		if len(m.Communities) > 0 {
			shown := m.Communities[:min(len(m.Communities), mentorCommunitiesShown)]
			where = b.view.communityNames(lang, shown)
			if more := len(m.Communities) - len(shown); more > 0 {
				where += " " + b.view.t(lang, "steering_pool_more", "More", more)
			}
		}
		line := b.view.t(lang, "steering_mentors_line", "Name", esc(name), "Projects", strings.Join(projects, ", "),
			"Communities", where, "Load", loads[m.ID], "Capacity", m.Capacity)
		if m.Paused {
			line += " · " + b.view.t(lang, "steering_mentors_paused")
		}
		lines = append(lines, line)
	}
	return b.sendLines(ctx, a, lines...)
}

// projectName is a project's name in lang, escaped for HTML; its id if the
// catalogue no longer has it.
func (b *core) projectName(lang multaque.Lang, id string) string {
	return esc(b.nameOfProject(lang, id))
}

// communityName is a community's name in lang, escaped for HTML; its id if
// the catalogue no longer has it.
func (b *core) communityName(lang multaque.Lang, id string) string {
	return esc(b.nameOfCommunity(lang, id))
}

package matching

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// Store is what the Runner needs of the database. Each change is one write
// transaction that checks the decision still holds (the members still
// wait, the team is still open, the mentor still missing) and refuses it
// with an ECONFLICT error otherwise.
type Store interface {
	// ForEachQueueDue gives each queue ("community/project") where at
	// least atLeast people wait or whose oldest came at or before oldestBy
	// (none by age when oldestBy is zero), once: how many wait, and since
	// when the oldest waits. It reads only those queues, not all of them.
	ForEachQueueDue(ctx context.Context, atLeast int, oldestBy time.Time, fn func(queue []byte, waiting int, oldest time.Time) error) error
	// ForEachWaitingIn gives the people waiting in the queues named.
	ForEachWaitingIn(ctx context.Context, queues []string, fn func(community, project string, since time.Time, citizen int64) error) error
	Teams(ctx context.Context) ([]*multaque.Team, error)
	Team(ctx context.Context, id string) (*multaque.Team, error)
	Mentors(ctx context.Context) ([]multaque.Mentor, error)
	FormTeam(ctx context.Context, t multaque.Team, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	JoinTeam(ctx context.Context, id string, citizens []int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	AssignMentor(ctx context.Context, id string, mentor int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	// Languages gives the language of each of ids that is a citizen or a
	// mentor; the notifier writes to each person in theirs.
	Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error)
}

// Catalog is what the Runner needs of the catalogue.
type Catalog interface {
	Projects() []multaque.Project
	// Ancestors gives the communities above id, nearest first; none for a
	// root or an unknown id.
	Ancestors(id string) []string
}

// Notifier builds the messages that go with each change, enqueued in the
// same transaction as the change. Its methods run inside that transaction:
// they only build items, in each person's language as langs gives it (a
// person missing there gets the default language).
type Notifier interface {
	// TeamFormed is told of a new team (still forming: its group comes
	// later), with no mentor when none was free.
	TeamFormed(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem
	// TeamJoined is told of late joiners added to a team.
	TeamJoined(t *multaque.Team, joined []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem
	// MentorAssigned is told when a team that had no mentor gets one.
	MentorAssigned(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem
}

// Runner runs matching passes: it takes a snapshot in one read
// transaction, plans, and applies each decision in its own write
// transaction. Passes never overlap, whether started by cron or by a
// coordinator.
type Runner struct {
	Store    Store
	Catalog  Catalog
	Notifier Notifier
	// Rules overrides the catalogue's team sizes per project (coordinators'
	// thresholds); nil uses the catalogue's.
	Rules func() map[string]Rules
	// PoolAfter: see Snapshot.PoolAfter.
	PoolAfter time.Duration
	// Formed, if set, is called after a pass that changed teams, to wake
	// whoever provisions them.
	Formed func()
	Logger zerolog.Logger
	Now    func() time.Time

	mu sync.Mutex
}

// tree is the part of the catalogue's tree one pass needs: the parents of
// the communities it reads and of their ancestors. Asking the catalogue for
// those few, rather than copying the parents of every community, keeps a
// pass over 100,000 communities from holding a map of all of them.
type tree struct {
	cat     Catalog
	parents map[string]string // Snapshot.Parents
	known   map[string]bool   // communities whose ancestors are in parents
}

// add records the ancestors of community c and returns them, nearest first.
func (t *tree) add(c string) []string {
	if t.known[c] {
		var up []string
		for p, ok := t.parents[c]; ok; p, ok = t.parents[p] {
			up = append(up, p)
		}
		return up
	}
	up := t.cat.Ancestors(c)
	t.known[c] = true
	for _, p := range up {
		t.parents[c] = p
		c = p
		t.known[c] = true
	}
	return up
}

// Report says what a pass did.
type Report struct {
	Formed   []string // ids of the new teams
	Joined   int      // people added to open teams
	Assigned int      // mentors given to teams that had none
	// JoinedTeams and AssignedTeams name the teams behind Joined and
	// Assigned, in the order the pass changed them.
	JoinedTeams   []TeamJoined
	AssignedTeams []string
	// Skipped counts decisions that no longer held when applied; a later
	// pass plans again from what is then true.
	Skipped int
	// NoMentor counts new teams that formed without a mentor.
	NoMentor int
	Took     time.Duration
}

// TeamJoined is an open team a pass added people to.
type TeamJoined struct {
	Team  string // its id
	Added int    // how many people the pass added
}

// Run makes one pass.
func (r *Runner) Run(ctx context.Context) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	start := time.Now()
	snap, err := r.snapshot(ctx, now)
	if err != nil {
		return Report{}, fmt.Errorf("matching snapshot: %w", err)
	}
	var rep Report
	for _, d := range Plan(snap) {
		if err := r.apply(ctx, d, now, &rep); err != nil {
			if multaque.ErrorCode(err) == multaque.ECONFLICT || multaque.ErrorCode(err) == multaque.ENOTFOUND {
				rep.Skipped++
				continue
			}
			return rep, fmt.Errorf("apply %s: %w", d.Kind, err)
		}
	}
	rep.Took = time.Since(start)
	r.Logger.Info().Int("formed", len(rep.Formed)).Int("joined", rep.Joined).Int("assigned", rep.Assigned).
		Int("skipped", rep.Skipped).Int("no_mentor", rep.NoMentor).Dur("took", rep.Took).Msg("matching pass")
	if r.Formed != nil && (len(rep.Formed) > 0 || rep.Joined > 0 || rep.Assigned > 0) {
		r.Formed()
	}
	return rep, nil
}

func (r *Runner) apply(ctx context.Context, d Decision, now time.Time, rep *Report) error {
	people := append([]int64{d.Mentor}, d.Members...)
	if d.Team != "" {
		// A team's existing members and mentor may be written to as well.
		if t, err := r.teamPeople(ctx, d.Team); err == nil {
			people = append(people, t...)
		}
	}
	langs, err := r.Store.Languages(ctx, people)
	if err != nil {
		return err
	}
	switch d.Kind {
	case FormTeam:
		t := multaque.Team{Community: d.Community, Project: d.Project, Mentor: d.Mentor}
		for _, m := range d.Members {
			t.Members = append(t.Members, multaque.TeamMember{Citizen: m})
		}
		formed, err := r.Store.FormTeam(ctx, t, now, func(t *multaque.Team) []multaque.OutboxItem {
			return r.Notifier.TeamFormed(t, langs)
		})
		if err != nil {
			return err
		}
		rep.Formed = append(rep.Formed, formed.ID)
		if formed.Mentor == 0 {
			rep.NoMentor++
		}
	case JoinTeam:
		var joined []int64
		_, err := r.Store.JoinTeam(ctx, d.Team, d.Members, now, func(t *multaque.Team) []multaque.OutboxItem {
			joined = joined[:0]
			for _, m := range d.Members {
				if t.HasMember(m) {
					joined = append(joined, m)
				}
			}
			return r.Notifier.TeamJoined(t, joined, langs)
		})
		if err != nil {
			return err
		}
		if len(joined) > 0 {
			rep.Joined += len(joined)
			rep.JoinedTeams = append(rep.JoinedTeams, TeamJoined{Team: d.Team, Added: len(joined)})
		}
	case AssignMentor:
		if _, err := r.Store.AssignMentor(ctx, d.Team, d.Mentor, now, func(t *multaque.Team) []multaque.OutboxItem {
			return r.Notifier.MentorAssigned(t, langs)
		}); err != nil {
			return err
		}
		rep.Assigned++
		rep.AssignedTeams = append(rep.AssignedTeams, d.Team)
	default:
		return errors.New("unknown decision")
	}
	return nil
}

// queuesToRead picks the queues a pass must read in full: those at critical
// mass, those with an open team to fill, and those old enough to be pooled
// at their parent, with every queue above them for the same project. Plan
// would leave every other queue as it is; the store finds these in indexes
// ordered by size and by age, so a pass reads a few pages however many
// people wait (see ForEachQueueDue).
func (r *Runner) queuesToRead(ctx context.Context, s *Snapshot, t *tree, open map[string]bool) ([]string, error) {
	selected := make(map[string]bool, len(open))
	for q := range open {
		selected[q] = true
	}
	least := math.MaxInt // the smallest critical mass: below it, only open teams and pooling matter
	for _, rules := range s.Projects {
		least = min(least, rules.MinTeam)
	}
	var poolCut time.Time // zero: no pooling
	if s.PoolAfter > 0 {
		poolCut = s.Now.Add(-s.PoolAfter)
	}
	err := r.Store.ForEachQueueDue(ctx, least, poolCut, func(q []byte, n int, oldest time.Time) error {
		i := bytes.IndexByte(q, '/')
		if i < 0 {
			return nil
		}
		rules, ok := s.Projects[string(q[i+1:])]
		if !ok {
			return nil
		}
		pool := !poolCut.IsZero() && !oldest.After(poolCut)
		if n < rules.MinTeam && !pool {
			return nil
		}
		selected[string(q)] = true
		if pool {
			project := string(q[i+1:])
			for _, a := range t.add(string(q[:i])) {
				selected[a+"/"+project] = true
			}
		}
		return nil
	})
	out := make([]string, 0, len(selected))
	for q := range selected {
		out = append(out, q)
	}
	// The order of the waiting index, whose keys go on with a '/'.
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(a+"/", b+"/") })
	return out, err
}

// teamPeople lists a team's members and mentor.
func (r *Runner) teamPeople(ctx context.Context, id string) ([]int64, error) {
	t, err := r.Store.Team(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []int64{t.Mentor}
	for _, m := range t.Members {
		out = append(out, m.Citizen)
	}
	return out, nil
}

// snapshot reads what a pass needs.
func (r *Runner) snapshot(ctx context.Context, now time.Time) (Snapshot, error) {
	s := Snapshot{Now: now, PoolAfter: r.PoolAfter, Projects: map[string]Rules{}}
	for _, p := range r.Catalog.Projects() {
		s.Projects[p.ID] = Rules{MinTeam: p.MinTeam, MaxTeam: p.MaxTeam}
	}
	if r.Rules != nil {
		for id, rules := range r.Rules() {
			s.Projects[id] = rules
		}
	}
	t := &tree{cat: r.Catalog, parents: map[string]string{}, known: map[string]bool{}}
	s.Parents = t.parents
	teams, err := r.Store.Teams(ctx)
	if err != nil {
		return s, err
	}
	load := map[int64]int{}
	open := map[string]bool{}
	for _, t := range teams {
		if t.Status == multaque.TeamClosed {
			continue
		}
		if t.Mentor != 0 {
			load[t.Mentor]++
		} else {
			mt := MentorlessTeam{ID: t.ID, Community: t.Community, Project: t.Project, CreatedAt: t.CreatedAt}
			for _, m := range t.Members {
				mt.Members = append(mt.Members, m.Citizen)
			}
			s.TeamsWithoutMentor = append(s.TeamsWithoutMentor, mt)
		}
		if rules, ok := s.Projects[t.Project]; ok && t.Open(rules.MaxTeam) {
			s.OpenTeams = append(s.OpenTeams, OpenTeam{ID: t.ID, Community: t.Community, Project: t.Project, Size: len(t.Members), Mentor: t.Mentor, Left: t.Left, CreatedAt: t.CreatedAt})
			open[t.Community+"/"+t.Project] = true
		}
	}
	queues, err := r.queuesToRead(ctx, &s, t, open)
	if err != nil {
		return s, err
	}
	err = r.Store.ForEachWaitingIn(ctx, queues, func(community, project string, since time.Time, citizen int64) error {
		s.Waiting = append(s.Waiting, Waiter{Citizen: citizen, Community: community, Project: project, Since: since})
		return nil
	})
	if err != nil {
		return s, err
	}
	// Plan walks up from the communities of the people it places (a pooled
	// queue's parent is among their ancestors) and of the teams it gives
	// people or a mentor to.
	for i, w := range s.Waiting {
		if i == 0 || w.Community != s.Waiting[i-1].Community {
			t.add(w.Community)
		}
	}
	for _, o := range s.OpenTeams {
		t.add(o.Community)
	}
	for _, m := range s.TeamsWithoutMentor {
		t.add(m.Community)
	}
	mentors, err := r.Store.Mentors(ctx)
	if err != nil {
		return s, err
	}
	for _, m := range mentors {
		s.Mentors = append(s.Mentors, MentorLoad{ID: m.ID, Projects: m.Projects, Communities: m.Communities, Capacity: m.Capacity, Load: load[m.ID], Paused: m.Paused})
	}
	return s, nil
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Schedule starts running passes on a standard cron spec ("*/5 * * * *").
// A pass still running when the next is due makes that one skip; a panic in
// a pass is logged and recovered. Stop the returned cron to end it.
func (r *Runner) Schedule(ctx context.Context, spec string) (*cron.Cron, error) {
	logger := cronLogger{r.Logger}
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	_, err := c.AddFunc(spec, func() {
		if _, err := r.Run(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error().Err(err).Msg("matching pass failed")
		}
	})
	if err != nil {
		return nil, fmt.Errorf("matching.schedule %q: %w", spec, err)
	}
	c.Start()
	return c, nil
}

// cronLogger gives cron's log lines to zerolog.
type cronLogger struct{ log zerolog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug().Fields(kv).Msg("cron: " + msg)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}

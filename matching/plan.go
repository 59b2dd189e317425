package matching

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Plan decides what one matching pass changes. It is pure and deterministic:
// the same snapshot, in any order, gives the same decisions.
//
// People wait in queues, one per community and project, in order of Since
// (ties by citizen id). Queues are handled deepest community first, so that
// a neighbourhood's queue is settled before its district's. In each queue:
//
//  1. Late joiners fill the open teams of that community and project, oldest
//     team first, up to the project's MaxTeam. Nobody joins a team they
//     left (OpenTeam.Left): they keep their place for the next team.
//  2. Then, if at least MinTeam people are left, they form new teams. With
//     N people, k = min(⌈N/MaxTeam⌉, ⌊N/MinTeam⌋) teams form: every team
//     between MinTeam and MaxTeam, sizes as even as possible (the first
//     teams, who waited longest, get one more), and as many people placed
//     as possible. When the N people cannot all be split into teams of at
//     least MinTeam (MaxTeam < 2·MinTeam-1 makes that possible: 8-9 with
//     N=10), k full teams of MaxTeam form and the newest people keep
//     waiting. So 16 with 8-15 gives 8+8, 31 gives 11+10+10, 30 gives
//     15+15, and 10 with 8-9 gives 9, one left waiting.
//  3. Whoever is left is below MinTeam. If PoolAfter is set and the oldest
//     of them has waited at least PoolAfter, they all move to the parent
//     community's queue for the project, in the same pass, keeping their
//     places; there they fill the parent's open teams or form teams with
//     the parent's own people and those pooled from its other children, and
//     may move up again, to the root.
//
// A citizen is placed at most once per project: a repeat of someone in the
// input is ignored. Existing teams without a mentor get one first, oldest
// team first; then new teams, the one whose first member waited longest
// first. A mentor is eligible for a team when not paused, below capacity,
// mentoring the project, covering the team's community or one of its
// ancestors (or everywhere), and not a member of the team; the one with the
// lowest Load/Capacity wins, ties by lower Load then lower id, and each
// decision counts in the load of the next. A new team with no eligible
// mentor forms with Mentor 0.
//
// Decisions come in this order: AssignMentor, then per queue in the order
// it was handled, its JoinTeam then its FormTeam decisions. Entries of
// OpenTeams, TeamsWithoutMentor and Mentors whose id appears twice are
// inconsistent and left alone.
func Plan(s Snapshot) []Decision {
	p := newPlanner(&s)
	p.assignMentorless()
	if !p.scan() {
		// The queues are not grouped in index order: sort a copy. The order
		// within a queue does not matter here; process sorts the queues
		// where it places people.
		p.reset()
		ws := slices.Clone(s.Waiting)
		slices.SortFunc(ws, func(a, b Waiter) int {
			return cmpQueueKey(a.Community, a.Project, b.Community, b.Project)
		})
		p.waiting = ws
		p.scan()
	}
	for d := len(p.levels) - 1; d >= 0; d-- {
		for _, b := range p.levels[d].ordered() {
			p.process(b)
		}
	}
	p.mentorFormed()
	return p.out
}

// planner holds the state of one Plan call.
type planner struct {
	s        *Snapshot
	minTeam  int              // the smallest critical mass of all projects
	projects map[string]int32 // project id → a small number for placed
	pooling  bool
	cutoff   time.Time // a queue whose oldest person came at or before it is pooled

	waiting []Waiter   // s.Waiting, or a copy grouped by queue
	open    []OpenTeam // usable open teams by queue, oldest first

	scanned []*bucket            // queues the scan kept, in index order
	targets map[queueKey]*bucket // queues pooled into so far: parents are few
	levels  []level              // queues to handle, by depth of their community
	anc     map[string][]string
	placed  []map[int64]struct{} // by project number: who has a team for it
	// assigned holds the mentors given to existing teams in this pass, so
	// that they are not made members of the same team.
	assigned map[string]int64

	mentors []mentorState
	scope   map[scopeKey][]int32 // (project, community or "") → indexes in mentors

	out    []Decision
	formed []formedTeam

	queue  []int32 // scratch for process
	ids    []int64 // scratch for dedupe
	except []int64 // scratch for process
}

// bucket is one queue that Plan handles: people of one community waiting
// for one project, and those pooled into it from the communities below.
// People are indexes in planner.waiting: pooling moves 4 bytes, not a
// Waiter (a snapshot of 2³¹ waiters would take 128 GiB, so int32 is enough).
type bucket struct {
	community, project string
	projectNo          int32
	rules              Rules
	depth              int
	lo, hi             int32      // own people: planner.waiting[lo:hi]
	pooled             []int32    // people moved up from children
	open               []OpenTeam // a run of planner.open
}

// level holds the queues of one depth: those the scan kept, already in
// index order, and those pooling brought in, in any order.
type level struct {
	scanned, created []*bucket
}

// ordered returns the queues of l in index order.
func (l level) ordered() []*bucket {
	if len(l.created) == 0 {
		return l.scanned
	}
	byKey := func(a, b *bucket) int { return cmpQueueKey(a.community, a.project, b.community, b.project) }
	slices.SortFunc(l.created, byKey)
	out := make([]*bucket, 0, len(l.scanned)+len(l.created))
	i, j := 0, 0
	for i < len(l.scanned) && j < len(l.created) {
		if byKey(l.scanned[i], l.created[j]) < 0 {
			out = append(out, l.scanned[i])
			i++
		} else {
			out = append(out, l.created[j])
			j++
		}
	}
	out = append(out, l.scanned[i:]...)
	return append(out, l.created[j:]...)
}

type queueKey struct{ community, project string }

type scopeKey struct{ project, community string }

type mentorState struct {
	id             int64
	capacity, load int
}

// formedTeam is a FormTeam decision waiting for its mentor.
type formedTeam struct {
	at    int       // index in planner.out
	since time.Time // when its first member started waiting
}

func newPlanner(s *Snapshot) *planner {
	p := &planner{
		s:        s,
		minTeam:  math.MaxInt,
		projects: make(map[string]int32, len(s.Projects)),
		pooling:  s.PoolAfter > 0,
		cutoff:   s.Now.Add(-s.PoolAfter),
		waiting:  s.Waiting,
		anc:      make(map[string][]string),
		assigned: make(map[string]int64),
		scope:    make(map[scopeKey][]int32),
	}
	for id, r := range s.Projects {
		if r.Valid() {
			p.minTeam = min(p.minTeam, r.MinTeam)
			p.projects[id] = int32(len(p.projects)) // any numbering: only compared for equality
		}
	}
	p.placed = make([]map[int64]struct{}, len(p.projects))
	p.reset()
	p.open = p.openTeams()
	p.indexMentors()
	return p
}

// reset forgets the queues found by a scan.
func (p *planner) reset() {
	p.scanned = nil
	p.targets = make(map[queueKey]*bucket)
	p.levels = nil
}

// rules returns the usable rules of project.
func (p *planner) rules(project string) (Rules, bool) {
	r, ok := p.s.Projects[project]
	return r, ok && r.Valid()
}

// openTeams returns the open teams that can take someone, grouped by queue
// in index order, oldest first within a queue.
func (p *planner) openTeams() []OpenTeam {
	teams := dropRepeated(p.s.OpenTeams, func(t OpenTeam) string { return t.ID })
	teams = slices.DeleteFunc(teams, func(t OpenTeam) bool {
		r, ok := p.rules(t.Project)
		return t.ID == "" || t.Size < 0 || !ok || t.Size >= r.MaxTeam
	})
	slices.SortFunc(teams, func(a, b OpenTeam) int {
		if c := cmpQueueKey(a.Community, a.Project, b.Community, b.Project); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return teams
}

// scan walks the waiting list once, community by community and queue by
// queue, and keeps the queues that may change: those at critical mass, with
// an open team, or old enough to be pooled. It returns false, having
// stopped, if the queues are not grouped in index order. It allocates
// nothing per person and looks a project up only for a queue at least as
// long as the smallest critical mass, next to an open team, or old: most
// queues of a large deployment are none of these.
func (p *planner) scan() bool {
	ws, open := p.waiting, p.open
	o := 0
	for i := 0; i < len(ws); {
		community := ws[i].Community
		for o < len(open) && cmpID(open[o].Community, community) < 0 {
			o++
		}
		end := o // open[o:end] are the open teams of community
		for end < len(open) && open[end].Community == community {
			end++
		}
		for i < len(ws) && ws[i].Community == community {
			project := ws[i].Project
			old := p.pooling && !ws[i].Since.After(p.cutoff)
			j := i + 1
			for ; j < len(ws) && ws[j].Project == project && ws[j].Community == community; j++ {
				if p.pooling && !old && !ws[j].Since.After(p.cutoff) {
					old = true
				}
			}
			if j < len(ws) {
				next := &ws[j]
				if next.Community == community && cmpID(project, next.Project) > 0 ||
					next.Community != community && cmpID(community, next.Community) > 0 {
					return false
				}
			}
			if j-i >= p.minTeam || o < end || old {
				r, ok := p.rules(project)
				if ok && (j-i >= r.MinTeam || hasTeamFor(open[o:end], project) || old && p.s.Parents[community] != "") {
					p.addBucket(community, project, r, i, j, false)
				}
			}
			i = j
		}
		o = end
	}
	return true
}

// hasTeamFor reports whether one of open is a team of project.
func hasTeamFor(open []OpenTeam, project string) bool {
	for i := range open {
		if open[i].Project == project {
			return true
		}
	}
	return false
}

// addBucket registers the queue of community for project, whose own people
// are waiting[lo:hi]; created says that pooling, not the scan, found it.
func (p *planner) addBucket(community, project string, r Rules, lo, hi int, created bool) *bucket {
	b := &bucket{
		community: community,
		project:   project,
		projectNo: p.projects[project],
		rules:     r,
		depth:     len(p.ancestors(community)),
		lo:        int32(lo),
		hi:        int32(hi),
		open:      findRun(p.open, community, project, func(t OpenTeam) (string, string) { return t.Community, t.Project }),
	}
	for len(p.levels) <= b.depth {
		p.levels = append(p.levels, level{})
	}
	l := &p.levels[b.depth]
	if created {
		l.created = append(l.created, b)
	} else {
		p.scanned = append(p.scanned, b)
		l.scanned = append(l.scanned, b)
	}
	return b
}

// bucketFor returns the queue of community for project, registering it
// with its own people if neither the scan nor pooling did yet.
func (p *planner) bucketFor(community, project string, r Rules) *bucket {
	k := queueKey{community, project}
	if b, ok := p.targets[k]; ok {
		return b
	}
	var b *bucket
	byKey := func(b *bucket) (string, string) { return b.community, b.project }
	if run := findRun(p.scanned, community, project, byKey); len(run) > 0 {
		b = run[0]
	} else {
		lo, hi := runBounds(p.waiting, community, project, func(w Waiter) (string, string) { return w.Community, w.Project })
		b = p.addBucket(community, project, r, lo, hi, true)
	}
	p.targets[k] = b
	return b
}

// findRun returns the run of xs, grouped by queue in index order, that
// belongs to the queue of community for project.
func findRun[T any](xs []T, community, project string, key func(T) (string, string)) []T {
	lo, hi := runBounds(xs, community, project, key)
	return xs[lo:hi:hi]
}

// runBounds returns where the run of findRun starts and ends.
func runBounds[T any](xs []T, community, project string, key func(T) (string, string)) (lo, hi int) {
	lo, found := slices.BinarySearchFunc(xs, queueKey{community, project}, func(x T, k queueKey) int {
		c, p := key(x)
		return cmpQueueKey(c, p, k.community, k.project)
	})
	if !found {
		return lo, lo
	}
	hi = lo + 1
	for hi < len(xs) {
		if c, p := key(xs[hi]); c != community || p != project {
			break
		}
		hi++
	}
	return lo, hi
}

// process settles one queue: late joiners, new teams, pooling.
func (p *planner) process(b *bucket) {
	ws := p.waiting
	if int(b.hi-b.lo)+len(b.pooled) < b.rules.MinTeam && len(b.open) == 0 {
		// Nobody can be placed here, even counting repeats: leave the queue
		// unsorted and only see whether it moves up. This is most queues
		// when everything is pooled.
		oldest := -1
		for i := b.lo; i < b.hi; i++ {
			if oldest < 0 || ws[i].Since.Before(ws[oldest].Since) {
				oldest = int(i)
			}
		}
		for _, i := range b.pooled {
			if oldest < 0 || ws[i].Since.Before(ws[oldest].Since) {
				oldest = int(i)
			}
		}
		if oldest >= 0 {
			if pb := p.poolTarget(b, ws[oldest].Since); pb != nil {
				for i := b.lo; i < b.hi; i++ {
					pb.pooled = append(pb.pooled, i)
				}
				pb.pooled = append(pb.pooled, b.pooled...)
			}
		}
		return
	}

	q := p.queue[:0]
	for i := b.lo; i < b.hi; i++ {
		q = append(q, i)
	}
	q = append(q, b.pooled...)
	byQueue := func(i, j int32) int { return cmpQueue(&ws[i], &ws[j]) }
	if !slices.IsSortedFunc(q, byQueue) {
		slices.SortFunc(q, byQueue)
	}
	p.queue = q[:0]
	q = p.dedupe(q, b.projectNo)

	for _, t := range b.open {
		if len(q) == 0 {
			break
		}
		// The input can name a mentor in both places only when it is
		// inconsistent; keep both out of the team then.
		except := p.except[:0]
		if t.Mentor != 0 {
			except = append(except, t.Mentor)
		}
		if m := p.assigned[t.ID]; m != 0 {
			except = append(except, m)
		}
		except = append(except, t.Left...) // who left it stays out of it
		p.except = except
		var members []int32
		members, q = p.takeExcept(q, b.rules.MaxTeam-t.Size, except)
		if len(members) > 0 {
			p.out = append(p.out, Decision{Kind: JoinTeam, Team: t.ID, Community: b.community, Project: b.project,
				Members: p.place(members, b.projectNo)})
		}
	}

	n := len(q)
	if k := min((n+b.rules.MaxTeam-1)/b.rules.MaxTeam, n/b.rules.MinTeam); k > 0 {
		total := min(n, k*b.rules.MaxTeam)
		size, bigger := total/k, total%k
		for t := range k {
			m := size
			if t < bigger {
				m++
			}
			p.formed = append(p.formed, formedTeam{at: len(p.out), since: ws[q[0]].Since})
			p.out = append(p.out, Decision{Kind: FormTeam, Community: b.community, Project: b.project,
				Members: p.place(q[:m], b.projectNo)})
			q = q[m:]
		}
	}

	if len(q) > 0 {
		if pb := p.poolTarget(b, ws[q[0]].Since); pb != nil {
			pb.pooled = append(pb.pooled, q...)
		}
	}
}

// poolTarget returns the parent's queue that the rest of b moves to when
// the oldest of them came at oldest, or nil if they stay.
func (p *planner) poolTarget(b *bucket, oldest time.Time) *bucket {
	if !p.pooling || oldest.After(p.cutoff) {
		return nil
	}
	parent := p.s.Parents[b.community]
	if parent == "" || len(p.ancestors(parent)) >= b.depth {
		return nil // a root, or a cycle in Parents
	}
	return p.bucketFor(parent, b.project, b.rules)
}

// dedupe drops from q, in queue order, the people already placed for the
// project in this pass and the repeats of a person, keeping their first
// place. Both come only from inconsistent input, so the common case costs a
// sort of ids and no map.
func (p *planner) dedupe(q []int32, project int32) []int32 {
	ws := p.waiting
	ids := p.ids[:0]
	for _, i := range q {
		ids = append(ids, ws[i].Citizen)
	}
	slices.Sort(ids)
	p.ids = ids
	repeats := false
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			repeats = true
			break
		}
	}
	placed := p.placed[project]
	if !repeats && len(placed) == 0 {
		return q
	}
	var seen map[int64]bool
	if repeats {
		seen = make(map[int64]bool)
	}
	keep := q[:0]
	for _, i := range q {
		c := ws[i].Citizen
		if _, done := placed[c]; done {
			continue
		}
		if repeats {
			if seen[c] {
				continue
			}
			seen[c] = true
		}
		keep = append(keep, i)
	}
	return keep
}

// takeExcept splits the first n people of q off, passing over the citizens
// in except (a team's mentors, who cannot also be its members): they keep
// their place at the head of the rest. It reorders q in place.
func (p *planner) takeExcept(q []int32, n int, except []int64) (taken, rest []int32) {
	ws := p.waiting
	end, took := 0, 0
	for ; end < len(q) && took < n; end++ {
		if !slices.Contains(except, ws[q[end]].Citizen) {
			took++
		}
	}
	if took == end {
		return q[:took], q[took:]
	}
	var passed []int32 // at most len(except): ids are unique in q
	k := 0
	for _, i := range q[:end] {
		if slices.Contains(except, ws[i].Citizen) {
			passed = append(passed, i)
		} else {
			q[k] = i
			k++
		}
	}
	copy(q[k:end], passed)
	return q[:took], q[took:]
}

// place records people as placed for project and returns their ids.
func (p *planner) place(people []int32, project int32) []int64 {
	placed := p.placed[project]
	if placed == nil {
		placed = make(map[int64]struct{})
		p.placed[project] = placed
	}
	ids := make([]int64, len(people))
	for k, i := range people {
		c := p.waiting[i].Citizen
		ids[k] = c
		placed[c] = struct{}{}
	}
	return ids
}

// ancestors returns the ancestors of community, parent first. A cycle in
// Parents (which the catalogue forbids) ends the walk instead of looping.
func (p *planner) ancestors(community string) []string {
	if a, ok := p.anc[community]; ok {
		return a
	}
	var a []string
	for x := p.s.Parents[community]; x != "" && x != community && !slices.Contains(a, x); x = p.s.Parents[x] {
		a = append(a, x)
	}
	p.anc[community] = a
	return a
}

// cmpQueue orders people in a queue: who came first, ties by citizen id.
func cmpQueue(a, b *Waiter) int {
	if c := a.Since.Compare(b.Since); c != 0 {
		return c
	}
	return cmp.Compare(a.Citizen, b.Citizen)
}

// cmpQueueKey orders queues as the store's waiting index does: by
// community, then project.
func cmpQueueKey(c1, p1, c2, p2 string) int {
	if c := cmpID(c1, c2); c != 0 {
		return c
	}
	return cmpID(p1, p2)
}

// cmpID compares a+"/" with b+"/" byte by byte without building them: the
// order of ids in the keys "community/project/…" of the waiting index. It
// differs from string order only when one id is a prefix of the other
// followed by a byte below '/', such as '-': "gracia-nord" < "gracia".
func cmpID(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	switch {
	case len(a) == len(b):
		return 0
	case len(a) < len(b):
		if b[n] >= '/' {
			return -1
		}
		return 1
	default:
		if a[n] >= '/' {
			return 1
		}
		return -1
	}
}

// dropRepeated returns a copy of xs without the entries whose id appears
// more than once: which of them is right cannot be told, and picking one by
// position would make the plan depend on the order of the input.
func dropRepeated[T any](xs []T, id func(T) string) []T {
	count := make(map[string]int, len(xs))
	for _, x := range xs {
		count[id(x)]++
	}
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if count[id(x)] == 1 {
			out = append(out, x)
		}
	}
	return out
}

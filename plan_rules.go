package multaque

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// PlanRules are the intervals of a team's kickoff: how long a team may stay
// quiet before it is nudged, and how often its mentor checks in.
type PlanRules struct {
	// Quiet: no step done and nothing decided for this long → a friendly
	// nudge in the group (to the coordinators if the team has no mentor).
	Quiet time.Duration
	// ToMentor: this much longer → the mentor, in private.
	ToMentor time.Duration
	// ToCoordinators: this much longer again → the coordinators who
	// oversee the team's community.
	ToCoordinators time.Duration
	// CheckInEvery: each mentor is asked how each of their teams does this
	// often.
	CheckInEvery time.Duration
}

// DefaultPlanRules are the intervals: 14 days quiet, 7 more, 7
// more; a check-in every 14 days.
func DefaultPlanRules() PlanRules {
	const day = 24 * time.Hour
	return PlanRules{Quiet: 14 * day, ToMentor: 7 * day, ToCoordinators: 7 * day, CheckInEvery: 14 * day}
}

// NudgeKind says what a nudge is and who gets it.
type NudgeKind string

// The nudges.
const (
	NudgeGroup        NudgeKind = "group"        // the team's group: the next open step
	NudgeMentor       NudgeKind = "mentor"       // the mentor, in private
	NudgeCoordinators NudgeKind = "coordinators" // the coordinators who oversee the team
	NudgeCheckIn      NudgeKind = "checkin"      // the mentor's periodic check-in
	NudgeOwnerEve     NudgeKind = "due-eve"      // a step's owner, the day before it is due
	NudgeOwnerDay     NudgeKind = "due-day"      // a step's owner, on the day
)

// Nudge is one message a plan calls for.
type Nudge struct {
	Kind NudgeKind
	At   time.Time // when it became due
	// Step and To: an owner's reminder, of that step, to that person.
	Step int
	To   int64
	// Period: a check-in's period (1 is the first CheckInEvery after the
	// plan was made).
	Period int
	// Key is the same for the same nudge whenever it is asked for, and
	// different for any other: the outbox's dedup key, so that a nudge is
	// sent once however often, and across however many restarts, Due is
	// asked.
	Key string
}

// Reminder hours: an owner is reminded at 09:00 UTC the day before a step
// is due and on the day.
const reminderHour = 9 * time.Hour

// Due says which nudges the plan calls for at now, oldest first, for a team
// whose mentor is mentor (0: none). It is pure: the caller sends each nudge
// it returns with its Key as the dedup key, so asking again returns the
// same nudges and sends nothing twice.
//
// The whole rule: only a team that is formed or started is nudged. Its
// quiet time counts from LastActivity. After Quiet, the group is nudged;
// after ToMentor more, the mentor; after ToCoordinators more, the
// coordinators. A team with no mentor goes to the coordinators at the first
// rung and stops there. Any activity starts a new quiet time (and new
// keys). A mentor is asked to check in at each CheckInEvery since the plan
// was made, unless they already answered that period. The owner of an open
// step with a due day is reminded at 09:00 UTC the day before (until the
// day's reminder is due) and on the day (until the day is over).
func (p *Plan) Due(now time.Time, mentor int64, r PlanRules) []Nudge {
	if !p.Open() {
		return nil
	}
	var out []Nudge
	quiet := p.LastActivity
	stamp := strconv.FormatInt(quiet.Unix(), 10)
	sent := 0
	if p.RungOf.Equal(quiet) {
		sent = p.Rung
	}
	rung := 0
	ladder := func(kind NudgeKind, at time.Time) {
		rung++
		if !now.Before(at) && rung > sent {
			out = append(out, Nudge{Kind: kind, At: at, Key: "nudge/" + p.Team + "/" + stamp + "/" + string(kind)})
		}
	}
	first := quiet.Add(r.Quiet)
	if r.Quiet > 0 {
		if mentor == 0 {
			ladder(NudgeCoordinators, first)
		} else {
			ladder(NudgeGroup, first)
			ladder(NudgeMentor, first.Add(r.ToMentor))
			ladder(NudgeCoordinators, first.Add(r.ToMentor+r.ToCoordinators))
		}
	}
	if mentor != 0 && r.CheckInEvery > 0 {
		if k := int(now.Sub(p.CreatedAt) / r.CheckInEvery); k >= 1 && k > p.Asked && !p.answered(k) {
			out = append(out, Nudge{Kind: NudgeCheckIn, Period: k, At: p.CreatedAt.Add(time.Duration(k) * r.CheckInEvery),
				Key: "checkin/" + p.Team + "/" + strconv.Itoa(k)})
		}
	}
	for _, s := range p.Steps {
		if s.Done || s.Owner == 0 || s.Due.IsZero() {
			continue
		}
		eve, day, over := s.Due.Add(reminderHour-24*time.Hour), s.Due.Add(reminderHour), s.Due.Add(24*time.Hour)
		key := "due/" + p.Team + "/" + strconv.Itoa(s.ID) + "/" + s.Due.Format("20060102") + "/"
		switch {
		case !now.Before(day) && now.Before(over):
			out = append(out, Nudge{Kind: NudgeOwnerDay, At: day, Step: s.ID, To: s.Owner, Key: key + "day"})
		case !now.Before(eve) && now.Before(day):
			out = append(out, Nudge{Kind: NudgeOwnerEve, At: eve, Step: s.ID, To: s.Owner, Key: key + "eve"})
		}
	}
	slices.SortStableFunc(out, func(a, b Nudge) int { return a.At.Compare(b.At) })
	return out
}

// Sent records that nudge n went out, so that Due does not return it
// again. Owners' reminders are kept from going twice by their keys alone:
// they fall within two days.
func (p *Plan) Sent(n Nudge) {
	switch n.Kind {
	case NudgeGroup, NudgeMentor, NudgeCoordinators:
		if !p.RungOf.Equal(p.LastActivity) {
			p.RungOf, p.Rung = p.LastActivity, 0
		}
		r := map[NudgeKind]int{NudgeGroup: 1, NudgeMentor: 2, NudgeCoordinators: 3}[n.Kind]
		if n.Kind == NudgeCoordinators && p.Rung == 0 {
			r = 1 // a team with no mentor: the coordinators are the first rung
		}
		p.Rung = max(p.Rung, r)
	case NudgeCheckIn:
		p.Asked = max(p.Asked, n.Period)
	}
}

func (p *Plan) answered(period int) bool {
	for _, c := range p.CheckIns {
		if c.Period == period {
			return true
		}
	}
	return false
}

// lastPlaybook is the position of the playbook's last step in the plan, 0
// if the plan has none.
func (p *Plan) lastPlaybook() int {
	last := 0
	for _, s := range p.Steps {
		last = max(last, s.Playbook)
	}
	return last
}

// Mark marks step id done by person at now and returns the stage it brought
// the team to, "" if the stage did not change: the first step done starts
// the team, the last playbook step launches it. It refuses (ECONFLICT) a
// step already done and any mark while the team is paused or dissolved.
func (p *Plan) Mark(id int, by int64, now time.Time) (Stage, error) {
	s, ok := p.Step(id)
	switch {
	case !ok:
		return "", Errorf(ENOTFOUND, "plan %s: no step %d", p.Team, id)
	case !p.Markable():
		return "", Errorf(ECONFLICT, "plan %s is %s", p.Team, p.Stage())
	case s.Done:
		return "", Errorf(ECONFLICT, "plan %s: step %d is done already", p.Team, id)
	}
	s.Done, s.DoneBy, s.DoneAt = true, by, now
	p.touch(now)
	var reached Stage
	if p.Stage() == StageFormed {
		reached = StageStarted
		p.Stages = append(p.Stages, StageChange{Stage: StageStarted, At: now})
	}
	if s.Playbook != 0 && s.Playbook == p.lastPlaybook() && p.Stage() != StageLaunched {
		reached = StageLaunched
		p.Stages = append(p.Stages, StageChange{Stage: StageLaunched, At: now})
	}
	return reached, nil
}

// Unmark marks step id not done. The stage stays: it is a recorded fact,
// changed only forwards by the steps (or by a decision).
func (p *Plan) Unmark(id int, now time.Time) error {
	s, ok := p.Step(id)
	switch {
	case !ok:
		return Errorf(ENOTFOUND, "plan %s: no step %d", p.Team, id)
	case !p.Markable():
		return Errorf(ECONFLICT, "plan %s is %s", p.Team, p.Stage())
	case !s.Done:
		return Errorf(ECONFLICT, "plan %s: step %d is not done", p.Team, id)
	}
	s.Done, s.DoneBy, s.DoneAt = false, 0, time.Time{}
	p.touch(now)
	return nil
}

// Add adds the team's own step at the end.
func (p *Plan) Add(text string, now time.Time) (*Step, error) {
	switch n := utf8.RuneCountInString(text); {
	case n == 0 || n > MaxStepText || !utf8.ValidString(text):
		return nil, Errorf(EINVALID, "plan %s: a step is 1-%d characters", p.Team, MaxStepText)
	case len(p.Steps) >= MaxPlanSteps:
		return nil, Errorf(ECONFLICT, "plan %s: %d steps already", p.Team, MaxPlanSteps)
	}
	id := 1
	for _, s := range p.Steps {
		id = max(id, s.ID+1)
	}
	p.Steps = append(p.Steps, Step{ID: id, Text: text})
	p.touch(now)
	return &p.Steps[len(p.Steps)-1], nil
}

// Assign gives step id an owner (0: none) and a due day (zero: none; else
// cut to its midnight UTC).
func (p *Plan) Assign(id int, owner int64, due time.Time, now time.Time) error {
	s, ok := p.Step(id)
	if !ok {
		return Errorf(ENOTFOUND, "plan %s: no step %d", p.Team, id)
	}
	if !due.IsZero() {
		due = due.UTC().Truncate(24 * time.Hour)
	}
	s.Owner, s.Due = owner, due
	p.touch(now)
	return nil
}

// Decide records a stage someone decided: launched (declared), paused or
// dissolved (with a reason), or started again after a pause. A dissolved
// team stays dissolved.
func (p *Plan) Decide(stage Stage, by int64, reason string, now time.Time) error {
	cur := p.Stage()
	switch {
	case cur == StageDissolved:
		return Errorf(ECONFLICT, "plan %s is dissolved", p.Team)
	case stage == cur:
		return Errorf(ECONFLICT, "plan %s is %s already", p.Team, stage)
	case utf8.RuneCountInString(reason) > MaxReasonText:
		return Errorf(EINVALID, "plan %s: a reason is at most %d characters", p.Team, MaxReasonText)
	case (stage == StagePaused || stage == StageDissolved) && reason == "":
		return Errorf(EINVALID, "plan %s: a pause or a dissolution needs a reason", p.Team)
	case stage == StageFormed || !validStage(stage):
		return Errorf(EINVALID, "plan %s: %q cannot be decided", p.Team, stage)
	case stage == StageStarted && cur != StagePaused:
		return Errorf(ECONFLICT, "plan %s: only a paused team is started again", p.Team)
	case len(p.Stages) >= MaxStageHistory:
		return Errorf(ECONFLICT, "plan %s: too many changes of stage", p.Team)
	}
	p.Stages = append(p.Stages, StageChange{Stage: stage, At: now, By: by, Reason: reason})
	p.touch(now)
	return nil
}

// Met records that the team held its first meeting, which starts a team
// still formed (ECONFLICT otherwise: it started already, or is paused or
// dissolved).
func (p *Plan) Met(by int64, now time.Time) error {
	if p.Stage() != StageFormed {
		return Errorf(ECONFLICT, "plan %s is %s", p.Team, p.Stage())
	}
	p.Stages = append(p.Stages, StageChange{Stage: StageStarted, At: now, By: by})
	p.touch(now)
	return nil
}

// CheckIn records a mentor's check-in for period. It reports false, and
// changes nothing, if that period was answered already.
func (p *Plan) CheckIn(mentor int64, colour Colour, note string, period int, now time.Time) (bool, error) {
	if colour != Green && colour != Yellow && colour != Red {
		return false, Errorf(EINVALID, "plan %s: unknown colour %q", p.Team, colour)
	}
	if utf8.RuneCountInString(note) > MaxCheckInNote {
		return false, Errorf(EINVALID, "plan %s: a note is at most %d characters", p.Team, MaxCheckInNote)
	}
	if p.answered(period) {
		return false, nil
	}
	p.CheckIns = append(p.CheckIns, CheckIn{Mentor: mentor, At: now, Colour: colour, Note: note, Period: period})
	p.Version++
	return true, nil
}

// NoteCheckIn adds mentor's optional line to their check-in of period.
// ENOTFOUND if they gave none for that period; EINVALID for a line that is
// empty or too long.
func (p *Plan) NoteCheckIn(mentor int64, period int, note string) (*CheckIn, error) {
	if n := utf8.RuneCountInString(note); n == 0 || n > MaxCheckInNote || !utf8.ValidString(note) {
		return nil, Errorf(EINVALID, "plan %s: a note is 1-%d characters", p.Team, MaxCheckInNote)
	}
	for i := range p.CheckIns {
		if c := &p.CheckIns[i]; c.Period == period && c.Mentor == mentor {
			c.Note = note
			p.Version++
			return c, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "plan %s: no check-in of period %d", p.Team, period)
}

func (p *Plan) touch(now time.Time) {
	p.Version++
	p.LastActivity = now
}

package multaque

import (
	"time"
	"unicode/utf8"
)

// Plan is a team's kickoff plan: the project's playbook made the team's
// shared checklist, the steps the team added, who marked each and when, and
// the stages the team went through. It is shown in the team's group as one
// pinned message that the bot edits in place.
type Plan struct {
	Team string `json:"team"`
	// Chat is the team's group the plan's message is in; Message is that
	// message's id, 0 until it is posted (or after it was found deleted).
	Chat    int64 `json:"chat,omitempty"`
	Message int   `json:"message,omitempty"`
	// Version grows with every change to what the message shows; Shown is
	// the version the message shows. Shown < Version: an edit is owed.
	Version int    `json:"version"`
	Shown   int    `json:"shown,omitempty"`
	Steps   []Step `json:"steps"`
	// Stages is the history of the team's stage, oldest first; the first is
	// always StageFormed, made with the plan.
	Stages []StageChange `json:"stages"`
	// LastActivity is when a step was last marked, undone or added, or the
	// stage last changed: the quiet time of the nudges counts from it.
	LastActivity time.Time `json:"last_activity"`
	// Rung is how many rungs of the nudges' ladder were sent for the quiet
	// time that began at RungOf (see Due); Asked is the last check-in
	// period the mentor was asked about. They keep a nudge from going twice
	// even after the outbox forgot its dedup key.
	Rung   int       `json:"rung,omitempty"`
	RungOf time.Time `json:"rung_of,omitzero"`
	Asked  int       `json:"asked,omitempty"`
	// CheckIns are the mentor's check-ins, oldest first.
	CheckIns  []CheckIn `json:"check_ins,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Step is one step of a plan: one of the project's playbook (Playbook, its
// position from 1; the text is the catalogue's, in each reader's language)
// or one the team added (Text, as typed).
type Step struct {
	ID       int    `json:"id"` // from 1, never reused within a plan
	Playbook int    `json:"playbook,omitempty"`
	Text     string `json:"text,omitempty"`
	Done     bool   `json:"done,omitempty"`
	// DoneBy is who marked the step done (0 once they asked to be
	// forgotten: the step stays done); DoneAt is when.
	DoneBy int64     `json:"done_by,omitempty"`
	DoneAt time.Time `json:"done_at,omitzero"`
	// Owner is the member who takes the step on, 0 if none; Due is the day
	// it is due (midnight UTC), zero if none.
	Owner int64     `json:"owner,omitempty"`
	Due   time.Time `json:"due,omitzero"`
}

// Stage is where a team is in starting its project.
type Stage string

// The stages: formed → started (the first step done, or the first meeting
// held: Plan.Met) → launched (the last playbook step done, or the mentor
// declares it); paused or dissolved by the mentor or a coordinator, with a
// reason.
const (
	StageFormed    Stage = "formed"
	StageStarted   Stage = "started"
	StageLaunched  Stage = "launched"
	StagePaused    Stage = "paused"
	StageDissolved Stage = "dissolved"
)

// Stages lists the stages in the order reports show them.
var Stages = []Stage{StageFormed, StageStarted, StageLaunched, StagePaused, StageDissolved}

// StageChange is one change of a team's stage.
type StageChange struct {
	Stage Stage     `json:"stage"`
	At    time.Time `json:"at"`
	// By is who decided it (0: the steps did, or they were forgotten);
	// Reason is theirs, for a pause or a dissolution.
	By     int64  `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Colour is a mentor's check-in: on track, needs help, stuck.
type Colour string

// The check-in colours.
const (
	Green  Colour = "green"
	Yellow Colour = "yellow"
	Red    Colour = "red"
)

// CheckIn is a mentor's check-in on a team.
type CheckIn struct {
	Mentor int64     `json:"mentor,omitempty"` // 0 once they were forgotten
	At     time.Time `json:"at"`
	Colour Colour    `json:"colour"`
	Note   string    `json:"note,omitempty"`
	// Period is the check-in period it answers (see Plan.Due), so that a
	// second answer to one request counts once.
	Period int `json:"period"`
}

// Limits of a plan.
const (
	MaxPlanSteps    = 30  // steps in a plan: buttons under one message
	MaxStepText     = 120 // characters of a team's own step
	MaxReasonText   = 200 // characters of a pause's or a dissolution's reason
	MaxCheckInNote  = 300
	MaxStageHistory = 50
)

// NewPlan returns the plan of team made at now from a playbook of n steps:
// every step open, the team formed.
func NewPlan(team string, chat int64, n int, now time.Time) *Plan {
	p := &Plan{Team: team, Chat: chat, Version: 1, LastActivity: now, CreatedAt: now,
		Stages: []StageChange{{Stage: StageFormed, At: now}}}
	for i := range min(n, MaxPlanSteps) {
		p.Steps = append(p.Steps, Step{ID: i + 1, Playbook: i + 1})
	}
	return p
}

// Stage is the team's current stage.
func (p *Plan) Stage() Stage {
	if len(p.Stages) == 0 {
		return StageFormed
	}
	return p.Stages[len(p.Stages)-1].Stage
}

// Since is when the team reached its current stage.
func (p *Plan) Since() time.Time {
	if len(p.Stages) == 0 {
		return p.CreatedAt
	}
	return p.Stages[len(p.Stages)-1].At
}

// Step returns the step with that id.
func (p *Plan) Step(id int) (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

// Done counts the steps done.
func (p *Plan) Done() int {
	n := 0
	for _, s := range p.Steps {
		if s.Done {
			n++
		}
	}
	return n
}

// NextOpen is the first step not done, nil if every step is.
func (p *Plan) NextOpen() *Step {
	for i := range p.Steps {
		if !p.Steps[i].Done {
			return &p.Steps[i]
		}
	}
	return nil
}

// LastCheckIn is the mentor's latest check-in, nil if none.
func (p *Plan) LastCheckIn() *CheckIn {
	if len(p.CheckIns) == 0 {
		return nil
	}
	return &p.CheckIns[len(p.CheckIns)-1]
}

// Open reports whether the team still works towards its launch: formed or
// started. Only open teams are nudged.
func (p *Plan) Open() bool {
	s := p.Stage()
	return s == StageFormed || s == StageStarted
}

// Markable reports whether the plan's steps may be marked: not while the
// team is paused or dissolved. A launched team may still mark the steps
// that are left.
func (p *Plan) Markable() bool {
	s := p.Stage()
	return s != StagePaused && s != StageDissolved
}

// Validate checks a plan before it is stored.
func (p *Plan) Validate() error {
	switch {
	case p.Team == "" || len(p.Team) > MaxTeamIDLen:
		return Errorf(EINVALID, "plan: bad team id")
	case len(p.Steps) > MaxPlanSteps:
		return Errorf(EINVALID, "plan %s: over %d steps", p.Team, MaxPlanSteps)
	case len(p.Stages) == 0 || p.Stages[0].Stage != StageFormed:
		return Errorf(EINVALID, "plan %s: the stages must start formed", p.Team)
	case p.Shown > p.Version:
		return Errorf(EINVALID, "plan %s: shown version %d is ahead of %d", p.Team, p.Shown, p.Version)
	}
	seen := map[int]bool{}
	for _, s := range p.Steps {
		switch {
		case s.ID <= 0 || seen[s.ID]:
			return Errorf(EINVALID, "plan %s: step id %d repeated or not positive", p.Team, s.ID)
		case (s.Playbook == 0) == (s.Text == ""):
			return Errorf(EINVALID, "plan %s: step %d needs either a playbook position or a text", p.Team, s.ID)
		case utf8.RuneCountInString(s.Text) > MaxStepText || !utf8.ValidString(s.Text):
			return Errorf(EINVALID, "plan %s: step %d: text over %d characters", p.Team, s.ID, MaxStepText)
		case s.Done != !s.DoneAt.IsZero():
			return Errorf(EINVALID, "plan %s: step %d: done without a time, or a time without done", p.Team, s.ID)
		}
		seen[s.ID] = true
	}
	for _, c := range p.Stages {
		if !validStage(c.Stage) || utf8.RuneCountInString(c.Reason) > MaxReasonText {
			return Errorf(EINVALID, "plan %s: bad stage %q or reason too long", p.Team, c.Stage)
		}
	}
	for _, c := range p.CheckIns {
		if c.Colour != Green && c.Colour != Yellow && c.Colour != Red || utf8.RuneCountInString(c.Note) > MaxCheckInNote {
			return Errorf(EINVALID, "plan %s: bad check-in", p.Team)
		}
	}
	return nil
}

func validStage(s Stage) bool {
	for _, v := range Stages {
		if v == s {
			return true
		}
	}
	return false
}

// ForgetPerson removes person's name from the plan: the steps they marked
// stay done, the steps they owned lose their owner, their decisions and
// check-ins lose who made them (a check-in's note goes too). It reports
// whether anything changed.
func (p *Plan) ForgetPerson(person int64) bool {
	changed := false
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.DoneBy == person {
			s.DoneBy, changed = 0, true
		}
		if s.Owner == person {
			s.Owner, s.Due, changed = 0, time.Time{}, true
		}
	}
	for i := range p.Stages {
		if p.Stages[i].By == person {
			p.Stages[i].By, changed = 0, true
		}
	}
	for i := range p.CheckIns {
		if p.CheckIns[i].Mentor == person {
			p.CheckIns[i].Mentor, p.CheckIns[i].Note, changed = 0, "", true
		}
	}
	if changed {
		p.Version++
	}
	return changed
}

// Mentions reports whether the plan names person anywhere.
func (p *Plan) Mentions(person int64) bool {
	for _, s := range p.Steps {
		if s.DoneBy == person || s.Owner == person {
			return true
		}
	}
	for _, c := range p.Stages {
		if c.By == person {
			return true
		}
	}
	for _, c := range p.CheckIns {
		if c.Mentor == person {
			return true
		}
	}
	return false
}

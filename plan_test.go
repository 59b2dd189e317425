package multaque_test

import (
	"slices"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

const day = 24 * time.Hour

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func kinds(ns []multaque.Nudge) []multaque.NudgeKind {
	var out []multaque.NudgeKind
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

func TestPlanDue(t *testing.T) {
	r := multaque.DefaultPlanRules()
	const mentor = 77
	type K = multaque.NudgeKind
	G, M, C, CI, EVE, DAY := multaque.NudgeGroup, multaque.NudgeMentor, multaque.NudgeCoordinators, multaque.NudgeCheckIn, multaque.NudgeOwnerEve, multaque.NudgeOwnerDay
	due := t0.Add(40 * day).Truncate(day)
	tests := []struct {
		name   string
		change func(p *multaque.Plan)
		mentor int64
		at     time.Time
		want   []K
	}{
		{"new plan", nil, mentor, t0, nil},
		{"a day before the nudge", nil, mentor, t0.Add(13 * day), nil},
		{"quiet 14 days: the group, and the first check-in", nil, mentor, t0.Add(14 * day), []K{G, CI}},
		{"21 days: the mentor", nil, mentor, t0.Add(21 * day), []K{G, CI, M}},
		{"28 days: the coordinators", nil, mentor, t0.Add(28 * day), []K{G, M, C, CI}}, // the second period's check-in
		{"no mentor: the coordinators at once", nil, 0, t0.Add(14 * day), []K{C}},
		{"no mentor: no check-in, no second rung", nil, 0, t0.Add(40 * day), []K{C}},
		{"activity restarts the quiet time", func(p *multaque.Plan) { _, _ = p.Mark(1, 5, t0.Add(10*day)) }, mentor, t0.Add(20 * day), []K{CI}},
		{"check-in answered", func(p *multaque.Plan) { _, _ = p.CheckIn(mentor, multaque.Green, "", 1, t0.Add(15*day)) }, mentor, t0.Add(15 * day), []K{G}},
		{"launched: nothing", func(p *multaque.Plan) { _ = p.Decide(multaque.StageLaunched, mentor, "", t0) }, mentor, t0.Add(60 * day), nil},
		{"paused: nothing", func(p *multaque.Plan) { _ = p.Decide(multaque.StagePaused, mentor, "summer", t0) }, mentor, t0.Add(60 * day), nil},
		{"owner: before the eve", func(p *multaque.Plan) { _ = p.Assign(2, 5, due, t0.Add(35*day)) }, mentor, due.Add(-16 * time.Hour), nil},
		{"owner: the eve", func(p *multaque.Plan) { _ = p.Assign(2, 5, due, t0.Add(35*day)) }, mentor, due.Add(-14 * time.Hour), []K{EVE}},
		{"owner: the day", func(p *multaque.Plan) { _ = p.Assign(2, 5, due, t0.Add(35*day)) }, mentor, due.Add(10 * time.Hour), []K{DAY}},
		{"owner: the day after", func(p *multaque.Plan) { _ = p.Assign(2, 5, due, t0.Add(35*day)) }, mentor, due.Add(25 * time.Hour), nil},
		{"owner: step done", func(p *multaque.Plan) {
			_ = p.Assign(2, 5, due, t0.Add(35*day))
			_, _ = p.Mark(2, 5, t0.Add(36*day))
		}, mentor, due.Add(10 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := multaque.NewPlan("T1", -100, 4, t0)
			if tt.change != nil {
				tt.change(p)
			}
			got := p.Due(tt.at, tt.mentor, r)
			// The check-in periods of the owner cases are not under test.
			if tt.name[:5] == "owner" {
				got = slices.DeleteFunc(got, func(n multaque.Nudge) bool { return n.Kind == CI || n.Kind == G || n.Kind == M || n.Kind == C })
			}
			if !slices.Equal(kinds(got), tt.want) {
				t.Fatalf("Due=%v, want %v", kinds(got), tt.want)
			}
			if again := p.Due(tt.at, tt.mentor, r); !slices.Equal(keys(again), keys(p.Due(tt.at, tt.mentor, r))) {
				t.Fatalf("keys differ between two asks")
			}
		})
	}
}

func keys(ns []multaque.Nudge) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Key)
	}
	return out
}

func TestPlanDueKeysRenewWithActivity(t *testing.T) {
	r := multaque.DefaultPlanRules()
	p := multaque.NewPlan("T1", -100, 3, t0)
	first := p.Due(t0.Add(14*day), 9, r)
	if _, err := p.Add("Book a room", t0.Add(15*day)); err != nil {
		t.Fatal(err)
	}
	second := p.Due(t0.Add(29*day), 9, r)
	if len(first) == 0 || len(second) == 0 || first[0].Key == second[0].Key {
		t.Fatalf("keys %v then %v: a new quiet time must have new keys", keys(first), keys(second))
	}
}

func TestPlanMarkStages(t *testing.T) {
	tests := []struct {
		name  string
		marks []int
		want  multaque.Stage
		trail []multaque.Stage
	}{
		{"none", nil, multaque.StageFormed, []multaque.Stage{"formed"}},
		{"first step starts", []int{1}, multaque.StageStarted, []multaque.Stage{"formed", "started"}},
		{"the last playbook step launches", []int{2, 3}, multaque.StageLaunched, []multaque.Stage{"formed", "started", "launched"}},
		{"last step first: started and launched", []int{3}, multaque.StageLaunched, []multaque.Stage{"formed", "started", "launched"}},
		{"a launched team marks the steps left", []int{3, 1, 2}, multaque.StageLaunched, []multaque.Stage{"formed", "started", "launched"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := multaque.NewPlan("T1", -100, 3, t0)
			for i, id := range tt.marks {
				if _, err := p.Mark(id, 5, t0.Add(time.Duration(i)*time.Hour)); err != nil {
					t.Fatalf("Mark(%d): %v", id, err)
				}
			}
			var trail []multaque.Stage
			for _, c := range p.Stages {
				trail = append(trail, c.Stage)
			}
			if p.Stage() != tt.want || !slices.Equal(trail, tt.trail) {
				t.Fatalf("Stage=%s %v, want %s %v", p.Stage(), trail, tt.want, tt.trail)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPlanRefusals(t *testing.T) {
	p := multaque.NewPlan("T1", -100, 2, t0)
	if _, err := p.Mark(1, 5, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		code string
	}{
		{"mark twice", func() error { _, err := p.Mark(1, 6, t0); return err }, multaque.ECONFLICT},
		{"mark no step", func() error { _, err := p.Mark(9, 6, t0); return err }, multaque.ENOTFOUND},
		{"undo an open step", func() error { return p.Unmark(2, t0) }, multaque.ECONFLICT},
		{"empty step", func() error { _, err := p.Add("", t0); return err }, multaque.EINVALID},
		{"pause without reason", func() error { return p.Decide(multaque.StagePaused, 1, "", t0) }, multaque.EINVALID},
		{"decide formed", func() error { return p.Decide(multaque.StageFormed, 1, "x", t0) }, multaque.EINVALID},
		{"restart an unpaused team", func() error { return p.Decide(multaque.StageStarted, 1, "", t0) }, multaque.ECONFLICT},
		{"bad colour", func() error { _, err := p.CheckIn(1, "blue", "", 1, t0); return err }, multaque.EINVALID},
	}
	for _, tt := range tests {
		if err := tt.do(); multaque.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if err := p.Met(5, t0); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Errorf("a started team meets for the first time: %v, want ECONFLICT", err)
	}
	if err := p.Decide(multaque.StageDissolved, 1, "moved away", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Mark(2, 5, t0); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Errorf("mark in a dissolved team: %v, want ECONFLICT", err)
	}
	if err := p.Decide(multaque.StageStarted, 1, "", t0); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Errorf("a dissolved team is started again: %v", err)
	}
}

func TestPlanNoteCheckIn(t *testing.T) {
	p := multaque.NewPlan("T1", -100, 2, t0)
	_, _ = p.CheckIn(9, multaque.Red, "", 1, t0)
	tests := []struct {
		mentor int64
		period int
		note   string
		code   string
	}{
		{9, 1, "", multaque.EINVALID},
		{9, 1, string(make([]rune, multaque.MaxCheckInNote+1)), multaque.EINVALID},
		{9, 2, "no room", multaque.ENOTFOUND},
		{8, 1, "no room", multaque.ENOTFOUND},
		{9, 1, "no room", ""},
	}
	for _, tt := range tests {
		if _, err := p.NoteCheckIn(tt.mentor, tt.period, tt.note); multaque.ErrorCode(err) != tt.code {
			t.Errorf("NoteCheckIn(%d, %d, %d chars)=%v, want %q", tt.mentor, tt.period, len(tt.note), err, tt.code)
		}
	}
	if p.CheckIns[0].Note != "no room" {
		t.Errorf("note %q", p.CheckIns[0].Note)
	}
}

func TestPlanFirstMeetingStarts(t *testing.T) {
	p := multaque.NewPlan("T1", -100, 2, t0)
	if err := p.Met(5, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if p.Stage() != multaque.StageStarted || p.Stages[1].By != 5 || p.Done() != 0 || !p.LastActivity.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after the first meeting: %+v", p)
	}
}

func TestPlanForgetPerson(t *testing.T) {
	p := multaque.NewPlan("T1", -100, 2, t0)
	_, _ = p.Mark(1, 5, t0)
	_ = p.Assign(2, 5, t0.Add(day), t0)
	_, _ = p.CheckIn(5, multaque.Red, "they argue", 1, t0)
	if !p.Mentions(5) || !p.ForgetPerson(5) || p.Mentions(5) {
		t.Fatalf("the person is still named: %+v", p)
	}
	if s, _ := p.Step(1); !s.Done {
		t.Errorf("step 1 is no longer done: the step must stay done")
	}
	if p.CheckIns[0].Note != "" || p.CheckIns[0].Colour != multaque.Red {
		t.Errorf("check-in %+v: the note goes, the colour stays", p.CheckIns[0])
	}
	if p.ForgetPerson(5) {
		t.Errorf("a second forget changed something")
	}
}

func TestPlanSentNudgesAreNotDueAgain(t *testing.T) {
	r := multaque.DefaultPlanRules()
	for _, mentor := range []int64{0, 9} {
		p := multaque.NewPlan("T1", -100, 3, t0)
		var sent []multaque.NudgeKind
		for d := 0; d <= 60; d++ {
			for _, n := range p.Due(t0.Add(time.Duration(d)*day), mentor, r) {
				p.Sent(n)
				sent = append(sent, n.Kind)
			}
		}
		want := []multaque.NudgeKind{multaque.NudgeCoordinators}
		if mentor != 0 {
			want = []multaque.NudgeKind{"group", "checkin", "mentor", "coordinators", "checkin", "checkin", "checkin"}
		}
		if !slices.Equal(sent, want) {
			t.Errorf("mentor %d: sent %v over 60 days, want %v", mentor, sent, want)
		}
	}
}

package bot

// The plans' runner: it gives each active team its plan (posted in its
// group and pinned), keeps each plan's message showing the plan as stored,
// and sends what the plans call for (plan_nudges.go). Its state is the
// store's: a restart loses no tick (a plan whose message shows an older
// version is edited on the next pass) and sends no nudge twice.

import (
	"context"
	"sync"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// PlanOptions configure RunPlans. Zero fields take the defaults named.
type PlanOptions struct {
	// Every is how often the plans are looked at: new teams given theirs,
	// messages brought up to date, nudges sent. Default 15s, which is how
	// long a new team's group may wait for its plan.
	Every time.Duration
	// Debounce is how long after a tap the plan's message is edited, so
	// that a burst of taps makes one edit. Default 2s.
	Debounce time.Duration
	// Rules are the nudges' and check-ins' intervals. Zero fields take
	// multaque.DefaultPlanRules.
	Rules multaque.PlanRules
}

// planEditor folds the changes of a plan that come close together into
// one edit of its message: the first change schedules an edit Debounce
// later; changes until it runs join it; changes while it runs schedule one
// more.
type planEditor struct {
	mu      sync.Mutex
	ctx     context.Context // RunPlans's; nil while it does not run
	state   map[string]*editState
	running sync.WaitGroup
}

type editState struct{ scheduled, editing, again bool }

// RunPlans runs the plans' runner until ctx is done, and then returns nil
// once the edits under way are over. Nothing else edits the plans'
// messages: without it taps are stored and answered but the pinned plans
// do not change. A pass that fails is logged and the next one tries again.
func (b *Bot) RunPlans(ctx context.Context, o PlanOptions) error {
	pl := b.plans
	if o.Every <= 0 {
		o.Every = 15 * time.Second
	}
	if o.Debounce > 0 {
		pl.debounce = o.Debounce
	}
	pl.rules = mergeRules(o.Rules)
	ed := &pl.editor
	ed.mu.Lock()
	ed.ctx, ed.state = ctx, map[string]*editState{}
	ed.mu.Unlock()
	defer func() {
		ed.mu.Lock()
		ed.ctx = nil
		ed.mu.Unlock()
		ed.running.Wait()
	}()
	log := pl.rootLog.With().Str("component", "plans").Logger()
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		if err := pl.pass(ctx); err != nil && ctx.Err() == nil {
			log.Error().Err(pl.wire.Redact(err)).Msg("plans pass")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// PlanPass makes one pass of the plans' runner now (see RunPlans), with
// the rules RunPlans was given (the defaults before).
func (b *Bot) PlanPass(ctx context.Context) error { return b.plans.pass(ctx) }

func mergeRules(r multaque.PlanRules) multaque.PlanRules {
	d := multaque.DefaultPlanRules()
	if r.Quiet > 0 {
		d.Quiet = r.Quiet
	}
	if r.ToMentor > 0 {
		d.ToMentor = r.ToMentor
	}
	if r.ToCoordinators > 0 {
		d.ToCoordinators = r.ToCoordinators
	}
	if r.CheckInEvery > 0 {
		d.CheckInEvery = r.CheckInEvery
	}
	return d
}

// planChanged says that team's plan changed: its message is edited after
// the debounce, if the runner runs (else on its next pass).
func (b *plans) planChanged(team string) {
	ed := &b.editor
	ed.mu.Lock()
	defer ed.mu.Unlock()
	if ed.ctx == nil || ed.ctx.Err() != nil {
		return
	}
	st := ed.state[team]
	if st == nil {
		st = &editState{}
		ed.state[team] = st
	}
	switch {
	case st.editing:
		st.again = true
	case !st.scheduled:
		st.scheduled = true
		b.scheduleEdit(ed.ctx, team)
	}
}

// scheduleEdit edits team's message after the debounce. ed.mu is held.
func (b *plans) scheduleEdit(ctx context.Context, team string) {
	ed := &b.editor
	ed.running.Add(1)
	go func() {
		defer ed.running.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.debounce):
		}
		ed.mu.Lock()
		st := ed.state[team]
		st.scheduled, st.editing = false, true
		ed.mu.Unlock()
		if err := b.refresh(ctx, team); err != nil && ctx.Err() == nil {
			b.log.Warn().Err(b.wire.Redact(err)).Str("team", team).Msg("edit plan")
		}
		ed.mu.Lock()
		defer ed.mu.Unlock()
		st.editing = false
		if st.again && ctx.Err() == nil {
			st.again, st.scheduled = false, true
			b.scheduleEdit(ctx, team)
		}
	}()
}

// refresh brings the message of team's plan up to date: edited in place,
// or posted (and pinned) anew if it has none or it is gone.
func (b *plans) refresh(ctx context.Context, team string) error {
	t, err := b.store.Team(ctx, team)
	if err != nil {
		return err
	}
	return b.show(ctx, t, false)
}

// show makes the message of t's plan show the plan as stored: an edit of
// it, or a new message pinned in its place when there is none, it is gone,
// or anew is set (/plan). One show of a team runs at a time, so that the
// runner and the editor never post one plan twice.
func (b *plans) show(ctx context.Context, t *multaque.Team, anew bool) error {
	mu, _ := b.showing.LoadOrStore(t.ID, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	p, err := b.store.Plan(ctx, t.ID)
	if err != nil {
		return err
	}
	if !anew && p.Message != 0 && p.Shown >= p.Version && p.Chat == t.Chat {
		return nil
	}
	in, err := b.info(ctx, t, p)
	if err != nil {
		return err
	}
	v := b.planView(in, p)
	msg := p.Message
	if p.Chat != t.Chat {
		msg = 0 // the team moved to another group
	}
	if msg != 0 && !anew {
		_, err := b.wire.Answer(ctx, v.outgoing(t.Chat, msg))
		class, _ := tg.Classify(err, t.Chat)
		switch class {
		case tg.OK, tg.NotModified:
			return b.shown(ctx, t, p.Version, msg)
		case tg.Refused: // deleted, or no longer editable: post it again
			msg = 0
		default:
			return err
		}
	}
	post := v.outgoing(t.Chat, 0)
	post.WantID = true // the plan's message is edited later
	id, err := b.wire.Answer(ctx, post)
	if err != nil {
		return err
	}
	err = b.wire.GroupCall(ctx, "pinChatMessage", map[string]any{"chat_id": t.Chat, "message_id": id, "disable_notification": true}, nil)
	if err != nil && !tg.IsNotModified(err) {
		// Unpinned is still shown and edited: the group's admins may pin it.
		b.log.Info().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("pin plan")
	}
	return b.shown(ctx, t, p.Version, id)
}

// shown records that message id of t's group shows version of its plan.
func (b *plans) shown(ctx context.Context, t *multaque.Team, version, id int) error {
	_, err := b.store.UpdatePlan(context.WithoutCancel(ctx), t.ID, b.now(), func(p *multaque.Plan) error {
		if p.Chat != t.Chat || p.Message != id {
			p.Chat, p.Message, p.Shown = t.Chat, id, 0
		}
		p.Shown = max(p.Shown, min(version, p.Version))
		return nil
	}, nil)
	return err
}

// pass gives each active team its plan, brings the messages up to date
// and sends what is due.
func (b *plans) pass(ctx context.Context) error {
	teams, err := b.store.Teams(ctx)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t.Status != multaque.TeamActive || t.Chat == 0 {
			continue
		}
		p, err := b.ensure(ctx, t)
		if err != nil {
			b.log.Warn().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("plan")
			continue
		}
		if p.Message == 0 || p.Shown < p.Version || p.Chat != t.Chat {
			if !b.editing(t.ID) {
				if err := b.show(ctx, t, false); err != nil {
					b.log.Warn().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("show plan")
				}
			}
		}
		if err := b.nudge(ctx, t, p); err != nil {
			b.log.Warn().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("nudge")
		}
	}
	return nil
}

// editing reports whether the editor has an edit of team's message under
// way or scheduled.
func (b *plans) editing(team string) bool {
	ed := &b.editor
	ed.mu.Lock()
	defer ed.mu.Unlock()
	st := ed.state[team]
	return st != nil && (st.scheduled || st.editing)
}

// ensure returns t's plan, made from its project's playbook if it has none.
func (b *plans) ensure(ctx context.Context, t *multaque.Team) (*multaque.Plan, error) {
	p, err := b.store.Plan(ctx, t.ID)
	if multaque.ErrorCode(err) != multaque.ENOTFOUND {
		return p, err
	}
	pr, _ := b.view.cat.Project(t.Project)
	p, _, err = b.store.CreatePlan(ctx, multaque.NewPlan(t.ID, t.Chat, len(pr.Playbook), b.now()))
	return p, err
}

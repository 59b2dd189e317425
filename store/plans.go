package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The plans bucket maps a team id to the team's kickoff plan as JSON
// (multaque.Plan). Its invariants: a plan is stored only for a team in the
// teams bucket and only once per team (CreatePlan keeps the first); every
// stored plan passes Plan.Validate; a change to a plan is one transaction
// with the outbox items it causes (a stage announced, a nudge, an alert)
// and with the Telegram update that caused it, so that an update delivered
// twice changes it once and a crash loses no tick. Plans name people (who
// marked a step, a step's owner, who decided a stage, the mentor of a
// check-in): ForgetCitizen takes their names out and keeps the rest.
//
// The plan_notes bucket maps a mentor's id (8 bytes) to the check-in that
// waits for their optional line (JSON: team, period, when); it makes
// Awaiting say AwaitCheckInNote, and goes with the line, or when they are
// forgotten.

// Plan returns the plan of team, or an ENOTFOUND error.
func (db *DB) Plan(ctx context.Context, team string) (*multaque.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Plan
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getPlan(tx, team)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", team, err)
	}
	return out, nil
}

// Plans returns every plan, in the order of their team ids' bytes.
func (db *DB) Plans(ctx context.Context) ([]*multaque.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*multaque.Plan
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPlans).ForEach(func(k, v []byte) error {
			p, err := decodePlan(string(k), v)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	return out, nil
}

// CreatePlan stores p, the first plan of its team, and returns it with
// true; if the team has one already it stores nothing and returns that one
// with false. ENOTFOUND if there is no such team.
func (db *DB) CreatePlan(ctx context.Context, p *multaque.Plan) (*multaque.Plan, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	var out *multaque.Plan
	var created bool
	err := db.update(ctx, func(tx *bolt.Tx) error {
		created = false
		if _, err := getTeam(tx, p.Team); err != nil {
			return err
		}
		cur, err := getPlan(tx, p.Team)
		if err == nil {
			out = cur
			return nil
		}
		if multaque.ErrorCode(err) != multaque.ENOTFOUND {
			return err
		}
		out, created = p, true
		return putPlan(tx, p)
	})
	if err != nil {
		return nil, false, fmt.Errorf("create plan %s: %w", p.Team, err)
	}
	return out, created, nil
}

// UpdatePlan applies fn to the plan of team and stores it, with the outbox
// items(plan), in one write transaction (with the update ctx carries, if
// any). ENOTFOUND if the team has no plan; fn's error aborts everything;
// EINVALID if the plan fn leaves does not pass Validate. The items are
// stamped with the store's clock, the Sender's, not with now (the caller's,
// which a test may have moved on): an item due at once goes at once.
func (db *DB) UpdatePlan(ctx context.Context, team string, _ time.Time, fn func(p *multaque.Plan) error, items func(p *multaque.Plan) []multaque.OutboxItem) (*multaque.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Plan
	err := db.update(ctx, func(tx *bolt.Tx) error {
		p, err := getPlan(tx, team)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return err
		}
		var its []multaque.OutboxItem
		if items != nil {
			its = items(p)
		}
		for i := range its {
			if err := checkOutboxItem(&its[i]); err != nil {
				return err
			}
		}
		if err := putPlan(tx, p); err != nil {
			return err
		}
		for i := range its {
			if _, err := enqueueTx(tx, &its[i], db.now()); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update plan %s: %w", team, err)
	}
	return out, nil
}

func getPlan(tx *bolt.Tx, team string) (*multaque.Plan, error) {
	data := tx.Bucket(bucketPlans).Get([]byte(team))
	if data == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "no plan for team %q", team)
	}
	return decodePlan(team, data)
}

func decodePlan(team string, data []byte) (*multaque.Plan, error) {
	var p multaque.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "plan %s: stored record is not valid JSON", team)
	}
	return &p, nil
}

func putPlan(tx *bolt.Tx, p *multaque.Plan) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode plan %s: %w", p.Team, err)
	}
	return tx.Bucket(bucketPlans).Put([]byte(p.Team), data)
}

// forgetInPlans takes the names of the people of erased out of every plan
// (personal.go: forgetHeld). The steps they marked stay done.
func forgetInPlans(tx *bolt.Tx, erased personSet) error {
	b := tx.Bucket(bucketPlans)
	var changed []*multaque.Plan
	err := b.ForEach(func(k, v []byte) error {
		p, err := decodePlan(string(k), v)
		if err != nil {
			return err
		}
		touched := false
		for id := range erased {
			if p.ForgetPerson(id) {
				touched = true
			}
		}
		if touched {
			changed = append(changed, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range changed {
		if err := putPlan(tx, p); err != nil {
			return err
		}
	}
	for id := range erased {
		if err := tx.Bucket(bucketPlanNotes).Delete(idKey(id)); err != nil {
			return err
		}
	}
	return nil
}

// pendingNote is a check-in waiting for its mentor's line.
type pendingNote struct {
	Team   string    `json:"team"`
	Period int       `json:"period"`
	At     time.Time `json:"at"`
}

// WaitCheckInNote records that mentor's check-in of team for period, made
// at at, waits for their optional line (replacing any other).
func (db *DB) WaitCheckInNote(ctx context.Context, mentor int64, team string, period int, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(pendingNote{Team: team, Period: period, At: at})
	if err != nil {
		return err
	}
	err = db.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketPlanNotes).Put(idKey(mentor), data) })
	if err != nil {
		return fmt.Errorf("wait check-in note %d: %w", mentor, err)
	}
	return nil
}

// TakeCheckInNote removes and returns the check-in that waits for
// mentor's line: its team, period and when it was made; ok is false if
// none waits.
func (db *DB) TakeCheckInNote(ctx context.Context, mentor int64) (team string, period int, at time.Time, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", 0, time.Time{}, false, err
	}
	var n pendingNote
	err = db.update(ctx, func(tx *bolt.Tx) error {
		ok = false
		b := tx.Bucket(bucketPlanNotes)
		v := b.Get(idKey(mentor))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &n); err != nil {
			return multaque.Errorf(multaque.EINTERNAL, "check-in note of %d: stored record is not valid JSON", mentor)
		}
		ok = true
		return b.Delete(idKey(mentor))
	})
	if err != nil {
		return "", 0, time.Time{}, false, fmt.Errorf("take check-in note %d: %w", mentor, err)
	}
	return n.Team, n.Period, n.At, ok, nil
}

// planMark is a step a person marked done, as their own data shows it.
type planMark struct {
	Team   string    `json:"team"`
	Step   int       `json:"step"`
	DoneAt time.Time `json:"done_at"`
}

// planCheckIn is a check-in a mentor gave, as their own data shows it.
type planCheckIn struct {
	Team   string          `json:"team"`
	At     time.Time       `json:"at"`
	Colour multaque.Colour `json:"colour"`
	Note   string          `json:"note,omitempty"`
}

// plansOf adds to pd the steps the person marked, those they own and the
// check-ins they gave (personal.go: PersonalData).
func plansOf(tx *bolt.Tx, id int64, pd *personalData) error {
	return tx.Bucket(bucketPlans).ForEach(func(k, v []byte) error {
		p, err := decodePlan(string(k), v)
		if err != nil {
			return err
		}
		for _, s := range p.Steps {
			if s.DoneBy == id {
				pd.StepsMarked = append(pd.StepsMarked, planMark{Team: p.Team, Step: s.ID, DoneAt: s.DoneAt})
			}
			if s.Owner == id {
				pd.StepsOwned = append(pd.StepsOwned, planMark{Team: p.Team, Step: s.ID, DoneAt: s.DoneAt})
			}
		}
		for _, c := range p.CheckIns {
			if c.Mentor == id {
				pd.CheckIns = append(pd.CheckIns, planCheckIn{Team: p.Team, At: c.At, Colour: c.Colour, Note: c.Note})
			}
		}
		return nil
	})
}

// checkPlans checks the plans bucket (check.go): each plan reads, passes
// Validate, is filed under its own team's id, and that team exists.
func (c *checker) checkPlans() {
	teams := c.tx.Bucket(bucketTeams)
	_ = c.tx.Bucket(bucketPlans).ForEach(func(k, v []byte) error {
		p, err := decodePlan(string(k), v)
		switch {
		case err != nil:
			c.add("plans: plan %s does not read", k)
		case p.Team != string(k):
			c.add("plans: plan %s is filed under %s", p.Team, k)
		case p.Validate() != nil:
			c.add("plans: plan %s: %v", k, p.Validate())
		case teams.Get(k) == nil:
			c.add("plans: plan %s belongs to no team", k)
		}
		return nil
	})
}

package bot

// The bot's rooms and how they are wired; routes.go says how an update
// reaches one.

import (
	"context"
	"sync"
	"time"
)

// rooms are the bot's rooms, one for each kind of person it serves. Each
// stands on the core and on the part of the store it declares, and knows
// only the rooms it hands work to.
type rooms struct {
	citizens   *citizens
	teams      *teams
	mentors    *mentors
	roles      *roles
	reports    *reports
	steering   *steering
	proposals  *proposals
	broadcasts *broadcasts
	decisions  *decisions
	plans      *plans   // plan.go: the teams' kickoff plans
	pledges    *pledges // pledges.go
}

// pledges is the room of teams' goals, pledges and match funds (issue 17):
// /goal, /pledge, /payinfo, /treasurer, /paid, the share link, the
// deadline, and the coordinators' /fund and /funds.
type pledges struct {
	*core
	store PledgeStore
	wake  chan struct{} // a change to show in a group's pinned progress message (pledge_progress.go)
}

// citizens is the room of the people who use Multaque for themselves: the
// survey, /me and /settings, /projects, /privacy, /mydata and /forget.
type citizens struct {
	*core
	store      CitizenStore
	broadcasts *broadcasts
	mentors    *mentors
	proposals  *proposals
	roles      *roles
	decisions  *decisions
	pledges    *pledges // a goal's share link (pledges.go)
}

// teams is the room of the teams' groups: the pool of groups, provisioning,
// join requests, members who join or leave, and the team's messages.
type teams struct {
	*core
	store         TeamStore
	poolLowWater  int
	reminderAfter time.Duration
	citizens      *citizens
}

// mentors is the room of the mentors: their invite, onboarding and /mentor.
type mentors struct {
	*core
	store MentorStore
	roles *roles
}

// roles is the room of who is a coordinator and what they may do: the
// access check every coordinators' command goes through, /claim, invites,
// /coordinators, /removecoordinator, /scope, /audit and the menus.
type roles struct {
	*core
	store     RoleStore
	menuShown sync.Map // coordinators' ids whose chat has their menu, as far as this process knows
}

// reports is the coordinators' room of figures: /stats, /chart, /export.
type reports struct {
	*core
	store ReportStore
	plans *plans    // teams by stage, and teams.csv's columns of the plans
	funds FundStore // /stats's money and hours (coord_funds.go)
}

// steering is the coordinators' room of what makes teams possible: /pool,
// /match, /mentors.
type steering struct {
	*core
	store   SteeringStore
	match   func(ctx context.Context) (MatchReport, error) // Options.Match
	reports *reports
}

// proposals is the room of new projects: a person's proposal, the
// coordinators' decisions on it, and /threshold and /translate.
type proposals struct {
	*core
	store           ProposalStore
	onCatalogChange func(ctx context.Context) error // Options.OnCatalogChange
	mentors         *mentors
}

// broadcasts is the coordinators' room of messages to many: /broadcast.
type broadcasts struct {
	*core
	store BroadcastStore
}

// decisions is the room of a team's decisions: /decide, the polls and
// their answers, reminders, closing and outcomes, /decisions
// (decisions.go).
type decisions struct {
	*core
	store DecisionStore
	wake  chan struct{} // an early closing wakes RunDecisions
}

// newRooms makes the rooms on c, each with its part of opts.Store.
func newRooms(c *core, opts Options) *rooms {
	rs := &rooms{
		citizens:   &citizens{core: c, store: opts.Store},
		teams:      &teams{core: c, store: opts.Store},
		mentors:    &mentors{core: c, store: opts.Store},
		roles:      &roles{core: c, store: opts.Store},
		reports:    &reports{core: c, store: opts.Store},
		steering:   &steering{core: c, store: opts.Store},
		proposals:  &proposals{core: c, store: opts.Store},
		broadcasts: &broadcasts{core: c, store: opts.Store},
		decisions:  &decisions{core: c, store: opts.Store, wake: make(chan struct{}, 1)},
		plans:      newPlans(c, opts.Store),
	}
	rs.citizens.broadcasts = rs.broadcasts
	rs.citizens.mentors = rs.mentors
	rs.citizens.proposals = rs.proposals
	rs.citizens.roles = rs.roles
	rs.citizens.decisions = rs.decisions
	rs.teams.citizens = rs.citizens
	rs.mentors.roles = rs.roles
	rs.steering.reports = rs.reports
	rs.proposals.mentors = rs.mentors
	rs.plans.reports = rs.reports
	rs.reports.plans = rs.plans
	rs.teams.poolLowWater = opts.PoolLowWater
	if rs.teams.poolLowWater <= 0 {
		rs.teams.poolLowWater = DefaultPoolLowWater
	}
	rs.teams.reminderAfter = opts.ReminderAfter
	if rs.teams.reminderAfter <= 0 {
		rs.teams.reminderAfter = DefaultReminderAfter
	}
	rs.pledges = &pledges{core: c, store: opts.Store, wake: make(chan struct{}, 1)}
	rs.citizens.pledges = rs.pledges
	rs.reports.funds = opts.Store
	rs.proposals.onCatalogChange = opts.OnCatalogChange
	rs.steering.match = opts.Match
	return rs
}

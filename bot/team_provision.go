package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// TeamStore is what team groups and their provisioning need of the
// database. Every change to a team goes with the outbox items it causes,
// in one transaction.
type TeamStore interface {
	Team(ctx context.Context, id string) (*multaque.Team, error)
	Teams(ctx context.Context) ([]*multaque.Team, error)
	TeamsNeedingWork(ctx context.Context) ([]*multaque.Team, error)
	MigrateGroup(ctx context.Context, from, to int64, now time.Time) (*multaque.Team, error)
	PutJoinAnswer(ctx context.Context, a multaque.JoinAnswer) error
	DropJoinAnswer(ctx context.Context, chat, user int64) error
	JoinAnswers(ctx context.Context) ([]multaque.JoinAnswer, error)
	TeamByChat(ctx context.Context, chat int64) (*multaque.Team, error)
	LeaveTeam(ctx context.Context, id string, citizen int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	UpdateTeamGroup(ctx context.Context, id string, chat int64, now time.Time, fn func(t *multaque.Team) error, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	AddPoolGroup(ctx context.Context, g multaque.PoolGroup, now time.Time) (*multaque.PoolGroup, error)
	PoolGroups(ctx context.Context) ([]multaque.PoolGroup, error)
	PoolCounts(ctx context.Context) (map[multaque.PoolStatus]int, error)
	ClaimPoolGroup(ctx context.Context, id string, now time.Time, fits func(g multaque.PoolGroup) bool, items func(t *multaque.Team, free int) []multaque.OutboxItem) (*multaque.Team, error)
	BreakPoolGroup(ctx context.Context, chat int64, reason string, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error)
	Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error)
	Mentor(ctx context.Context, id int64) (*multaque.Mentor, error)
	Enqueue(ctx context.Context, items ...multaque.OutboxItem) ([]uint64, error)
}

// Defaults of the team options.
const (
	DefaultPoolLowWater  = 2
	DefaultReminderAfter = 24 * time.Hour
)

// ProvisionerOptions configure a Provisioner. Zero fields take the defaults
// named.
type ProvisionerOptions struct {
	// Interval is how often the teams are looked at when nothing wakes the
	// Provisioner. Default 2s.
	Interval time.Duration
	// CheckGroupsEvery is how often an active team's group is looked up
	// (getChat): Telegram tells a bot nothing when a group it is in is
	// deleted, so this is how a team finds out that it needs another.
	// Default 1h.
	CheckGroupsEvery time.Duration
	// WaitAlertAfter is how long a team waits for a group before the
	// coordinators are told again (they are told when it starts waiting,
	// and then once a day). Default 1h.
	WaitAlertAfter time.Duration
	// SettleAfter is how long after it became active a team whose members
	// have all joined its group or been reminded is followed (its group
	// looked up); then it is settled and no pass reads it again, unless it
	// gains a member. Default 30 days.
	SettleAfter time.Duration
	// Sender, if set, is woken after invitations and reminders are queued
	// (an *outbox.Sender).
	Sender interface{ Wake() }
}

// Provisioner gives each team the matcher formed a group from the pool and
// sets it up, one recorded step at a time: claim a free group, set its
// title and description, create its join-request invite link, post and pin
// the welcome with the project's kickoff plan; then, in one transaction,
// the team becomes active and each member and the mentor get an invitation
// through the outbox. A step is recorded on the team (Team.Setup) once
// Telegram took it, so after a crash provisioning resumes where it was. A
// step done at Telegram whose record was lost is done again: renaming and
// describing are recognised as done ("not modified"), a second invite link
// is harmless, and only the welcome could then be posted twice.
//
// It also reminds, once, the members who have not joined their group
// ReminderAfter after their invitation, and notices groups that were
// deleted. A group found gone or unusable leaves the pool and its team is
// provisioned again on another group.
//
// A team gets only a group added by a coordinator who oversees its
// community: whoever created a group stays in it (Telegram does not let
// anyone remove its owner) and sees who joins.
type Provisioner struct {
	tm    *teams
	store TeamStore
	opts  ProvisionerOptions
	log   zerolog.Logger

	checked map[string]time.Time // when each active team's group was looked up; Run's own
	// poolEmpty is set in a pass that found no free group: the other teams
	// waiting for one wait for the next pass instead of asking again.
	poolEmpty bool
	// unfit holds, within a pass, the communities whose team found free
	// groups but none added by a coordinator of theirs: their other teams
	// wait for the next pass too.
	unfit map[string]bool
	// waiting is how many forming teams had no group when the pass
	// began; waitingSince when each began to wait (by this process's
	// clock); waitLogged when each state that keeps teams waiting was
	// last logged, and waitSeen the states seen in this pass (a state
	// not seen in a pass has ended: it is logged again when it returns).
	waiting      int
	waitingSince map[string]time.Time
	waitLogged   map[string]time.Time
	waitSeen     map[string]bool
	// While the store refuses writes (EUNAVAILABLE), passes stop at the
	// first refusal and the next ones wait (backoff, doubling from
	// Interval up to a minute) until resumeAt; storeDown says a pass was
	// stopped so, and is logged once each way.
	storeDown bool
	backoff   time.Duration
	resumeAt  time.Time
}

// newProvisioner returns the Provisioner of the teams.
func (b *teams) newProvisioner(opts ProvisionerOptions) (*Provisioner, error) {
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.CheckGroupsEvery <= 0 {
		opts.CheckGroupsEvery = time.Hour
	}
	if opts.WaitAlertAfter <= 0 {
		opts.WaitAlertAfter = time.Hour
	}
	if opts.SettleAfter <= 0 {
		opts.SettleAfter = 30 * 24 * time.Hour
	}
	return &Provisioner{
		tm: b, store: b.store, opts: opts,
		log:     b.rootLog.With().Str("component", "provisioner").Logger(),
		checked: make(map[string]time.Time),
		unfit:   make(map[string]bool),

		waitingSince: make(map[string]time.Time),
		waitLogged:   make(map[string]time.Time),
		waitSeen:     make(map[string]bool),
	}, nil
}

// Wake makes a running Provisioner look at the teams now, for the matcher
// after it formed teams. It never blocks.
func (p *Provisioner) Wake() { p.tm.wakeProvisioner() }

// wakeProvisioner wakes the Provisioner, if one runs.
func (b *core) wakeProvisioner() {
	select {
	case b.provisionWake <- struct{}{}:
	default:
	}
}

// Run provisions, reminds and checks until ctx is done, then returns nil.
// A step in progress when ctx ends is abandoned before it is recorded, and
// done again (idempotently) by the next Run.
func (p *Provisioner) Run(ctx context.Context) error {
	p.log.Info().Dur("interval", p.opts.Interval).Msg("provisioner started")
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		p.Pass(ctx)
		select {
		case <-ctx.Done():
			p.log.Info().Msg("provisioner stopped")
			return nil
		case <-t.C:
		case <-p.tm.provisionWake:
		}
	}
}

// Pass looks at every team once: it provisions those forming, reminds
// those who have not joined, and checks the groups whose turn it is.
// Failures are logged and retried at the next pass. While the store
// refuses writes, a pass stops at the first refusal (each step of a team
// is done at Telegram before it is recorded) and the passes back off.
func (p *Provisioner) Pass(ctx context.Context) {
	if time.Now().Before(p.resumeAt) {
		return
	}
	teams, err := p.store.TeamsNeedingWork(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error().Err(err).Msg("read the teams")
		}
		return
	}
	queued := false
	p.poolEmpty = false
	clear(p.unfit)
	clear(p.waitSeen)
	p.waiting = 0
	waiting := make(map[string]bool)
	for _, t := range teams {
		if t.Status == multaque.TeamForming && t.Chat == 0 {
			p.waiting++
			waiting[t.ID] = true
		}
	}
	for id := range p.waitingSince {
		if !waiting[id] {
			delete(p.waitingSince, id) // it has its group, or is gone
		}
	}
	for _, t := range teams {
		if ctx.Err() != nil {
			return
		}
		log := p.log.With().Str("team", t.ID).Logger()
		var err error
		var sent bool
		switch t.Status {
		case multaque.TeamForming:
			sent, err = p.provision(ctx, t)
		case multaque.TeamActive:
			if sent, err = p.remind(ctx, t); err == nil {
				err = p.check(ctx, t)
			}
			if err == nil && !sent {
				err = p.settle(ctx, t)
			}
		}
		queued = queued || sent
		if multaque.ErrorCode(err) == multaque.EUNAVAILABLE && ctx.Err() == nil {
			if !p.storeDown {
				log.Warn().Err(err).Msg("the store cannot write: provisioning paused until it can")
			}
			p.storeDown = true
			p.backoff = min(max(2*p.backoff, p.opts.Interval), time.Minute)
			p.resumeAt = time.Now().Add(p.backoff)
			break
		}
		if err != nil && ctx.Err() == nil {
			if multaque.ErrorCode(err) == multaque.ECONFLICT {
				log.Debug().Err(err).Msg("team changed meanwhile, next pass")
			} else {
				log.Warn().Err(err).Msg("provisioning failed, next pass retries")
			}
		}
	}
	for key := range p.waitLogged {
		if !p.waitSeen[key] && !p.storeDown && ctx.Err() == nil {
			delete(p.waitLogged, key)
			p.log.Info().Str("state", key).Msg("teams no longer wait for that")
		}
	}
	if err := p.answerPending(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn().Err(err).Msg("answer the join requests left, next pass retries")
	}
	if p.storeDown && time.Now().After(p.resumeAt) {
		p.storeDown, p.backoff = false, 0
		p.log.Info().Msg("the store writes again: provisioning resumes")
	}
	if queued && p.opts.Sender != nil {
		p.opts.Sender.Wake()
	}
}

// teamInfo is what provisioning a team reads before writing to Telegram.
type teamInfo struct {
	project   multaque.Project
	community multaque.Community
	lang      multaque.Lang           // the group's
	langs     map[int64]multaque.Lang // of each member and the mentor
	asked     map[int64]bool          // the people langs was read for
	mentor    string                  // the mentor's name, "" if none or unknown
}

// info reads the project, community, languages and mentor of t.
func (p *Provisioner) info(ctx context.Context, t *multaque.Team) (*teamInfo, error) {
	in := &teamInfo{asked: map[int64]bool{}}
	var ok bool
	if in.project, ok = p.tm.view.cat.Project(t.Project); !ok {
		return nil, multaque.Errorf(multaque.EINTERNAL, "team %s: project %q is not in the catalogue", t.ID, t.Project)
	}
	in.community, _ = p.tm.view.cat.Community(t.Community)
	ids := teamPeople(t)
	for _, id := range ids {
		in.asked[id] = true
	}
	var err error
	if in.langs, err = p.store.Languages(ctx, ids); err != nil {
		return nil, err
	}
	in.lang = groupLang(t, in.langs)
	if t.Mentor != 0 {
		m, err := p.store.Mentor(ctx, t.Mentor)
		switch {
		case err == nil:
			in.mentor = m.Name
		case multaque.ErrorCode(err) != multaque.ENOTFOUND:
			return nil, err
		}
	}
	return in, nil
}

// teamPeople lists t's members and its mentor, if any.
func teamPeople(t *multaque.Team) []int64 {
	ids := make([]int64, 0, len(t.Members)+1)
	for _, m := range t.Members {
		ids = append(ids, m.Citizen)
	}
	if t.Mentor != 0 {
		ids = append(ids, t.Mentor)
	}
	return ids
}

// groupLang is the language of a team's group: the one most of its members
// speak, ties going to the first in multaque.Languages (Catalan).
func groupLang(t *multaque.Team, langs map[int64]multaque.Lang) multaque.Lang {
	n := map[multaque.Lang]int{}
	for _, m := range t.Members {
		if l, ok := langs[m.Citizen]; ok {
			n[l]++
		}
	}
	best := multaque.DefaultLang
	for _, l := range multaque.Languages {
		if n[l] > n[best] {
			best = l
		}
	}
	return best
}

// provision takes a forming team as far as it goes now. It reports whether
// it queued messages.
func (p *Provisioner) provision(ctx context.Context, t *multaque.Team) (bool, error) {
	if t.Chat == 0 {
		if p.poolEmpty || p.unfit[t.Community] {
			return false, nil
		}
		claimed, err := p.claim(ctx, t)
		if err != nil || claimed.Chat == 0 {
			return err == nil, err
		}
		t = claimed
		p.log.Info().Str("team", t.ID).Int64("group", t.Chat).Msg("pool group claimed")
	}
	if t.Setup == multaque.SetupNone {
		ok, err := p.vetClaimed(ctx, t)
		if to, merr := p.tm.followMigration(ctx, t.Chat, err); merr != nil || to != 0 {
			return false, merr // the next pass goes on in the supergroup
		}
		if reason, gone := groupUnusable(err); gone {
			return false, p.tm.breakGroup(ctx, t.Chat, reason)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	in, err := p.info(ctx, t)
	if err != nil {
		return false, err
	}
	for t.Status == multaque.TeamForming {
		next, err := p.step(ctx, t, in)
		if err != nil {
			if to, merr := p.tm.followMigration(ctx, t.Chat, err); merr != nil {
				return false, merr
			} else if to != 0 {
				p.log.Info().Str("team", t.ID).Int64("group", to).Msg("group upgraded to a supergroup: provisioning goes on there")
				if t, err = p.store.Team(ctx, t.ID); err != nil {
					return false, err
				}
				continue
			}
			if reason, gone := groupUnusable(err); gone {
				p.log.Warn().Str("team", t.ID).Int64("group", t.Chat).Str("reason", reason).Msg("group unusable, the team gets another")
				if err := p.tm.breakGroup(ctx, t.Chat, reason); err != nil {
					return false, err
				}
				p.tm.wakeProvisioner()
				return false, nil
			}
			return false, err
		}
		t = next
	}
	p.log.Info().Str("team", t.ID).Int64("group", t.Chat).Msg("team active, invitations queued")
	return true, nil
}

// waitLogEvery is how often a state of the pool that keeps teams waiting
// is logged again while it lasts (it is logged at once when it starts).
const waitLogEvery = 15 * time.Minute

// claim gives t the oldest free group of the pool added by a coordinator
// who, now, oversees t's community (a group whose adder is no longer a
// coordinator fits no team). With none, the coordinators who oversee the
// community are alerted when t starts waiting, when it has waited an hour,
// then once a day, each time with how many teams wait, and t is returned as
// it is; a claim that takes the pool below PoolLowWater, or empties it,
// alerts every coordinator with the claim.
func (p *Provisioner) claim(ctx context.Context, t *multaque.Team) (*multaque.Team, error) {
	// The predicate runs inside the store's write transaction: it reads
	// this snapshot of the coordinators, never the store.
	overseers := p.tm.coordinatorsOverseeing(t.Community)
	fits := func(g multaque.PoolGroup) bool {
		_, ok := slices.BinarySearch(overseers, g.AddedBy)
		return ok
	}
	everyone := p.tm.coordinatorIDs()
	coordLangs, err := p.store.Languages(ctx, everyone)
	if err != nil {
		return nil, err
	}
	now := p.tm.now()
	waiting := max(p.waiting-1, 0) // the others, once t has its group
	claimed, err := p.store.ClaimPoolGroup(ctx, t.ID, now, fits, func(_ *multaque.Team, free int) []multaque.OutboxItem {
		if free >= p.tm.poolLowWater || free > 0 && free+1 < p.tm.poolLowWater {
			return nil // above the mark, or below it already (and not empty)
		}
		return p.tm.poolLowAlerts(free, waiting, t.ID, everyone, coordLangs)
	})
	if err != nil || claimed.Chat != 0 {
		if err == nil {
			delete(p.waitingSince, t.ID)
		}
		return claimed, err
	}
	counts, err := p.store.PoolCounts(ctx)
	if err != nil {
		return nil, err
	}
	empty := counts[multaque.PoolFree] == 0
	if empty {
		p.poolEmpty = true
		p.logWait("empty", func(e *zerolog.Event) { e.Int("waiting", p.waiting).Msg("no free group in the pool") })
	} else {
		p.unfit[t.Community] = true
		p.logWait("unfit/"+t.Community, func(e *zerolog.Event) {
			e.Str("community", t.Community).Int("free", counts[multaque.PoolFree]).Msg("no free group added by a coordinator of the team's community")
		})
	}
	if len(overseers) == 0 {
		p.logWait("nobody/"+t.Community, func(e *zerolog.Event) {
			e.Str("community", t.Community).Msg("no coordinator oversees the team's community: nobody to ask for a group")
		})
		return claimed, nil
	}
	since, ok := p.waitingSince[t.ID]
	if !ok {
		since = time.Now()
		p.waitingSince[t.ID] = since
	}
	when := "new"
	switch waited := time.Since(since); {
	case waited >= 24*time.Hour:
		when = now.UTC().Format(time.DateOnly)
	case waited >= p.opts.WaitAlertAfter:
		when = "1h"
	}
	if _, err := p.store.Enqueue(ctx, p.tm.waitingAlerts(t, empty, p.waiting, when, overseers, coordLangs)...); err != nil {
		return nil, err
	}
	return claimed, nil
}

// logWait logs a state of the pool that keeps teams waiting (key) when it
// starts, then every waitLogEvery while it lasts: not at every pass.
func (p *Provisioner) logWait(key string, msg func(e *zerolog.Event)) {
	p.waitSeen[key] = true
	if last, ok := p.waitLogged[key]; ok && time.Since(last) < waitLogEvery {
		return
	}
	p.waitLogged[key] = time.Now()
	msg(p.log.Warn())
}

// step does the next provisioning step of t and records it, returning the
// team as recorded.
func (p *Provisioner) step(ctx context.Context, t *multaque.Team, in *teamInfo) (*multaque.Team, error) {
	b, chat := p.tm, t.Chat
	switch {
	case !t.Setup.Done(multaque.SetupTitle):
		title := clipUTF16(in.project.Name.In(in.lang)+" · "+in.community.Name.In(in.lang), 128)
		err := b.wire.GroupCall(ctx, "setChatTitle", map[string]any{"chat_id": chat, "title": title}, nil)
		if err != nil && !tg.IsNotModified(err) {
			return nil, fmt.Errorf("set title: %w", err)
		}
		return p.record(ctx, t, nil, func(t *multaque.Team) { t.Setup = multaque.SetupTitle })
	case !t.Setup.Done(multaque.SetupDescription):
		desc := clipUTF16(in.project.Pitch.In(in.lang), 255)
		err := b.wire.GroupCall(ctx, "setChatDescription", map[string]any{"chat_id": chat, "description": desc}, nil)
		if err != nil && !tg.IsNotModified(err) {
			return nil, fmt.Errorf("set description: %w", err)
		}
		return p.record(ctx, t, nil, func(t *multaque.Team) { t.Setup = multaque.SetupDescription })
	case !t.Setup.Done(multaque.SetupLink):
		var link struct {
			InviteLink string `json:"invite_link"`
		}
		err := b.wire.GroupCall(ctx, "createChatInviteLink", map[string]any{"chat_id": chat, "name": t.ID, "creates_join_request": true}, &link)
		if err != nil {
			return nil, fmt.Errorf("create invite link: %w", err)
		}
		return p.record(ctx, t, nil, func(t *multaque.Team) { t.Setup, t.InviteLink = multaque.SetupLink, link.InviteLink })
	case !t.Setup.Done(multaque.SetupWelcome):
		text := b.welcome(t, in)
		welcome, err := b.wire.Answer(ctx, tg.Outgoing{Chat: chat, Text: text, ParseMode: tg.ModeHTML, WantID: true})
		if err != nil {
			return nil, fmt.Errorf("post welcome: %w", err)
		}
		return p.record(ctx, t, nil, func(t *multaque.Team) { t.Setup, t.Welcome = multaque.SetupWelcome, welcome })
	case !t.Setup.Done(multaque.SetupPinned):
		err := b.wire.GroupCall(ctx, "pinChatMessage", map[string]any{"chat_id": chat, "message_id": t.Welcome, "disable_notification": true}, nil)
		if err != nil && !tg.IsNotModified(err) {
			return nil, fmt.Errorf("pin welcome: %w", err)
		}
		return p.record(ctx, t, nil, func(t *multaque.Team) { t.Setup = multaque.SetupPinned })
	}
	// Active, with every invitation queued in the same transaction. The
	// languages were read for the team as it was: someone who joined it
	// since makes this wait for the next pass, which reads theirs too.
	now := b.now()
	return p.record(ctx, t, func(t *multaque.Team) []multaque.OutboxItem {
		return b.inviteItems(t, teamPeople(t), in.langs, in.mentor)
	}, func(t *multaque.Team) {
		t.Status, t.ActiveSince = multaque.TeamActive, now
	}, func(t *multaque.Team) error {
		for _, id := range teamPeople(t) {
			if !in.asked[id] {
				return multaque.Errorf(multaque.ECONFLICT, "team %s: %d joined while it was provisioned", t.ID, id)
			}
		}
		return nil
	})
}

// record stores change on the team if it is still forming in the same
// group (checks, if any, may refuse it first), with items.
func (p *Provisioner) record(ctx context.Context, t *multaque.Team, items func(t *multaque.Team) []multaque.OutboxItem, change func(t *multaque.Team), checks ...func(t *multaque.Team) error) (*multaque.Team, error) {
	return p.store.UpdateTeamGroup(ctx, t.ID, t.Chat, p.tm.now(), func(cur *multaque.Team) error {
		if cur.Status != multaque.TeamForming {
			return multaque.Errorf(multaque.ECONFLICT, "team %s is %s", cur.ID, cur.Status)
		}
		for _, check := range checks {
			if err := check(cur); err != nil {
				return err
			}
		}
		change(cur)
		return nil
	}, items)
}

// remind queues, in one transaction with their RemindedAt, one reminder
// for each member of active team t who has not joined its group
// ReminderAfter after their invitation (when the team became active, or
// when they joined it if later). It reports whether it queued any.
func (p *Provisioner) remind(ctx context.Context, t *multaque.Team) (bool, error) {
	now := p.tm.now()
	due := func(m multaque.TeamMember, t *multaque.Team) bool {
		invited := t.ActiveSince
		if m.JoinedAt.After(invited) {
			invited = m.JoinedAt
		}
		return !m.InChat && m.RemindedAt.IsZero() && !now.Before(invited.Add(p.tm.reminderAfter))
	}
	var ids []int64
	for _, m := range t.Members {
		if due(m, t) {
			ids = append(ids, m.Citizen)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	langs, err := p.store.Languages(ctx, ids)
	if err != nil {
		return false, err
	}
	var reminded []int64
	_, err = p.store.UpdateTeamGroup(ctx, t.ID, t.Chat, now, func(cur *multaque.Team) error {
		reminded = reminded[:0]
		if cur.Status != multaque.TeamActive {
			return multaque.Errorf(multaque.ECONFLICT, "team %s is %s", cur.ID, cur.Status)
		}
		for i, m := range cur.Members {
			if due(m, cur) {
				cur.Members[i].RemindedAt = now
				reminded = append(reminded, m.Citizen)
			}
		}
		return nil
	}, func(cur *multaque.Team) []multaque.OutboxItem {
		var out []multaque.OutboxItem
		for _, id := range reminded {
			lang := langOr(langs, id)
			text := p.tm.teamHeader(cur, lang) + "\n\n" + p.tm.view.t(lang, "team_reminder")
			out = append(out, p.tm.teamItem(cur, "reminder", id, lang, text))
		}
		return out
	})
	if err != nil {
		return false, err
	}
	p.log.Info().Str("team", t.ID).Int("reminded", len(reminded)).Msg("reminders queued")
	return len(reminded) > 0, nil
}

// settle stops following active team t once every member joined its group
// or was reminded and SettleAfter has passed since it became active.
func (p *Provisioner) settle(ctx context.Context, t *multaque.Team) error {
	now := p.tm.now()
	if now.Sub(t.ActiveSince) < p.opts.SettleAfter {
		return nil
	}
	for _, m := range t.Members {
		if !m.InChat && m.RemindedAt.IsZero() {
			return nil
		}
	}
	_, err := p.store.UpdateTeamGroup(ctx, t.ID, t.Chat, now, func(cur *multaque.Team) error {
		if cur.Status != multaque.TeamActive {
			return multaque.Errorf(multaque.ECONFLICT, "team %s is %s", cur.ID, cur.Status)
		}
		cur.SettledAt = now
		return nil
	}, nil)
	if err == nil {
		delete(p.checked, t.ID)
		p.log.Info().Str("team", t.ID).Msg("team settled: no longer followed")
	}
	return err
}

// check looks up an active team's group every CheckGroupsEvery and breaks
// it if it is gone.
func (p *Provisioner) check(ctx context.Context, t *multaque.Team) error {
	now := time.Now() // a period of the process, not of the bot's (maybe pinned) clock
	last, ok := p.checked[t.ID]
	if !ok {
		p.checked[t.ID] = now // the first look waits a period: not every team at start-up
		return nil
	}
	if now.Sub(last) < p.opts.CheckGroupsEvery {
		return nil
	}
	p.checked[t.ID] = now
	// getChat still answers for a basic group that was upgraded; a member
	// count does not, and says where the group went.
	err := p.tm.wire.GroupCall(ctx, "getChatMemberCount", map[string]any{"chat_id": t.Chat}, nil)
	if to, merr := p.tm.followMigration(ctx, t.Chat, err); merr != nil || to != 0 {
		return merr
	}
	if reason, gone := groupUnusable(err); gone {
		p.log.Warn().Str("team", t.ID).Int64("group", t.Chat).Str("reason", reason).Msg("team group gone, the team gets another")
		delete(p.checked, t.ID)
		if err := p.tm.breakGroup(ctx, t.Chat, reason); err != nil {
			return err
		}
		p.tm.wakeProvisioner()
		return nil
	}
	return err
}

// groupUnusable reports whether err, the answer to a request about a
// group, means the group cannot serve a team any more, and why: it was
// deleted or migrated, the bot is out of it, or the bot lost a right it
// needs.
func groupUnusable(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	if class, _ := tg.Classify(err, -1); class == tg.ChatGone {
		return "gone: " + tg.Description(err), true
	}
	if tg.IsMissingRights(err) {
		return "rights: " + tg.Description(err), true
	}
	return "", false
}

// breakGroup takes a group out of the pool for reason; the team that used
// it is provisioned again on another.
func (b *teams) breakGroup(ctx context.Context, chat int64, reason string) error {
	if chat >= 0 {
		return nil
	}
	t, err := b.store.BreakPoolGroup(ctx, chat, reason, b.now(), nil)
	if err != nil {
		return err
	}
	if t != nil {
		zerolog.Ctx(ctx).Info().Str("team", t.ID).Int64("group", chat).Msg("team lost its group, provisioning again")
		b.wakeProvisioner()
	}
	return nil
}

// chatGone is the Sender's hook (SenderOptions.ChatGone): a group the
// outbox could not write to leaves the pool, and its team gets another.
// Private chats are not groups: it ignores them.
func (b *teams) chatGone(ctx context.Context, item multaque.OutboxItem) error {
	if item.Chat >= 0 {
		return nil
	}
	// The Sender does not say why: a group upgraded to a supergroup is
	// followed, not broken (a member count answers with its new id).
	err := b.wire.GroupCall(ctx, "getChatMemberCount", map[string]any{"chat_id": item.Chat}, nil)
	if to, merr := b.followMigration(ctx, item.Chat, err); merr != nil || to != 0 {
		return merr
	}
	return b.breakGroup(ctx, item.Chat, "gone: found by the outbox ("+item.Kind+")")
}

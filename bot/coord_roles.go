package bot

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"
	"sync"

	"github.com/multaque/multaque"
)

// Coordinators are the Telegram ids listed in the configuration
// (Options.Coordinators), any added while the bot runs (AddCoordinator:
// the sandbox does), and those stored (roles_admin.go: the first to /claim
// the setup code, and whoever opens a coordinator invite). They may add
// groups to the pool, are always let into a team's group and are alerted
// about what needs them.
//
// The handlers of pool groups and join requests, and the alerts the
// matcher commits with its changes, cannot read the store where they run:
// they read the set below, which holds the stored coordinators too. It is
// loaded when the bot is made and reloaded after every change to the
// stored coordinators (syncCoordinators).

// coordinatorSet is the set of coordinators' ids. Handlers read it from
// many goroutines while the commands of roles_admin.go and AddCoordinator
// change it.
type coordinatorSet struct {
	mu sync.RWMutex
	// listed are the configured ids and those of AddCoordinator: they
	// oversee every community unless a stored record limits them.
	listed map[int64]bool
	// stored are the stored coordinators, as last loaded.
	stored map[int64]multaque.Coordinator

	// reload serialises syncCoordinators, so that the last to load
	// leaves the newest state.
	reload sync.Mutex
	setup  setupCode
}

// newCoordinatorSet makes the set of coordinators' ids, leaving out ids
// that cannot be people's.
func newCoordinatorSet(ids []int64) *coordinatorSet {
	set := &coordinatorSet{listed: make(map[int64]bool, len(ids)), stored: map[int64]multaque.Coordinator{}}
	for _, id := range ids {
		if id > 0 {
			set.listed[id] = true
		}
	}
	return set
}

// isCoordinator reports whether id is a coordinator's Telegram id.
func (b *core) isCoordinator(id int64) bool {
	if id <= 0 {
		return false
	}
	b.coordinators.mu.RLock()
	defer b.coordinators.mu.RUnlock()
	_, stored := b.coordinators.stored[id]
	return b.coordinators.listed[id] || stored
}

// isListed reports whether id is a coordinator by the configuration (or
// AddCoordinator), whom only the configuration can remove.
func (b *core) isListed(id int64) bool {
	b.coordinators.mu.RLock()
	defer b.coordinators.mu.RUnlock()
	return b.coordinators.listed[id]
}

// addCoordinator makes the person with Telegram id id a coordinator from
// now on, until the bot stops: it is not stored, so a coordinator who must
// stay one belongs in Options.Coordinators (or is invited with
// /coordinatorinvite). It reports whether id was added: false if it is one
// already or cannot be a person's (id <= 0). Their private chat gets the
// coordinators' command menu. It is safe to call while the bot runs.
func (b *roles) addCoordinator(id int64) bool {
	if id <= 0 {
		return false
	}
	b.coordinators.mu.Lock()
	_, stored := b.coordinators.stored[id]
	if b.coordinators.listed[id] || stored {
		b.coordinators.mu.Unlock()
		return false
	}
	b.coordinators.listed[id] = true
	b.coordinators.mu.Unlock()
	b.dropSetupCode()
	if err := b.publishCoordinatorMenu(context.Background(), id); err != nil {
		b.log.Warn().Err(err).Int64("coordinator", id).Msg("publish coordinator menu")
	}
	return true
}

// coordinatorIDs lists the coordinators in ascending order, for alerts
// that concern them all, such as the pool running low.
func (b *core) coordinatorIDs() []int64 {
	return b.coordinatorsWhere(func(*multaque.Coordinator) bool { return true })
}

// coordinatorsOverseeing lists, in ascending order, the coordinators whose
// scope holds community: those alerts about it go to.
func (b *core) coordinatorsOverseeing(community string) []int64 {
	ancestors := b.ancestors(community)
	return b.coordinatorsWhere(func(c *multaque.Coordinator) bool { return c.Oversees(community, ancestors) })
}

// coordinatorsWhere lists the coordinators for whom keep is true, in
// ascending order. A listed coordinator with no record is unscoped.
func (b *core) coordinatorsWhere(keep func(c *multaque.Coordinator) bool) []int64 {
	set := b.coordinators
	set.mu.RLock()
	ids := make([]int64, 0, len(set.listed)+len(set.stored))
	for id := range set.listed {
		if _, ok := set.stored[id]; !ok && keep(&multaque.Coordinator{ID: id}) {
			ids = append(ids, id)
		}
	}
	for id, c := range set.stored {
		if keep(&c) {
			ids = append(ids, id)
		}
	}
	set.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// storedCoordinator returns the stored record of coordinator id as last
// loaded, if there is one.
func (b *core) storedCoordinator(id int64) (multaque.Coordinator, bool) {
	b.coordinators.mu.RLock()
	defer b.coordinators.mu.RUnlock()
	c, ok := b.coordinators.stored[id]
	return c, ok
}

// alertLang is the language of an alert to coordinator id: the one the
// matcher found for them (as a citizen), else their record's.
func (b *core) alertLang(langs map[int64]multaque.Lang, id int64) multaque.Lang {
	if l, ok := langs[id]; ok {
		return l
	}
	if c, ok := b.storedCoordinator(id); ok && c.Lang.Valid() {
		return c.Lang
	}
	return multaque.DefaultLang
}

// syncCoordinators loads the stored coordinators into the set. Every
// change to them is followed by it, so that the handlers that read the
// set see the change.
func (b *roles) syncCoordinators(ctx context.Context) error {
	set := b.coordinators
	set.reload.Lock()
	defer set.reload.Unlock()
	cs, err := b.store.Coordinators(ctx)
	if err != nil {
		return fmt.Errorf("load coordinators: %w", err)
	}
	stored := make(map[int64]multaque.Coordinator, len(cs))
	for _, c := range cs {
		stored[c.ID] = c
	}
	set.mu.Lock()
	set.stored = stored
	set.mu.Unlock()
	return nil
}

// loadCoordinators loads the stored coordinators when the bot is made and,
// if there is no coordinator at all, offers the setup code.
func (b *roles) loadCoordinators() error {
	if err := b.syncCoordinators(context.Background()); err != nil {
		return err
	}
	if len(b.coordinatorIDs()) > 0 {
		return nil
	}
	b.newSetupCode("no coordinator yet")
	return nil
}

// The setup code makes the first coordinator: with none configured and none
// stored, the bot logs a one-time code, and whoever sends /claim <code>
// becomes a coordinator of every community. It lives only in memory (a
// restart logs a new one) and dies with the first coordinator.
//
// It has 130 random bits: guessing it is hopeless. Still, after
// maxSetupTries wrong codes it is burnt and a new one is logged, with a
// warning that someone is trying codes: an operator who sees that can
// instead list their Telegram id in the configuration (coordinators,
// MULTAQUE_COORDINATORS), which needs no code.

// maxSetupTries is how many wrong codes burn the setup code.
const maxSetupTries = 5

// setupCode is the pending setup code.
type setupCode struct {
	mu    sync.Mutex
	code  string // "" when none is pending
	wrong int    // wrong codes tried against code
}

// newSetupCode makes a new setup code and logs it; why says why.
func (b *roles) newSetupCode(why string) {
	s := &b.coordinators.setup
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.wrong = rand.Text(), 0
	// The setup code is the one secret the log ever holds, by design: the
	// person who runs the bot reads it there, and nobody else should be
	// able to. It is good for one /claim, only until the bot stops.
	b.log.Warn().Str("setup_code", s.code).Str("why", why).
		Msg("send /claim <setup_code> to the bot in Telegram to become its first coordinator")
}

// setupOutcome is what a /claim did with the setup code.
type setupOutcome int

const (
	setupClaimed setupOutcome = iota // the code was right, and is used up
	setupNone                        // no code is pending
	setupWrong                       // wrong code
	setupBurnt                       // wrong code, the last one allowed
)

// claimSetupCode checks code against the pending setup code, in constant
// time, and uses it up if it is right. A wrong code counts towards
// maxSetupTries; the one that reaches it burns the code (the caller logs a
// new one).
func (b *roles) claimSetupCode(code string) setupOutcome {
	s := &b.coordinators.setup
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == "" {
		return setupNone
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(s.code)) == 1 {
		s.code = ""
		return setupClaimed
	}
	s.wrong++
	if s.wrong >= maxSetupTries {
		s.code = ""
		return setupBurnt
	}
	return setupWrong
}

// restoreSetupCode puts back a setup code claimSetupCode used up, when
// storing the coordinator failed, unless another code is pending.
func (b *roles) restoreSetupCode(code string) {
	s := &b.coordinators.setup
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == "" {
		s.code = code
	}
}

// dropSetupCode forgets the pending setup code: there is a coordinator.
func (b *roles) dropSetupCode() {
	s := &b.coordinators.setup
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code = ""
}

// poolRights are the administrator rights a pool group must give the bot,
// in the order the startgroup link asks for them: invite users (join
// request links, approving requests), restrict members (removing someone
// who leaves the team), pin messages (the welcome) and change info (title
// and description).
var poolRights = []string{"invite_users", "restrict_members", "pin_messages", "change_info"}

// startGroupLink is the one-tap link that lets a coordinator add the bot
// to a group of theirs as administrator with poolRights.
func (b *core) startGroupLink() string {
	link := "https://t.me/" + b.username + "?startgroup=pool&admin="
	for i, r := range poolRights {
		if i > 0 {
			link += "+"
		}
		link += r
	}
	return link
}

package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

// Issue 21.4: teams waiting for a group are logged once when the pool
// runs dry, not at every pass; the coordinators hear when the first starts
// waiting and again when it has waited WaitAlertAfter, with how many teams
// wait.
func TestWaitingTeamsAreLoggedOnceAndAlertedAgain(t *testing.T) {
	r := newTeamRig(t, rigOptions{waitAlertAfter: 700 * time.Millisecond})
	a, b, c, d := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan), r.starter("Cesc", multaque.Catalan), r.starter("Dolors", multaque.Catalan)
	r.formTeam(a, b)
	r.formTeam(c, d)
	waiting := r.textWith(multaque.Catalan, "pool_teams_waiting", map[string]any{"Count": 2})
	eventually(t, "the alert after an hour's wait (here 700ms), saying two teams wait", func() bool {
		for _, m := range fromBot(r.coord, r.text(multaque.Catalan, "pool_empty")) {
			if strings.Contains(m.Text, waiting) {
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond) // more passes
	if n := strings.Count(r.logs.String(), "no free group in the pool"); n != 1 {
		t.Errorf("%q logged %d times over about ten passes, want once", "no free group in the pool", n)
	}
	// The first team to wait speaks for all (the others wait behind it
	// in each pass): when it starts waiting, and after the wait.
	if n := len(fromBot(r.coord, r.text(multaque.Catalan, "pool_empty"))); n != 2 {
		t.Errorf("%d waiting alerts, want 2 (when the first team starts waiting and after the wait)", n)
	}
}

// The low-pool alert comes each time a claim takes the pool below the
// mark, not once a day: a coordinator who adds a group after one hears
// again when the pool runs low again.
func TestLowPoolAlertComesAgainAfterTheCoordinatorActs(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	r.poolGroup("Spare 1")
	r.poolGroup("Spare 2")
	low := r.textWith(multaque.Catalan, "pool_low", map[string]any{"Count": 1, "Need": 2})
	a, b := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	r.formTeam(a, b)
	eventually(t, "the first low-pool alert", func() bool { return len(fromBot(r.coord, low)) == 1 })
	r.poolGroup("Spare 3") // the coordinator acts: 2 free again
	c, d := r.starter("Cesc", multaque.Catalan), r.starter("Dolors", multaque.Catalan)
	r.formTeam(c, d)
	eventually(t, "the second low-pool alert, the same day", func() bool { return len(fromBot(r.coord, low)) == 2 })
}

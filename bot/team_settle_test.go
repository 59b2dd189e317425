package bot_test

import (
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// Issue 21.3: a team whose members are all in its group, once it has been
// active for SettleAfter, is settled: the Provisioner no longer reads it
// nor looks its group up.
func TestSettledTeamIsNoLongerPolled(t *testing.T) {
	r := newTeamRig(t, rigOptions{checkEvery: 50 * time.Millisecond, settleAfter: 300 * time.Millisecond})
	g := r.poolGroup("Spare")
	a, b := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	team := r.active(r.formTeam(a, b).ID, g)
	for _, u := range []*telegramtest.User{a, b} {
		if err := u.OpenInviteLink(team.InviteLink); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the team settled", func() bool { return !r.team(team.ID).SettledAt.IsZero() })
	time.Sleep(100 * time.Millisecond) // a pass in progress ends
	r.srv.ResetCalls()
	time.Sleep(500 * time.Millisecond) // five passes, ten check periods
	if n := len(r.srv.Calls("getChatMemberCount")); n != 0 {
		t.Errorf("%d look-ups of a settled team's group, want none", n)
	}
}

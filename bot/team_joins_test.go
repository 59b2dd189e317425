package bot_test

import (
	"context"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// Issue 19.4: Telegram may answer 429 to approveChatJoinRequest more than
// once. The decision is kept and sent again until Telegram takes it: the
// member is let in, and nothing is left to answer.
func TestJoinRequestIsApprovedAfterRepeated429(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	g := r.poolGroup("Spare")
	a, b := r.starter("Anna", multaque.Catalan), r.starter("Biel", multaque.Catalan)
	team := r.active(r.formTeam(a, b).ID, g)
	r.srv.ForceRetryAfterOn("approveChatJoinRequest", 4, 1)
	if err := a.OpenInviteLink(team.InviteLink); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Anna let in despite four 429s", func() bool { return g.IsMember(a.ID) })
	if n := len(r.srv.Calls("approveChatJoinRequest")); n < 5 {
		t.Errorf("%d approveChatJoinRequest calls, want at least 5 (four refused)", n)
	}
	eventually(t, "nothing left to answer", func() bool {
		left, err := r.db.JoinAnswers(context.Background())
		return err == nil && len(left) == 0
	})
	if len(fromBot(a, r.text(multaque.Catalan, "team_declined"))) > 0 {
		t.Errorf("Anna was told she was declined")
	}
}

// Issue 19.3: a group of the pool whose bot is demoted by someone who is
// not a coordinator no longer sends the bot its join requests (Telegram
// sends them only with can_invite_users); the coordinator who added it
// hears so, in their language.
func TestCoordinatorsHearTheBotLostItsRights(t *testing.T) {
	r := newTeamRig(t, rigOptions{secondCoordinator: true})
	g := r.srv.NewSupergroup("Spare", r.coord2)
	g.AddBot(r.coord2, telegramtest.BotAdminRights)
	eventually(t, "in the pool", func() bool { return r.poolStatus(g.ID) == multaque.PoolFree })
	// Another administrator takes can_invite_users away.
	stranger := r.srv.NewUser("Xavi", "es")
	g.AddBot(stranger, telegramtest.AdminRights{PinMessages: true})
	r.coord2.Expect(t, r.textWith(multaque.English, "pool_rights_lost", map[string]any{"Title": "Spare"}))
	eventually(t, "out of the pool", func() bool { return r.poolStatus(g.ID) == multaque.PoolBroken })
}

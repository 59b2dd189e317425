package bot_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// poolGroupBy has coordinator by create a supergroup and add the bot to it
// with every right, and waits until the pool holds it (free, or used by a
// team that waited for it).
func (r *teamRig) poolGroupBy(by *telegramtest.User, title string) *telegramtest.Group {
	r.t.Helper()
	g := r.srv.NewSupergroup(title, by)
	g.AddBot(by, telegramtest.BotAdminRights)
	eventually(r.t, title+" is in the pool", func() bool { s := r.poolStatus(g.ID); return s == multaque.PoolFree || s == multaque.PoolUsed })
	return g
}

// formTeamIn forms a team for the consumer group in community, of two new
// neighbours of it who started the bot, as the matcher would.
func (r *teamRig) formTeamIn(community string) *multaque.Team {
	r.t.Helper()
	ctx, now := context.Background(), time.Now()
	team := multaque.Team{Community: community, Project: "consumer-group"}
	for _, name := range []string{"Laia", "Marc"} {
		u := r.srv.NewUser(name, "ca")
		u.Send("/start")
		u.Expect(r.t, "Multaque")
		err := r.db.SaveCitizen(ctx, &multaque.Citizen{
			ID: u.ID, Lang: multaque.Catalan, Name: name, Community: community, ConsentAt: now, UpdatedAt: now,
			Survey:    multaque.Survey{Step: multaque.StepDone, Version: 5},
			Interests: []multaque.Interest{{Project: "consumer-group", Since: now}},
		})
		if err != nil {
			r.t.Fatalf("SaveCitizen: %v", err)
		}
		team.Members = append(team.Members, multaque.TeamMember{Citizen: u.ID})
	}
	formed, err := r.db.FormTeam(ctx, team, now, nil)
	if err != nil {
		r.t.Fatalf("FormTeam: %v", err)
	}
	r.prov.Wake()
	return formed
}

// TestPoolGroupGoesOnlyToTeamsItsAdderOversees: whoever creates a group
// stays in it, so a team gets only a group added by a coordinator who
// oversees its community. A group of a coordinator of Gràcia is not given
// to a team of Sants, which waits while those who oversee Sants (not Anna)
// are told; it goes to a team of Gràcia, and another of hers to a team of
// a community inside Gràcia. A group of Carme, who oversees everything,
// serves the team of Sants. A group whose adder is no longer a coordinator
// serves nobody, and /pool says so.
func TestPoolGroupGoesOnlyToTeamsItsAdderOversees(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end with the Provisioner")
	}
	r := newTeamRig(t, rigOptions{})
	ca := multaque.Catalan
	anna := r.roleMake(t, r.coord, "Anna", "gracia")
	dani := r.roleMake(t, r.coord, "Dani", "sants-montjuic")

	annas := r.poolGroupBy(anna, "D'Anna")
	sants := r.formTeamIn("sants")
	unfit := r.textWith(ca, "pool_none_fits", map[string]any{"Community": r.community(ca, "sants")})
	for _, u := range []*telegramtest.User{r.coord, dani} {
		alert := u.Expect(t, unfit)
		if len(alert.Keyboard) != 1 || alert.Keyboard[0][0].URL == "" {
			t.Errorf("alert to %s %+v, want a button that adds the bot to a group", u.FirstName, alert)
		}
	}
	if got := r.team(sants.ID); got.Status != multaque.TeamForming || got.Chat != 0 {
		t.Fatalf("team of Sants %+v, want forming without a group", got)
	}
	if s := r.poolStatus(annas.ID); s != multaque.PoolFree {
		t.Fatalf("Anna's group is %q, want free", s)
	}

	gracia := r.formTeamIn("gracia")
	r.active(gracia.ID, annas)
	vila := r.formTeamIn("vila-de-gracia")
	r.active(vila.ID, r.poolGroupBy(anna, "D'Anna 2"))

	r.active(sants.ID, r.poolGroupBy(r.coord, "De la Carme"))

	// Dani adds a group and stops being a coordinator: a new team of Sants
	// waits; only Carme oversees Sants now.
	danis := r.poolGroupBy(dani, "Del Dani")
	r.coord.Send("/removecoordinator " + strconv.FormatInt(dani.ID, 10))
	r.coord.Expect(t, r.textWith(ca, "role_removed", map[string]any{"ID": dani.ID}))
	sants2 := r.formTeamIn("sants")
	r.coord.Expect(t, unfit)
	if got := r.team(sants2.ID); got.Status != multaque.TeamForming || got.Chat != 0 {
		t.Fatalf("second team of Sants %+v, want forming without a group", got)
	}
	if s := r.poolStatus(danis.ID); s != multaque.PoolFree {
		t.Fatalf("Dani's group is %q, want free", s)
	}
	r.coord.Send("/pool")
	r.coord.Expect(t, r.textWith(ca, "steering_pool_orphans", map[string]any{"Count": 1}))

	time.Sleep(500 * time.Millisecond) // several passes
	if n := len(fromBot(r.coord, unfit)); n != 2 {
		t.Errorf("Carme was told %d times that a team of Sants waits, want once for each of the 2 teams", n)
	}
	if n := len(fromBot(dani, unfit)); n != 1 {
		t.Errorf("Dani was told %d times that a team of Sants waits, want once, for the team formed while he oversaw Sants", n)
	}
	if n := len(fromBot(anna, unfit)); n != 0 {
		t.Errorf("Anna, of Gràcia, was told %d times that a team of Sants waits, want never", n)
	}
	if s := r.poolStatus(danis.ID); s != multaque.PoolFree {
		t.Errorf("Dani's group is %q after several passes, want still free", s)
	}
}

// TestEmptyPoolAlertsOnlyThoseWhoOversee: with no free group at all, the
// team's overseers get the empty-pool alert, and a coordinator of another
// community does not.
func TestEmptyPoolAlertsOnlyThoseWhoOversee(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end with the Provisioner")
	}
	r := newTeamRig(t, rigOptions{})
	ca := multaque.Catalan
	anna := r.roleMake(t, r.coord, "Anna", "gracia")
	dani := r.roleMake(t, r.coord, "Dani", "sants-montjuic")

	r.formTeamIn("sants")
	for _, u := range []*telegramtest.User{r.coord, dani} {
		u.Expect(t, r.text(ca, "pool_empty"))
	}
	time.Sleep(500 * time.Millisecond) // several passes
	if n := len(fromBot(anna, r.text(ca, "pool_empty"))); n != 0 {
		t.Errorf("Anna, of Gràcia, was told %d times that the pool is empty for a team of Sants, want never", n)
	}
	if n := len(fromBot(dani, r.text(ca, "pool_empty"))); n != 1 {
		t.Errorf("Dani was alerted %d times, want once", n)
	}
}

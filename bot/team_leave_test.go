package bot_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/matching"
)

// TestLeaverIsNotPutBack: a member who leaves a team (with /leave, or by
// leaving its group) is told plainly that they wait for a new team, and
// the matcher's next pass, which fills the open team with whoever waits,
// does not put them back in it.
func TestLeaverIsNotPutBack(t *testing.T) {
	r := newTeamRig(t, rigOptions{noProvisioner: true})
	ctx, ca := context.Background(), multaque.Catalan
	runner := &matching.Runner{Store: r.db, Catalog: r.cat, Notifier: r.bot, Logger: zerolog.Nop()}
	anna, bet, cesc := r.starter("Anna", ca), r.starter("Bet", ca), r.starter("Cesc", ca)
	team := r.formTeam(anna, bet, cesc)

	anna.Send("/leave")
	anna.Expect(t, r.text(ca, "leave_choose"))
	p, _ := r.cat.Project("consumer-group")
	anna.Press(t, p.Name.In(ca)+" · "+r.community(ca, "gracia"))
	anna.Expect(t, r.textWith(ca, "leave_done", map[string]any{"Community": r.community(ca, "gracia")}))

	// A newcomer waits too: the pass fills the open team with them, not
	// with Anna, who keeps waiting for a new team.
	dani := r.starter("Dani", ca)
	if _, err := runner.Run(ctx); err != nil {
		t.Fatalf("matching run: %v", err)
	}
	got := r.team(team.ID)
	if got.HasMember(anna.ID) {
		t.Fatalf("the matcher put Anna back in the team she left: %+v", got.Members)
	}
	if !got.HasMember(dani.ID) {
		t.Errorf("the open team did not take the newcomer: %+v", got.Members)
	}
	if n := r.waiting(); n != 1 {
		t.Errorf("waiting=%d after the pass, want 1 (Anna)", n)
	}
	// Running again changes nothing for her.
	if _, err := runner.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r.team(team.ID).HasMember(anna.ID) {
		t.Fatal("a second pass put Anna back in the team she left")
	}
}

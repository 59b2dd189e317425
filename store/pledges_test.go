package store_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// formTeam stores citizens first..first+n-1 waiting for project in
// community and forms a team of them.
// fataler is what the helpers need of a testing.T or a rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func formPledgeTeam(t fataler, db *store.DB, first int64, n int, community, project string) *multaque.Team {
	t.Helper()
	var ms []multaque.TeamMember
	for id := first; id < first+int64(n); id++ {
		if err := db.SaveCitizen(ctx, newCitizen(id, "P", community, project)); err != nil {
			t.Fatalf("SaveCitizen: %v", err)
		}
		ms = append(ms, multaque.TeamMember{Citizen: id})
	}
	tm, err := db.FormTeam(ctx, multaque.Team{Community: community, Project: project, Members: ms}, t0, nil)
	if err != nil {
		t.Fatalf("FormTeam: %v", err)
	}
	return tm
}

func setGoal(t fataler, db *store.DB, team string, min multaque.Cents, deadline time.Time) {
	t.Helper()
	_, err := db.SetGoal(ctx, multaque.Goal{Team: team, Min: min, Deadline: deadline, Purpose: "solar panels", SetBy: 1}, t0)
	if err != nil {
		t.Fatalf("SetGoal: %v", err)
	}
}

func createFund(t testing.TB, db *store.DB, f multaque.Fund) {
	t.Helper()
	if f.FactorNum == 0 {
		f.FactorNum, f.FactorDen = 1, 1
	}
	if f.Ends.IsZero() {
		f.Ends = t0.Add(365 * 24 * time.Hour)
	}
	if _, err := db.CreateFund(ctx, f, t0); err != nil {
		t.Fatalf("CreateFund: %v", err)
	}
}

func checkClean(t testing.TB, db *store.DB) {
	t.Helper()
	problems, err := db.Check(ctx)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Check=%v, %v; want no problems", problems, err)
	}
}

// 200 people pledge at once against a fund that can match 50 of them: the
// first 50 to commit are matched, in full, and no one else.
func TestConcurrentPledgesMatchExactlyTheFirst50(t *testing.T) {
	db := openDB(t)
	tm := formPledgeTeam(t, db, 1, 3, "gracia", "energy-coop")
	setGoal(t, db, tm.ID, 1_000_000, t0.Add(30*24*time.Hour))
	createFund(t, db, multaque.Fund{ID: "city", Name: "City fund", Budget: 50 * 1000})

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func(person int64) {
			defer wg.Done()
			_, err := db.Pledge(ctx, multaque.Pledge{Team: tm.ID, Person: person, Amount: 1000, Supporter: true}, t0, nil)
			errs <- err
		}(int64(1000 + i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Pledge: %v", err)
		}
	}
	s, err := db.Goal(ctx, tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pledges) != 200 {
		t.Fatalf("%d pledges, want 200", len(s.Pledges))
	}
	for _, p := range s.Pledges {
		want := multaque.Cents(0)
		if p.No <= 50 {
			want = 1000
		}
		if p.Match != want || p.Fund != "city" {
			t.Fatalf("pledge no %d: match %s of fund %q, want %s of city (only the first 50 in commit order; the others told the fund is spent)", p.No, p.Match, p.Fund, want)
		}
	}
	funds, _ := db.Funds(ctx)
	if f := funds[0]; f.Committed != 50*1000 || f.Left() != 0 || !f.Balanced() {
		t.Fatalf("fund=%+v, want all 500.00 committed", f)
	}
	checkClean(t, db)
}

func TestSettleMetPaysMatchesAndMissedReleasesThem(t *testing.T) {
	db := openDB(t)
	met := formPledgeTeam(t, db, 1, 3, "gracia", "energy-coop")
	missed := formPledgeTeam(t, db, 10, 3, "gracia", "energy-coop")
	deadline := t0.Add(10 * 24 * time.Hour)
	setGoal(t, db, met.ID, 3000, deadline)
	setGoal(t, db, missed.ID, 100_000, deadline)
	createFund(t, db, multaque.Fund{ID: "city", Name: "City", Budget: 10_000, CapPledge: 1500})
	for _, team := range []string{met.ID, missed.ID} {
		if _, err := db.Pledge(ctx, multaque.Pledge{Team: team, Person: 1, Amount: 2000, Named: true, Name: "Ana"}, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if due, _ := db.DueGoals(ctx, deadline.Add(-time.Second)); len(due) != 0 {
		t.Fatalf("DueGoals before the deadline=%v, want none", due)
	}
	due, _ := db.DueGoals(ctx, deadline)
	if len(due) != 2 {
		t.Fatalf("DueGoals=%v, want both", due)
	}
	reminders := func(s *multaque.GoalState) ([]multaque.OutboxItem, map[int][]multaque.OutboxItem) {
		r := map[int][]multaque.OutboxItem{}
		for _, p := range s.Pledges {
			r[p.No] = []multaque.OutboxItem{{Kind: "pledge-reminder", Chat: p.Person, Text: "pay", NotBefore: deadline.Add(72 * time.Hour)}}
		}
		return nil, r
	}
	s, err := db.SettleGoal(ctx, met.ID, deadline, reminders)
	if err != nil || s.Goal.Status != multaque.GoalMet || s.Pledges[0].Status != multaque.PledgeDue || len(s.Pledges[0].Reminders) != 1 {
		t.Fatalf("SettleGoal(met)=%+v, %v; want met, the pledge due with its reminder", s, err)
	}
	if _, err := db.SettleGoal(ctx, met.ID, deadline, reminders); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Fatalf("settling twice: %v, want ECONFLICT", err)
	}
	s2, err := db.SettleGoal(ctx, missed.ID, deadline, nil)
	if err != nil || s2.Goal.Status != multaque.GoalMissed || s2.Pledges[0].Status != multaque.PledgeLapsed {
		t.Fatalf("SettleGoal(missed)=%+v, %v; want missed, lapsed", s2, err)
	}
	funds, _ := db.Funds(ctx)
	if f := funds[0]; f.Paid != 1500 || f.Released != 1500 || f.Committed != 0 || !f.Balanced() {
		t.Fatalf("fund=%+v, want 15.00 paid, 15.00 released, none committed", f)
	}
	if _, err := db.Pledge(ctx, multaque.Pledge{Team: met.ID, Person: 2, Amount: 100}, deadline, nil); multaque.ErrorCode(err) != multaque.ECONFLICT {
		t.Fatalf("pledge after the deadline: %v, want ECONFLICT", err)
	}

	// The treasurer marks it paid; its reminder leaves the outbox.
	if _, err := db.MarkPaid(ctx, met.ID, 1, 2, deadline, nil); multaque.ErrorCode(err) != multaque.EUNAUTHORIZED {
		t.Fatalf("MarkPaid by a non-treasurer: %v, want EUNAUTHORIZED", err)
	}
	if _, err := db.UpdateGoal(ctx, met.ID, func(g *multaque.Goal) error { g.Treasurer = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := db.OutboxLen(ctx)
	if p, err := db.MarkPaid(ctx, met.ID, 1, 2, deadline, nil); err != nil || p.Status != multaque.PledgePaid {
		t.Fatalf("MarkPaid=%+v, %v", p, err)
	}
	if after, _ := db.OutboxLen(ctx); after != before-1 {
		t.Fatalf("OutboxLen=%d, want %d: the reminder deleted", after, before-1)
	}
	checkClean(t, db)
}

func TestForgetDeletesOpenPledgesAndAnonymisesSettledOnes(t *testing.T) {
	db := openDB(t)
	open := formPledgeTeam(t, db, 1, 3, "gracia", "energy-coop")
	settled := formPledgeTeam(t, db, 10, 3, "gracia", "energy-coop")
	setGoal(t, db, open.ID, 1000, t0.Add(30*24*time.Hour))
	setGoal(t, db, settled.ID, 1000, t0.Add(2*24*time.Hour))
	createFund(t, db, multaque.Fund{ID: "city", Name: "City", Budget: 10_000})
	const supporter = 777 // no citizen record: came through a share link
	for _, team := range []string{open.ID, settled.ID} {
		if _, err := db.Pledge(ctx, multaque.Pledge{Team: team, Person: supporter, Amount: 1000, Named: true, Name: "Ana", Supporter: true}, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SettleGoal(ctx, settled.ID, t0.Add(2*24*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	data, err := db.PersonalData(ctx, supporter)
	if err != nil || !strings.Contains(string(data), `"pledges"`) {
		t.Fatalf("PersonalData=%s, %v; want their pledges", data, err)
	}
	if err := db.ForgetCitizen(ctx, supporter); err != nil {
		t.Fatalf("ForgetCitizen: %v", err)
	}
	if s, _ := db.Goal(ctx, open.ID); len(s.Pledges) != 0 {
		t.Fatalf("open goal's pledges=%+v, want the pledge deleted", s.Pledges)
	}
	s, _ := db.Goal(ctx, settled.ID)
	if len(s.Pledges) != 1 || s.Pledges[0].Person != 0 || s.Pledges[0].Name != "" || s.Pledges[0].Amount != 1000 {
		t.Fatalf("settled goal's pledges=%+v, want one anonymous pledge of 10.00", s.Pledges)
	}
	if ps, _ := db.PledgesOf(ctx, supporter); len(ps) != 0 {
		t.Fatalf("PledgesOf after erasure=%v, want none", ps)
	}
	funds, _ := db.Funds(ctx)
	if f := funds[0]; f.Committed != 0 || f.Paid != 1000 || f.Released != 1000 {
		t.Fatalf("fund=%+v, want the open match released and the settled one paid", f)
	}
	checkClean(t, db)
}

func TestBonusIsReservedWhenATeamFormsBigEnough(t *testing.T) {
	db := openDB(t)
	createFund(t, db, multaque.Fund{ID: "city", Name: "City", Budget: 60_000, BonusMembers: 4, Bonus: 25_000, Projects: []string{"energy-coop"}})
	small := formPledgeTeam(t, db, 1, 3, "gracia", "energy-coop")
	big := formPledgeTeam(t, db, 10, 4, "gracia", "energy-coop")
	other := formPledgeTeam(t, db, 20, 4, "gracia", "time-bank")
	big2 := formPledgeTeam(t, db, 30, 5, "gracia", "energy-coop")
	big3 := formPledgeTeam(t, db, 40, 5, "gracia", "energy-coop") // the budget has 10,000 left: no whole bonus
	for team, want := range map[string]multaque.Cents{small.ID: 0, big.ID: 25_000, other.ID: 0, big2.ID: 25_000, big3.ID: 0} {
		if got, _, _ := db.TeamBonuses(ctx, team); got != want {
			t.Errorf("team %s: bonus %s, want %s", team, got, want)
		}
	}
	funds, _ := db.Funds(ctx)
	if f := funds[0]; f.Committed != 50_000 {
		t.Fatalf("fund committed %s, want 500.00", f.Committed)
	}
	checkClean(t, db)
}

// A burst of pledges leaves one progress message for the group, with the
// latest figures: each takes the place of the one still waiting.
func TestProgressMessagesFold(t *testing.T) {
	db := openDB(t)
	tm := formPledgeTeam(t, db, 1, 3, "gracia", "energy-coop")
	setGoal(t, db, tm.ID, 100_000, t0.Add(30*24*time.Hour))
	progress := func(p *multaque.Pledge, _ *multaque.Fund, s *multaque.GoalState) []multaque.OutboxItem {
		return []multaque.OutboxItem{
			{Kind: multaque.KindGoalProgress, Chat: -100, Text: "pledged " + s.Progress.Pledged.String()},
			{Kind: "thanks", Chat: p.Person, Text: "thank you"},
		}
	}
	for person := int64(1); person <= 3; person++ {
		if _, err := db.Pledge(ctx, multaque.Pledge{Team: tm.ID, Person: person, Amount: 1000}, t0, progress); err != nil {
			t.Fatal(err)
		}
	}
	items, err := db.Due(ctx, t0.Add(time.Hour), 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var group []string
	for _, it := range items {
		if it.Chat == -100 {
			group = append(group, it.Text)
		}
	}
	if len(items) != 4 || len(group) != 1 || group[0] != "pledged 30.00" {
		t.Fatalf("outbox %d items, group %q; want 3 thanks and one progress message with 30.00", len(items), group)
	}
	if n, _ := db.OutboxLen(ctx); n != 4 {
		t.Fatalf("OutboxLen=%d, want 4", n)
	}
}

// BenchmarkPledgeParallel pledges from many people at once to one team
// against one fund, on a real file: each pledge reserves its match in its
// own transaction, shared by concurrent callers through Batch.
func BenchmarkPledgeParallel(b *testing.B) {
	db := openDB(b)
	tm := formPledgeTeam(b, db, 1, 3, "gracia", "energy-coop")
	setGoal(b, db, tm.ID, multaque.MaxCents, t0.Add(30*24*time.Hour))
	createFund(b, db, multaque.Fund{ID: "city", Name: "City", Budget: multaque.MaxCents})
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Pledge(ctx, multaque.Pledge{Team: tm.ID, Person: 10_000 + next.Add(1), Amount: 1000}, t0, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

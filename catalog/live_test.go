package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

func newLive(t testing.TB) (*catalog.Live, *catalog.Catalog, *catalog.Messages) {
	t.Helper()
	base, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	return catalog.NewLive(base, texts), base, texts
}

// approved is a proposal written in Catalan only, approved as project id.
func approved(id uint64, project string) multaque.Proposal {
	return multaque.Proposal{
		ID: id, Proposer: 42, Lang: multaque.Catalan, Status: multaque.ProposalApproved, Project: project,
		Name:        multaque.Text{multaque.Catalan: "Hort comunitari"},
		Pitch:       multaque.Text{multaque.Catalan: "Un hort que cultiven els veïns."},
		Explanation: multaque.Text{multaque.Catalan: "Els veïns lloguen un terreny.\nEl cultiven junts."},
		MinTeam:     5, Version: 3, CreatedAt: time.Unix(1, 0),
	}
}

func TestLiveStartsAsTheBase(t *testing.T) {
	live, base, _ := newLive(t)
	if got, want := len(live.Projects()), len(base.Projects()); got != want {
		t.Fatalf("len(Projects)=%d, want %d", got, want)
	}
	p, ok := live.Project("consumer-group")
	if !ok || p.MinTeam != 8 || p.MaxTeam != 15 {
		t.Fatalf("Project(consumer-group)=%+v,%v, want 8-15 as in the file", p, ok)
	}
	if c, ok := live.Community("gracia"); !ok || c.Parent != "barcelona" {
		t.Fatalf("Community(gracia)=%+v,%v", c, ok)
	}
	if got := live.Ancestors("gracia"); len(got) == 0 || got[0] != "barcelona" {
		t.Fatalf("Ancestors(gracia)=%v, want barcelona first", got)
	}
	if len(live.Children("")) == 0 || len(live.Search("gracia", multaque.Catalan, 3)) == 0 || len(live.Communities()) != len(base.Communities()) {
		t.Fatal("Children, Search or Communities do not delegate to the base")
	}
	if !live.IsWithin("gracia", "barcelona") || live.Depth("gracia") != base.Depth("gracia") {
		t.Fatal("IsWithin or Depth do not delegate to the base")
	}
	if _, ok := live.Nearest(41.4036, 2.1561); !ok {
		t.Fatal("Nearest finds nothing in Barcelona")
	}
}

func TestLiveApprovedProposalFallsBackClearly(t *testing.T) {
	live, base, _ := newLive(t)
	pr := approved(7, "hort-comunitari")
	pr.Pitch[multaque.English] = "A garden the neighbours grow."
	draft := approved(8, "")
	draft.Status, draft.Project = multaque.ProposalPending, ""
	if err := live.Update(catalog.Overlay{Proposals: []multaque.Proposal{draft, pr}}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	ps := live.Projects()
	if len(ps) != len(base.Projects())+1 || ps[len(ps)-1].ID != "hort-comunitari" {
		t.Fatalf("Projects ends with %q (%d), want only the approved proposal added last", ps[len(ps)-1].ID, len(ps))
	}
	p, _ := live.Project("hort-comunitari")
	tests := []struct {
		field string
		got   string
		want  string
	}{
		{"name ca", p.Name[multaque.Catalan], "Hort comunitari"},
		{"name es", p.Name[multaque.Spanish], "🌐 Hort comunitari"},
		{"pitch es", p.Pitch[multaque.Spanish], "🌐 (en catalán) Un hort que cultiven els veïns."},
		{"pitch en (translated)", p.Pitch[multaque.English], "A garden the neighbours grow."},
		{"explanation en", p.Explanation[multaque.English], "🌐 (only in Catalan for now)\nEls veïns lloguen un terreny.\nEl cultiven junts."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s=%q, want %q", tt.field, tt.got, tt.want)
		}
	}
	if p.MinTeam != 5 || p.MaxTeam != 10 {
		t.Errorf("sizes %d-%d, want 5-10", p.MinTeam, p.MaxTeam)
	}
	if len(p.Playbook) != 3 || len(p.Playbook[0].Missing()) != 0 {
		t.Errorf("playbook %v, want 3 steps in every language", p.Playbook)
	}
	if _, ok := base.Project("hort-comunitari"); ok {
		t.Error("the base catalogue changed")
	}
}

func TestLiveCutsMarkedTextsToTheCatalogueLimits(t *testing.T) {
	live, _, _ := newLive(t)
	pr := approved(1, "long")
	pr.Name[multaque.Catalan] = strings.Repeat("n", multaque.MaxProposalName)
	pr.Pitch[multaque.Catalan] = strings.Repeat("p", multaque.MaxProposalPitch)
	pr.Explanation[multaque.Catalan] = strings.Repeat("e", multaque.MaxProposalExplanation)
	if err := live.Update(catalog.Overlay{Proposals: []multaque.Proposal{pr}}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	p, ok := live.Project("long")
	if !ok {
		t.Fatal("a proposal at every limit is not in the catalogue")
	}
	for _, c := range []struct {
		s   string
		max int
	}{{p.Name[multaque.English], catalog.MaxNameLen}, {p.Pitch[multaque.Spanish], catalog.MaxPitchLen}, {p.Explanation[multaque.English], catalog.MaxExplanationLen}} {
		if n := utf8.RuneCountInString(c.s); n > c.max || !strings.HasPrefix(c.s, "🌐") || !strings.HasSuffix(c.s, "…") {
			t.Errorf("marked text of %d characters %q…, want at most %d, marked and cut", n, c.s[:20], c.max)
		}
	}
}

func TestLiveThresholdsOverrideSizes(t *testing.T) {
	live, base, _ := newLive(t)
	err := live.Update(catalog.Overlay{
		Proposals: []multaque.Proposal{approved(1, "hort")},
		Thresholds: []multaque.Threshold{
			{Project: "consumer-group", MinTeam: 6, MaxTeam: 12},
			{Project: "hort", MinTeam: 2, MaxTeam: 3},
			{Project: "no-such-project", MinTeam: 2, MaxTeam: 3},
			{Project: "time-bank", MinTeam: 9, MaxTeam: 4}, // refused: max below min
		},
	})
	if multaque.ErrorCode(err) != multaque.EINVALID || !strings.Contains(err.Error(), "no-such-project") || !strings.Contains(err.Error(), "time-bank") {
		t.Fatalf("Update: %v, want EINVALID naming what was left out", err)
	}
	sizes := map[string][2]int{}
	for _, p := range live.Projects() {
		sizes[p.ID] = [2]int{p.MinTeam, p.MaxTeam}
	}
	want := map[string][2]int{"consumer-group": {6, 12}, "hort": {2, 3}, "time-bank": {10, 30}}
	for id, w := range want {
		if sizes[id] != w {
			t.Errorf("Projects: %s is %v, want %v", id, sizes[id], w)
		}
		if p, _ := live.Project(id); [2]int{p.MinTeam, p.MaxTeam} != w {
			t.Errorf("Project(%s) is %d-%d, want %v", id, p.MinTeam, p.MaxTeam, w)
		}
	}
	if p, _ := base.Project("consumer-group"); p.MinTeam != 8 {
		t.Errorf("the base's consumer group has min %d, want 8 still", p.MinTeam)
	}
	if ts := live.Thresholds(); len(ts) != 2 || ts[0].Project != "consumer-group" || ts[1].Project != "hort" {
		t.Errorf("Thresholds=%v, want consumer-group and hort", ts)
	}
	// Dropping the threshold brings the file's sizes back.
	if err := live.Update(catalog.Overlay{}); err != nil {
		t.Fatal(err)
	}
	if p, _ := live.Project("consumer-group"); p.MinTeam != 8 || p.MaxTeam != 15 {
		t.Errorf("after the threshold went: %d-%d, want 8-15", p.MinTeam, p.MaxTeam)
	}
	if _, ok := live.Project("hort"); ok {
		t.Error("a project no longer approved is still there")
	}
}

func TestLiveLeavesOutBadProposals(t *testing.T) {
	live, base, _ := newLive(t)
	clash := approved(1, "consumer-group") // the file has it
	twice := approved(3, "hort")
	bad := approved(4, "blank")
	bad.Name[multaque.Spanish] = " " // the catalogue refuses blank texts
	err := live.Update(catalog.Overlay{Proposals: []multaque.Proposal{clash, approved(2, "hort"), twice, bad}})
	if multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("Update: %v, want EINVALID", err)
	}
	for _, frag := range []string{"proposal 1", "proposal 3", "proposal 4"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not name %s", err, frag)
		}
	}
	if got, want := len(live.Projects()), len(base.Projects())+1; got != want {
		t.Fatalf("len(Projects)=%d, want %d: the good proposal joins", got, want)
	}
	if p, _ := live.Project("consumer-group"); p.Name[multaque.Catalan] == "Hort comunitari" {
		t.Fatal("a proposal replaced a project of the file")
	}
}

func TestLiveReload(t *testing.T) {
	live, _, _ := newLive(t)
	ctx := context.Background()
	err := live.Reload(ctx, func(context.Context) (catalog.Overlay, error) {
		return catalog.Overlay{Thresholds: []multaque.Threshold{{Project: "time-bank", MinTeam: 3, MaxTeam: 6}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("store down")
	if err := live.Reload(ctx, func(context.Context) (catalog.Overlay, error) { return catalog.Overlay{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("Reload=%v, want the load's error", err)
	}
	if p, _ := live.Project("time-bank"); p.MinTeam != 3 {
		t.Fatalf("after a failed reload min=%d, want 3 kept", p.MinTeam)
	}
}

// TestLiveReadWhileUpdating runs readers against rebuilds, for the race
// detector: every read sees one whole catalogue, old or new.
func TestLiveReadWhileUpdating(t *testing.T) {
	live, base, _ := newLive(t)
	n := len(base.Projects())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ps := live.Projects()
				if len(ps) != n && len(ps) != n+1 {
					t.Errorf("len(Projects)=%d, want %d or %d", len(ps), n, n+1)
					return
				}
				if p, ok := live.Project("consumer-group"); ok && p.MinTeam != 8 && p.MinTeam != 4 {
					t.Errorf("consumer group min %d, want 8 or 4", p.MinTeam)
					return
				}
			}
		}()
	}
	for i := range 50 {
		o := catalog.Overlay{}
		if i%2 == 0 {
			o.Proposals = []multaque.Proposal{approved(1, fmt.Sprintf("p%d", i))}
			o.Thresholds = []multaque.Threshold{{Project: "consumer-group", MinTeam: 4, MaxTeam: 9}}
		}
		if err := live.Update(o); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

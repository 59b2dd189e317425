package bot

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// The survey is tested from inside the package: its inputs are buttons
// whose encoding is the package's own business.

func testSurvey(t *testing.T) *Survey {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatalf("catalog.Default: %v", err)
	}
	return &Survey{Catalog: cat}
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// at returns a consented citizen at step with version 5.
func at(step multaque.SurveyStep, edit func(c *multaque.Citizen)) *multaque.Citizen {
	c := &multaque.Citizen{ID: 42, Lang: multaque.Catalan, ConsentAt: t0, Survey: multaque.Survey{Step: step, Version: 5}}
	switch step {
	case multaque.StepCommunity:
		c.Name = "Anna"
	case multaque.StepInterests:
		c.Name, c.Community = "Anna", "gracia"
	case multaque.StepDone:
		c.Name, c.Community = "Anna", "gracia"
		c.Interests = []multaque.Interest{{Project: "consumer-group", Since: t0}}
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func press(action string, version int, arg string) Input {
	return Input{Button: &button{Action: action, Version: version, Arg: arg}, Now: t0.Add(time.Minute)}
}

func typed(s string) Input { return Input{Text: s, Now: t0.Add(time.Minute)} }

func TestSurveyNext(t *testing.T) {
	s := testSurvey(t)
	tests := []struct {
		name    string
		c       *multaque.Citizen
		in      Input
		wantErr error
		// wantChange is false when the citizen must not change (n == nil).
		wantChange  bool
		wantStep    multaque.SurveyStep
		wantScreen  Screen
		wantProblem string
		check       func(t *testing.T, n *multaque.Citizen, r Reply)
	}{
		// name
		{name: "name valid", c: at(multaque.StepName, nil), in: typed("  Anna   Puig "), wantChange: true, wantStep: multaque.StepCommunity, wantScreen: ScreenCommunity,
			check: func(t *testing.T, n *multaque.Citizen, r Reply) {
				if n.Name != "Anna Puig" {
					t.Errorf("Name=%q, want %q", n.Name, "Anna Puig")
				}
			}},
		{name: "name with community from deep link skips to interests", c: at(multaque.StepName, func(c *multaque.Citizen) { c.Community = "gracia" }), in: typed("Anna"), wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests},
		{name: "name blank", c: at(multaque.StepName, nil), in: typed("   "), wantScreen: ScreenName, wantProblem: problemNameEmpty},
		{name: "name too long", c: at(multaque.StepName, nil), in: typed(strings.Repeat("é", multaque.MaxNameLen+1)), wantScreen: ScreenName, wantProblem: problemNameTooLong},
		{name: "name control character", c: at(multaque.StepName, nil), in: typed("An\x07na"), wantScreen: ScreenName, wantProblem: problemNameBadChars},
		{name: "name invalid utf8", c: at(multaque.StepName, nil), in: typed("An\xffna"), wantScreen: ScreenName, wantProblem: problemNameBadChars},
		{name: "name location", c: at(multaque.StepName, nil), in: Input{Location: &Location{Lat: 41.4, Lon: 2.15}}, wantScreen: ScreenName, wantProblem: problemUseButtons},
		{name: "name stale button", c: at(multaque.StepName, nil), in: press(actPick, 4, "gracia"), wantErr: ErrStale},
		{name: "name button of another step", c: at(multaque.StepName, nil), in: press(actToggle, 5, "consumer-group"), wantErr: ErrStale},

		// community
		{name: "community search", c: at(multaque.StepCommunity, nil), in: typed("gràcia"), wantScreen: ScreenCommunityChoices,
			check: func(t *testing.T, _ *multaque.Citizen, r Reply) {
				if !slices.Contains(r.Choices, "gracia") {
					t.Errorf("Choices=%v, want gracia among them", r.Choices)
				}
			}},
		{name: "community search without accents", c: at(multaque.StepCommunity, nil), in: typed("GRACIA"), wantScreen: ScreenCommunityChoices},
		{name: "community search finds nothing", c: at(multaque.StepCommunity, nil), in: typed("Atlantis"), wantScreen: ScreenCommunity, wantProblem: problemNoCommunity},
		{name: "community search too long", c: at(multaque.StepCommunity, nil), in: typed(strings.Repeat("a", maxSearchLen+1)), wantScreen: ScreenCommunity, wantProblem: problemSearchTooLong},
		{name: "community location", c: at(multaque.StepCommunity, nil), in: Input{Location: &Location{Lat: 41.4036, Lon: 2.1570}, Now: t0}, wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests,
			check: func(t *testing.T, n *multaque.Citizen, r Reply) {
				if n.Community != "vila-de-gracia" || r.Placed != "vila-de-gracia" {
					t.Errorf("Community=%q Placed=%q, want vila-de-gracia", n.Community, r.Placed)
				}
			}},
		{name: "community pick", c: at(multaque.StepCommunity, nil), in: press(actPick, 5, "gracia"), wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests,
			check: func(t *testing.T, n *multaque.Citizen, r Reply) {
				if n.Community != "gracia" || n.Survey.Version != 6 || !r.Edit {
					t.Errorf("Community=%q Version=%d Edit=%v, want gracia 6 true", n.Community, n.Survey.Version, r.Edit)
				}
			}},
		{name: "community browse", c: at(multaque.StepCommunity, nil), in: press(actBrowse, 5, "barcelona"), wantScreen: ScreenCommunity,
			check: func(t *testing.T, _ *multaque.Citizen, r Reply) {
				if r.Community != "barcelona" {
					t.Errorf("Community=%q, want barcelona", r.Community)
				}
			}},
		{name: "community pick unknown", c: at(multaque.StepCommunity, nil), in: press(actPick, 5, "atlantis"), wantErr: ErrStale},
		{name: "community browse unknown", c: at(multaque.StepCommunity, nil), in: press(actBrowse, 5, "atlantis"), wantErr: ErrStale},
		{name: "community stale", c: at(multaque.StepCommunity, nil), in: press(actPick, 3, "gracia"), wantErr: ErrStale},
		{name: "community from the future", c: at(multaque.StepCommunity, nil), in: press(actPick, 6, "gracia"), wantErr: ErrStale},

		// interests
		{name: "interest on", c: at(multaque.StepInterests, nil), in: press(actToggle, 5, "consumer-group"), wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests,
			check: func(t *testing.T, n *multaque.Citizen, _ Reply) {
				if !n.HasInterest("consumer-group") || !n.Interests[0].Since.Equal(t0.Add(time.Minute)) {
					t.Errorf("Interests=%v, want consumer-group since %v", n.Interests, t0.Add(time.Minute))
				}
			}},
		{name: "interest off", c: at(multaque.StepInterests, func(c *multaque.Citizen) { c.SetInterests([]string{"consumer-group"}, t0) }), in: press(actToggle, 5, "consumer-group"), wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests,
			check: func(t *testing.T, n *multaque.Citizen, _ Reply) {
				if len(n.Interests) != 0 {
					t.Errorf("Interests=%v, want none", n.Interests)
				}
			}},
		{name: "interest more", c: at(multaque.StepInterests, nil), in: press(actMore, 5, "consumer-group"), wantScreen: ScreenProject},
		{name: "interest unknown project", c: at(multaque.StepInterests, nil), in: press(actToggle, 5, "nope"), wantErr: ErrStale},
		{name: "interests done with none", c: at(multaque.StepInterests, nil), in: press(actDone, 5, ""), wantScreen: ScreenInterests, wantProblem: problemNoInterest},
		{name: "interests done", c: at(multaque.StepInterests, func(c *multaque.Citizen) { c.SetInterests([]string{"consumer-group"}, t0) }), in: press(actDone, 5, ""), wantChange: true, wantStep: multaque.StepDone, wantScreen: ScreenSummary},
		{name: "interests typed", c: at(multaque.StepInterests, nil), in: typed("energy"), wantScreen: ScreenInterests, wantProblem: problemUseButtons},
		{name: "interests stale", c: at(multaque.StepInterests, nil), in: press(actDone, 1, ""), wantErr: ErrStale},

		// done and settings
		{name: "done typed", c: at(multaque.StepDone, nil), in: typed("hello"), wantScreen: ScreenHelp},
		{name: "settings menu", c: at(multaque.StepDone, nil), in: press(actSettings, 5, "menu"), wantScreen: ScreenSettings},
		{name: "settings name", c: at(multaque.StepDone, nil), in: press(actSettings, 5, "name"), wantChange: true, wantStep: multaque.StepName, wantScreen: ScreenName,
			check: func(t *testing.T, n *multaque.Citizen, _ Reply) {
				if !n.Survey.Editing {
					t.Errorf("Editing=false, want true")
				}
			}},
		{name: "settings unknown", c: at(multaque.StepDone, nil), in: press(actSettings, 5, "everything"), wantErr: ErrStale},
		{name: "settings language", c: at(multaque.StepDone, nil), in: press(actLang, 5, "es"), wantChange: true, wantStep: multaque.StepDone, wantScreen: ScreenSummary,
			check: func(t *testing.T, n *multaque.Citizen, r Reply) {
				if n.Lang != multaque.Spanish || r.Lang != multaque.Spanish {
					t.Errorf("Lang=%s reply %s, want es", n.Lang, r.Lang)
				}
			}},
		{name: "settings language forged", c: at(multaque.StepDone, nil), in: press(actLang, 5, "xx"), wantErr: ErrStale},
		{name: "editing name returns to summary", c: at(multaque.StepDone, func(c *multaque.Citizen) { c.Survey.Step, c.Survey.Editing = multaque.StepName, true }), in: typed("Anna Maria"), wantChange: true, wantStep: multaque.StepDone, wantScreen: ScreenSummary,
			check: func(t *testing.T, n *multaque.Citizen, _ Reply) {
				if n.Survey.Editing || n.Name != "Anna Maria" {
					t.Errorf("Editing=%v Name=%q, want false, Anna Maria", n.Survey.Editing, n.Name)
				}
			}},
		{name: "editing community returns to summary", c: at(multaque.StepDone, func(c *multaque.Citizen) { c.Survey.Step, c.Survey.Editing = multaque.StepCommunity, true }), in: press(actPick, 5, "girona"), wantChange: true, wantStep: multaque.StepDone, wantScreen: ScreenSummary},
		{name: "editing interests keeps queue place", c: at(multaque.StepDone, func(c *multaque.Citizen) { c.Survey.Step, c.Survey.Editing = multaque.StepInterests, true }), in: press(actToggle, 5, "time-bank"), wantChange: true, wantStep: multaque.StepInterests, wantScreen: ScreenInterests,
			check: func(t *testing.T, n *multaque.Citizen, _ Reply) {
				if len(n.Interests) != 2 || !n.Interests[0].Since.Equal(t0) {
					t.Errorf("Interests=%v, want consumer-group kept since %v plus time-bank", n.Interests, t0)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *tt.c
			n, r, err := s.Next(tt.c, tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err=%v, want %v", err, tt.wantErr)
			}
			if tt.c.Survey != before.Survey || tt.c.Name != before.Name || tt.c.Community != before.Community {
				t.Fatalf("Next changed its input citizen")
			}
			if err != nil {
				if n != nil {
					t.Fatalf("citizen changed on error")
				}
				return
			}
			if got := n != nil; got != tt.wantChange {
				t.Fatalf("changed=%v, want %v", got, tt.wantChange)
			}
			if n != nil {
				if n.Survey.Step != tt.wantStep {
					t.Errorf("Step=%q, want %q", n.Survey.Step, tt.wantStep)
				}
				if n.Survey.Version != tt.c.Survey.Version+1 {
					t.Errorf("Version=%d, want %d", n.Survey.Version, tt.c.Survey.Version+1)
				}
				if err := n.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
			}
			if r.Screen != tt.wantScreen {
				t.Errorf("Screen=%v, want %v", r.Screen, tt.wantScreen)
			}
			if r.Problem != tt.wantProblem {
				t.Errorf("Problem=%q, want %q", r.Problem, tt.wantProblem)
			}
			if tt.check != nil {
				tt.check(t, n, r)
			}
		})
	}
}

func TestSurveyConsentAppliesDeepLink(t *testing.T) {
	s := testSurvey(t)
	c, r := s.Consent(7, multaque.Spanish, parsePayload("c_gracia_p_consumer-group_r_abc123"), t0)
	if c.Community != "gracia" || !c.HasInterest("consumer-group") || c.Lang != multaque.Spanish {
		t.Fatalf("citizen=%+v, want gracia, consumer-group, es", c)
	}
	if c.Survey.Step != multaque.StepName || r.Screen != ScreenName || c.Survey.Version != 1 {
		t.Fatalf("step=%s screen=%v version=%d, want name, ScreenName, 1", c.Survey.Step, r.Screen, c.Survey.Version)
	}
	c, _ = s.Consent(7, multaque.English, parsePayload("c_atlantis_p_nothing"), t0)
	if c.Community != "" || len(c.Interests) != 0 {
		t.Fatalf("unknown ids pre-filled %+v, want nothing", c)
	}
}

func TestCallbackData(t *testing.T) {
	long := strings.Repeat("a", multaque.MaxIDLen)
	for _, b := range []button{
		{Action: actConsent, Version: noVersion, Arg: "ca," + startPayload{Community: long, Project: long, Referrer: "abcdefgh"}.String()},
		{Action: actToggle, Version: 1 << 30, Arg: long},
		{Action: actBrowse, Version: 3},
	} {
		data := b.encode()
		got, ok := decodeButton(data)
		if !ok || got != b {
			t.Errorf("decode(encode(%+v))=%+v,%v", b, got, ok)
		}
	}
	for _, forged := range []string{"", "x", "itog|abc|p", "itog||p", "|1|p", "itog|-5|p", "itog|01|p", strings.Repeat("z", 65)} {
		if b, ok := decodeButton(forged); ok {
			t.Errorf("decodeButton(%q)=%+v, want rejected", forged, b)
		}
	}
}

func TestParsePayload(t *testing.T) {
	tests := []struct {
		in   string
		want startPayload
	}{
		{"", startPayload{}},
		{"c_gracia", startPayload{Community: "gracia"}},
		{"p_consumer-group_c_gracia", startPayload{Community: "gracia", Project: "consumer-group"}},
		{"c_gracia_p_time-bank_r_x1y2", startPayload{Community: "gracia", Project: "time-bank", Referrer: "x1y2"}},
		{"c_GRACIA_p_../x", startPayload{}},
		{"c_gracia_p", startPayload{Community: "gracia"}},
		{strings.Repeat("c_gracia_", 10), startPayload{}},
	}
	for _, tt := range tests {
		if got := parsePayload(tt.in); got != tt.want {
			t.Errorf("parsePayload(%q)=%+v, want %+v", tt.in, got, tt.want)
		}
	}
}

package catalog_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// defaultCatalog loads the real catalogue or stops the test.
func defaultCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatalf("Default() error: %v", err)
	}
	return c
}

// texts lists every text of a project with a label saying where it is.
func texts(p multaque.Project) map[string]multaque.Text {
	out := map[string]multaque.Text{
		"name":        p.Name,
		"pitch":       p.Pitch,
		"explanation": p.Explanation,
	}
	for _, ex := range p.Examples {
		out["example "+ex.Name] = ex.Text
	}
	for i, step := range p.Playbook {
		out[fmt.Sprintf("playbook step %d", i+1)] = step
	}
	return out
}

func TestDefaultProjects(t *testing.T) {
	c := defaultCatalog(t)
	projects := c.Projects()
	if n := len(projects); n < 12 || n > 15 {
		t.Fatalf("len(Projects())=%d, want 12 to 15", n)
	}
	for _, p := range projects {
		for where, text := range texts(p) {
			for _, lang := range multaque.Languages {
				if strings.TrimSpace(text[lang]) == "" {
					t.Errorf("project %s: %s in %s is empty", p.ID, where, lang)
				}
			}
			if len(text) != len(multaque.Languages) {
				t.Errorf("project %s: %s has %d languages, want %d", p.ID, where, len(text), len(multaque.Languages))
			}
		}
		for _, lang := range multaque.Languages {
			if n := utf8.RuneCountInString(p.Explanation[lang]); n > catalog.MaxExplanationLen {
				t.Errorf("project %s: explanation in %s is %d characters, want at most %d", p.ID, lang, n, catalog.MaxExplanationLen)
			}
		}
		https := 0
		for _, ex := range p.Examples {
			if u, err := url.Parse(ex.URL); err == nil && u.Scheme == "https" && u.Host != "" {
				https++
			}
		}
		if https == 0 {
			t.Errorf("project %s: no example with an https URL", p.ID)
		}
		if p.MinTeam > p.MaxTeam {
			t.Errorf("project %s: min_team %d > max_team %d", p.ID, p.MinTeam, p.MaxTeam)
		}
		if n := len(p.Playbook); n < 4 || n > 7 {
			t.Errorf("project %s: %d playbook steps, want 4 to 7", p.ID, n)
		}
	}
}

// Other packages' tests rely on these entries: keep them stable.
func TestDefaultStableEntries(t *testing.T) {
	c := defaultCatalog(t)
	p, ok := c.Project("consumer-group")
	if !ok {
		t.Fatalf("Project(consumer-group) not found")
	}
	if p.MinTeam != 8 {
		t.Fatalf("consumer-group MinTeam=%d, want 8", p.MinTeam)
	}
	if p.MaxTeam < 12 || p.MaxTeam > 20 {
		t.Fatalf("consumer-group MaxTeam=%d, want about 15", p.MaxTeam)
	}
	g, ok := c.Community("gracia")
	if !ok {
		t.Fatalf("Community(gracia) not found")
	}
	if g.Parent != "barcelona" {
		t.Fatalf("gracia Parent=%q, want %q", g.Parent, "barcelona")
	}
	if got, want := g.Name.In(multaque.Catalan), "Gràcia"; got != want {
		t.Fatalf("gracia name in ca=%q, want %q", got, want)
	}
}

func TestDefaultCommunities(t *testing.T) {
	c := defaultCatalog(t)
	roots := c.Children("")
	if len(roots) != 1 || roots[0].ID != "catalunya" {
		t.Fatalf("Children(\"\")=%v, want only catalunya", ids(roots))
	}
	for _, town := range []string{"barcelona", "girona", "mataro", "reus", "sabadell", "terrassa", "badalona", "lleida", "tarragona", "vic", "manresa", "granollers"} {
		cm, ok := c.Community(town)
		if !ok {
			t.Errorf("Community(%s) not found", town)
			continue
		}
		if cm.Parent != "catalunya" {
			t.Errorf("%s Parent=%q, want catalunya", town, cm.Parent)
		}
	}
	districts := []string{"ciutat-vella", "eixample", "sants-montjuic", "les-corts", "sarria-sant-gervasi", "gracia", "horta-guinardo", "nou-barris", "sant-andreu", "sant-marti"}
	if got := ids(c.Children("barcelona")); !slices.Equal(got, districts) {
		t.Fatalf("Children(barcelona)=%v, want %v", got, districts)
	}
	// Barcelona's own order of its neighbourhoods (Vallcarca is number 28).
	gracia := []string{"vallcarca", "el-coll", "la-salut", "vila-de-gracia", "camp-d-en-grassot"}
	if got := ids(c.Children("gracia")); !slices.Equal(got, gracia) {
		t.Fatalf("Children(gracia)=%v, want %v", got, gracia)
	}
	for _, d := range []string{"eixample", "sant-marti"} {
		if n := len(c.Children(d)); n < 4 {
			t.Errorf("len(Children(%s))=%d, want at least 4 neighbourhoods", d, n)
		}
	}
	for _, cm := range c.Communities() {
		if cm.Lat == nil {
			t.Errorf("community %s has no coordinates", cm.ID)
			continue
		}
		// Everything in the catalogue is in Catalonia.
		if *cm.Lat < 40.5 || *cm.Lat > 42.9 || *cm.Lon < 0.1 || *cm.Lon > 3.4 {
			t.Errorf("community %s at %v,%v, want inside Catalonia", cm.ID, *cm.Lat, *cm.Lon)
		}
	}
}

func TestDefaultIsShared(t *testing.T) {
	a, b := defaultCatalog(t), defaultCatalog(t)
	if a != b {
		t.Fatalf("Default() returned %p then %p, want the same catalogue", a, b)
	}
}

func ids(cs []multaque.Community) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestLookups(t *testing.T) {
	c := defaultCatalog(t)

	if _, ok := c.Project("no-such-project"); ok {
		t.Fatalf("Project(no-such-project) found, want not found")
	}
	if _, ok := c.Community("barcelon"); ok {
		t.Fatalf("Community(barcelon) found, want not found")
	}

	ancestors := []struct {
		id   string
		want []string
	}{
		{"vila-de-gracia", []string{"gracia", "barcelona", "catalunya"}},
		{"gracia", []string{"barcelona", "catalunya"}},
		{"girona", []string{"catalunya"}},
		{"catalunya", nil},
		{"nowhere", nil},
	}
	for _, tt := range ancestors {
		if got := c.Ancestors(tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("Ancestors(%s)=%v, want %v", tt.id, got, tt.want)
		}
		if got, want := c.Depth(tt.id), len(tt.want); got != want {
			t.Errorf("Depth(%s)=%d, want %d", tt.id, got, want)
		}
	}

	within := []struct {
		id, ancestor string
		want         bool
	}{
		{"vila-de-gracia", "gracia", true},
		{"vila-de-gracia", "barcelona", true},
		{"vila-de-gracia", "catalunya", true},
		{"gracia", "gracia", true},
		{"gracia", "vila-de-gracia", false},
		{"el-poblenou", "gracia", false},
		{"girona", "barcelona", false},
		{"nowhere", "nowhere", false},
		{"gracia", "", false},
	}
	for _, tt := range within {
		if got := c.IsWithin(tt.id, tt.ancestor); got != tt.want {
			t.Errorf("IsWithin(%s, %s)=%v, want %v", tt.id, tt.ancestor, got, tt.want)
		}
	}

	if got := c.Children("vila-de-gracia"); got != nil {
		t.Errorf("Children(vila-de-gracia)=%v, want none", ids(got))
	}
	if got := c.Children("nowhere"); got != nil {
		t.Errorf("Children(nowhere)=%v, want none", ids(got))
	}
}

// The slices a Catalog returns are the caller's: changing them changes
// nothing inside.
func TestReturnedSlicesAreCopies(t *testing.T) {
	c := defaultCatalog(t)
	ps := c.Projects()
	first := ps[0].ID
	ps[0] = multaque.Project{ID: "changed"}
	if got := c.Projects()[0].ID; got != first {
		t.Fatalf("Projects()[0].ID=%q after changing a returned slice, want %q", got, first)
	}
	up := c.Ancestors("vila-de-gracia")
	up[0] = "changed"
	if got := c.Ancestors("vila-de-gracia")[0]; got != "gracia" {
		t.Fatalf("Ancestors(vila-de-gracia)[0]=%q after changing a returned slice, want gracia", got)
	}
	kids := c.Children("barcelona")
	kids[0].ID = "changed"
	if got := c.Children("barcelona")[0].ID; got != "ciutat-vella" {
		t.Fatalf("Children(barcelona)[0].ID=%q after changing a returned slice, want ciutat-vella", got)
	}
}

func TestLoadFile(t *testing.T) {
	c, err := catalog.LoadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatalf("LoadFile(minimal.yaml) error: %v", err)
	}
	if got := len(c.Projects()); got != 1 {
		t.Fatalf("len(Projects())=%d, want 1", got)
	}

	_, err = catalog.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadFile(missing) error=%v, want os.ErrNotExist", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	minimal, err := os.ReadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(minimal), "parent: town", "parent: towm", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = catalog.LoadFile(bad)
	if got := multaque.ErrorCode(err); got != multaque.EINVALID {
		t.Fatalf("ErrorCode(LoadFile(bad))=%q (%v), want %q", got, err, multaque.EINVALID)
	}
	for _, want := range []string{bad, `community "barri": parent "towm" does not exist`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("LoadFile(bad) error=%q, want it to contain %q", err, want)
		}
	}
}

func TestWithProjects(t *testing.T) {
	base, err := catalog.LoadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra := newProject("repair-cafe")
	c, err := base.WithProjects([]multaque.Project{extra})
	if err != nil {
		t.Fatalf("WithProjects(repair-cafe) error: %v", err)
	}
	if got, want := projectIDs(c), []string{"time-bank", "repair-cafe"}; !slices.Equal(got, want) {
		t.Fatalf("WithProjects: Projects()=%v, want %v", got, want)
	}
	if got, want := projectIDs(base), []string{"time-bank"}; !slices.Equal(got, want) {
		t.Fatalf("WithProjects changed the original: Projects()=%v, want %v", got, want)
	}
	if got := ids(c.Children("region")); !slices.Equal(got, []string{"town"}) {
		t.Fatalf("WithProjects: Children(region)=%v, want [town]", got)
	}

	// The catalogue owns its copy: changing the proposal afterwards does
	// not reach it.
	extra.Name[multaque.English] = "changed"
	if p, _ := c.Project("repair-cafe"); p.Name[multaque.English] != "Repair café" {
		t.Fatalf("project name in en=%q after changing the argument, want %q", p.Name[multaque.English], "Repair café")
	}

	bad := []struct {
		name  string
		extra []multaque.Project
		want  string
	}{
		{"id taken", []multaque.Project{newProject("time-bank")}, `project "time-bank": id used twice (entries 1 and 2)`},
		{"twice in extra", []multaque.Project{newProject("x"), newProject("x")}, `project "x": id used twice (entries 2 and 3)`},
		{"invalid", []multaque.Project{func() multaque.Project { p := newProject("y"); p.MinTeam = 1; return p }()}, `project "y": min_team 1 must be at least 2`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := base.WithProjects(tt.extra)
			if got := multaque.ErrorCode(err); got != multaque.EINVALID {
				t.Fatalf("ErrorCode=%q (%v), want %q", got, err, multaque.EINVALID)
			}
			if got := multaque.ErrorMessage(err); !strings.Contains(got, tt.want) {
				t.Fatalf("error=%q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func projectIDs(c *catalog.Catalog) []string {
	var out []string
	for _, p := range c.Projects() {
		out = append(out, p.ID)
	}
	return out
}

func newProject(id string) multaque.Project {
	text := func(ca, es, en string) multaque.Text {
		return multaque.Text{multaque.Catalan: ca, multaque.Spanish: es, multaque.English: en}
	}
	return multaque.Project{
		ID:          id,
		Name:        text("Cafè de reparacions", "Café de reparaciones", "Repair café"),
		Pitch:       text("Repareu en lloc de llençar.", "Reparad en vez de tirar.", "Repair instead of throwing away."),
		Explanation: text("Veïns que reparen junts.", "Vecinos que reparan juntos.", "Neighbours repairing together."),
		MinTeam:     4,
		MaxTeam:     12,
		Playbook:    []multaque.Text{text("Trobeu un local.", "Buscad un local.", "Find a room.")},
	}
}

// A Catalog is shared by every handler; run with -race.
func TestConcurrentUse(t *testing.T) {
	c := defaultCatalog(t)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				c.Search("sant", multaque.Spanish, 5)
				c.Nearest(41.4036, 2.1570)
				c.Project("consumer-group")
				c.Children("barcelona")
				c.IsWithin("vila-de-gracia", "barcelona")
			}
		}()
	}
	for range 8 {
		<-done
	}
}

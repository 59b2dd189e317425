package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/configs"
)

// BigCatalog is the default catalogue with extra projects (copies of the
// first, renamed) and extra communities in Barcelona (copies of Gràcia):
// more than one keyboard page of each.
func BigCatalog(t testing.TB, projects, communities int) *catalog.Catalog {
	t.Helper()
	var doc struct {
		Projects    []yaml.Node `yaml:"projects"`
		Communities []yaml.Node `yaml:"communities"`
	}
	if err := yaml.Unmarshal(configs.CatalogYAML, &doc); err != nil {
		t.Fatal(err)
	}
	// copyAs copies the mapping n with id, its names suffixed, and fn
	// applied to each other key's value.
	copyAs := func(n *yaml.Node, id, suffix string, drop ...string) *yaml.Node {
		var out yaml.Node
		data, _ := yaml.Marshal(n)
		if err := yaml.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		m := out.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			switch k, v := m.Content[i].Value, m.Content[i+1]; k {
			case "id":
				v.Value = id
			case "name":
				for j := 1; j < len(v.Content); j += 2 {
					v.Content[j].Value += suffix
				}
			case "parent":
				v.Value = "barcelona"
			}
		}
		for _, d := range drop {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == d {
					m.Content = append(m.Content[:i], m.Content[i+2:]...)
					break
				}
			}
		}
		return m
	}
	first := &doc.Projects[0]
	for i := len(doc.Projects); i < projects; i++ {
		doc.Projects = append(doc.Projects, *copyAs(first, fmt.Sprintf("extra-%d", i), fmt.Sprintf(" %d", i)))
	}
	var gracia *yaml.Node
	for j := range doc.Communities {
		c := &doc.Communities[j]
		for i := 0; i+1 < len(c.Content); i += 2 {
			if c.Content[i].Value == "id" && c.Content[i+1].Value == "gracia" {
				gracia = c
			}
		}
	}
	for i := 0; i < communities; i++ {
		doc.Communities = append(doc.Communities, *copyAs(gracia, fmt.Sprintf("barri-%d", i), fmt.Sprintf(" %d", i), "radius_km"))
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cat
}

// fitsTelegram reports what in kb Telegram refuses as "reply markup is
// too long": over 100 buttons, over 8 in a row, or over 10 KB.
func fitsTelegram(t *testing.T, what string, kb tg.Keyboard) {
	t.Helper()
	n := 0
	for _, row := range kb {
		if len(row) > 8 {
			t.Errorf("%s: a row of %d buttons, Telegram takes 8", what, len(row))
		}
		n += len(row)
	}
	data, _ := json.Marshal(kb)
	if n > 100 || len(data) > 10*1024 {
		t.Errorf("%s: %d buttons, %d bytes; Telegram takes 100 and 10 KB", what, n, len(data))
	}
}

// walk shows pages 0, 1, … of a paged keyboard while the page shown has a
// button whose data is next(page+1), checks each fits Telegram, and
// returns every button's callback argument.
func walk(t *testing.T, what string, show func(page int) view, next func(page int) string) map[string]bool {
	t.Helper()
	args := map[string]bool{}
	for page := 0; page < 50; page++ {
		v := show(page)
		fitsTelegram(t, fmt.Sprintf("%s page %d", what, page+1), v.Markup)
		more := false
		for _, row := range v.Markup {
			for _, b := range row {
				bt, _ := decodeButton(b.Data)
				args[bt.Arg] = true
				more = more || b.Data == next(page+1)
			}
		}
		if !more {
			return args
		}
	}
	t.Fatalf("%s: more than 50 pages", what)
	return nil
}

// Every keyboard that lists the catalogue fits Telegram's limits on every
// page, and its pages together list everything (issue 19.2): 120 projects,
// 230 communities under one parent.
func TestCatalogueKeyboardsFitOnEveryPage(t *testing.T) {
	cat := BigCatalog(t, 120, 230)
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	rd := &renderer{cat: cat, texts: texts}
	c := &multaque.Citizen{ID: 1, Lang: multaque.Catalan, Survey: multaque.Survey{Version: 7}}
	m := &multaque.Mentor{ID: 1, Lang: multaque.Catalan}
	mver := mentorVersion(m, true)
	var projects, kids []string
	for _, p := range cat.Projects() {
		projects = append(projects, p.ID)
	}
	for _, k := range cat.Children("barcelona") {
		kids = append(kids, k.ID)
	}
	if len(projects) != 120 || len(kids) < 230 {
		t.Fatalf("%d projects, %d communities in Barcelona; want 120 and at least 230", len(projects), len(kids))
	}
	tests := []struct {
		name string
		show func(page int) view
		next func(page int) string
		want []string
	}{
		{"interests", func(p int) view { return rd.interests(c, p, "") },
			func(p int) string { return button{Action: actInterestsPage, Version: 7, Arg: strconv.Itoa(p)}.encode() }, projects},
		{"communities", func(p int) view { return rd.communities(c, "barcelona", p) },
			func(p int) string {
				return button{Action: actBrowse, Version: 7, Arg: withPage("barcelona", p)}.encode()
			}, kids},
		{"mentor projects", func(p int) view { return rd.mentorProjectsAt(m, true, "", p, "") },
			func(p int) string {
				return button{Action: actMentorProjectsPage, Version: mver, Arg: strconv.Itoa(p)}.encode()
			}, projects},
		{"mentor communities", func(p int) view { return rd.mentorCommunitiesAt(m, true, "barcelona", "", p, "") },
			func(p int) string {
				return button{Action: actMentorBrowse, Version: mver, Arg: withPage("barcelona", p)}.encode()
			}, kids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := walk(t, tt.name, tt.show, tt.next)
			for _, id := range tt.want {
				if !args[id] {
					t.Errorf("%s: %s is on no page", tt.name, id)
				}
			}
		})
	}
	// A toggle shows the page of what was toggled.
	last := projects[len(projects)-1]
	if v := rd.interests(c, 0, last); !strings.Contains(fmt.Sprint(v.Markup), last) {
		t.Errorf("the interests keyboard focused on %s does not show it", last)
	}
}

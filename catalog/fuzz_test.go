package catalog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

// FuzzParse checks that Parse never panics, that every failure is an
// EINVALID error, and that whatever it accepts holds together.
//
// The seeds are small on purpose: the fuzzer minimises every interesting
// input, and minimising mutants of the 80 KB real catalogue stalls it for
// minutes. The real catalogue has its own tests.
func FuzzParse(f *testing.F) {
	minimal, err := os.ReadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(minimal)
	f.Add([]byte(catalogYAML(project, communities)))
	f.Add([]byte(catalogYAML(project, communities+"\n  - {id: a, parent: b, name: {ca: A, es: A, en: A}}\n  - {id: b, parent: a, name: {ca: B, es: B, en: B}}\n")))
	f.Add([]byte("projects: &a [*a]\n"))
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Parse(bytes.NewReader(data))
		if err != nil {
			if got := multaque.ErrorCode(err); got != multaque.EINVALID {
				t.Fatalf("ErrorCode=%q (%v), want %q", got, err, multaque.EINVALID)
			}
			return
		}
		projects := c.Projects()
		if len(projects) == 0 {
			t.Fatalf("accepted a catalogue with no projects")
		}
		seen := make(map[string]bool)
		for _, p := range projects {
			if err := p.Validate(); err != nil {
				t.Fatalf("accepted project %q: Validate()=%v", p.ID, err)
			}
			if seen[p.ID] {
				t.Fatalf("accepted project id %q twice", p.ID)
			}
			seen[p.ID] = true
		}
		communities := c.Communities()
		clear(seen)
		for _, cm := range communities {
			if err := cm.Validate(); err != nil {
				t.Fatalf("accepted community %q: Validate()=%v", cm.ID, err)
			}
			if seen[cm.ID] {
				t.Fatalf("accepted community id %q twice", cm.ID)
			}
			seen[cm.ID] = true
			up := c.Ancestors(cm.ID)
			if len(up) >= len(communities) {
				t.Fatalf("community %q has %d ancestors among %d communities", cm.ID, len(up), len(communities))
			}
			if cm.Parent != "" {
				if _, ok := c.Community(cm.Parent); !ok {
					t.Fatalf("community %q: accepted missing parent %q", cm.ID, cm.Parent)
				}
			}
			if len(c.Search(cm.Name.In(multaque.Catalan), multaque.Catalan, 0)) == 0 {
				t.Fatalf("community %q: not found by its own name", cm.ID)
			}
		}
		c.Nearest(41.4, 2.15)
	})
}

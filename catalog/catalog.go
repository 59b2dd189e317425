package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/configs"
)

// MaxFileSize is the largest catalogue Parse reads, in bytes: room for the
// communities of a whole country (100,000 neighbourhoods take about 6 MB)
// while a file that is not a catalogue is refused before it fills memory.
const MaxFileSize = 16 << 20

// Catalog is a validated set of projects and communities. It is immutable and
// safe for concurrent use.
//
// The projects its methods return share their texts (multaque.Text maps,
// examples, playbooks) with the catalogue: callers must treat them as
// read-only. Communities are made afresh for each call (the catalogue keeps
// them in a compact form), and every slice returned is fresh and can be
// reordered freely.
type Catalog struct {
	projects  []multaque.Project
	projectAt map[string]int // id → index in projects

	communities *communities // shared by the copies WithProjects makes

	// The sources of the file's projects, shared by the copies
	// WithProjects makes (the projects it adds have none).
	claims []Claim
	asOf   map[exampleKey]string // when an example's figures were true
}

// file is the shape of the YAML document.
type file struct {
	Projects    []projectEntry   `yaml:"projects"`
	Communities []communityEntry `yaml:"communities"`
}

// Parse reads a catalogue in YAML and checks it as a whole: unknown fields,
// every project and community on its own, ids unique, parents that exist, no
// cycles, and a source and the date it was checked for every example and
// claim (see Claim). An invalid catalogue gives a *multaque.Error with code EINVALID
// whose message names every entry that is wrong; a failing reader gives its
// own error.
func Parse(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("catalog: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, multaque.Errorf(multaque.EINVALID, "catalog: larger than %d bytes", MaxFileSize)
	}
	f, err := decode(data)
	if err != nil {
		return nil, err
	}
	return build(f.Projects, f.Communities)
}

// decode turns YAML into a file, rejecting fields the types do not have and
// anything after the first document.
func decode(data []byte) (f file, err error) {
	// yaml.v3 has had panics on malformed input before; a catalogue that
	// breaks the parser is an invalid catalogue, not a crash of the bot.
	defer func() {
		if p := recover(); p != nil {
			err = multaque.Errorf(multaque.EINVALID, "catalog: malformed YAML: %v", p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return f, multaque.Errorf(multaque.EINVALID, "catalog: empty document")
		}
		// Keep messages on one line: yaml.v3 lists type errors on separate
		// lines, each with its line number.
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return f, multaque.Errorf(multaque.EINVALID, "catalog: %s", strings.Join(te.Errors, "; "))
		}
		return f, multaque.Errorf(multaque.EINVALID, "catalog: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return f, multaque.Errorf(multaque.EINVALID, "catalog: only one YAML document is allowed")
	}
	return f, nil
}

// LoadFile parses the catalogue in the file at path. Errors name the file.
func LoadFile(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("load catalog %s: %w", path, err)
	}
	return c, nil
}

// defaultCatalog parses the embedded catalogue once: a Catalog never
// changes, so every caller can share the same one.
var defaultCatalog = sync.OnceValues(func() (*Catalog, error) {
	c, err := Parse(bytes.NewReader(configs.CatalogYAML))
	if err != nil {
		return nil, fmt.Errorf("default catalog: %w", err)
	}
	return c, nil
})

// Default returns the catalogue embedded in the binary
// (configs/catalog.yaml). Every call returns the same *Catalog.
func Default() (*Catalog, error) {
	return defaultCatalog()
}

// build validates projects and communities together and indexes them.
func build(entries []projectEntry, communities []communityEntry) (*Catalog, error) {
	projects := make([]multaque.Project, len(entries))
	for i, e := range entries {
		projects[i] = e.project()
	}
	var p problems
	checkProjects(&p, projects)
	claims := checkSources(&p, entries)
	checkCommunities(&p, communities)
	if err := p.err(); err != nil {
		return nil, err
	}
	asOf := make(map[exampleKey]string)
	for _, e := range entries {
		for i, ex := range e.Examples {
			if ex.AsOf != "" {
				asOf[exampleKey{e.ID, i}] = ex.AsOf
			}
		}
	}
	return &Catalog{
		projects:    projects,
		projectAt:   indexProjects(projects),
		communities: newCommunities(communities),
		claims:      claims,
		asOf:        asOf,
	}, nil
}

func indexProjects(projects []multaque.Project) map[string]int {
	at := make(map[string]int, len(projects))
	for i, p := range projects {
		at[p.ID] = i
	}
	return at
}

// WithProjects returns a copy of c with extra projects appended after its
// own, for example proposals a coordinator approved. The extra projects are
// validated like those of a file and their ids must be new. c is unchanged;
// the copy owns deep copies of extra, so later changes to extra do not reach
// it.
func (c *Catalog) WithProjects(extra []multaque.Project) (*Catalog, error) {
	projects := make([]multaque.Project, 0, len(c.projects)+len(extra))
	projects = append(projects, c.projects...)
	for _, p := range extra {
		projects = append(projects, cloneProject(p))
	}
	var p problems
	checkProjects(&p, projects)
	if err := p.err(); err != nil {
		return nil, err
	}
	cp := *c // communities and their indexes are immutable: share them
	cp.projects = projects
	cp.projectAt = indexProjects(projects)
	return &cp, nil
}

func cloneProject(p multaque.Project) multaque.Project {
	p.Name = maps.Clone(p.Name)
	p.Pitch = maps.Clone(p.Pitch)
	p.Explanation = maps.Clone(p.Explanation)
	if p.Examples != nil {
		ex := make([]multaque.Example, len(p.Examples))
		for i, e := range p.Examples {
			e.Text = maps.Clone(e.Text)
			ex[i] = e
		}
		p.Examples = ex
	}
	if p.Playbook != nil {
		steps := make([]multaque.Text, len(p.Playbook))
		for i, s := range p.Playbook {
			steps[i] = maps.Clone(s)
		}
		p.Playbook = steps
	}
	return p
}

// Projects returns every project, in file order.
func (c *Catalog) Projects() []multaque.Project {
	return slices.Clone(c.projects)
}

// Project returns the project with the given id.
func (c *Catalog) Project(id string) (multaque.Project, bool) {
	i, ok := c.projectAt[id]
	if !ok {
		return multaque.Project{}, false
	}
	return c.projects[i], true
}

// Communities returns every community, in file order. Each call makes
// them all afresh: for one community, or a few, use Community, Children or
// Ancestors.
func (c *Catalog) Communities() []multaque.Community {
	out := make([]multaque.Community, c.communities.len())
	for i := range out {
		out[i] = c.communities.community(int32(i))
	}
	return out
}

// Community returns the community with the given id.
func (c *Catalog) Community(id string) (multaque.Community, bool) {
	i, ok := c.communities.find(id)
	if !ok {
		return multaque.Community{}, false
	}
	return c.communities.community(i), true
}

// Children returns the communities whose parent is id, in file order. The
// id "" gives the roots. An unknown id has no children.
func (c *Catalog) Children(id string) []multaque.Community {
	p := int32(-1)
	if id != "" {
		var ok bool
		if p, ok = c.communities.find(id); !ok {
			return nil
		}
	}
	return c.communities.list(c.communities.children(p))
}

// Ancestors returns the ids above community id, nearest first: its parent,
// grandparent, … up to its root. A root or an unknown id has none.
func (c *Catalog) Ancestors(id string) []string {
	cs := c.communities
	i, ok := cs.find(id)
	if !ok || cs.depth[i] == 0 {
		return nil
	}
	out := make([]string, 0, cs.depth[i])
	for p := cs.parentAt[i]; p >= 0; p = cs.parentAt[p] {
		out = append(out, cs.ids.get(p))
	}
	return out
}

// Depth returns how many ancestors community id has: 0 for a root (and for
// an unknown id), 1 for its children, and so on.
func (c *Catalog) Depth(id string) int {
	i, ok := c.communities.find(id)
	if !ok {
		return 0
	}
	return int(c.communities.depth[i])
}

// IsWithin reports whether community id is ancestor or lies inside it: a
// neighbourhood is within its district, its town and its region. It is false
// when id is unknown.
func (c *Catalog) IsWithin(id, ancestor string) bool {
	cs := c.communities
	i, ok := cs.find(id)
	if !ok {
		return false
	}
	if id == ancestor {
		return true
	}
	for p := cs.parentAt[i]; p >= 0; p = cs.parentAt[p] {
		if cs.ids.get(p) == ancestor {
			return true
		}
	}
	return false
}

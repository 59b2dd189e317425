package catalog

import (
	"slices"
	"strings"

	"github.com/multaque/multaque"
)

// communities is the tree of communities, kept as columns of small values.
// A catalogue of a whole country has 100,000 neighbourhoods; as
// multaque.Community values, each with its map of names, they took about
// 30 MB of a process that holds the catalogue all its life, and the
// indexes over them as much again. Here they take a few MB, and
// multaque.Community values are made when asked for.
//
// Communities are numbered in file order. Only build writes a communities;
// afterwards it is read-only and shared by every copy of the Catalog.
type communities struct {
	ids      strtab  // per community: its id
	names    strtab  // per community: its names, see nameOf
	byID     []int32 // every community, in order of id, for lookups
	parentAt []int32 // per community: its parent, -1 for a root
	depth    []int32 // per community: how many ancestors it has
	// kids[kidsAt[p]:kidsAt[p+1]] are the children of community p in file
	// order; p = the number of communities gives the roots.
	kids   []int32
	kidsAt []int32
	coords []coords // the communities that have coordinates, in file order
	areas  []area   // the communities that say where they lie, in file order
	search searchIndex
}

// area is where community at lies: inside the rings of its outline (a
// point inside an odd number of them), or within radiusKm of its centre.
type area struct {
	at       int32
	rings    [][]point
	radiusKm float64
	lat, lon float64 // its centre
}

// point is a corner of an outline, in degrees.
type point struct{ lat, lon float64 }

// coords are the coordinates of community at.
type coords struct {
	at       int32
	lat, lon float64
}

// nameSep separates the names of a community in its languages in names:
// names are one line (checkCommunities), so it occurs in none.
const nameSep = "\n"

// newCommunities indexes entries, which checkCommunities accepted: ids
// unique, parents that exist, no cycle, every name in every language of
// multaque.Languages and in no other, a centre for every area.
func newCommunities(entries []communityEntry) *communities {
	cs := make([]multaque.Community, len(entries))
	for i, e := range entries {
		cs[i] = e.Community
	}
	n := len(cs)
	c := &communities{
		byID:     make([]int32, n),
		parentAt: make([]int32, n),
		depth:    make([]int32, n),
		kids:     make([]int32, 0, n),
		kidsAt:   make([]int32, n+2),
	}
	c.ids.grow(n, n*8)
	c.names.grow(n, n*8)
	for i, cm := range cs {
		c.ids.add(cm.ID)
		c.names.add(joinNames(cm.Name))
		c.byID[i] = int32(i)
		if cm.Lat != nil {
			c.coords = append(c.coords, coords{at: int32(i), lat: *cm.Lat, lon: *cm.Lon})
		}
		if e := entries[i]; e.RadiusKm > 0 || len(e.Area) > 0 {
			a := area{at: int32(i), radiusKm: e.RadiusKm, lat: *cm.Lat, lon: *cm.Lon}
			for _, ring := range e.Area {
				r := make([]point, len(ring))
				for k, pt := range ring {
					r[k] = point{pt[0], pt[1]}
				}
				a.rings = append(a.rings, r)
			}
			c.areas = append(c.areas, a)
		}
	}
	c.ids.done()
	c.names.done()
	c.coords = slices.Clip(c.coords)
	c.areas = slices.Clip(c.areas)
	slices.SortFunc(c.byID, func(a, b int32) int { return strings.Compare(c.ids.get(a), c.ids.get(b)) })
	for i, cm := range cs {
		c.parentAt[i] = -1
		if cm.Parent != "" {
			c.parentAt[i], _ = c.find(cm.Parent)
		}
	}
	// Parents exist and there is no cycle, so every walk ends at a root.
	for i := range c.parentAt {
		for p := c.parentAt[i]; p >= 0; p = c.parentAt[p] {
			c.depth[i]++
		}
	}
	// Children grouped by parent, in file order within each group.
	for _, p := range c.parentAt {
		c.kidsAt[c.slot(p)+1]++
	}
	for k := 1; k < len(c.kidsAt); k++ {
		c.kidsAt[k] += c.kidsAt[k-1]
	}
	c.kids = c.kids[:n]
	next := slices.Clone(c.kidsAt)
	for i, p := range c.parentAt {
		c.kids[next[c.slot(p)]] = int32(i)
		next[c.slot(p)]++
	}
	return c
}

// slot is where the children of parent index p (-1 for the roots) are
// found in kidsAt.
func (c *communities) slot(p int32) int {
	if p < 0 {
		return len(c.parentAt)
	}
	return int(p)
}

// len is the number of communities.
func (c *communities) len() int { return len(c.parentAt) }

// find returns the index of the community with the given id.
func (c *communities) find(id string) (int32, bool) {
	k, ok := slices.BinarySearchFunc(c.byID, id, func(i int32, id string) int {
		return strings.Compare(c.ids.get(i), id)
	})
	if !ok {
		return -1, false
	}
	return c.byID[k], true
}

// children returns the indexes of the children of parent index p (-1 for
// the roots), in file order. The caller must not change them.
func (c *communities) children(p int32) []int32 {
	s := c.slot(p)
	return c.kids[c.kidsAt[s]:c.kidsAt[s+1]]
}

// nameOf returns the name of community i in the language of
// multaque.Languages at index l.
func (c *communities) nameOf(i int32, l int) string {
	names := c.names.get(i)
	for range l {
		_, rest, found := strings.Cut(names, nameSep)
		if !found {
			return names // one name in every language
		}
		names = rest
	}
	name, _, _ := strings.Cut(names, nameSep)
	return name
}

// community makes the multaque.Community of index i: its id, its parent's,
// a fresh map of its names and fresh coordinates, which the caller may
// keep and change.
func (c *communities) community(i int32) multaque.Community {
	cm := multaque.Community{ID: c.ids.get(i), Name: make(multaque.Text, len(multaque.Languages))}
	if p := c.parentAt[i]; p >= 0 {
		cm.Parent = c.ids.get(p)
	}
	for l, lang := range multaque.Languages {
		cm.Name[lang] = c.nameOf(i, l)
	}
	if k, ok := slices.BinarySearchFunc(c.coords, i, func(x coords, i int32) int { return int(x.at - i) }); ok {
		lat, lon := c.coords[k].lat, c.coords[k].lon
		cm.Lat, cm.Lon = &lat, &lon
	}
	return cm
}

// list makes the multaque.Community of each of at.
func (c *communities) list(at []int32) []multaque.Community {
	if len(at) == 0 {
		return nil
	}
	out := make([]multaque.Community, len(at))
	for k, i := range at {
		out[k] = c.community(i)
	}
	return out
}

// joinNames is the names of t in the languages of multaque.Languages as
// names stores them: one name when they are all the same (as for most
// places: Barcelona, Gràcia), or each language's, separated by nameSep.
func joinNames(t multaque.Text) string {
	first := t[multaque.Languages[0]]
	same := true
	for _, l := range multaque.Languages[1:] {
		same = same && t[l] == first
	}
	if same {
		return first
	}
	parts := make([]string, len(multaque.Languages))
	for k, l := range multaque.Languages {
		parts[k] = t[l]
	}
	return strings.Join(parts, nameSep)
}

// strtab holds many short strings in one: the i-th is
// all[at[i]:at[i+1]]. A string of its own costs 16 bytes of header and an
// allocation rounded up to a size class; here each costs 4 bytes.
type strtab struct {
	b   strings.Builder // while adding
	all string
	at  []uint32
}

// grow makes room for n strings of about size bytes in all.
func (t *strtab) grow(n, size int) {
	t.at = make([]uint32, 1, n+1)
	t.b.Grow(size)
}

// add appends s.
func (t *strtab) add(s string) {
	t.b.WriteString(s)
	t.at = append(t.at, uint32(t.b.Len()))
}

// done ends adding.
func (t *strtab) done() {
	t.all = t.b.String()
	t.b = strings.Builder{}
	t.at = slices.Clip(t.at)
}

// get returns the i-th string.
func (t *strtab) get(i int32) string {
	return t.all[t.at[i]:t.at[i+1]]
}

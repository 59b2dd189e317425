package multaque

import "fmt"

// Project is a kind of community-owned project that people can ask for, such
// as a consumer group or an energy cooperative.
type Project struct {
	ID          string    `yaml:"id" json:"id"`
	Name        Text      `yaml:"name" json:"name"`
	Pitch       Text      `yaml:"pitch" json:"pitch"`             // one line
	Explanation Text      `yaml:"explanation" json:"explanation"` // what it is, costs or saves, how to start
	Examples    []Example `yaml:"examples" json:"examples"`
	// MinTeam is the critical mass: how many people of one community must
	// want the project before a team forms.
	MinTeam  int    `yaml:"min_team" json:"min_team"`
	MaxTeam  int    `yaml:"max_team" json:"max_team"`
	Playbook []Text `yaml:"playbook" json:"playbook"` // kickoff steps, in order
}

// Example is a real project of that kind that already works.
type Example struct {
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url"`
	Text Text   `yaml:"text" json:"text"`
}

// Community is a place people live in: a region, a town, a district or a
// neighbourhood. Communities form a tree through Parent.
type Community struct {
	ID     string   `yaml:"id" json:"id"`
	Parent string   `yaml:"parent,omitempty" json:"parent,omitempty"`
	Name   Text     `yaml:"name" json:"name"`
	Lat    *float64 `yaml:"lat,omitempty" json:"lat,omitempty"`
	Lon    *float64 `yaml:"lon,omitempty" json:"lon,omitempty"`
}

// Validate checks a project on its own: an id usable in deep links and
// callback data, every text in every language, 2 ≤ MinTeam ≤ MaxTeam.
func (p *Project) Validate() error {
	if !ValidID(p.ID) {
		return Errorf(EINVALID, "project %q: id must be 1-%d characters of a-z, 0-9 and -", p.ID, MaxIDLen)
	}
	for field, t := range map[string]Text{"name": p.Name, "pitch": p.Pitch, "explanation": p.Explanation} {
		if m := t.Missing(); len(m) > 0 {
			return Errorf(EINVALID, "project %q: %s has no text in %v", p.ID, field, m)
		}
	}
	if p.MinTeam < 2 {
		return Errorf(EINVALID, "project %q: min_team %d must be at least 2", p.ID, p.MinTeam)
	}
	if p.MaxTeam < p.MinTeam {
		return Errorf(EINVALID, "project %q: max_team %d is below min_team %d", p.ID, p.MaxTeam, p.MinTeam)
	}
	if len(p.Playbook) == 0 {
		return Errorf(EINVALID, "project %q: playbook is empty", p.ID)
	}
	for i, step := range p.Playbook {
		if m := step.Missing(); len(m) > 0 {
			return Errorf(EINVALID, "project %q: playbook step %d has no text in %v", p.ID, i+1, m)
		}
	}
	for i, ex := range p.Examples {
		if ex.Name == "" {
			return Errorf(EINVALID, "project %q: example %d has no name", p.ID, i+1)
		}
		if m := ex.Text.Missing(); len(m) > 0 {
			return Errorf(EINVALID, "project %q: example %q has no text in %v", p.ID, ex.Name, m)
		}
	}
	return nil
}

// Validate checks a community on its own: its id, its names and its
// coordinates. That its parent exists is checked by whoever holds them all.
func (c *Community) Validate() error {
	if !ValidID(c.ID) {
		return Errorf(EINVALID, "community %q: id must be 1-%d characters of a-z, 0-9 and -", c.ID, MaxIDLen)
	}
	if m := c.Name.Missing(); len(m) > 0 {
		return Errorf(EINVALID, "community %q: name has no text in %v", c.ID, m)
	}
	if c.Parent == c.ID {
		return Errorf(EINVALID, "community %q: is its own parent", c.ID)
	}
	if (c.Lat == nil) != (c.Lon == nil) {
		return Errorf(EINVALID, "community %q: lat and lon go together", c.ID)
	}
	if c.Lat != nil && (*c.Lat < -90 || *c.Lat > 90 || *c.Lon < -180 || *c.Lon > 180) {
		return Errorf(EINVALID, "community %q: coordinates %s out of range", c.ID, fmt.Sprint(*c.Lat, ",", *c.Lon))
	}
	return nil
}

// MaxIDLen is the longest id of a project or community. Ids travel in
// callback data (64 bytes) and deep-link payloads (64 characters), two or
// three at a time, so they are kept short.
const MaxIDLen = 20

// ValidID reports whether id is 1-MaxIDLen characters of a-z, 0-9 and '-'.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

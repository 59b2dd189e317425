package catalog

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/multaque/multaque"
)

// Limits on the texts of a catalogue, in characters of each language. They
// keep a project's name, pitch, explanation and examples within one Telegram
// message (4096 characters) with the interface around them, and names short
// enough for buttons and group titles (128 characters with the community).
const (
	MaxNameLen        = 64  // project, community and example names
	MaxPitchLen       = 160 // one line
	MaxExplanationLen = 700
	MaxExampleLen     = 300 // the text of an example, one line
	MaxStepLen        = 300 // one playbook step, one line
	MaxExamples       = 5
	MaxSteps          = 10
	maxURLLen         = 200
)

// problems collects what is wrong with a catalogue so that one error names
// every bad entry, not only the first: whoever edits the file fixes them all
// in one go.
type problems struct{ list []string }

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// maxReported bounds the message of a broken file (a YAML indentation slip
// can make every entry wrong).
const maxReported = 20

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	shown := p.list[:min(len(p.list), maxReported)]
	msg := strings.Join(shown, "; ")
	if n := len(p.list) - len(shown); n > 0 {
		msg += fmt.Sprintf("; and %d more", n)
	}
	return multaque.Errorf(multaque.EINVALID, "catalog: %s", msg)
}

// textRule says how long a text may be and whether it may span lines.
type textRule struct {
	max       int
	multiline bool
}

// checkText reports what multaque.Text.Missing does not: languages we do not
// speak (a typo such as "cat:" would otherwise hide a missing text), blank
// texts, texts too long, and line breaks where one line is expected.
func checkText(p *problems, owner, field string, t multaque.Text, rule textRule) {
	for _, lang := range slices.Sorted(maps.Keys(t)) {
		s := t[lang]
		switch {
		case !lang.Valid():
			p.add("%s: %s has text in unsupported language %q", owner, field, lang)
		case strings.TrimSpace(s) == "" && s != "":
			p.add("%s: %s in %s is blank", owner, field, lang)
		case !utf8.ValidString(s):
			p.add("%s: %s in %s is not valid UTF-8", owner, field, lang)
		case utf8.RuneCountInString(s) > rule.max:
			p.add("%s: %s in %s is %d characters, more than %d", owner, field, lang, utf8.RuneCountInString(s), rule.max)
		case !rule.multiline && strings.ContainsAny(s, "\r\n"):
			p.add("%s: %s in %s must be one line", owner, field, lang)
		}
	}
}

// checkProjects checks each project on its own (its Validate and the rules
// above) and their ids together.
func checkProjects(p *problems, projects []multaque.Project) {
	if len(projects) == 0 {
		p.add("no projects")
	}
	first := make(map[string]int, len(projects))
	for i, pr := range projects {
		if j, dup := first[pr.ID]; dup {
			p.add("project %q: id used twice (entries %d and %d)", pr.ID, j+1, i+1)
			continue
		}
		first[pr.ID] = i
		if err := pr.Validate(); err != nil {
			p.add("%s", multaque.ErrorMessage(err))
			continue
		}
		owner := fmt.Sprintf("project %q", pr.ID)
		checkText(p, owner, "name", pr.Name, textRule{max: MaxNameLen})
		checkText(p, owner, "pitch", pr.Pitch, textRule{max: MaxPitchLen})
		checkText(p, owner, "explanation", pr.Explanation, textRule{max: MaxExplanationLen, multiline: true})
		if len(pr.Examples) > MaxExamples {
			p.add("%s: %d examples, more than %d", owner, len(pr.Examples), MaxExamples)
		}
		for _, ex := range pr.Examples {
			exOwner := fmt.Sprintf("%s: example %q", owner, ex.Name)
			if n := utf8.RuneCountInString(ex.Name); n > MaxNameLen {
				p.add("%s: name is %d characters, more than %d", exOwner, n, MaxNameLen)
			}
			if ex.URL != "" {
				if why := badURL(ex.URL); why != "" {
					p.add("%s: url %q %s", exOwner, ex.URL, why)
				}
			}
			checkText(p, exOwner, "text", ex.Text, textRule{max: MaxExampleLen})
		}
		if len(pr.Playbook) > MaxSteps {
			p.add("%s: playbook has %d steps, more than %d", owner, len(pr.Playbook), MaxSteps)
		}
		for k, step := range pr.Playbook {
			checkText(p, owner, fmt.Sprintf("playbook step %d", k+1), step, textRule{max: MaxStepLen})
		}
	}
}

// badURL says why u cannot be shown to people as a link, or "" if it can.
// Only https: the bot links to other sites and should not send people to
// plain http.
func badURL(u string) string {
	if len(u) > maxURLLen {
		return fmt.Sprintf("is longer than %d bytes", maxURLLen)
	}
	parsed, err := url.Parse(u)
	switch {
	case err != nil:
		return "is not a URL"
	case parsed.Scheme != "https":
		return "must start with https://"
	case parsed.Host == "":
		return "has no host"
	case parsed.User != nil:
		return "must not carry a user name"
	}
	return ""
}

// checkCommunities checks each community on its own, then the tree: ids
// unique, parents that exist, no cycles.
func checkCommunities(p *problems, entries []communityEntry) {
	if len(entries) == 0 {
		p.add("no communities")
	}
	communities := make([]multaque.Community, len(entries))
	for i, e := range entries {
		communities[i] = e.Community
	}
	at := make(map[string]int, len(communities))
	for i, c := range communities {
		if j, dup := at[c.ID]; dup {
			p.add("community %q: id used twice (entries %d and %d)", c.ID, j+1, i+1)
			continue
		}
		at[c.ID] = i
		if err := c.Validate(); err != nil {
			p.add("%s", multaque.ErrorMessage(err))
			continue
		}
		owner := fmt.Sprintf("community %q", c.ID)
		checkText(p, owner, "name", c.Name, textRule{max: MaxNameLen})
		for _, lang := range multaque.Languages {
			// Search ignores everything but letters and digits.
			if s := c.Name[lang]; strings.TrimSpace(s) != "" && fold(s) == "" {
				p.add("%s: name in %s has no letters or digits", owner, lang)
			}
		}
		// Validate's range check lets NaN through, and one NaN would make
		// every distance in Nearest NaN.
		if c.Lat != nil && (math.IsNaN(*c.Lat) || math.IsNaN(*c.Lon)) {
			p.add("%s: coordinates are not numbers", owner)
		}
		checkArea(p, owner, entries[i])
	}
	for _, c := range communities {
		if c.Parent != "" {
			if _, ok := at[c.Parent]; !ok {
				p.add("community %q: parent %q does not exist", c.ID, c.Parent)
			}
		}
	}
	checkCycles(p, communities, at)
}

// checkCycles reports every cycle of parents once, at the community of the
// cycle that the walk in file order meets first.
func checkCycles(p *problems, communities []multaque.Community, at map[string]int) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(communities))
	for start := range communities {
		var path []int
		i := start
		for {
			if state[i] == done {
				break
			}
			if state[i] == onPath {
				k := 0
				for path[k] != i {
					k++
				}
				ids := make([]string, 0, len(path)-k+1)
				for _, j := range path[k:] {
					ids = append(ids, communities[j].ID)
				}
				ids = append(ids, communities[i].ID)
				p.add("community %q: parents form a cycle %s", communities[i].ID, strings.Join(ids, " → "))
				break
			}
			state[i] = onPath
			path = append(path, i)
			next, ok := at[communities[i].Parent]
			if communities[i].Parent == "" || !ok {
				break
			}
			i = next
		}
		for _, j := range path {
			state[j] = done
		}
	}
}

// maxRadiusKm is the largest radius_km: a town, not a region.
const maxRadiusKm = 20

// checkArea checks where a community says it lies: a radius or an outline
// needs the centre (lat, lon) that Nearest falls back on, an outline's
// rings need three corners each, and every corner real coordinates.
func checkArea(p *problems, owner string, e communityEntry) {
	if (e.RadiusKm != 0 || len(e.Area) > 0) && e.Lat == nil {
		p.add("%s: radius_km and area need lat and lon (its centre)", owner)
	}
	if e.RadiusKm < 0 || e.RadiusKm > maxRadiusKm || math.IsNaN(e.RadiusKm) {
		p.add("%s: radius_km %v must be between 0 and %d", owner, e.RadiusKm, maxRadiusKm)
	}
	if e.RadiusKm != 0 && len(e.Area) > 0 {
		p.add("%s: has both radius_km and area; give one", owner)
	}
	for k, ring := range e.Area {
		if len(ring) < 3 {
			p.add("%s: area ring %d has %d corners, fewer than 3", owner, k+1, len(ring))
		}
		for _, pt := range ring {
			if len(pt) != 2 || math.IsNaN(pt[0]) || math.IsNaN(pt[1]) ||
				pt[0] < -90 || pt[0] > 90 || pt[1] < -180 || pt[1] > 180 {
				p.add("%s: area ring %d has a corner %v that is not [lat, lon]", owner, k+1, pt)
				break
			}
		}
	}
}

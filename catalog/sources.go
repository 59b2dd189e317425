package catalog

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/multaque/multaque"
)

// A Claim is a statement of the catalogue that someone could act on (a
// figure, a date, a sum of money, a legal requirement) with where it comes
// from and when a person last checked it there. Every example of a project
// is one (what its text says), and a project lists the claims of its pitch
// and explanation in its "claims". Claims are what `multaque catalog
// stale` lists for re-checking; citizens see only an example's date, as
// "as of <month year>".
type Claim struct {
	Project string // the project's id
	Example string // the example's name; "" for a claim of the project's own texts
	// Says is what is claimed, in a few words, for whoever checks it.
	Says string
	// Figures are the numbers of the project's pitch and explanation that
	// this claim stands for, as written in any language ("3.000",
	// "12/2015"); see checkFigures.
	Figures []string
	Source  string    // the page that says it (https)
	Checked time.Time // when a person last read it at Source (a day)
	// AsOf is when the claim's figures were true, "2025-12" or "2025" (""
	// if it has none); an example's is shown to people.
	AsOf string
}

// Layouts of the dates of a catalogue file.
const (
	dayLayout   = "2006-01-02" // checked
	monthLayout = "2006-01"    // as_of, a month
	yearLayout  = "2006"       // as_of, a year
)

// parseAsOf reads an as_of: a month "2025-12" or a year "2025". month
// reports which.
func parseAsOf(s string) (t time.Time, month bool, err error) {
	if t, err := time.Parse(monthLayout, s); err == nil {
		return t, true, nil
	}
	t, err = time.Parse(yearLayout, s)
	return t, false, err
}

// claimEntry is a claim as written in the file.
type claimEntry struct {
	Says    string   `yaml:"says"`
	Figures []string `yaml:"figures"`
	Source  string   `yaml:"source"`
	Checked string   `yaml:"checked"`
	AsOf    string   `yaml:"as_of"`
}

// exampleEntry is an example as written in the file: the example and the
// source, date checked and month of its figures.
type exampleEntry struct {
	Name    string        `yaml:"name"`
	URL     string        `yaml:"url"`
	Text    multaque.Text `yaml:"text"`
	Source  string        `yaml:"source"`
	Checked string        `yaml:"checked"`
	AsOf    string        `yaml:"as_of"`
}

// projectEntry is a project as written in the file: multaque.Project with
// the sources of its examples and its claims.
type projectEntry struct {
	ID          string          `yaml:"id"`
	Name        multaque.Text   `yaml:"name"`
	Pitch       multaque.Text   `yaml:"pitch"`
	Explanation multaque.Text   `yaml:"explanation"`
	Examples    []exampleEntry  `yaml:"examples"`
	MinTeam     int             `yaml:"min_team"`
	MaxTeam     int             `yaml:"max_team"`
	Playbook    []multaque.Text `yaml:"playbook"`
	Claims      []claimEntry    `yaml:"claims"`
}

// project is the domain project of e.
func (e projectEntry) project() multaque.Project {
	p := multaque.Project{
		ID: e.ID, Name: e.Name, Pitch: e.Pitch, Explanation: e.Explanation,
		MinTeam: e.MinTeam, MaxTeam: e.MaxTeam, Playbook: e.Playbook,
	}
	for _, ex := range e.Examples {
		p.Examples = append(p.Examples, multaque.Example{Name: ex.Name, URL: ex.URL, Text: ex.Text})
	}
	return p
}

// checkSources checks that every example and claim of the file's
// projects says where it comes from and when it was checked, and that
// every number of a project's pitch and explanation is one of its claims'
// figures, and returns the claims. Projects added later (approved
// proposals) are people's words, not the catalogue's, and are not held to
// this.
func checkSources(p *problems, entries []projectEntry) []Claim {
	var claims []Claim
	for _, e := range entries {
		owner := fmt.Sprintf("project %q", e.ID)
		for _, ex := range e.Examples {
			c, ok := checkClaim(p, fmt.Sprintf("%s: example %q", owner, ex.Name),
				claimEntry{Says: ex.Text[multaque.English], Source: ex.Source, Checked: ex.Checked, AsOf: ex.AsOf})
			if ok {
				c.Project, c.Example = e.ID, ex.Name
				claims = append(claims, c)
			}
		}
		var figures []string
		for k, ce := range e.Claims {
			cOwner := fmt.Sprintf("%s: claim %d", owner, k+1)
			if strings.TrimSpace(ce.Says) == "" {
				p.add("%s: says nothing (what does it claim?)", cOwner)
			}
			c, ok := checkClaim(p, cOwner, ce)
			if ok {
				c.Project = e.ID
				claims = append(claims, c)
			}
			for _, f := range ce.Figures {
				figures = append(figures, numbers(f)...)
			}
		}
		checkFigures(p, owner, e, figures)
	}
	return claims
}

// checkClaim checks the source and dates of one claim or example.
func checkClaim(p *problems, owner string, ce claimEntry) (Claim, bool) {
	c := Claim{Says: ce.Says, Figures: ce.Figures, Source: ce.Source, AsOf: ce.AsOf}
	ok := true
	if ce.Source == "" {
		p.add("%s: no source (the https address that says it)", owner)
		ok = false
	} else if why := badURL(ce.Source); why != "" {
		p.add("%s: source %q %s", owner, ce.Source, why)
		ok = false
	}
	checked, err := time.Parse(dayLayout, ce.Checked)
	switch {
	case ce.Checked == "":
		p.add("%s: no checked date (when a person last read the source, YYYY-MM-DD)", owner)
		ok = false
	case err != nil:
		p.add("%s: checked %q is not a date YYYY-MM-DD", owner, ce.Checked)
		ok = false
	}
	c.Checked = checked
	if ce.AsOf != "" {
		asOf, _, err := parseAsOf(ce.AsOf)
		switch {
		case err != nil:
			p.add("%s: as_of %q is not a month YYYY-MM or a year YYYY", owner, ce.AsOf)
			ok = false
		case !c.Checked.IsZero() && asOf.After(c.Checked):
			p.add("%s: as_of %s is after it was checked (%s)", owner, ce.AsOf, ce.Checked)
			ok = false
		}
	}
	return c, ok
}

// checkFigures reports the numbers of e's pitch and explanation, in any
// language, that none of its claims stands for: a figure nobody can check
// is a figure nobody will update.
func checkFigures(p *problems, owner string, e projectEntry, figures []string) {
	for field, t := range map[string]multaque.Text{"pitch": e.Pitch, "explanation": e.Explanation} {
		for _, lang := range multaque.Languages {
			for _, n := range numbers(t[lang]) {
				if !slices.Contains(figures, n) {
					p.add("%s: %s in %s says %s, which no claim stands for (add it to a claim's figures, with its source)", owner, field, lang, n)
				}
			}
		}
	}
}

// numbers returns the numbers written in s, with the separators of
// thousands and decimals taken out, so that "3.000", "3,000" and "3000"
// are one number and "12/2015" is two. Digits that follow a letter are
// part of a name (Coop57) and are left out.
func numbers(s string) []string {
	var out []string
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case unicode.IsDigit(r) && b.Len() == 0 && i > 0 && unicode.IsLetter(rs[i-1]):
			// part of a name (Coop57), not a figure: skip its digits
			for i+1 < len(rs) && unicode.IsDigit(rs[i+1]) {
				rs[i+1] = ' '
			}
		case unicode.IsDigit(r):
			b.WriteRune(r)
		case (r == '.' || r == ',') && b.Len() > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i+1]):
			// inside a number
		default:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// Claims returns every claim of the catalogue file: each project's
// examples, then its claims, in file order.
func (c *Catalog) Claims() []Claim {
	return slices.Clone(c.claims)
}

// Stale returns the claims last checked before cutoff, the oldest first.
func (c *Catalog) Stale(cutoff time.Time) []Claim {
	var out []Claim
	for _, cl := range c.claims {
		if cl.Checked.Before(cutoff) {
			out = append(out, cl)
		}
	}
	slices.SortStableFunc(out, func(a, b Claim) int { return a.Checked.Compare(b.Checked) })
	return out
}

// ExampleHTML renders example i of project id for a message in lang, in
// Telegram's HTML: its name, linked to its url when it has one (an empty
// link is refused by Telegram, so a name without a url stays plain
// text), its text, and "(as of <month year>)" at the end of its last
// sentence when its figures are dated.
// Everything taken from the catalogue is escaped. It returns "" when there
// is no such example.
func (c *Catalog) ExampleHTML(id string, i int, lang multaque.Lang) string {
	p, ok := c.Project(id)
	if !ok || i < 0 || i >= len(p.Examples) {
		return ""
	}
	ex := p.Examples[i]
	var b strings.Builder
	if ex.URL != "" {
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(ex.URL), html.EscapeString(ex.Name))
	} else {
		b.WriteString(html.EscapeString(ex.Name))
	}
	text := ex.Text.In(lang)
	if asOf := c.asOf[exampleKey{id, i}]; asOf != "" {
		// Inside the last sentence: "… 88 members (as of 2020)."
		stop := ""
		if t, ok := strings.CutSuffix(text, "."); ok {
			text, stop = t, "."
		}
		text += " (" + AsOf(asOf, lang) + ")" + stop
	}
	b.WriteString(": " + html.EscapeString(text))
	return b.String()
}

// exampleKey names example i of a project.
type exampleKey struct {
	project string
	i       int
}

// monthNames are the names of the months in each language, January first.
var monthNames = map[multaque.Lang][12]string{
	multaque.Catalan: {"gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre", "octubre", "novembre", "desembre"},
	multaque.Spanish: {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	multaque.English: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// AsOf says in lang when figures were true, from an as_of of the
// catalogue ("2025-12" or "2025"): "as of December 2025", "dades de
// desembre de 2025", "datos de diciembre de 2025"; "as of 2025", "dades
// del 2025", "datos de 2025". Catalan elides "de" before a vowel ("dades
// d'abril de 2025"). It returns "" for anything else.
func AsOf(asOf string, lang multaque.Lang) string {
	t, month, err := parseAsOf(asOf)
	if err != nil {
		return ""
	}
	names, ok := monthNames[lang]
	if !ok {
		names, lang = monthNames[multaque.English], multaque.English
	}
	name, year := names[t.Month()-1], t.Year()
	if !month {
		switch lang {
		case multaque.Catalan:
			return fmt.Sprintf("dades del %d", year)
		case multaque.Spanish:
			return fmt.Sprintf("datos de %d", year)
		default:
			return fmt.Sprintf("as of %d", year)
		}
	}
	switch lang {
	case multaque.Catalan:
		if strings.ContainsRune("aeiouàèéíòóú", []rune(name)[0]) {
			return fmt.Sprintf("dades d'%s de %d", name, year)
		}
		return fmt.Sprintf("dades de %s de %d", name, year)
	case multaque.Spanish:
		return fmt.Sprintf("datos de %s de %d", name, year)
	default:
		return fmt.Sprintf("as of %s %d", name, year)
	}
}

// communityEntry is a community as written in the file: multaque.Community
// and where it lies, for Nearest.
type communityEntry struct {
	multaque.Community `yaml:",inline"`
	// RadiusKm says that the community is the land within that many km of
	// its centre: a rough area for a town with no outline.
	RadiusKm float64 `yaml:"radius_km"`
	// Area is its outline: rings of [lat, lon] corners; a point lies in it
	// when it is inside an odd number of rings (so a ring inside another
	// is a hole, and separate rings are separate pieces).
	Area [][][]float64 `yaml:"area"`
}

package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/multaque/multaque"
)

// Live is the catalogue as it stands while the bot runs: the catalogue of
// the file (the base), the projects coordinators approved from proposals,
// and the team sizes they set (thresholds). The bot, the matcher and the
// reports all read it, so that they see one truth: a threshold shows in a
// citizen's "7 of 8" as it does in the teams the matcher forms.
//
// Reading is lock-free (the current state is swapped atomically) and safe
// while Update or Reload rebuilds it; rebuilds run one at a time. What its
// methods return is shared as the Catalog's is: read-only.
type Live struct {
	base  *Catalog
	texts *Messages
	cur   atomic.Pointer[liveState]
	mu    sync.Mutex // one rebuild at a time, so that the last one wins
}

// liveState is one rebuilt catalogue and the sizes that override its own.
type liveState struct {
	cat   *Catalog
	sizes map[string]multaque.Threshold
}

// Overlay is what coordinators changed on top of the catalogue file.
type Overlay struct {
	// Proposals are the approved proposals, which join the catalogue in
	// this order. Others are left out.
	Proposals []multaque.Proposal
	// Thresholds override the team sizes of their projects.
	Thresholds []multaque.Threshold
}

// NewLive returns a live catalogue that is base until the first Update.
// texts give the marks shown on the texts of approved proposals that are
// not translated yet, and their kickoff playbook.
func NewLive(base *Catalog, texts *Messages) *Live {
	l := &Live{base: base, texts: texts}
	l.cur.Store(&liveState{cat: base})
	return l
}

// Base returns the catalogue of the file, without what coordinators
// changed.
func (l *Live) Base() *Catalog { return l.base }

// Update rebuilds the catalogue from the base and o, and swaps it in.
// Approved proposals that cannot be projects (an id the base has, texts
// the catalogue refuses) and thresholds of unknown projects or with sizes
// the catalogue would refuse are left out; the rest still applies, and the
// error, with code EINVALID, names what was left out.
func (l *Live) Update(o Overlay) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.update(o)
}

// Reload loads the overlay with load and rebuilds the catalogue from it,
// as Update does. Loading and swapping happen under one lock, so that of
// two reloads racing, the one that read later is the one that stays.
// If load fails, the catalogue stays as it was.
func (l *Live) Reload(ctx context.Context, load func(context.Context) (Overlay, error)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, err := load(ctx)
	if err != nil {
		return fmt.Errorf("reload catalog: %w", err)
	}
	return l.update(o)
}

func (l *Live) update(o Overlay) error {
	var skipped []string
	var extra []multaque.Project
	ids := map[string]bool{}
	for _, pr := range o.Proposals {
		if pr.Status != multaque.ProposalApproved {
			continue
		}
		p := l.projectOf(pr)
		if _, ok := l.base.Project(p.ID); ok || ids[p.ID] {
			skipped = append(skipped, fmt.Sprintf("proposal %d: project id %q is taken", pr.ID, p.ID))
			continue
		}
		if _, err := l.base.WithProjects([]multaque.Project{p}); err != nil {
			skipped = append(skipped, fmt.Sprintf("proposal %d: %s", pr.ID, multaque.ErrorMessage(err)))
			continue
		}
		ids[p.ID] = true
		extra = append(extra, p)
	}
	cat := l.base
	if len(extra) > 0 {
		var err error
		if cat, err = l.base.WithProjects(extra); err != nil {
			// Each was valid on its own and the ids differ: not expected.
			return fmt.Errorf("rebuild catalog: %w", err)
		}
	}
	sizes := make(map[string]multaque.Threshold, len(o.Thresholds))
	for _, t := range o.Thresholds {
		if _, ok := cat.Project(t.Project); !ok {
			skipped = append(skipped, fmt.Sprintf("threshold of unknown project %q", t.Project))
			continue
		}
		if err := t.Validate(); err != nil {
			skipped = append(skipped, multaque.ErrorMessage(err))
			continue
		}
		sizes[t.Project] = t
	}
	l.cur.Store(&liveState{cat: cat, sizes: sizes})
	if len(skipped) > 0 {
		return multaque.Errorf(multaque.EINVALID, "catalog overlay: left out %s", strings.Join(skipped, "; "))
	}
	return nil
}

// projectOf is an approved proposal as a project of the catalogue: its
// texts in every language, those not translated yet showing the original
// with a mark that says so, a general kickoff playbook, and room in a team
// for twice the critical mass.
func (l *Live) projectOf(pr multaque.Proposal) multaque.Project {
	p := multaque.Project{
		ID:          pr.Project,
		MinTeam:     pr.MinTeam,
		MaxTeam:     min(2*pr.MinTeam, multaque.MaxTeamSize),
		Name:        l.complete(pr.Name, pr.Lang, "proposal_fallback_name", MaxNameLen),
		Pitch:       l.complete(pr.Pitch, pr.Lang, "proposal_fallback_pitch", MaxPitchLen),
		Explanation: l.complete(pr.Explanation, pr.Lang, "proposal_fallback_explanation", MaxExplanationLen),
	}
	for _, id := range []string{"proposal_playbook_1", "proposal_playbook_2", "proposal_playbook_3"} {
		step := multaque.Text{}
		for _, lang := range multaque.Languages {
			step[lang] = l.texts.Text(lang, id, nil)
		}
		p.Playbook = append(p.Playbook, step)
	}
	return p
}

// complete fills the languages t lacks with its original text (the one in
// orig if there is one, else the first language it has) marked by the
// message mark, cut to max characters.
func (l *Live) complete(t multaque.Text, orig multaque.Lang, mark string, max int) multaque.Text {
	from := orig
	if t[from] == "" {
		from = ""
		for _, lang := range multaque.Languages {
			if t[lang] != "" {
				from = lang
				break
			}
		}
	}
	out := make(multaque.Text, len(multaque.Languages))
	for _, lang := range multaque.Languages {
		switch {
		case t[lang] != "":
			out[lang] = t[lang]
		case from != "":
			language := l.texts.Text(lang, "proposal_lang_"+string(from), nil)
			out[lang] = cut(l.texts.Text(lang, mark, map[string]any{"Language": language, "Text": t[from]}), max)
		}
	}
	return out
}

// cut shortens s to at most max characters, ending with "…" if it had to.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// Projects returns every project, the file's first, with coordinators'
// team sizes applied.
func (l *Live) Projects() []multaque.Project {
	st := l.cur.Load()
	ps := st.cat.Projects()
	for i := range ps {
		st.resize(&ps[i])
	}
	return ps
}

// Project returns the project with the given id, with coordinators' team
// sizes applied.
func (l *Live) Project(id string) (multaque.Project, bool) {
	st := l.cur.Load()
	p, ok := st.cat.Project(id)
	if ok {
		st.resize(&p)
	}
	return p, ok
}

func (st *liveState) resize(p *multaque.Project) {
	if t, ok := st.sizes[p.ID]; ok {
		p.MinTeam, p.MaxTeam = t.MinTeam, t.MaxTeam
	}
}

// Thresholds returns the thresholds in force, by project id.
func (l *Live) Thresholds() []multaque.Threshold {
	st := l.cur.Load()
	out := make([]multaque.Threshold, 0, len(st.sizes))
	for _, t := range st.sizes {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b multaque.Threshold) int { return strings.Compare(a.Project, b.Project) })
	return out
}

// Communities returns every community, as Catalog.Communities does.
func (l *Live) Communities() []multaque.Community { return l.cur.Load().cat.Communities() }

// Community returns the community with the given id.
func (l *Live) Community(id string) (multaque.Community, bool) { return l.cur.Load().cat.Community(id) }

// Children returns the communities whose parent is id, as
// Catalog.Children does.
func (l *Live) Children(id string) []multaque.Community { return l.cur.Load().cat.Children(id) }

// Ancestors returns the ids above community id, nearest first.
func (l *Live) Ancestors(id string) []string { return l.cur.Load().cat.Ancestors(id) }

// Depth returns how many ancestors community id has.
func (l *Live) Depth(id string) int { return l.cur.Load().cat.Depth(id) }

// IsWithin reports whether community id is ancestor or lies inside it.
func (l *Live) IsWithin(id, ancestor string) bool { return l.cur.Load().cat.IsWithin(id, ancestor) }

// Search finds communities by name, as Catalog.Search does.
func (l *Live) Search(query string, lang multaque.Lang, limit int) []multaque.Community {
	return l.cur.Load().cat.Search(query, lang, limit)
}

// Nearest returns the community for a shared location, as
// Catalog.Nearest does.
func (l *Live) Nearest(lat, lon float64) (multaque.Community, bool) {
	return l.cur.Load().cat.Nearest(lat, lon)
}

// ExampleHTML renders example i of project id for lang, as
// Catalog.ExampleHTML does. Approved proposals have no examples.
func (l *Live) ExampleHTML(id string, i int, lang multaque.Lang) string {
	return l.cur.Load().cat.ExampleHTML(id, i, lang)
}

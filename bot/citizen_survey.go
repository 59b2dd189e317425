package bot

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
)

// Catalog is what the bot needs of the catalogue of projects and communities.
type Catalog interface {
	Projects() []multaque.Project
	Project(id string) (multaque.Project, bool)
	Community(id string) (multaque.Community, bool)
	Children(id string) []multaque.Community
	Search(query string, lang multaque.Lang, limit int) []multaque.Community
	Nearest(lat, lon float64) (multaque.Community, bool)
	ExampleHTML(project string, i int, lang multaque.Lang) string
}

// Screen names what the bot shows a person in answer to an input.
type Screen int

// The screens of the survey and of the commands around it.
const (
	ScreenNone             Screen = iota
	ScreenLanguage                // choose a language (before consent, or from /settings)
	ScreenConsent                 // what Multaque is and the privacy notice
	ScreenDeclined                // they said no: nothing was stored
	ScreenName                    // what is your name?
	ScreenCommunity               // walk the communities from Reply.Community
	ScreenCommunityChoices        // the communities matching what they typed
	ScreenInterests               // toggle the projects they want
	ScreenProject                 // one project explained ("tell me more")
	ScreenSummary                 // their answers and progress per interest
	ScreenSettings                // what they can change
	ScreenHelp                    // what the bot understands
)

// Problems the survey reports about an input; each is a message id in the
// locale files, shown above the question asked again.
const (
	problemNameEmpty     = "problem_name_empty"
	problemNameTooLong   = "problem_name_too_long"
	problemNameBadChars  = "problem_name_bad_chars"
	problemNoCommunity   = "problem_no_community"
	problemNoInterest    = "problem_no_interest"
	problemUseButtons    = "problem_use_buttons"
	problemChooseLang    = "problem_choose_language"
	problemLocationFar   = "problem_location_unknown"
	problemSearchTooLong = "problem_search_too_long"
	problemInTeam        = "interest_in_team" // catalog/locales/groups
)

// ErrStale is returned for a button drawn for an earlier state of the
// survey, or with data this bot never draws. Nothing changes.
var ErrStale = errors.New("stale button")

// Input is one thing a person did in their private chat with the bot.
type Input struct {
	Text     string // typed text (not a command)
	Location *Location
	Button   *button
	Now      time.Time
}

// Location is a shared position.
type Location struct{ Lat, Lon float64 }

// Reply is what the survey decided to show.
type Reply struct {
	Screen    Screen
	Problem   string // a problem with the input, as a message id, or ""
	Lang      multaque.Lang
	Payload   startPayload // carried through the screens before consent
	Community string       // the community being browsed (ScreenCommunity)
	Choices   []string     // community ids (ScreenCommunityChoices)
	Project   string       // ScreenProject; ScreenInterests: show its page
	Page      int          // the page of a long keyboard (keyboard_pages.go)
	Placed    string       // community chosen from a shared location, to tell them
	// Edit says the screen replaces the message whose button was pressed.
	Edit bool
}

// Survey is the survey's state machine. It is pure: the same citizen and
// input always give the same result, and it does no I/O.
type Survey struct {
	Catalog Catalog
}

const maxSearchLen = 100

// Start answers /start before consent: the language screen, pre-set from
// Telegram's language_code, carrying the deep-link payload along.
func (s *Survey) Start(lang multaque.Lang, p startPayload) Reply {
	return Reply{Screen: ScreenLanguage, Lang: lang, Payload: p}
}

// Resume is the screen for a stored citizen's current step: where /start
// takes them back to after a break, or a restart of the bot.
func (s *Survey) Resume(c *multaque.Citizen) Reply {
	r := Reply{Lang: c.Lang}
	switch c.Survey.Step {
	case multaque.StepName:
		r.Screen = ScreenName
	case multaque.StepCommunity:
		r.Screen = ScreenCommunity
		r.Community = s.browseStart(c)
	case multaque.StepInterests:
		r.Screen = ScreenInterests
	default:
		r.Screen = ScreenSummary
	}
	return r
}

// Consent creates the citizen who pressed "I agree" on the consent screen,
// applying what the deep link pre-filled. It is the only way a Citizen comes
// to exist.
func (s *Survey) Consent(id int64, lang multaque.Lang, p startPayload, now time.Time) (*multaque.Citizen, Reply) {
	c := &multaque.Citizen{
		ID:        id,
		Lang:      lang,
		ConsentAt: now,
		UpdatedAt: now,
		Survey:    multaque.Survey{Step: multaque.StepName, Version: 1},
	}
	if _, ok := s.Catalog.Community(p.Community); ok {
		c.Community = p.Community
	}
	if _, ok := s.Catalog.Project(p.Project); ok {
		c.SetInterests([]string{p.Project}, now)
	}
	return c, Reply{Screen: ScreenName, Lang: lang}
}

// Next applies in to a stored citizen and returns the citizen as it must be
// stored (nil when nothing changes) and what to show. A stale or forged
// button returns ErrStale and changes nothing.
func (s *Survey) Next(c *multaque.Citizen, in Input) (*multaque.Citizen, Reply, error) {
	if in.Button != nil {
		return s.press(c, *in.Button, in.Now)
	}
	r := Reply{Lang: c.Lang}
	switch c.Survey.Step {
	case multaque.StepName:
		if in.Text == "" {
			r.Screen, r.Problem = ScreenName, problemUseButtons
			return nil, r, nil
		}
		name, err := multaque.CleanName(in.Text)
		if err != nil {
			r.Screen, r.Problem = ScreenName, nameProblem(err)
			return nil, r, nil
		}
		n := s.clone(c, in.Now)
		n.Name = name
		return n, s.advance(n, multaque.StepName), nil
	case multaque.StepCommunity:
		return s.community(c, in)
	case multaque.StepInterests:
		r.Screen, r.Problem = ScreenInterests, problemUseButtons
		return nil, r, nil
	default:
		r.Screen = ScreenHelp
		return nil, r, nil
	}
}

func nameProblem(err error) string {
	switch multaque.ErrorMessage(err) {
	case "empty":
		return problemNameEmpty
	case "too_long":
		return problemNameTooLong
	default:
		return problemNameBadChars
	}
}

// community answers typed text or a shared location at the community step.
func (s *Survey) community(c *multaque.Citizen, in Input) (*multaque.Citizen, Reply, error) {
	r := Reply{Lang: c.Lang, Screen: ScreenCommunity, Community: s.browseStart(c)}
	if in.Location != nil {
		place, ok := s.Catalog.Nearest(in.Location.Lat, in.Location.Lon)
		if !ok {
			r.Problem = problemLocationFar
			return nil, r, nil
		}
		n := s.clone(c, in.Now)
		n.Community = place.ID
		r = s.advance(n, multaque.StepCommunity)
		r.Placed = place.ID
		return n, r, nil
	}
	q := strings.TrimSpace(in.Text)
	switch {
	case q == "":
		r.Problem = problemUseButtons
		return nil, r, nil
	case len(q) > maxSearchLen:
		r.Problem = problemSearchTooLong
		return nil, r, nil
	}
	found := s.Catalog.Search(q, c.Lang, 8)
	if len(found) == 0 {
		r.Problem = problemNoCommunity
		return nil, r, nil
	}
	r.Screen = ScreenCommunityChoices
	for _, f := range found {
		r.Choices = append(r.Choices, f.ID)
	}
	return nil, r, nil
}

// press applies a button press.
func (s *Survey) press(c *multaque.Citizen, b button, now time.Time) (*multaque.Citizen, Reply, error) {
	r := Reply{Lang: c.Lang, Edit: true}
	if b.Version != c.Survey.Version {
		return nil, r, ErrStale
	}
	switch {
	case b.Action == actBrowse && c.Survey.Step == multaque.StepCommunity:
		id, page := splitPage(b.Arg)
		if _, ok := s.Catalog.Community(id); id != "" && !ok {
			return nil, r, ErrStale
		}
		r.Screen, r.Community, r.Page = ScreenCommunity, id, page
		return nil, r, nil
	case b.Action == actInterestsPage && c.Survey.Step == multaque.StepInterests:
		page, err := strconv.Atoi(b.Arg)
		if err != nil || page < 0 {
			return nil, r, ErrStale
		}
		r.Screen, r.Page = ScreenInterests, page
		return nil, r, nil
	case b.Action == actPick && c.Survey.Step == multaque.StepCommunity:
		if _, ok := s.Catalog.Community(b.Arg); !ok {
			return nil, r, ErrStale
		}
		n := s.clone(c, now)
		n.Community = b.Arg
		r = s.advance(n, multaque.StepCommunity)
		r.Edit = true
		return n, r, nil
	case b.Action == actToggle && c.Survey.Step == multaque.StepInterests:
		if _, ok := s.Catalog.Project(b.Arg); !ok {
			return nil, r, ErrStale
		}
		if in, ok := c.Interest(b.Arg); ok && in.Team != "" {
			// The interest links them to their team: dropping it would
			// leave the team listing them with nothing pointing back
			// (and /forget and the check rely on both). They /leave first.
			r.Screen, r.Problem, r.Project = ScreenInterests, problemInTeam, b.Arg
			return nil, r, nil
		}
		n := s.clone(c, now)
		n.SetInterests(toggle(projectIDs(c), b.Arg), now)
		r.Screen, r.Project = ScreenInterests, b.Arg // stays on its page
		return n, r, nil
	case b.Action == actMore && c.Survey.Step == multaque.StepInterests:
		if _, ok := s.Catalog.Project(b.Arg); !ok {
			return nil, r, ErrStale
		}
		r.Screen, r.Project, r.Edit = ScreenProject, b.Arg, false
		return nil, r, nil
	case b.Action == actDone && c.Survey.Step == multaque.StepInterests:
		if len(c.Interests) == 0 {
			r.Screen, r.Problem = ScreenInterests, problemNoInterest
			return nil, r, nil
		}
		n := s.clone(c, now)
		r = s.advance(n, multaque.StepInterests)
		r.Edit = true
		return n, r, nil
	case b.Action == actLang && c.Survey.Step == multaque.StepDone:
		lang := multaque.Lang(b.Arg)
		if !lang.Valid() {
			return nil, r, ErrStale
		}
		n := s.clone(c, now)
		n.Lang = lang
		return n, Reply{Screen: ScreenSummary, Lang: lang, Edit: true}, nil
	case b.Action == actSettings && c.Survey.Step == multaque.StepDone:
		return s.settings(c, b.Arg, now)
	case b.Action == actSummary && c.Survey.Step == multaque.StepDone:
		r.Screen = ScreenSummary
		return nil, r, nil
	}
	return nil, r, ErrStale
}

// settings opens one answer for change. Answering it returns to the summary.
func (s *Survey) settings(c *multaque.Citizen, what string, now time.Time) (*multaque.Citizen, Reply, error) {
	r := Reply{Lang: c.Lang, Edit: true}
	step := multaque.SurveyStep(what)
	switch step {
	case "menu":
		r.Screen = ScreenSettings
		return nil, r, nil
	case "lang":
		r.Screen = ScreenLanguage
		return nil, r, nil
	case multaque.StepName, multaque.StepCommunity, multaque.StepInterests:
	default:
		return nil, r, ErrStale
	}
	n := s.clone(c, now)
	n.Survey.Step, n.Survey.Editing = step, true
	r = s.Resume(n)
	r.Edit = true
	return n, r, nil
}

// Cancel leaves a change started from /settings, keeping the answer as it
// was. It returns nil when there is nothing to cancel.
func (s *Survey) Cancel(c *multaque.Citizen, now time.Time) *multaque.Citizen {
	if !c.Survey.Editing {
		return nil
	}
	n := s.clone(c, now)
	n.Survey.Step, n.Survey.Editing = multaque.StepDone, false
	return n
}

// OpenSettings is the /settings screen; it is available once the survey is
// done.
func (s *Survey) OpenSettings(c *multaque.Citizen) Reply {
	if c.Survey.Step != multaque.StepDone {
		return s.Resume(c)
	}
	return Reply{Screen: ScreenSettings, Lang: c.Lang}
}

// Want adds a project to the citizen's interests (the "I'm interested"
// button of /projects, or a deep link). It returns nil if they want it
// already or the project is unknown.
func (s *Survey) Want(c *multaque.Citizen, project string, now time.Time) *multaque.Citizen {
	if _, ok := s.Catalog.Project(project); !ok || c.HasInterest(project) {
		return nil
	}
	n := s.clone(c, now)
	n.SetInterests(append(projectIDs(c), project), now)
	return n
}

// advance moves n past the step it just answered, to the next unanswered
// step, or back to the summary when the answer came from /settings.
func (s *Survey) advance(n *multaque.Citizen, answered multaque.SurveyStep) Reply {
	next := multaque.StepDone
	if !n.Survey.Editing {
		switch {
		case n.Name == "":
			next = multaque.StepName
		case n.Community == "":
			next = multaque.StepCommunity
		case answered != multaque.StepInterests:
			next = multaque.StepInterests
		}
	}
	n.Survey.Step = next
	if next == multaque.StepDone {
		n.Survey.Editing = false
	}
	return s.Resume(n)
}

// clone copies c for a change, bumping the version so that the buttons
// drawn for the old state go stale.
func (s *Survey) clone(c *multaque.Citizen, now time.Time) *multaque.Citizen {
	n := *c
	n.Interests = append([]multaque.Interest(nil), c.Interests...)
	n.Survey.Version++
	n.UpdatedAt = now
	return &n
}

// browseStart is where the community keyboard opens: the parent of the
// citizen's community, so their current choice is in view, or the roots.
func (s *Survey) browseStart(c *multaque.Citizen) string {
	if com, ok := s.Catalog.Community(c.Community); ok {
		return com.Parent
	}
	return ""
}

func projectIDs(c *multaque.Citizen) []string {
	ids := make([]string, len(c.Interests))
	for i, in := range c.Interests {
		ids[i] = in.Project
	}
	return ids
}

func toggle(ids []string, id string) []string {
	for i, x := range ids {
		if x == id {
			return append(ids[:i:i], ids[i+1:]...)
		}
	}
	return append(ids, id)
}

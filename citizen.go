package multaque

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Citizen is a person who talks to the bot in a private chat. A Citizen is
// stored only once they have consented to the privacy notice.
type Citizen struct {
	ID        int64      `json:"id"` // Telegram user id, also their private chat id
	Lang      Lang       `json:"lang"`
	Name      string     `json:"name,omitempty"`
	Community string     `json:"community,omitempty"`
	Interests []Interest `json:"interests,omitempty"`
	Survey    Survey     `json:"survey"`
	// RefCode is the citizen's opaque code in the share links they pass on;
	// it stands for them without revealing their Telegram id.
	RefCode string `json:"ref_code,omitempty"`
	// Referrals counts the people who started the bot from their links.
	Referrals   int       `json:"referrals,omitempty"`
	ConsentAt   time.Time `json:"consent_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Unreachable bool      `json:"unreachable,omitempty"` // blocked the bot
}

// Interest is a project a citizen wants. Since is their place in the queue of
// their community for that project: it is kept as long as the interest is.
// Team is the team they are in for it, "" while they wait.
type Interest struct {
	Project string    `json:"project"`
	Since   time.Time `json:"since"`
	Team    string    `json:"team,omitempty"`
}

// Survey is where a citizen is in the survey.
type Survey struct {
	Step SurveyStep `json:"step"`
	// Version grows with every answer. Buttons carry the version they were
	// drawn for, so that a press on an old message is recognised as stale.
	Version int `json:"version"`
	// Editing is set when the step was reached from /settings: answering it
	// returns to the summary instead of walking on through the survey.
	Editing bool `json:"editing,omitempty"`
}

// SurveyStep names a question of the survey.
type SurveyStep string

// The steps of the survey, in order. Language and consent are asked before
// anything is stored, so they have no step of their own once stored.
const (
	StepName      SurveyStep = "name"
	StepCommunity SurveyStep = "community"
	StepInterests SurveyStep = "interests"
	StepDone      SurveyStep = "done"
)

// MaxNameLen is the longest name a citizen can give, in characters.
const MaxNameLen = 64

// CleanName trims a typed name and checks it: not empty, at most MaxNameLen
// characters, valid UTF-8 with no control characters. It returns an EINVALID
// error whose message is one of "empty", "too_long" or "bad_chars" so that
// the bot can say what is wrong in the person's language.
func CleanName(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "":
		return "", Errorf(EINVALID, "empty")
	case !utf8.ValidString(s):
		return "", Errorf(EINVALID, "bad_chars")
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "", Errorf(EINVALID, "too_long")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", Errorf(EINVALID, "bad_chars")
		}
	}
	return s, nil
}

// HasInterest reports whether c wants project.
func (c *Citizen) HasInterest(project string) bool {
	for _, in := range c.Interests {
		if in.Project == project {
			return true
		}
	}
	return false
}

// SetInterests replaces c's interests by projects, keeping the queue place
// (Since) and the team of every interest that stays and giving now to the
// new ones.
func (c *Citizen) SetInterests(projects []string, now time.Time) {
	old := make(map[string]Interest, len(c.Interests))
	for _, in := range c.Interests {
		old[in.Project] = in
	}
	out := make([]Interest, 0, len(projects))
	for _, p := range projects {
		in, ok := old[p]
		if !ok {
			in = Interest{Project: p, Since: now}
		}
		out = append(out, in)
	}
	c.Interests = out
}

// Interest returns c's interest in project, if they have one.
func (c *Citizen) Interest(project string) (Interest, bool) {
	for _, in := range c.Interests {
		if in.Project == project {
			return in, true
		}
	}
	return Interest{}, false
}

// Validate checks what a stored citizen must hold.
func (c *Citizen) Validate() error {
	switch {
	case c.ID <= 0:
		return Errorf(EINVALID, "citizen: id must be positive")
	case !c.Lang.Valid():
		return Errorf(EINVALID, "citizen %d: unknown language %q", c.ID, c.Lang)
	case c.ConsentAt.IsZero():
		return Errorf(EINVALID, "citizen %d: no consent", c.ID)
	}
	if c.Name != "" {
		if _, err := CleanName(c.Name); err != nil {
			return Errorf(EINVALID, "citizen %d: bad name", c.ID)
		}
	}
	seen := make(map[string]bool, len(c.Interests))
	for _, in := range c.Interests {
		if seen[in.Project] {
			return Errorf(EINVALID, "citizen %d: interest %q twice", c.ID, in.Project)
		}
		seen[in.Project] = true
	}
	return nil
}

// Waiting reports whether c counts in the waiting queues: they finished
// naming a community and can be reached.
func (c *Citizen) Waiting() bool {
	return c.Community != "" && !c.Unreachable
}

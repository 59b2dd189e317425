package sandboxweb

// Native polls on the page: a poll message shows its question and options
// with their counts and the person's own choice; tapping an option votes
// (POST .../vote), as in Telegram's apps.

import (
	"net/http"
	"slices"

	"github.com/multaque/multaque/bot/telegramtest"
)

// pollJSON is a poll as the page draws it.
type pollJSON struct {
	Question string           `json:"question"`
	Options  []pollOptionJSON `json:"options"`
	Voters   int              `json:"voters"`
	Multiple bool             `json:"multiple,omitempty"`
	Closed   bool             `json:"closed,omitempty"`
}

type pollOptionJSON struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine,omitempty"` // the person chose it
}

// pollOf is p as person u sees it.
func pollOf(p *telegramtest.Poll, u *telegramtest.User) *pollJSON {
	if p == nil {
		return nil
	}
	out := &pollJSON{Question: p.Question, Voters: p.Voters, Multiple: p.Multiple, Closed: p.Closed}
	mine := p.Choices[u.ID]
	for i, o := range p.Options {
		out.Options = append(out.Options, pollOptionJSON{Text: o, Count: p.Counts[i], Mine: slices.Contains(mine, i)})
	}
	return out
}

// vote answers POST /api/people/{person}/chats/{chat}/vote with
// {"message": id, "options": [...]}: the person's answer to a poll of a
// group they are in (no option retracts it).
func (h *handler) vote(w http.ResponseWriter, r *http.Request) {
	u, ok := h.person(w, r)
	if !ok {
		return
	}
	g, ok := h.chatOf(w, r, u)
	if !ok {
		return
	}
	if g == nil {
		fail(w, http.StatusBadRequest, "polls are in groups")
		return
	}
	var in struct {
		Message int   `json:"message"`
		Options []int `json:"options"`
	}
	if !decode(w, r, &in) {
		return
	}
	update, err := u.Vote(g, in.Message, in.Options...)
	if err != nil {
		fail(w, http.StatusConflict, "the poll does not take that answer")
		return
	}
	reply(w, map[string]int{"update": update})
}

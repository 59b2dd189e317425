package telegramtest

// Native polls: sendPoll, stopPoll, a member's vote (User.Vote) and the
// poll and poll_answer updates it causes. Telegram's rules, as the Bot API
// states them: a question of 1-300 characters, 2-12 options of 1-100
// characters each (after trimming), polls anonymous unless is_anonymous is
// false; a bot gets poll_answer updates only for non-anonymous polls it
// sent itself, and poll updates only for polls it sent; a closed poll takes
// no vote; a vote of several options needs allows_multiple_answers; an
// empty vote retracts the previous one. Error descriptions are the Bot
// API's where known, else best guesses.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of a poll (Bot API sendPoll).
const (
	MaxPollQuestion = 300
	MinPollOptions  = 2
	MaxPollOptions  = 12
	MaxPollOption   = 100
)

// Poll is a snapshot of a native poll as its chat shows it.
type Poll struct {
	ID        string
	Question  string
	Options   []string
	Counts    []int // voters per option
	Voters    int   // people who voted
	Multiple  bool
	Anonymous bool
	Closed    bool
	// Choices are each voter's options (of a non-anonymous poll).
	Choices map[int64][]int
}

// pollState is the server's record of a poll; guarded by its chat's mutex.
type pollState struct {
	id                  string
	question            string
	options             []string
	multiple, anonymous bool
	closed              bool
	fromBot             bool
	votes               map[int64][]int
}

func (p *pollState) counts() ([]int, int) {
	counts := make([]int, len(p.options))
	for _, ids := range p.votes {
		for _, i := range ids {
			counts[i]++
		}
	}
	return counts, len(p.votes)
}

func (p *pollState) snapshot() *Poll {
	out := &Poll{ID: p.id, Question: p.question, Options: slices.Clone(p.options), Multiple: p.multiple, Anonymous: p.anonymous, Closed: p.closed}
	out.Counts, out.Voters = p.counts()
	if !p.anonymous {
		out.Choices = make(map[int64][]int, len(p.votes))
		for id, v := range p.votes {
			out.Choices[id] = slices.Clone(v)
		}
	}
	return out
}

type apiPollOption struct {
	Text       string `json:"text"`
	VoterCount int    `json:"voter_count"`
}

type apiPoll struct {
	ID                    string          `json:"id"`
	Question              string          `json:"question"`
	Options               []apiPollOption `json:"options"`
	TotalVoterCount       int             `json:"total_voter_count"`
	IsClosed              bool            `json:"is_closed"`
	IsAnonymous           bool            `json:"is_anonymous"`
	Type                  string          `json:"type"`
	AllowsMultipleAnswers bool            `json:"allows_multiple_answers"`
}

func (p *pollState) api() *apiPoll {
	counts, voters := p.counts()
	out := &apiPoll{ID: p.id, Question: p.question, TotalVoterCount: voters, IsClosed: p.closed, IsAnonymous: p.anonymous, Type: "regular", AllowsMultipleAnswers: p.multiple}
	for i, o := range p.options {
		out.Options = append(out.Options, apiPollOption{Text: o, VoterCount: counts[i]})
	}
	return out
}

type apiPollAnswer struct {
	PollID    string  `json:"poll_id"`
	User      apiUser `json:"user"`
	OptionIDs []int   `json:"option_ids"`
}

// pollBook finds a poll's chat and message by the poll's id.
type pollBook struct {
	mu   sync.Mutex
	next int64
	byID map[string]pollRef
}

type pollRef struct {
	chat *chat
	msg  int
}

func (b *pollBook) add(c *chat, msg int, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byID == nil {
		b.byID = map[string]pollRef{}
	}
	b.byID[id] = pollRef{c, msg}
}

func (b *pollBook) newID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	return strconv.FormatInt(5_000_000_000_000_000_000+b.next, 10)
}

func (s *Server) pollMethods() []method {
	return []method{
		{"sendPoll", true, s.sendPoll},
		{"stopPoll", false, s.stopPoll},
	}
}

// pollOptions reads sendPoll's options: a JSON list of strings or of
// InputPollOption objects ({"text": ...}).
func pollOptions(raw string) ([]string, *apiError) {
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, errBadRequest("can't parse options JSON object")
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var text string
		if err := json.Unmarshal(item, &text); err != nil {
			var o struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(item, &o); err != nil {
				return nil, errBadRequest("can't parse InputPollOption")
			}
			text = o.Text
		}
		out = append(out, strings.TrimSpace(text))
	}
	return out, nil
}

func (s *Server) sendPoll(r *request) (any, *apiError) {
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	q := strings.TrimSpace(r.str("question"))
	switch {
	case q == "":
		return nil, errBadRequest("poll question must be non-empty")
	case runeLen(q) > MaxPollQuestion:
		return nil, errBadRequest("poll question length must not exceed 300")
	}
	opts, aerr := pollOptions(r.str("options"))
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case len(opts) < MinPollOptions:
		return nil, errBadRequest("poll must have at least 2 option")
	case len(opts) > MaxPollOptions:
		return nil, errBadRequest("poll can't have more than 12 options")
	}
	for _, o := range opts {
		if o == "" {
			return nil, errBadRequest("poll options must be non-empty")
		}
		if runeLen(o) > MaxPollOption {
			return nil, errBadRequest("poll options length must not exceed 100")
		}
	}
	if t := r.str("type"); t != "" && t != "regular" {
		return nil, errBadRequest("only regular polls are faked")
	}
	mk, aerr := parseMarkup(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	anonymous := !r.has("is_anonymous") || r.boolean("is_anonymous")
	p := &pollState{
		id: s.polls.newID(), question: q, options: opts, multiple: r.boolean("allows_multiple_answers"),
		anonymous: anonymous, closed: r.boolean("is_closed"), fromBot: true, votes: map[int64][]int{},
	}
	m := &message{poll: p}
	mk.apply(m)
	res, aerr := s.post(c, m, r)
	if aerr != nil {
		return nil, aerr
	}
	s.polls.add(c, res.(*apiMessage).MessageID, p.id)
	return res, nil
}

func (s *Server) stopPoll(r *request) (any, *apiError) {
	id, aerr := messageID(r)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.resolveChat(r)
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	_, m := c.find(id)
	switch {
	case m == nil || m.poll == nil:
		c.mu.Unlock()
		return nil, errBadRequest("message with poll to stop not found")
	case !m.fromBot:
		c.mu.Unlock()
		return nil, errBadRequest("message can't be edited")
	case m.poll.closed:
		c.mu.Unlock()
		return nil, errBadRequest("poll has already been closed")
	}
	m.poll.closed = true
	m.changedSeq = c.touch()
	out := m.poll.api()
	c.mu.Unlock()
	s.updates.push("poll", c.id, out)
	return out, nil
}

// Vote has u answer the poll of message messageID in group g with the
// options given (0-based); no option retracts u's vote. u must be in the
// group. The bot gets a poll_answer update (a non-anonymous poll it sent)
// and a poll update (a poll it sent); Vote returns the poll_answer's
// update_id, 0 if none was queued.
func (u *User) Vote(g *Group, messageID int, options ...int) (int, error) {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if !isIn(g.status(u.ID)) || c.deleted {
		return 0, fmt.Errorf("telegramtest: %s is not in %s", u.FirstName, g)
	}
	_, m := c.find(messageID)
	if m == nil || m.poll == nil {
		return 0, fmt.Errorf("telegramtest: message %d of %s is no poll", messageID, g)
	}
	p := m.poll
	if p.closed {
		return 0, fmt.Errorf("telegramtest: the poll is closed")
	}
	seen := map[int]bool{}
	for _, o := range options {
		if o < 0 || o >= len(p.options) || seen[o] {
			return 0, fmt.Errorf("telegramtest: option %d is not one of the poll's %d", o, len(p.options))
		}
		seen[o] = true
	}
	if len(options) > 1 && !p.multiple {
		return 0, fmt.Errorf("telegramtest: the poll takes one answer")
	}
	if len(options) == 0 {
		if _, voted := p.votes[u.ID]; !voted {
			return 0, fmt.Errorf("telegramtest: %s has no vote to retract", u.FirstName)
		}
		delete(p.votes, u.ID)
	} else {
		p.votes[u.ID] = slices.Sorted(slices.Values(options))
	}
	m.changedSeq = c.touch()
	g.mark = c.seq
	if !p.fromBot {
		return 0, nil
	}
	id := 0
	if !p.anonymous {
		ids := append([]int{}, options...)
		id = u.s.updates.push("poll_answer", u.ID, apiPollAnswer{PollID: p.id, User: u.api(), OptionIDs: ids})
	}
	u.s.updates.push("poll", c.id, p.api())
	return id, nil
}

// PushPollAnswer queues a poll_answer update from u for any poll id, as if
// Telegram sent one (for a poll the bot did not send, say), and returns
// its update_id.
func (s *Server) PushPollAnswer(pollID string, u *User, options ...int) int {
	return s.updates.push("poll_answer", u.ID, apiPollAnswer{PollID: pollID, User: u.api(), OptionIDs: append([]int{}, options...)})
}

// PollUpdateJSON is the body of a poll_answer update with that update_id,
// for a test that delivers it itself (twice, say).
func PollAnswerJSON(updateID int, pollID string, u *User, options ...int) []byte {
	b, _ := json.Marshal(map[string]any{"update_id": updateID, "poll_answer": apiPollAnswer{PollID: pollID, User: u.api(), OptionIDs: append([]int{}, options...)}})
	return b
}

// Poll returns the poll of message messageID in chat, if it is one.
func (s *Server) Poll(chatID int64, messageID int) (*Poll, bool) {
	s.mu.RLock()
	c := s.chats[chatID]
	s.mu.RUnlock()
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, m := c.find(messageID)
	if m == nil || m.poll == nil {
		return nil, false
	}
	return m.poll.snapshot(), true
}

// Polls returns the group's polls (the messages that hold one), oldest
// first.
func (g *Group) Polls() []Message {
	var out []Message
	for _, m := range g.Messages() {
		if m.Poll != nil {
			out = append(out, m)
		}
	}
	return out
}

// DeleteMessage deletes a message of the group as an administrator would
// (no update reaches the bot, as in Telegram).
func (g *Group) DeleteMessage(messageID int) bool {
	c := g.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	i, m := c.find(messageID)
	if m == nil {
		return false
	}
	c.msgs = slices.Delete(c.msgs, i, i+1)
	c.touch()
	return true
}

// pollWaitTimeout bounds WaitPoll.
const pollWaitTimeout = 10 * time.Second

// WaitPoll waits until the group has a poll whose question contains substr
// and returns its message.
func (g *Group) WaitPoll(substr string) (Message, bool) {
	var found Message
	ok := g.chat.waitFor(pollWaitTimeout, func() bool {
		for _, m := range g.chat.msgs {
			if m.poll != nil && strings.Contains(m.poll.question, substr) {
				found = m.snapshot(g.chat.id)
				return true
			}
		}
		return false
	})
	return found, ok
}

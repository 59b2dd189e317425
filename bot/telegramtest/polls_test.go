package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"
)

// pollGroup is a supergroup with the bot as administrator and two members.
func pollGroup(t *testing.T) (*telegramtest.Server, *telegramtest.Group, *telegramtest.User, *telegramtest.User) {
	srv := newServer(t)
	owner := srv.NewUser("Carme", "ca")
	g := srv.NewSupergroup("Team", owner)
	g.AddBot(owner, telegramtest.BotAdminRights)
	other := srv.NewUser("Pau", "en")
	_, a := rawCall(t, srv, "createChatInviteLink", url.Values{"chat_id": chatID(g.ID)})
	var l struct {
		InviteLink string `json:"invite_link"`
	}
	_ = json.Unmarshal(a.Result, &l)
	if err := other.OpenInviteLink(l.InviteLink); err != nil {
		t.Fatal(err)
	}
	return srv, g, owner, other
}

func sendPoll(t *testing.T, srv *telegramtest.Server, g *telegramtest.Group, question, options string, extra url.Values) (int, apiAnswer) {
	t.Helper()
	p := url.Values{"chat_id": chatID(g.ID), "question": {question}, "options": {options}}
	for k, v := range extra {
		p[k] = v
	}
	return rawCall(t, srv, "sendPoll", p)
}

func TestSendPollLimits(t *testing.T) {
	srv, g, _, _ := pollGroup(t)
	twelve := `["1","2","3","4","5","6","7","8","9","10","11","12"]`
	for _, c := range []struct {
		name, question, options string
		want                    string // "" = accepted
	}{
		{"plain", "Where?", `["Here","There"]`, ""},
		{"objects", "Where?", `[{"text":"Here"},{"text":"There"}]`, ""},
		{"twelve options", "Which?", twelve, ""},
		{"300 characters", strings.Repeat("é", 300), `["a","b"]`, ""},
		{"empty question", "  ", `["a","b"]`, "poll question must be non-empty"},
		{"301 characters", strings.Repeat("é", 301), `["a","b"]`, "poll question length must not exceed 300"},
		{"one option", "Q", `["a"]`, "poll must have at least 2 option"},
		{"thirteen options", "Q", strings.Replace(twelve, `"12"]`, `"12","13"]`, 1), "poll can't have more than 12 options"},
		{"empty option", "Q", `["a"," "]`, "poll options must be non-empty"},
		{"long option", "Q", `["a","` + strings.Repeat("x", 101) + `"]`, "poll options length must not exceed 100"},
		{"bad JSON", "Q", `a,b`, "can't parse options JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, a := sendPoll(t, srv, g, c.question, c.options, nil)
			if c.want == "" {
				if status != http.StatusOK || !a.OK {
					t.Fatalf("sendPoll = %d %q, want accepted", status, a.Description)
				}
				return
			}
			if status != http.StatusBadRequest || a.Description != "Bad Request: "+c.want {
				t.Errorf("sendPoll = %d %q, want 400 %q", status, a.Description, c.want)
			}
		})
	}
}

func TestPollVotesAndUpdates(t *testing.T) {
	srv, g, owner, other := pollGroup(t)
	rd := &updateReader{t: t, srv: srv}
	rd.read("")
	status, a := sendPoll(t, srv, g, "When?", `["Mon","Tue","Wed"]`, url.Values{"is_anonymous": {"false"}, "allows_multiple_answers": {"true"}})
	if status != http.StatusOK {
		t.Fatalf("sendPoll: %d %s", status, a.Description)
	}
	var msg struct {
		MessageID int `json:"message_id"`
		Poll      struct {
			ID          string `json:"id"`
			IsAnonymous bool   `json:"is_anonymous"`
		} `json:"poll"`
	}
	if err := json.Unmarshal(a.Result, &msg); err != nil || msg.Poll.ID == "" || msg.Poll.IsAnonymous {
		t.Fatalf("sendPoll result %s (%v): want a non-anonymous poll", a.Result, err)
	}
	if _, err := owner.Vote(g, msg.MessageID, 0, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Vote(g, msg.MessageID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Vote(g, msg.MessageID); err != nil { // retracted
		t.Fatal(err)
	}
	if _, err := owner.Vote(g, msg.MessageID, 5); err == nil {
		t.Error("a vote for option 5 of 3 was taken")
	}
	ups := rd.read("")
	var answers []struct {
		PollID    string `json:"poll_id"`
		OptionIDs []int  `json:"option_ids"`
		User      struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	polls := 0
	for _, u := range ups {
		if raw := u["poll_answer"]; raw != nil {
			var x struct {
				PollID    string `json:"poll_id"`
				OptionIDs []int  `json:"option_ids"`
				User      struct {
					ID int64 `json:"id"`
				} `json:"user"`
			}
			_ = json.Unmarshal(raw, &x)
			answers = append(answers, x)
		}
		if u["poll"] != nil {
			polls++
		}
	}
	if len(answers) != 3 || polls != 3 {
		t.Fatalf("updates %s: want 3 poll_answer and 3 poll", kinds(ups))
	}
	if answers[0].User.ID != owner.ID || len(answers[0].OptionIDs) != 2 || answers[0].PollID != msg.Poll.ID {
		t.Errorf("first answer %+v, want %d's options 0 and 2 of poll %s", answers[0], owner.ID, msg.Poll.ID)
	}
	if len(answers[2].OptionIDs) != 0 {
		t.Errorf("retraction has options %v, want none", answers[2].OptionIDs)
	}
	p, ok := srv.Poll(g.ID, msg.MessageID)
	if !ok || p.Voters != 1 || p.Counts[0] != 1 || p.Counts[1] != 0 || p.Counts[2] != 1 {
		t.Errorf("Poll = %+v, want one voter on Mon and Wed", p)
	}

	// Stopped: no more votes; stopping again is refused.
	if status, a := rawCall(t, srv, "stopPoll", url.Values{"chat_id": chatID(g.ID), "message_id": {itoa(msg.MessageID)}}); status != http.StatusOK {
		t.Fatalf("stopPoll: %d %s", status, a.Description)
	}
	if _, err := other.Vote(g, msg.MessageID, 0); err == nil {
		t.Error("a closed poll took a vote")
	}
	if _, a := rawCall(t, srv, "stopPoll", url.Values{"chat_id": chatID(g.ID), "message_id": {itoa(msg.MessageID)}}); a.Description != "Bad Request: poll has already been closed" {
		t.Errorf("second stopPoll: %q", a.Description)
	}
	if !g.DeleteMessage(msg.MessageID) {
		t.Fatal("DeleteMessage")
	}
	if _, a := rawCall(t, srv, "stopPoll", url.Values{"chat_id": chatID(g.ID), "message_id": {itoa(msg.MessageID)}}); a.Description != "Bad Request: message with poll to stop not found" {
		t.Errorf("stopPoll of a deleted message: %q", a.Description)
	}
}

func TestAnonymousPollSendsNoAnswers(t *testing.T) {
	srv, g, owner, _ := pollGroup(t)
	rd := &updateReader{t: t, srv: srv}
	rd.read("")
	_, a := sendPoll(t, srv, g, "Q", `["a","b"]`, nil)
	var msg struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(a.Result, &msg)
	if id, err := owner.Vote(g, msg.MessageID, 0, 1); err == nil {
		t.Errorf("two answers to a single-answer poll were taken (update %d)", id)
	}
	if id, err := owner.Vote(g, msg.MessageID, 1); err != nil || id != 0 {
		t.Errorf("Vote = %d, %v; want no poll_answer update", id, err)
	}
	if k := kinds(rd.read("")); k != "poll" {
		t.Errorf("updates %q, want only a poll update", k)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

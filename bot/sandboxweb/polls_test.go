package sandboxweb_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// TestPollsOnThePage: a poll the bot sends to a group shows on the page
// with its options; a person of the group votes from the page, sees their
// choice counted, takes it back; someone outside the group cannot vote.
func TestPollsOnThePage(t *testing.T) {
	p := newPage(t)
	anna := p.newPerson("Anna", "ca")
	var g struct{ Chat int64 }
	p.do("POST", fmt.Sprintf("/api/people/%d/groups", anna.ID), map[string]string{"title": "Team"}, &g)
	var sent struct {
		MessageID int `json:"message_id"`
	}
	raw := p.bot("sendPoll", map[string]any{"chat_id": g.Chat, "question": "Where?", "options": []map[string]string{{"text": "Here"}, {"text": "There"}}, "is_anonymous": false})
	if err := json.Unmarshal(raw, &sent); err != nil {
		t.Fatal(err)
	}
	type pollView struct {
		Messages []struct {
			ID   int `json:"id"`
			Poll *struct {
				Question string `json:"question"`
				Voters   int    `json:"voters"`
				Options  []struct {
					Text  string `json:"text"`
					Count int    `json:"count"`
					Mine  bool   `json:"mine"`
				} `json:"options"`
			} `json:"poll"`
		} `json:"messages"`
	}
	look := func() (q string, voters int, mine []bool) {
		var v pollView
		p.do("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", anna.ID, g.Chat), nil, &v)
		for _, m := range v.Messages {
			if m.ID == sent.MessageID && m.Poll != nil {
				for _, o := range m.Poll.Options {
					mine = append(mine, o.Mine)
				}
				return m.Poll.Question, m.Poll.Voters, mine
			}
		}
		t.Fatalf("the page shows no poll in message %d", sent.MessageID)
		return
	}
	if q, n, _ := look(); q != "Where?" || n != 0 {
		t.Fatalf("poll %q with %d voters, want Where? with none", q, n)
	}
	path := fmt.Sprintf("/api/people/%d/chats/%d/vote", anna.ID, g.Chat)
	if code := p.do("POST", path, map[string]any{"message": sent.MessageID, "options": []int{1}}, nil); code != http.StatusOK {
		t.Fatalf("vote: status %d", code)
	}
	if _, n, mine := look(); n != 1 || mine[0] || !mine[1] {
		t.Errorf("after the vote: %d voters, mine %v; want Anna on There", n, mine)
	}
	if len(p.updates()) == 0 {
		t.Error("the bot got no update of the vote")
	}
	if code := p.do("POST", path, map[string]any{"message": sent.MessageID, "options": []int{}}, nil); code != http.StatusOK {
		t.Fatalf("retract: status %d", code)
	}
	if _, n, _ := look(); n != 0 {
		t.Errorf("after taking the vote back: %d voters", n)
	}
	if code := p.do("POST", path, map[string]any{"message": sent.MessageID, "options": []int{0, 1}}, nil); code != http.StatusConflict {
		t.Errorf("two answers to a one-answer poll: status %d, want 409", code)
	}
	stranger := p.newPerson("Xavi", "es")
	if code := p.do("POST", fmt.Sprintf("/api/people/%d/chats/%d/vote", stranger.ID, g.Chat), map[string]any{"message": sent.MessageID, "options": []int{0}}, nil); code == http.StatusOK {
		t.Error("someone outside the group voted")
	}
}

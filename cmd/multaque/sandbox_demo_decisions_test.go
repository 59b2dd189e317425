package main

import (
	"fmt"
	"strings"
	"testing"
)

// checkDemoDecisions (TestSandboxDemo): the deciding team's group shows
// the closed proposal's outcome, pinned, and the open meeting poll with the
// two answers given.
func checkDemoDecisions(t *testing.T, s *sandbox, ps map[string]int64) {
	t.Helper()
	ona := ps[demoDeciders[0].name]
	var v struct {
		Chats []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"chats"`
	}
	s.api("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", ona, ona), nil, &v)
	var group int64
	for _, c := range v.Chats {
		if c.Kind == "group" {
			group = c.ID
		}
	}
	if group == 0 {
		t.Fatalf("%s is in no group", demoDeciders[0].name)
	}
	var g struct {
		Messages []struct {
			HTML   string `json:"html"`
			Pinned bool   `json:"pinned"`
			Poll   *struct {
				Question string `json:"question"`
				Voters   int    `json:"voters"`
				Closed   bool   `json:"closed"`
			} `json:"poll"`
		} `json:"messages"`
	}
	s.api("GET", fmt.Sprintf("/api/view?person=%d&chat=%d", ona, group), nil, &g)
	var outcome, open, closed bool
	for _, m := range g.Messages {
		switch {
		case m.Poll != nil && m.Poll.Question == demoOpenQuestion:
			open = !m.Poll.Closed && m.Poll.Voters == 2
		case m.Poll != nil && m.Poll.Question == demoClosedQuestion:
			closed = m.Poll.Closed && m.Poll.Voters == len(demoDeciders)
		case m.Pinned && strings.Contains(m.HTML, demoClosedQuestion):
			outcome = true
		}
	}
	if !outcome || !open || !closed {
		t.Errorf("the deciding team's group: outcome pinned %v, closed poll %v, open poll with 2 answers %v; want all", outcome, closed, open)
	}
}

package multaque_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestCoordinatorValidate(t *testing.T) {
	added := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		c    multaque.Coordinator
		want string // "" for valid, else a fragment of the message
	}{
		{"all communities", multaque.Coordinator{ID: 5, Lang: multaque.Spanish, AddedAt: added}, ""},
		{"one town", multaque.Coordinator{ID: 5, Communities: []string{"girona"}, Lang: multaque.Catalan, AddedAt: added}, ""},
		{"id zero", multaque.Coordinator{Lang: multaque.Catalan, AddedAt: added}, "id must be positive"},
		{"no language", multaque.Coordinator{ID: 5, AddedAt: added}, "unknown language"},
		{"no time added", multaque.Coordinator{ID: 5, Lang: multaque.English}, "no time added"},
		{"bad community", multaque.Coordinator{ID: 5, Communities: []string{""}, Lang: multaque.English, AddedAt: added}, "community"},
		{"community twice", multaque.Coordinator{ID: 5, Communities: []string{"a", "a"}, Lang: multaque.English, AddedAt: added}, `"a" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			if code := multaque.ErrorCode(err); code != multaque.EINVALID {
				t.Fatalf("ErrorCode(Validate())=%q, want %q (err %v)", code, multaque.EINVALID, err)
			}
			if msg := multaque.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("Validate() message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestCoordinatorOversees(t *testing.T) {
	vila := []string{"gracia", "barcelona"}
	tests := []struct {
		communities []string
		want        bool
	}{
		{nil, true},
		{[]string{"barcelona"}, true},
		{[]string{"vila-de-gracia"}, true},
		{[]string{"girona"}, false},
		{[]string{"camp-grassot"}, false},
	}
	for _, tt := range tests {
		c := multaque.Coordinator{ID: 5, Communities: tt.communities}
		if got := c.Oversees("vila-de-gracia", vila); got != tt.want {
			t.Errorf("scope %q: Oversees(vila-de-gracia)=%v, want %v", tt.communities, got, tt.want)
		}
	}
}

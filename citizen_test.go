package multaque_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"Anna", "Anna", ""},
		{"  Anna \t Puig\n", "Anna Puig", ""},
		{"Núria Bòsch-Çañas", "Núria Bòsch-Çañas", ""},
		{"👩‍👧 Família", "👩‍👧 Família", ""}, // the zero-width joiner of emoji is kept
		{"", "", "empty"},
		{" \n\t ", "", "empty"},
		{strings.Repeat("ñ", multaque.MaxNameLen), strings.Repeat("ñ", multaque.MaxNameLen), ""},
		{strings.Repeat("ñ", multaque.MaxNameLen+1), "", "too_long"},
		{"An\x00na", "", "bad_chars"},
		{"An\u202ena", "", "bad_chars"}, // right-to-left override
		{"An\xffna", "", "bad_chars"},
	}
	for _, tt := range tests {
		got, err := multaque.CleanName(tt.in)
		if tt.problem == "" {
			if err != nil || got != tt.want {
				t.Errorf("CleanName(%q)=%q,%v, want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if multaque.ErrorCode(err) != multaque.EINVALID || multaque.ErrorMessage(err) != tt.problem {
			t.Errorf("CleanName(%q) err=%v, want EINVALID %q", tt.in, err, tt.problem)
		}
	}
}

func TestSetInterestsKeepsQueuePlace(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	c := &multaque.Citizen{}
	c.SetInterests([]string{"a", "b"}, t0)
	c.SetInterests([]string{"b", "c"}, t1)
	want := []multaque.Interest{{Project: "b", Since: t0}, {Project: "c", Since: t1}}
	if fmt.Sprint(c.Interests) != fmt.Sprint(want) {
		t.Fatalf("Interests=%v, want %v", c.Interests, want)
	}
	if !c.HasInterest("c") || c.HasInterest("a") {
		t.Fatalf("HasInterest wrong for %v", c.Interests)
	}
}

func TestCitizenValidate(t *testing.T) {
	ok := func() *multaque.Citizen {
		return &multaque.Citizen{ID: 1, Lang: multaque.Catalan, ConsentAt: time.Now(), Name: "Anna"}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("Validate()=%v, want nil", err)
	}
	tests := map[string]func(c *multaque.Citizen){
		"no id":        func(c *multaque.Citizen) { c.ID = 0 },
		"bad language": func(c *multaque.Citizen) { c.Lang = "fr" },
		"no consent":   func(c *multaque.Citizen) { c.ConsentAt = time.Time{} },
		"bad name":     func(c *multaque.Citizen) { c.Name = "a\x00" },
		"interest twice": func(c *multaque.Citizen) {
			c.Interests = []multaque.Interest{{Project: "x"}, {Project: "x"}}
		},
	}
	for name, breakIt := range tests {
		c := ok()
		breakIt(c)
		if err := c.Validate(); multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("%s: Validate()=%v, want EINVALID", name, err)
		}
	}
}

func TestTextFallsBack(t *testing.T) {
	txt := multaque.Text{multaque.Spanish: "hola"}
	if got := txt.In(multaque.Catalan); got != "hola" {
		t.Errorf("In(ca)=%q, want the Spanish fallback", got)
	}
	if got := txt.Missing(); fmt.Sprint(got) != "[ca en]" {
		t.Errorf("Missing()=%v, want [ca en]", got)
	}
}

func TestErrorCodes(t *testing.T) {
	err := fmt.Errorf("save: %w", multaque.Errorf(multaque.ENOTFOUND, "citizen %d", 7))
	if multaque.ErrorCode(err) != multaque.ENOTFOUND || multaque.ErrorMessage(err) != "citizen 7" {
		t.Errorf("code=%q message=%q, want not_found, citizen 7", multaque.ErrorCode(err), multaque.ErrorMessage(err))
	}
	plain := errors.New("disk on fire")
	if multaque.ErrorCode(plain) != multaque.EINTERNAL || multaque.ErrorMessage(plain) != "Internal error." {
		t.Errorf("a plain error must be internal and keep its details out of the message")
	}
	if multaque.ErrorCode(nil) != "" {
		t.Errorf("ErrorCode(nil) must be empty")
	}
}

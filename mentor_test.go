package multaque_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

var joined = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func validMentor(edit func(*multaque.Mentor)) *multaque.Mentor {
	m := &multaque.Mentor{
		ID:          77,
		Name:        "Núria",
		Projects:    []string{"energy", "time-bank"},
		Communities: []string{"barcelona"},
		Capacity:    3,
		Lang:        multaque.Catalan,
		JoinedAt:    joined,
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func TestMentorValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*multaque.Mentor)
		want string // "" for valid, else a fragment of the message
	}{
		{"valid", nil, ""},
		{"everywhere, no name, no projects yet", func(m *multaque.Mentor) { m.Communities, m.Name, m.Projects = nil, "", nil }, ""},
		{"capacity 0", func(m *multaque.Mentor) { m.Capacity = 0 }, ""},
		{"paused", func(m *multaque.Mentor) { m.Paused = true }, ""},
		{"id zero", func(m *multaque.Mentor) { m.ID = 0 }, "id must be positive"},
		{"unknown language", func(m *multaque.Mentor) { m.Lang = "fr" }, "unknown language"},
		{"no joining time", func(m *multaque.Mentor) { m.JoinedAt = time.Time{} }, "no joining time"},
		{"negative capacity", func(m *multaque.Mentor) { m.Capacity = -1 }, "capacity"},
		{"capacity too large", func(m *multaque.Mentor) { m.Capacity = multaque.MaxMentorCapacity + 1 }, "capacity"},
		{"bad name", func(m *multaque.Mentor) { m.Name = "a\x00b" }, "bad name"},
		{"bad project", func(m *multaque.Mentor) { m.Projects = []string{"Energy"} }, `project "Energy" is not a valid id`},
		{"project twice", func(m *multaque.Mentor) { m.Projects = []string{"energy", "energy"} }, `project "energy" twice`},
		{"bad community", func(m *multaque.Mentor) { m.Communities = []string{"a/b"} }, "community"},
		{"community twice", func(m *multaque.Mentor) { m.Communities = []string{"gracia", "gracia"} }, `community "gracia" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validMentor(tt.edit).Validate()
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

func TestMentorCovers(t *testing.T) {
	// vila-de-gracia → gracia → barcelona
	vila := []string{"gracia", "barcelona"}
	tests := []struct {
		name        string
		communities []string
		project     string
		community   string
		ancestors   []string
		want        bool
	}{
		{"everywhere", nil, "energy", "vila-de-gracia", vila, true},
		{"the town covers its neighbourhood", []string{"barcelona"}, "energy", "vila-de-gracia", vila, true},
		{"the district covers its neighbourhood", []string{"girona", "gracia"}, "energy", "vila-de-gracia", vila, true},
		{"the community itself", []string{"vila-de-gracia"}, "energy", "vila-de-gracia", vila, true},
		{"another town does not", []string{"girona"}, "energy", "vila-de-gracia", vila, false},
		{"a neighbourhood does not cover its district", []string{"vila-de-gracia"}, "energy", "gracia", []string{"barcelona"}, false},
		{"another project does not", nil, "car-sharing", "vila-de-gracia", vila, false},
		{"the second project", nil, "time-bank", "vila-de-gracia", vila, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMentor(func(m *multaque.Mentor) { m.Communities = tt.communities })
			if got := m.Covers(tt.project, tt.community, tt.ancestors); got != tt.want {
				t.Errorf("Covers(%q, %q, %q)=%v, want %v", tt.project, tt.community, tt.ancestors, got, tt.want)
			}
		})
	}
}

func TestMentorAvailable(t *testing.T) {
	tests := []struct {
		capacity, load int
		paused         bool
		want           bool
	}{
		{3, 0, false, true},
		{3, 2, false, true},
		{3, 3, false, false},
		{3, 4, false, false}, // capacity lowered below the load
		{0, 0, false, false},
		{3, 0, true, false},
	}
	for _, tt := range tests {
		m := validMentor(func(m *multaque.Mentor) { m.Capacity, m.Paused = tt.capacity, tt.paused })
		if got := m.Available(tt.load); got != tt.want {
			t.Errorf("capacity %d, paused %v: Available(%d)=%v, want %v", tt.capacity, tt.paused, tt.load, got, tt.want)
		}
	}
}

package multaque_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque"
)

var created = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// validTeam returns a team that passes Validate, changed by edit.
func validTeam(edit func(*multaque.Team)) *multaque.Team {
	t := &multaque.Team{
		ID:        "t-42",
		Community: "gracia",
		Project:   "energy",
		Members: []multaque.TeamMember{
			{Citizen: 1, JoinedAt: created},
			{Citizen: 2, JoinedAt: created, InChat: true},
		},
		Mentor:      9,
		Status:      multaque.TeamActive,
		Chat:        -1001234567890,
		InviteLink:  "https://t.me/+abc",
		Setup:       multaque.SetupPinned,
		Welcome:     7,
		ActiveSince: created,
		CreatedAt:   created,
		UpdatedAt:   created,
	}
	if edit != nil {
		edit(t)
	}
	return t
}

func TestTeamValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*multaque.Team)
		want string // "" for valid, else a fragment of the message
	}{
		{"valid", nil, ""},
		{"forming without group or mentor", func(t *multaque.Team) {
			t.Status, t.Chat, t.InviteLink, t.Mentor = multaque.TeamForming, 0, "", 0
			t.Setup, t.Welcome, t.ActiveSince = multaque.SetupNone, 0, time.Time{}
		}, ""},
		{"forming with its group being set up", func(t *multaque.Team) {
			t.Status, t.InviteLink, t.Setup, t.Welcome = multaque.TeamForming, "", multaque.SetupDescription, 0
		}, ""},
		{"forming with its welcome posted, not pinned", func(t *multaque.Team) {
			t.Status, t.Setup = multaque.TeamForming, multaque.SetupWelcome
		}, ""},
		{"member reminded", func(t *multaque.Team) { t.Members[0].RemindedAt = created.Add(time.Hour) }, ""},
		{"closed", func(t *multaque.Team) { t.Status = multaque.TeamClosed }, ""},
		{"closed with nobody left", func(t *multaque.Team) { t.Status, t.Members = multaque.TeamClosed, nil }, ""},
		{"id with underscore and capitals", func(t *multaque.Team) { t.ID = "Team_7-b" }, ""},
		{"id of the longest length", func(t *multaque.Team) { t.ID = strings.Repeat("a", multaque.MaxTeamIDLen) }, ""},
		{"empty id", func(t *multaque.Team) { t.ID = "" }, "id must be"},
		{"id too long", func(t *multaque.Team) { t.ID = strings.Repeat("a", multaque.MaxTeamIDLen+1) }, "id must be"},
		{"id with a slash", func(t *multaque.Team) { t.ID = "t/1" }, "id must be"},
		{"bad community", func(t *multaque.Team) { t.Community = "Gràcia" }, "bad community"},
		{"no project", func(t *multaque.Team) { t.Project = "" }, "bad project"},
		{"unknown status", func(t *multaque.Team) { t.Status = "open" }, "unknown status"},
		{"no creation time", func(t *multaque.Team) { t.CreatedAt = time.Time{} }, "no creation time"},
		{"negative mentor", func(t *multaque.Team) { t.Mentor = -1 }, "mentor id"},
		{"private chat as group", func(t *multaque.Team) { t.Chat = 12345 }, "not a group"},
		{"active without group", func(t *multaque.Team) { t.Chat, t.InviteLink = 0, "" }, "active without a group"},
		{"invite link without group", func(t *multaque.Team) {
			t.Status, t.Chat = multaque.TeamForming, 0
		}, "invite link without a group"},
		{"unknown setup step", func(t *multaque.Team) { t.Setup = "painted" }, "unknown setup step"},
		{"setup step without group", func(t *multaque.Team) {
			t.Status, t.Chat, t.InviteLink, t.Setup, t.Welcome = multaque.TeamForming, 0, "", multaque.SetupTitle, 0
		}, "without a group"},
		{"setup past the link without one", func(t *multaque.Team) {
			t.Status, t.InviteLink, t.Setup = multaque.TeamForming, "", multaque.SetupLink
		}, "without one"},
		{"setup past the welcome without it", func(t *multaque.Team) { t.Welcome = 0 }, "without its message"},
		{"negative welcome", func(t *multaque.Team) {
			t.Status, t.Setup, t.Welcome = multaque.TeamForming, multaque.SetupLink, -1
		}, "without its message"},
		{"active before pinned", func(t *multaque.Team) { t.Setup = multaque.SetupWelcome }, "active before its group is set up"},
		{"active without a time", func(t *multaque.Team) { t.ActiveSince = time.Time{} }, "active before its group is set up"},
		{"member id zero", func(t *multaque.Team) { t.Members[0].Citizen = 0 }, "member id"},
		{"member twice", func(t *multaque.Team) { t.Members[1].Citizen = 1 }, "member 1 twice"},
		{"member without joining time", func(t *multaque.Team) { t.Members[1].JoinedAt = time.Time{} }, "no joining time"},
		{"mentor also member", func(t *multaque.Team) { t.Mentor = 2 }, "both member and mentor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validTeam(tt.edit).Validate()
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

func TestTeamStatusValid(t *testing.T) {
	for _, s := range []multaque.TeamStatus{multaque.TeamForming, multaque.TeamActive, multaque.TeamClosed} {
		if !s.Valid() {
			t.Errorf("%q.Valid()=false, want true", s)
		}
	}
	for _, s := range []multaque.TeamStatus{"", "Active", "open"} {
		if s.Valid() {
			t.Errorf("%q.Valid()=true, want false", s)
		}
	}
}

func TestTeamMembership(t *testing.T) {
	team := validTeam(nil)
	if !team.HasMember(2) {
		t.Errorf("HasMember(2)=false, want true")
	}
	if team.HasMember(9) {
		t.Errorf("HasMember(9) (the mentor)=true, want false")
	}
	tests := []struct {
		status  multaque.TeamStatus
		maxTeam int
		open    bool
	}{
		{multaque.TeamForming, 3, true},
		{multaque.TeamActive, 3, true},
		{multaque.TeamActive, 2, false},
		{multaque.TeamActive, 1, false}, // a lowered maximum
		{multaque.TeamClosed, 3, false},
	}
	for _, tt := range tests {
		team.Status = tt.status
		if got := team.Open(tt.maxTeam); got != tt.open {
			t.Errorf("%s team of 2: Open(%d)=%v, want %v", tt.status, tt.maxTeam, got, tt.open)
		}
	}
}

func TestTeamNeedsMentor(t *testing.T) {
	tests := []struct {
		status multaque.TeamStatus
		mentor int64
		want   bool
	}{
		{multaque.TeamForming, 0, true},
		{multaque.TeamActive, 0, true},
		{multaque.TeamActive, 9, false},
		{multaque.TeamClosed, 0, false},
	}
	for _, tt := range tests {
		team := validTeam(func(t *multaque.Team) { t.Status, t.Mentor = tt.status, tt.mentor })
		if got := team.NeedsMentor(); got != tt.want {
			t.Errorf("%s team with mentor %d: NeedsMentor()=%v, want %v", tt.status, tt.mentor, got, tt.want)
		}
	}
}

func TestSetupStepOrder(t *testing.T) {
	steps := []multaque.SetupStep{multaque.SetupNone, multaque.SetupTitle, multaque.SetupDescription,
		multaque.SetupLink, multaque.SetupWelcome, multaque.SetupPinned}
	for i, s := range steps {
		if !s.Valid() {
			t.Errorf("%q.Valid()=false, want true", s)
		}
		for j, step := range steps {
			if got, want := s.Done(step), j <= i; got != want {
				t.Errorf("%q.Done(%q)=%v, want %v", s, step, got, want)
			}
		}
	}
	if multaque.SetupStep("Title").Valid() {
		t.Errorf(`"Title".Valid()=true, want false`)
	}
	if multaque.SetupPinned.Done("bogus") {
		t.Errorf(`SetupPinned.Done("bogus")=true, want false`)
	}
}

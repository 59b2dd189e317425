package bot

import (
	"strings"

	"github.com/multaque/multaque"
)

// startPayload is what a deep link (t.me/<bot>?start=...) pre-fills:
// "c_<community>_p_<project>_r_<referral code>", any subset in any order, or
// "m_<mentor code>". Values never contain '_', so the payload splits into
// key/value pairs.
type startPayload struct {
	Community string
	Project   string
	Referrer  string
	Mentor    string // a mentor invite code (mentors.go)
	// CoordinatorInvite is a coordinator invite code, "k_<code>"
	// (roles_admin.go).
	CoordinatorInvite string
	// Goal is a team whose goal a share link opens, "g_<team>" (pledges.go).
	Goal string
}

const maxPayload = 64 // characters, Telegram's limit for start parameters

// parsePayload reads a deep-link payload. Unknown keys and malformed values
// are dropped: a link someone mangled still starts the bot.
func parsePayload(s string) startPayload {
	var p startPayload
	if len(s) > maxPayload {
		return p
	}
	f := strings.Split(s, "_")
	for i := 0; i+1 < len(f); i += 2 {
		k, v := f[i], f[i+1]
		switch {
		case k == "c" && multaque.ValidID(v):
			p.Community = v
		case k == "p" && multaque.ValidID(v):
			p.Project = v
		case k == "r" && validRefCode(v):
			p.Referrer = v
		case k == "m" && validMentorCode(v):
			p.Mentor = v
		case k == "k" && validMentorCode(v): // made like mentor codes
			p.CoordinatorInvite = v
		case k == "g" && multaque.ValidID(v):
			p.Goal = v
		}
	}
	return p
}

func validRefCode(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// String encodes p as a deep-link payload.
func (p startPayload) String() string {
	var parts []string
	if p.Community != "" {
		parts = append(parts, "c_"+p.Community)
	}
	if p.Project != "" {
		parts = append(parts, "p_"+p.Project)
	}
	if p.Referrer != "" {
		parts = append(parts, "r_"+p.Referrer)
	}
	if p.Goal != "" {
		parts = append(parts, "g_"+p.Goal)
	}
	return strings.Join(parts, "_")
}

// maxCarried is the longest payload the buttons before consent can carry:
// their callback data is at most "lang|0|ca,<payload>", within 64 bytes.
const maxCarried = maxCallbackData - len(actLang+"|0|ca,")

// carried encodes p for the buttons before consent: without the referrer
// when it does not fit with it. A community and a project always fit (two
// ids of at most multaque.MaxIDLen).
func (p startPayload) carried() string {
	s := p.String()
	if len(s) > maxCarried {
		p.Referrer = ""
		s = p.String()
	}
	return s
}

// IsZero reports whether p pre-fills nothing.
func (p startPayload) IsZero() bool { return p == startPayload{} }

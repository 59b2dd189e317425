package bot

// Mentors: the invite a coordinator creates (/mentorinvite), the onboarding
// a person walks from its link (start=m_<code>), and /mentor, where a
// mentor sees and changes what they take on.
//
// Nothing is stored about a person before they agree to the notice: its
// button carries the invite code. From then on their choices are kept as a
// draft in the store, so that a restart loses nothing, and the code is used
// up only when they finish.
//
// Mentors have no version number to put in buttons, so their buttons carry
// in its place a fingerprint of the record they were drawn for (see
// mentorVersion): a press whose fingerprint is not that of the record as
// stored now is stale, and changes nothing.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// MentorStore is what the mentor handlers need of the database.
type MentorStore interface {
	CreateMentorCodeIn(ctx context.Context, by int64, scope []string, expires time.Time) (string, error)
	MentorCodeMaker(ctx context.Context, code string, now time.Time) (by int64, scope []string, err error)
	VoidMentorCode(ctx context.Context, code string) error
	SaveMentorDraft(ctx context.Context, code string, m multaque.Mentor, now time.Time) error
	MentorDraft(ctx context.Context, id int64) (*multaque.Mentor, string, error)
	UpdateMentorDraft(ctx context.Context, id int64, fn func(m *multaque.Mentor) error) (*multaque.Mentor, error)
	RedeemMentorCode(ctx context.Context, code string, m multaque.Mentor, now time.Time) error
	Mentor(ctx context.Context, id int64) (*multaque.Mentor, error)
	UpdateMentor(ctx context.Context, id int64, fn func(m *multaque.Mentor) error) (*multaque.Mentor, error)
	MentorLoads(ctx context.Context) (map[int64]int, error)
}

// Callback actions of the mentor screens. All but the notice's carry the
// fingerprint of the mentor record as their version.
const (
	actMentorAgree       = "mok"  // agree to the notice: version 0, arg = invite code
	actMentorDecline     = "mno"  // decline the notice: version 0
	actMentorProject     = "mtp"  // toggle a project: arg = project id
	actMentorProjects    = "mpd"  // projects chosen
	actMentorBrowse      = "mcn"  // show the children of a community: arg = id ("" = roots)
	actMentorCommunity   = "mct"  // toggle a community: arg = community id
	actMentorEverywhere  = "mce"  // cover every community
	actMentorCommunities = "mcd"  // communities chosen
	actMentorCapacity    = "mcap" // teams at once: arg = one of mentorCapacities
	actMentorEdit        = "med"  // from /mentor, change: arg = projects|communities|capacity
	actMentorPause       = "mpz"  // arg = "1" to pause, "0" to resume
	actMentorShow        = "msh"  // back to /mentor
)

// mentorCapacities are the capacities offered as buttons.
var mentorCapacities = []int{1, 2, 3, 5, 8}

// mentorInviteDays is how long a mentor invite stays valid.
const mentorInviteDays = 7

// Message ids of the mentor screens that other code refers to.
const (
	msgMentorCodeUsed    = "mentor_code_used"
	msgMentorCodeExpired = "mentor_code_expired"
	msgMentorAlready     = "mentor_already"
	msgMentorInviteVoid  = "mentor_invite_void"
)

// validMentorCode reports whether s can be a mentor invite code: 10-32
// characters of a-z and 0-9 (the store makes them of a-z and 2-7).
func validMentorCode(s string) bool {
	if len(s) < 10 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// mentorVersion fingerprints m as stored (a draft or a mentor) for the
// buttons drawn for it. It is never noVersion, which the notice's buttons
// carry. Equal fingerprints mean equal choices, so a button drawn for the
// same state as now does what it says.
func mentorVersion(m *multaque.Mentor, draft bool) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%t|%d|%q|%q|%q|%d|%t|%s|%d", draft, m.ID, m.Name, m.Projects, m.Communities,
		m.Capacity, m.Paused, m.Lang, m.JoinedAt.UnixNano())
	if len(m.Scope) > 0 { // only then: the buttons of older records stay valid
		fmt.Fprintf(h, "|%q", m.Scope)
	}
	if v := int(h.Sum32()); v != noVersion {
		return v
	}
	return noVersion + 1
}

// mentorCodeProblem maps the store's answer about an invite code to the
// message that explains it, if it is one of those.
func mentorCodeProblem(err error) (string, bool) {
	switch {
	case multaque.ErrorCode(err) == multaque.ENOTFOUND:
		return msgMentorCodeUsed, true
	case multaque.ErrorCode(err) == multaque.EINVALID && multaque.ErrorMessage(err) == "expired":
		return msgMentorCodeExpired, true
	case multaque.ErrorCode(err) == multaque.ECONFLICT:
		return msgMentorAlready, true
	}
	return "", false
}

// mentorOf loads the person's mentor record, or their draft and the code it
// is for; m is nil if they have neither.
func (b *mentors) mentorOf(ctx context.Context, id int64) (m *multaque.Mentor, code string, err error) {
	m, err = b.store.Mentor(ctx, id)
	if multaque.ErrorCode(err) != multaque.ENOTFOUND {
		return m, "", err
	}
	m, code, err = b.store.MentorDraft(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil, "", nil
	}
	return m, code, err
}

// onMentorInvite is /mentorinvite, a coordinators' command (steering.go):
// a coordinator gets a one-time link that makes whoever opens it a mentor
// within the communities the coordinator oversees now.
func (b *mentors) onMentorInvite(ctx context.Context, a *adminCall) error {
	code, err := b.store.CreateMentorCodeIn(ctx, a.coord.ID, a.coord.Communities, b.now().AddDate(0, 0, mentorInviteDays))
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("mentor invite created")
	if err := b.audit(ctx, a, "mentor invite"); err != nil {
		return err
	}
	link := "https://t.me/" + b.username + "?start=m_" + code
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "mentor_invite_link", "Link", esc(link), "Days", mentorInviteDays,
		"Scope", b.roles.scopeText(a.lang, a.coord.Communities))})
}

// onMentorCommand is /mentor: a mentor's settings, the onboarding where a
// person left it, or how to become one.
func (b *mentors) onMentorCommand(ctx context.Context, r *request) error {
	c, lang := r.c, r.lang
	m, code, err := b.mentorOf(ctx, c.Sender().ID)
	switch {
	case err != nil:
		return err
	case m == nil:
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "mentor_not_mentor")})
	case code != "":
		return b.send(ctx, c.Recipient(), b.view.mentorProjects(m, true, ""))
	}
	v, err := b.mentorSummary(ctx, m, "")
	if err != nil {
		return err
	}
	return b.send(ctx, c.Recipient(), v)
}

// onMentorLink is /start m_<code>: the notice, once the code is known to
// be live; the onboarding where they left it if they opened it before.
func (b *mentors) onMentorLink(ctx context.Context, c *tg.Context, cz *multaque.Citizen, code string) error {
	lang := MatchLanguage(c.Sender().LanguageCode)
	if cz != nil {
		lang = cz.Lang
	}
	m, draft, err := b.mentorOf(ctx, c.Sender().ID)
	if err != nil {
		return err
	}
	switch {
	case m != nil && draft == "":
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(m.Lang, msgMentorAlready)})
	case m != nil && draft == code:
		return b.send(ctx, c.Recipient(), b.view.mentorProjects(m, true, ""))
	}
	if msg, err := b.checkMentorCode(ctx, code); err != nil {
		return err
	} else if msg != "" {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, msg)})
	}
	return b.send(ctx, c.Recipient(), b.view.mentorNotice(lang, senderName(c.Sender()), code))
}

// checkMentorCode says whether code can still make someone a mentor: ""
// if so, else the key of the message that explains why not. An invite dies
// with its maker's role: if whoever made it is no longer a coordinator, or
// no longer oversees the scope it gives, it is void, and it is deleted
// with any draft made for it.
func (b *mentors) checkMentorCode(ctx context.Context, code string) (string, error) {
	by, scope, err := b.store.MentorCodeMaker(ctx, code, b.now())
	if msg, ok := mentorCodeProblem(err); ok {
		return msg, nil
	} else if err != nil {
		return "", err
	}
	maker, err := b.coordinator(ctx, by)
	if err != nil {
		return "", err
	}
	if maker != nil && b.roles.within(maker, scope) {
		return "", nil
	}
	zerolog.Ctx(ctx).Info().Msg("mentor invite void: its maker can no longer give it")
	if err := b.store.VoidMentorCode(ctx, code); err != nil {
		return "", err
	}
	return msgMentorInviteVoid, nil
}

// mayCover reports whether m may choose to cover community: whether it
// lies within the scope of the invite they came through.
func (b *mentors) mayCover(m *multaque.Mentor, community string) bool {
	return len(m.Scope) == 0 || m.MayCover(community, b.ancestors(community))
}

// noCommunity is the problem of a mentor who chose no community.
func noCommunity(m *multaque.Mentor) string {
	if len(m.Scope) > 0 {
		return "mentor_problem_no_community_scoped"
	}
	return "mentor_problem_no_community"
}

// mentorOutOfScope answers a button for a community outside the mentor's
// scope, which the bot never draws: it changes nothing.
func (b *mentors) mentorOutOfScope(ctx context.Context, c *tg.Context, lang multaque.Lang) error {
	zerolog.Ctx(ctx).Warn().Msg("mentor button outside their scope refused")
	return c.Respond(&tg.CallbackResponse{Text: b.view.t(lang, "mentor_out_of_scope"), ShowAlert: true})
}

// senderName is the person's name as Telegram gives it, cleaned; "" if it
// cannot be stored.
func senderName(u *tg.User) string {
	name, err := multaque.CleanName(u.FirstName + " " + u.LastName)
	if err != nil {
		return ""
	}
	return name
}

// onMentorButton handles the buttons of the mentor screens. lang is the
// language to answer in when the person is not a mentor (yet).
func (b *mentors) onMentorButton(ctx context.Context, r *request) error {
	c, lang, bt := r.c, r.lang, r.bt
	id := c.Sender().ID
	m, code, err := b.mentorOf(ctx, id)
	if err != nil {
		return err
	}
	if m != nil {
		lang = m.Lang
	}
	switch bt.Action {
	case actMentorAgree:
		return b.onMentorAgree(ctx, c, lang, m, code, bt)
	case actMentorDecline:
		if bt.Version != noVersion {
			return b.stale(ctx, c, lang)
		}
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, "mentor_declined")})
	}
	draft := code != ""
	if m == nil || bt.Version != mentorVersion(m, draft) {
		return b.stale(ctx, c, lang)
	}

	// Buttons that only show another screen.
	var v view
	switch {
	case bt.Action == actMentorBrowse:
		at, page := splitPage(bt.Arg)
		if _, ok := b.view.cat.Community(at); at != "" && !ok {
			return b.stale(ctx, c, lang)
		}
		if at != "" && !b.mayCover(m, at) {
			return b.mentorOutOfScope(ctx, c, lang)
		}
		v = b.view.mentorCommunitiesAt(m, draft, at, "", page, "")
	case bt.Action == actMentorProjectsPage:
		page, err := strconv.Atoi(bt.Arg)
		if err != nil || page < 0 {
			return b.stale(ctx, c, lang)
		}
		v = b.view.mentorProjectsAt(m, draft, "", page, "")
	case bt.Action == actMentorProjects:
		switch {
		case len(m.Projects) == 0:
			v = b.view.mentorProjects(m, draft, "mentor_problem_no_project")
		case draft:
			v = b.view.mentorCommunities(m, draft, "", "")
		}
	case bt.Action == actMentorCommunities:
		switch {
		case len(m.Communities) == 0:
			v = b.view.mentorCommunities(m, draft, "", noCommunity(m))
		case draft:
			v = b.view.mentorCapacity(m, draft)
		}
	case bt.Action == actMentorEdit && !draft:
		switch bt.Arg {
		case "projects":
			v = b.view.mentorProjects(m, draft, "")
		case "communities":
			v = b.view.mentorCommunities(m, draft, "", "")
		case "capacity":
			v = b.view.mentorCapacity(m, draft)
		default:
			return b.stale(ctx, c, lang)
		}
	case bt.Action == actMentorShow && !draft:
	default:
		return b.onMentorChange(ctx, c, m, code, bt)
	}
	if v.Text == "" { // a mentor done with a setting: back to /mentor
		if v, err = b.mentorSummary(ctx, m, ""); err != nil {
			return err
		}
	}
	_ = c.Respond()
	return b.edit(ctx, c, v)
}

// onMentorAgree stores the draft of a person who agreed to the notice.
func (b *mentors) onMentorAgree(ctx context.Context, c *tg.Context, lang multaque.Lang, m *multaque.Mentor, draft string, bt button) error {
	if bt.Version != noVersion || !validMentorCode(bt.Arg) {
		return b.stale(ctx, c, lang)
	}
	switch {
	case m != nil && draft == "":
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, msgMentorAlready)})
	case m != nil && draft == bt.Arg: // agreed before: carry on
		_ = c.Respond()
		return b.edit(ctx, c, b.view.mentorProjects(m, true, ""))
	}
	if msg, err := b.checkMentorCode(ctx, bt.Arg); err != nil {
		return err
	} else if msg != "" {
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, msg)})
	}
	now := b.now()
	n := multaque.Mentor{ID: c.Sender().ID, Name: senderName(c.Sender()), Lang: lang, JoinedAt: now}
	err := b.store.SaveMentorDraft(ctx, bt.Arg, n, now)
	if msg, ok := mentorCodeProblem(err); ok {
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, msg)})
	}
	if err != nil {
		return err
	}
	saved, _, err := b.store.MentorDraft(ctx, n.ID)
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("mentor invite accepted")
	_ = c.Respond()
	return b.edit(ctx, c, b.view.mentorProjects(saved, true, ""))
}

// onMentorChange handles the buttons that change the record: it checks
// the fingerprint again inside the store's transaction, commits, then
// shows what follows.
func (b *mentors) onMentorChange(ctx context.Context, c *tg.Context, m *multaque.Mentor, code string, bt button) error {
	draft, lang := code != "", m.Lang
	var change func(m *multaque.Mentor)
	switch bt.Action {
	case actMentorProject:
		if _, ok := b.view.cat.Project(bt.Arg); !ok {
			return b.stale(ctx, c, lang)
		}
		change = func(m *multaque.Mentor) { m.Projects = toggle(slices.Clone(m.Projects), bt.Arg) }
	case actMentorCommunity:
		if _, ok := b.view.cat.Community(bt.Arg); !ok {
			return b.stale(ctx, c, lang)
		}
		if !b.mayCover(m, bt.Arg) {
			return b.mentorOutOfScope(ctx, c, lang)
		}
		if !draft && len(m.Scope) > 0 && slices.Equal(m.Communities, []string{bt.Arg}) {
			// None would mean everywhere, outside their scope: the store
			// refuses it too.
			_ = c.Respond()
			return b.edit(ctx, c, b.view.mentorCommunities(m, draft, "", noCommunity(m)))
		}
		change = func(m *multaque.Mentor) { m.Communities = toggle(slices.Clone(m.Communities), bt.Arg) }
	case actMentorEverywhere:
		// Everywhere they may: a scope is stored as the list it is.
		change = func(m *multaque.Mentor) { m.Communities = slices.Clone(m.Scope) }
	case actMentorCapacity:
		n, err := strconv.Atoi(bt.Arg)
		if err != nil || !slices.Contains(mentorCapacities, n) {
			return b.stale(ctx, c, lang)
		}
		if draft {
			return b.onMentorFinish(ctx, c, m, code, n)
		}
		change = func(m *multaque.Mentor) { m.Capacity = n }
	case actMentorPause:
		if draft || bt.Arg != "0" && bt.Arg != "1" {
			return b.stale(ctx, c, lang)
		}
		change = func(m *multaque.Mentor) { m.Paused = bt.Arg == "1" }
	default:
		return b.stale(ctx, c, lang)
	}
	checked := func(cur *multaque.Mentor) error {
		if mentorVersion(cur, draft) != bt.Version {
			return ErrStale
		}
		change(cur)
		return nil
	}
	var saved *multaque.Mentor
	var err error
	if draft {
		saved, err = b.store.UpdateMentorDraft(ctx, m.ID, checked)
	} else {
		saved, err = b.store.UpdateMentor(ctx, m.ID, checked)
	}
	if errors.Is(err, ErrStale) || multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.stale(ctx, c, lang)
	}
	if err != nil {
		return err
	}
	var v view
	switch {
	case bt.Action == actMentorProject:
		v = b.view.mentorProjectsAt(saved, draft, "", 0, bt.Arg) // its page
	case bt.Action == actMentorCommunity:
		com, _ := b.view.cat.Community(bt.Arg)
		at := com.Parent
		if at != "" && !b.mayCover(saved, at) { // back to the top of their scope
			at = ""
		}
		v = b.view.mentorCommunitiesAt(saved, draft, at, "", 0, bt.Arg)
	case bt.Action == actMentorEverywhere && draft:
		v = b.view.mentorCapacity(saved, draft)
	default:
		if v, err = b.mentorSummary(ctx, saved, ""); err != nil {
			return err
		}
	}
	_ = c.Respond()
	return b.edit(ctx, c, v)
}

// onMentorFinish makes the person a mentor with their draft and the
// capacity they chose: the invite code is used up now.
func (b *mentors) onMentorFinish(ctx context.Context, c *tg.Context, m *multaque.Mentor, code string, capacity int) error {
	// An expired or used code is the store's to refuse: it also deletes
	// the draft that can never be finished.
	if msg, err := b.checkMentorCode(ctx, code); err != nil {
		return err
	} else if msg == msgMentorInviteVoid {
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(m.Lang, msg)})
	}
	n := *m
	n.Capacity = capacity
	err := b.store.RedeemMentorCode(ctx, code, n, b.now())
	if msg, ok := mentorCodeProblem(err); ok {
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(m.Lang, msg)})
	}
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("mentor joined")
	saved, err := b.store.Mentor(ctx, m.ID)
	if err != nil {
		return err
	}
	v, err := b.mentorSummary(ctx, saved, "mentor_welcome")
	if err != nil {
		return err
	}
	_ = c.Respond()
	return b.edit(ctx, c, v)
}

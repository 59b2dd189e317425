package bot_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// communityToggles lists the community toggles of a mentor's communities
// screen, by the names they show (their ▫️/✅ mark cut off).
func communityToggles(msg telegramtest.Message) []string {
	var out []string
	for _, row := range msg.Keyboard {
		for _, b := range row {
			if name, ok := strings.CutPrefix(b.Text, "▫️ "); ok {
				out = append(out, name)
			} else if name, ok := strings.CutPrefix(b.Text, "✅ "); ok {
				out = append(out, name)
			}
		}
	}
	return out
}

// fingerprint is the version carried by the button of msg labelled text.
func fingerprint(t *testing.T, msg telegramtest.Message, text string) string {
	t.Helper()
	parts := strings.Split(buttonData(t, msg, text), "|")
	if len(parts) < 2 {
		t.Fatalf("button %q carries no version", text)
	}
	return parts[1]
}

// pressRefused presses each forged data on msg and checks that each is
// answered with the out-of-scope text in lang.
func pressRefused(t *testing.T, h *harness, u *telegramtest.User, msg telegramtest.Message, lang multaque.Lang, datas ...string) {
	t.Helper()
	for _, data := range datas {
		id := u.PressData(msg.ID, data)
		if ans := waitAnswer(t, u, id); ans.Text != h.text(lang, "mentor_out_of_scope") || !ans.ShowAlert {
			t.Errorf("press %q answered %+v, want the out-of-scope alert", data, ans)
		}
	}
}

func TestMentorInviteOfScopedCoordinator(t *testing.T) {
	h, carme := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	anna := h.roleMake(t, carme, "Anna", "gracia")

	code := h.invite(t, anna)
	link, _ := anna.LastFromBot()
	if want := h.visible(ca, "mentor_invite_link", "Link", "https://t.me/"+h.bot.Username()+"?start=m_"+code, "Days", 7,
		"Scope", h.community(ca, "gracia")); link.Text != want {
		t.Fatalf("the invite of a coordinator of Gràcia reads %q, want %q", link.Text, want)
	}

	u := h.srv.NewUser("Marta", "es")
	u.LastName = "Puig"
	u.Send("/start m_" + code)
	u.Expect(t, h.textWith(es, "mentor_notice", map[string]any{"Name": u.FirstName + " " + u.LastName}))
	u.Press(t, h.text(es, "mentor_btn_agree"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 0}))
	u.Press(t, "▫️ "+h.project(es, "consumer-group"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 1}))
	u.Press(t, h.text(es, "btn_done"))

	// The picker starts at Gràcia, opens only into it, and nothing else.
	gracia := h.community(es, "gracia")
	top := u.Expect(t, h.visible(es, "mentor_ask_communities_scoped", "Scope", gracia))
	if got := communityToggles(top); !slices.Equal(got, []string{gracia}) {
		t.Fatalf("the scoped picker offers %q, want only %q", got, gracia)
	}
	u.Press(t, gracia+" ›")
	inside := u.Expect(t, h.visible(es, "browsing", "Community", gracia))
	var want []string
	for _, c := range h.cat.Children("gracia") {
		want = append(want, c.Name.In(es))
	}
	if got := communityToggles(inside); len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("inside Gràcia the picker offers %q, want %q", got, want)
	}
	vila := h.community(es, "vila-de-gracia")
	u.Press(t, "▫️ "+vila)
	chosen := u.Expect(t, h.visible(es, "mentor_chosen", "Communities", vila))

	// Forged buttons for places outside Gràcia, with the current
	// fingerprint: refused, and the draft is as it was.
	cur := fingerprint(t, chosen, h.text(es, "btn_done"))
	pressRefused(t, h, u, chosen, es,
		"mct|"+cur+"|sants", "mct|"+cur+"|barcelona", "mct|"+cur+"|catalunya",
		"mcn|"+cur+"|sants-montjuic", "mcn|"+cur+"|barcelona")
	draft, _, err := h.db.MentorDraft(ctx, u.ID)
	if err != nil {
		t.Fatalf("MentorDraft: %v", err)
	}
	if !slices.Equal(draft.Communities, []string{"vila-de-gracia"}) || !slices.Equal(draft.Scope, []string{"gracia"}) {
		t.Fatalf("after forged presses the draft covers %q within %q, want [vila-de-gracia] within [gracia]", draft.Communities, draft.Scope)
	}

	// Back leads to the top of her scope, not to Barcelona.
	u.Press(t, "‹ "+h.text(es, "btn_back"))
	u.Expect(t, h.visible(es, "mentor_chosen", "Communities", vila))
	if back, _ := u.LastFromBot(); !slices.Equal(communityToggles(back), []string{gracia}) {
		t.Fatalf("back from Gràcia shows %q, want only %q", communityToggles(back), gracia)
	}

	// "All of them" is all of Gràcia, stored as such.
	u.Press(t, h.text(es, "mentor_btn_all_scope"))
	u.Expect(t, h.text(es, "mentor_ask_capacity"))
	u.Press(t, "2")
	u.Expect(t, h.text(es, "mentor_welcome"))
	m := h.mentor(t, u.ID)
	if !slices.Equal(m.Communities, []string{"gracia"}) || !slices.Equal(m.Scope, []string{"gracia"}) {
		t.Fatalf("the mentor covers %q within %q, want [gracia] within [gracia]", m.Communities, m.Scope)
	}

	// /mentor keeps her within Gràcia: the same picker, the same refusals,
	// and she cannot untick the last place (none would mean everywhere).
	u.Send("/mentor")
	u.Expect(t, h.text(es, "mentor_status_active"))
	u.Press(t, h.text(es, "mentor_btn_communities"))
	edit := u.Expect(t, h.visible(es, "mentor_ask_communities_scoped", "Scope", gracia))
	if got := communityToggles(edit); !slices.Equal(got, []string{gracia}) {
		t.Fatalf("/mentor offers %q, want only %q", got, gracia)
	}
	cur = fingerprint(t, edit, h.text(es, "btn_done"))
	pressRefused(t, h, u, edit, es, "mct|"+cur+"|sants", "mct|"+cur+"|barcelona", "mcn|"+cur+"|catalunya")
	if m := h.mentor(t, u.ID); !slices.Equal(m.Communities, []string{"gracia"}) {
		t.Fatalf("after forged presses in /mentor she covers %q, want [gracia]", m.Communities)
	}
	u.Press(t, "✅ "+gracia)
	u.Expect(t, h.text(es, "mentor_problem_no_community_scoped"))
	if m := h.mentor(t, u.ID); !slices.Equal(m.Communities, []string{"gracia"}) {
		t.Fatalf("unticking Gràcia in /mentor left %q, want [gracia]", m.Communities)
	}
	// The same refusal again redraws the very same screen: Telegram
	// answers "message is not modified", and nothing new is sent.
	before := len(fromBot(u, ""))
	u.Press(t, "✅ "+gracia)
	u.Press(t, gracia+" ›")
	u.Expect(t, h.visible(es, "browsing", "Community", gracia))
	if n := len(fromBot(u, "")) - before; n != 0 {
		t.Errorf("an unchanged screen sent %d new messages, want none", n)
	}
	u.Press(t, "▫️ "+vila)
	u.Expect(t, h.visible(es, "mentor_chosen", "Communities", gracia+", "+vila))
	u.Press(t, "‹ "+h.text(es, "btn_back"))
	u.Expect(t, h.visible(es, "mentor_chosen", "Communities", gracia+", "+vila))
	if back, _ := u.LastFromBot(); !slices.Equal(communityToggles(back), []string{gracia}) {
		t.Fatalf("back from Gràcia in /mentor shows %q, want only %q", communityToggles(back), gracia)
	}
	u.Press(t, "✅ "+gracia)
	u.Expect(t, h.visible(es, "mentor_chosen", "Communities", vila))
	if m := h.mentor(t, u.ID); !slices.Equal(m.Communities, []string{"vila-de-gracia"}) {
		t.Fatalf("she covers %q, want [vila-de-gracia]", m.Communities)
	}
	u.Press(t, h.text(es, "mentor_btn_all_scope"))
	u.Expect(t, h.visible(es, "mentor_summary", "Name", u.FirstName+" "+u.LastName, "Projects", h.project(es, "consumer-group"),
		"Communities", gracia, "Capacity", 2, "Load", 0))
	m = h.mentor(t, u.ID)
	if !slices.Equal(m.Communities, []string{"gracia"}) || m.Covers("consumer-group", "sants", h.cat.Ancestors("sants")) {
		t.Fatalf("after All of them she covers %q, want [gracia] and not Sants", m.Communities)
	}
}

func TestMentorInviteOfUnscopedCoordinatorUnchanged(t *testing.T) {
	h, carme := newMentorHarness(t)
	ca, es := multaque.Catalan, multaque.Spanish
	code := h.invite(t, carme)
	link, _ := carme.LastFromBot()
	if want := h.visible(ca, "mentor_invite_link", "Link", "https://t.me/"+h.bot.Username()+"?start=m_"+code, "Days", 7,
		"Scope", h.text(ca, "role_scope_all")); link.Text != want {
		t.Fatalf("the invite of a coordinator of every community reads %q, want %q", link.Text, want)
	}
	u := h.srv.NewUser("Pau", "es")
	u.LastName = "Roca"
	h.onboard(t, u, code)
	m := h.mentor(t, u.ID)
	if len(m.Scope) != 0 || !slices.Equal(m.Communities, []string{"barcelona"}) {
		t.Fatalf("the mentor covers %q within %q, want [barcelona] and no scope", m.Communities, m.Scope)
	}
	u.Send("/mentor")
	u.Expect(t, h.text(es, "mentor_status_active"))
	u.Press(t, h.text(es, "mentor_btn_communities"))
	u.Expect(t, h.text(es, "mentor_ask_communities"))
	u.Press(t, h.text(es, "mentor_btn_everywhere"))
	u.Expect(t, h.text(es, "mentor_everywhere"))
	if m := h.mentor(t, u.ID); len(m.Communities) != 0 || !m.Covers("consumer-group", "sants", h.cat.Ancestors("sants")) {
		t.Fatalf("after Everywhere the mentor covers %q, want everywhere", m.Communities)
	}
}

// TestMentorInviteDiesWithItsMaker: a mentor invite is valid only while its
// maker is still a coordinator over the scope it gives. Removed, the link
// says so and makes nobody a mentor; narrowed, a person half-way through
// the onboarding cannot finish it; the code and the draft are gone.
func TestMentorInviteDiesWithItsMaker(t *testing.T) {
	h, carme := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish

	// Removed: the link opened afterwards is void.
	anna := h.roleMake(t, carme, "Anna", "gracia")
	code := h.invite(t, anna)
	carme.Send("/removecoordinator " + strconv.FormatInt(anna.ID, 10))
	carme.Expect(t, h.visible(ca, "role_removed", "ID", anna.ID))
	u := h.srv.NewUser("Marta", "es")
	u.Send("/start m_" + code)
	u.Expect(t, h.text(es, "mentor_invite_void"))
	if _, err := h.db.Mentor(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Mentor after a void invite: %v, want ENOTFOUND", err)
	}
	if n := h.codes(t); n != 0 {
		t.Errorf("%d codes left after the void invite was opened, want 0", n)
	}

	// Narrowed while someone is half-way: they cannot finish.
	bernat := h.roleMake(t, carme, "Bernat", "gracia")
	code = h.invite(t, bernat)
	v := h.srv.NewUser("Pau", "es")
	v.Send("/start m_" + code)
	v.Press(t, h.text(es, "mentor_btn_agree"))
	v.Press(t, "▫️ "+h.project(es, "consumer-group"))
	v.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 1}))
	carme.Send("/scope " + strconv.FormatInt(bernat.ID, 10) + " vila-de-gracia")
	carme.Expect(t, h.visible(ca, "role_scope_set", "ID", bernat.ID, "Scope", h.community(ca, "vila-de-gracia")))
	v.Press(t, h.text(es, "btn_done"))
	v.Press(t, h.text(es, "mentor_btn_all_scope"))
	v.Expect(t, h.text(es, "mentor_ask_capacity"))
	v.Press(t, "2")
	v.Expect(t, h.text(es, "mentor_invite_void"))
	if _, err := h.db.Mentor(ctx, v.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Mentor after a narrowed maker: %v, want ENOTFOUND", err)
	}
	if _, _, err := h.db.MentorDraft(ctx, v.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("MentorDraft after a void invite: %v, want ENOTFOUND", err)
	}
}

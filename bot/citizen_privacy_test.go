package bot_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/multaque/multaque/bot/telegramtest"

	"github.com/multaque/multaque"
)

// TestPrivacyBeforeAndAfterConsent: /privacy shows the privacy notice of
// the consent screen to a stranger (in Telegram's language, storing
// nothing), on the consent screen itself, and after consent (in the
// language the person chose, whatever Telegram's); /help and the command
// menu point to it.
func TestPrivacyBeforeAndAfterConsent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, tt := range []struct {
		lang   multaque.Lang
		tgLang string
	}{{multaque.Catalan, "ca"}, {multaque.Spanish, "es-419"}, {multaque.English, "en"}} {
		t.Run(string(tt.lang), func(t *testing.T) {
			notice := h.text(tt.lang, "privacy")
			u := h.srv.NewUser("Anna", tt.tgLang)

			// A stranger: the notice and nothing else, and nothing stored.
			before, audited := h.roleSnapshot(t), len(h.roleAudit(t))
			u.Send("/privacy")
			if got := u.Expect(t, notice); got.Text != notice {
				t.Errorf("/privacy from a stranger = %q, want the notice alone %q", got.Text, notice)
			}
			if after := h.roleSnapshot(t); !maps.Equal(before, after) {
				t.Errorf("/privacy from a stranger changed the database")
			}
			if n := len(h.roleAudit(t)); n != audited {
				t.Errorf("audit entries = %d after a stranger's /privacy, want %d", n, audited)
			}
			if _, err := h.db.Citizen(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
				t.Fatalf("Citizen after /privacy: err=%v, want ENOTFOUND", err)
			}

			// On the consent screen, then after agreeing.
			u.Send("/start")
			u.Expect(t, "Multaque")
			u.Press(t, "✓ "+langLabel[tt.lang])
			u.Expect(t, notice) // the consent screen carries it
			u.Send("/privacy")
			if got := u.Expect(t, notice); got.Text != notice {
				t.Errorf("/privacy on the consent screen = %q, want %q", got.Text, notice)
			}
			u.Press(t, h.text(tt.lang, "btn_consent")) // the consent screen still works
			u.Expect(t, h.text(tt.lang, "ask_name"))
			u.Send("/privacy")
			if got := u.Expect(t, notice); got.Text != notice {
				t.Errorf("/privacy after consent = %q, want %q", got.Text, notice)
			}
			if c := h.citizen(u.ID); c.Lang != tt.lang || c.Name != "" {
				t.Errorf("citizen after /privacy = %+v, want one in %s still asked for a name", c, tt.lang)
			}

			u.Send("/help")
			if got := u.Expect(t, h.text(tt.lang, "help")); !strings.Contains(got.Text, "/privacy") {
				t.Errorf("/help = %q, want it to mention /privacy", got.Text)
			}
			menu := h.srv.Commands("all_private_chats", string(tt.lang))
			i := slices.IndexFunc(menu, func(c telegramtest.Command) bool { return c.Text == "privacy" })
			if i < 0 || menu[i].Description != h.text(tt.lang, "cmd_privacy") {
				t.Errorf("%s menu %v, want /privacy described as %q", tt.lang, menu, h.text(tt.lang, "cmd_privacy"))
			}
		})
	}

	// Someone whose Telegram speaks English but who chose Catalan reads
	// the notice in Catalan once they agreed, in English before.
	ca, en := multaque.Catalan, multaque.English
	jordi := h.srv.NewUser("Jordi", "en")
	jordi.Send("/start")
	jordi.Expect(t, "Multaque")
	jordi.Press(t, langLabel[ca])
	jordi.Expect(t, h.text(ca, "privacy"))
	jordi.Send("/privacy")
	jordi.Expect(t, h.text(en, "privacy"))
	jordi.Press(t, h.text(ca, "btn_consent"))
	jordi.Expect(t, h.text(ca, "ask_name"))
	jordi.Send("/privacy")
	if got := jordi.Expect(t, h.text(ca, "privacy")); got.Text != h.text(ca, "privacy") {
		t.Errorf("/privacy of a citizen in Catalan = %q, want the Catalan notice", got.Text)
	}
}

// TestPrivacyTellsMentorsAndCoordinators: /privacy adds to the notice what
// is kept about a mentor or a coordinator in that role, and only to them.
func TestPrivacyTellsMentorsAndCoordinators(t *testing.T) {
	h, carme := newMentorHarness(t) // Carme: a configured coordinator
	ca, es := multaque.Catalan, multaque.Spanish

	carme.Send("/privacy")
	want := h.text(ca, "privacy") + "\n\n" + h.text(ca, "privacy_coordinator")
	if got := carme.Expect(t, h.text(ca, "privacy_coordinator")); got.Text != want {
		t.Errorf("/privacy of a coordinator = %q, want %q", got.Text, want)
	}

	marta := h.srv.NewUser("Marta", "es")
	marta.LastName = "Puig"
	h.onboard(t, marta, h.invite(t, carme))
	// Telegram's language changes; the mentor's record keeps Spanish. No
	// update about Marta is in flight: the fake server reads the field
	// only when she acts.
	marta.LanguageCode = "en"
	marta.Send("/privacy")
	want = h.text(es, "privacy") + "\n\n" + h.text(es, "privacy_mentor")
	if got := marta.Expect(t, h.text(es, "privacy_mentor")); got.Text != want {
		t.Errorf("/privacy of a mentor = %q, want %q", got.Text, want)
	}
}

// TestCoordinatorWelcomeSaysWhatIsKept: whoever becomes a coordinator, by
// /claim or by an invite, is told in their language what is kept about
// them as coordinator, that the audit log (/audit) records their actions
// and that /forget does not erase it.
func TestCoordinatorWelcomeSaysWhatIsKept(t *testing.T) {
	h := newHarness(t)
	ca, es, en := multaque.Catalan, multaque.Spanish, multaque.English
	mentions := func(who, text string) {
		t.Helper()
		for _, s := range []string{"/audit", "/forget"} {
			if !strings.Contains(text, s) {
				t.Errorf("%s's welcome %q does not mention %s", who, text, s)
			}
		}
	}

	ivan := h.srv.NewUser("Ivan", "en")
	ivan.Send("/claim " + h.roleSetupCode(t))
	mentions("Ivan", ivan.Expect(t, h.text(en, "role_claimed")).Text)
	ivan.Send("/privacy")
	ivan.Expect(t, h.text(en, "privacy_coordinator"))

	nuria := h.srv.NewUser("Núria", "es")
	nuria.Send("/start k_" + h.roleInvite(t, ivan, "gracia"))
	mentions("Núria", nuria.Expect(t, h.textWith(es, "role_welcome", map[string]any{"Scope": h.community(es, "gracia")})).Text)

	pau := h.srv.NewUser("Pau", "ca")
	pau.Send("/start k_" + h.roleInvite(t, ivan, "all"))
	mentions("Pau", pau.Expect(t, h.textWith(ca, "role_welcome", map[string]any{"Scope": h.text(ca, "role_scope_all")})).Text)
}

// TestRefusedCommandsAreTheirData: someone who never answered the survey
// tries a coordinators' command and is refused; the attempt is audited
// with their id. /mydata shows it to them, /forget erases it. A
// coordinator who asks /forget is told that their record and the audit log
// of their actions stay.
func TestRefusedCommandsAreTheirData(t *testing.T) {
	h, carme := newMentorHarness(t) // Carme: a configured coordinator
	en, ca := multaque.English, multaque.Catalan

	joe := h.srv.NewUser("Joe", "en")
	joe.Send("/stats")
	joe.Expect(t, h.text(en, "admin_refused"))
	h.roleAudited(t, joe.ID, "stats", true)

	joe.Send("/mydata")
	doc := joe.Expect(t, h.text(en, "mydata_caption"))
	var pd struct {
		Audit []multaque.AuditEntry `json:"audit_entries"`
	}
	if doc.Document == nil || json.Unmarshal(doc.Document.Data, &pd) != nil || len(pd.Audit) != 1 || pd.Audit[0].Command != "stats" || !pd.Audit[0].Refused {
		t.Fatalf("/mydata of someone refused once = %+v, want a JSON document with the refused /stats", doc.Document)
	}

	joe.Send("/forget")
	joe.Press(t, h.text(en, "btn_forget"))
	if got := joe.Expect(t, h.text(en, "forgotten")); got.Text != h.text(en, "forgotten") {
		t.Errorf("/forget of a citizen = %q, want %q alone", got.Text, h.text(en, "forgotten"))
	}
	for _, e := range h.roleAudit(t) {
		if e.Actor == joe.ID {
			t.Errorf("the audit log still holds %+v after /forget", e)
		}
	}
	joe.Send("/mydata")
	joe.Expect(t, h.text(en, "nothing_held"))
	joe.Send("/forget")
	joe.Expect(t, h.text(en, "nothing_held"))

	// Carme, a coordinator with no survey answers, has nothing erasable:
	// she is told so, and that her record and audit entries stay.
	carme.Send("/forget")
	want := h.text(ca, "nothing_held") + "\n\n" + h.text(ca, "forget_coordinator_kept")
	if got := carme.Expect(t, h.text(ca, "forget_coordinator_kept")); got.Text != want {
		t.Errorf("/forget of a coordinator = %q, want %q", got.Text, want)
	}
}

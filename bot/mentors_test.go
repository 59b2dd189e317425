package bot_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// newMentorHarness is newHarness with one coordinator, who speaks Catalan.
func newMentorHarness(t *testing.T) (*harness, *telegramtest.User) {
	t.Helper()
	h := newHarness(t)
	coord := h.srv.NewUser("Carme", "ca")
	h.shutdown()
	h.coordinators = []int64{coord.ID}
	h.start()
	return h, coord
}

var inviteLink = regexp.MustCompile(`https://t\.me/[A-Za-z0-9_]+\?start=m_([a-z0-9]+)`)

// invite has the coordinator run /mentorinvite and returns the code of the
// link they get.
func (h *harness) invite(t *testing.T, coord *telegramtest.User) string {
	t.Helper()
	coord.Send("/mentorinvite")
	msg := coord.Expect(t, "?start=m_")
	m := inviteLink.FindStringSubmatch(msg.Text)
	if m == nil || !strings.Contains(msg.Text, "https://t.me/"+h.bot.Username()+"?start=m_") {
		t.Fatalf("/mentorinvite answered %q, want a t.me link to this bot with start=m_<code>", msg.Text)
	}
	return m[1]
}

func (h *harness) mentor(t *testing.T, id int64) *multaque.Mentor {
	t.Helper()
	m, err := h.db.Mentor(context.Background(), id)
	if err != nil {
		t.Fatalf("Mentor(%d): %v", id, err)
	}
	return m
}

func (h *harness) codes(t *testing.T) int {
	t.Helper()
	n := 0
	h.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("codes")).Stats().KeyN
		return nil
	})
	return n
}

// onboard walks u, who speaks Spanish, from the invite link to a stored
// mentor of the consumer group and the time bank in Barcelona, three teams
// at once.
func (h *harness) onboard(t *testing.T, u *telegramtest.User, code string) {
	t.Helper()
	es := multaque.Spanish
	u.Send("/start m_" + code)
	u.Expect(t, h.textWith(es, "mentor_notice", map[string]any{"Name": u.FirstName + " " + u.LastName}))
	u.Press(t, h.text(es, "mentor_btn_agree"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 0}))
	u.Press(t, "▫️ "+h.project(es, "consumer-group"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 1}))
	u.Press(t, "▫️ "+h.project(es, "time-bank"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 2}))
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_ask_communities"))
	u.Press(t, "▫️ "+h.community(es, "barcelona"))
	u.Expect(t, h.textWith(es, "mentor_chosen", map[string]any{"Communities": h.community(es, "barcelona")}))
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_ask_capacity"))
	u.Press(t, "3")
	u.Expect(t, h.text(es, "mentor_welcome"))
}

func TestMentorInviteOnlyForCoordinators(t *testing.T) {
	h, coord := newMentorHarness(t)
	code := h.invite(t, coord)
	if len(code) < 10 {
		t.Fatalf("code %q, want at least 10 characters", code)
	}
	if err := h.db.CheckMentorCode(context.Background(), code, time.Now().Add(7*24*time.Hour-time.Minute)); err != nil {
		t.Fatalf("the code is not valid for 7 days: %v", err)
	}
	if err := h.db.CheckMentorCode(context.Background(), code, time.Now().Add(7*24*time.Hour+time.Minute)); multaque.ErrorCode(err) != multaque.EINVALID {
		t.Fatalf("the code is still valid after 7 days: %v", err)
	}

	for _, lang := range []multaque.Lang{multaque.Catalan, multaque.Spanish, multaque.English} {
		u := h.srv.NewUser("Nobody", string(lang))
		u.Send("/mentorinvite")
		got := u.Expect(t, h.text(lang, "admin_refused"))
		if strings.Contains(got.Text, "t.me") {
			t.Errorf("a non-coordinator got %q", got.Text)
		}
	}
	if n := h.codes(t); n != 1 {
		t.Fatalf("codes bucket holds %d codes, want only the coordinator's", n)
	}
}

func TestMentorOnboarding(t *testing.T) {
	h, coord := newMentorHarness(t)
	code := h.invite(t, coord)
	ctx := context.Background()
	es := multaque.Spanish

	u := h.srv.NewUser("Marta", "es")
	u.LastName = "Puig" // before Marta does anything
	u.Send("/start m_" + code)
	notice := u.Expect(t, "Marta Puig")
	if !strings.Contains(notice.Text, "/forget") {
		t.Errorf("notice %q does not say how to erase the data", notice.Text)
	}
	buttonData(t, notice, h.text(es, "mentor_btn_agree"))
	if _, _, err := h.db.MentorDraft(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("something is stored before Marta agreed: %v", err)
	}
	u.Press(t, h.text(es, "mentor_btn_agree"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 0}))
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_problem_no_project"))

	// The onboarding survives a restart: the buttons on screen still work.
	h.shutdown()
	h.start()
	u.Press(t, "▫️ "+h.project(es, "consumer-group"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 1}))
	u.Press(t, "▫️ "+h.project(es, "time-bank"))
	u.Expect(t, h.textWith(es, "mentor_ask_projects", map[string]any{"Count": 2}))
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_ask_communities"))
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_problem_no_community"))
	u.Press(t, h.community(es, "barcelona")+" ›")
	districts := u.Expect(t, h.textWith(es, "browsing", map[string]any{"Community": h.community(es, "barcelona")}))
	buttonData(t, districts, "▫️ "+h.community(es, "gracia"))
	u.Press(t, "‹ "+h.text(es, "btn_back"))
	u.Expect(t, h.textWith(es, "browsing", map[string]any{"Community": h.community(es, "catalunya")}))
	u.Press(t, "▫️ "+h.community(es, "barcelona"))
	u.Expect(t, h.textWith(es, "mentor_chosen", map[string]any{"Communities": h.community(es, "barcelona")}))
	if err := h.db.CheckMentorCode(ctx, code, time.Now()); err != nil {
		t.Fatalf("the code was used up before Marta finished: %v", err)
	}
	if _, err := h.db.Mentor(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Marta is a mentor before she finished: %v", err)
	}
	u.Press(t, h.text(es, "btn_done"))
	u.Expect(t, h.text(es, "mentor_ask_capacity"))
	u.Press(t, "3")
	sum := u.Expect(t, h.text(es, "mentor_welcome"))
	for _, want := range []string{h.project(es, "consumer-group"), h.project(es, "time-bank"), h.community(es, "barcelona"), "3"} {
		if !strings.Contains(sum.Text, want) {
			t.Errorf("summary %q does not show %q", sum.Text, want)
		}
	}

	m := h.mentor(t, u.ID)
	if m.Name != "Marta Puig" || m.Lang != es || m.Capacity != 3 || m.Paused ||
		!slices.Equal(m.Projects, []string{"consumer-group", "time-bank"}) || !slices.Equal(m.Communities, []string{"barcelona"}) {
		t.Fatalf("stored %+v, want Marta Puig, es, consumer-group and time-bank in barcelona, capacity 3", m)
	}
	if !m.Covers("consumer-group", "gracia", h.cat.Ancestors("gracia")) || m.Covers("consumer-group", "girona", h.cat.Ancestors("girona")) {
		t.Errorf("Barcelona's mentor does not cover Gràcia, or covers Girona")
	}
	if _, err := h.db.Citizen(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("becoming a mentor made Marta a citizen: %v", err)
	}

	// The same link again, by someone else or by Marta: used.
	other := h.srv.NewUser("Pere", "ca")
	other.Send("/start m_" + code)
	other.Expect(t, h.text(multaque.Catalan, "mentor_code_used"))
	u.Send("/start m_" + code)
	u.Expect(t, h.text(es, "mentor_already"))

	// An expired code.
	expired, err := h.db.CreateMentorCode(ctx, coord.ID, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other.Send("/start m_" + expired)
	other.Expect(t, h.text(multaque.Catalan, "mentor_code_expired"))
	if _, _, err := h.db.MentorDraft(ctx, other.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("a draft was stored from an expired code: %v", err)
	}
}

func TestMentorCodeExpiresDuringOnboarding(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3s for a code to expire")
	}
	h, coord := newMentorHarness(t)
	ctx := context.Background()
	expires := time.Now().Add(3 * time.Second)
	code, err := h.db.CreateMentorCode(ctx, coord.ID, expires)
	if err != nil {
		t.Fatal(err)
	}
	u := h.srv.NewUser("Iu", "ca")
	ca := multaque.Catalan
	u.Send("/start m_" + code)
	u.Press(t, h.text(ca, "mentor_btn_agree"))
	u.Expect(t, h.textWith(ca, "mentor_ask_projects", map[string]any{"Count": 0}))
	u.Press(t, "▫️ "+h.project(ca, "time-bank"))
	u.Expect(t, h.textWith(ca, "mentor_ask_projects", map[string]any{"Count": 1}))
	u.Press(t, h.text(ca, "btn_done"))
	u.Expect(t, h.text(ca, "mentor_ask_communities"))
	u.Press(t, h.text(ca, "mentor_btn_everywhere"))
	u.Expect(t, h.text(ca, "mentor_ask_capacity"))
	time.Sleep(time.Until(expires))
	u.Press(t, "2")
	u.Expect(t, h.text(ca, "mentor_code_expired"))
	if _, err := h.db.Mentor(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("a mentor was made from an expired code: %v", err)
	}
	if _, _, err := h.db.MentorDraft(ctx, u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("the draft of an expired code was kept: %v", err)
	}
}

func TestMentorDeclineStoresNothing(t *testing.T) {
	h, coord := newMentorHarness(t)
	code := h.invite(t, coord)
	u := h.srv.NewUser("Nil", "en")
	u.Send("/start m_" + code)
	u.Press(t, h.text(multaque.English, "mentor_btn_decline"))
	u.Expect(t, h.text(multaque.English, "mentor_declined"))
	if _, _, err := h.db.MentorDraft(context.Background(), u.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("declining stored a draft: %v", err)
	}
	if err := h.db.CheckMentorCode(context.Background(), code, time.Now()); err != nil {
		t.Fatalf("declining used up the code: %v", err)
	}
	u.Send("/mentor")
	u.Expect(t, h.text(multaque.English, "mentor_not_mentor"))
}

// buttonData returns the callback data of the button labelled text in msg.
func buttonData(t *testing.T, msg telegramtest.Message, text string) string {
	t.Helper()
	for _, row := range msg.Keyboard {
		for _, b := range row {
			if b.Text == text {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q in %+v", text, msg.Keyboard)
	return ""
}

func TestMentorSettingsPauseAndStaleButtons(t *testing.T) {
	h, coord := newMentorHarness(t)
	u := h.srv.NewUser("Marta", "es")
	u.LastName = "Puig"
	h.onboard(t, u, h.invite(t, coord))
	es := multaque.Spanish

	u.Send("/mentor")
	first := u.Expect(t, h.text(es, "mentor_status_active"))
	// The first /mentor message moves on to the capacity buttons.
	u.Press(t, h.text(es, "mentor_btn_capacity"))
	capacity := u.Expect(t, h.text(es, "mentor_ask_capacity"))
	if capacity.ID != first.ID {
		t.Fatalf("the capacity screen is message %d, want the edited %d", capacity.ID, first.ID)
	}
	eight := buttonData(t, capacity, "8")

	u.Send("/mentor")
	u.Expect(t, h.text(es, "mentor_status_active"))
	u.Press(t, h.text(es, "mentor_btn_pause"))
	paused := u.Expect(t, h.text(es, "mentor_status_paused"))
	if m := h.mentor(t, u.ID); !m.Paused || m.Capacity != 3 {
		t.Fatalf("after pausing: %+v, want paused with capacity 3", m)
	}
	if h.mentor(t, u.ID).Available(0) {
		t.Fatal("a paused mentor is available")
	}

	// The capacity screen was drawn before the pause: stale. Forged data
	// with the current fingerprint does nothing either.
	before := h.mentor(t, u.ID)
	current := strings.Split(buttonData(t, paused, h.text(es, "mentor_btn_resume")), "|")[1]
	for _, data := range []string{
		eight,
		"mcap|" + current + "|4",
		"mtp|" + current + "|no-such-project",
		"mct|" + current + "|atlantis",
		"med|" + current + "|name",
		"mpz|" + current + "|2",
		"mok|0|short",
		"mok|1|abcdefghijkl",
		"mtp|" + current + "0|time-bank",
	} {
		id := u.PressData(paused.ID, data)
		if ans := waitAnswer(t, u, id); !strings.Contains(ans.Text, h.text(es, "stale")) {
			t.Errorf("press %q answered %q, want the expired-button text", data, ans.Text)
		}
	}
	after := h.mentor(t, u.ID)
	if after.Capacity != before.Capacity || after.Paused != before.Paused || !slices.Equal(after.Projects, before.Projects) ||
		!slices.Equal(after.Communities, before.Communities) {
		t.Fatalf("stale or forged buttons changed the mentor: before %+v after %+v", before, after)
	}

	// Change capacity, then communities to everywhere, and resume.
	u.Press(t, h.text(es, "mentor_btn_resume"))
	u.Expect(t, h.text(es, "mentor_status_active"))
	u.Press(t, h.text(es, "mentor_btn_capacity"))
	buttonData(t, u.Expect(t, h.text(es, "mentor_ask_capacity")), "✓ 3")
	u.Press(t, "5")
	u.Expect(t, h.textWith(es, "mentor_summary", map[string]any{"Name": "Marta Puig", "Projects": h.project(es, "consumer-group") + ", " + h.project(es, "time-bank"),
		"Communities": h.community(es, "barcelona"), "Capacity": 5, "Load": 0}))
	u.Press(t, h.text(es, "mentor_btn_communities"))
	u.Expect(t, h.text(es, "mentor_ask_communities"))
	u.Press(t, h.text(es, "mentor_btn_everywhere"))
	u.Expect(t, h.text(es, "mentor_everywhere"))
	if m := h.mentor(t, u.ID); m.Paused || m.Capacity != 5 || len(m.Communities) != 0 {
		t.Fatalf("after the changes: %+v, want active, capacity 5, everywhere", m)
	}
}

func TestMentorMyDataAndForget(t *testing.T) {
	h, coord := newMentorHarness(t)
	u := h.srv.NewUser("Marta", "es")
	u.LastName = "Zubizarreta"
	h.onboard(t, u, h.invite(t, coord))
	es := multaque.Spanish

	u.Send("/mydata")
	doc := u.Expect(t, h.text(es, "mydata_caption"))
	if doc.Document == nil || !bytes.Contains(doc.Document.Data, []byte("Marta Zubizarreta")) {
		t.Fatalf("/mydata of a mentor = %+v, want their mentor record", doc.Document)
	}

	u.Send("/forget")
	u.Press(t, h.text(es, "btn_forget"))
	u.Expect(t, h.text(es, "forgotten"))

	id := binary.BigEndian.AppendUint64(nil, uint64(u.ID))
	needles := [][]byte{id, []byte(strconv.FormatInt(u.ID, 10)), []byte("Zubizarreta")}
	err := h.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, n) || bytes.Contains(v, n) {
						t.Errorf("bucket %s still holds %q", name, n)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	u.Send("/mentor")
	u.Expect(t, h.text(es, "mentor_not_mentor"))
}

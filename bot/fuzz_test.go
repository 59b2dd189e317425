package bot

// Fuzz tests of everything the bot reads from outside: the survey's state
// machine over any stored state and any input, callback data, deep-link
// payloads and language codes, command lines, and (FuzzCommand) any text
// sent as a private message to the real bot on a real store. The seed
// corpora are in testdata/fuzz/<name>; every input that once failed stays
// there. Run one for a while with
//
//	go test -run '^$' -fuzz '^FuzzSurvey$' -fuzztime 60s ./bot/

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// fuzzParts are the real catalogue and texts, loaded once per process
// (every fuzz worker is a process of its own).
var fuzzParts = sync.OnceValues(func() (*renderer, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		return nil, err
	}
	return &renderer{cat: cat, texts: texts, botName: telegramtest.DefaultBotUsername}, nil
})

func fuzzRenderer(tb testing.TB) *renderer {
	tb.Helper()
	rd, err := fuzzParts()
	if err != nil {
		tb.Fatal(err)
	}
	return rd
}

var fuzzSteps = []multaque.SurveyStep{multaque.StepName, multaque.StepCommunity, multaque.StepInterests, multaque.StepDone}

// FuzzSurvey runs the survey's Next on any stored citizen (any step,
// version, name, community and interests that pass Citizen.Validate) and
// any input (typed text, a shared location, a button with any action,
// version and argument). The survey must not panic, must not touch the
// citizen it is given, must be deterministic, and:
//   - fail only with ErrStale, and then change nothing;
//   - a button drawn for another version is stale;
//   - a changed citizen is valid, one version further, at a real step, and
//     what it names anew (community, projects) exists in the catalogue;
//   - the same button pressed again on the changed citizen is stale (an
//     update delivered twice changes nothing twice);
//   - the screen shown has text (at most 4096 characters as Telegram counts
//     them), and buttons whose callback data fit in 64 bytes and decode.
func FuzzSurvey(f *testing.F) {
	rd := fuzzRenderer(f)
	s := &Survey{Catalog: rd.cat}
	// step, editing, lang, version, name, community, interests, kind, action, bversion, arg, text, lat, lon
	f.Add(uint8(0), false, uint8(0), 1, "", "", "", uint8(0), "", 0, "", "Anna Puig", 0.0, 0.0)
	f.Add(uint8(0), false, uint8(1), 1, "", "gracia", "consumer-group", uint8(0), "", 0, "", "  ", 0.0, 0.0)
	f.Add(uint8(1), false, uint8(0), 2, "Anna", "", "", uint8(0), "", 0, "", "Gràcia", 0.0, 0.0)
	f.Add(uint8(1), false, uint8(2), 2, "Anna", "", "", uint8(1), "", 0, "", "", 41.4036, 2.1564)
	f.Add(uint8(1), false, uint8(0), 2, "Anna", "", "", uint8(2), actBrowse, 2, "barcelona", "", 0.0, 0.0)
	f.Add(uint8(1), false, uint8(0), 2, "Anna", "", "", uint8(2), actPick, 2, "gracia", "", 0.0, 0.0)
	f.Add(uint8(2), false, uint8(0), 3, "Anna", "gracia", "", uint8(2), actToggle, 3, "consumer-group", "", 0.0, 0.0)
	f.Add(uint8(2), false, uint8(0), 4, "Anna", "gracia", "consumer-group", uint8(2), actDone, 4, "", "", 0.0, 0.0)
	f.Add(uint8(2), false, uint8(1), 4, "Anna", "gracia", "time-bank,energy-coop", uint8(2), actMore, 4, "time-bank", "", 0.0, 0.0)
	f.Add(uint8(3), false, uint8(0), 5, "Anna", "gracia", "consumer-group", uint8(2), actSettings, 5, "menu", "", 0.0, 0.0)
	f.Add(uint8(3), false, uint8(0), 5, "Anna", "gracia", "consumer-group", uint8(2), actSettings, 5, "community", "", 0.0, 0.0)
	f.Add(uint8(3), false, uint8(0), 5, "Anna", "gracia", "consumer-group", uint8(2), actLang, 5, "en", "", 0.0, 0.0)
	f.Add(uint8(1), true, uint8(0), 6, "Anna", "gracia", "consumer-group", uint8(2), actPick, 6, "sants", "", 0.0, 0.0)
	f.Add(uint8(2), true, uint8(0), 6, "Anna", "gracia", "consumer-group", uint8(2), actToggle, 5, "consumer-group", "", 0.0, 0.0)
	f.Add(uint8(3), false, uint8(0), 5, "Anna", "gracia", "consumer-group", uint8(2), actSummary, 5, "", "", math.NaN(), math.Inf(1))
	f.Fuzz(func(t *testing.T, step uint8, editing bool, lang uint8, version int, name, community, interests string,
		kind uint8, action string, bversion int, arg, text string, lat, lon float64) {
		now := t0.Add(time.Hour)
		c := &multaque.Citizen{
			ID: 42, Lang: multaque.Languages[int(lang)%len(multaque.Languages)], Name: name, Community: community,
			ConsentAt: t0, UpdatedAt: t0,
			Survey: multaque.Survey{Step: fuzzSteps[int(step)%len(fuzzSteps)], Version: version, Editing: editing},
		}
		if interests != "" {
			for i, p := range strings.Split(interests, ",") {
				c.Interests = append(c.Interests, multaque.Interest{Project: p, Since: t0.Add(time.Duration(i) * time.Second)})
			}
		}
		if !storable(c) {
			return // no such citizen is ever stored
		}
		var in Input
		switch kind % 3 {
		case 0:
			in = Input{Text: text, Now: now}
		case 1:
			in = Input{Location: &Location{Lat: lat, Lon: lon}, Now: now}
		default:
			in = Input{Button: &button{Action: action, Version: bversion, Arg: arg}, Now: now}
		}
		before := cloneCitizen(c)

		n, r, err := s.Next(c, in)
		if !reflect.DeepEqual(c, before) {
			t.Fatalf("Next changed the citizen it was given:\n%+v\nwas\n%+v", c, before)
		}
		n2, r2, err2 := s.Next(c, in)
		if !reflect.DeepEqual(n, n2) || !reflect.DeepEqual(r, r2) || err != err2 {
			t.Fatalf("Next is not deterministic: (%+v, %+v, %v) then (%+v, %+v, %v)", n, r, err, n2, r2, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrStale) {
				t.Fatalf("Next err=%v, want nil or ErrStale", err)
			}
			if n != nil {
				t.Fatalf("Next returned a change (%+v) with %v", n, err)
			}
			return
		}
		if in.Button != nil && in.Button.Version != c.Survey.Version {
			t.Fatalf("a button of version %d was accepted by a citizen at version %d", in.Button.Version, c.Survey.Version)
		}
		shown := c
		if n != nil {
			checkNext(t, rd, c, n)
			shown = n
			if in.Button != nil {
				if again, _, err := s.Next(n, in); !errors.Is(err, ErrStale) || again != nil {
					t.Fatalf("the same button pressed twice: second press gave (%+v, %v), want ErrStale", again, err)
				}
			}
		}
		if !r.Lang.Valid() {
			t.Fatalf("Reply.Lang=%q, not a language", r.Lang)
		}
		checkView(t, rd.render(shown, r, nil, nil), shown.Survey.Version)
	})
}

// storable reports whether the store would hold c as the survey leaves
// people: valid, with ids for a community and projects (which a catalogue
// that changed since may no longer have), and editing only an answer.
func storable(c *multaque.Citizen) bool {
	if c.Survey.Version < 1 || c.Validate() != nil || c.Survey.Editing && c.Survey.Step == multaque.StepDone {
		return false
	}
	if c.Community != "" && !multaque.ValidID(c.Community) {
		return false
	}
	for _, in := range c.Interests {
		if !multaque.ValidID(in.Project) {
			return false
		}
	}
	return true
}

// checkNext checks a changed citizen against the one it came from.
func checkNext(t *testing.T, rd *renderer, c, n *multaque.Citizen) {
	t.Helper()
	if err := n.Validate(); err != nil {
		t.Fatalf("Next made an invalid citizen: %v\n%+v", err, n)
	}
	switch {
	case n.ID != c.ID || !n.ConsentAt.Equal(c.ConsentAt):
		t.Fatalf("Next changed the id or the consent: %+v from %+v", n, c)
	case n.Survey.Version != c.Survey.Version+1:
		t.Fatalf("Version=%d after a change from %d, want %d", n.Survey.Version, c.Survey.Version, c.Survey.Version+1)
	case !slices.Contains(fuzzSteps, n.Survey.Step):
		t.Fatalf("Step=%q, not a step", n.Survey.Step)
	case n.Survey.Step == multaque.StepDone && n.Survey.Editing:
		t.Fatalf("editing at the summary: %+v", n.Survey)
	}
	if n.Community != c.Community {
		if _, ok := rd.cat.Community(n.Community); !ok {
			t.Fatalf("Community=%q, not in the catalogue", n.Community)
		}
	}
	for _, in := range n.Interests {
		if c.HasInterest(in.Project) {
			continue
		}
		if _, ok := rd.cat.Project(in.Project); !ok {
			t.Fatalf("interest %q, not in the catalogue", in.Project)
		}
	}
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// visibleLen is the length of an HTML text as Telegram measures it: the
// text without its tags, in UTF-16 code units.
func visibleLen(s string) int {
	n := 0
	for _, r := range html.UnescapeString(htmlTag.ReplaceAllString(s, "")) {
		n += utf16.RuneLen(r)
	}
	return n
}

// checkView checks a screen about to be sent: some text, within Telegram's
// limit, valid UTF-8, and callback buttons whose data fit and decode, drawn
// for version (or before consent, noVersion).
func checkView(t *testing.T, v view, version int) {
	t.Helper()
	if strings.TrimSpace(v.Text) == "" {
		t.Fatalf("a screen with no text")
	}
	if n := visibleLen(v.Text); n > maxTextLen {
		t.Fatalf("a screen of %d characters, over Telegram's %d", n, maxTextLen)
	}
	if !utf8.ValidString(v.Text) {
		t.Fatalf("a screen that is not UTF-8: %q", v.Text)
	}
	if v.Markup == nil {
		return
	}
	for _, row := range v.Markup {
		for _, b := range row {
			if b.URL != "" {
				continue
			}
			if len(b.Data) > maxCallbackData {
				t.Fatalf("callback data %q is %d bytes, over Telegram's %d", b.Data, len(b.Data), maxCallbackData)
			}
			bt, ok := decodeButton(b.Data)
			if !ok {
				t.Fatalf("the bot drew callback data it cannot decode: %q", b.Data)
			}
			if bt.Version != version && bt.Version != noVersion {
				t.Fatalf("button %q drawn for version %d, the citizen is at %d", b.Data, bt.Version, version)
			}
		}
	}
}

func cloneCitizen(c *multaque.Citizen) *multaque.Citizen {
	n := *c
	n.Interests = slices.Clone(c.Interests)
	return &n
}

// FuzzCallbackData decodes any callback data and encodes any button: decoding
// never panics, whatever decodes encodes back to the same data (so within 64
// bytes), and every button that fits decodes back to itself.
func FuzzCallbackData(f *testing.F) {
	rd := fuzzRenderer(f)
	// Real data the bot draws, from every kind of screen.
	cz := &multaque.Citizen{ID: 42, Lang: multaque.Catalan, Name: "Anna", Community: "gracia", ConsentAt: t0,
		Survey: multaque.Survey{Step: multaque.StepDone, Version: 7}}
	cz.SetInterests([]string{"consumer-group"}, t0)
	long := startPayload{Community: "sarria-sant-gervasi", Project: "energy-purchase", Referrer: "abcdefghijklmnop"}
	views := []view{
		rd.render(nil, Reply{Screen: ScreenLanguage, Lang: multaque.Catalan, Payload: startPayload{Community: "gracia", Project: "time-bank"}}, nil, nil),
		rd.render(nil, Reply{Screen: ScreenConsent, Lang: multaque.English, Payload: long}, nil, nil),
		rd.render(cz, Reply{Screen: ScreenCommunity, Lang: multaque.Catalan, Community: "barcelona"}, nil, nil),
		rd.render(cz, Reply{Screen: ScreenInterests, Lang: multaque.Catalan}, nil, nil),
		rd.render(cz, Reply{Screen: ScreenSettings, Lang: multaque.Catalan}, nil, nil),
		rd.projectList(multaque.Spanish),
		rd.project(cz, multaque.Catalan, "consumer-group", true),
	}
	for _, v := range views {
		for _, row := range v.Markup {
			for _, b := range row {
				if b.Data != "" {
					f.Add(b.Data, "", 0, "")
				}
			}
		}
	}
	f.Add("tleave|0|t-gracia-consumer-group-1", actLeaveTeam, noVersion, "t-1")
	f.Add("mcap|123456789|3", actMentorCapacity, 123456789, "3")
	f.Add("itog|-1|x", "itog", -1, "x")
	f.Add("itog|01|x", "a|b", 1, "")
	f.Add("\f|1|x", "\f", 1, "|||")
	f.Fuzz(func(t *testing.T, data, action string, version int, arg string) {
		if bt, ok := decodeButton(data); ok {
			if got := bt.encode(); got != data {
				t.Fatalf("decodeButton(%q)=%+v, which encodes to %q", data, bt, got)
			}
		}
		x := button{Action: action, Version: version, Arg: arg}
		size := len(action) + len(fmt.Sprint(version)) + len(arg) + 2*len(callbackSplit)
		if action == "" || strings.Contains(action, callbackSplit) || version < noVersion || size > maxCallbackData {
			return // not a button the bot draws
		}
		enc := x.encode()
		got, ok := decodeButton(enc)
		if !ok || got != x {
			t.Fatalf("decodeButton(encode(%+v))=%+v,%v", x, got, ok)
		}
	})
}

// FuzzDeepLink parses any deep-link payload and language code, as /start
// reads them, and draws the screens they lead to. Parsing never panics and
// keeps only well-formed values; a parsed payload prints back to itself
// within Telegram's 64 characters; the language and consent screens carry
// it in callback data within 64 bytes without losing the community or the
// project; and consenting makes a valid citizen with only what exists.
func FuzzDeepLink(f *testing.F) {
	rd := fuzzRenderer(f)
	s := &Survey{Catalog: rd.cat}
	for _, p := range []string{
		"", "c_gracia", "p_consumer-group", "c_gracia_p_consumer-group", "c_gracia_p_consumer-group_r_k3j5h2m4n6",
		"p_time-bank_c_sant-marti_r_abc", "m_abcdefghij2345", "k_abcdefghij2345_c_gracia", "r_abcdefghijklmnop_c_sarria-sant-gervasi_p_energy-purchase",
		"c_Gracia", "c__p_", "c_gracia_p", "_c_gracia", "c_gracia_c_sants", strings.Repeat("c_", 40),
		"c_no-such-place_p_no-such-project",
	} {
		f.Add(p, "ca")
	}
	f.Add("c_gracia", "es-419")
	f.Add("p_car-sharing", "en-GB")
	f.Add("", "zh-Hant-TW")
	f.Add("", "x-klingon")
	f.Fuzz(func(t *testing.T, payload, langCode string) {
		lang := MatchLanguage(langCode)
		if !lang.Valid() {
			t.Fatalf("MatchLanguage(%q)=%q, not a language", langCode, lang)
		}
		p := parsePayload(payload)
		if len(payload) > maxPayload && !p.IsZero() {
			t.Fatalf("parsePayload read a payload of %d characters: %+v", len(payload), p)
		}
		switch {
		case p.Community != "" && !multaque.ValidID(p.Community),
			p.Project != "" && !multaque.ValidID(p.Project),
			p.Referrer != "" && !validRefCode(p.Referrer),
			p.Mentor != "" && !validMentorCode(p.Mentor),
			p.CoordinatorInvite != "" && !validMentorCode(p.CoordinatorInvite):
			t.Fatalf("parsePayload(%q) kept a malformed value: %+v", payload, p)
		}
		str := p.String()
		if len(str) > maxPayload {
			t.Fatalf("payload %+v prints as %d characters, over %d", p, len(str), maxPayload)
		}
		back := p
		back.Mentor, back.CoordinatorInvite = "", "" // invite codes are not passed on
		if got := parsePayload(str); got != back {
			t.Fatalf("parsePayload(%q)=%+v, want %+v", str, got, back)
		}

		// The screens before consent carry the payload in their buttons.
		for _, v := range []view{
			rd.render(nil, s.Start(lang, p), nil, nil),
			rd.render(nil, Reply{Screen: ScreenConsent, Lang: lang, Payload: p}, nil, nil),
		} {
			checkView(t, v, noVersion)
			for _, row := range v.Markup {
				for _, b := range row {
					bt, _ := decodeButton(b.Data)
					if bt.Action != actLang && bt.Action != actConsent {
						continue
					}
					_, carried, _ := strings.Cut(bt.Arg, ",")
					if got := parsePayload(carried); got.Community != p.Community || got.Project != p.Project {
						t.Fatalf("button %q carries %+v, lost the community or project of %+v", b.Data, got, p)
					}
				}
			}
		}

		c, r := s.Consent(42, lang, p, t0)
		if err := c.Validate(); err != nil {
			t.Fatalf("Consent made an invalid citizen: %v", err)
		}
		if _, ok := rd.cat.Community(c.Community); c.Community != "" && !ok {
			t.Fatalf("Consent kept community %q, not in the catalogue", c.Community)
		}
		for _, in := range c.Interests {
			if _, ok := rd.cat.Project(in.Project); !ok {
				t.Fatalf("Consent kept project %q, not in the catalogue", in.Project)
			}
		}
		checkView(t, rd.render(c, r, nil, nil), c.Survey.Version)
	})
}

// FuzzParseCommand splits any text as a command line: the command is the
// first word without its slash (no whitespace in it), the arguments the
// rest, trimmed, and nothing is lost but the whitespace between them.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/start", "/start c_gracia_p_consumer-group", "/help@multaque_bot", "/START@Multaque_Bot  x ",
		"/start\nc_gracia", "/mentor\tpause", "/", "//", "/ x", "/threshold gracia consumer-group 6", "/broadcast gracia Hola a tothom!\nAdéu",
		"/stats\u00a0gracia", "/x\u2028y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, args := parseCommand(text)
		if strings.IndexFunc(cmd, unicode.IsSpace) >= 0 {
			t.Fatalf("parseCommand(%q): command %q holds whitespace", text, cmd)
		}
		if args != strings.TrimSpace(args) {
			t.Fatalf("parseCommand(%q): arguments %q not trimmed", text, args)
		}
		if !strings.HasPrefix(text, "/") || !utf8.ValidString(text) {
			return
		}
		if got, want := strings.Fields("/"+cmd+" "+args), strings.Fields(text); !slices.Equal(got, want) {
			t.Fatalf("parseCommand(%q)=(%q, %q): words %q, want %q", text, cmd, args, got, want)
		}
	})
}

// FuzzCommand sends any text as a private message to the real bot, on a
// real store, from a person at any point of the survey (a stranger, each
// step, changing an answer from /settings, a coordinator). The bot must not
// panic and must answer, unless the text is a command for another bot; the
// bot token never reaches the log.
func FuzzCommand(f *testing.F) {
	rig := newFuzzBot(f, 4)
	for i, s := range []string{"/start", "/start c_gracia_p_consumer-group_r_abc", "/start m_abcdefghij2345", "/help", "/projects",
		"/me", "/settings", "/leave", "/privacy", "/mydata", "/forget", "/cancel", "/mentor", "/mentorinvite", "/help@multaque_bot", "/help@other_bot",
		"/nonsense", "Anna", "Gràcia", "  ", "/threshold gracia consumer-group 6", "/stats", "/broadcast gracia Hola",
		"/START", strings.Repeat("x", 5000), "/start " + strings.Repeat("c_gracia_", 10)} {
		f.Add(uint8(i%len(rig.people)), s) // the fuzzer tries them on the others
	}
	f.Fuzz(func(t *testing.T, who uint8, text string) {
		if !utf8.ValidString(text) {
			return // Telegram delivers only UTF-8
		}
		p := rig.people[int(who)%len(rig.people)]
		rig.reset(t, p)
		before, _ := p.user.LastFromBot()
		u := tg.Update{ID: rig.nextUpdate(), Message: &tg.Message{
			ID: rig.nextUpdate(), Unixtime: time.Now().Unix(), Text: text,
			Sender: &tg.User{ID: p.user.ID, FirstName: p.user.FirstName, LanguageCode: p.user.LanguageCode},
			Chat:   &tg.Chat{ID: p.user.ID, Type: tg.ChatPrivate},
		}}
		if err := rig.bot.HandleUpdate(context.Background(), u); err != nil {
			t.Fatalf("HandleUpdate: %v", err)
		}
		if rig.logs.leaked.Load() {
			t.Fatalf("the bot token reached the log")
		}
		after, _ := p.user.LastFromBot()
		if after.ID > before.ID {
			return
		}
		if first, _, _ := strings.Cut(strings.TrimLeftFunc(text, unicode.IsSpace), " "); strings.HasPrefix(first, "/") {
			if _, at, ok := strings.Cut(strings.Fields(first)[0], "@"); ok && !strings.EqualFold(at, rig.bot.Username()) {
				return // a command for another bot: not ours to answer
			}
		}
		t.Fatalf("%s sent %q and got no answer", p.what, text)
	})
}

// fuzzBot is the real bot on a real store in a temporary directory, talking
// to the fake Telegram, with people at each point of the survey.
type fuzzBot struct {
	srv    *telegramtest.Server
	db     *store.DB
	bot    *Bot
	logs   *tokenWatch
	people []fuzzPerson
	update atomic.Int64
}

// fuzzPerson is a person as stored before each input (nil: a stranger).
type fuzzPerson struct {
	what  string
	user  *telegramtest.User
	state *multaque.Citizen
}

// tokenWatch is a log sink that notes whether the token was ever written.
type tokenWatch struct {
	token  []byte
	leaked atomic.Bool
}

func (w *tokenWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, w.token) {
		w.leaked.Store(true)
	}
	return len(p), nil
}

func newFuzzBot(tb testing.TB, workers int) *fuzzBot {
	tb.Helper()
	rd := fuzzRenderer(tb)
	srv := telegramtest.NewServer()
	tb.Cleanup(srv.Close)
	db, err := store.Open(filepath.Join(tb.TempDir(), "multaque.db"), store.BatchDelay(0))
	if err != nil {
		tb.Fatal(err)
	}
	r := &fuzzBot{srv: srv, db: db, logs: &tokenWatch{token: []byte(srv.Token())}}
	r.update.Store(1 << 20)
	add := func(what, lang string, c *multaque.Citizen) *telegramtest.User {
		u := srv.NewUser(what, lang)
		u.Send("/start") // they have written to the bot: it may answer
		if c != nil {
			c.ID = u.ID
			if err := db.SaveCitizen(context.Background(), c); err != nil {
				tb.Fatalf("SaveCitizen(%s): %v", what, err)
			}
			if c, err = db.Citizen(context.Background(), u.ID); err != nil { // as stored: with a share code
				tb.Fatal(err)
			}
		}
		r.people = append(r.people, fuzzPerson{what: what, user: u, state: c})
		return u
	}
	citizen := func(step multaque.SurveyStep, edit func(c *multaque.Citizen)) *multaque.Citizen {
		c := &multaque.Citizen{Lang: multaque.Catalan, Name: "Anna", Community: "gracia", ConsentAt: t0, UpdatedAt: t0,
			Survey: multaque.Survey{Step: step, Version: 3}}
		c.SetInterests([]string{"consumer-group"}, t0)
		if edit != nil {
			edit(c)
		}
		return c
	}
	add("a stranger", "es", nil)
	add("a citizen at the name step", "ca", citizen(multaque.StepName, func(c *multaque.Citizen) { c.Name, c.Community, c.Interests = "", "", nil }))
	add("a citizen at the community step", "ca", citizen(multaque.StepCommunity, func(c *multaque.Citizen) { c.Community, c.Interests = "", nil }))
	add("a citizen at the interests step", "en", citizen(multaque.StepInterests, func(c *multaque.Citizen) { c.Interests = nil }))
	add("a citizen who is done", "ca", citizen(multaque.StepDone, nil))
	add("a citizen changing their community", "es", citizen(multaque.StepCommunity, func(c *multaque.Citizen) { c.Survey.Editing = true }))
	coord := add("a coordinator", "ca", citizen(multaque.StepDone, nil))

	b, err := New(Options{
		Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: rd.cat, Texts: rd.texts,
		Logger: zerolog.New(r.logs), Workers: workers, Coordinators: []int64{coord.ID},
		FloodLimit: -1, // a fuzzer types faster than people
	})
	if err != nil {
		tb.Fatal(err)
	}
	r.bot = b
	tb.Cleanup(func() {
		b.Close()
		db.Close()
	})
	return r
}

func (r *fuzzBot) nextUpdate() int { return int(r.update.Add(1)) }

// reset stores p as they were before the last input changed them.
func (r *fuzzBot) reset(tb testing.TB, p fuzzPerson) {
	ctx := context.Background()
	cur, err := r.db.Citizen(ctx, p.user.ID)
	switch {
	case p.state == nil && multaque.ErrorCode(err) == multaque.ENOTFOUND:
		return
	case p.state == nil:
		err = r.db.ForgetCitizen(ctx, p.user.ID)
	case err == nil && reflect.DeepEqual(cur, p.state):
		return
	default:
		err = r.db.SaveCitizen(ctx, p.state)
	}
	if err != nil {
		tb.Fatalf("reset %s: %v", p.what, err)
	}
}

package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

func newMentor(id int64, name string, capacity int, projects ...string) multaque.Mentor {
	return multaque.Mentor{ID: id, Name: name, Projects: projects, Capacity: capacity, Lang: multaque.Spanish, JoinedAt: t0}
}

// mentorCode creates a mentor code by coordinator 1 that expires a day
// after t0.
func mentorCode(t testing.TB, db *store.DB) string {
	t.Helper()
	code, err := db.CreateMentorCode(ctx, 1, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("CreateMentorCode: %v", err)
	}
	return code
}

var codeChars = regexp.MustCompile(`^[a-z0-9]{10,}$`)

func TestCreateMentorCode(t *testing.T) {
	db := openDB(t, fast)
	seen := map[string]bool{}
	for range 50 {
		code := mentorCode(t, db)
		if !codeChars.MatchString(code) || len("m_"+code) > 64 {
			t.Fatalf("code %q, want at least 10 of a-z0-9 that fit a deep link", code)
		}
		if seen[code] {
			t.Fatalf("code %q twice", code)
		}
		seen[code] = true
	}
	code := mentorCode(t, db)
	db.View(func(tx *bolt.Tx) error {
		var got struct {
			Kind    string
			By      int64
			Expires time.Time
		}
		if err := json.Unmarshal(tx.Bucket([]byte("codes")).Get([]byte(code)), &got); err != nil {
			t.Fatalf("codes[%s] is not JSON: %v", code, err)
		}
		if got.Kind != "mentor" || got.By != 1 || !got.Expires.Equal(t0.Add(24*time.Hour)) {
			t.Errorf("codes[%s]=%+v, want kind mentor by 1 expiring a day after t0", code, got)
		}
		return nil
	})

	for _, tt := range []struct {
		name    string
		by      int64
		expires time.Time
	}{
		{"no creator", 0, t0},
		{"negative creator", -5, t0},
		{"no expiry", 1, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.CreateMentorCode(ctx, tt.by, tt.expires)
			wantCode(t, err, multaque.EINVALID)
		})
	}
}

func TestRedeemMentorCode(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		// setup prepares the database and returns the code to redeem.
		setup   func(t testing.TB, db *store.DB) string
		mentor  multaque.Mentor
		at      time.Time
		code    string // the error code wanted, "" for success
		message string // the error message wanted, if any
		// codeLeft says the code must still be redeemable afterwards.
		codeLeft bool
	}{
		{
			name:   "fresh code",
			setup:  mentorCode,
			mentor: newMentor(10, "Marta", 3, "consumer-group"),
			at:     t0,
		},
		{
			name:   "a moment before expiry",
			setup:  mentorCode,
			mentor: newMentor(10, "Marta", 3, "consumer-group"),
			at:     t0.Add(day - time.Nanosecond),
		},
		{
			name:    "at expiry",
			setup:   mentorCode,
			mentor:  newMentor(10, "Marta", 3, "consumer-group"),
			at:      t0.Add(day),
			code:    multaque.EINVALID,
			message: "expired",
		},
		{
			name:    "long expired",
			setup:   mentorCode,
			mentor:  newMentor(10, "Marta", 3, "consumer-group"),
			at:      t0.Add(30 * day),
			code:    multaque.EINVALID,
			message: "expired",
		},
		{
			name:   "unknown code",
			setup:  func(testing.TB, *store.DB) string { return "nosuchcode00" },
			mentor: newMentor(10, "Marta", 3, "consumer-group"),
			at:     t0,
			code:   multaque.ENOTFOUND,
		},
		{
			name:   "empty code",
			setup:  func(testing.TB, *store.DB) string { return "" },
			mentor: newMentor(10, "Marta", 3, "consumer-group"),
			at:     t0,
			code:   multaque.ENOTFOUND,
		},
		{
			name: "used code",
			setup: func(t testing.TB, db *store.DB) string {
				code := mentorCode(t, db)
				if err := db.RedeemMentorCode(ctx, code, newMentor(11, "Pere", 1, "time-bank"), t0); err != nil {
					t.Fatal(err)
				}
				return code
			},
			mentor: newMentor(10, "Marta", 3, "consumer-group"),
			at:     t0,
			code:   multaque.ENOTFOUND,
		},
		{
			name:     "invalid mentor",
			setup:    mentorCode,
			mentor:   newMentor(10, "Marta", multaque.MaxMentorCapacity+1, "consumer-group"),
			at:       t0,
			code:     multaque.EINVALID,
			codeLeft: true,
		},
		{
			name: "already a mentor",
			setup: func(t testing.TB, db *store.DB) string {
				if err := db.SaveMentor(ctx, newMentor(10, "Marta", 1, "time-bank")); err != nil {
					t.Fatal(err)
				}
				return mentorCode(t, db)
			},
			mentor:   newMentor(10, "Marta", 3, "consumer-group"),
			at:       t0,
			code:     multaque.ECONFLICT,
			codeLeft: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, fast)
			code := tt.setup(t, db)
			err := db.RedeemMentorCode(ctx, code, tt.mentor, tt.at)
			if got := multaque.ErrorCode(err); got != tt.code {
				t.Fatalf("RedeemMentorCode: %v, want code %q", err, tt.code)
			}
			if tt.message != "" && multaque.ErrorMessage(err) != tt.message {
				t.Errorf("message=%q, want %q", multaque.ErrorMessage(err), tt.message)
			}
			if left := db.CheckMentorCode(ctx, code, tt.at) == nil; left != tt.codeLeft {
				t.Errorf("code redeemable afterwards=%v, want %v", left, tt.codeLeft)
			}
			if tt.code != "" {
				return
			}
			got, err := db.Mentor(ctx, tt.mentor.ID)
			if err != nil {
				t.Fatalf("Mentor: %v", err)
			}
			want := tt.mentor
			want.JoinedAt = tt.at
			if got.Name != want.Name || !slices.Equal(got.Projects, want.Projects) || got.Capacity != want.Capacity || !got.JoinedAt.Equal(want.JoinedAt) {
				t.Errorf("Mentor=%+v, want %+v", got, want)
			}
			err = db.RedeemMentorCode(ctx, code, newMentor(12, "Laia", 2, "energy-coop"), tt.at)
			wantCode(t, err, multaque.ENOTFOUND)
		})
	}
}

func TestRedeemMentorCodeConcurrentOnce(t *testing.T) {
	db := openDB(t)
	code := mentorCode(t, db)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.RedeemMentorCode(ctx, code, newMentor(int64(20+i), "M", 2, "time-bank"), t0)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch multaque.ErrorCode(err) {
		case "":
			ok++
		case multaque.ENOTFOUND:
		default:
			t.Errorf("RedeemMentorCode: %v, want success or ENOTFOUND", err)
		}
	}
	if ms, _ := db.Mentors(ctx); ok != 1 || len(ms) != 1 {
		t.Fatalf("%d redeemed, %d mentors; want one code to make exactly one mentor", ok, len(ms))
	}
}

func TestMentorDraft(t *testing.T) {
	db := openDB(t, fast)
	code := mentorCode(t, db)
	draft := newMentor(30, "Núria", 0)

	wantCode(t, db.SaveMentorDraft(ctx, "nosuchcode00", draft, t0), multaque.ENOTFOUND)
	wantCode(t, db.SaveMentorDraft(ctx, code, draft, t0.Add(48*time.Hour)), multaque.EINVALID)
	bad := draft
	bad.Lang = "xx"
	wantCode(t, db.SaveMentorDraft(ctx, code, bad, t0), multaque.EINVALID)
	if err := db.SaveMentorDraft(ctx, code, draft, t0); err != nil {
		t.Fatalf("SaveMentorDraft: %v", err)
	}

	// A draft is not a mentor.
	_, err := db.Mentor(ctx, 30)
	wantCode(t, err, multaque.ENOTFOUND)
	_, err = db.UpdateMentor(ctx, 30, func(*multaque.Mentor) error { return nil })
	wantCode(t, err, multaque.ENOTFOUND)
	if ms, err := db.Mentors(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("Mentors=%v, %v, want none: a draft is not a mentor", ms, err)
	}

	got, gotCode, err := db.MentorDraft(ctx, 30)
	if err != nil || got.Name != "Núria" || gotCode != code {
		t.Fatalf("MentorDraft=%+v, %q, %v, want Núria's draft for %q", got, gotCode, err, code)
	}
	upd, err := db.UpdateMentorDraft(ctx, 30, func(m *multaque.Mentor) error {
		m.Projects = []string{"time-bank"}
		m.Communities = []string{"gracia"}
		return nil
	})
	if err != nil || !slices.Equal(upd.Projects, []string{"time-bank"}) {
		t.Fatalf("UpdateMentorDraft=%+v, %v", upd, err)
	}
	if got, _, _ := db.MentorDraft(ctx, 30); !slices.Equal(got.Communities, []string{"gracia"}) {
		t.Fatalf("draft after update=%+v, want gracia", got)
	}
	// The code is not used up by a draft.
	if err := db.CheckMentorCode(ctx, code, t0); err != nil {
		t.Fatalf("CheckMentorCode after a draft: %v", err)
	}

	upd.Capacity = 3
	if err := db.RedeemMentorCode(ctx, code, *upd, t0.Add(time.Hour)); err != nil {
		t.Fatalf("RedeemMentorCode: %v", err)
	}
	m, err := db.Mentor(ctx, 30)
	if err != nil || m.Capacity != 3 || !slices.Equal(m.Communities, []string{"gracia"}) {
		t.Fatalf("Mentor=%+v, %v, want the draft's choices with capacity 3", m, err)
	}
	_, _, err = db.MentorDraft(ctx, 30)
	wantCode(t, err, multaque.ENOTFOUND)
	// A mentor cannot start over as a draft.
	wantCode(t, db.SaveMentorDraft(ctx, mentorCode(t, db), draft, t0), multaque.ECONFLICT)
}

func TestRedeemExpiredDeletesItsDraft(t *testing.T) {
	db := openDB(t, fast)
	code := mentorCode(t, db)
	other := mentorCode(t, db)
	if err := db.SaveMentorDraft(ctx, code, newMentor(31, "Ot", 0), t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMentorDraft(ctx, other, newMentor(32, "Iu", 0), t0); err != nil {
		t.Fatal(err)
	}
	late := t0.Add(48 * time.Hour)
	err := db.RedeemMentorCode(ctx, code, newMentor(31, "Ot", 2, "time-bank"), late)
	wantCode(t, err, multaque.EINVALID)
	_, _, err = db.MentorDraft(ctx, 31)
	wantCode(t, err, multaque.ENOTFOUND)
	if _, _, err := db.MentorDraft(ctx, 32); err != nil {
		t.Fatalf("another person's draft went with it: %v", err)
	}
}

func TestUpdateMentor(t *testing.T) {
	db := openDB(t, fast)
	if err := db.SaveMentor(ctx, newMentor(40, "Joan", 2, "time-bank")); err != nil {
		t.Fatal(err)
	}
	refused := multaque.Errorf(multaque.ECONFLICT, "no")
	tests := []struct {
		name string
		id   int64
		fn   func(m *multaque.Mentor) error
		code string
	}{
		{"unknown mentor", 41, func(*multaque.Mentor) error { return nil }, multaque.ENOTFOUND},
		{"fn refuses", 40, func(m *multaque.Mentor) error { m.Capacity = 9; return refused }, multaque.ECONFLICT},
		{"id changes", 40, func(m *multaque.Mentor) error { m.ID = 41; return nil }, multaque.EINVALID},
		{"invalid result", 40, func(m *multaque.Mentor) error { m.Capacity = -1; return nil }, multaque.EINVALID},
		{"duplicate project", 40, func(m *multaque.Mentor) error { m.Projects = []string{"a", "a"}; return nil }, multaque.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.UpdateMentor(ctx, tt.id, tt.fn)
			wantCode(t, err, tt.code)
			if m, _ := db.Mentor(ctx, 40); m.Capacity != 2 || m.Paused || len(m.Projects) != 1 {
				t.Fatalf("a refused update changed the mentor: %+v", m)
			}
		})
	}
	m, err := db.UpdateMentor(ctx, 40, func(m *multaque.Mentor) error { m.Paused = true; return nil })
	if err != nil || !m.Paused {
		t.Fatalf("UpdateMentor=%+v, %v, want paused", m, err)
	}
	if got, _ := db.Mentor(ctx, 40); !got.Paused {
		t.Fatal("pause was not stored")
	}
	wantCode(t, db.SaveMentor(ctx, multaque.Mentor{ID: 42, Lang: multaque.Catalan}), multaque.EINVALID)
}

func TestMentorsAndLoads(t *testing.T) {
	db := openDB(t, fast)
	for _, id := range []int64{300, 7, 45} {
		if err := db.SaveMentor(ctx, newMentor(id, "M"+strconv.FormatInt(id, 10), 2, "consumer-group")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveMentorDraft(ctx, mentorCode(t, db), newMentor(8, "Draft", 0), t0); err != nil {
		t.Fatal(err)
	}
	ms, err := db.Mentors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []int64{7, 45, 300}) {
		t.Fatalf("Mentors ids=%v, want [7 45 300]: by id, no draft", ids)
	}

	for id := int64(1); id <= 8; id++ {
		save(t, db, newCitizen(id, "P", "gracia", "consumer-group", "time-bank"))
	}
	form := func(project string, mentor int64, ids ...int64) *multaque.Team {
		t.Helper()
		team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: project, Mentor: mentor, Members: members(ids...)}, t0, nil)
		if err != nil {
			t.Fatalf("FormTeam: %v", err)
		}
		return team
	}
	form("consumer-group", 7, 1, 2)
	form("consumer-group", 7, 3, 4)
	closed := form("time-bank", 7, 1, 2)
	form("time-bank", 45, 3, 4)
	form("consumer-group", 0, 5, 6)
	if _, err := db.UpdateTeam(ctx, closed.ID, t0, func(_ *bolt.Tx, t *multaque.Team) error {
		t.Status = multaque.TeamClosed
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	loads, err := db.MentorLoads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{7: 2, 45: 1}
	if len(loads) != len(want) || loads[7] != 2 || loads[45] != 1 {
		t.Fatalf("MentorLoads=%v, want %v (closed teams and teams without a mentor do not count)", loads, want)
	}
}

func TestPurgeMentorCodes(t *testing.T) {
	db := openDB(t, fast)
	soon, err := db.CreateMentorCode(ctx, 1, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	later := mentorCode(t, db) // a day after t0
	if err := db.SaveMentorDraft(ctx, soon, newMentor(50, "Soon", 0), t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMentorDraft(ctx, later, newMentor(51, "Later", 0), t0); err != nil {
		t.Fatal(err)
	}
	n, err := db.PurgeMentorCodes(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PurgeMentorCodes=%d, %v, want 2 (the expired code and its draft)", n, err)
	}
	wantCode(t, db.CheckMentorCode(ctx, soon, t0), multaque.ENOTFOUND)
	_, _, err = db.MentorDraft(ctx, 50)
	wantCode(t, err, multaque.ENOTFOUND)
	if err := db.CheckMentorCode(ctx, later, t0); err != nil {
		t.Fatalf("the live code went: %v", err)
	}
	if _, _, err := db.MentorDraft(ctx, 51); err != nil {
		t.Fatalf("the live draft went: %v", err)
	}
}

func TestForgetMentor(t *testing.T) {
	db := openDB(t, fast)
	const id = 424242424243
	const name = "Ximena Mentorova"
	for c := int64(1); c <= 4; c++ {
		save(t, db, newCitizen(c, "P", "gracia", "consumer-group"))
	}
	// They are a citizen too, created codes as a coordinator, and mentor an
	// open team and a closed one.
	save(t, db, newCitizen(id, name, "gracia", "time-bank"))
	m := newMentor(id, name, 3, "consumer-group")
	m.Communities = []string{"barcelona"}
	if err := db.SaveMentor(ctx, m); err != nil {
		t.Fatal(err)
	}
	theirs, err := db.CreateMentorCode(ctx, id, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other := mentorCode(t, db)
	open, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Mentor: id, Members: members(1, 2)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Mentor: id, Members: members(3, 4)}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateTeam(ctx, closed.ID, t0, func(_ *bolt.Tx, t *multaque.Team) error { t.Status = multaque.TeamClosed; return nil }, nil); err != nil {
		t.Fatal(err)
	}

	data, err := db.PersonalData(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var pd struct {
		Mentor struct {
			Name        string
			Communities []string
		}
		InviteCodes []string `json:"invite_codes"`
	}
	if err := json.Unmarshal(data, &pd); err != nil {
		t.Fatalf("PersonalData is not JSON: %v", err)
	}
	if pd.Mentor.Name != name || !slices.Equal(pd.Mentor.Communities, []string{"barcelona"}) || !slices.Equal(pd.InviteCodes, []string{theirs}) {
		t.Fatalf("PersonalData=%s, want the mentor record and their invite code", data)
	}

	if err := db.ForgetCitizen(ctx, id); err != nil {
		t.Fatalf("ForgetCitizen: %v", err)
	}
	traces := map[string][]byte{
		"8-byte id":   binary.BigEndian.AppendUint64(nil, id),
		"decimal id":  []byte(strconv.Itoa(id)),
		"name":        []byte(name),
		"invite code": []byte(theirs),
	}
	scan(t, db, func(path string, k, v []byte) {
		for what, trace := range traces {
			if bytes.Contains(k, trace) || bytes.Contains(v, trace) {
				t.Errorf("%s %q=%q still holds the forgotten mentor's %s", path, k, v, what)
			}
		}
	})
	_, err = db.Mentor(ctx, id)
	wantCode(t, err, multaque.ENOTFOUND)
	if team, _ := db.Team(ctx, open.ID); team.Mentor != 0 || !team.NeedsMentor() || len(team.Members) != 2 {
		t.Errorf("open team after erasure=%+v, want its members and no mentor", team)
	}
	if err := db.CheckMentorCode(ctx, other, t0); err != nil {
		t.Errorf("another coordinator's code went: %v", err)
	}

	// A person who only started accepting an invite is erased as well.
	if err := db.SaveMentorDraft(ctx, other, newMentor(id+1, "Draft Person", 0), t0); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, id+1); err != nil {
		t.Fatalf("ForgetCitizen of a draft: %v", err)
	}
	_, _, err = db.MentorDraft(ctx, id+1)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestMentorCodeScope(t *testing.T) {
	db := openDB(t, fast)
	for _, bad := range [][]string{{"Not An Id"}, {"gracia", "gracia"}, {""}} {
		_, err := db.CreateMentorCodeIn(ctx, 1, bad, t0.Add(time.Hour))
		wantCode(t, err, multaque.EINVALID)
	}
	code, err := db.CreateMentorCodeIn(ctx, 1, []string{"gracia"}, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("CreateMentorCodeIn: %v", err)
	}

	// The code's scope is the draft's, whatever the caller says.
	forged := newMentor(60, "Marta", 0)
	forged.Scope = []string{"sants"}
	if err := db.SaveMentorDraft(ctx, code, forged, t0); err != nil {
		t.Fatalf("SaveMentorDraft: %v", err)
	}
	draft, _, err := db.MentorDraft(ctx, 60)
	if err != nil || !slices.Equal(draft.Scope, []string{"gracia"}) {
		t.Fatalf("MentorDraft = %+v, %v; want the scope [gracia]", draft, err)
	}
	_, err = db.UpdateMentorDraft(ctx, 60, func(m *multaque.Mentor) error { m.Scope = nil; return nil })
	wantCode(t, err, multaque.EINVALID)

	// A scoped mentor must name communities: none would mean everywhere.
	m := newMentor(60, "Marta", 2, "time-bank")
	wantCode(t, db.RedeemMentorCode(ctx, code, m, t0), multaque.EINVALID)
	if err := db.CheckMentorCode(ctx, code, t0); err != nil {
		t.Fatalf("a refused mentor used the code up: %v", err)
	}
	m.Communities, m.Scope = []string{"vila-de-gracia"}, nil
	if err := db.RedeemMentorCode(ctx, code, m, t0); err != nil {
		t.Fatalf("RedeemMentorCode: %v", err)
	}
	got, err := db.Mentor(ctx, 60)
	if err != nil || !slices.Equal(got.Scope, []string{"gracia"}) || !slices.Equal(got.Communities, []string{"vila-de-gracia"}) {
		t.Fatalf("Mentor = %+v, %v; want vila-de-gracia within [gracia]", got, err)
	}

	// Neither the scope nor an empty list of communities can be updated in.
	for name, fn := range map[string]func(m *multaque.Mentor) error{
		"widen scope": func(m *multaque.Mentor) error { m.Scope = nil; return nil },
		"other scope": func(m *multaque.Mentor) error { m.Scope = []string{"sants"}; return nil },
		"everywhere":  func(m *multaque.Mentor) error { m.Communities = nil; return nil },
	} {
		_, err := db.UpdateMentor(ctx, 60, fn)
		if multaque.ErrorCode(err) != multaque.EINVALID {
			t.Errorf("%s: UpdateMentor = %v, want EINVALID", name, err)
		}
	}
	if after, _ := db.Mentor(ctx, 60); !slices.Equal(after.Scope, got.Scope) || !slices.Equal(after.Communities, got.Communities) {
		t.Fatalf("refused updates changed the mentor: %+v, want %+v", after, got)
	}
	scoped := newMentor(61, "Joan", 1, "time-bank")
	scoped.Scope = []string{"gracia"}
	wantCode(t, db.SaveMentor(ctx, scoped), multaque.EINVALID)

	// A code of a coordinator of every community, as codes were before
	// scopes: its mentor has none and may cover everywhere.
	old := mentorCode(t, db)
	if err := db.RedeemMentorCode(ctx, old, newMentor(62, "Pau", 1, "time-bank"), t0); err != nil {
		t.Fatalf("RedeemMentorCode: %v", err)
	}
	if m, err := db.Mentor(ctx, 62); err != nil || len(m.Scope) != 0 || len(m.Communities) != 0 {
		t.Fatalf("Mentor = %+v, %v; want everywhere, no scope", m, err)
	}
}

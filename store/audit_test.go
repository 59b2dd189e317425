package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// TestRefusalsAggregated: a person refused the same command again and again
// in a day leaves one entry with a count, its first and last time; the
// first refusal of their day, whatever the command, is the only one that
// says so; the next day starts a new entry; what coordinators did is never
// merged.
func TestRefusalsAggregated(t *testing.T) {
	db := openDB(t, fast)
	const eve, carme = int64(66), int64(7)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	refuse := func(at time.Time, cmd string) bool {
		t.Helper()
		first, err := db.AuditRefusal(ctx, multaque.AuditEntry{At: at, Actor: eve, Command: cmd, Refused: true})
		if err != nil {
			t.Fatalf("AuditRefusal: %v", err)
		}
		return first
	}
	if !refuse(day.Add(time.Hour), "stats") {
		t.Error("the first refusal of the day was not reported as first")
	}
	for i := range 499 {
		if refuse(day.Add(time.Hour+time.Duration(i+1)*time.Second), "stats") {
			t.Fatalf("refusal %d of the day was reported as first", i+2)
		}
	}
	if refuse(day.Add(2*time.Hour), "match") {
		t.Error("a refusal of another command the same day was reported as first")
	}
	for range 2 {
		if err := db.Audit(ctx, multaque.AuditEntry{At: day.Add(3 * time.Hour), Actor: carme, Command: "stats"}); err != nil {
			t.Fatal(err)
		}
	}
	if !refuse(day.Add(25*time.Hour), "stats") {
		t.Error("the first refusal of the next day was not reported as first")
	}

	log, err := db.AuditLog(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 5 {
		t.Fatalf("AuditLog has %d entries, want 5 (stats ×500, match, 2 of Carme, stats next day): %+v", len(log), log)
	}
	byEve, err := db.AuditLogBy(ctx, eve, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(byEve) != 3 {
		t.Fatalf("AuditLogBy(eve) has %d entries, want 3", len(byEve))
	}
	var stats *multaque.AuditEntry
	for i := range byEve {
		if byEve[i].Command == "stats" && byEve[i].Count > 1 {
			stats = &byEve[i]
		}
	}
	if stats == nil || stats.Count != 500 || !stats.First.Equal(day.Add(time.Hour)) || !stats.At.Equal(day.Add(time.Hour+499*time.Second)) {
		t.Fatalf("the day's stats refusals = %+v, want count 500 from 01:00:00 to 01:08:19", stats)
	}
	if byEve[0].Count != 1 || !byEve[0].At.Equal(day.Add(25*time.Hour)) {
		t.Errorf("newest entry of Eve = %+v, want the next day's, count 1", byEve[0])
	}
	byCarme, err := db.AuditLogBy(ctx, carme, 10)
	if err != nil || len(byCarme) != 2 || byCarme[0].Count != 0 {
		t.Errorf("AuditLogBy(carme) = %+v, %v; want 2 entries, no count", byCarme, err)
	}
}

// TestPurgeExpired pins the clock and checks that everything with an end
// goes once it is over, and nothing else: mentor and coordinator invites,
// a mentor's draft, refused attempts past KeepRefusals (never what
// coordinators did).
func TestPurgeExpired(t *testing.T) {
	now := t0
	db := openDB(t, fast, store.WithClock(func() time.Time { return now }))
	const coord, eve, pau = int64(7), int64(66), int64(31)
	soon, err := db.CreateMentorCode(ctx, coord, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	later, err := db.CreateMentorCode(ctx, coord, t0.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMentorDraft(ctx, soon, multaque.Mentor{ID: pau, Name: "Pau", Lang: multaque.Catalan, JoinedAt: t0}, t0); err != nil {
		t.Fatal(err)
	}
	kSoon, err := db.CreateCoordinatorCode(ctx, coord, nil, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, multaque.AuditEntry{At: t0, Actor: eve, Command: "stats", Refused: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, multaque.AuditEntry{At: t0, Actor: coord, Command: "match"}); err != nil {
		t.Fatal(err)
	}

	if p, err := db.PurgeExpired(ctx, t0.Add(time.Minute)); err != nil || p.Total() != 0 {
		t.Fatalf("PurgeExpired before anything ended = %+v, %v; want nothing", p, err)
	}
	p, err := db.PurgeExpired(ctx, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Purged{MentorCodes: 1, MentorDrafts: 1, CoordinatorCodes: 1}); p != want {
		t.Errorf("PurgeExpired after an hour = %+v, want %+v", p, want)
	}
	wantCode(t, db.CheckMentorCode(ctx, soon, t0), multaque.ENOTFOUND)
	if err := db.CheckMentorCode(ctx, later, t0); err != nil {
		t.Errorf("the live mentor code was purged: %v", err)
	}
	if _, _, err := db.MentorDraft(ctx, pau); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("the draft of an expired invite survived the purge: %v", err)
	}
	if _, _, err := db.CheckCoordinatorCode(ctx, kSoon, t0); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("the expired coordinator code survived the purge: %v", err)
	}

	// The refusal stays for KeepRefusals after its day, then goes; the
	// coordinator's command stays.
	if p, _ := db.PurgeExpired(ctx, t0.Add(store.KeepRefusals)); p.Refusals != 0 {
		t.Errorf("a refusal was purged before KeepRefusals after its day: %+v", p)
	}
	p, err = db.PurgeExpired(ctx, t0.Add(store.KeepRefusals+24*time.Hour))
	if err != nil || p.Refusals != 1 {
		t.Fatalf("PurgeExpired past KeepRefusals = %+v, %v; want the refusal", p, err)
	}
	log, _ := db.AuditLog(ctx, 10)
	if len(log) != 1 || log[0].Actor != coord {
		t.Errorf("audit log after the purge = %+v, want only the coordinator's command", log)
	}
	if byEve, _ := db.AuditLogBy(ctx, eve, 10); len(byEve) != 0 {
		t.Errorf("AuditLogBy(eve) after the purge = %+v, want none", byEve)
	}
	if p, err := db.PurgeExpired(ctx, t0.Add(store.KeepRefusals+48*time.Hour)); err != nil || p.Total() != 0 {
		t.Errorf("PurgeExpired again = %+v, %v; want nothing", p, err)
	}
}

// TestAuditIndexBuiltOnOpen: a file whose log was written without the
// index (by an older version) gets it when it is opened, its refusals
// merged by person, command and day, and /forget then finds them.
func TestAuditIndexBuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		audit := tx.Bucket([]byte("audit"))
		for _, name := range []string{"actors", "refused"} {
			if err := audit.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		for _, e := range []multaque.AuditEntry{
			{At: t0, Actor: 66, Command: "stats", Refused: true},
			{At: t0.Add(time.Minute), Actor: 7, Command: "match"},
			{At: t0.Add(2 * time.Minute), Actor: 66, Command: "stats", Refused: true},
			{At: t0.Add(3 * time.Minute), Actor: 66, Command: "stats", Refused: true},
		} {
			data, _ := json.Marshal(e)
			seq, _ := audit.NextSequence()
			if err := audit.Put(binaryKey(seq), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDBAt(t, path, fast)
	byEve, err := db.AuditLogBy(ctx, 66, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(byEve) != 1 || byEve[0].Count != 3 || !byEve[0].First.Equal(t0) || !byEve[0].At.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("AuditLogBy(66) after open = %+v, want one entry of 3 refusals", byEve)
	}
	if err := db.ForgetCitizen(ctx, 66); err != nil {
		t.Fatalf("ForgetCitizen: %v", err)
	}
	if log, _ := db.AuditLog(ctx, 10); len(log) != 1 || log[0].Actor != 7 {
		t.Errorf("audit log after /forget = %+v, want only the coordinator's command", log)
	}
}

func binaryKey(seq uint64) []byte {
	return []byte{byte(seq >> 56), byte(seq >> 48), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}
}

// BenchmarkForgetWithAuditLog times what /mydata and /forget do for a
// person who was refused a few commands (PersonalData, Erasable,
// ForgetCitizen; their citizen record and refusals are written with the
// timer stopped), with an
// audit log empty of anyone else and with 500,000 refused attempts of
// other people: the index by person makes both cost the same.
//
//	go test -run='^$' -bench=ForgetWithAuditLog -benchtime=200x ./store/
func BenchmarkForgetWithAuditLog(b *testing.B) {
	for _, others := range []int{0, 500_000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			db := openDB(b, fast)
			if err := store.FillRefusals(db, 1_000_000, others, t0); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			id := int64(0)
			for b.Loop() {
				id++
				b.StopTimer() // what the person did before asking
				if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: id, Lang: multaque.Catalan, ConsentAt: now, UpdatedAt: now,
					Survey: multaque.Survey{Step: multaque.StepName, Version: 1}}); err != nil {
					b.Fatal(err)
				}
				for _, cmd := range []string{"stats", "stats", "match"} {
					if err := db.Audit(ctx, multaque.AuditEntry{At: now, Actor: id, Command: cmd, Refused: true}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := db.PersonalData(ctx, id); err != nil {
					b.Fatal(err)
				}
				if ok, err := db.Erasable(ctx, id); err != nil || !ok {
					b.Fatalf("Erasable=%v,%v", ok, err)
				}
				if err := db.ForgetCitizen(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCheckFindsABrokenAuditIndex: Check holds the audit log's indexes to
// the entries.
func TestCheckFindsABrokenAuditIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []multaque.AuditEntry{
		{At: t0, Actor: 66, Command: "stats", Refused: true},
		{At: t0, Actor: 7, Command: "match"},
	} {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if problems, err := db.Check(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("Check of a sound log = %q, %v", problems, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		actors := tx.Bucket([]byte("audit")).Bucket([]byte("actors"))
		return actors.Delete(append(binaryKey(7), binaryKey(2)...))
	})
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()
	problems := problemsOf(t, path, store.CheckOptions{})
	if len(problems) != 1 || !strings.Contains(problems[0], "audit: 1 entries are not in the index by person") {
		t.Errorf("Check of a log missing an index key = %q", problems)
	}
}

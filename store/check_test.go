package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// checkFixture is a database with something in every part Check looks at:
// citizens waiting and in a team with a mentor and a pool group, the team's
// invitations and an alert to a configured coordinator in the outbox.
// Everyone is named Zebulon, a name no problem may show.
func checkFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := int64(1); id <= 4; id++ {
		save(t, db, newCitizen(id, "Zebulon", "gracia", "consumer-group", "energy"))
	}
	if err := db.SaveMentor(ctx, newMentor(50, "Zebulon", 2, "consumer-group")); err != nil {
		t.Fatal(err)
	}
	team, err := db.FormTeam(ctx, multaque.Team{Community: "gracia", Project: "consumer-group", Mentor: 50, Members: members(1, 2)}, t0, invites)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPoolGroup(ctx, multaque.PoolGroup{Chat: -1001, Title: "spare", AddedBy: 900}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimPoolGroup(ctx, team.ID, t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx,
		multaque.OutboxItem{Kind: "alert", Chat: 900, Text: "pool low"},
		multaque.OutboxItem{Kind: "welcome", Chat: -1001, Text: "hello Zebulon", Owner: "team/" + team.ID},
	); err != nil {
		t.Fatal(err)
	}
	return path
}

// problemsOf runs Check on the database at path, opened read-only.
func problemsOf(t *testing.T, path string, o store.CheckOptions) []string {
	t.Helper()
	db, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatalf("Open(ReadOnly): %v", err)
	}
	defer db.Close()
	problems, err := db.CheckWith(ctx, o)
	if err != nil {
		t.Fatalf("CheckWith: %v", err)
	}
	for _, p := range problems {
		if strings.Contains(p, "Zebulon") {
			t.Errorf("a problem shows a name: %s", p)
		}
	}
	return problems
}

// tamper changes the file at path behind the store's back.
func tamper(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func id8(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

func TestCheckFindsBrokenInvariants(t *testing.T) {
	coordinators := store.CheckOptions{Coordinators: []int64{900}}
	tests := []struct {
		name   string
		tamper func(tx *bolt.Tx) error
		opts   store.CheckOptions
		want   []string // substrings, one problem each, in any order
	}{
		{name: "sound", opts: coordinators},
		{name: "coordinator not configured", want: []string{"outbox item 3: for chat 900, no citizen, mentor or coordinator"}},
		{name: "waiting entry missing", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("waiting")).Delete([]byte(key("gracia", "energy", t0.Add(60e9), 3)))
		}, want: []string{
			"citizen 3: no entry in the waiting index for energy",
			"queue gracia/energy: the summary counts 4 waiting, the index holds 3",
		}},
		{name: "waiting entry of nobody", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("waiting")).Put([]byte(key("gracia", "energy", t0, 777)), nil)
		}, want: []string{
			"waiting index: an entry for 777, who is no citizen",
			"queue gracia/energy: the summary counts 4 waiting, the index holds 5",
		}},
		{name: "team member gone", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("citizens")).Delete(id8(2))
		}, want: []string{
			"team t1: member 2 is no citizen",
			"waiting index: an entry for 2, who is no citizen", // energy, which they still wait for
			"outbox item 2: for chat 2, no citizen, mentor or coordinator",
		}},
		{name: "mentor gone", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("mentors")).Delete(id8(50))
		}, want: []string{"team t1: mentor 50 is no mentor"}},
		{name: "in two teams", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			data, _ := json.Marshal(multaque.Team{ID: "t9", Community: "gracia", Project: "consumer-group", Members: members(1, 3), Status: multaque.TeamForming, CreatedAt: t0, UpdatedAt: t0})
			return tx.Bucket([]byte("teams")).Put([]byte("t9"), data)
		}, want: []string{
			"citizen 1 is in 2 teams for consumer-group: t1, t9",
			"team t9: member 1 has no interest in consumer-group naming it",
			"team t9: member 3 has no interest in consumer-group naming it",
			"team t9: not indexed as forming",
			"team t9: member 1 is not indexed to it",
			"team t9: member 3 is not indexed to it",
		}},
		{name: "member without the interest", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			// What untoggling a team's project did (issue 21): the
			// interest is gone, the team still lists them.
			var cz multaque.Citizen
			if err := json.Unmarshal(tx.Bucket([]byte("citizens")).Get(id8(1)), &cz); err != nil {
				return err
			}
			cz.Interests = slices.DeleteFunc(cz.Interests, func(in multaque.Interest) bool { return in.Project == "consumer-group" })
			data, _ := json.Marshal(cz)
			return tx.Bucket([]byte("citizens")).Put(id8(1), data)
		}, want: []string{"team t1: member 1 has no interest in consumer-group naming it"}},
		{name: "interest naming a team that does not list them", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			var tm multaque.Team
			if err := json.Unmarshal(tx.Bucket([]byte("teams")).Get([]byte("t1")), &tm); err != nil {
				return err
			}
			tm.Members = slices.DeleteFunc(tm.Members, func(m multaque.TeamMember) bool { return m.Citizen == 1 })
			data, _ := json.Marshal(tm)
			return tx.Bucket([]byte("teams")).Put([]byte("t1"), data)
		}, want: []string{
			"citizen 1: the interest in consumer-group names team t1, which does not list them",
			"teams by member: 1 names team t1, which does not list them",
		}},
		{name: "group index stale", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("teams_by_chat")).Delete(id8(-1001))
		}, want: []string{"team t1: its group -1001 is not indexed to it"}},
		{name: "group unknown", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			if err := tx.Bucket([]byte("teams_by_chat")).Delete(id8(-1001)); err != nil {
				return err
			}
			return tx.Bucket([]byte("pool")).Delete(id8(-1001))
		}, want: []string{
			"team t1: its group -1001 is not indexed to it",
			"outbox item 4: for chat -1001, neither a pool group nor a team's group",
		}},
		{name: "outbox item out of order", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			due := tx.Bucket([]byte("outbox")).Bucket([]byte("due"))
			k, _ := due.Cursor().First()
			return due.Delete(k)
		}, want: []string{": not in the due order"}},
		{name: "outbox for someone unknown", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			items := tx.Bucket([]byte("outbox")).Bucket([]byte("items"))
			var it multaque.OutboxItem
			if err := json.Unmarshal(items.Get(id8(1)), &it); err != nil {
				return err
			}
			it.Chat = 4242
			data, _ := json.Marshal(it)
			return items.Put(id8(1), data)
		}, want: []string{"outbox item 1: for chat 4242, no citizen, mentor or coordinator"}},
		{name: "citizen record unreadable", opts: coordinators, tamper: func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("citizens")).Put(id8(4), []byte("{Zebulon"))
		}, want: []string{
			"citizen 4: the record is not valid JSON",
			"waiting index: an entry for 4, who is no citizen",
			"waiting index: an entry for 4, who is no citizen",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := checkFixture(t)
			if tt.tamper != nil {
				tamper(t, path, tt.tamper)
			}
			got := problemsOf(t, path, tt.opts)
			left := slices.Clone(got)
			for _, w := range tt.want {
				i := slices.IndexFunc(left, func(p string) bool { return strings.Contains(p, w) })
				if i < 0 {
					t.Errorf("no problem says %q", w)
					continue
				}
				left = slices.Delete(left, i, i+1)
			}
			if len(left) > 0 || len(got) != len(tt.want) {
				t.Errorf("problems %q, want exactly %q", got, tt.want)
			}
		})
	}
}

// TestCheckFindsDamagedPages overwrites the root page of the citizens
// bucket with junk: Check reports it, as bbolt's check and as records that
// do not read, instead of crashing; and a file whose damage is met as it
// opens is refused with an EINTERNAL error, not a panic.
func TestCheckFindsDamagedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	var cs []*multaque.Citizen
	for id := int64(1); id <= 300; id++ {
		cs = append(cs, newCitizen(id, "Zebulon", "gracia", "energy"))
	}
	if err := db.ImportCitizens(ctx, cs); err != nil {
		t.Fatal(err)
	}
	var citizensRoot int64
	db.View(func(tx *bolt.Tx) error {
		citizensRoot = int64(tx.Bucket([]byte("citizens")).Root())
		return nil
	})
	db.Close()
	if citizensRoot == 0 {
		t.Fatal("the citizens bucket has no page of its own")
	}

	const pageSize = 4096
	junk := make([]byte, pageSize)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	damage := func(path string, page int64) {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(junk, page*pageSize); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(t.TempDir(), "copy.db")
	data, _ := os.ReadFile(path)
	os.WriteFile(other, data, 0o600)

	damage(path, citizensRoot)
	got := problemsOf(t, path, store.CheckOptions{})
	if len(got) == 0 {
		t.Fatal("Check found nothing in a file with a damaged page")
	}
	t.Logf("a damaged page: %d problems, the first: %s", len(got), got[0])

	// Damage the first pages after the meta pages, where the root of the
	// buckets lies: Open meets it.
	for page := int64(2); page < 12; page++ {
		damage(other, page)
	}
	odb, err := store.Open(other, store.ReadOnly())
	if err == nil {
		defer odb.Close()
		if problems, err := odb.Check(ctx); err != nil || len(problems) == 0 {
			t.Errorf("Check of a file with ten damaged pages: %q, %v; want problems", problems, err)
		}
		return
	}
	if multaque.ErrorCode(err) != multaque.EINTERNAL || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Open of a damaged file: %v, want EINTERNAL saying it is damaged", err)
	}
}

func TestCheckEmptyFileIsSound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	bdb, err := bolt.Open(path, 0o600, nil) // created, never initialised
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	if got := problemsOf(t, path, store.CheckOptions{}); len(got) != 0 {
		t.Errorf("problems in a new empty file: %q", got)
	}
}

// TestCheckWhileWriting runs Check on a database open for writing: it
// takes the writers' turn, so it never reads a free list being changed.
func TestCheckWhileWriting(t *testing.T) {
	db := openDB(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for id := int64(1); id <= 50; id++ {
			if err := db.SaveCitizen(ctx, newCitizen(id, "W", "gracia", "energy")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 5 {
		problems, err := db.Check(ctx)
		if err != nil || len(problems) != 0 {
			t.Errorf("Check while writing: %q, %v", problems, err)
		}
	}
	<-done
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	if _, err := store.Open(path, store.ReadOnly()); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("Open(ReadOnly) of no file: %v, want ENOTFOUND", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("Open(ReadOnly) created the file")
	}
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(1, "Ada", "gracia", "energy"))
	if _, err := store.Open(path, store.ReadOnly()); multaque.ErrorCode(err) != multaque.EUNAVAILABLE {
		t.Fatalf("Open(ReadOnly) while open for writing: %v, want EUNAVAILABLE", err)
	}
	db.Close()

	// Two readers at once; neither can write.
	r1, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := store.Open(path, store.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if c, err := r2.Citizen(ctx, 1); err != nil || c.Name != "Ada" {
		t.Fatalf("Citizen on a read-only store: %+v, %v", c, err)
	}
	err = r1.SaveCitizen(ctx, newCitizen(2, "Bea", "gracia", "energy"))
	wantCode(t, err, multaque.EUNAVAILABLE)
	_, err = r1.RecordUpdate(ctx, 5) // batched
	wantCode(t, err, multaque.EUNAVAILABLE)
	err = r1.ForgetCitizen(ctx, 1)
	wantCode(t, err, multaque.EUNAVAILABLE)
	if c, err := r1.Citizen(ctx, 1); err != nil || c.Name != "Ada" {
		t.Fatalf("after refused writes: %+v, %v", c, err)
	}
}

// TestCheckLiveWhileWriting runs CheckLive on the fixture while a
// goroutine keeps saving citizens: no problem, no race (-race), no
// temporary file left. bbolt's check run directly in a read transaction
// here reports pages "reachable freed" and races with the writer.
func TestCheckLiveWhileWriting(t *testing.T) {
	path := checkFixture(t)
	db := openDBAt(t, path, fast)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for id := int64(1000); ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.SaveCitizen(ctx, newCitizen(id%50+1000, "Zebulon", "gracia", "energy")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 5 {
		problems, err := db.CheckLive(ctx, store.CheckOptions{Coordinators: []int64{900}})
		if err != nil || len(problems) != 0 {
			t.Errorf("CheckLive while writing: %q, %v; want none", problems, err)
		}
	}
	close(stop)
	<-done
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("temporary files left beside the database: %q", left)
	}
}

// TestCheckLiveFindsWhatCheckFinds breaks an invariant, then damages a
// page, of a file no process holds, opens it for writing and compares
// CheckLive with the offline check: the same problems, bbolt's included
// (the copy is of the file's own pages, not a compacted one).
func TestCheckLiveFindsWhatCheckFinds(t *testing.T) {
	path := checkFixture(t)
	tamper(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("waiting")).Put([]byte("gracia/energy/00000000000000000001/4242"), nil)
	})
	var citizensRoot int64
	tamper(t, path, func(tx *bolt.Tx) error {
		for id := int64(100); id < 400; id++ { // enough for a page of their own
			data, _ := json.Marshal(newCitizen(id, "Zebulon", "gracia"))
			if err := tx.Bucket([]byte("citizens")).Put(id8(id), data); err != nil {
				return err
			}
		}
		return nil
	})
	live := func() []string {
		t.Helper()
		db, err := store.Open(path, fast)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.View(func(tx *bolt.Tx) error {
			citizensRoot = int64(tx.Bucket([]byte("citizens")).Root())
			return nil
		})
		problems, err := db.CheckLive(ctx, store.CheckOptions{Coordinators: []int64{900}})
		if err != nil {
			t.Fatalf("CheckLive: %v", err)
		}
		for _, p := range problems {
			if strings.Contains(p, "Zebulon") {
				t.Errorf("a problem shows a name: %s", p)
			}
		}
		return problems
	}

	got := live()
	want := problemsOf(t, path, store.CheckOptions{Coordinators: []int64{900}})
	slices.Sort(got)
	slices.Sort(want)
	if len(got) != 2 || !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, "an entry for 4242, who is no citizen") }) || !slices.Equal(got, want) {
		t.Errorf("CheckLive of a broken invariant: %q; the offline check: %q; want the entry for 4242 and its queue's count, both", got, want)
	}

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0xa5}, 4096)
	if _, err := f.WriteAt(junk, citizensRoot*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got = live()
	want = problemsOf(t, path, store.CheckOptions{Coordinators: []int64{900}})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, "bbolt: ") }) || !slices.Equal(got, want) {
		t.Errorf("CheckLive of a damaged page: %d problems %q;\nthe offline check: %d %q", len(got), got, len(want), want)
	}
}

// BenchmarkCheckLive100k runs CheckLive, then Check, on a database of
// 100,000 citizens while a goroutine keeps saving one citizen after
// another, and reports the longest a save took during each: CheckLive's
// writers wait for no check, Check's wait for all of it.
func BenchmarkCheckLive100k(b *testing.B) {
	db := opsDB(b)
	for _, tt := range []struct {
		name  string
		check func() ([]string, error)
	}{
		{"live", func() ([]string, error) { return db.CheckLive(ctx, store.CheckOptions{}) }},
		{"writers-wait", func() ([]string, error) { return db.Check(ctx) }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var longest time.Duration
			for b.Loop() {
				stop, done := make(chan struct{}), make(chan time.Duration)
				go func() {
					var worst time.Duration
					for id := int64(200_000); ; id++ {
						select {
						case <-stop:
							done <- worst
							return
						default:
						}
						start := time.Now()
						if err := db.SaveCitizen(ctx, newCitizen(id, "Mercè", "community-1", "energy")); err != nil {
							b.Error(err)
						}
						worst = max(worst, time.Since(start))
					}
				}()
				problems, err := tt.check()
				close(stop)
				longest = max(longest, <-done)
				if err != nil || len(problems) != 0 {
					b.Fatal(problems, err)
				}
			}
			b.ReportMetric(float64(longest.Milliseconds()), "ms-longest-save")
		})
	}
}

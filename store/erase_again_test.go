package store_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// TestRestoreMakesManyErasuresAgain restores a backup over a database in
// which, after the backup, 50 people erased themselves, one by one, while
// 50 others, as much involved, stayed. The restore makes the 50 erasures
// again all at once: none of their bytes are left in the restored file
// (their names, ids as key and as text, referral codes); the others keep
// everything; the restored file holds what the database being replaced
// held, erasure by erasure (only the teams' update times differ, which
// record when the erasure was made); and Check finds nothing wrong.
func TestRestoreMakesManyErasuresAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "multaque.db")
	now := t0
	db, err := store.Open(path, fast, store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	// The staying sort before the gone: a broadcast that queued them all
	// and stopped among the gone must go back to the last who stays.
	stay := func(i int) int64 { return 7310442000 + int64(i) }
	gone := func(i int) int64 { return 7310442100 + int64(i) }
	name := map[int64]string{}
	var everyone []*multaque.Citizen
	for i := range n {
		name[stay(i)] = fmt.Sprintf("Stays Wennerholm %02d", i)
		name[gone(i)] = fmt.Sprintf("Quillon Vexmoor %02d", i)
		for _, id := range []int64{stay(i), gone(i)} {
			everyone = append(everyone, newCitizen(id, name[id], "gracia", "energy", "time-bank", "consumer-group"))
		}
	}
	if err := db.ImportCitizens(ctx, everyone); err != nil {
		t.Fatal(err)
	}
	// Teams of two who stay and two who go, with their invitations queued.
	for i := 0; i < n; i += 2 {
		team := multaque.Team{Community: "gracia", Project: "consumer-group", Members: members(stay(i), stay(i+1), gone(i), gone(i+1))}
		if _, err := db.FormTeam(ctx, team, now, invites); err != nil {
			t.Fatal(err)
		}
	}
	// Mentors of some of those teams, and the mentor invites they made.
	for i := range 3 {
		for _, id := range []int64{stay(i), gone(i)} {
			if err := db.SaveMentor(ctx, newMentor(id, name[id], 2, "consumer-group")); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateMentorCode(ctx, id, t0.Add(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AssignMentor(ctx, fmt.Sprintf("t%d", 2*i+11), gone(i), now, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AssignMentor(ctx, fmt.Sprintf("t%d", 2*i+12), stay(i), now, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A message naming each, one of them given up on; a refused command.
	for i := range n {
		for _, id := range []int64{stay(i), gone(i)} {
			ids, err := db.Enqueue(ctx, multaque.OutboxItem{Kind: "remind", Chat: id, Text: "Hola " + name[id], DedupKey: fmt.Sprintf("remind/x/%d", id)})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := db.Bury(ctx, ids[0], "bad request"); err != nil {
					t.Fatal(err)
				}
			}
			audit(t, db, multaque.AuditEntry{At: now, Actor: id, Command: "stats", Refused: true})
		}
	}
	// Proposals: sent by each who goes and by some who stay; approved ones
	// written or decided by those who go; notes being typed.
	approve := func(proposer, decider int64, slug string) {
		t.Helper()
		p := pendingProposal(t, db, proposer)
		decide := func(p *multaque.Proposal) error { p.DecidedBy, p.DeciderName = decider, name[decider]; return nil }
		if _, err := db.ApproveProposal(ctx, p.ID, decide, slug, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	approve(gone(10), gone(11), "hort-a")
	approve(stay(10), gone(12), "hort-b")
	approve(gone(13), stay(13), "hort-c")
	for i := range n {
		pendingProposal(t, db, gone(i))
		if i%10 == 0 {
			pendingProposal(t, db, stay(i))
		}
	}
	for _, id := range []int64{stay(20), gone(20)} {
		if err := db.SetProposalNote(ctx, multaque.ProposalNote{Coordinator: id, Proposal: 1, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// A broadcast that stopped at gone(9).
	bc := confirmedAt(t, db, now)
	if bc, err = db.QueueBroadcast(ctx, bc.ID, n+10, now); err != nil || bc.Cursor != gone(9) {
		t.Fatalf("QueueBroadcast=%+v, %v; want it stopped at %d", bc, err, gone(9))
	}

	traces := map[int64]map[string][]byte{}
	for i := range n {
		c, err := db.Citizen(ctx, gone(i))
		if err != nil {
			t.Fatal(err)
		}
		traces[gone(i)] = tracesOf(gone(i), name[gone(i)])
		traces[gone(i)]["ref code"] = []byte(c.RefCode)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if got := found(t, backup, traces[gone(n-1)]); len(got) != 4 {
		t.Fatalf("the backup holds %q of the last who goes, want all four traces (else the scan proves nothing)", got)
	}

	// After the backup, they erase themselves one by one.
	now = now.Add(time.Hour)
	for i := range n {
		if err := db.ForgetCitizen(ctx, gone(i)); err != nil {
			t.Fatalf("ForgetCitizen(%d): %v", gone(i), err)
		}
		now = now.Add(time.Second)
	}
	want := contents(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := store.Restore(ctx, backup, path)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if rep.Erasures != n || len(rep.Warnings) != 0 {
		t.Errorf("Restore=%+v, want %d erasures made again and no warnings", rep, n)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range slices.Sorted(maps.Keys(traces)) {
		for what, trace := range traces[id] {
			if bytes.Contains(data, trace) {
				t.Errorf("the restored file holds the %s of %d, who erased themselves", what, id)
			}
		}
	}
	mustCheck(t, path)

	db = openDBAt(t, path, fast)
	got := contents(t, db)
	buckets := slices.Sorted(maps.Keys(want))
	for bucket := range got {
		if want[bucket] == nil {
			buckets = append(buckets, bucket)
		}
	}
	for _, bucket := range buckets {
		keys := slices.Sorted(maps.Keys(got[bucket]))
		for k := range want[bucket] {
			if _, ok := got[bucket][k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			g, inGot := got[bucket][k]
			w, inWant := want[bucket][k]
			if g != w || inGot != inWant {
				t.Errorf("%s %q after the restore=%q (held: %v), want %q (held: %v) as in the database replaced", bucket, k, g, inGot, w, inWant)
			}
		}
	}
	// The same, as the people who stay see it.
	for i := range n {
		c, err := db.Citizen(ctx, stay(i))
		if err != nil || c.Name != name[stay(i)] {
			t.Fatalf("Citizen(%d)=%+v, %v; want them kept", stay(i), c, err)
		}
		if id, err := db.CitizenByRefCode(ctx, c.RefCode); err != nil || id != stay(i) {
			t.Errorf("CitizenByRefCode(%d's code)=%d, %v; want it kept", stay(i), id, err)
		}
		if es, err := db.AuditLogBy(ctx, stay(i), 10); err != nil || len(es) != 1 {
			t.Errorf("AuditLogBy(%d)=%+v, %v; want their refused command kept", stay(i), es, err)
		}
		_, err = db.Citizen(ctx, gone(i))
		wantCode(t, err, multaque.ENOTFOUND)
	}
	for i := 0; i < n; i += 2 {
		team, err := db.Team(ctx, fmt.Sprintf("t%d", i/2+1))
		if err != nil {
			t.Fatal(err)
		}
		var in []int64
		for _, m := range team.Members {
			in = append(in, m.Citizen)
		}
		if !slices.Equal(in, []int64{stay(i), stay(i + 1)}) {
			t.Errorf("team %s has members %d, want the two who stay", team.ID, in)
		}
	}
	if bc, err := db.Broadcast(ctx, bc.ID); err != nil || bc.Cursor != stay(n-1) {
		t.Errorf("broadcast cursor after the restore: %+v, %v; want %d, the last who stays", bc, err, stay(n-1))
	}
}

// contents returns every key and value of every bucket, nested ones
// included, by bucket path; the teams' update times are left out.
func contents(t *testing.T, db *store.DB) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := db.View(func(tx *bolt.Tx) error {
		return scanAll(tx, func(path string, k, v []byte) {
			if path == "teams" {
				var team multaque.Team
				if err := json.Unmarshal(v, &team); err != nil {
					t.Errorf("team %s: %v", k, err)
				}
				team.UpdatedAt = time.Time{}
				v, _ = json.Marshal(team)
			}
			if out[path] == nil {
				out[path] = map[string]string{}
			}
			out[path][string(k)] = string(v)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// scan calls fn with every key and value of every bucket, nested ones
// included, and fails the test if the file holds a bucket that
// db.Buckets does not name.
func scan(t *testing.T, db *store.DB, fn func(path string, k, v []byte)) {
	t.Helper()
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			fn(path, k, v)
			if v == nil {
				if nested := b.Bucket(k); nested != nil {
					return walk(path+"/"+string(k), nested)
				}
			}
			return nil
		})
	}
	err := db.View(func(tx *bolt.Tx) error {
		listed := map[string]bool{}
		for _, name := range db.Buckets() {
			listed[name] = true
			b := tx.Bucket([]byte(name))
			if b == nil {
				t.Errorf("bucket %s is missing", name)
				continue
			}
			if err := walk(name, b); err != nil {
				return err
			}
		}
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !listed[string(name)] {
				t.Errorf("bucket %s is not in Buckets()", name)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestForgetCitizen(t *testing.T) {
	db := openDB(t, fast)
	const id = 424242424242
	gone := newCitizen(id, "Zygmunt Quintana", "gracia", "energy", "time-bank")
	other := newCitizen(7, "Mercè", "gracia", "energy")
	save(t, db, other)
	save(t, db, gone)
	if err := db.AddReferral(ctx, gone.RefCode); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordUpdate(ctx, 1); err != nil {
		t.Fatal(err)
	}

	if err := db.ForgetCitizen(ctx, id); err != nil {
		t.Fatalf("ForgetCitizen: %v", err)
	}

	traces := map[string][]byte{
		"8-byte id":  binary.BigEndian.AppendUint64(nil, id),
		"decimal id": []byte(strconv.Itoa(id)),
		"name":       []byte(gone.Name),
		"ref code":   []byte(gone.RefCode),
	}
	scan(t, db, func(path string, k, v []byte) {
		for what, trace := range traces {
			if bytes.Contains(k, trace) || bytes.Contains(v, trace) {
				t.Errorf("%s %q=%q still holds the forgotten citizen's %s", path, k, v, what)
			}
		}
	})

	_, err := db.Citizen(ctx, id)
	wantCode(t, err, multaque.ENOTFOUND)
	wantCode(t, db.ForgetCitizen(ctx, id), multaque.ENOTFOUND)
	_, err = db.PersonalData(ctx, id)
	wantCode(t, err, multaque.ENOTFOUND)

	// The others are untouched.
	got, err := db.Citizen(ctx, 7)
	if err != nil || got.Name != other.Name || got.RefCode != other.RefCode {
		t.Errorf("Citizen(7)=%+v, %v, want untouched", got, err)
	}
	if got := waitingKeys(t, db); len(got) != 1 || got[0] != key("gracia", "energy", t0, 7) {
		t.Errorf("waiting=%q, want only citizen 7", got)
	}
	if id, err := db.CitizenByRefCode(ctx, other.RefCode); err != nil || id != 7 {
		t.Errorf("CitizenByRefCode(other)=%d, %v, want 7, nil", id, err)
	}
	if record(t, db, 1) {
		t.Error("ForgetCitizen forgot an update id")
	}
}

func TestForgetCitizenLeftovers(t *testing.T) {
	// Entries whose record is gone (left by a bug, or written by hand) are
	// still found and erased.
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	c := newCitizen(99, "Q", "gracia", "energy")
	save(t, db, c)
	checkAndClose(t, db)
	// Remove the record behind the store's back, leaving the other entries.
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("citizens")).Delete(binary.BigEndian.AppendUint64(nil, 99))
	})
	bdb.Close()
	db, err = store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, db)

	if err := db.ForgetCitizen(ctx, 99); err != nil {
		t.Fatalf("ForgetCitizen of leftovers: %v", err)
	}
	if got := waitingKeys(t, db); len(got) != 0 {
		t.Errorf("waiting=%q, want empty", got)
	}
	if _, err := db.CitizenByRefCode(ctx, c.RefCode); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("CitizenByRefCode after forget: %v, want ENOTFOUND", err)
	}
}

func TestPersonalData(t *testing.T) {
	db := openDB(t, fast)
	save(t, db, newCitizen(1, "A", "gracia", "energy"))
	save(t, db, newCitizen(2, "B", "gracia", "energy"))
	me := newCitizen(3, "Mercè", "gracia", "energy", "time-bank")
	me.Interests[0].Since = t0.Add(time.Second) // after 1 and 2, whose Since is t0
	save(t, db, me)
	late := newCitizen(4, "D", "gracia", "energy")
	late.Interests[0].Since = t0.Add(2 * time.Second)
	save(t, db, late)

	data, err := db.PersonalData(ctx, 3)
	if err != nil {
		t.Fatalf("PersonalData: %v", err)
	}
	if !bytes.Contains(data, []byte("\n  ")) {
		t.Errorf("PersonalData is not indented:\n%s", data)
	}
	var got struct {
		Citizen multaque.Citizen
		Waiting []struct {
			Community, Project string
			Since              time.Time
			Position, Of       int
		}
		RefCodes []string `json:"ref_codes"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("PersonalData is not JSON: %v\n%s", err, data)
	}
	if got.Citizen.Name != "Mercè" || got.Citizen.RefCode != me.RefCode {
		t.Errorf("citizen=%+v, want %+v", got.Citizen, me)
	}
	type place struct {
		community, project string
		since              time.Time
		position, of       int
	}
	var places []place
	for _, w := range got.Waiting {
		places = append(places, place{w.Community, w.Project, w.Since, w.Position, w.Of})
	}
	want := []place{
		{"gracia", "energy", t0.Add(time.Second), 3, 4},
		{"gracia", "time-bank", t0.Add(time.Minute), 1, 1},
	}
	if len(places) != len(want) {
		t.Fatalf("waiting=%+v, want %+v", places, want)
	}
	for i := range want {
		if places[i].community != want[i].community || places[i].project != want[i].project ||
			!places[i].since.Equal(want[i].since) || places[i].position != want[i].position || places[i].of != want[i].of {
			t.Errorf("waiting[%d]=%+v, want %+v", i, places[i], want[i])
		}
	}
	if len(got.RefCodes) != 1 || got.RefCodes[0] != me.RefCode {
		t.Errorf("ref_codes=%q, want [%q]", got.RefCodes, me.RefCode)
	}
	_, err = db.PersonalData(ctx, 404)
	wantCode(t, err, multaque.ENOTFOUND)
}

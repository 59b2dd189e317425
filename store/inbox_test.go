package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// TestInbox: updates taken are in the inbox until done, a second taking of
// the same update is not fresh, an update recorded as handled is not taken
// again, and the first change an update commits trims its entry to what
// showing the screen again takes (no name, no text) — or drops it if the
// sender is no citizen.
func TestInbox(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Unix(1_700_000_000, 42)
	msg := func(id int, from int64) multaque.InboxUpdate {
		return multaque.InboxUpdate{ID: id, Arrived: at, Body: []byte(`{"update_id":` + itoa(id) +
			`,"message":{"message_id":3,"from":{"id":` + itoa(int(from)) + `,"first_name":"Secret Name"},"chat":{"id":` + itoa(int(from)) + `,"type":"private"},"text":"Secret Text"}}`)}
	}
	fresh, err := db.TakeUpdates(ctx, []multaque.InboxUpdate{msg(10, 7), msg(11, 8)}, nil)
	if err != nil || !fresh[0] || !fresh[1] {
		t.Fatalf("TakeUpdates = %v, %v; want both fresh", fresh, err)
	}
	if fresh, _ := db.TakeUpdates(ctx, []multaque.InboxUpdate{msg(10, 7), msg(12, 8)}, nil); fresh[0] || !fresh[1] {
		t.Errorf("taken again: fresh %v, want [false true]", fresh)
	}
	left, err := db.Inbox(ctx)
	if err != nil || len(left) != 3 || left[0].ID != 10 || !left[0].Arrived.Equal(at) || !bytes.Equal(left[0].Body, msg(10, 7).Body) {
		t.Fatalf("Inbox = %+v, %v", left, err)
	}
	if err := db.DoneUpdates(ctx, []int{11}); err != nil {
		t.Fatal(err)
	}
	// 12's change commits; its sender (8) is no citizen: the entry goes.
	if _, err := db.RecordUpdate(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := db.TakeUpdates(ctx, []multaque.InboxUpdate{msg(12, 8)}, nil); fresh[0] {
		t.Error("an update recorded as handled was taken again")
	}
	// 7 becomes a citizen; 10's change commits: the entry is trimmed.
	if err := db.SaveCitizen(ctx, &multaque.Citizen{ID: 7, Lang: multaque.Catalan, ConsentAt: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordUpdate(ctx, 10); err != nil {
		t.Fatal(err)
	}
	// Done updates leave with the next batch taken.
	if _, err := db.TakeUpdates(ctx, nil, []int{13}); err != nil {
		t.Fatal(err)
	}
	left, _ = db.Inbox(ctx)
	if len(left) != 1 || left[0].ID != 10 || bytes.Contains(left[0].Body, []byte("Secret")) || !bytes.Contains(left[0].Body, []byte(`"id":7`)) {
		t.Fatalf("after the change the inbox holds %+v, want 10 trimmed to who and where", left)
	}
	err = db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("inbox")).Stats().KeyN; n != 1 {
			t.Errorf("inbox bucket holds %d keys, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

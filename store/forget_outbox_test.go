package store_test

import (
	"bytes"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// scanAll calls fn for every key and value in every bucket, nested ones too.
func scanAll(tx *bolt.Tx, fn func(path string, k, v []byte)) error {
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if nested := b.Bucket(k); nested != nil {
					return walk(path+"/"+string(k), nested)
				}
			}
			fn(path, k, v)
			return nil
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
}

func TestForgetClearsTheOutbox(t *testing.T) {
	db := openDB(t)
	save(t, db, newCitizen(2, "Zuriñe Aranburu", "gracia", "consumer-group"))
	save(t, db, newCitizen(3, "Other", "gracia", "consumer-group"))
	ids, err := db.Enqueue(ctx,
		multaque.OutboxItem{Kind: "invite", Chat: 2, Text: "Hola Zuriñe Aranburu", DedupKey: "invite/t1/-1001/2"},
		multaque.OutboxItem{Kind: "invite", Chat: 2, Text: "again", DedupKey: "remind/t1/-1001/2"},
		multaque.OutboxItem{Kind: "invite", Chat: 3, Text: "for someone else", DedupKey: "invite/t1/-1001/3"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Bury(ctx, ids[1], "bad request"); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetCitizen(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.OutboxLen(ctx); n != 1 {
		t.Fatalf("OutboxLen=%d, want 1 (the other person's message)", n)
	}
	idKey := make([]byte, 8)
	idKey[7] = 2
	err = db.View(func(tx *bolt.Tx) error {
		return scanAll(tx, func(path string, k, v []byte) {
			for _, needle := range [][]byte{[]byte("Zuriñe"), []byte(`"chat":2,`), []byte("/2")} {
				if bytes.Contains(k, needle) && bytes.HasSuffix(k, needle) || bytes.Contains(v, needle) {
					t.Errorf("%s still holds %q (key %q)", path, needle, k)
				}
			}
			if path == "citizens" && bytes.Equal(k, idKey) {
				t.Errorf("citizens still holds the record")
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The other person's dedup key stays: their message is not sent twice.
	again, err := db.Enqueue(ctx, multaque.OutboxItem{Kind: "invite", Chat: 3, Text: "x", DedupKey: "invite/t1/-1001/3"})
	if err != nil || again[0] != 0 {
		t.Fatalf("Enqueue of a kept key=%v,%v, want skipped (id 0)", again, err)
	}
}

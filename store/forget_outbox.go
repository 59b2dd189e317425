package store

import (
	"bytes"
	"encoding/binary"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// forgetInOutbox erases what the outbox holds about the people of set: the
// messages waiting for them or given up on (their text may name them, and
// their chat is the person's id), and the dedup keys that name them
// (kind/…/<id>). Each bucket is walked once for the whole set. The Sender
// holds at most a few items in memory; one of them already sent is settled
// as gone, one not yet sent is dropped as gone (see Delivered).
func forgetInOutbox(tx *bolt.Tx, set personSet) error {
	ob := tx.Bucket(bucketOutbox)
	items := ob.Bucket(bucketOutboxItems)
	var doomed [][]byte
	err := items.ForEach(func(k, v []byte) error {
		if set[chatOf(v)] {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		it, err := getItem(ob, binary.BigEndian.Uint64(k))
		if err != nil {
			return err
		}
		if err := removeItem(ob, it); err != nil {
			return err
		}
	}

	dead := tx.Bucket(bucketDead)
	doomed = doomed[:0]
	if err := dead.ForEach(func(k, v []byte) error {
		if set[chatOf(v)] {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range doomed {
		if err := dead.Delete(k); err != nil {
			return err
		}
	}

	find := newPersonFinder(set) // personal.go
	keys, byTime := ob.Bucket(bucketOutboxKeys), ob.Bucket(bucketOutboxKeysTime)
	type pair struct{ key, at []byte }
	var gone []pair
	if err := keys.ForEach(func(k, v []byte) error {
		if _, ok := find.endingIn(k); ok {
			gone = append(gone, pair{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, p := range gone {
		if err := keys.Delete(p.key); err != nil {
			return err
		}
		if len(p.at) == 8 {
			if err := byTime.Delete(append(bytes.Clone(p.at), p.key...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// chatOf reads the chat of an outbox item's JSON without decoding it all.
func chatOf(v []byte) int64 {
	i := bytes.Index(v, []byte(`"chat":`))
	if i < 0 {
		return 0
	}
	rest := v[i+len(`"chat":`):]
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(rest[:end])), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

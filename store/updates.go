package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The updates bucket remembers the Telegram update ids already handled: the
// id (8 bytes, big-endian) maps to when it was recorded (unix seconds, 8
// bytes, big-endian). Its bbolt sequence counts its keys, so that pruning
// needs no walk over the bucket.

// forgetUpdatesAfter is the silence after which the ids held are forgotten.
// Telegram numbers updates sequentially, but after a week without any it
// starts again from a random number, maybe a lower one: old ids would then
// sort first and push the new ones out as soon as they come in.
const forgetUpdatesAfter = 24 * time.Hour

// RecordUpdate records that the update with that id is being handled. fresh
// is false if it was recorded before, so that a delivery of the same update
// again is handled once. Only the most recent ids are held (the highest
// ones, KeepUpdates of them), and all of them are forgotten after a day
// without updates. A negative id is an EINVALID error.
func (db *DB) RecordUpdate(ctx context.Context, updateID int) (fresh bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if updateID < 0 {
		return false, multaque.Errorf(multaque.EINVALID, "record update %d: negative id", updateID)
	}
	err = db.batch(context.Background(), func(tx *bolt.Tx) error { // records nothing else
		var err error
		fresh, err = db.recordUpdateTx(tx, updateID) // this run decides, not one rolled back
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record update %d: %w", updateID, err)
	}
	return fresh, nil
}

// recordUpdateTx records updateID in tx and reports whether it is new.
// It also trims the update's inbox entry (inbox.go), in the same
// transaction as the first change the update causes, to what it takes to
// show the person their screen again if the answer is lost in a crash —
// and drops it if that person is no citizen once the change is made (an
// erasure keeps no trace of the update that asked for it).
func (db *DB) recordUpdateTx(tx *bolt.Tx, updateID int) (fresh bool, err error) {
	key := u64(uint64(updateID))
	if err := trimInboxTx(tx, key); err != nil {
		return false, err
	}
	b := tx.Bucket(bucketUpdates)
	if b.Get(key) != nil {
		return false, nil
	}
	now := db.now().Unix()
	if _, v := b.Cursor().Last(); len(v) == 8 && now-int64(binary.BigEndian.Uint64(v)) > int64(forgetUpdatesAfter/time.Second) {
		if err := tx.DeleteBucket(bucketUpdates); err != nil {
			return false, err
		}
		if b, err = tx.CreateBucket(bucketUpdates); err != nil {
			return false, err
		}
	}
	if err := b.Put(key, u64(uint64(now))); err != nil {
		return false, err
	}
	n := b.Sequence() + 1
	c := b.Cursor()
	for ; n > uint64(db.keepUpdates); n-- {
		if k, _ := c.First(); k == nil {
			n = 0 // the count was wrong; start it again
			break
		}
		if err := c.Delete(); err != nil {
			return false, err
		}
	}
	return true, b.SetSequence(n)
}

// SeenUpdate reports whether the update with that id was recorded as
// handled, by RecordUpdate or by a change made while handling it (see
// multaque.WithUpdate). It only reads.
func (db *DB) SeenUpdate(ctx context.Context, updateID int) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if updateID < 0 {
		return false, multaque.Errorf(multaque.EINVALID, "seen update %d: negative id", updateID)
	}
	seen := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		seen = tx.Bucket(bucketUpdates).Get(u64(uint64(updateID))) != nil
		return nil
	})
	return seen, err
}

// owedUpdate is what an inbox entry keeps once its update's change is
// committed: who to show their screen to, and the message and button that
// screen answers. No name, no text.
type owedUpdate struct {
	ID       int         `json:"update_id"`
	Message  *owedMsg    `json:"message,omitempty"`
	Callback *owedButton `json:"callback_query,omitempty"`
}

type owedMsg struct {
	ID   int      `json:"message_id"`
	From *owedWho `json:"from,omitempty"`
	Chat *owedWho `json:"chat,omitempty"`
}

type owedWho struct {
	ID   int64  `json:"id"`
	Type string `json:"type,omitempty"`
}

type owedButton struct {
	ID      string   `json:"id"`
	From    *owedWho `json:"from,omitempty"`
	Message *owedMsg `json:"message,omitempty"`
}

// trimInboxTx trims the inbox entry under key, if there is one (see
// recordUpdateTx).
func trimInboxTx(tx *bolt.Tx, key []byte) error {
	in := tx.Bucket(bucketInbox)
	if in == nil {
		return nil
	}
	v := in.Get(key)
	if len(v) < 8 {
		return nil
	}
	var o owedUpdate
	_ = json.Unmarshal(v[8:], &o) // what cannot be read is not owed
	var who int64
	switch {
	case o.Message != nil && o.Message.From != nil:
		who = o.Message.From.ID
	case o.Callback != nil && o.Callback.From != nil:
		who = o.Callback.From.ID
	}
	if who == 0 || tx.Bucket(bucketCitizens).Get(idKey(who)) == nil {
		if who != 0 {
			// Erased, or never a citizen: the earlier updates of their
			// own chat, answered already (a chat's updates are handled
			// in order) but maybe not yet cleared, go too, so that an
			// erasure leaves nothing of theirs in the inbox.
			if err := dropEarlierTx(in, key, who); err != nil {
				return err
			}
		}
		return in.Delete(key)
	}
	body, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return in.Put(key, append(bytes.Clone(v[:8]), body...))
}

// dropEarlierTx deletes the inbox entries before key that belong to who's
// own queue: messages in their private chat, and their button presses.
func dropEarlierTx(in *bolt.Bucket, key []byte, who int64) error {
	var drop [][]byte
	c := in.Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k, key) < 0; k, v = c.Next() {
		if len(v) < 8 {
			continue
		}
		var o owedUpdate
		if json.Unmarshal(v[8:], &o) != nil {
			continue
		}
		if (o.Message != nil && o.Message.Chat != nil && o.Message.Chat.ID == who) ||
			(o.Callback != nil && o.Callback.From != nil && o.Callback.From.ID == who) {
			drop = append(drop, bytes.Clone(k))
		}
	}
	for _, k := range drop {
		if err := in.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

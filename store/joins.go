package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The joins bucket maps a group and a person (idKey of each, 16 bytes) to
// the JSON of a multaque.JoinAnswer: a join request the bot must still
// answer. It holds a person's id only until Telegram took the answer;
// /forget drops theirs.

func joinKey(chat, user int64) []byte { return append(idKey(chat), idKey(user)...) }

// PutJoinAnswer records that a must be answered at Telegram (replacing what
// was recorded for the same group and person).
func (db *DB) PutJoinAnswer(ctx context.Context, a multaque.JoinAnswer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.Chat >= 0 || a.User <= 0 {
		return multaque.Errorf(multaque.EINVALID, "join answer: chat %d, user %d", a.Chat, a.User)
	}
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJoins).Put(joinKey(a.Chat, a.User), data)
	})
	if err != nil {
		return fmt.Errorf("put join answer: %w", err)
	}
	return nil
}

// DropJoinAnswer forgets the request of user to join chat: Telegram took
// the answer (or the request is gone). Dropping one not recorded is no
// error.
func (db *DB) DropJoinAnswer(ctx context.Context, chat, user int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJoins).Delete(joinKey(chat, user))
	})
	if err != nil {
		return fmt.Errorf("drop join answer: %w", err)
	}
	return nil
}

// JoinAnswers returns the join requests still to answer, by group and
// person.
func (db *DB) JoinAnswers(ctx context.Context) ([]multaque.JoinAnswer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.JoinAnswer
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJoins)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var a multaque.JoinAnswer
			if err := json.Unmarshal(v, &a); err != nil {
				return multaque.Errorf(multaque.EINTERNAL, "joins: stored record is not valid JSON")
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("join answers: %w", err)
	}
	return out, nil
}

// forgetJoins drops user's requests waiting for an answer.
func forgetJoins(tx *bolt.Tx, user int64) error {
	b := tx.Bucket(bucketJoins)
	var keys [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		if len(k) == 16 && string(k[8:]) == string(idKey(user)) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return err
}

// moveJoins moves the requests to join from so that they are answered in
// to, the supergroup from migrated to.
func moveJoins(tx *bolt.Tx, from, to int64) error {
	b := tx.Bucket(bucketJoins)
	prefix := idKey(from)
	var moved []multaque.JoinAnswer
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && string(k[:min(8, len(k))]) == string(prefix); k, v = c.Next() {
		var a multaque.JoinAnswer
		if err := json.Unmarshal(v, &a); err != nil {
			return multaque.Errorf(multaque.EINTERNAL, "joins: stored record is not valid JSON")
		}
		moved = append(moved, a)
	}
	for _, a := range moved {
		if err := b.Delete(joinKey(from, a.User)); err != nil {
			return err
		}
		a.Chat = to
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := b.Put(joinKey(to, a.User), data); err != nil {
			return err
		}
	}
	return nil
}

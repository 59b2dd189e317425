package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The erased bucket remembers the erasures (/forget), so that restoring a
// backup taken before one can make it again. It never holds the person's
// Telegram id, which must appear nowhere in the file once they are erased:
// its key is the erasure tag of the id (see erasureTag), its value the time
// of the erasure (RFC 3339, UTC, to the nanosecond). Nothing else about the
// person is kept.
//
// The tag is an HMAC-SHA-256 of the id under a random secret made when the
// file is created and kept in the meta bucket, so that backups share it.
// Someone reading the file cannot tell from a tag whose it is without trying
// ids one by one against the secret; the file is personal data anyway.

// keyErasureSecret is the meta key of the erasure secret, 32 random bytes
// written as 64 hex digits.
var keyErasureSecret = []byte("erasure_secret")

// erasureTagLen is the length of an erasure tag: 128 bits of the HMAC,
// written as 32 hex digits. Hex digits cannot spell a decimal id of any
// length that matters nor a name.
const erasureTagLen = 32

// initErasureSecret makes the erasure secret of a file that has none.
func initErasureSecret(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if len(meta.Get(keyErasureSecret)) != 0 {
		return nil
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	return meta.Put(keyErasureSecret, []byte(hex.EncodeToString(secret)))
}

// erasureSecret returns the secret of the file tx reads, nil if it has none.
func erasureSecret(tx *bolt.Tx) []byte {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return nil
	}
	return meta.Get(keyErasureSecret)
}

// erasureTag is the key under which the erasure of the person with that id
// is recorded in a file whose erasure secret is secret.
func erasureTag(secret []byte, id int64) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	return hex.EncodeToString(mac.Sum(nil))[:erasureTagLen]
}

// recordErasure records in tx that the person with that id was erased at at.
func recordErasure(tx *bolt.Tx, id int64, at time.Time) error {
	secret := erasureSecret(tx)
	if len(secret) == 0 {
		return multaque.Errorf(multaque.EINTERNAL, "record erasure: the file has no erasure secret")
	}
	return tx.Bucket(bucketErased).Put([]byte(erasureTag(secret, id)), []byte(at.UTC().Format(time.RFC3339Nano)))
}

// erasureLog is what a file's erased bucket holds: the time of each
// erasure by its tag, and the secret the tags were made with.
type erasureLog struct {
	secret []byte
	at     map[string]string
}

// readErasures reads the erasure log of the file tx reads. A file without
// an erased bucket has an empty one.
func readErasures(tx *bolt.Tx) (erasureLog, error) {
	log := erasureLog{secret: append([]byte(nil), erasureSecret(tx)...), at: map[string]string{}}
	b := tx.Bucket(bucketErased)
	if b == nil {
		return log, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		log.at[string(k)] = string(v)
		return nil
	})
	return log, err
}

// since returns the erasures of l that older, the log of a file copied from
// an earlier state of the same database, does not hold: those made after
// the copy. An id erased, come back and erased again counts by its last
// erasure, whose time differs.
func (l erasureLog) since(older erasureLog) map[string]string {
	out := map[string]string{}
	for tag, at := range l.at {
		if older.at[tag] != at {
			out[tag] = at
		}
	}
	return out
}

// ErasedAt returns when the person with that id was last erased (/forget),
// the zero time if never. It reads only the erasure tag of the id: a
// person who comes back after /forget is known as one who was here, not as
// who they were. The bot uses it so that coming back does not count a
// referral twice nor let a proposal be sent again at once.
func (db *DB) ErasedAt(ctx context.Context, id int64) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var at time.Time
	err := db.bolt.View(func(tx *bolt.Tx) error {
		secret := erasureSecret(tx)
		if len(secret) == 0 {
			return nil
		}
		v := tx.Bucket(bucketErased).Get([]byte(erasureTag(secret, id)))
		if v == nil {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return multaque.Errorf(multaque.EINTERNAL, "erased: a time that cannot be read")
		}
		at = t
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("erased at: %w", err)
	}
	return at, nil
}

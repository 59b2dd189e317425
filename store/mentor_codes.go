package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Mentor invite codes: making them, checking them (and their maker, whose
// role they die with), voiding and purging them. The codes bucket is
// described in mentors.go.

// CreateMentorCode is CreateMentorCodeIn for a coordinator of every
// community: its mentor may cover any.
func (db *DB) CreateMentorCode(ctx context.Context, by int64, expires time.Time) (string, error) {
	return db.CreateMentorCodeIn(ctx, by, nil, expires)
}

// CreateMentorCodeIn stores a new one-time mentor invite code, created by
// the coordinator by, whose communities are scope (empty: every one), and
// valid until expires, and returns it: 26 random characters of a-z and 2-7
// (130 bits), usable as it is in a deep link (start=m_<code>). Whoever it
// makes a mentor gets scope as their Scope. by must be positive, expires
// set and scope valid ids (EINVALID).
func (db *DB) CreateMentorCodeIn(ctx context.Context, by int64, scope []string, expires time.Time) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if by <= 0 || expires.IsZero() {
		return "", multaque.Errorf(multaque.EINVALID, "mentor code: creator and expiry are required")
	}
	for i, id := range scope {
		if !multaque.ValidID(id) || slices.Contains(scope[:i], id) {
			return "", multaque.Errorf(multaque.EINVALID, "mentor code: bad scope %q", id)
		}
	}
	data, err := json.Marshal(inviteCode{Kind: codeKindMentor, By: by, Expires: expires, Scope: slices.Clone(scope)})
	if err != nil {
		return "", fmt.Errorf("create mentor code: %w", err)
	}
	var code string
	err = db.update(ctx, func(tx *bolt.Tx) (err error) {
		code, err = putNewCode(tx.Bucket(bucketCodes), data)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create mentor code: %w", err)
	}
	return code, nil
}

// CheckMentorCode reports whether code can still make someone a mentor at
// now: nil if so, an ENOTFOUND error if it is unknown or used, an EINVALID
// error with the message "expired" if it has expired. It changes nothing.
func (db *DB) CheckMentorCode(ctx context.Context, code string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		_, err := liveCode(tx, code, codeKindMentor, now)
		return err
	})
}

// MentorCodeMaker is CheckMentorCode that also says who created the live
// code and the scope it gives, so that the caller can check that its maker
// may still give it (is still a coordinator, over that scope): an invite
// dies with its maker's role.
func (db *DB) MentorCodeMaker(ctx context.Context, code string, now time.Time) (by int64, scope []string, err error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		ic, err := liveCode(tx, code, codeKindMentor, now)
		if err != nil {
			return err
		}
		by, scope = ic.By, slices.Clone(ic.Scope)
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("check mentor code: %w", err)
	}
	return by, scope, nil
}

// VoidMentorCode deletes the mentor code and every draft made for it, in
// one transaction: its maker can no longer give it. An unknown code is no
// error.
func (db *DB) VoidMentorCode(ctx context.Context, code string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketCodes)
		var ic inviteCode
		if data := codes.Get([]byte(code)); data == nil || json.Unmarshal(data, &ic) != nil || ic.Kind != codeKindMentor {
			return nil
		}
		if err := codes.Delete([]byte(code)); err != nil {
			return err
		}
		var drafts [][]byte
		err := tx.Bucket(bucketMentors).ForEach(func(k, v []byte) error {
			rec, err := decodeMentorRecord(k, v)
			if err == nil && rec.Draft == code {
				drafts = append(drafts, bytes.Clone(k))
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, k := range drafts {
			if err := tx.Bucket(bucketMentors).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("void mentor code: %w", err)
	}
	return nil
}

// liveCode returns the invite code of that kind, or an ENOTFOUND error if
// it is unknown, used or of another kind, or an EINVALID error with the
// message "expired". The code is kept out of error messages: it is a
// secret.
func liveCode(tx *bolt.Tx, code, kind string, now time.Time) (*inviteCode, error) {
	data := tx.Bucket(bucketCodes).Get([]byte(code))
	var ic inviteCode
	if data == nil || json.Unmarshal(data, &ic) != nil || ic.Kind != kind {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "%s code not found", kind)
	}
	if !now.Before(ic.Expires) {
		return nil, multaque.Errorf(multaque.EINVALID, errExpired)
	}
	return &ic, nil
}

// expiredCodes returns the keys of the codes of that kind that expired by
// now.
func expiredCodes(codes *bolt.Bucket, kind string, now time.Time) ([][]byte, error) {
	var out [][]byte
	err := codes.ForEach(func(k, v []byte) error {
		var ic inviteCode
		if json.Unmarshal(v, &ic) == nil && ic.Kind == kind && !now.Before(ic.Expires) {
			out = append(out, bytes.Clone(k))
		}
		return nil
	})
	return out, err
}

// putNewCode stores data under a new random code in the codes bucket and
// returns the code: 26 random characters of a-z and 2-7 (130 bits), usable
// as it is in a deep link.
func putNewCode(codes *bolt.Bucket, data []byte) (string, error) {
	for {
		code := strings.ToLower(rand.Text())
		if codes.Get([]byte(code)) == nil {
			return code, codes.Put([]byte(code), data)
		}
	}
}

// PurgeMentorCodes deletes the mentor codes that expired by now, and the
// drafts whose code is expired or gone, in one transaction, and returns how
// many codes and drafts it deleted. A draft holds a person's name: it must
// not outlive the invite it was for. PurgeExpired does this with the rest
// of what expires.
func (db *DB) PurgeMentorCodes(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		codes, drafts, err := purgeMentorCodes(tx, now)
		n = codes + drafts
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge mentor codes: %w", err)
	}
	return n, nil
}

// purgeMentorCodes deletes in tx the mentor codes that expired by now and
// the drafts whose code is expired or gone.
func purgeMentorCodes(tx *bolt.Tx, now time.Time) (codes, drafts int, err error) {
	expired, err := expiredCodes(tx.Bucket(bucketCodes), codeKindMentor, now)
	if err != nil {
		return 0, 0, err
	}
	for _, k := range expired {
		if err := tx.Bucket(bucketCodes).Delete(k); err != nil {
			return 0, 0, err
		}
	}
	var doomed [][]byte
	err = tx.Bucket(bucketMentors).ForEach(func(k, v []byte) error {
		rec, err := decodeMentorRecord(k, v)
		if err != nil || rec.Draft == "" {
			return err
		}
		if _, err := liveCode(tx, rec.Draft, codeKindMentor, now); err != nil {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, k := range doomed {
		if err := tx.Bucket(bucketMentors).Delete(k); err != nil {
			return 0, 0, err
		}
	}
	return len(expired), len(doomed), nil
}

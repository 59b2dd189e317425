package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The refcodes bucket maps a citizen's referral code to their id (8 bytes,
// big-endian). putCitizen keeps it in step with Citizen.RefCode.

const (
	refCodeLen      = 8 // of new codes: 36^8 ≈ 2.8e12 of them
	maxRefCodeLen   = 32
	refCodeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// validRefCode reports whether code is 1-maxRefCodeLen characters of
// refCodeAlphabet, which fits in a deep-link payload as it is.
func validRefCode(code string) bool {
	if code == "" || len(code) > maxRefCodeLen {
		return false
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// newRefCode returns a random code that is not in codes.
func newRefCode(codes *bolt.Bucket) string {
	for {
		if code := randomRefCode(); codes.Get([]byte(code)) == nil {
			return code
		}
	}
}

// randomRefCode returns refCodeLen characters drawn uniformly from
// refCodeAlphabet with crypto/rand, so that codes cannot be guessed from
// one another.
func randomRefCode() string {
	const n = len(refCodeAlphabet)
	const limit = 256 - 256%n // bytes from limit up would favour some letters
	code := make([]byte, 0, refCodeLen)
	var buf [16]byte
	for len(code) < refCodeLen {
		rand.Read(buf[:]) // never fails (Go ≥ 1.24 crashes the program instead)
		for _, b := range buf {
			if int(b) < limit && len(code) < refCodeLen {
				code = append(code, refCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(code)
}

// CitizenByRefCode returns the id of the citizen whose referral code is
// code, or an ENOTFOUND error.
func (db *DB) CitizenByRefCode(ctx context.Context, code string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRefCodes).Get([]byte(code))
		if len(v) != 8 {
			return multaque.Errorf(multaque.ENOTFOUND, "ref code not found")
		}
		id = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("citizen by ref code: %w", err)
	}
	return id, nil
}

// AddReferral counts one more person who started the bot from the link of
// the citizen whose referral code is code. It returns an ENOTFOUND error if
// no citizen has that code. It is not idempotent: callers count each update
// once (see RecordUpdate).
func (db *DB) AddReferral(ctx context.Context, code string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRefCodes).Get([]byte(code))
		if len(v) != 8 {
			return refuse(multaque.Errorf(multaque.ENOTFOUND, "ref code not found"))
		}
		id := int64(binary.BigEndian.Uint64(v))
		old, err := getCitizen(tx, id)
		switch {
		case err != nil:
			return refuse(err)
		case old == nil:
			return refuse(multaque.Errorf(multaque.EINTERNAL, "ref code of citizen %d has no citizen", id))
		}
		next := clone(old)
		next.Referrals++
		return putCitizen(tx, old, next)
	})
	if err != nil {
		return fmt.Errorf("add referral: %w", err)
	}
	return nil
}

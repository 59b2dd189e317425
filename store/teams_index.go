package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// Two indexes follow the teams bucket, kept by putTeam in the transaction
// that changes a team:
//
//   - teams_by_state: the team's state (its status, or "settled" for an
//     active team the Provisioner no longer follows), a 0 byte, the team
//     id → empty. The Provisioner reads only the teams forming or active
//     and not settled through it, so a pass does not grow with every team
//     ever formed.
//   - teams_by_member: a member's id (idKey), the team id → empty. /forget
//     and the consistency check find a person's teams through it, whatever
//     their interests say.
//
// Both are built from the teams when a file written before they existed is
// opened (schema version 3).

// stateSettled is the state, in teams_by_state, of an active team with
// SettledAt set.
const stateSettled = "settled"

// stateOf is t's state in teams_by_state.
func stateOf(t *multaque.Team) string {
	if t.Status == multaque.TeamActive && !t.SettledAt.IsZero() {
		return stateSettled
	}
	return string(t.Status)
}

// stateKey is the key of team id in teams_by_state.
func stateKey(state, id string) []byte {
	k := make([]byte, 0, len(state)+1+len(id))
	k = append(k, state...)
	k = append(k, 0)
	return append(k, id...)
}

// memberKey is the key of team id under citizen in teams_by_member.
func memberKey(citizen int64, id string) []byte {
	return append(idKey(citizen), id...)
}

// indexTeam moves team next (old before, nil for a new team) in both
// indexes.
func indexTeam(tx *bolt.Tx, old, next *multaque.Team) error {
	byState, byMember := tx.Bucket(bucketTeamsByState), tx.Bucket(bucketTeamsByMember)
	if old != nil && stateOf(old) != stateOf(next) {
		if err := byState.Delete(stateKey(stateOf(old), old.ID)); err != nil {
			return err
		}
	}
	if old == nil || stateOf(old) != stateOf(next) {
		if err := byState.Put(stateKey(stateOf(next), next.ID), nil); err != nil {
			return err
		}
	}
	if old != nil {
		for _, m := range old.Members {
			if !next.HasMember(m.Citizen) {
				if err := byMember.Delete(memberKey(m.Citizen, old.ID)); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range next.Members {
		if old == nil || !old.HasMember(m.Citizen) {
			if err := byMember.Put(memberKey(m.Citizen, next.ID), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// initTeamIndexes creates teams_by_state and teams_by_member, filling them
// from the teams for a file written before they existed.
func initTeamIndexes(tx *bolt.Tx) error {
	if tx.Bucket(bucketTeamsByState) != nil && tx.Bucket(bucketTeamsByMember) != nil {
		return nil
	}
	if _, err := tx.CreateBucketIfNotExists(bucketTeamsByState); err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bucketTeamsByMember); err != nil {
		return err
	}
	teams := tx.Bucket(bucketTeams)
	if teams == nil {
		return nil // a new file
	}
	return teams.ForEach(func(k, v []byte) error {
		t, err := decodeTeam(string(k), v)
		if err != nil {
			return err
		}
		return indexTeam(tx, nil, t)
	})
}

// TeamsNeedingWork returns the teams the Provisioner follows, oldest
// first: those forming, and those active and not settled. It reads only
// those (through teams_by_state), whatever the number of teams ever formed.
func (db *DB) TeamsNeedingWork(ctx context.Context) ([]*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	states := []string{string(multaque.TeamForming), string(multaque.TeamActive)}
	var out []*multaque.Team
	err := db.bolt.View(func(tx *bolt.Tx) error {
		teams := tx.Bucket(bucketTeams)
		byState := tx.Bucket(bucketTeamsByState)
		if byState == nil { // a version 2 file opened read-only: no index yet
			return teams.ForEach(func(k, v []byte) error {
				t, err := decodeTeam(string(k), v)
				if err == nil && slices.Contains(states, stateOf(t)) {
					out = append(out, t)
				}
				return err
			})
		}
		c := byState.Cursor()
		for _, s := range states {
			prefix := stateKey(s, "")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				id := string(k[len(prefix):])
				data := teams.Get([]byte(id))
				if data == nil {
					return multaque.Errorf(multaque.EINTERNAL, "teams_by_state names team %s, which is not stored", id)
				}
				t, err := decodeTeam(id, data)
				if err != nil {
					return err
				}
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("teams needing work: %w", err)
	}
	slices.SortFunc(out, func(a, b *multaque.Team) int { return teamNumber(a.ID) - teamNumber(b.ID) })
	return out, nil
}

// TeamsOfMember returns the teams citizen is a member of, oldest first,
// whatever their interests say.
func (db *DB) TeamsOfMember(ctx context.Context, citizen int64) ([]*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*multaque.Team
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ids := teamIDsOfMember(tx, citizen)
		for _, id := range ids {
			t, err := getTeam(tx, id)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("teams of member: %w", err)
	}
	return out, nil
}

// teamIDsOfMember lists the ids of the teams citizen is a member of.
func teamIDsOfMember(tx *bolt.Tx, citizen int64) []string {
	var ids []string
	prefix := idKey(citizen)
	b := tx.Bucket(bucketTeamsByMember)
	if b == nil { // a version 2 file opened read-only: no index yet
		return nil
	}
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	slices.SortFunc(ids, func(a, b string) int { return teamNumber(a) - teamNumber(b) })
	return ids
}

// memberOfKey splits a teams_by_member key.
func memberOfKey(k []byte) (int64, string, bool) {
	if len(k) <= 8 {
		return 0, "", false
	}
	return int64(binary.BigEndian.Uint64(k[:8])), string(k[8:]), true
}

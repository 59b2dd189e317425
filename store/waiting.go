package store

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	bolt "go.etcd.io/bbolt"
)

// The waiting bucket is the matcher's index of the people still waiting for
// a team. Its keys are
//
//	community/project/since/id
//
// with since the nanoseconds since 1970 of Interest.Since, zero-padded to 20
// digits so that keys sort by it, and id the citizen's id in decimal; values
// are empty. A citizen has one key per interest while multaque.Citizen.Waiting
// holds, and none otherwise. Communities and projects are ids without '/'
// (see validate), so a prefix "community/project/" selects exactly one queue.

// waitingKey is the key of one interest of a citizen.
func waitingKey(community, project string, since time.Time, id int64) string {
	b := make([]byte, 0, len(community)+len(project)+44)
	b = append(b, community...)
	b = append(b, '/')
	b = append(b, project...)
	b = append(b, '/')
	nanos := strconv.FormatInt(since.UnixNano(), 10)
	for range 20 - len(nanos) {
		b = append(b, '0')
	}
	b = append(b, nanos...)
	b = append(b, '/')
	b = strconv.AppendInt(b, id, 10)
	return string(b)
}

// queuePrefix selects the queue of one community for one project.
func queuePrefix(community, project string) []byte {
	return []byte(community + "/" + project + "/")
}

// waitingKeys returns the keys c should have in the waiting index.
func waitingKeys(c *multaque.Citizen) map[string]bool {
	if c == nil || !c.Waiting() {
		return nil
	}
	keys := make(map[string]bool, len(c.Interests))
	for _, in := range c.Interests {
		if in.Team != "" {
			continue // in a team for it: no longer waiting
		}
		keys[waitingKey(c.Community, in.Project, in.Since, c.ID)] = true
	}
	return keys
}

// updateWaiting changes the index from old's keys to next's, touching only
// the difference, so that an interest that stays keeps its key. The queue
// summaries follow.
func updateWaiting(tx *bolt.Tx, old, next *multaque.Citizen) error {
	b := tx.Bucket(bucketWaiting)
	before, after := waitingKeys(old), waitingKeys(next)
	for k := range before {
		if !after[k] {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			if err := leaveQueue(tx, []byte(k)); err != nil {
				return err
			}
		}
	}
	for k := range after {
		if !before[k] {
			if err := b.Put([]byte(k), nil); err != nil {
				return err
			}
			if err := joinQueue(tx, []byte(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseWaitingKey splits a key of the waiting index. ok is false for a key
// that is not one.
func parseWaitingKey(k []byte) (community, project string, since time.Time, id int64, ok bool) {
	parts := strings.Split(string(k), "/")
	if len(parts) != 4 {
		return "", "", time.Time{}, 0, false
	}
	nanos, err1 := strconv.ParseInt(parts[2], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", "", time.Time{}, 0, false
	}
	return parts[0], parts[1], time.Unix(0, nanos).UTC(), id, true
}

// CountWaiting returns, for each of projects, how many people of exactly
// that community (not of the communities inside it) are waiting for it.
// Every project asked for has an entry, zero when nobody waits (as for a
// community or project that is not a valid id).
func (db *DB) CountWaiting(ctx context.Context, community string, projects []string) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(projects))
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketWaiting).Cursor()
		for _, p := range projects {
			if _, done := counts[p]; done {
				continue
			}
			if !multaque.ValidID(community) || !multaque.ValidID(p) {
				counts[p] = 0 // no such key; a '/' would match another queue
				continue
			}
			prefix := queuePrefix(community, p)
			n := 0
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
			counts[p] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count waiting: %w", err)
	}
	return counts, nil
}

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The teams bucket maps a team id ("t" and a number from the bucket's
// sequence) to the team as JSON; teams_by_chat maps a team's Telegram group
// (8 bytes, big-endian, of the negative id) to its team id. A member's
// citizen record names the team in the interest it serves (Interest.Team),
// which takes that interest out of the waiting index: forming a team and
// taking its members out of the queues is one transaction.

// The items argument of the functions that change a team builds the outbox
// items that go with the change, from the team as it will be stored (with
// its id). It runs inside the transaction and must do nothing else; nil
// enqueues nothing. (It is a plain func type so that the packages that call
// these functions can declare them in their interfaces without importing
// store.)

// Team returns the team with that id, or an ENOTFOUND error.
func (db *DB) Team(ctx context.Context, id string) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *multaque.Team
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		t, err = getTeam(tx, id)
		return err
	})
	return t, err
}

// TeamByChat returns the team whose Telegram group is chat, or an
// ENOTFOUND error.
func (db *DB) TeamByChat(ctx context.Context, chat int64) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *multaque.Team
	err := db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTeamsByChat).Get(idKey(chat))
		if id == nil {
			return multaque.Errorf(multaque.ENOTFOUND, "no team in chat %d", chat)
		}
		var err error
		t, err = getTeam(tx, string(id))
		return err
	})
	return t, err
}

// Teams returns every team, oldest first.
func (db *DB) Teams(ctx context.Context) ([]*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*multaque.Team
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTeams).ForEach(func(k, v []byte) error {
			t, err := decodeTeam(string(k), v)
			if err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b *multaque.Team) int { return teamNumber(a.ID) - teamNumber(b.ID) })
	return out, err
}

// ForEachWaiting calls fn for every person waiting, queue by queue (sorted
// by community, project, then place in the queue), in one read
// transaction. fn must not call the store.
func (db *DB) ForEachWaiting(ctx context.Context, fn func(community, project string, since time.Time, citizen int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWaiting).ForEach(func(k, _ []byte) error {
			community, project, since, id, ok := parseWaitingKey(k)
			if !ok {
				return multaque.Errorf(multaque.EINTERNAL, "waiting index: malformed key")
			}
			return fn(community, project, since, id)
		})
	})
}

// FormTeam stores a new team of t.Members for t.Project, taking each of them
// out of the waiting queue for it, and enqueues items(team), all in one
// transaction. It gives the team its id, its creation time (now) and the
// forming status. A listed person who no longer waits for the project (they
// changed their mind, were erased, or are in a team for it already) is left
// out; if fewer than two remain, nothing is stored and an ECONFLICT error is
// returned, so running the matcher twice never forms a team twice.
func (db *DB) FormTeam(ctx context.Context, t multaque.Team, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Team
	err := db.update(ctx, func(tx *bolt.Tx) error {
		teams := tx.Bucket(bucketTeams)
		seq, err := teams.NextSequence()
		if err != nil {
			return err
		}
		team := t
		team.ID = "t" + strconv.FormatUint(seq, 10)
		team.Status, team.CreatedAt, team.UpdatedAt = multaque.TeamForming, now, now
		team.Members = nil
		for _, m := range t.Members {
			ok, err := takeFromQueue(tx, m.Citizen, team.Project, team.ID)
			if err != nil {
				return err
			}
			if ok {
				team.Members = append(team.Members, multaque.TeamMember{Citizen: m.Citizen, JoinedAt: now})
			}
		}
		if len(team.Members) < 2 {
			return multaque.Errorf(multaque.ECONFLICT, "form team for %s/%s: %d of %d people still wait", team.Community, team.Project, len(team.Members), len(t.Members))
		}
		if err := putTeam(tx, nil, &team, items, now); err != nil {
			return err
		}
		out = &team
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("form team: %w", err)
	}
	return out, nil
}

// JoinTeam adds citizens who wait for the team's project to the team, taking
// them out of the queue, and enqueues items(team), in one transaction. Those
// who no longer wait are left out; if none is left, ECONFLICT.
func (db *DB) JoinTeam(ctx context.Context, id string, citizens []int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	return db.UpdateTeam(ctx, id, now, func(tx *bolt.Tx, t *multaque.Team) error {
		if t.Status == multaque.TeamClosed {
			return multaque.Errorf(multaque.ECONFLICT, "team %s is closed", t.ID)
		}
		added := 0
		for _, c := range citizens {
			if t.HasMember(c) || c == t.Mentor {
				continue
			}
			ok, err := takeFromQueue(tx, c, t.Project, t.ID)
			if err != nil {
				return err
			}
			if ok {
				t.Members = append(t.Members, multaque.TeamMember{Citizen: c, JoinedAt: now})
				added++
			}
		}
		if added == 0 {
			return multaque.Errorf(multaque.ECONFLICT, "team %s: none of %d still waits", t.ID, len(citizens))
		}
		return nil
	}, items)
}

// LeaveTeam takes citizen out of the team and puts them back in the queue for
// its project, at the end (a new place), and enqueues items(team). It returns
// ENOTFOUND if they are not a member.
func (db *DB) LeaveTeam(ctx context.Context, id string, citizen int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	return db.UpdateTeam(ctx, id, now, func(tx *bolt.Tx, t *multaque.Team) error {
		i := slices.IndexFunc(t.Members, func(m multaque.TeamMember) bool { return m.Citizen == citizen })
		if i < 0 {
			return multaque.Errorf(multaque.ENOTFOUND, "citizen %d is not in team %s", citizen, t.ID)
		}
		t.Members = slices.Delete(t.Members, i, i+1)
		if !slices.Contains(t.Left, citizen) {
			t.Left = append(t.Left, citizen) // never matched into it again
		}
		c, err := getCitizen(tx, citizen)
		if err != nil || c == nil {
			return err
		}
		next := clone(c)
		for j, in := range next.Interests {
			if in.Team == t.ID {
				next.Interests[j].Team, next.Interests[j].Since = "", now
			}
		}
		next.UpdatedAt = now
		return putCitizen(tx, c, next)
	}, items)
}

// UpdateTeam applies fn to the team with that id and stores it, with the
// outbox items(team), in one write transaction; fn may also change other
// records through tx. The index of teams by chat follows the team's Chat.
// ENOTFOUND if there is no such team; fn's error aborts everything.
func (db *DB) UpdateTeam(ctx context.Context, id string, now time.Time, fn func(tx *bolt.Tx, t *multaque.Team) error, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Team
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getTeam(tx, id)
		if err != nil {
			return err
		}
		next := cloneTeam(old)
		if err := fn(tx, next); err != nil {
			return err
		}
		next.UpdatedAt = now
		if err := putTeam(tx, old, next, items, now); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update team %s: %w", id, err)
	}
	return out, nil
}

// AssignMentor makes mentor the mentor of the team, which must have none and
// not be closed (else ECONFLICT), and enqueues items(team), in one
// transaction.
func (db *DB) AssignMentor(ctx context.Context, id string, mentor int64, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	return db.UpdateTeam(ctx, id, now, func(_ *bolt.Tx, t *multaque.Team) error {
		switch {
		case t.Status == multaque.TeamClosed:
			return multaque.Errorf(multaque.ECONFLICT, "team %s is closed", t.ID)
		case t.Mentor != 0:
			return multaque.Errorf(multaque.ECONFLICT, "team %s has a mentor", t.ID)
		case t.HasMember(mentor):
			return multaque.Errorf(multaque.ECONFLICT, "team %s: the mentor is a member", t.ID)
		}
		t.Mentor = mentor
		return nil
	}, items)
}

// takeFromQueue marks citizen's interest in project as served by team,
// which takes it out of the waiting index. It reports false when they do
// not wait for it.
func takeFromQueue(tx *bolt.Tx, citizen int64, project, team string) (bool, error) {
	c, err := getCitizen(tx, citizen)
	if err != nil || c == nil || !c.Waiting() {
		return false, err
	}
	in, ok := c.Interest(project)
	if !ok || in.Team != "" {
		return false, nil
	}
	next := clone(c)
	for i := range next.Interests {
		if next.Interests[i].Project == project {
			next.Interests[i].Team = team
		}
	}
	return true, putCitizen(tx, c, next)
}

// putTeam stores next in place of old (nil for a new team), keeps the chat
// index in step and enqueues items(next).
func putTeam(tx *bolt.Tx, old, next *multaque.Team, items func(t *multaque.Team) []multaque.OutboxItem, now time.Time) error {
	if !next.SettledAt.IsZero() && (next.Status != multaque.TeamActive || old != nil && gainedMember(old, next)) {
		next.SettledAt = time.Time{} // the Provisioner follows it again
	}
	if err := next.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("encode team %s: %w", next.ID, err)
	}
	if err := tx.Bucket(bucketTeams).Put([]byte(next.ID), data); err != nil {
		return err
	}
	if old == nil {
		if err := grantBonuses(tx, next, now); err != nil { // funds.go: a fund's critical-mass bonus
			return err
		}
	}
	if err := indexTeam(tx, old, next); err != nil {
		return err
	}
	byChat := tx.Bucket(bucketTeamsByChat)
	if old != nil && old.Chat != 0 && old.Chat != next.Chat {
		if err := byChat.Delete(idKey(old.Chat)); err != nil {
			return err
		}
	}
	if next.Chat != 0 {
		if err := byChat.Put(idKey(next.Chat), []byte(next.ID)); err != nil {
			return err
		}
	}
	if items == nil {
		return nil
	}
	for _, it := range items(next) {
		if _, err := enqueueTx(tx, &it, now); err != nil {
			return err
		}
	}
	return nil
}

func getTeam(tx *bolt.Tx, id string) (*multaque.Team, error) {
	data := tx.Bucket(bucketTeams).Get([]byte(id))
	if data == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "no team %q", id)
	}
	return decodeTeam(id, data)
}

func decodeTeam(id string, data []byte) (*multaque.Team, error) {
	var t multaque.Team
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "team %s: stored record is not valid JSON", id)
	}
	return &t, nil
}

func cloneTeam(t *multaque.Team) *multaque.Team {
	out := *t
	out.Members = slices.Clone(t.Members)
	out.Left = slices.Clone(t.Left)
	return &out
}

// teamNumber is the sequence number in a team id, for ordering.
func teamNumber(id string) int {
	n, _ := strconv.Atoi(id[1:])
	return n
}

// forgetInTeams takes an erased citizen out of the teams they are in: those
// the member index names, whatever their interests say (an interest may
// have been dropped while its team still listed them), and drops the join
// requests of theirs that wait for an answer.
func forgetInTeams(tx *bolt.Tx, c *multaque.Citizen, now time.Time) error {
	ids := teamIDsOfMember(tx, c.ID)
	for _, in := range c.Interests {
		if in.Team != "" && !slices.Contains(ids, in.Team) {
			ids = append(ids, in.Team)
		}
	}
	for _, id := range ids {
		old, err := getTeam(tx, id)
		if multaque.ErrorCode(err) == multaque.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if !old.HasMember(c.ID) {
			continue
		}
		next := cloneTeam(old)
		next.Members = slices.DeleteFunc(next.Members, func(m multaque.TeamMember) bool { return m.Citizen == c.ID })
		next.UpdatedAt = now
		if err := putTeam(tx, old, next, nil, now); err != nil {
			return err
		}
	}
	return forgetJoins(tx, c.ID)
}

// gainedMember reports whether next has a member old did not.
func gainedMember(old, next *multaque.Team) bool {
	for _, m := range next.Members {
		if !old.HasMember(m.Citizen) {
			return true
		}
	}
	return false
}

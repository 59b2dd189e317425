package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The pool bucket maps a supergroup's id (idKey: 8 bytes, big-endian, of
// the negative id) to the JSON of its multaque.PoolGroup. A used group
// names its team, and the team names the group (Team.Chat, indexed in
// teams_by_chat): claiming a group and giving it to a team is one
// transaction, and so is breaking a group and taking it from its team.

// AddPoolGroup puts the group g.Chat in the pool as free, added by
// g.AddedBy at now, and returns it as stored. It is idempotent: a group
// already free stays as it was, and a group that is the chat of a team
// that is not closed stays used by it (a coordinator promoting the bot in a
// team's group again changes nothing). A broken group becomes free again:
// the bot is back with the rights it needs. EINVALID if g is not a group
// id or has no AddedBy.
func (db *DB) AddPoolGroup(ctx context.Context, g multaque.PoolGroup, now time.Time) (*multaque.PoolGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.PoolGroup
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getPoolGroup(tx, g.Chat)
		if err != nil {
			return err
		}
		next := &multaque.PoolGroup{Chat: g.Chat, Title: g.Title, AddedBy: g.AddedBy, AddedAt: now, Status: multaque.PoolFree, UpdatedAt: now}
		if old != nil && old.Status != multaque.PoolBroken {
			next.AddedBy, next.AddedAt = old.AddedBy, old.AddedAt // keeps its place in the order of claims
		}
		if t, err := teamInChat(tx, g.Chat); err != nil {
			return err
		} else if t != nil && t.Status != multaque.TeamClosed {
			next.Status, next.Team = multaque.PoolUsed, t.ID
		}
		if old != nil && *old == *next {
			out = old
			return nil
		}
		if err := putPoolGroup(tx, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add pool group %d: %w", g.Chat, err)
	}
	return out, nil
}

// PoolGroups returns every group of the pool, the oldest added first.
func (db *DB) PoolGroups(ctx context.Context) ([]multaque.PoolGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.PoolGroup
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = poolGroups(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pool groups: %w", err)
	}
	return out, nil
}

// PoolCounts returns how many groups of the pool are in each status.
func (db *DB) PoolCounts(ctx context.Context) (map[multaque.PoolStatus]int, error) {
	groups, err := db.PoolGroups(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[multaque.PoolStatus]int{multaque.PoolFree: 0, multaque.PoolUsed: 0, multaque.PoolBroken: 0}
	for _, g := range groups {
		counts[g.Status]++
	}
	return counts, nil
}

// ClaimPoolGroup gives the team with that id the oldest free group of the
// pool that fits it, and enqueues items(team, free) with free the number of
// groups still free (fitting it or not), in one transaction. fits says
// whether a free group may serve this team (the bot knows who added it and
// whom they oversee; the store does not); nil means every free group fits.
// It runs inside the write transaction, so it must not use the store. A
// team that has a group already is returned as it is, so that claiming
// twice claims once. If no free group fits, nothing is written and the team
// is returned with Chat 0. ENOTFOUND if there is no such team, ECONFLICT if
// it is not forming.
func (db *DB) ClaimPoolGroup(ctx context.Context, id string, now time.Time, fits func(g multaque.PoolGroup) bool, items func(t *multaque.Team, free int) []multaque.OutboxItem) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Team
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getTeam(tx, id)
		if err != nil {
			return err
		}
		out = old
		switch {
		case old.Chat != 0:
			return nil
		case old.Status != multaque.TeamForming:
			return multaque.Errorf(multaque.ECONFLICT, "team %s is %s", id, old.Status)
		}
		groups, err := poolGroups(tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(groups, func(g multaque.PoolGroup) bool {
			return g.Status == multaque.PoolFree && (fits == nil || fits(g))
		})
		if i < 0 {
			return nil
		}
		free := -1 // the one claimed
		for _, g := range groups {
			if g.Status == multaque.PoolFree {
				free++
			}
		}
		g := groups[i]
		g.Status, g.Team, g.UpdatedAt = multaque.PoolUsed, id, now
		if err := putPoolGroup(tx, &g); err != nil {
			return err
		}
		next := cloneTeam(old)
		next.Chat, next.InviteLink, next.Setup, next.Welcome = g.Chat, "", multaque.SetupNone, 0
		next.UpdatedAt = now
		var build func(t *multaque.Team) []multaque.OutboxItem
		if items != nil {
			build = func(t *multaque.Team) []multaque.OutboxItem { return items(t, free) }
		}
		if err := putTeam(tx, old, next, build, now); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim pool group for team %s: %w", id, err)
	}
	return out, nil
}

// BreakPoolGroup records that the group chat can no longer serve a team
// (it was deleted, or the bot was removed or demoted), for reason: the
// group is marked broken, and the team that is not closed and uses it, if
// any, loses it (its chat, invite link and setup, and who is in the group)
// and is forming again, so that it is provisioned anew on another group;
// items(team) is enqueued with that change. All in one transaction. It
// returns that team, or nil if no team used the group. A group unknown to
// the pool, or broken already, is not an error.
func (db *DB) BreakPoolGroup(ctx context.Context, chat int64, reason string, now time.Time, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(reason) > multaque.MaxPoolReasonLen {
		reason = reason[:multaque.MaxPoolReasonLen]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1] // do not cut a character in two
		}
	}
	var out *multaque.Team
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		g, err := getPoolGroup(tx, chat)
		if err != nil {
			return err
		}
		if g != nil && g.Status != multaque.PoolBroken {
			g.Status, g.Team, g.Reason, g.UpdatedAt = multaque.PoolBroken, "", reason, now
			if err := putPoolGroup(tx, g); err != nil {
				return err
			}
		}
		old, err := teamInChat(tx, chat)
		if err != nil || old == nil || old.Status == multaque.TeamClosed {
			return err
		}
		next := cloneTeam(old)
		next.Status, next.Chat, next.InviteLink = multaque.TeamForming, 0, ""
		next.Setup, next.Welcome, next.ActiveSince = multaque.SetupNone, 0, time.Time{}
		for i := range next.Members {
			next.Members[i].InChat, next.Members[i].RemindedAt = false, time.Time{}
		}
		next.UpdatedAt = now
		if err := putTeam(tx, old, next, items, now); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("break pool group %d: %w", chat, err)
	}
	return out, nil
}

// UpdateTeamGroup applies fn to the team with that id, if its group is
// still chat, and stores it with the outbox items(team), in one write
// transaction. It is how what happens in a team's group is recorded: a
// provisioning step, someone joining. ECONFLICT if the team's group is no
// longer chat (it broke meanwhile and the team moved on), ENOTFOUND if
// there is no such team; fn's error aborts everything.
func (db *DB) UpdateTeamGroup(ctx context.Context, id string, chat int64, now time.Time, fn func(t *multaque.Team) error, items func(t *multaque.Team) []multaque.OutboxItem) (*multaque.Team, error) {
	return db.UpdateTeam(ctx, id, now, func(_ *bolt.Tx, t *multaque.Team) error {
		if t.Chat != chat || chat == 0 {
			return multaque.Errorf(multaque.ECONFLICT, "team %s is no longer in chat %d", id, chat)
		}
		return fn(t)
	}, items)
}

// teamInChat returns the team whose group is chat, or nil.
func teamInChat(tx *bolt.Tx, chat int64) (*multaque.Team, error) {
	id := tx.Bucket(bucketTeamsByChat).Get(idKey(chat))
	if id == nil {
		return nil, nil
	}
	return getTeam(tx, string(id))
}

// getPoolGroup returns the group chat of the pool, or nil.
func getPoolGroup(tx *bolt.Tx, chat int64) (*multaque.PoolGroup, error) {
	data := tx.Bucket(bucketPool).Get(idKey(chat))
	if data == nil {
		return nil, nil
	}
	return decodePoolGroup(chat, data)
}

func decodePoolGroup(chat int64, data []byte) (*multaque.PoolGroup, error) {
	var g multaque.PoolGroup
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, multaque.Errorf(multaque.EINTERNAL, "pool group %d: stored record is not valid JSON", chat)
	}
	return &g, nil
}

func putPoolGroup(tx *bolt.Tx, g *multaque.PoolGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode pool group %d: %w", g.Chat, err)
	}
	return tx.Bucket(bucketPool).Put(idKey(g.Chat), data)
}

// poolGroups reads the whole pool, oldest added first (then by id, for a
// stable order). The pool holds tens or hundreds of groups.
func poolGroups(tx *bolt.Tx) ([]multaque.PoolGroup, error) {
	var out []multaque.PoolGroup
	err := tx.Bucket(bucketPool).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return multaque.Errorf(multaque.EINTERNAL, "pool: malformed key")
		}
		g, err := decodePoolGroup(int64(binary.BigEndian.Uint64(k)), v)
		if err != nil {
			return err
		}
		out = append(out, *g)
		return nil
	})
	slices.SortFunc(out, func(a, b multaque.PoolGroup) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Chat, b.Chat)
	})
	return out, err
}

// MigrateGroup follows the upgrade of the basic group from to the
// supergroup to (Telegram gives the group a new id): the pool's record, the
// team that uses it and the join requests waiting for an answer move to the
// new id, all in one transaction, and nothing else changes (setup steps,
// who is in the group, the invite link: Telegram keeps them). It returns
// the team that moved, or nil. Migrating twice, or a group the bot does not
// know, is not an error. EINVALID if from or to is not a group id.
func (db *DB) MigrateGroup(ctx context.Context, from, to int64, now time.Time) (*multaque.Team, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if from >= 0 || to >= 0 || from == to {
		return nil, multaque.Errorf(multaque.EINVALID, "migrate group %d to %d: not two group ids", from, to)
	}
	var out *multaque.Team
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		g, err := getPoolGroup(tx, from)
		if err != nil {
			return err
		}
		if g != nil {
			if err := tx.Bucket(bucketPool).Delete(idKey(from)); err != nil {
				return err
			}
			moved := *g
			moved.Chat, moved.UpdatedAt = to, now
			if cur, err := getPoolGroup(tx, to); err != nil {
				return err
			} else if cur != nil && cur.Status == multaque.PoolUsed && moved.Status != multaque.PoolUsed {
				moved = *cur // the new id is known already, and used: it stays so
			}
			if err := putPoolGroup(tx, &moved); err != nil {
				return err
			}
		}
		if err := moveJoins(tx, from, to); err != nil {
			return err
		}
		old, err := teamInChat(tx, from)
		if err != nil || old == nil {
			return err
		}
		if other, err := teamInChat(tx, to); err != nil {
			return err
		} else if other != nil && other.ID != old.ID {
			return multaque.Errorf(multaque.ECONFLICT, "group %d is team %s's already", to, other.ID)
		}
		next := cloneTeam(old)
		next.Chat, next.UpdatedAt = to, now
		if err := putTeam(tx, old, next, nil, now); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate group %d to %d: %w", from, to, err)
	}
	return out, nil
}

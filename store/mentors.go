package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The mentors bucket maps a mentor's Telegram id (8 bytes, big-endian) to
// their record as JSON: a multaque.Mentor, plus, while the person is still
// accepting an invite, the invite code as "draft". A draft is not a mentor
// yet: Mentor, Mentors, UpdateMentor and MentorLoads never see one. It
// exists so that an onboarding survives a restart, and it is written only
// after the person agreed to be shown to coordinators and teams.
//
// The codes bucket maps a one-time invite code to JSON {kind, by, expires}.
// Mentor invites are of kind "mentor"; other kinds may share the bucket.

// codeKindMentor is the kind of the codes that make someone a mentor.
const codeKindMentor = "mentor"

// errExpired is the message of the EINVALID error for an expired code.
const errExpired = "expired"

// inviteCode is a one-time code as the codes bucket holds it.
type inviteCode struct {
	Kind    string    `json:"kind"`
	By      int64     `json:"by"` // the coordinator who created it
	Expires time.Time `json:"expires"`
	// Scope are the communities of its creator when they created it, for
	// a mentor code: the mentor's Scope. Empty means every community.
	Scope []string `json:"scope,omitempty"`
}

// mentorRecord is a value of the mentors bucket.
type mentorRecord struct {
	multaque.Mentor
	// Draft is the invite code being accepted; "" for a mentor.
	Draft string `json:"draft,omitempty"`
}

// RedeemMentorCode makes m a mentor through code, in one transaction: the
// code must be unused (else ENOTFOUND) and not expired at now (else EINVALID
// "expired"); it is deleted, and m is stored, joined at now, in place of
// any draft of theirs, with the code's scope as theirs whatever m.Scope
// says. m must be valid (EINVALID), and within that scope name at least
// one community (EINVALID: whether they lie within it is the caller's to
// check, against the catalogue); it must not be a mentor already
// (ECONFLICT). The code is left unused when m is refused.
//
// When the code can no longer be redeemed, a draft of m.ID for that very
// code is deleted (it can never be finished) and the error returned.
func (db *DB) RedeemMentorCode(ctx context.Context, code string, m multaque.Mentor, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.JoinedAt = now
	if err := m.Validate(); err != nil {
		return err
	}
	var refused error
	err := db.update(ctx, func(tx *bolt.Tx) error {
		mentors, key := tx.Bucket(bucketMentors), idKey(m.ID)
		old, err := getMentorRecord(tx, m.ID)
		if err != nil {
			return err
		}
		if old != nil && old.Draft == "" {
			refused = multaque.Errorf(multaque.ECONFLICT, "%d is a mentor already", m.ID)
			return nil
		}
		ic, err := liveCode(tx, code, codeKindMentor, now)
		if err != nil {
			refused = err
			if old != nil && old.Draft == code {
				return mentors.Delete(key)
			}
			return nil
		}
		m.Scope = ic.Scope
		if err := checkMentorScope(&m); err != nil {
			refused = err
			return nil
		}
		data, err := json.Marshal(mentorRecord{Mentor: m})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketCodes).Delete([]byte(code)); err != nil {
			return err
		}
		return mentors.Put(key, data)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return fmt.Errorf("redeem mentor code: %w", err)
	}
	return nil
}

// SaveMentorDraft keeps m as the draft of a person accepting the mentor
// invite code, replacing any draft of theirs, with the code's scope as
// theirs whatever m.Scope says. The code must be live (the errors of
// CheckMentorCode), m valid (EINVALID) and not a mentor already
// (ECONFLICT). The code is not used up: RedeemMentorCode does that.
func (db *DB) SaveMentorDraft(ctx context.Context, code string, m multaque.Mentor, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		ic, err := liveCode(tx, code, codeKindMentor, now)
		if err != nil {
			return err
		}
		m.Scope = ic.Scope
		data, err := json.Marshal(mentorRecord{Mentor: m, Draft: code})
		if err != nil {
			return err
		}
		old, err := getMentorRecord(tx, m.ID)
		if err != nil {
			return err
		}
		if old != nil && old.Draft == "" {
			return multaque.Errorf(multaque.ECONFLICT, "%d is a mentor already", m.ID)
		}
		return tx.Bucket(bucketMentors).Put(idKey(m.ID), data)
	})
	if err != nil {
		return fmt.Errorf("save mentor draft: %w", err)
	}
	return nil
}

// MentorDraft returns the draft of the person with that id and the invite
// code it is for, or an ENOTFOUND error if they have none (a mentor has
// none).
func (db *DB) MentorDraft(ctx context.Context, id int64) (*multaque.Mentor, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	var rec *mentorRecord
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = getMentorRecord(tx, id)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("mentor draft %d: %w", id, err)
	}
	if rec == nil || rec.Draft == "" {
		return nil, "", multaque.Errorf(multaque.ENOTFOUND, "no mentor draft for %d", id)
	}
	return &rec.Mentor, rec.Draft, nil
}

// UpdateMentorDraft applies fn to the draft of the person with that id and
// stores it, in one transaction. ENOTFOUND if they have no draft; fn's
// error aborts the change; the result must be valid with the same id and
// scope (EINVALID).
func (db *DB) UpdateMentorDraft(ctx context.Context, id int64, fn func(m *multaque.Mentor) error) (*multaque.Mentor, error) {
	return db.updateMentorRecord(ctx, id, true, fn)
}

// Mentor returns the mentor with that id, or an ENOTFOUND error. A person
// still accepting an invite is not a mentor yet.
func (db *DB) Mentor(ctx context.Context, id int64) (*multaque.Mentor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec *mentorRecord
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = getMentorRecord(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mentor %d: %w", id, err)
	}
	if rec == nil || rec.Draft != "" {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "mentor %d not found", id)
	}
	return &rec.Mentor, nil
}

// SaveMentor stores m as a mentor, replacing their record or draft. m must
// be valid, and name a community if it has a scope (EINVALID).
func (db *DB) SaveMentor(ctx context.Context, m multaque.Mentor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkMentorScope(&m); err != nil {
		return err
	}
	data, err := json.Marshal(mentorRecord{Mentor: m})
	if err != nil {
		return fmt.Errorf("save mentor %d: %w", m.ID, err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMentors).Put(idKey(m.ID), data)
	})
	if err != nil {
		return fmt.Errorf("save mentor %d: %w", m.ID, err)
	}
	return nil
}

// UpdateMentor applies fn to the mentor with that id and stores the result,
// in one transaction, and returns it. ENOTFOUND if there is no such mentor;
// fn's error aborts the change; the result must be valid with the same id
// and scope, and name a community if it has a scope (EINVALID).
func (db *DB) UpdateMentor(ctx context.Context, id int64, fn func(m *multaque.Mentor) error) (*multaque.Mentor, error) {
	return db.updateMentorRecord(ctx, id, false, fn)
}

// updateMentorRecord is UpdateMentor (draft false) and UpdateMentorDraft.
func (db *DB) updateMentorRecord(ctx context.Context, id int64, draft bool, fn func(m *multaque.Mentor) error) (*multaque.Mentor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	what := "mentor"
	if draft {
		what = "mentor draft"
	}
	var out *multaque.Mentor
	err := db.update(ctx, func(tx *bolt.Tx) error {
		rec, err := getMentorRecord(tx, id)
		if err != nil {
			return err
		}
		if rec == nil || (rec.Draft != "") != draft {
			return multaque.Errorf(multaque.ENOTFOUND, "%s %d not found", what, id)
		}
		scope := slices.Clone(rec.Scope)
		if err := fn(&rec.Mentor); err != nil {
			return err
		}
		if rec.ID != id {
			return multaque.Errorf(multaque.EINVALID, "%s %d: the id cannot change", what, id)
		}
		if !slices.Equal(rec.Scope, scope) {
			return multaque.Errorf(multaque.EINVALID, "%s %d: the scope cannot change", what, id)
		}
		if err := rec.Validate(); err != nil {
			return err
		}
		if !draft {
			if err := checkMentorScope(&rec.Mentor); err != nil {
				return err
			}
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		out = &rec.Mentor
		return tx.Bucket(bucketMentors).Put(idKey(id), data)
	})
	if err != nil {
		return nil, fmt.Errorf("update %s %d: %w", what, id, err)
	}
	return out, nil
}

// Mentors returns every mentor, by id. Drafts are left out.
func (db *DB) Mentors(ctx context.Context) ([]multaque.Mentor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Mentor
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMentors).ForEach(func(k, v []byte) error {
			rec, err := decodeMentorRecord(k, v)
			if err != nil {
				return err
			}
			if rec.Draft == "" {
				out = append(out, rec.Mentor)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("mentors: %w", err)
	}
	return out, nil
}

// MentorLoads counts, for each mentor who has any, the teams they mentor
// that are not closed: their load, which the matcher weighs against their
// capacity.
func (db *DB) MentorLoads(ctx context.Context) (map[int64]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loads := map[int64]int{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTeams).ForEach(func(k, v []byte) error {
			t, err := decodeTeam(string(k), v)
			if err != nil {
				return err
			}
			if t.Mentor != 0 && t.Status != multaque.TeamClosed {
				loads[t.Mentor]++
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("mentor loads: %w", err)
	}
	return loads, nil
}

// checkMentorScope refuses a mentor with a scope but no community: empty
// communities mean everywhere, which would take them outside it.
func checkMentorScope(m *multaque.Mentor) error {
	if len(m.Scope) > 0 && len(m.Communities) == 0 {
		return multaque.Errorf(multaque.EINVALID, "mentor %d: a mentor with a scope must name communities", m.ID)
	}
	return nil
}

func getMentorRecord(tx *bolt.Tx, id int64) (*mentorRecord, error) {
	key := idKey(id)
	data := tx.Bucket(bucketMentors).Get(key)
	if data == nil {
		return nil, nil
	}
	return decodeMentorRecord(key, data)
}

func decodeMentorRecord(key, data []byte) (*mentorRecord, error) {
	var rec mentorRecord
	if len(key) != 8 || json.Unmarshal(data, &rec) != nil {
		// json's message may quote the data: keep it out of the error.
		return nil, multaque.Errorf(multaque.EINTERNAL, "mentors: record %x is malformed", key)
	}
	return &rec, nil
}

// heldAsMentor adds to out, by person, what is held about each person of
// set as a mentor: their record or draft, and the invite codes they created
// as a coordinator. The codes are walked once for the whole set.
func heldAsMentor(tx *bolt.Tx, set personSet, out map[int64][]holding) error {
	mentors := tx.Bucket(bucketMentors)
	for id := range set {
		if key := idKey(id); mentors.Get(key) != nil {
			out[id] = append(out[id], holding{bucketMentors, key})
		}
	}
	return tx.Bucket(bucketCodes).ForEach(func(k, v []byte) error {
		var ic inviteCode
		if json.Unmarshal(v, &ic) == nil && set[ic.By] {
			out[ic.By] = append(out[ic.By], holding{bucketCodes, bytes.Clone(k)})
		}
		return nil
	})
}

// forgetMentorInTeams takes the erased people of set out of the teams they
// mentor: those still open look for another mentor (Team.NeedsMentor), and
// closed ones no longer name them; and out of the lists of who left a team
// (Team.Left). It returns, by the owner of the teams' messages
// ("team/<id>"), the names of the erased mentors of those teams, for
// scrubNames.
func forgetMentorInTeams(tx *bolt.Tx, set personSet, now time.Time) (map[string][]string, error) {
	var mentored []*multaque.Team
	left := func(id int64) bool { return set[id] }
	err := tx.Bucket(bucketTeams).ForEach(func(k, v []byte) error {
		t, err := decodeTeam(string(k), v)
		if err == nil && (t.Mentor != 0 && set[t.Mentor] || slices.ContainsFunc(t.Left, left)) {
			mentored = append(mentored, t)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	names := map[string][]string{}
	for _, old := range mentored {
		next := cloneTeam(old)
		if set[next.Mentor] {
			rec, err := getMentorRecord(tx, next.Mentor)
			if err != nil {
				return nil, err
			}
			if rec != nil && rec.Name != "" {
				names["team/"+next.ID] = append(names["team/"+next.ID], rec.Name)
			}
			next.Mentor = 0
		}
		next.Left = slices.DeleteFunc(next.Left, left)
		next.UpdatedAt = now
		if err := putTeam(tx, old, next, nil, now); err != nil {
			return nil, err
		}
	}
	return names, nil
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// The proposals bucket holds, under key prefixes:
//
//	p/<id>           the multaque.Proposal as JSON (id: 8 bytes, big-endian,
//	                 from the bucket's sequence)
//	o/<person>       the id of the person's open proposal (draft, pending or
//	                 sent back for changes): at most one each
//	j/<project>      the id of the approved proposal that became project
//	n/<coordinator>  the multaque.ProposalNote a coordinator is typing
//
// (person and coordinator as 8 bytes, big-endian, like the other buckets).
var (
	prefixProposal     = []byte("p/")
	prefixOpenProposal = []byte("o/")
	prefixProjectOf    = []byte("j/")
	prefixProposalNote = []byte("n/")
)

func proposalKey(id uint64) []byte    { return append(bytes.Clone(prefixProposal), u64(id)...) }
func openKey(person int64) []byte     { return append(bytes.Clone(prefixOpenProposal), idKey(person)...) }
func projectKey(id string) []byte     { return append(bytes.Clone(prefixProjectOf), id...) }
func proposalNoteKey(id int64) []byte { return append(bytes.Clone(prefixProposalNote), idKey(id)...) }

// maxProjectSuffix bounds the search for a free project id: "name",
// "name-2", … "name-99".
const maxProjectSuffix = 99

// Proposal returns the proposal with that id, or an ENOTFOUND error.
func (db *DB) Proposal(ctx context.Context, id uint64) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var p *multaque.Proposal
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		p, err = getProposal(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("proposal %d: %w", id, err)
	}
	return p, nil
}

// OpenProposal returns the person's proposal that is a draft, pending or
// sent back for changes, or an ENOTFOUND error if they have none.
func (db *DB) OpenProposal(ctx context.Context, person int64) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var p *multaque.Proposal
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		p, err = openProposal(tx, person)
		if err == nil && p == nil {
			err = multaque.Errorf(multaque.ENOTFOUND, "no open proposal")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open proposal of %d: %w", person, err)
	}
	return p, nil
}

// ProposalTyping returns, in one read, what the person's next typed
// message may answer: their open proposal if it waits for typed text (nil
// otherwise), and the note they are typing as a coordinator (nil if none).
// It is asked for every text message, before the survey sees it.
func (db *DB) ProposalTyping(ctx context.Context, person int64) (*multaque.Proposal, *multaque.ProposalNote, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var p *multaque.Proposal
	var n *multaque.ProposalNote
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProposals)
		if v := b.Get(proposalNoteKey(person)); v != nil {
			n = new(multaque.ProposalNote)
			if err := json.Unmarshal(v, n); err != nil {
				return multaque.Errorf(multaque.EINTERNAL, "proposal note: stored record is not valid JSON")
			}
		}
		open, err := openProposal(tx, person)
		if err != nil {
			return err
		}
		if open != nil && open.Step.Typing() && (open.Status == multaque.ProposalDraft || open.Status == multaque.ProposalChanges) {
			p = open
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("proposal typing %d: %w", person, err)
	}
	return p, n, nil
}

// Proposals returns the proposals with that status, oldest first.
func (db *DB) Proposals(ctx context.Context, status multaque.ProposalStatus) ([]multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []multaque.Proposal
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return eachProposal(tx, func(p *multaque.Proposal) error {
			if p.Status == status {
				out = append(out, *p)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("proposals %s: %w", status, err)
	}
	return out, nil
}

// ProjectProposal returns the approved proposal that became project, or an
// ENOTFOUND error (a project of the catalogue file, or none).
func (db *DB) ProjectProposal(ctx context.Context, project string) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var p *multaque.Proposal
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketProposals).Get(projectKey(project))
		if len(v) != 8 {
			return multaque.Errorf(multaque.ENOTFOUND, "no proposal became project %q", project)
		}
		var err error
		p, err = getProposal(tx, binary.BigEndian.Uint64(v))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("proposal of project %s: %w", project, err)
	}
	return p, nil
}

// StartProposal stores p as a new proposal of p.Proposer, giving it an ID
// and version 1, and returns it as stored. It returns an ECONFLICT error if
// the proposer has an open proposal already, and an EINVALID error if p is
// not a valid draft.
func (db *DB) StartProposal(ctx context.Context, p multaque.Proposal) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Status != multaque.ProposalDraft {
		return nil, multaque.Errorf(multaque.EINVALID, "start proposal: a new proposal is a draft")
	}
	var out *multaque.Proposal
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProposals)
		if b.Get(openKey(p.Proposer)) != nil {
			return multaque.Errorf(multaque.ECONFLICT, "the proposer has an open proposal")
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		next := cloneProposal(&p)
		next.ID, next.Version = id, 1
		if err := putProposal(tx, nil, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start proposal: %w", err)
	}
	return out, nil
}

// UpdateProposal changes the proposal with that id with fn, bumps its
// version, and enqueues the items built from it (items may be nil), in one
// transaction; it returns the proposal as stored. An error from fn changes
// nothing and is returned as it is. ENOTFOUND: no such proposal; EINVALID:
// the result is not valid, or fn approved it (ApproveProposal does) or
// changed its id or proposer.
func (db *DB) UpdateProposal(ctx context.Context, id uint64, fn func(p *multaque.Proposal) error, items func(p *multaque.Proposal) []multaque.OutboxItem) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *multaque.Proposal
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getProposal(tx, id)
		if err != nil {
			return err
		}
		next := cloneProposal(old)
		if err := fn(next); err != nil {
			return err
		}
		if next.Status == multaque.ProposalApproved && old.Status != multaque.ProposalApproved || next.Project != old.Project {
			return multaque.Errorf(multaque.EINVALID, "proposal %d: only ApproveProposal approves", id)
		}
		if next.ID != old.ID || next.Proposer != old.Proposer {
			return multaque.Errorf(multaque.EINVALID, "proposal %d: the id and the proposer cannot change", id)
		}
		next.Version = old.Version + 1
		if err := putProposal(tx, old, next); err != nil {
			return err
		}
		if err := enqueueAll(tx, items, next, db.now()); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update proposal %d: %w", id, err)
	}
	return out, nil
}

// ApproveProposal approves the proposal with that id: fn checks it still
// may be (it is pending, the version the coordinator saw) and records who
// decided; the store then gives it the first project id of slug, slug-2,
// slug-3, … that taken (the catalogue's ids) does not report and no other
// approved proposal has, and enqueues the items built from it, all in one
// transaction. An error from fn changes nothing and is returned as it is.
// EINVALID: slug is not a valid id; ECONFLICT: no free id is left.
func (db *DB) ApproveProposal(ctx context.Context, id uint64, fn func(p *multaque.Proposal) error, slug string, taken func(project string) bool, items func(p *multaque.Proposal) []multaque.OutboxItem) (*multaque.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !multaque.ValidID(slug) {
		return nil, multaque.Errorf(multaque.EINVALID, "approve proposal %d: bad project id %q", id, slug)
	}
	var out *multaque.Proposal
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getProposal(tx, id)
		if err != nil {
			return err
		}
		next := cloneProposal(old)
		if err := fn(next); err != nil {
			return err
		}
		project := ""
		b := tx.Bucket(bucketProposals)
		for n := 1; n <= maxProjectSuffix && project == ""; n++ {
			candidate := slug
			if n > 1 {
				suffix := "-" + strconv.Itoa(n)
				candidate = slug[:min(len(slug), multaque.MaxIDLen-len(suffix))] + suffix
			}
			if b.Get(projectKey(candidate)) == nil && (taken == nil || !taken(candidate)) {
				project = candidate
			}
		}
		if project == "" {
			return multaque.Errorf(multaque.ECONFLICT, "approve proposal %d: no free project id for %q", id, slug)
		}
		next.Status, next.Project, next.Step, next.Editing = multaque.ProposalApproved, project, "", false
		next.Version = old.Version + 1
		if err := putProposal(tx, old, next); err != nil {
			return err
		}
		if err := enqueueAll(tx, items, next, db.now()); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("approve proposal %d: %w", id, err)
	}
	return out, nil
}

// DiscardProposal deletes the proposal with that id if it is still a
// draft at that version (one never sent: nobody else has seen it). It
// returns an ECONFLICT error if it is not, ENOTFOUND if there is none.
func (db *DB) DiscardProposal(ctx context.Context, id uint64, version int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		p, err := getProposal(tx, id)
		if err != nil {
			return err
		}
		if p.Status != multaque.ProposalDraft || p.Version != version {
			return multaque.Errorf(multaque.ECONFLICT, "proposal %d is no longer that draft", id)
		}
		return deleteProposal(tx, p)
	})
	if err != nil {
		return fmt.Errorf("discard proposal %d: %w", id, err)
	}
	return nil
}

// SetProposalNote records that the coordinator's next message is a note
// about a proposal, replacing any note they had started.
func (db *DB) SetProposalNote(ctx context.Context, n multaque.ProposalNote) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n.Coordinator <= 0 || n.Proposal == 0 {
		return multaque.Errorf(multaque.EINVALID, "proposal note: no coordinator or proposal")
	}
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("proposal note: %w", err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProposals).Put(proposalNoteKey(n.Coordinator), data)
	})
	if err != nil {
		return fmt.Errorf("proposal note: %w", err)
	}
	return nil
}

// ClearProposalNote forgets the note the coordinator was typing, if any.
func (db *DB) ClearProposalNote(ctx context.Context, coordinator int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProposals).Delete(proposalNoteKey(coordinator))
	})
	if err != nil {
		return fmt.Errorf("clear proposal note: %w", err)
	}
	return nil
}

// enqueueAll enqueues the items built from p inside tx, checking them first.
func enqueueAll(tx *bolt.Tx, items func(p *multaque.Proposal) []multaque.OutboxItem, p *multaque.Proposal, now time.Time) error {
	if items == nil {
		return nil
	}
	for _, it := range items(cloneProposal(p)) {
		if err := checkOutboxItem(&it); err != nil {
			return err
		}
		if _, err := enqueueTx(tx, &it, now); err != nil {
			return err
		}
	}
	return nil
}

func getProposal(tx *bolt.Tx, id uint64) (*multaque.Proposal, error) {
	v := tx.Bucket(bucketProposals).Get(proposalKey(id))
	if v == nil {
		return nil, multaque.Errorf(multaque.ENOTFOUND, "proposal %d not found", id)
	}
	return decodeProposal(v)
}

func decodeProposal(v []byte) (*multaque.Proposal, error) {
	p := new(multaque.Proposal)
	if err := json.Unmarshal(v, p); err != nil {
		// json's message may quote the data: keep it out of the error.
		return nil, multaque.Errorf(multaque.EINTERNAL, "proposal: stored record is not valid JSON")
	}
	return p, nil
}

// openProposal returns the person's open proposal, nil if none.
func openProposal(tx *bolt.Tx, person int64) (*multaque.Proposal, error) {
	v := tx.Bucket(bucketProposals).Get(openKey(person))
	if len(v) != 8 {
		return nil, nil
	}
	return getProposal(tx, binary.BigEndian.Uint64(v))
}

// eachProposal calls fn with every proposal, oldest first.
func eachProposal(tx *bolt.Tx, fn func(p *multaque.Proposal) error) error {
	c := tx.Bucket(bucketProposals).Cursor()
	for k, v := c.Seek(prefixProposal); k != nil && bytes.HasPrefix(k, prefixProposal); k, v = c.Next() {
		p, err := decodeProposal(v)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// putProposal validates next and stores it in place of old (nil for a new
// one), keeping the open and project indexes in step.
func putProposal(tx *bolt.Tx, old, next *multaque.Proposal) error {
	if err := next.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketProposals)
	if old != nil && old.Proposer != 0 && old.Status.Open() {
		if err := b.Delete(openKey(old.Proposer)); err != nil {
			return err
		}
	}
	if next.Proposer != 0 && next.Status.Open() {
		if err := b.Put(openKey(next.Proposer), u64(next.ID)); err != nil {
			return err
		}
	}
	if next.Project != "" {
		if v := b.Get(projectKey(next.Project)); v != nil && !bytes.Equal(v, u64(next.ID)) {
			return multaque.Errorf(multaque.ECONFLICT, "project id %q is taken", next.Project)
		}
		if err := b.Put(projectKey(next.Project), u64(next.ID)); err != nil {
			return err
		}
	}
	return b.Put(proposalKey(next.ID), data)
}

// deleteProposal removes p and its index entries.
func deleteProposal(tx *bolt.Tx, p *multaque.Proposal) error {
	b := tx.Bucket(bucketProposals)
	if p.Proposer != 0 && p.Status.Open() {
		if v := b.Get(openKey(p.Proposer)); bytes.Equal(v, u64(p.ID)) {
			if err := b.Delete(openKey(p.Proposer)); err != nil {
				return err
			}
		}
	}
	if p.Project != "" {
		if err := b.Delete(projectKey(p.Project)); err != nil {
			return err
		}
	}
	return b.Delete(proposalKey(p.ID))
}

func cloneProposal(p *multaque.Proposal) *multaque.Proposal {
	out := *p
	out.Name = maps.Clone(p.Name)
	out.Pitch = maps.Clone(p.Pitch)
	out.Explanation = maps.Clone(p.Explanation)
	return &out
}

// proposalsOf returns the proposals the person wrote, without who decided
// them unless it was the person themselves, and the note they are
// typing as a coordinator, for their personal data.
func proposalsOf(tx *bolt.Tx, id int64) ([]multaque.Proposal, *multaque.ProposalNote, error) {
	var out []multaque.Proposal
	err := eachProposal(tx, func(p *multaque.Proposal) error {
		if p.Proposer == id {
			// The decision and its date are theirs to see; who took it
			// is not (coordinators decide as the project, not as people).
			if p.DecidedBy != id {
				p.DecidedBy, p.DeciderName = 0, ""
			}
			out = append(out, *p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var n *multaque.ProposalNote
	if v := tx.Bucket(bucketProposals).Get(proposalNoteKey(id)); v != nil {
		n = new(multaque.ProposalNote)
		if err := json.Unmarshal(v, n); err != nil {
			return nil, nil, multaque.Errorf(multaque.EINTERNAL, "proposal note: stored record is not valid JSON")
		}
	}
	return out, n, nil
}

// forgetProposals erases the people of set from the proposals: the ones
// they wrote that are not in the catalogue are deleted; the approved ones
// stay, as the catalogue's projects are public now, without their id; a
// decision they took as a coordinator no longer names them; a note they
// were typing goes. The proposals are walked once for the whole set.
func forgetProposals(tx *bolt.Tx, set personSet) error {
	var drop, keep []*multaque.Proposal
	err := eachProposal(tx, func(p *multaque.Proposal) error {
		switch {
		case set[p.Proposer] && p.Status != multaque.ProposalApproved:
			drop = append(drop, p)
		case set[p.Proposer] || set[p.DecidedBy]:
			keep = append(keep, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range drop {
		if err := deleteProposal(tx, p); err != nil {
			return err
		}
	}
	for _, old := range keep {
		next := cloneProposal(old)
		if set[next.Proposer] {
			next.Proposer = 0
		}
		if set[next.DecidedBy] {
			next.DecidedBy, next.DeciderName = 0, ""
		}
		if err := putProposal(tx, old, next); err != nil {
			return err
		}
	}
	b := tx.Bucket(bucketProposals)
	for id := range set {
		if err := b.Delete(proposalNoteKey(id)); err != nil {
			return err
		}
	}
	return nil
}

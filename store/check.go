package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// CheckOptions tell Check what the file cannot know.
type CheckOptions struct {
	// Coordinators are those of the configuration, who need no record in
	// the file to be sent messages.
	Coordinators []int64
}

// Check runs bbolt's consistency check of the file and checks Multaque's
// invariants on its data, as CheckWith does with no options.
func (db *DB) Check(ctx context.Context) (problems []string, err error) {
	return db.CheckWith(ctx, CheckOptions{})
}

// CheckWith runs bbolt's consistency check of the file (every page
// reachable or free, once; keys in order; no page referenced twice) and
// checks Multaque's invariants:
//
//   - every citizen record reads and carries its key's id;
//   - the waiting index holds exactly the entries the citizens' records
//     call for, and the queue summaries count it exactly (and are ordered
//     by size and by age as queues_by_size and queues_by_age say);
//   - every member of a team is a citizen and every team's mentor a mentor;
//     nobody is in two teams (not closed) for one project; the index of
//     teams by group matches the teams;
//   - every plan reads, passes Plan.Validate and belongs to a team;
//   - every outbox item reads, has its place in the due order, and is for a
//     known chat: a citizen, a mentor, a coordinator (stored or in
//     o.Coordinators), a pool group or a team's group; the outbox counts
//     its items exactly;
//   - every audit entry is in the index by person, and the indexes (by
//     person, of refusals) name only the entries they stand for;
//   - every decision's draft, poll and open entry names a decision in the
//     state it should be in, and every open decision is in the open index
//     (decisions_log.go).
//
// It returns one line per problem, naming only ids (Telegram ids, team
// ids, outbox item ids), never what people wrote; none means the file is
// sound. err is for a check that could not run (a done ctx, a closed
// database). A file with no buckets at all, created but never
// initialised, is sound.
//
// bbolt's check reads the free list, which writers change: on a database
// open for writing Check runs in a write transaction (rolled back), so
// writes wait until it is done. On a ReadOnly database it runs alongside
// other readers. CheckLive checks a database in use without making writers
// wait.
func (db *DB) CheckWith(ctx context.Context, o CheckOptions) (problems []string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run := func(tx *bolt.Tx) error {
		// A page past the end of a damaged file faults: a panic, which
		// each step of the check turns into a problem (see guard).
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		problems = check(ctx, tx, o)
		return ctx.Err()
	}
	if db.readOnly {
		err = db.bolt.View(run)
	} else {
		errRollback := errors.New("rollback")
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			if err := run(tx); err != nil {
				return err
			}
			return errRollback
		})
		if errors.Is(err, errRollback) {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return problems, nil
}

// CheckLive runs the checks of CheckWith on the database as of one moment
// while the bot keeps serving from it, for POST /check: writers never wait
// for it.
//
// bbolt's consistency check cannot run in a read transaction of a database
// being written: it reads the free list, which writers change under it (a
// data race), and it takes the pages freed since the transaction began for
// pages both in use and free. So CheckLive copies the file, as it is in one
// read transaction, to a temporary file beside the database (as large as
// the database, free pages included, named as BackupTemp names its files,
// removed before CheckLive returns and swept if a crash leaves it), and
// runs CheckWith on the copy opened read-only: the same checks, on the very
// pages of the live file, with the free list of that moment. The read
// transaction lasts for the copy only; while it runs, bbolt does not reuse
// the pages that writers free, so the file may grow a little.
func (db *DB) CheckLive(ctx context.Context, o CheckOptions) (problems []string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	snap, err := createTemp(filepath.Dir(db.path), "."+filepath.Base(db.path)+backupTempSuffix, "")
	if err != nil {
		return nil, fmt.Errorf("check: %w", cannotWrite(err))
	}
	defer snap.Discard()
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(snap.f)
		return err
	}); err != nil {
		return nil, fmt.Errorf("check: copy: %w", cannotWrite(err))
	}
	bdb, err := snap.openBolt(bolt.Options{Timeout: time.Second, ReadOnly: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("check: open the copy: %w", err)
	}
	defer func() {
		if cerr := bdb.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("check: %w", cerr)
		}
		if lerr := snap.relock(); lerr != nil && err == nil {
			err = fmt.Errorf("check: %w", lerr)
		}
	}()
	copied := &DB{bolt: bdb, path: snap.Name(), readOnly: true, now: db.now}
	return copied.CheckWith(ctx, o)
}

// checker gathers the problems found in one transaction.
type checker struct {
	tx       *bolt.Tx
	o        CheckOptions
	problems []string

	citizens map[int64]*multaque.Citizen
	mentors  map[int64]*mentorRecord
	teams    map[string]*multaque.Team
}

func (c *checker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// guard runs step, turning a panic (bbolt panics on some damaged pages)
// into a problem.
func (c *checker) guard(what string, step func()) {
	defer func() {
		if r := recover(); r != nil {
			c.add("%s: reading the file failed: %v", what, r)
		}
	}()
	step()
}

// sizeOnly shows keys and values in bbolt's messages by their length only:
// they hold personal data.
type sizeOnly struct{}

func (sizeOnly) KeyToString(k []byte) string   { return fmt.Sprintf("(key of %d bytes)", len(k)) }
func (sizeOnly) ValueToString(v []byte) string { return fmt.Sprintf("(value of %d bytes)", len(v)) }

func check(ctx context.Context, tx *bolt.Tx, o CheckOptions) []string {
	c := &checker{tx: tx, o: o}
	c.guard("bbolt", func() {
		for err := range tx.Check(bolt.WithKVStringer(sizeOnly{})) {
			c.add("bbolt: %v", err)
		}
	})
	if ctx.Err() != nil {
		return c.problems
	}
	complete := false
	c.guard("buckets", func() { complete = c.checkBuckets() })
	if !complete {
		return c.problems
	}
	steps := []struct {
		what string
		fn   func()
	}{
		{"citizens", c.checkCitizens},
		{"waiting index", c.checkWaiting},
		{"mentors", c.readMentors},
		{"teams", c.checkTeams},
		{"outbox", c.checkOutbox},
		{"audit log", c.checkAudit},                           // audit.go
		{"decisions", func() { checkDecisions(c.tx, c.add) }}, // decisions_log.go
		{"plans", c.checkPlans},                               // plans.go
		{"pledges and funds", c.checkPledges},                 // funds_ledger.go
	}
	for _, s := range steps {
		if ctx.Err() != nil {
			break
		}
		c.guard(s.what, s.fn)
	}
	return c.problems
}

// checkBuckets reports the buckets missing and whether the invariants can
// be checked: every bucket is there, or none (a file created but never
// initialised, which Open completes, and so sound).
func (c *checker) checkBuckets() bool {
	var present int
	_ = c.tx.ForEach(func([]byte, *bolt.Bucket) error { present++; return nil })
	if present == 0 {
		return false
	}
	complete := true
	for _, name := range allBuckets {
		if c.tx.Bucket(name) == nil {
			c.add("bucket %s is missing", name)
			complete = false
		}
	}
	if ob := c.tx.Bucket(bucketOutbox); ob != nil {
		for _, name := range [][]byte{bucketOutboxItems, bucketOutboxDue, bucketOutboxKeys, bucketOutboxKeysTime} {
			if ob.Bucket(name) == nil {
				c.add("bucket outbox/%s is missing", name)
				complete = false
			}
		}
	}
	return complete
}

func (c *checker) checkCitizens() {
	c.citizens = map[int64]*multaque.Citizen{}
	_ = c.tx.Bucket(bucketCitizens).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			c.add("citizens: a key of %d bytes, want 8", len(k))
			return nil
		}
		id := int64(binary.BigEndian.Uint64(k))
		var cz multaque.Citizen
		if err := json.Unmarshal(v, &cz); err != nil {
			c.add("citizen %d: the record is not valid JSON", id)
			return nil
		}
		if cz.ID != id {
			c.add("citizen %d: the record says it is citizen %d", id, cz.ID)
		}
		cz.ID = id
		c.citizens[id] = &cz
		return nil
	})
}

// checkWaiting compares the waiting index with what the citizens' records
// call for, and the queue summaries with the index.
func (c *checker) checkWaiting() {
	want := map[string]int64{}
	for id, cz := range c.citizens {
		for k := range waitingKeys(cz) {
			want[k] = id
		}
	}
	type summary struct {
		n      uint32
		oldest int64
	}
	counted := map[string]*summary{}
	_ = c.tx.Bucket(bucketWaiting).ForEach(func(k, _ []byte) error {
		_, project, since, id, ok := parseWaitingKey(k)
		if !ok {
			c.add("waiting index: a malformed key")
			return nil
		}
		q, _ := queueKey(k)
		s := counted[string(q)]
		if s == nil {
			s = &summary{oldest: since.UnixNano()}
			counted[string(q)] = s
		}
		s.n++
		s.oldest = min(s.oldest, since.UnixNano())
		if _, ok := want[string(k)]; ok {
			delete(want, string(k))
			return nil
		}
		switch cz := c.citizens[id]; {
		case cz == nil:
			c.add("waiting index: an entry for %d, who is no citizen", id)
		case !cz.Waiting():
			c.add("citizen %d: an entry in the waiting index for %s, but they are not waiting", id, project)
		default:
			c.add("citizen %d: an entry in the waiting index for %s that their record does not call for", id, project)
		}
		return nil
	})
	for k, id := range want {
		_, project, _, _, _ := parseWaitingKey([]byte(k))
		c.add("citizen %d: no entry in the waiting index for %s", id, project)
	}
	_ = c.tx.Bucket(bucketQueues).ForEach(func(k, v []byte) error {
		n, oldest, ok := decodeQueue(v)
		s := counted[string(k)]
		delete(counted, string(k))
		switch {
		case !ok:
			c.add("queue %s: a malformed summary", k)
		case s == nil:
			c.add("queue %s: the summary counts %d waiting, the index holds none", k, n)
		case s.n != n:
			c.add("queue %s: the summary counts %d waiting, the index holds %d", k, n, s.n)
		case s.oldest != oldest:
			c.add("queue %s: the summary's oldest wait is not the index's", k)
		}
		return nil
	})
	for q, s := range counted {
		c.add("queue %s: the index holds %d waiting, there is no summary", q, s.n)
	}
	checkQueueOrders(c.tx, c.add) // the summaries by size and by age (queues.go)
}

func (c *checker) readMentors() {
	c.mentors = map[int64]*mentorRecord{}
	_ = c.tx.Bucket(bucketMentors).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			c.add("mentors: a key of %d bytes, want 8", len(k))
			return nil
		}
		id := int64(binary.BigEndian.Uint64(k))
		m, err := decodeMentorRecord(k, v)
		if err != nil {
			c.add("mentor %d: the record does not read", id)
			return nil
		}
		c.mentors[id] = m
		return nil
	})
}

func (c *checker) checkTeams() {
	c.teams = map[string]*multaque.Team{}
	type place struct {
		citizen int64
		project string
	}
	in := map[place][]string{}
	_ = c.tx.Bucket(bucketTeams).ForEach(func(k, v []byte) error {
		t, err := decodeTeam(string(k), v)
		if err != nil {
			c.add("team %s: the record is not valid JSON", k)
			return nil
		}
		if t.ID != string(k) {
			c.add("team %s: the record says it is team %s", k, t.ID)
		}
		t.ID = string(k)
		c.teams[t.ID] = t
		for _, m := range t.Members {
			if c.citizens[m.Citizen] == nil {
				c.add("team %s: member %d is no citizen", t.ID, m.Citizen)
			}
			if t.Status != multaque.TeamClosed {
				p := place{m.Citizen, t.Project}
				in[p] = append(in[p], t.ID)
			}
		}
		if t.Mentor != 0 {
			if m := c.mentors[t.Mentor]; m == nil || m.Draft != "" {
				c.add("team %s: mentor %d is no mentor", t.ID, t.Mentor)
			}
		}
		return nil
	})
	for p, teams := range in {
		if len(teams) > 1 {
			slices.SortFunc(teams, func(a, b string) int { return teamNumber(a) - teamNumber(b) })
			c.add("citizen %d is in %d teams for %s: %s", p.citizen, len(teams), p.project, strings.Join(teams, ", "))
		}
	}
	_ = c.tx.Bucket(bucketTeamsByChat).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			c.add("teams by group: a key of %d bytes, want 8", len(k))
			return nil
		}
		chat := int64(binary.BigEndian.Uint64(k))
		switch t := c.teams[string(v)]; {
		case t == nil:
			c.add("teams by group: group %d names team %s, which does not exist", chat, v)
		case t.Chat != chat:
			c.add("teams by group: group %d names team %s, whose group is %d", chat, v, t.Chat)
		}
		return nil
	})
	byChat := c.tx.Bucket(bucketTeamsByChat)
	for _, t := range c.teams {
		if t.Chat != 0 && !bytes.Equal(byChat.Get(idKey(t.Chat)), []byte(t.ID)) {
			c.add("team %s: its group %d is not indexed to it", t.ID, t.Chat)
		}
	}
	c.checkTeamLinks()
	c.checkTeamIndexes()
}

// checkTeamLinks checks the link between a team and each member both
// ways: a member of a team that is not closed has an interest in its
// project naming the team, and an interest naming a team is one of a team
// that lists the citizen.
func (c *checker) checkTeamLinks() {
	for _, id := range slices.Sorted(maps.Keys(c.teams)) {
		t := c.teams[id]
		if t.Status == multaque.TeamClosed {
			continue
		}
		for _, m := range t.Members {
			cz := c.citizens[m.Citizen]
			if cz == nil {
				continue // said already
			}
			if in, ok := cz.Interest(t.Project); !ok || in.Team != t.ID {
				c.add("team %s: member %d has no interest in %s naming it", t.ID, m.Citizen, t.Project)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.citizens)) {
		for _, in := range c.citizens[id].Interests {
			if in.Team == "" {
				continue
			}
			if t := c.teams[in.Team]; t == nil || !t.HasMember(id) {
				c.add("citizen %d: the interest in %s names team %s, which does not list them", id, in.Project, in.Team)
			}
		}
	}
}

// checkTeamIndexes compares teams_by_state and teams_by_member with the
// teams.
func (c *checker) checkTeamIndexes() {
	byState, byMember := c.tx.Bucket(bucketTeamsByState), c.tx.Bucket(bucketTeamsByMember)
	if byState == nil || byMember == nil {
		return // said by checkBuckets
	}
	_ = byState.ForEach(func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			c.add("teams by state: a key without its separator")
			return nil
		}
		if t := c.teams[string(k[i+1:])]; t == nil || stateOf(t) != string(k[:i]) {
			c.add("teams by state: %s names team %s, which is not so", k[:i], k[i+1:])
		}
		return nil
	})
	_ = byMember.ForEach(func(k, _ []byte) error {
		who, id, ok := memberOfKey(k)
		if !ok {
			c.add("teams by member: a key of %d bytes", len(k))
			return nil
		}
		if t := c.teams[id]; t == nil || !t.HasMember(who) {
			c.add("teams by member: %d names team %s, which does not list them", who, id)
		}
		return nil
	})
	for _, id := range slices.Sorted(maps.Keys(c.teams)) {
		t := c.teams[id]
		if byState.Get(stateKey(stateOf(t), t.ID)) == nil {
			c.add("team %s: not indexed as %s", t.ID, stateOf(t))
		}
		for _, m := range t.Members {
			if byMember.Get(memberKey(m.Citizen, t.ID)) == nil {
				c.add("team %s: member %d is not indexed to it", t.ID, m.Citizen)
			}
		}
	}
}

// knownChat reports whether the outbox may hold messages for chat.
func (c *checker) knownChat(chat int64) bool {
	if chat < 0 {
		return c.tx.Bucket(bucketPool).Get(idKey(chat)) != nil || c.tx.Bucket(bucketTeamsByChat).Get(idKey(chat)) != nil
	}
	return c.citizens[chat] != nil || c.mentors[chat] != nil ||
		c.tx.Bucket(bucketCoordinators).Get(idKey(chat)) != nil || slices.Contains(c.o.Coordinators, chat) ||
		pledger(c.tx, chat) // pledges.go: a supporter is told of their pledge
}

func (c *checker) checkOutbox() {
	ob := c.tx.Bucket(bucketOutbox)
	due := map[string]bool{}
	_ = ob.Bucket(bucketOutboxDue).ForEach(func(k, _ []byte) error {
		due[string(k)] = true
		return nil
	})
	secret := erasureSecret(c.tx)
	erased := c.tx.Bucket(bucketErased)
	var n uint64
	_ = ob.Bucket(bucketOutboxItems).ForEach(func(k, v []byte) error {
		n++
		if len(k) != 8 {
			c.add("outbox: a key of %d bytes, want 8", len(k))
			return nil
		}
		id := binary.BigEndian.Uint64(k)
		it, err := decodeItem(id, v)
		if err != nil {
			c.add("outbox item %d: the record is not valid JSON", id)
			return nil
		}
		dk := string(dueKey(it.Priority, it.NotBefore, id))
		if due[dk] {
			delete(due, dk)
		} else {
			c.add("outbox item %d: not in the due order", id)
		}
		if !c.knownChat(it.Chat) {
			what := "no citizen, mentor or coordinator"
			if it.Chat < 0 {
				what = "neither a pool group nor a team's group"
			} else if len(secret) > 0 && erased.Get([]byte(erasureTag(secret, it.Chat))) != nil {
				what = "a person who was erased"
			}
			c.add("outbox item %d: for chat %d, %s", id, it.Chat, what)
		}
		if team, ok := strings.CutPrefix(it.Owner, "team/"); ok && c.teams[team] == nil {
			c.add("outbox item %d: owned by team %s, which does not exist", id, team)
		}
		return nil
	})
	for k := range due {
		kb := []byte(k)
		if len(kb) == 17 {
			c.add("outbox: the due order holds item %d, which is not in the outbox", binary.BigEndian.Uint64(kb[9:]))
		} else {
			c.add("outbox: a malformed key in the due order")
		}
	}
	if seq := ob.Sequence(); seq != n {
		c.add("outbox: counts %s items, holds %d", strconv.FormatUint(seq, 10), n)
	}
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// StatsByCommunity counts, for every community within(community) accepts,
// its citizens and their interests (see multaque.CommunityStats), sorted by
// community id. Citizens who have not named a community yet count under
// the community "", if within accepts it. Communities nobody named are
// left out.
//
// It reads every citizen in one read transaction (0.8 s of CPU for a
// million of them on a small machine, see BenchmarkStatsByCommunity), and
// asks within once per community: within must be quick and must not call
// the store.
func (db *DB) StatsByCommunity(ctx context.Context, within func(community string) bool) ([]multaque.CommunityStats, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type tally struct {
		in       bool // within accepts the community
		people   int
		projects map[string]*multaque.ProjectStats
	}
	byCommunity := map[string]*tally{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var f figures
		n := 0
		return tx.Bucket(bucketCitizens).ForEach(func(k, v []byte) error {
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err() // the coordinator gave up: let go of the pages
			}
			if !f.read(v) {
				if err := f.decode(v); err != nil {
					return multaque.Errorf(multaque.EINTERNAL, "citizen %d: %v", idOf(k), err)
				}
			}
			// Indexing a map with string(b) copies nothing; only a new
			// entry gets a string of its own, which outlives the
			// transaction's pages that b points into.
			t := byCommunity[string(f.community)]
			if t == nil {
				c := string(f.community)
				t = &tally{in: within(c), projects: map[string]*multaque.ProjectStats{}}
				byCommunity[c] = t
			}
			if !t.in {
				return nil
			}
			t.people++
			waiting := len(f.community) > 0 && !f.unreachable // as multaque.Citizen.Waiting
			for _, in := range f.interests {
				ps := t.projects[string(in.project)]
				if ps == nil {
					ps = &multaque.ProjectStats{}
					t.projects[string(in.project)] = ps
				}
				ps.Interested++
				switch {
				case in.inTeam:
					ps.InTeams++
				case waiting:
					ps.Waiting++
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("stats by community: %w", err)
	}
	out := make([]multaque.CommunityStats, 0, len(byCommunity))
	for c, t := range byCommunity {
		if !t.in {
			continue
		}
		s := multaque.CommunityStats{Community: c, People: t.people, Projects: make(map[string]multaque.ProjectStats, len(t.projects))}
		for p, ps := range t.projects {
			s.Projects[p] = *ps
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b multaque.CommunityStats) int { return strings.Compare(a.Community, b.Community) })
	return out, nil
}

// figures is the part of a stored citizen that the reports count. Its
// byte slices point into the record read, or into a decoded copy.
type figures struct {
	community   []byte
	interests   []interestFigures
	unreachable bool
}

type interestFigures struct {
	project []byte
	inTeam  bool
}

// Decoding a million citizens with encoding/json takes seconds: it reads
// every field, names and times included, into values. read instead walks
// the record once, skipping what the reports do not need, and picks out
// the three fields they do. It reads the JSON that encoding/json writes
// for a multaque.Citizen (putCitizen stores nothing else): no spaces, keys
// without escapes, interests as an array of flat objects of strings. On
// anything else (an escape in an id, a space, an unexpected byte) it gives
// up, and the caller decodes that record with encoding/json.
// TestStatsByCommunityReadsWhatJSONReads holds read to that.
func (f *figures) read(data []byte) bool {
	f.community, f.interests, f.unreachable = nil, f.interests[:0], false
	if len(data) < 2 || data[0] != '{' {
		return false
	}
	i := 1
	if data[i] == '}' {
		return len(data) == 2
	}
	for {
		key, n, ok := rawString(data[i:])
		if !ok || i+n >= len(data) || data[i+n] != ':' {
			return false
		}
		i += n + 1
		rest := data[i:]
		switch string(key) {
		case "community":
			f.community, n, ok = plainString(rest)
		case "interests":
			n, ok = f.readInterests(rest)
		case "unreachable":
			f.unreachable = bytes.HasPrefix(rest, []byte("true"))
			n, ok = skipValue(rest)
		default:
			n, ok = skipValue(rest)
		}
		if !ok || i+n >= len(data) {
			return false
		}
		i += n
		switch data[i] {
		case ',':
			i++
		case '}':
			return i == len(data)-1
		default:
			return false
		}
	}
}

// readInterests reads the array of interests at the start of data and
// returns how many bytes it took.
func (f *figures) readInterests(data []byte) (int, bool) {
	if len(data) < 2 || data[0] != '[' {
		return 0, false
	}
	if data[1] == ']' {
		return 2, true
	}
	n := 1
	for {
		in, m, ok := readInterest(data[n:])
		if !ok || n+m >= len(data) {
			return 0, false
		}
		f.interests = append(f.interests, in)
		n += m
		switch data[n] {
		case ',':
			n++
		case ']':
			return n + 1, true
		default:
			return 0, false
		}
	}
}

// readInterest reads one flat object {"key":"value",...} at the start of
// data, and returns how many bytes it took.
func readInterest(data []byte) (in interestFigures, n int, ok bool) {
	if len(data) == 0 || data[0] != '{' {
		return in, 0, false
	}
	n = 1
	for {
		key, m, ok := rawString(data[n:])
		if !ok || n+m >= len(data) || data[n+m] != ':' {
			return in, 0, false
		}
		n += m + 1
		val, m, ok := rawString(data[n:])
		if !ok {
			return in, 0, false
		}
		n += m
		switch string(key) {
		case "project":
			if bytes.IndexByte(val, '\\') >= 0 {
				return in, 0, false
			}
			in.project = val
		case "team":
			in.inTeam = len(val) > 0
		}
		if n >= len(data) {
			return in, 0, false
		}
		switch data[n] {
		case ',':
			n++
		case '}':
			return in, n + 1, in.project != nil
		default:
			return in, 0, false
		}
	}
}

// rawString reads the JSON string at the start of data and returns what is
// between its quotes, escapes left as they are, and how many bytes it took.
func rawString(data []byte) (s []byte, n int, ok bool) {
	if len(data) == 0 || data[0] != '"' {
		return nil, 0, false
	}
	for from := 1; ; {
		k := bytes.IndexByte(data[from:], '"')
		if k < 0 {
			return nil, 0, false
		}
		end := from + k
		// The quote ends the string unless an odd number of backslashes
		// escape it.
		escaped := false
		for p := end - 1; p > 0 && data[p] == '\\'; p-- {
			escaped = !escaped
		}
		if !escaped {
			return data[1:end], end + 1, true
		}
		from = end + 1
	}
}

// plainString is rawString for a value that holds no escape, as ids don't.
func plainString(data []byte) ([]byte, int, bool) {
	s, n, ok := rawString(data)
	return s, n, ok && bytes.IndexByte(s, '\\') < 0
}

// skipValue returns how many bytes the JSON value at the start of data
// takes: a string, an object or array (with whatever they hold), or a
// number, true, false or null.
func skipValue(data []byte) (int, bool) {
	if len(data) == 0 {
		return 0, false
	}
	switch data[0] {
	case '"':
		_, n, ok := rawString(data)
		return n, ok
	case '{', '[':
		depth := 0
		for i := 0; i < len(data); i++ {
			switch data[i] {
			case '"':
				_, n, ok := rawString(data[i:])
				if !ok {
					return 0, false
				}
				i += n - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	for i, c := range data {
		switch {
		case c == ',' || c == '}' || c == ']':
			return i, i > 0
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'):
			return 0, false
		}
	}
	return 0, false
}

// decode is read's slow and sure way, with encoding/json.
func (f *figures) decode(data []byte) error {
	var c struct {
		Community string `json:"community"`
		Interests []struct {
			Project string `json:"project"`
			Team    string `json:"team"`
		} `json:"interests"`
		Unreachable bool `json:"unreachable"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		// json's message may quote the data: keep it out of the error.
		return fmt.Errorf("stored record is not valid JSON")
	}
	f.community, f.interests, f.unreachable = []byte(c.Community), f.interests[:0], c.Unreachable
	for _, in := range c.Interests {
		f.interests = append(f.interests, interestFigures{project: []byte(in.Project), inTeam: in.Team != ""})
	}
	return nil
}

// idOf reads a key of the buckets keyed by Telegram id (see idKey).
func idOf(k []byte) int64 {
	if len(k) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k))
}

package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
)

// forgetInOutbox erases what the outbox holds about the people of set: the
// messages waiting for them or given up on (their text may name them, and
// their chat is the person's id), and the dedup keys that name them
// (kind/…/<id>). Each bucket is walked once for the whole set. The Sender
// holds at most a few items in memory; one of them already sent is settled
// as gone, one not yet sent is dropped as gone (see Delivered).
func forgetInOutbox(tx *bolt.Tx, set personSet) error {
	ob := tx.Bucket(bucketOutbox)
	items := ob.Bucket(bucketOutboxItems)
	var doomed [][]byte
	err := items.ForEach(func(k, v []byte) error {
		if set[chatOf(v)] {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		it, err := getItem(ob, binary.BigEndian.Uint64(k))
		if err != nil {
			return err
		}
		if err := removeItem(ob, it); err != nil {
			return err
		}
	}

	dead := tx.Bucket(bucketDead)
	doomed = doomed[:0]
	if err := dead.ForEach(func(k, v []byte) error {
		if set[chatOf(v)] {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range doomed {
		if err := dead.Delete(k); err != nil {
			return err
		}
	}

	find := newPersonFinder(set) // personal.go
	keys, byTime := ob.Bucket(bucketOutboxKeys), ob.Bucket(bucketOutboxKeysTime)
	type pair struct{ key, at []byte }
	var gone []pair
	if err := keys.ForEach(func(k, v []byte) error {
		if _, ok := find.endingIn(k); ok {
			gone = append(gone, pair{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, p := range gone {
		if err := keys.Delete(p.key); err != nil {
			return err
		}
		if len(p.at) == 8 {
			if err := byTime.Delete(append(bytes.Clone(p.at), p.key...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// chatOf reads the chat of an outbox item's JSON without decoding it all.
func chatOf(v []byte) int64 {
	i := bytes.Index(v, []byte(`"chat":`))
	if i < 0 {
		return 0
	}
	rest := v[i+len(`"chat":`):]
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(rest[:end])), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// scrubNames takes the names of erased people out of the messages, waiting
// or given up on, that other people get about them: names maps an owner of
// messages ("team/<id>") to the names to take out of its messages (a team's
// invitations name its mentor). A line of a message that names one of them,
// as a whole word, as text or as HTML, is taken out; the rest of the
// message goes as it was.
func scrubNames(tx *bolt.Tx, names map[string][]string) error {
	if len(names) == 0 {
		return nil
	}
	ob := tx.Bucket(bucketOutbox)
	for _, b := range []*bolt.Bucket{ob.Bucket(bucketOutboxItems), tx.Bucket(bucketDead)} {
		var changed []multaque.OutboxItem
		err := b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return nil
			}
			it, err := decodeItem(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			ns := names[it.Owner]
			if len(ns) == 0 {
				return nil
			}
			if text, ok := withoutNames(it.Text, ns); ok {
				it.Text = text
				changed = append(changed, *it)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, it := range changed {
			data, err := json.Marshal(&it)
			if err != nil {
				return err
			}
			if err := b.Put(u64(it.ID), data); err != nil {
				return err
			}
		}
	}
	return nil
}

// withoutNames is text without its lines that name one of names as a
// whole word, as written or escaped for HTML; ok reports whether any was
// taken out.
func withoutNames(text string, names []string) (string, bool) {
	lines := strings.Split(text, "\n")
	kept := lines[:0]
	for _, line := range lines {
		named := false
		for _, n := range names {
			if containsWord(line, n) || containsWord(line, html.EscapeString(n)) {
				named = true
				break
			}
		}
		if !named {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(lines) {
		return text, false
	}
	return strings.Join(kept, "\n"), true
}

// containsWord reports whether s holds w with no letter or digit right
// before or after it.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(w):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		from = i + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
	bolt "go.etcd.io/bbolt"
)

// msg is a valid outbox item to chat.
func msg(chat int64, priority int, text string) multaque.OutboxItem {
	return multaque.OutboxItem{Kind: "test", Chat: chat, Priority: priority, Text: text}
}

func enqueue(t testing.TB, db *store.DB, items ...multaque.OutboxItem) []uint64 {
	t.Helper()
	ids, err := db.Enqueue(ctx, items...)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return ids
}

func texts(items []multaque.OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Text
	}
	return out
}

func due(t testing.TB, db *store.DB, now time.Time, limit, perChat int) []string {
	t.Helper()
	items, err := db.Due(ctx, now, limit, perChat, nil)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	return texts(items)
}

func outboxLen(t testing.TB, db *store.DB) int {
	t.Helper()
	n, err := db.OutboxLen(ctx)
	if err != nil {
		t.Fatalf("OutboxLen: %v", err)
	}
	return n
}

func TestDueOrder(t *testing.T) {
	now := t0
	db := openDB(t, fast, store.WithClock(func() time.Time { return now }))
	later := func(it multaque.OutboxItem, d time.Duration) multaque.OutboxItem {
		it.NotBefore = t0.Add(d)
		return it
	}
	enqueue(t, db,
		msg(1, 5, "p5 first"),
		later(msg(2, 0, "p0 in an hour"), time.Hour),
		msg(3, 9, "p9"),
		later(msg(4, 5, "p5 earlier"), -time.Minute),
		msg(5, 0, "p0"),
		msg(6, 5, "p5 second"),
	)
	want := []string{"p0", "p5 earlier", "p5 first", "p5 second", "p9"}
	if got := due(t, db, t0, 100, 0); !slices.Equal(got, want) {
		t.Errorf("Due(now)=%q, want %q", got, want)
	}
	if got := due(t, db, t0, 2, 0); !slices.Equal(got, want[:2]) {
		t.Errorf("Due(now, 2)=%q, want %q", got, want[:2])
	}
	want = append([]string{"p0", "p0 in an hour"}, want[1:]...)
	if got := due(t, db, t0.Add(time.Hour), 100, 0); !slices.Equal(got, want) {
		t.Errorf("Due(in an hour)=%q, want %q", got, want)
	}
	if got := due(t, db, t0.Add(-time.Hour), 100, 0); len(got) != 0 {
		t.Errorf("Due(an hour ago)=%q, want none", got)
	}
	if got, want := outboxLen(t, db), 6; got != want {
		t.Errorf("OutboxLen=%d, want %d", got, want)
	}
}

func TestDuePerChat(t *testing.T) {
	db := openDB(t, fast)
	var items []multaque.OutboxItem
	for i := range 10 {
		items = append(items, msg(-100123, 0, fmt.Sprintf("group %d", i)))
	}
	items = append(items, msg(7, 0, "person 1"), msg(7, 0, "person 2"), msg(7, 0, "person 3"), msg(8, 1, "other"))
	enqueue(t, db, items...)
	want := []string{"group 0", "group 1", "person 1", "person 2", "other"}
	if got := due(t, db, time.Now(), 100, 2); !slices.Equal(got, want) {
		t.Errorf("Due(perChat 2)=%q, want %q", got, want)
	}
	// What the caller holds is not returned but counts for its chat.
	all, err := db.Due(ctx, time.Now(), 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	heldIDs := map[uint64]bool{all[0].ID: true, all[10].ID: true} // group 0, person 1
	got, err := db.Due(ctx, time.Now(), 100, 2, func(id uint64) bool { return heldIDs[id] })
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"group 1", "person 2", "other"}
	if !slices.Equal(texts(got), want) {
		t.Errorf("Due(perChat 2, holding 2)=%q, want %q", texts(got), want)
	}
}

func TestItemFieldsRoundTrip(t *testing.T) {
	now := t0
	db := openDB(t, fast, store.WithClock(func() time.Time { return now }))
	in := multaque.OutboxItem{
		Kind: "invite", Chat: 42, Priority: multaque.PriorityNormal, DedupKey: "invite/t1/42",
		Text: "<b>Join</b>", ParseMode: "HTML", Owner: "team/t1",
		Keyboard: [][]multaque.OutboxButton{{{Text: "Join", URL: "https://t.me/+abc"}}, {{Text: "Later", Data: "later|1|t1"}}},
		Document: &multaque.OutboxFile{Name: "plan.pdf", MIME: "application/pdf", Data: []byte("%PDF")},
	}
	ids := enqueue(t, db, in)
	got, err := db.OutboxItem(ctx, ids[0])
	if err != nil {
		t.Fatalf("OutboxItem: %v", err)
	}
	want := in
	want.ID, want.CreatedAt, want.NotBefore = ids[0], t0, t0
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("stored item=%s, want %s", gotJSON, wantJSON)
	}
	_, err = db.OutboxItem(ctx, ids[0]+1)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestEnqueueRefusesInvalidItems(t *testing.T) {
	db := openDB(t, fast)
	long := make([]byte, multaque.MaxOutboxText+1)
	for i := range long {
		long[i] = 'x'
	}
	bad := map[string]multaque.OutboxItem{
		"no kind":      {Chat: 1, Text: "x"},
		"no chat":      {Kind: "k", Text: "x"},
		"priority":     {Kind: "k", Chat: 1, Priority: multaque.MaxPriority + 1, Text: "x"},
		"no text":      {Kind: "k", Chat: 1},
		"long text":    {Kind: "k", Chat: 1, Text: string(long)},
		"parse mode":   {Kind: "k", Chat: 1, Text: "x", ParseMode: "html5"},
		"button":       {Kind: "k", Chat: 1, Text: "x", Keyboard: [][]multaque.OutboxButton{{{Text: "b"}}}},
		"empty file":   {Kind: "k", Chat: 1, Document: &multaque.OutboxFile{Name: "a"}},
		"before 1970":  {Kind: "k", Chat: 1, Text: "x", NotBefore: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
		"bad UTF-8":    {Kind: "k", Chat: 1, Text: "\xff"},
		"long dedup":   {Kind: "k", Chat: 1, Text: "x", DedupKey: string(long[:multaque.MaxDedupKeyLen+1])},
		"neg attempts": {Kind: "k", Chat: 1, Text: "x", Attempts: -1},
	}
	for name, it := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := db.Enqueue(ctx, msg(1, 0, "good"), it)
			wantCode(t, err, multaque.EINVALID)
		})
	}
	if got := outboxLen(t, db); got != 0 {
		t.Errorf("OutboxLen=%d after refused enqueues, want 0", got)
	}
}

func TestEnqueueDedup(t *testing.T) {
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := openDB(t, fast, store.WithClock(clock))
	keyed := func(key, text string) multaque.OutboxItem {
		it := msg(1, 0, text)
		it.DedupKey = key
		return it
	}
	ids := enqueue(t, db, keyed("a", "a1"), keyed("b", "b1"), keyed("a", "a2"), msg(1, 0, "no key"), msg(1, 0, "no key"))
	if ids[0] == 0 || ids[1] == 0 || ids[2] != 0 || ids[3] == 0 || ids[4] == 0 {
		t.Fatalf("ids=%v, want the second \"a\" skipped (0) and the rest numbered", ids)
	}
	if err := db.Delivered(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if ids := enqueue(t, db, keyed("a", "a3")); ids[0] != 0 {
		t.Errorf("key \"a\" enqueued again after delivery: id %d", ids[0])
	}
	mu.Lock()
	now = now.Add(store.KeepDedupKeys + time.Hour)
	mu.Unlock()
	if ids := enqueue(t, db, keyed("a", "a4")); ids[0] == 0 {
		t.Errorf("key \"a\" still refused after %v", store.KeepDedupKeys)
	}
	if ids := enqueue(t, db, keyed("a", "a5")); ids[0] != 0 {
		t.Errorf("key \"a\" enqueued twice after it was pruned")
	}
	want := []string{"b1", "no key", "no key", "a4"}
	if got := due(t, db, now, 100, 0); !slices.Equal(got, want) {
		t.Errorf("Due=%q, want %q", got, want)
	}
}

func TestEnqueueCommitsWithItsChange(t *testing.T) {
	db := openDB(t, fast)
	marker := []byte("team-formed")
	change := func(fail bool) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			if err := tx.Bucket([]byte("teams")).Put(marker, []byte("x")); err != nil {
				return err
			}
			if fail {
				return errors.New("the change fails after writing")
			}
			return nil
		}
	}
	if err := db.EnqueueAlong(ctx, change(true), msg(1, 0, "welcome")); err == nil {
		t.Fatal("EnqueueAlong with a failing change: no error")
	}
	if got := outboxLen(t, db); got != 0 {
		t.Fatalf("OutboxLen=%d after a failed change, want 0", got)
	}
	if err := db.EnqueueAlong(ctx, change(false), msg(1, 0, "welcome"), msg(2, 0, "welcome")); err != nil {
		t.Fatalf("EnqueueAlong: %v", err)
	}
	var stored bool
	_ = db.View(func(tx *bolt.Tx) error { stored = tx.Bucket([]byte("teams")).Get(marker) != nil; return nil })
	if got := outboxLen(t, db); got != 2 || !stored {
		t.Fatalf("OutboxLen=%d, change stored=%v; want 2 and true", got, stored)
	}
}

func TestSettleItems(t *testing.T) {
	now := t0
	db := openDB(t, fast, store.WithClock(func() time.Time { return now }))
	ids := enqueue(t, db, msg(1, 0, "delivered"), msg(2, 0, "retried"), msg(3, 0, "buried"))

	if err := db.Delivered(ctx, ids[0]); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	if err := db.Delivered(ctx, ids[0]); err != nil {
		t.Fatalf("Delivered twice: %v", err)
	}
	if err := db.Retry(ctx, ids[1], t0.Add(time.Minute), "telegram: Internal Server Error (500)"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if got, want := due(t, db, t0, 10, 0), []string{"buried"}; !slices.Equal(got, want) {
		t.Errorf("Due after Retry=%q, want %q", got, want)
	}
	if err := db.Bury(ctx, ids[2], "telegram: Bad Request: message is too long (400)"); err != nil {
		t.Fatalf("Bury: %v", err)
	}
	items, err := db.Due(ctx, t0.Add(time.Minute), 10, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != ids[1] || items[0].Attempts != 1 || items[0].LastError != "telegram: Internal Server Error (500)" {
		t.Errorf("Due a minute later=%+v, want the retried item with 1 attempt and its error", items)
	}
	if got := outboxLen(t, db); got != 1 {
		t.Errorf("OutboxLen=%d, want 1", got)
	}
	dead, err := db.Dead(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != ids[2] || dead[0].LastError != "telegram: Bad Request: message is too long (400)" || !dead[0].DeadAt.Equal(t0) {
		t.Errorf("Dead=%+v, want the buried item with its error, dead at %v", dead, t0)
	}
	for name, err := range map[string]error{
		"Retry of a gone item":  db.Retry(ctx, ids[0], t0, "x"),
		"Bury of a gone item":   db.Bury(ctx, ids[2], "x"),
		"Bury of a never-there": db.Bury(ctx, 999, "x"),
	} {
		if err != nil {
			t.Errorf("%s: %v, want nil", name, err)
		}
	}
	wantCode(t, db.Retry(ctx, ids[1], time.Time{}, "x"), multaque.EINVALID)
}

func TestDropUnreachable(t *testing.T) {
	db := openDB(t, fast)
	c := newCitizen(77, "Núria", "gracia", "energy")
	save(t, db, c)
	ids := enqueue(t, db, msg(77, 0, "invite"), msg(77, 0, "reminder"))
	if err := db.DropUnreachable(ctx, ids[0], 77); err != nil {
		t.Fatalf("DropUnreachable: %v", err)
	}
	got, err := db.Citizen(ctx, 77)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Unreachable {
		t.Error("citizen not marked unreachable")
	}
	counts, err := db.CountWaiting(ctx, "gracia", []string{"energy"})
	if err != nil {
		t.Fatal(err)
	}
	if counts["energy"] != 0 {
		t.Errorf("CountWaiting=%v, want the unreachable citizen out of the queue", counts)
	}
	if got, want := due(t, db, time.Now(), 10, 0), []string{"reminder"}; !slices.Equal(got, want) {
		t.Errorf("Due=%q, want %q", got, want)
	}
	// Someone who is not a citizen (a mentor, a coordinator) only loses the item.
	if err := db.DropUnreachable(ctx, ids[1], 12345); err != nil {
		t.Fatalf("DropUnreachable of a non-citizen: %v", err)
	}
	if n := outboxLen(t, db); n != 0 {
		t.Errorf("OutboxLen=%d, want 0", n)
	}
}

func TestOutboxConcurrentSettles(t *testing.T) {
	db := openDB(t)
	var items []multaque.OutboxItem
	for i := range 200 {
		items = append(items, msg(int64(i+1), i%3, "m"))
	}
	ids := enqueue(t, db, items...)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				err = db.Delivered(ctx, id)
			case 1:
				err = db.Retry(ctx, id, t0.Add(time.Hour), "x")
			default:
				err = db.Bury(ctx, id, "x")
			}
			if err != nil {
				t.Errorf("settle %d: %v", id, err)
			}
		})
	}
	wg.Wait()
	if got, want := outboxLen(t, db), 67; got != want {
		t.Errorf("OutboxLen=%d, want %d", got, want)
	}
	if got := due(t, db, t0.Add(time.Hour), 1000, 0); len(got) != 67 {
		t.Errorf("Due in an hour: %d items, want 67", len(got))
	}
	dead, err := db.Dead(ctx, 1000)
	if err != nil || len(dead) != 66 {
		t.Errorf("Dead: %d items, %v; want 66", len(dead), err)
	}
}

// BenchmarkDue measures Due on a queue where almost everything waits: 100,000
// items at priority 0 backed off for an hour, and a few due at priority 9.
// Due seeks past the waiting ones instead of reading them.
func BenchmarkDue(b *testing.B) {
	db := openDB(b, fast)
	var items []multaque.OutboxItem
	for i := range 100_000 {
		it := msg(int64(i+1), 0, "waiting")
		it.NotBefore = time.Now().Add(time.Hour)
		items = append(items, it)
	}
	for i := 0; i < len(items); i += 10_000 {
		enqueue(b, db, items[i:i+10_000]...)
	}
	enqueue(b, db, msg(1, 9, "due"), msg(2, 9, "due"))
	for b.Loop() {
		got, err := db.Due(ctx, time.Now(), 100, 2, nil)
		if err != nil || len(got) != 2 {
			b.Fatalf("Due: %d items, %v", len(got), err)
		}
	}
}

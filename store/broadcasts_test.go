package store_test

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// broadcastTexts are the texts of a broadcast in every language.
var broadcastTexts = map[multaque.Lang]string{
	multaque.Catalan: "<b>Dels coordinadors</b>\n\nHola", multaque.Spanish: "<b>De los coordinadores</b>\n\nHola",
	multaque.English: "<b>From the coordinators</b>\n\nHello",
}

// broadcastTown fills db with the people of a small town: Gràcia's
// reachable citizens 1-5 (1 and 2 want the consumer group, 3 speaks
// English), an unreachable one of Gràcia (6), one of Sants (7) who wants the
// consumer group, and one of Gràcia still in the survey (8).
func broadcastTown(t *testing.T, db *store.DB) {
	t.Helper()
	for id := int64(1); id <= 5; id++ {
		c := newCitizen(id, "Veí", "gracia")
		if id <= 2 {
			c = newCitizen(id, "Veí", "gracia", "consumer-group")
		}
		if id == 3 {
			c.Lang = multaque.English
		}
		save(t, db, c)
	}
	save(t, db, newCitizen(6, "Bloc", "gracia"))
	if err := db.MarkUnreachable(ctx, 6); err != nil {
		t.Fatal(err)
	}
	save(t, db, newCitizen(7, "Sants", "sants", "consumer-group"))
	c := newCitizen(8, "Nou", "gracia")
	c.Survey.Step = multaque.StepInterests
	save(t, db, c)
}

// confirmed creates a broadcast by coordinator 100 to communities and
// project, previews and confirms it.
func confirmed(t *testing.T, db *store.DB, communities []string, project string) *multaque.Broadcast {
	t.Helper()
	bc, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 100, Communities: communities, Project: project}, t0)
	if err != nil {
		t.Fatalf("CreateBroadcast: %v", err)
	}
	if _, err := db.PreviewBroadcast(ctx, bc.ID, broadcastTexts, 5, t0); err != nil {
		t.Fatalf("PreviewBroadcast: %v", err)
	}
	if bc, err = db.ConfirmBroadcast(ctx, bc.ID, t0); err != nil {
		t.Fatalf("ConfirmBroadcast: %v", err)
	}
	return bc
}

// queueAll queues broadcast id in chunks of limit until it is queued,
// and returns how many chunks it took.
func queueAll(t *testing.T, db *store.DB, id uint64, limit int) int {
	t.Helper()
	for chunks := 1; ; chunks++ {
		bc, err := db.QueueBroadcast(ctx, id, limit, t0)
		if err != nil {
			t.Fatalf("QueueBroadcast: %v", err)
		}
		if bc.Status != multaque.BroadcastQueueing {
			return chunks
		}
		if chunks > 1000 {
			t.Fatalf("still queueing after %d chunks", chunks)
		}
	}
}

// broadcastItems returns, for each chat, the texts of the outbox items
// broadcast id put there.
func broadcastItems(t *testing.T, db *store.DB, id uint64) map[int64][]string {
	t.Helper()
	items, err := db.Due(ctx, t0.Add(24*time.Hour), 1<<20, 0, nil)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	out := map[int64][]string{}
	for _, it := range items {
		if it.Owner != store.BroadcastOwner(id) {
			continue
		}
		if it.Kind != "broadcast" || it.Priority != multaque.PriorityBulk || it.ParseMode != "HTML" {
			t.Errorf("item %+v, want kind broadcast at the bulk priority in HTML", it)
		}
		out[it.Chat] = append(out[it.Chat], it.Text)
	}
	return out
}

func chats(m map[int64][]string) []int64 {
	var out []int64
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func TestBroadcastLifecycle(t *testing.T) {
	db := openDB(t, fast)
	broadcastTown(t, db)

	bc, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 100, Community: "gracia", Communities: []string{"gracia"}}, t0)
	if err != nil {
		t.Fatalf("CreateBroadcast: %v", err)
	}
	if bc.ID == 0 || bc.Status != multaque.BroadcastDraft {
		t.Fatalf("created %+v, want an id and status draft", bc)
	}
	open, err := db.OpenBroadcast(ctx, 100)
	if err != nil || open.ID != bc.ID {
		t.Fatalf("OpenBroadcast(100)=%+v, %v; want broadcast %d", open, err, bc.ID)
	}
	_, err = db.OpenBroadcast(ctx, 101)
	wantCode(t, err, multaque.ENOTFOUND)
	_, err = db.ConfirmBroadcast(ctx, bc.ID, t0)
	wantCode(t, err, multaque.ECONFLICT) // no text yet

	n, err := db.CountBroadcastRecipients(ctx, []string{"gracia"}, "")
	if err != nil || n != 6 {
		t.Fatalf("CountBroadcastRecipients(gracia)=%d, %v; want 6 (1-5 and 8, not the unreachable 6)", n, err)
	}
	if _, err := db.PreviewBroadcast(ctx, bc.ID, broadcastTexts, n, t0); err != nil {
		t.Fatalf("PreviewBroadcast: %v", err)
	}
	_, err = db.PreviewBroadcast(ctx, bc.ID, broadcastTexts, n, t0)
	wantCode(t, err, multaque.ECONFLICT) // a text given twice

	// Nothing is queued before confirmation.
	if got := broadcastItems(t, db, bc.ID); len(got) != 0 {
		t.Fatalf("before confirmation the outbox holds %v", got)
	}
	if q, err := db.QueueBroadcast(ctx, bc.ID, 10, t0); err != nil || q.Status != multaque.BroadcastPreview || q.Queued != 0 {
		t.Fatalf("QueueBroadcast before confirmation=%+v, %v; want it untouched", q, err)
	}

	got, err := db.ConfirmBroadcast(ctx, bc.ID, t0)
	if err != nil || got.Status != multaque.BroadcastQueueing {
		t.Fatalf("ConfirmBroadcast=%+v, %v; want queueing", got, err)
	}
	again, err := db.ConfirmBroadcast(ctx, bc.ID, t0.Add(time.Second))
	wantCode(t, err, multaque.ECONFLICT)
	if again == nil || again.Status != multaque.BroadcastQueueing || !again.ConfirmedAt.Equal(t0) {
		t.Fatalf("second ConfirmBroadcast returned %+v, want the broadcast as confirmed the first time", again)
	}
	_, err = db.CancelBroadcast(ctx, bc.ID, t0)
	wantCode(t, err, multaque.ECONFLICT)
	if _, err := db.OpenBroadcast(ctx, 100); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("OpenBroadcast after confirmation: %v, want ENOTFOUND", err)
	}
	if ids, err := db.QueueingBroadcasts(ctx); err != nil || !slices.Equal(ids, []uint64{bc.ID}) {
		t.Fatalf("QueueingBroadcasts=%v, %v; want [%d]", ids, err, bc.ID)
	}

	if chunks := queueAll(t, db, bc.ID, 2); chunks != 3 {
		t.Errorf("queued 6 recipients 2 at a time in %d chunks, want 3", chunks)
	}
	items := broadcastItems(t, db, bc.ID)
	if got, want := chats(items), []int64{1, 2, 3, 4, 5, 8}; !slices.Equal(got, want) {
		t.Fatalf("broadcast went to %v, want %v", got, want)
	}
	for chat, texts := range items {
		want := broadcastTexts[multaque.Catalan]
		if chat == 3 {
			want = broadcastTexts[multaque.English]
		}
		if len(texts) != 1 || texts[0] != want {
			t.Errorf("chat %d got %q, want once %q", chat, texts, want)
		}
	}
	final, err := db.Broadcast(ctx, bc.ID)
	if err != nil || final.Status != multaque.BroadcastQueued || final.Queued != 6 || final.Cursor != 0 || final.DoneAt.IsZero() {
		t.Fatalf("queued broadcast %+v, %v; want status queued, 6 queued, no cursor left", final, err)
	}
	if ids, _ := db.QueueingBroadcasts(ctx); len(ids) != 0 {
		t.Errorf("QueueingBroadcasts=%v after it was queued, want none", ids)
	}
	// Queueing it again queues nothing.
	if q, err := db.QueueBroadcast(ctx, bc.ID, 10, t0); err != nil || q.Queued != 6 {
		t.Fatalf("QueueBroadcast again=%+v, %v", q, err)
	}
	if n := len(broadcastItems(t, db, bc.ID)); n != 6 {
		t.Errorf("after queueing again %d chats have items, want 6", n)
	}
	_, err = db.Broadcast(ctx, 999)
	wantCode(t, err, multaque.ENOTFOUND)
}

func TestBroadcastToProjectAndEveryone(t *testing.T) {
	db := openDB(t, fast)
	broadcastTown(t, db)
	tests := []struct {
		communities []string
		project     string
		want        []int64
	}{
		{nil, "", []int64{1, 2, 3, 4, 5, 7, 8}},
		{nil, "consumer-group", []int64{1, 2, 7}},
		{[]string{"gracia", "vila-de-gracia"}, "consumer-group", []int64{1, 2}},
		{[]string{"sants"}, "", []int64{7}},
		{[]string{"sants"}, "energy", nil},
	}
	for _, tt := range tests {
		n, err := db.CountBroadcastRecipients(ctx, tt.communities, tt.project)
		if err != nil || n != len(tt.want) {
			t.Errorf("CountBroadcastRecipients(%v, %q)=%d, %v; want %d", tt.communities, tt.project, n, err, len(tt.want))
		}
		bc := confirmed(t, db, tt.communities, tt.project)
		queueAll(t, db, bc.ID, 100)
		if got := chats(broadcastItems(t, db, bc.ID)); !slices.Equal(got, tt.want) {
			t.Errorf("broadcast to %v %q went to %v, want %v", tt.communities, tt.project, got, tt.want)
		}
	}
}

func TestCreateBroadcastCancelsTheOpenOne(t *testing.T) {
	db := openDB(t, fast)
	first, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 100}, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 200}, t0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.CreateBroadcast(ctx, multaque.Broadcast{By: 100, Project: "energy"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Broadcast(ctx, first.ID); got.Status != multaque.BroadcastCancelled {
		t.Errorf("first broadcast is %s after a second, want cancelled", got.Status)
	}
	if got, _ := db.OpenBroadcast(ctx, 100); got == nil || got.ID != second.ID {
		t.Errorf("OpenBroadcast(100)=%+v, want the second", got)
	}
	if got, _ := db.OpenBroadcast(ctx, 200); got == nil || got.ID != other.ID {
		t.Errorf("another coordinator's broadcast changed: %+v", got)
	}
	got, err := db.CancelBroadcast(ctx, second.ID, t0)
	if err != nil || got.Status != multaque.BroadcastCancelled {
		t.Fatalf("CancelBroadcast=%+v, %v", got, err)
	}
	_, err = db.OpenBroadcast(ctx, 100)
	wantCode(t, err, multaque.ENOTFOUND)
	_, err = db.ConfirmBroadcast(ctx, second.ID, t0)
	wantCode(t, err, multaque.ECONFLICT)
	_, err = db.CreateBroadcast(ctx, multaque.Broadcast{By: 0}, t0)
	wantCode(t, err, multaque.EINVALID)
	_, err = db.CreateBroadcast(ctx, multaque.Broadcast{By: 1, Community: "Not an id"}, t0)
	wantCode(t, err, multaque.EINVALID)

	list, err := db.Broadcasts(ctx, 2, nil)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != other.ID {
		t.Fatalf("Broadcasts(2)=%+v, %v; want the second, then the other coordinator's", list, err)
	}
	mine, err := db.Broadcasts(ctx, 10, func(bc *multaque.Broadcast) bool { return bc.By == 100 })
	if err != nil || len(mine) != 2 || mine[0].ID != second.ID || mine[1].ID != first.ID {
		t.Fatalf("Broadcasts of 100=%+v, %v; want the second, then the first", mine, err)
	}
}

// TestBroadcastResumesAfterCrash stops queueing after a few chunks, as a
// crash would (each chunk is one transaction), opens the file again and
// queues on: everybody gets the broadcast exactly once.
func TestBroadcastResumesAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multaque.db")
	db, err := store.Open(path, fast)
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 50; id++ {
		save(t, db, newCitizen(id, "Veí", "gracia"))
	}
	bc := confirmed(t, db, nil, "")
	for range 3 {
		if _, err := db.QueueBroadcast(ctx, bc.ID, 7, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDBAt(t, path, fast)
	ids, err := db.QueueingBroadcasts(ctx)
	if err != nil || !slices.Equal(ids, []uint64{bc.ID}) {
		t.Fatalf("after reopening QueueingBroadcasts=%v, %v; want [%d]", ids, err, bc.ID)
	}
	half, _ := db.Broadcast(ctx, bc.ID)
	if half.Queued != 21 {
		t.Fatalf("queued %d before the crash, want 21", half.Queued)
	}
	queueAll(t, db, bc.ID, 7)
	items := broadcastItems(t, db, bc.ID)
	if len(items) != 50 {
		t.Fatalf("%d of 50 citizens got the broadcast", len(items))
	}
	for chat, texts := range items {
		if len(texts) != 1 {
			t.Errorf("chat %d got %d messages, want 1", chat, len(texts))
		}
	}
	if done, _ := db.Broadcast(ctx, bc.ID); done.Queued != 50 || done.Status != multaque.BroadcastQueued {
		t.Errorf("broadcast %+v, want 50 queued", done)
	}
}

// TestBroadcastOutcomes counts what the Sender does with a broadcast's
// messages: delivered, dead, dropped as unreachable; a retry is neither.
func TestBroadcastOutcomes(t *testing.T) {
	db := openDB(t, fast)
	for id := int64(1); id <= 5; id++ {
		save(t, db, newCitizen(id, "Veí", "gracia"))
	}
	other := enqueue(t, db, msg(1, 0, "not a broadcast"))
	bc := confirmed(t, db, nil, "")
	queueAll(t, db, bc.ID, 10)
	items, err := db.Due(ctx, t0.Add(time.Hour), 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	byChat := map[int64]uint64{}
	for _, it := range items {
		if it.Owner == store.BroadcastOwner(bc.ID) {
			byChat[it.Chat] = it.ID
		}
	}
	steps := []error{
		db.Delivered(ctx, byChat[1]),
		db.Delivered(ctx, byChat[2]),
		db.Delivered(ctx, byChat[2]), // settled twice: counted once
		db.Bury(ctx, byChat[3], "400"),
		db.DropUnreachable(ctx, byChat[4], 4),
		db.Retry(ctx, byChat[5], t0.Add(time.Minute), "502"),
		db.Delivered(ctx, other[0]),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got, err := db.Broadcast(ctx, bc.ID)
	if err != nil || got.Delivered != 2 || got.Failed != 2 || got.Queued != 5 {
		t.Fatalf("broadcast %+v, %v; want 5 queued, 2 delivered, 2 failed", got, err)
	}
	list, _ := db.Broadcasts(ctx, 1, nil)
	if len(list) != 1 || list[0].Delivered != 2 || list[0].Failed != 2 {
		t.Errorf("Broadcasts gives %+v, want the same outcomes", list)
	}
}

// TestCountBroadcastRecipientsInChunks counts over more citizens than one
// read transaction looks at.
func TestCountBroadcastRecipientsInChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 25,000 citizens")
	}
	db := openDB(t, fast)
	var cs []*multaque.Citizen
	for id := int64(1); id <= 25_000; id++ {
		community := "gracia"
		if id%5 == 0 {
			community = "sants"
		}
		cs = append(cs, newCitizen(id, "Veí "+strconv.FormatInt(id, 10), community))
	}
	if err := store.LoadCitizens(db, cs); err != nil {
		t.Fatal(err)
	}
	n, err := db.CountBroadcastRecipients(ctx, []string{"sants"}, "")
	if err != nil || n != 5_000 {
		t.Fatalf("CountBroadcastRecipients(sants)=%d, %v; want 5000", n, err)
	}
	n, err = db.CountBroadcastRecipients(ctx, nil, "")
	if err != nil || n != 25_000 {
		t.Fatalf("CountBroadcastRecipients(everywhere)=%d, %v; want 25000", n, err)
	}
	bc := confirmed(t, db, []string{"sants"}, "")
	chunks := queueAll(t, db, bc.ID, 500)
	if done, _ := db.Broadcast(ctx, bc.ID); done.Queued != 5_000 {
		t.Fatalf("queued %d, want 5000", done.Queued)
	}
	// 25,000 citizens at most 500 × 20 looked at per chunk: 3 chunks at
	// least; 5,000 recipients at most 500 queued per chunk: 10 at least.
	if chunks < 10 || chunks > 11 {
		t.Errorf("queued in %d chunks, want 10 or 11", chunks)
	}
}

// TestForgetMovesABroadcastCursor: a broadcast being queued whose cursor
// stopped at someone who is then forgotten keeps no trace of their id, and
// queueing goes on with everyone else exactly once.
func TestForgetMovesABroadcastCursor(t *testing.T) {
	db := openDB(t, fast)
	for id := int64(1); id <= 20; id++ {
		save(t, db, newCitizen(id, "Veí", "gracia"))
	}
	bc := confirmed(t, db, nil, "")
	if _, err := db.QueueBroadcast(ctx, bc.ID, 7, t0); err != nil {
		t.Fatal(err)
	}
	half, _ := db.Broadcast(ctx, bc.ID)
	if half.Cursor != 7 {
		t.Fatalf("cursor after one chunk of 7=%d, want 7", half.Cursor)
	}
	if err := db.ForgetCitizen(ctx, 7); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Broadcast(ctx, bc.ID)
	if after.Cursor != 6 {
		t.Errorf("cursor after forgetting citizen 7=%d, want 6 (the citizen before)", after.Cursor)
	}
	queueAll(t, db, bc.ID, 7)
	items := broadcastItems(t, db, bc.ID)
	if len(items) != 19 {
		t.Errorf("%d citizens got the broadcast, want the 19 left", len(items))
	}
	if _, ok := items[7]; ok {
		t.Errorf("the forgotten citizen still has the broadcast")
	}
	for chat, texts := range items {
		if len(texts) != 1 {
			t.Errorf("chat %d got %d messages, want 1", chat, len(texts))
		}
	}
}

// TestForgetARecipientOfAQueuedBroadcast: a broadcast's messages carry no
// dedup key; erasing a recipient while they wait removes that person's
// message, and the message and key an older version queued for them, and
// nobody else's.
func TestForgetARecipientOfAQueuedBroadcast(t *testing.T) {
	db := openDB(t, fast)
	for id := int64(1); id <= 10; id++ {
		save(t, db, newCitizen(id, "Veí", "gracia"))
	}
	// A message of broadcast 99 as versions before 2026-11 queued it, with
	// its dedup key.
	old := multaque.OutboxItem{
		Kind: "broadcast", Chat: 4, Priority: multaque.PriorityBulk, ParseMode: "HTML", Text: "Abans",
		Owner: store.BroadcastOwner(99), DedupKey: "broadcast/99/4",
	}
	if _, err := db.Enqueue(ctx, old); err != nil {
		t.Fatal(err)
	}
	bc := confirmed(t, db, nil, "")
	queueAll(t, db, bc.ID, 4)
	if keys := outboxKeys(t, db); !slices.Equal(keys, []string{"broadcast/99/4"}) {
		t.Fatalf("dedup keys after queueing %q, want only the older version's", keys)
	}

	if err := db.ForgetCitizen(ctx, 4); err != nil {
		t.Fatal(err)
	}
	items := broadcastItems(t, db, bc.ID)
	if _, ok := items[4]; ok || len(items) != 9 {
		t.Errorf("after erasing citizen 4 the broadcast waits for %v, want the 9 others", chats(items))
	}
	for chat, texts := range items {
		if len(texts) != 1 {
			t.Errorf("chat %d has %d messages, want 1", chat, len(texts))
		}
	}
	if left := broadcastItems(t, db, 99); len(left) != 0 {
		t.Errorf("the older version's message is still there: %v", left)
	}
	if keys := outboxKeys(t, db); len(keys) != 0 {
		t.Errorf("dedup keys after the erasure %q, want none", keys)
	}
	if n, err := db.OutboxLen(ctx); err != nil || n != 9 {
		t.Errorf("OutboxLen=%d, %v; want 9", n, err)
	}
}

// outboxKeys returns the dedup keys the outbox remembers.
func outboxKeys(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("outbox")).Bucket([]byte("keys")).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

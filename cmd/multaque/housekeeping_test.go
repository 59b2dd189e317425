package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/store"
)

// TestHousekeepingPurgesWhatExpired pins the housekeeper's clock: an
// expired mentor invite, the draft of someone who agreed to its notice and
// never finished, an expired coordinator invite and a refusal past
// store.KeepRefusals are deleted by the scheduled purge; live ones stay,
// and the log says how many, never who.
func TestHousekeepingPurgesWhatExpired(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"), store.BatchDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const coord, pau, eve = int64(7), int64(31), int64(66)
	soon, err := db.CreateMentorCode(ctx, coord, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	live, err := db.CreateMentorCode(ctx, coord, t0.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMentorDraft(ctx, soon, multaque.Mentor{ID: pau, Name: "Pau Vidal", Lang: multaque.Catalan, JoinedAt: t0}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCoordinatorCode(ctx, coord, nil, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, multaque.AuditEntry{At: t0, Actor: eve, Command: "stats", Refused: true}); err != nil {
		t.Fatal(err)
	}

	var now atomic.Int64
	now.Store(t0.Add(2 * time.Hour).UnixNano())
	var logs syncBuffer
	h := housekeeper{db: db, now: func() time.Time { return time.Unix(0, now.Load()).UTC() }, log: zerolog.New(&logs)}
	p, err := h.purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Purged{MentorCodes: 1, MentorDrafts: 1, CoordinatorCodes: 1}); p != want {
		t.Errorf("purge two hours on = %+v, want %+v", p, want)
	}
	if _, _, err := db.MentorDraft(ctx, pau); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Errorf("the draft of an expired invite survived housekeeping: %v", err)
	}
	if err := db.CheckMentorCode(ctx, live, t0); err != nil {
		t.Errorf("housekeeping deleted a live invite: %v", err)
	}
	if s := logs.String(); !strings.Contains(s, `"mentor_drafts":1`) || strings.Contains(s, "Pau") || strings.Contains(s, "31") {
		t.Errorf("housekeeping log = %s, want counts and nobody's name or id", s)
	}

	// Scheduled: the refusal goes once the clock passes KeepRefusals.
	stop := h.start(ctx, 5*time.Millisecond)
	defer stop()
	now.Store(t0.Add(store.KeepRefusals + 24*time.Hour).UnixNano())
	deadline := time.Now().Add(5 * time.Second)
	for {
		log, err := db.AuditLogBy(ctx, eve, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refusal past KeepRefusals is still there: %+v", log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the housekeeper's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

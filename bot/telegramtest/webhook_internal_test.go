package telegramtest

import (
	"testing"
	"time"
)

// TestWebhookBackOff checks the schedule of WebhookActor::on_update_error in
// tdlib/telegram-bot-api: the first failure is retried at once, then the
// delay doubles from 2 s up to a random 60-120 s; a Retry-After (at most
// 3600 s) replaces it; an update whose next attempt would fall more than a
// day after it was made is dropped.
func TestWebhookBackOff(t *testing.T) {
	q := &updateQueue{second: time.Second}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	it := &queuedUpdate{queued: now, delay: 1}
	var waits []time.Duration
	for range 12 {
		if !q.backOffLocked(it, 0, now) {
			t.Fatalf("dropped a young update")
		}
		waits = append(waits, it.notBefore.Sub(now))
	}
	for i, want := range []time.Duration{0, 2, 4, 8, 16, 32} {
		if waits[i] != want*time.Second {
			t.Fatalf("waits %v: attempt %d waits %v, want %v", waits, i+1, waits[i], want*time.Second)
		}
	}
	for _, w := range waits[6:] {
		if w < 60*time.Second || w > 120*time.Second {
			t.Fatalf("waits %v: past 32 s each wait must be 60-120 s", waits)
		}
	}
	if !q.backOffLocked(it, 30, now) || it.notBefore.Sub(now) != 30*time.Second {
		t.Fatalf("Retry-After 30: waits %v, want 30 s", it.notBefore.Sub(now))
	}
	if !q.backOffLocked(it, 5000, now) || it.notBefore.Sub(now) != 3600*time.Second {
		t.Fatalf("Retry-After 5000: waits %v, want 3600 s", it.notBefore.Sub(now))
	}
	old := &queuedUpdate{queued: now.Add(-86400*time.Second + 10*time.Second), delay: 1, attempts: 1}
	if q.backOffLocked(old, 0, now) != true {
		t.Fatalf("an update 10 s short of a day, next attempt in 2 s: dropped, want kept")
	}
	if q.backOffLocked(old, 30, now) {
		t.Fatalf("an update 10 s short of a day, next attempt in 30 s: kept, want dropped")
	}
}

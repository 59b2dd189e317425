package outbox

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, time.Minute
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute, 500: time.Minute} {
		for range 100 {
			if got := backoff(attempts, lo, hi); got < want/2 || got > want*3/2 {
				t.Fatalf("backoff(%d)=%v, want within [%v, %v]", attempts, got, want/2, want*3/2)
			}
		}
	}
}

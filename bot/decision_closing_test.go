package bot

import (
	"testing"
	"time"

	"github.com/multaque/multaque"
)

func TestReminderDue(t *testing.T) {
	opened := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		lasts, want time.Duration // after opening
	}{
		{3 * 24 * time.Hour, 2 * 24 * time.Hour}, // a day before closing
		{48 * time.Hour, 24 * time.Hour},
		{24 * time.Hour, 12 * time.Hour}, // halfway, not at once
		{time.Hour, 30 * time.Minute},
	} {
		d := &multaque.Decision{OpenedAt: opened, Closes: opened.Add(c.lasts)}
		if got := reminderDue(d).Sub(opened); got != c.want {
			t.Errorf("a decision of %v is reminded %v after opening, want %v", c.lasts, got, c.want)
		}
	}
}

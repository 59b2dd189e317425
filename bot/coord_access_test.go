package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/multaque/multaque"
)

// TestRefusalsCannotGrowTheLog: someone who is no coordinator trying a
// coordinators' command again and again leaves one audit entry for the
// day, with the count, and makes the bot take the coordinators' menu away
// once, not once a try.
func TestRefusalsCannotGrowTheLog(t *testing.T) {
	h := newHarness(t)
	en := multaque.English
	eve := h.srv.NewUser("Eve", "en")
	const tries = 12
	for range tries {
		eve.Send("/stats")
		eve.Expect(t, h.text(en, "admin_refused"))
	}
	eve.Send("/match")
	eve.Expect(t, h.text(en, "admin_refused"))

	log, err := h.db.AuditLogBy(context.Background(), eve.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("the audit log holds %d entries of Eve, want 2 (stats, match): %+v", len(log), log)
	}
	if log[1].Command != "stats" || log[1].Count != tries || log[1].First.After(log[1].At) {
		t.Errorf("Eve's stats entry = %+v, want %d refusals counted", log[1], tries)
	}
	resets := 0
	for _, c := range h.srv.Calls("deleteMyCommands") {
		if strings.Contains(c.Params["scope"], strconv.FormatInt(eve.ID, 10)) {
			resets++
		}
	}
	if resets != 1 {
		t.Errorf("the bot reset Eve's menu %d times, want once for the day", resets)
	}
}

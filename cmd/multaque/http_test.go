package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/store"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestOperatorServer(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if _, err := tg.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	ops, err := startOperatorServer("127.0.0.1:0", operatorHandler(db, reg), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ops.addr.String()

	if code, body := get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 \"ok\"", code, body)
	}
	code, body := get(t, base+"/metrics")
	for _, name := range []string{"multaque_outbox_queue_length", "multaque_outbox_sent_total", `multaque_outbox_failed_total{reason="transient"}`,
		"multaque_outbox_dead_total", "multaque_sender_pause_seconds", "multaque_updates_handled_total", "multaque_update_handle_seconds_bucket"} {
		if code != http.StatusOK || !strings.Contains(body, name) {
			t.Errorf("/metrics (%d) has no %s", code, name)
		}
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", code)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the store closed: %d %q, want 503", code, body)
	}
	if err := ops.shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

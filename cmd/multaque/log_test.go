package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewLoggerFormat(t *testing.T) {
	tests := []struct {
		format     string
		isTerminal bool
		wantJSON   bool
	}{
		{"json", false, true},
		{"json", true, true},
		{"console", false, false},
		{"console", true, false},
		{"auto", false, true},
		{"auto", true, false},
		{"", false, true},
		{"", true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/terminal=%v", tt.format, tt.isTerminal), func(t *testing.T) {
			var buf bytes.Buffer
			log, err := NewLogger(&buf, LogConfig{Level: "info", Format: tt.format}, tt.isTerminal)
			if err != nil {
				t.Fatalf("NewLogger: %v", err)
			}
			log.Info().Str("component", "matching").Msg("teams formed")
			out := buf.String()

			var line map[string]any
			isJSON := json.Unmarshal(buf.Bytes(), &line) == nil
			if isJSON != tt.wantJSON {
				t.Fatalf("output %q: JSON=%v, want %v", out, isJSON, tt.wantJSON)
			}
			if isJSON {
				if line["level"] != "info" || line["message"] != "teams formed" || line["component"] != "matching" {
					t.Errorf("JSON line = %v, want level, message and component", line)
				}
				if _, err := time.Parse(time.RFC3339, fmt.Sprint(line["time"])); err != nil {
					t.Errorf("JSON line time = %v, want an RFC 3339 timestamp", line["time"])
				}
				return
			}
			for _, want := range []string{"INF", "teams formed", "component=", "matching"} {
				if !strings.Contains(out, want) {
					t.Errorf("console line = %q, want it to contain %q", out, want)
				}
			}
			if hasColor := strings.Contains(out, "\x1b["); hasColor != tt.isTerminal {
				t.Errorf("console line = %q: colour=%v, want colour only on a terminal", out, hasColor)
			}
		})
	}
}

func TestNewLoggerLevel(t *testing.T) {
	for _, tt := range []struct {
		level string
		want  []string // messages that get through, of debug, info, warn, error
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
	} {
		var buf bytes.Buffer
		log, err := NewLogger(&buf, LogConfig{Level: tt.level, Format: "json"}, false)
		if err != nil {
			t.Fatalf("NewLogger(level %q): %v", tt.level, err)
		}
		log.Debug().Msg("d")
		log.Info().Msg("i")
		log.Warn().Msg("w")
		log.Error().Msg("e")
		var got []string
		for line := range strings.Lines(buf.String()) {
			var l struct{ Message string }
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, l.Message)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("level %q logged %q, want %q", tt.level, got, tt.want)
		}
	}
}

func TestNewLoggerErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  LogConfig
		want string
	}{
		{LogConfig{Level: "trace", Format: "json"}, `log.level: must be debug, info, warn or error, got "trace"`},
		{LogConfig{Level: "INFO", Format: "json"}, `log.level:`},
		{LogConfig{Level: "info", Format: "logfmt"}, `log.format: must be auto, json or console, got "logfmt"`},
	} {
		if _, err := NewLogger(io.Discard, tt.cfg, false); err == nil || err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("NewLogger(%+v): err=%v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// telebot's errors quote the request URL, which holds the bot token: such an
// error must reach the log without it, in every format.
func TestNewLoggerRedactsSecrets(t *testing.T) {
	_, tokenSecret, _ := strings.Cut(testToken, ":")
	errs := []error{
		fmt.Errorf(`telebot: Post "https://api.telegram.org/bot%s/getUpdates": dial tcp: i/o timeout`, testToken),
		fmt.Errorf("retrying https://api.telegram.org/bot%s/sendMessage?x=1", url.PathEscape(testToken)),
		fmt.Errorf("form value token=%s", url.QueryEscape(testToken)),
		fmt.Errorf("webhook secret %s did not match", testSecret),
		fmt.Errorf("twice: %s %s", testToken, testToken),
	}
	for _, format := range []string{"json", "console"} {
		for _, e := range errs {
			var buf bytes.Buffer
			log, err := NewLogger(&buf, LogConfig{Level: "info", Format: format}, false, testToken, testSecret)
			if err != nil {
				t.Fatal(err)
			}
			log.Error().Err(e).Str("url", "https://api.telegram.org/bot"+testToken+"/getMe").Msg("telegram call failed")
			out := buf.String()
			for _, secret := range []string{testToken, url.QueryEscape(testToken), tokenSecret, testSecret} {
				if strings.Contains(out, secret) {
					t.Errorf("%s log line contains a secret: %s", format, out)
				}
			}
			if !strings.Contains(out, "<redacted>") || !strings.Contains(out, "telegram call failed") {
				t.Errorf("%s log line = %s, want the message with <redacted> in place of the secret", format, out)
			}
		}
	}
}

func TestRedactingWriter(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"plain", []string{"s3cr3t"}, "a s3cr3t b", "a <redacted> b"},
		{"every occurrence", []string{"ab"}, "abxabab", "<redacted>x<redacted><redacted>"},
		{"query-escaped", []string{"1:a b"}, "token=1%3Aa+b", "token=<redacted>"},
		{"path-escaped", []string{"a b/c"}, "/bot/a%20b%2Fc/x", "/bot/<redacted>/x"},
		{"longest first", []string{"abc", "abcdef"}, "abcdef abc", "<redacted> <redacted>"},
		{"empty secrets ignored", []string{"", "x"}, "axa", "a<redacted>a"},
		{"nothing to hide", []string{"zzz"}, "hello", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := RedactingWriter(&buf, tt.secrets...)
			n, err := w.Write([]byte(tt.in))
			if err != nil || n != len(tt.in) {
				t.Errorf("Write = %d, %v; want %d, nil", n, err, len(tt.in))
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
			if got := redact(tt.in, tt.secrets...); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	var buf bytes.Buffer
	if w := RedactingWriter(&buf, "", ""); w != io.Writer(&buf) {
		t.Errorf("RedactingWriter with no secrets = %T, want the writer itself", w)
	}
}

func TestRedactingWriterError(t *testing.T) {
	want := errors.New("disk full")
	w := RedactingWriter(failingWriter{want}, "x")
	if n, err := w.Write([]byte("x")); n != 0 || !errors.Is(err, want) {
		t.Errorf("Write = %d, %v; want 0, %v", n, err, want)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func BenchmarkRedactingWriter(b *testing.B) {
	w := RedactingWriter(io.Discard, testToken, testSecret)
	line := []byte(`{"level":"error","component":"bot","update_id":123456,"chat":-100123456789,"error":"telegram: Forbidden: bot was blocked by the user (403)","time":"2026-01-02T03:04:05Z","message":"send failed"}` + "\n")
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := w.Write(line); err != nil {
			b.Fatal(err)
		}
	}
}

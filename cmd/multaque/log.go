package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// NewLogger returns the process logger writing to w: JSON lines by default,
// zerolog's human-readable console format when cfg.Format is "console", or
// "auto" and isTerminal. Every event carries a timestamp; callers scope it
// with log.With().Str("component", "matching").Logger().
//
// Each of secrets (the bot token, the webhook secret: see Config.Secrets) is
// replaced with "<redacted>" in everything written, so an error string that
// embeds one, such as telebot's HTTP errors that quote the request URL with
// the token in it, cannot leak it into the logs.
//
// An empty Level means info and an empty Format auto.
func NewLogger(w io.Writer, cfg LogConfig, isTerminal bool, secrets ...string) (zerolog.Logger, error) {
	level := zerolog.InfoLevel
	switch cfg.Level {
	case "":
	case "debug", "info", "warn", "error":
		level, _ = zerolog.ParseLevel(cfg.Level)
	default:
		return zerolog.Nop(), fmt.Errorf("log.level: must be debug, info, warn or error, got %q", cfg.Level)
	}

	out := RedactingWriter(w, secrets...)
	switch cfg.Format {
	case "json":
	case "console", "auto", "":
		if cfg.Format == "console" || isTerminal {
			// The redactor stays under the console writer: it sees the
			// exact bytes that reach w.
			out = zerolog.ConsoleWriter{Out: out, NoColor: !isTerminal, TimeFormat: time.DateTime}
		}
	default:
		return zerolog.Nop(), fmt.Errorf("log.format: must be auto, json or console, got %q", cfg.Format)
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// RedactingWriter returns a writer that passes everything to w with every
// occurrence of each secret, and of its URL-escaped forms, replaced with
// "<redacted>". Empty secrets are ignored; with none, w itself is returned.
//
// Replacement works within one Write call, so a secret split across two
// calls would slip through; zerolog writes each event with a single Write.
func RedactingWriter(w io.Writer, secrets ...string) io.Writer {
	forms := secretForms(secrets)
	if len(forms) == 0 {
		return w
	}
	return &redactingWriter{w: w, forms: forms}
}

// redactingWriter is the writer RedactingWriter returns. It holds no mutable
// state, so it is as safe for concurrent use as the writer under it.
type redactingWriter struct {
	w     io.Writer
	forms [][]byte
}

const redacted = "<redacted>"

// Write writes p to the underlying writer with the secrets replaced. It
// reports len(p) on success, as io.Writer requires, even though the number
// of bytes that went down differs.
func (r *redactingWriter) Write(p []byte) (int, error) {
	out := p
	for _, f := range r.forms {
		if bytes.Contains(out, f) {
			out = bytes.ReplaceAll(out, f, []byte(redacted))
		}
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// secretForms returns each non-empty secret as written, query-escaped and
// path-escaped, longest first so that a secret containing another is
// replaced whole.
func secretForms(secrets []string) [][]byte {
	seen := map[string]bool{}
	var forms [][]byte
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if !seen[f] {
				seen[f] = true
				forms = append(forms, []byte(f))
			}
		}
	}
	slices.SortStableFunc(forms, func(a, b []byte) int { return len(b) - len(a) })
	return forms
}

// redact returns s with every form of each secret replaced with "<redacted>".
func redact(s string, secrets ...string) string {
	for _, f := range secretForms(secrets) {
		s = strings.ReplaceAll(s, string(f), redacted)
	}
	return s
}

// Durations are logged as Go writes them ("1.5s", "8.06ms"), not as bare
// numbers whose unit the reader must guess.
func init() { zerolog.DurationFieldFormat = zerolog.DurationFormatString }

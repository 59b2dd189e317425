package tg

import (
	"net/url"
	"strings"
)

// redactedError hides the bot token in an error's text while keeping the
// error chain, so errors.Is and errors.As still see telebot's errors.
// Telebot's HTTP errors quote the request URL, which holds the token.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Redact returns err with every occurrence of token (plain or URL-escaped)
// in its text replaced. It returns err itself when the token is absent.
func Redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	msg := err.Error()
	clean := RedactString(msg, token)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// RedactString replaces every occurrence of token in s, plain or
// URL-escaped, by "<redacted>".
func RedactString(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "<redacted>")
	if esc := url.QueryEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<redacted>")
	}
	if esc := url.PathEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<redacted>")
	}
	return s
}

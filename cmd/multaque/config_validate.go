package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Validate checks the configuration for serve, the real bot: everything
// ValidateSandbox checks, plus a bot token. It reports every problem at once,
// one per line, each starting with the field's dotted YAML name, e.g.
// "sender.rate: must be in (0, 30]". It never prints a secret.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Telegram.Token == "":
		errs = append(errs, errors.New("telegram.token: set MULTAQUE_TELEGRAM_TOKEN to the token @BotFather gave you"))
	case !tokenPattern.MatchString(c.Telegram.Token):
		errs = append(errs, errors.New("telegram.token: MULTAQUE_TELEGRAM_TOKEN does not look like a bot token (digits, a colon, then letters, digits, _ and -); check for quotes or stray characters"))
	}
	return errors.Join(maskSecrets(append(errs, c.validate()...), c.Telegram.Token, c.Telegram.Webhook.Secret)...)
}

// ValidateSandbox checks the configuration for sandbox mode, which runs the
// bot against an in-process fake Telegram and so needs no token. Everything
// else is checked as Validate does.
func (c *Config) ValidateSandbox() error {
	return errors.Join(maskSecrets(c.validate(), c.Telegram.Token, c.Telegram.Webhook.Secret)...)
}

// maskSecrets masks the secrets in each error (see maskSecret): a secret
// pasted into the wrong setting must not be echoed in the problem about it.
func maskSecrets(errs []error, token, secret string) []error {
	for i, err := range errs {
		if m := maskSecret(err.Error(), token, secret); m != err.Error() {
			errs[i] = errors.New(m)
		}
	}
	return errs
}

// maskSecret masks in s the bot token, the part of it after the colon
// (enough to use it) and the webhook secret.
func maskSecret(s, token, secret string) string {
	key := ""
	if _, k, _ := strings.Cut(token, ":"); len(k) >= 16 {
		key = k
	}
	return redact(s, token, key, secret)
}

var (
	// tokenPattern is the shape of a bot token ("123456:AA…"). Checking it
	// catches quotes and newlines pasted from .env files, which would
	// otherwise show up later as puzzling 404s from the Bot API.
	tokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	// secretPattern is the webhook's secret_token we accept: Telegram
	// takes 1-256 characters of these; fewer than 32 could be guessed by
	// whoever can reach the webhook, who could then act as anyone.
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{32,256}$`)
)

func (c *Config) validate() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf(field+": "+format, args...))
	}

	t := c.Telegram
	if err := checkURL(t.APIURL, "http", "https"); err != nil {
		bad("telegram.api_url", "%v", err)
	}
	switch t.Mode {
	case "polling":
	case "webhook":
		w := t.Webhook
		if err := checkListenAddr(w.Listen); err != nil {
			bad("telegram.webhook.listen", "%v", err)
		}
		if !strings.HasPrefix(w.Path, "/") {
			bad("telegram.webhook.path", "must start with /, got %q", w.Path)
		}
		if w.PublicURL == "" {
			bad("telegram.webhook.public_url", "required in webhook mode: the https URL Telegram posts updates to (MULTAQUE_WEBHOOK_PUBLIC_URL)")
		} else if err := checkURL(w.PublicURL, "https"); err != nil {
			bad("telegram.webhook.public_url", "%v", err)
		} else if u, _ := url.Parse(w.PublicURL); !slices.Contains([]string{"", "443", "80", "88", "8443"}, u.Port()) {
			bad("telegram.webhook.public_url", "Telegram sends webhooks only to ports 443, 80, 88 and 8443, got %s", u.Port())
		}
		if w.Secret == "" {
			bad("telegram.webhook.secret", "required in webhook mode: set MULTAQUE_WEBHOOK_SECRET")
		} else if !secretPattern.MatchString(w.Secret) {
			bad("telegram.webhook.secret", "MULTAQUE_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and - (openssl rand -hex 32 makes one)")
		}
		if w.MaxBodyBytes < 1024 {
			bad("telegram.webhook.max_body_bytes", "must be at least 1024, got %d", w.MaxBodyBytes)
		}
		if c.HTTP.Addr != "" && sameListener(w.Listen, c.HTTP.Addr) {
			bad("http.addr", "%q clashes with telegram.webhook.listen %q", c.HTTP.Addr, w.Listen)
		}
	default:
		bad("telegram.mode", "must be polling or webhook, got %q", t.Mode)
	}
	if pt := time.Duration(t.PollTimeout); pt < time.Second || pt > 10*time.Minute || pt%time.Second != 0 {
		// getUpdates takes whole seconds; under 1s it would poll in a busy loop.
		bad("telegram.poll_timeout", "must be whole seconds between 1s and 10m, got %s", t.PollTimeout)
	}
	if t.Workers < 1 {
		bad("telegram.workers", "must be at least 1, got %d", t.Workers)
	}

	if strings.TrimSpace(c.Data.Path) == "" {
		bad("data.path", "required: the bbolt database file")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"auto", "json", "console"}, c.Log.Format) {
		bad("log.format", "must be auto, json or console, got %q", c.Log.Format)
	}
	if c.HTTP.Addr == "off" {
		bad("http.addr", `"off" turns the endpoints off only in MULTAQUE_HTTP_ADDR; in the file, write addr: "" (empty)`)
	} else if c.HTTP.Addr != "" {
		if err := checkListenAddr(c.HTTP.Addr); err != nil {
			bad("http.addr", "%v", err)
		}
	}
	seen := make(map[int64]int, len(c.Coordinators))
	for i, id := range c.Coordinators {
		if id <= 0 {
			bad(fmt.Sprintf("coordinators[%d]", i), "must be a Telegram user id (a positive number), got %d", id)
		} else if j, dup := seen[id]; dup {
			bad(fmt.Sprintf("coordinators[%d]", i), "%d is already coordinators[%d]", id, j)
		}
		seen[id] = i
	}

	if _, err := cron.ParseStandard(c.Matching.Schedule); err != nil {
		bad("matching.schedule", "%q is not a cron spec such as \"*/5 * * * *\": %v", c.Matching.Schedule, err)
	}
	if c.Matching.ParentPoolingAfter < 0 {
		bad("matching.parent_pooling_after", "must not be negative (0 turns pooling off), got %s", c.Matching.ParentPoolingAfter)
	}

	s := c.Sender
	if !(s.Rate > 0 && s.Rate <= maxSenderRate) { // also refuses NaN
		bad("sender.rate", "must be in (0, %d] messages per second, got %v", maxSenderRate, s.Rate)
	}
	if s.PerChatInterval < 0 {
		bad("sender.per_chat_interval", "must not be negative, got %s", s.PerChatInterval)
	}
	if s.PerGroupPerMinute < 1 || s.PerGroupPerMinute > maxPerGroupPerMinute {
		bad("sender.per_group_per_minute", "must be between 1 and %d, got %d", maxPerGroupPerMinute, s.PerGroupPerMinute)
	}

	if c.Teams.PoolLowWater < 1 {
		bad("teams.pool_low_water", "must be at least 1, got %d", c.Teams.PoolLowWater)
	}
	if c.Teams.ReminderAfter < Duration(time.Minute) {
		bad("teams.reminder_after", "must be at least 1m, got %s", c.Teams.ReminderAfter)
	}

	for _, f := range []struct {
		name string
		d    Duration
	}{{"plans.quiet_after", c.Plans.QuietAfter}, {"plans.mentor_after", c.Plans.MentorAfter},
		{"plans.coordinators_after", c.Plans.CoordinatorsAfter}, {"plans.check_in_every", c.Plans.CheckInEvery}} {
		if f.d < Duration(time.Hour) {
			bad(f.name, "must be at least 1h, got %s", f.d)
		}
	}

	b := c.Backup
	if _, err := cron.ParseStandard(b.Schedule); err != nil {
		bad("backup.schedule", "%q is not a cron spec such as \"0 3 * * *\": %v", b.Schedule, err)
	}
	if b.Keep < 1 {
		bad("backup.keep", "must be at least 1, got %d", b.Keep)
	}
	if b.Dir != "" && strings.TrimSpace(b.Dir) == "" {
		bad("backup.dir", "is only spaces; leave it empty to take no backups")
	}
	return errs
}

// checkURL checks that s is an absolute URL with one of schemes and a host.
// The error shows the URL with any password masked.
func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("must be a URL")
	}
	if !slices.Contains(schemes, u.Scheme) || u.Host == "" {
		return fmt.Errorf("must be an %s URL, got %q", strings.Join(schemes, " or "), u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must have no query or fragment, got %q", u.Redacted())
	}
	return nil
}

// checkListenAddr checks that s is a host:port a server can listen on.
func checkListenAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port or :port, got %q", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return fmt.Errorf("port must be a number from 0 to 65535, got %q", port)
	}
	return nil
}

// sameListener reports whether two listen addresses would fight over a port.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wildcard(ha) || wildcard(hb)
}

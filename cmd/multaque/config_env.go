package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The environment overlay: one MULTAQUE_* variable per setting, in a plain
// table (envVars), applied over the file by ApplyEnv.

// envVar binds one MULTAQUE_* environment variable to the field it sets.
type envVar struct {
	name  string
	field string // yaml dotted name
	set   func(string) error
	// secret values are never echoed in errors.
	secret bool
}

// envVars lists every environment variable ApplyEnv reads, bound to c.
func (c *Config) envVars() []envVar {
	return []envVar{
		{name: "MULTAQUE_TELEGRAM_TOKEN", field: "telegram.token", set: setString(&c.Telegram.Token), secret: true},
		{name: "MULTAQUE_TELEGRAM_API_URL", field: "telegram.api_url", set: setString(&c.Telegram.APIURL)},
		{name: "MULTAQUE_TELEGRAM_MODE", field: "telegram.mode", set: setString(&c.Telegram.Mode)},
		{name: "MULTAQUE_TELEGRAM_POLL_TIMEOUT", field: "telegram.poll_timeout", set: setDuration(&c.Telegram.PollTimeout)},
		{name: "MULTAQUE_TELEGRAM_WORKERS", field: "telegram.workers", set: setInt(&c.Telegram.Workers)},
		{name: "MULTAQUE_WEBHOOK_LISTEN", field: "telegram.webhook.listen", set: setString(&c.Telegram.Webhook.Listen)},
		{name: "MULTAQUE_WEBHOOK_PATH", field: "telegram.webhook.path", set: setString(&c.Telegram.Webhook.Path)},
		{name: "MULTAQUE_WEBHOOK_PUBLIC_URL", field: "telegram.webhook.public_url", set: setString(&c.Telegram.Webhook.PublicURL)},
		{name: "MULTAQUE_WEBHOOK_SECRET", field: "telegram.webhook.secret", set: setString(&c.Telegram.Webhook.Secret), secret: true},
		{name: "MULTAQUE_WEBHOOK_MAX_BODY_BYTES", field: "telegram.webhook.max_body_bytes", set: setInt64(&c.Telegram.Webhook.MaxBodyBytes)},
		{name: "MULTAQUE_DATA_PATH", field: "data.path", set: setString(&c.Data.Path)},
		{name: "MULTAQUE_CATALOG_PATH", field: "catalog.path", set: setString(&c.Catalog.Path)},
		{name: "MULTAQUE_LOG_LEVEL", field: "log.level", set: setString(&c.Log.Level)},
		{name: "MULTAQUE_LOG_FORMAT", field: "log.format", set: setString(&c.Log.Format)},
		{name: "MULTAQUE_HTTP_ADDR", field: "http.addr", set: func(s string) error {
			// An empty variable reads as unset, so "off" is how the
			// environment turns the endpoints off.
			if s == "off" {
				s = ""
			}
			c.HTTP.Addr = s
			return nil
		}},
		{name: "MULTAQUE_COORDINATORS", field: "coordinators", set: func(s string) error {
			var ids []int64
			for item := range strings.SplitSeq(s, ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				id, err := strconv.ParseInt(item, 10, 64)
				if err != nil {
					return fmt.Errorf("want comma-separated Telegram user ids, got %q", item)
				}
				ids = append(ids, id)
			}
			c.Coordinators = ids
			return nil
		}},
		{name: "MULTAQUE_MATCHING_SCHEDULE", field: "matching.schedule", set: setString(&c.Matching.Schedule)},
		{name: "MULTAQUE_MATCHING_PARENT_POOLING_AFTER", field: "matching.parent_pooling_after", set: setDuration(&c.Matching.ParentPoolingAfter)},
		{name: "MULTAQUE_SENDER_RATE", field: "sender.rate", set: func(s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("want a number of messages per second, got %q", s)
			}
			c.Sender.Rate = v
			return nil
		}},
		{name: "MULTAQUE_SENDER_PER_CHAT_INTERVAL", field: "sender.per_chat_interval", set: setDuration(&c.Sender.PerChatInterval)},
		{name: "MULTAQUE_SENDER_PER_GROUP_PER_MINUTE", field: "sender.per_group_per_minute", set: setInt(&c.Sender.PerGroupPerMinute)},
		{name: "MULTAQUE_TEAMS_POOL_LOW_WATER", field: "teams.pool_low_water", set: setInt(&c.Teams.PoolLowWater)},
		{name: "MULTAQUE_TEAMS_REMINDER_AFTER", field: "teams.reminder_after", set: setDuration(&c.Teams.ReminderAfter)},
		{name: "MULTAQUE_PLANS_QUIET_AFTER", field: "plans.quiet_after", set: setDuration(&c.Plans.QuietAfter)},
		{name: "MULTAQUE_PLANS_MENTOR_AFTER", field: "plans.mentor_after", set: setDuration(&c.Plans.MentorAfter)},
		{name: "MULTAQUE_PLANS_COORDINATORS_AFTER", field: "plans.coordinators_after", set: setDuration(&c.Plans.CoordinatorsAfter)},
		{name: "MULTAQUE_PLANS_CHECK_IN_EVERY", field: "plans.check_in_every", set: setDuration(&c.Plans.CheckInEvery)},
		{name: "MULTAQUE_BACKUP_DIR", field: "backup.dir", set: func(s string) error {
			// As for MULTAQUE_HTTP_ADDR: "off" turns off the backups a
			// file's backup.dir asks for.
			if s == "off" {
				s = ""
			}
			c.Backup.Dir = s
			return nil
		}},
		{name: "MULTAQUE_BACKUP_SCHEDULE", field: "backup.schedule", set: setString(&c.Backup.Schedule)},
		{name: "MULTAQUE_BACKUP_KEEP", field: "backup.keep", set: setInt(&c.Backup.Keep)},
	}
}

func setString(p *string) func(string) error {
	return func(s string) error { *p = s; return nil }
}

func setDuration(p *Duration) func(string) error {
	return func(s string) error { return p.UnmarshalText([]byte(s)) }
}

func setInt(p *int) func(string) error {
	return func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		*p = v
		return nil
	}
}

func setInt64(p *int64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		*p = v
		return nil
	}
}

// ApplyEnv overrides c with the MULTAQUE_* variables that getenv returns as
// non-empty (surrounding spaces trimmed). Every field has one; see
// configs/config.yaml for the list. MULTAQUE_COORDINATORS is a
// comma-separated list of ids and replaces the file's list;
// MULTAQUE_HTTP_ADDR=off turns the HTTP endpoints off and
// MULTAQUE_BACKUP_DIR=off the scheduled backups.
//
// A malformed value is an error naming the variable. ApplyEnv only parses;
// Validate judges the values.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	for _, v := range c.envVars() {
		s := strings.TrimSpace(getenv(v.name))
		if s == "" {
			continue
		}
		if err := v.set(s); err != nil {
			if v.secret { // cannot happen today: secrets are plain strings
				err = errors.New("malformed value")
			}
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	token, secret := strings.TrimSpace(getenv("MULTAQUE_TELEGRAM_TOKEN")), strings.TrimSpace(getenv("MULTAQUE_WEBHOOK_SECRET"))
	return errors.Join(maskSecrets(errs, token, secret)...)
}

package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// Config is the whole configuration of the program: what configs/config.yaml
// holds, after the MULTAQUE_* environment variables have been applied.
//
// Secrets (the bot token and the webhook secret) are never read from YAML,
// only from the environment, and never appear in String, in the log object
// or in any error this file returns.
type Config struct {
	Telegram TelegramConfig `yaml:"telegram"`
	Data     DataConfig     `yaml:"data"`
	Catalog  CatalogConfig  `yaml:"catalog"`
	Log      LogConfig      `yaml:"log"`
	HTTP     HTTPConfig     `yaml:"http"`
	// Coordinators are the Telegram user ids allowed to run the admin
	// commands and to add pool groups.
	Coordinators []int64        `yaml:"coordinators"`
	Matching     MatchingConfig `yaml:"matching"`
	Sender       SenderConfig   `yaml:"sender"`
	Teams        TeamsConfig    `yaml:"teams"`
	Plans        PlansConfig    `yaml:"plans"`
	Backup       BackupConfig   `yaml:"backup"`
}

// TelegramConfig says how the bot talks to the Bot API.
type TelegramConfig struct {
	// Token is the bot token from @BotFather. Only from MULTAQUE_TELEGRAM_TOKEN.
	Token string `yaml:"-"`
	// APIURL is the Bot API server: Telegram's, a self-hosted
	// telegram-bot-api, or the sandbox's fake.
	APIURL string `yaml:"api_url"`
	// Mode is "polling" (getUpdates) or "webhook".
	Mode string `yaml:"mode"`
	// PollTimeout is how long one getUpdates call waits for updates.
	PollTimeout Duration `yaml:"poll_timeout"`
	// Webhook is used only in webhook mode.
	Webhook WebhookConfig `yaml:"webhook"`
	// Workers is how many updates are handled at the same time.
	Workers int `yaml:"workers"`
}

// WebhookConfig is the HTTPS endpoint Telegram posts updates to in webhook mode.
type WebhookConfig struct {
	// Listen is the address our webhook server listens on.
	Listen string `yaml:"listen"`
	// Path is the URL path our webhook server answers on.
	Path string `yaml:"path"`
	// PublicURL is the full https URL registered with setWebhook. It differs
	// from Listen+Path when a reverse proxy sits in front.
	PublicURL string `yaml:"public_url"`
	// Secret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token.
	// Only from MULTAQUE_WEBHOOK_SECRET.
	Secret string `yaml:"-"`
	// MaxBodyBytes bounds the size of one update request.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// DataConfig says where the bbolt database lives.
type DataConfig struct {
	// Path is the bbolt database file.
	Path string `yaml:"path"`
}

// CatalogConfig says where the catalogue of projects and communities comes from.
type CatalogConfig struct {
	// Path is a catalogue YAML file; "" means the one built into the binary.
	Path string `yaml:"path"`
}

// LogConfig configures the process logger; see NewLogger.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json, console, or auto (console on a terminal, JSON otherwise).
	Format string `yaml:"format"`
}

// HTTPConfig configures the operator endpoints /healthz and /metrics.
type HTTPConfig struct {
	// Addr is the listen address; "" turns the endpoints off.
	Addr string `yaml:"addr"`
}

// MatchingConfig configures when teams are formed.
type MatchingConfig struct {
	// Schedule is a standard 5-field cron spec (or a descriptor such as
	// "@every 10m") for the matching run.
	Schedule string `yaml:"schedule"`
	// ParentPoolingAfter is how long a community's bucket may stay below
	// critical mass before it is pooled at the parent community; 0 = never.
	ParentPoolingAfter Duration `yaml:"parent_pooling_after"`
}

// SenderConfig paces what the bot sends, under Telegram's limits.
type SenderConfig struct {
	// Rate is the global number of messages per second (Telegram: about 30).
	Rate float64 `yaml:"rate"`
	// PerChatInterval is the least time between two messages to one chat
	// (Telegram: about 1 s); 0 turns per-chat pacing off.
	PerChatInterval Duration `yaml:"per_chat_interval"`
	// PerGroupPerMinute is how many messages one group may get per minute
	// (Telegram: 20).
	PerGroupPerMinute int `yaml:"per_group_per_minute"`
}

// TeamsConfig configures the teams' groups.
type TeamsConfig struct {
	// PoolLowWater: coordinators are told when fewer free groups than this
	// are left in the pool.
	PoolLowWater int `yaml:"pool_low_water"`
	// ReminderAfter is how long after their invitation a member who has
	// not joined their team's group gets their one reminder.
	ReminderAfter Duration `yaml:"reminder_after"`
}

// PlansConfig sets the intervals of the teams' kickoff plans (see
// multaque.PlanRules): how long a team may stay quiet before it is nudged,
// and how often mentors check in.
type PlansConfig struct {
	// QuietAfter: no step done and nothing decided for this long → a
	// friendly nudge in the team's group (to the coordinators if it has no
	// mentor).
	QuietAfter Duration `yaml:"quiet_after"`
	// MentorAfter: this much longer → the mentor, in private.
	MentorAfter Duration `yaml:"mentor_after"`
	// CoordinatorsAfter: this much longer again → the coordinators who
	// oversee the team.
	CoordinatorsAfter Duration `yaml:"coordinators_after"`
	// CheckInEvery: each mentor is asked how each of their teams does this
	// often.
	CheckInEvery Duration `yaml:"check_in_every"`
}

// BackupConfig configures the backups the running bot takes of its
// database: compacted copies, consistent as of one moment, taken while it
// serves.
type BackupConfig struct {
	// Dir is where they go, named multaque-<UTC time>.db; "" takes none.
	Dir string `yaml:"dir"`
	// Schedule is when: a standard 5-field cron spec or a descriptor.
	Schedule string `yaml:"schedule"`
	// Keep is how many of them are kept; older ones are removed.
	Keep int `yaml:"keep"`
}

// Limits Telegram imposes, which Validate enforces.
const (
	maxSenderRate        = 30 // messages per second, all chats together
	maxPerGroupPerMinute = 20
)

// DefaultConfig returns the configuration used for everything the YAML file
// and the environment leave unset. configs/config.yaml shows the same values.
func DefaultConfig() Config {
	return Config{
		Telegram: TelegramConfig{
			APIURL:      "https://api.telegram.org",
			Mode:        "polling",
			PollTimeout: Duration(25 * time.Second),
			Webhook: WebhookConfig{
				Listen:       ":8443",
				Path:         "/telegram",
				MaxBodyBytes: 1 << 20,
			},
			Workers: 64,
		},
		Data: DataConfig{Path: "data/multaque.db"},
		Log:  LogConfig{Level: "info", Format: "auto"},
		// Loopback only: /metrics tells how many people wait where, which is
		// nobody's business outside the host. A container sets
		// MULTAQUE_HTTP_ADDR=:9090 so its orchestrator can probe it.
		HTTP: HTTPConfig{Addr: "127.0.0.1:9090"},
		Matching: MatchingConfig{
			Schedule: "*/5 * * * *",
		},
		Sender: SenderConfig{
			Rate:              25, // some headroom under Telegram's 30/s for direct answers
			PerChatInterval:   Duration(time.Second),
			PerGroupPerMinute: maxPerGroupPerMinute,
		},
		Teams: TeamsConfig{
			PoolLowWater:  2,
			ReminderAfter: Duration(24 * time.Hour),
		},
		Plans: PlansConfig{
			QuietAfter:        Duration(multaque.DefaultPlanRules().Quiet),
			MentorAfter:       Duration(multaque.DefaultPlanRules().ToMentor),
			CoordinatorsAfter: Duration(multaque.DefaultPlanRules().ToCoordinators),
			CheckInEvery:      Duration(multaque.DefaultPlanRules().CheckInEvery),
		},
		Backup: BackupConfig{
			Schedule: "0 3 * * *", // at night, when few people write
			Keep:     7,
		},
	}
}

// Duration is a time.Duration written in configuration as "30s", "5m" or "1h30m".
type Duration time.Duration

// String returns the duration in time.Duration's notation.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a duration such as "30s" or "5m". A bare number is
// refused: "30" could mean seconds or minutes, so the unit is required ("0" is
// allowed, it means the same in any unit).
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 5m, got %q", text)
	}
	*d = Duration(v)
	return nil
}

// ReadConfigFile reads the configuration file at path with ParseConfig.
// An empty path gives DefaultConfig.
func ReadConfigFile(path string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := ParseConfig(f)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// LoadConfig reads the file at path (see ReadConfigFile) and applies the
// environment to it (see ApplyEnv). It does not validate: serve calls
// Validate and sandbox ValidateSandbox.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	c, err := ReadConfigFile(path)
	if err != nil {
		return Config{}, err
	}
	if err := c.ApplyEnv(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Secrets returns the secrets set in c, for NewLogger to keep out of the logs.
func (c *Config) Secrets() []string {
	var s []string
	for _, v := range []string{c.Telegram.Token, c.Telegram.Webhook.Secret} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// fields returns every setting as dotted name and printable value, with
// secrets shown as "***" when set and "" when not.
func (c Config) fields() [][2]string {
	secret := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	ids := make([]string, len(c.Coordinators))
	for i, id := range c.Coordinators {
		ids[i] = strconv.FormatInt(id, 10)
	}
	t, w := c.Telegram, c.Telegram.Webhook
	fields := [][2]string{
		{"telegram.token", secret(t.Token)},
		{"telegram.api_url", redactURL(t.APIURL)},
		{"telegram.mode", t.Mode},
		{"telegram.poll_timeout", t.PollTimeout.String()},
		{"telegram.workers", strconv.Itoa(t.Workers)},
		{"telegram.webhook.listen", w.Listen},
		{"telegram.webhook.path", w.Path},
		{"telegram.webhook.public_url", redactURL(w.PublicURL)},
		{"telegram.webhook.secret", secret(w.Secret)},
		{"telegram.webhook.max_body_bytes", strconv.FormatInt(w.MaxBodyBytes, 10)},
		{"data.path", c.Data.Path},
		{"catalog.path", c.Catalog.Path},
		{"log.level", c.Log.Level},
		{"log.format", c.Log.Format},
		{"http.addr", c.HTTP.Addr},
		{"coordinators", "[" + strings.Join(ids, ",") + "]"},
		{"matching.schedule", c.Matching.Schedule},
		{"matching.parent_pooling_after", c.Matching.ParentPoolingAfter.String()},
		{"sender.rate", strconv.FormatFloat(c.Sender.Rate, 'g', -1, 64)},
		{"sender.per_chat_interval", c.Sender.PerChatInterval.String()},
		{"sender.per_group_per_minute", strconv.Itoa(c.Sender.PerGroupPerMinute)},
		{"teams.pool_low_water", strconv.Itoa(c.Teams.PoolLowWater)},
		{"teams.reminder_after", c.Teams.ReminderAfter.String()},
		{"plans.quiet_after", c.Plans.QuietAfter.String()},
		{"plans.mentor_after", c.Plans.MentorAfter.String()},
		{"plans.coordinators_after", c.Plans.CoordinatorsAfter.String()},
		{"plans.check_in_every", c.Plans.CheckInEvery.String()},
		{"backup.dir", c.Backup.Dir},
		{"backup.schedule", c.Backup.Schedule},
		{"backup.keep", strconv.Itoa(c.Backup.Keep)},
	}
	// A secret pasted into another setting is masked there too.
	for i, f := range fields {
		fields[i][1] = maskSecret(f[1], t.Token, w.Secret)
	}
	return fields
}

// redactURL masks a password in s, should a self-hosted Bot API URL carry one.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// String returns the effective configuration on one line, as
// "name=value" pairs, with secrets shown as "***".
func (c Config) String() string {
	var b strings.Builder
	for i, f := range c.fields() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f[0])
		b.WriteByte('=')
		v := f[1]
		if v == "" || strings.ContainsAny(v, " \"=") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// MarshalZerologObject lets the effective configuration be logged with
// log.Info().Object("config", cfg), with secrets shown as "***".
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	for _, f := range c.fields() {
		e.Str(f[0], f[1])
	}
}

var _ zerolog.LogObjectMarshaler = Config{}

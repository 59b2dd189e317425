package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
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

// ParseConfig reads a YAML configuration on top of DefaultConfig.
//
// ${VAR} and $VAR in values are replaced with the environment variable (an
// unset one with ""), as os.ExpandEnv does. Expansion happens in each value
// after parsing, not in the raw text, so a variable cannot change the YAML's
// structure and comments are left alone. An unquoted value is typed after
// expansion, so `rate: ${RATE}` is a number.
//
// Decoding is strict: an unknown key is an error naming it, and a "token" or
// "secret" key anywhere is an error, since secrets come only from the
// environment. All problems are reported at once, each naming its field.
func ParseConfig(r io.Reader) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return c, nil // an empty file, or only comments
	} else if err != nil {
		return Config{}, redactEnvSecrets(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("config: want one YAML document, found more")
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return Config{}, fmt.Errorf("config: line %d: want a mapping of settings at the top", root.Line)
	}

	if errs := secretKeys(root, ""); len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	ck := configChecker{original: map[*yaml.Node]string{}}
	expandEnv(root, ck.original)
	if errs := ck.check(root, reflect.TypeFor[Config](), ""); len(errs) > 0 {
		return Config{}, redactEnvSecrets(errors.Join(errs...))
	}
	if err := root.Decode(&c); err != nil {
		return Config{}, redactEnvSecrets(err) // check should have caught it
	}
	return c, nil
}

// secretEnv names the variable each secret comes from, by its field.
var secretEnv = map[string]string{
	"telegram.token":          "MULTAQUE_TELEGRAM_TOKEN",
	"telegram.webhook.secret": "MULTAQUE_WEBHOOK_SECRET",
}

// secretKeys reports every "token" or "secret" key under n, at any depth.
// The value is never looked at, so it cannot leak into the error.
func secretKeys(n *yaml.Node, path string) []error {
	var errs []error
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			field := join(path, k.Value)
			switch strings.ToLower(k.Value) {
			case "token", "secret":
				msg := "secrets come only from the environment, never from the config file"
				if env, ok := secretEnv[field]; ok {
					msg += "; remove it and set " + env
				}
				errs = append(errs, fmt.Errorf("%s: %s (line %d)", field, msg, k.Line))
				continue
			}
			errs = append(errs, secretKeys(v, field)...)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			errs = append(errs, secretKeys(v, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

// expandEnv replaces environment variables in every scalar value under n and
// records in original the text of each value it changed.
func expandEnv(n *yaml.Node, original map[*yaml.Node]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandEnv(n.Content[i], original) // values only; keys stay as written
		}
	case yaml.SequenceNode:
		for _, v := range n.Content {
			expandEnv(v, original)
		}
	case yaml.ScalarNode:
		v := os.ExpandEnv(n.Value)
		if v == n.Value {
			return
		}
		original[n] = n.Value
		n.Value = v
		// A plain scalar was typed from its text before expansion ("${RATE}"
		// is a string); forget that type so the expanded text decides it.
		if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	}
}

var durationType = reflect.TypeFor[Duration]()

// configChecker finds what yaml.v3 would refuse or silently accept, and says
// it with the dotted name of the field.
type configChecker struct {
	// original holds the text of values before environment expansion. An
	// error quotes that text, never the expanded one, which may be a secret.
	original map[*yaml.Node]string
}

// check reports every key under n that type t does not have and every value
// that does not fit its field, naming each by its dotted path.
func (ck configChecker) check(n *yaml.Node, t reflect.Type, path string) []error {
	if n.Kind == yaml.AliasNode {
		return ck.check(n.Alias, t, path)
	}
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	switch {
	case t == durationType || (t.Kind() != reflect.Struct && t.Kind() != reflect.Slice):
		return ck.checkScalar(n, t, path)
	case null:
		return nil // "telegram:" with nothing under it keeps the defaults
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return []error{fmt.Errorf("%s: line %d: want a list, got %s", path, n.Line, ck.shown(n))}
		}
		var errs []error
		for i, v := range n.Content {
			errs = append(errs, ck.check(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	case n.Kind != yaml.MappingNode:
		return []error{fmt.Errorf("%s: line %d: want a mapping, got %s", path, n.Line, ck.shown(n))}
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // a YAML merge key: its mappings hold more of t's fields
			errs = append(errs, ck.check(v, t, path)...)
			continue
		}
		f, ok := fieldByTag(t, k.Value)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown key (line %d)", join(path, k.Value), k.Line))
			continue
		}
		errs = append(errs, ck.check(v, f.Type, join(path, k.Value))...)
	}
	return errs
}

// checkScalar reports a value that does not decode into type t, or that
// yaml.v3 would quietly truncate (1.5 into an int).
func (ck configChecker) checkScalar(n *yaml.Node, t reflect.Type, path string) []error {
	var want string
	switch {
	case t == durationType:
		want = "a duration such as 30s or 5m"
	case t.Kind() == reflect.String:
		want = "text"
	case t.Kind() == reflect.Float64:
		want = "a number"
	default:
		want = "a whole number"
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil && n.Kind == yaml.ScalarNode && want == "a whole number" && n.ShortTag() != "!!int" {
		err = errors.New("not whole")
	}
	if err != nil {
		return []error{fmt.Errorf("%s: line %d: want %s, got %s", path, n.Line, want, ck.shown(n))}
	}
	return nil
}

// shown describes n for an error message without revealing what an
// environment variable put there.
func (ck configChecker) shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if orig, ok := ck.original[n]; ok {
			return "the expansion of " + strconv.Quote(orig)
		}
		return strconv.Quote(n.Value)
	}
	return n.ShortTag()
}

// fieldByTag finds the field of struct t whose yaml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlName returns the key a field is written as in YAML, "" if it is not.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// redactEnvSecrets removes the secrets found in the environment from err's
// text: a value that expands ${MULTAQUE_TELEGRAM_TOKEN} into the wrong field
// would otherwise put the token in yaml's error message.
func redactEnvSecrets(err error) error {
	msg := err.Error()
	red := redact(msg, os.Getenv("MULTAQUE_TELEGRAM_TOKEN"), os.Getenv("MULTAQUE_WEBHOOK_SECRET"))
	if red == msg {
		return err
	}
	return errors.New(red)
}

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
		{name: "MULTAQUE_BACKUP_DIR", field: "backup.dir", set: setString(&c.Backup.Dir)},
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
// MULTAQUE_HTTP_ADDR=off turns the HTTP endpoints off.
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
	// secretPattern is what setWebhook accepts as secret_token.
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
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
			bad("telegram.webhook.secret", "MULTAQUE_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
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
	if c.HTTP.Addr != "" {
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

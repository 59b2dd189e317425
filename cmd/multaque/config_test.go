package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// testToken and testSecret are well-formed secrets that tests look for in
// every output that must not contain them.
const (
	testToken  = "123456789:AAHsEcReT-tOkEn_fOr_TeStS"
	testSecret = "wEbHoOk-SeCrEt_42-wEbHoOk-SeCrEt_42"
)

// validConfig returns a configuration that passes Validate.
func validConfig() Config {
	c := DefaultConfig()
	c.Telegram.Token = testToken
	return c
}

// webhookConfig returns a valid configuration in webhook mode.
func webhookConfig() Config {
	c := validConfig()
	c.Telegram.Mode = "webhook"
	c.Telegram.Webhook.PublicURL = "https://bot.example.org/telegram"
	c.Telegram.Webhook.Secret = testSecret
	return c
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want func(*Config) // applied to DefaultConfig
	}{
		{name: "empty", yaml: "", want: func(*Config) {}},
		{name: "only comments", yaml: "# nothing\n", want: func(*Config) {}},
		{name: "null document", yaml: "~\n", want: func(*Config) {}},
		{name: "empty section keeps defaults", yaml: "telegram:\nlog:\n", want: func(*Config) {}},
		{
			name: "every kind of value",
			yaml: `
telegram:
  api_url: http://localhost:8081
  mode: webhook
  poll_timeout: 50s
  workers: 8
  webhook:
    listen: 127.0.0.1:8443
    path: /hook
    public_url: https://bot.example.org/hook
    max_body_bytes: 4096
data: {path: /var/lib/multaque/db}
catalog: {path: /etc/multaque/catalog.yaml}
log: {level: debug, format: json}
http: {addr: ""}
coordinators: [11, 22]
matching:
  schedule: "@every 10m"
  parent_pooling_after: 72h
sender:
  rate: 12.5
  per_chat_interval: 1500ms
  per_group_per_minute: 10
`,
			want: func(c *Config) {
				c.Telegram.APIURL = "http://localhost:8081"
				c.Telegram.Mode = "webhook"
				c.Telegram.PollTimeout = Duration(50 * time.Second)
				c.Telegram.Workers = 8
				c.Telegram.Webhook = WebhookConfig{Listen: "127.0.0.1:8443", Path: "/hook", PublicURL: "https://bot.example.org/hook", MaxBodyBytes: 4096}
				c.Data.Path = "/var/lib/multaque/db"
				c.Catalog.Path = "/etc/multaque/catalog.yaml"
				c.Log = LogConfig{Level: "debug", Format: "json"}
				c.HTTP.Addr = ""
				c.Coordinators = []int64{11, 22}
				c.Matching = MatchingConfig{Schedule: "@every 10m", ParentPoolingAfter: Duration(72 * time.Hour)}
				c.Sender = SenderConfig{Rate: 12.5, PerChatInterval: Duration(1500 * time.Millisecond), PerGroupPerMinute: 10}
			},
		},
		{
			name: "environment in values, typed after expansion",
			yaml: "sender:\n  rate: ${MQ_TEST_RATE}\n  per_chat_interval: $MQ_TEST_INTERVAL\ndata:\n  path: ${MQ_TEST_DIR}/multaque.db\n",
			env:  map[string]string{"MQ_TEST_RATE": "7", "MQ_TEST_INTERVAL": "2s", "MQ_TEST_DIR": "/srv"},
			want: func(c *Config) {
				c.Sender.Rate = 7
				c.Sender.PerChatInterval = Duration(2 * time.Second)
				c.Data.Path = "/srv/multaque.db"
			},
		},
		{
			name: "quoted expansion stays a string",
			yaml: "log:\n  level: \"${MQ_TEST_LEVEL}\"\n",
			env:  map[string]string{"MQ_TEST_LEVEL": "123"},
			want: func(c *Config) { c.Log.Level = "123" },
		},
		{
			name: "expanded value cannot change the structure",
			yaml: "data:\n  path: ${MQ_TEST_EVIL}\n",
			env:  map[string]string{"MQ_TEST_EVIL": "x\nlog:\n  level: debug"},
			want: func(c *Config) { c.Data.Path = "x\nlog:\n  level: debug" },
		},
		{
			name: "unset variable expands to empty",
			yaml: "catalog:\n  path: ${MQ_TEST_UNSET_VARIABLE}\n",
			want: func(c *Config) { c.Catalog.Path = "" },
		},
		{
			name: "comments are not expanded",
			yaml: "# ${MQ_TEST_EVIL}\nlog:\n  level: warn\n",
			env:  map[string]string{"MQ_TEST_EVIL": "\nlog: [oops"},
			want: func(c *Config) { c.Log.Level = "warn" },
		},
		{
			name: "anchors and merge keys",
			yaml: "log: &l {level: error}\nsender:\n  <<: {rate: 3}\n  per_group_per_minute: 5\n",
			want: func(c *Config) {
				c.Log.Level = "error"
				c.Sender.Rate = 3
				c.Sender.PerGroupPerMinute = 5
			},
		},
		{
			name: "null coordinators",
			yaml: "coordinators:\n",
			want: func(c *Config) { c.Coordinators = nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := ParseConfig(strings.NewReader(tt.yaml))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseConfig:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the error
	}{
		{name: "unknown top-level key", yaml: "logs:\n  level: info\n", want: []string{"logs: unknown key (line 1)"}},
		{name: "unknown nested key", yaml: "log:\n  formt: json\n", want: []string{"log.formt: unknown key (line 2)"}},
		{name: "unknown deep key", yaml: "telegram:\n  webhook:\n    url: https://x\n", want: []string{"telegram.webhook.url: unknown key (line 3)"}},
		{name: "go field name instead of yaml key", yaml: "telegram:\n  APIURL: x\n", want: []string{"telegram.APIURL: unknown key"}},
		{name: "all unknown keys at once", yaml: "a: 1\nlog:\n  b: 2\n", want: []string{"a: unknown key", "log.b: unknown key"}},
		{
			name: "token in telegram",
			yaml: "telegram:\n  token: " + testToken + "\n",
			want: []string{"telegram.token: secrets come only from the environment", "MULTAQUE_TELEGRAM_TOKEN", "line 2"},
		},
		{
			name: "secret in webhook",
			yaml: "telegram:\n  webhook:\n    secret: " + testSecret + "\n",
			want: []string{"telegram.webhook.secret: secrets come only from the environment", "MULTAQUE_WEBHOOK_SECRET"},
		},
		{name: "token anywhere", yaml: "log:\n  Token: x\n", want: []string{"log.Token: secrets come only from the environment"}},
		{name: "secret in a list", yaml: "coordinators:\n  - secret: x\n", want: []string{"coordinators[0].secret: secrets come only"}},
		{name: "token reported before unknown keys", yaml: "token: x\nnope: 1\n", want: []string{"token: secrets come only"}},
		{name: "bad duration", yaml: "telegram:\n  poll_timeout: 30\n", want: []string{`telegram.poll_timeout: line 2: want a duration such as 30s or 5m, got "30"`}},
		{name: "bad float", yaml: "sender:\n  rate: fast\n", want: []string{`sender.rate: line 2: want a number, got "fast"`}},
		{name: "float into int", yaml: "telegram:\n  workers: 1.5\n", want: []string{`telegram.workers: line 2: want a whole number, got "1.5"`}},
		{name: "quoted number into int", yaml: "telegram:\n  workers: \"8\"\n", want: []string{`telegram.workers: line 2: want a whole number, got "8"`}},
		{name: "list into text", yaml: "data:\n  path: [a]\n", want: []string{"data.path: line 2: want text, got a list"}},
		{name: "bad coordinator", yaml: "coordinators: [1, bob]\n", want: []string{`coordinators[1]: line 1: want a whole number, got "bob"`}},
		{name: "coordinators not a list", yaml: "coordinators: 5\n", want: []string{`coordinators: line 1: want a list, got "5"`}},
		{name: "section a list", yaml: "log: [a]\n", want: []string{"log: line 1: want a mapping, got a list"}},
		{name: "section not a mapping", yaml: "log: debug\n", want: []string{`log: line 1: want a mapping, got "debug"`}},
		{name: "top level not a mapping", yaml: "- a\n- b\n", want: []string{"line 1: want a mapping of settings"}},
		{name: "two documents", yaml: "log: {level: info}\n---\nlog: {level: debug}\n", want: []string{"want one YAML document"}},
		{name: "syntax error", yaml: "log: [\n", want: []string{"yaml:"}},
		{name: "duplicate key", yaml: "log: {level: info}\nlog: {level: debug}\n", want: []string{"already defined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatalf("ParseConfig: err=nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseConfig: err=%q, want it to contain %q", err, w)
				}
			}
			assertNoSecrets(t, "ParseConfig error", err.Error())
		})
	}
}

// An environment variable holding a secret, expanded into a field of the
// wrong type, must not bring the secret into yaml's error message.
func TestParseConfigErrorRedactsEnvSecrets(t *testing.T) {
	t.Setenv("MULTAQUE_TELEGRAM_TOKEN", testToken)
	t.Setenv("MULTAQUE_WEBHOOK_SECRET", testSecret)
	_, err := ParseConfig(strings.NewReader("sender:\n  rate: ${MULTAQUE_TELEGRAM_TOKEN}\n  per_group_per_minute: $MULTAQUE_WEBHOOK_SECRET\n"))
	if err == nil {
		t.Fatal("ParseConfig: err=nil, want a type error")
	}
	for _, want := range []string{
		`sender.rate: line 2: want a number, got the expansion of "${MULTAQUE_TELEGRAM_TOKEN}"`,
		`sender.per_group_per_minute: line 3: want a whole number, got the expansion of "$MULTAQUE_WEBHOOK_SECRET"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig: err=%q, want it to contain %q", err, want)
		}
	}
	assertNoSecrets(t, "ParseConfig error", err.Error())
}

func TestReadConfigFile(t *testing.T) {
	got, err := ReadConfigFile("")
	if err != nil || !reflect.DeepEqual(got, DefaultConfig()) {
		t.Errorf(`ReadConfigFile("") = %v, %v; want DefaultConfig(), nil`, got, err)
	}

	missing := filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := ReadConfigFile(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadConfigFile(missing): err=%v, want os.ErrNotExist", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("log:\n  levle: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "log.levle") {
		t.Errorf("ReadConfigFile(bad): err=%v, want the path and log.levle", err)
	}
}

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("log:\n  level: debug\n  format: json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MULTAQUE_LOG_LEVEL": "warn"}
	got, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if want := (LogConfig{Level: "warn", Format: "json"}); got.Log != want {
		t.Errorf("LoadConfig: Log=%+v, want %+v (environment over file over defaults)", got.Log, want)
	}

	env = map[string]string{"MULTAQUE_SENDER_RATE": "lots"}
	if _, err := LoadConfig(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "MULTAQUE_SENDER_RATE") {
		t.Errorf("LoadConfig: err=%v, want one naming MULTAQUE_SENDER_RATE", err)
	}
}

// The example configuration documents the defaults: it must stay equal to
// DefaultConfig and name the environment variable of every setting.
func TestExampleConfig(t *testing.T) {
	const path = "../../configs/config.yaml"
	got, err := ReadConfigFile(path)
	if err != nil {
		t.Fatalf("ReadConfigFile(%s): %v", path, err)
	}
	want := DefaultConfig()
	if len(got.Coordinators) == 0 && len(want.Coordinators) == 0 {
		got.Coordinators = want.Coordinators // "[]" and nil both mean none
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from DefaultConfig():\n got %v\nwant %v", path, got, want)
	}
	if err := got.ValidateSandbox(); err != nil {
		t.Errorf("%s: ValidateSandbox: %v", path, err)
	}

	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	var known []string
	for _, v := range c.envVars() {
		known = append(known, v.name)
		if !bytes.Contains(text, []byte(v.name)) {
			t.Errorf("%s does not mention %s (%s)", path, v.name, v.field)
		}
	}
	for _, name := range regexp.MustCompile(`MULTAQUE_[A-Z_]+[A-Z]`).FindAllString(string(text), -1) {
		if !slices.Contains(known, name) {
			t.Errorf("%s mentions %s, which ApplyEnv does not read", path, name)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config) // applied to DefaultConfig
	}{
		{name: "nothing set", env: nil, want: func(*Config) {}},
		{name: "empty values are unset", env: map[string]string{"MULTAQUE_LOG_LEVEL": "", "MULTAQUE_DATA_PATH": "  "}, want: func(*Config) {}},
		{
			name: "every variable",
			env: map[string]string{
				"MULTAQUE_TELEGRAM_TOKEN":                testToken,
				"MULTAQUE_TELEGRAM_API_URL":              "http://127.0.0.1:8081",
				"MULTAQUE_TELEGRAM_MODE":                 "webhook",
				"MULTAQUE_TELEGRAM_POLL_TIMEOUT":         "10s",
				"MULTAQUE_TELEGRAM_WORKERS":              "4",
				"MULTAQUE_WEBHOOK_LISTEN":                ":88",
				"MULTAQUE_WEBHOOK_PATH":                  "/tg",
				"MULTAQUE_WEBHOOK_PUBLIC_URL":            "https://bot.example.org:88/tg",
				"MULTAQUE_WEBHOOK_SECRET":                testSecret,
				"MULTAQUE_WEBHOOK_MAX_BODY_BYTES":        "2048",
				"MULTAQUE_DATA_PATH":                     "/data/multaque.db",
				"MULTAQUE_CATALOG_PATH":                  "/app/configs/catalog.yaml",
				"MULTAQUE_LOG_LEVEL":                     "debug",
				"MULTAQUE_LOG_FORMAT":                    "console",
				"MULTAQUE_HTTP_ADDR":                     ":9090",
				"MULTAQUE_COORDINATORS":                  " 5, 6 ,,7 ",
				"MULTAQUE_MATCHING_SCHEDULE":             "0 * * * *",
				"MULTAQUE_MATCHING_PARENT_POOLING_AFTER": "168h",
				"MULTAQUE_SENDER_RATE":                   "29.5",
				"MULTAQUE_SENDER_PER_CHAT_INTERVAL":      "0s",
				"MULTAQUE_SENDER_PER_GROUP_PER_MINUTE":   "19",
				"MULTAQUE_TEAMS_POOL_LOW_WATER":          "5",
				"MULTAQUE_TEAMS_REMINDER_AFTER":          "36h",
				"MULTAQUE_BACKUP_DIR":                    "/backups",
				"MULTAQUE_BACKUP_SCHEDULE":               "@daily",
				"MULTAQUE_BACKUP_KEEP":                   "30",
			},
			want: func(c *Config) {
				c.Telegram = TelegramConfig{
					Token: testToken, APIURL: "http://127.0.0.1:8081", Mode: "webhook",
					PollTimeout: Duration(10 * time.Second), Workers: 4,
					Webhook: WebhookConfig{Listen: ":88", Path: "/tg", PublicURL: "https://bot.example.org:88/tg", Secret: testSecret, MaxBodyBytes: 2048},
				}
				c.Data.Path = "/data/multaque.db"
				c.Catalog.Path = "/app/configs/catalog.yaml"
				c.Log = LogConfig{Level: "debug", Format: "console"}
				c.HTTP.Addr = ":9090"
				c.Coordinators = []int64{5, 6, 7}
				c.Matching = MatchingConfig{Schedule: "0 * * * *", ParentPoolingAfter: Duration(168 * time.Hour)}
				c.Sender = SenderConfig{Rate: 29.5, PerChatInterval: 0, PerGroupPerMinute: 19}
				c.Teams = TeamsConfig{PoolLowWater: 5, ReminderAfter: Duration(36 * time.Hour)}
				c.Backup = BackupConfig{Dir: "/backups", Schedule: "@daily", Keep: 30}
			},
		},
		{name: "spaces trimmed", env: map[string]string{"MULTAQUE_TELEGRAM_TOKEN": " " + testToken + "\r\n"}, want: func(c *Config) { c.Telegram.Token = testToken }},
		{name: "http off", env: map[string]string{"MULTAQUE_HTTP_ADDR": "off"}, want: func(c *Config) { c.HTTP.Addr = "" }},
		{name: "coordinators replace the file's", env: map[string]string{"MULTAQUE_COORDINATORS": "9"}, want: func(c *Config) { c.Coordinators = []int64{9} }},
		{name: "coordinators only commas", env: map[string]string{"MULTAQUE_COORDINATORS": ","}, want: func(c *Config) { c.Coordinators = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultConfig()
			got.Coordinators = []int64{1, 2}
			if err := got.ApplyEnv(func(k string) string { return tt.env[k] }); err != nil {
				t.Fatalf("ApplyEnv: %v", err)
			}
			want := DefaultConfig()
			want.Coordinators = []int64{1, 2}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ApplyEnv:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestApplyEnvErrors(t *testing.T) {
	tests := []struct {
		name, value string
		want        string
	}{
		{"MULTAQUE_TELEGRAM_POLL_TIMEOUT", "25", `MULTAQUE_TELEGRAM_POLL_TIMEOUT: want a duration such as 30s or 5m, got "25"`},
		{"MULTAQUE_TELEGRAM_WORKERS", "many", `MULTAQUE_TELEGRAM_WORKERS: want a whole number, got "many"`},
		{"MULTAQUE_WEBHOOK_MAX_BODY_BYTES", "1MB", `MULTAQUE_WEBHOOK_MAX_BODY_BYTES: want a whole number, got "1MB"`},
		{"MULTAQUE_COORDINATORS", "1;2", `MULTAQUE_COORDINATORS: want comma-separated Telegram user ids, got "1;2"`},
		{"MULTAQUE_COORDINATORS", "1,@bob", `MULTAQUE_COORDINATORS: want comma-separated Telegram user ids, got "@bob"`},
		{"MULTAQUE_MATCHING_PARENT_POOLING_AFTER", "3 days", `MULTAQUE_MATCHING_PARENT_POOLING_AFTER: want a duration`},
		{"MULTAQUE_SENDER_RATE", "25/s", `MULTAQUE_SENDER_RATE: want a number of messages per second, got "25/s"`},
		{"MULTAQUE_SENDER_PER_CHAT_INTERVAL", "1", `MULTAQUE_SENDER_PER_CHAT_INTERVAL: want a duration`},
		{"MULTAQUE_SENDER_PER_GROUP_PER_MINUTE", "20.0", `MULTAQUE_SENDER_PER_GROUP_PER_MINUTE: want a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c := DefaultConfig()
			err := c.ApplyEnv(func(k string) string {
				if k == tt.name {
					return tt.value
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ApplyEnv: err=%v, want %q", err, tt.want)
			}
		})
	}

	// Several bad variables are all reported.
	c := DefaultConfig()
	env := map[string]string{"MULTAQUE_SENDER_RATE": "x", "MULTAQUE_TELEGRAM_WORKERS": "y"}
	err := c.ApplyEnv(func(k string) string { return env[k] })
	for name := range env {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("ApplyEnv: err=%v, want it to name %s", err, name)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		config func() Config
		want   []string // "" entries are not allowed; nil means valid
	}{
		{name: "defaults with a token", config: validConfig},
		{name: "webhook complete", config: webhookConfig},
		{name: "webhook on port 88", config: func() Config {
			c := webhookConfig()
			c.Telegram.Webhook.PublicURL = "https://bot.example.org:88/telegram"
			return c
		}},
		{name: "http off", config: func() Config { c := validConfig(); c.HTTP.Addr = ""; return c }},
		{name: "schedule descriptor", config: func() Config { c := validConfig(); c.Matching.Schedule = "@every 1m"; return c }},
		{name: "rate at the limit", config: func() Config { c := validConfig(); c.Sender.Rate = 30; return c }},

		{name: "no token", config: DefaultConfig, want: []string{"telegram.token: set MULTAQUE_TELEGRAM_TOKEN"}},
		{name: "malformed token", config: func() Config { c := validConfig(); c.Telegram.Token = `"` + testToken + `"`; return c },
			want: []string{"telegram.token: MULTAQUE_TELEGRAM_TOKEN does not look like a bot token"}},
		{name: "token with newline", config: func() Config { c := validConfig(); c.Telegram.Token = testToken + "\n"; return c },
			want: []string{"telegram.token: MULTAQUE_TELEGRAM_TOKEN does not look like a bot token"}},
		{name: "api_url not a URL", config: func() Config { c := validConfig(); c.Telegram.APIURL = "api.telegram.org"; return c },
			want: []string{`telegram.api_url: must be an http or https URL, got "api.telegram.org"`}},
		{name: "api_url with query", config: func() Config { c := validConfig(); c.Telegram.APIURL = "https://x.org/?a=1"; return c },
			want: []string{"telegram.api_url: must have no query or fragment"}},
		{name: "api_url password masked", config: func() Config { c := validConfig(); c.Telegram.APIURL = "ftp://me:hunter2@x.org"; return c },
			want: []string{`telegram.api_url: must be an http or https URL, got "ftp://me:xxxxx@x.org"`}},
		{name: "mode", config: func() Config { c := validConfig(); c.Telegram.Mode = "push"; return c },
			want: []string{`telegram.mode: must be polling or webhook, got "push"`}},
		{name: "poll_timeout zero", config: func() Config { c := validConfig(); c.Telegram.PollTimeout = 0; return c },
			want: []string{"telegram.poll_timeout: must be whole seconds between 1s and 10m, got 0s"}},
		{name: "poll_timeout fraction", config: func() Config {
			c := validConfig()
			c.Telegram.PollTimeout = Duration(1500 * time.Millisecond)
			return c
		}, want: []string{"telegram.poll_timeout:"}},
		{name: "poll_timeout too long", config: func() Config { c := validConfig(); c.Telegram.PollTimeout = Duration(time.Hour); return c },
			want: []string{"telegram.poll_timeout:"}},
		{name: "workers", config: func() Config { c := validConfig(); c.Telegram.Workers = 0; return c },
			want: []string{"telegram.workers: must be at least 1, got 0"}},
		{name: "webhook without public_url and secret", config: func() Config { c := validConfig(); c.Telegram.Mode = "webhook"; return c },
			want: []string{"telegram.webhook.public_url: required in webhook mode", "telegram.webhook.secret: required in webhook mode: set MULTAQUE_WEBHOOK_SECRET"}},
		{name: "webhook public_url http", config: func() Config {
			c := webhookConfig()
			c.Telegram.Webhook.PublicURL = "http://bot.example.org/telegram"
			return c
		}, want: []string{`telegram.webhook.public_url: must be an https URL, got "http://bot.example.org/telegram"`}},
		{name: "webhook public_url port", config: func() Config {
			c := webhookConfig()
			c.Telegram.Webhook.PublicURL = "https://bot.example.org:9443/telegram"
			return c
		}, want: []string{"telegram.webhook.public_url: Telegram sends webhooks only to ports 443, 80, 88 and 8443, got 9443"}},
		{name: "webhook secret charset", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.Secret = testSecret + "!"; return c },
			want: []string{"telegram.webhook.secret: MULTAQUE_WEBHOOK_SECRET must be 32-256 characters"}},
		{name: "webhook secret too short", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.Secret = strings.Repeat("a", 31); return c },
			want: []string{"telegram.webhook.secret: MULTAQUE_WEBHOOK_SECRET must be 32-256 characters"}},
		{name: "webhook secret too long", config: func() Config {
			c := webhookConfig()
			c.Telegram.Webhook.Secret = strings.Repeat("a", 257)
			return c
		}, want: []string{"telegram.webhook.secret: MULTAQUE_WEBHOOK_SECRET must be 32-256 characters"}},
		{name: "webhook listen", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.Listen = "8443"; return c },
			want: []string{`telegram.webhook.listen: must be host:port or :port, got "8443"`}},
		{name: "webhook listen port", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.Listen = ":https"; return c },
			want: []string{`telegram.webhook.listen: port must be a number from 0 to 65535, got "https"`}},
		{name: "webhook path", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.Path = "telegram"; return c },
			want: []string{`telegram.webhook.path: must start with /, got "telegram"`}},
		{name: "webhook max_body_bytes", config: func() Config { c := webhookConfig(); c.Telegram.Webhook.MaxBodyBytes = 100; return c },
			want: []string{"telegram.webhook.max_body_bytes: must be at least 1024, got 100"}},
		{name: "webhook and http on one port", config: func() Config { c := webhookConfig(); c.HTTP.Addr = "127.0.0.1:8443"; return c },
			want: []string{`http.addr: "127.0.0.1:8443" clashes with telegram.webhook.listen ":8443"`}},
		{name: "webhook settings ignored when polling", config: func() Config {
			c := validConfig()
			c.Telegram.Webhook = WebhookConfig{Listen: "nonsense", Secret: "!"}
			return c
		}},
		{name: "data.path", config: func() Config { c := validConfig(); c.Data.Path = " "; return c },
			want: []string{"data.path: required"}},
		{name: "log.level", config: func() Config { c := validConfig(); c.Log.Level = "trace"; return c },
			want: []string{`log.level: must be debug, info, warn or error, got "trace"`}},
		{name: "log.format", config: func() Config { c := validConfig(); c.Log.Format = "text"; return c },
			want: []string{`log.format: must be auto, json or console, got "text"`}},
		{name: "http.addr", config: func() Config { c := validConfig(); c.HTTP.Addr = "localhost"; return c },
			want: []string{`http.addr: must be host:port or :port, got "localhost"`}},
		{name: "http.addr port range", config: func() Config { c := validConfig(); c.HTTP.Addr = ":70000"; return c },
			want: []string{`http.addr: port must be a number from 0 to 65535, got "70000"`}},
		{name: "coordinators", config: func() Config { c := validConfig(); c.Coordinators = []int64{5, 0, -3, 5}; return c },
			want: []string{"coordinators[1]: must be a Telegram user id (a positive number), got 0", "coordinators[2]: must be a Telegram user id", "coordinators[3]: 5 is already coordinators[0]"}},
		{name: "matching.schedule", config: func() Config { c := validConfig(); c.Matching.Schedule = "every 5 minutes"; return c },
			want: []string{`matching.schedule: "every 5 minutes" is not a cron spec`}},
		{name: "matching.schedule seconds field", config: func() Config { c := validConfig(); c.Matching.Schedule = "0 */5 * * * *"; return c },
			want: []string{"matching.schedule:"}},
		{name: "matching.parent_pooling_after", config: func() Config {
			c := validConfig()
			c.Matching.ParentPoolingAfter = Duration(-time.Hour)
			return c
		}, want: []string{"matching.parent_pooling_after: must not be negative (0 turns pooling off), got -1h0m0s"}},
		{name: "sender.rate zero", config: func() Config { c := validConfig(); c.Sender.Rate = 0; return c },
			want: []string{"sender.rate: must be in (0, 30] messages per second, got 0"}},
		{name: "sender.rate over", config: func() Config { c := validConfig(); c.Sender.Rate = 30.5; return c },
			want: []string{"sender.rate: must be in (0, 30]"}},
		{name: "sender.rate NaN", config: func() Config { c := validConfig(); c.Sender.Rate = math.NaN(); return c },
			want: []string{"sender.rate: must be in (0, 30]"}},
		{name: "sender.per_chat_interval", config: func() Config {
			c := validConfig()
			c.Sender.PerChatInterval = Duration(-time.Second)
			return c
		}, want: []string{"sender.per_chat_interval: must not be negative, got -1s"}},
		{name: "sender.per_group_per_minute over", config: func() Config { c := validConfig(); c.Sender.PerGroupPerMinute = 21; return c },
			want: []string{"sender.per_group_per_minute: must be between 1 and 20, got 21"}},
		{name: "sender.per_group_per_minute zero", config: func() Config { c := validConfig(); c.Sender.PerGroupPerMinute = 0; return c },
			want: []string{"sender.per_group_per_minute: must be between 1 and 20, got 0"}},
		{name: "backups on", config: func() Config { c := validConfig(); c.Backup.Dir = "/backups"; return c }},
		{name: "teams.pool_low_water", config: func() Config { c := validConfig(); c.Teams.PoolLowWater = 0; return c },
			want: []string{"teams.pool_low_water: must be at least 1, got 0"}},
		{name: "teams.reminder_after", config: func() Config { c := validConfig(); c.Teams.ReminderAfter = Duration(time.Second); return c },
			want: []string{"teams.reminder_after: must be at least 1m, got 1s"}},
		{name: "backup.schedule", config: func() Config { c := validConfig(); c.Backup.Schedule = "nightly"; return c },
			want: []string{`backup.schedule: "nightly" is not a cron spec`}},
		{name: "backup.keep", config: func() Config { c := validConfig(); c.Backup.Keep = 0; return c },
			want: []string{"backup.keep: must be at least 1, got 0"}},
		{name: "backup.dir spaces", config: func() Config { c := validConfig(); c.Backup.Dir = "  "; return c },
			want: []string{"backup.dir: is only spaces"}},
		{name: "every problem at once", config: func() Config {
			c := DefaultConfig()
			c.Log.Level = "loud"
			c.Sender.Rate = -1
			return c
		}, want: []string{"telegram.token:", "log.level:", "sender.rate:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.config()
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: err=nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: err=%q, want it to contain %q", err, w)
				}
			}
			// Every line of the error starts with the field it is about.
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !regexp.MustCompile(`^[a-z_.]+(\[\d+\])?: `).MatchString(line) {
					t.Errorf("Validate: line %q does not start with a field name", line)
				}
			}
			assertNoSecrets(t, "Validate error", err.Error())
		})
	}
}

func TestValidateSandbox(t *testing.T) {
	c := DefaultConfig()
	if err := c.ValidateSandbox(); err != nil {
		t.Errorf("ValidateSandbox(DefaultConfig()) = %v, want nil: the sandbox needs no token", err)
	}
	c.Telegram.Token = "anything, the sandbox does not use it"
	if err := c.ValidateSandbox(); err != nil {
		t.Errorf("ValidateSandbox with an odd token = %v, want nil", err)
	}
	c.Sender.Rate = 31
	if err := c.ValidateSandbox(); err == nil || !strings.Contains(err.Error(), "sender.rate:") {
		t.Errorf("ValidateSandbox: err=%v, want sender.rate", err)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		text string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"5m", 5 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"0", 0, true},
		{"-1s", -time.Second, true}, // Validate refuses it where it matters
		{"30", 0, false},
		{"", 0, false},
		{"soon", 0, false},
	} {
		var d Duration
		err := d.UnmarshalText([]byte(tt.text))
		if (err == nil) != tt.ok || (tt.ok && time.Duration(d) != tt.want) {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, ok=%v", tt.text, d, err, tt.want, tt.ok)
		}
	}
	if got, _ := Duration(90 * time.Second).MarshalText(); string(got) != "1m30s" {
		t.Errorf("MarshalText = %q, want 1m30s", got)
	}
}

func TestConfigStringRedactsSecrets(t *testing.T) {
	c := webhookConfig()
	c.Telegram.APIURL = "https://user:hunter2@bot-api.internal"
	c.Coordinators = []int64{7, 8}
	s := c.String()
	for _, want := range []string{
		"telegram.token=*** ", "telegram.webhook.secret=*** ", "telegram.mode=webhook",
		"telegram.api_url=https://user:xxxxx@bot-api.internal", `catalog.path=""`,
		"coordinators=[7,8]", `matching.schedule="*/5 * * * *"`, "sender.rate=25",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %s\nwant it to contain %q", s, want)
		}
	}
	assertNoSecrets(t, "String()", s)
	if strings.Contains(s, "hunter2") {
		t.Errorf("String() = %s, shows the API URL's password", s)
	}
	if s := DefaultConfig().String(); !strings.Contains(s, `telegram.token="" `) {
		t.Errorf("DefaultConfig().String() = %s, want an empty token shown as \"\"", s)
	}

	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("config", c).Msg("starting")
	var line struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %s: %v", buf.Bytes(), err)
	}
	if got := line.Config["telegram.token"]; got != "***" {
		t.Errorf("logged telegram.token = %q, want ***", got)
	}
	if got := line.Config["sender.per_chat_interval"]; got != "1s" {
		t.Errorf("logged sender.per_chat_interval = %q, want 1s", got)
	}
	assertNoSecrets(t, "logged config", buf.String())
}

// fields must list every setting, so that the logged configuration is
// complete: compare it with the fields the Config type has.
func TestConfigFieldsCoverEverySetting(t *testing.T) {
	var want []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for f := range t.Fields() {
			name := yamlName(f)
			if name == "" {
				name = map[string]string{"Token": "token", "Secret": "secret"}[f.Name]
			}
			if f.Type.Kind() == reflect.Struct && f.Type != durationType {
				walk(f.Type, join(path, name))
				continue
			}
			want = append(want, join(path, name))
		}
	}
	walk(reflect.TypeFor[Config](), "")

	var got []string
	for _, f := range DefaultConfig().fields() {
		got = append(got, f[0])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("fields() names\n got %q\nwant %q", got, want)
	}

	// And every setting has its environment variable.
	var c Config
	var env []string
	for _, v := range c.envVars() {
		env = append(env, v.field)
	}
	slices.Sort(env)
	if !slices.Equal(env, want) {
		t.Errorf("envVars() fields\n got %q\nwant %q", env, want)
	}
}

func TestSecrets(t *testing.T) {
	c := DefaultConfig()
	if got := c.Secrets(); len(got) != 0 {
		t.Errorf("Secrets() = %q, want none", got)
	}
	c = webhookConfig()
	if got, want := c.Secrets(), []string{testToken, testSecret}; !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
}

// assertNoSecrets fails the test if s contains testToken or testSecret, or
// the secret part of the token.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	_, tokenSecret, _ := strings.Cut(testToken, ":")
	for _, secret := range []string{testToken, tokenSecret, testSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains a secret: %s", what, s)
		}
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// configField is how every problem Validate reports begins: a dotted field
// name, with list indexes ("coordinators[2]").
var configField = regexp.MustCompile(`^[a-z_]+(\[[0-9]+\])?(\.[a-z_]+)*: `)

// FuzzLoadConfig reads any YAML as the configuration file and any value
// into any one MULTAQUE_* variable, as LoadConfig does, with the bot token
// and the webhook secret in the environment (where ${VAR} in the file can
// reach them). Nothing may panic, and:
//   - no error, and no String() of a configuration read, contains a secret;
//   - a malformed variable is an error naming it;
//   - each problem Validate and ValidateSandbox report begins with the
//     field's dotted name;
//   - a configuration read writes back to YAML that reads the same.
func FuzzLoadConfig(f *testing.F) {
	f.Setenv("MULTAQUE_TELEGRAM_TOKEN", testToken)
	f.Setenv("MULTAQUE_WEBHOOK_SECRET", testSecret)
	f.Setenv("FUZZ_RATE", "12.5")
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "config.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	names := (&Config{}).envVars()
	f.Add(example, uint8(0), "")
	for _, s := range []string{
		"", "# nothing\n", "~\n", "telegram:\nlog:\n", "[1, 2]\n", "a: 1\n---\nb: 2\n",
		"telegram:\n  mode: webhook\n  webhook:\n    public_url: https://bot.example.org:8443/telegram\n    max_body_bytes: 1024\n",
		"telegram:\n  token: abc\n", "telegram:\n  webhook:\n    secret: abc\n", "x:\n  - token: 1\n",
		"sender:\n  rate: ${FUZZ_RATE}\n  per_chat_interval: 1s\n", "sender:\n  rate: ${MULTAQUE_TELEGRAM_TOKEN}\n",
		"telegram:\n  mode: ${MULTAQUE_TELEGRAM_TOKEN}\n", "data:\n  path: $MULTAQUE_WEBHOOK_SECRET\n",
		"matching:\n  schedule: \"${MULTAQUE_WEBHOOK_SECRET} * * * *\"\n", "coordinators: [1, 2, 2, -5]\n",
		"base: &b {level: debug}\nlog:\n  <<: *b\n", "telegram:\n  poll_timeout: 30\n  workers: 1.5\n", "sender:\n  rate: .nan\n",
		"http:\n  addr: :9090\ntelegram:\n  mode: webhook\n  webhook:\n    listen: :9090\n",
	} {
		f.Add([]byte(s), uint8(0), "")
	}
	for i, val := range []string{"1", "x", "-3", "2s", "1e400", testToken + "\n", "off", "1, 2,x", "https://[::1]:8081", "webhook"} {
		f.Add([]byte(""), uint8(i*7%len(names)), val) // spread over the variables
		f.Add([]byte(""), uint8(i), testToken)
	}
	f.Fuzz(func(t *testing.T, file []byte, which uint8, value string) {
		env := map[string]string{"MULTAQUE_TELEGRAM_TOKEN": testToken, "MULTAQUE_WEBHOOK_SECRET": testSecret}
		v := names[int(which)%len(names)]
		name := v.name
		if !v.secret { // the secrets stay those of the process, which the file can expand
			env[name] = value
		}
		c, err := ParseConfig(bytes.NewReader(file))
		if err != nil {
			assertNoSecrets(t, "ParseConfig error", err.Error())
			return
		}
		if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
			if !strings.HasPrefix(err.Error(), name+": ") {
				t.Fatalf("ApplyEnv with %s=%q: %q does not name the variable", name, value, err)
			}
			assertNoSecrets(t, "ApplyEnv error", err.Error())
			return
		}
		assertNoSecrets(t, "Config.String", c.String())
		for what, err := range map[string]error{"Validate": c.Validate(), "ValidateSandbox": c.ValidateSandbox()} {
			if err == nil {
				continue
			}
			assertNoSecrets(t, what+" error", err.Error())
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) {
				t.Fatalf("%s: %q is not a list of problems", what, err)
			}
			for _, e := range joined.Unwrap() {
				if !configField.MatchString(e.Error()) {
					t.Fatalf("%s: problem %q does not begin with a field name", what, e)
				}
			}
		}

		// Written back without the secrets (which never go in a file), the
		// configuration reads the same.
		c.Telegram.Token, c.Telegram.Webhook.Secret = "", ""
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("yaml.Marshal: %v", err)
		}
		if bytes.ContainsRune(out, '$') {
			return // would be expanded again
		}
		back, err := ParseConfig(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("ParseConfig of its own output %q: %v", out, err)
		}
		if back.String() != c.String() {
			t.Fatalf("read back as\n%s\nwant\n%s", back, c)
		}
	})
}

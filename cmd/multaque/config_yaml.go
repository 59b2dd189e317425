package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseConfig reads a YAML configuration on top of DefaultConfig.
//
// ${VAR} and $VAR in values are replaced with the environment variable (an
// unset one with ""), as os.ExpandEnv does. Expansion happens in each value
// after parsing, not in the raw text, so a variable cannot change the YAML's
// structure and comments are left alone. An unquoted value is typed after
// expansion, so `rate: ${RATE}` is a number.
//
// Decoding is strict, yaml.v3's own: an unknown key is an error (KnownFields),
// and so is a value that does not fit its field (1.5 or "8" for a whole
// number). A "token" or "secret" key anywhere is an error, since secrets come
// only from the environment. All problems are reported at once, each naming
// its field by its dotted path and its line (see yamlErrors).
func ParseConfig(r io.Reader) (Config, error) {
	text, err := io.ReadAll(r)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(text))
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

	// Unknown keys: yaml.v3's strict decoding of the text as written (keys
	// are never expanded); only its "not found" errors are taken here.
	strict := yaml.NewDecoder(bytes.NewReader(text))
	strict.KnownFields(true)
	var unknown []string
	var te *yaml.TypeError
	if scratch := DefaultConfig(); errors.As(strict.Decode(&scratch), &te) {
		for _, e := range te.Errors {
			if strings.Contains(e, " not found in type ") {
				unknown = append(unknown, e)
			}
		}
	}
	// Values: decoded after expansion, from the tree, whose lines are the
	// file's.
	original := map[*yaml.Node]string{}
	expandEnv(root, original)
	var problems []string
	if err := root.Decode(&c); errors.As(err, &te) {
		problems = te.Errors
	} else if err != nil {
		return Config{}, redactEnvSecrets(err)
	}
	problems = append(problems, truncatedFloats(root)...)
	if len(unknown)+len(problems) > 0 {
		return Config{}, redactEnvSecrets(yamlErrors(root, original, append(unknown, problems...)))
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

// durationType is the type of Duration fields.
var durationType = reflect.TypeFor[Duration]()

// UnmarshalYAML decodes a duration written as UnmarshalText reads it. Its
// refusal is a yaml.TypeError, so that decoding goes on and every problem
// is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || d.UnmarshalText([]byte(n.Value)) != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s `%s` into %s", n.Line, n.ShortTag(), n.Value, durationType)}}
	}
	return nil
}

// yamlPlace is a key or a value of the configuration tree, by dotted path.
type yamlPlace struct {
	path string
	key  bool // the node is the key of path, not its value
	node *yaml.Node
}

// yamlPlaces lists every key and value under n with its dotted path.
func yamlPlaces(n *yaml.Node, path string) []yamlPlace {
	places := []yamlPlace{{path: path, node: n}}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if k.Value == "<<" { // a merge key: its mapping holds more of path's fields
				p = path
			}
			places = append(places, yamlPlace{path: p, key: true, node: k})
			places = append(places, yamlPlaces(v, p)...)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			places = append(places, yamlPlaces(v, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return places
}

// yamlError is one of yaml.v3's decoding errors: "line 2: field formt not
// found in type main.LogConfig" or "line 2: cannot unmarshal !!str `fast`
// into float64" (a value of more than 10 characters shortened to 7 and
// "...").
var yamlError = regexp.MustCompile("^line (\\d+): (?:field (.+) not found in type .+|cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+))$")

// yamlErrors turns yaml.v3's errors into ours, each naming the field by
// its dotted path and its line, and saying what was wanted and what was
// found: "log.formt: unknown key (line 2)", "sender.rate: line 2: want a
// number, got \"fast\"". A value an environment variable gave is shown as
// "the expansion of" the text written, never as itself. An error that
// cannot be placed is passed on as yaml.v3 wrote it.
func yamlErrors(root *yaml.Node, original map[*yaml.Node]string, errs []string) error {
	places := yamlPlaces(root, "")
	var out []error
	for _, e := range errs {
		m := yamlError.FindStringSubmatch(e)
		if m == nil {
			out = append(out, errors.New(e))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		place, ok := findPlace(places, line, m[2], m[3], m[4])
		switch {
		case !ok:
			out = append(out, errors.New(e))
		case m[2] != "":
			out = append(out, fmt.Errorf("%s: unknown key (line %d)", place.path, line))
		default:
			out = append(out, fmt.Errorf("%s: line %d: want %s, got %s", place.path, line, wanted(m[5]), shown(place.node, original)))
		}
	}
	return errors.Join(out...)
}

// findPlace finds the key named key (an unknown key), or else the value of
// tag and text (text as yaml.v3 shortens it), on line.
func findPlace(places []yamlPlace, line int, key, tag, text string) (yamlPlace, bool) {
	short, cut := strings.CutSuffix(text, "...")
	for _, p := range places {
		n := p.node
		switch {
		case n.Line != line || p.key != (key != ""):
		case key != "":
			if n.Value == key {
				return p, true
			}
		case n.Kind == yaml.SequenceNode:
			if tag == "!!seq" {
				return p, true
			}
		case n.Kind == yaml.MappingNode:
			if tag == "!!map" {
				return p, true
			}
		case n.Value == text || (cut && strings.HasPrefix(n.Value, short)):
			return p, true
		}
	}
	return yamlPlace{}, false
}

// truncatedFloats finds what yaml.v3 lets through: a number with a
// fraction given to a whole-number setting, which it truncates (1.5 → 1).
// It returns them as yaml.v3 writes its errors, for yamlErrors.
func truncatedFloats(root *yaml.Node) []string {
	var errs []string
	for _, p := range yamlPlaces(root, "") {
		if p.key || p.node.Kind != yaml.ScalarNode || p.node.ShortTag() != "!!float" {
			continue
		}
		if t := typeAt(reflect.TypeFor[Config](), p.path); t != nil && t != durationType && strings.HasPrefix(t.Kind().String(), "int") {
			errs = append(errs, fmt.Sprintf("line %d: cannot unmarshal !!float `%s` into %s", p.node.Line, p.node.Value, t))
		}
	}
	return errs
}

// typeAt returns the type of the setting at path ("telegram.workers",
// "coordinators[1]") in t, nil if there is none.
func typeAt(t reflect.Type, path string) reflect.Type {
	for part := range strings.SplitSeq(path, ".") {
		name, index, _ := strings.Cut(part, "[")
		f, ok := fieldByYAMLName(t, name)
		if !ok {
			return nil
		}
		t = f.Type
		if index != "" && t.Kind() == reflect.Slice {
			t = t.Elem()
		}
	}
	return t
}

// fieldByYAMLName finds the field of struct t written as name in YAML.
func fieldByYAMLName(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for f := range t.Fields() {
		if yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// wanted says in words what a Go type of the configuration holds.
func wanted(goType string) string {
	switch {
	case goType == durationType.String():
		return "a duration such as 30s or 5m"
	case goType == "string":
		return "text"
	case goType == "float64":
		return "a number"
	case strings.HasPrefix(goType, "int"):
		return "a whole number"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "a mapping"
}

// shown describes n for an error message without revealing what an
// environment variable put there.
func shown(n *yaml.Node, original map[*yaml.Node]string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if orig, ok := original[n]; ok {
		return "the expansion of " + strconv.Quote(orig)
	}
	return strconv.Quote(n.Value)
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

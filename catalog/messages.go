package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/multaque/multaque"
)

//go:embed locales
var localeFS embed.FS

// Messages are the interface texts of the bot in every language, read from
// the locale files (go-i18n format: a message is a string, or a map of
// plural forms "one"/"other" chosen by .Count): locales/<lang>.yaml, and
// locales/<subject>/<lang>.yaml for the texts of one subject (the admin
// commands, proposals, …). An id may be defined once per language.
type Messages struct {
	localizers map[multaque.Lang]*i18n.Localizer
	ids        []string
}

// LoadMessages reads the built-in locale files. Every message must exist in
// every language: an id missing in one of them is an error naming it.
func LoadMessages() (*Messages, error) {
	return loadMessages(localeFS, "locales")
}

func loadMessages(fsys fs.FS, dir string) (*Messages, error) {
	bundle := i18n.NewBundle(language.Catalan)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	subjects, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	dirs := []string{dir}
	for _, e := range subjects {
		if e.IsDir() {
			dirs = append(dirs, path.Join(dir, e.Name()))
		}
	}
	ids := map[multaque.Lang]map[string]bool{}
	for _, lang := range multaque.Languages {
		ids[lang] = map[string]bool{}
		for i, d := range dirs {
			name := path.Join(d, string(lang)+".yaml")
			buf, err := fs.ReadFile(fsys, name)
			if i > 0 && errors.Is(err, fs.ErrNotExist) {
				continue // a subject's language missing shows as missing ids below
			}
			if err != nil {
				return nil, fmt.Errorf("messages: %w", err)
			}
			mf, err := bundle.ParseMessageFileBytes(buf, name)
			if err != nil {
				return nil, fmt.Errorf("messages: %s: %w", name, err)
			}
			for _, m := range mf.Messages {
				if ids[lang][m.ID] {
					return nil, multaque.Errorf(multaque.EINVALID, "messages: %q is defined twice in %s", m.ID, lang)
				}
				ids[lang][m.ID] = true
			}
		}
	}
	all := map[string]bool{}
	for _, set := range ids {
		for id := range set {
			all[id] = true
		}
	}
	m := &Messages{localizers: map[multaque.Lang]*i18n.Localizer{}}
	for id := range all {
		for _, lang := range multaque.Languages {
			if !ids[lang][id] {
				return nil, multaque.Errorf(multaque.EINVALID, "messages: %q has no text in %s", id, lang)
			}
		}
		m.ids = append(m.ids, id)
	}
	sort.Strings(m.ids)
	for _, lang := range multaque.Languages {
		m.localizers[lang] = i18n.NewLocalizer(bundle, string(lang))
	}
	return m, nil
}

// IDs lists every message id, sorted.
func (m *Messages) IDs() []string { return m.ids }

// Text returns message id in lang with data filled in. A "Count" entry in
// data selects the plural form. An unknown id yields the id itself in
// brackets, so a missing text shows up in tests rather than as silence.
func (m *Messages) Text(lang multaque.Lang, id string, data map[string]any) string {
	l, ok := m.localizers[lang]
	if !ok {
		l = m.localizers[multaque.DefaultLang]
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := l.Localize(cfg)
	if err != nil {
		return "[" + id + "]"
	}
	return strings.TrimRight(s, "\n")
}

package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
	"github.com/multaque/multaque/catalog"
)

// routeRig is a bot's rooms with the real texts, enough to build the
// route table without a Telegram.
func routeRig(t *testing.T) (*Bot, Texts) {
	t.Helper()
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	c := &core{view: &renderer{cat: cat, texts: texts}}
	return &Bot{core: c, rooms: newRooms(c, Options{})}, texts
}

// TestRouteTable checks the bot's own table: New refuses a bad one, so
// this names the problem when a change breaks it. Every listed command has
// its menu line and, in the citizens' menu, its /help line in every
// language; an unlisted command says how people learn of it.
func TestRouteTable(t *testing.T) {
	b, texts := routeRig(t)
	rt, err := newRoutes(b.routeTable(), texts)
	if err != nil {
		t.Fatalf("the route table: %v", err)
	}
	b.view.help = rt.helpLines()
	for _, lang := range multaque.Languages {
		help := b.view.helpText(lang)
		for _, r := range rt.commands {
			inHelp := strings.Contains(help, "/"+r.name+":")
			if want := r.menu == citizenMenu && !r.hidden; inHelp != want {
				t.Errorf("/help in %s lists /%s: %v, want %v", lang, r.name, inHelp, want)
			}
		}
		citizens := rt.menu(b.view, lang, citizenMenu)
		coordinators := rt.menu(b.view, lang, coordinatorMenu)
		if len(coordinators) != len(rt.names(citizenMenu))+len(rt.names(coordinatorMenu)) || len(citizens) != len(rt.names(citizenMenu)) {
			t.Errorf("menus in %s: %d and %d commands, want the citizens' %d and those plus the coordinators' %d",
				lang, len(citizens), len(coordinators), len(rt.names(citizenMenu)), len(rt.names(coordinatorMenu)))
		}
		for _, c := range coordinators {
			if c.Description == "" || c.Description == "cmd_"+c.Text {
				t.Errorf("/%s has no description in %s", c.Text, lang)
			}
		}
	}
}

// TestRouteTableRefusesMistakes feeds newRoutes the mistakes a change can
// make: each must be refused, naming the key.
func TestRouteTableRefusesMistakes(t *testing.T) {
	b, texts := routeRig(t)
	run := func(context.Context, *request) error { return nil }
	admin := func(context.Context, *adminCall) error { return nil }
	text := func(context.Context, *tg.Context, string) (bool, error) { return false, nil }
	tests := []struct {
		name  string
		extra []any
		want  string
	}{
		{"command twice", []any{commandRoute{name: "me", menu: citizenMenu, run: run}}, "/me twice"},
		{"button twice", []any{buttonRoute{actToggle, run}}, `"itog" twice`},
		{"awaited text twice", []any{textRoute{multaque.AwaitBroadcast, text}}, "awaited text"},
		{"a citizens' command with no /help line", []any{commandRoute{name: "newthing", menu: citizenMenu, run: run}}, "no menu description"},
		{"a coordinators' command with no menu line", []any{commandRoute{name: "newreport", menu: coordinatorMenu, admin: admin}}, "no menu description (cmd_newreport)"},
		{"a command in no menu that does not say why", []any{commandRoute{name: "secret", run: run}}, "does not say why"},
		{"a coordinators' command in the citizens' menu", []any{commandRoute{name: "stats2", menu: citizenMenu, admin: admin}}, "only they"},
		{"a button action with the separator", []any{buttonRoute{"a|b", run}}, "bad button action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRoutes(append(b.routeTable(), tt.extra...), texts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("newRoutes with %s: %v, want an error with %q", tt.name, err, tt.want)
			}
		})
	}
	// A citizens' command with its menu line but no /help line.
	_, err := newRoutes(append(b.routeTable(), commandRoute{name: "settings2", menu: citizenMenu, run: run}), textsWith{texts, "cmd_settings2"})
	if err == nil || !strings.Contains(err.Error(), "no line in /help (help_settings2)") {
		t.Fatalf("a citizens' command without a /help line: %v, want it refused", err)
	}
}

// textsWith is texts with extra message ids that read as themselves
// capitalised, so that hasText takes them.
type textsWith struct {
	Texts
	extra string
}

func (t textsWith) Text(lang multaque.Lang, id string, data map[string]any) string {
	if id == t.extra {
		return strings.ToUpper(id)
	}
	return t.Texts.Text(lang, id, data)
}

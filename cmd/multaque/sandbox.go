package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/bot/telegramtest/web"
	"github.com/multaque/multaque/catalog"
)

// runSandbox is `multaque sandbox`: the real bot, store and Sender (the
// same wiring as serve) against an in-process fake Telegram, and a web page
// on which a person plays any number of simulated people.
//
// The fake keeps everything in memory, so the people created on the page
// are kept in a JSON file next to the database and recreated, with the same
// Telegram ids, when the sandbox starts again; their chat history is not.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	m := NewMain(getenv, stderr)
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", `address of the web page; "127.0.0.1:0" picks a free port`)
	data := fs.String("data", "data/sandbox.db", "the bbolt database file (people are kept beside it)")
	demo := fs.Bool("demo", false, "add simulated people who answered the survey, so that a team can form")
	fs.StringVar(&m.ConfigPath, "config", "", "configuration file (default: built-in defaults)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sandbox: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := LoadConfig(m.ConfigPath, getenv)
	if err != nil {
		return err
	}
	cfg.Data.Path = *data
	if err := cfg.ValidateSandbox(); err != nil {
		return err
	}

	// The bot remembers recent update ids to skip redeliveries, so a fresh
	// fake must not give out ids an earlier run gave: it starts at the
	// milliseconds since the epoch, and nobody on a page makes more than
	// one update a millisecond. (Such ids stay below 2^53, exact in the
	// page's JavaScript.)
	srv := telegramtest.NewServer(telegramtest.WithFirstUpdateID(int(time.Now().UnixMilli())))
	defer srv.Close()
	cfg.Telegram.Token = srv.Token()
	cfg.Telegram.APIURL = srv.URL()
	cfg.Telegram.Mode = "polling"
	cfg.HTTP.Addr = "" // the page is the sandbox's one endpoint
	m.Config = cfg

	people, err := loadPeople(peoplePath(*data), srv, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	page := &http.Server{
		Handler:           web.Handler(srv, web.OnNewPerson(func(u *telegramtest.User) { people.add(u, false) })),
		ReadHeaderTimeout: 10 * time.Second,
	}
	pageDone := make(chan error, 1)
	go func() { pageDone <- page.Serve(ln) }()
	if !isLoopback(ln.Addr()) {
		fmt.Fprintln(stderr, "multaque sandbox: warning: the page trusts everyone who can reach it; keep it on 127.0.0.1")
	}
	fmt.Fprintf(stdout, "Multaque sandbox: open %s\n", pageURL(ln.Addr()))

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- m.run(runCtx) }()

	var seeding sync.WaitGroup
	if *demo {
		texts, err := catalog.LoadMessages()
		if err != nil {
			stopRun()
			<-runDone
			return err
		}
		seeding.Go(func() {
			if err := seedDemo(runCtx, srv, people, texts); err != nil && runCtx.Err() == nil {
				fmt.Fprintln(stderr, "multaque sandbox: demo:", err)
			}
		})
	}

	select {
	case err = <-runDone:
	case perr := <-pageDone:
		stopRun()
		err = errors.Join(fmt.Errorf("sandbox: page: %w", perr), <-runDone)
	}
	stopRun()
	seeding.Wait()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if serr := page.Shutdown(shutdown); serr != nil && err == nil {
		err = fmt.Errorf("sandbox: stop page: %w", serr)
	}
	return err
}

func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// pageURL is the address to open in a browser.
func pageURL(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := t.IP.String()
	if t.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(t.Port)))
}

// peoplePath is the file that keeps the sandbox's people, beside the
// database: data/sandbox.db → data/sandbox.people.json.
func peoplePath(dbPath string) string {
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".people.json"
}

// savedPerson is one simulated person as the people file keeps them.
type savedPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Lang string `json:"lang"`
	// Demo marks the people --demo added, so that it adds them only once.
	Demo bool `json:"demo,omitempty"`
}

// people are the sandbox's simulated people, kept in a file because the
// fake Telegram forgets them when it stops while the database remembers
// their answers by their Telegram ids.
type people struct {
	path string
	warn io.Writer // where a failure to save is told
	mu   sync.Mutex
	list []savedPerson
}

// loadPeople reads the people file, if there is one, and recreates its
// people in srv.
func loadPeople(path string, srv *telegramtest.Server, warn io.Writer) (*people, error) {
	p := &people{path: path, warn: warn}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := json.Unmarshal(b, &p.list); err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", path, err)
	}
	for _, sp := range p.list {
		if _, err := srv.RestoreUser(sp.ID, sp.Name, sp.Lang); err != nil {
			return nil, fmt.Errorf("sandbox: %s: %w", path, err)
		}
	}
	return p, nil
}

// add remembers a new person. Failing to save only loses them at the next
// start, so it is told, not fatal.
func (p *people) add(u *telegramtest.User, demo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode, Demo: demo})
	b, err := json.MarshalIndent(p.list, "", "  ")
	if err == nil {
		err = writeFileAtomic(p.path, append(b, '\n'))
	}
	if err != nil {
		fmt.Fprintln(p.warn, "multaque sandbox: save people:", err)
	}
}

// hasDemo reports whether --demo already added someone of that name.
func (p *people) hasDemo(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sp := range p.list {
		if sp.Demo && sp.Name == name {
			return true
		}
	}
	return false
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// demoPerson is someone --demo adds, with their survey answers.
type demoPerson struct {
	name, lang, community, project string
}

// demoPeople: seven neighbours of Gràcia want a consumer group, whose
// critical mass is eight, so the visitor who joins them completes a team;
// a few more wait elsewhere.
var demoPeople = []demoPerson{
	{"Núria", "ca", "gracia", "consumer-group"},
	{"Jordi", "ca", "gracia", "consumer-group"},
	{"Laia", "ca", "gracia", "consumer-group"},
	{"Marc", "ca", "gracia", "consumer-group"},
	{"Carmen", "es", "gracia", "consumer-group"},
	{"Javier", "es", "gracia", "consumer-group"},
	{"Emma", "en", "gracia", "consumer-group"},
	{"Montse", "ca", "girona", "energy-coop"},
	{"Xavier", "ca", "girona", "energy-coop"},
	{"Lucía", "es", "girona", "energy-coop"},
	{"Pere", "ca", "sants", "time-bank"},
	{"Aisha", "en", "sants", "time-bank"},
}

// languageLabels are the language buttons' texts.
var languageLabels = map[string]string{"ca": "Català", "es": "Español", "en": "English"}

var htmlTags = regexp.MustCompile(`<[^>]+>`)

// visible is an interface text as a person reads it.
func visible(texts *catalog.Messages, lang, id string) string {
	return html.UnescapeString(htmlTags.ReplaceAllString(texts.Text(multaque.Lang(lang), id, nil), ""))
}

// seedDemo adds the demo people not added before and takes each of them
// through the survey with the real bot, as a person would: a deep link that
// pre-fills community and project, language, consent, name, done.
func seedDemo(ctx context.Context, srv *telegramtest.Server, ps *people, texts *catalog.Messages) error {
	var wg sync.WaitGroup
	errs := make([]error, len(demoPeople))
	for i, d := range demoPeople {
		if ps.hasDemo(d.name) {
			continue
		}
		u := srv.NewUser(d.name, d.lang)
		ps.add(u, true)
		wg.Go(func() { errs[i] = answerSurvey(ctx, u, d, texts) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func answerSurvey(ctx context.Context, u *telegramtest.User, d demoPerson, texts *catalog.Messages) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	u.Send("/start c_" + d.community + "_p_" + d.project)
	for _, step := range []func() error{
		func() error { _, err := u.PressButton(ctx, "✓ "+languageLabels[d.lang]); return err },
		func() error { _, err := u.PressButton(ctx, visible(texts, d.lang, "btn_consent")); return err },
		func() error { _, err := u.Await(ctx, visible(texts, d.lang, "ask_name")); return err },
		func() error { u.Send(d.name); return nil },
		func() error { _, err := u.PressButton(ctx, visible(texts, d.lang, "btn_done")); return err },
		func() error { _, err := u.Await(ctx, visible(texts, d.lang, "summary_share")); return err },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

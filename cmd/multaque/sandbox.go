package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multaque/multaque/bot/sandboxweb"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
)

// runSandbox is `multaque sandbox`: the real bot, store and Sender (the
// same wiring as serve) against an in-process fake Telegram, and a web page
// on which a person plays any number of simulated people.
//
// The fake keeps everything in memory, so the people created on the page
// are kept in a JSON file next to the database and recreated, with the same
// Telegram ids, when the sandbox starts again; their chat history is not.
//
// Besides chatting, the page can make a person a coordinator, give them a
// mentor invite and form teams now (sandbox_actions.go); --demo seeds a
// coordinator, pool groups, a mentor and people who answered the survey
// (sandbox_demo.go).
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	m := NewMain(getenv, stderr)
	fs := newFlagSet("sandbox")
	addr := fs.String("addr", "127.0.0.1:8080", `address of the web page; "127.0.0.1:0" picks a free port`)
	data := fs.String("data", "data/sandbox.db", "the bbolt database file (people are kept beside it)")
	withDemo := fs.Bool("demo", false, "add simulated people who answered the survey, so that a team can form, and a team deciding together in its group")
	fs.StringVar(&m.ConfigPath, "config", "", "configuration file (default: "+defaultConfigPath+" if it exists, else built-in defaults)")
	rest, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("sandbox: unexpected argument %q (see multaque sandbox --help)", rest[0])
	}
	m.ConfigPath = configPathOr(m.ConfigPath)
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
	var coord *telegramtest.User
	if *withDemo {
		// Before the page is served, so that the pool groups get the ids
		// the database knows from an earlier run.
		coord = demoCoordinator(srv, people)
	}
	m.Config.Coordinators = people.withCoordinators(m.Config.Coordinators)
	live := newLiveBot()
	m.wired = live.set
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	act := &pageActions{srv: srv, people: people, live: live, configured: cfg.Coordinators}
	page := &http.Server{
		Handler: sandboxweb.Handler(srv,
			sandboxweb.OnNewPerson(func(u *telegramtest.User) { people.add(savedPerson{ID: u.ID, Name: u.FirstName, Lang: u.LanguageCode}) }),
			sandboxweb.WithActions(act.personActions()...),
			sandboxweb.WithPageActions(act.pageActions()...),
		),
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
	if *withDemo {
		texts, err := catalog.LoadMessages()
		if err != nil {
			stopRun()
			<-runDone
			return err
		}
		seeding.Go(func() {
			d := &demo{srv: srv, people: people, texts: texts, live: live, coord: coord}
			if err := d.seed(runCtx); err != nil {
				if runCtx.Err() == nil {
					fmt.Fprintln(stderr, "multaque sandbox: demo:", err)
				}
				return
			}
			if err := d.seedDecisions(runCtx); err != nil { // sandbox_demo_decisions.go
				if runCtx.Err() == nil {
					fmt.Fprintln(stderr, "multaque sandbox: demo decisions:", err)
				}
				return
			}
			fmt.Fprintln(stdout, "Multaque sandbox: demo ready: 7 neighbours of Gràcia want a consumer group; the 8th you add makes a team (press Form teams now). In Sants, a team sharing cars has its plan under way (open Rosa to see it), and Ona, Biel and Sílvia's workers' guild decides together in its group (one decision closed, one open)")
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
	// Coordinator marks the people made coordinators in the sandbox (the
	// demo's, and those the page made one), who are coordinators again
	// after a restart.
	Coordinator bool `json:"coordinator,omitempty"`
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

// add remembers a new person.
func (p *people) add(sp savedPerson) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, sp)
	p.saveLocked()
}

// saveLocked writes the file. Failing to only loses changes at the next
// start, so it is told, not fatal.
func (p *people) saveLocked() {
	b, err := json.MarshalIndent(p.list, "", "  ")
	if err == nil {
		err = writeFileAtomic(p.path, append(b, '\n'))
	}
	if err != nil {
		fmt.Fprintln(p.warn, "multaque sandbox: save people:", err)
	}
}

// demo returns the person --demo added under that name, if it did.
func (p *people) demo(name string) (savedPerson, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sp := range p.list {
		if sp.Demo && sp.Name == name {
			return sp, true
		}
	}
	return savedPerson{}, false
}

// hasDemo reports whether --demo already added someone of that name.
func (p *people) hasDemo(name string) bool {
	_, ok := p.demo(name)
	return ok
}

// makeCoordinator marks the person as a coordinator, and reports whether
// they were not one before.
func (p *people) makeCoordinator(id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.list {
		if p.list[i].ID == id {
			if p.list[i].Coordinator {
				return false
			}
			p.list[i].Coordinator = true
			p.saveLocked()
			return true
		}
	}
	return false
}

// withCoordinators returns the configured coordinators and the sandbox's,
// each once.
func (p *people) withCoordinators(configured []int64) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(configured)
	for _, sp := range p.list {
		if sp.Coordinator && !slices.Contains(out, sp.ID) {
			out = append(out, sp.ID)
		}
	}
	return out
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

package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/catalog"
)

var updateScreenshot = flag.Bool("update-screenshot", os.Getenv("MULTAQUE_UPDATE_SCREENSHOT") != "",
	"save the browser test's screenshot of the sandbox page as docs/sandbox.png")

// chromium finds Chromium or Chrome. Without one the browser test is
// skipped on a workstation and fails in CI, which installs Chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found; CI must install it (.ci/run does)")
	}
	t.Skip("no Chromium found: install it (apt-get install chromium) to run the browser test")
	return ""
}

// browserPage drives the sandbox page in headless Chromium.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

func (p *browserPage) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// poll waits until the JavaScript expression is true.
func (p *browserPage) poll(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		shown, _ := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(`[data-testid=messages]`)))
		p.t.Fatalf("%s: %v; the chat shows:\n%s", what, err, shown)
	}
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// press clicks the newest inline button with exactly that text, once one
// is shown, as a person taps it.
func (p *browserPage) press(text string) {
	p.t.Helper()
	p.poll("press "+text, `(() => {
		const bs = [...document.querySelectorAll('[data-testid=kb-button]')].filter(b => b.dataset.text === `+js(text)+`);
		if (bs.length === 0) return false;
		bs[bs.length - 1].click();
		return true;
	})()`)
}

// see waits until the open chat shows text.
func (p *browserPage) see(text string) {
	p.t.Helper()
	p.poll("see "+text, `document.querySelector('[data-testid=messages]').innerText.includes(`+js(text)+`)`)
}

// seeButton waits until an inline button with exactly that text is shown.
func (p *browserPage) seeButton(text string) {
	p.t.Helper()
	p.poll("see the button "+text, `[...document.querySelectorAll('[data-testid=kb-button]')].some(b => b.dataset.text === `+js(text)+`)`)
}

// TestSandboxInBrowser starts the sandbox with --demo and uses its page in
// Chromium as a visitor would. Two people created on the page answer the
// whole survey by clicking buttons and typing: Joe makes the 8th neighbour
// of Gràcia who wants the consumer group, Anna wants a time bank there.
// "Form teams now" forms Joe's team; his invitation's Join button makes a
// join request, the bot approves it, and the team's group appears in his
// chats with the pinned welcome and its kickoff plan. With
// -update-screenshot it saves the page at that moment as docs/sandbox.png
// for the README.
func TestSandboxInBrowser(t *testing.T) {
	browser := chromium(t)
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	s := startSandbox(t, filepath.Join(t.TempDir(), "sandbox.db"), "--demo")

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 820),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	p := &browserPage{t: t, ctx: ctx}
	p.run("open the page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-person-name]`)))
	s.waitOut(demoReady, 30*time.Second)

	gracia, _ := cat.Community("gracia")
	barcelona, _ := cat.Community("barcelona")
	survey := func(name, lang, project string) {
		t.Helper()
		l := multaque.Lang(lang)
		pr, _ := cat.Project(project)
		p.run("create "+name,
			chromedp.SetValue(chromedp.CSS(`[data-testid=new-person-name]`), name),
			chromedp.SetValue(chromedp.CSS(`[data-testid=new-person-lang]`), lang),
			chromedp.Click(chromedp.CSS(`[data-testid=new-person-create]`)),
		)
		p.poll(name+" is acting", `(() => { const s = document.querySelector('[data-testid=person-select]');
			return s.selectedOptions.length > 0 && s.selectedOptions[0].dataset.name === `+js(name)+`; })()`)
		p.run(name+" starts the bot", chromedp.Click(chromedp.CSS(`[data-testid=start]`)))
		p.press("✓ " + languageLabels[lang]) // pre-selected from the Telegram language
		p.press(visible(texts, lang, "btn_consent"))
		p.see(visible(texts, lang, "ask_name"))
		p.run(name+" types the name",
			chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), name),
			chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
		)
		p.press(barcelona.Name.In(l) + " ›")
		p.press(gracia.Name.In(l) + " ›")
		p.press("✓ " + texts.Text(l, "btn_all_of", map[string]any{"Community": gracia.Name.In(l)}))
		p.press("▫️ " + pr.Name.In(l))
		p.seeButton("✅ " + pr.Name.In(l)) // pressing Done before would be a stale button
		p.press(visible(texts, lang, "btn_done"))
	}
	progress := func(lang string, count int, project string) string {
		pr, _ := cat.Project(project)
		return visibleWith(texts, lang, "progress", map[string]any{"Count": count, "Need": pr.MinTeam, "Community": gracia.Name.In(multaque.Lang(lang))})
	}

	survey("Joe", "en", "consumer-group")
	p.see(progress("en", 8, "consumer-group")) // "8 of 8 neighbours in Gràcia want it."
	survey("Anna", "ca", "time-bank")
	p.see(progress("ca", 1, "time-bank"))

	// Back to Joe, and form teams as the cron would.
	p.choose("Joe")
	p.see(progress("en", 8, "consumer-group"))
	consumer, _ := cat.Project("consumer-group")
	p.run("form teams now", chromedp.Click(chromedp.CSS(`[data-testid=page-action-match]`)))
	formed := "1 team formed: " + consumer.Name.In(multaque.English) + " in " + gracia.Name.In(multaque.English) + ", 8 people, mentor " + demoMentor.name
	p.poll("the toast says a team formed", `(() => { const t = document.querySelector('[data-testid=toast]');
		return !t.hidden && t.innerText.includes(`+js(formed)+`); })()`)

	// The invitation, once the team's group is ready: Join the team.
	join := visible(texts, "en", "team_btn_join")
	p.see(visible(texts, "en", "team_invite_join"))
	p.seeButton(join)
	p.press(join) // an invite link: a join request the bot approves
	p.poll("the team's group is in Joe's chats", `document.querySelector('[data-testid=chat-item][data-kind=group]') !== null`)
	p.run("open the team's group", chromedp.Click(chromedp.CSS(`[data-testid=chat-item][data-kind=group]`)))
	// The group speaks the language most members speak: Catalan.
	for _, want := range []string{
		visibleWith(texts, "ca", "team_welcome", map[string]any{"Count": 8, "Community": gracia.Name.In(multaque.Catalan)}),
		visibleWith(texts, "ca", "team_welcome_mentor", map[string]any{"Name": demoMentor.name}),
		visible(texts, "ca", "team_playbook"),
		consumer.Playbook[0].In(multaque.Catalan),
		visible(texts, "ca", "team_welcome_end"),
	} {
		p.see(want)
	}
	p.poll("the welcome is pinned", `[...document.querySelectorAll('[data-testid=message]')].some(m =>
		m.innerText.includes(`+js(visible(texts, "ca", "team_playbook"))+`) && m.innerText.includes("📌"))`)
	p.poll("Joe is a member", `document.querySelector('[data-testid=chat-sub]').innerText.includes("Joe")`)
	p.poll("the toast is gone", `document.querySelector('[data-testid=toast]').hidden`)
	p.run("let the page settle", chromedp.Sleep(300*time.Millisecond))

	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if *updateScreenshot {
		path := filepath.Join("..", "..", "docs", "sandbox.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s (%d bytes)", path, len(shot))
	}
}

// choose acts as the person of that name, chosen in the "Acting as" list.
func (p *browserPage) choose(name string) {
	p.t.Helper()
	id, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=person-select] option')].find(o => o.dataset.name === `+js(name)+`).value`))
	if err != nil {
		p.t.Fatalf("find %s: %v", name, err)
	}
	p.run("switch to "+name, chromedp.SetValue(chromedp.CSS(`[data-testid=person-select]`), id),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector('[data-testid=person-select]').dispatchEvent(new Event('change'))`)(ctx, tg)
			return err
		}))
}

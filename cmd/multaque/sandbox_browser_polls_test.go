package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSandboxPollInBrowser: in the --demo sandbox, Sílvia opens her team's
// group in Chromium and taps a time of the open meeting poll; the page
// shows her choice, counted with Biel's; the closed proposal's options
// cannot be tapped.
func TestSandboxPollInBrowser(t *testing.T) {
	browser := chromium(t)
	s := startSandbox(t, filepath.Join(t.TempDir(), "sandbox.db"), "--demo")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 820),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	p := &browserPage{t: t, ctx: ctx}
	p.run("open the page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-person-name]`)))
	s.waitOut(demoReady, 60*time.Second)
	p.run("reload with the demo's people", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid=person-select]`)))

	p.choose("Sílvia")
	p.poll("Sílvia's team group is in her chats", `document.querySelector('[data-testid=chat-item][data-kind=group]') !== null`)
	p.run("open the team's group", chromedp.Click(chromedp.CSS(`[data-testid=chat-item][data-kind=group]`)))
	p.see(demoOpenQuestion)
	option := "Ds. 19, 11:00"
	p.poll("tap "+option, `(() => {
		const o = [...document.querySelectorAll('[data-testid=poll-option]')].find(b => b.dataset.text === `+js(option)+`);
		if (!o) return false;
		o.click();
		return true;
	})()`)
	p.poll("the page shows Sílvia's choice", `[...document.querySelectorAll('[data-testid=poll-option]')].some(b =>
		b.dataset.text === `+js(option)+` && b.classList.contains("mine") && b.innerText.includes("· 2"))`)
	p.poll("the closed proposal takes no vote", `[...document.querySelectorAll('[data-testid=poll]')].some(p =>
		p.innerText.includes(`+js(demoClosedQuestion)+`) && [...p.querySelectorAll('[data-testid=poll-option]')].every(b => b.disabled))`)
}

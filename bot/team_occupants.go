package bot

import (
	"context"
	"slices"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// Who is in a group. A pool group must be empty of everyone but the bot,
// the coordinator who added it and coordinators: a team's members will
// read everything said in it. The Bot API lists only a group's
// administrators (getChatAdministrators) and counts its members
// (getChatMemberCount), so a group is empty enough when everyone it counts
// is an administrator who may be there. This is checked before a group
// joins the pool and again before a team claims it (then the team's own
// people may be there too, and only coordinators who oversee its
// community), so that a group that held a team is never given to another
// team while the first team's people are in it.

// strangers returns how many people in chat are neither the bot nor
// allowed: those counted who are not administrators, and administrators
// (bots included) allowed does not accept.
func (b *teams) strangers(ctx context.Context, chat int64, allowed func(id int64) bool) (int, error) {
	var count int
	if err := b.wire.GroupCall(ctx, "getChatMemberCount", map[string]any{"chat_id": chat}, &count); err != nil {
		return 0, err
	}
	var admins []struct {
		User *struct {
			ID       int64  `json:"id"`
			IsBot    bool   `json:"is_bot"`
			Username string `json:"username"`
		} `json:"user"`
	}
	if err := b.wire.GroupCall(ctx, "getChatAdministrators", map[string]any{"chat_id": chat}, &admins); err != nil {
		return 0, err
	}
	known := 0
	for _, a := range admins {
		switch {
		case a.User == nil:
		case a.User.IsBot && equalFoldASCII(a.User.Username, b.username):
			known++
		case !a.User.IsBot && allowed(a.User.ID):
			known++
		}
	}
	return max(count-known, 0), nil
}

// vetClaimed checks, before the first step on a group a team just claimed,
// that nobody is in it but the bot, the team's people and coordinators who
// oversee its community. If others are, the group is set aside (broken,
// with the reason) and its adder told; the team claims another at the next
// pass. It reports whether the team may go on in the group.
func (p *Provisioner) vetClaimed(ctx context.Context, t *multaque.Team) (bool, error) {
	b := p.tm
	overseers := b.coordinatorsOverseeing(t.Community)
	people := teamPeople(t)
	n, err := b.strangers(ctx, t.Chat, func(id int64) bool {
		_, ok := slices.BinarySearch(overseers, id)
		return ok || slices.Contains(people, id)
	})
	if err != nil || n == 0 {
		return err == nil, err
	}
	var g *multaque.PoolGroup
	if groups, err := p.store.PoolGroups(ctx); err == nil {
		for i := range groups {
			if groups[i].Chat == t.Chat {
				g = &groups[i]
			}
		}
	}
	p.log.Warn().Str("team", t.ID).Int64("group", t.Chat).Int("strangers", n).Msg("claimed group has people who are not the team's: set aside")
	lang := multaque.DefaultLang
	if g != nil {
		lang = b.coordLang(ctx, g.AddedBy)
	}
	if _, err := p.store.BreakPoolGroup(ctx, t.Chat, "people: "+strconv.Itoa(n)+" not of the team", b.now(), func(*multaque.Team) []multaque.OutboxItem {
		if g == nil {
			return nil
		}
		text := b.view.t(lang, "pool_set_aside", "Title", esc(g.Title), "Count", n)
		return []multaque.OutboxItem{{Kind: "alert", Chat: g.AddedBy, Priority: multaque.PriorityUrgent, Owner: "pool",
			DedupKey: "pool/aside/" + strconv.FormatInt(t.Chat, 10) + "/" + b.now().UTC().Format("2006-01-02T15"), Text: text, ParseMode: tg.ModeHTML}}
	}); err != nil {
		return false, err
	}
	b.wakeProvisioner()
	return false, nil
}

// rightsLost tells the coordinator who added the pool group chat, and
// those who oversee the team in it, that the bot lost its rights there (it
// was removed or demoted by by): it no longer hears the group's join
// requests and member changes. Someone who made the change is not told
// (a coordinator who left the bot without rights is told which, by admit).
func (b *teams) rightsLost(ctx context.Context, chat int64, by int64) {
	log := zerolog.Ctx(ctx)
	groups, err := b.store.PoolGroups(ctx)
	if err != nil {
		log.Warn().Err(err).Msg("read the pool")
		return
	}
	i := slices.IndexFunc(groups, func(g multaque.PoolGroup) bool { return g.Chat == chat })
	if i < 0 || groups[i].Status == multaque.PoolBroken {
		return // not a group the bot relied on
	}
	g := groups[i]
	to := []int64{g.AddedBy}
	if t, err := b.store.TeamByChat(ctx, chat); err == nil {
		to = append(to, b.coordinatorsOverseeing(t.Community)...)
	}
	slices.Sort(to)
	to = slices.Compact(to)
	var items []multaque.OutboxItem
	for _, id := range to {
		if id == by || !b.isCoordinator(id) {
			continue
		}
		lang := b.coordLang(ctx, id)
		items = append(items, multaque.OutboxItem{Kind: "alert", Chat: id, Priority: multaque.PriorityUrgent, Owner: "pool",
			DedupKey: "pool/lost/" + strconv.FormatInt(chat, 10) + "/" + strconv.FormatInt(id, 10) + "/" + b.now().UTC().Format("2006-01-02T15"),
			Text:     b.view.t(lang, "pool_rights_lost", "Title", esc(g.Title)), ParseMode: tg.ModeHTML})
	}
	if len(items) == 0 {
		return
	}
	if _, err := b.store.Enqueue(ctx, items...); err != nil {
		log.Warn().Err(err).Msg("tell the coordinators the bot lost its rights")
		return
	}
	log.Info().Int("told", len(items)).Msg("coordinators told the bot lost its rights in a pool group")
}

// coordLang is the language to write to coordinator id in: their
// coordinator record's, else their citizen record's.
func (b *teams) coordLang(ctx context.Context, id int64) multaque.Lang {
	if c, err := b.coordinator(ctx, id); err == nil && c != nil && c.Lang != "" {
		return c.Lang
	}
	langs, err := b.store.Languages(ctx, []int64{id})
	if err != nil {
		return multaque.DefaultLang
	}
	return langOr(langs, id)
}

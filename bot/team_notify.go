package bot

import (
	"strconv"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// The Bot is the matcher's notifier (matching.Notifier): it writes the
// messages that go with each team change, which the store commits in the
// same transaction as the change. These methods only build items.

// teamFormed tells each member of a new team that it is forming (its group
// comes when the provisioner has prepared it) and, if no mentor was free,
// tells the coordinators.
func (b *teams) teamFormed(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	out := b.formingItems(t, memberIDs(t), langs)
	if t.Mentor == 0 {
		out = append(out, b.noMentorItems(t, langs)...)
	}
	return out
}

// teamJoined invites late joiners to the team's group, or, while it is
// still forming, tells them they are in.
func (b *teams) teamJoined(t *multaque.Team, joined []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	if t.Status == multaque.TeamActive && t.InviteLink != "" {
		return b.inviteItemsFor(t, joined, langs)
	}
	return b.formingItems(t, joined, langs)
}

// mentorAssigned invites a team's new mentor to its group. A team still
// forming invites them with its members when its group is ready.
func (b *teams) mentorAssigned(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.inviteItemsFor(t, []int64{t.Mentor}, langs)
}

// formingItems says to each of people that their team is forming.
func (b *teams) formingItems(t *multaque.Team, people []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	p, _ := b.view.cat.Project(t.Project)
	c, _ := b.view.cat.Community(t.Community)
	out := make([]multaque.OutboxItem, 0, len(people))
	for _, id := range people {
		lang := langOr(langs, id)
		out = append(out, multaque.OutboxItem{
			Kind: "forming", Chat: id, Priority: multaque.PriorityNormal, Owner: "team/" + t.ID,
			DedupKey:  "forming/" + t.ID + "/" + strconv.FormatInt(id, 10),
			ParseMode: tg.ModeHTML,
			Text: b.view.t(lang, "match_forming", "Count", len(t.Members),
				"Project", esc(p.Name.In(lang)), "Community", esc(c.Name.In(lang))),
		})
	}
	return out
}

// noMentorItems alerts the coordinators who oversee t's community that
// team t formed with no mentor free for it, with the command that brings
// one.
func (b *teams) noMentorItems(t *multaque.Team, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	p, _ := b.view.cat.Project(t.Project)
	c, _ := b.view.cat.Community(t.Community)
	var out []multaque.OutboxItem
	for _, id := range b.coordinatorsOverseeing(t.Community) {
		lang := b.alertLang(langs, id)
		out = append(out, multaque.OutboxItem{
			Kind: "alert", Chat: id, Priority: multaque.PriorityUrgent, Owner: "team/" + t.ID,
			DedupKey:  "nomentor/" + t.ID + "/" + strconv.FormatInt(id, 10),
			ParseMode: tg.ModeHTML,
			Text: b.view.t(lang, "match_no_mentor", "Team", t.ID, "Count", len(t.Members),
				"Project", esc(p.Name.In(lang)), "Community", esc(c.Name.In(lang))),
		})
	}
	return out
}

func memberIDs(t *multaque.Team) []int64 {
	out := make([]int64, len(t.Members))
	for i, m := range t.Members {
		out[i] = m.Citizen
	}
	return out
}

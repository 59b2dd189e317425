package bot

// What a team's forming says and to whom: the welcome pinned in its group,
// the invitations to its members and mentor, and the coordinators' alerts
// about the pool of groups.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
)

// poolLowAlerts are the messages telling each coordinator of ids that the
// pool is low, with free groups left, how many teams wait for one, and the
// link that adds the bot to a new group. They are keyed by the claim (key):
// the Provisioner sends them each time a claim takes the pool below the
// mark, and when it empties it, not once a day, so that a coordinator who
// acts on an alert hears again when the pool runs low again.
func (b *teams) poolLowAlerts(free, waiting int, key string, ids []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	var out []multaque.OutboxItem
	for _, id := range ids {
		lang := langOr(langs, id)
		text := b.view.t(lang, "pool_low", "Count", free, "Need", b.poolLowWater)
		text = b.waitingLine(lang, waiting) + text
		out = append(out, b.poolAlert(lang, id, "pool/low/"+key+"/"+strconv.FormatInt(id, 10), text))
	}
	return out
}

// waitingLine says how many teams wait for a group, as a first line, ""
// if none does.
func (b *teams) waitingLine(lang multaque.Lang, waiting int) string {
	if waiting <= 0 {
		return ""
	}
	return b.view.t(lang, "pool_teams_waiting", "Count", waiting) + "\n"
}

// waitingAlerts are the messages telling each coordinator of ids (those
// who oversee t's community) that t waits for a group: the pool has no
// free group (empty), or none added by a coordinator of t's community;
// with how many teams wait in all. when names the occasion ("new" when the
// team starts waiting, "1h" when it has waited an hour, then the day), so
// that a coordinator hears of each waiting team then, not at every pass.
func (b *teams) waitingAlerts(t *multaque.Team, empty bool, waiting int, when string, ids []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	var out []multaque.OutboxItem
	community, _ := b.view.cat.Community(t.Community)
	for _, id := range ids {
		lang := langOr(langs, id)
		text := b.view.t(lang, "pool_empty")
		if !empty {
			name := community.Name.In(lang)
			if name == "" {
				name = t.Community
			}
			text = b.view.t(lang, "pool_none_fits", "Community", esc(name))
		}
		text = b.waitingLine(lang, waiting) + text
		out = append(out, b.poolAlert(lang, id, "pool/wait/"+when+"/"+t.ID+"/"+strconv.FormatInt(id, 10), text))
	}
	return out
}

// poolAlert is an urgent alert to coordinator id, ending with the link
// (and a button) that adds the bot to a new group.
func (b *teams) poolAlert(lang multaque.Lang, id int64, key, text string) multaque.OutboxItem {
	return multaque.OutboxItem{
		Kind: "alert", Chat: id, Priority: multaque.PriorityUrgent, Owner: "pool", DedupKey: key,
		Text: text + "\n\n" + esc(b.startGroupLink()), ParseMode: tg.ModeHTML,
		Keyboard: [][]multaque.OutboxButton{{{Text: b.view.t(lang, "pool_btn_add"), URL: b.startGroupLink()}}},
	}
}

func langOr(langs map[int64]multaque.Lang, id int64) multaque.Lang {
	if l, ok := langs[id]; ok {
		return l
	}
	return multaque.DefaultLang
}

// welcome is the message pinned in a team's group: the project and the
// community, how many they are, the mentor, and the kickoff plan.
func (b *teams) welcome(t *multaque.Team, in *teamInfo) string {
	lang := in.lang
	var s strings.Builder
	s.WriteString(b.teamHeader(t, lang) + "\n\n")
	s.WriteString(b.view.t(lang, "team_welcome", "Count", len(t.Members), "Community", esc(in.community.Name.In(lang))))
	s.WriteString("\n\n")
	switch {
	case in.mentor != "":
		s.WriteString(b.view.t(lang, "team_welcome_mentor", "Name", esc(in.mentor)))
	case t.Mentor != 0:
		s.WriteString(b.view.t(lang, "team_welcome_mentor_unnamed"))
	default:
		s.WriteString(b.view.t(lang, "team_welcome_no_mentor"))
	}
	s.WriteString("\n\n" + b.view.t(lang, "team_playbook") + "\n")
	for i, step := range in.project.Playbook {
		fmt.Fprintf(&s, "\n%d. %s", i+1, esc(step.In(lang)))
	}
	s.WriteString("\n\n" + b.view.t(lang, "team_welcome_end"))
	// A catalogue's playbook fits easily; a cut one is better than none.
	return clipRunes(s.String(), multaque.MaxOutboxText)
}

// teamHeader is the bold "<project> · <community>" line that opens every
// message about a team.
func (b *teams) teamHeader(t *multaque.Team, lang multaque.Lang) string {
	p, _ := b.view.cat.Project(t.Project)
	c, _ := b.view.cat.Community(t.Community)
	return "<b>" + esc(p.Name.In(lang)) + " · " + esc(c.Name.In(lang)) + "</b>"
}

// inviteItemsFor builds the private invitations to the group of team t for
// people (members of t or its mentor; anyone else is skipped), each in the
// language langs gives (the default language if it gives none), with a
// "Join the team" button to the team's invite link. It builds nothing
// until t is active: the Provisioner invites everyone in t when its group
// is ready. It only builds items, so the matcher can call it inside the
// transaction that adds late joiners (store JoinTeam) or a mentor
// (AssignMentor), passing the team as it will be stored:
//
//	db.JoinTeam(ctx, id, joined, now, func(t *multaque.Team) []multaque.OutboxItem {
//		return b.inviteItemsFor(t, joined, langs)
//	})
//
// Invitations are keyed by team, group and person ("invite/<team>/<chat>/
// <person>"), so nobody is invited twice to one group, and everyone is
// invited again when the team moves to another group.
func (b *teams) inviteItemsFor(t *multaque.Team, people []int64, langs map[int64]multaque.Lang) []multaque.OutboxItem {
	return b.inviteItems(t, people, langs, "")
}

// inviteItems is InviteItems with the mentor's name, if known.
func (b *teams) inviteItems(t *multaque.Team, people []int64, langs map[int64]multaque.Lang, mentor string) []multaque.OutboxItem {
	if t.Status != multaque.TeamActive || t.InviteLink == "" {
		return nil
	}
	var out []multaque.OutboxItem
	for _, id := range people {
		if id <= 0 || !t.HasMember(id) && id != t.Mentor {
			continue
		}
		lang := langOr(langs, id)
		c, _ := b.view.cat.Community(t.Community)
		community := esc(c.Name.In(lang))
		var s strings.Builder
		s.WriteString(b.teamHeader(t, lang) + "\n\n")
		if id == t.Mentor {
			s.WriteString(b.view.t(lang, "team_invite_for_mentor", "Count", len(t.Members), "Community", community))
		} else {
			s.WriteString(b.view.t(lang, "team_invite", "Count", len(t.Members), "Community", community))
			s.WriteString("\n")
			switch {
			case mentor != "":
				s.WriteString(b.view.t(lang, "team_welcome_mentor", "Name", esc(mentor)))
			case t.Mentor != 0:
				s.WriteString(b.view.t(lang, "team_welcome_mentor_unnamed"))
			default:
				s.WriteString(b.view.t(lang, "team_welcome_no_mentor"))
			}
		}
		s.WriteString("\n\n" + b.view.t(lang, "team_invite_join"))
		out = append(out, b.teamItem(t, "invite", id, lang, s.String()))
	}
	return out
}

// teamItem is a private message about team t to person, with the button to
// its group, keyed by kind, team, group and person.
func (b *teams) teamItem(t *multaque.Team, kind string, person int64, lang multaque.Lang, text string) multaque.OutboxItem {
	return multaque.OutboxItem{
		Kind: kind, Chat: person, Priority: multaque.PriorityNormal, Owner: "team/" + t.ID,
		DedupKey:  kind + "/" + t.ID + "/" + strconv.FormatInt(t.Chat, 10) + "/" + strconv.FormatInt(person, 10),
		Text:      text,
		ParseMode: tg.ModeHTML,
		Keyboard:  [][]multaque.OutboxButton{{{Text: b.view.t(lang, "team_btn_join"), URL: t.InviteLink}}},
	}
}

// clipUTF16 cuts s to at most n UTF-16 code units, which is how Telegram
// counts the length of titles and descriptions, ending a cut text with "…".
func clipUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	units := 1 // the ellipsis
	for i, r := range s {
		w := utf16.RuneLen(r)
		if units+w > n {
			return strings.TrimSpace(s[:i]) + "…"
		}
		units += w
	}
	return s
}

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

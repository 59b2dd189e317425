package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// This file handles what happens in groups: the bot added to a group (the
// pool), removed or demoted; people asking to join a team's group, joining
// and leaving it; and /leave, by which a member leaves their team from the
// private chat.

// inGroup reports whether a member status counts as being in the group.
func inGroup(m *tg.ChatMember) bool {
	if m == nil {
		return false
	}
	switch m.Role {
	case tg.Creator, tg.Administrator, tg.Member:
		return true
	case tg.Restricted:
		return m.Member
	}
	return false
}

// missingRights lists the pool rights (poolRights) that the bot, as m, does
// not have.
func missingRights(m *tg.ChatMember) []string {
	if m.Role == tg.Creator {
		return nil
	}
	admin := m.Role == tg.Administrator
	has := []bool{admin && m.CanInviteUsers, admin && m.CanRestrictMembers, admin && m.CanPinMessages, admin && m.CanChangeInfo}
	var out []string
	for i, ok := range has {
		if !ok {
			out = append(out, poolRights[i])
		}
	}
	return out
}

// onGroupMembership handles a change of the bot's own membership in a
// group (my_chat_member):
//   - added or promoted by a coordinator with every right the pool needs,
//     in a supergroup that holds nobody but coordinators: the group joins
//     the pool, and the coordinator is told how many are free;
//   - a coordinator left it without some of them, or the group has other
//     people in it, or is a basic group: they are told why and what to do,
//     and the group is not (or no longer) in the pool;
//   - anyone else added or changed it: the bot leaves, and nothing is
//     stored (a group of the pool that still has its rights stays);
//   - removed: the group leaves the pool and its team gets another.
//
// A group of the pool that loses the bot or a right it needs (without its
// rights the bot no longer gets the group's join requests and member
// changes) is reported to the coordinator who added it and those who
// oversee its team, unless they made the change themselves.
func (b *teams) onGroupMembership(ctx context.Context, c *tg.Context) error {
	u := c.Update().MyChatMember
	if u.Chat == nil || u.NewChatMember == nil {
		return nil
	}
	chat, log := u.Chat.ID, zerolog.Ctx(ctx)
	if u.Chat.Type == tg.ChatChannel {
		return nil // teams meet in groups; a channel is no use to them
	}
	var by int64
	if u.Sender != nil {
		by = u.Sender.ID
	}
	if !inGroup(u.NewChatMember) {
		log.Info().Str("status", string(u.NewChatMember.Role)).Msg("bot out of a group")
		b.rightsLost(ctx, chat, by)
		return b.breakGroup(ctx, chat, "gone: the bot was removed")
	}
	missing := missingRights(u.NewChatMember)
	if !b.isCoordinator(by) {
		if len(missing) == 0 && b.inPool(ctx, chat) {
			return nil
		}
		log.Info().Msg("added to a group by someone who is not a coordinator: leaving")
		b.rightsLost(ctx, chat, by)
		if err := b.breakGroup(ctx, chat, "rights: changed by someone who is not a coordinator"); err != nil {
			return err
		}
		if u.OldChatMember == nil || !inGroup(u.OldChatMember) {
			b.tell(ctx, 0, chat, b.view.t(b.langOf(ctx, c), "pool_only_coordinators"))
		}
		return b.wire.GroupCall(ctx, "leaveChat", map[string]any{"chat_id": chat}, nil)
	}
	if u.Chat.Type == tg.ChatGroup || isBasicGroup(chat) {
		log.Info().Msg("a basic group: not for the pool until it is a supergroup")
		if err := b.breakGroup(ctx, chat, "basic: not a supergroup"); err != nil {
			return err
		}
		b.tell(ctx, by, chat, b.view.t(b.langOf(ctx, c), "pool_basic_group"))
		return nil
	}
	if len(missing) > 0 {
		b.rightsLost(ctx, chat, by)
	}
	return b.admit(ctx, c, chat, u.Chat.Title, by, u.NewChatMember)
}

// admit takes the supergroup chat into the pool for coordinator by, if
// the bot (as me) has every right the pool needs and nobody but
// coordinators is in it; else by is told why not and what to do.
func (b *teams) admit(ctx context.Context, c *tg.Context, chat int64, title string, by int64, me *tg.ChatMember) error {
	log, lang := zerolog.Ctx(ctx), b.langOf(ctx, c)
	if missing := missingRights(me); len(missing) > 0 {
		log.Info().Strs("missing", missing).Msg("pool group without the rights it needs")
		if err := b.breakGroup(ctx, chat, "rights: missing "+strings.Join(missing, ", ")); err != nil {
			return err
		}
		var s strings.Builder
		s.WriteString(b.view.t(lang, "pool_missing_rights"))
		for _, r := range missing {
			s.WriteString("\n• " + b.view.t(lang, "pool_right_"+r))
		}
		s.WriteString("\n\n" + b.view.t(lang, "pool_missing_rights_how"))
		b.tell(ctx, by, chat, s.String())
		return nil
	}
	if t, err := b.store.TeamByChat(ctx, chat); err == nil && t.Status != multaque.TeamClosed {
		// The team's own group, its rights given back: its people are in it.
	} else {
		strangers, err := b.strangers(ctx, chat, b.isCoordinator)
		if err != nil {
			return err
		}
		if strangers > 0 {
			log.Info().Int("strangers", strangers).Msg("a group with people in it: not for the pool")
			if err := b.breakGroup(ctx, chat, "people: "+strconv.Itoa(strangers)+" who are not coordinators"); err != nil {
				return err
			}
			b.tell(ctx, by, chat, b.view.t(lang, "pool_occupied", "Count", strangers))
			return nil
		}
	}
	g, err := b.store.AddPoolGroup(ctx, multaque.PoolGroup{Chat: chat, Title: clipRunes(title, 128), AddedBy: by}, b.now())
	if err != nil {
		return err
	}
	counts, err := b.store.PoolCounts(ctx)
	if err != nil {
		return err
	}
	log.Info().Str("status", string(g.Status)).Int("free", counts[multaque.PoolFree]).Msg("group in the pool")
	b.tell(ctx, by, chat, b.view.t(lang, "pool_accepted", "Count", counts[multaque.PoolFree]))
	b.wakeProvisioner() // a team may be waiting for a group
	return nil
}

// inPool reports whether chat is a group of the pool that is not broken.
func (b *teams) inPool(ctx context.Context, chat int64) bool {
	groups, err := b.store.PoolGroups(ctx)
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g.Chat == chat {
			return g.Status != multaque.PoolBroken
		}
	}
	return false
}

// tell writes text to person in private or, if the bot cannot (they never
// started it), in group: what a coordinator must know about a group they
// added the bot to. Failures are only logged: the change is stored.
func (b *teams) tell(ctx context.Context, person, group int64, text string) {
	if person > 0 {
		err := b.send(ctx, person, view{Text: text})
		if err == nil {
			return
		}
		zerolog.Ctx(ctx).Debug().Err(err).Msg("cannot write to the coordinator, writing in the group")
	}
	if err := b.send(ctx, group, view{Text: text}); err != nil {
		zerolog.Ctx(ctx).Info().Err(err).Msg("cannot write in the group")
	}
}

// onChatMember follows the members of a team in its group: one who joins
// is marked in the group (no reminder for them); one who leaves it leaves
// the team and waits again for the project, and is told so.
func (b *teams) onChatMember(ctx context.Context, c *tg.Context) error {
	u := c.Update().ChatMember
	if u.Chat == nil || u.NewChatMember == nil || u.NewChatMember.User == nil {
		return nil
	}
	person, chat := u.NewChatMember.User.ID, u.Chat.ID
	was, is := inGroup(u.OldChatMember), inGroup(u.NewChatMember)
	if was == is {
		return nil
	}
	t, err := b.store.TeamByChat(ctx, chat)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if !t.HasMember(person) {
		return nil
	}
	if is {
		_, err := b.store.UpdateTeamGroup(ctx, t.ID, chat, b.now(), func(t *multaque.Team) error {
			for i := range t.Members {
				if t.Members[i].Citizen == person {
					t.Members[i].InChat = true
				}
			}
			return nil
		}, nil)
		if multaque.ErrorCode(err) == multaque.ECONFLICT {
			return nil
		}
		if err == nil {
			zerolog.Ctx(ctx).Info().Str("team", t.ID).Msg("member joined the team's group")
		}
		return err
	}
	lang := multaque.DefaultLang
	if cz, err := b.citizen(ctx, person); err != nil {
		return err
	} else if cz != nil {
		lang = cz.Lang
	}
	_, err = b.store.LeaveTeam(ctx, t.ID, person, b.now(), func(t *multaque.Team) []multaque.OutboxItem {
		return []multaque.OutboxItem{b.leftItem(t, person, lang, "team_left")}
	})
	switch multaque.ErrorCode(err) {
	case "":
		zerolog.Ctx(ctx).Info().Str("team", t.ID).Msg("member left the group: waiting again")
		return nil
	case multaque.ENOTFOUND: // left the team already (/leave)
		return nil
	}
	return err
}

// leftItem tells person, in lang, that they left team t and wait again for
// its project.
func (b *teams) leftItem(t *multaque.Team, person int64, lang multaque.Lang, msg string) multaque.OutboxItem {
	c, _ := b.view.cat.Community(t.Community)
	return multaque.OutboxItem{
		Kind: "left", Chat: person, Priority: multaque.PriorityNormal, Owner: "team/" + t.ID,
		Text:      b.teamHeader(t, lang) + "\n\n" + b.view.t(lang, msg, "Community", esc(c.Name.In(lang))),
		ParseMode: tg.ModeHTML,
	}
}

// actLeaveTeam is the button of /leave: arg = team id.
const actLeaveTeam = "tleave"

// onLeave is /leave: the teams the person is in, a button each.
func (b *teams) onLeaveCommand(ctx context.Context, r *request) error {
	return b.onLeave(ctx, r.c, r.cz, r.lang)
}

func (b *teams) onLeave(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
	var rows [][]tg.InlineButton
	if cz != nil {
		teams, err := b.citizens.teamsOf(ctx, cz)
		if err != nil {
			return err
		}
		for _, t := range teams {
			p, _ := b.view.cat.Project(t.Project)
			com, _ := b.view.cat.Community(t.Community)
			rows = append(rows, []tg.InlineButton{cb(p.Name.In(lang)+" · "+com.Name.In(lang), button{Action: actLeaveTeam, Version: noVersion, Arg: t.ID})})
		}
	}
	if len(rows) == 0 {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "leave_none")})
	}
	return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "leave_choose"), Markup: keyboard(rows...)})
}

// onLeaveButton takes the person out of the team they chose: they wait
// again for its project, and are removed from its group (banned and at
// once unbanned, so that the group matches the team and they can come
// back later through a new team).
func (b *teams) onLeaveButton(ctx context.Context, r *request) error {
	c, cz, lang, bt := r.c, r.cz, r.lang, r.bt
	if cz == nil {
		return b.stale(ctx, c, lang)
	}
	t, err := b.store.LeaveTeam(ctx, bt.Arg, cz.ID, b.now(), nil)
	if code := multaque.ErrorCode(err); code == multaque.ENOTFOUND {
		return b.stale(ctx, c, lang)
	} else if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("team", t.ID).Msg("member left the team: waiting again")
	_ = c.Respond()
	if chat := t.Chat; chat != 0 {
		err := b.wire.GroupCall(ctx, "banChatMember", map[string]any{"chat_id": chat, "user_id": cz.ID}, nil)
		if to, merr := b.followMigration(ctx, chat, err); merr == nil && to != 0 {
			chat = to
			err = b.wire.GroupCall(ctx, "banChatMember", map[string]any{"chat_id": chat, "user_id": cz.ID}, nil)
		}
		// In a basic group a ban only removes (and Telegram refuses to
		// unban there): there is nothing to undo.
		if err == nil && !isBasicGroup(chat) {
			err = b.wire.GroupCall(ctx, "unbanChatMember", map[string]any{"chat_id": chat, "user_id": cz.ID, "only_if_banned": true}, nil)
		}
		if err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("team", t.ID).Msg("remove a former member from the group")
		}
	}
	item := b.leftItem(t, cz.ID, lang, "leave_done")
	return b.edit(ctx, c, view{Text: item.Text})
}

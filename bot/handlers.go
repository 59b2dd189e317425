package bot

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// maxTextLen is the longest text the bot reads; anything longer is refused
// before it is looked at. Telegram's own limit is 4096.
const maxTextLen = 4096

// route sends an update to its handler. Only private chats are handled
// here; groups belong to teams.
func (b *Bot) route(ctx context.Context, c *tg.Context) error {
	u := c.Update()
	switch {
	case u.Callback != nil && isLeaveButton(u.Callback.Data):
		return b.onLeaveButton(ctx, c)
	case u.Callback != nil && isProposalButton(u.Callback.Data):
		return b.onProposalButton(ctx, c) // proposals.go
	case u.Callback != nil:
		return b.onButton(ctx, c)
	case u.MyChatMember != nil && u.MyChatMember.Chat != nil && u.MyChatMember.Chat.Type != tg.ChatPrivate:
		return b.onGroupMembership(ctx, c) // groups.go
	case u.MyChatMember != nil:
		return b.onMyChatMember(ctx, c)
	case u.ChatJoinRequest != nil:
		return b.onJoinRequest(ctx, c)
	case u.ChatMember != nil:
		return b.onChatMember(ctx, c)
	case u.Message == nil || u.Message.Chat == nil || u.Message.Chat.Type != tg.ChatPrivate || u.Message.Sender == nil:
		return nil
	}
	m := u.Message
	switch {
	case m.Location != nil:
		return b.onInput(ctx, c, Input{Location: &Location{Lat: float64(m.Location.Lat), Lon: float64(m.Location.Lng)}})
	case strings.HasPrefix(m.Text, "/"):
		cmd, args := parseCommand(m.Text)
		if i := strings.IndexByte(cmd, '@'); i >= 0 {
			if !strings.EqualFold(cmd[i+1:], b.Username()) {
				return nil // a command for another bot
			}
			cmd = cmd[:i]
		}
		return b.onCommand(ctx, c, strings.ToLower(cmd), args)
	case m.Text != "":
		return b.onInput(ctx, c, Input{Text: m.Text})
	default:
		return b.reply(ctx, c, nil, Reply{Screen: ScreenHelp, Lang: b.langOf(ctx, c), Problem: problemUseText}, nil)
	}
}

// parseCommand splits "/cmd@bot args" into "cmd@bot" and "args". The
// command ends at any whitespace, as Telegram's bot_command entity does
// ("/start\nc_gracia" is /start with an argument).
func parseCommand(text string) (cmd, args string) {
	text = strings.TrimPrefix(text, "/")
	i := strings.IndexFunc(text, unicode.IsSpace)
	if i < 0 {
		return text, ""
	}
	return text[:i], strings.TrimSpace(text[i:])
}

const problemUseText = "problem_use_text"

func (b *Bot) onCommand(ctx context.Context, c *tg.Context, cmd, args string) error {
	id := c.Sender().ID
	cz, err := b.citizen(ctx, id)
	if err != nil {
		return err
	}
	lang := MatchLanguage(c.Sender().LanguageCode)
	if cz != nil {
		lang = cz.Lang
	}
	switch cmd {
	case "start":
		return b.onStart(ctx, c, cz, parsePayload(args))
	case "help":
		return b.reply(ctx, c, cz, Reply{Screen: ScreenHelp, Lang: lang}, nil)
	case "projects":
		return b.send(ctx, c.Recipient(), b.view.projectList(lang))
	case "me":
		if cz == nil {
			return b.reply(ctx, c, nil, b.survey.Start(lang, startPayload{}), nil)
		}
		return b.reply(ctx, c, cz, b.survey.Resume(cz), nil)
	case "settings":
		if cz == nil {
			return b.reply(ctx, c, nil, b.survey.Start(lang, startPayload{}), nil)
		}
		return b.reply(ctx, c, cz, b.survey.OpenSettings(cz), nil)
	case "mentor":
		return b.onMentorCommand(ctx, c, lang)
	case "claim":
		return b.onClaim(ctx, c, args, lang) // roles_admin.go
	case "privacy":
		return b.onPrivacy(ctx, c, cz, lang) // privacy.go
	case "mydata":
		return b.onMyData(ctx, c, cz, lang)
	case "forget":
		erasable, err := b.store.Erasable(ctx, id)
		if err != nil {
			return err
		}
		if !erasable {
			return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "nothing_held") + b.coordinatorKeeps(ctx, id, lang)})
		}
		return b.send(ctx, c.Recipient(), view{
			Text: b.view.t(lang, "forget_confirm") + b.coordinatorKeeps(ctx, id, lang),
			Markup: keyboard([]tg.InlineButton{
				cb(b.view.t(lang, "btn_forget"), button{Action: actForget, Version: noVersion}),
				cb(b.view.t(lang, "btn_keep"), button{Action: actKeep, Version: noVersion}),
			}),
		})
	case "leave":
		return b.onLeave(ctx, c, cz, lang)
	case "propose":
		return b.onPropose(ctx, c, cz, lang) // proposals.go
	case "cancel":
		if done, err := b.cancelOpenBroadcast(ctx, c, lang); done || err != nil { // broadcast.go
			return err
		}
		if done, err := b.onProposalCancel(ctx, c, lang); done || err != nil { // proposals.go
			return err
		}
		if cz == nil {
			return b.reply(ctx, c, nil, Reply{Screen: ScreenHelp, Lang: lang, Problem: "nothing_to_cancel"}, nil)
		}
		if n := b.survey.Cancel(cz, b.now()); n != nil {
			saved, err := b.store.UpdateCitizen(ctx, id, func(cur *multaque.Citizen) error {
				if m := b.survey.Cancel(cur, b.now()); m != nil {
					*cur = *m
				}
				return nil
			})
			if err != nil {
				return err
			}
			return b.reply(ctx, c, saved, Reply{Screen: ScreenSummary, Lang: saved.Lang, Problem: "cancelled"}, nil)
		}
		r := b.survey.Resume(cz)
		r.Problem = "nothing_to_cancel"
		return b.reply(ctx, c, cz, r, nil)
	default:
		if ac, ok := b.adminCommand(cmd); ok {
			return b.onAdminCommand(ctx, c, ac, args, lang)
		}
		return b.reply(ctx, c, cz, Reply{Screen: ScreenHelp, Lang: lang, Problem: "unknown_command"}, nil)
	}
}

// citizen loads the sender's record, nil if they never consented.
func (b *Bot) citizen(ctx context.Context, id int64) (*multaque.Citizen, error) {
	cz, err := b.store.Citizen(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil, nil
	}
	return cz, err
}

// onStart begins the survey, or takes a known citizen back to where they
// were, applying what a deep link pre-fills.
func (b *Bot) onStart(ctx context.Context, c *tg.Context, cz *multaque.Citizen, p startPayload) error {
	if p.Mentor != "" {
		return b.onMentorLink(ctx, c, cz, p.Mentor)
	}
	if p.CoordinatorInvite != "" {
		return b.onCoordinatorLink(ctx, c, cz, p.CoordinatorInvite) // roles_admin.go
	}
	if cz == nil {
		return b.reply(ctx, c, nil, b.survey.Start(MatchLanguage(c.Sender().LanguageCode), p), nil)
	}
	if p.Project != "" && b.survey.Want(cz, p.Project, b.now()) != nil {
		saved, err := b.store.UpdateCitizen(ctx, cz.ID, func(cur *multaque.Citizen) error {
			if n := b.survey.Want(cur, p.Project, b.now()); n != nil {
				*cur = *n
			}
			return nil
		})
		if err != nil {
			return err
		}
		cz = saved
	}
	return b.reply(ctx, c, cz, b.survey.Resume(cz), nil)
}

// onInput passes typed text or a location to the survey.
func (b *Bot) onInput(ctx context.Context, c *tg.Context, in Input) error {
	if in.Text != "" {
		if done, err := b.onBroadcastText(ctx, c, in.Text); done || err != nil { // broadcast.go
			return err
		}
		if done, err := b.onProposalInput(ctx, c, in); done || err != nil { // proposals.go
			return err
		}
	}
	in.Now = b.now()
	cz, err := b.citizen(ctx, c.Sender().ID)
	if err != nil {
		return err
	}
	if cz == nil {
		r := b.survey.Start(MatchLanguage(c.Sender().LanguageCode), startPayload{})
		r.Problem = problemChooseLang
		return b.reply(ctx, c, nil, r, nil)
	}
	if len(in.Text) > maxTextLen {
		r := b.survey.Resume(cz)
		r.Problem = "problem_too_long"
		return b.reply(ctx, c, cz, r, nil)
	}
	return b.advance(ctx, c, cz, in)
}

// advance runs the survey on a stored citizen, commits the change, then
// answers: an answer the person sees is never lost.
func (b *Bot) advance(ctx context.Context, c *tg.Context, cz *multaque.Citizen, in Input) error {
	n, r, err := b.survey.Next(cz, in)
	if errors.Is(err, ErrStale) {
		return b.stale(ctx, c, cz.Lang)
	}
	if err != nil {
		return err
	}
	if n != nil {
		saved, err := b.store.UpdateCitizen(ctx, cz.ID, func(cur *multaque.Citizen) error {
			m, rr, err := b.survey.Next(cur, in)
			if err != nil {
				return err
			}
			if m != nil {
				*cur = *m
			}
			r = rr
			return nil
		})
		if errors.Is(err, ErrStale) {
			return b.stale(ctx, c, cz.Lang)
		}
		if err != nil {
			return err
		}
		cz = saved
	}
	if c.Callback() != nil {
		_ = c.Respond()
	}
	return b.reply(ctx, c, cz, r, nil)
}

// stale answers a button that no longer applies.
func (b *Bot) stale(ctx context.Context, c *tg.Context, lang multaque.Lang) error {
	text := b.view.t(lang, "stale")
	if c.Callback() != nil {
		return c.Respond(&tg.CallbackResponse{Text: text, ShowAlert: true})
	}
	return b.send(ctx, c.Recipient(), view{Text: text})
}

// reply renders r for cz and shows it, editing the pressed message when r
// says so. The summary fetches the waiting counts it shows.
func (b *Bot) reply(ctx context.Context, c *tg.Context, cz *multaque.Citizen, r Reply, counts progress) error {
	var teams map[string]*multaque.Team
	if r.Screen == ScreenSummary && cz != nil && counts == nil {
		var err error
		if counts, err = b.store.CountWaiting(ctx, cz.Community, projectIDs(cz)); err != nil {
			return err
		}
		in, err := b.teamsOf(ctx, cz)
		if err != nil {
			return err
		}
		teams = make(map[string]*multaque.Team, len(in))
		for _, t := range in {
			teams[t.ID] = t
		}
	}
	v := b.view.render(cz, r, counts, teams)
	if r.Edit && c.Callback() != nil {
		return b.edit(ctx, c, v)
	}
	return b.send(ctx, c.Recipient(), v)
}

// teamsOf loads the teams a citizen is in, in the order of their interests.
func (b *Bot) teamsOf(ctx context.Context, cz *multaque.Citizen) ([]*multaque.Team, error) {
	var teams []*multaque.Team
	for _, in := range cz.Interests {
		if in.Team == "" {
			continue
		}
		t, err := b.store.Team(ctx, in.Team)
		if multaque.ErrorCode(err) == multaque.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		teams = append(teams, t)
	}
	return teams, nil
}

// onButton handles a press on an inline button.
func (b *Bot) onButton(ctx context.Context, c *tg.Context) error {
	cq := c.Callback()
	if cq.Sender == nil {
		return nil
	}
	bt, ok := decodeButton(cq.Data)
	cz, err := b.citizen(ctx, cq.Sender.ID)
	if err != nil {
		return err
	}
	lang := MatchLanguage(cq.Sender.LanguageCode)
	if cz != nil {
		lang = cz.Lang
	}
	if !ok {
		return b.stale(ctx, c, lang)
	}
	if isMentorAction(bt.Action) {
		return b.onMentorButton(ctx, c, lang, bt)
	}
	if isBroadcastAction(bt.Action) {
		return b.onBroadcastButton(ctx, c, lang, bt) // broadcast.go
	}
	switch bt.Action {
	case actLang, actConsent, actDecline:
		if bt.Version == noVersion {
			return b.onConsentButtons(ctx, c, cz, bt)
		}
	case actProject:
		_ = c.Respond()
		if bt.Arg == "" {
			return b.edit(ctx, c, b.view.projectList(lang))
		}
		return b.edit(ctx, c, b.view.project(cz, lang, bt.Arg, true))
	case actWant:
		return b.onWant(ctx, c, cz, lang, bt.Arg)
	case actForget:
		return b.onForget(ctx, c, cz, lang)
	case actKeep:
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, "forget_kept")})
	}
	if cz == nil {
		return b.stale(ctx, c, lang)
	}
	return b.advance(ctx, c, cz, Input{Button: &bt, Now: b.now()})
}

// onConsentButtons handles the screens before consent, whose state travels
// in the buttons: nothing is stored until "I agree".
func (b *Bot) onConsentButtons(ctx context.Context, c *tg.Context, cz *multaque.Citizen, bt button) error {
	langCode, payload, _ := strings.Cut(bt.Arg, ",")
	lang := multaque.Lang(langCode)
	if !lang.Valid() {
		return b.stale(ctx, c, MatchLanguage(c.Sender().LanguageCode))
	}
	if cz != nil {
		// Consent was given already, maybe from another message: carry on.
		_ = c.Respond()
		return b.reply(ctx, c, cz, b.survey.Resume(cz), nil)
	}
	p := parsePayload(payload)
	switch bt.Action {
	case actLang:
		_ = c.Respond()
		return b.reply(ctx, c, nil, Reply{Screen: ScreenConsent, Lang: lang, Payload: p, Edit: true}, nil)
	case actDecline:
		_ = c.Respond()
		return b.reply(ctx, c, nil, Reply{Screen: ScreenDeclined, Lang: lang, Edit: true}, nil)
	}
	n, r := b.survey.Consent(c.Sender().ID, lang, p, b.now())
	if p.Referrer != "" {
		if err := b.store.AddReferral(ctx, p.Referrer); err != nil && multaque.ErrorCode(err) != multaque.ENOTFOUND {
			return err
		}
	}
	if err := b.store.SaveCitizen(ctx, n); err != nil {
		return err
	}
	saved, err := b.store.Citizen(ctx, n.ID)
	if err != nil {
		return err
	}
	_ = c.Respond()
	zerolog.Ctx(ctx).Info().Msg("citizen consented")
	r.Edit = true
	return b.reply(ctx, c, saved, r, nil)
}

// onWant is "I'm interested" under a project of /projects.
func (b *Bot) onWant(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang, project string) error {
	if _, ok := b.view.cat.Project(project); !ok {
		return b.stale(ctx, c, lang)
	}
	if cz == nil {
		_ = c.Respond()
		return b.reply(ctx, c, nil, b.survey.Start(lang, startPayload{Project: project}), nil)
	}
	if b.survey.Want(cz, project, b.now()) != nil {
		saved, err := b.store.UpdateCitizen(ctx, cz.ID, func(cur *multaque.Citizen) error {
			if n := b.survey.Want(cur, project, b.now()); n != nil {
				*cur = *n
			}
			return nil
		})
		if err != nil {
			return err
		}
		cz = saved
	}
	_ = c.Respond(&tg.CallbackResponse{Text: b.view.t(lang, "interest_added")})
	return b.edit(ctx, c, b.view.project(cz, lang, project, true))
}

// onForget erases the person from every bucket, after they confirmed.
func (b *Bot) onForget(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
	id := c.Sender().ID
	err := b.store.ForgetCitizen(ctx, id)
	switch {
	case multaque.ErrorCode(err) == multaque.ENOTFOUND:
		_ = c.Respond()
		return b.edit(ctx, c, view{Text: b.view.t(lang, "nothing_held") + b.coordinatorKeeps(ctx, id, lang)})
	case err != nil:
		return err
	}
	zerolog.Ctx(ctx).Info().Msg("citizen erased")
	_ = c.Respond()
	return b.edit(ctx, c, view{Text: b.view.t(lang, "forgotten") + b.coordinatorKeeps(ctx, id, lang)})
}

// coordinatorKeeps is what /forget adds for a coordinator: their
// coordinator record and the audit log of their actions stay (see
// store.heldRefusedAttempts). It is empty for anyone else.
func (b *Bot) coordinatorKeeps(ctx context.Context, id int64, lang multaque.Lang) string {
	if coord, err := b.coordinator(ctx, id); err != nil || coord == nil {
		return ""
	}
	return "\n\n" + b.view.t(lang, "forget_coordinator_kept")
}

// onMyData sends everything held about the person as a JSON document.
func (b *Bot) onMyData(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
	data, err := b.store.PersonalData(ctx, c.Sender().ID)
	switch {
	case multaque.ErrorCode(err) == multaque.ENOTFOUND:
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "nothing_held")})
	case err != nil:
		return err
	}
	_, err = b.wire.Answer(ctx, tg.Outgoing{
		Chat: c.Recipient(), Text: b.view.t(lang, "mydata_caption"), ParseMode: tg.ModeHTML,
		File: &tg.File{Name: "multaque-my-data.json", MIME: "application/json", Data: data},
	})
	return err
}

// onMyChatMember notices a person blocking or unblocking the bot in their
// private chat.
func (b *Bot) onMyChatMember(ctx context.Context, c *tg.Context) error {
	u := c.Update().MyChatMember
	if u.Chat == nil || u.Chat.Type != tg.ChatPrivate || u.NewChatMember == nil {
		return nil
	}
	id := u.Chat.ID
	switch u.NewChatMember.Role {
	case tg.Kicked:
		return b.store.MarkUnreachable(ctx, id)
	case tg.Member:
		cz, err := b.citizen(ctx, id)
		if err != nil || cz == nil || !cz.Unreachable {
			return err
		}
		_, err = b.store.UpdateCitizen(ctx, id, func(cur *multaque.Citizen) error {
			cur.Unreachable = false
			return nil
		})
		return err
	}
	return nil
}

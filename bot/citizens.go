package bot

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// CitizenStore is what the citizens' room needs of the database.
type CitizenStore interface {
	Citizen(ctx context.Context, id int64) (*multaque.Citizen, error)
	// ErasedAt is when the person was last erased, zero if never.
	ErasedAt(ctx context.Context, id int64) (time.Time, error)
	SaveCitizen(ctx context.Context, c *multaque.Citizen) error
	UpdateCitizen(ctx context.Context, id int64, fn func(c *multaque.Citizen) error) (*multaque.Citizen, error)
	ForgetCitizen(ctx context.Context, id int64) error
	// Erasable reports whether ForgetCitizen would erase anything.
	Erasable(ctx context.Context, id int64) (bool, error)
	AddReferral(ctx context.Context, code string) error
	MarkUnreachable(ctx context.Context, id int64) error
	CountWaiting(ctx context.Context, community string, projects []string) (map[string]int, error)
	PersonalData(ctx context.Context, id int64) ([]byte, error)
	Team(ctx context.Context, id string) (*multaque.Team, error)
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

// maxTextLen is the longest text the bot reads; anything longer is refused
// before it is looked at. Telegram's own limit is 4096.
const maxTextLen = 4096

// citizen loads the sender's record, nil if they never consented.
func (b *core) citizen(ctx context.Context, id int64) (*multaque.Citizen, error) {
	cz, err := b.store.Citizen(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil, nil
	}
	return cz, err
}

// onStart begins the survey, or takes a known citizen back to where they
// were, applying what a deep link pre-fills.
func (b *citizens) onStart(ctx context.Context, c *tg.Context, cz *multaque.Citizen, p startPayload) error {
	if p.Mentor != "" {
		return b.mentors.onMentorLink(ctx, c, cz, p.Mentor)
	}
	if p.CoordinatorInvite != "" {
		return b.roles.onCoordinatorLink(ctx, c, cz, p.CoordinatorInvite) // roles_admin.go
	}
	if p.Goal != "" {
		return b.pledges.onShareLink(ctx, c, p.Goal, b.langOf(ctx, c)) // pledges.go: supporters need no survey
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
func (b *citizens) onInput(ctx context.Context, c *tg.Context, in Input) error {
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
func (b *citizens) advance(ctx context.Context, c *tg.Context, cz *multaque.Citizen, in Input) error {
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
func (b *core) stale(ctx context.Context, c *tg.Context, lang multaque.Lang) error {
	text := b.view.t(lang, "stale")
	if c.Callback() != nil {
		return c.Respond(&tg.CallbackResponse{Text: text, ShowAlert: true})
	}
	return b.send(ctx, c.Recipient(), view{Text: text})
}

// reply renders r for cz and shows it, editing the pressed message when r
// says so. The summary fetches the waiting counts it shows.
func (b *citizens) reply(ctx context.Context, c *tg.Context, cz *multaque.Citizen, r Reply, counts progress) error {
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
func (b *citizens) teamsOf(ctx context.Context, cz *multaque.Citizen) ([]*multaque.Team, error) {
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

// onSurveyButton is a press on a button of the survey, /me or /settings.
func (b *citizens) onSurveyButton(ctx context.Context, r *request) error {
	if r.cz == nil {
		return b.stale(ctx, r.c, r.lang)
	}
	return b.advance(ctx, r.c, r.cz, Input{Button: &r.bt, Now: b.now()})
}

// onLanguageOrConsent is a press on the language or the consent screen:
// before consent their state travels in the button (onConsentButtons);
// after it, the language button is the survey's.
func (b *citizens) onLanguageOrConsent(ctx context.Context, r *request) error {
	if r.bt.Version == noVersion {
		return b.onConsentButtons(ctx, r.c, r.cz, r.bt)
	}
	return b.onSurveyButton(ctx, r)
}

// onProjectButton shows a project of /projects, or the list again.
func (b *citizens) onProjectButton(ctx context.Context, r *request) error {
	_ = r.c.Respond()
	if r.bt.Arg == "" {
		return b.edit(ctx, r.c, b.view.projectList(r.lang))
	}
	return b.edit(ctx, r.c, b.view.project(r.cz, r.lang, r.bt.Arg, true))
}

// onKeep is "No, keep it" under /forget's question.
func (b *citizens) onKeep(ctx context.Context, r *request) error {
	_ = r.c.Respond()
	return b.edit(ctx, r.c, view{Text: b.view.t(r.lang, "forget_kept")})
}

// onConsentButtons handles the screens before consent, whose state travels
// in the buttons: nothing is stored until "I agree".
func (b *citizens) onConsentButtons(ctx context.Context, c *tg.Context, cz *multaque.Citizen, bt button) error {
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
		// Someone who asked to be forgotten and comes back is not counted
		// again: /forget and consent cannot inflate a referral count.
		erased, err := b.store.ErasedAt(ctx, n.ID)
		if err != nil {
			return err
		}
		if erased.IsZero() {
			if err := b.store.AddReferral(ctx, p.Referrer); err != nil && multaque.ErrorCode(err) != multaque.ENOTFOUND {
				return err
			}
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
func (b *citizens) onWant(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang, project string) error {
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
func (b *citizens) onForget(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
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
func (b *citizens) coordinatorKeeps(ctx context.Context, id int64, lang multaque.Lang) string {
	if coord, err := b.coordinator(ctx, id); err != nil || coord == nil {
		return ""
	}
	return "\n\n" + b.view.t(lang, "forget_coordinator_kept")
}

// onMyData sends everything held about the person as a JSON document.
func (b *citizens) onMyData(ctx context.Context, c *tg.Context, cz *multaque.Citizen, lang multaque.Lang) error {
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
func (b *citizens) onMyChatMember(ctx context.Context, c *tg.Context) error {
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

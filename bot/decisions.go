package bot

// Decisions: a team decides together in its group, on native Telegram
// polls the bot sends, counts and closes (see multaque.Tally for the rule
// of an outcome).
//
//	/decide      in the team's group, or in private: a member or the mentor
//	             prepares a decision in private (kind, question, options or
//	             target, one answer or several, closing time) and posts it
//	/decisions   in the team's group: the team's decision log
//	/decisions mentor on|off
//	             a member says whether the mentor's answers count in the
//	             decisions opened from then on (they do not by default)
//
// A draft is the author's one decision in the making (store: drafts); its
// buttons carry its id as their version, so a button of an older draft is
// stale. Typed steps reach the room through the route table
// (multaque.AwaitDecision), as does a blocker's reason. The poll's answers
// (decision_polls.go), the reminders and the closing (decision_closing.go)
// and the screens (decision_screens.go) have files of their own.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// DecisionStore is what the decisions need of the database.
type DecisionStore interface {
	Team(ctx context.Context, id string) (*multaque.Team, error)
	Teams(ctx context.Context) ([]*multaque.Team, error)
	TeamByChat(ctx context.Context, chat int64) (*multaque.Team, error)
	Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error)
	DecisionDraft(ctx context.Context, person int64) (*multaque.Decision, error)
	SaveDecisionDraft(ctx context.Context, d multaque.Decision, now time.Time) (*multaque.Decision, error)
	DiscardDecisionDraft(ctx context.Context, person int64) error
	OpenDecision(ctx context.Context, id uint64, pollID string, msg int, now time.Time) (*multaque.Decision, error)
	Decision(ctx context.Context, id uint64) (*multaque.Decision, error)
	// RecordVote keeps a vote newer than the voter's last; ENOTFOUND for a
	// poll that is no decision's.
	RecordVote(ctx context.Context, pollID string, v multaque.Vote) (*multaque.Decision, bool, error)
	SetBlockReason(ctx context.Context, person int64, reason string) (*multaque.Decision, error)
	DecisionsToTend(ctx context.Context) ([]*multaque.Decision, error)
	QueueDecisionReminders(ctx context.Context, id uint64, items []multaque.OutboxItem) error
	CloseDecision(ctx context.Context, id uint64, o multaque.Outcome, note string, now time.Time) (*multaque.Decision, error)
	DecisionPosted(ctx context.Context, id uint64, msg int) error
	// CloseDecisionEarly brings the closing of its author's open decision
	// forward to now; ECONFLICT if it is closed or not theirs.
	CloseDecisionEarly(ctx context.Context, id uint64, by int64, now time.Time) (*multaque.Decision, error)
	TeamDecisions(ctx context.Context, team string) ([]*multaque.Decision, error)
	// SetMentorVotes and MentorVotes: whether the team chose that its
	// mentor's answers count (in the decisions it opens from then on).
	SetMentorVotes(ctx context.Context, team string, count bool) error
	MentorVotes(ctx context.Context, team string) (bool, error)
}

// Callback actions of the walk-through; the version is the draft's id
// (0 for the choice of a team, before there is a draft).
const (
	actDecideTeam    = "dteam"  // arg: team id
	actDecideKind    = "dkind"  // arg: kind
	actDecideAnswers = "dmulti" // arg: 1 for several answers
	actDecideClose   = "dclose" // arg: hours until closing
	actDecidePost    = "dpost"
	actDecideCancel  = "dcancel"
	actDecideNow     = "dnow" // the author closes their open decision now; version: its id
)

// decisionClosings are the closing times offered, in hours.
var decisionClosings = []int{24, 72, 7 * 24, 14 * 24}

// inTeam reports whether person may start and answer decisions of t: a
// member, or its mentor.
func inTeam(t *multaque.Team, person int64) bool {
	return t.HasMember(person) || t.Mentor != 0 && t.Mentor == person
}

// voters are the people whose answers count in d: the team's members, and
// its mentor when the team chose so.
func voters(t *multaque.Team, d *multaque.Decision) []int64 {
	out := make([]int64, 0, len(t.Members)+1)
	for _, m := range t.Members {
		out = append(out, m.Citizen)
	}
	if d.Mentor && t.Mentor != 0 {
		out = append(out, t.Mentor)
	}
	return out
}

// onGroupCommand answers /decide and /decisions in a team's group; other
// groups, and other commands, are not the room's business.
func (b *decisions) onGroupCommand(ctx context.Context, c *tg.Context, cmd, args string) error {
	team, err := b.store.TeamByChat(ctx, c.Chat().ID)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && team.Status != multaque.TeamActive {
		return nil
	}
	if err != nil {
		return err
	}
	s := c.Sender()
	lang := b.langOf(ctx, c)
	if cmd == "decisions" && args != "" {
		return b.onMentorVotes(ctx, team, s.ID, lang, args)
	}
	if cmd == "decisions" {
		log, err := b.store.TeamDecisions(ctx, team.ID)
		if err != nil {
			return err
		}
		return b.send(ctx, team.Chat, b.logView(lang, log))
	}
	if !inTeam(team, s.ID) {
		return b.send(ctx, team.Chat, view{Text: b.view.t(lang, "decide_not_member")})
	}
	name := esc(s.FirstName)
	if err := b.startDraft(ctx, s.ID, lang, team, nil); err != nil {
		if class, _ := tg.Classify(err, s.ID); class == tg.Unreachable || class == tg.ChatGone || class == tg.Refused {
			return b.send(ctx, team.Chat, view{Text: b.view.t(lang, "decide_start_private", "Name", name)})
		}
		return err
	}
	return b.send(ctx, team.Chat, view{Text: b.view.t(lang, "decide_check_private", "Name", name)})
}

// onMentorVotes is /decisions mentor on|off: a member (not the mentor)
// says whether the mentor's answers count.
func (b *decisions) onMentorVotes(ctx context.Context, team *multaque.Team, by int64, lang multaque.Lang, args string) error {
	var on bool
	switch strings.ToLower(strings.Join(strings.Fields(args), " ")) {
	case "mentor on":
		on = true
	case "mentor off":
	default:
		return b.send(ctx, team.Chat, view{Text: b.view.t(lang, "decisions_mentor_usage")})
	}
	if !team.HasMember(by) {
		return b.send(ctx, team.Chat, view{Text: b.view.t(lang, "decisions_mentor_members_only")})
	}
	if err := b.store.SetMentorVotes(ctx, team.ID, on); err != nil {
		return err
	}
	id := "decisions_mentor_off"
	if on {
		id = "decisions_mentor_on"
	}
	return b.send(ctx, team.Chat, view{Text: b.view.t(lang, id)})
}

// onDecideCommand is /decide in private: a draft for the person's team, or
// the choice of one when they are in several.
func (b *decisions) onDecideCommand(ctx context.Context, r *request) error {
	id := r.c.Sender().ID
	teams, err := b.store.Teams(ctx)
	if err != nil {
		return err
	}
	var mine []*multaque.Team
	for _, t := range teams {
		if t.Status == multaque.TeamActive && inTeam(t, id) {
			mine = append(mine, t)
		}
	}
	switch len(mine) {
	case 0:
		return b.send(ctx, id, view{Text: b.view.t(r.lang, "decide_no_team")})
	case 1:
		return b.startDraft(ctx, id, r.lang, mine[0], nil)
	}
	v := view{Text: b.view.t(r.lang, "decide_pick_team")}
	for _, t := range mine {
		v.Markup = append(v.Markup, []tg.InlineButton{cb(b.teamTitle(r.lang, t), button{Action: actDecideTeam, Arg: t.ID})})
	}
	return b.send(ctx, id, v)
}

func (b *decisions) teamTitle(lang multaque.Lang, t *multaque.Team) string {
	return b.projectName(lang, t.Project) + " · " + b.communityName(lang, t.Community)
}

// startDraft opens a new draft of person for team and shows its first
// step: in the pressed message (c), or as a new private message.
func (b *decisions) startDraft(ctx context.Context, person int64, lang multaque.Lang, team *multaque.Team, c *tg.Context) error {
	mentor, err := b.store.MentorVotes(ctx, team.ID)
	if err != nil {
		return err
	}
	d, err := b.store.SaveDecisionDraft(ctx, multaque.Decision{
		Team: team.ID, Chat: team.Chat, Author: person, Lang: lang, Step: multaque.StepDecisionKind, Quorum: multaque.DefaultQuorum, Mentor: mentor,
	}, b.now())
	if err != nil {
		return err
	}
	if c != nil {
		return b.answer(ctx, c, b.stepView(d, nil))
	}
	return b.send(ctx, person, b.stepView(d, nil))
}

// onDecideButton answers the walk-through's buttons.
func (b *decisions) onDecideButton(ctx context.Context, r *request) error {
	c, bt, id := r.c, r.bt, r.c.Sender().ID
	if bt.Action == actDecideNow {
		return b.closeEarly(ctx, r)
	}
	if bt.Action == actDecideTeam {
		t, err := b.store.Team(ctx, bt.Arg)
		if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && (!inTeam(t, id) || t.Status != multaque.TeamActive) {
			return b.stale(ctx, c, r.lang)
		}
		if err != nil {
			return err
		}
		return b.startDraft(ctx, id, r.lang, t, c)
	}
	d, err := b.store.DecisionDraft(ctx, id)
	if err != nil {
		return err
	}
	if d == nil || d.ID != uint64(bt.Version) {
		return b.stale(ctx, c, r.lang)
	}
	switch bt.Action {
	case actDecideCancel:
		if err := b.store.DiscardDecisionDraft(ctx, id); err != nil {
			return err
		}
		return b.answer(ctx, c, view{Text: b.view.t(d.Lang, "decide_cancelled")})
	case actDecideKind:
		kind := multaque.DecisionKind(bt.Arg)
		if d.Step != multaque.StepDecisionKind || !kind.Valid() {
			return b.stale(ctx, c, r.lang)
		}
		d.Kind, d.Step, d.Options = kind, multaque.StepDecisionQuestion, b.fixedOptions(d.Lang, kind)
	case actDecideAnswers:
		if d.Step != multaque.StepDecisionAnswers {
			return b.stale(ctx, c, r.lang)
		}
		d.Multiple, d.Step = bt.Arg == "1", multaque.StepDecisionClosing
	case actDecideClose:
		hours, err := strconv.Atoi(bt.Arg)
		if d.Step != multaque.StepDecisionClosing || err != nil || hours < 1 || hours > 90*24 {
			return b.stale(ctx, c, r.lang)
		}
		d.Closes, d.Step = b.now().Add(time.Duration(hours)*time.Hour).Truncate(time.Minute), multaque.StepDecisionConfirm
	case actDecidePost:
		if d.Step != multaque.StepDecisionConfirm {
			return b.stale(ctx, c, r.lang)
		}
		return b.post(ctx, c, d)
	default:
		return b.stale(ctx, c, r.lang)
	}
	saved, err := b.store.SaveDecisionDraft(ctx, *d, b.now())
	if err != nil {
		return err
	}
	return b.answer(ctx, c, b.stepView(saved, b.teamOf(ctx, saved)))
}

// closeEarly is the author's "Close now" under their posted decision: the
// bot's next pass closes it as if its time had come.
func (b *decisions) closeEarly(ctx context.Context, r *request) error {
	d, err := b.store.CloseDecisionEarly(ctx, uint64(r.bt.Version), r.c.Sender().ID, b.now())
	if code := multaque.ErrorCode(err); code == multaque.ECONFLICT || code == multaque.ENOTFOUND {
		return b.stale(ctx, r.c, r.lang)
	}
	if err != nil {
		return err
	}
	b.wakeDecisions()
	return b.answer(ctx, r.c, view{Text: b.view.t(d.Lang, "decide_closing_now")})
}

// answer ends a button press (the button stops spinning) with v in place
// of the pressed message; a stale press gets b.stale's alert instead, so
// a press is answered once.
func (b *decisions) answer(ctx context.Context, c *tg.Context, v view) error {
	_ = c.Respond()
	return b.edit(ctx, c, v)
}

// cancelDraft is /cancel for a person preparing a decision: the draft goes.
// It reports whether there was one.
func (b *decisions) cancelDraft(ctx context.Context, c *tg.Context) (bool, error) {
	id := c.Sender().ID
	d, err := b.store.DecisionDraft(ctx, id)
	if err != nil || d == nil {
		return false, err
	}
	if err := b.store.DiscardDecisionDraft(ctx, id); err != nil {
		return true, err
	}
	return true, b.send(ctx, id, view{Text: b.view.t(d.Lang, "decide_cancelled")})
}

// teamOf is d's team, nil if it cannot be read (the screens then leave
// out what they would count).
func (b *decisions) teamOf(ctx context.Context, d *multaque.Decision) *multaque.Team {
	t, err := b.store.Team(ctx, d.Team)
	if err != nil {
		return nil
	}
	return t
}

// fixedOptions are the poll's options of a proposal and of a "count me
// in", in the author's language; the others' are typed.
func (b *decisions) fixedOptions(lang multaque.Lang, kind multaque.DecisionKind) []string {
	var ids []string
	switch kind {
	case multaque.KindProposal:
		ids = []string{"decision_opt_agree", "decision_opt_abstain", "decision_opt_disagree", "decision_opt_block"}
	case multaque.KindCountIn:
		ids = []string{"decision_opt_in", "decision_opt_out"}
	}
	var out []string
	for _, id := range ids {
		out = append(out, b.view.t(lang, id))
	}
	return out
}

// onDecisionText takes typed text for the decisions: a blocker's reason,
// else a draft's question, options or target.
func (b *decisions) onDecisionText(ctx context.Context, c *tg.Context, text string) (bool, error) {
	id := c.Sender().ID
	if d, err := b.store.SetBlockReason(ctx, id, truncateRunes(strings.TrimSpace(text), multaque.MaxBlockReason)); err == nil {
		return true, b.send(ctx, id, view{Text: b.view.t(b.langOf(ctx, c), "decision_reason_kept", "Question", esc(d.Question))})
	} else if multaque.ErrorCode(err) != multaque.ENOTFOUND {
		return true, err
	}
	d, err := b.store.DecisionDraft(ctx, id)
	if err != nil || d == nil || !d.Step.Typing() {
		return false, err
	}
	problem := ""
	switch d.Step {
	case multaque.StepDecisionQuestion:
		q, err := multaque.CheckQuestion(text)
		if err != nil {
			problem = "decide_bad_question"
			break
		}
		d.Question = q
		switch d.Kind {
		case multaque.KindProposal:
			d.Step = multaque.StepDecisionClosing
		case multaque.KindCountIn:
			d.Step = multaque.StepDecisionTarget
		default:
			d.Step = multaque.StepDecisionOptions
		}
	case multaque.StepDecisionOptions:
		opts, err := multaque.ParseOptions(text)
		if err != nil {
			problem = "decide_bad_options"
			break
		}
		d.Options, d.Step = opts, multaque.StepDecisionAnswers
		if d.Kind == multaque.KindMeeting {
			d.Multiple, d.Step = true, multaque.StepDecisionClosing
		}
	case multaque.StepDecisionTarget:
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || n < 1 || n > multaque.MaxDecisionTarget {
			problem = "decide_bad_target"
			break
		}
		d.Target, d.Step = n, multaque.StepDecisionClosing
	}
	if problem != "" {
		return true, b.send(ctx, id, b.withCancel(d, view{Text: b.view.t(d.Lang, problem)}))
	}
	saved, err := b.store.SaveDecisionDraft(ctx, *d, b.now())
	if err != nil {
		return true, err
	}
	return true, b.send(ctx, id, b.stepView(saved, b.teamOf(ctx, saved)))
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

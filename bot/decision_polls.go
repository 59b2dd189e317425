package bot

// A decision's poll: posted in the team's group as a native, non-anonymous
// poll (so that Telegram sends the bot each answer), and its answers.

import (
	"context"
	"slices"

	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// pollOption is an InputPollOption of sendPoll.
type pollOption struct {
	Text string `json:"text"`
}

// sendPollParams are sendPoll's, called raw: telebot v3.3.8 predates
// InputPollOption.
type sendPollParams struct {
	Chat      int64        `json:"chat_id"`
	Question  string       `json:"question"`
	Options   []pollOption `json:"options"`
	Anonymous bool         `json:"is_anonymous"`
	Multiple  bool         `json:"allows_multiple_answers,omitempty"`
}

// sentPoll is what the bot reads of sendPoll's answer.
type sentPoll struct {
	ID   int `json:"message_id"`
	Poll struct {
		ID string `json:"id"`
	} `json:"poll"`
}

// post posts draft d in its team's group, announcement then poll, and
// opens it. The author must still be in the team.
func (b *decisions) post(ctx context.Context, c *tg.Context, d *multaque.Decision) error {
	team, err := b.store.Team(ctx, d.Team)
	if err != nil {
		return err
	}
	if team.Status != multaque.TeamActive || team.Chat != d.Chat || !inTeam(team, d.Author) {
		if err := b.store.DiscardDecisionDraft(ctx, d.Author); err != nil {
			return err
		}
		return b.answer(ctx, c, view{Text: b.view.t(d.Lang, "decide_group_gone")})
	}
	if err := b.send(ctx, d.Chat, b.intro(d, team)); err != nil {
		return b.groupRefused(ctx, c, d, err)
	}
	p := sendPollParams{Chat: d.Chat, Question: d.Question, Multiple: d.Multiple}
	for _, o := range d.Options {
		p.Options = append(p.Options, pollOption{Text: o})
	}
	var sent sentPoll
	err = b.wire.Paced(ctx, d.Chat, func() error { return b.wire.Call(ctx, "sendPoll", p, &sent) })
	if err != nil {
		return b.groupRefused(ctx, c, d, err)
	}
	opened, err := b.store.OpenDecision(ctx, d.ID, sent.Poll.ID, sent.ID, b.now())
	if err != nil {
		return err
	}
	v := view{Text: b.view.t(d.Lang, "decide_posted", "Closes", when(opened.Closes))}
	v.Markup = keyboard([]tg.InlineButton{cb(b.view.t(d.Lang, "decide_btn_close_now"), button{Action: actDecideNow, Version: int(d.ID)})})
	return b.answer(ctx, c, v)
}

// groupRefused tells the author that the group took nothing, keeping the
// draft so they can post it later; an error that is not the group's is
// the caller's.
func (b *decisions) groupRefused(ctx context.Context, c *tg.Context, d *multaque.Decision, err error) error {
	switch class, _ := tg.Classify(err, d.Chat); class {
	case tg.ChatGone, tg.Refused, tg.Unreachable:
		zerolog.Ctx(ctx).Warn().Err(b.wire.Redact(err)).Uint64("decision", d.ID).Msg("decision not posted")
		return b.answer(ctx, c, b.withCancel(d, view{Text: b.view.t(d.Lang, "decide_group_gone")}))
	}
	return err
}

// onPollAnswer records an answer to a decision's poll. Answers to polls
// the bot did not send as a decision's are ignored, as are those to closed
// decisions and those older than the voter's last (store: RecordVote). A
// member who blocks a proposal is asked, in private, for their reason.
func (b *decisions) onPollAnswer(ctx context.Context, c *tg.Context) error {
	u := c.Update()
	pa := u.PollAnswer
	if pa.Voter == nil {
		return nil // a chat's anonymous answer: nobody to count
	}
	d, changed, err := b.store.RecordVote(ctx, pa.PollID, multaque.Vote{Voter: pa.Voter.ID, Options: slices.Clone(pa.OptionIDs), Update: u.ID, At: b.now()})
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return nil
	}
	if err != nil || !changed || d.Kind != multaque.KindProposal || !slices.Contains(pa.OptionIDs, multaque.ProposalBlock) {
		return err
	}
	team, err := b.store.Team(ctx, d.Team)
	if err != nil || !slices.Contains(voters(team, d), pa.Voter.ID) {
		return err
	}
	langs, err := b.store.Languages(ctx, []int64{pa.Voter.ID})
	if err != nil {
		return err
	}
	lang, ok := langs[pa.Voter.ID]
	if !ok {
		lang = MatchLanguage(pa.Voter.LanguageCode)
	}
	err = b.send(ctx, pa.Voter.ID, view{Text: b.view.t(lang, "decision_block_reason", "Question", esc(d.Question))})
	if class, _ := tg.Classify(err, pa.Voter.ID); class == tg.Unreachable || class == tg.ChatGone {
		return nil // the block counts without a reason
	}
	return err
}

package bot

import (
	"context"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// A team's group has one progress message, pinned and edited in place:
// pledged, matched, the goal, the days left, and who pledged by name. The
// store counts the changes of each goal (in the transaction of each
// change) and the version the message shows; RefreshProgress edits each
// goal that is behind, once, however many changes came, and records what
// it showed. A crash between a change and its edit leaves the goal behind,
// and the next pass edits it: nothing is lost, and the group's 20 messages
// a minute are spent on one edit per burst.

// ProgressFold is how long RunGoals waits after a change before editing
// the pinned messages, to fold a burst of pledges into one edit.
var ProgressFold = 3 * time.Second

// RefreshProgress brings every group's pinned progress message up to
// date and returns how many it edited or posted.
func (b *Bot) RefreshProgress(ctx context.Context) (int, error) {
	return b.pledges.refreshAll(ctx)
}

// wakeProgress tells RunGoals that a pinned message is behind.
func (b *pledges) wakeProgress() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *pledges) refreshAll(ctx context.Context) (int, error) {
	due, err := b.store.ProgressDue(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		done, err := b.refresh(ctx, d)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// refresh edits (or posts and pins) d's team's progress message. A team
// without a group yet stays due.
func (b *pledges) refresh(ctx context.Context, d multaque.ProgressDue) (bool, error) {
	t, s, err := b.goalOf(ctx, d.Team)
	if err != nil || s == nil || t.Chat == 0 {
		return false, err
	}
	out := tg.Outgoing{Chat: t.Chat, Text: b.progressText(b.groupLang(ctx, t), t, s), ParseMode: tg.ModeHTML}
	msg := d.Message
	if msg != 0 {
		out.Edit = msg
		_, err := b.wire.Answer(ctx, out)
		switch class, _ := tg.Classify(err, t.Chat); class {
		case tg.OK, tg.NotModified:
			return true, b.store.ProgressShown(ctx, d.Team, d.Version, msg)
		case tg.Flood, tg.Transient:
			return false, nil // the next pass tries again
		}
		b.log.Debug().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("progress message gone, posting it again")
		out.Edit = 0
	}
	out.WantID = true
	msg, err = b.wire.Answer(ctx, out)
	if err != nil {
		b.log.Info().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("post progress message")
		return false, nil
	}
	if err := b.wire.GroupCall(ctx, "pinChatMessage", map[string]any{"chat_id": t.Chat, "message_id": msg, "disable_notification": true}, nil); err != nil {
		b.log.Info().Err(b.wire.Redact(err)).Str("team", t.ID).Msg("pin progress message")
	}
	return true, b.store.ProgressShown(ctx, d.Team, d.Version, msg)
}

// progressText is the group's progress message: the goal as it stands and
// who pledged by name.
func (b *pledges) progressText(lang multaque.Lang, t *multaque.Team, s *multaque.GoalState) string {
	lines := b.goalLines(lang, t, s)
	var names []string
	for _, p := range s.Pledges {
		if p.Named && p.Name != "" && p.Status != multaque.PledgeLapsed {
			names = append(names, esc(p.Name))
		}
	}
	if len(names) > 0 {
		lines = append(lines, b.view.t(lang, "pledge_named_list", "Names", strings.Join(names, ", ")))
	}
	return fitLines(lines, maxMessageLen)
}

// groupLang is the language of t's group (groupLang in team_provision.go).
func (b *pledges) groupLang(ctx context.Context, t *multaque.Team) multaque.Lang {
	ids := make([]int64, 0, len(t.Members))
	for _, m := range t.Members {
		ids = append(ids, m.Citizen)
	}
	langs, err := b.store.Languages(ctx, ids)
	if err != nil {
		langs = nil
	}
	return groupLang(t, langs)
}

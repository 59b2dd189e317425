package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
)

// A team's own commands about its goal, sent in private by a member or the
// mentor: /goal, /payinfo, /treasurer, /paid. The team is the person's
// only one, or named first ("/goal t3 …").

// onGoalCommand is /goal [team] <min>[-<optimum>] <YYYY-MM-DD> [<hours>h]
// <purpose>; with no amount it shows the goal and its share link.
func (b *pledges) onGoalCommand(ctx context.Context, r *request) error {
	t, err := b.teamOf(ctx, r, r.args)
	if err != nil || t == nil {
		return err
	}
	args := stripTeam(r.args, t.ID)
	if args == "" {
		_, s, err := b.goalOf(ctx, t.ID)
		if err != nil {
			return err
		}
		if s == nil {
			return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_usage")})
		}
		return b.send(ctx, r.c.Recipient(), view{Text: strings.Join(b.goalLines(r.lang, t, s), "\n") + "\n\n" + b.shareText(r.lang, t)})
	}
	g, ok := parseGoal(args)
	if !ok {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_usage")})
	}
	g.Team, g.SetBy = t.ID, r.c.Sender().ID
	saved, err := b.store.SetGoal(ctx, g, b.now())
	switch multaque.ErrorCode(err) {
	case multaque.EINVALID:
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_invalid") + "\n\n" + b.view.t(r.lang, "goal_usage")})
	case multaque.ECONFLICT:
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_settled")})
	}
	if err != nil {
		return err
	}
	b.wakeProgress()
	s := &multaque.GoalState{Goal: *saved}
	if st, err := b.store.Goal(ctx, t.ID); err == nil {
		s = st
	}
	text := b.view.t(r.lang, "goal_saved") + "\n\n" + strings.Join(b.goalLines(r.lang, t, s), "\n") + "\n\n" + b.shareText(r.lang, t)
	if saved.PayInstructions == "" {
		text += "\n\n" + b.view.t(r.lang, "goal_ask_payinfo")
	}
	return b.send(ctx, r.c.Recipient(), view{Text: text})
}

// stripTeam removes the team id from the front of args, if it is there.
func stripTeam(args, team string) string {
	args = strings.TrimSpace(args)
	if f := strings.Fields(args); len(f) > 0 && f[0] == team {
		return strings.TrimSpace(args[len(team):])
	}
	return args
}

// parseGoal reads "<min>[-<optimum>] <YYYY-MM-DD> [<hours>h] <purpose>".
// The deadline is the end of that day, UTC.
func parseGoal(s string) (multaque.Goal, bool) {
	var g multaque.Goal
	f := strings.Fields(s)
	if len(f) < 3 {
		return g, false
	}
	lo, hi, ranged := strings.Cut(f[0], "-")
	var err error
	if g.Min, err = multaque.ParseCents(lo); err != nil {
		return g, false
	}
	if ranged {
		if g.Optimum, err = multaque.ParseCents(hi); err != nil {
			return g, false
		}
	}
	day, err := time.Parse("2006-01-02", f[1])
	if err != nil {
		return g, false
	}
	g.Deadline = day.Add(24*time.Hour - time.Second)
	rest := f[2:]
	if h, ok := strings.CutSuffix(strings.ToLower(rest[0]), "h"); ok && len(rest) > 1 {
		n, err := strconv.Atoi(h)
		if err == nil && n > 0 {
			g.Hours = n
			rest = rest[1:]
		}
	}
	g.Purpose = strings.Join(rest, " ")
	return g, true
}

// shareText is the team's share link for supporters.
func (b *pledges) shareText(lang multaque.Lang, t *multaque.Team) string {
	link := "https://t.me/" + b.view.botName + "?start=" + startPayload{Goal: t.ID}.String()
	return b.view.t(lang, "goal_share", "Link", esc(link))
}

// onPayInfoCommand is /payinfo [team] <text>: how pledgers pay once the
// goal is met, shown only to them, in private, then.
func (b *pledges) onPayInfoCommand(ctx context.Context, r *request) error {
	t, err := b.teamOf(ctx, r, r.args)
	if err != nil || t == nil {
		return err
	}
	text := stripTeam(r.args, t.ID)
	if text == "" {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "payinfo_usage")})
	}
	_, err = b.store.UpdateGoal(ctx, t.ID, func(g *multaque.Goal) error {
		g.PayInstructions = text
		return nil
	})
	switch multaque.ErrorCode(err) {
	case multaque.ENOTFOUND:
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_usage")})
	case multaque.EINVALID:
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "payinfo_usage")})
	}
	if err != nil {
		return err
	}
	return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "payinfo_saved")})
}

// onTreasurerCommand is /treasurer [team]: the member who sends it becomes
// the team's treasurer, who marks pledges paid.
func (b *pledges) onTreasurerCommand(ctx context.Context, r *request) error {
	t, err := b.teamOf(ctx, r, r.args)
	if err != nil || t == nil {
		return err
	}
	me := r.c.Sender().ID
	if !t.HasMember(me) {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "treasurer_members_only")})
	}
	_, err = b.store.UpdateGoal(ctx, t.ID, func(g *multaque.Goal) error { g.Treasurer = me; return nil })
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "goal_usage")})
	}
	if err != nil {
		return err
	}
	return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "treasurer_saved")})
}

// onPaidCommand is /paid [team] [<no>]: the treasurer marks pledge number
// no paid; without a number, the pledges still due.
func (b *pledges) onPaidCommand(ctx context.Context, r *request) error {
	t, err := b.teamOf(ctx, r, r.args)
	if err != nil || t == nil {
		return err
	}
	me := r.c.Sender().ID
	_, s, err := b.goalOf(ctx, t.ID)
	if err != nil {
		return err
	}
	if s == nil || s.Goal.Treasurer != me {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "paid_treasurer_only")})
	}
	arg := strings.TrimPrefix(stripTeam(r.args, t.ID), "#")
	if arg == "" {
		lines := []string{b.view.t(r.lang, "paid_list_head")}
		for _, p := range s.Pledges {
			if p.Status == multaque.PledgeDue && p.Amount > 0 {
				who := b.view.t(r.lang, "pledge_anonymous")
				if p.Named {
					who = esc(p.Name)
				}
				lines = append(lines, b.view.t(r.lang, "paid_list_line", "No", p.No, "Amount", p.Amount.String(), "Who", who))
			}
		}
		return b.send(ctx, r.c.Recipient(), view{Text: strings.Join(lines, "\n")})
	}
	no, err := strconv.Atoi(arg)
	if err != nil || no <= 0 {
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "paid_usage")})
	}
	_, err = b.store.MarkPaid(ctx, t.ID, no, me, b.now(), nil)
	switch multaque.ErrorCode(err) {
	case multaque.ENOTFOUND, multaque.ECONFLICT:
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "paid_not_due", "No", no)})
	}
	if err != nil {
		return err
	}
	b.wakeProgress()
	return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "paid_saved", "No", no)})
}

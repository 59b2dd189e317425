package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// The pledges room (issue 17): a team's goal, the pledges of its members
// and supporters, the funds' matches, the deadline and the treasurer.
// Multaque moves no money: it records conditional commitments and tells
// people how and when to pay. The rules are pure (multaque.Match,
// multaque.Settle); the store keeps a pledge and its match in one
// transaction, with the messages that go with it.

// PledgeStore is what the pledges room needs of the database.
type PledgeStore interface {
	Team(ctx context.Context, id string) (*multaque.Team, error)
	Teams(ctx context.Context) ([]*multaque.Team, error)
	Languages(ctx context.Context, ids []int64) (map[int64]multaque.Lang, error)
	SetGoal(ctx context.Context, g multaque.Goal, now time.Time) (*multaque.Goal, error)
	UpdateGoal(ctx context.Context, team string, fn func(g *multaque.Goal) error) (*multaque.Goal, error)
	Goal(ctx context.Context, team string) (*multaque.GoalState, error)
	Pledge(ctx context.Context, p multaque.Pledge, now time.Time, items func(p *multaque.Pledge, f *multaque.Fund, s *multaque.GoalState) []multaque.OutboxItem) (*multaque.Pledge, error)
	Withdraw(ctx context.Context, team string, person int64, now time.Time, items func(p *multaque.Pledge, f *multaque.Fund, s *multaque.GoalState) []multaque.OutboxItem) error
	PledgesOf(ctx context.Context, person int64) ([]multaque.Pledge, error)
	SetPledgeTyping(ctx context.Context, person int64, team string) error
	PledgeTyping(ctx context.Context, person int64) (string, error)
	DueGoals(ctx context.Context, now time.Time) ([]string, error)
	SettleGoal(ctx context.Context, team string, now time.Time, items func(s *multaque.GoalState) ([]multaque.OutboxItem, map[int][]multaque.OutboxItem)) (*multaque.GoalState, error)
	MarkPaid(ctx context.Context, team string, no int, by int64, now time.Time, items func(p *multaque.Pledge, f *multaque.Fund, s *multaque.GoalState) []multaque.OutboxItem) (*multaque.Pledge, error)
	TeamBonuses(ctx context.Context, team string) (multaque.Cents, []string, error)
	ProgressDue(ctx context.Context) ([]multaque.ProgressDue, error)
	ProgressShown(ctx context.Context, team string, version uint64, msg int) error
	FundStore
}

// Button actions of a pledge's screen; the arg starts with the team id.
const (
	actPledgeAmount   = "pga" // pledge an amount: arg = team,cents
	actPledgeOther    = "pgo" // type another amount or hours: arg = team
	actPledgeNamed    = "pgn" // named in the group, or anonymous: arg = team
	actPledgeWithdraw = "pgw" // withdraw the pledge: arg = team
)

// pledgeAmounts are the amounts offered as buttons, in cents.
var pledgeAmounts = []multaque.Cents{500, 1000, 2000, 5000}

// onShareLink opens a team's goal for anyone who follows its share link
// (t.me/<bot>?start=g_<team>): a supporter need not be a citizen.
func (b *pledges) onShareLink(ctx context.Context, c *tg.Context, team string, lang multaque.Lang) error {
	return b.showGoal(ctx, c, team, lang, "", false)
}

// onPledgeCommand is /pledge: the goals of the person's teams.
func (b *pledges) onPledgeCommand(ctx context.Context, r *request) error {
	t, err := b.teamOf(ctx, r, r.args)
	if err != nil || t == nil {
		return err
	}
	return b.showGoal(ctx, r.c, t.ID, r.lang, "", false)
}

// showGoal sends (or, from a button, edits) the pledge screen of team's
// goal, with problem (a message key) on top if not "".
func (b *pledges) showGoal(ctx context.Context, c *tg.Context, team string, lang multaque.Lang, problem string, edit bool) error {
	t, s, err := b.goalOf(ctx, team)
	if err != nil {
		return err
	}
	if s == nil {
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "pledge_no_goal")})
	}
	v := b.goalScreen(lang, t, s, c.Sender().ID, problem)
	if edit {
		return b.edit(ctx, c, v)
	}
	return b.send(ctx, c.Recipient(), v)
}

// goalOf reads a team and its goal (nil if it has none).
func (b *pledges) goalOf(ctx context.Context, team string) (*multaque.Team, *multaque.GoalState, error) {
	t, err := b.store.Team(ctx, team)
	if err != nil {
		return nil, nil, err
	}
	s, err := b.store.Goal(ctx, team)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return t, nil, nil
	}
	return t, s, err
}

// goalScreen is the pledge screen: the goal, its progress, the person's
// pledge, and the buttons to pledge while it is open.
func (b *pledges) goalScreen(lang multaque.Lang, t *multaque.Team, s *multaque.GoalState, person int64, problem string) view {
	var lines []string
	if problem != "" {
		lines = append(lines, b.view.t(lang, problem), "")
	}
	lines = append(lines, b.goalLines(lang, t, s)...)
	mine := findPledge(s.Pledges, person)
	if mine != nil {
		lines = append(lines, "", b.pledgeLine(lang, mine))
	}
	if s.Goal.Status != multaque.GoalOpen || !b.now().Before(s.Goal.Deadline) {
		return view{Text: strings.Join(lines, "\n")}
	}
	lines = append(lines, "", b.view.t(lang, "pledge_terms"))
	var amounts []tg.InlineButton
	for _, a := range pledgeAmounts {
		amounts = append(amounts, cb(a.String()+" €", button{Action: actPledgeAmount, Arg: t.ID + "," + strconv.FormatInt(int64(a), 10)}))
	}
	named := "btn_pledge_anonymous"
	if mine != nil && mine.Named {
		named = "btn_pledge_named"
	}
	rows := [][]tg.InlineButton{amounts,
		{cb(b.view.t(lang, "btn_pledge_other"), button{Action: actPledgeOther, Arg: t.ID})},
		{cb(b.view.t(lang, named), button{Action: actPledgeNamed, Arg: t.ID})},
	}
	if mine != nil {
		rows = append(rows, []tg.InlineButton{cb(b.view.t(lang, "btn_pledge_withdraw"), button{Action: actPledgeWithdraw, Arg: t.ID})})
	}
	return view{Text: strings.Join(lines, "\n"), Markup: keyboard(rows...)}
}

// goalLines describe a goal and its progress, as the pledge screen, /me
// and the group show them.
func (b *pledges) goalLines(lang multaque.Lang, t *multaque.Team, s *multaque.GoalState) []string {
	g, p := &s.Goal, s.Progress
	out := []string{
		b.view.t(lang, "pledge_goal_title", "Project", esc(b.nameOfProject(lang, t.Project)), "Community", esc(b.nameOfCommunity(lang, t.Community))),
		"<i>" + esc(g.Purpose) + "</i>",
		b.view.t(lang, "pledge_goal_line", "Min", g.Min.String(), "Deadline", g.Deadline.Format("2006-01-02")),
	}
	if g.Optimum > 0 {
		out = append(out, b.view.t(lang, "pledge_goal_optimum", "Optimum", g.Optimum.String()))
	}
	if g.Hours > 0 {
		out = append(out, b.view.t(lang, "pledge_goal_hours", "Hours", g.Hours, "Pledged", p.Hours))
	}
	out = append(out, b.view.t(lang, "pledge_progress", "Pledged", p.Pledged.String(), "Matched", p.Matched.String(),
		"Bonus", p.Bonus.String(), "Total", p.Total().String(), "Min", g.Min.String(), "Count", p.Pledgers))
	switch g.Status {
	case multaque.GoalOpen:
		days := int(g.Deadline.Sub(b.now()).Hours()/24 + 0.999)
		out = append(out, b.view.t(lang, "pledge_days_left", "Count", max(days, 0)))
	case multaque.GoalMet:
		out = append(out, b.view.t(lang, "pledge_status_met", "Paid", p.Paid.String(), "Pledged", p.Pledged.String(), "PaidBy", p.PaidBy, "Count", p.Pledgers))
	case multaque.GoalMissed:
		out = append(out, b.view.t(lang, "pledge_status_missed"))
	}
	return out
}

// pledgeLine says what a person pledged and how it was matched.
func (b *pledges) pledgeLine(lang multaque.Lang, p *multaque.Pledge) string {
	how := "pledge_yours_anonymous"
	if p.Named {
		how = "pledge_yours_named"
	}
	line := b.view.t(lang, how, "What", b.pledgeWhat(lang, p), "No", p.No)
	switch {
	case p.Match > 0:
		line += "\n" + b.view.t(lang, "pledge_matched", "Match", p.Match.String())
	case p.Amount > 0 && p.Status == multaque.PledgeOpen:
		line += "\n" + b.view.t(lang, "pledge_not_matched")
	}
	return line
}

// pledgeWhat says what a pledge is: money, hours or both.
func (b *pledges) pledgeWhat(lang multaque.Lang, p *multaque.Pledge) string {
	switch {
	case p.Hours == 0:
		return b.view.t(lang, "pledge_what_money", "Amount", p.Amount.String())
	case p.Amount == 0:
		return b.view.t(lang, "pledge_what_hours", "Hours", p.Hours)
	}
	return b.view.t(lang, "pledge_what_both", "Amount", p.Amount.String(), "Hours", p.Hours)
}

func findPledge(ps []multaque.Pledge, person int64) *multaque.Pledge {
	for i := range ps {
		if ps[i].Person == person && person != 0 {
			return &ps[i]
		}
	}
	return nil
}

// onPledgeButton answers the pledge screen's buttons.
func (b *pledges) onPledgeButton(ctx context.Context, r *request) error {
	team, arg, _ := strings.Cut(r.bt.Arg, ",")
	if !multaque.ValidID(team) {
		return b.stale(ctx, r.c, r.lang)
	}
	_ = r.c.Respond()
	t, s, err := b.goalOf(ctx, team)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && s == nil {
		return b.stale(ctx, r.c, r.lang)
	}
	if err != nil {
		return err
	}
	me := r.c.Sender()
	mine := findPledge(s.Pledges, me.ID)
	switch r.bt.Action {
	case actPledgeAmount:
		c, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || c <= 0 || multaque.Cents(c) > multaque.MaxCents {
			return b.stale(ctx, r.c, r.lang)
		}
		hours, named := 0, false
		if mine != nil {
			hours, named = mine.Hours, mine.Named
		}
		return b.pledge(ctx, r, t, multaque.Cents(c), hours, named, true)
	case actPledgeOther:
		if err := b.store.SetPledgeTyping(ctx, me.ID, team); err != nil {
			return err
		}
		return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "pledge_type_amount")})
	case actPledgeNamed:
		if mine == nil {
			return b.showGoal(ctx, r.c, team, r.lang, "pledge_first", true)
		}
		return b.pledge(ctx, r, t, mine.Amount, mine.Hours, !mine.Named, true)
	case actPledgeWithdraw:
		if mine == nil {
			return b.showGoal(ctx, r.c, team, r.lang, "", true)
		}
		err := b.store.Withdraw(ctx, team, me.ID, b.now(), nil)
		if multaque.ErrorCode(err) == multaque.ECONFLICT {
			return b.showGoal(ctx, r.c, team, r.lang, "pledge_closed", true)
		}
		if err != nil {
			return err
		}
		b.wakeProgress()
		return b.showGoal(ctx, r.c, team, r.lang, "pledge_withdrawn", true)
	}
	return b.stale(ctx, r.c, r.lang)
}

// onPledgeText takes a typed amount ("20", "12,50"), hours ("5h") or both
// ("20 5h") for the goal the person chose "other amount" on.
func (b *pledges) onPledgeText(ctx context.Context, c *tg.Context, text string) (bool, error) {
	me := c.Sender()
	team, err := b.store.PledgeTyping(ctx, me.ID)
	if err != nil || team == "" {
		return false, err
	}
	r := &request{c: c, lang: b.langOf(ctx, c)}
	if cz, err := b.core.store.Citizen(ctx, me.ID); err == nil {
		r.cz = cz
	}
	// The wait ends with this text, understood or not, so that nobody is
	// held in it: a wrong amount is answered, and "other amount" asks again.
	if err := b.store.SetPledgeTyping(ctx, me.ID, ""); err != nil {
		return true, err
	}
	amount, hours, ok := parsePledgeText(text)
	if !ok {
		return true, b.showGoal(ctx, c, team, r.lang, "pledge_bad_amount", false)
	}
	t, s, err := b.goalOf(ctx, team)
	if err != nil || s == nil {
		return true, err
	}
	named := false
	if mine := findPledge(s.Pledges, me.ID); mine != nil {
		named = mine.Named
	}
	return true, b.pledge(ctx, r, t, amount, hours, named, false)
}

// parsePledgeText reads "20", "20,50 €", "5h", "20 5h".
func parsePledgeText(s string) (multaque.Cents, int, bool) {
	var amount multaque.Cents
	var hours int
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 || len(f) > 3 {
		return 0, 0, false
	}
	for _, w := range f {
		if h, ok := strings.CutSuffix(w, "h"); ok && h != "" {
			n, err := strconv.Atoi(h)
			if err != nil || n <= 0 || n > multaque.MaxHours || hours != 0 {
				return 0, 0, false
			}
			hours = n
			continue
		}
		if w == "€" {
			continue
		}
		c, err := multaque.ParseCents(w)
		if err != nil || amount != 0 {
			return 0, 0, false
		}
		amount = c
	}
	return amount, hours, amount > 0 || hours > 0
}

// pledge records the person's pledge and shows them where it stands; its
// message to the group commits with it.
func (b *pledges) pledge(ctx context.Context, r *request, t *multaque.Team, amount multaque.Cents, hours int, named, edit bool) error {
	me := r.c.Sender()
	name := me.FirstName
	if r.cz != nil && r.cz.Name != "" {
		name = r.cz.Name
	}
	if !named {
		name = ""
	}
	p := multaque.Pledge{Team: t.ID, Person: me.ID, Name: trimRunes(name, multaque.MaxPledgerName), Named: named, Lang: r.lang,
		Amount: amount, Hours: hours, Supporter: !t.HasMember(me.ID) && t.Mentor != me.ID}
	saved, err := b.store.Pledge(ctx, p, b.now(), nil)
	switch multaque.ErrorCode(err) {
	case multaque.ECONFLICT:
		return b.showGoal(ctx, r.c, t.ID, r.lang, "pledge_closed", edit)
	case multaque.EINVALID:
		return b.showGoal(ctx, r.c, t.ID, r.lang, "pledge_bad_amount", edit)
	}
	if err != nil {
		return err
	}
	b.wakeProgress()
	problem := "pledge_saved"
	if saved.Amount > 0 && saved.Match == 0 && saved.Fund != "" {
		problem = "pledge_fund_spent"
	}
	return b.showGoal(ctx, r.c, t.ID, r.lang, problem, edit)
}

func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// teamOf finds the team a member's or mentor's command is about: the one
// named in args, else their only team. It answers them and returns nil
// when that is not clear.
func (b *pledges) teamOf(ctx context.Context, r *request, args string) (*multaque.Team, error) {
	id := r.c.Sender().ID
	teams, err := b.store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	var mine []*multaque.Team
	for _, t := range teams {
		if (t.HasMember(id) || t.Mentor == id) && t.Status != multaque.TeamClosed {
			if f := strings.Fields(args); len(f) > 0 && f[0] == t.ID {
				return t, nil
			}
			mine = append(mine, t)
		}
	}
	if len(mine) == 1 {
		return mine[0], nil
	}
	key := "pledge_no_team"
	if len(mine) > 1 {
		var ids []string
		for _, t := range mine {
			ids = append(ids, t.ID+" ("+b.nameOfProject(r.lang, t.Project)+")")
		}
		return nil, b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "pledge_which_team", "Teams", esc(strings.Join(ids, ", ")))})
	}
	return nil, b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, key)})
}

// sendMine is /me's part for a pledger: each goal they pledged to, with
// what was pledged and matched, the goal and the days left. It sends
// nothing to someone with no pledge.
func (b *pledges) sendMine(ctx context.Context, c *tg.Context, lang multaque.Lang) error {
	me := c.Sender().ID
	mine, err := b.store.PledgesOf(ctx, me)
	if err != nil || len(mine) == 0 {
		return err
	}
	var parts []string
	for _, p := range mine {
		t, s, err := b.goalOf(ctx, p.Team)
		if err != nil || s == nil {
			return err
		}
		parts = append(parts, strings.Join(b.goalLines(lang, t, s), "\n")+"\n"+b.pledgeLine(lang, &p))
	}
	return b.send(ctx, c.Recipient(), view{Text: fitLines(parts, maxMessageLen)})
}

package bot

// /plan in a team's group: the plan shown again (as a new pinned message),
// a step of the team's own, a step taken on with a due day, the first
// meeting held (which starts a team), and the
// decisions on the team's stage (launched, paused, started again,
// dissolved), which only its mentor and the coordinators who oversee it
// make. Answers go to the group in its language, within its pace.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// onGroupPlan is /plan typed in a team's group (a groupRoute of the route
// table); in any other group it does nothing.
func (b *plans) onGroupPlan(ctx context.Context, c *tg.Context, _, args string) error {
	m := c.Message()
	t, err := b.store.TeamByChat(ctx, m.Chat.ID)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && t.Status != multaque.TeamActive {
		return nil
	} else if err != nil {
		return err
	}
	return b.onPlanCommand(ctx, c, t, m.Sender.ID, args)
}

// onPlanInPrivate is /plan in a private chat: it lives in the team's group.
func (b *plans) onPlanInPrivate(ctx context.Context, r *request) error {
	return b.send(ctx, r.c.Recipient(), view{Text: b.view.t(r.lang, "plan_in_group")})
}

// onPlanCommand runs /plan <args> of person in t's group.
func (b *plans) onPlanCommand(ctx context.Context, c *tg.Context, t *multaque.Team, person int64, args string) error {
	lang := b.groupLangOf(ctx, t)
	p, err := b.ensure(ctx, t)
	if err != nil {
		return err
	}
	say := func(id string, kv ...any) error {
		return b.send(ctx, t.Chat, view{Text: b.view.t(lang, id, kv...)})
	}
	sub, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	now := b.now()
	switch strings.ToLower(sub) {
	case "":
		return b.show(ctx, t, true)
	case "add", "take", "due", "met", "give":
		if !canTick(t, person) {
			return say("plan_members_only")
		}
	case "launch", "pause", "resume", "dissolve":
		ok, err := b.decides(ctx, t, person)
		if err != nil {
			return err
		}
		if !ok {
			return say("plan_mentor_only")
		}
	default:
		return say("plan_usage")
	}
	var reply string
	var replyKV []any
	var reached multaque.Stage
	var giveTo int64 // /plan give: the member named
	if strings.EqualFold(sub, "give") {
		n, rest2, _ := strings.Cut(rest, " ")
		name, date := splitDate(strings.TrimSpace(rest2))
		var ok bool
		if giveTo, ok = b.memberNamed(ctx, t, name); !ok {
			return say("plan_no_such_member")
		}
		rest = strings.TrimSpace(n + " " + date)
	}
	change := func(p *multaque.Plan) error {
		switch strings.ToLower(sub) {
		case "add":
			s, err := p.Add(rest, now)
			if err != nil {
				return err
			}
			reply, replyKV = "plan_added", []any{"N", len(p.Steps), "Step", esc(s.Text)}
		case "met":
			if err := p.Met(person, now); err != nil {
				return err
			}
			reached = multaque.StageStarted
		case "take", "due", "give":
			n, date, _ := strings.Cut(rest, " ")
			st, due, ok := stepAt(p, n, strings.TrimSpace(date))
			if !ok || sub == "due" && due.IsZero() {
				return multaque.Errorf(multaque.EINVALID, "plan: bad step or date")
			}
			owner := st.Owner
			switch sub {
			case "take", "give":
				owner = person
				if sub == "give" {
					owner = giveTo
				}
				if due.IsZero() {
					due = st.Due
				}
			}
			if err := p.Assign(st.ID, owner, due, now); err != nil {
				return err
			}
			reply, replyKV = "plan_assigned", []any{"N", n}
		default:
			stage := map[string]multaque.Stage{"launch": multaque.StageLaunched, "pause": multaque.StagePaused,
				"resume": multaque.StageStarted, "dissolve": multaque.StageDissolved}[strings.ToLower(sub)]
			if err := p.Decide(stage, person, rest, now); err != nil {
				return err
			}
			reached = stage
		}
		return nil
	}
	_, err = b.store.UpdatePlan(ctx, t.ID, now, change, func(p *multaque.Plan) []multaque.OutboxItem {
		return b.stageItems(t, p, reached, lang)
	})
	switch multaque.ErrorCode(err) {
	case "":
	case multaque.EINVALID:
		return say("plan_usage")
	case multaque.ECONFLICT:
		return say("plan_cannot", "Stage", b.stageName(lang, p.Stage()))
	default:
		return err
	}
	b.planChanged(t.ID)
	if c, _ := b.coordinator(ctx, person); c != nil && reached != "" {
		_ = b.auditEntry(ctx, multaque.AuditEntry{Actor: person, Command: "plan", Detail: t.ID + " " + string(reached)})
	}
	if reply == "" {
		return nil
	}
	return say(reply, replyKV...)
}

// splitDate splits "<words> [YYYY-MM-DD]" into the words and the date.
func splitDate(s string) (words, date string) {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		if _, err := time.Parse("2006-01-02", s[i+1:]); err == nil {
			return strings.TrimSpace(s[:i]), s[i+1:]
		}
	}
	return s, ""
}

// memberNamed is the one member of t whose name (as they gave it) is name,
// in any case; false if none or several are.
func (b *plans) memberNamed(ctx context.Context, t *multaque.Team, name string) (int64, bool) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	var found int64
	n := 0
	for _, m := range t.Members {
		if given := b.personName(ctx, m.Citizen); given != "" && strings.EqualFold(given, name) {
			found, n = m.Citizen, n+1
		}
	}
	return found, n == 1
}

// decides reports whether person decides on t's stage: its mentor, or a
// coordinator who oversees its community.
func (b *plans) decides(ctx context.Context, t *multaque.Team, person int64) (bool, error) {
	if t.Mentor == person {
		return true, nil
	}
	coord, err := b.coordinator(ctx, person)
	if err != nil || coord == nil {
		return false, err
	}
	return b.oversees(coord, t.Community), nil
}

// stepAt reads "<n>" (a step's number as the plan shows it) and an
// optional date (YYYY-MM-DD).
func stepAt(p *multaque.Plan, n, date string) (*multaque.Step, time.Time, bool) {
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || i > len(p.Steps) {
		return nil, time.Time{}, false
	}
	var due time.Time
	if date != "" {
		if due, err = time.Parse("2006-01-02", date); err != nil {
			return nil, time.Time{}, false
		}
	}
	return &p.Steps[i-1], due, true
}

package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// The route table is the one place that says where an update goes: every
// command (citizens', mentors', coordinators'), every button action and
// every conversation that waits for typed text, each with the room that
// answers it. The command menus and /help are made from it, and New refuses
// a table with a key twice or a listed command without its texts
// (routes.check).

// request is what a route's handler is given: the update, who sent it and
// in what language to answer, and what the command or the button said.
type request struct {
	c    *tg.Context
	cz   *multaque.Citizen // the sender's record; nil before consent
	lang multaque.Lang     // the language to answer in
	args string            // a command's arguments
	bt   button            // a pressed button's data
}

// menu says in which command menu, if any, a command is listed.
type menu int

const (
	// unlisted commands are answered but in no menu; the route says why.
	unlisted menu = iota
	// citizenMenu is every private chat's menu, and /help.
	citizenMenu
	// coordinatorMenu is added to the citizens' in coordinators' chats.
	coordinatorMenu
)

// commandRoute is a command: a handler for everyone (run), or a
// coordinators' command (admin) that runs only after the access check.
type commandRoute struct {
	name   string
	menu   menu
	why    string // for an unlisted command: how people learn of it
	run    func(ctx context.Context, r *request) error
	admin  func(ctx context.Context, a *adminCall) error
	hidden bool // not in /help (it is what /help is)
}

// buttonRoute is a button action.
type buttonRoute struct {
	action string
	run    func(ctx context.Context, r *request) error
}

// textRoute is a conversation that waits for typed text: it takes the text
// and reports whether it did; text it does not take goes to the survey.
type textRoute struct {
	awaiting multaque.Awaiting
	run      func(ctx context.Context, c *tg.Context, text string) (bool, error)
}

// groupRoute is a command typed in a team's group (commands elsewhere in
// a group are not the bot's business).
type groupRoute struct {
	name string
	run  func(ctx context.Context, c *tg.Context, cmd, args string) error
}

// routes is the route table, checked and indexed.
type routes struct {
	commands []commandRoute // in menu order
	groups   map[string]groupRoute
	grouped  []string // the group commands, in table order: the groups' menu
	byName   map[string]commandRoute
	buttons  map[string]buttonRoute
	texts    map[multaque.Awaiting]textRoute
}

// routeTable is the bot's route table.
func (b *Bot) routeTable() []any {
	cz, tm, mt, rl, rp, st, pr, bc := b.citizens, b.teams, b.mentors, b.roles, b.reports, b.steering, b.proposals, b.broadcasts
	dc, pl := b.decisions, b.plans
	return []any{
		// The citizens' menu, in its order; /help lists it.
		commandRoute{name: "start", menu: citizenMenu, run: cz.onStartCommand},
		commandRoute{name: "projects", menu: citizenMenu, run: cz.onProjects},
		commandRoute{name: "me", menu: citizenMenu, run: cz.onMe},
		commandRoute{name: "settings", menu: citizenMenu, run: cz.onSettings},
		commandRoute{name: "leave", menu: citizenMenu, run: tm.onLeaveCommand},
		commandRoute{name: "propose", menu: citizenMenu, run: pr.onProposeCommand},
		commandRoute{name: "privacy", menu: citizenMenu, run: cz.onPrivacyCommand},
		commandRoute{name: "mydata", menu: citizenMenu, run: cz.onMyDataCommand},
		commandRoute{name: "forget", menu: citizenMenu, run: cz.onForgetCommand},
		commandRoute{name: "cancel", menu: citizenMenu, run: cz.onCancel},
		commandRoute{name: "help", menu: citizenMenu, run: cz.onHelp, hidden: true},
		commandRoute{name: "pledge", why: "team members and supporters learn it from the team's goal and its share link", run: b.pledges.onPledgeCommand},
		commandRoute{name: "goal", why: "team members learn it from the team's welcome and the README", run: b.pledges.onGoalCommand},
		commandRoute{name: "payinfo", why: "/goal asks for it", run: b.pledges.onPayInfoCommand},
		commandRoute{name: "treasurer", why: "/goal and the met goal's message tell the team", run: b.pledges.onTreasurerCommand},
		commandRoute{name: "paid", why: "the treasurer learns it from /treasurer", run: b.pledges.onPaidCommand},

		commandRoute{name: "mentor", why: "mentors learn it when they accept their invite", run: mt.onMentorCommand},
		commandRoute{name: "claim", why: "the operator reads the setup code in the log", run: rl.onClaim},
		commandRoute{name: "decide", why: "a team's members learn it in their group (/decisions), where it is typed most", run: dc.onDecideCommand},
		commandRoute{name: "plan", why: "it belongs in a team's group, whose pinned plan says so; here it says so", run: pl.onPlanInPrivate},

		// Commands typed in a team's group.
		groupRoute{"decide", dc.onGroupCommand},
		groupRoute{"decisions", dc.onGroupCommand},
		groupRoute{"plan", pl.onGroupPlan},

		// The coordinators' menu, in its order.
		commandRoute{name: "stats", menu: coordinatorMenu, admin: rp.runStats},
		commandRoute{name: "chart", menu: coordinatorMenu, admin: rp.runChart},
		commandRoute{name: "export", menu: coordinatorMenu, admin: rp.runExport},
		commandRoute{name: "mentorinvite", menu: coordinatorMenu, admin: st.noArgs("/mentorinvite", mt.onMentorInvite)},
		commandRoute{name: "pool", menu: coordinatorMenu, admin: st.noArgs("/pool", st.onPool)},
		commandRoute{name: "match", menu: coordinatorMenu, admin: st.noArgs("/match", st.onMatch)},
		commandRoute{name: "mentors", menu: coordinatorMenu, admin: st.noArgs("/mentors", st.onMentors)},
		commandRoute{name: "teams", menu: coordinatorMenu, admin: pl.runTeams},
		commandRoute{name: "team", menu: coordinatorMenu, admin: pl.runTeam},
		commandRoute{name: "threshold", menu: coordinatorMenu, admin: pr.onThreshold},
		commandRoute{name: "proposals", menu: coordinatorMenu, admin: pr.onProposals},
		commandRoute{name: "translate", menu: coordinatorMenu, admin: pr.onTranslate},
		commandRoute{name: "broadcast", menu: coordinatorMenu, admin: bc.onBroadcast},
		commandRoute{name: "coordinatorinvite", menu: coordinatorMenu, admin: rl.runCoordinatorInvite},
		commandRoute{name: "coordinators", menu: coordinatorMenu, admin: rl.runCoordinators},
		commandRoute{name: "removecoordinator", menu: coordinatorMenu, admin: rl.runRemoveCoordinator},
		commandRoute{name: "scope", menu: coordinatorMenu, admin: rl.runScope},
		commandRoute{name: "audit", menu: coordinatorMenu, admin: rl.runAudit},
		commandRoute{name: "funds", menu: coordinatorMenu, admin: b.pledges.runFunds},
		commandRoute{name: "fund", menu: coordinatorMenu, admin: b.pledges.runFund},

		// Buttons of the survey, /me, /settings, /projects and /forget.
		buttonRoute{actLang, cz.onLanguageOrConsent},
		buttonRoute{actConsent, cz.onLanguageOrConsent},
		buttonRoute{actDecline, cz.onLanguageOrConsent},
		buttonRoute{actBrowse, cz.onSurveyButton},
		buttonRoute{actPick, cz.onSurveyButton},
		buttonRoute{actToggle, cz.onSurveyButton},
		buttonRoute{actMore, cz.onSurveyButton},
		buttonRoute{actDone, cz.onSurveyButton},
		buttonRoute{actInterestsPage, cz.onSurveyButton},
		buttonRoute{actSettings, cz.onSurveyButton},
		buttonRoute{actSummary, cz.onSurveyButton},
		buttonRoute{actProject, cz.onProjectButton},
		buttonRoute{actWant, cz.onWantButton},
		buttonRoute{actForget, cz.onForgetButton},
		buttonRoute{actKeep, cz.onKeep},
		// A team's.
		buttonRoute{actLeaveTeam, tm.onLeaveButton},
		// A mentor's onboarding and /mentor.
		buttonRoute{actMentorAgree, mt.onMentorButton},
		buttonRoute{actMentorDecline, mt.onMentorButton},
		buttonRoute{actMentorProject, mt.onMentorButton},
		buttonRoute{actMentorProjects, mt.onMentorButton},
		buttonRoute{actMentorBrowse, mt.onMentorButton},
		buttonRoute{actMentorProjectsPage, mt.onMentorButton},
		buttonRoute{actMentorCommunity, mt.onMentorButton},
		buttonRoute{actMentorEverywhere, mt.onMentorButton},
		buttonRoute{actMentorCommunities, mt.onMentorButton},
		buttonRoute{actMentorCapacity, mt.onMentorButton},
		buttonRoute{actMentorEdit, mt.onMentorButton},
		buttonRoute{actMentorPause, mt.onMentorButton},
		buttonRoute{actMentorShow, mt.onMentorButton},
		// A proposal's, the proposer's and the coordinators'.
		buttonRoute{actProposalSend, pr.onProposalButton},
		buttonRoute{actProposalDiscard, pr.onProposalButton},
		buttonRoute{actProposalEdit, pr.onProposalButton},
		buttonRoute{actProposalOpen, pr.onProposalButton},
		buttonRoute{actProposalApprove, pr.onProposalButton},
		buttonRoute{actProposalChanges, pr.onProposalButton},
		buttonRoute{actProposalReject, pr.onProposalButton},
		buttonRoute{actProposalRejectNow, pr.onProposalButton},
		// A broadcast's preview.
		buttonRoute{actBroadcastSend, bc.onBroadcastButton},
		buttonRoute{actBroadcastCancel, bc.onBroadcastButton},
		// A team's plan, in its group; a mentor's check-in; /teams.
		buttonRoute{actPlanTick, pl.onTick},
		buttonRoute{actPlanCheckIn, pl.onCheckIn},
		buttonRoute{actPlanTeam, pl.onTeamButton},
		// A goal's pledge screen (pledges.go).
		buttonRoute{actPledgeAmount, b.pledges.onPledgeButton},
		buttonRoute{actPledgeOther, b.pledges.onPledgeButton},
		buttonRoute{actPledgeNamed, b.pledges.onPledgeButton},
		buttonRoute{actPledgeWithdraw, b.pledges.onPledgeButton},

		// A decision's walk-through.
		buttonRoute{actDecideTeam, dc.onDecideButton},
		buttonRoute{actDecideKind, dc.onDecideButton},
		buttonRoute{actDecideAnswers, dc.onDecideButton},
		buttonRoute{actDecideClose, dc.onDecideButton},
		buttonRoute{actDecidePost, dc.onDecideButton},
		buttonRoute{actDecideCancel, dc.onDecideButton},
		buttonRoute{actDecideNow, dc.onDecideButton},

		// What waits for typed text (store: Awaiting); anything else is the
		// survey's.
		textRoute{multaque.AwaitBroadcast, bc.onBroadcastText},
		textRoute{multaque.AwaitProposal, pr.onProposalInput},
		textRoute{multaque.AwaitDecision, dc.onDecisionText},
		textRoute{multaque.AwaitCheckInNote, pl.onCheckInNote},
		textRoute{multaque.AwaitPledge, b.pledges.onPledgeText},
	}
}

// newRoutes indexes a route table, refusing a key that is there twice and
// a listed command without the texts its menu and /help need in every
// language.
func newRoutes(table []any, texts Texts) (*routes, error) {
	rt := &routes{byName: map[string]commandRoute{}, groups: map[string]groupRoute{}, buttons: map[string]buttonRoute{}, texts: map[multaque.Awaiting]textRoute{}}
	for _, e := range table {
		switch r := e.(type) {
		case commandRoute:
			if _, dup := rt.byName[r.name]; dup {
				return nil, fmt.Errorf("route table: command /%s twice", r.name)
			}
			if (r.run == nil) == (r.admin == nil) {
				return nil, fmt.Errorf("route table: /%s needs one handler", r.name)
			}
			if r.menu == unlisted && r.why == "" {
				return nil, fmt.Errorf("route table: /%s is in no menu and does not say why", r.name)
			}
			if (r.admin != nil) != (r.menu == coordinatorMenu) {
				return nil, fmt.Errorf("route table: /%s: coordinators' commands, and only they, go in their menu", r.name)
			}
			for _, lang := range multaque.Languages {
				if r.menu != unlisted && !hasText(texts, lang, "cmd_"+r.name) {
					return nil, fmt.Errorf("route table: /%s has no menu description (cmd_%s) in %s", r.name, r.name, lang)
				}
				if r.menu == citizenMenu && !r.hidden && !hasText(texts, lang, "help_"+r.name) {
					return nil, fmt.Errorf("route table: /%s has no line in /help (help_%s) in %s", r.name, r.name, lang)
				}
			}
			rt.byName[r.name] = r
			rt.commands = append(rt.commands, r)
		case buttonRoute:
			if _, dup := rt.buttons[r.action]; dup {
				return nil, fmt.Errorf("route table: button action %q twice", r.action)
			}
			if r.action == "" || strings.Contains(r.action, callbackSplit) {
				return nil, fmt.Errorf("route table: bad button action %q", r.action)
			}
			rt.buttons[r.action] = r
		case groupRoute:
			if _, dup := rt.groups[r.name]; dup || r.run == nil {
				return nil, fmt.Errorf("route table: group command /%s twice or without a handler", r.name)
			}
			for _, lang := range multaque.Languages {
				if !hasText(texts, lang, "cmd_"+r.name) {
					return nil, fmt.Errorf("route table: group command /%s has no menu description (cmd_%s) in %s", r.name, r.name, lang)
				}
			}
			rt.groups[r.name] = r
			rt.grouped = append(rt.grouped, r.name)
		case textRoute:
			if _, dup := rt.texts[r.awaiting]; dup || r.awaiting == multaque.AwaitNothing {
				return nil, fmt.Errorf("route table: awaited text %q twice or empty", r.awaiting)
			}
			rt.texts[r.awaiting] = r
		default:
			return nil, fmt.Errorf("route table: %T is no route", e)
		}
	}
	return rt, nil
}

// hasText reports whether texts has message id in lang (a missing message
// comes back as its id, in brackets).
func hasText(texts Texts, lang multaque.Lang, id string) bool {
	t := texts.Text(lang, id, nil)
	return t != "" && t != id && t != "["+id+"]"
}

// names lists the commands of menu m, in order.
func (rt *routes) names(m menu) []string {
	var out []string
	for _, r := range rt.commands {
		if r.menu == m {
			out = append(out, r.name)
		}
	}
	return out
}

// route sends an update to its handler: groups' and members' updates to
// the teams' room, a person's blocking to the citizens', poll answers to
// the decisions', commands typed in a group to the table's group commands,
// and everything a person does in their private chat through the route
// table. Other updates of groups are not the bot's business.
func (b *Bot) route(ctx context.Context, c *tg.Context) error {
	u := c.Update()
	switch {
	case u.Callback != nil:
		return b.onButton(ctx, c)
	case u.MyChatMember != nil && u.MyChatMember.Chat != nil && u.MyChatMember.Chat.Type != tg.ChatPrivate:
		return b.teams.onGroupMembership(ctx, c)
	case u.MyChatMember != nil:
		return b.citizens.onMyChatMember(ctx, c)
	case u.ChatJoinRequest != nil:
		return b.teams.onJoinRequest(ctx, c)
	case u.ChatMember != nil:
		return b.teams.onChatMember(ctx, c)
	case u.Message != nil && u.Message.Chat != nil && (u.Message.MigrateTo != 0 || u.Message.MigrateFrom != 0):
		return b.teams.onGroupMessage(ctx, c)
	case u.PollAnswer != nil:
		return b.decisions.onPollAnswer(ctx, c)
	case u.Message != nil && u.Message.Chat != nil && u.Message.Chat.Type != tg.ChatPrivate && u.Message.Sender != nil && strings.HasPrefix(u.Message.Text, "/"):
		return b.onGroupCommand(ctx, c)
	case u.Message == nil || u.Message.Chat == nil || u.Message.Chat.Type != tg.ChatPrivate || u.Message.Sender == nil:
		return nil
	}
	m := u.Message
	b.roles.showMenu(ctx, m.Sender.ID)
	switch {
	case m.Location != nil:
		return b.citizens.onInput(ctx, c, Input{Location: &Location{Lat: m.Location.Lat, Lon: m.Location.Lng}})
	case strings.HasPrefix(m.Text, "/"):
		cmd, args := parseCommand(m.Text)
		if i := strings.IndexByte(cmd, '@'); i >= 0 {
			if !strings.EqualFold(cmd[i+1:], b.username) {
				return nil // a command for another bot
			}
			cmd = cmd[:i]
		}
		return b.onCommand(ctx, c, strings.ToLower(cmd), args)
	case m.Text != "":
		return b.onText(ctx, c, m.Text)
	default:
		return b.citizens.reply(ctx, c, nil, Reply{Screen: ScreenHelp, Lang: b.langOf(ctx, c), Problem: problemUseText}, nil)
	}
}

// onGroupCommand runs a command typed in a group through the route table;
// commands the table does not know, or for another bot, are ignored.
func (b *Bot) onGroupCommand(ctx context.Context, c *tg.Context) error {
	cmd, args := parseCommand(c.Update().Message.Text)
	if i := strings.IndexByte(cmd, '@'); i >= 0 {
		if !strings.EqualFold(cmd[i+1:], b.username) {
			return nil
		}
		cmd = cmd[:i]
	}
	cmd = strings.ToLower(cmd)
	if route, ok := b.routes.groups[cmd]; ok {
		return route.run(ctx, c, cmd, args)
	}
	return nil
}

// request reads who sent c's update: their record, if they consented, and
// the language to answer in (theirs, else their Telegram's).
func (b *Bot) request(ctx context.Context, c *tg.Context, sender *tg.User) (*request, error) {
	cz, err := b.citizen(ctx, sender.ID)
	if err != nil {
		return nil, err
	}
	r := &request{c: c, cz: cz, lang: MatchLanguage(sender.LanguageCode)}
	if cz != nil {
		r.lang = cz.Lang
	}
	return r, nil
}

// onCommand runs a command through the route table: a coordinators'
// command after the access check; an unknown one gets /help.
func (b *Bot) onCommand(ctx context.Context, c *tg.Context, cmd, args string) error {
	r, err := b.request(ctx, c, c.Sender())
	if err != nil {
		return err
	}
	r.args = args
	route, ok := b.routes.byName[cmd]
	switch {
	case !ok:
		return b.citizens.reply(ctx, c, r.cz, Reply{Screen: ScreenHelp, Lang: r.lang, Problem: "unknown_command"}, nil)
	case route.admin != nil:
		return b.roles.onAdminCommand(ctx, c, adminCommand{name: route.name, run: route.admin}, args, r.lang)
	}
	return route.run(ctx, r)
}

// onButton runs a button press through the route table. A press whose data
// this bot did not draw (forged, or from an older version) has expired.
func (b *Bot) onButton(ctx context.Context, c *tg.Context) error {
	cq := c.Callback()
	if cq.Sender == nil {
		return nil // a press of nobody's: nothing to answer
	}
	r, err := b.request(ctx, c, cq.Sender)
	if err != nil {
		return err
	}
	bt, ok := decodeButton(cq.Data)
	route, known := b.routes.buttons[bt.Action]
	if !ok || !known {
		return b.stale(ctx, c, r.lang)
	}
	r.bt = bt
	return route.run(ctx, r)
}

// onText gives typed text to the conversation that waits for it (one
// look-up: store's Awaiting), else to the survey.
func (b *Bot) onText(ctx context.Context, c *tg.Context, text string) error {
	awaiting, err := b.store.Awaiting(ctx, c.Sender().ID)
	if err != nil {
		return err
	}
	if route, ok := b.routes.texts[awaiting]; ok {
		if done, err := route.run(ctx, c, text); done || err != nil {
			return err
		}
	}
	return b.citizens.onInput(ctx, c, Input{Text: text})
}

// PublishCommands sets the command menu of private chats in each language,
// and once without a language for everyone else (in English); then each
// coordinator's chat gets the coordinators' menu. Both come from the route
// table.
func (b *Bot) PublishCommands() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, lang := range multaque.Languages {
		if err := b.wire.SetCommands(ctx, b.menu(lang, citizenMenu), tg.ScopeAllPrivateChats, 0, string(lang)); err != nil {
			return fmt.Errorf("set commands %s: %w", lang, err)
		}
	}
	if err := b.wire.SetCommands(ctx, b.menu(multaque.English, citizenMenu), tg.ScopeAllPrivateChats, 0, ""); err != nil {
		return fmt.Errorf("set commands: %w", err)
	}
	// Groups' menu: the commands typed in a team's group (/decide...).
	for _, lang := range append(slices.Clone(multaque.Languages), "") {
		var cmds []tg.Command
		for _, name := range b.routes.grouped {
			cmds = append(cmds, tg.Command{Text: name, Description: b.view.t(cmp.Or(lang, multaque.English), "cmd_"+name)})
		}
		if err := b.wire.SetCommands(ctx, cmds, scopeAllGroupChats, 0, string(lang)); err != nil {
			return fmt.Errorf("set group commands %s: %w", lang, err)
		}
	}
	b.roles.publishCoordinatorMenus()
	return nil
}

// scopeAllGroupChats is the Bot API's scope of every group's command menu.
const scopeAllGroupChats = "all_group_chats"

// menu is the command menu of m in lang: the citizens', or the citizens'
// followed by the coordinators'.
func (rt *routes) menu(rd *renderer, lang multaque.Lang, m menu) []tg.Command {
	var out []tg.Command
	for _, r := range rt.commands {
		if r.menu == citizenMenu || r.menu == m && m != unlisted {
			out = append(out, tg.Command{Text: r.name, Description: rd.t(lang, "cmd_"+r.name)})
		}
	}
	return out
}

func (b *Bot) menu(lang multaque.Lang, m menu) []tg.Command { return b.routes.menu(b.view, lang, m) }

// helpLines are the commands /help lists, in menu order.
func (rt *routes) helpLines() []string {
	var out []string
	for _, r := range rt.commands {
		if r.menu == citizenMenu && !r.hidden {
			out = append(out, r.name)
		}
	}
	return slices.Clip(out)
}

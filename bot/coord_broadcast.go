package bot

// Broadcasts: a coordinator writes one message to everyone, to the people
// of a community, or to those interested in a project.
//
//	/broadcast all | community <id> | project <id> [community <id>]
//
// opens a broadcast that waits for its text: the coordinator's next text
// message (before the survey sees it). They then see the message as its
// recipients will, and how many there are, with Send and Cancel buttons.
// Nothing is sent before Send. Send marks the broadcast confirmed in one
// transaction, so that a second press (or the same update delivered twice)
// finds it confirmed and sends nothing more; its messages are then put in
// the outbox in chunks, each chunk one transaction that also moves the
// broadcast's cursor, and go out at the bulk rate. RunBroadcasts finishes
// what a confirmation did not (a broadcast to many people) and what a stop
// or a crash interrupted. /broadcast status shows how the last ones went;
// /broadcast cancel (or /cancel) drops the one not confirmed yet.
//
// A coordinator limited to some communities broadcasts only within them:
// to one of their communities, or to the people of their communities
// interested in a project; never to everyone.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
)

// BroadcastStore is what the broadcast commands need of the database (see
// AdminStore), with what the steering commands need.
type BroadcastStore interface {
	// CreateBroadcast opens a broadcast waiting for its text, cancelling
	// the coordinator's open one.
	CreateBroadcast(ctx context.Context, bc multaque.Broadcast, now time.Time) (*multaque.Broadcast, error)
	Broadcast(ctx context.Context, id uint64) (*multaque.Broadcast, error)
	// OpenBroadcast returns the coordinator's broadcast waiting for its
	// text or their confirmation, or an ENOTFOUND error.
	OpenBroadcast(ctx context.Context, by int64) (*multaque.Broadcast, error)
	PreviewBroadcast(ctx context.Context, id uint64, texts map[multaque.Lang]string, recipients int, now time.Time) (*multaque.Broadcast, error)
	// ConfirmBroadcast and CancelBroadcast return the broadcast as it is,
	// with an ECONFLICT error, when it was confirmed or cancelled before.
	ConfirmBroadcast(ctx context.Context, id uint64, now time.Time) (*multaque.Broadcast, error)
	CancelBroadcast(ctx context.Context, id uint64, now time.Time) (*multaque.Broadcast, error)
	CountBroadcastRecipients(ctx context.Context, communities []string, project string) (int, error)
	// QueueBroadcast queues one chunk of a confirmed broadcast.
	QueueBroadcast(ctx context.Context, id uint64, limit int, now time.Time) (*multaque.Broadcast, error)
	QueueingBroadcasts(ctx context.Context) ([]uint64, error)
	Broadcasts(ctx context.Context, n int, keep func(bc *multaque.Broadcast) bool) ([]multaque.Broadcast, error)
}

// Callback actions of the broadcast preview; the version is the
// broadcast's id.
const (
	actBroadcastSend   = "bcs"
	actBroadcastCancel = "bcx"
)

const (
	// broadcastChunk is how many messages one transaction queues.
	broadcastChunk = 500
	// broadcastQueueBudget is how long the confirmation queues before it
	// answers; RunBroadcasts does the rest.
	broadcastQueueBudget = 2 * time.Second
	// broadcastPoll is how often RunBroadcasts looks for broadcasts to
	// queue.
	broadcastPoll = time.Second
	// broadcastsShown is how many broadcasts /broadcast status shows.
	broadcastsShown = 5
)

// broadcastUsage is how /broadcast is written.
const broadcastUsage = "/broadcast all\n/broadcast community <id>\n/broadcast project <id> [community <id>]\n/broadcast status\n/broadcast cancel"

// broadcastArgs is a parsed /broadcast.
type broadcastArgs struct {
	op        string // "new", "status" or "cancel"
	community string // new: the target community, "" for none
	project   string // new: the target project, "" for none
}

// parseBroadcastArgs reads the arguments of /broadcast. Keywords and ids
// are read in any case; the ids must look like ids (multaque.ValidID).
func parseBroadcastArgs(args string) (broadcastArgs, bool) {
	f := strings.Fields(strings.ToLower(args))
	switch {
	case len(f) == 1 && f[0] == "status":
		return broadcastArgs{op: "status"}, true
	case len(f) == 1 && f[0] == "cancel":
		return broadcastArgs{op: "cancel"}, true
	case len(f) == 1 && f[0] == "all":
		return broadcastArgs{op: "new"}, true
	case len(f) != 2 && len(f) != 4:
		return broadcastArgs{}, false
	}
	out := broadcastArgs{op: "new"}
	for i := 0; i < len(f); i += 2 {
		key, id := f[i], f[i+1]
		if !multaque.ValidID(id) {
			return broadcastArgs{}, false
		}
		switch {
		case key == "community" && out.community == "":
			out.community = id
		case key == "project" && out.project == "":
			out.project = id
		default:
			return broadcastArgs{}, false
		}
	}
	return out, true
}

// String writes a back as the arguments it was parsed from.
func (a broadcastArgs) String() string {
	switch {
	case a.op != "new":
		return a.op
	case a.community == "" && a.project == "":
		return "all"
	case a.project == "":
		return "community " + a.community
	case a.community == "":
		return "project " + a.project
	}
	return "project " + a.project + " community " + a.community
}

// onBroadcast is /broadcast.
func (b *broadcasts) onBroadcast(ctx context.Context, a *adminCall) error {
	args, ok := parseBroadcastArgs(a.args)
	if !ok {
		return b.usage(ctx, a, broadcastUsage)
	}
	switch args.op {
	case "status":
		return b.onBroadcastStatus(ctx, a)
	case "cancel":
		done, err := b.cancelOpenBroadcast(ctx, a.c, a.lang)
		if err != nil || done {
			return err
		}
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "broadcast_nothing_to_cancel")})
	}
	lang := a.lang
	if args.community != "" {
		if _, ok := b.view.cat.Community(args.community); !ok {
			return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "broadcast_unknown_community", "ID", esc(args.community))})
		}
	}
	if args.project != "" {
		if _, ok := b.view.cat.Project(args.project); !ok {
			return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "broadcast_unknown_project", "ID", esc(args.project))})
		}
	}
	bc := multaque.Broadcast{By: a.coord.ID, Community: args.community, Project: args.project}
	switch scoped := len(a.coord.Communities) > 0; {
	case args.community != "" && !b.oversees(a.coord, args.community):
		return b.refuseOutOfScope(ctx, a, args.community)
	case args.community != "":
		bc.Communities = b.withInside([]string{args.community})
	case scoped && args.project == "":
		// Everyone is beyond any scope: say so in a sentence of its own.
		if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: a.coord.ID, Command: a.cmd, Detail: "out of scope: all", Refused: true}); err != nil {
			return err
		}
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "broadcast_all_refused")})
	case scoped:
		bc.Communities = b.withInside(a.coord.Communities)
	}
	saved, err := b.store.CreateBroadcast(ctx, bc, b.now())
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Uint64("broadcast", saved.ID).Msg("broadcast opened")
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "broadcast_write", "Target", b.broadcastTarget(lang, saved, a.coord))})
}

// withInside lists communities and every community inside them, sorted.
func (b *broadcasts) withInside(communities []string) []string {
	seen := map[string]bool{}
	queue := slices.Clone(communities)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		for _, k := range b.view.cat.Children(id) {
			queue = append(queue, k.ID)
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// broadcastTarget says in lang whom bc goes to, as coord (who wrote it, or
// who reads about it) knows it.
func (b *broadcasts) broadcastTarget(lang multaque.Lang, bc *multaque.Broadcast, coord *multaque.Coordinator) string {
	community := ""
	switch {
	case bc.Community != "":
		community = b.communityName(lang, bc.Community)
	case bc.Project != "" && len(bc.Communities) > 0:
		community = b.view.t(lang, "broadcast_your_communities")
		if coord != nil && coord.ID == bc.By && len(coord.Communities) > 0 {
			community = b.view.communityNames(lang, coord.Communities)
		}
	}
	switch {
	case community == "" && bc.Project == "":
		return b.view.t(lang, "broadcast_target_all")
	case bc.Project == "":
		return b.view.t(lang, "broadcast_target_community", "Community", community)
	case community == "":
		return b.view.t(lang, "broadcast_target_project", "Project", b.projectName(lang, bc.Project))
	}
	return b.view.t(lang, "broadcast_target_both", "Project", b.projectName(lang, bc.Project), "Community", community)
}

// broadcastInScope reports whether coord may send bc: every community it
// reaches is within their scope.
func (b *broadcasts) broadcastInScope(coord *multaque.Coordinator, bc *multaque.Broadcast) bool {
	if len(coord.Communities) == 0 {
		return true
	}
	if len(bc.Communities) == 0 {
		return false // everyone
	}
	for _, c := range bc.Communities {
		if !b.oversees(coord, c) {
			return false
		}
	}
	return true
}

// onBroadcastText takes a text message as the text of the sender's
// broadcast, if they have one waiting for it, and reports whether it did.
// onInput asks it before the survey.
func (b *broadcasts) onBroadcastText(ctx context.Context, c *tg.Context, text string) (bool, error) {
	id := c.Sender().ID
	bc, err := b.store.OpenBroadcast(ctx, id)
	switch {
	case multaque.ErrorCode(err) == multaque.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case bc.Status != multaque.BroadcastDraft:
		return false, nil
	}
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return false, err
	}
	if coord == nil {
		// No longer a coordinator: the broadcast goes, the text is theirs.
		if _, err := b.store.CancelBroadcast(ctx, bc.ID, b.now()); err != nil && multaque.ErrorCode(err) != multaque.ECONFLICT {
			return false, err
		}
		return false, nil
	}
	lang := b.langOf(ctx, c)
	to := c.Recipient()
	text = strings.TrimSpace(text)
	if text == "" {
		return true, b.send(ctx, to, view{Text: b.view.t(lang, "broadcast_empty")})
	}
	texts, longest := b.broadcastTexts(text)
	if longest > multaque.MaxOutboxText {
		return true, b.send(ctx, to, view{Text: b.view.t(lang, "broadcast_too_long",
			"Length", broadcastLen("", text), "Max", multaque.MaxOutboxText-(longest-broadcastLen("", text)))})
	}
	n, err := b.store.CountBroadcastRecipients(ctx, bc.Communities, bc.Project)
	if err != nil {
		return true, err
	}
	saved, err := b.store.PreviewBroadcast(ctx, bc.ID, texts, n, b.now())
	if multaque.ErrorCode(err) == multaque.ECONFLICT {
		return true, b.stale(ctx, c, lang)
	}
	if err != nil {
		return true, err
	}
	if n == 0 {
		if _, err := b.store.CancelBroadcast(ctx, saved.ID, b.now()); err != nil && multaque.ErrorCode(err) != multaque.ECONFLICT {
			return true, err
		}
		return true, b.send(ctx, to, view{Text: b.view.t(lang, "broadcast_nobody", "Target", b.broadcastTarget(lang, saved, coord))})
	}
	// The message exactly as its recipients will see it, then the question.
	if err := b.send(ctx, to, view{Text: texts[lang]}); err != nil {
		return true, err
	}
	ver := int(saved.ID)
	return true, b.send(ctx, to, view{
		Text: b.view.t(lang, "broadcast_preview", "Target", b.broadcastTarget(lang, saved, coord), "Recipients", esc(count(n))),
		Markup: keyboard([]tg.InlineButton{
			cb(b.view.t(lang, "broadcast_btn_send"), button{Action: actBroadcastSend, Version: ver}),
			cb(b.view.t(lang, "broadcast_btn_cancel"), button{Action: actBroadcastCancel, Version: ver}),
		}),
	})
}

// broadcastTexts builds the message of a broadcast of text in every
// language: a header in the language, then the text as typed (escaped:
// what the coordinator typed is shown, not interpreted). It also returns
// the length of the longest, as Telegram and the outbox count it.
func (b *broadcasts) broadcastTexts(text string) (map[multaque.Lang]string, int) {
	texts := make(map[multaque.Lang]string, len(multaque.Languages))
	longest := 0
	for _, l := range multaque.Languages {
		header := b.view.t(l, "broadcast_header")
		texts[l] = header + "\n\n" + esc(text)
		longest = max(longest, broadcastLen(header, text))
	}
	return texts, longest
}

// broadcastLen is the length of a message of header and text, by the
// stricter of the two counts that bound it: the characters of its HTML,
// which the outbox checks, and the UTF-16 units Telegram counts (an emoji
// is two).
func broadcastLen(header, text string) int {
	n := utf8.RuneCountInString(esc(text))
	if u := len(utf16.Encode([]rune(text))); u > n {
		n = u
	}
	if header == "" {
		return n
	}
	return max(utf8.RuneCountInString(header), len(utf16.Encode([]rune(header)))) + 2 + n
}

// onBroadcastButton handles Send and Cancel under a broadcast's preview.
func (b *broadcasts) onBroadcastButton(ctx context.Context, r *request) error {
	c, lang, bt := r.c, r.lang, r.bt
	if bt.Arg != "" || bt.Version <= 0 {
		return b.stale(ctx, c, lang)
	}
	id := c.Sender().ID
	coord, err := b.coordinator(ctx, id)
	if err != nil {
		return err
	}
	if coord == nil {
		// A forged button, or a coordinator no more: refused, audited.
		zerolog.Ctx(ctx).Info().Str("command", "broadcast").Msg("admin command refused")
		if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: id, Command: "broadcast", Detail: "button", Refused: true}); err != nil {
			return err
		}
		_ = c.Respond()
		return b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "admin_refused")})
	}
	bc, err := b.store.Broadcast(ctx, uint64(bt.Version))
	if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && bc.By != id {
		return b.stale(ctx, c, lang)
	}
	if err != nil {
		return err
	}
	a := &adminCall{c: c, coord: coord, lang: lang, cmd: "broadcast"}
	if bt.Action == actBroadcastCancel {
		return b.onBroadcastCancelButton(ctx, a, bc)
	}
	if !b.broadcastInScope(coord, bc) {
		_ = c.Respond()
		target := bc.Community
		if target == "" {
			target = "all"
		}
		return b.refuseOutOfScope(ctx, a, target)
	}
	saved, err := b.store.ConfirmBroadcast(ctx, bc.ID, b.now())
	if multaque.ErrorCode(err) == multaque.ECONFLICT && saved != nil {
		msg := "broadcast_already_sent"
		if saved.Status == multaque.BroadcastCancelled {
			msg = "broadcast_was_cancelled"
		}
		return c.Respond(&tg.CallbackResponse{Text: b.view.t(lang, msg), ShowAlert: true})
	}
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Uint64("broadcast", saved.ID).Msg("broadcast confirmed")
	if err := b.audit(ctx, a, fmt.Sprintf("broadcast %d confirmed: %s, %s recipients", saved.ID, broadcastArgs{op: "new", community: saved.Community, project: saved.Project}, count(saved.Recipients))); err != nil {
		return err
	}
	_ = c.Respond()
	if err := b.edit(ctx, c, view{Text: b.view.t(lang, "broadcast_confirmed", "Target", b.broadcastTarget(lang, saved, coord), "Recipients", esc(count(saved.Recipients)))}); err != nil {
		return err
	}
	// Queue what can be queued at once; RunBroadcasts does the rest.
	qctx, cancel := context.WithTimeout(ctx, broadcastQueueBudget)
	defer cancel()
	if err := b.queueBroadcast(qctx, saved.ID); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		zerolog.Ctx(ctx).Warn().Err(err).Uint64("broadcast", saved.ID).Msg("queue broadcast: RunBroadcasts will go on")
	}
	return nil
}

// onBroadcastCancelButton is Cancel under a preview.
func (b *broadcasts) onBroadcastCancelButton(ctx context.Context, a *adminCall, bc *multaque.Broadcast) error {
	saved, err := b.store.CancelBroadcast(ctx, bc.ID, b.now())
	if multaque.ErrorCode(err) == multaque.ECONFLICT && saved != nil {
		msg := "broadcast_already_sent"
		if saved.Status == multaque.BroadcastCancelled {
			msg = "broadcast_was_cancelled"
		}
		return a.c.Respond(&tg.CallbackResponse{Text: b.view.t(a.lang, msg), ShowAlert: true})
	}
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, fmt.Sprintf("broadcast %d cancelled", saved.ID)); err != nil {
		return err
	}
	_ = a.c.Respond()
	return b.edit(ctx, a.c, view{Text: b.view.t(a.lang, "broadcast_cancelled")})
}

// cancelOpenBroadcast cancels the sender's broadcast that waits for its
// text or their confirmation, if they have one, says so and reports
// whether it did: /broadcast cancel and /cancel.
func (b *broadcasts) cancelOpenBroadcast(ctx context.Context, c *tg.Context, lang multaque.Lang) (bool, error) {
	id := c.Sender().ID
	bc, err := b.store.OpenBroadcast(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := b.store.CancelBroadcast(ctx, bc.ID, b.now()); err != nil {
		if multaque.ErrorCode(err) == multaque.ECONFLICT {
			return false, nil // confirmed meanwhile
		}
		return false, err
	}
	if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: id, Command: "broadcast", Detail: fmt.Sprintf("broadcast %d cancelled", bc.ID)}); err != nil {
		return true, err
	}
	return true, b.send(ctx, c.Recipient(), view{Text: b.view.t(lang, "broadcast_cancelled")})
}

// onBroadcastStatus is /broadcast status: the last broadcasts the
// coordinator may see, with how many people each was for, and how many of
// its messages are queued, delivered and failed.
func (b *broadcasts) onBroadcastStatus(ctx context.Context, a *adminCall) error {
	list, err := b.store.Broadcasts(ctx, broadcastsShown, func(bc *multaque.Broadcast) bool {
		return bc.Status != multaque.BroadcastDraft && (bc.By == a.coord.ID || b.broadcastInScope(a.coord, bc))
	})
	if err != nil {
		return err
	}
	lang := a.lang
	if len(list) == 0 {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(lang, "broadcast_none")})
	}
	lines := []string{b.view.t(lang, "broadcast_status_head")}
	for _, bc := range list {
		status := "broadcast_status_" + string(bc.Status)
		if bc.Status == multaque.BroadcastQueued && bc.Delivered+bc.Failed >= bc.Queued {
			status = "broadcast_status_done"
		}
		lines = append(lines, "", b.view.t(lang, "broadcast_status_line",
			"ID", strconv.FormatUint(bc.ID, 10), "Target", b.broadcastTarget(lang, &bc, a.coord),
			"Status", b.view.t(lang, status), "When", bc.CreatedAt.UTC().Format("2006-01-02 15:04"),
			"Recipients", esc(count(bc.Recipients)), "Queued", esc(count(bc.Queued)),
			"Delivered", esc(count(bc.Delivered)), "Failed", esc(count(bc.Failed))))
	}
	return b.sendLines(ctx, a, lines...)
}

// queueBroadcast queues broadcast id a chunk at a time until it is queued
// in full or ctx is done.
func (b *broadcasts) queueBroadcast(ctx context.Context, id uint64) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		bc, err := b.store.QueueBroadcast(ctx, id, broadcastChunk, b.now())
		if err != nil {
			return err
		}
		if bc.Status != multaque.BroadcastQueueing {
			zerolog.Ctx(ctx).Info().Uint64("broadcast", id).Int("queued", bc.Queued).Msg("broadcast queued")
			return nil
		}
	}
}

// runBroadcasts queues the broadcasts coordinators confirmed until ctx is
// done: those whose confirmation did not queue them in full (a broadcast to
// many people) and those a stop or a crash interrupted. Each chunk is one
// transaction that moves the broadcast's cursor, so nobody is queued twice.
// It returns nil once ctx is done.
func (b *broadcasts) runBroadcasts(ctx context.Context) error {
	log := b.rootLog.With().Str("component", "broadcasts").Logger()
	ctx = log.WithContext(ctx)
	tick := time.NewTicker(broadcastPoll)
	defer tick.Stop()
	for {
		ids, err := b.store.QueueingBroadcasts(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("read the broadcasts to queue")
		}
		for _, id := range ids {
			if err := b.queueBroadcast(ctx, id); err != nil && ctx.Err() == nil {
				log.Error().Err(err).Uint64("broadcast", id).Msg("queue broadcast")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

package bot_test

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/tg"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
)

// plainText is a message as a person sees it, with values that the bot
// escapes for HTML given as they are.
func (h *harness) plainText(lang multaque.Lang, id string, kv ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if s, ok := v.(string); ok {
			v = html.EscapeString(s)
		}
		data[kv[i].(string)] = v
	}
	return html.UnescapeString(h.textWith(lang, id, data))
}

// broadcastMessages returns the bot's messages to u that carry a broadcast
// of text.
func broadcastMessages(u *telegramtest.User, text string) []telegramtest.Message {
	return fromBot(u, text)
}

// previewOf has coord write text as the broadcast they opened, checks the
// copy they see and returns the preview with its buttons.
func (h *harness) previewOf(t *testing.T, coord *telegramtest.User, lang multaque.Lang, text string, recipients string) telegramtest.Message {
	t.Helper()
	coord.Send(text)
	copy := coord.Expect(t, strings.TrimSpace(text))
	if want := h.text(lang, "broadcast_header"); !strings.HasPrefix(copy.Text, want) {
		t.Errorf("the copy of the broadcast reads %q, want it headed %q", copy.Text, want)
	}
	head, _, _ := strings.Cut(h.text(lang, "broadcast_preview"), "\n")
	preview := coord.Expect(t, head)
	if !strings.Contains(preview.Text, recipients) || len(preview.Keyboard) != 1 || len(preview.Keyboard[0]) != 2 {
		t.Fatalf("preview %+v, want %s recipients and two buttons", preview, recipients)
	}
	return preview
}

// TestBroadcastToCommunity: a coordinator writes to the people of Gràcia;
// each of them gets the message once, in their language, through the real
// Sender; nobody else gets anything; pressing Send again, or the same
// update delivered again, sends nothing more; /broadcast status shows the
// figures.
func TestBroadcastToCommunity(t *testing.T) {
	r := newTeamRig(t, rigOptions{})
	ctx, ca := context.Background(), multaque.Catalan
	langs := []multaque.Lang{multaque.Catalan, multaque.Spanish, multaque.English, multaque.Catalan, multaque.Spanish}
	var gracia []*telegramtest.User
	for i, lang := range langs {
		gracia = append(gracia, r.starter("Veí "+string('A'+rune(i)), lang))
	}
	// Someone of Sants, and someone of Gràcia who blocked the bot.
	sants := r.starter("Sants", multaque.Catalan)
	if _, err := r.db.UpdateCitizen(ctx, sants.ID, func(c *multaque.Citizen) error { c.Community = "sants"; return nil }); err != nil {
		t.Fatal(err)
	}
	blocked := r.starter("Bloc", multaque.Catalan)
	if err := r.db.MarkUnreachable(ctx, blocked.ID); err != nil {
		t.Fatal(err)
	}
	// One who deleted their account: counted, but their message fails.
	gone := gracia[4]
	gone.Deactivate()

	r.coord.Send("/broadcast community gracia")
	r.coord.Expect(t, r.plainText(ca, "broadcast_write", "Target", r.plainText(ca, "broadcast_target_community", "Community", r.community(ca, "gracia"))))
	const text = "Assemblea dijous a les 19 h <a la plaça> & portem cadires!"
	preview := r.previewOf(t, r.coord, ca, text, "5")
	if !strings.Contains(preview.Text, r.plainText(ca, "broadcast_target_community", "Community", r.community(ca, "gracia"))) {
		t.Errorf("preview %q does not say whom it goes to", preview.Text)
	}

	// Not a message goes out before confirmation.
	time.Sleep(300 * time.Millisecond) // six Sender polls
	for _, u := range append(gracia, sants, blocked) {
		if n := len(broadcastMessages(u, text)); n != 0 {
			t.Fatalf("%s got the broadcast before it was confirmed", u.FirstName)
		}
	}

	send := preview.Keyboard[0][0]
	if send.Text != r.text(ca, "broadcast_btn_send") {
		t.Fatalf("first button %q, want %q", send.Text, r.text(ca, "broadcast_btn_send"))
	}
	first := r.coord.PressData(preview.ID, send.Data)
	r.coord.Expect(t, r.plainText(ca, "broadcast_confirmed", "Target", r.plainText(ca, "broadcast_target_community", "Community", r.community(ca, "gracia")), "Recipients", "5"))
	// Pressed again, and the first press delivered again.
	second := r.coord.PressData(preview.ID, send.Data)
	eventually(t, "the second press is answered", func() bool { _, ok := r.coord.AnswerFor(second); return ok })
	if ans, _ := r.coord.AnswerFor(second); ans.Text != r.text(ca, "broadcast_already_sent") {
		t.Errorf("second press answered %q, want %q", ans.Text, r.text(ca, "broadcast_already_sent"))
	}
	err := r.bot.HandleUpdate(ctx, tg.Update{ID: first, Callback: &tg.Callback{
		ID: "again", Sender: &tg.User{ID: r.coord.ID, LanguageCode: "ca"}, Data: send.Data,
		Message: &tg.Message{ID: preview.ID, Chat: &tg.Chat{ID: r.coord.ID, Type: tg.ChatPrivate}},
	}})
	if err != nil {
		t.Fatalf("HandleUpdate: %v", err)
	}

	for i, u := range gracia[:4] {
		lang := langs[i]
		got := u.Expect(t, text)
		if want := r.text(lang, "broadcast_header"); !strings.HasPrefix(got.Text, want) {
			t.Errorf("%s got %q, want it headed %q", u.FirstName, got.Text, want)
		}
	}
	eventually(t, "every message of the broadcast is settled", func() bool {
		list, err := r.db.Broadcasts(ctx, 1, nil)
		return err == nil && len(list) == 1 && list[0].Delivered+list[0].Failed == 5
	})
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	for _, u := range gracia[:4] {
		if n := len(broadcastMessages(u, text)); n != 1 {
			t.Errorf("%s got the broadcast %d times, want once", u.FirstName, n)
		}
	}
	for _, u := range []*telegramtest.User{sants, blocked, gone} {
		if n := len(broadcastMessages(u, text)); n != 0 {
			t.Errorf("%s got the broadcast %d times, want never", u.FirstName, n)
		}
	}
	list, _ := r.db.Broadcasts(ctx, 1, nil)
	if bc := list[0]; bc.Status != multaque.BroadcastQueued || bc.Recipients != 5 || bc.Queued != 5 || bc.Delivered != 4 || bc.Failed != 1 {
		t.Errorf("broadcast %+v, want 5 recipients, 5 queued, 4 delivered, 1 failed", bc)
	}
	if !r.audited(t, r.coord.ID, "broadcast", false, "confirmed: community gracia, 5 recipients") {
		t.Errorf("the confirmation is not in the audit log")
	}

	r.coord.Send("/broadcast status")
	status := r.coord.Expect(t, r.text(ca, "broadcast_status_head"))
	for _, want := range []string{
		r.text(ca, "broadcast_status_done"),
		r.plainText(ca, "broadcast_target_community", "Community", r.community(ca, "gracia")),
	} {
		if !strings.Contains(status.Text, want) {
			t.Errorf("/broadcast status reads %q, want %q in it", status.Text, want)
		}
	}
	figures := r.plainText(ca, "broadcast_status_line", "ID", "1", "Target", "", "Status", r.text(ca, "broadcast_status_done"),
		"When", "", "Recipients", "5", "Queued", "5", "Delivered", "4", "Failed", "<3")
	figures = figures[strings.Index(figures, "\n")+1:] // the line of figures, without the date
	if !strings.Contains(status.Text, figures) {
		t.Errorf("/broadcast status reads %q, want the figures %q (one failure shown as <3)", status.Text, figures)
	}
}

// TestBroadcastNeedsConfirmation: a broadcast left at its preview, then
// cancelled, sends nothing; its Send button then says it was cancelled.
func TestBroadcastNeedsConfirmation(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx, ca := context.Background(), multaque.Catalan
	for i := range int64(3) {
		h.waitingCitizen(t, 5000+i, "gracia")
	}
	coord.Send("/broadcast cancel")
	coord.Expect(t, h.text(ca, "broadcast_nothing_to_cancel"))

	coord.Send("/broadcast project consumer-group")
	coord.Expect(t, h.plainText(ca, "broadcast_write", "Target", h.plainText(ca, "broadcast_target_project", "Project", h.project(ca, "consumer-group"))))
	preview := h.previewOf(t, coord, ca, "Tastet de verdura dissabte", "3")
	coord.Send("/cancel")
	coord.Expect(t, h.text(ca, "broadcast_cancelled"))
	if n, err := h.db.OutboxLen(ctx); err != nil || n != 0 {
		t.Fatalf("OutboxLen=%d, %v after a cancelled broadcast, want 0", n, err)
	}
	id := coord.PressData(preview.ID, preview.Keyboard[0][0].Data)
	eventually(t, "the stale Send is answered", func() bool { _, ok := coord.AnswerFor(id); return ok })
	if ans, _ := coord.AnswerFor(id); ans.Text != h.text(ca, "broadcast_was_cancelled") {
		t.Errorf("Send after /cancel answered %q, want %q", ans.Text, h.text(ca, "broadcast_was_cancelled"))
	}
	if n, _ := h.db.OutboxLen(ctx); n != 0 {
		t.Fatalf("OutboxLen=%d after pressing a cancelled broadcast's Send, want 0", n)
	}
	// The coordinator's next text is theirs again: the survey has it.
	coord.Send("Hola")
	coord.Expect(t, h.text(ca, "choose_language"))

	// Cancel under the preview.
	coord.Send("/broadcast community gracia")
	coord.Expect(t, h.plainText(ca, "broadcast_target_community", "Community", h.community(ca, "gracia")))
	preview = h.previewOf(t, coord, ca, "Segona prova", "3")
	coord.PressData(preview.ID, preview.Keyboard[0][1].Data)
	coord.Expect(t, h.text(ca, "broadcast_cancelled"))
	if n, _ := h.db.OutboxLen(ctx); n != 0 {
		t.Fatalf("OutboxLen=%d after Cancel, want 0", n)
	}
	if !h.audited(t, coord.ID, "broadcast", false, "cancelled") {
		t.Errorf("the cancellation is not in the audit log")
	}

	// A broadcast that reaches nobody is dropped at once.
	coord.Send("/broadcast community sants")
	coord.Expect(t, h.community(ca, "sants"))
	coord.Send("Ningú ho llegirà")
	coord.Expect(t, h.plainText(ca, "broadcast_nobody", "Target", h.plainText(ca, "broadcast_target_community", "Community", h.community(ca, "sants"))))
}

// TestBroadcastInput: malformed arguments get the usage, unknown ids say
// so, an empty or overlong text is refused and the broadcast waits on.
func TestBroadcastInput(t *testing.T) {
	h, coord := newMentorHarness(t)
	ca := multaque.Catalan
	h.waitingCitizen(t, 5000, "gracia")
	usage := h.text(ca, "steering_usage")[:3]
	for _, args := range []string{"", "everyone", "community", "community gracia sants", "project", "project a b c", "community Gràcia", "community gracia community sants", "status now"} {
		coord.Send(strings.TrimSpace("/broadcast " + args))
		got := coord.Expect(t, "/broadcast project <id> [community <id>]")
		if !strings.HasPrefix(got.Text, usage) {
			t.Errorf("/broadcast %s answered %q, want the usage", args, got.Text)
		}
	}
	coord.Send("/broadcast community nowhere")
	coord.Expect(t, h.plainText(ca, "broadcast_unknown_community", "ID", "nowhere"))
	coord.Send("/broadcast project nothing")
	coord.Expect(t, h.plainText(ca, "broadcast_unknown_project", "ID", "nothing"))

	coord.Send("/BROADCAST Community GRACIA")
	coord.Expect(t, h.community(ca, "gracia"))
	long := strings.Repeat("<>", 1100) // 2,200 characters, 8,800 once escaped
	coord.Send(long)
	tooLong, _, _ := strings.Cut(h.plainText(ca, "broadcast_too_long", "Length", 8800, "Max", 0), "8800")
	coord.Expect(t, tooLong+"8800")
	coord.Send(strings.Repeat("a", 4090))
	coord.Expect(t, tooLong+"4090")
	coord.Send("   ")
	coord.Expect(t, h.text(ca, "broadcast_empty"))
	coord.Send("Ara sí, curt")
	head, _, _ := strings.Cut(h.text(ca, "broadcast_preview"), "\n")
	got := coord.Expect(t, head)
	if !strings.Contains(got.Text, ": <3") {
		t.Errorf("preview %q, want one recipient shown as <3", got.Text)
	}
}

// TestBroadcastScope: a coordinator of Gràcia cannot write to everyone or
// to another community, writes to their people only, and sees only their
// broadcasts in /broadcast status.
func TestBroadcastScope(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	for i := range int64(4) {
		h.waitingCitizen(t, 5000+i, "gracia")
		h.waitingCitizen(t, 6000+i, "sants")
	}
	scoped := h.scopedCoordinator(t, "Sara", "gracia")

	scoped.Send("/broadcast all")
	scoped.Expect(t, html.UnescapeString(h.text(es, "broadcast_all_refused")))
	if !h.audited(t, scoped.ID, "broadcast", true, "out of scope: all") {
		t.Errorf("/broadcast all by a scoped coordinator is not audited as refused")
	}
	scoped.Send("/broadcast community sants")
	scoped.Expect(t, h.text(es, "admin_out_of_scope"))
	scoped.Send("/broadcast project consumer-group community sants")
	scoped.Expect(t, h.text(es, "admin_out_of_scope"))
	if !h.audited(t, scoped.ID, "broadcast", true, "out of scope: sants") {
		t.Errorf("/broadcast community sants by a scoped coordinator is not audited as refused")
	}
	if _, err := h.db.OpenBroadcast(ctx, scoped.ID); multaque.ErrorCode(err) != multaque.ENOTFOUND {
		t.Fatalf("a refused broadcast is open: %v", err)
	}

	// Their project broadcast reaches the people of Gràcia only.
	scoped.Send("/broadcast project consumer-group")
	scoped.Expect(t, h.plainText(es, "broadcast_target_both", "Project", h.project(es, "consumer-group"), "Community", h.community(es, "gracia")))
	preview := h.previewOf(t, scoped, es, "Solo para Gracia", "4")
	scoped.PressData(preview.ID, preview.Keyboard[0][0].Data)
	scoped.Expect(t, h.plainText(es, "broadcast_target_both", "Project", h.project(es, "consumer-group"), "Community", h.community(es, "gracia")))
	eventually(t, "the broadcast is queued", func() bool {
		bc, err := h.db.Broadcast(ctx, 1)
		return err == nil && bc.Status == multaque.BroadcastQueued
	})
	items, err := h.db.Due(ctx, time.Now().Add(time.Hour), 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	to := map[int64]bool{}
	for _, it := range items {
		if it.Kind == "broadcast" {
			to[it.Chat] = true
		}
	}
	if len(to) != 4 || !to[5000] || !to[5003] || to[6000] {
		t.Fatalf("the scoped broadcast went to %v, want 5000-5003 of Gràcia", to)
	}

	// The unscoped coordinator writes to everyone; the scoped one does not
	// see it in their status, the unscoped one sees both.
	coord.Send("/broadcast all")
	coord.Expect(t, h.plainText(ca, "broadcast_target_all"))
	h.previewOf(t, coord, ca, "Per a tothom", "8")
	scoped.Send("/broadcast status")
	got := scoped.Expect(t, h.text(es, "broadcast_status_head"))
	if !strings.Contains(got.Text, "#1 ") || strings.Contains(got.Text, "#2 ") {
		t.Errorf("the scoped coordinator's status reads %q, want only #1", got.Text)
	}
	coord.Send("/broadcast status")
	got = coord.Expect(t, h.text(ca, "broadcast_status_head"))
	if !strings.Contains(got.Text, "#1 ") || !strings.Contains(got.Text, "#2 ") || !strings.Contains(got.Text, h.text(ca, "broadcast_status_preview")) {
		t.Errorf("the unscoped coordinator's status reads %q, want #1 and #2 waiting for confirmation", got.Text)
	}
}

// TestRunBroadcastsResumes: a broadcast confirmed but not queued (the
// process stopped right after the confirmation) is queued by
// RunBroadcasts, once, and RunBroadcasts stops with its context.
func TestRunBroadcastsResumes(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx := context.Background()
	for i := range int64(3) {
		h.waitingCitizen(t, 5000+i, "gracia")
	}
	bc, err := h.db.CreateBroadcast(ctx, multaque.Broadcast{By: coord.ID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	texts := map[multaque.Lang]string{"ca": "Hola", "es": "Hola", "en": "Hello"}
	if _, err := h.db.PreviewBroadcast(ctx, bc.ID, texts, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.ConfirmBroadcast(ctx, bc.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.bot.RunBroadcasts(runCtx) }()
	eventually(t, "the broadcast is queued", func() bool {
		got, err := h.db.Broadcast(ctx, bc.ID)
		return err == nil && got.Status == multaque.BroadcastQueued
	})
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunBroadcasts=%v, want nil once stopped", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunBroadcasts did not stop with its context")
	}
	if n, err := h.db.OutboxLen(ctx); err != nil || n != 3 {
		t.Errorf("OutboxLen=%d, %v; want the 3 messages of the broadcast", n, err)
	}
}

// TestForgetWhileABroadcastIsQueued: a recipient who erases themselves with
// /forget while a coordinator's broadcast waits in the outbox loses their
// message with the rest of their data; the other recipient keeps theirs.
// No Sender runs here, so the messages wait.
func TestForgetWhileABroadcastIsQueued(t *testing.T) {
	h, coord := newMentorHarness(t)
	ctx, ca, es := context.Background(), multaque.Catalan, multaque.Spanish
	leaving := h.srv.NewUser("Rita", "es")
	h.survey(leaving, es, "Rita Zubiaurre")
	staying := h.srv.NewUser("Pau", "ca")
	h.survey(staying, ca, "Pau Vidal")

	coord.Send("/broadcast all")
	coord.Expect(t, h.plainText(ca, "broadcast_write", "Target", h.text(ca, "broadcast_target_all")))
	preview := h.previewOf(t, coord, ca, "Assemblea dijous", "<3") // two recipients show as <3
	coord.PressData(preview.ID, preview.Keyboard[0][0].Data)
	eventually(t, "the broadcast is queued", func() bool {
		list, err := h.db.Broadcasts(ctx, 1, nil)
		return err == nil && len(list) == 1 && list[0].Status == multaque.BroadcastQueued
	})
	waiting := func() map[int64]int {
		items, err := h.db.Due(ctx, time.Now().Add(time.Hour), 100, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]int{}
		for _, it := range items {
			if it.Kind == "broadcast" {
				out[it.Chat]++
			}
		}
		return out
	}
	if got := waiting(); got[leaving.ID] != 1 || got[staying.ID] != 1 || len(got) != 2 {
		t.Fatalf("messages of the broadcast waiting per chat %v, want one for each of %d and %d", got, leaving.ID, staying.ID)
	}

	leaving.Send("/forget")
	leaving.Press(t, h.text(es, "btn_forget"))
	leaving.Expect(t, h.text(es, "forgotten"))
	if got := waiting(); got[leaving.ID] != 0 || got[staying.ID] != 1 || len(got) != 1 {
		t.Errorf("after /forget the messages waiting per chat are %v, want only %d's", got, staying.ID)
	}
}

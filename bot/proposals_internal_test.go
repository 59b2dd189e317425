package bot

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multaque/multaque/bot/tg"
	"github.com/rs/zerolog"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/telegramtest"
	"github.com/multaque/multaque/catalog"
	"github.com/multaque/multaque/store"
)

// TestProposalProblemsHaveSentences walks every problem the text cleaner
// can report, as it reports it, and every other problem of proposals: each
// has its sentence in every language, with all the data it uses.
func TestProposalProblemsHaveSentences(t *testing.T) {
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	rd := &renderer{texts: texts}
	// A text that shows each problem, to get it from the cleaner itself.
	examples := map[multaque.TextProblem]string{
		multaque.TextEmpty:    " \n ",
		multaque.TextTooLong:  strings.Repeat("é", multaque.MaxProposalName+1),
		multaque.TextOneLine:  "Hort\ncomunitari",
		multaque.TextBadChars: "Hort\u200bcomunitari",
	}
	problems := []proposalProblem{problemProposalMass, problemProposalUseButtons, problemTranslateUsage, proposalCancelled}
	for _, tp := range multaque.TextProblems() {
		in, ok := examples[tp]
		if !ok {
			t.Errorf("no example of the cleaner's problem %q: add one", tp)
			continue
		}
		_, err := multaque.CleanProposalText(in, multaque.MaxProposalName, false)
		problem, err := textProblem(err)
		if err != nil || problem == "" {
			t.Errorf("the cleaner's %q is problem %q, %v; want a sentence", tp, problem, err)
			continue
		}
		problems = append(problems, problem)
	}
	if len(problems) != 4+len(multaque.TextProblems()) {
		t.Fatalf("walked %d problems, want every one", len(problems))
	}
	for _, problem := range problems {
		if !slices.Contains(texts.IDs(), string(problem)) {
			t.Errorf("problem %q has no sentence", problem)
		}
		for _, lang := range multaque.Languages {
			line := rd.problemLine(lang, problem, multaque.MaxProposalName)
			if strings.Contains(line, "[") || strings.Contains(line, "<no value>") {
				t.Errorf("problem %q in %s reads %q", problem, lang, line)
			}
		}
	}
}

// TestUnexpectedTextProblem: an error the cleaner is not known to return
// is no sentence but an internal error, which gets the person the generic
// answer in their language, and the log the error without what they typed.
func TestUnexpectedTextProblem(t *testing.T) {
	for _, err := range []error{
		multaque.Errorf(multaque.EINVALID, "rude_word"),
		multaque.Errorf(multaque.ENOTFOUND, string(multaque.TextEmpty)),
		errors.New("boom"),
	} {
		if problem, got := textProblem(err); problem != "" || multaque.ErrorCode(got) != multaque.EINTERNAL {
			t.Errorf("textProblem(%v)=%q,%v, want an internal error", err, problem, got)
		}
	}

	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	db, err := store.Open(filepath.Join(t.TempDir(), "multaque.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := catalog.LoadMessages()
	if err != nil {
		t.Fatal(err)
	}
	logs := &SyncBuffer{}
	b, err := New(Options{Token: srv.Token(), APIURL: srv.URL(), Store: db, Catalog: cat, Texts: texts,
		Client: srv.Client(), Logger: zerolog.New(logs), PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	anna := srv.NewUser("Anna", "es")
	anna.Send("/start") // the bot may write to her; nobody polls this update
	const typed = "Un hort secret"
	c := tg.NewContext(b.wire, &tg.Update{ID: 1, Message: &tg.Message{Text: "/translate hort es name " + typed,
		Sender: &tg.User{ID: anna.ID, LanguageCode: "es"}, Chat: &tg.Chat{ID: anna.ID, Type: tg.ChatPrivate}}})
	_, err = textProblem(multaque.Errorf(multaque.EINVALID, "rude_word"))
	ctx := zerolog.New(logs).WithContext(context.Background())
	b.fail(ctx, c, err)
	anna.Expect(t, texts.Text(multaque.Spanish, "error_internal", nil))
	if log := logs.String(); !strings.Contains(log, "rude_word") || !strings.Contains(log, `"level":"error"`) || strings.Contains(log, typed) {
		t.Errorf("the log reads %q, want the unexpected problem as an error, without the text", log)
	}
}

package bot

import (
	"strconv"
	"strings"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// Telegram refuses an inline keyboard of more than about 100 buttons, 8 in
// a row or 10 KB ("reply markup is too long"; the limits are observed, the
// Bot API states none). A keyboard that lists the catalogue (projects,
// communities under one parent) shows it a page at a time, with "‹" and
// "More ›" buttons between pages, so that it fits whatever the catalogue
// holds. A page's size keeps it well inside every limit: at most 42 list
// buttons of at most 64 bytes of data and a name each, plus the screen's own.

// Page sizes, in items of the list.
const (
	interestsPerPage   = 20 // two buttons each (toggle, ℹ️)
	communitiesPerPage = 40 // one button each, two in a row
	mentorProjPerPage  = 40 // one button each
	mentorComPerPage   = 20 // up to two buttons each
)

// pageBounds returns the items [lo, hi) of page (clamped to the pages
// there are) of n items, per a page, and how many pages there are.
func pageBounds(n, per, page int) (lo, hi, pages, at int) {
	pages = max((n+per-1)/per, 1)
	at = min(max(page, 0), pages-1)
	lo = at * per
	return lo, min(lo+per, n), pages, at
}

// pagerRow is the row that moves between pages: "‹" to the previous one
// and "More ›" to the next, where there is one; nil on a single page. to
// makes the button that shows page p.
func (rd *renderer) pagerRow(lang multaque.Lang, at, pages int, to func(p int) button) []tg.InlineButton {
	if pages <= 1 {
		return nil
	}
	var row []tg.InlineButton
	if at > 0 {
		row = append(row, cb("‹ "+rd.t(lang, "btn_page_back", "Page", at, "Pages", pages), to(at-1)))
	}
	if at < pages-1 {
		row = append(row, cb(rd.t(lang, "btn_page_more", "Page", at+2, "Pages", pages)+" ›", to(at+1)))
	}
	return row
}

// pageSep separates an id from a page number in a button's argument.
const pageSep = "~"

// withPage is the argument id shown at page (id alone for the first).
func withPage(id string, page int) string {
	if page <= 0 {
		return id
	}
	return id + pageSep + strconv.Itoa(page)
}

// splitPage splits an argument made by withPage; a malformed page is 0.
func splitPage(arg string) (string, int) {
	id, p, ok := strings.Cut(arg, pageSep)
	if !ok {
		return arg, 0
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 9999 {
		return id, 0
	}
	return id, n
}

// indexOfProject is the place of project id in the catalogue, -1 if none.
func indexOfProject(ps []multaque.Project, id string) int {
	for i, p := range ps {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// Buttons that show a page of a long keyboard: arg = page.
const (
	actInterestsPage      = "ipage" // the interests keyboard
	actMentorProjectsPage = "mtpg"  // a mentor's projects
)

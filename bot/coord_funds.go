package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/multaque/multaque"
	"github.com/multaque/multaque/bot/tg"
)

// The coordinators' side of the match funds: /fund creates one, /funds
// lists them with their accounts, /funds <id> sends a fund's ledger as CSV
// (teams and amounts, never people), and /stats gains the money and hours
// pledged and matched (pledgeStatsLines).

// FundStore is what the coordinators' funds need of the database.
type FundStore interface {
	CreateFund(ctx context.Context, f multaque.Fund, now time.Time) (*multaque.Fund, error)
	Funds(ctx context.Context) ([]multaque.Fund, error)
	FundLedger(ctx context.Context, id string) (*multaque.Fund, []multaque.LedgerRow, error)
	PledgeTotals(ctx context.Context, keep func(community string) bool) (multaque.PledgeTotals, error)
}

// fundVisible says whether coordinator a may see fund f: an unscoped
// coordinator every fund; a scoped one the funds whose communities all lie
// in their scope.
func (b *pledges) fundVisible(a *adminCall, f *multaque.Fund) bool {
	if len(a.coord.Communities) == 0 {
		return true
	}
	if len(f.Communities) == 0 {
		return false
	}
	for _, c := range f.Communities {
		if !b.oversees(a.coord, c) {
			return false
		}
	}
	return true
}

// runFunds is /funds: each fund's budget, committed, released and paid; or
// /funds <id>: its ledger as CSV.
func (b *pledges) runFunds(ctx context.Context, a *adminCall) error {
	if id := strings.TrimSpace(a.args); id != "" {
		return b.sendLedger(ctx, a, id)
	}
	funds, err := b.store.Funds(ctx)
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "list"); err != nil {
		return err
	}
	lines := []string{b.view.t(a.lang, "funds_head")}
	shown := 0
	for i := range funds {
		f := &funds[i]
		if !b.fundVisible(a, f) {
			continue
		}
		shown++
		lines = append(lines, b.view.t(a.lang, "funds_line", "ID", esc(f.ID), "Name", esc(f.Name), "Funder", esc(f.Funder),
			"Budget", f.Budget.String(), "Committed", f.Committed.String(), "Released", f.Released.String(),
			"Paid", f.Paid.String(), "Left", f.Left().String(), "Ends", f.Ends.Format("2006-01-02")))
	}
	if shown == 0 {
		lines = append(lines, b.view.t(a.lang, "funds_none"))
	}
	lines = append(lines, "", b.view.t(a.lang, "funds_help"))
	return b.sendLines(ctx, a, lines...)
}

// sendLedger sends fund id's ledger as a CSV file: team, project,
// community, kind, pledge number, amounts and status. No person's name or
// id is in it; pledges carry their number in the team only.
func (b *pledges) sendLedger(ctx context.Context, a *adminCall, id string) error {
	f, rows, err := b.store.FundLedger(ctx, id)
	if multaque.ErrorCode(err) == multaque.ENOTFOUND || err == nil && !b.fundVisible(a, f) {
		if err := b.auditEntry(ctx, multaque.AuditEntry{Actor: a.coord.ID, Command: a.cmd, Detail: "ledger refused", Refused: true}); err != nil {
			return err
		}
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "funds_not_found")})
	}
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "ledger "+f.ID); err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"fund", "team", "project", "community", "kind", "pledge", "pledged_cents", "match_cents", "status"})
	for _, r := range rows {
		_ = w.Write([]string{f.ID, r.Team, r.Project, r.Community, r.Kind, strconv.Itoa(r.Pledge),
			strconv.FormatInt(int64(r.Pledged), 10), strconv.FormatInt(int64(r.Match), 10), string(r.Status)})
	}
	_ = w.Write([]string{f.ID, "", "", "", "total", "", "", strconv.FormatInt(int64(f.Committed+f.Paid), 10), "committed+paid"})
	w.Flush()
	caption := b.view.t(a.lang, "funds_ledger_caption", "Name", esc(f.Name), "Budget", f.Budget.String(),
		"Committed", f.Committed.String(), "Released", f.Released.String(), "Paid", f.Paid.String())
	_, err = b.wire.Answer(ctx, tg.Outgoing{Chat: a.c.Recipient(), Text: caption, ParseMode: tg.ModeHTML,
		File: &tg.File{Name: "fund-" + f.ID + ".csv", MIME: "text/csv", Data: buf.Bytes()}})
	return err
}

// runFund is /fund <id> <budget> <factor> <YYYY-MM-DD> [pledge=<cap>]
// [team=<cap>] [bonus=<amount>@<members>] [projects=a,b]
// [communities=a,b] <name> / <funder>. A scoped coordinator's fund must
// name communities within their scope.
func (b *pledges) runFund(ctx context.Context, a *adminCall) error {
	f, ok := parseFund(a.args)
	if !ok {
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "fund_usage")})
	}
	if len(a.coord.Communities) > 0 {
		if len(f.Communities) == 0 {
			return b.refuseOutOfScope(ctx, a, "all")
		}
		for _, c := range f.Communities {
			if !b.oversees(a.coord, c) {
				return b.refuseOutOfScope(ctx, a, c)
			}
		}
	}
	f.CreatedBy = a.coord.ID
	saved, err := b.store.CreateFund(ctx, f, b.now())
	switch multaque.ErrorCode(err) {
	case multaque.EINVALID:
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "fund_invalid") + "\n\n" + b.view.t(a.lang, "fund_usage")})
	case multaque.ECONFLICT:
		return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "fund_exists")})
	}
	if err != nil {
		return err
	}
	if err := b.audit(ctx, a, "create "+saved.ID); err != nil {
		return err
	}
	return b.send(ctx, a.c.Recipient(), view{Text: b.view.t(a.lang, "fund_created", "ID", esc(saved.ID), "Name", esc(saved.Name),
		"Budget", saved.Budget.String())})
}

// parseFund reads /fund's arguments.
func parseFund(s string) (multaque.Fund, bool) {
	var f multaque.Fund
	head, funder, _ := strings.Cut(s, "/")
	f.Funder = strings.TrimSpace(funder)
	words := strings.Fields(head)
	if len(words) < 5 {
		return f, false
	}
	var err error
	f.ID = words[0]
	if f.Budget, err = multaque.ParseCents(words[1]); err != nil {
		return f, false
	}
	if f.FactorNum, f.FactorDen, err = multaque.ParseFactor(words[2]); err != nil {
		return f, false
	}
	day, err := time.Parse("2006-01-02", words[3])
	if err != nil {
		return f, false
	}
	f.Ends = day.Add(24*time.Hour - time.Second)
	var name []string
	for _, w := range words[4:] {
		k, v, kv := strings.Cut(w, "=")
		if !kv || len(name) > 0 {
			name = append(name, w)
			continue
		}
		switch k {
		case "pledge":
			f.CapPledge, err = multaque.ParseCents(v)
		case "team":
			f.CapTeam, err = multaque.ParseCents(v)
		case "bonus":
			amount, n, _ := strings.Cut(v, "@")
			if f.Bonus, err = multaque.ParseCents(amount); err == nil {
				f.BonusMembers, err = strconv.Atoi(n)
			}
		case "projects":
			f.Projects = strings.Split(v, ",")
		case "communities":
			f.Communities = strings.Split(v, ",")
		default:
			name = append(name, w)
		}
		if err != nil {
			return f, false
		}
	}
	f.Name = strings.Join(name, " ")
	return f, f.Name != ""
}

// pledgeStatsLines are /stats's lines on goals, pledges and matches in the
// report's area. Counts of pledges keep the "<3" rule; sums of money are
// shown as they are.
func (b *reports) pledgeStatsLines(ctx context.Context, ar reportArea, lang multaque.Lang) ([]string, error) {
	t, err := b.funds.PledgeTotals(ctx, func(community string) bool { return b.inArea(ar, community) })
	if err != nil || t.Goals == 0 {
		return nil, err
	}
	if t.Pledges > 0 && t.Pledges < 3 { // sums of one or two pledges would point at someone
		return []string{"", b.view.t(lang, "report_pledges_few", "Goals", t.Goals, "Met", t.Met, "Missed", t.Missed)}, nil
	}
	return []string{"", b.view.t(lang, "report_pledges", "Goals", t.Goals, "Met", t.Met, "Missed", t.Missed,
		"Pledges", esc(count(t.Pledges)), "Pledged", t.Pledged.String(), "Matched", t.Matched.String(),
		"Paid", t.Paid.String(), "Hours", t.Hours)}, nil
}

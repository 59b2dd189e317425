package main

import (
	"context"
	"fmt"

	"github.com/multaque/multaque/bot"
	"github.com/multaque/multaque/matching"
	"github.com/multaque/multaque/store"
)

// matchNow runs a matching pass now, for a coordinator's /match: the pass
// the cron runs, on the same Runner, which never runs two at once. The
// Runner names the teams it formed; which teams took people in or got a
// mentor is read from the teams before and after the pass, so a change
// someone else made at that moment can show in the report too.
func matchNow(ctx context.Context, db *store.DB, runner *matching.Runner) (bot.MatchReport, error) {
	before, err := db.Teams(ctx)
	if err != nil {
		return bot.MatchReport{}, fmt.Errorf("match now: %w", err)
	}
	rep, err := runner.Run(ctx)
	if err != nil {
		return bot.MatchReport{}, fmt.Errorf("match now: %w", err)
	}
	after, err := db.Teams(ctx)
	if err != nil {
		return bot.MatchReport{}, fmt.Errorf("match now: %w", err)
	}
	out := bot.NewMatchReport(before, after, rep.Formed)
	if rep.Joined == 0 {
		out.Joined = nil // not this pass's doing
	}
	if rep.Assigned == 0 {
		out.Assigned = nil
	}
	return out, nil
}

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
// report names the teams the pass formed, filled and gave a mentor, as
// they are right after it.
func matchNow(ctx context.Context, db *store.DB, runner *matching.Runner) (bot.MatchReport, error) {
	rep, err := runner.Run(ctx)
	if err != nil {
		return bot.MatchReport{}, fmt.Errorf("match now: %w", err)
	}
	teams, err := db.Teams(ctx)
	if err != nil {
		return bot.MatchReport{}, fmt.Errorf("match now: %w", err)
	}
	return bot.NewMatchReport(matchPass(rep), teams), nil
}

// matchPass is the matcher's report in the bot's terms.
func matchPass(rep matching.Report) bot.MatchPass {
	pass := bot.MatchPass{Formed: rep.Formed, Assigned: rep.AssignedTeams}
	for _, j := range rep.JoinedTeams {
		pass.Joined = append(pass.Joined, bot.MatchJoined{Team: j.Team, Added: j.Added})
	}
	return pass
}

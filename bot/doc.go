// Package bot is Multaque's conversations with people on Telegram: the
// citizens' survey and commands, the teams' groups, the mentors, and the
// coordinators' commands.
//
// Each kind of person has a room (rooms.go): citizens, teams, mentors,
// roles (who is a coordinator and what they may do), reports, steering,
// proposals, broadcasts, and decisions (a team's polls in its group). A room is a type on the shared core (core.go:
// the wire, the screens, the survey's rules, the clock, the coordinators)
// with the part of the store it declares in its own files. The route table
// (routes.go) is the one place that says which room answers a command, a
// button or typed text; the command menus and /help are made from it. The
// intake (bot.go) takes each update once, in order within its chat.
//
// The survey is a pure state machine (citizen_survey.go) with no I/O; the
// Telegram wire is package bot/tg, the Sender that drains the outbox is
// package bot/outbox, and bot/telegramtest is a fake Bot API server to test
// against. docs/ARCHITECTURE.md draws it all.
//
// The package must never import a sibling package (store, matching,
// catalog: it declares the interfaces it needs), never log what people
// type, their names or where they live, and never let the bot token reach
// a log line or an error.
package bot

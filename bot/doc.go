// Package bot is Multaque's Telegram front: it takes updates (long polling or
// webhook), routes them to the survey and the commands, answers people in
// their language and keeps what they confirm in the store before answering.
//
// The survey itself is a pure state machine (survey.go) with no I/O; the
// handlers around it read and write through the small Store interface this
// package declares, and render screens through the Catalog and Texts
// interfaces.
//
// Besides the citizens' survey and commands (handlers.go, survey.go), it
// holds the team groups (groups.go, provision.go, notify.go), mentors
// (mentors.go), the coordinators' commands (admin.go gathers them:
// roles_admin.go, reports.go and chart.go, steering.go, proposals.go,
// broadcast.go; each refuses anyone without the role in one neutral
// sentence, audited), and the Sender that drains the outbox (sender.go,
// pacer.go). bot/telegramtest is a fake Bot API server to test it against.
//
// The package must never log what people type, their names or
// where they live, and never let the bot token reach a log line or an error.
package bot

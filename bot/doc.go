// Package bot is Multaque's Telegram front: it takes updates (long polling or
// webhook), routes them to the survey and the commands, answers people in
// their language and keeps what they confirm in the store before answering.
//
// The survey itself is a pure state machine (survey.go) with no I/O; the
// handlers around it read and write through the small Store interface this
// package declares, and render screens through the Catalog and Texts
// interfaces. The package must never log what people type, their names or
// where they live, and never let the bot token reach a log line or an error.
package bot

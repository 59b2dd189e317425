// Package multaque holds the domain of Multaque: citizens, the communities
// they live in, the projects they want, the teams they form and the mentors
// and coordinators who help them, with the error codes every other package
// speaks.
//
// It must never do I/O or import third-party packages: storage lives in
// store, Telegram in bot, the catalogue files in catalog, the wiring in
// cmd/multaque.
package multaque

// Package outbox holds the Sender, which drains the durable outbox:
// everything the bot sends that is not the direct answer to what a person
// just did (team provisioning messages, invitations, reminders, broadcasts,
// alerts to coordinators).
//
// It stands on the wire (package tg), whose pacer it shares with the direct
// answers, and on the small Store it declares. It decides on a send's
// outcome by tg.Classify alone, and settles every item in one transaction
// with its effect. It must never hold a store transaction across a request
// to Telegram, nor log what a message says.
package outbox

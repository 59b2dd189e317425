// Package tg is Multaque's Telegram wire: the only package of the bot that
// speaks the Bot API (it alone, with cmd/multaque and the fake, imports
// telebot). It holds
//
//   - the Bot API's objects as the bot reads them (Update, Message, ...),
//     decoded straight from Telegram's JSON;
//   - Client, which sends, edits and calls raw methods, redacts the token
//     from every error once, and paces direct answers (Paced, Answer);
//   - Pacer, Telegram's limits per chat and per group and the pause of all
//     sending after a 429, shared by the direct answers and the Sender;
//   - Classify, which turns Telegram's answers into a Class (Flood,
//     Transient, Unreachable, ChatGone, NotModified, Refused): every
//     decision above the wire is taken on a Class;
//   - the intake: Poll (long polling), WebhookHandler, and the Dispatcher
//     that runs one chat's updates in order and different chats in parallel;
//   - Metrics, the wire's and the Sender's Prometheus metrics.
//
// It imports the root package at most. It must never log or return the bot
// token, nor log what people write.
package tg

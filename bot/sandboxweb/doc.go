// Package sandboxweb is the sandbox's web client: a small Telegram-like
// client for the fake Telegram of package telegramtest, served as one web
// page, where anyone can try the bot without a Telegram account by playing
// any number of simulated people in a browser. It is a product feature
// (`multaque sandbox`), kept apart from the fake, which stays a faithful
// Bot API for tests.
//
// Handler serves the page (plain HTML, CSS and JavaScript embedded in the
// binary: no build step, nothing fetched from the network) and the JSON API
// it uses to create people, read their chats, send text and commands, press
// inline buttons, answer the native polls the bot sends to groups
// (polls.go), share locations, follow t.me links (deep links, invite
// links that make join requests, startgroup links), download the files
// the bot sends, and run the actions the serving program offers, for a
// person (WithActions) or for the whole sandbox (WithPageActions).
//
// Like telegramtest, it must never face the Internet: it trusts every
// caller. It answers only requests whose Host is the address the connection
// came in on (or localhost on a loopback one), so that a web site whose
// name was rebound to 127.0.0.1 cannot read or act through a visitor's
// browser. The page shows the bot's formatting from message entities and
// never puts text it did not escape into the page.
package sandboxweb

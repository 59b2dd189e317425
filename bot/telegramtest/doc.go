// Package telegramtest is an in-process fake of the Telegram Bot API, in the
// spirit of net/http/httptest: a real HTTP server on 127.0.0.1 that a telebot
// bot reaches through
//
//	srv := telegramtest.NewServer()
//	defer srv.Close()
//	b, _ := tele.NewBot(tele.Settings{URL: srv.URL(), Token: srv.Token(),
//		Poller: &tele.LongPoller{Timeout: time.Second}})
//
// and simulated people who talk to it:
//
//	anna := srv.NewUser("Anna", "ca")
//	anna.Send("/start")
//	anna.Expect(t, "Benvinguda")
//	anna.Press(t, "Català")
//
// It is the base of Multaque's end-to-end tests, of load tests, and of the
// sandbox where people chat with the bot from a web page. Everything is safe
// for concurrent use; locks are per chat, and answers are encoded outside
// them, so thousands of updates per second go through.
//
// # What it fakes faithfully
//
//   - Transport: /bot<token>/<method> with JSON, urlencoded, multipart or
//     query parameters; method names are case-insensitive; a wrong token
//     answers 401 "Unauthorized", an unknown method 404 "Not Found". Answers
//     are {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…,
//     "parameters":{"retry_after":…}} (or "migrate_to_chat_id") with
//     Telegram's wording, so telebot decodes them into the same errors
//     (tele.ErrBlockedByUser, tele.FloodError, tele.GroupError,
//     tele.ErrTooLongMessage, tele.ErrBadButtonData, tele.ErrChatNotFound,
//     tele.ErrSameMessageContent, …).
//   - Updates: getUpdates long polling (offset confirms, negative offset,
//     limit 1-100, timeout; a newer getUpdates ends an older one with 409
//     "terminated by other getUpdates request"; 409 while a webhook is set),
//     and webhooks (setWebhook/deleteWebhook/getWebhookInfo): HTTPS only, on
//     ports 443, 80, 88 or 8443 (WithHTTPWebhooks allows plain http on any
//     port, like telegram-bot-api's --local mode); setWebhook with a URL
//     once a second, else 429. Updates are POSTed with
//     X-Telegram-Bot-Api-Secret-Token, up to max_connections at once and in
//     order within a chat; after a non-2xx answer or a connection error an
//     update is retried at once, then after 2, 4, 8… seconds up to 60-120
//     s, or after the answer's Retry-After, and dropped when it would
//     outlive a day (seconds of WithWebhookClock, 10 ms by default). allowed_updates is honoured as Telegram
//     does: updates of other kinds are never created; the default leaves out
//     chat_member (and message reactions); an absent or null list keeps the
//     previous setting.
//   - Messages: sendMessage, sendDocument, sendPhoto (bytes, file name and
//     MIME kept; resending by file_id; getFile and the /file/ download
//     endpoint), sendLocation, editMessageText/Caption/ReplyMarkup (an edit
//     without reply_markup removes the inline keyboard, as in Telegram),
//     deleteMessage, pinChatMessage, answerCallbackQuery (once per query,
//     within 15 minutes). Text and caption limits count Unicode code points
//     after entity parsing (4096 and 1024); leading and trailing whitespace
//     is trimmed; callback_data must be 1-64 bytes; inline buttons need an
//     action; an inline keyboard of more than 100 buttons, 8 in a row or 10
//     KB (reply keyboards: 300, 12 in a row) answers "reply markup is too
//     long". parse_mode HTML (b, strong, i, em, u, ins, s, strike, del, a,
//     code, pre, blockquote, tg-spoiler, tg-emoji and the &lt; &gt; &amp;
//     &quot; &#N; entities, with or without ';'; <a> without href links to
//     its text; </> closes the open tag; an unquoted href=https://… is
//     refused), MarkdownV2 (markers, escapes, and the rule that
//     reserved characters must be escaped) and legacy Markdown are parsed
//     into the visible text and entities; malformed input gives 400 "Bad
//     Request: can't parse entities: …".
//   - People: a user must have written to the bot before it can write to them
//     (403 "bot can't initiate conversation with a user"; 400 "chat not
//     found" if the bot never met them in any update); a join request lets
//     the bot write to the applicant for 5 minutes; Block gives 403
//     "bot was blocked by the user" and a my_chat_member update; Deactivate
//     gives 403 "user is deactivated". /commands get bot_command entities.
//   - Groups: supergroups with -100… ids and basic groups without (their
//     upgrade with Group.Upgrade: migrate_to_chat_id/migrate_from_chat_id
//     service messages, 400 "group chat was upgraded to a supergroup chat"
//     with migrate_to_chat_id on every call but getChat to the old id,
//     unbanChatMember refused in basic groups), the bot added as
//     administrator with rights (my_chat_member), privacy mode (a bot that
//     is not an admin sees only commands), setChatTitle/Description (the
//     same title answers true; over-long titles, descriptions and invite
//     link names are cut), invite links (create, edit, revoke, export; join
//     requests, member limits, expiry), join requests approved or declined
//     (400 HIDE_REQUESTER_MISSING without one), chat_member updates (only
//     to an administrator bot) and chat_join_request updates (only with
//     can_invite_users), new_chat_members/left_chat_member service
//     messages, getChatMember/Administrators/MemberCount, ban and unban
//     (including Telegram's quirk that unbanning a member without
//     only_if_banned removes them), leaveChat, deleted groups answering
//     "chat not found", and the rights each of these needs.
//   - Polls (polls.go): sendPoll (question 1-300 characters, 2-12 options of
//     1-100, anonymous unless is_anonymous=false, one answer unless
//     allows_multiple_answers) and stopPoll with the Bot API's errors; a
//     member votes with User.Vote, which queues poll_answer (non-anonymous
//     polls the bot sent) and poll updates; PushPollAnswer and
//     PollAnswerJSON make answers to any poll id.
//   - Commands: setMyCommands/getMyCommands/deleteMyCommands per scope and
//     language; setMyDescription, setMyShortDescription, setChatMenuButton.
//   - Limits (off by default, see Limits) and fault injection (see Faults and
//     ForceRetryAfter) apply to the sending methods: send* and editMessage*;
//     ForceRetryAfterOn and ForceErrorOn make any method answer 429 or any
//     error.
//
// # Where it knowingly differs from Telegram
//
//   - Time: rate limits run on a clock Limits.Scale times faster than real
//     time so tests need not wait; retry_after stays an integer number of
//     the server's seconds (Server.Second). Message dates, callback expiry
//     and invite expiry use the WithClock clock; long polls and waits use
//     real time.
//   - Only private chats, basic groups and supergroups exist: no channels,
//     forums, inline mode, payments, stickers, quizzes, reactions or business
//     features; unknown methods answer 404. Chats have no @usernames, so
//     chat_id must be numeric.
//   - Message ids are counted per chat. Entities are computed for the bot's
//     own messages only from parse_mode/entities (Telegram also detects
//     URLs, mentions and commands in them). Photos are kept as uploaded (one
//     size, not re-encoded) and files are never fetched from URLs.
//   - Pinning marks the message (Message.Pinned) without a service message.
//     Service messages caused by the bot itself (a title it set) are stored
//     in the chat but, as in Telegram, not sent to it as updates.
//   - Webhooks only go to loopback addresses, over plain HTTP or HTTPS, and
//     the webhook answer cannot carry a method call.
//   - Some rarely seen error descriptions (invalid commands and
//     descriptions, invite link and chat title errors, bad webhooks) are best
//     guesses; the common ones are Telegram's own words.
//   - getUpdates keeps updates until confirmed, without Telegram's 24-hour
//     expiry (webhook delivery drops them after a day).
//   - Keyboard limits are the observed ones (the Bot API states none);
//     Telegram measures the 10 KB on its own encoding, the fake on the
//     keyboard's JSON without empty fields.
//
// It must never be used outside tests and the local sandbox: it keeps
// everything in memory and trusts every caller that knows the token.
package telegramtest

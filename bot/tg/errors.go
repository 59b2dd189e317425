package tg

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	tele "gopkg.in/telebot.v3"
)

// Class is what an answer of Telegram means for the request that got it.
// Every component above the wire decides on a Class, never on an error's
// text.
type Class int

// The classes of answers.
const (
	OK          Class = iota // done
	Flood                    // 429: pause everything, then try again
	Transient                // 5xx, timeout, network, 401, 409: try again later
	Unreachable              // the person cannot be written to (blocked the bot, never started it, deleted)
	ChatGone                 // the group is deleted or migrated, or the bot is out of it
	NotModified              // the change was made already ("message is not modified", same title)
	Refused                  // any other 400: Telegram will never take it
)

var classNames = [...]string{"ok", "flood", "transient", "unreachable", "chat_gone", "not_modified", "refused"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// apiCode finds the HTTP-like code telebot puts at the end of the errors it
// does not know: "telegram: Bad Request: ... (400)".
var apiCode = regexp.MustCompile(`\((\d{3})\)$`)

// Classify decides what err, the answer to a request about chat, means,
// and for Flood how many of Telegram's seconds to wait (retry_after).
// Telebot turns the errors it knows into values and the others into text
// ending in the code, so both are looked at; anything that is not an
// answer from Telegram (a network error, a timeout, a 502 page that is not
// JSON) is Transient.
func Classify(err error, chat int64) (Class, int) {
	if err == nil {
		return OK, 0
	}
	if n, ok := floodWait(err); ok {
		return Flood, n
	}
	for _, gone := range []error{tele.ErrKickedFromGroup, tele.ErrKickedFromSuperGroup, tele.ErrKickedFromChannel, tele.ErrNotChannelMember} {
		if errors.Is(err, gone) {
			return ChatGone, 0
		}
	}
	if errors.As(err, &tele.GroupError{}) { // migrated to a supergroup: a new chat id
		return ChatGone, 0
	}
	if IsNotModified(err) {
		return NotModified, 0
	}
	code := Code(err)
	switch {
	case code == 403 || errors.Is(err, tele.ErrChatNotFound):
		if IsGroup(chat) {
			return ChatGone, 0
		}
		return Unreachable, 0
	case code == 400:
		return Refused, 0
	default: // 0 (not an answer), 401, 404, 409, 5xx...
		return Transient, 0
	}
}

// Code is the error code of Telegram's answer (400, 403, 429...), 0 if err
// is no answer of Telegram's.
func Code(err error) int {
	var te *tele.Error
	if errors.As(err, &te) {
		return te.Code
	}
	if errors.As(err, &tele.FloodError{}) {
		return 429
	}
	if errors.As(err, &tele.GroupError{}) {
		return 400
	}
	if msg := err.Error(); strings.HasPrefix(msg, "telegram: ") || strings.Contains(msg, ": telegram: ") {
		if m := apiCode.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// floodWait returns retry_after if err is Telegram's 429.
func floodWait(err error) (int, bool) {
	var flood tele.FloodError
	if errors.As(err, &flood) {
		return flood.RetryAfter, true
	}
	var te *tele.Error
	if errors.As(err, &te) && te.Code == 429 {
		return 1, true // a 429 without retry_after
	}
	return 0, false
}

// IsBlocked reports whether err says a person cannot be written to: they
// blocked the bot, deleted their account or never started it.
func IsBlocked(err error) bool {
	return errors.Is(err, tele.ErrBlockedByUser) || errors.Is(err, tele.ErrUserIsDeactivated) || errors.Is(err, tele.ErrNotStartedByUser)
}

// IsNotModified reports whether err says the change was made already: a
// message edited to what it shows, a title or description set to what it
// is. Telegram writes it in lower case ("message is not modified") or, from
// a stale cache, in upper case (CHAT_NOT_MODIFIED).
func IsNotModified(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, tele.ErrSameMessageContent) || errors.Is(err, tele.ErrMessageNotModified) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "not modified") || strings.Contains(s, "not_modified")
}

// IsMissingRights reports whether err says the bot lacks a right it needs
// in a group.
func IsMissingRights(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "not enough rights")
}

// IsRequestSettled reports whether err, the answer to approving or
// declining a join request, says the request was dealt with already (a
// duplicate update, another administrator) or the person is in.
func IsRequestSettled(err error) bool {
	s := err.Error()
	return strings.Contains(s, "USER_ALREADY_PARTICIPANT") || strings.Contains(s, "HIDE_REQUESTER_MISSING")
}

// Description is the part of a Telegram error worth recording: its
// description, never a URL (which holds the token).
func Description(err error) string {
	var te *tele.Error
	if errors.As(err, &te) {
		return te.Description
	}
	s := err.Error()
	if strings.Contains(s, "://") {
		return "request failed"
	}
	return strings.TrimPrefix(s, "telegram: ")
}

package tg

import (
	"errors"

	tele "gopkg.in/telebot.v3"
)

// MigratedTo returns the supergroup a basic group was upgraded to, if err
// is Telegram's 400 "group chat was upgraded to a supergroup chat" (with
// parameters.migrate_to_chat_id), else 0. Classify calls that answer
// ChatGone; a caller that can follow the group to its new id asks this
// first.
func MigratedTo(err error) int64 {
	var ge tele.GroupError
	if errors.As(err, &ge) {
		return ge.MigratedTo
	}
	var gp *tele.GroupError
	if errors.As(err, &gp) && gp != nil {
		return gp.MigratedTo
	}
	return 0
}

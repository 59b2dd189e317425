package bot

import (
	tele "gopkg.in/telebot.v3"
)

// The direct answers (sendMessage, editMessageText) are the hot path of the
// bot: every update makes one. They go through telebot's Raw with a plain
// payload rather than through Send and Edit, which copy every button through
// reflection on the way out and decode the whole returned message on the way
// back, which no answer needs. Raw still turns Telegram's error answers into
// telebot's errors (tele.ErrBlockedByUser, tele.FloodError, ...).

// textPayload is the body of sendMessage and editMessageText.
type textPayload struct {
	ChatID      int64           `json:"chat_id"`
	MessageID   int             `json:"message_id,omitempty"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	NoPreview   bool            `json:"disable_web_page_preview"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

type inlineKeyboard struct {
	Rows [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text string `json:"text"`
	Data string `json:"callback_data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// payloadOf builds the body that shows v in chat (as message messageID, to
// edit it, or as a new message when messageID is 0).
func payloadOf(chat int64, messageID int, v view) textPayload {
	p := textPayload{ChatID: chat, MessageID: messageID, Text: v.Text, ParseMode: string(tele.ModeHTML), NoPreview: true}
	if v.Markup != nil && len(v.Markup.InlineKeyboard) > 0 {
		kb := &inlineKeyboard{Rows: make([][]inlineButton, len(v.Markup.InlineKeyboard))}
		for i, row := range v.Markup.InlineKeyboard {
			kb.Rows[i] = make([]inlineButton, len(row))
			for j, btn := range row {
				kb.Rows[i][j] = inlineButton{Text: btn.Text, Data: btn.Data, URL: btn.URL}
			}
		}
		p.ReplyMarkup = kb
	}
	return p
}

package tg

import (
	"context"
	"time"
)

// Context is one update being answered: who sent it, in which chat, and
// the way to answer a button press.
type Context struct {
	u      *Update
	client *Client
}

// NewContext returns the context of u, answered through client.
func NewContext(client *Client, u *Update) *Context { return &Context{u: u, client: client} }

// Update is the update being answered.
func (c *Context) Update() *Update { return c.u }

// Callback is the button press, or nil.
func (c *Context) Callback() *Callback { return c.u.Callback }

// Message is the message sent, or the one whose button was pressed; nil
// for other updates.
func (c *Context) Message() *Message {
	switch {
	case c.u.Message != nil:
		return c.u.Message
	case c.u.Callback != nil:
		return c.u.Callback.Message
	}
	return nil
}

// Sender is who caused the update, or nil.
func (c *Context) Sender() *User {
	u := c.u
	switch {
	case u.Message != nil:
		return u.Message.Sender
	case u.Callback != nil:
		return u.Callback.Sender
	case u.MyChatMember != nil:
		return u.MyChatMember.Sender
	case u.ChatMember != nil:
		return u.ChatMember.Sender
	case u.ChatJoinRequest != nil:
		return u.ChatJoinRequest.Sender
	}
	return nil
}

// Chat is the chat the update happened in, or nil.
func (c *Context) Chat() *Chat {
	u := c.u
	switch {
	case u.Message != nil:
		return u.Message.Chat
	case u.Callback != nil && u.Callback.Message != nil:
		return u.Callback.Message.Chat
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat
	case u.ChatMember != nil:
		return u.ChatMember.Chat
	case u.ChatJoinRequest != nil:
		return u.ChatJoinRequest.Chat
	}
	return nil
}

// Recipient is the chat to answer in: the update's chat, else the sender's
// private chat; 0 if there is neither.
func (c *Context) Recipient() int64 {
	if ch := c.Chat(); ch != nil {
		return ch.ID
	}
	if s := c.Sender(); s != nil {
		return s.ID
	}
	return 0
}

// Respond answers a button press: with nothing (the button stops
// spinning), a toast, or an alert. It does nothing for other updates.
func (c *Context) Respond(resp ...*CallbackResponse) error {
	if c.u.Callback == nil {
		return nil
	}
	p := map[string]any{"callback_query_id": c.u.Callback.ID}
	if len(resp) > 0 && resp[0] != nil {
		if resp[0].Text != "" {
			p["text"] = resp[0].Text
		}
		if resp[0].ShowAlert {
			p["show_alert"] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.client.pacer.WaitPause(ctx); err != nil { // no request in a pause
		return err
	}
	return c.client.Call(ctx, "answerCallbackQuery", p, nil)
}

// ChatOf returns the chat an update concerns, for ordering and logging.
func ChatOf(u *Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.Callback != nil && u.Callback.Sender != nil:
		return u.Callback.Sender.ID
	case u.MyChatMember != nil && u.MyChatMember.Chat != nil:
		return u.MyChatMember.Chat.ID
	case u.ChatMember != nil && u.ChatMember.Chat != nil:
		return u.ChatMember.Chat.ID
	case u.ChatJoinRequest != nil && u.ChatJoinRequest.Chat != nil:
		return u.ChatJoinRequest.Chat.ID
	case u.PollAnswer != nil && u.PollAnswer.Voter != nil:
		return u.PollAnswer.Voter.ID // the voter's own queue, not everyone's chat 0
	}
	return 0
}

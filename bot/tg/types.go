package tg

// The Bot API's objects, as far as Multaque reads them: decoded straight
// from Telegram's JSON (getUpdates, the webhook's body), so that nothing
// above this package depends on a client library's types. Field names
// follow the Bot API; where a name would be unclear in Go (from), it says
// who it is (Sender).

// Update is one incoming update. Exactly one of its pointers is set.
type Update struct {
	ID              int                `json:"update_id"`
	Message         *Message           `json:"message,omitempty"`
	Callback        *Callback          `json:"callback_query,omitempty"`
	MyChatMember    *ChatMemberUpdated `json:"my_chat_member,omitempty"`
	ChatMember      *ChatMemberUpdated `json:"chat_member,omitempty"`
	ChatJoinRequest *ChatJoinRequest   `json:"chat_join_request,omitempty"`
	// Polls: see PollAnswer.
	Poll       *Poll       `json:"poll,omitempty"`
	PollAnswer *PollAnswer `json:"poll_answer,omitempty"`
}

// ChatType is the kind of a chat.
type ChatType string

// The kinds of chat.
const (
	ChatPrivate    ChatType = "private"
	ChatGroup      ChatType = "group"
	ChatSuperGroup ChatType = "supergroup"
	ChatChannel    ChatType = "channel"
)

// User is a Telegram user or bot.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot,omitempty"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a private chat, a group, a supergroup or a channel.
type Chat struct {
	ID       int64    `json:"id"`
	Type     ChatType `json:"type"`
	Title    string   `json:"title,omitempty"`
	Username string   `json:"username,omitempty"`
}

// Location is a point on the map.
type Location struct {
	Lat float64 `json:"latitude"`
	Lng float64 `json:"longitude"`
}

// Message is a message, as far as the bot reads one: its text or location,
// and the service facts about a group (who joined or left, its migration).
type Message struct {
	ID       int       `json:"message_id"`
	Sender   *User     `json:"from,omitempty"`
	Chat     *Chat     `json:"chat"`
	Unixtime int64     `json:"date"`
	Text     string    `json:"text,omitempty"`
	Caption  string    `json:"caption,omitempty"`
	Location *Location `json:"location,omitempty"`

	// Media the bot does not read, but answers ("please write").
	Photo    []any `json:"photo,omitempty"`
	Document any   `json:"document,omitempty"`
	Sticker  any   `json:"sticker,omitempty"`

	UsersJoined []User `json:"new_chat_members,omitempty"`
	UserLeft    *User  `json:"left_chat_member,omitempty"`
	MigrateTo   int64  `json:"migrate_to_chat_id,omitempty"`
	MigrateFrom int64  `json:"migrate_from_chat_id,omitempty"`
}

// Callback is a press on an inline button.
type Callback struct {
	ID      string   `json:"id"`
	Sender  *User    `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

// MemberStatus is a chat member's status.
type MemberStatus string

// The statuses of a chat member.
const (
	Creator       MemberStatus = "creator"
	Administrator MemberStatus = "administrator"
	Member        MemberStatus = "member"
	Restricted    MemberStatus = "restricted"
	Left          MemberStatus = "left"
	Kicked        MemberStatus = "kicked"
)

// ChatMember is someone's membership of a chat, with the rights the bot
// reads.
type ChatMember struct {
	User   *User        `json:"user"`
	Role   MemberStatus `json:"status"`
	Member bool         `json:"is_member,omitempty"` // restricted: still in the chat

	CanInviteUsers     bool `json:"can_invite_users,omitempty"`
	CanRestrictMembers bool `json:"can_restrict_members,omitempty"`
	CanPinMessages     bool `json:"can_pin_messages,omitempty"`
	CanChangeInfo      bool `json:"can_change_info,omitempty"`
}

// ChatMemberUpdated is a change of someone's membership of a chat.
type ChatMemberUpdated struct {
	Chat          *Chat       `json:"chat"`
	Sender        *User       `json:"from"`
	Unixtime      int64       `json:"date"`
	OldChatMember *ChatMember `json:"old_chat_member"`
	NewChatMember *ChatMember `json:"new_chat_member"`
}

// ChatJoinRequest is a request to join a chat through an invite link that
// asks for approval.
type ChatJoinRequest struct {
	Chat       *Chat `json:"chat"`
	Sender     *User `json:"from"`
	UserChatID int64 `json:"user_chat_id,omitempty"`
	Unixtime   int64 `json:"date"`
}

// InlineButton is a button under a message: a callback button (Data) or a
// link (URL).
type InlineButton struct {
	Text string `json:"text"`
	Data string `json:"callback_data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Keyboard is an inline keyboard, row by row.
type Keyboard [][]InlineButton

// CallbackResponse is the answer to a button press: a toast, or an alert
// the person must dismiss.
type CallbackResponse struct {
	Text      string
	ShowAlert bool
}

// Command is an entry of a command menu.
type Command struct {
	Text        string `json:"command"`
	Description string `json:"description"`
}

// ModeHTML is the parse mode of every text the bot writes.
const ModeHTML = "HTML"

// Polls: a bot gets a poll_answer for each vote in a non-anonymous poll it
// sent itself (OptionIDs empty: the vote was retracted), and poll updates
// with a poll's new state.

// Poll is a native poll's state.
type Poll struct {
	ID       string       `json:"id"`
	Question string       `json:"question"`
	Options  []PollOption `json:"options"`
	Voters   int          `json:"total_voter_count"`
	Closed   bool         `json:"is_closed"`
}

// PollOption is an option of a poll and how many chose it.
type PollOption struct {
	Text   string `json:"text"`
	Voters int    `json:"voter_count"`
}

// PollAnswer is someone's answer to a non-anonymous poll.
type PollAnswer struct {
	PollID    string `json:"poll_id"`
	Voter     *User  `json:"user,omitempty"`
	OptionIDs []int  `json:"option_ids"`
}

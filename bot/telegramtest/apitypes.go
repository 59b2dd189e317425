package telegramtest

import "encoding/json"

// The JSON shapes below follow https://core.telegram.org/bots/api; fields
// Telegram omits when empty are omitempty here too.

type apiMe struct {
	ID                      int64  `json:"id"`
	IsBot                   bool   `json:"is_bot"`
	FirstName               string `json:"first_name"`
	Username                string `json:"username"`
	CanJoinGroups           bool   `json:"can_join_groups"`
	CanReadAllGroupMessages bool   `json:"can_read_all_group_messages"`
	SupportsInlineQueries   bool   `json:"supports_inline_queries"`
	CanConnectToBusiness    bool   `json:"can_connect_to_business"`
	HasMainWebApp           bool   `json:"has_main_web_app"`
}

type apiUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type apiChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// apiChatFullInfo is what getChat answers.
type apiChatFullInfo struct {
	apiChat
	Description      string          `json:"description,omitempty"`
	InviteLink       string          `json:"invite_link,omitempty"`
	PinnedMessage    *apiMessage     `json:"pinned_message,omitempty"`
	Permissions      *apiPermissions `json:"permissions,omitempty"`
	AccentColorID    int             `json:"accent_color_id"`
	MaxReactionCount int             `json:"max_reaction_count"`
}

type apiPermissions struct {
	CanSendMessages      bool `json:"can_send_messages"`
	CanSendOtherMessages bool `json:"can_send_other_messages"`
	CanInviteUsers       bool `json:"can_invite_users"`
	CanPinMessages       bool `json:"can_pin_messages"`
	CanChangeInfo        bool `json:"can_change_info"`
}

type apiEntity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

type apiDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type apiPhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type apiLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type apiMessage struct {
	MessageID         int             `json:"message_id"`
	From              *apiUser        `json:"from,omitempty"`
	Chat              apiChat         `json:"chat"`
	Date              int64           `json:"date"`
	EditDate          int64           `json:"edit_date,omitempty"`
	Text              string          `json:"text,omitempty"`
	Entities          []apiEntity     `json:"entities,omitempty"`
	Caption           string          `json:"caption,omitempty"`
	CaptionEntities   []apiEntity     `json:"caption_entities,omitempty"`
	Document          *apiDocument    `json:"document,omitempty"`
	Photo             []apiPhotoSize  `json:"photo,omitempty"`
	Location          *apiLocation    `json:"location,omitempty"`
	NewChatMembers    []apiUser       `json:"new_chat_members,omitempty"`
	LeftChatMember    *apiUser        `json:"left_chat_member,omitempty"`
	NewChatTitle      string          `json:"new_chat_title,omitempty"`
	MigrateToChatID   int64           `json:"migrate_to_chat_id,omitempty"`
	MigrateFromChatID int64           `json:"migrate_from_chat_id,omitempty"`
	PinnedMessage     *apiMessage     `json:"pinned_message,omitempty"`
	ReplyMarkup       json.RawMessage `json:"reply_markup,omitempty"`
	Poll              *apiPoll        `json:"poll,omitempty"` // polls.go
}

// apiInaccessibleMessage is sent in a callback_query whose message is gone.
type apiInaccessibleMessage struct {
	Chat      apiChat `json:"chat"`
	MessageID int     `json:"message_id"`
	Date      int64   `json:"date"`
}

type apiCallbackQuery struct {
	ID           string  `json:"id"`
	From         apiUser `json:"from"`
	Message      any     `json:"message,omitempty"`
	ChatInstance string  `json:"chat_instance"`
	Data         string  `json:"data,omitempty"`
}

// apiInlineButton is the subset of InlineKeyboardButton the fake understands;
// unknown kinds are kept in Other so they round-trip.
type apiInlineButton struct {
	Text                         string          `json:"text"`
	URL                          string          `json:"url,omitempty"`
	CallbackData                 *string         `json:"callback_data,omitempty"`
	SwitchInlineQuery            *string         `json:"switch_inline_query,omitempty"`
	SwitchInlineQueryCurrentChat *string         `json:"switch_inline_query_current_chat,omitempty"`
	WebApp                       json.RawMessage `json:"web_app,omitempty"`
	LoginURL                     json.RawMessage `json:"login_url,omitempty"`
	CopyText                     json.RawMessage `json:"copy_text,omitempty"`
	Pay                          bool            `json:"pay,omitempty"`
}

type apiReplyButton struct {
	Text string `json:"text"`
}

type apiReplyMarkup struct {
	InlineKeyboard [][]apiInlineButton `json:"inline_keyboard,omitempty"`
	Keyboard       [][]json.RawMessage `json:"keyboard,omitempty"`
	RemoveKeyboard bool                `json:"remove_keyboard,omitempty"`
	ForceReply     bool                `json:"force_reply,omitempty"`
}

type apiChatMember struct {
	User                apiUser `json:"user"`
	Status              string  `json:"status"`
	IsAnonymous         *bool   `json:"is_anonymous,omitempty"`
	CanBeEdited         *bool   `json:"can_be_edited,omitempty"`
	CanManageChat       *bool   `json:"can_manage_chat,omitempty"`
	CanDeleteMessages   *bool   `json:"can_delete_messages,omitempty"`
	CanManageVideoChats *bool   `json:"can_manage_video_chats,omitempty"`
	CanRestrictMembers  *bool   `json:"can_restrict_members,omitempty"`
	CanPromoteMembers   *bool   `json:"can_promote_members,omitempty"`
	CanChangeInfo       *bool   `json:"can_change_info,omitempty"`
	CanInviteUsers      *bool   `json:"can_invite_users,omitempty"`
	CanPinMessages      *bool   `json:"can_pin_messages,omitempty"`
	CanPostStories      *bool   `json:"can_post_stories,omitempty"`
	CanEditStories      *bool   `json:"can_edit_stories,omitempty"`
	CanDeleteStories    *bool   `json:"can_delete_stories,omitempty"`
	CanManageTopics     *bool   `json:"can_manage_topics,omitempty"`
	UntilDate           *int64  `json:"until_date,omitempty"`
}

type apiChatMemberUpdated struct {
	Chat          apiChat            `json:"chat"`
	From          apiUser            `json:"from"`
	Date          int64              `json:"date"`
	OldChatMember apiChatMember      `json:"old_chat_member"`
	NewChatMember apiChatMember      `json:"new_chat_member"`
	InviteLink    *apiChatInviteLink `json:"invite_link,omitempty"`
}

type apiChatJoinRequest struct {
	Chat       apiChat            `json:"chat"`
	From       apiUser            `json:"from"`
	UserChatID int64              `json:"user_chat_id"`
	Date       int64              `json:"date"`
	InviteLink *apiChatInviteLink `json:"invite_link,omitempty"`
}

type apiChatInviteLink struct {
	InviteLink              string  `json:"invite_link"`
	Creator                 apiUser `json:"creator"`
	CreatesJoinRequest      bool    `json:"creates_join_request"`
	IsPrimary               bool    `json:"is_primary"`
	IsRevoked               bool    `json:"is_revoked"`
	Name                    string  `json:"name,omitempty"`
	ExpireDate              int64   `json:"expire_date,omitempty"`
	MemberLimit             int     `json:"member_limit,omitempty"`
	PendingJoinRequestCount int     `json:"pending_join_request_count,omitempty"`
}

type apiWebhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

type apiFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

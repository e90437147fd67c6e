//! The read models: what the store answers a list, a thread, a search or the counts
//! with, and the requests that ask for them. Plain data; the window sees them as they
//! are (TypeScript is generated from them through `facade::ipc`).
//!
//! Conventions: camelCase fields; ids as strings (Meta ids exceed 2^53, and internal ids
//! stay opaque); timestamps as integer Unix milliseconds; enums as string unions or
//! `type`-tagged unions.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::account::AccountStatus;
use super::events::{Actor, Attachment, DeliveryStatus, Direction, MessageExtras, MessageKind, Platform};
use super::reply_window::ReplyWindow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ConversationState {
    Open,
    Done,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Open => "open",
            ConversationState::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ConversationState::Open),
            "done" => Some(ConversationState::Done),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationFilter {
    pub platform: Option<Platform>,
    /// An account id from [`AccountRef::id`].
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
    pub unread_only: bool,
    pub state: Option<ConversationState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ListConversationsRequest {
    pub filter: ConversationFilter,
    /// `nextCursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// Page size, 1..=200; 50 when absent.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountRef {
    #[ts(type = "number")]
    pub id: i64,
    pub platform: Platform,
    /// Page id, Instagram account id or WhatsApp phone-number id.
    pub asset_id: String,
    pub name: Option<String>,
    pub status: AccountStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContactRef {
    pub id: String,
    /// PSID, IGSID, WhatsApp BSUID or number.
    pub platform_user_id: String,
    pub name: Option<String>,
    pub handle: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessagePreview {
    pub direction: Direction,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub deleted: bool,
    pub status: Option<DeliveryStatus>,
    pub attachment_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: String,
    pub platform: Platform,
    pub account: AccountRef,
    pub contact: ContactRef,
    pub preview: Option<MessagePreview>,
    pub last_message_at: Option<i64>,
    pub unread_count: u32,
    pub marked_unread: bool,
    /// Newest inbound message: the start of the platform's reply window.
    pub last_inbound_at: Option<i64>,
    /// Whether and how the business may answer, as of when this was read; the window asks
    /// again at [`ReplyWindow::changes_at`].
    pub reply_window: ReplyWindow,
    pub state: ConversationState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThreadRequest {
    pub conversation_id: String,
    /// `nextCursor` of the previous page (older messages); absent for the newest page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1..=500; 60 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub actor: Actor,
    pub emoji: String,
}

/// The message a reply quotes, as far as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Quoted {
    Message {
        mid: String,
        /// Absent when the quoted message is not in the store (older than the history).
        direction: Option<Direction>,
        kind: Option<MessageKind>,
        text: Option<String>,
        deleted: bool,
    },
    Story {
        url: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub code: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessage {
    pub id: String,
    /// The platform's message id.
    pub mid: String,
    pub direction: Direction,
    pub kind: MessageKind,
    /// What to show: the latest edit; absent for unsent messages and media without caption.
    pub text: Option<String>,
    pub edited: bool,
    pub deleted: bool,
    pub sent_at: i64,
    /// Outbound only.
    pub status: Option<DeliveryStatus>,
    pub failure: Option<Failure>,
    pub attachments: Vec<Attachment>,
    pub reactions: Vec<Reaction>,
    pub quoted: Option<Quoted>,
    pub extras: MessageExtras,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThreadPage {
    pub conversation: ConversationSummary,
    /// Newest first.
    pub messages: Vec<ThreadMessage>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub query: String,
    /// Message hits, 1..=200; 50 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A piece of a snippet; highlighted parts matched the query. Rendered as text, never
/// as HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SnippetPart {
    pub text: String,
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageHit {
    pub conversation_id: String,
    pub message_id: String,
    pub platform: Platform,
    pub contact_name: Option<String>,
    pub direction: Direction,
    pub sent_at: i64,
    pub snippet: Vec<SnippetPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// Conversations whose contact name, handle or number matched.
    pub conversations: Vec<ConversationSummary>,
    /// Matching messages, newest first.
    pub messages: Vec<MessageHit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformCount {
    pub platform: Platform,
    pub conversations: u32,
    pub unread: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub conversations: u32,
    /// Conversations with unread messages or marked unread.
    pub unread: u32,
    pub open: u32,
    pub done: u32,
    pub by_platform: Vec<PlatformCount>,
    pub messages: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRef {
    pub conversation_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetStateRequest {
    pub conversation_id: String,
    pub state: ConversationState,
}

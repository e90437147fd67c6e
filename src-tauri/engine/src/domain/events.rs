//! Domain events: what happened in a conversation, independent of how Meta said it.
//!
//! Every platform payload (Messenger, Instagram, WhatsApp webhooks today; Graph history
//! and the outbox later) is translated into these, and the store applies nothing else.
//! Events must be safe to apply twice and in any order: each one names the conversation
//! it belongs to and carries the platform's own ids, which the store uses as keys.
//!
//! Ids from Meta are strings everywhere: Instagram ids exceed 2^53 and would lose digits
//! as JavaScript numbers or f64. Timestamps are integer Unix milliseconds.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The messaging platforms CAHTS speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Messenger,
    Instagram,
    Whatsapp,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Messenger, Platform::Instagram, Platform::Whatsapp];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Messenger => "messenger",
            Platform::Instagram => "instagram",
            Platform::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The platform's name as Meta writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Messenger => "Messenger",
            Platform::Instagram => "Instagram",
            Platform::Whatsapp => "WhatsApp",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies one conversation: a business asset talking with one customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConversationKey {
    pub platform: Platform,
    /// The business side: Page id (Messenger), Instagram professional account id,
    /// or WhatsApp phone-number id.
    pub account_id: String,
    /// The customer: PSID (Messenger), IGSID (Instagram), or on WhatsApp the
    /// business-scoped user id when present, else the `wa_id`.
    pub contact_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the customer to the business.
    Inbound,
    /// From the business (this app, another app, or Meta's own inbox) to the customer.
    Outbound,
}

/// What a message primarily is; decides how the window renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Image,
    Video,
    Audio,
    File,
    Sticker,
    Location,
    Contacts,
    /// A shared post, reel, link or product.
    Share,
    StoryMention,
    /// A tap on a button, Get Started or a persistent-menu item (Messenger/IG postback).
    Postback,
    /// WhatsApp interactive list or button reply.
    Interactive,
    /// WhatsApp template quick-reply button tap.
    Button,
    /// The customer entered the thread from an ad, link or shortlink.
    Referral,
    /// Platform notices, e.g. a WhatsApp user changed their number.
    System,
    /// The platform delivered something it cannot describe (WhatsApp `unsupported`,
    /// Instagram `is_unsupported`, or an ephemeral photo that carries no content).
    Unsupported,
    /// An outbound WhatsApp template message.
    Template,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Image => "image",
            MessageKind::Video => "video",
            MessageKind::Audio => "audio",
            MessageKind::File => "file",
            MessageKind::Sticker => "sticker",
            MessageKind::Location => "location",
            MessageKind::Contacts => "contacts",
            MessageKind::Share => "share",
            MessageKind::StoryMention => "story_mention",
            MessageKind::Postback => "postback",
            MessageKind::Interactive => "interactive",
            MessageKind::Button => "button",
            MessageKind::Referral => "referral",
            MessageKind::System => "system",
            MessageKind::Unsupported => "unsupported",
            MessageKind::Template => "template",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        use MessageKind::*;
        [
            Text,
            Image,
            Video,
            Audio,
            File,
            Sticker,
            Location,
            Contacts,
            Share,
            StoryMention,
            Postback,
            Interactive,
            Button,
            Referral,
            System,
            Unsupported,
            Template,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
    Sticker,
    /// Shared post / link / product (`share`, `fallback`, `ig_post`, `template`).
    Share,
    Reel,
    Story,
    /// Content the platform does not hand over (Instagram `ephemeral`).
    Unavailable,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Video => "video",
            AttachmentKind::Audio => "audio",
            AttachmentKind::File => "file",
            AttachmentKind::Sticker => "sticker",
            AttachmentKind::Share => "share",
            AttachmentKind::Reel => "reel",
            AttachmentKind::Story => "story",
            AttachmentKind::Unavailable => "unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<AttachmentKind> {
        use AttachmentKind::*;
        [Image, Video, Audio, File, Sticker, Share, Reel, Story, Unavailable].into_iter().find(|k| k.as_str() == s)
    }
}

/// A media item or shared object carried by a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub kind: Option<AttachmentKind>,
    pub mime_type: Option<String>,
    /// Remote URL (Messenger/IG CDN, WhatsApp lookaside URL). Such URLs expire.
    pub url: Option<String>,
    /// WhatsApp media id, downloadable for a limited time.
    pub media_id: Option<String>,
    pub filename: Option<String>,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    /// Title of a shared link or post, when the platform gives one.
    pub title: Option<String>,
    /// WhatsApp voice note (as opposed to an audio file); animated sticker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animated: bool,
    /// Where the downloaded copy lives on this computer, once downloaded.
    pub local_path: Option<String>,
    /// A small JPEG of a downloaded image, for the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_path: Option<String>,
    /// Why the media will not be on this computer (gone from Meta, too big, not what it
    /// claimed to be); absent while it is on its way or once it is here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_error: Option<String>,
}

/// What a message answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum ReplyTo {
    /// A reply to another message in the thread (Messenger/IG `reply_to.mid`, WhatsApp
    /// `context.id`).
    Message { mid: String },
    /// An Instagram story reply.
    Story { url: Option<String>, story_id: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContactCard {
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub organization: Option<String>,
}

/// Where a customer came from (ad, m.me / ig.me link, WhatsApp click-to-chat ad).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    /// `ADS`, `SHORTLINK`, `ad`, `post`...: as the platform says it.
    pub source: Option<String>,
    /// The `ref` parameter of the link.
    pub ref_param: Option<String>,
    pub ad_id: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    pub source_url: Option<String>,
    pub product_id: Option<String>,
}

/// An error attached to a message by the platform (a failed WhatsApp delivery, an
/// unsupported inbound message).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformError {
    #[ts(type = "number | null")]
    pub code: Option<i64>,
    pub title: Option<String>,
    pub detail: Option<String>,
}

/// Details that only some kinds of message carry. Stored as one JSON column; every
/// field is optional so older rows stay readable as fields are added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageExtras {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactCard>,
    /// Payload of a tapped quick reply, postback, interactive reply or template button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Title shown on the tapped button / list row, when it differs from `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
    /// The platform could not show this message (WhatsApp 131051 and friends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<PlatformError>,
    /// WhatsApp `context.forwarded` / `frequently_forwarded`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// Instagram test message the account sent itself (`is_self`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_self: bool,
    /// For an echo: the Meta app that sent it (`app_id`), when not this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// For an echo: the `metadata` string passed on send (our outbox client id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_metadata: Option<String>,
    /// WhatsApp `system.wa_id`: the new number after `user_changed_number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_wa_id: Option<String>,
}

impl MessageExtras {
    pub fn is_empty(&self) -> bool {
        self == &MessageExtras::default()
    }
}

/// What we learn about a customer from a payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactProfile {
    pub name: Option<String>,
    /// Instagram / WhatsApp username.
    pub handle: Option<String>,
    /// WhatsApp phone number (`wa_id`), when the contact is keyed by its BSUID.
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
}

/// A message as first seen (inbound, echo, or history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    pub key: ConversationKey,
    /// Platform message id (`mid`, `wamid`). Unique per platform; the idempotency key.
    /// Events without an id of their own (referrals, old postbacks) get a deterministic
    /// synthetic id derived from sender and timestamp, so a redelivery maps to the same row.
    pub mid: String,
    pub direction: Direction,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    pub reply_to: Option<ReplyTo>,
    pub extras: MessageExtras,
    pub sent_at: i64,
}

/// Delivery state of an outbound message. Ordered: a state never moves backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Written locally, not yet accepted by the platform.
    Pending,
    Sent,
    /// Failed is below Delivered on purpose: a `failed` that arrives after `delivered`
    /// (WhatsApp reorders statuses) must not undo the delivery.
    Failed,
    Delivered,
    Read,
    /// WhatsApp voice message played.
    Played,
}

impl DeliveryStatus {
    /// Stored as an integer so "never backwards" is `MAX(old, new)` in SQL.
    pub fn rank(self) -> i64 {
        match self {
            DeliveryStatus::Pending => 0,
            DeliveryStatus::Sent => 10,
            DeliveryStatus::Failed => 15,
            DeliveryStatus::Delivered => 20,
            DeliveryStatus::Read => 30,
            DeliveryStatus::Played => 40,
        }
    }

    pub fn from_rank(rank: i64) -> Option<DeliveryStatus> {
        use DeliveryStatus::*;
        [Pending, Sent, Failed, Delivered, Read, Played].into_iter().find(|s| s.rank() == rank)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
        }
    }
}

/// Who reacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    Contact,
    Business,
}

/// One thing that happened, ready for the store.
// Message is by far the most common variant: boxing it would add an allocation to the
// common case to shrink the rare ones. Events live only for the length of a batch.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    /// A message, inbound or outbound (echo). Applying it again changes nothing.
    Message(NewMessage),
    /// Profile facts about a customer (WhatsApp `contacts[]`, Graph profiles).
    Contact { key: ConversationKey, profile: ContactProfile },
    /// Display facts about a business asset (WhatsApp `metadata.display_phone_number`).
    Account { platform: Platform, account_id: String, display_name: String },
    /// The customer edited a message. Later edits win by `edit_count`.
    Edited { key: ConversationKey, mid: String, text: String, edit_count: u32, at: i64 },
    /// The customer unsent a message (Instagram `is_deleted`).
    Deleted { key: ConversationKey, mid: String, at: i64 },
    /// A reaction set (`emoji: Some`) or removed (`None`) on message `mid`. The latest by
    /// `at` wins per (message, actor).
    Reaction {
        key: ConversationKey,
        mid: String,
        actor: Actor,
        emoji: Option<String>,
        /// Messenger/IG reaction name (`love`, `like`...) when given.
        reaction: Option<String>,
        at: i64,
    },
    /// Per-message status (WhatsApp `statuses[]`, Messenger `delivery.mids`, IG seen).
    Status {
        key: ConversationKey,
        mid: String,
        status: DeliveryStatus,
        at: i64,
        error: Option<PlatformError>,
        /// What the sender attached to the message for its own tracking (WhatsApp
        /// `biz_opaque_callback_data`): CAHTS's outbox client id, which settles a send
        /// whose answer was lost.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        send_metadata: Option<String>,
    },
    /// Messenger watermark: every outbound message sent at or before `watermark` reached
    /// `status` (Delivered or Read).
    Watermark { key: ConversationKey, status: DeliveryStatus, watermark: i64 },
}

impl DomainEvent {
    /// The conversation this event belongs to, if any.
    pub fn key(&self) -> Option<&ConversationKey> {
        match self {
            DomainEvent::Message(m) => Some(&m.key),
            DomainEvent::Contact { key, .. }
            | DomainEvent::Edited { key, .. }
            | DomainEvent::Deleted { key, .. }
            | DomainEvent::Reaction { key, .. }
            | DomainEvent::Status { key, .. }
            | DomainEvent::Watermark { key, .. } => Some(key),
            DomainEvent::Account { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_ranks_order_like_the_enum() {
        use DeliveryStatus::*;
        let all = [Pending, Sent, Failed, Delivered, Read, Played];
        for pair in all.windows(2) {
            assert!(pair[0].rank() < pair[1].rank(), "rank must follow declaration order");
            assert!(pair[0] < pair[1]);
        }
        for s in all {
            assert_eq!(DeliveryStatus::from_rank(s.rank()), Some(s), "rank must round-trip");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in [MessageKind::Text, MessageKind::StoryMention, MessageKind::Template] {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
        }
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
        }
    }
}

//! The records tests seed the sim with and read back, shaped after the objects of Meta's
//! documentation: tokens and their kinds and deaths (§4; FLDBG for `type`, GERR and R4 for
//! the 190 subcodes), Pages and Instagram professional accounts (§4 "Page tokens", IGGS; IG
//! ids above 2^53, §6.5), conversations (§3.1, CONV), WhatsApp Business Accounts, phone
//! numbers, templates and media (§3.4, WAAP, WATPL, WAM), what the sim was asked to send
//! (§3.3, §3.4) and the two shapes of the Instagram code exchange (IGLB).

use std::collections::HashSet;

use serde_json::{Value, json};

/// A messaging platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Messenger,
    Instagram,
    WhatsApp,
}

impl Platform {
    /// The `platform=` value of the Conversations API (`messenger`, `instagram`), and
    /// `whatsapp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Messenger => "messenger",
            Platform::Instagram => "instagram",
            Platform::WhatsApp => "whatsapp",
        }
    }
}

/// The Meta app the tests play: its id and secret, and the separate Instagram app id and
/// secret used by Instagram Login (§4 "IG Login OAuth").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    pub app_id: String,
    pub app_secret: String,
    pub name: String,
    pub instagram_app_id: String,
    pub instagram_app_secret: String,
}

impl AppInfo {
    /// The app access token `{app-id}|{app-secret}`.
    pub fn app_token(&self) -> String {
        format!("{}|{}", self.app_id, self.app_secret)
    }
}

/// How long a token issued by a seeding helper lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLife {
    /// One hour.
    ShortLived,
    /// About 60 days (`expires_in` 5 183 944).
    LongLived,
    /// No expiry (Page tokens from long-lived user tokens, system-user tokens).
    Never,
}

/// What kind of token it is (`debug_token` `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    App,
    User,
    Page,
    SystemUser,
    InstagramUser,
}

/// Why a token stopped working (§5.2, code 190).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Valid,
    /// 190 / 463.
    Expired,
    /// 190 / 460.
    PasswordChanged,
    /// 190 / 467 (invalid / logged out / revoked).
    Revoked,
    /// 190 / 458 (the user removed the app).
    AppRemoved,
}

/// A token the World knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub token: String,
    pub kind: TokenKind,
    /// The app it was issued to (the Instagram app id for Instagram Login tokens).
    pub app_id: String,
    /// Facebook user, system user, or (Instagram Login) the Instagram account.
    pub user_id: Option<String>,
    /// Page tokens: the Page.
    pub page_id: Option<String>,
    pub scopes: Vec<String>,
    /// System-user tokens: the WhatsApp Business Accounts they may use (user tokens reach
    /// whatever their user has access to at call time; this lists it at issue time).
    pub waba_ids: Vec<String>,
    pub issued_at_ms: i64,
    /// `None`: never expires.
    pub expires_at_ms: Option<i64>,
    pub long_lived: bool,
    pub status: TokenStatus,
    /// Set by [`Faults::expire_token_after`]: calls left before the token expires.
    ///
    /// [`Faults::expire_token_after`]: super::Faults::expire_token_after
    pub calls_left: Option<u32>,
}

/// A Facebook user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
}

/// A Facebook Page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    pub id: String,
    pub name: String,
    /// A Page token that never expires (as from a long-lived user token, §4).
    pub access_token: String,
    /// The linked Instagram professional account, once [`World::add_instagram`] ran.
    ///
    /// [`World::add_instagram`]: super::World::add_instagram
    pub instagram_id: Option<String>,
}

/// An Instagram professional account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstagramInfo {
    /// The IG professional account id: 17 digits, above 2^53 (§6.5).
    pub id: String,
    pub username: String,
    pub name: String,
    /// The Facebook Page it is linked to (Messenger API for Instagram).
    pub page_id: Option<String>,
}

/// A seeded conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationInfo {
    pub id: String,
    pub platform: Platform,
    pub page_id: String,
    /// The Page (Messenger) or the Instagram account (Instagram).
    pub account_id: String,
    /// PSID or IGSID of the customer.
    pub participant_id: String,
    /// Display name (Messenger) or username (Instagram).
    pub participant_name: String,
    /// Message ids, oldest first.
    pub message_ids: Vec<String>,
}

/// One message of a conversation, as the World holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub id: String,
    pub created_ms: i64,
    /// True when the business (Page / IG account) sent it.
    pub from_business: bool,
    pub text: String,
    pub attachments: usize,
    pub reply_to: Option<String>,
}

/// A WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WabaInfo {
    pub id: String,
    pub name: String,
    /// A never-expiring system-user token with access to this WABA (§4 "WA system-user
    /// tokens").
    pub system_user_token: String,
}

/// A WhatsApp business phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumberInfo {
    pub id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub verified_name: String,
}

/// A message template's review status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
}

impl TemplateStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            TemplateStatus::Approved => "APPROVED",
            TemplateStatus::Pending => "PENDING",
            TemplateStatus::Rejected => "REJECTED",
        }
    }
}

/// A WhatsApp message template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    /// `en_US`, `de`, …
    pub language: String,
    pub status: TemplateStatus,
    /// `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    pub category: String,
    /// Meta's `components` array (`[{type: "BODY", text: "Hi {{1}}"}, …]`).
    pub components: Value,
}

impl Template {
    /// An approved `UTILITY` template with one BODY component.
    pub fn approved(name: &str, language: &str, body: &str) -> Template {
        Template {
            name: name.to_owned(),
            language: language.to_owned(),
            status: TemplateStatus::Approved,
            category: "UTILITY".to_owned(),
            components: json!([{ "type": "BODY", "text": body }]),
        }
    }

    /// The number of distinct `{{n}}` placeholders in the BODY component.
    pub(super) fn body_params(&self) -> usize {
        let body = self
            .components
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("BODY"))
            .and_then(|c| c.get("text"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut seen = HashSet::new();
        let mut rest = body;
        while let Some(open) = rest.find("{{") {
            rest = &rest[open + 2..];
            if let Some(close) = rest.find("}}") {
                seen.insert(rest[..close].trim().to_owned());
                rest = &rest[close + 2..];
            } else {
                break;
            }
        }
        seen.len()
    }
}

/// A WhatsApp media object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub id: String,
    pub mime_type: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub file_size: usize,
    /// The phone number it was uploaded to (none for [`World::add_media`]).
    ///
    /// [`World::add_media`]: super::World::add_media
    pub phone_number_id: Option<String>,
    pub deleted: bool,
}

/// What a recorded send was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentKind {
    /// A message (text, attachment, template, …): it has a `message_id`.
    Message,
    /// Messenger / Instagram `sender_action` (`mark_seen`, `typing_on`, `typing_off`).
    SenderAction,
    /// A reaction: Messenger / Instagram `react` / `unreact`, WhatsApp `type: reaction`.
    Reaction,
    /// WhatsApp `status: "read"`.
    MarkRead,
}

/// Something the sim was asked to send, recorded as it was accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// Order of acceptance, from 1.
    pub seq: u64,
    /// Fake-clock time of acceptance.
    pub at_ms: i64,
    pub platform: Platform,
    /// Page id (Messenger), Instagram account id (Instagram), phone-number id (WhatsApp).
    pub account_id: String,
    /// PSID, IGSID or `wa_id`.
    pub recipient_id: String,
    pub kind: SentKind,
    /// `text`, `image`, `template`, `mark_seen`, `react`, `read`, …
    pub message_type: String,
    /// `m_…`, `aWdf…` or `wamid.…` (messages only).
    pub message_id: Option<String>,
    /// Text, caption, template name, reaction emoji.
    pub text: Option<String>,
    /// The request body as received.
    pub request: Value,
    /// False when the connection was dropped before the answer (see
    /// [`Faults::drop_after_processing`]).
    ///
    /// [`Faults::drop_after_processing`]: super::Faults::drop_after_processing
    pub answered: bool,
}

/// A request the sim received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path as requested (with the version segment).
    pub path: String,
    pub query: Vec<(String, String)>,
    /// 0 when the connection was dropped.
    pub status: u16,
}

/// The shape of the Instagram code-exchange answer (§4 "IG Login OAuth").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgTokenStyle {
    /// As documented (IGLB): `{"data":[{"access_token","user_id":"…","permissions":"a,b"}]}`.
    Documented,
    /// As older samples show: `{"access_token","user_id":<number>,"permissions":[…]}`.
    Flat,
}

//! The Graph API, its OAuth endpoints and the login dialogs, simulated: an axum server
//! with an in-memory [`World`] that tests seed and inspect, and switchable [`Faults`].
//!
//! One server answers for every Meta host the desktop and the relay talk to
//! (`graph.facebook.com`, `graph.instagram.com`, `api.instagram.com`, `www.facebook.com`
//! dialogs, the WhatsApp media "lookaside" host): tests point every base URL at
//! [`MetaSim::base_url`]. Graph paths are `{base}/{version}/…`; any `vNN.N` version segment
//! is accepted and so is no version at all.
//!
//! Everything here follows Meta's documentation as summarised in `META-API.md` (§ numbers
//! and source keys such as "CONV" or "WAM" refer to that file). Where the documentation is
//! silent the behaviour is marked **guessed** in the doc comment of the code that does it.
//!
//! # Paths served
//!
//! | Method | Path (after the optional `/{version}`) | What |
//! |---|---|---|
//! | GET | `/dialog/oauth` | Facebook login dialog, auto-approves (302) |
//! | GET | `/oauth/authorize` | Instagram login dialog, auto-approves (302) |
//! | GET, POST | `/oauth/access_token` | FB code exchange, `fb_exchange_token`, `client_credentials`; POST with the Instagram app id: Instagram code exchange |
//! | GET | `/access_token` | Instagram `ig_exchange_token` |
//! | GET | `/refresh_access_token` | Instagram `ig_refresh_token` |
//! | GET | `/debug_token` | token metadata |
//! | GET | `/me`, `/me/accounts`, `/{user-id}/accounts` | the caller; a user's Pages with Page tokens |
//! | GET | `/{page-id}`, `/{ig-id}`, `/{psid}`, `/{igsid}`, `/{conversation-id}`, `/{message-id}`, `/{waba-id}`, `/{phone-number-id}`, `/{media-id}` | nodes |
//! | GET | `/{page-id}/conversations`, `/{ig-id}/conversations`, `/me/conversations` | conversations, cursor paging |
//! | GET | `/{conversation-id}/messages` | messages of a conversation, cursor paging |
//! | POST | `/{page-id}/messages`, `/{ig-id}/messages`, `/me/messages` | Send API (messages and sender actions) |
//! | POST | `/{page-id}/message_attachments` | Attachment Upload API |
//! | GET, POST, DELETE | `/{page-id}/subscribed_apps`, `/{ig-id}/subscribed_apps`, `/{waba-id}/subscribed_apps` | webhook subscription |
//! | POST | `/{phone-number-id}/messages` | WhatsApp send, mark read |
//! | POST | `/{phone-number-id}/media` | WhatsApp media upload (multipart) |
//! | DELETE | `/{media-id}` | WhatsApp media delete |
//! | GET | `/{waba-id}/message_templates`, `/{waba-id}/phone_numbers` | WhatsApp Business Account edges |
//! | GET | `/whatsapp_business/attachments/?mid=…&ext=…&hash=…` | WhatsApp media download URL (Bearer, 5 min) |
//! | GET | `/cdn/{name}` | attachment and profile-picture bytes (the `scontent` CDN) |
//!
//! # Idempotency
//!
//! Meta's send endpoints take no client idempotency key: the same request sent twice
//! produces two messages, and meta-sim does the same (both are recorded in
//! [`World::sent`]). Avoiding duplicates — for example after
//! [`Faults::drop_after_processing`], where the message exists but the caller never saw the
//! answer — is the engine's job.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{MetaFormatter, to_json_with};

// =======================================================================================
// Constants
// =======================================================================================

/// The version reported in `facebook-api-version` for unversioned calls (§3.5: latest).
const LATEST_VERSION: &str = "v26.0";
const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Short-lived user tokens: "about an hour or two" (FLLL); the sim uses one hour.
const SHORT_LIVED_MS: i64 = HOUR_MS;
/// Long-lived tokens: `expires_in` ≈ 5 183 944 s (§4 "Long-lived user token").
const LONG_LIVED_MS: i64 = 5_183_944 * SECOND_MS;
/// `data_access_expires_at`: 90 days after issue (FLDBG).
const DATA_ACCESS_MS: i64 = 90 * DAY_MS;
/// Facebook login codes: lifetime UNCONFIRMED (§4); **guessed** 10 minutes.
const FB_CODE_TTL_MS: i64 = 10 * MINUTE_MS;
/// Instagram login codes: 1 h (§4 "IG Login OAuth").
const IG_CODE_TTL_MS: i64 = HOUR_MS;
/// WhatsApp media URLs are valid for 5 minutes (§3.4 "Media download").
const MEDIA_URL_TTL_MS: i64 = 5 * MINUTE_MS;
/// WAM: media ids from webhooks can be downloaded for 7 days, uploaded ones live 30 days.
const RECEIVED_MEDIA_TTL_MS: i64 = 7 * DAY_MS;
const UPLOADED_MEDIA_TTL_MS: i64 = 30 * DAY_MS;
/// Only the 20 most recent messages of a conversation have details (§3.1).
const DETAIL_WINDOW: usize = 20;
/// Standard messaging window (§5.1).
const WINDOW_MS: i64 = DAY_MS;
/// `HUMAN_AGENT` tag window (§3.3, §5.1).
const HUMAN_AGENT_MS: i64 = 7 * DAY_MS;
/// Graph's default page size for edges (guessed 25, the usual Graph default).
const DEFAULT_LIMIT: usize = 25;
/// Largest `limit` honoured; larger values are clamped (**guessed**).
const MAX_LIMIT: usize = 100;
/// The seed of [`MetaSim::start`]: a fixed one, so ids repeat run to run.
pub const DEFAULT_SEED: u64 = 0x4d45_5441_5349_4d00;
/// A 1×1 PNG: the bytes behind seeded image attachments and profile pictures.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

// =======================================================================================
// Public types
// =======================================================================================

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
    fn as_str(self) -> &'static str {
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
    fn body_params(&self) -> usize {
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

// =======================================================================================
// Faults
// =======================================================================================

/// An answer a fault puts in place of the real one.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Graph error JSON (§5.2) with this HTTP status.
    GraphError {
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        transient: bool,
    },
    /// WhatsApp error JSON: no subcode, `error_data{messaging_product, details}` (§5.2).
    WhatsAppError {
        status: u16,
        code: i64,
        title: String,
        details: String,
    },
    /// Any status and body (a proxy's 503 page, …).
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Close the connection without doing anything.
    DropBeforeProcessing,
    /// Do the work (a send IS recorded, with `answered: false`), then close the connection
    /// without answering: a crash between Meta accepting a call and the caller recording
    /// its result.
    DropAfterProcessing,
}

impl Fault {
    /// HTTP 500, code 2, `is_transient: true` (GERR: "temporary service issue").
    pub fn transient() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 2,
            subcode: None,
            message: "An unexpected error has occurred. Please retry your request later.".into(),
            transient: true,
        }
    }

    /// HTTP 500, code 1, `is_transient: true` (GERR: "unknown error").
    pub fn unknown() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 1,
            subcode: None,
            message: "An unknown error has occurred.".into(),
            transient: true,
        }
    }

    /// Messenger 1 / 1357046 "Received Invalid JSON reply" (MERR: the send may have
    /// succeeded despite the error). This fault answers without doing the work; for "did the
    /// work, never said so" use [`Fault::DropAfterProcessing`].
    pub fn invalid_json_reply() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 1,
            subcode: Some(1_357_046),
            message: "Received Invalid JSON reply.".into(),
            transient: false,
        }
    }

    /// A bare HTTP 503 from the front end (**guessed** body).
    pub fn service_unavailable() -> Fault {
        Fault::Raw {
            status: 503,
            content_type: "text/html; charset=utf-8".into(),
            body: "<html><body>Service Unavailable</body></html>".into(),
        }
    }

    /// WhatsApp 131000 "Something went wrong" (WAE), HTTP 500.
    pub fn whatsapp_transient() -> Fault {
        Fault::WhatsAppError {
            status: 500,
            code: 131_000,
            title: "Something went wrong".into(),
            details: "Message failed to send due to an unknown error.".into(),
        }
    }

    /// Any Graph error.
    pub fn graph(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Fault {
        Fault::GraphError {
            status,
            code,
            subcode,
            message: message.to_owned(),
            transient: false,
        }
    }
}

/// A path pattern: `[METHOD ]glob`, the glob matched against the path without its version
/// segment (`/123/messages`), `*` matching any characters including `/`.
#[derive(Debug, Clone)]
struct Pattern {
    method: Option<String>,
    glob: String,
}

impl Pattern {
    fn parse(pattern: &str) -> Pattern {
        let pattern = pattern.trim();
        if let Some((first, rest)) = pattern.split_once(' ')
            && !first.is_empty()
            && first.chars().all(|c| c.is_ascii_uppercase())
        {
            return Pattern {
                method: Some(first.to_owned()),
                glob: rest.trim().to_owned(),
            };
        }
        Pattern {
            method: None,
            glob: pattern.to_owned(),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        glob_match(self.glob.as_bytes(), path.as_bytes())
    }
}

fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_match(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob_match(rest, &text[1..]),
    }
}

#[derive(Debug, Clone)]
struct FaultRule {
    pattern: Pattern,
    remaining: u32,
    fault: Fault,
}

#[derive(Debug, Default)]
struct FaultState {
    rules: Vec<FaultRule>,
    latency: Vec<(Pattern, Duration)>,
    deny_login: bool,
}

/// Usage counters behind `X-App-Usage` / `X-Business-Use-Case-Usage` (§5.3).
#[derive(Debug)]
struct UsageState {
    /// Calls allowed per bucket before 100 %.
    budget: u64,
    /// `estimated_time_to_regain_access` once throttled, minutes.
    regain_minutes: u32,
    /// "app" or "{id}|{type}".
    buckets: HashMap<String, Bucket>,
    /// Presets by business id for buckets not created yet.
    presets: HashMap<String, u32>,
}

#[derive(Debug, Default, Clone)]
struct Bucket {
    calls: u64,
    throttled_until_ms: Option<i64>,
}

/// Cloneable handle to switch faults at runtime.
#[derive(Clone)]
pub struct Faults {
    shared: Shared,
}

impl Faults {
    /// The next `times` calls matching `pattern` (`"POST */messages"`, `"*/conversations"`,
    /// `"GET /debug_token"`) answer `fault` instead. Rules are checked in the order added.
    pub fn fail_next(&self, pattern: &str, times: u32, fault: Fault) {
        lock(&self.shared).faults.rules.push(FaultRule {
            pattern: Pattern::parse(pattern),
            remaining: times,
            fault,
        });
    }

    /// The next `times` matching calls answer [`Fault::transient`] (HTTP 500, code 2).
    pub fn transient_errors(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::transient());
    }

    /// The next `times` matching calls are processed (a send is recorded in the World),
    /// then the connection is closed without an answer.
    pub fn drop_after_processing(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::DropAfterProcessing);
    }

    /// The next `times` matching calls get their connection closed, nothing done.
    pub fn drop_before_processing(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::DropBeforeProcessing);
    }

    /// Every matching call waits `delay` before it is handled, until [`Faults::clear`].
    pub fn latency(&self, pattern: &str, delay: Duration) {
        lock(&self.shared)
            .faults
            .latency
            .push((Pattern::parse(pattern), delay));
    }

    /// `token` answers `calls` more calls, then expires (190 / 463): "the token expired in
    /// the middle of a backfill".
    pub fn expire_token_after(&self, token: &str, calls: u32) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.calls_left = Some(calls);
        }
    }

    /// The login dialogs redirect with `error=access_denied` (the person clicked Cancel).
    pub fn deny_login(&self, deny: bool) {
        lock(&self.shared).faults.deny_login = deny;
    }

    /// Calls per usage bucket that make 100 % (default 200).
    pub fn set_call_budget(&self, calls: u64) {
        lock(&self.shared).usage.budget = calls.max(1);
    }

    /// `estimated_time_to_regain_access` (minutes) once a bucket is throttled (default 10).
    pub fn set_regain_minutes(&self, minutes: u32) {
        lock(&self.shared).usage.regain_minutes = minutes;
    }

    /// Presets the app's platform usage (`X-App-Usage`, user and app tokens) to `percent`.
    pub fn set_app_usage(&self, percent: u32) {
        let mut sim = lock(&self.shared);
        let calls = sim.usage.calls_for(percent);
        let bucket = sim.usage.buckets.entry("app".into()).or_default();
        bucket.calls = calls;
        bucket.throttled_until_ms = None;
    }

    /// Presets the business use-case usage of `id` (a Page, Instagram account or WABA;
    /// every use-case type) to `percent`.
    pub fn set_business_usage(&self, id: &str, percent: u32) {
        let mut sim = lock(&self.shared);
        let calls = sim.usage.calls_for(percent);
        let prefix = format!("{id}|");
        for (key, bucket) in &mut sim.usage.buckets {
            if key.starts_with(&prefix) {
                bucket.calls = calls;
                bucket.throttled_until_ms = None;
            }
        }
        sim.usage.presets.insert(id.to_owned(), percent);
    }

    /// Removes every fault rule, latency and login denial, and resets usage.
    pub fn clear(&self) {
        let mut sim = lock(&self.shared);
        sim.faults = FaultState::default();
        sim.usage.buckets.clear();
        sim.usage.presets.clear();
    }

    /// One-shot fault answers not used yet.
    pub fn pending(&self) -> u32 {
        lock(&self.shared)
            .faults
            .rules
            .iter()
            .map(|r| r.remaining)
            .sum()
    }
}

impl UsageState {
    fn calls_for(&self, percent: u32) -> u64 {
        (u64::from(percent) * self.budget).div_ceil(100)
    }
}

// =======================================================================================
// The World (internal state)
// =======================================================================================

type Shared = Arc<Mutex<Sim>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Sim> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    name: String,
    pages: Vec<String>,
    wabas: Vec<String>,
}

#[derive(Debug, Clone)]
struct Page {
    id: String,
    name: String,
    category: String,
    instagram_id: Option<String>,
    subscribed_fields: Vec<String>,
    token: String,
}

#[derive(Debug, Clone)]
struct IgAccount {
    id: String,
    username: String,
    name: String,
    page_id: Option<String>,
    subscribed_fields: Vec<String>,
}

#[derive(Debug, Clone)]
struct Contact {
    id: String,
    platform: Platform,
    /// Page id (Messenger) or Instagram account id.
    account_id: String,
    name: String,
    first_name: String,
    last_name: String,
    username: String,
    profile_visible: bool,
}

#[derive(Debug, Clone)]
struct Attachment {
    id: String,
    mime_type: String,
    name: String,
    size: usize,
    url: String,
}

#[derive(Debug, Clone)]
struct Msg {
    id: String,
    created_ms: i64,
    seq: u64,
    from_business: bool,
    text: String,
    attachments: Vec<Attachment>,
    reply_to: Option<String>,
}

#[derive(Debug, Clone)]
struct Conv {
    id: String,
    platform: Platform,
    page_id: String,
    account_id: String,
    participant: String,
    /// Oldest first.
    messages: Vec<Msg>,
}

impl Conv {
    fn updated_ms(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.created_ms)
    }

    fn updated_seq(&self) -> u64 {
        self.messages.last().map_or(0, |m| m.seq)
    }

    fn last_inbound_ms(&self) -> Option<i64> {
        self.messages
            .iter()
            .rev()
            .find(|m| !m.from_business)
            .map(|m| m.created_ms)
    }
}

#[derive(Debug, Clone)]
struct Waba {
    id: String,
    name: String,
    templates: Vec<(String, Template)>,
    phone_ids: Vec<String>,
    app_subscribed: bool,
}

#[derive(Debug, Clone)]
struct Phone {
    id: String,
    waba_id: String,
    display: String,
    verified_name: String,
}

#[derive(Debug, Clone, Default)]
struct WaContact {
    name: String,
    last_inbound_ms: Option<i64>,
}

#[derive(Debug, Clone)]
struct Media {
    info: MediaInfo,
    bytes: Arc<Vec<u8>>,
    created_ms: i64,
}

#[derive(Debug, Clone)]
struct Code {
    user_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    created_ms: i64,
    used: bool,
    instagram: bool,
}

struct Sim {
    base_url: String,
    offset_ms: i64,
    rng: SmallRng,
    seq: u64,
    app: AppInfo,
    redirect_uris: Vec<String>,
    login_user: Option<String>,
    login_instagram: Option<String>,
    ig_token_style: IgTokenStyle,
    users: Vec<User>,
    tokens: HashMap<String, TokenInfo>,
    /// (user token, page id) → the Page token `/me/accounts` hands out for it.
    page_tokens: HashMap<(String, String), String>,
    codes: HashMap<String, Code>,
    pages: BTreeMap<String, Page>,
    instagram: BTreeMap<String, IgAccount>,
    contacts: HashMap<String, Contact>,
    conversations: Vec<Conv>,
    wabas: BTreeMap<String, Waba>,
    phones: BTreeMap<String, Phone>,
    wa_contacts: HashMap<(String, String), WaContact>,
    undeliverable: HashSet<String>,
    media: HashMap<String, Media>,
    /// hash → (media id, expiry ms)
    media_urls: HashMap<String, (String, i64)>,
    /// CDN name → (mime, bytes)
    cdn: HashMap<String, (String, Arc<Vec<u8>>)>,
    /// CDN names whose signed expiry has passed ([`World::expire_cdn_links`]).
    cdn_expired: HashSet<String>,
    /// attachment_id → the attachment JSON it was created from.
    attachment_ids: HashMap<String, Value>,
    sent: Vec<Sent>,
    requests: Vec<RequestRecord>,
    faults: FaultState,
    usage: UsageState,
}

/// Cloneable handle to seed and inspect the simulated Meta. All ids are strings.
///
/// Time is a fake clock: real time plus an offset that [`World::advance`] moves, so
/// messaging windows, token lifetimes and media URLs can be crossed without waiting.
#[derive(Clone)]
pub struct World {
    shared: Shared,
}

impl World {
    /// The app (created with the World; replace it with [`World::set_app`]).
    pub fn app(&self) -> AppInfo {
        lock(&self.shared).app.clone()
    }

    /// Replaces the app's ids and secrets (existing tokens keep the old app id).
    pub fn set_app(&self, app: AppInfo) {
        lock(&self.shared).app = app;
    }

    /// Every token issued so far (for tests that scan files and logs for leaks).
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.shared).tokens.keys().cloned().collect()
    }

    /// Fake-clock now, Unix ms.
    pub fn now_ms(&self) -> i64 {
        lock(&self.shared).now()
    }

    /// Moves the fake clock forward.
    pub fn advance(&self, by: Duration) {
        lock(&self.shared).offset_ms += i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
    }

    /// Registers a "Valid OAuth Redirect URI" (Strict Mode, §4). While none is registered
    /// every redirect URI is accepted (**guessed** convenience; Meta refuses unlisted ones).
    pub fn allow_redirect_uri(&self, uri: &str) {
        lock(&self.shared).redirect_uris.push(uri.to_owned());
    }

    /// The shape of the Instagram code-exchange answer (default: as documented).
    pub fn set_ig_token_style(&self, style: IgTokenStyle) {
        lock(&self.shared).ig_token_style = style;
    }

    /// A Facebook user.
    pub fn add_user(&self, name: &str) -> UserInfo {
        let mut sim = lock(&self.shared);
        let id = sim.add_user(name);
        UserInfo {
            id,
            name: name.to_owned(),
        }
    }

    /// The user the Facebook login dialog logs in (default: the first user, created on
    /// demand).
    pub fn set_login_user(&self, user_id: &str) {
        lock(&self.shared).login_user = Some(user_id.to_owned());
    }

    /// The Instagram account the Instagram login dialog logs in (default: the first one).
    pub fn set_login_instagram(&self, instagram_id: &str) {
        lock(&self.shared).login_instagram = Some(instagram_id.to_owned());
    }

    /// A user access token for `user_id` with `scopes`.
    pub fn issue_user_token(&self, user_id: &str, life: TokenLife, scopes: &[&str]) -> String {
        let mut sim = lock(&self.shared);
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        sim.issue_user_token(user_id, life, scopes)
    }

    /// An authorization code, as the Facebook login dialog would redirect with.
    pub fn issue_code(&self, user_id: &str, redirect_uri: &str, scopes: &[&str]) -> String {
        let mut sim = lock(&self.shared);
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        sim.issue_code(user_id, redirect_uri, scopes, false)
    }

    /// An authorization code, as the Instagram login dialog would redirect with.
    pub fn issue_instagram_code(&self, instagram_id: &str, redirect_uri: &str) -> String {
        let scopes = vec![
            "instagram_business_basic".to_owned(),
            "instagram_business_manage_messages".to_owned(),
        ];
        lock(&self.shared).issue_code(instagram_id, redirect_uri, scopes, true)
    }

    /// An Instagram User token (Instagram Login) for the account.
    pub fn issue_instagram_token(&self, instagram_id: &str, life: TokenLife) -> String {
        let mut sim = lock(&self.shared);
        sim.issue_instagram_token(instagram_id, life)
    }

    /// What the World knows of a token.
    pub fn token(&self, token: &str) -> Option<TokenInfo> {
        lock(&self.shared).tokens.get(token).cloned()
    }

    /// The token now answers 190 / 463.
    pub fn expire_token(&self, token: &str) {
        let mut sim = lock(&self.shared);
        let now = sim.now();
        if let Some(t) = sim.tokens.get_mut(token) {
            t.status = TokenStatus::Expired;
            t.expires_at_ms = Some(now);
        }
    }

    /// The token expires at `at_ms` (fake clock).
    pub fn set_token_expiry(&self, token: &str, at_ms: i64) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.expires_at_ms = Some(at_ms);
        }
    }

    /// The token now answers 190 / 467.
    pub fn revoke_token(&self, token: &str) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.status = TokenStatus::Revoked;
        }
    }

    /// The user changed their password: their user and Page tokens answer 190 / 460 (§4:
    /// Page tokens are "still invalidated by password change").
    pub fn change_password(&self, user_id: &str) {
        lock(&self.shared).invalidate_user(user_id, TokenStatus::PasswordChanged);
    }

    /// The user removed the app: their tokens answer 190 / 458.
    pub fn remove_app(&self, user_id: &str) {
        lock(&self.shared).invalidate_user(user_id, TokenStatus::AppRemoved);
    }

    /// A Page managed by the first user (created on demand), with a never-expiring Page
    /// token.
    pub fn add_page(&self, name: &str) -> PageInfo {
        let mut sim = lock(&self.shared);
        let user = sim.primary_user();
        sim.add_page(&user, name)
    }

    /// A Page managed by `user_id`.
    pub fn add_page_for(&self, user_id: &str, name: &str) -> PageInfo {
        lock(&self.shared).add_page(user_id, name)
    }

    /// The Page.
    pub fn page(&self, page_id: &str) -> Option<PageInfo> {
        let sim = lock(&self.shared);
        sim.pages.get(page_id).map(|p| PageInfo {
            id: p.id.clone(),
            name: p.name.clone(),
            access_token: p.token.clone(),
            instagram_id: p.instagram_id.clone(),
        })
    }

    /// An Instagram professional account linked to `page_id` (its
    /// `instagram_business_account`).
    ///
    /// # Panics
    /// When the Page does not exist.
    pub fn add_instagram(&self, page_id: &str, username: &str, name: &str) -> InstagramInfo {
        lock(&self.shared).add_instagram(Some(page_id), username, name)
    }

    /// An Instagram professional account linked to no Page (Instagram Login only).
    pub fn add_instagram_unlinked(&self, username: &str, name: &str) -> InstagramInfo {
        lock(&self.shared).add_instagram(None, username, name)
    }

    /// A conversation of `account_id` (a Page id, or for Instagram the Page id or the
    /// Instagram account id) with a new customer called `participant` (display name on
    /// Messenger, username on Instagram) and `n_messages` realistic messages, oldest first.
    /// The customer started it (§5.1) and wrote the last message a few minutes ago, so the
    /// 24 h window is open.
    ///
    /// # Panics
    /// When the account does not exist, `platform` is WhatsApp, or an Instagram conversation
    /// is asked of a Page without a linked Instagram account.
    pub fn add_conversation(
        &self,
        account_id: &str,
        platform: Platform,
        participant: &str,
        n_messages: usize,
    ) -> ConversationInfo {
        let mut sim = lock(&self.shared);
        let idx = sim.add_conversation(account_id, platform, participant, n_messages);
        sim.conversation_info(idx)
    }

    /// The customer writes `text` now (opens the window again). Returns the message id.
    ///
    /// # Panics
    /// When the conversation does not exist.
    pub fn customer_writes(&self, conversation_id: &str, text: &str) -> String {
        let mut sim = lock(&self.shared);
        let idx = sim
            .conv_index(conversation_id)
            .expect("no such conversation");
        let platform = sim.conversations[idx].platform;
        let account = sim.conversations[idx].account_id.clone();
        let id = sim.new_mid(platform, &account);
        let now = sim.now();
        let seq = sim.next_seq();
        sim.conversations[idx].messages.push(Msg {
            id: id.clone(),
            created_ms: now,
            seq,
            from_business: false,
            text: text.to_owned(),
            attachments: Vec::new(),
            reply_to: None,
        });
        id
    }

    /// Moves every message of the conversation `by` into the past (closing its window
    /// without moving the clock).
    pub fn age_conversation(&self, conversation_id: &str, by: Duration) {
        let mut sim = lock(&self.shared);
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        if let Some(idx) = sim.conv_index(conversation_id) {
            for m in &mut sim.conversations[idx].messages {
                m.created_ms -= by;
            }
        }
    }

    /// The conversation as the World holds it.
    pub fn conversation(&self, conversation_id: &str) -> Option<ConversationInfo> {
        let sim = lock(&self.shared);
        sim.conv_index(conversation_id)
            .map(|i| sim.conversation_info(i))
    }

    /// Every conversation, in creation order.
    pub fn conversations(&self) -> Vec<ConversationInfo> {
        let sim = lock(&self.shared);
        (0..sim.conversations.len())
            .map(|i| sim.conversation_info(i))
            .collect()
    }

    /// The messages of a conversation, oldest first (sent ones included).
    pub fn messages(&self, conversation_id: &str) -> Vec<MessageView> {
        let sim = lock(&self.shared);
        let Some(idx) = sim.conv_index(conversation_id) else {
            return Vec::new();
        };
        sim.conversations[idx]
            .messages
            .iter()
            .map(|m| MessageView {
                id: m.id.clone(),
                created_ms: m.created_ms,
                from_business: m.from_business,
                text: m.text.clone(),
                attachments: m.attachments.len(),
                reply_to: m.reply_to.clone(),
            })
            .collect()
    }

    /// Whether the customer's profile is visible to the business (MPROF: without Business
    /// Asset User Profile Access the profile call returns `{}`).
    pub fn set_profile_visible(&self, contact_id: &str, visible: bool) {
        if let Some(c) = lock(&self.shared).contacts.get_mut(contact_id) {
            c.profile_visible = visible;
        }
    }

    /// "Meta unsubscribed the app" (§1 "Retry — Messenger / IG": after an hour of webhook
    /// failures): the Page's / Instagram account's / WABA's subscription is emptied.
    pub fn unsubscribe_app(&self, id: &str) {
        let mut sim = lock(&self.shared);
        if let Some(p) = sim.pages.get_mut(id) {
            p.subscribed_fields.clear();
        }
        if let Some(i) = sim.instagram.get_mut(id) {
            i.subscribed_fields.clear();
        }
        if let Some(w) = sim.wabas.get_mut(id) {
            w.app_subscribed = false;
        }
    }

    /// The fields the app is subscribed to on a Page or Instagram account (a subscribed
    /// WABA reports `["messages"]`).
    pub fn subscribed_fields(&self, id: &str) -> Vec<String> {
        let sim = lock(&self.shared);
        if let Some(p) = sim.pages.get(id) {
            return p.subscribed_fields.clone();
        }
        if let Some(i) = sim.instagram.get(id) {
            return i.subscribed_fields.clone();
        }
        match sim.wabas.get(id) {
            Some(w) if w.app_subscribed => vec!["messages".to_owned()],
            _ => Vec::new(),
        }
    }

    /// A WhatsApp Business Account with a never-expiring system-user token for it. The
    /// first user is given access too (so Facebook Login tokens with WhatsApp scopes work).
    pub fn add_waba(&self, name: &str) -> WabaInfo {
        lock(&self.shared).add_waba(name)
    }

    /// A business phone number of the WABA.
    ///
    /// # Panics
    /// When the WABA does not exist.
    pub fn add_phone_number(
        &self,
        waba_id: &str,
        display_phone_number: &str,
        verified_name: &str,
    ) -> PhoneNumberInfo {
        lock(&self.shared).add_phone(waba_id, display_phone_number, verified_name)
    }

    /// A message template of the WABA. Returns its id.
    ///
    /// # Panics
    /// When the WABA does not exist.
    pub fn add_template(&self, waba_id: &str, template: Template) -> String {
        let mut sim = lock(&self.shared);
        let id = sim.digits(15);
        sim.wabas
            .get_mut(waba_id)
            .expect("no such WABA")
            .templates
            .push((id.clone(), template));
        id
    }

    /// Changes a template's review status.
    pub fn set_template_status(
        &self,
        waba_id: &str,
        name: &str,
        language: &str,
        status: TemplateStatus,
    ) {
        let mut sim = lock(&self.shared);
        if let Some(w) = sim.wabas.get_mut(waba_id) {
            for (_, t) in &mut w.templates {
                if t.name == name && t.language == language {
                    t.status = status;
                }
            }
        }
    }

    /// A WhatsApp customer writes to the business number now: opens (refreshes) the 24 h
    /// customer-service window (§5.1). Returns the inbound `wamid` (WhatsApp has no history
    /// API, so the message itself is not served anywhere; send its webhook with
    /// [`super::whatsapp_batch`] if the test needs it).
    pub fn wa_customer_writes(&self, phone_number_id: &str, wa_id: &str, name: &str) -> String {
        let mut sim = lock(&self.shared);
        let now = sim.now();
        let contact = sim
            .wa_contacts
            .entry((phone_number_id.to_owned(), wa_id.to_owned()))
            .or_default();
        contact.name = name.to_owned();
        contact.last_inbound_ms = Some(now);
        sim.new_wamid(wa_id, true)
    }

    /// Moves the customer's last message `by` into the past.
    pub fn age_wa_contact(&self, phone_number_id: &str, wa_id: &str, by: Duration) {
        let mut sim = lock(&self.shared);
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        if let Some(c) = sim
            .wa_contacts
            .get_mut(&(phone_number_id.to_owned(), wa_id.to_owned()))
            && let Some(t) = c.last_inbound_ms.as_mut()
        {
            *t -= by;
        }
    }

    /// Sends to this `wa_id` fail with 131026 "Message undeliverable".
    pub fn set_wa_undeliverable(&self, wa_id: &str) {
        lock(&self.shared).undeliverable.insert(wa_id.to_owned());
    }

    /// A WhatsApp media object (as if received in a webhook), downloadable through
    /// `GET /{media-id}`.
    pub fn add_media(&self, bytes: Vec<u8>, mime_type: &str) -> MediaInfo {
        lock(&self.shared).add_media(bytes, mime_type, None)
    }

    /// Ends every CDN link handed out so far, as their signed expiry would: the old links
    /// answer 403, and messages fetched again carry new ones.
    pub fn expire_cdn_links(&self) {
        lock(&self.shared).rotate_cdn();
    }

    /// The media object.
    pub fn media(&self, media_id: &str) -> Option<MediaInfo> {
        lock(&self.shared)
            .media
            .get(media_id)
            .map(|m| m.info.clone())
    }

    /// Everything accepted for sending, in order.
    pub fn sent(&self) -> Vec<Sent> {
        lock(&self.shared).sent.clone()
    }

    /// Forgets [`World::sent`].
    pub fn clear_sent(&self) {
        lock(&self.shared).sent.clear();
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared).requests.clone()
    }
}

// =======================================================================================
// The server
// =======================================================================================

/// The running simulator. Dropping it stops the server.
pub struct MetaSim {
    base_url: String,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MetaSim {
    /// Binds 127.0.0.1:0 and serves; the World starts empty (an app, nothing else).
    pub async fn start() -> anyhow::Result<MetaSim> {
        MetaSim::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), DEFAULT_SEED).await
    }

    /// Binds `addr` and serves, ids drawn from `seed`.
    pub async fn start_on(addr: SocketAddr, seed: u64) -> anyhow::Result<MetaSim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base_url = format!("http://{local}");
        let shared: Shared = Arc::new(Mutex::new(Sim::new(base_url.clone(), seed)));
        let app = Router::new()
            .fallback(handle)
            .with_state(shared.clone())
            .layer(DefaultBodyLimit::max(128 << 20));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                eprintln!("meta-sim: server stopped: {e}");
            }
        });
        Ok(MetaSim {
            base_url,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: Graph paths are `{base}/{version}/…`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn world(&self) -> World {
        World {
            shared: self.shared.clone(),
        }
    }

    pub fn faults(&self) -> Faults {
        Faults {
            shared: self.shared.clone(),
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MetaSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The payload of the unwind that closes a connection without an answer.
struct DroppedConnection;

/// Closes the connection: the handler future unwinds inside hyper's connection task, which
/// tokio catches; the socket is dropped without a response. `resume_unwind` skips the panic
/// hook, so nothing is printed.
fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new(DroppedConnection))
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req::new(method, &uri, headers, body);
    let (fault, latency) = lock(&shared).before(&req);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let drop_after = match fault {
        Some(Fault::DropBeforeProcessing) => {
            lock(&shared).log(&req, 0);
            drop_connection()
        }
        Some(Fault::DropAfterProcessing) => true,
        Some(other) => {
            let reply = lock(&shared).fault_reply(other);
            lock(&shared).log(&req, reply.status);
            return reply.into_response();
        }
        None => false,
    };
    let reply = {
        let mut sim = lock(&shared);
        let reply = sim.dispatch(&req, drop_after);
        sim.log(&req, if drop_after { 0 } else { reply.status });
        reply
    };
    if drop_after {
        drop_connection();
    }
    reply.into_response()
}

// =======================================================================================
// Requests and replies
// =======================================================================================

struct Req {
    method: Method,
    /// The path as requested.
    path: String,
    version: Option<String>,
    /// Path segments after the version, percent-decoded.
    segs: Vec<String>,
    query: Vec<(String, String)>,
    /// Query, form fields and top-level JSON body members (later ones win).
    params: BTreeMap<String, Value>,
    /// The JSON body, when it was JSON.
    json: Option<Value>,
    headers: HeaderMap,
    body: Bytes,
}

impl Req {
    fn new(method: Method, uri: &Uri, headers: HeaderMap, body: Bytes) -> Req {
        let path = uri.path().to_owned();
        let mut segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let version = match segs.first() {
            Some(first) if is_version(first) => Some(segs.remove(0)),
            _ => None,
        };
        let query = uri.query().map(parse_urlencoded).unwrap_or_default();
        let mut params: BTreeMap<String, Value> = query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut json = None;
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in parse_urlencoded(&String::from_utf8_lossy(&body)) {
                params.insert(k, Value::String(v));
            }
        } else if !body.is_empty() && !content_type.starts_with("multipart/") {
            if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                if let Value::Object(map) = &value {
                    for (k, v) in map {
                        params.insert(k.clone(), v.clone());
                    }
                }
                json = Some(value);
            }
        }
        Req {
            method,
            path,
            version,
            segs,
            query,
            params,
            json,
            headers,
            body,
        }
    }

    /// The path without its version, for fault patterns: `/123/messages`.
    fn bare_path(&self) -> String {
        format!("/{}", self.segs.join("/"))
    }

    /// A parameter as text.
    fn p(&self, key: &str) -> Option<String> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// A parameter as JSON: objects as they are, strings parsed (form-encoded Send API
    /// calls carry `recipient={"id":"…"}`).
    fn pj(&self, key: &str) -> Option<Value> {
        match self.params.get(key)? {
            Value::String(s) => serde_json::from_str(s)
                .ok()
                .or(Some(Value::String(s.clone()))),
            Value::Null => None,
            other => Some(other.clone()),
        }
    }

    /// `Authorization: Bearer|OAuth <token>`, else `access_token`.
    fn token(&self) -> Option<String> {
        if let Some(auth) = self
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let auth = auth.trim();
            for scheme in ["Bearer ", "bearer ", "OAuth ", "oauth "] {
                if let Some(t) = auth.strip_prefix(scheme) {
                    return Some(t.trim().to_owned());
                }
            }
        }
        self.p("access_token").filter(|t| !t.is_empty())
    }

    fn version_or_latest(&self) -> &str {
        self.version.as_deref().unwrap_or(LATEST_VERSION)
    }

    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

fn is_version(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    !major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type R = Result<Reply, Reply>;

impl Reply {
    /// JSON as Graph writes it: compact, non-ASCII and `/` escaped (public Graph samples
    /// show `https:\/\/…`; **guessed** that every answer does it).
    fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=UTF-8".into(),
            headers: Vec::new(),
            body: to_json_with(value, MetaFormatter { escape_slash: true }),
        }
    }

    fn ok(value: Value) -> Reply {
        Reply::json(200, &value)
    }

    fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            content_type: "text/html; charset=utf-8".into(),
            headers: vec![("location".into(), location.to_owned())],
            body: Vec::new(),
        }
    }

    fn bytes(content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            content_type: content_type.to_owned(),
            headers: Vec::new(),
            body,
        }
    }

    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn header(mut self, name: &str, value: String) -> Reply {
        self.headers.push((name.to_owned(), value));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(n, v);
            }
        }
        response
    }
}

/// Per-request context: headers every answer carries (usage) and the drop flag.
struct Cx {
    headers: Vec<(String, String)>,
    drop_after: bool,
}

// =======================================================================================
// Small helpers: time, encoding, fields, paging, multipart
// =======================================================================================

fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-01-05T10:00:00+0000`, as Graph writes `created_time` / `updated_time`.
fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// `Tuesday, 06-Jan-26 02:00:00 PST`: the date style of Meta's 190/463 message (Pacific
/// time; **guessed** fixed UTC−8).
fn pacific(ms: i64) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000) - 8 * 3600;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sod = secs.rem_euclid(86_400);
    format!(
        "{}, {d:02}-{}-{:02} {:02}:{:02}:{:02} PST",
        DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)],
        MONTHS[usize::try_from(m - 1).unwrap_or(0)],
        y % 100,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

fn percent_decode(s: &str) -> String {
    decode_component(s, false)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes; in query strings and form bodies `+` is a space.
fn decode_component(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'+' && plus_is_space {
            out.push(b' ');
        } else if b == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 2;
        } else {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode_component(k, true), decode_component(v, true)),
            None => (decode_component(pair, true), String::new()),
        })
        .collect()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `url` with `pairs` appended to its query (before any `#fragment`).
fn with_query(url: &str, pairs: &[(String, String)]) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", encode_query(pairs))
}

/// One requested field: `messages.limit(5){id,message}`.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    limit: Option<usize>,
    sub: Option<Vec<Field>>,
}

impl Field {
    fn plain(name: &str) -> Field {
        Field {
            name: name.to_owned(),
            limit: None,
            sub: None,
        }
    }
}

fn fields_of(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| Field::plain(n)).collect()
}

/// Parses Graph field expansion: `a,b{c,d.limit(2){e}},f.limit(10)`.
fn parse_fields(s: &str) -> Result<Vec<Field>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let list = parse_field_list(&chars, &mut pos)?;
    if pos != chars.len() {
        return Err(format!(
            "Syntax error \"Expected end of string instead of \"{}\".\" at character {pos}: {s}",
            chars[pos]
        ));
    }
    Ok(list)
}

fn parse_field_list(c: &[char], pos: &mut usize) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    loop {
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        let start = *pos;
        while *pos < c.len() && (c[*pos].is_ascii_alphanumeric() || c[*pos] == '_') {
            *pos += 1;
        }
        if start == *pos {
            return Err(format!(
                "Syntax error \"Field name expected\" at character {start}"
            ));
        }
        let mut field = Field::plain(&c[start..*pos].iter().collect::<String>());
        while *pos < c.len() && c[*pos] == '.' {
            *pos += 1;
            let ms = *pos;
            while *pos < c.len() && (c[*pos].is_ascii_alphanumeric() || c[*pos] == '_') {
                *pos += 1;
            }
            let modifier: String = c[ms..*pos].iter().collect();
            if *pos >= c.len() || c[*pos] != '(' {
                return Err(format!(
                    "Syntax error \"Expected \"(\".\" at character {}",
                    *pos
                ));
            }
            *pos += 1;
            let as_ = *pos;
            while *pos < c.len() && c[*pos] != ')' {
                *pos += 1;
            }
            if *pos >= c.len() {
                return Err("Syntax error \"Expected \")\".\"".to_owned());
            }
            let arg: String = c[as_..*pos].iter().collect();
            *pos += 1;
            if modifier == "limit" {
                field.limit = Some(
                    arg.trim()
                        .parse()
                        .map_err(|_| format!("Invalid limit {arg}"))?,
                );
            }
        }
        if *pos < c.len() && c[*pos] == '{' {
            *pos += 1;
            field.sub = Some(parse_field_list(c, pos)?);
            if *pos >= c.len() || c[*pos] != '}' {
                return Err("Syntax error \"Expected \"}\".\"".to_owned());
            }
            *pos += 1;
        }
        out.push(field);
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        if *pos < c.len() && c[*pos] == ',' {
            *pos += 1;
        } else {
            return Ok(out);
        }
    }
}

fn fields_to_string(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| {
            let mut s = f.name.clone();
            if let Some(l) = f.limit {
                let _ = write!(s, ".limit({l})");
            }
            if let Some(sub) = &f.sub {
                let _ = write!(s, "{{{}}}", fields_to_string(sub));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn cursor_of(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("QVFI{id}"))
}

fn id_of_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("QVFI")
        .map(str::to_owned)
}

/// Which slice of `ids` a cursor request asks for, or `None` for an unknown cursor.
fn page_range(
    ids: &[String],
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
) -> Option<(usize, usize)> {
    let total = ids.len();
    if let Some(after) = after {
        let id = id_of_cursor(after)?;
        let idx = ids.iter().position(|x| *x == id)?;
        let start = idx + 1;
        return Some((start.min(total), (start + limit).min(total)));
    }
    if let Some(before) = before {
        let id = id_of_cursor(before)?;
        let end = ids.iter().position(|x| *x == id)?;
        return Some((end.saturating_sub(limit), end));
    }
    Some((0, limit.min(total)))
}

/// One part of a multipart body.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len())
        .find(|&i| hay[i] == needle[0] && &hay[i..i + needle.len()] == needle)
}

/// A minimal `multipart/form-data` parser (RFC 7578), enough for the upload endpoints.
fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let data_start = head_end + 4;
        let mut next_delim = b"\r\n".to_vec();
        next_delim.extend_from_slice(&delimiter);
        let data_end = find(body, &next_delim, data_start)?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body[data_start..data_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for attr in value.split(';').map(str::trim) {
                        if let Some(v) = attr.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_owned();
                        } else if let Some(v) = attr.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_owned());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(part);
        pos = data_end + next_delim.len();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

// =======================================================================================
// Sim: ids, seeding, tokens, errors, metering
// =======================================================================================

fn rand_chars(rng: &mut SmallRng, n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

fn rand_digits(rng: &mut SmallRng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    s.push(char::from(b'0' + rng.random_range(1..=9u8)));
    for _ in 1..n {
        s.push(char::from(b'0' + rng.random_range(0..=9u8)));
    }
    s
}

const CUSTOMER_LINES: &[&str] = &[
    "Hi! Are you open on Sunday?",
    "Bonjour ! Vous êtes ouverts demain matin ? 🥐",
    "Hallo, ist meine Bestellung schon unterwegs? 📦",
    "¿Tienen la talla M en azul?",
    "Can I change the delivery address to Rue de la Paix 12?",
    "Merci beaucoup, à bientôt 🙏",
    "Gracias!! 😊",
    "Ich warte seit Montag auf eine Antwort …",
    "Is the croissant box still available for Saturday?",
    "こんにちは、明日予約できますか？",
    "مرحبا، هل التوصيل مجاني؟",
    "Ok perfect 👍",
    "Do you ship to Kraków?",
    "The parcel arrived damaged, what can I do?",
];

const BUSINESS_LINES: &[&str] = &[
    "Hello! Yes, we're open 9:00–18:00.",
    "Bonjour ! Oui, nous ouvrons à 8 h.",
    "Ihre Bestellung wurde heute verschickt 🚚",
    "Sí, la tenemos en stock.",
    "Done, the address is updated ✨",
    "You're welcome!",
    "Could you send us your order number?",
    "We're sorry about that — could you send a photo of the parcel?",
];

impl Sim {
    fn new(base_url: String, seed: u64) -> Sim {
        let mut rng = SmallRng::seed_from_u64(seed);
        let app = AppInfo {
            app_id: rand_digits(&mut rng, 15),
            app_secret: rand_chars(&mut rng, 32, b"0123456789abcdef"),
            name: "CAHTS".to_owned(),
            instagram_app_id: rand_digits(&mut rng, 16),
            instagram_app_secret: rand_chars(&mut rng, 32, b"0123456789abcdef"),
        };
        Sim {
            base_url,
            offset_ms: 0,
            rng,
            seq: 0,
            app,
            redirect_uris: Vec::new(),
            login_user: None,
            login_instagram: None,
            ig_token_style: IgTokenStyle::Documented,
            users: Vec::new(),
            tokens: HashMap::new(),
            page_tokens: HashMap::new(),
            codes: HashMap::new(),
            pages: BTreeMap::new(),
            instagram: BTreeMap::new(),
            contacts: HashMap::new(),
            conversations: Vec::new(),
            wabas: BTreeMap::new(),
            phones: BTreeMap::new(),
            wa_contacts: HashMap::new(),
            undeliverable: HashSet::new(),
            media: HashMap::new(),
            media_urls: HashMap::new(),
            cdn: HashMap::new(),
            cdn_expired: HashSet::new(),
            attachment_ids: HashMap::new(),
            sent: Vec::new(),
            requests: Vec::new(),
            faults: FaultState::default(),
            usage: UsageState {
                budget: 200,
                regain_minutes: 10,
                buckets: HashMap::new(),
                presets: HashMap::new(),
            },
        }
    }

    fn now(&self) -> i64 {
        real_now_ms() + self.offset_ms
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn digits(&mut self, n: usize) -> String {
        rand_digits(&mut self.rng, n)
    }

    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        rand_chars(&mut self.rng, n, alphabet)
    }

    fn trace_id(&mut self) -> String {
        format!("A{}", self.chars(22, ALNUM))
    }

    /// `m_…` (Messenger) or the base64 `aWdf…` ids of Instagram (as in the webhooks).
    fn new_mid(&mut self, platform: Platform, account: &str) -> String {
        match platform {
            Platform::Instagram => {
                let (a, b) = (self.digits(38), self.digits(39));
                let inner = STANDARD
                    .encode(format!(":{account}:{a}:{b}"))
                    .trim_end_matches('=')
                    .to_owned();
                format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{inner}ZDZD")
            }
            _ => format!("m_{}", self.chars(86, B64URL)),
        }
    }

    /// `wamid.` and the base64 of the small protobuf Meta encodes (as the webhooks do).
    fn new_wamid(&mut self, wa_id: &str, inbound: bool) -> String {
        let mut raw = vec![0x1c, 0x18];
        raw.push(u8::try_from(wa_id.len()).unwrap_or(u8::MAX));
        raw.extend_from_slice(wa_id.as_bytes());
        raw.extend_from_slice(&[0x15, 0x02, 0x00]);
        let (tag, len) = if inbound { (0x12, 20) } else { (0x11, 18) };
        raw.extend_from_slice(&[tag, 0x18, len]);
        let id = self.chars(usize::from(len), HEX_UPPER);
        raw.extend_from_slice(id.as_bytes());
        raw.push(0x00);
        format!("wamid.{}", STANDARD.encode(raw))
    }

    fn new_conv_id(&mut self, platform: Platform, account: &str) -> String {
        match platform {
            Platform::Instagram => URL_SAFE_NO_PAD.encode(format!(
                "ig_dm:1:IGMessageThread:{account}:{}",
                self.digits(38)
            )),
            _ => format!("t_{}", self.digits(17)),
        }
    }

    fn new_token(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.chars(170, ALNUM))
    }

    // ---- users, tokens, codes --------------------------------------------------------

    fn add_user(&mut self, name: &str) -> String {
        let id = format!("10{}", self.digits(14));
        self.users.push(User {
            id: id.clone(),
            name: name.to_owned(),
            pages: Vec::new(),
            wabas: Vec::new(),
        });
        id
    }

    fn primary_user(&mut self) -> String {
        if self.users.is_empty() {
            self.add_user("Alex Martin");
        }
        self.users[0].id.clone()
    }

    fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn expiry(now: i64, life: TokenLife) -> Option<i64> {
        match life {
            TokenLife::ShortLived => Some(now + SHORT_LIVED_MS),
            TokenLife::LongLived => Some(now + LONG_LIVED_MS),
            TokenLife::Never => None,
        }
    }

    fn issue_user_token(&mut self, user_id: &str, life: TokenLife, scopes: Vec<String>) -> String {
        let now = self.now();
        let token = self.new_token("EAAG");
        let waba_ids = self
            .user(user_id)
            .map(|u| u.wabas.clone())
            .unwrap_or_default();
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::User,
                app_id: self.app.app_id.clone(),
                user_id: Some(user_id.to_owned()),
                page_id: None,
                scopes,
                waba_ids,
                issued_at_ms: now,
                expires_at_ms: Sim::expiry(now, life),
                long_lived: life != TokenLife::ShortLived,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    fn issue_page_token(
        &mut self,
        user_id: &str,
        page_id: &str,
        expires_at_ms: Option<i64>,
        scopes: Vec<String>,
    ) -> String {
        let now = self.now();
        let token = self.new_token("EAAG");
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::Page,
                app_id: self.app.app_id.clone(),
                user_id: Some(user_id.to_owned()),
                page_id: Some(page_id.to_owned()),
                scopes,
                waba_ids: Vec::new(),
                issued_at_ms: now,
                expires_at_ms,
                long_lived: expires_at_ms.is_none(),
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    fn issue_instagram_token(&mut self, ig_id: &str, life: TokenLife) -> String {
        let now = self.now();
        let token = self.new_token("IGAA");
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::InstagramUser,
                app_id: self.app.instagram_app_id.clone(),
                user_id: Some(ig_id.to_owned()),
                page_id: None,
                scopes: vec![
                    "instagram_business_basic".to_owned(),
                    "instagram_business_manage_messages".to_owned(),
                ],
                waba_ids: Vec::new(),
                issued_at_ms: now,
                expires_at_ms: Sim::expiry(now, life),
                long_lived: life != TokenLife::ShortLived,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    fn issue_code(
        &mut self,
        user_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        instagram: bool,
    ) -> String {
        let code = if instagram {
            format!("AQB{}", self.chars(190, B64URL))
        } else {
            format!("AQ{}", self.chars(300, B64URL))
        };
        let now = self.now();
        self.codes.insert(
            code.clone(),
            Code {
                user_id: user_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                created_ms: now,
                used: false,
                instagram,
            },
        );
        code
    }

    fn invalidate_user(&mut self, user_id: &str, status: TokenStatus) {
        for t in self.tokens.values_mut() {
            if matches!(t.kind, TokenKind::User | TokenKind::Page)
                && t.user_id.as_deref() == Some(user_id)
            {
                t.status = status;
            }
        }
    }

    // ---- pages, Instagram, conversations ---------------------------------------------

    fn add_page(&mut self, user_id: &str, name: &str) -> PageInfo {
        let id = format!("1{}", self.digits(14));
        let scopes = [
            "pages_show_list",
            "pages_messaging",
            "pages_manage_metadata",
            "pages_read_engagement",
        ]
        .map(str::to_owned)
        .to_vec();
        let token = self.issue_page_token(user_id, &id, None, scopes);
        self.pages.insert(
            id.clone(),
            Page {
                id: id.clone(),
                name: name.to_owned(),
                category: "Local business".to_owned(),
                instagram_id: None,
                subscribed_fields: Vec::new(),
                token: token.clone(),
            },
        );
        if let Some(u) = self.users.iter_mut().find(|u| u.id == user_id) {
            u.pages.push(id.clone());
        }
        PageInfo {
            id,
            name: name.to_owned(),
            access_token: token,
            instagram_id: None,
        }
    }

    fn add_instagram(
        &mut self,
        page_id: Option<&str>,
        username: &str,
        name: &str,
    ) -> InstagramInfo {
        let id = format!("17841{}", self.digits(12));
        if let Some(page_id) = page_id {
            self.pages
                .get_mut(page_id)
                .expect("no such Page")
                .instagram_id = Some(id.clone());
        }
        self.instagram.insert(
            id.clone(),
            IgAccount {
                id: id.clone(),
                username: username.to_owned(),
                name: name.to_owned(),
                page_id: page_id.map(str::to_owned),
                subscribed_fields: Vec::new(),
            },
        );
        InstagramInfo {
            id,
            username: username.to_owned(),
            name: name.to_owned(),
            page_id: page_id.map(str::to_owned),
        }
    }

    fn conv_index(&self, id: &str) -> Option<usize> {
        self.conversations.iter().position(|c| c.id == id)
    }

    /// (conversation index, message index) of a message id.
    fn find_message(&self, mid: &str) -> Option<(usize, usize)> {
        self.conversations.iter().enumerate().find_map(|(ci, c)| {
            c.messages
                .iter()
                .position(|m| m.id == mid)
                .map(|mi| (ci, mi))
        })
    }

    fn conversation_info(&self, idx: usize) -> ConversationInfo {
        let c = &self.conversations[idx];
        let contact = self.contacts.get(&c.participant);
        ConversationInfo {
            id: c.id.clone(),
            platform: c.platform,
            page_id: c.page_id.clone(),
            account_id: c.account_id.clone(),
            participant_id: c.participant.clone(),
            participant_name: contact
                .map(|k| {
                    if c.platform == Platform::Instagram {
                        k.username.clone()
                    } else {
                        k.name.clone()
                    }
                })
                .unwrap_or_default(),
            message_ids: c.messages.iter().map(|m| m.id.clone()).collect(),
        }
    }

    fn add_conversation(
        &mut self,
        account_id: &str,
        platform: Platform,
        participant: &str,
        n: usize,
    ) -> usize {
        let (page_id, account) = match platform {
            Platform::Messenger => {
                assert!(
                    self.pages.contains_key(account_id),
                    "no such Page {account_id}"
                );
                (account_id.to_owned(), account_id.to_owned())
            }
            Platform::Instagram => {
                if let Some(page) = self.pages.get(account_id) {
                    let ig = page
                        .instagram_id
                        .clone()
                        .expect("the Page has no linked Instagram account");
                    (account_id.to_owned(), ig)
                } else {
                    let ig = self
                        .instagram
                        .get(account_id)
                        .expect("no such Page or Instagram account");
                    (
                        ig.page_id.clone().unwrap_or_default(),
                        account_id.to_owned(),
                    )
                }
            }
            Platform::WhatsApp => panic!("WhatsApp has no conversations API (§3.4 \"No history\")"),
        };
        let contact_id = match platform {
            Platform::Instagram => self.digits(17),
            _ => format!("{}{}", self.rng.random_range(2..=8u8), self.digits(15)),
        };
        let mut words = participant.split_whitespace();
        let first_name = words.next().unwrap_or(participant).to_owned();
        let last_name = words.collect::<Vec<_>>().join(" ");
        let username: String = participant
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        self.contacts.insert(
            contact_id.clone(),
            Contact {
                id: contact_id.clone(),
                platform,
                account_id: account.clone(),
                name: participant.to_owned(),
                first_name,
                last_name,
                username,
                profile_visible: true,
            },
        );
        let pic = format!("{}.png", self.digits(12));
        self.cdn
            .insert(pic, ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())));
        let id = self.new_conv_id(platform, &account);

        // Times, newest first: the last message a few minutes ago, then gaps of minutes to
        // hours, now and then days.
        let now = self.now();
        let mut t = now - i64::from(self.rng.random_range(2..=10u8)) * MINUTE_MS;
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            times.push(t);
            let gap = if self.rng.random_bool(0.1) {
                i64::from(self.rng.random_range(1..=3u8)) * DAY_MS
                    + i64::from(self.rng.random_range(0..600u16)) * MINUTE_MS
            } else {
                i64::from(self.rng.random_range(1..=240u16)) * MINUTE_MS
            };
            t -= gap;
        }
        times.reverse();
        let mut messages: Vec<Msg> = Vec::with_capacity(n);
        let mut last_inbound: Option<String> = None;
        for (i, created_ms) in times.into_iter().enumerate() {
            let from_business = i != 0 && i + 1 != n && self.rng.random_bool(0.45);
            let mid = self.new_mid(platform, &account);
            let mut attachments = Vec::new();
            let text = if from_business {
                (*BUSINESS_LINES.choose(&mut self.rng).unwrap_or(&"Hello!")).to_owned()
            } else if self.rng.random_bool(0.12) {
                let att_id = self.digits(16);
                let name = format!("{att_id}.png");
                self.cdn.insert(
                    name.clone(),
                    ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())),
                );
                attachments.push(Attachment {
                    id: att_id,
                    mime_type: "image/png".to_owned(),
                    name: format!("image-{name}"),
                    size: TINY_PNG.len(),
                    url: format!("{}/cdn/{name}", self.base_url),
                });
                String::new()
            } else {
                (*CUSTOMER_LINES.choose(&mut self.rng).unwrap_or(&"Hi")).to_owned()
            };
            let reply_to = if from_business && self.rng.random_bool(0.1) {
                last_inbound.clone()
            } else {
                None
            };
            if !from_business {
                last_inbound = Some(mid.clone());
            }
            let seq = self.next_seq();
            messages.push(Msg {
                id: mid,
                created_ms,
                seq,
                from_business,
                text,
                attachments,
                reply_to,
            });
        }
        self.conversations.push(Conv {
            id,
            platform,
            page_id,
            account_id: account,
            participant: contact_id,
            messages,
        });
        self.conversations.len() - 1
    }

    // ---- WhatsApp ----------------------------------------------------------------------

    fn add_waba(&mut self, name: &str) -> WabaInfo {
        let id = format!("1{}", self.digits(14));
        let system_user = format!("61{}", self.digits(13));
        let token = self.new_token("EAAG");
        let now = self.now();
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::SystemUser,
                app_id: self.app.app_id.clone(),
                user_id: Some(system_user),
                page_id: None,
                scopes: [
                    "business_management",
                    "whatsapp_business_management",
                    "whatsapp_business_messaging",
                ]
                .map(str::to_owned)
                .to_vec(),
                waba_ids: vec![id.clone()],
                issued_at_ms: now,
                expires_at_ms: None,
                long_lived: true,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        self.wabas.insert(
            id.clone(),
            Waba {
                id: id.clone(),
                name: name.to_owned(),
                templates: Vec::new(),
                phone_ids: Vec::new(),
                app_subscribed: false,
            },
        );
        if let Some(u) = self.users.first_mut() {
            u.wabas.push(id.clone());
        }
        WabaInfo {
            id,
            name: name.to_owned(),
            system_user_token: token,
        }
    }

    fn add_phone(&mut self, waba_id: &str, display: &str, verified_name: &str) -> PhoneNumberInfo {
        let id = format!("1{}", self.digits(14));
        self.wabas
            .get_mut(waba_id)
            .expect("no such WABA")
            .phone_ids
            .push(id.clone());
        self.phones.insert(
            id.clone(),
            Phone {
                id: id.clone(),
                waba_id: waba_id.to_owned(),
                display: display.to_owned(),
                verified_name: verified_name.to_owned(),
            },
        );
        PhoneNumberInfo {
            id,
            waba_id: waba_id.to_owned(),
            display_phone_number: display.to_owned(),
            verified_name: verified_name.to_owned(),
        }
    }

    fn rotate_cdn(&mut self) {
        let base = format!("{}/cdn/", self.base_url);
        let mut renames = Vec::new();
        for c in 0..self.conversations.len() {
            for m in 0..self.conversations[c].messages.len() {
                for a in 0..self.conversations[c].messages[m].attachments.len() {
                    let old = self.conversations[c].messages[m].attachments[a].url.clone();
                    if let Some(name) = old.strip_prefix(&base) {
                        let ext = name.rsplit('.').next().unwrap_or("bin").to_owned();
                        let fresh = format!("{}.{ext}", self.digits(16));
                        renames.push((name.to_owned(), fresh.clone()));
                        self.conversations[c].messages[m].attachments[a].url = format!("{base}{fresh}");
                    }
                }
            }
        }
        for (old, fresh) in renames {
            if let Some(v) = self.cdn.remove(&old) {
                self.cdn.insert(fresh, v);
            }
            self.cdn_expired.insert(old);
        }
    }

    fn add_media(&mut self, bytes: Vec<u8>, mime_type: &str, phone: Option<&str>) -> MediaInfo {
        let id = self.digits(16);
        let info = MediaInfo {
            id: id.clone(),
            mime_type: mime_type.to_owned(),
            sha256: sha256_hex(&bytes),
            file_size: bytes.len(),
            phone_number_id: phone.map(str::to_owned),
            deleted: false,
        };
        let created_ms = self.now();
        self.media.insert(
            id,
            Media {
                info: info.clone(),
                bytes: Arc::new(bytes),
                created_ms,
            },
        );
        info
    }

    // ---- request bookkeeping, faults ---------------------------------------------------

    fn before(&mut self, req: &Req) -> (Option<Fault>, Duration) {
        let method = req.method.as_str().to_owned();
        let path = req.bare_path();
        let latency = self
            .faults
            .latency
            .iter()
            .filter(|(p, _)| p.matches(&method, &path))
            .map(|(_, d)| *d)
            .sum();
        let mut fault = None;
        for rule in &mut self.faults.rules {
            if rule.remaining > 0 && rule.pattern.matches(&method, &path) {
                rule.remaining -= 1;
                fault = Some(rule.fault.clone());
                break;
            }
        }
        self.faults.rules.retain(|r| r.remaining > 0);
        (fault, latency)
    }

    fn fault_reply(&mut self, fault: Fault) -> Reply {
        match fault {
            Fault::GraphError {
                status,
                code,
                subcode,
                message,
                transient,
            } => self.gerr_full(status, code, subcode, &message, transient),
            Fault::WhatsAppError {
                status,
                code,
                title,
                details,
            } => self.waerr(status, code, &title, &details),
            Fault::Raw {
                status,
                content_type,
                body,
            } => Reply {
                status,
                content_type,
                headers: Vec::new(),
                body: body.into_bytes(),
            },
            Fault::DropBeforeProcessing | Fault::DropAfterProcessing => Reply::text(500, ""),
        }
    }

    fn log(&mut self, req: &Req, status: u16) {
        if self.requests.len() >= 100_000 {
            self.requests.drain(..10_000);
        }
        self.requests.push(RequestRecord {
            method: req.method.as_str().to_owned(),
            path: req.path.clone(),
            query: req.query.clone(),
            status,
        });
    }

    fn dispatch(&mut self, req: &Req, drop_after: bool) -> Reply {
        let mut cx = Cx {
            headers: Vec::new(),
            drop_after,
        };
        let mut reply = match self.route(req, &mut cx) {
            Ok(r) | Err(r) => r,
        };
        reply.headers.extend(cx.headers);
        let trace = self.trace_id();
        reply.headers.push(("x-fb-trace-id".into(), trace));
        let request_id = self.chars(23, ALNUM);
        reply.headers.push(("x-fb-request-id".into(), request_id));
        reply.headers.push((
            "facebook-api-version".into(),
            req.version_or_latest().to_owned(),
        ));
        reply
    }

    // ---- errors ------------------------------------------------------------------------

    /// Graph error JSON (§5.2): `{"error":{message, type, code, error_subcode?, is_transient?,
    /// fbtrace_id}}`.
    fn gerr_full(
        &mut self,
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: &str,
        transient: bool,
    ) -> Reply {
        let mut e = Map::new();
        e.insert("message".into(), message.into());
        let kind = if code == 100 && subcode == Some(33) {
            "GraphMethodException"
        } else {
            "OAuthException"
        };
        e.insert("type".into(), kind.into());
        e.insert("code".into(), code.into());
        if let Some(s) = subcode {
            e.insert("error_subcode".into(), s.into());
        }
        if transient {
            e.insert("is_transient".into(), true.into());
        }
        e.insert("fbtrace_id".into(), self.trace_id().into());
        let reply = Reply::json(status, &json!({ "error": e }));
        if code == 190 {
            let value: String = message
                .chars()
                .filter(|c| c.is_ascii() && *c != '"')
                .collect();
            reply.header(
                "www-authenticate",
                format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{value}\""),
            )
        } else {
            reply
        }
    }

    fn gerr(&mut self, code: i64, subcode: Option<i64>, message: &str) -> Reply {
        self.gerr_full(400, code, subcode, message, false)
    }

    /// WhatsApp Cloud API error JSON (§5.2, WAE): no `error_subcode` (v16+),
    /// `error_data{messaging_product, details}`; `message` is `(#code) title`.
    fn waerr(&mut self, status: u16, code: i64, title: &str, details: &str) -> Reply {
        let trace = self.trace_id();
        Reply::json(
            status,
            &json!({ "error": {
                "message": format!("(#{code}) {title}"),
                "type": "OAuthException",
                "code": code,
                "error_data": { "messaging_product": "whatsapp", "details": details },
                "fbtrace_id": trace,
            }}),
        )
    }

    /// Graph's answer for ids that do not exist or are not visible to the token (100/33).
    fn unsupported(&mut self, method: &Method, id: &str) -> Reply {
        let verb = method.as_str().to_ascii_lowercase();
        self.gerr(
            100,
            Some(33),
            &format!(
                "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
    }

    fn need_page_token(&mut self) -> Reply {
        self.gerr(
            210,
            None,
            "(#210) A page access token is required to request this resource.",
        )
    }

    fn invalid_param(&mut self, message: &str) -> Reply {
        self.gerr(100, None, &format!("(#100) {message}"))
    }

    /// `api.instagram.com`'s own error shape: `{"error_type","code","error_message"}`
    /// (**guessed** from public samples; the engine's client reads it too).
    fn ig_api_error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            &json!({ "error_type": "OAuthException", "code": status, "error_message": message }),
        )
    }

    // ---- tokens ------------------------------------------------------------------------

    fn app_token_info(&self) -> TokenInfo {
        TokenInfo {
            token: self.app.app_token(),
            kind: TokenKind::App,
            app_id: self.app.app_id.clone(),
            user_id: None,
            page_id: None,
            scopes: Vec::new(),
            waba_ids: Vec::new(),
            issued_at_ms: 0,
            expires_at_ms: None,
            long_lived: true,
            status: TokenStatus::Valid,
            calls_left: None,
        }
    }

    fn authenticate(&mut self, req: &Req) -> Result<TokenInfo, Reply> {
        let Some(token) = req.token() else {
            return Err(self.gerr(
                104,
                None,
                "An access token is required to request this resource.",
            ));
        };
        self.check_token(&token)
    }

    /// Token checks of every call (§5.2, code 190): unknown → 190 (no subcode, "Cannot
    /// parse access token"); expired → 463; password changed → 460; revoked / logged out →
    /// 467; app removed → 458.
    fn check_token(&mut self, token: &str) -> Result<TokenInfo, Reply> {
        if token == self.app.app_token() {
            return Ok(self.app_token_info());
        }
        let now = self.now();
        let Some(t) = self.tokens.get_mut(token) else {
            return Err(self.gerr(
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            ));
        };
        if let Some(left) = t.calls_left {
            if left == 0 {
                t.status = TokenStatus::Expired;
                t.expires_at_ms = Some(now);
                t.calls_left = None;
            } else {
                t.calls_left = Some(left - 1);
            }
        }
        let info = t.clone();
        let expired =
            info.status == TokenStatus::Expired || info.expires_at_ms.is_some_and(|e| e <= now);
        match info.status {
            TokenStatus::PasswordChanged => Err(self.gerr(
                190,
                Some(460),
                "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
            )),
            TokenStatus::Revoked => Err(self.gerr(
                190,
                Some(467),
                "Error validating access token: The session is invalid because the user logged out.",
            )),
            TokenStatus::AppRemoved => {
                let message = format!(
                    "Error validating access token: User {} has not authorized application {}.",
                    info.user_id.as_deref().unwrap_or_default(),
                    info.app_id
                );
                Err(self.gerr(190, Some(458), &message))
            }
            _ if expired => {
                let at = info.expires_at_ms.unwrap_or(now);
                let message = format!(
                    "Error validating access token: Session has expired on {}. The current time is {}.",
                    pacific(at),
                    pacific(now)
                );
                Err(self.gerr(190, Some(463), &message))
            }
            _ => Ok(info),
        }
    }

    // ---- usage (§5.3) --------------------------------------------------------------------

    /// Counts one call and sets the usage header. User and app tokens count against the
    /// app's platform usage (`X-App-Usage`); Page, system-user and Instagram tokens against
    /// the business use case `kind` of `id` (`X-Business-Use-Case-Usage`). A call made when
    /// the bucket is already at 100 % is refused with the documented code (GRL, MERR):
    /// app token 4, user token 17 (32 for Page calls), BUC `pages` 80001, `instagram` 80002,
    /// `messenger` 80006, `whatsapp_business_management` 80008, Send API 613 (Instagram
    /// 613/2534040), WhatsApp sends 130429. The bucket empties once
    /// `estimated_time_to_regain_access` minutes have passed on the fake clock
    /// (**guessed**: a fixed wait rather than a rolling window; refused calls do not extend it).
    fn meter(
        &mut self,
        cx: &mut Cx,
        caller: &TokenInfo,
        id: &str,
        kind: &'static str,
        send: bool,
    ) -> Result<(), Reply> {
        let now = self.now();
        let platform = matches!(caller.kind, TokenKind::App | TokenKind::User);
        let key = if platform {
            "app".to_owned()
        } else {
            format!("{id}|{kind}")
        };
        let budget = self.usage.budget;
        let regain = i64::from(self.usage.regain_minutes) * MINUTE_MS;
        let preset = if platform {
            None
        } else {
            self.usage.presets.get(id).map(|p| self.usage.calls_for(*p))
        };
        let bucket = self
            .usage
            .buckets
            .entry(key.clone())
            .or_insert_with(|| Bucket {
                calls: preset.unwrap_or(0),
                throttled_until_ms: None,
            });
        if bucket.throttled_until_ms.is_some_and(|until| until <= now) {
            *bucket = Bucket::default();
        }
        let throttled = bucket.calls >= budget;
        if throttled {
            bucket.throttled_until_ms.get_or_insert(now + regain);
        } else {
            bucket.calls += 1;
        }
        let stats = |b: &Bucket| {
            let pct = b.calls * 100 / budget;
            let eta = b.throttled_until_ms.map_or(0, |u| {
                (u - now).max(0).div_euclid(MINUTE_MS)
                    + i64::from((u - now).rem_euclid(MINUTE_MS) > 0)
            });
            (pct, eta)
        };
        let header = if platform {
            let (pct, _) = stats(bucket);
            (
                "x-app-usage",
                json!({ "call_count": pct, "total_cputime": pct / 4, "total_time": pct / 3 })
                    .to_string(),
            )
        } else {
            let prefix = format!("{id}|");
            let mut entries: Vec<(&String, &Bucket)> = self
                .usage
                .buckets
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let list: Vec<Value> = entries
                .into_iter()
                .map(|(k, b)| {
                    let (pct, eta) = stats(b);
                    json!({
                        "type": k[prefix.len()..].to_owned(),
                        "call_count": pct,
                        "total_cputime": pct / 4,
                        "total_time": pct / 3,
                        "estimated_time_to_regain_access": eta,
                    })
                })
                .collect();
            let mut map = Map::new();
            map.insert(id.to_owned(), Value::Array(list));
            ("x-business-use-case-usage", Value::Object(map).to_string())
        };
        cx.headers.retain(|(n, _)| n != header.0);
        cx.headers.push((header.0.to_owned(), header.1));
        if !throttled {
            return Ok(());
        }
        let (code, subcode, message) = match (platform, caller.kind, kind) {
            (true, TokenKind::App, _) => (4, None, "(#4) Application request limit reached"),
            (true, _, "pages" | "messenger" | "instagram") => {
                (32, None, "(#32) Page request limit reached")
            }
            (true, _, _) => (17, None, "(#17) User request limit reached"),
            (false, _, "messenger") if send => (
                613,
                None,
                "(#613) Calls to this api have exceeded the rate limit.",
            ),
            (false, _, "instagram") if send => (
                613,
                Some(2_534_040),
                "(#613) Calls to this api have exceeded the rate limit.",
            ),
            (false, _, "messenger") => (
                80006,
                None,
                "(#80006) There have been too many messenger api calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "instagram") => (
                80002,
                None,
                "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "whatsapp_business_management") => (
                80008,
                None,
                "(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "whatsapp_business_messaging") => {
                return Err(self.waerr(
                    429,
                    130_429,
                    "Rate limit hit",
                    "Cloud API message throughput has been reached.",
                ));
            }
            _ => (
                80001,
                None,
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
        };
        Err(self.gerr_full(400, code, subcode, message, true))
    }
}

// =======================================================================================
// Routing
// =======================================================================================

/// What an id names.
#[derive(Debug, Clone)]
enum Node {
    User(String),
    Page(String),
    Instagram(String),
    Conversation(usize),
    Message(usize, usize),
    Contact(String),
    Waba(String),
    Phone(String),
    Media(String),
}

impl Sim {
    fn node(&self, id: &str) -> Option<Node> {
        if self.pages.contains_key(id) {
            return Some(Node::Page(id.to_owned()));
        }
        if self.instagram.contains_key(id) {
            return Some(Node::Instagram(id.to_owned()));
        }
        if self.users.iter().any(|u| u.id == id) {
            return Some(Node::User(id.to_owned()));
        }
        if self.wabas.contains_key(id) {
            return Some(Node::Waba(id.to_owned()));
        }
        if self.phones.contains_key(id) {
            return Some(Node::Phone(id.to_owned()));
        }
        if self.contacts.contains_key(id) {
            return Some(Node::Contact(id.to_owned()));
        }
        if let Some(m) = self.media.get(id)
            && !m.info.deleted
            && self.now()
                < m.created_ms
                    + if m.info.phone_number_id.is_some() {
                        UPLOADED_MEDIA_TTL_MS
                    } else {
                        RECEIVED_MEDIA_TTL_MS
                    }
        {
            return Some(Node::Media(id.to_owned()));
        }
        if let Some(i) = self.conv_index(id) {
            return Some(Node::Conversation(i));
        }
        self.find_message(id).map(|(c, m)| Node::Message(c, m))
    }

    /// The id `me` stands for.
    fn me(caller: &TokenInfo) -> String {
        match caller.kind {
            TokenKind::Page => caller.page_id.clone().unwrap_or_default(),
            TokenKind::App => caller.app_id.clone(),
            _ => caller.user_id.clone().unwrap_or_default(),
        }
    }

    fn route(&mut self, req: &Req, cx: &mut Cx) -> R {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (req.method.as_str(), segs.as_slice()) {
            ("GET", ["dialog", "oauth"]) => self.fb_dialog(req),
            ("GET", ["oauth", "authorize"]) => self.ig_authorize(req),
            ("GET", ["oauth", "access_token"]) => self.fb_access_token(req),
            ("POST", ["oauth", "access_token"]) => {
                if req.p("client_id").as_deref() == Some(self.app.instagram_app_id.as_str())
                    || req.p("grant_type").as_deref() == Some("authorization_code")
                {
                    self.ig_code_exchange(req)
                } else {
                    self.fb_access_token(req)
                }
            }
            ("GET", ["access_token"]) => self.ig_exchange(req),
            ("GET", ["refresh_access_token"]) => self.ig_refresh(req),
            ("GET", ["debug_token"]) => self.debug_token(req),
            ("GET", ["whatsapp_business", "attachments"]) => self.media_download(req),
            ("GET", ["cdn", name]) => self.cdn_get(name),
            _ => self.graph(req, cx),
        }
    }

    fn graph(&mut self, req: &Req, cx: &mut Cx) -> R {
        let caller = self.authenticate(req)?;
        let mut segs: Vec<String> = req.segs.clone();
        if segs.first().map(String::as_str) == Some("me") {
            segs[0] = Sim::me(&caller);
        }
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let method = req.method.clone();
        match (method.as_str(), segs.as_slice()) {
            ("GET", [id]) if req.segs[0] == "me" && caller.kind != TokenKind::Page => {
                self.get_me(req, &caller, id)
            }
            ("GET", [id]) => self.get_node(req, cx, &caller, id),
            ("DELETE", [id]) => self.delete_node(req, cx, &caller, id),
            (m, [id, edge]) => self.edge(req, cx, &caller, m, id, edge),
            _ => {
                let id = segs.first().copied().unwrap_or("");
                Err(self.unsupported(&method, id))
            }
        }
    }

    fn edge(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        method: &str,
        id: &str,
        edge: &str,
    ) -> R {
        let node = self.node(id);
        match (method, node, edge) {
            ("GET", Some(Node::User(u)), "accounts") => self.accounts(req, cx, caller, &u),
            ("GET", Some(Node::Page(p)), "conversations") => {
                self.conversations(req, cx, caller, &p, false)
            }
            ("GET", Some(Node::Instagram(i)), "conversations") => {
                self.conversations(req, cx, caller, &i, true)
            }
            ("GET", Some(Node::Conversation(c)), "messages") => {
                self.conversation_messages(req, cx, caller, c)
            }
            ("POST", Some(Node::Page(p)), "messages") => self.send(req, cx, caller, &p),
            ("POST", Some(Node::Instagram(i)), "messages") => self.send(req, cx, caller, &i),
            ("POST", Some(Node::Page(p)), "message_attachments") => {
                self.message_attachments(req, cx, caller, &p)
            }
            (_, Some(Node::Page(p)), "subscribed_apps") => {
                self.subscribed_apps(req, cx, caller, &p)
            }
            (_, Some(Node::Instagram(i)), "subscribed_apps") => {
                self.subscribed_apps(req, cx, caller, &i)
            }
            (_, Some(Node::Waba(w)), "subscribed_apps") => {
                self.waba_subscribed_apps(req, cx, caller, &w)
            }
            ("GET", Some(Node::Waba(w)), "message_templates") => {
                self.templates(req, cx, caller, &w)
            }
            ("GET", Some(Node::Waba(w)), "phone_numbers") => {
                self.phone_numbers(req, cx, caller, &w)
            }
            ("POST", Some(Node::Phone(p)), "messages") => self.wa_send(req, cx, caller, &p),
            ("POST", Some(Node::Phone(p)), "media") => self.wa_upload(req, cx, caller, &p),
            (_, Some(_), _) => Err(self.gerr(
                100,
                None,
                &format!("(#100) Tried accessing nonexisting field ({edge}) on this node type"),
            )),
            (_, None, _) => {
                let method = req.method.clone();
                Err(self.unsupported(&method, id))
            }
        }
    }

    fn requested_fields(&mut self, req: &Req, default: &[&str]) -> Result<Vec<Field>, Reply> {
        match req.p("fields").filter(|f| !f.trim().is_empty()) {
            None => Ok(fields_of(default)),
            Some(f) => parse_fields(&f).map_err(|e| self.gerr(2500, None, &e)),
        }
    }

    fn limit(req: &Req, field: Option<&Field>) -> usize {
        field
            .and_then(|f| f.limit)
            .or_else(|| req.p("limit").and_then(|l| l.parse().ok()))
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT)
    }

    /// `paging` for `ids[start..end]` of a list: cursors of the first and last item,
    /// `next` only when more follow (§3.1: "stop when `next` absent"), `previous` when
    /// something precedes (**guessed**).
    fn paging(
        &self,
        req: &Req,
        path: &str,
        ids: &[String],
        start: usize,
        end: usize,
        extra: &[(String, String)],
    ) -> Option<Value> {
        if start >= end {
            return None;
        }
        let before = cursor_of(&ids[start]);
        let after = cursor_of(&ids[end - 1]);
        let mut paging = Map::new();
        paging.insert(
            "cursors".into(),
            json!({ "before": before, "after": after }),
        );
        let link = |cursor_key: &str, cursor: &str| {
            let mut pairs: Vec<(String, String)> = if extra.is_empty() {
                req.query
                    .iter()
                    .filter(|(k, _)| k != "after" && k != "before")
                    .cloned()
                    .collect()
            } else {
                extra.to_vec()
            };
            pairs.push((cursor_key.to_owned(), cursor.to_owned()));
            with_query(
                &format!("{}/{}/{path}", self.base_url, req.version_or_latest()),
                &pairs,
            )
        };
        if end < ids.len() {
            paging.insert("next".into(), link("after", &after).into());
        }
        if start > 0 {
            paging.insert("previous".into(), link("before", &before).into());
        }
        Some(Value::Object(paging))
    }

    // ---- nodes ---------------------------------------------------------------------------

    /// `GET /me`: the user (`id`, `name`), the system user, or the Instagram Login account
    /// (`user_id`, `username`, `name`, `id`: IGLC / IGLM use `me` for the IG account).
    fn get_me(&mut self, req: &Req, caller: &TokenInfo, id: &str) -> R {
        match caller.kind {
            TokenKind::InstagramUser => {
                let Some(ig) = self.instagram.get(id).cloned() else {
                    return Err(self.unsupported(&Method::GET, id));
                };
                let fields = self.requested_fields(req, &["id", "username"])?;
                let mut o = Map::new();
                for f in &fields {
                    match f.name.as_str() {
                        "user_id" => {
                            o.insert("user_id".into(), ig.id.clone().into());
                        }
                        "username" => {
                            o.insert("username".into(), ig.username.clone().into());
                        }
                        "name" => {
                            o.insert("name".into(), ig.name.clone().into());
                        }
                        _ => {}
                    }
                }
                o.insert("id".into(), ig.id.into());
                Ok(Reply::ok(Value::Object(o)))
            }
            _ => {
                let name = self
                    .user(id)
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| "System User".to_owned());
                Ok(Reply::ok(json!({ "name": name, "id": id })))
            }
        }
    }

    fn can_use_page(&self, caller: &TokenInfo, page_id: &str) -> bool {
        match caller.kind {
            TokenKind::Page => caller.page_id.as_deref() == Some(page_id),
            TokenKind::User => caller
                .user_id
                .as_deref()
                .and_then(|u| self.user(u))
                .is_some_and(|u| u.pages.iter().any(|p| p == page_id)),
            _ => false,
        }
    }

    /// Page token of the linked Page, or the account's own Instagram Login token.
    fn can_use_instagram(&self, caller: &TokenInfo, ig_id: &str) -> bool {
        match caller.kind {
            TokenKind::InstagramUser => caller.user_id.as_deref() == Some(ig_id),
            TokenKind::Page | TokenKind::User => self
                .instagram
                .get(ig_id)
                .and_then(|i| i.page_id.as_deref())
                .is_some_and(|p| self.can_use_page(caller, p)),
            _ => false,
        }
    }

    /// System-user tokens reach the WABAs they were issued for; user tokens the WABAs their
    /// user has access to now.
    fn can_use_waba(&self, caller: &TokenInfo, waba_id: &str) -> bool {
        match caller.kind {
            TokenKind::SystemUser => caller.waba_ids.iter().any(|w| w == waba_id),
            TokenKind::User => caller
                .user_id
                .as_deref()
                .and_then(|u| self.user(u))
                .is_some_and(|u| u.wabas.iter().any(|w| w == waba_id)),
            _ => false,
        }
    }

    /// The WABAs a token reaches.
    fn wabas_of(&self, caller: &TokenInfo) -> Vec<String> {
        match caller.kind {
            TokenKind::SystemUser => caller.waba_ids.clone(),
            TokenKind::User => caller
                .user_id
                .as_deref()
                .and_then(|u| self.user(u))
                .map(|u| u.wabas.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn get_node(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        let node = self.node(id);
        match node {
            Some(Node::Page(p)) if self.can_use_page(caller, &p) => {
                self.get_page(req, cx, caller, &p)
            }
            Some(Node::Instagram(i)) if self.can_use_instagram(caller, &i) => {
                self.get_instagram(req, cx, caller, &i)
            }
            Some(Node::Conversation(c)) if self.can_use_conv(caller, c) => {
                self.get_conversation(req, cx, caller, c)
            }
            Some(Node::Message(c, m)) if self.can_use_conv(caller, c) => {
                self.get_message(req, cx, caller, c, m)
            }
            Some(Node::Contact(k)) => self.get_profile(req, cx, caller, &k),
            Some(Node::Waba(w)) if self.can_use_waba(caller, &w) => {
                self.get_waba(req, cx, caller, &w)
            }
            Some(Node::Phone(p)) => self.get_phone(req, cx, caller, &p),
            Some(Node::Media(m)) => self.get_media(req, cx, caller, &m),
            Some(Node::User(u)) if caller.user_id.as_deref() == Some(u.as_str()) => {
                self.get_me(req, caller, &u)
            }
            _ => Err(self.unsupported(&Method::GET, id)),
        }
    }

    fn delete_node(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        match self.node(id) {
            Some(Node::Media(m)) => self.delete_media(req, cx, caller, &m),
            _ => Err(self.unsupported(&Method::DELETE, id)),
        }
    }

    // ---- OAuth (§4) ----------------------------------------------------------------------

    fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.is_empty() || self.redirect_uris.iter().any(|u| u == uri)
    }

    /// `GET /{ver}/dialog/oauth` (FLM): the person approves at once; 302 to
    /// `redirect_uri?code=…&state=…#_=_` (`response_type=code`, the `#_=_` fragment Facebook
    /// appends) or `redirect_uri#access_token=…&data_access_expiration_time=…&expires_in=…&state=…`
    /// (`response_type=token`, the desktop web-view flow). [`Faults::deny_login`]: redirect
    /// with `error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied`.
    /// A wrong `client_id` or an unregistered `redirect_uri` gets an error page (HTTP 400,
    /// **guessed** text) as the real dialog shows one instead of redirecting.
    fn fb_dialog(&mut self, req: &Req) -> R {
        let client_id = req.p("client_id").unwrap_or_default();
        let redirect_uri = req.p("redirect_uri").unwrap_or_default();
        if client_id != self.app.app_id {
            return Err(Reply::text(
                400,
                "Invalid App ID: The provided app ID does not look like a valid app ID.",
            ));
        }
        if redirect_uri.is_empty() || !self.redirect_allowed(&redirect_uri) {
            return Err(Reply::text(
                400,
                "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.",
            ));
        }
        let state = req.p("state");
        let mut pairs: Vec<(String, String)> = Vec::new();
        if self.faults.deny_login {
            pairs.push(("error".into(), "access_denied".into()));
            pairs.push(("error_code".into(), "200".into()));
            pairs.push(("error_description".into(), "Permissions error".into()));
            pairs.push(("error_reason".into(), "user_denied".into()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!(
                "{}#_=_",
                with_query(&redirect_uri, &pairs).replace("%20", "+")
            )));
        }
        let scopes: Vec<String> = req
            .p("scope")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let user = match self.login_user.clone() {
            Some(u) => u,
            None => self.primary_user(),
        };
        let response_type = req.p("response_type").unwrap_or_else(|| "code".into());
        if response_type.split([' ', ',']).any(|t| t == "token") && !response_type.contains("code")
        {
            let token = self.issue_user_token(&user, TokenLife::ShortLived, scopes);
            let now = self.now();
            pairs.push(("access_token".into(), token));
            pairs.push((
                "data_access_expiration_time".into(),
                ((now + DATA_ACCESS_MS) / 1000).to_string(),
            ));
            pairs.push(("expires_in".into(), (SHORT_LIVED_MS / 1000).to_string()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!(
                "{redirect_uri}#{}",
                encode_query(&pairs)
            )));
        }
        let code = self.issue_code(&user, &redirect_uri, scopes, false);
        pairs.push(("code".into(), code));
        if let Some(s) = state {
            pairs.push(("state".into(), s));
        }
        Ok(Reply::redirect(&format!(
            "{}#_=_",
            with_query(&redirect_uri, &pairs)
        )))
    }

    /// `GET /oauth/authorize` (Instagram, IGLB): approves at once; 302 to
    /// `redirect_uri?code=…&state=…#_` (the `#_` Instagram appends, which is not part of the
    /// code). Denied: `error=access_denied&error_reason=user_denied&error_description=…`.
    fn ig_authorize(&mut self, req: &Req) -> R {
        let client_id = req.p("client_id").unwrap_or_default();
        let redirect_uri = req.p("redirect_uri").unwrap_or_default();
        if client_id != self.app.instagram_app_id {
            return Err(Reply::text(400, "Invalid platform app"));
        }
        if redirect_uri.is_empty() || !self.redirect_allowed(&redirect_uri) {
            return Err(Reply::text(400, "Invalid redirect_uri"));
        }
        let state = req.p("state");
        let mut pairs: Vec<(String, String)> = Vec::new();
        if self.faults.deny_login {
            pairs.push(("error".into(), "access_denied".into()));
            pairs.push(("error_reason".into(), "user_denied".into()));
            pairs.push(("error_description".into(), "Permissions error".into()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!(
                "{}#_",
                with_query(&redirect_uri, &pairs).replace("%20", "+")
            )));
        }
        let ig = match self
            .login_instagram
            .clone()
            .or_else(|| self.instagram.keys().next().cloned())
        {
            Some(ig) => ig,
            None => self.add_instagram(None, "cahts.test", "CAHTS Test").id,
        };
        let scopes = req
            .p("scope")
            .unwrap_or_else(|| "instagram_business_basic,instagram_business_manage_messages".into())
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let code = self.issue_code(&ig, &redirect_uri, scopes, true);
        pairs.push(("code".into(), code));
        if let Some(s) = state {
            pairs.push(("state".into(), s));
        }
        Ok(Reply::redirect(&format!(
            "{}#_",
            with_query(&redirect_uri, &pairs)
        )))
    }

    fn check_app_secret(&mut self, req: &Req) -> Result<(), Reply> {
        let Some(client_id) = req.p("client_id") else {
            return Err(self.gerr(101, None, "Missing client_id parameter."));
        };
        if client_id != self.app.app_id {
            return Err(self.gerr(
                101,
                None,
                "Error validating application. Invalid application ID.",
            ));
        }
        if req.p("client_secret").as_deref() != Some(self.app.app_secret.as_str()) {
            return Err(self.gerr(1, None, "Error validating client secret."));
        }
        Ok(())
    }

    /// `GET /{ver}/oauth/access_token` (FLM, FLLL):
    /// - `client_id, redirect_uri, client_secret, code` → `{access_token, token_type:"bearer",
    ///   expires_in}` (a short-lived user token). The code is single-use (100/36009 on
    ///   reuse), expires (100/36007, lifetime **guessed** 10 min), and `redirect_uri` must be
    ///   identical to the dialog's (100/36008).
    /// - `grant_type=fb_exchange_token` → long-lived token, `expires_in` 5 183 944 (§4).
    ///   Expired or invalid tokens cannot be exchanged (190). A system-user token with the
    ///   60-day option is refreshed the same way (SYSU).
    /// - `grant_type=client_credentials` → the app token `{app-id}|{app-secret}`.
    fn fb_access_token(&mut self, req: &Req) -> R {
        self.check_app_secret(req)?;
        let now = self.now();
        match req.p("grant_type").as_deref() {
            Some("fb_exchange_token") => {
                let Some(short) = req.p("fb_exchange_token") else {
                    return Err(self.gerr(100, None, "Missing parameter fb_exchange_token"));
                };
                let info = self.check_token(&short)?;
                let token = match info.kind {
                    TokenKind::User => {
                        let user = info.user_id.clone().unwrap_or_default();
                        self.issue_user_token(&user, TokenLife::LongLived, info.scopes.clone())
                    }
                    TokenKind::SystemUser => {
                        let mut renewed = info.clone();
                        renewed.token = self.new_token("EAAG");
                        renewed.issued_at_ms = now;
                        renewed.expires_at_ms = Some(now + LONG_LIVED_MS);
                        renewed.long_lived = true;
                        self.tokens.insert(renewed.token.clone(), renewed.clone());
                        renewed.token
                    }
                    _ => {
                        return Err(self.gerr(
                            100,
                            None,
                            "(#100) The access token could not be exchanged",
                        ));
                    }
                };
                Ok(Reply::ok(json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": LONG_LIVED_MS / 1000,
                })))
            }
            Some("client_credentials") => Ok(Reply::ok(json!({
                "access_token": self.app.app_token(),
                "token_type": "bearer",
            }))),
            _ => {
                let Some(code) = req.p("code") else {
                    return Err(self.gerr(100, None, "Missing authorization code"));
                };
                let redirect_uri = req.p("redirect_uri").unwrap_or_default();
                let Some(c) = self.codes.get(&code).filter(|c| !c.instagram).cloned() else {
                    return Err(self.gerr(100, None, "Invalid verification code format."));
                };
                if c.used {
                    return Err(self.gerr(
                        100,
                        Some(36009),
                        "This authorization code has been used.",
                    ));
                }
                if now - c.created_ms > FB_CODE_TTL_MS {
                    return Err(self.gerr(
                        100,
                        Some(36007),
                        "This authorization code has expired.",
                    ));
                }
                if c.redirect_uri != redirect_uri {
                    return Err(self.gerr(
                        100,
                        Some(36008),
                        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
                    ));
                }
                if let Some(stored) = self.codes.get_mut(&code) {
                    stored.used = true;
                }
                let token = self.issue_user_token(&c.user_id, TokenLife::ShortLived, c.scopes);
                Ok(Reply::ok(json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": SHORT_LIVED_MS / 1000,
                })))
            }
        }
    }

    /// `POST /oauth/access_token` on api.instagram.com (IGLB): form `client_id` (Instagram
    /// app id), `client_secret`, `grant_type=authorization_code`, `redirect_uri`, `code` →
    /// a 1 h Instagram User token, the user id and the granted permissions, shaped per
    /// [`IgTokenStyle`]. Codes are single-use and live 1 h. Errors in api.instagram.com's
    /// flat shape `{error_type, code, error_message}` (**guessed** messages).
    fn ig_code_exchange(&mut self, req: &Req) -> R {
        if req.p("client_id").as_deref() != Some(self.app.instagram_app_id.as_str()) {
            return Err(Sim::ig_api_error(400, "Invalid platform app"));
        }
        if req.p("client_secret").as_deref() != Some(self.app.instagram_app_secret.as_str()) {
            return Err(Sim::ig_api_error(400, "Error validating client secret."));
        }
        if req.p("grant_type").as_deref() != Some("authorization_code") {
            return Err(Sim::ig_api_error(400, "Invalid grant_type"));
        }
        let code = req.p("code").unwrap_or_default();
        let code = code.trim_end_matches("#_").to_owned();
        let Some(c) = self.codes.get(&code).filter(|c| c.instagram).cloned() else {
            return Err(Sim::ig_api_error(400, "Invalid authorization code"));
        };
        if c.used {
            return Err(Sim::ig_api_error(
                400,
                "This authorization code has been used",
            ));
        }
        if self.now() - c.created_ms > IG_CODE_TTL_MS {
            return Err(Sim::ig_api_error(
                400,
                "This authorization code has expired",
            ));
        }
        if req.p("redirect_uri").unwrap_or_default() != c.redirect_uri {
            return Err(Sim::ig_api_error(
                400,
                "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            ));
        }
        if let Some(stored) = self.codes.get_mut(&code) {
            stored.used = true;
        }
        let token = self.issue_instagram_token(&c.user_id, TokenLife::ShortLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = c.scopes.clone();
        }
        Ok(Reply::ok(match self.ig_token_style {
            IgTokenStyle::Documented => json!({ "data": [{
                "access_token": token,
                "user_id": c.user_id,
                "permissions": c.scopes.join(","),
            }]}),
            IgTokenStyle::Flat => json!({
                "access_token": token,
                "user_id": c.user_id.parse::<u64>().map(Value::from).unwrap_or(Value::String(c.user_id.clone())),
                "permissions": c.scopes,
            }),
        }))
    }

    /// `GET /access_token?grant_type=ig_exchange_token&client_secret&access_token` on
    /// graph.instagram.com (IGAT): short-lived → 60-day token `{access_token,
    /// token_type:"bearer", expires_in}`. The short token must be valid (190 otherwise).
    fn ig_exchange(&mut self, req: &Req) -> R {
        if req.p("grant_type").as_deref() != Some("ig_exchange_token") {
            return Err(self.invalid_param("Invalid grant_type, expected ig_exchange_token"));
        }
        if req.p("client_secret").as_deref() != Some(self.app.instagram_app_secret.as_str()) {
            return Err(self.gerr(1, None, "Error validating client secret."));
        }
        let Some(short) = req.token() else {
            return Err(self.gerr(
                104,
                None,
                "An access token is required to request this resource.",
            ));
        };
        let info = self.check_token(&short)?;
        if info.kind != TokenKind::InstagramUser {
            return Err(self.gerr(
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            ));
        }
        let ig = info.user_id.clone().unwrap_or_default();
        let token = self.issue_instagram_token(&ig, TokenLife::LongLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = info.scopes.clone();
        }
        Ok(Reply::ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_MS / 1000,
        })))
    }

    /// `GET /refresh_access_token?grant_type=ig_refresh_token&access_token` (IGRT): the
    /// long-lived token must be at least 24 h old and unexpired; the answer is a new token
    /// valid 60 days from now (the old one keeps its own expiry, **guessed**). Younger than
    /// 24 h or short-lived → code 100 (**guessed** code and text).
    fn ig_refresh(&mut self, req: &Req) -> R {
        if req.p("grant_type").as_deref() != Some("ig_refresh_token") {
            return Err(self.invalid_param("Invalid grant_type, expected ig_refresh_token"));
        }
        let Some(old) = req.token() else {
            return Err(self.gerr(
                104,
                None,
                "An access token is required to request this resource.",
            ));
        };
        let info = self.check_token(&old)?;
        if info.kind != TokenKind::InstagramUser || !info.long_lived {
            return Err(
                self.invalid_param("Only long-lived Instagram User access tokens can be refreshed")
            );
        }
        if self.now() - info.issued_at_ms < DAY_MS {
            return Err(self
                .invalid_param("The access token must be at least 24 hours old to be refreshed"));
        }
        let ig = info.user_id.clone().unwrap_or_default();
        let token = self.issue_instagram_token(&ig, TokenLife::LongLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = info.scopes.clone();
        }
        Ok(Reply::ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_MS / 1000,
        })))
    }

    /// `GET /debug_token?input_token&access_token` (FLDBG): `data{app_id, type, application,
    /// data_access_expires_at, expires_at (0 = never), is_valid, issued_at, scopes,
    /// granular_scopes[{scope, target_ids?}], user_id, profile_id (Page tokens)}`. A dead
    /// input token answers 200 with `is_valid:false` and `data.error{code, message, subcode}`
    /// (documented shape; **guessed** that an unknown token has no `app_id`). The caller's
    /// own token must be the app token or a valid token of the same app (developer tokens
    /// are not modelled: any valid user token of the app is accepted, **guessed**).
    fn debug_token(&mut self, req: &Req) -> R {
        let caller = self.authenticate(req)?;
        if caller.app_id != self.app.app_id && caller.app_id != self.app.instagram_app_id {
            return Err(self.gerr(100, None, "(#100) You must provide an app access token, or a user access token that is an owner or developer of the app"));
        }
        let Some(input) = req.p("input_token") else {
            return Err(self.gerr(100, None, "(#100) The parameter input_token is required"));
        };
        let now = self.now();
        let Some(info) = self
            .tokens
            .get(&input)
            .cloned()
            .or_else(|| (input == self.app.app_token()).then(|| self.app_token_info()))
        else {
            return Ok(Reply::ok(json!({ "data": {
                "error": { "code": 190, "message": "Invalid OAuth access token - Cannot parse access token" },
                "is_valid": false,
                "scopes": [],
            }})));
        };
        let kind = match info.kind {
            TokenKind::App => "APP",
            TokenKind::Page => "PAGE",
            TokenKind::SystemUser => "SYSTEM_USER",
            TokenKind::InstagramUser => "USER",
            TokenKind::User => "USER",
        };
        let mut d = Map::new();
        d.insert("app_id".into(), info.app_id.clone().into());
        d.insert("type".into(), kind.into());
        d.insert("application".into(), self.app.name.clone().into());
        if info.kind != TokenKind::App {
            d.insert(
                "data_access_expires_at".into(),
                ((info.issued_at_ms + DATA_ACCESS_MS) / 1000).into(),
            );
            d.insert(
                "expires_at".into(),
                info.expires_at_ms.map_or(0, |e| e / 1000).into(),
            );
            d.insert("issued_at".into(), (info.issued_at_ms / 1000).into());
        }
        let dead = match info.status {
            TokenStatus::Valid if info.expires_at_ms.is_some_and(|e| e <= now) => {
                Some((463, "Session has expired"))
            }
            TokenStatus::Valid => None,
            TokenStatus::Expired => Some((463, "Session has expired")),
            TokenStatus::PasswordChanged => Some((
                460,
                "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
            )),
            TokenStatus::Revoked => {
                Some((467, "The session is invalid because the user logged out."))
            }
            TokenStatus::AppRemoved => Some((458, "The user has not authorized the application.")),
        };
        if let Some((subcode, message)) = dead {
            d.insert(
                "error".into(),
                json!({ "code": 190, "message": format!("Error validating access token: {message}"), "subcode": subcode }),
            );
        }
        d.insert("is_valid".into(), dead.is_none().into());
        d.insert("scopes".into(), json!(info.scopes));
        let granular: Vec<Value> = info
            .scopes
            .iter()
            .map(|s| {
                let targets: Option<Vec<String>> = if s.starts_with("pages_") {
                    Some(match info.kind {
                        TokenKind::Page => info.page_id.iter().cloned().collect(),
                        _ => info
                            .user_id
                            .as_deref()
                            .and_then(|u| self.user(u))
                            .map(|u| u.pages.clone())
                            .unwrap_or_default(),
                    })
                } else if s.starts_with("instagram_") && info.kind != TokenKind::InstagramUser {
                    let pages = info
                        .user_id
                        .as_deref()
                        .and_then(|u| self.user(u))
                        .map(|u| u.pages.clone())
                        .unwrap_or_default();
                    Some(
                        pages
                            .iter()
                            .filter_map(|p| self.pages.get(p).and_then(|p| p.instagram_id.clone()))
                            .collect(),
                    )
                } else if s.starts_with("whatsapp_") {
                    Some(self.wabas_of(&info))
                } else {
                    None
                };
                match targets {
                    Some(t) => json!({ "scope": s, "target_ids": t }),
                    None => json!({ "scope": s }),
                }
            })
            .collect();
        d.insert("granular_scopes".into(), Value::Array(granular));
        if let Some(u) = &info.user_id {
            d.insert("user_id".into(), u.clone().into());
        }
        if let Some(p) = &info.page_id {
            d.insert("profile_id".into(), p.clone().into());
        }
        Ok(Reply::ok(json!({ "data": d })))
    }

    // ---- Pages and Instagram accounts (§4 "Page tokens") ---------------------------------

    /// The Page token `/me/accounts` hands out for a user token: never-expiring when the
    /// user token is long-lived, expiring with it (1 h) when short-lived (§4 "Page tokens").
    /// The same user token always gets the same Page token (**guessed**).
    fn page_token_for(&mut self, caller: &TokenInfo, page_id: &str) -> String {
        if caller.kind == TokenKind::Page {
            return caller.token.clone();
        }
        let key = (caller.token.clone(), page_id.to_owned());
        if let Some(t) = self.page_tokens.get(&key) {
            return t.clone();
        }
        let expires = if caller.long_lived {
            None
        } else {
            caller.expires_at_ms
        };
        let user = caller.user_id.clone().unwrap_or_default();
        let token = self.issue_page_token(&user, page_id, expires, caller.scopes.clone());
        self.page_tokens.insert(key, token.clone());
        token
    }

    fn page_json(
        &mut self,
        caller: &TokenInfo,
        page_id: &str,
        fields: &[Field],
    ) -> Result<Value, Reply> {
        let page = self.pages.get(page_id).cloned().expect("page exists");
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "id" => {}
                "name" => {
                    o.insert("name".into(), page.name.clone().into());
                }
                "category" => {
                    o.insert("category".into(), page.category.clone().into());
                }
                "category_list" => {
                    o.insert(
                        "category_list".into(),
                        json!([{ "id": "2500", "name": page.category }]),
                    );
                }
                "tasks" => {
                    o.insert(
                        "tasks".into(),
                        json!([
                            "ADVERTISE",
                            "ANALYZE",
                            "CREATE_CONTENT",
                            "MESSAGING",
                            "MODERATE",
                            "MANAGE"
                        ]),
                    );
                }
                "access_token" => {
                    let token = self.page_token_for(caller, page_id);
                    o.insert("access_token".into(), token.into());
                }
                "instagram_business_account" | "connected_instagram_account" => {
                    if let Some(ig) = page
                        .instagram_id
                        .clone()
                        .and_then(|i| self.instagram.get(&i).cloned())
                    {
                        let sub = f.sub.clone().unwrap_or_else(|| fields_of(&["id"]));
                        let mut io = Map::new();
                        for s in &sub {
                            match s.name.as_str() {
                                "username" => {
                                    io.insert("username".into(), ig.username.clone().into());
                                }
                                "name" => {
                                    io.insert("name".into(), ig.name.clone().into());
                                }
                                _ => {}
                            }
                        }
                        io.insert("id".into(), ig.id.clone().into());
                        o.insert(f.name.clone(), Value::Object(io));
                    }
                }
                "link" => {
                    o.insert(
                        "link".into(),
                        format!("https://www.facebook.com/{page_id}").into(),
                    );
                }
                other => {
                    return Err(self.gerr(
                        100,
                        None,
                        &format!(
                            "(#100) Tried accessing nonexisting field ({other}) on node type (Page)"
                        ),
                    ));
                }
            }
        }
        o.insert("id".into(), page.id.into());
        Ok(Value::Object(o))
    }

    /// `GET /{page-id}?fields=name,instagram_business_account,access_token` (§4, IGGS).
    fn get_page(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, page_id: &str) -> R {
        self.meter(cx, caller, page_id, "pages", false)?;
        let fields = self.requested_fields(req, &["name", "id"])?;
        let page = self.page_json(caller, page_id, &fields)?;
        Ok(Reply::ok(page))
    }

    /// `GET /{ig-id}?fields=username,name,…`.
    fn get_instagram(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ig_id: &str) -> R {
        self.meter(cx, caller, ig_id, "instagram", false)?;
        let ig = self.instagram.get(ig_id).cloned().expect("exists");
        let fields = self.requested_fields(req, &["id"])?;
        let mut o = Map::new();
        for f in &fields {
            match f.name.as_str() {
                "username" => {
                    o.insert("username".into(), ig.username.clone().into());
                }
                "name" => {
                    o.insert("name".into(), ig.name.clone().into());
                }
                "user_id" => {
                    o.insert("user_id".into(), ig.id.clone().into());
                }
                "profile_picture_url" => {
                    o.insert(
                        "profile_picture_url".into(),
                        format!("{}/cdn/{}.jpg", self.base_url, ig.id).into(),
                    );
                }
                _ => {}
            }
        }
        o.insert("id".into(), ig.id.into());
        Ok(Reply::ok(Value::Object(o)))
    }

    /// `GET /me/accounts?fields=…` with a user token (§4, IGGS): the user's Pages with
    /// Page tokens, `{data:[{access_token, category, category_list, name, id, tasks}],
    /// paging:{cursors}}`; with `fields` only those (plus `id`). A Page token gets 100/33
    /// (**guessed**).
    fn accounts(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, user_id: &str) -> R {
        if caller.kind != TokenKind::User || caller.user_id.as_deref() != Some(user_id) {
            return Err(self.unsupported(&Method::GET, user_id));
        }
        self.meter(cx, caller, user_id, "pages", false)?;
        let fields = self.requested_fields(
            req,
            &[
                "access_token",
                "category",
                "category_list",
                "name",
                "id",
                "tasks",
            ],
        )?;
        let pages = self
            .user(user_id)
            .map(|u| u.pages.clone())
            .unwrap_or_default();
        let limit = Sim::limit(req, None);
        let Some((start, end)) = page_range(
            &pages,
            limit,
            req.p("after").as_deref(),
            req.p("before").as_deref(),
        ) else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let mut data = Vec::new();
        for p in &pages[start..end] {
            data.push(self.page_json(caller, p, &fields)?);
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let path = format!("{user_id}/accounts");
        if let Some(paging) = self.paging(req, &path, &pages, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    // ---- Conversations (§3.1) -----------------------------------------------------------

    fn can_use_conv(&self, caller: &TokenInfo, idx: usize) -> bool {
        let c = &self.conversations[idx];
        match c.platform {
            Platform::Instagram => match caller.kind {
                TokenKind::InstagramUser => {
                    caller.user_id.as_deref() == Some(c.account_id.as_str())
                }
                TokenKind::Page => caller.page_id.as_deref() == Some(c.page_id.as_str()),
                _ => false,
            },
            _ => {
                caller.kind == TokenKind::Page
                    && caller.page_id.as_deref() == Some(c.page_id.as_str())
            }
        }
    }

    fn person_json(&self, platform: Platform, id: &str) -> Value {
        if platform == Platform::Instagram {
            let username = self
                .instagram
                .get(id)
                .map(|i| i.username.clone())
                .or_else(|| self.contacts.get(id).map(|c| c.username.clone()))
                .unwrap_or_default();
            json!({ "username": username, "id": id })
        } else {
            let name = self
                .pages
                .get(id)
                .map(|p| p.name.clone())
                .or_else(|| self.contacts.get(id).map(|c| c.name.clone()))
                .unwrap_or_default();
            json!({ "name": name, "email": format!("{id}@facebook.com"), "id": id })
        }
    }

    /// A message node. Only the [`DETAIL_WINDOW`] most recent messages of a conversation
    /// have details (§3.1, CONV): in lists, older messages show only `id` and
    /// `created_time` (**guessed**: the documentation only says single lookups fail).
    fn message_json(&self, ci: usize, mi: usize, fields: &[Field]) -> Value {
        let c = &self.conversations[ci];
        let m = &c.messages[mi];
        let detailed = mi + DETAIL_WINDOW >= c.messages.len();
        let business = c.account_id.clone();
        let (from, to) = if m.from_business {
            (business, c.participant.clone())
        } else {
            (c.participant.clone(), business)
        };
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "created_time" => {
                    o.insert("created_time".into(), iso(m.created_ms).into());
                }
                "from" if detailed => {
                    o.insert("from".into(), self.person_json(c.platform, &from));
                }
                "to" if detailed => {
                    o.insert(
                        "to".into(),
                        json!({ "data": [self.person_json(c.platform, &to)] }),
                    );
                }
                "message" if detailed => {
                    o.insert("message".into(), m.text.clone().into());
                }
                "attachments" if detailed && !m.attachments.is_empty() => {
                    let data: Vec<Value> = m
                        .attachments
                        .iter()
                        .map(|a| {
                            json!({
                                "id": a.id,
                                "mime_type": a.mime_type,
                                "name": a.name,
                                "size": a.size,
                                "image_data": {
                                    "width": 1, "height": 1, "max_width": 1, "max_height": 1,
                                    "url": a.url, "preview_url": a.url,
                                    "image_type": 1, "render_as_sticker": false,
                                },
                            })
                        })
                        .collect();
                    o.insert("attachments".into(), json!({ "data": data }));
                }
                "reply_to" if detailed => {
                    if let Some(r) = &m.reply_to {
                        let self_reply = c
                            .messages
                            .iter()
                            .find(|x| &x.id == r)
                            .is_some_and(|x| x.from_business == m.from_business);
                        o.insert(
                            "reply_to".into(),
                            json!({ "mid": r, "is_self_reply": self_reply }),
                        );
                    }
                }
                _ => {}
            }
        }
        o.insert("id".into(), m.id.clone().into());
        Value::Object(o)
    }

    /// Messages of a conversation, newest first, with cursor paging (`next` links point at
    /// `/{conversation-id}/messages`). `cursors` is (`after`, `before`); `nested` marks the
    /// `messages` field of a conversation, whose `next` link carries its own `fields` and
    /// `limit`.
    fn messages_page(
        &self,
        req: &Req,
        ci: usize,
        fields: &[Field],
        limit: usize,
        cursors: (Option<&str>, Option<&str>),
        nested: bool,
    ) -> Option<Value> {
        let (after, before) = cursors;
        let c = &self.conversations[ci];
        let mut order: Vec<usize> = (0..c.messages.len()).collect();
        order.sort_by(|a, b| {
            (c.messages[*b].created_ms, c.messages[*b].seq)
                .cmp(&(c.messages[*a].created_ms, c.messages[*a].seq))
        });
        let ids: Vec<String> = order.iter().map(|i| c.messages[*i].id.clone()).collect();
        let (start, end) = page_range(&ids, limit, after, before)?;
        let data: Vec<Value> = order[start..end]
            .iter()
            .map(|mi| self.message_json(ci, *mi, fields))
            .collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let extra: Vec<(String, String)> = if nested {
            let mut pairs = Vec::new();
            if let Some(t) = req.p("access_token") {
                pairs.push(("access_token".to_owned(), t));
            }
            pairs.push(("fields".to_owned(), fields_to_string(fields)));
            pairs.push(("limit".to_owned(), limit.to_string()));
            pairs
        } else {
            Vec::new()
        };
        if let Some(paging) =
            self.paging(req, &format!("{}/messages", c.id), &ids, start, end, &extra)
        {
            out.insert("paging".into(), paging);
        }
        Some(Value::Object(out))
    }

    fn conversation_json(
        &mut self,
        req: &Req,
        ci: usize,
        fields: &[Field],
    ) -> Result<Value, Reply> {
        let c = self.conversations[ci].clone();
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "id" => {}
                "updated_time" => {
                    o.insert("updated_time".into(), iso(c.updated_ms()).into());
                }
                "participants" => {
                    let business = self.person_json(c.platform, &c.account_id);
                    let customer = self.person_json(c.platform, &c.participant);
                    o.insert(
                        "participants".into(),
                        json!({ "data": [customer, business] }),
                    );
                }
                "senders" => {
                    let customer = self.person_json(c.platform, &c.participant);
                    o.insert("senders".into(), json!({ "data": [customer] }));
                }
                "message_count" => {
                    o.insert("message_count".into(), c.messages.len().into());
                }
                "unread_count" => {
                    o.insert("unread_count".into(), 0.into());
                }
                "snippet" => {
                    o.insert(
                        "snippet".into(),
                        c.messages
                            .last()
                            .map(|m| m.text.clone())
                            .unwrap_or_default()
                            .into(),
                    );
                }
                "can_reply" => {
                    let open = c
                        .last_inbound_ms()
                        .is_some_and(|t| self.now() - t <= WINDOW_MS);
                    o.insert("can_reply".into(), open.into());
                }
                "is_owner" => {
                    o.insert("is_owner".into(), true.into());
                }
                "link" if c.platform == Platform::Messenger => {
                    o.insert(
                        "link".into(),
                        format!("/{}/inbox/{}", c.page_id, c.id).into(),
                    );
                }
                "messages" => {
                    let sub = f
                        .sub
                        .clone()
                        .unwrap_or_else(|| fields_of(&["id", "created_time"]));
                    let limit = Sim::limit(req, Some(f));
                    let limit = if f.limit.is_none() {
                        DEFAULT_LIMIT
                    } else {
                        limit
                    };
                    if let Some(page) = self.messages_page(req, ci, &sub, limit, (None, None), true)
                    {
                        o.insert("messages".into(), page);
                    }
                }
                other => {
                    return Err(self.gerr(
                        100,
                        None,
                        &format!("(#100) Tried accessing nonexisting field ({other}) on node type (UnifiedThread)"),
                    ));
                }
            }
        }
        o.insert("id".into(), c.id.into());
        Ok(Value::Object(o))
    }

    /// `GET /{page-id}/conversations?platform=messenger|instagram&fields&limit&after&user_id`
    /// and `GET /{ig-id}/conversations` / `graph.instagram.com/me/conversations` (§3.1, CONV,
    /// IGLC): Page token (a user token gets 210), newest `updated_time` first, cursor paging
    /// (`next` absent on the last page), default fields `id,updated_time`, field expansion
    /// of `participants` and `messages{…}`. Metered as `messenger` / `instagram` (GRL).
    fn conversations(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        owner: &str,
        owner_is_ig: bool,
    ) -> R {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let platform_param = req.p("platform");
        let (platform, account) =
            if owner_is_ig {
                if !self.can_use_instagram(caller, owner) {
                    return Err(self.unsupported(&Method::GET, owner));
                }
                (Platform::Instagram, owner.to_owned())
            } else {
                if !self.can_use_page(caller, owner) {
                    return Err(self.unsupported(&Method::GET, owner));
                }
                match platform_param.as_deref() {
                    Some("instagram") => {
                        match self.pages.get(owner).and_then(|p| p.instagram_id.clone()) {
                            Some(ig) => (Platform::Instagram, ig),
                            None => {
                                return Err(self.invalid_param(
                                    "The Page has no linked Instagram professional account",
                                ));
                            }
                        }
                    }
                    None | Some("messenger") => (Platform::Messenger, owner.to_owned()),
                    Some(other) => return Err(self.invalid_param(&format!(
                        "Param platform must be one of {{MESSENGER, INSTAGRAM}} - got \"{other}\""
                    ))),
                }
            };
        let kind = if platform == Platform::Instagram {
            "instagram"
        } else {
            "messenger"
        };
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id", "updated_time"])?;
        let user_filter = req.p("user_id");
        let mut list: Vec<usize> = (0..self.conversations.len())
            .filter(|&i| {
                let c = &self.conversations[i];
                c.platform == platform
                    && c.account_id == account
                    && user_filter.as_deref().is_none_or(|u| c.participant == u)
            })
            .collect();
        list.sort_by(|a, b| {
            let (ca, cb) = (&self.conversations[*a], &self.conversations[*b]);
            (cb.updated_ms(), cb.updated_seq()).cmp(&(ca.updated_ms(), ca.updated_seq()))
        });
        let ids: Vec<String> = list
            .iter()
            .map(|i| self.conversations[*i].id.clone())
            .collect();
        let limit = Sim::limit(req, None);
        let Some((start, end)) = page_range(
            &ids,
            limit,
            req.p("after").as_deref(),
            req.p("before").as_deref(),
        ) else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let mut data = Vec::new();
        for ci in &list[start..end] {
            data.push(self.conversation_json(req, *ci, &fields)?);
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let path = format!(
            "{}/conversations",
            req.segs
                .first()
                .map_or(owner, |s| if s == "me" { "me" } else { owner })
        );
        if let Some(paging) = self.paging(req, &path, &ids, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    fn conv_kind(&self, ci: usize) -> (&'static str, String) {
        let c = &self.conversations[ci];
        if c.platform == Platform::Instagram {
            ("instagram", c.account_id.clone())
        } else {
            ("messenger", c.page_id.clone())
        }
    }

    /// `GET /{conversation-id}?fields=messages,participants,updated_time` (CONV): the
    /// `messages` field lists all message ids with `created_time`.
    fn get_conversation(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ci: usize) -> R {
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id"])?;
        let conv = self.conversation_json(req, ci, &fields)?;
        Ok(Reply::ok(conv))
    }

    /// `GET /{conversation-id}/messages?fields&limit&after` (GCONV): newest first, default
    /// fields `id,created_time`, cursor paging.
    fn conversation_messages(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        ci: usize,
    ) -> R {
        if !self.can_use_conv(caller, ci) {
            let id = self.conversations[ci].id.clone();
            return Err(self.unsupported(&Method::GET, &id));
        }
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id", "created_time"])?;
        let limit = Sim::limit(req, None);
        match self.messages_page(
            req,
            ci,
            &fields,
            limit,
            (req.p("after").as_deref(), req.p("before").as_deref()),
            false,
        ) {
            Some(page) => Ok(Reply::ok(page)),
            None => Err(self.invalid_param("Invalid cursor")),
        }
    }

    /// `GET /{message-id}?fields=id,created_time,from,to,message,attachments,reply_to`
    /// (§3.1, CONV): only the 20 most recent messages of the conversation answer; an older
    /// one gets an error "stating that the message has been deleted" — the documentation
    /// gives no code: **guessed** HTTP 400, code 100, subcode 33, "This message has been
    /// deleted". The conversation reference states the limit for Instagram Messaging;
    /// META-API §3.1 applies it to both platforms and so does the sim.
    fn get_message(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        ci: usize,
        mi: usize,
    ) -> R {
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        if mi + DETAIL_WINDOW < self.conversations[ci].messages.len() {
            return Err(self.gerr(100, Some(33), "(#100) This message has been deleted"));
        }
        let fields = self.requested_fields(req, &["id", "created_time"])?;
        Ok(Reply::ok(self.message_json(ci, mi, &fields)))
    }

    /// `GET /{psid}?fields=first_name,last_name,name,profile_pic` (§3.2, MPROF) and
    /// `GET /{igsid}?fields=name,username,profile_pic,…` (IGP): Page token of the Page the
    /// person wrote to (Instagram: the linked Page, or the account's Instagram Login token).
    /// Without profile access (see [`World::set_profile_visible`]) the answer is `{}`
    /// (documented). Fields not modelled (`locale`, `timezone`, `gender`) are left out.
    fn get_profile(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, contact_id: &str) -> R {
        let Some(k) = self.contacts.get(contact_id).cloned() else {
            return Err(self.unsupported(&Method::GET, contact_id));
        };
        let allowed = match k.platform {
            Platform::Instagram => {
                self.can_use_instagram(caller, &k.account_id) && caller.kind != TokenKind::User
            }
            _ => {
                caller.kind == TokenKind::Page
                    && caller.page_id.as_deref() == Some(k.account_id.as_str())
            }
        };
        if !allowed {
            return Err(self.unsupported(&Method::GET, contact_id));
        }
        let kind = if k.platform == Platform::Instagram {
            "instagram"
        } else {
            "messenger"
        };
        self.meter(cx, caller, &k.account_id, kind, false)?;
        if !k.profile_visible {
            return Ok(Reply::ok(json!({})));
        }
        let default: &[&str] = if k.platform == Platform::Instagram {
            &["name", "username", "profile_pic"]
        } else {
            &["first_name", "last_name", "profile_pic"]
        };
        let fields = self.requested_fields(req, default)?;
        let pic = format!("{}/cdn/{}.png", self.base_url, k.id);
        self.cdn
            .entry(format!("{}.png", k.id))
            .or_insert_with(|| ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())));
        let mut o = Map::new();
        for f in &fields {
            let v: Value = match (k.platform, f.name.as_str()) {
                (_, "name") => k.name.clone().into(),
                (_, "profile_pic") => pic.clone().into(),
                (Platform::Messenger, "first_name") => k.first_name.clone().into(),
                (Platform::Messenger, "last_name") => k.last_name.clone().into(),
                (Platform::Instagram, "username") => k.username.clone().into(),
                (Platform::Instagram, "follower_count") => 42.into(),
                (
                    Platform::Instagram,
                    "is_verified_user" | "is_user_follow_business" | "is_business_follow_user",
                ) => false.into(),
                _ => continue,
            };
            o.insert(f.name.clone(), v);
        }
        o.insert("id".into(), k.id.into());
        Ok(Reply::ok(Value::Object(o)))
    }

    // ---- Send API (§3.3) -----------------------------------------------------------------

    fn record(&mut self, cx: &Cx, req: &Req, new: NewSent) {
        let request = req.json.clone().unwrap_or_else(|| {
            Value::Object(
                req.params
                    .iter()
                    .filter(|(k, _)| k.as_str() != "access_token")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        });
        let at_ms = self.now();
        let seq = self.sent.len() as u64 + 1;
        self.sent.push(Sent {
            seq,
            at_ms,
            platform: new.platform,
            account_id: new.account_id,
            recipient_id: new.recipient_id,
            kind: new.kind,
            message_type: new.message_type,
            message_id: new.message_id,
            text: new.text,
            request,
            answered: !cx.drop_after,
        });
    }

    fn window_closed(&mut self, platform: Platform) -> Reply {
        if platform == Platform::Instagram {
            self.gerr(
                10,
                Some(2_534_022),
                "(#10) This message is sent outside of allowed window.",
            )
        } else {
            self.gerr(
                10,
                Some(2_018_278),
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
            )
        }
    }

    /// `POST /{page-id}/messages` (or `/me/messages`) with a Page token, and
    /// `POST /{ig-id}/messages` with an Instagram Login token (§3.3, MSEND, MSAPI, IGS, IGLM,
    /// MSA, IGSA). Body JSON (or form fields holding JSON) `{recipient:{id}, messaging_type,
    /// message:{text|attachment|attachments}, tag?, reply_to?:{mid}}` → `{recipient_id,
    /// message_id}`; or `{recipient, sender_action: mark_seen|typing_on|typing_off|react|
    /// unreact, payload?}` → `{recipient_id}`. Enforced:
    /// - recipient must be a PSID/IGSID that wrote to this Page/account: else 100/2018001
    ///   (Messenger) or 100/2534014 (Instagram) "No matching user found" (MERR, R2);
    /// - text ≤ 2000 characters (Messenger) / ≤ 1000 bytes UTF-8 (Instagram), code 100;
    /// - `messaging_type` required on Messenger (RESPONSE, UPDATE, MESSAGE_TAG; code 100
    ///   **guessed** text), optional on Instagram (IG samples omit it, §3.3);
    /// - the 24 h window from the person's last message, `MESSAGE_TAG` + `HUMAN_AGENT` up to
    ///   7 days; outside: 10/2018278 (Messenger) or 10/2534022 (Instagram) (§5.2);
    ///   `ACCOUNT_UPDATE`, `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` are refused
    ///   with 100 from 2026-04-27 (fake clock) and allowed outside the window before
    ///   (Messenger only); Instagram takes only `HUMAN_AGENT`;
    /// - sender actions and reactions need the 24 h window too (**guessed**);
    /// - `attachment.payload.attachment_id` must come from `message_attachments`.
    ///
    /// The message is appended to the conversation and recorded in [`World::sent`]; the same
    /// request twice makes two messages (no idempotency key, see the module docs).
    fn send(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, owner: &str) -> R {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let owner_is_ig = self.instagram.contains_key(owner);
        let allowed = if owner_is_ig {
            self.can_use_instagram(caller, owner)
        } else {
            self.can_use_page(caller, owner)
        };
        if !allowed {
            return Err(self.unsupported(&Method::POST, owner));
        }
        let Some(recipient) = req.pj("recipient").filter(Value::is_object) else {
            return Err(self.invalid_param("param recipient must be non-empty."));
        };
        let Some(rid) = recipient.get("id").and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        }) else {
            return Err(self.invalid_param(
                "meta-sim supports recipient.id only (not user_ref, post_id, comment_id)",
            ));
        };
        let contact = self.contacts.get(&rid).cloned();
        let page_ig = self.pages.get(owner).and_then(|p| p.instagram_id.clone());
        let (platform, account) = if owner_is_ig {
            (Platform::Instagram, owner.to_owned())
        } else {
            match (&contact, &page_ig) {
                (Some(k), Some(ig)) if k.platform == Platform::Instagram && &k.account_id == ig => {
                    (Platform::Instagram, ig.clone())
                }
                _ => (Platform::Messenger, owner.to_owned()),
            }
        };
        let ci = self.conversations.iter().position(|c| {
            c.platform == platform && c.account_id == account && c.participant == rid
        });
        let Some(ci) = ci else {
            return Err(if platform == Platform::Instagram {
                self.gerr(100, Some(2_534_014), "No matching user found")
            } else {
                self.gerr(100, Some(2_018_001), "(#100) No matching user found")
            });
        };
        let kind = if platform == Platform::Instagram {
            "instagram"
        } else {
            "messenger"
        };
        self.meter(cx, caller, &account, kind, true)?;
        let now = self.now();
        let age = self.conversations[ci]
            .last_inbound_ms()
            .map_or(i64::MAX, |t| now - t);
        let sender_action = req.p("sender_action");
        let message = req.pj("message").filter(Value::is_object);
        if sender_action.is_some() && message.is_some() {
            return Err(self.invalid_param("Cannot send both message and state at the same time."));
        }
        if let Some(action) = sender_action {
            let action = action.to_ascii_lowercase();
            if !matches!(
                action.as_str(),
                "mark_seen" | "typing_on" | "typing_off" | "react" | "unreact"
            ) {
                return Err(self.invalid_param("param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF, REACT, UNREACT}"));
            }
            if age > WINDOW_MS {
                return Err(self.window_closed(platform));
            }
            let (kind, text) = if action == "react" || action == "unreact" {
                let payload = req.pj("payload").unwrap_or(Value::Null);
                let target = payload
                    .get("message_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if !self.conversations[ci]
                    .messages
                    .iter()
                    .any(|m| m.id == target)
                {
                    return Err(self.invalid_param(
                        "param payload[message_id] must be a message of this conversation",
                    ));
                }
                let reaction = payload
                    .get("reaction")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if action == "react" && reaction.is_none() {
                    return Err(self.invalid_param("param payload[reaction] is required"));
                }
                (SentKind::Reaction, reaction)
            } else {
                (SentKind::SenderAction, None)
            };
            self.record(
                cx,
                req,
                NewSent {
                    platform,
                    account_id: account,
                    recipient_id: rid.clone(),
                    kind,
                    message_type: action,
                    message_id: None,
                    text,
                },
            );
            return Ok(Reply::ok(json!({ "recipient_id": rid })));
        }
        let Some(message) = message else {
            return Err(self.invalid_param("Must send either message or sender_action"));
        };
        let text = message
            .get("text")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut attachments: Vec<Value> = message
            .get("attachment")
            .filter(|a| a.is_object())
            .cloned()
            .into_iter()
            .collect();
        if let Some(list) = message.get("attachments").and_then(Value::as_array) {
            attachments.extend(list.iter().cloned());
        }
        if text.as_deref().is_none_or(str::is_empty) && attachments.is_empty() {
            return Err(self
                .invalid_param("Message cannot be empty, must provide valid attachment or text"));
        }
        if let Some(t) = &text {
            if platform == Platform::Instagram && t.len() > 1000 {
                return Err(self.invalid_param(
                    "Length of param message[text] must be less than or equal to 1000",
                ));
            }
            if platform == Platform::Messenger && t.chars().count() > 2000 {
                return Err(self.invalid_param(
                    "Length of param message[text] must be less than or equal to 2000",
                ));
            }
        }
        let messaging_type = req.p("messaging_type").map(|m| m.to_ascii_uppercase());
        let tag = req.p("tag").map(|t| t.to_ascii_uppercase());
        let allowed_age = match (messaging_type.as_deref(), platform) {
            (None, Platform::Messenger) => {
                return Err(self.invalid_param("param messaging_type is required"));
            }
            (None | Some("RESPONSE" | "UPDATE"), _) => WINDOW_MS,
            (Some("MESSAGE_TAG"), _) => match tag.as_deref() {
                Some("HUMAN_AGENT") => HUMAN_AGENT_MS,
                Some("ACCOUNT_UPDATE" | "CONFIRMED_EVENT_UPDATE" | "POST_PURCHASE_UPDATE")
                    if platform == Platform::Messenger =>
                {
                    let cutoff = days_from_civil(2026, 4, 27) * DAY_MS;
                    if now >= cutoff {
                        return Err(self.invalid_param(&format!(
                            "The {} tag is no longer supported",
                            tag.as_deref().unwrap_or_default()
                        )));
                    }
                    i64::MAX
                }
                Some(other) => {
                    return Err(self.invalid_param(&format!(
                        "Param tag must be a valid message tag - got \"{other}\""
                    )));
                }
                None => {
                    return Err(self.invalid_param(
                        "param tag is required when messaging_type is MESSAGE_TAG",
                    ));
                }
            },
            (Some(other), _) => {
                return Err(self.invalid_param(&format!("param messaging_type must be one of {{RESPONSE, UPDATE, MESSAGE_TAG}} - got \"{other}\"")));
            }
        };
        if age > allowed_age {
            return Err(self.window_closed(platform));
        }
        let reply_to = req
            .pj("reply_to")
            .or_else(|| message.get("reply_to").cloned())
            .and_then(|r| r.get("mid").and_then(Value::as_str).map(str::to_owned));
        if let Some(r) = &reply_to
            && !self.conversations[ci].messages.iter().any(|m| &m.id == r)
        {
            return Err(
                self.invalid_param("param reply_to[mid] must be a message of this conversation")
            );
        }
        let mut stored = Vec::new();
        let mut first_type = None;
        for a in &attachments {
            let kind = a
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let payload = a.get("payload").cloned().unwrap_or(Value::Null);
            let valid_kind = match platform {
                Platform::Instagram => matches!(
                    kind.as_str(),
                    "image" | "audio" | "video" | "file" | "media_share" | "like_heart"
                ),
                _ => matches!(
                    kind.as_str(),
                    "image" | "audio" | "video" | "file" | "template"
                ),
            };
            if !valid_kind {
                return Err(self.invalid_param(&format!(
                    "param message[attachment][type] is not valid - got \"{kind}\""
                )));
            }
            let url = if let Some(id) = payload.get("attachment_id").and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            }) {
                if !self.attachment_ids.contains_key(&id) {
                    return Err(self.invalid_param("Invalid attachment_id"));
                }
                format!("{}/cdn/{id}", self.base_url)
            } else if let Some(url) = payload.get("url").and_then(Value::as_str) {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(self.invalid_param(
                        "param message[attachment][payload][url] must be a valid URL",
                    ));
                }
                url.to_owned()
            } else if kind == "template" || kind == "like_heart" || kind == "media_share" {
                String::new()
            } else {
                return Err(self.invalid_param(
                    "param message[attachment][payload] must have url or attachment_id",
                ));
            };
            first_type.get_or_insert_with(|| kind.clone());
            let mime = match kind.as_str() {
                "image" => "image/jpeg",
                "audio" => "audio/mpeg",
                "video" => "video/mp4",
                _ => "application/octet-stream",
            };
            let id = self.digits(16);
            stored.push(Attachment {
                id,
                mime_type: mime.to_owned(),
                name: url
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                size: 0,
                url,
            });
        }
        let mid = self.new_mid(platform, &account);
        let seq = self.next_seq();
        self.conversations[ci].messages.push(Msg {
            id: mid.clone(),
            created_ms: now,
            seq,
            from_business: true,
            text: text.clone().unwrap_or_default(),
            attachments: stored,
            reply_to,
        });
        self.record(
            cx,
            req,
            NewSent {
                platform,
                account_id: account,
                recipient_id: rid.clone(),
                kind: SentKind::Message,
                message_type: first_type.unwrap_or_else(|| "text".to_owned()),
                message_id: Some(mid.clone()),
                text,
            },
        );
        Ok(Reply::ok(json!({ "recipient_id": rid, "message_id": mid })))
    }

    /// `POST /{page-id}/message_attachments` (MATT, MSAVE): JSON/form `message={attachment:
    /// {type, payload:{url, is_reusable}}}` or multipart with a `message` part and a
    /// `filedata` file (≤ 25 MB) → `{attachment_id}`. The 90-day expiry is not modelled.
    fn message_attachments(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        page_id: &str,
    ) -> R {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        if !self.can_use_page(caller, page_id) {
            return Err(self.unsupported(&Method::POST, page_id));
        }
        self.meter(cx, caller, page_id, "messenger", false)?;
        let content_type = req.content_type();
        let (message, file) = if content_type.to_ascii_lowercase().starts_with("multipart/") {
            let Some(parts) = parse_multipart(&content_type, &req.body) else {
                return Err(self.invalid_param("Invalid multipart body"));
            };
            let message = parts
                .iter()
                .find(|p| p.name == "message")
                .and_then(|p| serde_json::from_slice::<Value>(&p.data).ok());
            let file = parts.into_iter().find(|p| p.name == "filedata");
            (message, file)
        } else {
            (req.pj("message"), None)
        };
        let Some(attachment) = message.as_ref().and_then(|m| m.get("attachment")).cloned() else {
            return Err(self.invalid_param("param message[attachment] is required"));
        };
        let kind = attachment
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(kind, "image" | "audio" | "video" | "file") {
            return Err(self.invalid_param(
                "param message[attachment][type] must be one of {image, audio, video, file}",
            ));
        }
        let has_url = attachment
            .pointer("/payload/url")
            .and_then(Value::as_str)
            .is_some();
        if let Some(f) = &file {
            if f.data.len() > 25 << 20 {
                return Err(self.gerr(
                    100,
                    Some(2_018_294),
                    "(#100) Attachment size exceeds allowable limit",
                ));
            }
        } else if !has_url {
            return Err(self
                .invalid_param("param message[attachment][payload][url] or filedata is required"));
        }
        let id = self.digits(16);
        if let Some(f) = file {
            let mime = f
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            self.cdn.insert(id.clone(), (mime, Arc::new(f.data)));
        }
        self.attachment_ids.insert(id.clone(), attachment);
        Ok(Reply::ok(json!({ "attachment_id": id })))
    }

    /// `GET|POST|DELETE /{page-id}/subscribed_apps` (§1 "Subscribing an asset", MW) and the
    /// same on an Instagram account (IG Login, R2): Page token (a user token gets 210);
    /// POST takes `subscribed_fields` (query, form or JSON; a comma list) and replaces the
    /// list → `{success:true}`; GET → `{data:[{category, link, name, id, subscribed_fields}]}`
    /// (empty `data` when unsubscribed); DELETE empties it. Unknown field names → 100
    /// (**guessed** text). [`World::unsubscribe_app`] plays "Meta unsubscribed the app".
    fn subscribed_apps(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        const PAGE_FIELDS: &[&str] = &[
            "messages",
            "message_echoes",
            "message_edits",
            "message_reactions",
            "message_reads",
            "message_deliveries",
            "messaging_postbacks",
            "messaging_referrals",
            "messaging_optins",
            "messaging_optouts",
            "messaging_handovers",
            "messaging_policy_enforcement",
            "messaging_account_linking",
            "messaging_game_plays",
            "messaging_customer_information",
            "standby",
            "feed",
            "inbox_labels",
            "message_template_status_update",
            "calls",
        ];
        const IG_FIELDS: &[&str] = &[
            "messages",
            "messaging_optins",
            "messaging_postbacks",
            "messaging_reactions",
            "messaging_referrals",
            "messaging_seen",
            "message_edit",
            "message_reactions",
            "comments",
            "live_comments",
            "mentions",
            "story_insights",
        ];
        let is_ig = self.instagram.contains_key(id);
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let allowed = if is_ig {
            self.can_use_instagram(caller, id)
        } else {
            self.can_use_page(caller, id)
        };
        if !allowed {
            let method = req.method.clone();
            return Err(self.unsupported(&method, id));
        }
        self.meter(
            cx,
            caller,
            id,
            if is_ig { "instagram" } else { "pages" },
            false,
        )?;
        let current = if is_ig {
            self.instagram.get(id).map(|i| i.subscribed_fields.clone())
        } else {
            self.pages.get(id).map(|p| p.subscribed_fields.clone())
        }
        .unwrap_or_default();
        let set = |sim: &mut Sim, fields: Vec<String>| {
            if let Some(i) = sim.instagram.get_mut(id) {
                i.subscribed_fields = fields;
            } else if let Some(p) = sim.pages.get_mut(id) {
                p.subscribed_fields = fields;
            }
        };
        match req.method.as_str() {
            "GET" => {
                let data = if current.is_empty() {
                    json!([])
                } else {
                    json!([{
                        "category": "Business",
                        "link": "https://cahts.example/",
                        "name": self.app.name,
                        "id": if is_ig { self.app.instagram_app_id.clone() } else { self.app.app_id.clone() },
                        "subscribed_fields": current,
                    }])
                };
                Ok(Reply::ok(json!({ "data": data })))
            }
            "POST" => {
                let raw = match req.pj("subscribed_fields") {
                    Some(Value::Array(list)) => list
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                    Some(Value::String(s)) => s
                        .split(',')
                        .map(|f| f.trim().to_owned())
                        .filter(|f| !f.is_empty())
                        .collect(),
                    _ => Vec::new(),
                };
                if raw.is_empty() {
                    return Err(self.invalid_param("The parameter subscribed_fields is required."));
                }
                let valid = if is_ig { IG_FIELDS } else { PAGE_FIELDS };
                if let Some((i, bad)) = raw
                    .iter()
                    .enumerate()
                    .find(|(_, f)| !valid.contains(&f.as_str()))
                {
                    let message = format!(
                        "Param subscribed_fields[{i}] must be one of {{{}}} - got \"{bad}\"",
                        valid.join(", ")
                    );
                    return Err(self.invalid_param(&message));
                }
                let mut fields = Vec::new();
                for f in raw {
                    if !fields.contains(&f) {
                        fields.push(f);
                    }
                }
                set(self, fields);
                Ok(Reply::ok(json!({ "success": true })))
            }
            "DELETE" => {
                set(self, Vec::new());
                Ok(Reply::ok(json!({ "success": true })))
            }
            _ => Err(self.unsupported(&req.method.clone(), id)),
        }
    }

    // ---- WhatsApp (§3.4) -------------------------------------------------------------

    fn wa_access(
        &mut self,
        caller: &TokenInfo,
        phone_id: &str,
        method: &Method,
    ) -> Result<Phone, Reply> {
        match self.phones.get(phone_id).cloned() {
            Some(p) if self.can_use_waba(caller, &p.waba_id) => Ok(p),
            _ => Err(self.unsupported(method, phone_id)),
        }
    }

    /// `GET|POST|DELETE /{waba-id}/subscribed_apps` (§1, WAO): POST subscribes the app →
    /// `{success:true}`; GET → `{data:[{whatsapp_business_api_data:{link, name, id}}]}`.
    fn waba_subscribed_apps(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        waba_id: &str,
    ) -> R {
        if !self.can_use_waba(caller, waba_id) {
            let method = req.method.clone();
            return Err(self.unsupported(&method, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let subscribed = self.wabas.get(waba_id).is_some_and(|w| w.app_subscribed);
        match req.method.as_str() {
            "GET" => {
                let data = if subscribed {
                    json!([{ "whatsapp_business_api_data": {
                        "link": "https://cahts.example/",
                        "name": self.app.name,
                        "id": self.app.app_id,
                    }}])
                } else {
                    json!([])
                };
                Ok(Reply::ok(json!({ "data": data })))
            }
            "POST" | "DELETE" => {
                if let Some(w) = self.wabas.get_mut(waba_id) {
                    w.app_subscribed = req.method == Method::POST;
                }
                Ok(Reply::ok(json!({ "success": true })))
            }
            _ => Err(self.unsupported(&req.method.clone(), waba_id)),
        }
    }

    fn pick(all: Map<String, Value>, fields: &[Field], id: &str) -> Value {
        let mut o = Map::new();
        for f in fields {
            if let Some(v) = all.get(&f.name) {
                o.insert(f.name.clone(), v.clone());
            }
        }
        o.insert("id".into(), id.into());
        Value::Object(o)
    }

    /// `GET /{waba-id}/message_templates?fields&limit&after&name&status&language` (WATPL,
    /// WAAP): `{data:[{name, components, language, status, category, id}], paging}`.
    fn templates(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        if !self.can_use_waba(caller, waba_id) {
            return Err(self.unsupported(&Method::GET, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let fields = self.requested_fields(
            req,
            &["name", "components", "language", "status", "category"],
        )?;
        let (name, status, language, category) = (
            req.p("name"),
            req.p("status"),
            req.p("language"),
            req.p("category"),
        );
        let list: Vec<(String, Template)> = self
            .wabas
            .get(waba_id)
            .map(|w| w.templates.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, t)| {
                name.as_deref().is_none_or(|n| t.name.contains(n))
                    && status
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case(t.status.as_str()))
                    && language.as_deref().is_none_or(|l| l == t.language)
                    && category
                        .as_deref()
                        .is_none_or(|c| c.eq_ignore_ascii_case(&t.category))
            })
            .collect();
        let ids: Vec<String> = list.iter().map(|(id, _)| id.clone()).collect();
        let Some((start, end)) = page_range(
            &ids,
            Sim::limit(req, None),
            req.p("after").as_deref(),
            req.p("before").as_deref(),
        ) else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let data: Vec<Value> = list[start..end]
            .iter()
            .map(|(id, t)| {
                let mut all = Map::new();
                all.insert("name".into(), t.name.clone().into());
                all.insert("components".into(), t.components.clone());
                all.insert("language".into(), t.language.clone().into());
                all.insert("status".into(), t.status.as_str().into());
                all.insert("category".into(), t.category.clone().into());
                Sim::pick(all, &fields, id)
            })
            .collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(paging) = self.paging(
            req,
            &format!("{waba_id}/message_templates"),
            &ids,
            start,
            end,
            &[],
        ) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    fn phone_map(p: &Phone) -> Map<String, Value> {
        let mut all = Map::new();
        all.insert("verified_name".into(), p.verified_name.clone().into());
        all.insert("code_verification_status".into(), "VERIFIED".into());
        all.insert("display_phone_number".into(), p.display.clone().into());
        all.insert("quality_rating".into(), "GREEN".into());
        all.insert("platform_type".into(), "CLOUD_API".into());
        all.insert("throughput".into(), json!({ "level": "STANDARD" }));
        all.insert("name_status".into(), "APPROVED".into());
        all
    }

    /// `GET /{waba-id}/phone_numbers` (WAAP): `{data:[{verified_name,
    /// code_verification_status, display_phone_number, quality_rating, platform_type,
    /// throughput, id}], paging}`.
    fn phone_numbers(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        if !self.can_use_waba(caller, waba_id) {
            return Err(self.unsupported(&Method::GET, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let fields = self.requested_fields(
            req,
            &[
                "verified_name",
                "code_verification_status",
                "display_phone_number",
                "quality_rating",
                "platform_type",
                "throughput",
            ],
        )?;
        let ids = self
            .wabas
            .get(waba_id)
            .map(|w| w.phone_ids.clone())
            .unwrap_or_default();
        let Some((start, end)) = page_range(
            &ids,
            Sim::limit(req, None),
            req.p("after").as_deref(),
            req.p("before").as_deref(),
        ) else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let data: Vec<Value> = ids[start..end]
            .iter()
            .filter_map(|id| self.phones.get(id))
            .map(|p| Sim::pick(Sim::phone_map(p), &fields, &p.id))
            .collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(paging) = self.paging(
            req,
            &format!("{waba_id}/phone_numbers"),
            &ids,
            start,
            end,
            &[],
        ) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    fn get_waba(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let w = self.wabas.get(waba_id).cloned().expect("exists");
        let fields = self.requested_fields(req, &["name"])?;
        let mut all = Map::new();
        all.insert("name".into(), w.name.into());
        all.insert("currency".into(), "USD".into());
        all.insert("timezone_id".into(), "1".into());
        all.insert(
            "message_template_namespace".into(),
            hex::encode(Sha256::digest(w.id.as_bytes()))[..32]
                .to_owned()
                .into(),
        );
        Ok(Reply::ok(Sim::pick(all, &fields, &w.id)))
    }

    fn get_phone(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, phone_id: &str) -> R {
        let phone = self.wa_access(caller, phone_id, &Method::GET)?;
        self.meter(
            cx,
            caller,
            &phone.waba_id,
            "whatsapp_business_management",
            false,
        )?;
        let fields = self.requested_fields(
            req,
            &[
                "verified_name",
                "code_verification_status",
                "display_phone_number",
                "quality_rating",
                "platform_type",
                "throughput",
            ],
        )?;
        Ok(Reply::ok(Sim::pick(
            Sim::phone_map(&phone),
            &fields,
            &phone.id,
        )))
    }

    /// `POST /{phone-number-id}/messages` with `Authorization: Bearer` (§3.4, WAS, WAT,
    /// WATPL, WARX, WACR, WARD, WATY, WAE). Accepts `messaging_product:"whatsapp"`, `to`,
    /// `type` and its object: `text{body ≤ 4096}`, `template{name, language{code},
    /// components}`, `image|audio|video|document|sticker{id|link, caption?}`,
    /// `reaction{message_id, emoji}`, `interactive`, `location`, `contacts`; `context
    /// {message_id}` replies. Answers `{messaging_product, contacts:[{input, wa_id}],
    /// messages:[{id:"wamid.…"}]}` (templates add `message_status:"accepted"`). Mark read:
    /// `{status:"read", message_id, typing_indicator?}` → `{success:true}` (any `wamid.` is
    /// accepted: the sim holds no WhatsApp history, **guessed** leniency).
    ///
    /// Errors in the WhatsApp shape (no subcode, `error_data.details`): non-template outside
    /// the 24 h customer-service window → 131047; `to` in [`World::set_wa_undeliverable`] →
    /// 131026 (synchronously here; Meta may also report it in a status webhook); template
    /// unknown, not in that language or not APPROVED → 132001; BODY parameter count
    /// mismatch → 132000; missing parameters → 131008; invalid values → 100 / 131009
    /// (**guessed** details texts). HTTP 400 throughout.
    fn wa_send(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, phone_id: &str) -> R {
        let phone = self.wa_access(caller, phone_id, &Method::POST)?;
        self.meter(
            cx,
            caller,
            &phone.waba_id,
            "whatsapp_business_messaging",
            true,
        )?;
        let body = req.json.clone().unwrap_or_else(|| {
            Value::Object(
                req.params
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        });
        let invalid =
            |sim: &mut Sim, details: &str| sim.waerr(400, 100, "Invalid parameter", details);
        if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return Err(invalid(
                self,
                "The parameter messaging_product is required and must be \"whatsapp\".",
            ));
        }
        if let Some(status) = body.get("status").and_then(Value::as_str) {
            if status != "read" {
                return Err(invalid(self, "Param status must be \"read\"."));
            }
            let Some(mid) = body
                .get("message_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                return Err(self.waerr(
                    400,
                    131_008,
                    "Required parameter is missing",
                    "The parameter message_id is required.",
                ));
            };
            if !mid.starts_with("wamid.") {
                return Err(self.waerr(
                    400,
                    131_009,
                    "Parameter value is not valid",
                    "Invalid message_id.",
                ));
            }
            let typing = body
                .pointer("/typing_indicator/type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            self.record(
                cx,
                req,
                NewSent {
                    platform: Platform::WhatsApp,
                    account_id: phone.id.clone(),
                    recipient_id: String::new(),
                    kind: SentKind::MarkRead,
                    message_type: "read".into(),
                    message_id: Some(mid),
                    text: typing,
                },
            );
            return Ok(Reply::ok(json!({ "success": true })));
        }
        let Some(to) = body.get("to").and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        }) else {
            return Err(self.waerr(
                400,
                131_008,
                "Required parameter is missing",
                "The parameter to is required.",
            ));
        };
        let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
        if wa_id.len() < 7 {
            return Err(invalid(self, "Param to must be a valid phone number."));
        }
        let msg_type = body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("text")
            .to_owned();
        let payload = body.get(msg_type.as_str()).cloned().unwrap_or(Value::Null);
        if self.undeliverable.contains(&wa_id) {
            return Err(self.waerr(
                400,
                131_026,
                "Message undeliverable",
                "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.",
            ));
        }
        let mut kind = SentKind::Message;
        let text: Option<String> = match msg_type.as_str() {
            "text" => {
                let Some(b) = payload
                    .get("body")
                    .and_then(Value::as_str)
                    .filter(|b| !b.is_empty())
                else {
                    return Err(self.waerr(
                        400,
                        131_008,
                        "Required parameter is missing",
                        "The parameter text['body'] is required.",
                    ));
                };
                if b.chars().count() > 4096 {
                    return Err(invalid(
                        self,
                        "Param text['body'] must be at most 4096 characters long.",
                    ));
                }
                Some(b.to_owned())
            }
            "template" => {
                let name = payload
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let code = payload
                    .pointer("/language/code")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if name.is_empty() || code.is_empty() {
                    return Err(self.waerr(400, 131_008, "Required parameter is missing", "The parameters template['name'] and template['language']['code'] are required."));
                }
                let template = self.wabas.get(&phone.waba_id).and_then(|w| {
                    w.templates
                        .iter()
                        .map(|(_, t)| t)
                        .find(|t| {
                            t.name == name
                                && t.language == code
                                && t.status == TemplateStatus::Approved
                        })
                        .cloned()
                });
                let Some(template) = template else {
                    return Err(self.waerr(
                        400,
                        132_001,
                        "Template name does not exist in the translation",
                        &format!("template name ({name}) does not exist in {code}"),
                    ));
                };
                let given = payload
                    .get("components")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|c| {
                        c.get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case("body"))
                    })
                    .map(|c| {
                        c.get("parameters")
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len)
                    })
                    .sum::<usize>();
                let expected = template.body_params();
                if given != expected {
                    return Err(self.waerr(
                        400,
                        132_000,
                        "Number of parameters does not match the expected number of params",
                        &format!("body: number of localizable_params ({given}) does not match the expected number of params ({expected})"),
                    ));
                }
                Some(name)
            }
            "image" | "audio" | "video" | "document" | "sticker" => {
                if let Some(id) = payload.get("id").and_then(Value::as_str) {
                    if self.media.get(id).is_none_or(|m| m.info.deleted) {
                        return Err(self.waerr(
                            400,
                            131_009,
                            "Parameter value is not valid",
                            &format!("Invalid media id {id}."),
                        ));
                    }
                } else if let Some(link) = payload.get("link").and_then(Value::as_str) {
                    if !(link.starts_with("https://") || link.starts_with("http://")) {
                        return Err(self.waerr(
                            400,
                            131_009,
                            "Parameter value is not valid",
                            "Param link must be a valid URL.",
                        ));
                    }
                } else {
                    return Err(self.waerr(
                        400,
                        131_008,
                        "Required parameter is missing",
                        &format!(
                            "The parameter {msg_type}['id'] or {msg_type}['link'] is required."
                        ),
                    ));
                }
                payload
                    .get("caption")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }
            "reaction" => {
                if payload.get("message_id").and_then(Value::as_str).is_none() {
                    return Err(self.waerr(
                        400,
                        131_008,
                        "Required parameter is missing",
                        "The parameter reaction['message_id'] is required.",
                    ));
                }
                kind = SentKind::Reaction;
                Some(
                    payload
                        .get("emoji")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            "interactive" | "location" | "contacts" => None,
            other => {
                return Err(invalid(
                    self,
                    &format!("Unsupported message type \"{other}\"."),
                ));
            }
        };
        if msg_type != "template" {
            let now = self.now();
            let last = self
                .wa_contacts
                .get(&(phone.id.clone(), wa_id.clone()))
                .and_then(|c| c.last_inbound_ms);
            if last.is_none_or(|t| now - t > WINDOW_MS) {
                return Err(self.waerr(
                    400,
                    131_047,
                    "Re-engagement message",
                    "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                ));
            }
        }
        let wamid = self.new_wamid(&wa_id, false);
        self.record(
            cx,
            req,
            NewSent {
                platform: Platform::WhatsApp,
                account_id: phone.id.clone(),
                recipient_id: wa_id.clone(),
                kind,
                message_type: msg_type.clone(),
                message_id: Some(wamid.clone()),
                text,
            },
        );
        let message = if msg_type == "template" {
            json!({ "id": wamid, "message_status": "accepted" })
        } else {
            json!({ "id": wamid })
        };
        Ok(Reply::ok(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": wa_id }],
            "messages": [message],
        })))
    }

    /// `POST /{phone-number-id}/media` multipart `messaging_product=whatsapp`, `file`, `type`
    /// (WAM) → `{id}`. Limits (§3.4): image jpeg/png 5 MB; audio aac/amr/mpeg/mp4/ogg 16 MB;
    /// video mp4/3gpp 16 MB; documents 100 MB; sticker webp 500 KB (animated limit; the
    /// 100 KB static limit is not told apart, **guessed**). Other types or larger files →
    /// 131053 "Media upload error" (**guessed** code choice and details).
    fn wa_upload(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, phone_id: &str) -> R {
        let phone = self.wa_access(caller, phone_id, &Method::POST)?;
        self.meter(
            cx,
            caller,
            &phone.waba_id,
            "whatsapp_business_messaging",
            false,
        )?;
        let content_type = req.content_type();
        let Some(parts) = parse_multipart(&content_type, &req.body) else {
            return Err(self.waerr(
                400,
                100,
                "Invalid parameter",
                "The request must be multipart/form-data.",
            ));
        };
        let field = |name: &str| {
            parts
                .iter()
                .find(|p| p.name == name)
                .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
        };
        if field("messaging_product").as_deref() != Some("whatsapp") {
            return Err(self.waerr(
                400,
                100,
                "Invalid parameter",
                "The parameter messaging_product is required and must be \"whatsapp\".",
            ));
        }
        let Some(file) = parts.iter().find(|p| p.name == "file") else {
            return Err(self.waerr(
                400,
                131_008,
                "Required parameter is missing",
                "The parameter file is required.",
            ));
        };
        let mime = field("type")
            .filter(|t| !t.is_empty())
            .or_else(|| file.content_type.clone())
            .unwrap_or_default();
        let base = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        const MB: usize = 1 << 20;
        let limit = match base.as_str() {
            "image/jpeg" | "image/png" => 5 * MB,
            "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => 16 * MB,
            "video/mp4" | "video/3gpp" => 16 * MB,
            "image/webp" => 500 * 1024,
            "text/plain"
            | "application/pdf"
            | "application/msword"
            | "application/vnd.ms-excel"
            | "application/vnd.ms-powerpoint" => 100 * MB,
            t if t.starts_with("application/vnd.openxmlformats-officedocument.") => 100 * MB,
            _ => {
                return Err(self.waerr(
                    400,
                    131_053,
                    "Media upload error",
                    &format!("Unsupported file type {mime}."),
                ));
            }
        };
        if file.data.len() > limit {
            return Err(self.waerr(
                400,
                131_053,
                "Media upload error",
                &format!(
                    "File of {} bytes exceeds the {} bytes limit for {base}.",
                    file.data.len(),
                    limit
                ),
            ));
        }
        let info = self.add_media(file.data.clone(), &mime, Some(&phone.id));
        Ok(Reply::ok(json!({ "id": info.id })))
    }

    fn media_waba(
        &self,
        caller: &TokenInfo,
        media: &MediaInfo,
        phone_param: Option<&str>,
    ) -> Option<String> {
        let phone = phone_param.or(media.phone_number_id.as_deref());
        match phone {
            Some(p) => self
                .phones
                .get(p)
                .map(|p| p.waba_id.clone())
                .filter(|w| self.can_use_waba(caller, w)),
            None => self.wabas_of(caller).into_iter().next(),
        }
    }

    /// `GET /{media-id}?phone_number_id=` (WAM) → `{messaging_product, url, mime_type, sha256
    /// (hex), file_size, id}`. `file_size` is a string as in the documented sample
    /// (**guessed**: samples elsewhere show a number). The URL is served by the sim, needs
    /// `Authorization: Bearer` and lives 5 minutes on the fake clock. Media uploaded to
    /// another phone number than `phone_number_id` → 100/33 (**guessed**).
    fn get_media(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, media_id: &str) -> R {
        let Some(media) = self.media.get(media_id).map(|m| m.info.clone()) else {
            return Err(self.unsupported(&Method::GET, media_id));
        };
        let phone_param = req.p("phone_number_id");
        if let (Some(p), Some(owner)) = (phone_param.as_deref(), media.phone_number_id.as_deref())
            && p != owner
        {
            return Err(self.unsupported(&Method::GET, media_id));
        }
        let Some(waba) = self.media_waba(caller, &media, phone_param.as_deref()) else {
            return Err(self.unsupported(&Method::GET, media_id));
        };
        self.meter(cx, caller, &waba, "whatsapp_business_messaging", false)?;
        let hash = self.chars(43, B64URL);
        let expires = self.now() + MEDIA_URL_TTL_MS;
        self.media_urls
            .insert(hash.clone(), (media.id.clone(), expires));
        let url = format!(
            "{}/whatsapp_business/attachments/?mid={}&source=getMedia&ext={}&hash={hash}",
            self.base_url,
            media.id,
            expires / 1000
        );
        Ok(Reply::ok(json!({
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.file_size.to_string(),
            "id": media.id,
        })))
    }

    /// `DELETE /{media-id}` (WAM) → `{success:true}`; the id then no longer resolves.
    fn delete_media(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, media_id: &str) -> R {
        let Some(media) = self.media.get(media_id).map(|m| m.info.clone()) else {
            return Err(self.unsupported(&Method::DELETE, media_id));
        };
        let phone_param = req.p("phone_number_id");
        let Some(waba) = self.media_waba(caller, &media, phone_param.as_deref()) else {
            return Err(self.unsupported(&Method::DELETE, media_id));
        };
        self.meter(cx, caller, &waba, "whatsapp_business_messaging", false)?;
        if let Some(m) = self.media.get_mut(media_id) {
            m.info.deleted = true;
        }
        Ok(Reply::ok(json!({ "success": true })))
    }

    /// The media URL (WAM): `GET` with `Authorization: Bearer <valid token>` → the bytes;
    /// without a Bearer header or with a dead token → 401; after 5 minutes (fake clock), an
    /// unknown hash or a deleted media → 404 ("fetch a new URL"). Bodies **guessed**.
    fn media_download(&mut self, req: &Req) -> R {
        let bearer = req
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.trim()
                    .strip_prefix("Bearer ")
                    .or_else(|| v.trim().strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        let Some(token) = bearer else {
            return Err(Reply::text(401, "Unauthorized"));
        };
        if self.check_token(&token).is_err() {
            return Err(Reply::text(401, "Unauthorized"));
        }
        let hash = req.p("hash").unwrap_or_default();
        let now = self.now();
        let Some((media_id, expires)) = self.media_urls.get(&hash).cloned() else {
            return Err(Reply::text(404, "Not Found"));
        };
        if now > expires {
            return Err(Reply::text(404, "Not Found"));
        }
        match self.media.get(&media_id) {
            Some(m) if !m.info.deleted => {
                Ok(Reply::bytes(&m.info.mime_type, m.bytes.as_ref().clone()))
            }
            _ => Err(Reply::text(404, "Not Found")),
        }
    }

    /// Attachment and profile-picture bytes (the `scontent` CDN): public, no token.
    fn cdn_get(&mut self, name: &str) -> R {
        if self.cdn_expired.contains(name) {
            // Meta's CDN links carry a signed expiry (`oe=`); past it the CDN answers 403
            // (**guessed** body).
            return Err(Reply::text(403, "URL signature expired"));
        }
        match self.cdn.get(name) {
            Some((mime, bytes)) => Ok(Reply::bytes(mime, bytes.as_ref().clone())),
            None => Err(Reply::text(404, "Not Found")),
        }
    }
}

/// The caller-supplied part of a [`Sent`] record.
struct NewSent {
    platform: Platform,
    account_id: String,
    recipient_id: String,
    kind: SentKind,
    message_type: String,
    message_id: Option<String>,
    text: Option<String>,
}

// =======================================================================================
// Tests: real HTTP against the started server
// =======================================================================================

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::redirect::Policy;

    const V: &str = "v24.0";

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    struct Answer {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Value,
    }

    impl Answer {
        fn code(&self) -> Option<i64> {
            self.body.pointer("/error/code").and_then(Value::as_i64)
        }
        fn subcode(&self) -> Option<i64> {
            self.body
                .pointer("/error/error_subcode")
                .and_then(Value::as_i64)
        }
        fn header(&self, name: &str) -> Option<String> {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(c: &reqwest::Client, url: &str) -> Answer {
        answer(c.get(url).send().await.expect("request")).await
    }

    async fn post(c: &reqwest::Client, url: &str, token: &str, body: &Value) -> Answer {
        answer(
            c.post(url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    fn query_of(location: &str) -> HashMap<String, String> {
        let without_fragment = location.split('#').next().unwrap_or_default();
        let query = without_fragment
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        parse_urlencoded(query).into_iter().collect()
    }

    fn usage(a: &Answer, id: &str) -> (i64, i64) {
        let header: Value =
            serde_json::from_str(&a.header("x-business-use-case-usage").expect("BUC header"))
                .expect("json");
        let entry = &header[id][0];
        (
            entry["call_count"].as_i64().expect("call_count"),
            entry["estimated_time_to_regain_access"]
                .as_i64()
                .expect("eta"),
        )
    }

    #[test]
    fn field_expansion_parses_nested_lists_and_limits() {
        let f = parse_fields(
            "participants,updated_time,messages.limit(5){id,from,attachments{image_data}}",
        )
        .unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[2].name, "messages");
        assert_eq!(f[2].limit, Some(5));
        let sub = f[2].sub.as_ref().unwrap();
        assert_eq!(sub[2].sub.as_ref().unwrap()[0].name, "image_data");
        assert_eq!(
            fields_to_string(&f),
            "participants,updated_time,messages.limit(5){id,from,attachments{image_data}}"
        );
        assert!(parse_fields("messages{id").is_err());
        assert!(parse_fields("a,,b").is_err());
    }

    #[test]
    fn times_are_written_like_graph() {
        let ms = days_from_civil(2026, 1, 5) * DAY_MS + 10 * HOUR_MS;
        assert_eq!(iso(ms), "2026-01-05T10:00:00+0000");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(pacific(ms), "Monday, 05-Jan-26 02:00:00 PST");
    }

    #[test]
    fn multipart_bodies_split_into_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "messaging_product");
        assert_eq!(parts[0].data, b"whatsapp");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x00");
    }

    #[test]
    fn fault_patterns_match_method_and_path() {
        let p = Pattern::parse("POST */messages");
        assert!(p.matches("POST", "/123/messages"));
        assert!(!p.matches("GET", "/123/messages"));
        assert!(!p.matches("POST", "/123/message_attachments"));
        assert!(Pattern::parse("*/conversations").matches("GET", "/123/conversations"));
    }

    #[tokio::test]
    async fn oauth_code_then_short_then_long_lived_token() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let user = world.add_user("Alex Martin");
        let app = world.app();
        let redirect = "https://relay.example/oauth/callback";
        world.allow_redirect_uri(redirect);
        let dialog = format!(
            "{base}/{V}/dialog/oauth?client_id={}&redirect_uri={}&state=xyz%20123&scope=pages_show_list,pages_messaging&response_type=code",
            app.app_id,
            percent_encode(redirect)
        );
        let r = c.get(&dialog).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 302);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(redirect), "{location}");
        assert!(location.ends_with("#_=_"), "{location}");
        let q = query_of(&location);
        assert_eq!(q["state"], "xyz 123");
        let code = q["code"].clone();

        // Unregistered redirect URIs are refused by the dialog.
        let bad = dialog.replace(
            &percent_encode(redirect),
            &percent_encode("https://evil.example/"),
        );
        assert_eq!(c.get(&bad).send().await.unwrap().status().as_u16(), 400);

        let exchange = |code: &str, redirect: &str| {
            format!(
                "{base}/{V}/oauth/access_token?client_id={}&redirect_uri={}&client_secret={}&code={code}",
                app.app_id,
                percent_encode(redirect),
                app.app_secret
            )
        };
        // A different redirect_uri than the dialog's: 100/36008; the code stays usable.
        let a = get(&c, &exchange(&code, "https://relay.example/other")).await;
        assert_eq!(
            (a.status, a.code(), a.subcode()),
            (400, Some(100), Some(36008))
        );
        let a = get(&c, &exchange(&code, redirect)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "bearer");
        assert_eq!(a.body["expires_in"], 3600);
        let short = a.body["access_token"].as_str().unwrap().to_owned();
        // Single use.
        let a = get(&c, &exchange(&code, redirect)).await;
        assert_eq!((a.code(), a.subcode()), (Some(100), Some(36009)));
        // Wrong secret.
        let a = get(
            &c,
            &exchange(&code, redirect).replace(&app.app_secret, "nope"),
        )
        .await;
        assert_eq!(a.code(), Some(1));

        let long_url = format!(
            "{base}/{V}/oauth/access_token?grant_type=fb_exchange_token&client_id={}&client_secret={}&fb_exchange_token={short}",
            app.app_id, app.app_secret
        );
        let a = get(&c, &long_url).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["expires_in"], 5_183_944);
        let long = a.body["access_token"].as_str().unwrap().to_owned();
        assert_ne!(long, short);

        let debug = get(
            &c,
            &format!(
                "{base}/{V}/debug_token?input_token={long}&access_token={}",
                percent_encode(&app.app_token())
            ),
        )
        .await;
        let d = &debug.body["data"];
        assert_eq!(d["is_valid"], true);
        assert_eq!(d["type"], "USER");
        assert_eq!(d["app_id"], app.app_id.as_str());
        assert_eq!(d["user_id"], user.id.as_str());
        assert_eq!(d["scopes"], json!(["pages_show_list", "pages_messaging"]));
        assert!(d["expires_at"].as_i64().unwrap() > 0);
        assert!(d["granular_scopes"].is_array());

        // An expired short token cannot be exchanged.
        world.advance(Duration::from_secs(2 * 3600));
        let a = get(&c, &long_url).await;
        assert_eq!((a.code(), a.subcode()), (Some(190), Some(463)));

        // The person clicks Cancel.
        sim.faults().deny_login(true);
        let r = c.get(&dialog).send().await.unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.contains("error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied"), "{location}");
        assert_eq!(query_of(&location)["state"], "xyz 123");
    }

    #[tokio::test]
    async fn instagram_login_code_exchange_and_refresh_after_a_day() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        let ig = world.add_instagram(&page.id, "boulangerie", "Boulangerie");
        let app = world.app();
        let redirect = "https://relay.example/oauth/instagram";
        let r = c
            .get(format!(
                "{base}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope=instagram_business_basic,instagram_business_manage_messages&state=s1",
                app.instagram_app_id,
                percent_encode(redirect)
            ))
            .send()
            .await
            .unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.ends_with("#_"), "{location}");
        let code = query_of(&location)["code"].clone();
        let form = [
            ("client_id", app.instagram_app_id.as_str()),
            ("client_secret", app.instagram_app_secret.as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
            ("code", code.as_str()),
        ];
        let body = encode_query(
            &form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>(),
        );
        let send = || {
            c.post(format!("{base}/oauth/access_token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
        };
        let a = answer(send().await.unwrap()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let d = &a.body["data"][0];
        assert_eq!(d["user_id"], ig.id.as_str());
        assert_eq!(
            d["permissions"],
            "instagram_business_basic,instagram_business_manage_messages"
        );
        let short = d["access_token"].as_str().unwrap().to_owned();
        let again = answer(send().await.unwrap()).await;
        assert_eq!(again.status, 400);
        assert_eq!(again.body["error_type"], "OAuthException");

        let a = get(&c, &format!("{base}/access_token?grant_type=ig_exchange_token&client_secret={}&access_token={short}", app.instagram_app_secret)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let long = a.body["access_token"].as_str().unwrap().to_owned();
        let refresh =
            format!("{base}/refresh_access_token?grant_type=ig_refresh_token&access_token={long}");
        let a = get(&c, &refresh).await;
        assert_eq!(
            a.status, 400,
            "a fresh token cannot be refreshed: {}",
            a.body
        );
        world.advance(Duration::from_secs(25 * 3600));
        let a = get(&c, &refresh).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "bearer");
        assert_eq!(a.body["expires_in"], 5_183_944);

        // The long-lived IG token reads the account's conversations on graph.instagram.com.
        world.add_conversation(&ig.id, Platform::Instagram, "lina.k", 3);
        let a = get(
            &c,
            &format!("{base}/{V}/me/conversations?platform=instagram&access_token={long}"),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["data"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn me_accounts_lists_pages_with_tokens_and_instagram_ids() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let user = world.add_user("Alex Martin");
        let p1 = world.add_page_for(&user.id, "Boulangerie Zoë");
        let p2 = world.add_page_for(&user.id, "Second Shop");
        let ig = world.add_instagram(&p1.id, "boulangerie", "Boulangerie");
        let token = world.issue_user_token(
            &user.id,
            TokenLife::LongLived,
            &["pages_show_list", "pages_messaging"],
        );
        let a = get(&c, &format!("{base}/{V}/me/accounts?fields=id,name,access_token,tasks,instagram_business_account&access_token={token}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let data = a.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        let first = data.iter().find(|p| p["id"] == p1.id.as_str()).unwrap();
        assert_eq!(first["name"], "Boulangerie Zoë");
        assert_eq!(first["instagram_business_account"]["id"], ig.id.as_str());
        assert!(
            first["tasks"]
                .as_array()
                .unwrap()
                .contains(&json!("MESSAGING"))
        );
        assert!(data.iter().any(|p| p["id"] == p2.id.as_str() && p.get("instagram_business_account").is_none()));
        assert!(a.body["paging"]["cursors"]["after"].is_string());
        assert!(
            a.header("x-app-usage").is_some(),
            "user tokens report X-App-Usage"
        );
        // Page tokens from a long-lived user token never expire (§4).
        let page_token = first["access_token"].as_str().unwrap();
        let debug = get(
            &c,
            &format!("{base}/{V}/debug_token?input_token={page_token}&access_token={token}"),
        )
        .await;
        assert_eq!(debug.body["data"]["type"], "PAGE");
        assert_eq!(debug.body["data"]["expires_at"], 0);
        assert_eq!(debug.body["data"]["profile_id"], p1.id.as_str());
        // The same call again hands out the same Page token.
        let again = get(
            &c,
            &format!("{base}/{V}/me/accounts?fields=access_token&access_token={token}"),
        )
        .await;
        assert!(
            again.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["access_token"] == page_token)
        );
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?fields=instagram_business_account,name&access_token={page_token}",
                p1.id
            ),
        )
        .await;
        assert_eq!(
            a.body,
            json!({ "instagram_business_account": { "id": ig.id }, "name": "Boulangerie Zoë", "id": p1.id })
        );
        assert!(
            a.header("x-business-use-case-usage").is_some(),
            "Page tokens report BUC usage"
        );
        // IG ids exceed 2^53 and are strings.
        assert!(ig.id.parse::<u64>().unwrap() > 1 << 53);
    }

    #[tokio::test]
    async fn conversations_page_to_the_end_newest_first() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        let mut seeded = HashSet::new();
        for i in 0..23 {
            seeded.insert(
                world
                    .add_conversation(
                        &page.id,
                        Platform::Messenger,
                        &format!("Customer {i}"),
                        2 + i % 4,
                    )
                    .id,
            );
        }
        let mut url = format!(
            "{base}/{V}/{}/conversations?platform=messenger&fields=participants,updated_time,messages%7Bid,created_time,from,to,message,attachments%7D&limit=5&access_token={}",
            page.id, page.access_token
        );
        let mut seen = Vec::new();
        let mut times = Vec::new();
        let mut pages = 0;
        loop {
            let a = get(&c, &url).await;
            assert_eq!(a.status, 200, "{}", a.body);
            pages += 1;
            for conv in a.body["data"].as_array().unwrap() {
                seen.push(conv["id"].as_str().unwrap().to_owned());
                times.push(conv["updated_time"].as_str().unwrap().to_owned());
                assert_eq!(conv["participants"]["data"].as_array().unwrap().len(), 2);
                let first = &conv["messages"]["data"][0];
                assert!(
                    first["from"]["id"].is_string() && first["message"].is_string(),
                    "{first}"
                );
            }
            assert!(a.body["paging"]["cursors"]["after"].is_string());
            match a.body["paging"].get("next").and_then(Value::as_str) {
                Some(next) => url = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(pages, 5);
        assert_eq!(seen.len(), 23);
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), seeded);
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "newest updated first");

        // user_id finds one thread; a user token is refused (210).
        let conv = world.conversations()[3].clone();
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/conversations?user_id={}&access_token={}",
                page.id, conv.participant_id, page.access_token
            ),
        )
        .await;
        assert_eq!(a.body["data"][0]["id"], conv.id.as_str());
        let user_token = world.issue_user_token(&sim_user(&world), TokenLife::LongLived, &[]);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/conversations?access_token={user_token}",
                page.id
            ),
        )
        .await;
        assert_eq!(a.code(), Some(210));
    }

    /// The first user (owner of Pages added with `add_page`).
    fn sim_user(world: &World) -> String {
        lock(&world.shared).primary_user()
    }

    #[tokio::test]
    async fn only_the_twenty_most_recent_messages_have_details() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        world.add_instagram(&page.id, "boulangerie", "Boulangerie");
        let conv = world.add_conversation(&page.id, Platform::Instagram, "tomasz_w", 30);
        let token = &page.access_token;
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/messages?limit=100&access_token={token}",
                conv.id
            ),
        )
        .await;
        let listed: Vec<String> = a.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed.len(), 30, "all message ids are listed");
        assert!(a.body["data"][29]["created_time"].is_string());
        let newest_first: Vec<String> = conv.message_ids.iter().rev().cloned().collect();
        assert_eq!(listed, newest_first);
        for (i, mid) in listed.iter().enumerate() {
            let a = get(&c, &format!("{base}/{V}/{mid}?fields=id,created_time,from,to,message,attachments&access_token={token}")).await;
            if i < 20 {
                assert_eq!(a.status, 200, "message {i}: {}", a.body);
                assert_eq!(a.body["id"], mid.as_str());
                assert!(a.body["from"]["username"].is_string());
                assert!(a.body["to"]["data"][0]["id"].is_string());
            } else {
                assert_eq!(
                    (a.status, a.code(), a.subcode()),
                    (400, Some(100), Some(33)),
                    "message {i}: {}",
                    a.body
                );
                assert!(
                    a.body["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("deleted")
                );
            }
        }
        // In a list, older messages carry no details.
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?fields=messages.limit(30)%7Bid,message,from%7D&access_token={token}",
                conv.id
            ),
        )
        .await;
        let data = a.body["messages"]["data"].as_array().unwrap();
        assert_eq!(data.len(), 30);
        assert!(data[19].get("from").is_some());
        assert!(data[20].get("from").is_none() && data[20].get("message").is_none());
    }

    #[tokio::test]
    async fn send_inside_and_outside_the_window_and_human_agent() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        world.add_instagram(&page.id, "boulangerie", "Boulangerie");
        let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë Lefèvre", 4);
        let url = format!("{base}/{V}/{}/messages", page.id);
        let body = |text: &str, kind: &str| json!({ "recipient": { "id": conv.participant_id }, "messaging_type": kind, "message": { "text": text } });

        let a = post(
            &c,
            &url,
            &page.access_token,
            &body("Bonjour ! 🥐", "RESPONSE"),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["recipient_id"], conv.participant_id.as_str());
        let mid = a.body["message_id"].as_str().unwrap().to_owned();
        assert!(mid.starts_with("m_"));
        let sent = world.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].platform, sent[0].kind, sent[0].text.as_deref()),
            (Platform::Messenger, SentKind::Message, Some("Bonjour ! 🥐"))
        );
        assert_eq!(world.messages(&conv.id).last().unwrap().id, mid);

        // No idempotency key: the same request twice is two messages.
        let again = post(
            &c,
            &url,
            &page.access_token,
            &body("Bonjour ! 🥐", "RESPONSE"),
        )
        .await;
        assert_ne!(again.body["message_id"], a.body["message_id"]);
        assert_eq!(world.sent().len(), 2);

        let long = "é".repeat(2001);
        let a = post(&c, &url, &page.access_token, &body(&long, "RESPONSE")).await;
        assert_eq!(a.code(), Some(100));
        let a = post(&c, &url, &page.access_token, &json!({ "recipient": { "id": "1234567890123456" }, "messaging_type": "RESPONSE", "message": { "text": "hi" } })).await;
        assert_eq!((a.code(), a.subcode()), (Some(100), Some(2_018_001)));

        world.advance(Duration::from_secs(2 * 86_400));
        let a = post(
            &c,
            &url,
            &page.access_token,
            &body("Still there?", "RESPONSE"),
        )
        .await;
        assert_eq!((a.code(), a.subcode()), (Some(10), Some(2_018_278)));
        let mut tagged = body("A human here, sorry for the wait", "MESSAGE_TAG");
        tagged["tag"] = json!("HUMAN_AGENT");
        let a = post(&c, &url, &page.access_token, &tagged).await;
        assert_eq!(a.status, 200, "{}", a.body);
        world.advance(Duration::from_secs(6 * 86_400));
        let a = post(&c, &url, &page.access_token, &tagged).await;
        assert_eq!(
            (a.code(), a.subcode()),
            (Some(10), Some(2_018_278)),
            "HUMAN_AGENT ends after 7 days"
        );
        // The customer writes again: the window reopens.
        world.customer_writes(&conv.id, "Hello?");
        let a = post(&c, &url, &page.access_token, &body("Yes!", "RESPONSE")).await;
        assert_eq!(a.status, 200);

        // Instagram via the Page: ≤ 1000 bytes, its own subcodes.
        let ig_conv = world.add_conversation(&page.id, Platform::Instagram, "lina.k", 3);
        let ig = |text: &str| json!({ "recipient": { "id": ig_conv.participant_id }, "message": { "text": text } });
        let a = post(&c, &url, &page.access_token, &ig("ça marche")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.body["message_id"].as_str().unwrap().starts_with("aWdf"));
        let a = post(&c, &url, &page.access_token, &ig(&"é".repeat(501))).await;
        assert_eq!(a.code(), Some(100), "1002 bytes is over Instagram's 1000");
        world.age_conversation(&ig_conv.id, Duration::from_secs(25 * 3600));
        let a = post(&c, &url, &page.access_token, &ig("late")).await;
        assert_eq!((a.code(), a.subcode()), (Some(10), Some(2_534_022)));

        // Sender actions and reactions.
        let a = post(
            &c,
            &url,
            &page.access_token,
            &json!({ "recipient": { "id": conv.participant_id }, "sender_action": "typing_on" }),
        )
        .await;
        assert_eq!(a.body, json!({ "recipient_id": conv.participant_id }));
        let target = conv.message_ids.last().unwrap();
        let a = post(&c, &url, &page.access_token, &json!({ "recipient": { "id": conv.participant_id }, "sender_action": "react", "payload": { "message_id": target, "reaction": "love" } })).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(world.sent().last().unwrap().kind, SentKind::Reaction);
    }

    #[tokio::test]
    async fn whatsapp_text_template_mark_read_and_the_window() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let waba = world.add_waba("Boulangerie");
        let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
        world.add_template(
            &waba.id,
            Template::approved(
                "order_update",
                "en_US",
                "Hi {{1}}, order {{2}} is on its way.",
            ),
        );
        let mut pending = Template::approved("promo", "en_US", "Sale!");
        pending.status = TemplateStatus::Pending;
        world.add_template(&waba.id, pending);
        let customer = "4915112345678";
        let inbound = world.wa_customer_writes(&phone.id, customer, "Zoë");
        let url = format!("{base}/{V}/{}/messages", phone.id);
        let token = &waba.system_user_token;
        let text = json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": format!("+{customer}"), "type": "text", "text": { "body": "Hallo! 🥨" } });

        let a = post(&c, &url, token, &text).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.body["contacts"][0],
            json!({ "input": format!("+{customer}"), "wa_id": customer })
        );
        assert!(
            a.body["messages"][0]["id"]
                .as_str()
                .unwrap()
                .starts_with("wamid.")
        );

        let template = |name: &str, lang: &str, params: usize| {
            let parameters: Vec<Value> = (0..params)
                .map(|i| json!({ "type": "text", "text": format!("p{i}") }))
                .collect();
            json!({ "messaging_product": "whatsapp", "to": customer, "type": "template", "template": {
                "name": name, "language": { "code": lang },
                "components": [{ "type": "body", "parameters": parameters }],
            }})
        };
        let a = post(&c, &url, token, &template("order_update", "en_US", 2)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["messages"][0]["message_status"], "accepted");
        for (name, lang) in [
            ("order_update", "de"),
            ("promo", "en_US"),
            ("nope", "en_US"),
        ] {
            let a = post(&c, &url, token, &template(name, lang, 2)).await;
            assert_eq!(a.code(), Some(132_001), "{name}/{lang}: {}", a.body);
            assert!(a.body["error"].get("error_subcode").is_none());
            assert_eq!(
                a.body["error"]["error_data"]["messaging_product"],
                "whatsapp"
            );
        }
        let a = post(&c, &url, token, &template("order_update", "en_US", 1)).await;
        assert_eq!(a.code(), Some(132_000));

        let a = post(
            &c,
            &url,
            token,
            &json!({ "messaging_product": "whatsapp", "status": "read", "message_id": inbound }),
        )
        .await;
        assert_eq!(a.body, json!({ "success": true }));

        world.advance(Duration::from_secs(25 * 3600));
        let a = post(&c, &url, token, &text).await;
        assert_eq!((a.status, a.code()), (400, Some(131_047)), "{}", a.body);
        assert!(a.body["error"].get("error_subcode").is_none());
        assert!(
            a.body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("24 hours")
        );
        let a = post(&c, &url, token, &template("order_update", "en_US", 2)).await;
        assert_eq!(a.status, 200, "templates go outside the window");

        world.set_wa_undeliverable("15005550006");
        let mut to_nobody = template("order_update", "en_US", 2);
        to_nobody["to"] = json!("15005550006");
        let a = post(&c, &url, token, &to_nobody).await;
        assert_eq!(a.code(), Some(131_026));

        let kinds: Vec<(SentKind, String)> = world
            .sent()
            .into_iter()
            .map(|s| (s.kind, s.message_type))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (SentKind::Message, "text".to_owned()),
                (SentKind::Message, "template".to_owned()),
                (SentKind::MarkRead, "read".to_owned()),
                (SentKind::Message, "template".to_owned()),
            ]
        );

        // Other WABA edges.
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/message_templates?limit=1&access_token={token}",
                waba.id
            ),
        )
        .await;
        assert_eq!(a.body["data"].as_array().unwrap().len(), 1);
        let next = a.body["paging"]["next"].as_str().unwrap().to_owned();
        let b = get(&c, &next).await;
        assert_eq!(b.body["data"][0]["name"], "promo");
        assert!(b.body["paging"].get("next").is_none());
        let a = get(
            &c,
            &format!("{base}/{V}/{}/phone_numbers?access_token={token}", waba.id),
        )
        .await;
        assert_eq!(a.body["data"][0]["display_phone_number"], "15550783881");
        assert_eq!(a.body["data"][0]["id"], phone.id.as_str());
    }

    #[tokio::test]
    async fn media_urls_need_the_bearer_token_and_expire_after_five_minutes() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let waba = world.add_waba("Boulangerie");
        let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
        let token = waba.system_user_token.clone();
        let bytes = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
        let media = world.add_media(bytes.clone(), "image/jpeg");
        let a = answer(
            c.get(format!(
                "{base}/{V}/{}?phone_number_id={}",
                media.id, phone.id
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["messaging_product"], "whatsapp");
        assert_eq!(a.body["sha256"], sha256_hex(&bytes).as_str());
        assert_eq!(a.body["file_size"], bytes.len().to_string().as_str());
        let url = a.body["url"].as_str().unwrap().to_owned();

        assert_eq!(c.get(&url).send().await.unwrap().status().as_u16(), 401);
        let r = c.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
        world.advance(Duration::from_secs(4 * 60));
        assert_eq!(
            c.get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            200
        );
        world.advance(Duration::from_secs(2 * 60));
        assert_eq!(
            c.get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            404
        );

        // Upload (multipart), fetch, delete.
        let png = TINY_PNG.to_vec();
        let mut body = Vec::new();
        body.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n");
        body.extend_from_slice(
            b"--b0undary\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n",
        );
        body.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n");
        body.extend_from_slice(&png);
        body.extend_from_slice(b"\r\n--b0undary--\r\n");
        let upload = |body: Vec<u8>| {
            c.post(format!("{base}/{V}/{}/media", phone.id))
                .bearer_auth(&token)
                .header("content-type", "multipart/form-data; boundary=b0undary")
                .body(body)
                .send()
        };
        let a = answer(upload(body.clone()).await.unwrap()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["id"].as_str().unwrap().to_owned();
        assert_eq!(world.media(&id).unwrap().sha256, sha256_hex(&png));
        let big = String::from_utf8_lossy(&body)
            .replace("image/png", "image/webp")
            .into_bytes();
        let mut big = big;
        let at = big.len() - "\r\n--b0undary--\r\n".len();
        big.splice(at..at, std::iter::repeat_n(0u8, 600 * 1024));
        let a = answer(upload(big).await.unwrap()).await;
        assert_eq!(a.code(), Some(131_053), "a 600 KB sticker is too big");
        let a = answer(
            c.delete(format!("{base}/{V}/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.body, json!({ "success": true }));
        let a = answer(
            c.get(format!("{base}/{V}/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((a.code(), a.subcode()), (Some(100), Some(33)));
    }

    #[tokio::test]
    async fn usage_rises_per_call_and_throttles_at_one_hundred_percent() {
        let sim = MetaSim::start().await.unwrap();
        let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
        faults.set_call_budget(5);
        faults.set_regain_minutes(7);
        let list = format!(
            "{base}/{V}/{}/conversations?access_token={}",
            page.id, page.access_token
        );
        let mut counts = Vec::new();
        for _ in 0..5 {
            let a = get(&c, &list).await;
            assert_eq!(a.status, 200);
            counts.push(usage(&a, &page.id).0);
        }
        assert_eq!(counts, vec![20, 40, 60, 80, 100]);
        let a = get(&c, &list).await;
        assert_eq!((a.status, a.code()), (400, Some(80_006)), "{}", a.body);
        assert_eq!(a.body["error"]["is_transient"], true);
        assert_eq!(usage(&a, &page.id), (100, 7));

        // The Send API answers 613 once its own use case is exhausted.
        faults.set_business_usage(&page.id, 100);
        let a = post(&c, &format!("{base}/{V}/me/messages"), &page.access_token, &json!({ "recipient": { "id": conv.participant_id }, "messaging_type": "RESPONSE", "message": { "text": "hi" } })).await;
        assert_eq!(a.code(), Some(613), "{}", a.body);
        assert!(world.sent().is_empty());

        // The wait passes on the fake clock.
        world.advance(Duration::from_secs(8 * 60));
        let a = get(&c, &list).await;
        assert_eq!(a.status, 200);
        assert_eq!(usage(&a, &page.id).0, 20);

        // A preset: 95 % of a 20-call budget leaves one call.
        faults.set_call_budget(20);
        faults.set_business_usage(&page.id, 95);
        assert_eq!(get(&c, &list).await.status, 200);
        assert_eq!(get(&c, &list).await.code(), Some(80_006));

        // User tokens: X-App-Usage, code 17.
        let user = sim_user(&world);
        let token = world.issue_user_token(&user, TokenLife::LongLived, &[]);
        faults.set_app_usage(100);
        let a = get(&c, &format!("{base}/{V}/me/accounts?access_token={token}")).await;
        assert_eq!(a.code(), Some(32), "{}", a.body);
        let header: Value = serde_json::from_str(&a.header("x-app-usage").unwrap()).unwrap();
        assert_eq!(header["call_count"], 100);
    }

    #[tokio::test]
    async fn dead_tokens_answer_190_with_their_subcode() {
        let sim = MetaSim::start().await.unwrap();
        let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
        let url = |t: &str| format!("{base}/{V}/{}/conversations?access_token={t}", page.id);

        let a = get(&c, &url("garbage")).await;
        assert_eq!((a.status, a.code(), a.subcode()), (400, Some(190), None));
        let a = get(&c, &format!("{base}/{V}/{}/conversations", page.id)).await;
        assert_eq!(a.code(), Some(104));

        // Expiring in the middle of a backfill: two more calls, then 463.
        faults.expire_token_after(&page.access_token, 2);
        assert_eq!(get(&c, &url(&page.access_token)).await.status, 200);
        assert_eq!(get(&c, &url(&page.access_token)).await.status, 200);
        let a = get(&c, &url(&page.access_token)).await;
        assert_eq!(
            (a.code(), a.subcode()),
            (Some(190), Some(463)),
            "{}",
            a.body
        );
        assert_eq!(a.body["error"]["type"], "OAuthException");
        assert!(a.body["error"]["fbtrace_id"].is_string());
        assert!(a.header("www-authenticate").is_some());

        let other = world.add_page("Other");
        world.expire_token(&other.access_token);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?access_token={}",
                other.id, other.access_token
            ),
        )
        .await;
        assert_eq!((a.code(), a.subcode()), (Some(190), Some(463)));

        let user = sim_user(&world);
        let third = world.add_page("Third");
        world.change_password(&user);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?access_token={}",
                third.id, third.access_token
            ),
        )
        .await;
        assert_eq!((a.code(), a.subcode()), (Some(190), Some(460)));
        let debug = get(
            &c,
            &format!(
                "{base}/{V}/debug_token?input_token={}&access_token={}",
                third.access_token,
                percent_encode(&world.app().app_token())
            ),
        )
        .await;
        assert_eq!(debug.body["data"]["is_valid"], false);
        assert_eq!(debug.body["data"]["error"]["subcode"], 460);
    }

    #[tokio::test]
    async fn a_transient_fault_then_success() {
        let sim = MetaSim::start().await.unwrap();
        let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
        faults.transient_errors("GET */conversations", 1);
        faults.fail_next("*/subscribed_apps", 1, Fault::service_unavailable());
        let url = format!(
            "{base}/{V}/{}/conversations?access_token={}",
            page.id, page.access_token
        );
        let a = get(&c, &url).await;
        assert_eq!((a.status, a.code()), (500, Some(2)));
        assert_eq!(a.body["error"]["is_transient"], true);
        assert_eq!(faults.pending(), 1);
        let a = get(&c, &url).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["data"].as_array().unwrap().len(), 1);

        let subscribe = format!(
            "{base}/{V}/{}/subscribed_apps?subscribed_fields=messages,message_echoes&access_token={}",
            page.id, page.access_token
        );
        assert_eq!(
            c.post(&subscribe).send().await.unwrap().status().as_u16(),
            503
        );
        let a = answer(c.post(&subscribe).send().await.unwrap()).await;
        assert_eq!(a.body, json!({ "success": true }));
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/subscribed_apps?access_token={}",
                page.id, page.access_token
            ),
        )
        .await;
        assert_eq!(
            a.body["data"][0]["subscribed_fields"],
            json!(["messages", "message_echoes"])
        );
        world.unsubscribe_app(&page.id);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}/subscribed_apps?access_token={}",
                page.id, page.access_token
            ),
        )
        .await;
        assert_eq!(a.body, json!({ "data": [] }));
    }

    #[tokio::test]
    async fn profiles_attachments_and_whatsapp_media_sends() {
        let sim = MetaSim::start().await.unwrap();
        let (world, base, c) = (sim.world(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        world.add_instagram(&page.id, "boulangerie", "Boulangerie");
        let m = world.add_conversation(&page.id, Platform::Messenger, "Zoë Lefèvre", 2);
        let i = world.add_conversation(&page.id, Platform::Instagram, "lina.k", 2);
        let token = &page.access_token;
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?fields=first_name,last_name,name,profile_pic&access_token={token}",
                m.participant_id
            ),
        )
        .await;
        assert_eq!(a.body["first_name"], "Zoë");
        assert_eq!(a.body["last_name"], "Lefèvre");
        let pic = a.body["profile_pic"].as_str().unwrap().to_owned();
        assert_eq!(c.get(&pic).send().await.unwrap().status().as_u16(), 200);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?fields=name,username,profile_pic&access_token={token}",
                i.participant_id
            ),
        )
        .await;
        assert_eq!(a.body["username"], "lina.k");
        world.set_profile_visible(&m.participant_id, false);
        let a = get(
            &c,
            &format!(
                "{base}/{V}/{}?fields=first_name&access_token={token}",
                m.participant_id
            ),
        )
        .await;
        assert_eq!(a.body, json!({}));

        // Attachment Upload API, then a send that reuses the attachment.
        let a = post(&c, &format!("{base}/{V}/{}/message_attachments", page.id), token, &json!({ "message": { "attachment": { "type": "image", "payload": { "url": "https://cdn.example/p.jpg", "is_reusable": true } } } })).await;
        let attachment_id = a.body["attachment_id"].as_str().unwrap().to_owned();
        let a = post(&c, &format!("{base}/{V}/me/messages"), token, &json!({ "recipient": { "id": m.participant_id }, "messaging_type": "RESPONSE", "message": { "attachment": { "type": "image", "payload": { "attachment_id": attachment_id } } } })).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(world.sent().last().unwrap().message_type, "image");
        let a = post(&c, &format!("{base}/{V}/me/messages"), token, &json!({ "recipient": { "id": m.participant_id }, "messaging_type": "RESPONSE", "message": { "attachment": { "type": "image", "payload": { "attachment_id": "404" } } } })).await;
        assert_eq!(a.code(), Some(100));

        // WhatsApp: media by id and by link, a reply, a reaction; a user token with access works too.
        let user = sim_user(&world);
        let waba = world.add_waba("Boulangerie");
        let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
        let inbound = world.wa_customer_writes(&phone.id, "33612345678", "Lina");
        let media = world.add_media(TINY_PNG.to_vec(), "image/png");
        let user_token = world.issue_user_token(
            &user,
            TokenLife::LongLived,
            &["whatsapp_business_messaging"],
        );
        let url = format!("{base}/{V}/{}/messages", phone.id);
        for (token, body) in [
            (
                &waba.system_user_token,
                json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "image", "image": { "id": media.id, "caption": "Voilà" }, "context": { "message_id": inbound } }),
            ),
            (
                &user_token,
                json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "document", "document": { "link": "https://cdn.example/menu.pdf", "filename": "menu.pdf" } }),
            ),
            (
                &waba.system_user_token,
                json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "reaction", "reaction": { "message_id": inbound, "emoji": "❤️" } }),
            ),
        ] {
            let a = post(&c, &url, token, &body).await;
            assert_eq!(a.status, 200, "{}", a.body);
        }
        let a = post(&c, &url, &waba.system_user_token, &json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "image", "image": { "id": "999" } })).await;
        assert_eq!(a.code(), Some(131_009));
        let sent = world.sent();
        let wa: Vec<_> = sent
            .iter()
            .filter(|s| s.platform == Platform::WhatsApp)
            .collect();
        assert_eq!(wa.len(), 3);
        assert_eq!(wa[0].text.as_deref(), Some("Voilà"));
        assert_eq!(wa[2].kind, SentKind::Reaction);
        assert_eq!(wa[2].text.as_deref(), Some("❤️"));
    }

    #[tokio::test]
    async fn dropping_the_connection_after_the_send_still_records_the_message() {
        let sim = MetaSim::start().await.unwrap();
        let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
        let page = world.add_page("Boulangerie");
        let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
        faults.drop_after_processing("POST */messages", 1);
        faults.latency("POST */messages", Duration::from_millis(20));
        let body = json!({ "recipient": { "id": conv.participant_id }, "messaging_type": "RESPONSE", "message": { "text": "did it go?" } });
        let url = format!("{base}/{V}/{}/messages", page.id);
        let err = c
            .post(&url)
            .bearer_auth(&page.access_token)
            .json(&body)
            .send()
            .await;
        assert!(
            err.is_err(),
            "the connection closes without an answer: {err:?}"
        );
        let sent = world.sent();
        assert_eq!(sent.len(), 1);
        assert!(!sent[0].answered);
        let mid = sent[0].message_id.clone().unwrap();
        assert_eq!(world.messages(&conv.id).last().unwrap().id, mid);
        assert_eq!(world.requests().last().unwrap().status, 0);
        // The server keeps serving.
        let a = post(&c, &url, &page.access_token, &body).await;
        assert_eq!(a.status, 200);
        assert!(world.sent()[1].answered);
    }
}

//! What the window sees: request and response shapes of every command, the change event,
//! and the error the UI branches on. `ui/src/ipc/bindings.ts` is generated from this file
//! (see the `bindings` test in tests/it); nothing here is written twice.
//!
//! Conventions: camelCase fields; ids as strings (Meta ids exceed 2^53, and internal ids
//! stay opaque); timestamps as integer Unix milliseconds; enums as string unions or
//! `type`-tagged unions.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::domain::account::{AccountView, HistoryProgress, PageChoice};
pub use crate::domain::business_hours::BusinessHours;
use crate::domain::events::{Actor, Attachment, DeliveryStatus, Direction, MessageExtras, MessageKind, Platform};
pub use crate::domain::export_progress::{ExportProgress, ExportRef};
pub use crate::domain::report::{
    Durations, LiveCounters, Period, Report, ReportCsv, ReportCsvRequest, ReportCsvWritten, ReportRequest,
    SlowConversation, Totals, Volume,
};
pub use crate::domain::report_pdf::{Paper, ReportPdfRequest, ReportPdfWritten};

/// The hours response times count in; `null` counts by the clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetBusinessHoursRequest {
    pub hours: Option<BusinessHours>,
}
pub use crate::domain::template::Template;

pub use crate::domain::views::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum StoreMode {
    /// The business's own store.
    Real,
    /// Generated demo conversations in a separate file; nothing real is touched.
    Demo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub mode: StoreMode,
    /// No conversations yet: the window shows the first-run screen.
    pub empty: bool,
    pub store_path: String,
}

/// Payload of the `store://changed` event: committed changes, from this process or
/// another one (cahts-cli) writing the same store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreChanged {
    /// Conversations whose list entry or thread may have changed.
    pub conversation_ids: Vec<String>,
    /// Too much changed to list (bulk import, store switched): reload everything.
    pub everything: bool,
}

pub const STORE_CHANGED_EVENT: &str = "store://changed";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectWhatsappRequest {
    /// WhatsApp → API setup → Phone number ID.
    pub phone_number_id: String,
    /// A system-user token. Goes to the keyring, never to the store or the log.
    pub token: String,
    /// WhatsApp Business Account id, for templates; found from the token when absent.
    #[serde(default)]
    pub business_account_id: Option<String>,
}

/// Where an Instagram Login stands. The login names one account, connected as soon as the
/// token arrives.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum InstagramLoginStatus {
    Waiting,
    Connected { account: Box<AccountView> },
    Failed { message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendMediaRequest {
    pub conversation_id: String,
    /// A file on this computer (picked in the file dialog); copied before it is queued.
    pub path: String,
    pub caption: Option<String>,
    pub reply_to: Option<String>,
}

/// The messages queued: the file's, and its caption's where the platform sends captions
/// as a separate message.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRefs {
    pub client_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendTemplateRequest {
    pub conversation_id: String,
    pub name: String,
    pub language: String,
    /// Values for `{{1}}`, `{{2}}`… of the template's body, in order.
    pub parameters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReactRequest {
    pub conversation_id: String,
    /// Platform id of the message.
    pub message_id: String,
    /// `None` takes the business's reaction back.
    pub emoji: Option<String>,
}

/// A Facebook or Instagram Login started through the relay: open `authorizeUrl` in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FacebookLogin {
    pub state: String,
    pub authorize_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FacebookLoginRef {
    pub state: String,
}

/// Where a Facebook Login stands.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum FacebookLoginStatus {
    Waiting,
    /// Logged in: the Pages (and linked Instagram accounts) the owner can connect.
    Ready {
        pages: Vec<PageChoice>,
    },
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectPagesRequest {
    pub state: String,
    pub page_ids: Vec<String>,
    pub with_instagram: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectRequest {
    #[ts(type = "number")]
    pub account_id: i64,
    /// Also delete the account's conversations from this computer.
    pub delete_data: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectResult {
    /// Set when Meta could not be told (the account is disconnected here regardless).
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendTextRequest {
    pub conversation_id: String,
    pub text: String,
    /// Platform id of the message this answers.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRef {
    /// The id a sent message carries until Meta gives it one (`local:<clientId>`).
    pub client_id: String,
}

/// Event carrying a [`RelayStatus`] whenever the relay link's state changes.
pub const RELAY_STATUS_EVENT: &str = "relay://status";

/// The relay link as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RelayStatus {
    pub link: crate::services::relay_link::LinkStatus,
    /// Set once paired.
    pub relay_url: Option<String>,
    pub device_id: Option<String>,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PairRelayRequest {
    /// e.g. `https://relay.example.com`
    pub relay_url: String,
    /// From `cahts-relay pair` on the relay.
    pub code: String,
    /// How the relay lists this computer; default: a name derived from the host.
    pub device_name: Option<String>,
}

/// What kind of failure reached the window; the UI branches on this, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum ErrorCode {
    /// The request itself is wrong (bad cursor, unknown conversation id).
    Validation,
    /// The owner stopped it (a long export).
    Cancelled,
    NotFound,
    /// The store file cannot be opened or is newer than this build.
    StoreUnavailable,
    /// The relay cannot be reached or answered something unexpected.
    RelayUnavailable,
    /// The relay refused: a wrong or used pairing code, a revoked device.
    RelayRefused,
    /// The OS keyring cannot be used; the vault file is the alternative.
    KeyringUnavailable,
    /// Meta refused the call (token, permission, limit, window); the message says which.
    MetaRefused,
    /// Meta could not be reached or failed; trying again later may work.
    MetaUnavailable,
    Internal,
}

/// The error every command returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct UiError {
    pub code: ErrorCode,
    /// Written for the business owner.
    pub message: String,
    /// The next step, when there is one.
    pub action: Option<String>,
}

impl From<crate::domain::Error> for UiError {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error as E;
        match &e {
            E::Invalid(m) => UiError { code: ErrorCode::Validation, message: m.clone(), action: None },
            E::Cancelled => {
                UiError { code: ErrorCode::Cancelled, message: "Cancelled; nothing was saved.".into(), action: None }
            }
            E::NotFound { .. } => {
                UiError { code: ErrorCode::NotFound, message: e.to_string(), action: Some("Refresh the inbox.".into()) }
            }
            E::NewerSchema { .. } => UiError {
                code: ErrorCode::StoreUnavailable,
                message: e.to_string(),
                action: Some("Install the latest CAHTS.".into()),
            },
            // The owner chose the file, so the reason may be shown.
            E::Save { source, .. } => UiError {
                code: ErrorCode::Validation,
                message: format!("CAHTS could not save the file ({source})."),
                action: Some("Choose another folder, or check that there is room on the disk.".into()),
            },
            E::Open { .. } | E::Migration { .. } | E::StoreClosed => UiError {
                code: ErrorCode::StoreUnavailable,
                message: "CAHTS cannot open its message store.".into(),
                action: Some("Restart CAHTS; if this keeps happening, check that the disk is not full.".into()),
            },
            _ => {
                // Internal details are logged, not shown: they may name files or ids.
                tracing::error!(error = %e, "command failed");
                UiError {
                    code: ErrorCode::Internal,
                    message: "Something went wrong inside CAHTS.".into(),
                    action: Some("Try again; the details are in the log.".into()),
                }
            }
        }
    }
}

impl From<crate::services::relay_link::LinkError> for UiError {
    fn from(e: crate::services::relay_link::LinkError) -> Self {
        use crate::secrets::SecretError as S;
        use crate::services::relay_link::LinkError as L;
        // A store failure maps as any other store failure does.
        let e = match e {
            L::Store(inner) => return inner.into(),
            other => other,
        };
        let (code, action) = match &e {
            L::OtherRelay { .. } => {
                (ErrorCode::Validation, Some("Use the relay this computer is paired with, or pair it again."))
            }
            L::BadUrl(_) => {
                (ErrorCode::Validation, Some("Use the address your relay's operator gave you, starting with https://."))
            }
            L::PairingRefused(_) => (
                ErrorCode::RelayRefused,
                Some("Ask for a new code (cahts-relay pair on the relay) and enter it within 15 minutes."),
            ),
            L::Unauthorized(_) => (ErrorCode::RelayRefused, Some("Pair this computer again with a new code.")),
            L::Replaced => {
                (ErrorCode::RelayRefused, Some("Close the other CAHTS window or cahts-cli sync, then restart."))
            }
            L::LoginRefused(_) => {
                (ErrorCode::RelayRefused, Some("Ask the relay's operator to set up the Meta app on the relay."))
            }
            L::LoginFailed(_) | L::LoginTimedOut(_) => {
                (ErrorCode::MetaRefused, Some("Log in again, and finish the login in the browser."))
            }
            L::Version(_) => (ErrorCode::RelayUnavailable, Some("Update CAHTS and the relay to the same release.")),
            L::Network(_) | L::Protocol(_) => {
                (ErrorCode::RelayUnavailable, Some("Check the address and that the relay is running, then try again."))
            }
            L::NotPaired => (ErrorCode::Validation, Some("Pair with your relay first.")),
            L::Secrets(S::KeyringUnavailable { .. }) => (
                ErrorCode::KeyringUnavailable,
                Some(
                    "Unlock or install your system keyring, or start CAHTS with CAHTS_VAULT=<file> to keep secrets in a passphrase-protected file.",
                ),
            ),
            L::Secrets(_) => (ErrorCode::KeyringUnavailable, Some("Check the secret store named in the message.")),
            L::Store(_) => unreachable!("mapped above"),
        };
        let text = e.to_string();
        // Rust error text starts in lower case; a sentence on screen does not.
        let mut chars = text.chars();
        let message = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or(text);
        UiError { code, message, action: action.map(String::from) }
    }
}

impl From<crate::services::accounts::AccountError> for UiError {
    fn from(e: crate::services::accounts::AccountError) -> Self {
        use crate::platform::graph::ErrorKind as K;
        use crate::services::accounts::AccountError as A;
        match e {
            A::Graph(g) => {
                let (code, action) = match g.kind {
                    K::TokenInvalid { .. } => {
                        (ErrorCode::MetaRefused, "Check the token (or log in again) and try again.")
                    }
                    K::RateLimited { .. } => {
                        (ErrorCode::MetaRefused, "Meta asked to slow down; try again in a few minutes.")
                    }
                    K::Permission => (
                        ErrorCode::MetaRefused,
                        "The token lacks a permission this needs; generate it with the permissions listed in the guide.",
                    ),
                    K::Transient | K::Unreachable => (ErrorCode::MetaUnavailable, "Try again in a moment."),
                    _ => (ErrorCode::MetaRefused, "Check the id and the token, then try again."),
                };
                UiError { code, message: format!("Meta refused: {}", g.message), action: Some(action.into()) }
            }
            A::Invalid(message) => UiError { code: ErrorCode::Validation, message, action: None },
            A::NotFound(_) => UiError {
                code: ErrorCode::NotFound,
                message: e.to_string(),
                action: Some("Refresh the list of accounts.".into()),
            },
            A::Secrets(s) => crate::services::relay_link::LinkError::Secrets(s).into(),
            A::Store(s) => s.into(),
        }
    }
}

impl From<crate::services::outbox::OutboxError> for UiError {
    fn from(e: crate::services::outbox::OutboxError) -> Self {
        use crate::services::outbox::OutboxError as O;
        match e {
            O::Refused(message) => UiError { code: ErrorCode::Validation, message, action: None },
            O::NotFound => UiError {
                code: ErrorCode::NotFound,
                message: "This conversation is no longer in your inbox.".into(),
                action: Some("Refresh the inbox.".into()),
            },
            O::Account(a) => a.into(),
            O::Store(s) => s.into(),
        }
    }
}

/// Every command the window can call: `name(request) -> response`. The shell registers
/// exactly this list (`with_commands!`), and the TypeScript command map is generated
/// from it, so a command cannot exist on one side only.
#[macro_export]
macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
            app_status() -> AppStatus;
            list_conversations(ListConversationsRequest) -> ConversationPage;
            get_thread(ThreadRequest) -> ThreadPage;
            search(SearchRequest) -> SearchResults;
            get_counts() -> Counts;
            mark_read(ConversationRef) -> ();
            mark_unread(ConversationRef) -> ();
            set_conversation_state(SetStateRequest) -> ();
            enter_demo() -> AppStatus;
            exit_demo() -> AppStatus;
            relay_status() -> RelayStatus;
            pair_relay(PairRelayRequest) -> RelayStatus;
            list_accounts() -> Vec<AccountView>;
            connect_whatsapp(ConnectWhatsappRequest) -> AccountView;
            begin_facebook_login() -> FacebookLogin;
            facebook_login_status(FacebookLoginRef) -> FacebookLoginStatus;
            connect_pages(ConnectPagesRequest) -> Vec<AccountView>;
            disconnect_account(DisconnectRequest) -> DisconnectResult;
            send_text(SendTextRequest) -> OutboxRef;
            send_media(SendMediaRequest) -> OutboxRefs;
            list_templates(ConversationRef) -> Vec<Template>;
            send_template(SendTemplateRequest) -> OutboxRef;
            react(ReactRequest) -> OutboxRef;
            begin_instagram_login() -> FacebookLogin;
            instagram_login_status(FacebookLoginRef) -> InstagramLoginStatus;
            retry_send(OutboxRef) -> ();
            discard_send(OutboxRef) -> ();
            get_report(ReportRequest) -> Report;
            live_counters() -> LiveCounters;
            save_report_csv(ReportCsvRequest) -> ReportCsvWritten;
            save_report_pdf(ReportPdfRequest) -> ReportPdfWritten;
            set_business_hours(SetBusinessHoursRequest) -> ();
            export_progress(ExportRef) -> Option<ExportProgress>;
            cancel_export(ExportRef) -> ();
        }
    };
}

/// The TypeScript file: every type above plus the command map.
pub fn typescript_bindings() -> String {
    use crate::domain::events::{AttachmentKind, ContactCard, Location, PlatformError, Referral};
    let cfg = ts_rs::Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from src-tauri/engine/src/facade/ipc.rs by the `bindings` test. Do not edit.\n\
         // Regenerate: CAHTS_BLESS=1 cargo test -p cahts-engine --test it bindings\n\n",
    );
    macro_rules! decl {
        ($($t:ty),* $(,)?) => {
            $( out.push_str("export "); out.push_str(&<$t as TS>::decl(&cfg)); out.push_str("\n\n"); )*
        };
    }
    decl!(
        Platform,
        Direction,
        MessageKind,
        AttachmentKind,
        DeliveryStatus,
        Actor,
        Attachment,
        Location,
        ContactCard,
        Referral,
        PlatformError,
        MessageExtras,
        ConversationState,
        ConversationFilter,
        ListConversationsRequest,
        crate::domain::account::AccountStatus,
        crate::domain::account::Login,
        crate::domain::reply_window::ReplyWindow,
        AccountRef,
        ContactRef,
        MessagePreview,
        ConversationSummary,
        ConversationPage,
        ThreadRequest,
        Reaction,
        Quoted,
        Failure,
        ThreadMessage,
        ThreadPage,
        SearchRequest,
        SnippetPart,
        MessageHit,
        SearchResults,
        PlatformCount,
        Counts,
        ConversationRef,
        SetStateRequest,
        StoreMode,
        AppStatus,
        StoreChanged,
        ErrorCode,
        UiError,
        crate::services::relay_link::LinkStatus,
        RelayStatus,
        PairRelayRequest,
        AccountView,
        HistoryProgress,
        PageChoice,
        ConnectWhatsappRequest,
        FacebookLogin,
        FacebookLoginRef,
        FacebookLoginStatus,
        ConnectPagesRequest,
        DisconnectRequest,
        ReportRequest,
        BusinessHours,
        SetBusinessHoursRequest,
        Volume,
        Period,
        Durations,
        Totals,
        crate::domain::report::Figures,
        crate::domain::report::ResponseBucket,
        crate::domain::report::PlatformTotals,
        SlowConversation,
        Report,
        LiveCounters,
        ReportCsv,
        ReportCsvRequest,
        ReportCsvWritten,
        ExportRef,
        ExportProgress,
        Paper,
        ReportPdfRequest,
        ReportPdfWritten,
        DisconnectResult,
        SendTextRequest,
        OutboxRef,
        InstagramLoginStatus,
        SendMediaRequest,
        OutboxRefs,
        SendTemplateRequest,
        ReactRequest,
        crate::domain::template::Template,
    );
    macro_rules! command_map {
        ($($name:ident($($req:ty)?) -> $res:ty;)*) => {{
            out.push_str("/** Every command: its request (passed as `request`) and its response. */\nexport interface Commands {\n");
            $(
                let request = { let _r: Option<String> = None; $( let _r = Some(<$req as TS>::name(&cfg)); )? _r };
                out.push_str(&format!(
                    "  {}: {{ request: {}; response: {} }};\n",
                    stringify!($name),
                    request.unwrap_or_else(|| "undefined".into()),
                    // `()` answers nothing (void); an `Option` answers a value or null.
                    match <$res as TS>::name(&cfg) { n if n == "null" => "void".to_string(), n => n },
                ));
            )*
            out.push_str("}\n");
        }};
    }
    with_commands!(command_map);
    out.push_str(&format!("\nexport const STORE_CHANGED_EVENT = {STORE_CHANGED_EVENT:?};\n"));
    out.push_str(&format!("export const RELAY_STATUS_EVENT = {RELAY_STATUS_EVENT:?};\n"));
    let link_states: Vec<String> = crate::services::relay_link::LinkStatus::one_of_each()
        .iter()
        .map(|s| {
            let value = serde_json::to_value(s).expect("a link status serializes");
            format!("{:?}", value["state"].as_str().expect("a link status is tagged by `state`"))
        })
        .collect();
    out.push_str(&format!("/** Every `LinkStatus[\"state\"]`, for checking an event's payload at run time. */\nexport const LINK_STATES = [{}] as const;\n", link_states.join(", ")));
    out
}

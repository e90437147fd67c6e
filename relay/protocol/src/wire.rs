//! Messages on the relay ↔ desktop websocket and the pairing endpoint. JSON text frames,
//! one message per frame, tagged by `type`.
//!
//! A session:
//!
//! ```text
//! desktop                                   relay
//!   GET /ws  (Authorization: Bearer <device token>)
//!   ── Hello { version, resume_after } ──▶
//!                                     ◀── Welcome { device_id, tenant, backlog }
//!                                     ◀── Events { events: [{seq, sealed}, …] }   (in seq order)
//!                                     ◀── CaughtUp { seq }          (backlog fully sent)
//!   ── Ack { seq } ──▶                      (cumulative: everything ≤ seq is applied)
//!                                     ◀── Events …                 (live, as webhooks arrive)
//!   ── OAuthBegin { state, provider } ──▶
//!                                     ◀── OAuthReady { state, authorize_url }
//!                                         (or OAuthRefused { state, message })
//!   ── Publish { id, events } ──▶           (what this device sent, for the others)
//!                                     ◀── Published { id }          (durably queued)
//! ```
//!
//! Heartbeats are websocket pings from the relay. The desktop acks only after the events
//! are committed to its store; the relay deletes acked events. Anything unacked is sent
//! again on the next connection, so delivery is at least once and the store's idempotent
//! apply makes it exactly once in effect.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Bumped on any change a peer of the previous version could not read.
pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Hello {
        version: u32,
        /// The highest sequence number already applied: events up to it are dropped
        /// (their ack was lost) and delivery starts after it.
        resume_after: u64,
    },
    Ack {
        seq: u64,
    },
    /// Events this device produced (messages it sent) for the tenant's other devices:
    /// WhatsApp sends no echo of a business's own messages, so this is how the other
    /// computers see them. `events` is JSON; the relay seals it to each other device and
    /// answers `Published` once queued. `id` is the device's own, to match the answer.
    Publish {
        id: String,
        events: String,
    },
    /// Starts an OAuth flow whose result is sealed to this device.
    #[serde(rename = "oauth_begin")]
    OAuthBegin {
        state: String,
        provider: OAuthProvider,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        version: u32,
        device_id: String,
        tenant: String,
        /// Events waiting for this device when it connected.
        backlog: u64,
    },
    Events {
        events: Vec<QueuedEvent>,
    },
    /// Everything queued for the device up to `seq` has been sent.
    CaughtUp {
        seq: u64,
    },
    /// Events were dropped before delivery (retention limits); the desktop should
    /// re-sync what the platforms allow.
    Gap {
        dropped: u64,
        reason: String,
    },
    #[serde(rename = "oauth_ready")]
    OAuthReady {
        state: String,
        authorize_url: String,
    },
    /// A `Publish` is queued for every other device of the tenant.
    Published {
        id: String,
    },
    /// The relay cannot run this login (not configured for it, bad state).
    #[serde(rename = "oauth_refused")]
    OAuthRefused {
        state: String,
        message: String,
    },
    /// Sent before the relay closes the socket for a reason the user must act on.
    Error {
        code: ErrorCode,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedEvent {
    pub seq: u64,
    /// The envelope (see [`crate::seal`]) in base64url without padding.
    pub sealed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthProvider {
    /// Facebook Login: Pages and the Instagram accounts linked to them.
    Facebook,
    /// Instagram API with Instagram Login.
    Instagram,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The device token is unknown or the device was revoked: pair again.
    Unauthorized,
    /// The peer speaks another protocol version: update the older side.
    UnsupportedVersion,
    /// A frame that is not a valid client message.
    BadMessage,
    /// The relay is shutting down; reconnect later.
    ShuttingDown,
    /// The same device connected again; this older connection is closed.
    Replaced,
}

/// What an envelope contains once opened.
#[derive(Debug, Serialize, Deserialize)]
pub struct SealedPayload {
    pub kind: PayloadKind,
    /// When the relay received it (ms since the Unix epoch).
    pub received_at_ms: i64,
    /// For `webhook`: a Meta webhook body holding entries of one asset. For
    /// `oauth_result`: an [`OAuthResult`].
    pub body: Box<RawValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadKind {
    Webhook,
    OAuthResult,
    /// Domain events published by another device of the same business (its sent messages).
    DeviceEvents,
}

/// The outcome of an OAuth flow, sealed to the device that began it.
#[derive(Debug, Serialize, Deserialize)]
pub struct OAuthResult {
    pub state: String,
    pub provider: OAuthProvider,
    #[serde(flatten)]
    pub outcome: OAuthOutcome,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthOutcome {
    /// A long-lived user token (Facebook) or Instagram user token.
    Token {
        access_token: String,
        token_type: String,
        /// Seconds; absent when Meta gives none.
        expires_in: Option<u64>,
        /// Instagram Login returns the account's id with the token.
        user_id: Option<String>,
    },
    Error {
        message: String,
    },
}

/// `POST /pair` request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    pub code: String,
    /// The device's X25519 public key, base64url without padding.
    pub public_key: String,
    /// Shown in `devices list` (a computer's name).
    pub name: String,
}

/// `POST /pair` answer.
#[derive(Clone, Serialize, Deserialize)]
pub struct PairResponse {
    pub device_id: String,
    /// Presented as `Authorization: Bearer` on `/ws`. The relay keeps only its hash.
    pub device_token: String,
    pub tenant: String,
    pub version: u32,
}

impl std::fmt::Debug for PairResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairResponse")
            .field("device_id", &self.device_id)
            .field("device_token", &"<redacted>")
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// The body of every HTTP error the relay returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpError {
    pub error: HttpErrorBody,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpErrorBody {
    /// Stable, for programs: `bad_signature`, `too_large`, `malformed`, `pairing_code_invalid`, …
    pub code: String,
    /// For people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_documented_shape() {
        let hello: ClientMessage = serde_json::from_str(r#"{"type":"hello","version":1,"resume_after":7}"#).unwrap();
        assert_eq!(hello, ClientMessage::Hello { version: 1, resume_after: 7 });
        let begin =
            serde_json::to_string(&ClientMessage::OAuthBegin { state: "s".into(), provider: OAuthProvider::Instagram })
                .unwrap();
        assert_eq!(begin, r#"{"type":"oauth_begin","state":"s","provider":"instagram"}"#);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"ack","seq":1,"extra":true}"#).is_err());
        let events =
            serde_json::to_string(&ServerMessage::Events { events: vec![QueuedEvent { seq: 3, sealed: "AA".into() }] })
                .unwrap();
        assert_eq!(events, r#"{"type":"events","events":[{"seq":3,"sealed":"AA"}]}"#);
        let result = OAuthResult {
            state: "s".into(),
            provider: OAuthProvider::Facebook,
            outcome: OAuthOutcome::Error { message: "denied".into() },
        };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"state":"s","provider":"facebook","error":{"message":"denied"}}"#
        );
        let shown = format!(
            "{:?}",
            PairResponse { device_id: "d".into(), device_token: "tok123".into(), tenant: "t".into(), version: 1 }
        );
        assert!(!shown.contains("tok123"));
    }
}

//! Sending: an outbox of messages with client-generated ids, so nothing is sent twice and
//! nothing is lost when CAHTS stops at any point.
//!
//! A message is written locally first (a row keyed `local:<client id>`, shown as pending)
//! together with its outbox row. Sending claims the row (`sending`, committed) before the
//! API call, and records the result after it. The id travels with the send (Messenger and
//! Instagram `message.metadata`, WhatsApp `biz_opaque_callback_data`) and comes back on
//! the echo, so:
//! - an echo that arrives before the result is recorded (or after a crash) settles the
//!   row ([`reconcile`], run in the same transaction as every webhook batch);
//! - a row left in `sending` by a crash is never sent again blindly: it becomes
//!   `unconfirmed` and waits for its echo; only the owner can send it again.
//! - a failure that may have reached Meta (5xx, a lost answer) waits [`ECHO_GRACE`] for an
//!   echo before the one automatic retry; a refusal (window closed, undeliverable, bad
//!   token) ends `failed` with the reason and the next step.

use std::time::Duration;

use rand::Rng as _;
use rusqlite::Transaction;
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::account::Login;
use crate::domain::events::{Attachment, AttachmentKind, MessageKind, Platform};
use crate::domain::outbox::OutboxState;
pub use crate::domain::reply_window::{ReplyWindow, reply_window};
pub use crate::domain::template::Template;
use crate::platform::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::secrets::Secret;
use crate::services::credentials::{AccountError, Credentials};
use crate::services::media::LocalFile;
use crate::store::Store;
pub use crate::store::outbox::reconcile;
use crate::store::outbox::{record_sent, tag};
pub use crate::store::publications::{mark_published, pending_publications};
use crate::store::sends::{self, PendingSend, ReactionUndo};

mod enqueue;
mod request;

pub use enqueue::{enqueue_media, enqueue_reaction, enqueue_seen, enqueue_template, enqueue_text};
use request::{build_message, reaction_name};

/// How long a possibly-delivered send waits for its echo before it is sent again.
pub const ECHO_GRACE: Duration = Duration::from_secs(30);
/// Automatic attempts for sends that certainly did not reach Meta (no connection, rate limit).
const MAX_ATTEMPTS: i64 = 6;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{0}")]
    Refused(String),
    #[error("no such conversation")]
    NotFound,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] crate::domain::Error),
}

type Result<T, E = OutboxError> = std::result::Result<T, E>;

/// What happened to one outbox row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub client_id: String,
    /// `sent`, `queued` (will retry), `unconfirmed` (waiting for an echo) or `failed`.
    pub state: OutboxState,
    pub platform_message_id: Option<String>,
    pub error: Option<String>,
}

/// Sends every queued row that is due, one at a time. Returns what happened to each.
pub async fn process_due(store: &Store, accounts: &Credentials, graph: &GraphClient) -> Result<Vec<Outcome>> {
    let now = store.now_ms();
    store.write(move |tx| sends::requeue_after_grace(tx, now)).await?;
    let due = store.read(move |c| sends::due(c, now)).await?;
    let mut outcomes = Vec::new();
    for client_id in due {
        if let Some(outcome) = send_one(store, accounts, graph, &client_id).await? {
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// Claims and sends one queued row. `None` when another sender claimed it first.
async fn send_one(
    store: &Store,
    accounts: &Credentials,
    graph: &GraphClient,
    client_id: &str,
) -> Result<Option<Outcome>> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let claimed = store.write(move |tx| sends::claim(tx, &id, now)).await?;
    let Some(pending) = claimed else { return Ok(None) };
    let account = accounts.get(pending.account_id).await?;
    let token = match accounts.token(&account).await {
        Ok(token) => token,
        Err(e) => {
            return Ok(Some(fail(store, &pending, None, &format!("{e}. Reconnect the account, then retry.")).await?));
        }
    };
    if pending.kind == "seen" || pending.kind == "reaction" {
        return Ok(Some(send_action(store, accounts, graph, &pending, &token).await?));
    }
    let host = crate::domain::account::host_of(pending.login);
    let result = match build_message(store, graph, host, &pending, &token).await {
        Ok(body) => graph.post_json(host, &format!("{}/messages", pending.page), &token, &body).await.map(|a| {
            match pending.platform {
                Platform::Whatsapp => a.body.pointer("/messages/0/id").and_then(Value::as_str).map(String::from),
                _ => a.body.get("message_id").and_then(Value::as_str).map(String::from),
            }
        }),
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(mid)) => {
            let (id, m) = (pending.client_id.clone(), mid.clone());
            let now = store.now_ms();
            store.write(move |tx| record_sent(tx, &id, &m, now)).await?;
            tracing::info!(client_id = %pending.client_id, "message sent");
            Ok(Some(Outcome {
                client_id: pending.client_id,
                state: OutboxState::Sent,
                platform_message_id: Some(mid),
                error: None,
            }))
        }
        Ok(None) => Ok(Some(unconfirmed(store, &pending, "Meta accepted the message without returning its id").await?)),
        Err(e) => Ok(Some(after_error(store, accounts, &pending, e).await?)),
    }
}

/// A read receipt or a reaction: never shown as a message, retried only when it certainly
/// did not reach Meta. A refused reaction is taken back in the thread.
async fn send_action(
    store: &Store,
    accounts: &Credentials,
    graph: &GraphClient,
    pending: &PendingSend,
    token: &Secret<String>,
) -> Result<Outcome> {
    let message_id = pending.payload.get("messageId").and_then(Value::as_str).unwrap_or_default();
    let emoji = pending.payload.get("emoji").and_then(Value::as_str);
    let body = match (pending.kind.as_str(), pending.platform) {
        ("seen", Platform::Whatsapp) => {
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id })
        }
        ("seen", _) => json!({ "recipient": { "id": pending.recipient }, "sender_action": "mark_seen" }),
        // An empty emoji takes a WhatsApp reaction back (WARX).
        (_, Platform::Whatsapp) => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": pending.recipient,
            "type": "reaction", "reaction": { "message_id": message_id, "emoji": emoji.unwrap_or("") },
        }),
        (_, _) => match emoji {
            Some(e) => {
                json!({ "recipient": { "id": pending.recipient }, "sender_action": "react", "payload": { "message_id": message_id, "reaction": reaction_name(e) } })
            }
            None => {
                json!({ "recipient": { "id": pending.recipient }, "sender_action": "unreact", "payload": { "message_id": message_id } })
            }
        },
    };
    let host = crate::domain::account::host_of(pending.login);
    let result = graph.post_json(host, &format!("{}/messages", pending.page), token, &body).await;
    let (state, error) = match result {
        Ok(_) => (OutboxState::Sent, None),
        Err(e) => {
            accounts.record_error(pending.account_id, &e).await?;
            let retry = matches!(e.kind, ErrorKind::Unreachable | ErrorKind::RateLimited { .. })
                && pending.attempts < MAX_ATTEMPTS;
            (if retry { OutboxState::Queued } else { OutboxState::Failed }, Some(e.to_string()))
        }
    };
    let (id, next) = (pending.client_id.clone(), store.now_ms() + 5_000 * pending.attempts.max(1));
    let (state_db, error_db) = (state, error.clone());
    let undo = (pending.kind == "reaction" && state == OutboxState::Failed).then(|| ReactionUndo {
        conversation_id: pending.conversation_id,
        message_id: message_id.to_string(),
        sent: emoji.map(String::from),
        previous: pending.payload.get("previous").and_then(Value::as_str).map(String::from),
    });
    let now = store.now_ms();
    store.write(move |tx| sends::record_action(tx, &id, state_db, error_db.as_deref(), next, undo, now)).await?;
    Ok(Outcome { client_id: pending.client_id.clone(), state, platform_message_id: None, error })
}

async fn after_error(store: &Store, accounts: &Credentials, pending: &PendingSend, e: GraphError) -> Result<Outcome> {
    accounts.record_error(pending.account_id, &e).await?;
    let code = e.code;
    match &e.kind {
        ErrorKind::Unreachable | ErrorKind::RateLimited { .. } if pending.attempts < MAX_ATTEMPTS => {
            // Certainly not sent: try again later.
            let wait = match &e.kind {
                ErrorKind::RateLimited { retry_after } => retry_after.unwrap_or(Duration::from_secs(60)),
                _ => Duration::from_secs(2u64.pow(pending.attempts.clamp(1, 8) as u32)),
            };
            let (id, at) = (pending.client_id.clone(), store.now_ms() + wait.as_millis() as i64);
            let now = store.now_ms();
            store.write(move |tx| sends::requeue(tx, &id, at, now)).await?;
            Ok(Outcome {
                client_id: pending.client_id.clone(),
                state: OutboxState::Queued,
                platform_message_id: None,
                error: Some(e.to_string()),
            })
        }
        ErrorKind::Transient if pending.attempts < 2 => unconfirmed(store, pending, &e.message).await,
        ErrorKind::WindowClosed => {
            let next = match pending.platform {
                Platform::Whatsapp => "More than 24 hours have passed: send an approved template instead.",
                _ => "The reply window has closed for this conversation.",
            };
            fail(store, pending, code, next).await
        }
        ErrorKind::Undeliverable => {
            fail(store, pending, code, "This person cannot receive messages from this account right now.").await
        }
        ErrorKind::TokenInvalid { .. } => {
            fail(store, pending, code, "Meta no longer accepts this account's access: reconnect it, then retry.").await
        }
        _ => fail(store, pending, code, &format!("Meta refused the message: {}", e.message)).await,
    }
}

/// Maybe delivered: wait for the echo, then (only for an error answer, not a crash)
/// send once more.
async fn unconfirmed(store: &Store, pending: &PendingSend, why: &str) -> Result<Outcome> {
    let (id, at) = (pending.client_id.clone(), store.now_ms() + ECHO_GRACE.as_millis() as i64);
    let now = store.now_ms();
    store.write(move |tx| sends::await_echo(tx, &id, at, now)).await?;
    tracing::warn!(client_id = %pending.client_id, %why, "send may have reached Meta; waiting for its echo before retrying");
    Ok(Outcome {
        client_id: pending.client_id.clone(),
        state: OutboxState::Unconfirmed,
        platform_message_id: None,
        error: Some(why.to_string()),
    })
}

async fn fail(store: &Store, pending: &PendingSend, code: Option<i64>, reason: &str) -> Result<Outcome> {
    let (id, conversation_id, reason_text) = (pending.client_id.clone(), pending.conversation_id, reason.to_string());
    let now = store.now_ms();
    store.write(move |tx| sends::mark_failed(tx, &id, conversation_id, code, &reason_text, now)).await?;
    tracing::warn!(client_id = %pending.client_id, code = ?code, "send failed");
    Ok(Outcome {
        client_id: pending.client_id.clone(),
        state: OutboxState::Failed,
        platform_message_id: None,
        error: Some(reason.to_string()),
    })
}

/// Meta accepted `client_id` as `mid`: the local row takes the real id (or gives way to
/// the echo that got here first).
/// At start: rows a crash left in `sending` may or may not have reached Meta. Settle them
/// from echoes already stored; the rest become `unconfirmed` and are never re-sent
/// without the owner.
pub async fn recover_after_crash(store: &Store) -> Result<usize> {
    let now = store.now_ms();
    Ok(store.write(move |tx| sends::settle_interrupted(tx, now)).await?)
}

/// The owner chose to send a failed or unconfirmed message again.
pub async fn retry(store: &Store, client_id: &str) -> Result<()> {
    let (id, now) = (client_id.to_string(), store.now_ms());
    if !store.write(move |tx| sends::retry(tx, &id, now)).await? {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be sent again".into()));
    }
    Ok(())
}

/// The owner gave up on a failed or unconfirmed message: it disappears.
pub async fn discard(store: &Store, client_id: &str) -> Result<()> {
    let (id, now) = (client_id.to_string(), store.now_ms());
    if !store.write(move |tx| sends::discard(tx, &id, now)).await? {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be discarded".into()));
    }
    Ok(())
}

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
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::services::credentials::{AccountError, Credentials};
use crate::domain::error::SqlContext as _;
use crate::domain::events::{
    Actor, Attachment, AttachmentKind, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras, MessageKind, NewMessage, Platform, ReplyTo,
};
use crate::services::media::LocalFile;
use crate::platform::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::secrets::Secret;
pub use crate::domain::reply_window::{ReplyWindow, reply_window};
pub use crate::domain::template::Template;
use crate::store::outbox::{local_mid, platform_of, record_sent, tag};
pub use crate::store::outbox::reconcile;
pub use crate::store::publications::{mark_published, pending_publications};
use crate::store::{Store, apply};

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
    /// `sent`, `queued` (will retry), `unconfirmed` (waiting for an echo), `failed`.
    pub state: String,
    pub platform_message_id: Option<String>,
    pub error: Option<String>,
}

struct Pending {
    client_id: String,
    kind: String,
    login: Option<String>,
    conversation_id: i64,
    platform: Platform,
    account_id: i64,
    page: String,
    recipient: String,
    text: String,
    payload: Value,
    attempts: i64,
}

/// Sends every queued row that is due, one at a time. Returns what happened to each.
pub async fn process_due(store: &Store, accounts: &Credentials, graph: &GraphClient) -> Result<Vec<Outcome>> {
    let now = store.now_ms();
    // Unconfirmed rows whose grace ended without an echo go back to the queue once.
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ?1
                 WHERE state = 'retry_after_grace' AND next_attempt_at <= ?1",
                [now],
            )
            .ctx("re-queueing sends")?;
            Ok(())
        })
        .await?;
    let due: Vec<String> = store
        .read(move |c| {
            let mut stmt = c
                .prepare("SELECT client_id FROM outbox WHERE state = 'queued' AND coalesce(next_attempt_at, 0) <= ?1 ORDER BY created_at")
                .ctx("finding due sends")?;
            let rows = stmt.query_map([now], |r| r.get(0)).ctx("finding due sends")?;
            rows.collect::<rusqlite::Result<Vec<String>>>().ctx("finding due sends")
        })
        .await?;
    let mut outcomes = Vec::new();
    for client_id in due {
        if let Some(outcome) = send_one(store, accounts, graph, &client_id).await? {
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// Claims and sends one queued row. `None` when another sender claimed it first.
async fn send_one(store: &Store, accounts: &Credentials, graph: &GraphClient, client_id: &str) -> Result<Option<Outcome>> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let claimed = store
        .write(move |tx| {
            let changed = tx
                .execute("UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE client_id = ?1 AND state = 'queued'", params![id, now])
                .ctx("claiming a send")?;
            if changed == 0 {
                return Ok(None);
            }
            tx.query_row(
                "SELECT o.client_id, o.conversation_id, c.platform, a.id, coalesce(a.parent_asset_id, a.asset_id), coalesce(ct.phone, ct.platform_user_id),
                        o.body, o.payload, o.attempts, o.kind, a.login
                 FROM outbox o JOIN conversations c ON c.id = o.conversation_id JOIN accounts a ON a.id = c.account_id
                 JOIN contacts ct ON ct.id = c.contact_id WHERE o.client_id = ?1",
                [&id],
                |r| {
                    Ok(Pending {
                        client_id: r.get(0)?,
                        conversation_id: r.get(1)?,
                        platform: platform_of(&r.get::<_, String>(2)?),
                        account_id: r.get(3)?,
                        page: r.get(4)?,
                        recipient: r.get(5)?,
                        text: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                        payload: serde_json::from_str(&r.get::<_, Option<String>>(7)?.unwrap_or_default()).unwrap_or(Value::Null),
                        attempts: r.get(8)?,
                        kind: r.get(9)?,
                        login: r.get(10)?,
                    })
                },
            )
            .optional()
            .ctx("reading a send")
        })
        .await?;
    let Some(pending) = claimed else { return Ok(None) };
    let account = accounts.get(pending.account_id).await?;
    let token = match accounts.token(&account).await {
        Ok(token) => token,
        Err(e) => return Ok(Some(fail(store, &pending, None, &format!("{e}. Reconnect the account, then retry.")).await?)),
    };
    if pending.kind == "seen" || pending.kind == "reaction" {
        return Ok(Some(send_action(store, accounts, graph, &pending, &token).await?));
    }
    let host = crate::domain::account::host_of(pending.login.as_deref());
    let result = match build_message(store, graph, host, &pending, &token).await {
        Ok(body) => graph.post_json(host, &format!("{}/messages", pending.page), &token, &body).await.map(|a| match pending.platform {
            Platform::Whatsapp => a.body.pointer("/messages/0/id").and_then(Value::as_str).map(String::from),
            _ => a.body.get("message_id").and_then(Value::as_str).map(String::from),
        }),
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(mid)) => {
            let (id, m) = (pending.client_id.clone(), mid.clone());
            store.write(move |tx| record_sent(tx, &id, &m)).await?;
            tracing::info!(client_id = %pending.client_id, "message sent");
            Ok(Some(Outcome { client_id: pending.client_id, state: "sent".into(), platform_message_id: Some(mid), error: None }))
        }
        Ok(None) => Ok(Some(unconfirmed(store, &pending, "Meta accepted the message without returning its id").await?)),
        Err(e) => Ok(Some(after_error(store, accounts, &pending, e).await?)),
    }
}


/// A read receipt or a reaction: never shown as a message, retried only when it certainly
/// did not reach Meta. A refused reaction is taken back in the thread.
async fn send_action(store: &Store, accounts: &Credentials, graph: &GraphClient, pending: &Pending, token: &Secret<String>) -> Result<Outcome> {
    let message_id = pending.payload.get("messageId").and_then(Value::as_str).unwrap_or_default();
    let emoji = pending.payload.get("emoji").and_then(Value::as_str);
    let body = match (pending.kind.as_str(), pending.platform) {
        ("seen", Platform::Whatsapp) => json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id }),
        ("seen", _) => json!({ "recipient": { "id": pending.recipient }, "sender_action": "mark_seen" }),
        // An empty emoji takes a WhatsApp reaction back (WARX).
        (_, Platform::Whatsapp) => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": pending.recipient,
            "type": "reaction", "reaction": { "message_id": message_id, "emoji": emoji.unwrap_or("") },
        }),
        (_, _) => match emoji {
            Some(e) => json!({ "recipient": { "id": pending.recipient }, "sender_action": "react", "payload": { "message_id": message_id, "reaction": reaction_name(e) } }),
            None => json!({ "recipient": { "id": pending.recipient }, "sender_action": "unreact", "payload": { "message_id": message_id } }),
        },
    };
    let host = crate::domain::account::host_of(pending.login.as_deref());
    let result = graph.post_json(host, &format!("{}/messages", pending.page), token, &body).await;
    let (state, error) = match result {
        Ok(_) => ("sent", None),
        Err(e) => {
            accounts.record_error(pending.account_id, &e).await?;
            let retry = matches!(e.kind, ErrorKind::Unreachable | ErrorKind::RateLimited { .. }) && pending.attempts < MAX_ATTEMPTS;
            (if retry { "queued" } else { "failed" }, Some(e.to_string()))
        }
    };
    let (id, next) = (pending.client_id.clone(), store.now_ms() + 5_000 * pending.attempts.max(1));
    let (state_db, error_db) = (state, error.clone());
    let undo = (pending.kind == "reaction" && state == "failed").then(|| {
        let previous = pending.payload.get("previous").and_then(Value::as_str).map(String::from);
        (pending.conversation_id, message_id.to_string(), emoji.map(String::from), previous)
    });
    let now = store.now_ms();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = ?2, error_message = ?3, next_attempt_at = ?4, updated_at = ?5 WHERE client_id = ?1",
                params![id, state_db, error_db, next, now],
            )
            .ctx("recording a sender action")?;
            if let Some((conversation_id, mid, sent, previous)) = undo {
                // Back to what it was, unless the owner changed it again meanwhile.
                tx.execute(
                    "UPDATE reactions SET emoji = ?2, reaction = NULL WHERE platform_message_id = ?1 AND actor = 'business' AND emoji IS ?3",
                    params![mid, previous, sent],
                )
                .ctx("taking a reaction back")?;
                apply::log_changes(tx, &[conversation_id], "outbox", now)?;
            }
            Ok(())
        })
        .await?;
    Ok(Outcome { client_id: pending.client_id.clone(), state: state.into(), platform_message_id: None, error })
}

async fn after_error(store: &Store, accounts: &Credentials, pending: &Pending, e: GraphError) -> Result<Outcome> {
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
            store
                .write(move |tx| {
                    tx.execute("UPDATE outbox SET state = 'queued', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1", params![id, at, now])
                        .ctx("re-queueing a send")?;
                    Ok(())
                })
                .await?;
            Ok(Outcome { client_id: pending.client_id.clone(), state: "queued".into(), platform_message_id: None, error: Some(e.to_string()) })
        }
        ErrorKind::Transient if pending.attempts < 2 => unconfirmed(store, pending, &e.message).await,
        ErrorKind::WindowClosed => {
            let next = match pending.platform {
                Platform::Whatsapp => "More than 24 hours have passed: send an approved template instead.",
                _ => "The reply window has closed for this conversation.",
            };
            fail(store, pending, code, next).await
        }
        ErrorKind::Undeliverable => fail(store, pending, code, "This person cannot receive messages from this account right now.").await,
        ErrorKind::TokenInvalid { .. } => fail(store, pending, code, "Meta no longer accepts this account's access: reconnect it, then retry.").await,
        _ => fail(store, pending, code, &format!("Meta refused the message: {}", e.message)).await,
    }
}

/// Maybe delivered: wait for the echo, then (only for an error answer, not a crash)
/// send once more.
async fn unconfirmed(store: &Store, pending: &Pending, why: &str) -> Result<Outcome> {
    let (id, at) = (pending.client_id.clone(), store.now_ms() + ECHO_GRACE.as_millis() as i64);
    let now = store.now_ms();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'retry_after_grace', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1 AND state = 'sending'",
                params![id, at, now],
            )
            .ctx("waiting for an echo")?;
            Ok(())
        })
        .await?;
    tracing::warn!(client_id = %pending.client_id, %why, "send may have reached Meta; waiting for its echo before retrying");
    Ok(Outcome { client_id: pending.client_id.clone(), state: "unconfirmed".into(), platform_message_id: None, error: Some(why.to_string()) })
}

async fn fail(store: &Store, pending: &Pending, code: Option<i64>, reason: &str) -> Result<Outcome> {
    let (id, conversation_id, reason_text) = (pending.client_id.clone(), pending.conversation_id, reason.to_string());
    let now = store.now_ms();
    store.write(move |tx| mark_failed(tx, &id, conversation_id, code, &reason_text, now)).await?;
    tracing::warn!(client_id = %pending.client_id, code = ?code, "send failed");
    Ok(Outcome { client_id: pending.client_id.clone(), state: "failed".into(), platform_message_id: None, error: Some(reason.to_string()) })
}

fn mark_failed(tx: &Transaction<'_>, client_id: &str, conversation_id: i64, code: Option<i64>, reason: &str, now: i64) -> crate::domain::Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'failed', error_code = ?2, error_message = ?3, updated_at = ?4 WHERE client_id = ?1",
        params![client_id, code, reason, now],
    )
    .ctx("recording a failed send")?;
    tx.execute(
        "UPDATE messages SET status = ?2, status_at = ?3, failure_code = ?4, failure_reason = ?5 WHERE platform_message_id = ?1",
        params![local_mid(client_id), DeliveryStatus::Failed.rank(), now, code, reason],
    )
    .ctx("marking a message failed")?;
    apply::log_changes(tx, &[conversation_id], "outbox", now)
}

/// Meta accepted `client_id` as `mid`: the local row takes the real id (or gives way to
/// the echo that got here first).
/// At start: rows a crash left in `sending` may or may not have reached Meta. Settle them
/// from echoes already stored; the rest become `unconfirmed` and are never re-sent
/// without the owner.
pub async fn recover_after_crash(store: &Store) -> Result<usize> {
    let now = store.now_ms();
    Ok(store
        .write(move |tx| {
            reconcile(tx)?;
            let stuck: Vec<(String, i64)> = {
                let mut stmt = tx.prepare("SELECT client_id, conversation_id FROM outbox WHERE state = 'sending'").ctx("finding interrupted sends")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("finding interrupted sends")?;
                rows.collect::<rusqlite::Result<_>>().ctx("finding interrupted sends")?
            };
            for (client_id, conversation_id) in &stuck {
                tx.execute("UPDATE outbox SET state = 'unconfirmed', updated_at = ?2 WHERE client_id = ?1", params![client_id, now])
                    .ctx("marking a send unconfirmed")?;
                tx.execute(
                    "UPDATE messages SET failure_reason = ?2 WHERE platform_message_id = ?1",
                    params![
                        local_mid(client_id),
                        "CAHTS stopped while sending this message and cannot tell yet whether it arrived. It will update when Meta confirms it; check the conversation on your phone before sending it again."
                    ],
                )
                .ctx("explaining an unconfirmed send")?;
                apply::log_changes(tx, &[*conversation_id], "outbox", now)?;
            }
            Ok(stuck.len())
        })
        .await?)
}

/// The owner chose to send a failed or unconfirmed message again.
pub async fn retry(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let changed = store
        .write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, attempts = 0, updated_at = ?2
                     WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')",
                    params![id, now],
                )
                .ctx("retrying a send")?;
            tx.execute(
                "UPDATE messages SET status = ?2, failure_code = NULL, failure_reason = NULL WHERE platform_message_id = ?1",
                params![local_mid(&id), DeliveryStatus::Pending.rank()],
            )
            .ctx("retrying a send")?;
            Ok(changed)
        })
        .await?;
    if changed == 0 {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be sent again".into()));
    }
    Ok(())
}

/// The owner gave up on a failed or unconfirmed message: it disappears.
pub async fn discard(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let changed = store
        .write(move |tx| {
            let conversation: Option<i64> = tx
                .query_row("SELECT conversation_id FROM outbox WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')", [&id], |r| r.get(0))
                .optional()
                .ctx("discarding a send")?;
            let Some(conversation_id) = conversation else { return Ok(0) };
            tx.execute("DELETE FROM outbox WHERE client_id = ?1", [&id]).ctx("discarding a send")?;
            tx.execute("DELETE FROM messages WHERE platform_message_id = ?1", [local_mid(&id)]).ctx("discarding a send")?;
            apply::refresh_summary(tx, conversation_id)?;
            apply::log_changes(tx, &[conversation_id], "outbox", now)?;
            Ok(1)
        })
        .await?;
    if changed == 0 {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be discarded".into()));
    }
    Ok(())
}

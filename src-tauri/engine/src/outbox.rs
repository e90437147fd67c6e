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
use ts_rs::TS;

use crate::accounts::{AccountError, Accounts};
use crate::error::SqlContext as _;
use crate::events::{ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras, MessageKind, NewMessage, Platform, ReplyTo};
use crate::meta::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::store::{Store, apply, now_ms};

/// How long a possibly-delivered send waits for its echo before it is sent again.
pub const ECHO_GRACE: Duration = Duration::from_secs(30);
/// Automatic attempts for sends that certainly did not reach Meta (no connection, rate limit).
const MAX_ATTEMPTS: i64 = 6;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whether and how a conversation can be answered now (META-API.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ReplyWindow {
    /// Standard 24 h window after the customer's last message.
    Open {
        #[ts(type = "number")]
        until: i64,
    },
    /// Messenger/Instagram, 24 h – 7 days: a human agent may still answer (HUMAN_AGENT tag).
    HumanAgent {
        #[ts(type = "number")]
        until: i64,
    },
    /// WhatsApp after 24 h: only an approved template can be sent.
    TemplateOnly,
    /// Nothing can be sent (no message from the customer, or older than 7 days).
    Closed,
}

pub fn reply_window(platform: Platform, last_inbound_at: Option<i64>, now: i64) -> ReplyWindow {
    let Some(last) = last_inbound_at else { return ReplyWindow::Closed };
    if now < last + DAY_MS {
        return ReplyWindow::Open { until: last + DAY_MS };
    }
    match platform {
        Platform::Whatsapp => ReplyWindow::TemplateOnly,
        _ if now < last + 7 * DAY_MS => ReplyWindow::HumanAgent { until: last + 7 * DAY_MS },
        _ => ReplyWindow::Closed,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{0}")]
    Refused(String),
    #[error("no such conversation")]
    NotFound,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] crate::Error),
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

fn local_mid(client_id: &str) -> String {
    format!("local:{client_id}")
}

fn tag(client_id: &str) -> String {
    format!("cahts:{client_id}")
}

fn platform_of(text: &str) -> Platform {
    match text {
        "instagram" => Platform::Instagram,
        "whatsapp" => Platform::Whatsapp,
        _ => Platform::Messenger,
    }
}

/// Queues a text reply. Checked before anything is written: the window, the length.
pub async fn enqueue_text(store: &Store, conversation_id: i64, text: String, reply_to: Option<String>) -> Result<String> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(OutboxError::Refused("the message is empty".into()));
    }
    let client_id = hex_id();
    let id = client_id.clone();
    store
        .write(move |tx| {
            let row = tx
                .query_row(
                    "SELECT c.platform, a.asset_id, ct.platform_user_id, c.last_inbound_at
                     FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
                     WHERE c.id = ?1",
                    [conversation_id],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?)),
                )
                .optional()
                .ctx("reading a conversation")?;
            let Some((platform, account, contact, last_inbound)) = row else {
                return Ok(Err(OutboxError::NotFound));
            };
            let platform = platform_of(&platform);
            let now = now_ms();
            let (messaging_type, tag_name) = match reply_window(platform, last_inbound, now) {
                ReplyWindow::Open { .. } => ("RESPONSE", None),
                ReplyWindow::HumanAgent { .. } => ("MESSAGE_TAG", Some("HUMAN_AGENT")),
                ReplyWindow::TemplateOnly => {
                    return Ok(Err(OutboxError::Refused(
                        "More than 24 hours have passed since the customer's last message: WhatsApp only allows an approved template now.".into(),
                    )));
                }
                ReplyWindow::Closed => {
                    return Ok(Err(OutboxError::Refused(
                        "This conversation cannot be answered: the customer has not written in the last 7 days.".into(),
                    )));
                }
            };
            let too_long = match platform {
                Platform::Messenger => text.chars().count() > 2000,
                Platform::Instagram => text.len() > 1000,
                Platform::Whatsapp => text.chars().count() > 4096,
            };
            if too_long {
                let limit = match platform {
                    Platform::Messenger => "2,000 characters",
                    Platform::Instagram => "1,000 bytes",
                    Platform::Whatsapp => "4,096 characters",
                };
                return Ok(Err(OutboxError::Refused(format!("The message is longer than this platform allows ({limit}).",))));
            }
            let key = ConversationKey { platform, account_id: account, contact_id: contact };
            let mid = local_mid(&id);
            apply::apply_events(
                tx,
                &[DomainEvent::Message(NewMessage {
                    key,
                    mid: mid.clone(),
                    direction: Direction::Outbound,
                    kind: MessageKind::Text,
                    text: Some(text.clone()),
                    attachments: Vec::new(),
                    reply_to: reply_to.clone().map(|mid| ReplyTo::Message { mid }),
                    extras: MessageExtras { send_metadata: Some(tag(&id)), ..MessageExtras::default() },
                    sent_at: now,
                })],
            )?;
            // Shown as pending until Meta accepts it (apply marks outbound history as sent).
            tx.execute("UPDATE messages SET status = ?2, status_at = NULL WHERE platform_message_id = ?1", params![mid, DeliveryStatus::Pending.rank()])
                .ctx("marking a message pending")?;
            let payload = json!({ "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name });
            tx.execute(
                "INSERT INTO outbox (client_id, conversation_id, kind, body, payload, state, next_attempt_at, created_at, updated_at)
                 VALUES (?1, ?2, 'text', ?3, ?4, 'queued', ?5, ?5, ?5)",
                params![id, conversation_id, text, payload.to_string(), now],
            )
            .ctx("queueing a message")?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Tells the customer their messages were seen (Messenger/Instagram `mark_seen`, WhatsApp
/// `status: read` of the newest inbound message), when there is something unseen and the
/// account is connected. Queued like a message, so it survives a restart; never shown.
pub fn enqueue_seen(tx: &Transaction<'_>, conversation_id: i64) -> crate::Result<bool> {
    let row: Option<(Option<String>, String)> = tx
        .query_row(
            "SELECT (SELECT m.platform_message_id FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND m.stub = 0
                     ORDER BY m.sent_at DESC LIMIT 1), a.status
             FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1 AND c.unread_count > 0",
            [conversation_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ctx("finding what to mark seen")?;
    let Some((Some(newest), status)) = row else { return Ok(false) };
    if status != "connected" {
        return Ok(false);
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
         VALUES (?1, ?2, 'seen', ?3, 'queued', ?4, ?4, ?4, 1)",
        params![hex_id(), conversation_id, json!({ "messageId": newest }).to_string(), now],
    )
    .ctx("queueing a read receipt")?;
    Ok(true)
}

fn hex_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Pending {
    client_id: String,
    kind: String,
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
pub async fn process_due(store: &Store, accounts: &Accounts, graph: &GraphClient) -> Result<Vec<Outcome>> {
    let now = now_ms();
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
async fn send_one(store: &Store, accounts: &Accounts, graph: &GraphClient, client_id: &str) -> Result<Option<Outcome>> {
    let id = client_id.to_string();
    let claimed = store
        .write(move |tx| {
            let changed = tx
                .execute("UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE client_id = ?1 AND state = 'queued'", params![id, now_ms()])
                .ctx("claiming a send")?;
            if changed == 0 {
                return Ok(None);
            }
            tx.query_row(
                "SELECT o.client_id, o.conversation_id, c.platform, a.id, coalesce(a.parent_asset_id, a.asset_id), coalesce(ct.phone, ct.platform_user_id),
                        o.body, o.payload, o.attempts, o.kind
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
    if pending.kind == "seen" {
        return Ok(Some(send_seen(store, accounts, graph, &pending, &token).await?));
    }
    let result = match pending.platform {
        Platform::Whatsapp => {
            let mut body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": pending.recipient,
                "type": "text",
                "text": { "body": pending.text, "preview_url": false },
                "biz_opaque_callback_data": tag(&pending.client_id),
            });
            if let Some(reply) = pending.payload.get("replyTo").and_then(Value::as_str) {
                body["context"] = json!({ "message_id": reply });
            }
            graph.post_json(Host::Facebook, &format!("{}/messages", pending.page), &token, &body).await.map(|a| {
                a.body.pointer("/messages/0/id").and_then(Value::as_str).map(String::from)
            })
        }
        _ => {
            let mut body = json!({
                "recipient": { "id": pending.recipient },
                "messaging_type": pending.payload.get("messagingType").and_then(Value::as_str).unwrap_or("RESPONSE"),
                "message": { "text": pending.text, "metadata": tag(&pending.client_id) },
            });
            if let Some(t) = pending.payload.get("tag").and_then(Value::as_str) {
                body["tag"] = json!(t);
            }
            if let Some(reply) = pending.payload.get("replyTo").and_then(Value::as_str) {
                body["reply_to"] = json!({ "mid": reply });
            }
            graph.post_json(Host::Facebook, &format!("{}/messages", pending.page), &token, &body).await.map(|a| {
                a.body.get("message_id").and_then(Value::as_str).map(String::from)
            })
        }
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

/// A read receipt: best effort, never retried beyond a lost connection, never shown.
async fn send_seen(store: &Store, accounts: &Accounts, graph: &GraphClient, pending: &Pending, token: &crate::secrets::Secret<String>) -> Result<Outcome> {
    let message_id = pending.payload.get("messageId").and_then(Value::as_str).unwrap_or_default();
    let body = match pending.platform {
        Platform::Whatsapp => json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id }),
        _ => json!({ "recipient": { "id": pending.recipient }, "sender_action": "mark_seen" }),
    };
    let result = graph.post_json(Host::Facebook, &format!("{}/messages", pending.page), token, &body).await;
    let (state, error) = match result {
        Ok(_) => ("sent", None),
        Err(e) => {
            accounts.record_error(pending.account_id, &e).await?;
            let retry = matches!(e.kind, ErrorKind::Unreachable) && pending.attempts < MAX_ATTEMPTS;
            (if retry { "queued" } else { "failed" }, Some(e.to_string()))
        }
    };
    let (id, next) = (pending.client_id.clone(), now_ms() + 5_000);
    let (state_db, error_db) = (state, error.clone());
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = ?2, error_message = ?3, next_attempt_at = ?4, updated_at = ?5 WHERE client_id = ?1",
                params![id, state_db, error_db, next, now_ms()],
            )
            .ctx("recording a read receipt")?;
            Ok(())
        })
        .await?;
    Ok(Outcome { client_id: pending.client_id.clone(), state: state.into(), platform_message_id: None, error })
}

async fn after_error(store: &Store, accounts: &Accounts, pending: &Pending, e: GraphError) -> Result<Outcome> {
    accounts.record_error(pending.account_id, &e).await?;
    let code = e.code;
    match &e.kind {
        ErrorKind::Unreachable | ErrorKind::RateLimited { .. } if pending.attempts < MAX_ATTEMPTS => {
            // Certainly not sent: try again later.
            let wait = match &e.kind {
                ErrorKind::RateLimited { retry_after } => retry_after.unwrap_or(Duration::from_secs(60)),
                _ => Duration::from_secs(2u64.pow(pending.attempts.clamp(1, 8) as u32)),
            };
            let (id, at) = (pending.client_id.clone(), now_ms() + wait.as_millis() as i64);
            store
                .write(move |tx| {
                    tx.execute("UPDATE outbox SET state = 'queued', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1", params![id, at, now_ms()])
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
    let (id, at) = (pending.client_id.clone(), now_ms() + ECHO_GRACE.as_millis() as i64);
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'retry_after_grace', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1 AND state = 'sending'",
                params![id, at, now_ms()],
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
    store.write(move |tx| mark_failed(tx, &id, conversation_id, code, &reason_text)).await?;
    tracing::warn!(client_id = %pending.client_id, code = ?code, "send failed");
    Ok(Outcome { client_id: pending.client_id.clone(), state: "failed".into(), platform_message_id: None, error: Some(reason.to_string()) })
}

fn mark_failed(tx: &Transaction<'_>, client_id: &str, conversation_id: i64, code: Option<i64>, reason: &str) -> crate::Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'failed', error_code = ?2, error_message = ?3, updated_at = ?4 WHERE client_id = ?1",
        params![client_id, code, reason, now_ms()],
    )
    .ctx("recording a failed send")?;
    tx.execute(
        "UPDATE messages SET status = ?2, status_at = ?3, failure_code = ?4, failure_reason = ?5 WHERE platform_message_id = ?1",
        params![local_mid(client_id), DeliveryStatus::Failed.rank(), now_ms(), code, reason],
    )
    .ctx("marking a message failed")?;
    apply::log_changes(tx, &[conversation_id], "outbox", now_ms())
}

/// Meta accepted `client_id` as `mid`: the local row takes the real id (or gives way to
/// the echo that got here first).
fn record_sent(tx: &Transaction<'_>, client_id: &str, mid: &str) -> crate::Result<()> {
    let local = local_mid(client_id);
    let conversation_id: Option<i64> = tx
        .query_row("SELECT conversation_id FROM messages WHERE platform_message_id = ?1", [&local], |r| r.get(0))
        .optional()
        .ctx("finding a local message")?;
    let echo_exists: bool = tx
        .query_row("SELECT 1 FROM messages WHERE platform_message_id = ?1", [mid], |_| Ok(()))
        .optional()
        .ctx("finding an echo")?
        .is_some();
    if let Some(conversation_id) = conversation_id {
        if echo_exists {
            tx.execute("DELETE FROM messages WHERE platform_message_id = ?1", [&local]).ctx("dropping a local copy")?;
        } else {
            tx.execute(
                "UPDATE messages SET platform_message_id = ?2, status = max(status, ?3), status_at = coalesce(status_at, ?4),
                        failure_code = NULL, failure_reason = NULL
                 WHERE platform_message_id = ?1",
                params![local, mid, DeliveryStatus::Sent.rank(), now_ms()],
            )
            .ctx("giving a message its id")?;
        }
        apply::refresh_summary(tx, conversation_id)?;
        apply::log_changes(tx, &[conversation_id], "outbox", now_ms())?;
    }
    tx.execute(
        "UPDATE outbox SET state = 'sent', platform_message_id = ?2, error_code = NULL, error_message = NULL, updated_at = ?3 WHERE client_id = ?1",
        params![client_id, mid, now_ms()],
    )
    .ctx("recording a sent message")?;
    Ok(())
}

/// Settles outbox rows whose echo is in the store (matched by the client id sent as
/// metadata). Run after applying webhook events, in the same transaction.
pub fn reconcile(tx: &Transaction<'_>) -> crate::Result<usize> {
    let waiting: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE state IN ('sending', 'unconfirmed', 'retry_after_grace', 'failed', 'queued'))")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .ctx("checking the outbox")?;
    if !waiting {
        return Ok(0);
    }
    let matches: Vec<(String, String)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT o.client_id, m.platform_message_id FROM outbox o
                 JOIN messages m ON json_extract(m.extras, '$.sendMetadata') = 'cahts:' || o.client_id
                 WHERE o.state IN ('sending', 'unconfirmed', 'retry_after_grace', 'failed', 'queued')
                   AND json_extract(m.extras, '$.sendMetadata') IS NOT NULL
                   AND m.platform_message_id NOT LIKE 'local:%'",
            )
            .ctx("matching echoes")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("matching echoes")?;
        rows.collect::<rusqlite::Result<_>>().ctx("matching echoes")?
    };
    for (client_id, mid) in &matches {
        record_sent(tx, client_id, mid)?;
    }
    Ok(matches.len())
}

/// At start: rows a crash left in `sending` may or may not have reached Meta. Settle them
/// from echoes already stored; the rest become `unconfirmed` and are never re-sent
/// without the owner.
pub async fn recover_after_crash(store: &Store) -> Result<usize> {
    Ok(store
        .write(|tx| {
            reconcile(tx)?;
            let stuck: Vec<(String, i64)> = {
                let mut stmt = tx.prepare("SELECT client_id, conversation_id FROM outbox WHERE state = 'sending'").ctx("finding interrupted sends")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("finding interrupted sends")?;
                rows.collect::<rusqlite::Result<_>>().ctx("finding interrupted sends")?
            };
            for (client_id, conversation_id) in &stuck {
                tx.execute("UPDATE outbox SET state = 'unconfirmed', updated_at = ?2 WHERE client_id = ?1", params![client_id, now_ms()])
                    .ctx("marking a send unconfirmed")?;
                tx.execute(
                    "UPDATE messages SET failure_reason = ?2 WHERE platform_message_id = ?1",
                    params![
                        local_mid(client_id),
                        "CAHTS stopped while sending this message and cannot tell yet whether it arrived. It will update when Meta confirms it; check the conversation on your phone before sending it again."
                    ],
                )
                .ctx("explaining an unconfirmed send")?;
                apply::log_changes(tx, &[*conversation_id], "outbox", now_ms())?;
            }
            Ok(stuck.len())
        })
        .await?)
}

/// Sent messages not yet published to the owner's other computers: (client id, events JSON).
pub async fn pending_publications(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(store
        .read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT o.client_id, o.platform_message_id, c.platform, a.asset_id, ct.platform_user_id, m.body, m.sent_at, m.reply_to_mid
                     FROM outbox o JOIN messages m ON m.platform_message_id = o.platform_message_id
                     JOIN conversations c ON c.id = o.conversation_id JOIN accounts a ON a.id = c.account_id
                     JOIN contacts ct ON ct.id = c.contact_id
                     WHERE o.state = 'sent' AND o.published = 0 ORDER BY o.updated_at LIMIT 100",
                )
                .ctx("finding messages to publish")?;
            let rows = stmt
                .query_map([], |r| {
                    let client_id: String = r.get(0)?;
                    let mid: String = r.get(1)?;
                    let key = ConversationKey { platform: platform_of(&r.get::<_, String>(2)?), account_id: r.get(3)?, contact_id: r.get(4)? };
                    let sent_at: i64 = r.get(6)?;
                    let events = vec![
                        DomainEvent::Message(NewMessage {
                            key: key.clone(),
                            mid: mid.clone(),
                            direction: Direction::Outbound,
                            kind: MessageKind::Text,
                            text: r.get(5)?,
                            attachments: Vec::new(),
                            reply_to: r.get::<_, Option<String>>(7)?.map(|mid| ReplyTo::Message { mid }),
                            extras: MessageExtras { send_metadata: Some(tag(&client_id)), ..MessageExtras::default() },
                            sent_at,
                        }),
                        DomainEvent::Status { key, mid, status: DeliveryStatus::Sent, at: sent_at, error: None },
                    ];
                    Ok((client_id, serde_json::to_string(&events).expect("events serialize")))
                })
                .ctx("finding messages to publish")?;
            rows.collect::<rusqlite::Result<Vec<_>>>().ctx("finding messages to publish")
        })
        .await?)
}

pub async fn mark_published(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    store
        .write(move |tx| {
            tx.execute("UPDATE outbox SET published = 1 WHERE client_id = ?1", [id]).ctx("recording a publication")?;
            Ok(())
        })
        .await?;
    Ok(())
}

/// The owner chose to send a failed or unconfirmed message again.
pub async fn retry(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    let changed = store
        .write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, attempts = 0, updated_at = ?2
                     WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')",
                    params![id, now_ms()],
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
            apply::log_changes(tx, &[conversation_id], "outbox", now_ms())?;
            Ok(1)
        })
        .await?;
    if changed == 0 {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be discarded".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_window_follows_each_platforms_rules() {
        let now = 100 * DAY_MS;
        assert_eq!(reply_window(Platform::Messenger, None, now), ReplyWindow::Closed);
        assert_eq!(reply_window(Platform::Messenger, Some(now - 3_600_000), now), ReplyWindow::Open { until: now - 3_600_000 + DAY_MS });
        assert_eq!(reply_window(Platform::Instagram, Some(now - 2 * DAY_MS), now), ReplyWindow::HumanAgent { until: now + 5 * DAY_MS });
        assert_eq!(reply_window(Platform::Messenger, Some(now - 8 * DAY_MS), now), ReplyWindow::Closed);
        assert_eq!(reply_window(Platform::Whatsapp, Some(now - DAY_MS - 1), now), ReplyWindow::TemplateOnly);
        assert_eq!(reply_window(Platform::Whatsapp, Some(now - DAY_MS + 1), now), ReplyWindow::Open { until: now + 1 });
    }
}

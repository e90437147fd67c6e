//! The outbox rows' life while they are sent: due rows, the claim before the API call,
//! and each way a send ends (sent is `outbox::record_sent`; re-queued, waiting for an
//! echo, failed, settled after a crash, retried or discarded by the owner). Reads first,
//! then writes.

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use serde_json::Value;

use super::apply;
use super::outbox::{local_mid, platform_of, reconcile};
use crate::domain::account::Login;
use crate::domain::error::{Result, SqlContext as _};
use crate::domain::events::{DeliveryStatus, Platform};
use crate::domain::outbox::OutboxState;

/// A claimed send with what its API call needs.
#[derive(Debug, Clone)]
pub struct PendingSend {
    pub client_id: String,
    /// `text`, `media`, `template`, `reaction`, `seen`.
    pub kind: String,
    /// `instagram` for an Instagram Login account (graph.instagram.com), else `None`.
    pub login: Option<Login>,
    pub conversation_id: i64,
    pub platform: Platform,
    pub account_id: i64,
    /// Who sends: the Page, or the WhatsApp phone-number id.
    pub page: String,
    /// PSID, IGSID, or the WhatsApp number.
    pub recipient: String,
    pub text: String,
    pub payload: Value,
    pub attempts: i64,
}

// Reads.

/// The queued rows due at `now`, oldest first.
pub fn due(c: &Connection, now: i64) -> Result<Vec<String>> {
    let mut stmt = c
        .prepare("SELECT client_id FROM outbox WHERE state = 'queued' AND coalesce(next_attempt_at, 0) <= ?1 ORDER BY created_at")
        .ctx("finding due sends")?;
    let rows = stmt.query_map([now], |r| r.get(0)).ctx("finding due sends")?;
    rows.collect::<rusqlite::Result<Vec<String>>>().ctx("finding due sends")
}

// Writes.

/// Rows whose echo grace ended without an echo go back to the queue (once: a second
/// maybe-failure ends unconfirmed).
pub fn requeue_after_grace(tx: &Transaction<'_>, now: i64) -> Result<()> {
    tx.execute("UPDATE outbox SET state = 'queued', updated_at = ?1 WHERE state = 'retry_after_grace' AND next_attempt_at <= ?1", [now])
        .ctx("re-queueing sends")?;
    Ok(())
}

/// Claims a queued row (`sending`, committed before the API call). `None` when another
/// sender claimed it first.
pub fn claim(tx: &Transaction<'_>, client_id: &str, now: i64) -> Result<Option<PendingSend>> {
    let changed = tx
        .execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE client_id = ?1 AND state = 'queued'",
            params![client_id, now],
        )
        .ctx("claiming a send")?;
    if changed == 0 {
        return Ok(None);
    }
    tx.query_row(
        "SELECT o.client_id, o.conversation_id, c.platform, a.id, coalesce(a.parent_asset_id, a.asset_id), coalesce(ct.phone, ct.platform_user_id),
                o.body, o.payload, o.attempts, o.kind, a.login
         FROM outbox o JOIN conversations c ON c.id = o.conversation_id JOIN accounts a ON a.id = c.account_id
         JOIN contacts ct ON ct.id = c.contact_id WHERE o.client_id = ?1",
        [client_id],
        |r| {
            Ok(PendingSend {
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
}

/// A file was uploaded to Meta: the send (and the owner's other computers) use its id.
pub fn record_upload(tx: &Transaction<'_>, client_id: &str, uploaded_id: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET payload = json_set(payload, '$.uploadedId', ?2), updated_at = ?3 WHERE client_id = ?1",
        params![client_id, uploaded_id, now],
    )
    .ctx("recording an upload")?;
    // The other computers fetch the same file by this id (WhatsApp keeps uploads 30 days).
    tx.execute(
        "UPDATE attachments SET media_id = ?2 WHERE message_id = (SELECT id FROM messages WHERE platform_message_id = ?1)",
        params![local_mid(client_id), uploaded_id],
    )
    .ctx("recording an upload")?;
    Ok(())
}

/// A reaction Meta refused, to be taken back in the thread.
#[derive(Debug, Clone)]
pub struct ReactionUndo {
    pub conversation_id: i64,
    pub message_id: String,
    /// The emoji that was sent; the undo applies only if it is still the business's.
    pub sent: Option<String>,
    pub previous: Option<String>,
}

/// How a read receipt or reaction ended (`sent`, `queued` for a retry at `next`, `failed`).
pub fn record_action(
    tx: &Transaction<'_>,
    client_id: &str,
    state: OutboxState,
    error: Option<&str>,
    next: i64,
    undo: Option<ReactionUndo>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = ?2, error_message = ?3, next_attempt_at = ?4, updated_at = ?5 WHERE client_id = ?1",
        params![client_id, state, error, next, now],
    )
    .ctx("recording a sender action")?;
    if let Some(undo) = undo {
        // Back to what it was, unless the owner changed it again meanwhile.
        tx.execute(
            "UPDATE reactions SET emoji = ?2, reaction = NULL WHERE platform_message_id = ?1 AND actor = 'business' AND emoji IS ?3",
            params![undo.message_id, undo.previous, undo.sent],
        )
        .ctx("taking a reaction back")?;
        apply::log_changes(tx, &[undo.conversation_id], "outbox", now)?;
    }
    Ok(())
}

/// Certainly not sent: queued again for `at`.
pub fn requeue(tx: &Transaction<'_>, client_id: &str, at: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1",
        params![client_id, at, now],
    )
    .ctx("re-queueing a send")?;
    Ok(())
}

/// Maybe delivered: waits for its echo until `at`.
pub fn await_echo(tx: &Transaction<'_>, client_id: &str, at: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'retry_after_grace', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1 AND state = 'sending'",
        params![client_id, at, now],
    )
    .ctx("waiting for an echo")?;
    Ok(())
}

/// Refused: the row ends `failed` and the thread shows why.
pub fn mark_failed(
    tx: &Transaction<'_>,
    client_id: &str,
    conversation_id: i64,
    code: Option<i64>,
    reason: &str,
    now: i64,
) -> Result<()> {
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

/// At start: rows a crash left in `sending` may or may not have reached Meta. Those an
/// echo already settled are settled; the rest become `unconfirmed`, never re-sent without
/// the owner. Returns how many.
pub fn settle_interrupted(tx: &Transaction<'_>, now: i64) -> Result<usize> {
    reconcile(tx, now)?;
    let stuck: Vec<(String, i64)> = {
        let mut stmt = tx
            .prepare("SELECT client_id, conversation_id FROM outbox WHERE state = 'sending'")
            .ctx("finding interrupted sends")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("finding interrupted sends")?;
        rows.collect::<rusqlite::Result<_>>().ctx("finding interrupted sends")?
    };
    for (client_id, conversation_id) in &stuck {
        tx.execute(
            "UPDATE outbox SET state = 'unconfirmed', updated_at = ?2 WHERE client_id = ?1",
            params![client_id, now],
        )
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
}

/// The owner sends a failed or unconfirmed message again. `false` if it is neither.
pub fn retry(tx: &Transaction<'_>, client_id: &str, now: i64) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, attempts = 0, updated_at = ?2
             WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')",
            params![client_id, now],
        )
        .ctx("retrying a send")?;
    tx.execute(
        "UPDATE messages SET status = ?2, failure_code = NULL, failure_reason = NULL WHERE platform_message_id = ?1",
        params![local_mid(client_id), DeliveryStatus::Pending.rank()],
    )
    .ctx("retrying a send")?;
    Ok(changed > 0)
}

/// The owner gives up on a failed or unconfirmed message: it disappears. `false` if it
/// is neither.
pub fn discard(tx: &Transaction<'_>, client_id: &str, now: i64) -> Result<bool> {
    let conversation: Option<i64> = tx
        .query_row(
            "SELECT conversation_id FROM outbox WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')",
            [client_id],
            |r| r.get(0),
        )
        .optional()
        .ctx("discarding a send")?;
    let Some(conversation_id) = conversation else { return Ok(false) };
    tx.execute("DELETE FROM outbox WHERE client_id = ?1", [client_id]).ctx("discarding a send")?;
    tx.execute("DELETE FROM messages WHERE platform_message_id = ?1", [local_mid(client_id)])
        .ctx("discarding a send")?;
    apply::refresh_summary(tx, conversation_id)?;
    apply::log_changes(tx, &[conversation_id], "outbox", now)?;
    Ok(true)
}

//! The outbox's writes that webhook application shares: a sent message takes Meta's id,
//! and an echo settles the outbox row that sent it.

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::apply;
use crate::domain::error::SqlContext as _;
use crate::domain::events::{DeliveryStatus, Platform};

/// The id a queued message is stored under until Meta gives it one.
pub fn local_mid(client_id: &str) -> String {
    format!("local:{client_id}")
}

pub fn tag(client_id: &str) -> String {
    format!("cahts:{client_id}")
}

/// A platform name read from the store (its CHECK constraint admits only the three).
pub fn platform_of(text: &str) -> Platform {
    Platform::parse(text).unwrap_or(Platform::Messenger)
}

/// A sent message takes Meta's id (merging with its echo or status placeholder if one
/// arrived first) and its outbox row becomes `sent`.
pub fn record_sent(tx: &Transaction<'_>, client_id: &str, mid: &str, now: i64) -> crate::domain::Result<()> {
    let local = local_mid(client_id);
    let conversation_id: Option<i64> = tx
        .query_row("SELECT conversation_id FROM messages WHERE platform_message_id = ?1", [&local], |r| r.get(0))
        .optional()
        .ctx("finding a local message")?;
    // The message may already be stored under Meta's id: as a full echo (Messenger,
    // Instagram), or as a placeholder holding only a delivery status (a WhatsApp status
    // that arrived before the send's answer, or after a crash lost it).
    // (placeholder?, status, status time, failure code, failure reason)
    type Stored = (bool, i64, Option<i64>, Option<i64>, Option<String>);
    let existing: Option<Stored> = tx
        .query_row(
            "SELECT stub, status, status_at, failure_code, failure_reason FROM messages WHERE platform_message_id = ?1",
            [mid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .ctx("finding an echo")?;
    if let Some(conversation_id) = conversation_id {
        if let Some((true, status, status_at, code, reason)) = existing {
            // The placeholder gives way to the local copy, which keeps the text and takes
            // the status.
            tx.execute("DELETE FROM messages WHERE platform_message_id = ?1 AND stub = 1", [mid])
                .ctx("merging a delivery status")?;
            tx.execute(
                "UPDATE messages SET platform_message_id = ?2, status = max(?3, ?4), status_at = coalesce(?5, ?6),
                        failure_code = ?7, failure_reason = ?8
                 WHERE platform_message_id = ?1",
                params![local, mid, DeliveryStatus::Sent.rank(), status, status_at, now, code, reason],
            )
            .ctx("giving a message its id")?;
        } else if existing.is_some() {
            tx.execute("DELETE FROM messages WHERE platform_message_id = ?1", [&local]).ctx("dropping a local copy")?;
        } else {
            tx.execute(
                "UPDATE messages SET platform_message_id = ?2, status = max(status, ?3), status_at = coalesce(status_at, ?4),
                        failure_code = NULL, failure_reason = NULL
                 WHERE platform_message_id = ?1",
                params![local, mid, DeliveryStatus::Sent.rank(), now],
            )
            .ctx("giving a message its id")?;
        }
        apply::refresh_summary(tx, conversation_id)?;
        apply::log_changes(tx, &[conversation_id], "outbox", now)?;
    }
    tx.execute(
        "UPDATE outbox SET state = 'sent', platform_message_id = ?2, error_code = NULL, error_message = NULL, updated_at = ?3 WHERE client_id = ?1",
        params![client_id, mid, now],
    )
    .ctx("recording a sent message")?;
    Ok(())
}

/// Settles outbox rows whose echo is in the store (matched by the client id sent as
/// metadata). Run after applying webhook events, in the same transaction.
pub fn reconcile(tx: &Transaction<'_>, now: i64) -> crate::domain::Result<usize> {
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
        record_sent(tx, client_id, mid, now)?;
    }
    Ok(matches.len())
}

/// Whether anything waits to be sent (the worker's cheap check before a pass).
pub fn has_due(conn: &rusqlite::Connection) -> crate::domain::Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM outbox WHERE state IN ('queued', 'retry_after_grace'))", [], |r| {
        r.get(0)
    })
    .ctx("checking the outbox")
}

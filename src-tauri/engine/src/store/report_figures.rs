//! The report figures kept with the messages (migration 0004): messages per 15-minute
//! slot, each conversation's first message, and customers' waits for an answer. Apply
//! gathers what a batch added and writes it here in the batch's transaction, so reports
//! read small tables and backfilled history counts by its own timestamps.

use std::collections::HashMap;

use rusqlite::{OptionalExtension as _, Transaction, params};

use crate::domain::error::{Result, SqlContext as _};
use crate::domain::events::Direction;
use crate::domain::report::{QUIET_MS, REPLY_WINDOW_MS, SLOT_MS};

/// Everything recomputed from the messages: run after an import.
pub const FROM_HISTORY_SQL: &str = include_str!("../../../../migrations/0005_report_figures_from_history.sql");
/// Late replies recomputed from the messages: run after an import.
pub const LATE_FROM_HISTORY_SQL: &str = include_str!("../../../../migrations/0007_late_replies_from_history.sql");

/// One conversation's late replies, recomputed from its messages (the rule is migration 0007's).
const CONVERSATION_LATE_SQL: &str = "
    INSERT INTO late_replies (conversation_id, sent_at, account_id, count)
    SELECT ?1, sent_at, (SELECT account_id FROM conversations WHERE id = ?1), count(*)
    FROM (
        SELECT sent_at, direction,
               max(CASE WHEN direction = 'inbound' THEN sent_at END) OVER (
                   ORDER BY sent_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_inbound
        FROM messages WHERE conversation_id = ?1 AND stub = 0
    )
    WHERE direction = 'outbound' AND (last_inbound IS NULL OR sent_at - last_inbound >= ?2)
    GROUP BY sent_at";

/// One conversation's waits, recomputed from its messages (the rule is the migration's).
const CONVERSATION_WAITS_SQL: &str = "
    WITH ordered AS (
        SELECT sent_at, direction, lag(sent_at) OVER (ORDER BY sent_at, id) AS previous
        FROM messages WHERE conversation_id = ?1 AND stub = 0
    ), asks AS (
        SELECT sent_at AS asked_at, lead(sent_at) OVER (ORDER BY sent_at) AS next_ask
        FROM ordered WHERE direction = 'inbound' AND (previous IS NULL OR sent_at - previous >= ?2)
    )
    INSERT INTO customer_waits (conversation_id, asked_at, answered_at, account_id)
    SELECT ?1, asked_at,
           (SELECT min(o.sent_at) FROM messages o
            WHERE o.conversation_id = ?1 AND o.stub = 0 AND o.direction = 'outbound'
              AND o.sent_at >= asks.asked_at AND (asks.next_ask IS NULL OR o.sent_at < asks.next_ask)),
           (SELECT account_id FROM conversations WHERE id = ?1)
    FROM asks WHERE true
    ON CONFLICT (conversation_id, asked_at) DO NOTHING";

/// What one batch added, gathered while it is applied.
#[derive(Default)]
pub(super) struct BatchFigures {
    /// (conversation, slot) → (inbound, outbound) messages added.
    slots: HashMap<(i64, i64), (i64, i64)>,
    /// Per conversation, the messages added: (sent_at, direction).
    added: HashMap<i64, Vec<(i64, Direction)>>,
}

impl BatchFigures {
    /// A message stored for the first time (a completed placeholder counts: it was not
    /// counted while it was one).
    pub(super) fn message_added(&mut self, conversation_id: i64, direction: Direction, sent_at: i64) {
        let counts = self.slots.entry((conversation_id, sent_at.div_euclid(SLOT_MS))).or_default();
        match direction {
            Direction::Inbound => counts.0 += 1,
            Direction::Outbound => counts.1 += 1,
        }
        self.added.entry(conversation_id).or_default().push((sent_at, direction));
    }

    /// Writes the batch's figures. Runs before the batch's conversation summaries are
    /// written, so `last_message_at` still says where each conversation stood before it.
    pub(super) fn write(self, tx: &Transaction<'_>) -> Result<()> {
        let mut slot = tx
            .prepare_cached(
                "INSERT INTO message_slots (account_id, slot, inbound, outbound)
                 SELECT account_id, ?2, ?3, ?4 FROM conversations WHERE id = ?1
                 ON CONFLICT (account_id, slot) DO UPDATE SET
                     inbound = inbound + excluded.inbound, outbound = outbound + excluded.outbound",
            )
            .ctx("preparing message counts")?;
        for ((conversation_id, at), (inbound, outbound)) in &self.slots {
            slot.execute(params![conversation_id, at, inbound, outbound]).ctx("counting messages")?;
        }
        for (conversation_id, mut added) in self.added {
            added.sort_unstable_by_key(|(at, direction)| (*at, *direction == Direction::Outbound));
            update_conversation(tx, conversation_id, &added)?;
        }
        Ok(())
    }
}

/// The first message time and the waits of one conversation that gained `added` (sorted).
fn update_conversation(tx: &Transaction<'_>, conversation_id: i64, added: &[(i64, Direction)]) -> Result<()> {
    let earliest = added[0].0;
    let (previous_last, previous_inbound): (Option<i64>, Option<i64>) = tx
        .prepare_cached(
            "UPDATE conversations SET first_message_at = min(coalesce(first_message_at, ?2), ?2) WHERE id = ?1
             RETURNING last_message_at, last_inbound_at",
        )
        .and_then(|mut s| s.query_row(params![conversation_id, earliest], |r| Ok((r.get(0)?, r.get(1)?))))
        .optional()
        .ctx("recording a conversation's first message")?
        .unwrap_or_default();
    match previous_last {
        // Everything new comes after what was there (live traffic): extend the figures.
        Some(last) if earliest >= last => {
            extend_waits(tx, conversation_id, Some(last), added)?;
            extend_late_replies(tx, conversation_id, previous_inbound, added)
        }
        None if waits_of(tx, conversation_id)? == 0 => {
            extend_waits(tx, conversation_id, None, added)?;
            extend_late_replies(tx, conversation_id, None, added)
        }
        // History older than what was there: the figures are recomputed.
        _ => refresh_waits(tx, conversation_id),
    }
}

/// Counts the business messages among `added` (all after what was there) sent when the
/// customer's latest message, `last_inbound` before them, was 24 hours old or more.
fn extend_late_replies(
    tx: &Transaction<'_>,
    conversation_id: i64,
    mut last_inbound: Option<i64>,
    added: &[(i64, Direction)],
) -> Result<()> {
    for &(at, direction) in added {
        match direction {
            Direction::Inbound => last_inbound = Some(at),
            Direction::Outbound if last_inbound.is_none_or(|last| at - last >= REPLY_WINDOW_MS) => {
                tx.prepare_cached(
                    "INSERT INTO late_replies (conversation_id, sent_at, account_id)
                     SELECT ?1, ?2, account_id FROM conversations WHERE id = ?1
                     ON CONFLICT (conversation_id, sent_at) DO UPDATE SET count = count + 1",
                )
                .and_then(|mut s| s.execute(params![conversation_id, at]))
                .ctx("counting a late reply")?;
            }
            Direction::Outbound => {}
        }
    }
    Ok(())
}

fn waits_of(tx: &Transaction<'_>, conversation_id: i64) -> Result<i64> {
    tx.prepare_cached("SELECT count(*) FROM customer_waits WHERE conversation_id = ?1")
        .and_then(|mut s| s.query_row([conversation_id], |r| r.get(0)))
        .ctx("reading a conversation's waits")
}

/// Recomputes a conversation's waits and late replies from all its messages.
pub(super) fn refresh_waits(tx: &Transaction<'_>, conversation_id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM customer_waits WHERE conversation_id = ?1")
        .and_then(|mut s| s.execute([conversation_id]))
        .ctx("clearing a conversation's waits")?;
    tx.prepare_cached(CONVERSATION_WAITS_SQL)
        .and_then(|mut s| s.execute(params![conversation_id, QUIET_MS]))
        .ctx("computing a conversation's waits")?;
    tx.prepare_cached("DELETE FROM late_replies WHERE conversation_id = ?1")
        .and_then(|mut s| s.execute([conversation_id]))
        .ctx("clearing a conversation's late replies")?;
    tx.prepare_cached(CONVERSATION_LATE_SQL)
        .and_then(|mut s| s.execute(params![conversation_id, REPLY_WINDOW_MS]))
        .ctx("computing a conversation's late replies")?;
    Ok(())
}

/// Applies the wait rule to messages that all come after `last` (the previous newest).
fn extend_waits(
    tx: &Transaction<'_>,
    conversation_id: i64,
    mut last: Option<i64>,
    added: &[(i64, Direction)],
) -> Result<()> {
    // Whether the newest wait may still be open: only the first business message after
    // an ask can answer it, so the rest of a reply burst costs no statement.
    let mut may_be_open = true;
    for &(at, direction) in added {
        match direction {
            Direction::Inbound if last.is_none_or(|last| at - last >= QUIET_MS) => {
                tx.prepare_cached(
                    "INSERT INTO customer_waits (conversation_id, asked_at, account_id)
                     SELECT ?1, ?2, account_id FROM conversations WHERE id = ?1
                     ON CONFLICT (conversation_id, asked_at) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![conversation_id, at]))
                .ctx("opening a customer's wait")?;
                may_be_open = true;
            }
            Direction::Inbound => {}
            Direction::Outbound if !may_be_open => {}
            // The newest wait, if nobody answered it yet, is answered now.
            Direction::Outbound => {
                may_be_open = false;
                tx.prepare_cached(
                    "UPDATE customer_waits SET answered_at = ?2
                     WHERE conversation_id = ?1 AND answered_at IS NULL AND asked_at <= ?2
                       AND asked_at = (SELECT max(asked_at) FROM customer_waits WHERE conversation_id = ?1)",
                )
                .and_then(|mut s| s.execute(params![conversation_id, at]))
                .ctx("answering a customer's wait")?;
            }
        }
        last = Some(at);
    }
    Ok(())
}

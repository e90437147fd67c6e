//! Rows for the report's CSV files: conversations active in a range with their counts,
//! and the range's messages. Walked with a callback, so a year of messages is written
//! row by row instead of being held in memory.

use rusqlite::{Connection, params};

use super::outbox::platform_of;
use super::reports::Scope;
use crate::domain::error::{Result, SqlContext as _};
use crate::domain::events::{Direction, MessageKind, Platform};

/// One conversation with messages in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    pub platform: Platform,
    pub account: String,
    pub contact: String,
    pub first_message_at: Option<i64>,
    /// The first ask in the range and its answer.
    pub asked_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub done_at: Option<i64>,
    /// Where the resolution is measured from: the latest ask before Done (as the report's
    /// resolution figure), else the first message.
    pub resolved_from: Option<i64>,
    pub inbound: u32,
    pub outbound: u32,
    pub state: String,
}

/// Conversations with messages in [start, end), oldest first.
pub fn conversations(
    conn: &Connection,
    start: i64,
    end: i64,
    scope: Scope<'_>,
    mut each: impl FnMut(ConversationRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn
        .prepare(
            "WITH counted AS (
                 SELECT m.conversation_id AS id, sum(m.direction = 'inbound') AS inbound,
                        sum(m.direction = 'outbound') AS outbound
                 FROM messages m WHERE m.stub = 0 AND m.sent_at >= ?1 AND m.sent_at < ?2 GROUP BY m.conversation_id
             )
             SELECT a.platform, coalesce(a.display_name, a.asset_id),
                    coalesce(ct.name, ct.handle, ct.phone, ct.platform_user_id), c.first_message_at,
                    w.asked_at, w.answered_at, c.done_at, counted.inbound, counted.outbound, c.state,
                    coalesce((SELECT max(asked_at) FROM customer_waits WHERE conversation_id = c.id AND asked_at <= c.done_at),
                             c.first_message_at)
             FROM counted JOIN conversations c ON c.id = counted.id
                  JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
                  LEFT JOIN customer_waits w ON w.conversation_id = c.id AND w.asked_at =
                      (SELECT min(asked_at) FROM customer_waits WHERE conversation_id = c.id AND asked_at >= ?1 AND asked_at < ?2)
             WHERE (?3 IS NULL OR a.platform = ?3) AND (?4 IS NULL OR a.id = ?4)
             ORDER BY c.first_message_at, c.id",
        )
        .ctx("preparing the conversations export")?;
    let mut rows = stmt.query(params![start, end, scope.platform, scope.account_id]).ctx("exporting conversations")?;
    while let Some(r) = rows.next().ctx("exporting conversations")? {
        let row = ConversationRow {
            platform: platform_of(&r.get::<_, String>(0).ctx("exporting conversations")?),
            account: r.get(1).ctx("exporting conversations")?,
            contact: r.get(2).ctx("exporting conversations")?,
            first_message_at: r.get(3).ctx("exporting conversations")?,
            asked_at: r.get(4).ctx("exporting conversations")?,
            answered_at: r.get(5).ctx("exporting conversations")?,
            done_at: r.get(6).ctx("exporting conversations")?,
            inbound: r.get(7).ctx("exporting conversations")?,
            outbound: r.get(8).ctx("exporting conversations")?,
            state: r.get(9).ctx("exporting conversations")?,
            resolved_from: r.get(10).ctx("exporting conversations")?,
        };
        each(row)?;
    }
    Ok(())
}

/// One message of the range.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub sent_at: i64,
    pub platform: Platform,
    pub account: String,
    pub contact: String,
    pub direction: Direction,
    pub kind: MessageKind,
    /// As shown: the latest edit, none once unsent.
    pub text: Option<String>,
    pub attachments: u32,
}

/// Messages in [start, end), in time order.
pub fn messages(
    conn: &Connection,
    start: i64,
    end: i64,
    scope: Scope<'_>,
    mut each: impl FnMut(MessageRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn
        .prepare(
            "SELECT m.sent_at, a.platform, coalesce(a.display_name, a.asset_id),
                    coalesce(ct.name, ct.handle, ct.phone, ct.platform_user_id), m.direction, m.kind, m.body,
                    (SELECT count(*) FROM attachments WHERE message_id = m.id)
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
                  JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
             WHERE m.stub = 0 AND m.sent_at >= ?1 AND m.sent_at < ?2
               AND (?3 IS NULL OR a.platform = ?3) AND (?4 IS NULL OR a.id = ?4)
             ORDER BY m.sent_at, m.id",
        )
        .ctx("preparing the messages export")?;
    let mut rows = stmt.query(params![start, end, scope.platform, scope.account_id]).ctx("exporting messages")?;
    while let Some(r) = rows.next().ctx("exporting messages")? {
        let direction: String = r.get(4).ctx("exporting messages")?;
        let kind: String = r.get(5).ctx("exporting messages")?;
        let row = MessageRow {
            sent_at: r.get(0).ctx("exporting messages")?,
            platform: platform_of(&r.get::<_, String>(1).ctx("exporting messages")?),
            account: r.get(2).ctx("exporting messages")?,
            contact: r.get(3).ctx("exporting messages")?,
            direction: if direction == "outbound" { Direction::Outbound } else { Direction::Inbound },
            kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Unsupported),
            text: r.get(6).ctx("exporting messages")?,
            attachments: r.get(7).ctx("exporting messages")?,
        };
        each(row)?;
    }
    Ok(())
}

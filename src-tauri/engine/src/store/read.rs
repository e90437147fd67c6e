//! Reads: the inbox list, search and counts; a thread's pages are in [`super::thread_page`].
//! All lists are keyset-paginated (the cursor is the last row's sort key), so page N
//! costs the same as page 1.

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter, types::Value};

pub use super::thread_page::thread;
use crate::domain::error::{Error, Result, SqlContext};
use crate::domain::events::*;
use crate::domain::reply_window::reply_window;
use crate::domain::views::*;
use crate::store::search::{HIGHLIGHT_END, HIGHLIGHT_START, fts_query, split_snippet};

/// Columns of a conversation summary; used with [`summary_at`].
const SUMMARY_COLUMNS: &str = "c.id, c.platform, a.id, a.asset_id, a.display_name, a.status,
    ct.id, ct.platform_user_id, ct.name, ct.handle, ct.phone, ct.avatar_url,
    m.direction, m.kind, m.body, m.deleted_at, m.status,
    (SELECT count(*) FROM attachments WHERE message_id = m.id),
    c.last_message_at, c.unread_count, c.marked_unread, c.last_inbound_at, c.state";

const SUMMARY_FROM: &str = "conversations c
    JOIN accounts a ON a.id = c.account_id
    JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN messages m ON m.id = c.last_message_id";

/// Reads a conversation summary row as of `now`, which decides its reply window.
fn summary_at(now: i64) -> impl Fn(&Row<'_>) -> rusqlite::Result<ConversationSummary> {
    move |r| summary_from_row(r, now)
}

fn summary_from_row(r: &Row<'_>, now: i64) -> rusqlite::Result<ConversationSummary> {
    let platform: String = r.get(1)?;
    let platform = Platform::parse(&platform).unwrap_or(Platform::Messenger);
    let direction: Option<String> = r.get(12)?;
    let preview = match direction {
        Some(direction) => {
            let kind: String = r.get(13)?;
            let status: i64 = r.get(16)?;
            let direction = parse_direction(&direction);
            Some(MessagePreview {
                direction,
                kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Unsupported),
                text: r.get(14)?,
                deleted: r.get::<_, Option<i64>>(15)?.is_some(),
                status: (direction == Direction::Outbound).then(|| DeliveryStatus::from_rank(status)).flatten(),
                attachment_count: r.get(17)?,
            })
        }
        None => None,
    };
    let state: String = r.get(22)?;
    let last_inbound_at = r.get(21)?;
    Ok(ConversationSummary {
        id: r.get::<_, i64>(0)?.to_string(),
        platform,
        account: AccountRef { id: r.get(2)?, platform, asset_id: r.get(3)?, name: r.get(4)?, status: r.get(5)? },
        contact: ContactRef {
            id: r.get::<_, i64>(6)?.to_string(),
            platform_user_id: r.get(7)?,
            name: r.get(8)?,
            handle: r.get(9)?,
            phone: r.get(10)?,
            avatar_url: r.get(11)?,
        },
        preview,
        last_message_at: r.get(18)?,
        unread_count: r.get(19)?,
        marked_unread: r.get(20)?,
        last_inbound_at,
        reply_window: reply_window(platform, last_inbound_at, now),
        state: ConversationState::parse(&state).unwrap_or(ConversationState::Open),
    })
}

pub(super) fn parse_direction(s: &str) -> Direction {
    if s == "outbound" { Direction::Outbound } else { Direction::Inbound }
}

/// Parses an opaque id the window got from us.
pub fn parse_id(what: &str, id: &str) -> Result<i64> {
    id.parse().map_err(|_| Error::Invalid(format!("{what} id {id:?} is not valid")))
}

/// Cursors are "<sort time>:<row id>" of the last row of the previous page.
pub(super) fn parse_cursor(cursor: &str) -> Result<(i64, i64)> {
    let invalid = || Error::Invalid(format!("page cursor {cursor:?} is not valid"));
    let (at, id) = cursor.split_once(':').ok_or_else(invalid)?;
    Ok((at.parse().map_err(|_| invalid())?, id.parse().map_err(|_| invalid())?))
}

pub(super) fn clamp_limit(limit: Option<u32>, default: u32, max: u32) -> i64 {
    limit.unwrap_or(default).clamp(1, max) as i64
}

pub fn list_conversations(conn: &Connection, req: &ListConversationsRequest, now: i64) -> Result<ConversationPage> {
    let limit = clamp_limit(req.limit, 50, 200);
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE c.last_message_id IS NOT NULL");
    let mut args: Vec<Value> = Vec::new();
    let f = &req.filter;
    if let Some(p) = f.platform {
        sql.push_str(" AND c.platform = ?");
        args.push(Value::Text(p.as_str().into()));
    }
    if let Some(account) = f.account_id {
        sql.push_str(" AND c.account_id = ?");
        args.push(Value::Integer(account));
    }
    match f.state {
        // Spelled like the partial index's condition so the planner can use it.
        Some(ConversationState::Done) => sql.push_str(" AND c.state = 'done'"),
        Some(ConversationState::Open) => sql.push_str(" AND c.state = 'open'"),
        None => {}
    }
    if f.unread_only {
        sql.push_str(" AND (c.unread_count > 0 OR c.marked_unread = 1)");
    }
    if let Some(cursor) = &req.cursor {
        let (at, id) = parse_cursor(cursor)?;
        sql.push_str(" AND (c.last_message_at < ? OR (c.last_message_at = ? AND c.id < ?))");
        args.extend([Value::Integer(at), Value::Integer(at), Value::Integer(id)]);
    }
    sql.push_str(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?");
    // One extra row tells whether there is a next page.
    args.push(Value::Integer(limit + 1));
    let mut stmt = conn.prepare_cached(&sql).ctx("preparing the conversation list")?;
    let mut items: Vec<ConversationSummary> = stmt
        .query_map(params_from_iter(args), summary_at(now))
        .and_then(|rows| rows.collect())
        .ctx("listing conversations")?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|c| format!("{}:{}", c.last_message_at.unwrap_or(0), c.id))
    } else {
        None
    };
    Ok(ConversationPage { items, next_cursor })
}

pub fn conversation(conn: &Connection, id: i64, now: i64) -> Result<ConversationSummary> {
    conn.prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE c.id = ?1"))
        .and_then(|mut s| s.query_row([id], summary_at(now)).optional())
        .ctx("reading a conversation")?
        .ok_or_else(|| Error::NotFound { what: format!("conversation {id}") })
}

pub fn search(conn: &Connection, req: &SearchRequest, now: i64) -> Result<SearchResults> {
    let Some(query) = fts_query(&req.query) else {
        return Ok(SearchResults { conversations: Vec::new(), messages: Vec::new() });
    };
    let limit = clamp_limit(req.limit, 50, 200);
    // Newest first by row id: FTS5 walks its index in rowid order and stops at LIMIT, so a
    // common word costs the same as a rare one. Rank by bm25 would score every match.
    let mut stmt = conn
        .prepare_cached(
            "SELECT m.conversation_id, m.id, c.platform, ct.name, m.direction, m.sent_at,
                    snippet(messages_fts, 0, ?2, ?3, '…', 12)
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             JOIN contacts ct ON ct.id = c.contact_id
             WHERE messages_fts MATCH ?1 AND m.stub = 0
             ORDER BY messages_fts.rowid DESC LIMIT ?4",
        )
        .ctx("preparing message search")?;
    let messages = stmt
        .query_map(params![query, HIGHLIGHT_START.to_string(), HIGHLIGHT_END.to_string(), limit], |r| {
            let platform: String = r.get(2)?;
            Ok(MessageHit {
                conversation_id: r.get::<_, i64>(0)?.to_string(),
                message_id: r.get::<_, i64>(1)?.to_string(),
                platform: Platform::parse(&platform).unwrap_or(Platform::Messenger),
                contact_name: r.get(3)?,
                direction: parse_direction(&r.get::<_, String>(4)?),
                sent_at: r.get(5)?,
                snippet: split_snippet(&r.get::<_, String>(6)?),
            })
        })
        .and_then(|rows| rows.collect())
        .ctx("searching messages")?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM}
             WHERE c.contact_id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?1 LIMIT 200)
               AND c.last_message_id IS NOT NULL
             ORDER BY c.last_message_at DESC LIMIT 20"
        ))
        .ctx("preparing contact search")?;
    let conversations =
        stmt.query_map([&query], summary_at(now)).and_then(|rows| rows.collect()).ctx("searching contacts")?;
    Ok(SearchResults { conversations, messages })
}

pub fn counts(conn: &Connection) -> Result<Counts> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT platform, count(*), sum(unread_count > 0 OR marked_unread = 1), sum(state = 'open')
             FROM conversations WHERE last_message_id IS NOT NULL GROUP BY platform",
        )
        .ctx("preparing counts")?;
    let mut counts = Counts { conversations: 0, unread: 0, open: 0, done: 0, by_platform: Vec::new(), messages: 0 };
    let rows: Vec<(String, u32, u32, u32)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .and_then(|rows| rows.collect())
        .ctx("counting conversations")?;
    for platform in Platform::ALL {
        let (total, unread, open) =
            rows.iter().find(|r| r.0 == platform.as_str()).map(|r| (r.1, r.2, r.3)).unwrap_or((0, 0, 0));
        counts.conversations += total;
        counts.unread += unread;
        counts.open += open;
        counts.done += total - open;
        counts.by_platform.push(PlatformCount { platform, conversations: total, unread });
    }
    // MAX(id) instead of count(*): O(1), and exact enough for a status line (rows are
    // never deleted except with their account).
    counts.messages = conn
        .query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |r| r.get::<_, i64>(0))
        .ctx("counting messages")? as u64;
    Ok(counts)
}

/// True when the store holds no conversation to show.
pub fn is_empty(conn: &Connection) -> Result<bool> {
    conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM conversations WHERE last_message_id IS NOT NULL)", [], |r| {
        r.get(0)
    })
    .ctx("checking whether the store is empty")
}

/// The highest conversation id (0 in an empty store): the bench picks random threads below it.
pub fn max_conversation_id(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT MAX(id) FROM conversations", [], |r| r.get::<_, Option<i64>>(0))
        .ctx("reading conversation ids")
        .map(|id| id.unwrap_or(0))
}

/// Change-log entries after `seq`: (newest seq, touched conversation ids, everything?).
pub fn changes_since(conn: &Connection, seq: i64) -> Result<(i64, Vec<i64>, bool)> {
    let mut stmt = conn
        .prepare_cached("SELECT seq, conversation_id FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT 5001")
        .ctx("preparing the change log tail")?;
    let rows: Vec<(i64, Option<i64>)> = stmt
        .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .ctx("tailing the change log")?;
    let newest = rows.last().map_or(seq, |r| r.0);
    // The log was pruned past our cursor, or a bulk write: reload everything.
    let oldest_kept: Option<i64> =
        conn.query_row("SELECT MIN(seq) FROM change_log", [], |r| r.get(0)).ctx("reading the change log start")?;
    let gap = seq > 0 && oldest_kept.is_some_and(|first| first > seq + 1);
    let everything = gap || rows.len() > 5000 || rows.iter().any(|r| r.1.is_none());
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.1).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok((newest, ids, everything))
}

pub fn latest_change(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| r.get(0)).ctx("reading the change log head")
}

/// The account a conversation belongs to, if the conversation exists.
pub fn conversation_account(conn: &Connection, id: i64) -> Result<Option<i64>> {
    conn.query_row("SELECT account_id FROM conversations WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .ctx("reading a conversation")
}

//! A thread's pages: newest first, keyset-paginated, each message with its attachments,
//! reactions and the message it quotes.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension as _, Row, Statement, params, params_from_iter};

use super::read::{clamp_limit, conversation, parse_cursor, parse_direction, parse_id};
use crate::domain::error::{Result, SqlContext as _};
use crate::domain::events::*;
use crate::domain::views::*;

const PAGE_SQL: &str = "SELECT id, platform_message_id, direction, kind, body, edit_count, deleted_at, sent_at, status,
        failure_code, failure_reason, reply_to_mid, reply_to_story_url, extras, platform
    FROM messages
    WHERE conversation_id = ?1 AND stub = 0 AND (sent_at < ?2 OR (sent_at = ?2 AND id < ?3))
    ORDER BY sent_at DESC, id DESC LIMIT ?4";

const REACTIONS_SQL: &str = "SELECT actor, emoji FROM reactions WHERE platform = ?1 AND platform_message_id = ?2
    AND emoji IS NOT NULL ORDER BY reacted_at";

const QUOTED_SQL: &str = "SELECT direction, kind, body, deleted_at FROM messages WHERE platform = ?1
    AND platform_message_id = ?2 AND stub = 0";

/// A message row before its attachments, reactions and quote are added.
struct PageRow {
    id: i64,
    msg: ThreadMessage,
    reply_mid: Option<String>,
    story_url: Option<String>,
    platform: String,
}

pub fn thread(conn: &Connection, req: &ThreadRequest, now: i64) -> Result<ThreadPage> {
    let conversation_id = parse_id("conversation", &req.conversation_id)?;
    let conversation = conversation(conn, conversation_id, now)?;
    let limit = clamp_limit(req.limit, 60, 500);
    let before = match &req.cursor {
        Some(c) => parse_cursor(c)?,
        None => (i64::MAX, i64::MAX),
    };
    let (rows, next_cursor) = page_rows(conn, conversation_id, before, limit)?;
    let messages = complete(conn, rows)?;
    Ok(ThreadPage { conversation, messages, next_cursor })
}

/// One page of rows older than `before` (time, id), and the cursor of the next if any.
fn page_rows(
    conn: &Connection,
    conversation_id: i64,
    (before_at, before_id): (i64, i64),
    limit: i64,
) -> Result<(Vec<PageRow>, Option<String>)> {
    let mut stmt = conn.prepare_cached(PAGE_SQL).ctx("preparing a thread page")?;
    // One extra row tells whether there is a next page.
    let mut rows: Vec<PageRow> = stmt
        .query_map(params![conversation_id, before_at, before_id, limit + 1], message_row)
        .and_then(|rows| rows.collect())
        .ctx("reading a thread page")?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| format!("{}:{}", r.msg.sent_at, r.msg.id))
    } else {
        None
    };
    Ok((rows, next_cursor))
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<PageRow> {
    let id: i64 = r.get(0)?;
    let direction = parse_direction(&r.get::<_, String>(2)?);
    let kind: String = r.get(3)?;
    let status: i64 = r.get(8)?;
    let failure_code: Option<i64> = r.get(9)?;
    let failure_reason: Option<String> = r.get(10)?;
    let extras: Option<String> = r.get(13)?;
    Ok(PageRow {
        id,
        msg: ThreadMessage {
            id: id.to_string(),
            mid: r.get(1)?,
            direction,
            kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Unsupported),
            text: r.get(4)?,
            edited: r.get::<_, i64>(5)? > 0,
            deleted: r.get::<_, Option<i64>>(6)?.is_some(),
            sent_at: r.get(7)?,
            status: (direction == Direction::Outbound).then(|| DeliveryStatus::from_rank(status)).flatten(),
            failure: (failure_code.is_some() || failure_reason.is_some())
                .then_some(Failure { code: failure_code, reason: failure_reason }),
            attachments: Vec::new(),
            reactions: Vec::new(),
            quoted: None,
            // Unreadable extras (a newer build's fields) degrade to none rather than
            // hiding the message.
            extras: extras.and_then(|e| serde_json::from_str(&e).ok()).unwrap_or_default(),
        },
        reply_mid: r.get(11)?,
        story_url: r.get(12)?,
        platform: r.get(14)?,
    })
}

/// Adds to each row its attachments (one query for the page), reactions and quote.
fn complete(conn: &Connection, rows: Vec<PageRow>) -> Result<Vec<ThreadMessage>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut attachments = attachments_for(conn, &ids)?;
    let mut reactions = conn.prepare_cached(REACTIONS_SQL).ctx("preparing reactions")?;
    let mut quoted = conn.prepare_cached(QUOTED_SQL).ctx("preparing quoted messages")?;
    let mut messages = Vec::with_capacity(rows.len());
    for row in rows {
        let mut msg = row.msg;
        msg.attachments = attachments.remove(&row.id).unwrap_or_default();
        msg.reactions = reactions_of(&mut reactions, &row.platform, &msg.mid)?;
        msg.quoted = match (row.reply_mid, row.story_url) {
            (Some(mid), _) => Some(quote_of(&mut quoted, &row.platform, mid)?),
            (None, Some(url)) => Some(Quoted::Story { url: Some(url) }),
            (None, None) => None,
        };
        messages.push(msg);
    }
    Ok(messages)
}

fn reactions_of(stmt: &mut Statement<'_>, platform: &str, mid: &str) -> Result<Vec<Reaction>> {
    stmt.query_map(params![platform, mid], |r| {
        let actor: String = r.get(0)?;
        Ok(Reaction { actor: if actor == "business" { Actor::Business } else { Actor::Contact }, emoji: r.get(1)? })
    })
    .and_then(|rows| rows.collect())
    .ctx("reading reactions")
}

/// The message a reply quotes; one not in the store (older than the loaded history) is
/// still named by its id.
fn quote_of(stmt: &mut Statement<'_>, platform: &str, mid: String) -> Result<Quoted> {
    let found = stmt
        .query_row(params![platform, mid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .optional()
        .ctx("reading a quoted message")?;
    Ok(match found {
        Some((direction, kind, text, deleted)) => Quoted::Message {
            mid,
            direction: Some(parse_direction(&direction)),
            kind: MessageKind::parse(&kind),
            text,
            deleted: deleted.is_some(),
        },
        None => Quoted::Message { mid, direction: None, kind: None, text: None, deleted: false },
    })
}

/// The attachment columns every reader takes, in the order [`stored_attachment`] reads them.
pub(super) const ATTACHMENT_COLUMNS: &str =
    "message_id, kind, mime_type, url, media_id, filename, size_bytes, sha256, title, voice, animated, local_path";

/// A row starting with [`ATTACHMENT_COLUMNS`]: its message's row id and the attachment.
pub(super) fn stored_attachment(r: &Row<'_>) -> rusqlite::Result<(i64, Attachment)> {
    let kind: Option<String> = r.get(1)?;
    Ok((
        r.get(0)?,
        Attachment {
            kind: kind.as_deref().and_then(AttachmentKind::parse),
            mime_type: r.get(2)?,
            url: r.get(3)?,
            media_id: r.get(4)?,
            filename: r.get(5)?,
            size_bytes: r.get(6)?,
            sha256: r.get(7)?,
            title: r.get(8)?,
            voice: r.get(9)?,
            animated: r.get(10)?,
            local_path: r.get(11)?,
            ..Attachment::default()
        },
    ))
}

fn attachments_for(conn: &Connection, message_ids: &[i64]) -> Result<HashMap<i64, Vec<Attachment>>> {
    let mut out: HashMap<i64, Vec<Attachment>> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(out);
    }
    let placeholders = vec!["?"; message_ids.len()].join(",");
    let sql = format!(
        "SELECT {ATTACHMENT_COLUMNS}, thumbnail_path, CASE WHEN download_state IS NOT NULL THEN download_error END
         FROM attachments WHERE message_id IN ({placeholders}) ORDER BY message_id, position"
    );
    let mut stmt = conn.prepare(&sql).ctx("preparing attachments")?;
    let rows = stmt
        .query_map(params_from_iter(message_ids), |r| {
            let (id, attachment) = stored_attachment(r)?;
            Ok((id, Attachment { thumbnail_path: r.get(12)?, download_error: r.get(13)?, ..attachment }))
        })
        .ctx("reading attachments")?;
    for row in rows {
        let (id, attachment) = row.ctx("reading an attachment")?;
        out.entry(id).or_default().push(attachment);
    }
    Ok(out)
}

//! Reads for reports: the figures kept with the messages ([`super::report_figures`]) over
//! a range of instants, narrowed to a platform or an account. Each read walks one index
//! range per account (a business has a handful), covering what it needs, with no join;
//! arranging the rows by local day is the domain's.

use rusqlite::{Connection, params};

use super::outbox::platform_of;
use crate::domain::error::{Result, SqlContext as _};
use crate::domain::events::Platform;
use crate::domain::report::{RangeFacts, ReportRequest, SLOT_MS, SlotCount, SlowConversation, Wait};

/// Which conversations a report counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    pub platform: Option<&'a str>,
    pub account_id: Option<i64>,
}

impl<'a> Scope<'a> {
    pub fn of(request: &'a ReportRequest) -> Scope<'a> {
        Scope { platform: request.platform.map(|p| p.as_str()), account_id: request.account_id }
    }
}

/// The accounts a scope covers, with their platforms.
fn accounts(conn: &Connection, scope: Scope<'_>) -> Result<Vec<(i64, Platform)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, platform FROM accounts WHERE (?1 IS NULL OR platform = ?1) AND (?2 IS NULL OR id = ?2)",
        )
        .ctx("preparing the report's accounts")?;
    let rows = stmt
        .query_map(params![scope.platform, scope.account_id], |r| Ok((r.get(0)?, platform_of(&r.get::<_, String>(1)?))))
        .ctx("reading the report's accounts")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading the report's accounts")
}

/// Everything a report needs about [start, end).
pub fn range_facts(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<RangeFacts> {
    let accounts = accounts(conn, scope)?;
    Ok(RangeFacts {
        slots: slots(conn, start, end, &accounts)?,
        conversation_starts: conversation_starts(conn, start, end, scope)?,
        waits: waits(conn, start, end, &accounts)?,
        resolutions: resolutions(conn, start, end, scope)?,
        late_replies: late_replies(conn, start, end, &accounts)?,
    })
}

/// Messages in [start, end), from the slot counts (a messages file's row count, known
/// before it is written).
pub fn message_count(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<u32> {
    let accounts = accounts(conn, scope)?;
    Ok(slots(conn, start, end, &accounts)?.iter().map(|s| s.inbound + s.outbound).sum())
}

fn late_replies(conn: &Connection, start: i64, end: i64, accounts: &[(i64, Platform)]) -> Result<Vec<(Platform, u32)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT coalesce(sum(count), 0) FROM late_replies INDEXED BY late_replies_by_time
             WHERE account_id = ?1 AND sent_at >= ?2 AND sent_at < ?3",
        )
        .ctx("preparing late replies")?;
    accounts
        .iter()
        .map(|&(account, platform)| {
            let n = stmt.query_row(params![account, start, end], |r| r.get(0)).ctx("counting late replies")?;
            Ok((platform, n))
        })
        .collect()
}

/// Today's slots and waits, for the live counters.
pub fn today_facts(conn: &Connection, start: i64, end: i64) -> Result<RangeFacts> {
    let accounts = accounts(conn, Scope::default())?;
    Ok(RangeFacts {
        slots: slots(conn, start, end, &accounts)?,
        waits: waits(conn, start, end, &accounts)?,
        ..RangeFacts::default()
    })
}

fn slots(conn: &Connection, start: i64, end: i64, accounts: &[(i64, Platform)]) -> Result<Vec<SlotCount>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT slot, inbound, outbound FROM message_slots WHERE account_id = ?1 AND slot >= ?2 AND slot < ?3",
        )
        .ctx("preparing message counts")?;
    // A slot belongs to the range when it starts in it; ranges start on local midnights,
    // which are slot boundaries in every time zone.
    let (first, past) = (start.div_euclid(SLOT_MS), end.div_euclid(SLOT_MS) + i64::from(end % SLOT_MS != 0));
    let mut out = Vec::new();
    for &(account, platform) in accounts {
        let rows = stmt
            .query_map(params![account, first, past], |r| {
                Ok(SlotCount { slot: r.get(0)?, platform, inbound: r.get(1)?, outbound: r.get(2)? })
            })
            .ctx("reading message counts")?;
        for row in rows {
            out.push(row.ctx("reading message counts")?);
        }
    }
    Ok(out)
}

fn conversation_starts(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<Vec<(i64, Platform)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT c.first_message_at, a.platform FROM conversations c JOIN accounts a ON a.id = c.account_id
             WHERE c.first_message_at >= ?1 AND c.first_message_at < ?2
               AND (?3 IS NULL OR a.platform = ?3) AND (?4 IS NULL OR a.id = ?4)",
        )
        .ctx("preparing new conversations")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id], |r| {
            Ok((r.get(0)?, platform_of(&r.get::<_, String>(1)?)))
        })
        .ctx("reading new conversations")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading new conversations")
}

fn waits(conn: &Connection, start: i64, end: i64, accounts: &[(i64, Platform)]) -> Result<Vec<Wait>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT conversation_id, asked_at, answered_at FROM customer_waits INDEXED BY customer_waits_by_time
             WHERE account_id = ?1 AND asked_at >= ?2 AND asked_at < ?3",
        )
        .ctx("preparing customer waits")?;
    let mut out = Vec::new();
    for &(account, platform) in accounts {
        let rows = stmt
            .query_map(params![account, start, end], |r| {
                Ok(Wait { conversation_id: r.get(0)?, platform, asked_at: r.get(1)?, answered_at: r.get(2)? })
            })
            .ctx("reading customer waits")?;
        for row in rows {
            out.push(row.ctx("reading customer waits")?);
        }
    }
    Ok(out)
}

/// (asked, done) for conversations marked done in the range: from the customer's latest
/// ask before Done (the conversation's first message when nobody asked).
fn resolutions(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<Vec<(i64, i64, Platform)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT coalesce((SELECT max(w.asked_at) FROM customer_waits w
                              WHERE w.conversation_id = c.id AND w.asked_at <= c.done_at), c.first_message_at),
                    c.done_at, a.platform
             FROM conversations c JOIN accounts a ON a.id = c.account_id
             WHERE c.done_at >= ?1 AND c.done_at < ?2 AND c.first_message_at IS NOT NULL
               AND (?3 IS NULL OR a.platform = ?3) AND (?4 IS NULL OR a.id = ?4)",
        )
        .ctx("preparing resolutions")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id], |r| {
            Ok((r.get(0)?, r.get(1)?, platform_of(&r.get::<_, String>(2)?)))
        })
        .ctx("reading resolutions")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading resolutions")
}

fn contact_name(conn: &Connection, conversation_id: i64) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT coalesce(ct.name, ct.handle, ct.phone) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.id = ?1",
    )
    .and_then(|mut s| s.query_row([conversation_id], |r| r.get(0)))
    .ctx("reading a contact's name")
}

/// `waits` (ranked by the caller, with how long each took) with who asked.
pub fn named(conn: &Connection, waits: &[(&Wait, Option<i64>)]) -> Result<Vec<SlowConversation>> {
    waits
        .iter()
        .map(|(w, took)| {
            Ok(SlowConversation {
                conversation_id: w.conversation_id.to_string(),
                platform: w.platform,
                contact_name: contact_name(conn, w.conversation_id)?,
                asked_at: w.asked_at,
                first_response_ms: *took,
            })
        })
        .collect()
}

/// Open conversations whose newest message is the customer's (the `conversations_awaiting`
/// index holds exactly these): how many.
pub fn unanswered_count(conn: &Connection, scope: Scope<'_>) -> Result<u32> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT count(*) FROM conversations INDEXED BY conversations_awaiting
             WHERE account_id = ?1 AND state = 'open' AND last_inbound_at = last_message_at",
        )
        .ctx("preparing unanswered conversations")?;
    let mut total = 0;
    for (account, _) in accounts(conn, scope)? {
        total += stmt.query_row([account], |r| r.get::<_, u32>(0)).ctx("counting unanswered conversations")?;
    }
    Ok(total)
}

/// How many conversations wait for an answer, and those waiting longest (since their
/// newest message).
pub fn unanswered(conn: &Connection, scope: Scope<'_>, limit: usize) -> Result<(u32, Vec<SlowConversation>)> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, last_message_at FROM conversations INDEXED BY conversations_awaiting
             WHERE account_id = ?1 AND state = 'open' AND last_inbound_at = last_message_at
             ORDER BY last_message_at LIMIT ?2",
        )
        .ctx("preparing unanswered conversations")?;
    let mut oldest: Vec<Wait> = Vec::new();
    for (account, platform) in accounts(conn, scope)? {
        let rows = stmt
            .query_map(params![account, limit as i64], |r| {
                Ok(Wait { conversation_id: r.get(0)?, platform, asked_at: r.get(1)?, answered_at: None })
            })
            .ctx("reading unanswered conversations")?;
        for row in rows {
            oldest.push(row.ctx("reading unanswered conversations")?);
        }
    }
    oldest.sort_by_key(|w| w.asked_at);
    let listed: Vec<(&Wait, Option<i64>)> = oldest.iter().take(limit).map(|w| (w, None)).collect();
    Ok((unanswered_count(conn, scope)?, named(conn, &listed)?))
}

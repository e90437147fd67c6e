//! Reads for reports: the figures kept with the messages ([`super::report_figures`]) over
//! a range of instants, narrowed to a platform or an account. Each is one indexed range
//! read of a small table; arranging them by local day is the domain's.

use rusqlite::{Connection, Row, params};

use super::outbox::platform_of;
use crate::domain::error::{Result, SqlContext as _};
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

/// The SQL condition on accounts `a` for a scope, taking parameters ?3 and ?4.
const SCOPE: &str = "(?3 IS NULL OR a.platform = ?3) AND (?4 IS NULL OR a.id = ?4)";

/// Everything a report needs about [start, end).
pub fn range_facts(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<RangeFacts> {
    Ok(RangeFacts {
        slots: slots(conn, start, end, scope)?,
        conversation_starts: conversation_starts(conn, start, end, scope)?,
        waits: waits(conn, start, end, scope)?,
        resolutions: resolutions(conn, start, end, scope)?,
    })
}

pub fn slots(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<Vec<SlotCount>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT s.slot, a.platform, s.inbound, s.outbound FROM message_slots s JOIN accounts a ON a.id = s.account_id
             WHERE s.slot >= ?1 AND s.slot < ?2 AND {SCOPE}"
        ))
        .ctx("preparing message counts")?;
    // A slot belongs to the range when it starts in it; ranges start on local midnights,
    // which are slot boundaries in every time zone.
    let (first, past) = (start.div_euclid(SLOT_MS), end.div_euclid(SLOT_MS) + i64::from(end % SLOT_MS != 0));
    let rows = stmt
        .query_map(params![first, past, scope.platform, scope.account_id], |r| {
            Ok(SlotCount {
                slot: r.get(0)?,
                platform: platform_of(&r.get::<_, String>(1)?),
                inbound: r.get(2)?,
                outbound: r.get(3)?,
            })
        })
        .ctx("reading message counts")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading message counts")
}

fn conversation_starts(
    conn: &Connection,
    start: i64,
    end: i64,
    scope: Scope<'_>,
) -> Result<Vec<(i64, crate::domain::events::Platform)>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT c.first_message_at, a.platform FROM conversations c JOIN accounts a ON a.id = c.account_id
             WHERE c.first_message_at >= ?1 AND c.first_message_at < ?2 AND {SCOPE}"
        ))
        .ctx("preparing new conversations")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id], |r| {
            Ok((r.get(0)?, platform_of(&r.get::<_, String>(1)?)))
        })
        .ctx("reading new conversations")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading new conversations")
}

pub fn waits(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<Vec<Wait>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT w.conversation_id, a.platform, w.asked_at, w.answered_at
             FROM customer_waits w JOIN conversations c ON c.id = w.conversation_id JOIN accounts a ON a.id = c.account_id
             WHERE w.asked_at >= ?1 AND w.asked_at < ?2 AND {SCOPE}"
        ))
        .ctx("preparing customer waits")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id], |r| {
            Ok(Wait {
                conversation_id: r.get(0)?,
                platform: platform_of(&r.get::<_, String>(1)?),
                asked_at: r.get(2)?,
                answered_at: r.get(3)?,
            })
        })
        .ctx("reading customer waits")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading customer waits")
}

/// (asked, done) for conversations marked done in the range: from the customer's latest
/// ask before Done (the conversation's first message when nobody asked).
fn resolutions(conn: &Connection, start: i64, end: i64, scope: Scope<'_>) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT coalesce((SELECT max(w.asked_at) FROM customer_waits w
                              WHERE w.conversation_id = c.id AND w.asked_at <= c.done_at), c.first_message_at),
                    c.done_at
             FROM conversations c JOIN accounts a ON a.id = c.account_id
             WHERE c.done_at >= ?1 AND c.done_at < ?2 AND c.first_message_at IS NOT NULL AND {SCOPE}"
        ))
        .ctx("preparing resolutions")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .ctx("reading resolutions")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading resolutions")
}

fn slow_from_row(r: &Row<'_>) -> rusqlite::Result<SlowConversation> {
    let asked_at: i64 = r.get(3)?;
    Ok(SlowConversation {
        conversation_id: r.get::<_, i64>(0)?.to_string(),
        platform: platform_of(&r.get::<_, String>(1)?),
        contact_name: r.get(2)?,
        asked_at,
        first_response_ms: r.get::<_, Option<i64>>(4)?.map(|answered| answered - asked_at),
    })
}

/// The waits of the range that took longest to answer, unanswered first.
pub fn slowest(conn: &Connection, start: i64, end: i64, scope: Scope<'_>, limit: u32) -> Result<Vec<SlowConversation>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT c.id, a.platform, coalesce(ct.name, ct.handle, ct.phone), w.asked_at, w.answered_at
             FROM customer_waits w JOIN conversations c ON c.id = w.conversation_id
                  JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
             WHERE w.asked_at >= ?1 AND w.asked_at < ?2 AND {SCOPE}
             ORDER BY w.answered_at IS NOT NULL, w.answered_at - w.asked_at DESC, w.asked_at LIMIT ?5"
        ))
        .ctx("preparing the slowest conversations")?;
    let rows = stmt
        .query_map(params![start, end, scope.platform, scope.account_id, limit], slow_from_row)
        .ctx("reading the slowest conversations")?;
    rows.collect::<rusqlite::Result<_>>().ctx("reading the slowest conversations")
}

/// Open conversations whose newest message is the customer's.
const UNANSWERED: &str =
    "FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
              JOIN messages m ON m.id = c.last_message_id
         WHERE c.state = 'open' AND m.direction = 'inbound' AND (?1 IS NULL OR a.platform = ?1)
           AND (?2 IS NULL OR a.id = ?2)";

pub fn unanswered_count(conn: &Connection, scope: Scope<'_>) -> Result<u32> {
    conn.prepare_cached(&format!("SELECT count(*) {UNANSWERED}"))
        .and_then(|mut s| s.query_row(params![scope.platform, scope.account_id], |r| r.get(0)))
        .ctx("counting unanswered conversations")
}

/// How many conversations wait for an answer, and those waiting longest (since their
/// newest message).
pub fn unanswered(conn: &Connection, scope: Scope<'_>, limit: u32) -> Result<(u32, Vec<SlowConversation>)> {
    let count = unanswered_count(conn, scope)?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT c.id, a.platform, coalesce(ct.name, ct.handle, ct.phone), c.last_message_at, NULL {UNANSWERED}
             ORDER BY c.last_message_at LIMIT ?3"
        ))
        .ctx("preparing unanswered conversations")?;
    let rows = stmt
        .query_map(params![scope.platform, scope.account_id, limit], slow_from_row)
        .ctx("reading unanswered conversations")?;
    Ok((count, rows.collect::<rusqlite::Result<_>>().ctx("reading unanswered conversations")?))
}

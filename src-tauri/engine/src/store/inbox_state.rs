//! Setting where the owner stands in conversations in bulk: how far each has been read and
//! which are done. The demo inbox is arranged with these; the window's own changes (mark
//! read, done) go through the facade's single-conversation writes.

use rusqlite::{Transaction, params};

use super::apply;
use crate::domain::Result;
use crate::domain::error::SqlContext as _;

/// One conversation's last inbound and outbound message times (0 when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    pub conversation_id: i64,
    pub last_inbound_at: i64,
    pub last_outbound_at: i64,
}

/// The newest message time in the store (0 when empty).
pub fn newest_message_at(tx: &Transaction<'_>) -> Result<i64> {
    tx.query_row("SELECT COALESCE(MAX(sent_at), 0) FROM messages WHERE stub = 0", [], |r| r.get(0))
        .ctx("reading the newest message")
}

pub fn activity(tx: &Transaction<'_>) -> Result<Vec<Activity>> {
    let mut stmt = tx
        .prepare(
            "SELECT c.id,
                    COALESCE((SELECT MAX(sent_at) FROM messages m WHERE m.conversation_id = c.id AND m.stub = 0 AND m.direction = 'inbound'), 0),
                    COALESCE((SELECT MAX(sent_at) FROM messages m WHERE m.conversation_id = c.id AND m.stub = 0 AND m.direction = 'outbound'), 0)
             FROM conversations c ORDER BY c.id",
        )
        .ctx("listing conversations")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Activity { conversation_id: r.get(0)?, last_inbound_at: r.get(1)?, last_outbound_at: r.get(2)? })
        })
        .ctx("listing conversations")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing conversations")
}

/// Marks a conversation read up to `at`; its unread count follows.
pub fn set_read_up_to(tx: &Transaction<'_>, conversation_id: i64, at: i64) -> Result<()> {
    tx.execute("UPDATE conversations SET read_up_to = ?2 WHERE id = ?1", params![conversation_id, at])
        .ctx("setting how far a conversation is read")?;
    apply::refresh_summary(tx, conversation_id)
}

/// Marks done every fully read conversation quiet since `before` whose id `keep` admits.
pub fn mark_quiet_done(tx: &Transaction<'_>, before: i64, keep: impl Fn(i64) -> bool) -> Result<()> {
    let quiet: Vec<i64> = {
        let mut stmt = tx
            .prepare("SELECT id FROM conversations WHERE unread_count = 0 AND last_message_at < ?1")
            .ctx("finding quiet conversations")?;
        let rows = stmt.query_map([before], |r| r.get(0)).ctx("finding quiet conversations")?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx("finding quiet conversations")?
    };
    for id in quiet.into_iter().filter(|id| keep(*id)) {
        tx.execute("UPDATE conversations SET state = 'done' WHERE id = ?1", [id]).ctx("marking a conversation done")?;
    }
    Ok(())
}

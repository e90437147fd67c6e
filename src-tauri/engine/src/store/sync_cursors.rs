//! Where a history backfill stands, per account and resource (`sync_cursors`): the cursor
//! of the next page, the newest conversation an interrupted pass saw, and the high-water
//! mark of the last complete pass.

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use crate::domain::error::{Result, SqlContext as _};

/// A backfill's saved position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Position {
    /// The page to resume from; `None` starts a new pass.
    pub cursor: Option<String>,
    /// The newest conversation update (ms) of the last complete pass.
    pub high_water: Option<i64>,
    /// The newest conversation update an interrupted pass had seen.
    pub pass_newest: Option<i64>,
}

fn get(c: &Connection, account_id: i64, resource: &str) -> Result<Option<String>> {
    let value: Option<Option<String>> = c
        .query_row(
            "SELECT cursor FROM sync_cursors WHERE account_id = ?1 AND resource = ?2",
            params![account_id, resource],
            |r| r.get(0),
        )
        .optional()
        .ctx("reading a sync cursor")?;
    Ok(value.flatten())
}

fn set(tx: &Transaction<'_>, account_id: i64, resource: &str, value: Option<String>, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_cursors (account_id, resource, cursor, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, resource) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        params![account_id, resource, value, now],
    )
    .ctx("saving a sync cursor")?;
    Ok(())
}

pub fn position(c: &Connection, account_id: i64, key: &str) -> Result<Position> {
    let cursor = get(c, account_id, key)?;
    let high_water = get(c, account_id, &format!("{key}:done"))?.and_then(|v| v.parse().ok());
    // Only an interrupted pass (one with a cursor) has a newest-so-far worth resuming.
    let pass_newest = if cursor.is_some() {
        get(c, account_id, &format!("{key}:newest"))?.and_then(|v| v.parse().ok())
    } else {
        None
    };
    Ok(Position { cursor, high_water, pass_newest })
}

/// Saves the position after a page. A finished pass (`cursor` `None`) clears the
/// newest-so-far; `high_water`, when given, becomes the mark the next pass stops at.
pub fn save_position(tx: &Transaction<'_>, account_id: i64, key: &str, position: &Position, now: i64) -> Result<()> {
    set(tx, account_id, key, position.cursor.clone(), now)?;
    let newest = if position.cursor.is_some() { position.pass_newest.map(|n| n.to_string()) } else { None };
    set(tx, account_id, &format!("{key}:newest"), newest, now)?;
    if let Some(mark) = position.high_water {
        set(tx, account_id, &format!("{key}:done"), Some(mark.to_string()), now)?;
    }
    Ok(())
}

/// The Page an Instagram account is linked to (whose conversations edge lists its
/// threads), or `None` for an account without one.
pub fn parent_asset(c: &Connection, account_id: i64) -> Result<Option<String>> {
    let parent: Option<Option<String>> = c
        .query_row("SELECT parent_asset_id FROM accounts WHERE id = ?1", [account_id], |r| r.get(0))
        .optional()
        .ctx("finding the Page of an Instagram account")?;
    Ok(parent.flatten())
}

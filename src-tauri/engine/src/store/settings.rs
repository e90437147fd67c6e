//! The `settings` table: small values the engine keeps between runs (when each
//! background job last ran, for one).

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use crate::domain::error::{Result, SqlContext as _};

pub fn get(c: &Connection, key: &str) -> Result<Option<String>> {
    c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional().ctx("reading a setting")
}

pub fn set(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .ctx("saving a setting")?;
    Ok(())
}

pub fn remove(tx: &Transaction<'_>, key: &str) -> Result<()> {
    tx.execute("DELETE FROM settings WHERE key = ?1", [key]).ctx("removing a setting")?;
    Ok(())
}

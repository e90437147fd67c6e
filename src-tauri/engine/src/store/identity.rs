//! The store's identity and the relay link's small key-value state (`relay_state`).

use rand::Rng as _;
use rusqlite::OptionalExtension as _;

use super::Store;
use crate::domain::Result;
use crate::domain::error::SqlContext as _;

pub fn state_get(conn: &rusqlite::Connection, key: &str) -> crate::domain::Result<Option<String>> {
    conn.query_row("SELECT value FROM relay_state WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .ctx("reading the relay state")
}

pub fn state_set(tx: &rusqlite::Transaction<'_>, key: &str, value: &str) -> crate::domain::Result<()> {
    tx.execute(
        "INSERT INTO relay_state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .ctx("saving the relay state")?;
    Ok(())
}

pub fn state_delete(tx: &rusqlite::Transaction<'_>, key: &str) -> crate::domain::Result<()> {
    tx.execute("DELETE FROM relay_state WHERE key = ?1", [key]).ctx("forgetting relay state")?;
    Ok(())
}

/// This store's id: names its secrets, so stores in different data directories never
/// share a device identity.
pub async fn store_id(store: &Store) -> Result<String> {
    if let Some(id) = store.read(|c| state_get(c, "store_id")).await? {
        return Ok(id);
    }
    let fresh = format!("{:016x}", rand::rng().random::<u64>());
    store
        .write(move |tx| {
            // Another writer may have set it meanwhile: keep the first.
            tx.execute("INSERT OR IGNORE INTO relay_state (key, value) VALUES ('store_id', ?1)", [&fresh])
                .ctx("saving the store id")?;
            Ok(state_get(tx, "store_id")?.unwrap_or(fresh))
        })
        .await
}

//! Schema migrations: the numbered files in `migrations/`, embedded at build time.
//!
//! `PRAGMA user_version` records how many have been applied. All pending migrations run
//! in one transaction, so a crash or a failing step leaves the file at its old version,
//! never half-migrated. A file newer than this build is refused rather than guessed at.
//! Never edit or renumber a migration that has shipped: add a new one.

use std::path::Path;

use rusqlite::Connection;

use crate::domain::error::{Error, Result, SqlContext};

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// In order; `version` of a migration is its index + 1.
pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_initial_store", sql: include_str!("../../../../migrations/0001_initial_store.sql") },
    Migration {
        name: "0002_accounts_and_outbox",
        sql: include_str!("../../../../migrations/0002_accounts_and_outbox.sql"),
    },
    Migration {
        name: "0003_media_templates_instagram_login",
        sql: include_str!("../../../../migrations/0003_media_templates_instagram_login.sql"),
    },
    Migration { name: "0004_report_figures", sql: include_str!("../../../../migrations/0004_report_figures.sql") },
    Migration { name: "0005_report_figures_from_history", sql: crate::store::report_figures::FROM_HISTORY_SQL },
    Migration { name: "0006_late_replies", sql: include_str!("../../../../migrations/0006_late_replies.sql") },
    Migration { name: "0007_late_replies_from_history", sql: crate::store::report_figures::LATE_FROM_HISTORY_SQL },
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn current_version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).ctx("reading the schema version")
}

/// Brings the store up to date. Returns the version it started from.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<i64> {
    migrate_to(conn, path, latest_version())
}

/// Migrates up to `target` (tests use this to build stores at older versions).
pub fn migrate_to(conn: &mut Connection, path: &Path, target: i64) -> Result<i64> {
    let found = current_version(conn)?;
    if found > latest_version() {
        return Err(Error::NewerSchema { path: path.to_owned(), found, known: latest_version() });
    }
    if found >= target {
        return Ok(found);
    }
    // IMMEDIATE: take the write lock first, so two processes opening the same new file
    // cannot both decide to migrate it.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .ctx("starting the migration transaction")?;
    // Re-read under the lock: another process may have migrated meanwhile.
    let found = current_version(&tx)?;
    for (index, migration) in MIGRATIONS.iter().enumerate().take(target as usize).skip(found as usize) {
        let version = index as i64 + 1;
        tx.execute_batch(migration.sql).map_err(|source| Error::Migration { version, name: migration.name, source })?;
        tx.pragma_update(None, "user_version", version).ctx("recording the schema version")?;
    }
    tx.commit().ctx("committing migrations")?;
    Ok(found)
}

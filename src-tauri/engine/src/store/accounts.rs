//! The `accounts` table: reading connected accounts and recording their state.

use rusqlite::{OptionalExtension as _, params};

use super::{Store, apply, now_ms};
use crate::domain::Result;
use crate::domain::account::AccountView;
use crate::domain::error::SqlContext as _;
use crate::domain::events::Platform;

pub const VIEW_COLUMNS: &str = "id, platform, asset_id, display_name, status, status_detail, rate_limited_until, login, business_id, token_expires_at";

/// Every account, in the order the window lists them.
pub async fn list(store: &Store) -> Result<Vec<AccountView>> {
    store
        .read(|c| {
            let mut stmt = c
                .prepare(&format!("SELECT {VIEW_COLUMNS} FROM accounts ORDER BY platform, display_name, asset_id"))
                .ctx("listing accounts")?;
            let rows = stmt.query_map([], row_to_view).ctx("listing accounts")?;
            rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing accounts")
        })
        .await
}

pub async fn get(store: &Store, id: i64) -> Result<Option<AccountView>> {
    store
        .read(move |c| {
            c.query_row(&format!("SELECT {VIEW_COLUMNS} FROM accounts WHERE id = ?1"), [id], row_to_view)
                .optional()
                .ctx("reading an account")
        })
        .await
}

/// Records what the owner must know about an account (its state, why, until when).
pub async fn set_status(store: &Store, id: i64, status: &'static str, detail: Option<String>, until: Option<i64>) -> Result<()> {
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE accounts SET status = ?2, status_detail = ?3, rate_limited_until = ?4 WHERE id = ?1",
                params![id, status, detail, until],
            )
            .ctx("updating an account's state")?;
            apply::log_changes(tx, &[], "accounts", now_ms())
        })
        .await
}

pub fn row_to_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
    let platform: String = r.get(1)?;
    let platform = Platform::parse(&platform).unwrap_or(Platform::Whatsapp);
    Ok(AccountView {
        id: r.get(0)?,
        platform,
        asset_id: r.get(2)?,
        display_name: r.get(3)?,
        status: r.get(4)?,
        status_detail: r.get(5)?,
        rate_limited_until: r.get(6)?,
        login: r.get(7)?,
        business_id: r.get(8)?,
        token_expires_at: r.get(9)?,
        history: None,
    })
}

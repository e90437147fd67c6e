//! The `accounts` table: reading connected accounts and recording their state.

use rusqlite::{OptionalExtension as _, params};

use super::{Store, apply};
use crate::domain::Result;
use crate::domain::account::{AccountStatus, AccountView, Login};
use crate::domain::error::SqlContext as _;
use crate::domain::events::Platform;

pub const VIEW_COLUMNS: &str = "id, platform, asset_id, display_name, status, status_detail, rate_limited_until, login, business_id, token_expires_at";

/// Every account, in the order the window lists them.
pub async fn list(store: &Store) -> Result<Vec<AccountView>> {
    store.read(list_on).await
}

/// [`list`] on a connection the caller holds (a report reads them with its figures).
pub fn list_on(c: &rusqlite::Connection) -> Result<Vec<AccountView>> {
    let mut stmt = c
        .prepare_cached(&format!("SELECT {VIEW_COLUMNS} FROM accounts ORDER BY platform, display_name, asset_id"))
        .ctx("listing accounts")?;
    let rows = stmt.query_map([], row_to_view).ctx("listing accounts")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing accounts")
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
pub async fn set_status(
    store: &Store,
    id: i64,
    status: AccountStatus,
    detail: Option<String>,
    until: Option<i64>,
) -> Result<()> {
    let now = store.now_ms();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE accounts SET status = ?2, status_detail = ?3, rate_limited_until = ?4 WHERE id = ?1",
                params![id, status, detail, until],
            )
            .ctx("updating an account's state")?;
            apply::log_changes(tx, &[], "accounts", now)
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

/// What is kept of a newly connected account (the token goes to the secret store).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub platform: Platform,
    pub asset_id: String,
    pub display_name: Option<String>,
    /// The Page an Instagram account is linked to.
    pub parent: Option<String>,
    pub login: Login,
    /// The WhatsApp Business Account a number belongs to.
    pub business_id: Option<String>,
    pub token_expires_at: Option<i64>,
}

/// Saves a connected account and returns its id. Connecting again through another login
/// replaces how the account is reached (an Instagram account moves from its Page to
/// Instagram Login, say).
pub fn upsert(tx: &rusqlite::Transaction<'_>, account: &NewAccount, now: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO accounts (platform, asset_id, display_name, parent_asset_id, login, business_id, token_expires_at, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'connected', ?8)
         ON CONFLICT (platform, asset_id) DO UPDATE SET
            display_name = coalesce(excluded.display_name, accounts.display_name),
            parent_asset_id = excluded.parent_asset_id, login = excluded.login,
            business_id = coalesce(excluded.business_id, accounts.business_id),
            token_expires_at = excluded.token_expires_at,
            status = 'connected', status_detail = NULL, rate_limited_until = NULL",
        params![
            account.platform.as_str(),
            account.asset_id,
            account.display_name,
            account.parent,
            account.login,
            account.business_id,
            account.token_expires_at,
            now
        ],
    )
    .ctx("saving an account")?;
    let id = tx
        .query_row(
            "SELECT id FROM accounts WHERE platform = ?1 AND asset_id = ?2",
            params![account.platform.as_str(), account.asset_id],
            |r| r.get(0),
        )
        .ctx("saving an account")?;
    apply::log_changes(tx, &[], "accounts", now)?;
    Ok(id)
}

pub fn set_token_expiry(tx: &rusqlite::Transaction<'_>, id: i64, expires_at: i64) -> Result<()> {
    tx.execute("UPDATE accounts SET token_expires_at = ?2 WHERE id = ?1", params![id, expires_at])
        .ctx("recording a token's expiry")?;
    Ok(())
}

/// The downloaded files (and thumbnails) of an account's messages.
pub fn media_paths(c: &rusqlite::Connection, id: i64) -> Result<Vec<String>> {
    let mut stmt = c
        .prepare(
            "SELECT t.local_path, t.thumbnail_path FROM attachments t JOIN messages m ON m.id = t.message_id
             JOIN conversations c ON c.id = m.conversation_id WHERE c.account_id = ?1 AND t.local_path IS NOT NULL",
        )
        .ctx("listing an account's media")?;
    let rows = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
        .ctx("listing an account's media")?;
    let mut out = Vec::new();
    for row in rows {
        let (file, thumb) = row.ctx("listing an account's media")?;
        out.push(file);
        out.extend(thumb);
    }
    Ok(out)
}

/// Disconnects an account: its history stays, or with `delete_data` goes with it
/// (conversations, messages and their search rows by foreign-key cascade).
pub fn disconnect(tx: &rusqlite::Transaction<'_>, id: i64, delete_data: bool, now: i64) -> Result<()> {
    if delete_data {
        tx.execute("DELETE FROM accounts WHERE id = ?1", [id]).ctx("deleting an account")?;
        apply::log_everything(tx, "accounts", now)
    } else {
        tx.execute("UPDATE accounts SET status = 'disconnected', status_detail = NULL, rate_limited_until = NULL WHERE id = ?1", [id])
            .ctx("disconnecting an account")?;
        apply::log_changes(tx, &[], "accounts", now)
    }
}

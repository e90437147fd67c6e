//! Media files as the store sees them: which attachments wait to be downloaded, how each
//! attempt ended, and which files no attachment refers to any more.

use rusqlite::OptionalExtension as _;

use super::Store;
use crate::domain::Result;
use crate::domain::account::AccountStatus;
use crate::domain::error::SqlContext as _;

/// Media files no attachment refers to any more (after history was deleted), removed.
pub async fn remove_unreferenced(store: &Store, paths: Vec<String>) -> crate::domain::Result<usize> {
    if paths.is_empty() {
        return Ok(0);
    }
    let orphans: Vec<String> = store
        .read(move |c| {
            let mut out = Vec::new();
            let mut stmt = c
                .prepare("SELECT 1 FROM attachments WHERE local_path = ?1 OR thumbnail_path = ?1 LIMIT 1")
                .ctx("checking media use")?;
            for path in paths {
                let used = stmt.query_row([&path], |_| Ok(())).optional().ctx("checking media use")?.is_some();
                if !used {
                    out.push(path);
                }
            }
            Ok(out)
        })
        .await?;
    let mut removed = 0;
    for path in orphans {
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "could not remove a media file"),
        }
    }
    Ok(removed)
}

/// An attachment waiting to be downloaded, with what fetching it needs.
#[derive(Debug, Clone)]
pub struct DueMedia {
    pub id: i64,
    pub kind: String,
    pub mime_type: Option<String>,
    pub url: Option<String>,
    pub media_id: Option<String>,
    pub sha256: Option<String>,
    pub attempts: i64,
    pub message_mid: String,
    pub conversation_id: i64,
    pub platform: String,
    pub account_id: i64,
    pub account_status: AccountStatus,
    /// WhatsApp phone-number id (media lookups name it).
    pub asset_id: String,
    pub position: i64,
}

/// Up to `limit` attachments due at `now`, newest messages first.
pub fn due(c: &rusqlite::Connection, now: i64, limit: i64) -> Result<Vec<DueMedia>> {
    let mut stmt = c
        .prepare(
            "SELECT t.id, t.kind, t.mime_type, t.url, t.media_id, t.sha256, t.download_attempts, m.platform_message_id,
                    m.conversation_id, c.platform, a.id, a.status, a.asset_id, t.position
             FROM attachments t JOIN messages m ON m.id = t.message_id JOIN conversations c ON c.id = m.conversation_id
             JOIN accounts a ON a.id = c.account_id
             WHERE t.local_path IS NULL AND t.download_state IS NULL AND (t.url IS NOT NULL OR t.media_id IS NOT NULL)
               AND coalesce(t.next_download_at, 0) <= ?1 AND t.kind IN ('image', 'video', 'audio', 'file', 'sticker')
             ORDER BY m.sent_at DESC LIMIT ?2",
        )
        .ctx("finding media to fetch")?;
    let rows = stmt
        .query_map(rusqlite::params![now, limit], |r| {
            Ok(DueMedia {
                id: r.get(0)?,
                kind: r.get(1)?,
                mime_type: r.get(2)?,
                url: r.get(3)?,
                media_id: r.get(4)?,
                sha256: r.get(5)?,
                attempts: r.get(6)?,
                message_mid: r.get(7)?,
                conversation_id: r.get(8)?,
                platform: r.get(9)?,
                account_id: r.get(10)?,
                account_status: r.get(11)?,
                asset_id: r.get(12)?,
                position: r.get(13)?,
            })
        })
        .ctx("finding media to fetch")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("finding media to fetch")
}

/// A downloaded file, as the thread will show it.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub path: String,
    pub thumbnail: Option<String>,
    pub mime: Option<String>,
    pub size: u64,
    pub sha256: String,
}

/// How one download attempt ended.
#[derive(Debug, Clone)]
pub enum DownloadResult {
    Done(Downloaded),
    /// Tried again at `at`.
    RetryAt {
        at: i64,
        why: String,
    },
    /// Not coming: `unavailable` or `refused`, with the reason shown to the owner.
    GaveUp {
        state: &'static str,
        reason: String,
    },
}

/// Records attempt number `attempts` of attachment `id` (only if it is still waiting,
/// for a finished download: another pass may have fetched it meanwhile).
pub fn record_download(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    conversation_id: i64,
    attempts: i64,
    result: DownloadResult,
    now: i64,
) -> Result<()> {
    use rusqlite::params;
    match result {
        DownloadResult::Done(file) => {
            tx.execute(
                "UPDATE attachments SET local_path = ?2, thumbnail_path = ?3, mime_type = coalesce(mime_type, ?4),
                        size_bytes = ?5, sha256 = coalesce(sha256, ?6), download_error = NULL, download_attempts = ?7
                 WHERE id = ?1 AND local_path IS NULL",
                params![id, file.path, file.thumbnail, file.mime, file.size as i64, file.sha256, attempts],
            )
            .ctx("recording downloaded media")?;
        }
        DownloadResult::RetryAt { at, why } => {
            tx.execute(
                "UPDATE attachments SET download_attempts = ?2, next_download_at = ?3, download_error = ?4 WHERE id = ?1",
                params![id, attempts, at, why],
            )
            .ctx("recording a media retry")?;
        }
        DownloadResult::GaveUp { state, reason } => {
            tx.execute(
                "UPDATE attachments SET download_attempts = ?2, download_state = ?3, download_error = ?4 WHERE id = ?1",
                params![id, attempts, state, reason],
            )
            .ctx("giving up a download")?;
        }
    }
    super::apply::log_changes(tx, &[conversation_id], "media", now)
}

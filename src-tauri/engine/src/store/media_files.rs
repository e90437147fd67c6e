//! Downloaded and sent media files as the store sees them: a file goes once no
//! attachment refers to it.

use rusqlite::OptionalExtension as _;

use super::Store;
use crate::domain::error::SqlContext as _;

/// Media files no attachment refers to any more (after history was deleted), removed.
pub async fn remove_unreferenced(store: &Store, paths: Vec<String>) -> crate::domain::Result<usize> {
    if paths.is_empty() {
        return Ok(0);
    }
    let orphans: Vec<String> = store
        .read(move |c| {
            let mut out = Vec::new();
            let mut stmt = c.prepare("SELECT 1 FROM attachments WHERE local_path = ?1 OR thumbnail_path = ?1 LIMIT 1").ctx("checking media use")?;
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

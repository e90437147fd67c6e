//! Long exports (a million messages to CSV) report how far they got and can be stopped:
//! the thread writing the file counts rows on a ticket the window asks about.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::error::{Error, Result};

/// One export in progress, shared by the writer and whoever asks or cancels.
#[derive(Debug, Default)]
pub struct ExportTicket {
    rows: AtomicU32,
    /// 0: not known (the conversations file counts as it goes).
    total: AtomicU32,
    cancelled: AtomicBool,
}

impl ExportTicket {
    pub fn set_total(&self, total: u32) {
        self.total.store(total, Ordering::Relaxed);
    }

    /// One more row written; an error once the owner cancelled, which stops the writer.
    pub fn row(&self) -> Result<()> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        self.rows.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn progress(&self) -> ExportProgress {
        let total = self.total.load(Ordering::Relaxed);
        ExportProgress { rows: self.rows.load(Ordering::Relaxed), total: (total > 0).then_some(total) }
    }
}

/// Names an export the window started, so it can ask how far it got or cancel it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRef {
    pub export_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgress {
    pub rows: u32,
    /// How many rows the file will have, when known before it is written.
    pub total: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_counts_rows_until_it_is_cancelled() {
        let t = ExportTicket::default();
        assert_eq!(t.progress(), ExportProgress { rows: 0, total: None });
        t.set_total(3);
        t.row().unwrap();
        t.row().unwrap();
        assert_eq!(t.progress(), ExportProgress { rows: 2, total: Some(3) });
        t.cancel();
        assert!(matches!(t.row(), Err(Error::Cancelled)));
        assert_eq!(t.progress().rows, 2, "the refused row is not counted");
    }
}

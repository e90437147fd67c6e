//! The printable report: which paper, where it goes, and what the cover says.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::report::ReportRequest;
use super::text_enum::text_enum;

text_enum! {
    /// Paper sizes: A4 nearly everywhere, Letter in the Americas.
    pub enum Paper {
        A4 = "a4",
        Letter = "letter",
    }
}

impl Paper {
    /// Width and height in PDF points (1/72 inch).
    pub fn size_pt(self) -> (f32, f32) {
        match self {
            // 210 × 297 mm.
            Paper::A4 => (595.28, 841.89),
            // 8.5 × 11 in.
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// A PDF report, written where the owner chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportPdfRequest {
    pub report: ReportRequest,
    pub paper: Paper,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportPdfWritten {
    pub pages: u32,
    #[ts(type = "number")]
    pub bytes: u64,
    pub path: String,
}

/// What the cover and the page footers name.
#[derive(Debug, Clone, PartialEq)]
pub struct Cover {
    /// The business: the names of its connected accounts unless the owner set one.
    pub business: String,
    /// Which conversations: "All channels", "WhatsApp", or one account's name.
    pub scope: String,
    /// When it was made: printed on the cover, and how long the waiting have waited.
    pub made_at_ms: i64,
}

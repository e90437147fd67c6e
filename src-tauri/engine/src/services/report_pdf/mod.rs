//! The printed report: a range's figures as a PDF of A4 or Letter pages, with vector
//! charts, the fonts of every script it prints embedded (subset), and page numbers.
//! Made in Rust (krilla writes PDF, parley lays out text); nothing renders HTML.

mod charts;
mod pages;
mod paint;
mod sections;
mod table;
mod typeset;
mod words;

use rusqlite::Connection;

use crate::domain::error::Result;
use crate::domain::report::{Calendar, Report, ReportRequest};
use crate::domain::report_pdf::{Cover, Paper};
use crate::store::{accounts, settings};

/// The setting that names the business on the cover, when the owner set one.
pub const BUSINESS_NAME_SETTING: &str = "business_name";
/// Account names the cover lists before it says "and n more".
const NAMED_ACCOUNTS: usize = 3;

/// The PDF of `report`, and how many pages it has.
pub fn render(report: &Report, cover: &Cover, paper: Paper, calendar: &Calendar) -> Result<(Vec<u8>, u32)> {
    let mut ts = typeset::Typesetter::new();
    let width = pages::content_width(paper);
    let sections = sections::of(report, cover, calendar, &mut ts, width);
    let title = format!("{}: report {} to {}", cover.business, report.from, report.to);
    let metadata = krilla::metadata::Metadata::new().title(title).creator("CAHTS".into()).language("en".into());
    let footer = format!("{} · {} to {}", cover.business, report.from, report.to);
    pages::write(sections, paper, &footer, &mut ts, metadata)
}

/// What the cover names: the business (the setting, else its accounts' names) and which
/// conversations the report covers.
pub fn cover_of(conn: &Connection, request: &ReportRequest, made_at_ms: i64) -> Result<Cover> {
    let accounts = accounts::list_on(conn)?;
    let name_of =
        |a: &crate::domain::account::AccountView| a.display_name.clone().unwrap_or_else(|| a.asset_id.clone());
    let business = match settings::get(conn, BUSINESS_NAME_SETTING)?.filter(|n| !n.trim().is_empty()) {
        Some(name) => name,
        None => {
            // Accounts Meta has not named yet would print as ids: left out.
            let mut names: Vec<String> = Vec::new();
            for name in accounts.iter().filter_map(|a| a.display_name.clone()) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            match names.len() {
                0 => "Your business".to_string(),
                n if n <= NAMED_ACCOUNTS => names.join(" · "),
                n => format!("{} and {} more", names[..NAMED_ACCOUNTS].join(" · "), n - NAMED_ACCOUNTS),
            }
        }
    };
    let scope = match (request.account_id, request.platform) {
        (Some(id), _) => accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| format!("{} on {}", name_of(a), a.platform.display_name()))
            .unwrap_or_else(|| "One account".into()),
        (None, Some(platform)) => format!("{} only", platform.display_name()),
        (None, None) => "All channels".into(),
    };
    Ok(Cover { business, scope, made_at_ms })
}

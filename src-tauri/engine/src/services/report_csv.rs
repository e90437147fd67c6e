//! The report's CSV files, written with the `csv` crate: UTF-8 with a byte-order mark so
//! spreadsheet programs read accents and emoji, one header row, local ISO times with
//! their offset, durations in minutes. Message texts appear only in the messages file,
//! and only when asked for; tokens are never in the store, so never here.

use std::io::Write;

use rusqlite::Connection;
use serde::Serialize;

use crate::domain::business_hours::Stopwatch;
use crate::domain::error::{Error, Result};
use crate::domain::events::{Direction, Platform};
use crate::domain::export_progress::ExportTicket;
use crate::domain::report::{Calendar, DayRange, Period, ReportCsv, ReportRequest};
use crate::services::reports;
use crate::store::report_rows;
use crate::store::reports::{self as store_reports, Scope};

/// What spreadsheet programs look for to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes one CSV file of `request`'s days to `out`; returns the rows written. Only the
/// daily file needs the report's figures; the others read their rows straight.
pub fn write(
    conn: &Connection,
    kind: ReportCsv,
    request: &ReportRequest,
    calendar: &Calendar,
    with_text: bool,
    ticket: &ExportTicket,
    out: impl Write,
) -> Result<usize> {
    let range = DayRange::parse(&request.from, &request.to).map_err(Error::Invalid)?;
    let scope = Scope::of(request);
    let (start, end) = calendar.bounds_ms(range);
    // Minutes as the report counts them: in business hours when they are set.
    let hours = reports::business_hours(conn)?;
    let watch = Stopwatch::new(calendar, hours.as_ref());
    let mut out = out;
    out.write_all(BOM).map_err(|source| Error::Io { context: "writing the CSV file".into(), source })?;
    let mut csv = csv::Writer::from_writer(out);
    let rows = match kind {
        ReportCsv::Daily => {
            ticket.set_total(range.days() as u32);
            daily(&mut csv, &reports::figures_of(conn, range, calendar, scope, &watch)?.days, ticket)?
        }
        ReportCsv::Conversations => conversations(conn, &mut csv, &watch, calendar, (start, end), scope, ticket)?,
        ReportCsv::Messages => {
            ticket.set_total(store_reports::message_count(conn, start, end, scope)?);
            messages(conn, &mut csv, calendar, (start, end), scope, with_text, ticket)?
        }
    };
    if rows == 0 {
        // The header comes with the first record; an empty range still gets one.
        csv.write_record(empty_header(kind, with_text)).map_err(csv_error)?;
    }
    csv.flush().map_err(|source| Error::Io { context: "writing the CSV file".into(), source })?;
    Ok(rows)
}

/// The header of a file with no rows: the record types' field names.
fn empty_header(kind: ReportCsv, with_text: bool) -> Vec<&'static str> {
    let mut header = match kind {
        ReportCsv::Daily => vec![
            "date",
            "messages_in",
            "messages_in_messenger",
            "messages_in_instagram",
            "messages_in_whatsapp",
            "messages_out",
            "messages_out_messenger",
            "messages_out_instagram",
            "messages_out_whatsapp",
            "new_conversations",
        ],
        ReportCsv::Conversations => vec![
            "platform",
            "account",
            "contact",
            "opened",
            "first_response_minutes",
            "resolution_minutes",
            "messages_in",
            "messages_out",
            "status",
        ],
        ReportCsv::Messages => vec!["time", "platform", "account", "contact", "direction", "kind", "attachments"],
    };
    if kind == ReportCsv::Messages && with_text {
        header.push("text");
    }
    header
}

fn csv_error(e: csv::Error) -> Error {
    Error::Invalid(format!("writing the CSV file: {e}"))
}

#[derive(Serialize)]
struct DailyRecord<'a> {
    date: &'a str,
    messages_in: u32,
    messages_in_messenger: u32,
    messages_in_instagram: u32,
    messages_in_whatsapp: u32,
    messages_out: u32,
    messages_out_messenger: u32,
    messages_out_instagram: u32,
    messages_out_whatsapp: u32,
    new_conversations: u32,
}

fn daily(csv: &mut csv::Writer<impl Write>, days: &[Period], ticket: &ExportTicket) -> Result<usize> {
    for d in days {
        ticket.row()?;
        csv.serialize(DailyRecord {
            date: &d.label,
            messages_in: d.inbound.total(),
            messages_in_messenger: d.inbound.of(Platform::Messenger),
            messages_in_instagram: d.inbound.of(Platform::Instagram),
            messages_in_whatsapp: d.inbound.of(Platform::Whatsapp),
            messages_out: d.outbound.total(),
            messages_out_messenger: d.outbound.of(Platform::Messenger),
            messages_out_instagram: d.outbound.of(Platform::Instagram),
            messages_out_whatsapp: d.outbound.of(Platform::Whatsapp),
            new_conversations: d.new_conversations.total(),
        })
        .map_err(csv_error)?;
    }
    Ok(days.len())
}

#[derive(Serialize)]
struct ConversationRecord {
    platform: &'static str,
    account: String,
    contact: String,
    opened: Option<String>,
    first_response_minutes: Option<f64>,
    resolution_minutes: Option<f64>,
    messages_in: u32,
    messages_out: u32,
    status: String,
}

fn minutes(watch: &Stopwatch<'_>, from: Option<i64>, to: Option<i64>) -> Option<f64> {
    Some((watch.elapsed(from?, to?) as f64 / 60_000.0 * 10.0).round() / 10.0)
}

fn conversations(
    conn: &Connection,
    csv: &mut csv::Writer<impl Write>,
    watch: &Stopwatch<'_>,
    calendar: &Calendar,
    (start, end): (i64, i64),
    scope: Scope<'_>,
    ticket: &ExportTicket,
) -> Result<usize> {
    let mut rows = 0;
    report_rows::conversations(conn, start, end, scope, |c| {
        ticket.row()?;
        rows += 1;
        csv.serialize(ConversationRecord {
            platform: c.platform.as_str(),
            account: c.account,
            contact: c.contact,
            opened: c.first_message_at.map(|at| calendar.iso(at)),
            first_response_minutes: minutes(watch, c.asked_at, c.answered_at),
            resolution_minutes: minutes(watch, c.resolved_from, c.done_at),
            messages_in: c.inbound,
            messages_out: c.outbound,
            status: c.state,
        })
        .map_err(csv_error)
    })?;
    Ok(rows)
}

#[derive(Serialize)]
struct MessageRecord {
    time: String,
    platform: &'static str,
    account: String,
    contact: String,
    direction: &'static str,
    kind: &'static str,
    attachments: u32,
    /// Present as a column only when texts were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

fn messages(
    conn: &Connection,
    csv: &mut csv::Writer<impl Write>,
    calendar: &Calendar,
    (start, end): (i64, i64),
    scope: Scope<'_>,
    with_text: bool,
    ticket: &ExportTicket,
) -> Result<usize> {
    let mut rows = 0;
    report_rows::messages(conn, start, end, scope, |m| {
        ticket.row()?;
        rows += 1;
        csv.serialize(MessageRecord {
            time: calendar.iso(m.sent_at),
            platform: m.platform.as_str(),
            account: m.account,
            contact: m.contact,
            direction: if m.direction == Direction::Outbound { "out" } else { "in" },
            kind: m.kind.as_str(),
            attachments: m.attachments,
            text: with_text.then(|| m.text.unwrap_or_default()),
        })
        .map_err(csv_error)
    })?;
    Ok(rows)
}

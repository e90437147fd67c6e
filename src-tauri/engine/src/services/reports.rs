//! Reports: a range's figures from the store, arranged by local day, with the previous
//! range's totals and what needs attention now. Runs on a reader connection (the caller
//! puts it on a blocking thread), so a year of figures never holds up the runtime.

use rusqlite::Connection;

use crate::domain::error::{Error, Result};
use crate::domain::report::{Calendar, DayRange, Figures, LiveCounters, Report, ReportRequest};
use crate::store::reports::{self, Scope};

/// How many slowest and longest-waiting conversations a report lists.
const LISTED: usize = 10;

pub fn report(conn: &Connection, request: &ReportRequest, calendar: &Calendar, zone_name: &str) -> Result<Report> {
    let range = DayRange::parse(&request.from, &request.to).map_err(Error::Invalid)?;
    let scope = Scope::of(request);
    let (start, end) = calendar.bounds_ms(range);
    let facts = reports::range_facts(conn, start, end, scope)?;
    let figures = Figures::arrange(range, calendar, &facts);
    let previous = figures_of(conn, range.previous(), calendar, scope)?.totals;
    let slowest = reports::slowest(conn, &facts.waits, LISTED)?;
    let (unanswered_now, waiting_longest) = reports::unanswered(conn, scope, LISTED)?;
    Ok(Report {
        from: range.first.to_string(),
        to: range.last.to_string(),
        time_zone: zone_name.to_string(),
        figures,
        previous,
        slowest,
        unanswered_now,
        waiting_longest,
    })
}

/// Today's counters: one day's slots and waits, and the unanswered count.
pub fn live_counters(conn: &Connection, calendar: &Calendar, now: i64) -> Result<LiveCounters> {
    let today = calendar.date_of(now);
    let range = DayRange { first: today, last: today };
    let (start, end) = calendar.bounds_ms(range);
    let scope = Scope::default();
    let facts = reports::today_facts(conn, start, end)?;
    let totals = Figures::arrange(range, calendar, &facts).totals;
    Ok(LiveCounters {
        date: today.to_string(),
        inbound_today: totals.inbound,
        unanswered_now: reports::unanswered_count(conn, scope)?,
        median_response_today_ms: totals.first_response.median_ms,
    })
}

pub fn figures_of(conn: &Connection, range: DayRange, calendar: &Calendar, scope: Scope<'_>) -> Result<Figures> {
    let (start, end) = calendar.bounds_ms(range);
    let facts = reports::range_facts(conn, start, end, scope)?;
    Ok(Figures::arrange(range, calendar, &facts))
}

//! Reports: a range's figures from the store, arranged by local day, with the previous
//! range's totals and what needs attention now. Runs on a reader connection (the caller
//! puts it on a blocking thread), so a year of figures never holds up the runtime.

use rusqlite::{Connection, Transaction};

use crate::domain::business_hours::{BusinessHours, Stopwatch};
use crate::domain::error::{Error, Result};
use crate::domain::report::{
    Calendar, DayRange, Figures, LiveCounters, RangeFacts, Report, ReportRequest, Totals, Wait,
};
use crate::store::reports::{self, Scope};
use crate::store::settings;

/// How many slowest and longest-waiting conversations a report lists.
const LISTED: usize = 10;
/// The setting that holds the business hours, as JSON.
const BUSINESS_HOURS_SETTING: &str = "business_hours";

pub fn report(conn: &Connection, request: &ReportRequest, calendar: &Calendar, zone_name: &str) -> Result<Report> {
    let range = DayRange::parse(&request.from, &request.to).map_err(Error::Invalid)?;
    let scope = Scope::of(request);
    let hours = business_hours(conn)?;
    let watch = Stopwatch::new(calendar, hours.as_ref());
    let facts = facts_of(conn, range, calendar, scope)?;
    let figures = Figures::arrange(range, calendar, &facts, &watch);
    // The previous period is compared by its totals only.
    let previous = Totals::of(&facts_of(conn, range.previous(), calendar, scope)?, &watch);
    let slowest = reports::named(conn, &Wait::slowest(&facts.waits, LISTED, &watch))?;
    let (unanswered_now, waiting_longest) = reports::unanswered(conn, scope, LISTED)?;
    Ok(Report {
        from: range.first.to_string(),
        to: range.last.to_string(),
        time_zone: zone_name.to_string(),
        business_hours: hours,
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
    let hours = business_hours(conn)?;
    let facts = reports::today_facts(conn, start, end)?;
    let totals = Figures::arrange(range, calendar, &facts, &Stopwatch::new(calendar, hours.as_ref())).totals;
    Ok(LiveCounters {
        date: today.to_string(),
        inbound_today: totals.inbound,
        unanswered_now: reports::unanswered_count(conn, scope)?,
        median_response_today_ms: totals.first_response.median_ms,
    })
}

pub fn figures_of(
    conn: &Connection,
    range: DayRange,
    calendar: &Calendar,
    scope: Scope<'_>,
    watch: &Stopwatch<'_>,
) -> Result<Figures> {
    Ok(Figures::arrange(range, calendar, &facts_of(conn, range, calendar, scope)?, watch))
}

fn facts_of(conn: &Connection, range: DayRange, calendar: &Calendar, scope: Scope<'_>) -> Result<RangeFacts> {
    let (start, end) = calendar.bounds_ms(range);
    reports::range_facts(conn, start, end, scope)
}

/// The business hours the owner set, if any. A value this build cannot read (written by
/// a newer one, say) is logged and counts as none, so reports keep working.
pub fn business_hours(conn: &Connection) -> Result<Option<BusinessHours>> {
    let Some(json) = settings::get(conn, BUSINESS_HOURS_SETTING)? else { return Ok(None) };
    match serde_json::from_str::<BusinessHours>(&json) {
        Ok(hours) if hours.check().is_ok() => Ok(Some(hours)),
        Ok(_) | Err(_) => {
            tracing::warn!("the saved business hours cannot be read; times are counted by the clock");
            Ok(None)
        }
    }
}

/// Sets (or with `None`, clears) the business hours; refused when they cannot be right.
pub fn set_business_hours(tx: &Transaction<'_>, hours: Option<&BusinessHours>) -> Result<()> {
    match hours {
        Some(hours) => {
            hours.check().map_err(Error::Invalid)?;
            let json = serde_json::to_string(hours)
                .map_err(|source| Error::Json { context: "saving business hours".into(), source })?;
            settings::set(tx, BUSINESS_HOURS_SETTING, &json)
        }
        None => settings::remove(tx, BUSINESS_HOURS_SETTING),
    }
}

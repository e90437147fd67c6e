//! Business hours: when the owner is open, so that a customer who wrote at 22:00 and was
//! answered at 09:05 next morning counts as answered in 5 minutes, not 11 hours.
//!
//! The hours are local (the computer's time zone); each day's opening and closing are
//! turned into instants on their own date, so a DST change moves them with the clock.

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::report::Calendar;

/// The same opening hours on each open weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BusinessHours {
    /// Open weekdays, Monday = 0 … Sunday = 6.
    pub days: Vec<u8>,
    /// Opening time, minutes after local midnight.
    pub opens_at: u16,
    /// Closing time, minutes after local midnight; 1440 is midnight at the day's end.
    pub closes_at: u16,
}

const DAY_MINUTES: u16 = 24 * 60;

impl BusinessHours {
    /// Hours the owner can set: at least one day, and closing after opening on the same day.
    pub fn check(&self) -> Result<(), String> {
        if self.days.is_empty() {
            return Err("Choose at least one day the business is open.".into());
        }
        if self.days.iter().any(|d| *d > 6) {
            return Err("Days are numbered 0 (Monday) to 6 (Sunday).".into());
        }
        if self.closes_at > DAY_MINUTES || self.opens_at >= self.closes_at {
            return Err("Closing time must come after opening time, on the same day.".into());
        }
        Ok(())
    }

    fn open_on(&self, weekday: u8) -> bool {
        self.days.contains(&weekday)
    }
}

/// Measures how long something took: by the clock, or only inside business hours.
pub struct Stopwatch<'a> {
    calendar: &'a Calendar,
    hours: Option<&'a BusinessHours>,
    /// Each date's [open, close) instants (`None`: closed), computed once per report.
    days: RefCell<HashMap<Date, Option<(i64, i64)>>>,
}

impl<'a> Stopwatch<'a> {
    pub fn new(calendar: &'a Calendar, hours: Option<&'a BusinessHours>) -> Stopwatch<'a> {
        Stopwatch { calendar, hours, days: RefCell::new(HashMap::new()) }
    }

    /// Milliseconds from `from` to `to` (0 if `to` is not later), counting only open hours
    /// when business hours are set.
    pub fn elapsed(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let Some(hours) = self.hours else { return to - from };
        let mut total = 0;
        let mut date = self.calendar.date_of(from);
        while self.calendar.day_start_ms(date) < to {
            if let Some((open, close)) = self.open_hours(hours, date) {
                total += (close.min(to) - open.max(from)).max(0);
            }
            let Some(next) = date.tomorrow().ok() else { break };
            date = next;
        }
        total
    }

    fn open_hours(&self, hours: &BusinessHours, date: Date) -> Option<(i64, i64)> {
        *self.days.borrow_mut().entry(date).or_insert_with(|| {
            let weekday = date.weekday().to_monday_zero_offset() as u8;
            hours
                .open_on(weekday)
                .then(|| (self.calendar.local_ms(date, hours.opens_at), self.calendar.local_ms(date, hours.closes_at)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn london() -> Calendar {
        Calendar::new(TimeZone::get("Europe/London").expect("tz database"))
    }

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    const WEEKDAYS_9_TO_17: fn() -> BusinessHours =
        || BusinessHours { days: vec![0, 1, 2, 3, 4], opens_at: 9 * 60, closes_at: 17 * 60 };

    #[test]
    fn only_open_hours_count() {
        let c = london();
        let hours = WEEKDAYS_9_TO_17();
        let w = Stopwatch::new(&c, Some(&hours));
        const MIN: i64 = 60_000;
        // Wednesday 22:00 to Thursday 09:05 GMT: five minutes of business.
        assert_eq!(w.elapsed(at("2026-01-07T22:00:00Z"), at("2026-01-08T09:05:00Z")), 5 * MIN);
        // Friday 16:00 to Monday 10:00: an hour on Friday, an hour on Monday.
        assert_eq!(w.elapsed(at("2026-01-09T16:00:00Z"), at("2026-01-12T10:00:00Z")), 120 * MIN);
        // Inside one day.
        assert_eq!(w.elapsed(at("2026-01-07T10:00:00Z"), at("2026-01-07T10:30:00Z")), 30 * MIN);
        // A weekend message answered on Sunday counts nothing.
        assert_eq!(w.elapsed(at("2026-01-10T10:00:00Z"), at("2026-01-11T12:00:00Z")), 0);
        // In summer London is on BST: 09:00 local is 08:00 UTC.
        assert_eq!(w.elapsed(at("2026-07-01T07:00:00Z"), at("2026-07-01T08:30:00Z")), 30 * MIN);
        // By the clock when no hours are set.
        assert_eq!(Stopwatch::new(&c, None).elapsed(0, 5 * MIN), 5 * MIN);
    }

    #[test]
    fn hours_are_checked() {
        assert!(WEEKDAYS_9_TO_17().check().is_ok());
        let closed = BusinessHours { days: vec![], ..WEEKDAYS_9_TO_17() };
        assert!(closed.check().unwrap_err().contains("at least one day"));
        let backwards = BusinessHours { opens_at: 18 * 60, ..WEEKDAYS_9_TO_17() };
        assert!(backwards.check().unwrap_err().contains("after opening"));
        let eighth_day = BusinessHours { days: vec![7], ..WEEKDAYS_9_TO_17() };
        assert!(eighth_day.check().is_err());
        let till_midnight = BusinessHours { closes_at: 1440, ..WEEKDAYS_9_TO_17() };
        assert!(till_midnight.check().is_ok());
    }
}

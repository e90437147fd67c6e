//! Reports: how the business is doing over a range of days, in the computer's time zone.
//!
//! The store keeps counts per 15-minute slot of UTC time and each customer's wait for an
//! answer ([`crate::store::report_figures`]); this module turns those into the figures a
//! report shows, with no I/O. Days, ISO weeks and the weekday × hour heat map are taken
//! in a [`TimeZone`] the caller passes (the computer's), so a day is what the owner's
//! calendar says, 23 or 25 hours long across a DST change.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::business_hours::{BusinessHours, Stopwatch};
use super::events::Platform;
use super::text_enum::text_enum;

text_enum! {
    /// The report's CSV files.
    pub enum ReportCsv {
        /// One row per day, the figures exactly as charted.
        Daily = "daily",
        /// One row per conversation with messages in the range.
        Conversations = "conversations",
        /// One row per message; texts only when asked for.
        Messages = "messages",
    }
}

/// The width of a count slot: every UTC offset in use is a multiple of it.
pub const SLOT_MS: i64 = 15 * 60 * 1000;
const HOUR_MS: i64 = 3600 * 1000;
/// A customer message after this long without any message asks anew (Meta's responsiveness).
pub const QUIET_MS: i64 = 24 * 3600 * 1000;
/// Meta's standard messaging window after the customer's latest message; a reply later is
/// counted as sent outside it.
pub const REPLY_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Which days and which conversations a report covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    /// First day, `YYYY-MM-DD`, in the computer's time zone.
    pub from: String,
    /// Last day, included.
    pub to: String,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
}

/// A range of whole local days, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: Date,
    pub last: Date,
}

/// The longest range a report covers: ten years of days keeps every chart drawable.
const MAX_DAYS: i32 = 3660;

impl DayRange {
    pub fn parse(from: &str, to: &str) -> Result<DayRange, String> {
        let day = |s: &str, what: &str| {
            s.trim().parse::<Date>().map_err(|_| format!("The {what} date {s:?} is not a date like 2026-12-31."))
        };
        let (first, last) = (day(from, "start")?, day(to, "end")?);
        if last < first {
            return Err("The range ends before it starts.".into());
        }
        let range = DayRange { first, last };
        if range.days() > MAX_DAYS {
            return Err(format!("A report covers at most {MAX_DAYS} days."));
        }
        Ok(range)
    }

    /// How many days, both ends included.
    pub fn days(&self) -> i32 {
        (self.last - self.first).get_days() + 1
    }

    /// The range of the same length just before this one.
    pub fn previous(&self) -> DayRange {
        let days = i64::from(self.days());
        let last = self.first.yesterday().unwrap_or(self.first);
        let first = last.checked_sub(jiff::Span::new().days(days - 1)).unwrap_or(last);
        DayRange { first, last }
    }

    pub fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.first.series(jiff::Span::new().days(1)).take_while(|d| *d <= self.last)
    }
}

/// Local days, weeks and hours of instants, in one time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
}

impl Calendar {
    pub fn new(tz: TimeZone) -> Calendar {
        Calendar { tz }
    }

    /// When `date` starts here (its first instant, even when midnight is skipped by DST).
    pub fn day_start_ms(&self, date: Date) -> i64 {
        date.to_zoned_datetime(self.tz.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
    }

    /// [start, end) of a day range, in milliseconds.
    pub fn bounds_ms(&self, range: DayRange) -> (i64, i64) {
        let end = range.last.tomorrow().map(|d| self.day_start_ms(d)).unwrap_or(i64::MAX);
        (self.day_start_ms(range.first), end)
    }

    pub fn date_of(&self, ms: i64) -> Date {
        self.zoned(ms).date()
    }

    /// (weekday, Monday = 0; hour 0–23) of an instant.
    pub fn weekday_hour(&self, ms: i64) -> (usize, usize) {
        let z = self.zoned(ms);
        (z.weekday().to_monday_zero_offset() as usize, z.hour() as usize)
    }

    /// An instant as local time with its offset, `2026-03-29T03:00:00+01:00`: what a
    /// spreadsheet reads as a time and a person reads without knowing the zone.
    pub fn iso(&self, ms: i64) -> String {
        self.zoned(ms).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// The instant a local time of day (minutes after midnight; 1440 is the next midnight)
    /// falls on `date`; a time skipped by DST moves forward to the next that exists.
    pub fn local_ms(&self, date: Date, minutes: u16) -> i64 {
        if minutes >= 24 * 60 {
            return date.tomorrow().map(|d| self.day_start_ms(d)).unwrap_or(i64::MAX);
        }
        let time = jiff::civil::Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).unwrap_or_default();
        date.to_datetime(time).to_zoned_datetime(self.tz.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
    }

    /// An instant as a person reads it on paper: `3 Dec 2026 18:40`.
    pub fn printed(&self, ms: i64) -> String {
        self.zoned(ms).strftime("%-d %b %Y %H:%M").to_string()
    }

    fn zoned(&self, ms: i64) -> jiff::ZonedDateTime {
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(self.tz.clone())
    }
}

/// The ISO week a date belongs to, as `2026-W49`.
pub fn iso_week(date: Date) -> String {
    let w = date.iso_week_date();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Messages in and out, per platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub messenger: u32,
    pub instagram: u32,
    pub whatsapp: u32,
}

impl Volume {
    pub fn add(&mut self, platform: Platform, n: u32) {
        match platform {
            Platform::Messenger => self.messenger += n,
            Platform::Instagram => self.instagram += n,
            Platform::Whatsapp => self.whatsapp += n,
        }
    }

    pub fn of(&self, platform: Platform) -> u32 {
        match platform {
            Platform::Messenger => self.messenger,
            Platform::Instagram => self.instagram,
            Platform::Whatsapp => self.whatsapp,
        }
    }

    pub fn total(&self) -> u32 {
        self.messenger + self.instagram + self.whatsapp
    }

    fn plus(self, other: Volume) -> Volume {
        Volume {
            messenger: self.messenger + other.messenger,
            instagram: self.instagram + other.instagram,
            whatsapp: self.whatsapp + other.whatsapp,
        }
    }
}

/// One day's figures (also one ISO week's, summed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// `YYYY-MM-DD` for a day, `YYYY-Www` for a week.
    pub label: String,
    pub inbound: Volume,
    pub outbound: Volume,
    pub new_conversations: Volume,
}

/// Summary statistics of durations, in milliseconds; `None` when there were none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Durations {
    pub count: u32,
    #[ts(type = "number | null")]
    pub median_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub p90_ms: Option<i64>,
    /// Meta's figure: the average of the fastest 90 %.
    #[ts(type = "number | null")]
    pub fastest_90_average_ms: Option<i64>,
}

impl Durations {
    /// Nearest-rank median and p90, and the average of the fastest 90 %: found by
    /// selection, not a full sort (a year can hold hundreds of thousands of waits).
    pub fn of(mut values: Vec<i64>) -> Durations {
        let n = values.len();
        if n == 0 {
            return Durations::default();
        }
        let rank = |p: f64| ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
        let (i50, i90) = (rank(0.5), rank(0.9));
        // After this, everything before i90 is no larger than values[i90].
        let (fastest, p90, _) = values.select_nth_unstable(i90);
        let p90 = *p90;
        let sum: i128 = fastest.iter().map(|&v| i128::from(v)).sum::<i128>() + i128::from(p90);
        let median = if i50 < i90 { *fastest.select_nth_unstable(i50).1 } else { p90 };
        Durations {
            count: n as u32,
            median_ms: Some(median),
            p90_ms: Some(p90),
            fastest_90_average_ms: Some((sum / (i90 + 1) as i128) as i64),
        }
    }
}

/// The number cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub inbound: u32,
    pub outbound: u32,
    pub new_conversations: u32,
    /// Customers who asked (after 24 h of quiet) in the range.
    pub waits: u32,
    /// Of those, answered at all.
    pub answered: u32,
    pub first_response: Durations,
    /// From the customer's ask to Done, for conversations marked done in the range.
    pub resolution: Durations,
    /// Business messages sent 24 hours or more after the customer's latest message.
    pub late_replies: u32,
}

impl Totals {
    /// The totals of `facts` alone (the previous period's, compared with): no days, weeks
    /// or heat map.
    pub fn of(facts: &RangeFacts, watch: &Stopwatch<'_>) -> Totals {
        Totals::with_responses(facts, watch).0
    }

    /// The totals, and the first-response times they were computed from.
    fn with_responses(facts: &RangeFacts, watch: &Stopwatch<'_>) -> (Totals, Vec<i64>) {
        let first_responses: Vec<i64> = facts.waits.iter().filter_map(|w| w.response_ms(watch)).collect();
        let totals = Totals {
            inbound: facts.slots.iter().map(|s| s.inbound).sum(),
            outbound: facts.slots.iter().map(|s| s.outbound).sum(),
            new_conversations: facts.conversation_starts.len() as u32,
            waits: facts.waits.len() as u32,
            answered: first_responses.len() as u32,
            first_response: Durations::of(first_responses.clone()),
            resolution: Durations::of(
                facts.resolutions.iter().map(|(asked, done, _)| watch.elapsed(*asked, *done)).collect(),
            ),
            late_replies: facts.late_replies.iter().map(|(_, n)| n).sum(),
        };
        (totals, first_responses)
    }

    /// Answered ÷ asked, when anyone asked.
    pub fn response_rate(&self) -> Option<f64> {
        (self.waits > 0).then(|| f64::from(self.answered) / f64::from(self.waits))
    }
}

/// A customer's wait that began in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub conversation_id: i64,
    pub platform: Platform,
    pub asked_at: i64,
    pub answered_at: Option<i64>,
}

impl Wait {
    /// How long the first answer took, as `watch` measures; `None` while unanswered.
    pub fn response_ms(&self, watch: &Stopwatch<'_>) -> Option<i64> {
        self.answered_at.map(|answered| watch.elapsed(self.asked_at, answered))
    }

    /// The `limit` waits that took longest, unanswered ones first (oldest first), each
    /// with how long it took.
    pub fn slowest<'w>(waits: &'w [Wait], limit: usize, watch: &Stopwatch<'_>) -> Vec<(&'w Wait, Option<i64>)> {
        let mut ranked: Vec<(&Wait, Option<i64>)> = waits.iter().map(|w| (w, w.response_ms(watch))).collect();
        let key = |(w, took): &(&Wait, Option<i64>)| (took.is_some(), std::cmp::Reverse(*took), w.asked_at);
        if ranked.len() > limit && limit > 0 {
            ranked.select_nth_unstable_by_key(limit - 1, key);
            ranked.truncate(limit);
        }
        ranked.sort_by_key(key);
        ranked.truncate(limit);
        ranked
    }
}

/// Messages per slot of one platform, as the store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotCount {
    pub slot: i64,
    pub platform: Platform,
    pub inbound: u32,
    pub outbound: u32,
}

/// A conversation that took longest to get its first answer (or is still waiting).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SlowConversation {
    pub conversation_id: String,
    pub platform: Platform,
    pub contact_name: Option<String>,
    #[ts(type = "number")]
    pub asked_at: i64,
    /// `None`: not answered yet.
    #[ts(type = "number | null")]
    pub first_response_ms: Option<i64>,
}

/// What the store holds for a range, before it is arranged by day.
#[derive(Debug, Clone, Default)]
pub struct RangeFacts {
    pub slots: Vec<SlotCount>,
    /// (first message time, platform) of conversations that began in the range.
    pub conversation_starts: Vec<(i64, Platform)>,
    pub waits: Vec<Wait>,
    /// (asked, done, platform) of conversations marked done in the range.
    pub resolutions: Vec<(i64, i64, Platform)>,
    /// Late replies sent in the range, per platform.
    pub late_replies: Vec<(Platform, u32)>,
}

impl RangeFacts {
    /// Only what happened on `platform`.
    pub fn of_platform(&self, platform: Platform) -> RangeFacts {
        RangeFacts {
            slots: self.slots.iter().filter(|s| s.platform == platform).copied().collect(),
            conversation_starts: self.conversation_starts.iter().filter(|(_, p)| *p == platform).copied().collect(),
            waits: self.waits.iter().filter(|w| w.platform == platform).cloned().collect(),
            resolutions: self.resolutions.iter().filter(|(_, _, p)| *p == platform).copied().collect(),
            late_replies: self.late_replies.iter().filter(|(p, _)| *p == platform).copied().collect(),
        }
    }
}

/// The figures of one range, arranged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub totals: Totals,
    pub days: Vec<Period>,
    pub weeks: Vec<Period>,
    /// Inbound messages by weekday (Monday first) and local hour.
    pub heat_map: Vec<Vec<u32>>,
    /// How many first responses took how long, for the distribution chart.
    pub response_times: Vec<ResponseBucket>,
    /// The totals of each platform with messages in the range (the per-platform table).
    pub by_platform: Vec<PlatformTotals>,
}

/// First responses within one band of durations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBucket {
    pub label: String,
    /// Up to this many milliseconds (excluded); `None` for the last band.
    #[ts(type = "number | null")]
    pub up_to_ms: Option<i64>,
    pub count: u32,
}

/// The bands of the response-time chart: what an owner tells apart (minutes, hours, a day).
const RESPONSE_BANDS: [(&str, Option<i64>); 6] = [
    ("< 5 min", Some(5 * 60_000)),
    ("5–15 min", Some(15 * 60_000)),
    ("15–60 min", Some(3_600_000)),
    ("1–4 h", Some(4 * 3_600_000)),
    ("4–24 h", Some(24 * 3_600_000)),
    ("> 24 h", None),
];

impl ResponseBucket {
    /// Counts `durations` into the chart's bands.
    pub fn bands_of(durations: &[i64]) -> Vec<ResponseBucket> {
        let mut bands: Vec<ResponseBucket> = RESPONSE_BANDS
            .iter()
            .map(|(label, up_to_ms)| ResponseBucket { label: (*label).to_string(), up_to_ms: *up_to_ms, count: 0 })
            .collect();
        for &d in durations {
            let i = bands.iter().position(|b| b.up_to_ms.is_none_or(|up| d < up)).unwrap_or(bands.len() - 1);
            bands[i].count += 1;
        }
        bands
    }
}

/// One platform's share of a range: the same totals as the cards, of its conversations.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformTotals {
    pub platform: Platform,
    #[serde(flatten)]
    #[ts(flatten)]
    pub totals: Totals,
}

impl Figures {
    /// Arranges `facts` by local day and week of `range` in `calendar`; durations as
    /// `watch` measures them (by the clock, or in business hours).
    pub fn arrange(range: DayRange, calendar: &Calendar, facts: &RangeFacts, watch: &Stopwatch<'_>) -> Figures {
        let dates: Vec<Date> = range.dates().collect();
        let starts: Vec<i64> = dates.iter().map(|d| calendar.day_start_ms(*d)).collect();
        let end = calendar.bounds_ms(range).1;
        // Which day an instant falls on: the last day starting at or before it.
        let day_index = |ms: i64| starts.partition_point(|&s| s <= ms).checked_sub(1);
        let mut days: Vec<Period> =
            dates.iter().map(|d| Period { label: d.to_string(), ..Period::default() }).collect();
        let mut heat_map = vec![vec![0u32; 24]; 7];
        for s in &facts.slots {
            let at = s.slot * SLOT_MS;
            let Some(i) = day_index(at) else { continue };
            days[i].inbound.add(s.platform, s.inbound);
            days[i].outbound.add(s.platform, s.outbound);
            // A day of 24 hours has no clock change: its hours follow from its start, and
            // only the days DST shortens or lengthens ask the time zone.
            let day_end = starts.get(i + 1).copied().unwrap_or(end);
            let (weekday, hour) = if day_end - starts[i] == 24 * HOUR_MS {
                (dates[i].weekday().to_monday_zero_offset() as usize, ((at - starts[i]) / HOUR_MS) as usize)
            } else {
                calendar.weekday_hour(at)
            };
            heat_map[weekday][hour.min(23)] += s.inbound;
        }
        for &(at, platform) in &facts.conversation_starts {
            if let Some(i) = day_index(at) {
                days[i].new_conversations.add(platform, 1);
            }
        }
        let (totals, first_responses) = Totals::with_responses(facts, watch);
        let weeks = weeks_of(&dates, &days);
        let response_times = ResponseBucket::bands_of(&first_responses);
        let by_platform = platform_totals(facts, watch);
        Figures { totals, days, weeks, heat_map, response_times, by_platform }
    }
}

/// Each platform's totals, in the order platforms are listed everywhere; a platform with
/// no messages and no waits in the range is left out.
fn platform_totals(facts: &RangeFacts, watch: &Stopwatch<'_>) -> Vec<PlatformTotals> {
    Platform::ALL
        .iter()
        .map(|&platform| PlatformTotals { platform, totals: Totals::of(&facts.of_platform(platform), watch) })
        .filter(|p| p.totals.inbound + p.totals.outbound + p.totals.waits > 0)
        .collect()
}

/// Days summed into ISO weeks; a week cut by the range holds only its days in it.
fn weeks_of(dates: &[Date], days: &[Period]) -> Vec<Period> {
    let mut weeks: Vec<Period> = Vec::new();
    for (date, day) in dates.iter().zip(days) {
        let label = iso_week(*date);
        let week = match weeks.last_mut() {
            Some(week) if week.label == label => week,
            _ => {
                weeks.push(Period { label, ..Period::default() });
                let last = weeks.len() - 1;
                &mut weeks[last]
            }
        };
        week.inbound = week.inbound.plus(day.inbound);
        week.outbound = week.outbound.plus(day.outbound);
        week.new_conversations = week.new_conversations.plus(day.new_conversations);
    }
    weeks
}

/// A report: the range's figures, the previous range's totals for comparison, and what
/// needs attention now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    pub time_zone: String,
    /// Set: response and resolution times count only these hours.
    pub business_hours: Option<BusinessHours>,
    pub figures: Figures,
    /// The same figures over the same number of days just before.
    pub previous: Totals,
    pub slowest: Vec<SlowConversation>,
    /// Open conversations whose newest message is the customer's.
    pub unanswered_now: u32,
    pub waiting_longest: Vec<SlowConversation>,
}

/// The counters the window keeps in view, refreshed as messages arrive: today's only, so
/// they cost the same whatever the history holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LiveCounters {
    /// Today in the computer's time zone.
    pub date: String,
    pub inbound_today: u32,
    pub unanswered_now: u32,
    /// First responses to customers who asked today.
    #[ts(type = "number | null")]
    pub median_response_today_ms: Option<i64>,
}

/// A CSV file of a report, written where the owner chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportCsvRequest {
    pub report: ReportRequest,
    pub kind: ReportCsv,
    /// Message texts in the messages file.
    #[serde(default)]
    pub with_text: bool,
    pub path: String,
    /// Set by the window to follow the export's progress and cancel it.
    #[serde(default)]
    pub export_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportCsvWritten {
    pub rows: u32,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> Calendar {
        Calendar::new(TimeZone::get("Europe/London").expect("the tz database has Europe/London"))
    }

    #[test]
    fn percentiles_are_nearest_rank_and_the_fastest_90_average_drops_the_slowest_tenth() {
        let d = Durations::of((1..=10).map(|m| m * 60_000).collect());
        assert_eq!(d.count, 10);
        assert_eq!(d.median_ms, Some(5 * 60_000));
        assert_eq!(d.p90_ms, Some(9 * 60_000));
        // (1 + … + 9) / 9 minutes.
        assert_eq!(d.fastest_90_average_ms, Some(5 * 60_000));
        assert_eq!(Durations::of(Vec::new()), Durations::default());
        assert_eq!(Durations::of(vec![7]).median_ms, Some(7));
    }

    #[test]
    fn selection_gives_what_sorting_gives() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for n in 1..300 {
            let values: Vec<i64> = (0..n).map(|_| rng.random_range(0..1_000)).collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let rank = |p: f64| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
            let fastest = ((0.9 * n as f64).ceil() as usize).max(1);
            let average = sorted[..fastest].iter().sum::<i64>() / fastest as i64;
            let d = Durations::of(values);
            assert_eq!(
                (d.median_ms, d.p90_ms, d.fastest_90_average_ms),
                (Some(rank(0.5)), Some(rank(0.9)), Some(average)),
                "n = {n}"
            );
        }
    }

    #[test]
    fn response_times_fall_into_the_band_below_their_upper_edge() {
        let counts: Vec<u32> = ResponseBucket::bands_of(&[0, 299_999, 300_000, 3_600_000, 90_000_000, 4 * 3_600_000])
            .iter()
            .map(|b| b.count)
            .collect();
        assert_eq!(counts, [2, 1, 0, 1, 1, 1]);
    }

    #[test]
    fn a_day_across_a_dst_change_is_23_or_25_hours_long() {
        let c = london();
        let day = |s: &str| s.parse::<Date>().unwrap();
        let length = |s: &str| {
            let r = DayRange { first: day(s), last: day(s) };
            let (start, end) = c.bounds_ms(r);
            (end - start) / 3_600_000
        };
        assert_eq!(length("2026-03-29"), 23, "clocks go forward in London");
        assert_eq!(length("2026-10-25"), 25, "clocks go back");
        assert_eq!(length("2026-06-01"), 24);
    }

    #[test]
    fn ranges_are_checked_and_the_previous_one_has_the_same_length() {
        let r = DayRange::parse("2026-03-01", "2026-03-31").unwrap();
        assert_eq!(r.days(), 31);
        let p = r.previous();
        assert_eq!((p.first.to_string(), p.last.to_string()), ("2026-01-29".into(), "2026-02-28".into()));
        assert!(DayRange::parse("2026-03-02", "2026-03-01").unwrap_err().contains("ends before"));
        assert!(DayRange::parse("yesterday", "2026-03-01").unwrap_err().contains("not a date"));
        assert_eq!(iso_week("2026-12-31".parse().unwrap()), "2026-W53");
        assert_eq!(iso_week("2027-01-04".parse().unwrap()), "2027-W01");
    }
}

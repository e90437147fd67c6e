//! How the printed report words numbers, durations and dates (English, as the window).

use jiff::civil::Date;

use crate::domain::business_hours::BusinessHours;

/// 12,345.
pub fn count(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration as people say it: 45 s, 12 min, 3.5 h, 2.1 days (the window's wording).
pub fn duration(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return "—".into() };
    let minutes = ms as f64 / 60_000.0;
    if minutes < 1.0 {
        format!("{} s", (ms as f64 / 1000.0).round().max(1.0))
    } else if minutes < 60.0 {
        format!("{} min", minutes.round())
    } else if minutes < 48.0 * 60.0 {
        let hours = minutes / 60.0;
        if minutes < 600.0 { format!("{:.1} h", tenths(hours)) } else { format!("{:.0} h", hours.round()) }
    } else {
        format!("{:.1} days", tenths(minutes / 1440.0))
    }
}

/// Rounded to a tenth, halves up (as the window's `toFixed` does; `{:.1}` rounds 2.25 to 2.2).
fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// 3 Nov 2026.
pub fn date(d: Date) -> String {
    d.strftime("%-d %b %Y").to_string()
}

/// 3 Nov (a chart's axis).
pub fn short_date(d: Date) -> String {
    d.strftime("%-d %b").to_string()
}

/// Business hours as a sign on a door says them: "Mon–Fri 09:00–17:30".
pub fn hours(hours: &BusinessHours) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut open: Vec<u8> = hours.days.clone();
    open.sort_unstable();
    open.dedup();
    // Consecutive days read as a span.
    let mut spans: Vec<String> = Vec::new();
    let mut i = 0;
    while i < open.len() {
        let mut j = i;
        while j + 1 < open.len() && open[j + 1] == open[j] + 1 {
            j += 1;
        }
        let name = |d: u8| DAYS.get(usize::from(d)).copied().unwrap_or("?");
        spans.push(match j - i {
            0 => name(open[i]).to_string(),
            1 => format!("{}, {}", name(open[i]), name(open[j])),
            _ => format!("{}–{}", name(open[i]), name(open[j])),
        });
        i = j + 1;
    }
    let clock = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    format!("{} {}–{}", spans.join(", "), clock(hours.opens_at), clock(hours.closes_at))
}

/// The change from `before` to `now` as a signed percentage; `None` when there was nothing before.
pub fn change(now: f64, before: f64) -> Option<i64> {
    (before != 0.0).then(|| ((now - before) / before * 100.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_as_the_window_says_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(4_000)), "4 s");
        assert_eq!(duration(Some(12 * 60_000)), "12 min");
        assert_eq!(duration(Some(90 * 60_000)), "1.5 h");
        assert_eq!(duration(Some(30 * 3_600_000)), "30 h");
        assert_eq!(duration(Some(54 * 3_600_000)), "2.3 days");
        assert_eq!(date("2026-11-03".parse().unwrap()), "3 Nov 2026");
        assert_eq!(change(120.0, 100.0), Some(20));
        assert_eq!(change(5.0, 0.0), None);
        let week = BusinessHours { days: vec![4, 0, 1, 2, 3], opens_at: 9 * 60, closes_at: 17 * 60 + 30 };
        assert_eq!(hours(&week), "Mon–Fri 09:00–17:30");
        let odd = BusinessHours { days: vec![0, 2, 3, 5, 6], opens_at: 8 * 60, closes_at: 1440 };
        assert_eq!(hours(&odd), "Mon, Wed, Thu, Sat, Sun 08:00–24:00");
    }
}

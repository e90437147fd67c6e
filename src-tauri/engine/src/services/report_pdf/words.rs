//! How the printed report words numbers, durations and dates (English, as the window).

use jiff::civil::Date;

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
    }
}

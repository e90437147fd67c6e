//! The report's charts as vector drawings: volume per day or week (customers' messages above
//! the axis, the business's below, stacked by platform), first-response times, and the
//! weekday × hour heat map.

use super::pages::Frame;
use super::paint::{self, BORDER, BORDER_STRONG, BRAND, PANEL, Rgb, TEXT_2, TEXT_3, platform_color};
use super::typeset::{Align, Style};
use super::words;
use crate::domain::events::Platform;
use crate::domain::report::{Period, ResponseBucket};

const AXIS: Style = Style::new(7.5, TEXT_3);
const LABEL: Style = Style::new(8.5, TEXT_2);
/// Left of the plot: the axis numbers.
const AXIS_WIDTH: f32 = 34.0;
/// Below the plot: the dates.
const DATES_HEIGHT: f32 = 14.0;
pub const VOLUME_HEIGHT: f32 = 200.0;
/// How light the business's own bars are.
const OUTBOUND_TINT: f32 = 0.45;

/// One bar of the volume chart.
pub struct VolumeBar {
    /// Under the bar when there is room: "3 Nov" or "W45".
    pub label: String,
    pub inbound: [u32; 3],
    pub outbound: [u32; 3],
}

impl VolumeBar {
    pub fn of(period: &Period, label: String) -> VolumeBar {
        VolumeBar {
            label,
            inbound: Platform::ALL.map(|p| period.inbound.of(p)),
            outbound: Platform::ALL.map(|p| period.outbound.of(p)),
        }
    }
}

/// Round numbers for an axis from 0 to at least `max`: the step and how many steps.
fn axis_steps(max: u32) -> (u32, u32) {
    if max == 0 {
        return (1, 1);
    }
    let rough = f64::from(max) / 3.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude);
    let step = (step as u32).max(1);
    (step, max.div_ceil(step).max(1))
}

pub fn volume(frame: &mut Frame<'_, '_>, bars: &[VolumeBar], height: f32) {
    let sum = |v: &[u32; 3]| v.iter().sum::<u32>();
    let (in_step, in_steps) = axis_steps(bars.iter().map(|b| sum(&b.inbound)).max().unwrap_or(0));
    let (out_step, out_steps) = axis_steps(bars.iter().map(|b| sum(&b.outbound)).max().unwrap_or(0));
    let plot_x = frame.x + AXIS_WIDTH;
    let plot_w = frame.width - AXIS_WIDTH;
    let plot_h = height - DATES_HEIGHT;
    // One scale for both halves, so a bar's length means the same above and below.
    let per_message = plot_h / (in_step * in_steps + out_step * out_steps) as f32;
    let zero = frame.y + (in_step * in_steps) as f32 * per_message;

    for (step, steps, sign) in [(in_step, in_steps, -1.0), (out_step, out_steps, 1.0)] {
        for i in 1..=steps {
            let y = zero + sign * (step * i) as f32 * per_message;
            paint::line(frame.surface, (plot_x, y), (plot_x + plot_w, y), 0.4, BORDER);
            let number = frame.ts.line(&words::count(step * i), AXIS, AXIS_WIDTH - 6.0, Align::Right);
            frame.ts.draw(frame.surface, &number, frame.x, y - number.height() / 2.0);
        }
    }
    let band = plot_w / bars.len().max(1) as f32;
    let bar_w = (band * 0.72).max(0.6);
    for (i, bar) in bars.iter().enumerate() {
        let x = plot_x + i as f32 * band + (band - bar_w) / 2.0;
        let (mut up, mut down) = (zero, zero);
        for (p, platform) in Platform::ALL.iter().enumerate() {
            let color = platform_color(*platform);
            let h = bar.inbound[p] as f32 * per_message;
            up -= h;
            paint::fill_rect(frame.surface, x, up, bar_w, h, color);
            let h = bar.outbound[p] as f32 * per_message;
            paint::fill_rect(frame.surface, x, down, bar_w, h, color.tint(OUTBOUND_TINT));
            down += h;
        }
    }
    paint::line(frame.surface, (plot_x, zero), (plot_x + plot_w, zero), 0.8, BORDER_STRONG);
    for (word, y) in [("in", zero - 10.0), ("out", zero + 2.0)] {
        let label = frame.ts.line(word, AXIS, AXIS_WIDTH - 6.0, Align::Right);
        frame.ts.draw(frame.surface, &label, frame.x, y);
    }
    date_labels(frame, bars, plot_x, band, frame.y + plot_h + 3.0);
}

/// Dates under the bars: as many as fit without touching.
fn date_labels(frame: &mut Frame<'_, '_>, bars: &[VolumeBar], plot_x: f32, band: f32, y: f32) {
    const LABEL_WIDTH: f32 = 40.0;
    let every = ((LABEL_WIDTH / band).ceil() as usize).max(1);
    for (i, bar) in bars.iter().enumerate().step_by(every) {
        let center = plot_x + (i as f32 + 0.5) * band;
        let label = frame.ts.line(&bar.label, AXIS, LABEL_WIDTH, Align::Center);
        frame.ts.draw(frame.surface, &label, center - LABEL_WIDTH / 2.0, y);
    }
}

/// The channels in the chart and what solid and light mean.
pub fn volume_legend(frame: &mut Frame<'_, '_>, platforms: &[Platform]) {
    let mut x = frame.x + AXIS_WIDTH;
    for platform in platforms {
        paint::fill_rect(frame.surface, x, frame.y + 2.0, 8.0, 8.0, platform_color(*platform));
        let name = frame.ts.line(platform.display_name(), LABEL, 100.0, Align::Left);
        frame.ts.draw(frame.surface, &name, x + 11.0, frame.y);
        x += 11.0 + name.width() + 14.0;
    }
    let key = frame.ts.line("Solid: from customers · light: from you", LABEL, frame.width, Align::Left);
    frame.ts.draw(frame.surface, &key, x + 6.0, frame.y);
}

pub const RESPONSE_ROW: f32 = 17.0;

/// First responses per band of time, as horizontal bars with their counts.
pub fn response_times(frame: &mut Frame<'_, '_>, buckets: &[ResponseBucket]) {
    const LABEL_WIDTH: f32 = 64.0;
    const COUNT_WIDTH: f32 = 48.0;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let bar_room = frame.width - LABEL_WIDTH - COUNT_WIDTH;
    for (i, bucket) in buckets.iter().enumerate() {
        let y = frame.y + i as f32 * RESPONSE_ROW;
        let label = frame.ts.line(&bucket.label, LABEL, LABEL_WIDTH - 8.0, Align::Left);
        frame.ts.draw(frame.surface, &label, frame.x, y + 2.0);
        let w = bar_room * bucket.count as f32 / max as f32;
        paint::fill_rect(frame.surface, frame.x + LABEL_WIDTH, y + 3.0, bar_room, RESPONSE_ROW - 6.0, PANEL);
        if bucket.count > 0 {
            paint::fill_rect(frame.surface, frame.x + LABEL_WIDTH, y + 3.0, w, RESPONSE_ROW - 6.0, BRAND);
        }
        let count = frame.ts.line(&words::count(bucket.count), LABEL, COUNT_WIDTH - 6.0, Align::Right);
        frame.ts.draw(frame.surface, &count, frame.x + frame.width - COUNT_WIDTH, y + 2.0);
    }
}

pub const HEAT_ROW: f32 = 15.0;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Customers' messages by weekday (rows, Monday first) and local hour (columns).
pub fn heat_map(frame: &mut Frame<'_, '_>, cells: &[Vec<u32>]) {
    const DAY_WIDTH: f32 = 30.0;
    let cell_w = (frame.width - DAY_WIDTH) / 24.0;
    let max = cells.iter().flatten().copied().max().unwrap_or(0).max(1);
    for hour in (0..24).step_by(3) {
        let label = frame.ts.line(&format!("{hour:02}:00"), AXIS, cell_w * 3.0, Align::Left);
        frame.ts.draw(frame.surface, &label, frame.x + DAY_WIDTH + hour as f32 * cell_w, frame.y);
    }
    let top = frame.y + 12.0;
    for (d, day) in WEEKDAYS.iter().enumerate() {
        let y = top + d as f32 * HEAT_ROW;
        let label = frame.ts.line(day, LABEL, DAY_WIDTH - 4.0, Align::Left);
        frame.ts.draw(frame.surface, &label, frame.x, y + 2.0);
        for hour in 0..24 {
            let n = cells.get(d).and_then(|row| row.get(hour)).copied().unwrap_or(0);
            let color = if n == 0 { PANEL } else { heat_color(n as f32 / max as f32) };
            let x = frame.x + DAY_WIDTH + hour as f32 * cell_w;
            paint::fill_rect(frame.surface, x + 0.6, y + 0.6, cell_w - 1.2, HEAT_ROW - 1.2, color);
        }
    }
    // The scale, lightest to darkest.
    let y = top + 7.0 * HEAT_ROW + 5.0;
    let fewer = frame.ts.line("Fewer", AXIS, DAY_WIDTH, Align::Left);
    frame.ts.draw(frame.surface, &fewer, frame.x, y);
    for i in 0..6 {
        let x = frame.x + DAY_WIDTH + 4.0 + i as f32 * 12.0;
        paint::fill_rect(frame.surface, x, y + 1.0, 10.0, 8.0, heat_color(i as f32 / 5.0));
    }
    let more = frame.ts.line(&format!("More (busiest hour: {})", words::count(max)), AXIS, 200.0, Align::Left);
    frame.ts.draw(frame.surface, &more, frame.x + DAY_WIDTH + 4.0 + 6.0 * 12.0 + 2.0, y);
}

pub const HEAT_MAP_HEIGHT: f32 = 12.0 + 7.0 * HEAT_ROW + 18.0;

/// The shade of a cell holding `share` of the busiest hour's messages.
fn heat_color(share: f32) -> Rgb {
    BRAND.tint(0.12 + 0.88 * share)
}

#[cfg(test)]
mod tests {
    use super::axis_steps;

    #[test]
    fn axes_use_round_steps_that_cover_the_largest_bar() {
        assert_eq!(axis_steps(0), (1, 1));
        assert_eq!(axis_steps(7), (5, 2));
        assert_eq!(axis_steps(30), (10, 3));
        assert_eq!(axis_steps(1234), (500, 3));
        for max in [1, 9, 99, 101, 4_999, 123_456] {
            let (step, steps) = axis_steps(max);
            assert!(step * steps >= max && steps <= 4, "{max}: {step} × {steps}");
        }
    }
}

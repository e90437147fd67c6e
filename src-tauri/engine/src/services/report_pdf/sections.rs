//! What the printed report says, section by section: the cover, the number cards, the
//! per-channel table, the charts, the heat map, and the conversations that waited longest.

use super::charts::{self, VolumeBar};
use super::pages::{Frame, Section};
use super::paint::{self, BAD, GOOD, PANEL, TEXT, TEXT_2, TEXT_3};
use super::table::{self, Column};
use super::typeset::{Align, Style, Typesetter};
use super::words;
use crate::domain::events::Platform;
use crate::domain::report::{Calendar, DayRange, Durations, Report, SlowConversation, Totals};
use crate::domain::report_pdf::Cover;

const TITLE: Style = Style::new(22.0, TEXT).bold();
const SUBTITLE: Style = Style::new(12.0, TEXT_2);
const NOTE: Style = Style::new(8.5, TEXT_3);
const HEADING: Style = Style::new(12.0, TEXT).bold();
const HEADING_HEIGHT: f32 = 22.0;
/// Longer ranges are charted per ISO week.
const MAX_DAILY_BARS: usize = 62;

/// The sections of `report`, top to bottom, for a page `width` wide.
pub fn of(report: &Report, cover: &Cover, calendar: &Calendar, ts: &mut Typesetter, width: f32) -> Vec<Section> {
    let range = DayRange::parse(&report.from, &report.to).ok();
    let mut sections = vec![title(report, cover, range, calendar, ts, width), cards(report, range)];
    let f = &report.figures;
    if !f.by_platform.is_empty() {
        sections.push(by_channel(report));
    }
    sections.push(volume(report));
    sections.push(titled(
        "First response times",
        charts::RESPONSE_ROW * f.response_times.len() as f32,
        (f.totals.answered > 0).then(|| {
            let buckets = f.response_times.clone();
            move |frame: &mut Frame<'_, '_>| charts::response_times(frame, &buckets)
        }),
        "No customer was answered in these days.",
    ));
    sections.push(titled(
        "When customers write",
        charts::HEAT_MAP_HEIGHT,
        (f.totals.inbound > 0).then(|| {
            let cells = f.heat_map.clone();
            move |frame: &mut Frame<'_, '_>| charts::heat_map(frame, &cells)
        }),
        "No messages from customers in these days.",
    ));
    sections.push(conversations(
        "Slowest first responses",
        &SLOWEST_COLUMNS,
        &report.slowest,
        calendar,
        cover.made_at_ms,
        "Every customer who wrote was answered in no time, or nobody wrote.",
    ));
    let waiting = format!("Waiting for an answer now ({})", words::count(report.unanswered_now));
    let list = &report.waiting_longest;
    sections.push(conversations(&waiting, &WAITING_COLUMNS, list, calendar, cover.made_at_ms, "Nobody is waiting."));
    sections
}

fn title(
    report: &Report,
    cover: &Cover,
    range: Option<DayRange>,
    calendar: &Calendar,
    ts: &mut Typesetter,
    width: f32,
) -> Section {
    let name = ts.paragraph(&cover.business, TITLE, Some(width), Align::Start);
    let dates = match range {
        Some(r) if r.first == r.last => words::date(r.first),
        Some(r) => format!("{} – {} ({} days)", words::date(r.first), words::date(r.last), r.days()),
        None => format!("{} – {}", report.from, report.to),
    };
    let subtitle = ts.paragraph(&format!("Report for {dates}"), SUBTITLE, Some(width), Align::Start);
    let made = calendar.printed(cover.made_at_ms);
    let counted = match &report.business_hours {
        Some(hours) => format!(" · response times in business hours ({})", words::hours(hours)),
        None => String::new(),
    };
    let note = ts.paragraph(
        &format!("{} · times in {}{counted} · made {made}", cover.scope, report.time_zone),
        NOTE,
        Some(width),
        Align::Start,
    );
    let height = name.height() + 4.0 + subtitle.height() + 2.0 + note.height();
    Section::new(height, move |frame| {
        let mut y = frame.y;
        for (block, after) in [(&name, 4.0), (&subtitle, 2.0), (&note, 0.0)] {
            frame.ts.draw(frame.surface, block, frame.x, y);
            y += block.height() + after;
        }
    })
}

struct Card {
    label: &'static str,
    value: String,
    /// The change against the previous period, and whether up is good.
    change: Option<(i64, bool)>,
    detail: String,
}

const CARD_HEIGHT: f32 = 62.0;
const CARD_GAP: f32 = 10.0;

fn cards(report: &Report, range: Option<DayRange>) -> Section {
    let (now, before) = (&report.figures.totals, &report.previous);
    let days = range.map_or(String::new(), |r| format!(" {} days", r.days()));
    let vs = format!("vs previous{days}");
    let counted = |label, now: u32, before: u32, detail: String| Card {
        label,
        value: words::count(now),
        change: words::change(f64::from(now), f64::from(before)).map(|c| (c, true)),
        detail,
    };
    let rate = |t: &Totals| t.response_rate().map(|r| (r * 100.0).round() as i64);
    let cards = [
        counted("Messages in", now.inbound, before.inbound, "from customers".into()),
        counted("Messages out", now.outbound, before.outbound, "from you".into()),
        counted(
            "New conversations",
            now.new_conversations,
            before.new_conversations,
            "first message in these days".into(),
        ),
        Card {
            label: "Response rate",
            value: rate(now).map_or("—".into(), |r| format!("{r}%")),
            change: None,
            detail: format!("{} of {} customers answered", words::count(now.answered), words::count(now.waits)),
        },
        duration_card("First response (median)", &now.first_response, &before.first_response),
        duration_card("Resolution (median)", &now.resolution, &before.resolution),
    ];
    let rows = cards.len().div_ceil(3);
    let height = rows as f32 * CARD_HEIGHT + (rows - 1) as f32 * CARD_GAP + 12.0;
    Section::new(height, move |frame| {
        let w = (frame.width - 2.0 * CARD_GAP) / 3.0;
        for (i, card) in cards.iter().enumerate() {
            let x = frame.x + (i % 3) as f32 * (w + CARD_GAP);
            let y = frame.y + (i / 3) as f32 * (CARD_HEIGHT + CARD_GAP);
            draw_card(frame, card, x, y, w);
        }
        let note = frame.ts.line(&format!("Changes are {vs}."), NOTE, frame.width, Align::Left);
        let y = frame.y + height - note.height();
        frame.ts.draw(frame.surface, &note, frame.x, y);
    })
}

fn duration_card(label: &'static str, now: &Durations, before: &Durations) -> Card {
    let change = match (now.median_ms, before.median_ms) {
        (Some(n), Some(b)) => words::change(n as f64, b as f64).map(|c| (c, false)),
        _ => None,
    };
    let detail = if now.count == 0 {
        "none in these days".into()
    } else {
        format!("p90 {} · fastest 90%: {}", words::duration(now.p90_ms), words::duration(now.fastest_90_average_ms))
    };
    Card { label, value: words::duration(now.median_ms), change, detail }
}

fn draw_card(frame: &mut Frame<'_, '_>, card: &Card, x: f32, y: f32, w: f32) {
    paint::fill_rounded(frame.surface, x, y, w, CARD_HEIGHT, 6.0, PANEL);
    let inner = w - 20.0;
    let label = frame.ts.line(card.label, Style::new(8.5, TEXT_2), inner, Align::Left);
    frame.ts.draw(frame.surface, &label, x + 10.0, y + 8.0);
    let value = frame.ts.line(&card.value, Style::new(17.0, TEXT).bold(), inner * 0.55, Align::Left);
    frame.ts.draw(frame.surface, &value, x + 10.0, y + 21.0);
    if let Some((change, up_is_good)) = card.change {
        let color = match change.signum() {
            0 => TEXT_2,
            s if (s > 0) == up_is_good => GOOD,
            _ => BAD,
        };
        let text = format!("{}{change}%", if change > 0 { "+" } else { "" });
        let delta = frame.ts.line(&text, Style::new(9.0, color).bold(), inner * 0.45, Align::Right);
        frame.ts.draw(frame.surface, &delta, x + 10.0 + inner * 0.55, y + 27.0);
    }
    let detail = frame.ts.line(&card.detail, Style::new(7.5, TEXT_3), inner, Align::Left);
    frame.ts.draw(frame.surface, &detail, x + 10.0, y + CARD_HEIGHT - 16.0);
}

const CHANNEL_COLUMNS: [Column; 9] = [
    Column::left("Channel", 1.0),
    Column::right("In", 0.7),
    Column::right("Out", 0.7),
    Column::right("New conversations", 1.4),
    Column::right("Asked", 0.7),
    Column::right("Answered", 0.8),
    Column::right("First response", 1.1),
    Column::right("p90", 0.9),
    Column::right("After 24 h", 0.8),
];

fn by_channel(report: &Report) -> Section {
    let f = &report.figures;
    let row = |name: String, counts: [u32; 5], d: &Durations, late: u32| {
        let c = words::count;
        let [i, o, n, w, a] = counts;
        vec![name, c(i), c(o), c(n), c(w), c(a), words::duration(d.median_ms), words::duration(d.p90_ms), c(late)]
    };
    let mut rows: Vec<Vec<String>> = f
        .by_platform
        .iter()
        .map(|p| {
            let name = p.platform.display_name().to_string();
            let t = &p.totals;
            let counts = [t.inbound, t.outbound, t.new_conversations, t.waits, t.answered];
            row(name, counts, &t.first_response, t.late_replies)
        })
        .collect();
    let several = rows.len() > 1;
    if several {
        let t = &f.totals;
        let counts = [t.inbound, t.outbound, t.new_conversations, t.waits, t.answered];
        rows.push(row("All".into(), counts, &t.first_response, t.late_replies));
    }
    let body = table::section(&CHANNEL_COLUMNS, rows, several);
    let note =
        "Asked: customers who wrote after 24 hours of quiet. After 24 h: replies sent once Meta's window had closed.";
    with_heading("By channel", with_note(body, note))
}

fn volume(report: &Report) -> Section {
    let f = &report.figures;
    let weekly = f.days.len() > MAX_DAILY_BARS;
    let bars: Vec<VolumeBar> = if weekly {
        f.weeks.iter().map(|w| VolumeBar::of(w, w.label.split('-').nth(1).unwrap_or(&w.label).to_string())).collect()
    } else {
        f.days
            .iter()
            .map(|d| {
                let label = d.label.parse().map(words::short_date).unwrap_or_else(|_| d.label.clone());
                VolumeBar::of(d, label)
            })
            .collect()
    };
    let platforms: Vec<Platform> = f.by_platform.iter().map(|p| p.platform).collect();
    let heading = if weekly { "Messages per week" } else { "Messages per day" };
    let empty = f.totals.inbound + f.totals.outbound == 0;
    titled(
        heading,
        charts::VOLUME_HEIGHT + 18.0,
        (!empty).then_some(move |frame: &mut Frame<'_, '_>| {
            charts::volume(frame, &bars, charts::VOLUME_HEIGHT);
            frame.y += charts::VOLUME_HEIGHT + 6.0;
            charts::volume_legend(frame, &platforms);
        }),
        "No messages in these days.",
    )
}

const SLOWEST_COLUMNS: [Column; 4] = [
    Column::left("Contact", 2.4),
    Column::left("Channel", 1.0),
    Column::left("Customer wrote", 1.4),
    Column::right("First response", 1.0),
];
const WAITING_COLUMNS: [Column; 4] = [
    Column::left("Contact", 2.4),
    Column::left("Channel", 1.0),
    Column::left("Customer wrote", 1.4),
    Column::right("Waiting", 1.0),
];

fn conversations(
    heading: &str,
    columns: &'static [Column],
    list: &[SlowConversation],
    calendar: &Calendar,
    now: i64,
    none: &str,
) -> Section {
    // Among answered ones, an unanswered wait says so.
    let mixed = list.iter().any(|c| c.first_response_ms.is_some());
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let waited = match c.first_response_ms {
                Some(ms) => words::duration(Some(ms)),
                None if mixed => format!("waiting {}", words::duration(Some((now - c.asked_at).max(0)))),
                None => words::duration(Some((now - c.asked_at).max(0))),
            };
            vec![
                c.contact_name.clone().unwrap_or_else(|| "Unknown contact".into()),
                c.platform.display_name().to_string(),
                calendar.printed(c.asked_at),
                waited,
            ]
        })
        .collect();
    if rows.is_empty() {
        return titled(heading, 0.0, None::<fn(&mut Frame<'_, '_>)>, none);
    }
    with_heading(heading, table::section(columns, rows, false))
}

/// A line of small print under `body`.
fn with_note(body: Section, note: &str) -> Section {
    let note = note.to_string();
    let draw_body = body.draw;
    let body_height = body.height;
    Section::new(body_height + 16.0, move |frame| {
        draw_body(frame);
        let block = frame.ts.line(&note, NOTE, frame.width, Align::Left);
        frame.ts.draw(frame.surface, &block, frame.x, frame.y + body_height + 5.0);
    })
}

/// A heading over `body`, kept on one page with it.
fn with_heading(heading: &str, body: Section) -> Section {
    let heading = heading.to_string();
    let draw_body = body.draw;
    Section::new(HEADING_HEIGHT + body.height, move |frame| {
        let block = frame.ts.line(&heading, HEADING, frame.width, Align::Left);
        frame.ts.draw(frame.surface, &block, frame.x, frame.y);
        frame.y += HEADING_HEIGHT;
        draw_body(frame);
    })
}

/// A heading over a drawing `height` tall, or over the sentence `none` when there is nothing to draw.
fn titled(heading: &str, height: f32, draw: Option<impl FnOnce(&mut Frame<'_, '_>) + 'static>, none: &str) -> Section {
    match draw {
        Some(draw) => with_heading(heading, Section::new(height, draw)),
        None => {
            let none = none.to_string();
            with_heading(
                heading,
                Section::new(14.0, move |frame| {
                    let block = frame.ts.line(&none, Style::new(9.0, TEXT_3), frame.width, Align::Left);
                    frame.ts.draw(frame.surface, &block, frame.x, frame.y);
                }),
            )
        }
    }
}

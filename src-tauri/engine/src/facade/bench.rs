//! The store benchmark (`cahts-cli bench`): builds a store of generated messages through
//! the real apply path, then times the queries the window makes. Prints figures; asserts
//! nothing (speed is measured, never tested with timers).

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::domain::error::Result;
use crate::domain::events::Platform;
use crate::domain::report::{Calendar, ReportRequest};
use crate::domain::report_pdf::Paper;
use crate::facade::ipc::*;
use crate::services::demo::Generator;
use crate::services::{report_pdf, reports};
use crate::store::{Store, apply, read};

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub messages: usize,
    pub conversations: usize,
    /// Messages per write transaction.
    pub batch: usize,
    /// Timed repetitions of each query kind.
    pub queries: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub messages: usize,
    pub conversations: usize,
    pub events_applied: usize,
    /// Messages per second through apply (parse excluded, FTS maintained, committed).
    pub ingest_messages_per_s: f64,
    pub ingest_seconds: f64,
    pub search_p50_ms: f64,
    pub search_p95_ms: f64,
    pub search_queries: usize,
    pub list_first_page_p50_ms: f64,
    pub list_first_page_p95_ms: f64,
    pub thread_first_page_p50_ms: f64,
    pub thread_first_page_p95_ms: f64,
    /// A report over the last 30 days, and over the whole generated year.
    pub report_30_days_p95_ms: f64,
    pub report_year_p95_ms: f64,
    /// Today's counters (inbound, unanswered, median response), as asked on every change.
    pub live_counters_p95_ms: f64,
    /// The PDF report of the whole generated year, figures included (slowest of 3 runs),
    /// and its size.
    pub report_pdf_year_max_ms: f64,
    pub report_pdf_year_bytes: usize,
    pub store_bytes: u64,
    pub bytes_per_message: f64,
}

/// A search mix as people type: whole common and rare words, prefixes as they type,
/// two-word queries, folded diacritics, and misses.
const QUERIES: &[&str] = &[
    "order",
    "delivery",
    "refund",
    "tomorrow",
    "gluten",
    "smörgåsbord",
    "brulee",
    "creme",
    "zurich",
    "krakow",
    "del",
    "res",
    "tr",
    "pâtiss",
    "jalap",
    "order tomorrow",
    "table for",
    "gift voucher",
    "pains au chocolat",
    "parcel tracking",
    "voucher pdf",
    "nothingmatchesthis",
    "xylophone",
    "予約",
    "مرحبا",
    "#4821",
    "Clifton",
    "open sunday",
    "birthday cake",
    "sourdough workshop",
];

/// [`run`] on a new store at `path`.
pub fn run_in(path: &std::path::Path, config: &BenchConfig, progress: impl Fn(usize)) -> Result<BenchReport> {
    run(&Store::open(path)?, config, progress)
}

pub fn run(store: &Store, config: &BenchConfig, progress: impl Fn(usize)) -> Result<BenchReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::domain::Error::Io { context: "starting the benchmark runtime".into(), source })?;
    let now = store.now_ms();
    let (ingest, events_applied) = ingest(&runtime, store, config, now, progress)?;
    // Fold the WAL into the main file so the size figure is the real footprint.
    runtime.block_on(store.checkpoint())?;
    let store_bytes = std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0);

    let mut rng = SmallRng::seed_from_u64(config.seed ^ 0x5eed);
    // Warm the page cache as a running app would have it.
    store.read_blocking(|c| read::list_conversations(c, &ListConversationsRequest::default(), now))?;
    let mut search = time_search(store, config.queries, now)?;
    let (mut list, conversation_ids) = time_lists(store, config.queries, now, &mut rng)?;
    let mut thread = time_threads(store, config.queries, now, &conversation_ids, &mut rng)?;
    let reports = config.queries.div_ceil(10).max(3);
    let mut report_30 = time_reports(store, reports, now, 30)?;
    let mut report_year = time_reports(store, reports, now, 365)?;
    let (pdf_times, report_pdf_year_bytes) = time_pdf(store, 3, now, 365)?;
    let calendar = Calendar::new(jiff::tz::TimeZone::system());
    let mut live = (0..config.queries)
        .map(|_| time(|| store.read_blocking(|c| reports::live_counters(c, &calendar, now)).map(|_| ())))
        .collect::<Result<Vec<f64>>>()?;

    Ok(BenchReport {
        messages: config.messages,
        conversations: config.conversations,
        events_applied,
        ingest_messages_per_s: config.messages as f64 / ingest.as_secs_f64().max(1e-9),
        ingest_seconds: ingest.as_secs_f64(),
        search_p50_ms: percentile(&mut search, 50.0),
        search_p95_ms: percentile(&mut search, 95.0),
        search_queries: search.len(),
        list_first_page_p50_ms: percentile(&mut list, 50.0),
        list_first_page_p95_ms: percentile(&mut list, 95.0),
        thread_first_page_p50_ms: percentile(&mut thread, 50.0),
        thread_first_page_p95_ms: percentile(&mut thread, 95.0),
        report_30_days_p95_ms: percentile(&mut report_30, 95.0),
        report_year_p95_ms: percentile(&mut report_year, 95.0),
        live_counters_p95_ms: percentile(&mut live, 95.0),
        report_pdf_year_max_ms: pdf_times.iter().copied().fold(0.0, f64::max),
        report_pdf_year_bytes,
        store_bytes,
        bytes_per_message: store_bytes as f64 / config.messages.max(1) as f64,
    })
}

/// Applies the generated history in batches through the real apply path; returns the time
/// spent applying (generation excluded) and the events applied.
fn ingest(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    config: &BenchConfig,
    now: i64,
    progress: impl Fn(usize),
) -> Result<(Duration, usize)> {
    let mut generator = Generator::new(config.seed, config.conversations, config.messages, now - 365 * 86_400_000, now);
    let profiles = generator.profiles();
    runtime.block_on(store.write(move |tx| apply::apply_events(tx, &profiles, now)))?;
    let mut ingest = Duration::ZERO;
    let mut events_applied = 0;
    let mut done = 0;
    while done < config.messages {
        let n = config.batch.min(config.messages - done);
        let (events, _) = generator.batch(n);
        events_applied += events.len();
        let started = Instant::now();
        runtime.block_on(store.write(move |tx| apply::apply_events(tx, &events, now)))?;
        ingest += started.elapsed();
        done += n;
        progress(done);
    }
    Ok((ingest, events_applied))
}

fn time_search(store: &Store, queries: usize, now: i64) -> Result<Vec<f64>> {
    (0..queries)
        .map(|i| {
            let query = QUERIES[i % QUERIES.len()].to_owned();
            time(|| {
                store.read_blocking(|c| read::search(c, &SearchRequest { query, limit: Some(50) }, now)).map(|_| ())
            })
        })
        .collect()
}

/// First pages of the inbox under each filter; also returns the conversations they showed.
fn time_lists(store: &Store, queries: usize, now: i64, rng: &mut SmallRng) -> Result<(Vec<f64>, Vec<String>)> {
    let mut list = Vec::new();
    let mut conversation_ids = Vec::new();
    for i in 0..queries {
        // The inbox as opened most often, then each filter; "done" matches nothing in a
        // generated store, the worst case for a filter (it walks the whole index).
        let filter = match i % 6 {
            0 | 1 => ConversationFilter::default(),
            2 => ConversationFilter { unread_only: true, ..Default::default() },
            3 => ConversationFilter { platform: Some(Platform::ALL[rng.random_range(0..3)]), ..Default::default() },
            4 => ConversationFilter { state: Some(ConversationState::Open), ..Default::default() },
            _ => ConversationFilter { state: Some(ConversationState::Done), ..Default::default() },
        };
        let req = ListConversationsRequest { filter, cursor: None, limit: Some(50) };
        let mut page = None;
        list.push(time(|| {
            page = Some(store.read_blocking(|c| read::list_conversations(c, &req, now))?);
            Ok(())
        })?);
        if let Some(page) = page {
            conversation_ids.extend(page.items.into_iter().map(|c| c.id));
        }
    }
    Ok((list, conversation_ids))
}

/// Threads of random conversations, not only the busiest ones at the top.
fn time_threads(store: &Store, queries: usize, now: i64, listed: &[String], rng: &mut SmallRng) -> Result<Vec<f64>> {
    let max_id = store.read_blocking(read::max_conversation_id)?;
    let mut thread = Vec::new();
    for i in 0..queries {
        let conversation_id = if i % 2 == 0 && !listed.is_empty() {
            listed[rng.random_range(0..listed.len())].clone()
        } else {
            rng.random_range(1..=max_id.max(1)).to_string()
        };
        let req = ThreadRequest { conversation_id, cursor: None, limit: Some(60) };
        thread.push(time(|| match store.read_blocking(|c| read::thread(c, &req, now)) {
            // A conversation id that only ever had stubs is not an error for timing.
            Ok(_) | Err(crate::domain::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        })?);
    }
    Ok(thread)
}

/// The `days` up to today, in the computer's time zone.
fn last_days(now: i64, days: i64) -> (Calendar, ReportRequest) {
    let calendar = Calendar::new(jiff::tz::TimeZone::system());
    let today = calendar.date_of(now);
    let first = today.checked_sub(jiff::Span::new().days(days - 1)).unwrap_or(today);
    let request = ReportRequest { from: first.to_string(), to: today.to_string(), platform: None, account_id: None };
    (calendar, request)
}

/// Reports over the `days` up to today, as the window asks.
fn time_reports(store: &Store, runs: usize, now: i64, days: i64) -> Result<Vec<f64>> {
    let (calendar, request) = last_days(now, days);
    (0..runs)
        .map(|_| time(|| store.read_blocking(|c| reports::report(c, &request, &calendar, "local")).map(|_| ())))
        .collect()
}

/// The PDF report over the `days` up to today, made in memory as an export makes it.
fn time_pdf(store: &Store, runs: usize, now: i64, days: i64) -> Result<(Vec<f64>, usize)> {
    let (calendar, request) = last_days(now, days);
    let mut bytes = 0;
    let times = (0..runs)
        .map(|_| {
            time(|| {
                store.read_blocking(|c| {
                    let report = reports::report(c, &request, &calendar, "local")?;
                    let cover = report_pdf::cover_of(c, &request, now)?;
                    bytes = report_pdf::render(&report, &cover, Paper::A4, &calendar)?.0.len();
                    Ok(())
                })
            })
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok((times, bytes))
}

fn time(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// Nearest-rank percentile of `samples` (ms), rounded to microseconds.
fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    let value = samples[rank.clamp(1, samples.len()) - 1];
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let mut s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut s, 50.0), 50.0);
        assert_eq!(percentile(&mut s, 95.0), 95.0);
        assert_eq!(percentile(&mut [3.0], 95.0), 3.0);
    }

    #[test]
    fn a_small_bench_runs_through_the_real_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("bench.sqlite")).unwrap();
        let config = BenchConfig { messages: 2_000, conversations: 100, batch: 500, queries: 20, seed: 1 };
        let report = run(&store, &config, |_| {}).unwrap();
        assert!(report.events_applied >= 2_000, "every generated message is applied");
        let stored: i64 = store
            .read_blocking(|c| {
                Ok(c.query_row("SELECT count(*) FROM messages WHERE stub = 0", [], |r| r.get(0)).unwrap())
            })
            .unwrap();
        assert_eq!(stored, 2_000, "the store holds exactly the generated messages");
        assert!(report.bytes_per_message > 0.0);
    }
}

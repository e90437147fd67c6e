//! Report figures from a store with known answers, in Europe/London across the spring
//! DST change: first responses across midnight, the 24-hour quiet rule, a resolution,
//! local days and ISO weeks, the heat map, and the same figures whatever the order the
//! messages arrived in.

use std::sync::Arc;

use cahts_engine::domain::business_hours::BusinessHours;
use cahts_engine::domain::clock::ManualClock;
use cahts_engine::domain::export_progress::{ExportProgress, ExportRef, ExportTicket};
use cahts_engine::domain::report::{Report, ReportCsv, ReportCsvRequest, ReportRequest, Volume};
use cahts_engine::events::*;
use cahts_engine::ipc::*;
use cahts_engine::{Engine, EngineConfig};
use jiff::tz::TimeZone;
use rand::SeedableRng;
use rand::seq::SliceRandom;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

use crate::fixtures::{key, text, utc};

fn message(key: &ConversationKey, mid: &str, direction: Direction, at: i64) -> DomainEvent {
    text(key, mid, direction, &format!("message {mid}"), at)
}

/// London is on GMT (UTC+0) until 01:00 UTC on Sunday 29 March 2026, then on BST (UTC+1).
fn events() -> Vec<DomainEvent> {
    use Direction::{Inbound, Outbound};
    let alice = key(Platform::Messenger, "alice");
    let bob = key(Platform::Whatsapp, "bob");
    let cara = key(Platform::Instagram, "cara");
    vec![
        // Saturday 23:50 GMT, answered 00:20 on Sunday: 30 minutes, across midnight.
        message(&alice, "a1", Inbound, utc("2026-03-28T23:50:00Z")),
        message(&alice, "a2", Outbound, utc("2026-03-29T00:20:00Z")),
        // Monday 10:00 BST, after more than 24 hours of quiet: a new ask; 10:05 is not one.
        message(&alice, "a3", Inbound, utc("2026-03-30T09:00:00Z")),
        message(&alice, "a4", Inbound, utc("2026-03-30T09:05:00Z")),
        message(&alice, "a5", Outbound, utc("2026-03-30T11:00:00Z")),
        // Sunday 03:00 BST, answered Tuesday 09:00 BST: 54 hours.
        message(&bob, "b1", Inbound, utc("2026-03-29T02:00:00Z")),
        message(&bob, "b2", Outbound, utc("2026-03-31T08:00:00Z")),
        // Tuesday 00:30 BST, still Monday in UTC: counts on Tuesday here. Unanswered.
        message(&cara, "c1", Inbound, utc("2026-03-30T23:30:00Z")),
    ]
}

fn open_engine(dir: &std::path::Path, clock: Arc<ManualClock>) -> Arc<Engine> {
    let mut config = EngineConfig::in_dir(dir);
    config.clock = clock;
    Engine::open(config).expect("open engine")
}

fn march_report(engine: &Engine) -> Report {
    let request =
        ReportRequest { from: "2026-03-28".into(), to: "2026-03-31".into(), platform: None, account_id: None };
    let london = TimeZone::get("Europe/London").expect("tz database");
    crate::runtime().block_on(engine.report_in(request, london)).expect("report")
}

/// Applies `events` in batches of `batch` and marks Alice's conversation done at Monday
/// 13:00 BST.
fn store_with(events: Vec<DomainEvent>, batch: usize) -> (tempfile::TempDir, Arc<Engine>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::at(utc("2026-03-30T12:00:00Z")));
    let engine = open_engine(dir.path(), clock);
    crate::runtime().block_on(async {
        for chunk in events.chunks(batch) {
            engine.apply(chunk.to_vec()).await.expect("apply");
        }
        let alice = engine
            .list_conversations(ListConversationsRequest::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|c| c.contact.platform_user_id == "alice")
            .expect("Alice's conversation");
        engine
            .set_conversation_state(SetStateRequest { conversation_id: alice.id, state: ConversationState::Done })
            .await
            .expect("mark done");
    });
    (dir, engine)
}

fn volume(messenger: u32, instagram: u32, whatsapp: u32) -> Volume {
    Volume { messenger, instagram, whatsapp }
}

#[test]
fn figures_follow_local_days_the_quiet_rule_and_first_answers() {
    let (_dir, engine) = store_with(events(), 100);
    let report = march_report(&engine);
    let f = &report.figures;
    assert_eq!(report.time_zone, "Europe/London");

    let days: Vec<(&str, Volume, Volume, Volume)> =
        f.days.iter().map(|d| (d.label.as_str(), d.inbound, d.outbound, d.new_conversations)).collect();
    assert_eq!(
        days,
        [
            ("2026-03-28", volume(1, 0, 0), volume(0, 0, 0), volume(1, 0, 0)),
            ("2026-03-29", volume(0, 0, 1), volume(1, 0, 0), volume(0, 0, 1)),
            ("2026-03-30", volume(2, 0, 0), volume(1, 0, 0), volume(0, 0, 0)),
            ("2026-03-31", volume(0, 1, 0), volume(0, 0, 1), volume(0, 1, 0)),
        ]
    );
    let weeks: Vec<(&str, u32, u32)> =
        f.weeks.iter().map(|w| (w.label.as_str(), w.inbound.total(), w.outbound.total())).collect();
    assert_eq!(weeks, [("2026-W13", 2, 1), ("2026-W14", 3, 2)]);

    let t = &f.totals;
    assert_eq!((t.inbound, t.outbound, t.new_conversations), (5, 3, 3));
    assert_eq!(
        (t.waits, t.answered),
        (4, 3),
        "Alice asked twice (the 10:05 follow-up is not an ask), Bob and Cara once"
    );
    assert_eq!(t.response_rate(), Some(0.75));
    assert_eq!(t.late_replies, 1, "Bob was answered 54 hours after he wrote: outside the 24-hour window");
    let late: Vec<(Platform, u32)> = f.by_platform.iter().map(|p| (p.platform, p.totals.late_replies)).collect();
    assert_eq!(late, [(Platform::Messenger, 0), (Platform::Instagram, 0), (Platform::Whatsapp, 1)]);
    assert_eq!(t.first_response.median_ms, Some(2 * HOUR));
    assert_eq!(t.first_response.p90_ms, Some(54 * HOUR));
    assert_eq!(t.first_response.fastest_90_average_ms, Some((30 * MINUTE + 2 * HOUR + 54 * HOUR) / 3));
    let bands: Vec<(&str, u32)> = f.response_times.iter().map(|b| (b.label.as_str(), b.count)).collect();
    assert_eq!(
        bands,
        [("< 5 min", 0), ("5–15 min", 0), ("15–60 min", 1), ("1–4 h", 1), ("4–24 h", 0), ("> 24 h", 1)],
        "30 minutes, 2 hours and 54 hours"
    );
    let per_platform: u32 = f.by_platform.iter().map(|p| p.totals.inbound).sum();
    assert_eq!(per_platform, t.inbound, "the per-platform table adds up to the cards");
    assert_eq!(f.by_platform.iter().map(|p| p.totals.waits).sum::<u32>(), t.waits);
    let alice = &f.by_platform[0];
    assert_eq!((alice.platform, alice.totals.resolution.median_ms), (Platform::Messenger, Some(3 * HOUR)));
    // Done at 13:00 BST, three hours after the ask it answered.
    assert_eq!((t.resolution.count, t.resolution.median_ms), (1, Some(3 * HOUR)));

    // Monday first: Saturday 23:00, Sunday 03:00 BST, Monday 10:00 twice, Tuesday 00:00.
    let mut heat = Vec::new();
    for (weekday, hours) in f.heat_map.iter().enumerate() {
        for (hour, n) in hours.iter().enumerate().filter(|(_, n)| **n > 0) {
            heat.push((weekday, hour, *n));
        }
    }
    assert_eq!(heat, [(0, 10, 2), (1, 0, 1), (5, 23, 1), (6, 3, 1)]);

    assert_eq!(report.previous.inbound + report.previous.outbound, 0, "nothing in the four days before");
    assert_eq!(report.unanswered_now, 1);
    assert_eq!(report.waiting_longest[0].contact_name.as_deref(), None);
    assert_eq!(report.waiting_longest[0].platform, Platform::Instagram, "Cara waits");
    let slowest: Vec<(Platform, Option<i64>)> =
        report.slowest.iter().map(|s| (s.platform, s.first_response_ms)).collect();
    assert_eq!(
        slowest,
        [
            (Platform::Instagram, None),
            (Platform::Whatsapp, Some(54 * HOUR)),
            (Platform::Messenger, Some(2 * HOUR)),
            (Platform::Messenger, Some(30 * MINUTE))
        ],
        "unanswered first, then slowest first"
    );
}

#[test]
fn figures_do_not_depend_on_the_order_messages_arrived_in() {
    let (_dir, engine) = store_with(events(), 100);
    let expected = march_report(&engine);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(9);
    for round in 0..12 {
        let mut shuffled = events();
        shuffled.shuffle(&mut rng);
        let (_dir, engine) = store_with(shuffled, 1 + round % 3);
        assert_eq!(march_report(&engine).figures, expected.figures, "round {round}");
    }
    // History loaded newest first, one message per batch, as a backfill does.
    let mut newest_first = events();
    newest_first.sort_by_key(|e| match e {
        DomainEvent::Message(m) => std::cmp::Reverse(m.sent_at),
        _ => std::cmp::Reverse(0),
    });
    let (_dir, engine) = store_with(newest_first, 1);
    assert_eq!(march_report(&engine).figures, expected.figures, "backfilled history counts by its own times");
}

#[test]
fn a_filter_narrows_every_figure_and_a_bad_range_is_refused() {
    let (_dir, engine) = store_with(events(), 100);
    let london = TimeZone::get("Europe/London").unwrap();
    let rt = crate::runtime();
    let request = ReportRequest {
        from: "2026-03-28".into(),
        to: "2026-03-31".into(),
        platform: Some(Platform::Whatsapp),
        account_id: None,
    };
    let report = rt.block_on(engine.report_in(request, london.clone())).unwrap();
    let t = &report.figures.totals;
    assert_eq!((t.inbound, t.outbound, t.waits, t.answered), (1, 1, 1, 1));
    assert_eq!(report.unanswered_now, 0);
    let bad = ReportRequest { from: "2026-04-01".into(), to: "2026-03-01".into(), platform: None, account_id: None };
    let error: UiError = rt.block_on(engine.report_in(bad, london)).unwrap_err().into();
    assert_eq!(error.code, ErrorCode::Validation);
    assert!(error.message.contains("ends before it starts"), "{}", error.message);
}

#[test]
fn an_imported_store_has_the_same_figures_recomputed_from_its_history() {
    let (_dir, engine) = store_with(events(), 100);
    let expected = march_report(&engine);
    let rt = crate::runtime();
    let doc = rt.block_on(engine.export_json()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let restored = open_engine(dir.path(), Arc::new(ManualClock::at(utc("2026-04-01T00:00:00Z"))));
    rt.block_on(restored.import_json(doc)).unwrap();
    let got = march_report(&restored);
    assert_eq!(got.figures, expected.figures, "slots, new conversations, waits and resolutions come back");
    assert_eq!(got.figures.totals.resolution.count, 1, "when Alice's conversation was marked done travels too");
}

/// Reads a CSV file as a spreadsheet program would: the BOM, then records by header.
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark first");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows =
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect();
    (header, rows)
}

#[test]
fn csv_files_hold_the_charted_figures_and_survive_commas_quotes_newlines_and_emoji() {
    let mut all = events();
    let awkward = "Zoë \"Zo\" Łukasik, Café ☕\nsecond line";
    all.push(DomainEvent::Contact {
        key: key(Platform::Messenger, "alice"),
        profile: ContactProfile { name: Some(awkward.into()), handle: None, phone: None, avatar_url: None },
    });
    let (_dir, engine) = store_with(all, 100);
    let expected = march_report(&engine);
    let out = tempfile::tempdir().unwrap();
    let london = TimeZone::get("Europe/London").unwrap();
    let rt = crate::runtime();
    let request =
        ReportRequest { from: "2026-03-28".into(), to: "2026-03-31".into(), platform: None, account_id: None };
    let export = |kind, with_text, name: &str| {
        let path = out.path().join(name);
        let rows = rt
            .block_on(engine.export_report_csv_in(
                request.clone(),
                kind,
                with_text,
                path.clone(),
                london.clone(),
                Default::default(),
            ))
            .unwrap();
        (rows, path)
    };

    let (rows, path) = export(ReportCsv::Daily, false, "daily.csv");
    let (header, days) = read_csv(&path);
    assert_eq!((rows, header[0].as_str(), header.len()), (4, "date", 10));
    for (row, day) in days.iter().zip(&expected.figures.days) {
        assert_eq!(row["date"], day.label);
        assert_eq!(row["messages_in"], day.inbound.total().to_string());
        assert_eq!(row["messages_out_whatsapp"], day.outbound.whatsapp.to_string());
        assert_eq!(row["new_conversations"], day.new_conversations.total().to_string());
    }

    let (rows, path) = export(ReportCsv::Conversations, false, "conversations.csv");
    let (_, conversations) = read_csv(&path);
    assert_eq!(rows, 3);
    let alice = conversations.iter().find(|c| c["platform"] == "messenger").unwrap();
    assert_eq!(alice["contact"], awkward, "quoted and read back whole");
    assert_eq!(alice["opened"], "2026-03-28T23:50:00+00:00");
    assert_eq!(alice["first_response_minutes"], "30.0");
    assert_eq!((alice["messages_in"].as_str(), alice["messages_out"].as_str()), ("3", "2"));
    assert_eq!((alice["status"].as_str(), alice["resolution_minutes"].as_str()), ("done", "180.0"));
    let bob = conversations.iter().find(|c| c["platform"] == "whatsapp").unwrap();
    assert_eq!(
        (bob["opened"].as_str(), bob["first_response_minutes"].as_str()),
        ("2026-03-29T03:00:00+01:00", "3240.0")
    );
    let cara = conversations.iter().find(|c| c["platform"] == "instagram").unwrap();
    assert_eq!(cara["first_response_minutes"], "", "still waiting");

    let (rows, path) = export(ReportCsv::Messages, false, "messages.csv");
    let (header, _) = read_csv(&path);
    assert_eq!(rows, 8);
    assert!(!header.contains(&"text".to_string()), "no texts unless asked for: {header:?}");
    let (_, path) = export(ReportCsv::Messages, true, "messages-with-text.csv");
    let (_, messages) = read_csv(&path);
    assert_eq!(messages[0]["text"], "message a1");
    assert_eq!(messages[0]["time"], "2026-03-28T23:50:00+00:00");
    assert_eq!(messages.iter().filter(|m| m["direction"] == "in").count(), 5);

    // An empty range still has its header.
    let empty = ReportRequest { from: "2025-01-01".into(), to: "2025-01-02".into(), ..request.clone() };
    let path = out.path().join("empty.csv");
    rt.block_on(engine.export_report_csv_in(
        empty,
        ReportCsv::Messages,
        true,
        path.clone(),
        london.clone(),
        Default::default(),
    ))
    .unwrap();
    let (header, rows) = read_csv(&path);
    assert_eq!((header.len(), rows.len()), (8, 0));
}

#[test]
fn business_hours_count_only_open_time_in_every_figure_and_can_be_cleared() {
    let (dir, engine) = store_with(events(), 100);
    let hours = BusinessHours { days: vec![0, 1, 2, 3, 4], opens_at: 9 * 60, closes_at: 17 * 60 };
    let rt = crate::runtime();
    rt.block_on(engine.set_business_hours(Some(hours.clone()))).expect("set hours");

    let report = march_report(&engine);
    assert_eq!(report.business_hours.as_ref(), Some(&hours));
    let t = &report.figures.totals;
    // Alice's Saturday-night ask was answered on Sunday: no open time passed. Her Monday
    // 10:00 ask took 2 hours. Bob's Sunday 03:00 ask, answered Tuesday 09:00, waited
    // through Monday's 8 open hours.
    assert_eq!((t.first_response.median_ms, t.first_response.p90_ms), (Some(2 * HOUR), Some(8 * HOUR)));
    assert_eq!(t.first_response.fastest_90_average_ms, Some((2 * HOUR + 8 * HOUR) / 3));
    assert_eq!(t.resolution.median_ms, Some(3 * HOUR), "Monday 10:00 to 13:00 is all open");
    assert_eq!(report.slowest.iter().find_map(|s| s.first_response_ms), Some(8 * HOUR), "Bob is the slowest answered");

    let path = dir.path().join("conversations.csv");
    let london = TimeZone::get("Europe/London").expect("tz database");
    let request =
        ReportRequest { from: "2026-03-28".into(), to: "2026-03-31".into(), platform: None, account_id: None };
    rt.block_on(engine.export_report_csv_in(
        request,
        ReportCsv::Conversations,
        false,
        path.clone(),
        london,
        Default::default(),
    ))
    .expect("csv");
    let (_, rows) = read_csv(&path);
    let bob = rows.iter().find(|r| r["platform"] == "whatsapp").expect("Bob's row");
    assert_eq!(bob["first_response_minutes"], "480.0", "the CSV counts as the report does");

    let refused = BusinessHours { opens_at: 18 * 60, ..hours };
    let err = rt.block_on(engine.set_business_hours(Some(refused))).expect_err("closing before opening");
    assert!(err.to_string().contains("after opening"), "{err}");

    rt.block_on(engine.set_business_hours(None)).expect("clear hours");
    let report = march_report(&engine);
    assert_eq!(report.business_hours, None);
    assert_eq!(report.figures.totals.first_response.p90_ms, Some(54 * HOUR), "back to the clock");
}

#[test]
fn a_long_export_counts_its_rows_and_a_cancelled_one_leaves_no_file() {
    let (dir, engine) = store_with(events(), 100);
    let rt = crate::runtime();
    let london = || TimeZone::get("Europe/London").expect("tz database");
    let request =
        || ReportRequest { from: "2026-03-28".into(), to: "2026-03-31".into(), platform: None, account_id: None };
    let export = |path: &std::path::Path, ticket: &Arc<ExportTicket>| {
        rt.block_on(engine.export_report_csv_in(
            request(),
            ReportCsv::Messages,
            true,
            path.to_path_buf(),
            london(),
            ticket.clone(),
        ))
    };

    let ticket = Arc::new(ExportTicket::default());
    let rows = export(&dir.path().join("messages.csv"), &ticket).expect("export");
    assert_eq!(rows, 8);
    assert_eq!(ticket.progress(), ExportProgress { rows: 8, total: Some(8) }, "the total was known before writing");

    // Cancelled: an error, and the file that was there before is untouched.
    let path = dir.path().join("kept.csv");
    std::fs::write(&path, "an earlier export").unwrap();
    let cancelled = Arc::new(ExportTicket::default());
    cancelled.cancel();
    let err = export(&path, &cancelled).expect_err("cancelled");
    assert!(matches!(err, cahts_engine::domain::Error::Cancelled), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "an earlier export");
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "csv"))
            .count(),
        2,
        "no half file beside them"
    );

    // The window's way: an export id to follow it by, forgotten once it ended.
    let id = ExportRef { export_id: "export-1".into() };
    let saved = rt
        .block_on(engine.save_report_csv(ReportCsvRequest {
            report: request(),
            kind: ReportCsv::Daily,
            with_text: false,
            path: dir.path().join("daily.csv").to_string_lossy().into_owned(),
            export_id: Some(id.export_id.clone()),
        }))
        .expect("save");
    assert_eq!(saved.rows, 4);
    assert_eq!(engine.export_progress(&id), None);
    engine.cancel_export(&id);
}

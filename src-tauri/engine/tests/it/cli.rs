//! cahts-cli as a user runs it: the real binary on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cahts-cli"));
    c.env("CAHTS_LOG", "warn");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/meta")
}

fn run(args: &[&str]) -> Output {
    cli().args(args).output().expect("cahts-cli runs")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "cahts-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn fixture_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".expected.json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn ingest_export_import_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let db = db.to_str().unwrap();
    let files = fixture_files();
    assert!(files.len() > 20, "the fixture set is there");
    let mut args = vec!["--db", db, "ingest-webhook"];
    args.extend(files.iter().map(String::as_str));
    let report: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
    assert!(report["messagesAdded"].as_u64().unwrap() > 20, "fixtures add messages: {report}");

    // Applying the same bodies again (Meta retries) adds nothing.
    let again: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(again["messagesAdded"], 0, "redelivered webhooks add nothing: {again}");

    let exported = dir.path().join("export.json");
    ok(&["--db", db, "export-json", "--output", exported.to_str().unwrap()]);
    let first = std::fs::read_to_string(&exported).unwrap();
    let b = dir.path().join("b.sqlite");
    ok(&["--db", b.to_str().unwrap(), "import-json", exported.to_str().unwrap()]);
    let second = ok(&["--db", b.to_str().unwrap(), "export-json"]);
    assert_eq!(second.trim_end(), first.trim_end(), "export → import into an empty store → export is identical");

    let stats: serde_json::Value = serde_json::from_str(&ok(&["--db", db, "stats"])).unwrap();
    assert_eq!(stats["byPlatform"].as_array().unwrap().len(), 3);
    assert!(stats["conversations"].as_u64().unwrap() >= 3, "{stats}");
}

#[test]
fn bad_input_exits_non_zero_with_one_line_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let db = db.to_str().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"object\": \"page\", \"entry\": 5}").unwrap();
    let good = fixtures().join("messenger_text.json");
    let out = run(&["--db", db, "ingest-webhook", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(!out.status.success(), "a malformed body fails the command");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("bad.json") && stderr.contains("entry"), "names the file and the problem: {stderr}");
    let stats: serde_json::Value = serde_json::from_str(&ok(&["--db", db, "stats"])).unwrap();
    assert_eq!(stats["conversations"], 0, "the good file in the same call was not applied either");

    let out = run(&["--db", db, "import-json", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a CAHTS export"));

    let out = run(&["--db", db, "ingest-webhook", "/nonexistent/body.json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/body.json"));
}

#[test]
fn ingest_reads_stdin_and_search_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let body = std::fs::read(fixtures().join("whatsapp_text.json")).unwrap();
    let mut child = cli()
        .args(["--db", db.to_str().unwrap(), "ingest-webhook", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &body).unwrap();
    drop(child.stdin.take());
    assert!(child.wait_with_output().unwrap().status.success());
    let doc: serde_json::Value = serde_json::from_str(&ok(&["--db", db.to_str().unwrap(), "export-json"])).unwrap();
    let text = doc["conversations"][0]["messages"][0]["text"].as_str().unwrap().to_owned();
    let word = text.split_whitespace().find(|w| w.chars().all(char::is_alphabetic) && w.len() > 4).unwrap();
    let found = ok(&["--db", db.to_str().unwrap(), "search", word]);
    assert!(found.lines().any(|l| l.starts_with("message\t") && l.contains('[')), "search finds {word}: {found}");
}

/// A writer killed with SIGKILL in the middle of a large batch leaves no partial batch:
/// the store opens cleanly, holds none of that batch, and passes an integrity check.
#[cfg(unix)]
#[test]
fn a_writer_killed_mid_batch_leaves_no_partial_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.sqlite");
    let wal = dir.path().join("bench.sqlite-wal");
    // One transaction of 400,000 messages: long enough to be killed inside it.
    let mut child = cli()
        .args([
            "bench",
            "--messages",
            "400000",
            "--conversations",
            "2000",
            "--batch",
            "400000",
            "--queries",
            "1",
            "--keep",
        ])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the big transaction has spilled pages into the WAL, i.e. is half-way.
    let started = Instant::now();
    loop {
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > 8 * 1024 * 1024 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the batch finished before it could be interrupted");
        assert!(started.elapsed() < Duration::from_secs(120), "the batch never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let messages: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(messages, 0, "none of the interrupted batch is visible");
    let contacts: i64 = conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0)).unwrap();
    assert_eq!(contacts, 2000, "the batch committed before it is intact");
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    // And the store is usable again.
    let stats: serde_json::Value = serde_json::from_str(&ok(&["--db", db.to_str().unwrap(), "stats"])).unwrap();
    assert_eq!(stats["conversations"], 0);
}

#[test]
fn report_prints_figures_and_writes_csv_files_in_the_computers_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let db = db.to_str().unwrap();
    let files = fixture_files();
    let mut args = vec!["--db", db, "ingest-webhook"];
    args.extend(files.iter().map(String::as_str));
    ok(&args);
    // The fixtures were all sent on 1 January 2026 (UTC); in Tokyo most of it is the 2nd.
    let report = |tz: &str| -> serde_json::Value {
        let out = cli()
            .env("TZ", tz)
            .args(["--db", db, "report", "--from", "2025-12-31", "--to", "2026-01-02"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let inbound_by_day = |r: &serde_json::Value| -> Vec<u64> {
        r["figures"]["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| ["messenger", "instagram", "whatsapp"].iter().map(|p| d["inbound"][p].as_u64().unwrap()).sum())
            .collect()
    };
    let utc = report("UTC");
    let tokyo = report("Asia/Tokyo");
    assert_eq!(tokyo["timeZone"], "Asia/Tokyo");
    let (utc_days, tokyo_days) = (inbound_by_day(&utc), inbound_by_day(&tokyo));
    assert!(utc_days[1] > 0 && utc_days[0] == 0 && utc_days[2] == 0, "UTC: all on the 1st: {utc_days:?}");
    assert!(tokyo_days[2] > 0, "Tokyo is 9 hours ahead: the evening messages fall on the 2nd: {tokyo_days:?}");
    assert_eq!(utc_days.iter().sum::<u64>(), tokyo_days.iter().sum::<u64>(), "the same messages, other days");

    let csv_path = dir.path().join("daily.csv");
    let out: serde_json::Value = serde_json::from_str(&ok(&[
        "--db",
        db,
        "report",
        "--from",
        "2025-12-31",
        "--to",
        "2026-01-02",
        "--csv",
        "daily",
        "--output",
        csv_path.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(out["rows"], 3);
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(text.starts_with("\u{feff}date,messages_in,"), "BOM then the header: {text}");

    let bad = run(&["--db", db, "report", "--from", "2026-01-02", "--to", "2025-12-31"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ends before it starts"));
    let bad = run(&[
        "--db",
        db,
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-01",
        "--csv",
        "weekly",
        "--output",
        "x.csv",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("daily, conversations, messages"));
    let bad = run(&["--db", db, "report", "--from", "2026-01-01", "--to", "2026-01-01", "--platform", "telegram"]);
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("not messenger, instagram or whatsapp")
    );
    // A folder that does not exist: a clear error, and no file anywhere.
    let nowhere = dir.path().join("missing/daily.csv");
    let bad = run(&[
        "--db",
        db,
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-01",
        "--csv",
        "daily",
        "--output",
        nowhere.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing"), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(!nowhere.exists() && !dir.path().join("missing").exists());

    // The PDF: written where asked, on the paper asked; a paper it does not know and a
    // range that ends before it starts are refused and write nothing.
    let pdf = dir.path().join("report.pdf");
    let pdf_arg = pdf.to_str().unwrap();
    let range = ["--db", db, "report", "--from", "2025-12-31", "--to", "2026-01-02", "--pdf", pdf_arg];
    let out: serde_json::Value = serde_json::from_str(&ok(&[&range[..], &["--paper", "letter"]].concat())).unwrap();
    assert_eq!((out["paper"].as_str(), out["pages"].as_u64().is_some_and(|p| p >= 1)), (Some("letter"), true), "{out}");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    std::fs::remove_file(&pdf).unwrap();
    let bad = run(&[&range[..], &["--paper", "a5"]].concat());
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("a4 or letter"));
    let bad = run(&["--db", db, "report", "--from", "2026-01-02", "--to", "2025-12-31", "--pdf", pdf_arg]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("ends before it starts"));
    assert!(!pdf.exists(), "a refused PDF writes nothing");
}

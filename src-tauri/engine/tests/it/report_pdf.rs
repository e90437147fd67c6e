//! The printed report, read back by poppler (pdfinfo, pdftotext, pdffonts): paper sizes,
//! page numbers, contacts' names in Latin with accents, Cyrillic, Arabic, Hebrew, Chinese
//! and emoji with their fonts embedded, empty ranges, and a failed export that leaves nothing.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use cahts_engine::domain::clock::ManualClock;
use cahts_engine::domain::report::ReportRequest;
use cahts_engine::domain::report_pdf::Paper;
use cahts_engine::events::*;
use cahts_engine::{Engine, EngineConfig};
use jiff::tz::TimeZone;

use crate::fixtures::{key, text, utc};
use crate::runtime;

/// Customers whose names need every kind of font the report embeds.
const CUSTOMERS: [(&str, &str); 6] = [
    ("zoe", "Zoë Müller-Ødegård"),
    ("dmitry", "Дмитрий Иванов"),
    ("mohammed", "محمد العلي"),
    ("sarah", "שרה כהן"),
    ("wang", "王小明"),
    ("ana", "Ana 🌸"),
];

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} runs (Debian package poppler-utils; scripts/setup-debian.sh installs it): {e}")
    });
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("poppler prints UTF-8")
}

fn engine_with_customers(dir: &Path) -> Arc<Engine> {
    let mut config = EngineConfig::in_dir(dir);
    config.clock = Arc::new(ManualClock::at(utc("2026-11-30T18:00:00Z")));
    let engine = Engine::open(config).expect("open engine");
    let mut events = vec![DomainEvent::Account {
        platform: Platform::Whatsapp,
        account_id: "106540352242922".into(),
        display_name: "Sol Bakery".into(),
    }];
    for (i, (id, name)) in CUSTOMERS.iter().enumerate() {
        let platform = Platform::ALL[i % 3];
        let k = key(platform, id);
        let profile = ContactProfile { name: Some((*name).into()), handle: None, phone: None, avatar_url: None };
        events.push(DomainEvent::Contact { key: k.clone(), profile });
        let asked = utc("2026-11-10T09:00:00Z") + i as i64 * 86_400_000;
        events.push(text(&k, &format!("{id}-1"), Direction::Inbound, "Hello", asked));
        // The first four are answered after 1, 2, 3, 4 hours; Wang and Ana wait.
        if i < 4 {
            let answered = asked + (i as i64 + 1) * 3_600_000;
            events.push(text(&k, &format!("{id}-2"), Direction::Outbound, "Hi!", answered));
        }
    }
    runtime().block_on(engine.apply(events)).expect("apply");
    engine
}

fn november() -> ReportRequest {
    ReportRequest { from: "2026-11-01".into(), to: "2026-11-30".into(), platform: None, account_id: None }
}

fn export(engine: &Engine, request: ReportRequest, paper: Paper, path: &Path) -> (u32, u64) {
    let london = TimeZone::get("Europe/London").expect("tz database");
    runtime().block_on(engine.export_report_pdf_in(request, paper, path.to_path_buf(), london)).expect("pdf")
}

#[test]
fn the_report_prints_every_script_on_a4_and_letter_with_page_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_with_customers(dir.path());
    for (paper, size) in [(Paper::A4, "595.28 x 841.89 pts (A4)"), (Paper::Letter, "612 x 792 pts (letter)")] {
        let path = dir.path().join(format!("report-{paper}.pdf"));
        let (pages, bytes) = export(&engine, november(), paper, &path);
        assert_eq!(std::fs::metadata(&path).expect("the PDF is there").len(), bytes);
        let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
        assert!(info.contains(&format!("Page size:       {size}")), "{paper}: {info}");
        assert!(info.contains(&format!("Pages:           {pages}\n")), "{pages} pages: {info}");
        assert!(info.contains("Title:           Sol Bakery: report 2026-11-01 to 2026-11-30"), "{info}");

        let words = poppler("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
        assert!(words.contains("Sol Bakery"), "the cover names the business: {words}");
        assert!(words.contains("Report for 1 Nov 2026 – 30 Nov 2026 (30 days)"), "{words}");
        assert!(words.contains(&format!("Page {pages} of {pages}")), "{words}");
        for (_, name) in CUSTOMERS {
            // A colour emoji is a picture (a Type 3 glyph, checked below) that poppler does
            // not turn back into text; the letters around it are text.
            let letters = name.trim_end_matches(|c: char| !c.is_alphanumeric());
            assert!(words.contains(letters), "{letters} is in the text layer:\n{words}");
        }
        assert!(words.contains("Waiting for an answer now (2)"), "Wang and Ana wait: {words}");

        let fonts = poppler("pdffonts", &[path.to_str().unwrap()]);
        for family in ["NotoSans-Regular", "NotoSans-Bold", "NotoSansArabic-Regular", "NotoSansHebrew-Regular"] {
            assert!(fonts.contains(family), "{family} is embedded:\n{fonts}");
        }
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(
            rows.len() == 6 && fonts.contains("Type 3"),
            "besides the four compiled in, a system font for Chinese and the colour emoji font \
             (fonts-droid-fallback and fonts-noto-color-emoji in scripts/setup-debian.sh):\n{fonts}"
        );
        for row in rows {
            // Type 3 fonts (colour emoji drawn as pictures) are embedded by nature.
            let embedded = row.contains("Type 3") || row.split_whitespace().rev().nth(4) == Some("yes");
            assert!(embedded, "every font is embedded: {row}");
        }
    }
}

#[test]
fn a_range_without_messages_prints_its_empty_sections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_with_customers(dir.path());
    let path = dir.path().join("empty.pdf");
    let request = ReportRequest { from: "2025-01-01".into(), to: "2025-01-07".into(), ..november() };
    let (pages, _) = export(&engine, request, Paper::A4, &path);
    let words = poppler("pdftotext", &[path.to_str().unwrap(), "-"]);
    assert!(words.contains("No messages in these days."), "{words}");
    assert!(words.contains("No customer was answered in these days."), "{words}");
    assert!(words.contains(&format!("Page 1 of {pages}")));
}

#[test]
fn a_pdf_that_cannot_be_written_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_with_customers(dir.path());
    let path = dir.path().join("no such folder").join("report.pdf");
    let london = TimeZone::get("Europe/London").expect("tz database");
    let err = runtime()
        .block_on(engine.export_report_pdf_in(november(), Paper::A4, path.clone(), london))
        .expect_err("the folder does not exist");
    assert!(err.to_string().contains("report.pdf"), "the error names the file: {err}");
    assert!(!path.exists());
}

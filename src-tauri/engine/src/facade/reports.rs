//! Reports as the facade offers them: figures and CSV files, in the computer's time zone,
//! read (and written) off the runtime.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::tz::TimeZone;

use super::engine::Engine;
use crate::domain::business_hours::BusinessHours;
use crate::domain::export_progress::{ExportProgress, ExportRef, ExportTicket};
use crate::domain::report::{
    Calendar, LiveCounters, Report, ReportCsv, ReportCsvRequest, ReportCsvWritten, ReportRequest,
};
use crate::domain::report_pdf::{Paper, ReportPdfRequest, ReportPdfWritten};
use crate::domain::{Error, Result};
use crate::services::{report_csv, report_pdf, reports};

impl Engine {
    /// A report over whole local days of the store the window shows.
    pub async fn report(&self, request: ReportRequest) -> Result<Report> {
        self.report_in(request, TimeZone::system()).await
    }

    /// A report in a named time zone (tests, and a CLI run on a server in UTC).
    pub async fn report_in(&self, request: ReportRequest, tz: TimeZone) -> Result<Report> {
        let zone_name = tz.iana_name().unwrap_or("local time").to_string();
        let calendar = Calendar::new(tz);
        self.store().read(move |c| reports::report(c, &request, &calendar, &zone_name)).await
    }
}

impl Engine {
    /// Sets the hours response and resolution times are counted in; `None` counts by the clock.
    pub async fn set_business_hours(&self, hours: Option<BusinessHours>) -> Result<()> {
        self.store().write(move |tx| reports::set_business_hours(tx, hours.as_ref())).await
    }
}

impl Engine {
    /// Today's counters, for the window's header; cheap enough to ask on every change.
    pub async fn live_counters(&self) -> Result<LiveCounters> {
        let calendar = Calendar::new(TimeZone::system());
        let store = self.store();
        let now = store.now_ms();
        store.read(move |c| reports::live_counters(c, &calendar, now)).await
    }

    /// The window's save dialog chose `path`. With an export id, the window can follow
    /// the rows written ([`Engine::export_progress`]) and cancel ([`Engine::cancel_export`]).
    pub async fn save_report_csv(&self, request: ReportCsvRequest) -> Result<ReportCsvWritten> {
        let path = PathBuf::from(&request.path);
        let ticket = Arc::new(ExportTicket::default());
        let id = request.export_id.clone();
        if let Some(id) = &id {
            self.exports_in_progress().insert(id.clone(), ticket.clone());
        }
        let tz = TimeZone::system();
        let written =
            self.export_report_csv_in(request.report, request.kind, request.with_text, path, tz, ticket).await;
        if let Some(id) = &id {
            self.exports_in_progress().remove(id);
        }
        Ok(ReportCsvWritten { rows: written? as u32, path: request.path })
    }

    /// How far an export the window started has got; `None` once it ended.
    pub fn export_progress(&self, export: &ExportRef) -> Option<ExportProgress> {
        self.exports_in_progress().get(&export.export_id).map(|t| t.progress())
    }

    /// Stops an export: it ends with [`Error::Cancelled`] and leaves no file.
    pub fn cancel_export(&self, export: &ExportRef) {
        if let Some(ticket) = self.exports_in_progress().get(&export.export_id) {
            ticket.cancel();
        }
    }

    /// Writes one of the report's CSV files to `path` (whole or not at all); returns the
    /// rows written.
    pub async fn export_report_csv(
        &self,
        request: ReportRequest,
        kind: ReportCsv,
        with_text: bool,
        path: PathBuf,
    ) -> Result<usize> {
        self.export_report_csv_in(request, kind, with_text, path, TimeZone::system(), Default::default()).await
    }

    /// In a named time zone, counting rows on `ticket` (which can cancel it).
    pub async fn export_report_csv_in(
        &self,
        request: ReportRequest,
        kind: ReportCsv,
        with_text: bool,
        path: PathBuf,
        tz: TimeZone,
        ticket: Arc<ExportTicket>,
    ) -> Result<usize> {
        let calendar = Calendar::new(tz);
        self.store()
            .read(move |c| {
                write_whole(&path, |file| report_csv::write(c, kind, &request, &calendar, with_text, &ticket, file))
            })
            .await
    }
}

impl Engine {
    /// The window's save dialog chose where the PDF goes.
    pub async fn save_report_pdf(&self, request: ReportPdfRequest) -> Result<ReportPdfWritten> {
        let path = PathBuf::from(&request.path);
        let (pages, bytes) = self.export_report_pdf(request.report, request.paper, path).await?;
        Ok(ReportPdfWritten { pages, bytes, path: request.path })
    }

    /// Writes the PDF report of `request` to `path` (whole or not at all) in the
    /// computer's time zone; returns its pages and size.
    pub async fn export_report_pdf(&self, request: ReportRequest, paper: Paper, path: PathBuf) -> Result<(u32, u64)> {
        self.export_report_pdf_in(request, paper, path, TimeZone::system()).await
    }

    pub async fn export_report_pdf_in(
        &self,
        request: ReportRequest,
        paper: Paper,
        path: PathBuf,
        tz: TimeZone,
    ) -> Result<(u32, u64)> {
        let zone_name = tz.iana_name().unwrap_or("local time").to_string();
        let calendar = Calendar::new(tz);
        let store = self.store();
        let now = store.now_ms();
        store
            .read(move |c| {
                let report = reports::report(c, &request, &calendar, &zone_name)?;
                let cover = report_pdf::cover_of(c, &request, now)?;
                let (pdf, pages) = report_pdf::render(&report, &cover, paper, &calendar)?;
                write_whole(&path, |file| file.write_all(&pdf).map_err(|source| io_error(&path, source)))?;
                Ok((pages, pdf.len() as u64))
            })
            .await
    }
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Save { path: path.to_path_buf(), source }
}

/// Writes a file beside `path` and moves it there once complete, so a failed export
/// leaves no half file and never truncates an earlier one.
fn write_whole<T>(path: &Path, write: impl FnOnce(&mut tempfile::NamedTempFile) -> Result<T>) -> Result<T> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(path, e))?;
    let written = write(&mut file)?;
    file.as_file().sync_all().map_err(|e| io_error(path, e))?;
    file.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(written)
}

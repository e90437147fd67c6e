//! Reports as the facade offers them: figures and CSV files, in the computer's time zone,
//! read (and written) off the runtime.

use std::path::PathBuf;

use jiff::tz::TimeZone;

use super::engine::Engine;
use crate::domain::report::{
    Calendar, LiveCounters, Report, ReportCsv, ReportCsvRequest, ReportCsvWritten, ReportRequest,
};
use crate::domain::{Error, Result};
use crate::services::{report_csv, reports};

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
    /// Today's counters, for the window's header; cheap enough to ask on every change.
    pub async fn live_counters(&self) -> Result<LiveCounters> {
        let calendar = Calendar::new(TimeZone::system());
        let store = self.store();
        let now = store.now_ms();
        store.read(move |c| reports::live_counters(c, &calendar, now)).await
    }

    /// The window's save dialog chose `path`.
    pub async fn save_report_csv(&self, request: ReportCsvRequest) -> Result<ReportCsvWritten> {
        let path = PathBuf::from(&request.path);
        let rows = self.export_report_csv(request.report, request.kind, request.with_text, path).await?;
        Ok(ReportCsvWritten { rows: rows as u32, path: request.path })
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
        let tz = TimeZone::system();
        self.export_report_csv_in(request, kind, with_text, path, tz).await
    }

    pub async fn export_report_csv_in(
        &self,
        request: ReportRequest,
        kind: ReportCsv,
        with_text: bool,
        path: PathBuf,
        tz: TimeZone,
    ) -> Result<usize> {
        let calendar = Calendar::new(tz);
        self.store()
            .read(move |c| {
                let io = |source| Error::Io { context: format!("writing {}", path.display()), source };
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
                let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
                let rows = report_csv::write(c, kind, &request, &calendar, with_text, &mut file)?;
                file.as_file().sync_all().map_err(io)?;
                file.persist(&path).map_err(|e| io(e.error))?;
                Ok(rows)
            })
            .await
    }
}

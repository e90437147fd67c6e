//! Reports as the facade offers them: in the computer's time zone, read off the runtime.

use jiff::tz::TimeZone;

use super::engine::Engine;
use crate::domain::Result;
use crate::domain::report::{Calendar, Report, ReportRequest};
use crate::services::reports;

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

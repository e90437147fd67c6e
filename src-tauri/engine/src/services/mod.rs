//! The fourth layer: what the engine does over time. Each service owns its tables
//! through store functions and calls platform clients; services reach each other only
//! through [`credentials`] (below them all) or through the store, never in a circle.

pub mod accounts;
pub mod credentials;
pub mod demo;
pub mod jobs;
pub mod media;
pub mod outbox;
pub mod relay_link;
pub mod report_csv;
pub mod report_pdf;
pub mod reports;
pub mod sync;

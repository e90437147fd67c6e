//! The first layer: what the engine talks about, with no I/O. Events that platforms are
//! translated into, the read models the store answers with, the rules that depend only
//! on data (the reply window, templates), and the error types.

pub mod account;
pub mod business_hours;
pub mod clock;
pub mod error;
pub mod events;
pub mod export_progress;
pub mod outbox;
pub mod reply_window;
pub mod report;
pub mod report_pdf;
pub mod template;
mod text_enum;
pub mod views;

pub use error::{Error, Result};
pub use events::*;

/// The bundle identifier: names the per-user data directory the window and the CLI share.
pub const APP_IDENTIFIER: &str = "app.cahts.desktop";

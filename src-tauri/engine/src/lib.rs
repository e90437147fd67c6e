//! cahts-engine: everything the CAHTS desktop does, with no Tauri dependency.
//!
//! Layout:
//! - [`events`]: the domain events every platform payload is translated into.
//! - [`meta`]: Meta's wire formats (webhook normalization).
//! - [`store`]: the SQLite store: one writer thread, a pool of readers, migrations,
//!   applying events, queries, the export document.
//! - [`search`]: turning what a person types into a safe FTS5 query.
//! - [`demo`]: realistic generated conversations (demo mode and benchmarks).
//! - [`bench`]: the store benchmark behind `cahts-cli bench`.
//! - [`ipc`]: the shapes the window sees; TypeScript is generated from them.
//! - [`secrets`]: the secret store (OS keyring or passphrase-encrypted vault file) and `Secret<T>`.
//! - [`engine`]: the facade the shell, `cahts-cli` and tests call.
//!
//! The engine knows nothing of windows or Tauri; it reports changes on a channel.

pub mod accounts;
pub mod bench;
pub mod demo;
pub mod engine;
pub mod error;
pub mod events;
pub mod ipc;
pub mod jobs;
pub mod media;
pub mod meta;
pub mod outbox;
pub mod relay_link;
pub mod search;
pub mod secrets;
pub mod store;
pub mod sync;

pub use engine::{Engine, EngineConfig, IngestReport};
pub use error::{Error, Result};
pub use events::*;

/// The bundle identifier: names the per-user data directory the window and the CLI share.
pub const APP_IDENTIFIER: &str = "app.cahts.desktop";

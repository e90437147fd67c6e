//! cahts-engine: everything the CAHTS desktop does, with no Tauri dependency.
//!
//! The engine is built in layers; each imports only the layers below it (checked by the
//! `layers` test, see ARCHITECTURE.md at the repository root):
//!
//! 1. [`domain`]: events, read models, ids, rules, error types. No I/O.
//! 2. [`store`] (SQLite: one writer thread, readers, migrations, apply, queries) and
//!    [`secrets`] (the OS keyring or the vault file).
//! 3. [`platform`]: Meta's wire formats and the Graph HTTP client. No SQL.
//! 4. [`services`]: accounts, history sync, outbox, media, jobs, relay link, demo data;
//!    each owns its tables through store functions.
//! 5. [`facade`]: the [`Engine`] the shell, `cahts-cli` and tests call, the window's
//!    types ([`ipc`]) and the benchmark.
//!
//! The engine knows nothing of windows or Tauri; it reports changes on a channel.

pub mod domain;
pub mod facade;
pub mod platform;
pub mod secrets;
pub mod services;
pub mod store;

// The paths callers have always used.
pub use domain::{error, events};
pub use facade::{bench, engine, ipc};
pub use platform as meta;
pub use services::{accounts, demo, jobs, media, outbox, relay_link, sync};
pub use store::search;

pub use domain::APP_IDENTIFIER;
pub use domain::events::*;
pub use domain::{Error, Result};
pub use facade::engine::{Engine, EngineConfig, IngestReport};

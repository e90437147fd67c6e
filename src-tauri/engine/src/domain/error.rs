//! The engine's error type. Variants carry the operation that failed, not only the
//! cause, so a log line or a CLI message says what the engine was doing.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}: {source}")]
    Sql {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "the store at {path} was written by a newer CAHTS (schema version {found}; this build knows up to {known}); update CAHTS to open it"
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },

    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    #[error("the store has shut down")]
    StoreClosed,

    /// The owner stopped it (a long export); nothing was written.
    #[error("cancelled")]
    Cancelled,

    #[error(transparent)]
    Webhook(#[from] WebhookError),

    #[error("{0}")]
    Invalid(String),

    #[error("{what} not found")]
    NotFound { what: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// A file the owner chose (an export) could not be written.
    #[error("cannot save {path}: {source}")]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Attaches the operation to a rusqlite error.
pub(crate) trait SqlContext<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> SqlContext<T> for std::result::Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Sql { context, source })
    }
}

/// A body that is not a Meta webhook at all. Problems inside the `entry` array are never
/// errors: they end up in [`ParsedWebhook::skipped`].
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The serde_json message is kept in the text (it names line and column); it is not
    /// also exposed as `source()` so error chains do not print it twice.
    #[error("webhook body is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("webhook body is {found}, expected a JSON object")]
    NotAnObject { found: &'static str },
    #[error("webhook body is an array of {len} items; only an array wrapping exactly one object is accepted")]
    ArrayNotSingle { len: usize },
    #[error("webhook body has no `object` string")]
    NoObject,
    #[error("webhook body `object` is {found}, expected a string")]
    ObjectNotString { found: &'static str },
    #[error("webhook body has no `entry` array")]
    NoEntry,
    #[error("webhook body `entry` is {found}, expected an array")]
    EntryNotArray { found: &'static str },
}

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

    #[error(transparent)]
    Webhook(#[from] crate::meta::webhook::WebhookError),

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

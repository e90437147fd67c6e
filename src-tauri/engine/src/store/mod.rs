//! The desktop store: one SQLite file in WAL mode.
//!
//! One writer thread owns the only write connection; callers send it closures and await
//! the answer, so nothing on the async runtime ever blocks on SQLite and writes never
//! contend for the lock among themselves. Reads run on blocking threads with a small
//! pool of read-only connections; in WAL mode they never wait for the writer.
//!
//! Submodules: [`migrate`] (schema), [`apply`] (domain events in, idempotently),
//! [`read`] (lists, threads, search, counts), [`export`] (the JSON document).

pub mod accounts;
pub mod apply;
pub mod enqueue;
pub mod export;
pub mod identity;
pub mod inbox_state;
pub mod media_files;
pub mod migrate;
pub mod outbox;
pub mod publications;
pub mod read;
pub mod report_figures;
pub mod report_rows;
pub mod reports;
pub mod search;
pub mod sends;
pub mod settings;
pub mod sync_cursors;
mod text_columns;
mod thread_page;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::error::{Error, Result, SqlContext};

/// How many read-only connections serve queries. The window issues a few reads at a
/// time (list, thread, search, counts); more connections would only cost memory.
const READERS: usize = 4;

/// Queued writes before senders wait: backpressure for bulk imports, never reached by
/// interactive use.
const WRITE_QUEUE: usize = 64;

type WriteJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to an open store. Cheap to clone; the writer thread stops when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    writer: mpsc::Sender<WriteJob>,
    readers: crossbeam_channel::Receiver<Connection>,
    reader_return: crossbeam_channel::Sender<Connection>,
}

/// Per-connection settings, each with its reason. Applied to every connection, never
/// inside migrations (pragmas in a migration would only reach the migrating connection).
fn configure(conn: &Connection, writer: bool) -> rusqlite::Result<()> {
    // Another process (cahts-cli while the window is open) may hold the write lock for a
    // moment; wait rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Foreign keys are off by default in SQLite; cascades on account removal need them.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if writer {
        // WAL: readers never block the writer and the writer never blocks readers.
        // Set once; asking again while another process writes can meet SQLITE_BUSY.
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        // In WAL, NORMAL is durable against application crashes and loses at most the
        // last transactions on power loss; FULL would fsync every commit.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoint after ~64 MiB of WAL rather than SQLite's 4 MiB: every batch dirties
        // index pages spread over the file, and checkpointing each batch copied and
        // fsynced the same pages again and again (the largest cost of bulk ingest at a
        // million messages, measured with cahts-cli bench).
        conn.pragma_update(None, "wal_autocheckpoint", 16_000)?;
        // Keep the WAL from growing without bound during big imports.
        conn.pragma_update(None, "journal_size_limit", 128 * 1024 * 1024)?;
    }
    // 16 MiB page cache per connection (negative = KiB): list and thread pages stay hot.
    // (A 128 MiB writer cache measured no faster ingest at a million messages.)
    conn.pragma_update(None, "cache_size", -16_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `path`, on the wall clock.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_clock(path, Arc::new(SystemClock))
    }

    /// [`Store::open`] with the clock the store's users stamp and schedule by.
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                context: format!("creating the data directory {}", dir.display()),
                source,
            })?;
        }
        let open_err = |source| Error::Open { path: path.to_owned(), source };
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer, true).map_err(open_err)?;
        migrate::migrate(&mut writer, path)?;

        let (reader_return, readers) = crossbeam_channel::bounded(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(open_err)?;
            configure(&conn, false).map_err(open_err)?;
            // The channel's capacity is exactly READERS, so this cannot be full.
            reader_return.send(conn).map_err(|_| Error::StoreClosed)?;
        }

        let (tx, mut rx) = mpsc::channel::<WriteJob>(WRITE_QUEUE);
        thread::Builder::new()
            .name("cahts-store-writer".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    job(&mut writer);
                }
            })
            .map_err(|source| Error::Io { context: "starting the store writer thread".into(), source })?;

        Ok(Store { inner: Arc::new(Inner { path: path.to_owned(), clock, writer: tx, readers, reader_return }) })
    }

    /// Now, by the store's clock (milliseconds since the Unix epoch).
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction on the writer thread; commits if it returns Ok,
    /// rolls back otherwise.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (done, answer) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = (|| {
                // IMMEDIATE: take the write lock at BEGIN, so a concurrent writer in
                // another process makes us wait (busy_timeout) instead of failing at the
                // first write with SQLITE_BUSY.
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .ctx("starting a write transaction")?;
                let value = f(&tx)?;
                tx.commit().ctx("committing a write transaction")?;
                Ok(value)
            })();
            // The caller may have gone away (cancelled); the work is committed either way.
            let _ = done.send(result);
        });
        self.inner.writer.send(job).await.map_err(|_| Error::StoreClosed)?;
        answer.await.map_err(|_| Error::StoreClosed)?
    }

    /// Folds the WAL back into the main file (after bulk imports, before measuring size).
    /// Runs on the writer thread, outside any transaction, as SQLite requires.
    pub async fn checkpoint(&self) -> Result<()> {
        let (done, answer) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .ctx("checkpointing the write-ahead log");
            // The caller may have gone away; nothing to undo.
            let _ = done.send(result);
        });
        self.inner.writer.send(job).await.map_err(|_| Error::StoreClosed)?;
        answer.await.map_err(|_| Error::StoreClosed)?
    }

    /// Runs `f` on a read-only connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.with_reader(f)).await.map_err(|_| Error::StoreClosed)?
    }

    /// The same as [`Store::read`] for callers already on a blocking thread (benchmarks,
    /// the CLI's synchronous paths).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.inner.with_reader(f)
    }
}

impl Inner {
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.recv().map_err(|_| Error::StoreClosed)?;
        let result = f(&conn);
        // Cannot fail: the pool's capacity is exactly the number of connections.
        let _ = self.reader_return.send(conn);
        result
    }
}

//! The relay's SQLite file: one writer thread that commits concurrent requests together
//! (group commit), and a small pool of read-only connections for the websocket sessions.
//!
//! Every webhook is answered 200 only after the transaction holding its sealed events has
//! committed with `synchronous=FULL`, so a 200 means the events survive a crash or power
//! loss. Many requests share one commit, which is what makes that affordable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cahts_protocol::{DevicePublicKey, SealingKey};
use rand_core::OsRng;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("relay database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "relay database {path} was written by a newer cahts-relay (schema {found}, this build knows {known}); upgrade the binary"
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    #[error("database error while {context}: {source}")]
    Sql { context: &'static str, source: rusqlite::Error },
    #[error("{0}")]
    Refused(String),
    #[error("the relay is shutting down")]
    Closed,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}
impl<T> Ctx<T> for rusqlite::Result<T> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Sql { context, source })
    }
}

const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_relay.sql")];

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn hash_secret(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn =
        Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open { path: path.into(), source })?;
    conn.busy_timeout(Duration::from_secs(10)).ctx("setting the busy timeout")?;
    // FULL: a 200 to Meta must mean the event is on disk, power loss included.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -2000;")
        .ctx("configuring the connection")?;
    Ok(conn)
}

/// Switches to WAL once. An admin command opening the database while the server writes
/// can meet SQLITE_BUSY here without SQLite's busy handler being consulted (the WAL index
/// is being rebuilt or checkpointed), so busy answers are retried for up to 10 s.
fn enable_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let attempt = conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0)).and_then(|mode| {
            if mode.eq_ignore_ascii_case("wal") { Ok(()) } else { conn.pragma_update(None, "journal_mode", "WAL") }
        });
        match attempt {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.ctx("enabling WAL"),
        }
    }
}

/// Opens (creating and migrating if needed) the relay database for writing.
pub fn open_for_writing(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: path.into(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
    }
    let mut conn = open_connection(path, false)?;
    enable_wal(&conn)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).ctx("reading the schema version")?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema { path: path.into(), found, known });
    }
    if found < known {
        let tx =
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).ctx("starting the migration")?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).ctx("reading the schema version")?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql).ctx("migrating the relay database")?;
            tx.pragma_update(None, "user_version", index as i64 + 1).ctx("recording the schema version")?;
        }
        tx.commit().ctx("committing the migration")?;
    }
    Ok(conn)
}

/// One entry group routed to a tenant, ready to be sealed for each of its devices.
pub struct Routed {
    pub tenant: String,
    pub asset_id: String,
    pub object: String,
    /// The plaintext [`cahts_protocol::wire::SealedPayload`] JSON.
    pub payload: Vec<u8>,
}

/// An entry nobody owns (recorded as metadata only).
pub struct Unrouted {
    pub asset_id: String,
    pub object: String,
    pub bytes: usize,
}

#[derive(Debug, Default, Clone)]
pub struct IngestOutcome {
    /// Envelopes queued (one per device per routed group).
    pub queued: usize,
    /// Groups that had no device to go to, or no tenant.
    pub dead_lettered: usize,
}

/// What the writer knows about a device it seals to.
struct DeviceSlot {
    device_id: i64,
    public_key: DevicePublicKey,
    key: Option<SealingKey>,
    next_seq: i64,
    dirty: bool,
}

/// Devices and asset bindings, cached by the writer and reloaded whenever another
/// process (the admin CLI) changes the file.
#[derive(Default)]
struct Routing {
    tenants_devices: HashMap<String, Vec<DeviceSlot>>,
    assets: HashMap<String, String>,
}

impl Routing {
    fn load(conn: &Connection) -> Result<Self> {
        let mut routing = Routing::default();
        let mut stmt = conn
            .prepare("SELECT device_id, tenant, public_key, next_seq FROM devices WHERE revoked_at IS NULL ORDER BY device_id")
            .ctx("loading devices")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, i64>(3)?))
            })
            .ctx("loading devices")?;
        for row in rows {
            let (device_id, tenant, key, next_seq) = row.ctx("loading devices")?;
            let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
                tracing::error!(device_id, "device has a malformed public key; skipping it");
                continue;
            };
            routing.tenants_devices.entry(tenant).or_default().push(DeviceSlot {
                device_id,
                public_key: DevicePublicKey::from_bytes(key),
                key: None,
                next_seq,
                dirty: false,
            });
        }
        let mut stmt = conn.prepare("SELECT asset_id, tenant FROM assets").ctx("loading assets")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).ctx("loading assets")?;
        for row in rows {
            let (asset, tenant) = row.ctx("loading assets")?;
            routing.assets.insert(asset, tenant);
        }
        Ok(routing)
    }

    /// Which tenant receives an asset's events (`None`: dead letter).
    pub fn tenant_for(&self, asset_id: &str) -> Option<&str> {
        if self.assets.is_empty() {
            return Some(DEFAULT_TENANT);
        }
        self.assets.get(asset_id).map(String::as_str)
    }
}

/// After a commit: the newest sequence number per device that got events.
pub type Heads = Vec<(i64, u64)>;

type Job = Box<dyn FnOnce(&mut WriterState, &Transaction<'_>) -> Result<()> + Send>;

pub struct WriterState {
    routing: Routing,
    data_version: i64,
    heads: HashMap<i64, u64>,
    dead_letter_limit: u64,
}

impl WriterState {
    pub fn tenant_for(&self, asset_id: &str) -> Option<&str> {
        self.routing.tenant_for(asset_id)
    }

    /// Seals each routed group for every device of its tenant and appends it to their queues.
    pub fn ingest(
        &mut self,
        tx: &Transaction<'_>,
        received_at: i64,
        routed: &[Routed],
        unrouted: &[Unrouted],
    ) -> Result<IngestOutcome> {
        let mut outcome = IngestOutcome::default();
        let mut insert = tx
            .prepare_cached("INSERT INTO queue (device_id, seq, received_at, sealed) VALUES (?1, ?2, ?3, ?4)")
            .ctx("preparing the queue insert")?;
        for group in routed {
            let devices = self.routing.tenants_devices.get_mut(&group.tenant).filter(|d| !d.is_empty());
            let Some(devices) = devices else {
                dead_letter(tx, received_at, &group.object, &group.asset_id, group.payload.len(), "no_device")?;
                outcome.dead_lettered += 1;
                continue;
            };
            for slot in devices.iter_mut() {
                let key = match &mut slot.key {
                    Some(key) if !key.worn_out() => key,
                    key => key.insert(SealingKey::new(&slot.public_key, &mut OsRng)),
                };
                let sealed = key.seal(&group.payload, &mut OsRng);
                insert.execute(params![slot.device_id, slot.next_seq, received_at, sealed]).ctx("queueing an event")?;
                self.heads.insert(slot.device_id, slot.next_seq as u64);
                slot.next_seq += 1;
                slot.dirty = true;
                outcome.queued += 1;
            }
        }
        for entry in unrouted {
            dead_letter(tx, received_at, &entry.object, &entry.asset_id, entry.bytes, "unknown_asset")?;
            outcome.dead_lettered += 1;
        }
        if outcome.dead_lettered > 0 {
            tx.execute(
                "DELETE FROM dead_letters WHERE id <= (SELECT max(id) FROM dead_letters) - ?1",
                [self.dead_letter_limit as i64],
            )
            .ctx("trimming dead letters")?;
        }
        Ok(outcome)
    }

    /// Queues one payload for every device of `tenant` except `from` (device fan-out).
    pub fn queue_for_others(&mut self, tx: &Transaction<'_>, tenant: &str, from: i64, payload: &[u8]) -> Result<usize> {
        let now = now_ms();
        let mut queued = 0;
        let Some(devices) = self.routing.tenants_devices.get_mut(tenant) else { return Ok(0) };
        for slot in devices.iter_mut().filter(|s| s.device_id != from) {
            let key = match &mut slot.key {
                Some(key) if !key.worn_out() => key,
                key => key.insert(SealingKey::new(&slot.public_key, &mut OsRng)),
            };
            let sealed = key.seal(payload, &mut OsRng);
            tx.prepare_cached("INSERT INTO queue (device_id, seq, received_at, sealed) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut s| s.execute(params![slot.device_id, slot.next_seq, now, sealed]))
                .ctx("queueing an event")?;
            self.heads.insert(slot.device_id, slot.next_seq as u64);
            slot.next_seq += 1;
            slot.dirty = true;
            queued += 1;
        }
        Ok(queued)
    }

    /// Queues one payload for one device (OAuth results).
    pub fn queue_for_device(&mut self, tx: &Transaction<'_>, device_id: i64, payload: &[u8]) -> Result<()> {
        let slot = self
            .routing
            .tenants_devices
            .values_mut()
            .flatten()
            .find(|slot| slot.device_id == device_id)
            .ok_or_else(|| StoreError::Refused(format!("device {device_id} is not paired")))?;
        let sealed = cahts_protocol::seal::seal(&slot.public_key, payload, &mut OsRng);
        tx.execute(
            "INSERT INTO queue (device_id, seq, received_at, sealed) VALUES (?1, ?2, ?3, ?4)",
            params![device_id, slot.next_seq, now_ms(), sealed],
        )
        .ctx("queueing an event")?;
        self.heads.insert(device_id, slot.next_seq as u64);
        slot.next_seq += 1;
        slot.dirty = true;
        Ok(())
    }

    fn flush_sequences(&mut self, tx: &Transaction<'_>) -> Result<()> {
        let mut update = tx
            .prepare_cached("UPDATE devices SET next_seq = ?2 WHERE device_id = ?1")
            .ctx("saving sequence numbers")?;
        for slot in self.routing.tenants_devices.values_mut().flatten().filter(|s| s.dirty) {
            update.execute(params![slot.device_id, slot.next_seq]).ctx("saving sequence numbers")?;
            slot.dirty = false;
        }
        Ok(())
    }

    fn reload_if_changed(&mut self, conn: &Connection) -> Result<()> {
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ctx("reading data_version")?;
        if version != self.data_version {
            self.routing = Routing::load(conn)?;
            self.data_version = version;
        }
        Ok(())
    }

    /// Call after changing devices or assets inside a job.
    pub fn reload(&mut self, tx: &Transaction<'_>) -> Result<()> {
        // Sequence numbers of this batch must survive the reload.
        self.flush_sequences(tx)?;
        self.routing = Routing::load(tx)?;
        Ok(())
    }
}

fn dead_letter(tx: &Transaction<'_>, at: i64, object: &str, asset: &str, bytes: usize, reason: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO dead_letters (received_at, object, asset_id, bytes, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute(params![at, object, asset, bytes as i64, reason]))
    .ctx("recording a dead letter")?;
    tracing::warn!(asset_id = asset, object, reason, "entry has no recipient; recorded as a dead letter");
    Ok(())
}

/// Handle to the relay database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<(Job, oneshot::Sender<Result<()>>)>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per reader connection: a read waits for a free connection rather than
    /// failing when every connection is busy (a thousand devices reconnecting at once).
    reader_permits: Arc<tokio::sync::Semaphore>,
    path: Arc<PathBuf>,
    heads_tx: Arc<tokio::sync::broadcast::Sender<Arc<Heads>>>,
}

const READERS: usize = 4;
/// Jobs per transaction at most: bounds the latency one commit adds.
const MAX_BATCH: usize = 2048;

impl Store {
    pub fn open(path: &Path, dead_letter_limit: u64) -> Result<Self> {
        let conn = open_for_writing(path)?;
        let routing = Routing::load(&conn)?;
        let data_version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ctx("reading data_version")?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_connection(path, true)?);
        }
        let (jobs, rx) = mpsc::channel(4096);
        let (heads_tx, _) = tokio::sync::broadcast::channel(1024);
        let heads_tx = Arc::new(heads_tx);
        let state = WriterState { routing, data_version, heads: HashMap::new(), dead_letter_limit };
        let notify = heads_tx.clone();
        std::thread::Builder::new()
            .name("relay-writer".into())
            .spawn(move || writer_loop(conn, state, rx, notify))
            .map_err(|e| StoreError::Open {
                path: path.into(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        Ok(Self {
            jobs,
            readers: Arc::new(Mutex::new(readers)),
            reader_permits: Arc::new(tokio::sync::Semaphore::new(READERS)),
            path: Arc::new(path.into()),
            heads_tx,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Devices whose queues grew, after every commit.
    pub fn subscribe_heads(&self) -> tokio::sync::broadcast::Receiver<Arc<Heads>> {
        self.heads_tx.subscribe()
    }

    /// Runs `f` inside the next group transaction; resolves after the commit.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriterState, &Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (value_tx, value_rx) = oneshot::channel();
        let job: Job = Box::new(move |state, tx| {
            let value = f(state, tx)?;
            // The receiver only goes away if the caller was cancelled; nothing to do then.
            let _unused = value_tx.send(value);
            Ok(())
        });
        let (done_tx, done_rx) = oneshot::channel();
        self.jobs.send((job, done_tx)).await.map_err(|_| StoreError::Closed)?;
        done_rx.await.map_err(|_| StoreError::Closed)??;
        value_rx.await.map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on a read-only connection off the async runtime.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self.reader_permits.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            // The permit guarantees a connection is free.
            let conn = readers.lock().expect("reader pool poisoned").pop().expect("a permit means a free reader");
            let result = f(&conn);
            readers.lock().expect("reader pool poisoned").push(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

fn writer_loop(
    mut conn: Connection,
    mut state: WriterState,
    mut rx: mpsc::Receiver<(Job, oneshot::Sender<Result<()>>)>,
    notify: Arc<tokio::sync::broadcast::Sender<Arc<Heads>>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = run_batch(&mut conn, &mut state, &mut batch);
        match outcome {
            Ok(results) => {
                for ((_, done), result) in batch.drain(..).zip(results) {
                    let _unused = done.send(result);
                }
                if !state.heads.is_empty() {
                    let heads: Heads = state.heads.drain().collect();
                    // No subscriber simply means no device is connected.
                    let _unused = notify.send(Arc::new(heads));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "relay database commit failed; the batch is refused");
                let message = e.to_string();
                for (_, done) in batch.drain(..) {
                    let _unused = done.send(Err(StoreError::Refused(message.clone())));
                }
                state.heads.clear();
                // The cached sequence numbers may be ahead of the rolled-back file.
                match Routing::load(&conn) {
                    Ok(routing) => state.routing = routing,
                    Err(e) => tracing::error!(error = %e, "cannot reload routing after a failed commit"),
                }
            }
        }
    }
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
}

/// One transaction; each job in its own savepoint so one failing job refuses only itself.
fn run_batch(
    conn: &mut Connection,
    state: &mut WriterState,
    batch: &mut [(Job, oneshot::Sender<Result<()>>)],
) -> Result<Vec<Result<()>>> {
    state.reload_if_changed(conn)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).ctx("starting a write")?;
    let mut results = Vec::with_capacity(batch.len());
    for (job, _) in batch.iter_mut() {
        // Take the job out, leaving a no-op in its place.
        let job = std::mem::replace(job, Box::new(|_, _| Ok(())));
        tx.execute_batch("SAVEPOINT job").ctx("opening a savepoint")?;
        let heads_before = state.heads.clone();
        match job(state, &tx) {
            Ok(()) => {
                tx.execute_batch("RELEASE job").ctx("releasing a savepoint")?;
                results.push(Ok(()));
            }
            Err(e) => {
                tx.execute_batch("ROLLBACK TO job; RELEASE job").ctx("rolling back a savepoint")?;
                state.heads = heads_before;
                // Sequence numbers handed out by the failed job are rolled back too.
                state.routing = Routing::load(&tx)?;
                results.push(Err(e));
            }
        }
    }
    state.flush_sequences(&tx)?;
    tx.commit().ctx("committing")?;
    Ok(results)
}

/// Reads for sessions and the admin CLI.
pub mod queries {
    use super::*;

    pub struct AuthenticatedDevice {
        pub device_id: i64,
        pub tenant: String,
        pub acked_seq: u64,
        pub dropped_unreported: u64,
    }

    pub fn device_by_token(conn: &Connection, token: &str) -> Result<Option<AuthenticatedDevice>> {
        conn.query_row(
            "SELECT device_id, tenant, acked_seq, dropped_unreported FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
            [hash_secret(token)],
            |r| {
                Ok(AuthenticatedDevice {
                    device_id: r.get(0)?,
                    tenant: r.get(1)?,
                    acked_seq: r.get::<_, i64>(2)? as u64,
                    dropped_unreported: r.get::<_, i64>(3)? as u64,
                })
            },
        )
        .optional()
        .ctx("looking up a device token")
    }

    pub fn device_is_active(conn: &Connection, device_id: i64) -> Result<bool> {
        conn.query_row("SELECT revoked_at IS NULL FROM devices WHERE device_id = ?1", [device_id], |r| r.get(0))
            .optional()
            .map(|v| v.unwrap_or(false))
            .ctx("checking a device")
    }

    /// Up to `limit` events after `after`, and at most about `max_bytes` of them.
    pub fn pending(
        conn: &Connection,
        device_id: i64,
        after: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<(u64, i64, Vec<u8>)>> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, received_at, sealed FROM queue WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .ctx("reading a queue")?;
        let mut rows = stmt.query(params![device_id, after as i64, limit as i64]).ctx("reading a queue")?;
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(row) = rows.next().ctx("reading a queue")? {
            let sealed: Vec<u8> = row.get(2).ctx("reading a queue")?;
            bytes += sealed.len();
            out.push((row.get::<_, i64>(0).ctx("reading a queue")? as u64, row.get(1).ctx("reading a queue")?, sealed));
            if bytes >= max_bytes {
                break;
            }
        }
        Ok(out)
    }

    /// Queued events and the newest sequence number of a device.
    pub fn backlog(conn: &Connection, device_id: i64, after: u64) -> Result<(u64, u64)> {
        conn.query_row(
            "SELECT (SELECT count(*) FROM queue WHERE device_id = ?1 AND seq > ?2), next_seq - 1 FROM devices WHERE device_id = ?1",
            params![device_id, after as i64],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
        .ctx("counting a backlog")
    }

    /// Per active device: (device id, tenant, queued events).
    pub fn queue_depths(conn: &Connection) -> Result<Vec<(i64, String, u64)>> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT d.device_id, d.tenant, (SELECT count(*) FROM queue q WHERE q.device_id = d.device_id)
                 FROM devices d WHERE d.revoked_at IS NULL ORDER BY d.device_id",
            )
            .ctx("reading queue depths")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))
            .ctx("reading queue depths")?;
        rows.collect::<rusqlite::Result<_>>().ctx("reading queue depths")
    }
}

/// Writes outside the hot path.
pub mod commands {
    use super::*;

    /// Acknowledges everything up to `seq`: those events are deleted.
    pub fn ack(tx: &Transaction<'_>, device_id: i64, seq: u64) -> Result<usize> {
        let deleted = tx
            .prepare_cached("DELETE FROM queue WHERE device_id = ?1 AND seq <= ?2")
            .and_then(|mut s| s.execute(params![device_id, seq as i64]))
            .ctx("deleting acked events")?;
        tx.prepare_cached("UPDATE devices SET acked_seq = max(acked_seq, ?2), last_seen_at = ?3 WHERE device_id = ?1")
            .and_then(|mut s| s.execute(params![device_id, seq as i64, now_ms()]))
            .ctx("recording an ack")?;
        Ok(deleted)
    }

    pub fn clear_dropped(tx: &Transaction<'_>, device_id: i64) -> Result<()> {
        tx.execute("UPDATE devices SET dropped_unreported = 0 WHERE device_id = ?1", [device_id])
            .ctx("clearing the dropped counter")?;
        Ok(())
    }

    /// Applies the retention limits; returns (dropped for age, dropped for size).
    pub fn enforce_retention(tx: &Transaction<'_>, max_age_ms: i64, max_per_device: u64) -> Result<(u64, u64)> {
        let cutoff = now_ms() - max_age_ms;
        let mut by_age = 0u64;
        let mut by_size = 0u64;
        let mut per_device: Vec<(i64, u64)> = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT device_id, count(*) FROM queue WHERE received_at < ?1 GROUP BY device_id")
                .ctx("finding expired events")?;
            let rows = stmt
                .query_map([cutoff], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
                .ctx("finding expired events")?;
            for row in rows {
                per_device.push(row.ctx("finding expired events")?);
            }
        }
        for (device_id, count) in &per_device {
            tx.execute("DELETE FROM queue WHERE device_id = ?1 AND received_at < ?2", params![device_id, cutoff])
                .ctx("dropping expired events")?;
            tx.execute(
                "UPDATE devices SET dropped_unreported = dropped_unreported + ?2 WHERE device_id = ?1",
                params![device_id, *count as i64],
            )
            .ctx("counting dropped events")?;
            by_age += count;
        }
        let over: Vec<(i64, u64)> = {
            let mut stmt = tx
                .prepare("SELECT device_id, count(*) FROM queue GROUP BY device_id HAVING count(*) > ?1")
                .ctx("finding oversized queues")?;
            let rows = stmt
                .query_map([max_per_device as i64], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
                .ctx("finding oversized queues")?;
            rows.collect::<rusqlite::Result<_>>().ctx("finding oversized queues")?
        };
        for (device_id, count) in over {
            let excess = count - max_per_device;
            tx.execute(
                "DELETE FROM queue WHERE device_id = ?1 AND seq IN (SELECT seq FROM queue WHERE device_id = ?1 ORDER BY seq LIMIT ?2)",
                params![device_id, excess as i64],
            )
            .ctx("dropping the oldest events")?;
            tx.execute(
                "UPDATE devices SET dropped_unreported = dropped_unreported + ?2 WHERE device_id = ?1",
                params![device_id, excess as i64],
            )
            .ctx("counting dropped events")?;
            by_size += excess;
        }
        Ok((by_age, by_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_reads_wait_for_a_reader_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.sqlite"), 10).unwrap();
        let reads = (0..64).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .read(|c| {
                        std::thread::sleep(Duration::from_millis(5));
                        c.query_row("SELECT count(*) FROM tenants", [], |r| r.get::<_, i64>(0)).ctx("counting")
                    })
                    .await
            })
        });
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap(), 1);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_refuses_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.sqlite"), 10).unwrap();
        let good =
            store.write(|_, tx| tx.execute("INSERT INTO tenants (name, created_at) VALUES ('a', 1)", []).ctx("insert"));
        let bad = store.write(|_, tx| {
            tx.execute("INSERT INTO tenants (name, created_at) VALUES ('b', 1)", []).ctx("insert")?;
            Err::<(), _>(StoreError::Refused("no".into()))
        });
        let (good, bad) = tokio::join!(good, bad);
        assert_eq!(good.unwrap(), 1);
        assert!(bad.is_err());
        let names = store
            .read(|c| {
                let mut s = c.prepare("SELECT name FROM tenants ORDER BY name").ctx("q")?;
                let rows = s.query_map([], |r| r.get::<_, String>(0)).ctx("q")?;
                rows.collect::<rusqlite::Result<Vec<_>>>().ctx("q")
            })
            .await
            .unwrap();
        assert_eq!(names, ["a", "default"], "the refused job's insert was rolled back, the other kept");
    }
}

//! The facade the window, `cahts-cli` and tests call. One method per thing a user or a
//! script does; each one is a few lines over the store.
//!
//! The engine serves one of two stores: the business's own (`cahts.sqlite` in the data
//! directory) or the demo store (`demo.sqlite` beside it), which is generated on first
//! use and never mixed with real data. Changes committed to the active store, by this
//! process or another one, are published on [`Engine::subscribe`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use std::collections::HashMap;

use crate::domain::account::HistoryProgress;
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::error::{Error, Result};
use crate::domain::events::DomainEvent;
use crate::domain::export_progress::ExportTicket;
use crate::facade::ipc::*;
use crate::platform::graph::{GraphClient, GraphConfig};
use crate::platform::webhook::{ParsedWebhook, parse_webhook};
use crate::services::relay_link::RelayControl;
use crate::services::{demo, outbox};
use crate::store::apply::{self, ApplyReport};
use crate::store::export::{self, ExportDocument, ImportReport};
use crate::store::{Store, read};

pub const STORE_FILE: &str = "cahts.sqlite";
pub const DEMO_FILE: &str = "demo.sqlite";

/// How often the change feed looks for commits from other processes. Own commits wake it
/// at once.
pub(super) const CHANGE_POLL: Duration = Duration::from_millis(300);

/// Where the engine keeps its files.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Data directory: the store, the demo store, downloaded media.
    pub data_dir: PathBuf,
    /// The store file; `data_dir/cahts.sqlite` when absent.
    pub store_path: Option<PathBuf>,
    /// What the store stamps and schedules by (sends, retries, the reply window).
    pub clock: Arc<dyn Clock>,
    /// Where Meta's APIs are.
    pub graph: GraphConfig,
}

impl EngineConfig {
    /// The per-user data directory, shared by the window and `cahts-cli`. `CAHTS_DATA_DIR`
    /// overrides it (tests, portable installs).
    pub fn default_data_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os("CAHTS_DATA_DIR") {
            return Ok(PathBuf::from(dir));
        }
        // Same directory Tauri's app_data_dir() gives for our bundle identifier.
        directories::BaseDirs::new()
            .map(|d| d.data_dir().join(crate::domain::APP_IDENTIFIER))
            .ok_or_else(|| Error::Invalid("cannot find this user's data directory; set CAHTS_DATA_DIR".into()))
    }

    pub fn in_dir(data_dir: impl Into<PathBuf>) -> EngineConfig {
        EngineConfig {
            data_dir: data_dir.into(),
            store_path: None,
            clock: Arc::new(SystemClock),
            graph: GraphConfig::from_env(),
        }
    }
}

/// What ingesting one webhook body did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub object: String,
    pub events: usize,
    pub skipped: Vec<String>,
    pub applied: ApplyReport,
}

/// What ingesting several webhook bodies did (`cahts-cli ingest-webhook`).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhooksIngested {
    pub files: usize,
    pub events: usize,
    pub skipped: usize,
    pub messages_added: usize,
    pub duplicates: usize,
    pub conversations_touched: usize,
}

struct Active {
    mode: StoreMode,
    store: Store,
}

pub struct Engine {
    pub(super) config: EngineConfig,
    /// The business's own store, open for the engine's whole life: relay events, sends
    /// and jobs always use it, also while the window shows the demo. One `Store` per file
    /// keeps one writer per file.
    pub(super) real: Store,
    active: RwLock<Active>,
    pub(super) changes: broadcast::Sender<StoreChanged>,
    pub(super) wake_feed: Notify,
    pub(super) relay: RelayControl,
    pub(super) graph: GraphClient,
    pub(super) wake_outbox: Notify,
    /// History loads started in this run, by account id.
    pub(super) history: Arc<std::sync::Mutex<HashMap<i64, HistoryProgress>>>,
    /// CSV exports the window follows, by the id it gave them.
    exports: std::sync::Mutex<HashMap<String, Arc<ExportTicket>>>,
}

impl Engine {
    /// Opens the business's store (creating and migrating it if needed).
    pub fn open(config: EngineConfig) -> Result<Arc<Engine>> {
        let path = config.store_path.clone().unwrap_or_else(|| config.data_dir.join(STORE_FILE));
        let store = Store::open_with_clock(&path, config.clock.clone())?;
        let graph = GraphClient::new(config.graph.clone());
        let (changes, _) = broadcast::channel(256);
        Ok(Arc::new(Engine {
            config,
            real: store.clone(),
            active: RwLock::new(Active { mode: StoreMode::Real, store }),
            changes,
            wake_feed: Notify::new(),
            relay: Default::default(),
            graph,
            wake_outbox: Notify::new(),
            history: Default::default(),
            exports: Default::default(),
        }))
    }

    pub(super) fn exports_in_progress(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ExportTicket>>> {
        // A panic while holding it left only counters behind: still usable.
        self.exports.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The active store. A clone: a switch to or from demo mode does not disturb a query
    /// already running.
    pub fn store(&self) -> Store {
        self.active.read().unwrap_or_else(|e| e.into_inner()).store.clone()
    }

    pub fn mode(&self) -> StoreMode {
        self.active.read().unwrap_or_else(|e| e.into_inner()).mode
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Committed changes to the active store.
    pub fn subscribe(&self) -> broadcast::Receiver<StoreChanged> {
        self.changes.subscribe()
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let result = self.store().write(f).await;
        if result.is_ok() {
            self.wake_feed.notify_one();
        }
        result
    }

    pub async fn apply(&self, events: Vec<DomainEvent>) -> Result<ApplyReport> {
        let now = self.store().now_ms();
        self.write(move |tx| {
            let report = apply::apply_events(tx, &events, now)?;
            // Echoes of messages this computer sent settle their outbox rows.
            outbox::reconcile(tx, now)?;
            Ok(report)
        })
        .await
    }

    /// Parses a raw Meta webhook body and applies it. A malformed body changes nothing.
    pub async fn ingest_webhook(&self, body: &[u8]) -> Result<IngestReport> {
        let ParsedWebhook { object, events, skipped } = parse_webhook(body)?;
        let count = events.len();
        let applied = self.apply(events).await?;
        Ok(IngestReport {
            object,
            events: count,
            skipped: skipped.into_iter().map(|s| format!("{}: {}", s.path, s.reason)).collect(),
            applied,
        })
    }

    /// Parses every body first and applies them together, so one malformed body applies
    /// none of them. Each body comes with a label (its file) that an error names.
    pub async fn ingest_webhooks(&self, bodies: Vec<(String, Vec<u8>)>) -> Result<WebhooksIngested> {
        let mut events = Vec::new();
        let mut skipped = 0;
        for (label, body) in &bodies {
            let parsed = parse_webhook(body).map_err(|e| Error::Invalid(format!("{label}: {e}")))?;
            skipped += parsed.skipped.len();
            events.extend(parsed.events);
        }
        let count = events.len();
        let report = self.apply(events).await?;
        Ok(WebhooksIngested {
            files: bodies.len(),
            events: count,
            skipped,
            messages_added: report.messages_added,
            duplicates: report.duplicates,
            conversations_touched: report.conversations_touched.len(),
        })
    }

    pub async fn app_status(&self) -> Result<AppStatus> {
        let store = self.store();
        let mode = self.mode();
        let path = store.path().display().to_string();
        let empty = store.read(read::is_empty).await?;
        Ok(AppStatus { mode, empty, store_path: path })
    }

    pub async fn list_conversations(&self, req: ListConversationsRequest) -> Result<ConversationPage> {
        let store = self.store();
        let now = store.now_ms();
        store.read(move |c| read::list_conversations(c, &req, now)).await
    }

    pub async fn get_thread(&self, req: ThreadRequest) -> Result<ThreadPage> {
        let store = self.store();
        let now = store.now_ms();
        store.read(move |c| read::thread(c, &req, now)).await
    }

    pub async fn search(&self, req: SearchRequest) -> Result<SearchResults> {
        let store = self.store();
        let now = store.now_ms();
        store.read(move |c| read::search(c, &req, now)).await
    }

    pub async fn get_counts(&self) -> Result<Counts> {
        self.store().read(read::counts).await
    }

    /// Marks a conversation read here, and (real store only) tells the customer it was seen.
    pub async fn mark_read(&self, req: ConversationRef) -> Result<()> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let real = self.mode() == StoreMode::Real;
        let now = self.store().now_ms();
        let queued = self
            .write(move |tx| {
                let queued = real && outbox::enqueue_seen(tx, id, now)?;
                apply::mark_read(tx, id, now)?;
                Ok(queued)
            })
            .await?;
        if queued {
            self.wake_outbox.notify_one();
        }
        Ok(())
    }

    pub async fn mark_unread(&self, req: ConversationRef) -> Result<()> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let now = self.store().now_ms();
        self.write(move |tx| apply::mark_unread(tx, id, now)).await
    }

    pub async fn set_conversation_state(&self, req: SetStateRequest) -> Result<()> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let now = self.store().now_ms();
        self.write(move |tx| apply::set_state(tx, id, req.state, now)).await
    }

    pub async fn export_json(&self) -> Result<ExportDocument> {
        self.store().read(export::export).await
    }

    /// Restores or merges an export, all or nothing.
    pub async fn import_json(&self, doc: ExportDocument) -> Result<ImportReport> {
        export::validate(&doc)?;
        let now = self.store().now_ms();
        self.write(move |tx| export::import(tx, &doc, now)).await
    }

    /// The business's own store, whichever store the window shows.
    pub(super) fn real_store(&self) -> Store {
        self.real.clone()
    }

    /// Switches to the demo store, generating it on first use.
    pub async fn enter_demo(&self) -> Result<AppStatus> {
        if self.mode() != StoreMode::Demo {
            let path = self.config.data_dir.join(DEMO_FILE);
            let clock = self.config.clock.clone();
            let store = tokio::task::spawn_blocking(move || Store::open_with_clock(&path, clock))
                .await
                .map_err(|_| Error::StoreClosed)??;
            if store.read(read::is_empty).await? {
                let now = store.now_ms();
                let events = demo::demo_events(now);
                store
                    .write(move |tx| {
                        apply::apply_events(tx, &events, now)?;
                        demo::finish_demo_store(tx)
                    })
                    .await?;
            }
            self.switch(StoreMode::Demo, store);
        }
        self.app_status().await
    }

    /// Back to the business's own store. The demo store stays on disk for next time.
    pub async fn exit_demo(&self) -> Result<AppStatus> {
        if self.mode() == StoreMode::Demo {
            self.switch(StoreMode::Real, self.real_store());
        }
        self.app_status().await
    }

    fn switch(&self, mode: StoreMode, store: Store) {
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = Active { mode, store };
        // No receivers is fine: nobody is watching yet.
        let _ = self.changes.send(StoreChanged { conversation_ids: Vec::new(), everything: true });
        self.wake_feed.notify_one();
    }
}

/// How the relay lists this computer when the owner gives no name.
pub fn default_device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this computer".into());
    format!("CAHTS on {host}")
}

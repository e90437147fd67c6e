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

use crate::domain::error::{Error, Result};
use crate::domain::events::DomainEvent;
use crate::facade::ipc::*;
use crate::platform::webhook::{ParsedWebhook, parse_webhook};
use crate::store::apply::{self, ApplyReport};
use crate::store::export::{self, ExportDocument, ImportReport};
use crate::store::{Store, now_ms, read};

pub const STORE_FILE: &str = "cahts.sqlite";
pub const DEMO_FILE: &str = "demo.sqlite";

/// How often the change feed looks for commits from other processes. Own commits wake it
/// at once.
const CHANGE_POLL: Duration = Duration::from_millis(300);

/// Where the engine keeps its files.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Data directory: the store, the demo store, downloaded media.
    pub data_dir: PathBuf,
    /// The store file; `data_dir/cahts.sqlite` when absent.
    pub store_path: Option<PathBuf>,
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
        EngineConfig { data_dir: data_dir.into(), store_path: None }
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

struct Active {
    mode: StoreMode,
    store: Store,
}

pub struct Engine {
    config: EngineConfig,
    active: RwLock<Active>,
    changes: broadcast::Sender<StoreChanged>,
    wake_feed: Notify,
    relay: crate::services::relay_link::RelayControl,
    graph: crate::platform::graph::GraphClient,
    wake_outbox: Notify,
    /// History loads started in this run, by account id.
    history: Arc<std::sync::Mutex<std::collections::HashMap<i64, crate::services::accounts::HistoryProgress>>>,
}

impl Engine {
    /// Opens the business's store (creating and migrating it if needed).
    pub fn open(config: EngineConfig) -> Result<Arc<Engine>> {
        let path = config.store_path.clone().unwrap_or_else(|| config.data_dir.join(STORE_FILE));
        let store = Store::open(&path)?;
        let (changes, _) = broadcast::channel(256);
        Ok(Arc::new(Engine {
            config,
            active: RwLock::new(Active { mode: StoreMode::Real, store }),
            changes,
            wake_feed: Notify::new(),
            relay: Default::default(),
            graph: crate::platform::graph::GraphClient::new(crate::platform::graph::GraphConfig::from_env()),
            wake_outbox: Notify::new(),
            history: Default::default(),
        }))
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
        self.write(move |tx| {
            let report = apply::apply_events(tx, &events)?;
            // Echoes of messages this computer sent settle their outbox rows.
            crate::services::outbox::reconcile(tx)?;
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

    pub async fn app_status(&self) -> Result<AppStatus> {
        let store = self.store();
        let mode = self.mode();
        let path = store.path().display().to_string();
        let empty = store.read(read::is_empty).await?;
        Ok(AppStatus { mode, empty, store_path: path })
    }

    pub async fn list_conversations(&self, req: ListConversationsRequest) -> Result<ConversationPage> {
        self.store().read(move |c| read::list_conversations(c, &req)).await
    }

    pub async fn get_thread(&self, req: ThreadRequest) -> Result<ThreadPage> {
        self.store().read(move |c| read::thread(c, &req)).await
    }

    pub async fn search(&self, req: SearchRequest) -> Result<SearchResults> {
        self.store().read(move |c| read::search(c, &req)).await
    }

    pub async fn get_counts(&self) -> Result<Counts> {
        self.store().read(read::counts).await
    }

    /// Marks a conversation read here, and (real store only) tells the customer it was seen.
    pub async fn mark_read(&self, req: ConversationRef) -> Result<()> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let real = self.mode() == StoreMode::Real;
        let queued = self
            .write(move |tx| {
                let queued = real && crate::services::outbox::enqueue_seen(tx, id)?;
                apply::mark_read(tx, id)?;
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
        self.write(move |tx| apply::mark_unread(tx, id)).await
    }

    pub async fn set_conversation_state(&self, req: SetStateRequest) -> Result<()> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        self.write(move |tx| apply::set_state(tx, id, req.state)).await
    }

    pub async fn export_json(&self) -> Result<ExportDocument> {
        self.store().read(export::export).await
    }

    /// Restores or merges an export, all or nothing.
    pub async fn import_json(&self, doc: ExportDocument) -> Result<ImportReport> {
        export::validate(&doc)?;
        self.write(move |tx| export::import(tx, &doc)).await
    }

    /// The business's own store, whichever store the window shows: relay events always
    /// belong to it, demo mode or not.
    async fn real_store(&self) -> Result<Store> {
        if self.mode() == StoreMode::Real {
            return Ok(self.store());
        }
        let path = self.config.store_path.clone().unwrap_or_else(|| self.config.data_dir.join(STORE_FILE));
        tokio::task::spawn_blocking(move || Store::open(&path)).await.map_err(|_| Error::StoreClosed)?
    }

    /// Starts the relay link if this store is paired. Call once, inside a tokio runtime.
    pub async fn start_relay_link(&self) -> std::result::Result<(), crate::services::relay_link::LinkError> {
        let store = self.real_store().await?;
        self.relay.start(store).await
    }

    /// Relay link status changes.
    pub fn subscribe_relay_status(&self) -> tokio::sync::watch::Receiver<crate::services::relay_link::LinkStatus> {
        self.relay.subscribe()
    }

    pub async fn relay_status(&self) -> std::result::Result<RelayStatus, crate::services::relay_link::LinkError> {
        let store = self.real_store().await?;
        let pairing = crate::services::relay_link::pairing(&store).await?;
        Ok(RelayStatus {
            link: self.relay.current(),
            relay_url: pairing.as_ref().map(|p| p.relay_url.clone()),
            device_id: pairing.as_ref().map(|p| p.device_id.clone()),
            tenant: pairing.map(|p| p.tenant),
        })
    }

    /// Pairs with a relay (replacing any earlier pairing) and starts the link.
    pub async fn pair_relay(&self, req: PairRelayRequest) -> std::result::Result<RelayStatus, crate::services::relay_link::LinkError> {
        let store = self.real_store().await?;
        let secrets = self.relay.secrets().await?;
        let name = req.device_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(default_device_name);
        self.relay.stop();
        crate::services::relay_link::pair(&store, secrets, &req.relay_url, &req.code, &name).await?;
        self.relay.start(store).await?;
        self.relay_status().await
    }

    async fn accounts(&self) -> std::result::Result<crate::services::accounts::Accounts, crate::services::accounts::AccountError> {
        let store = self.real_store().await?;
        let secrets = self.relay.secrets().await.map_err(|e| match e {
            crate::services::relay_link::LinkError::Secrets(s) => crate::services::accounts::AccountError::Secrets(s),
            other => crate::services::accounts::AccountError::Invalid(other.to_string()),
        })?;
        crate::services::accounts::Accounts::new(store, secrets, self.graph.clone()).await
    }

    pub async fn list_accounts(&self) -> std::result::Result<Vec<crate::services::accounts::AccountView>, crate::services::accounts::AccountError> {
        let mut list = self.accounts().await?.list().await?;
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        for account in &mut list {
            account.history = history.get(&account.id).cloned();
        }
        Ok(list)
    }

    /// Loads the history of newly connected Messenger and Instagram accounts now, rather
    /// than at the next background re-sync; progress shows in `list_accounts`.
    pub fn start_history(self: &Arc<Self>, accounts: Vec<crate::services::accounts::AccountView>) {
        let wanted: Vec<_> = accounts.into_iter().filter(|a| a.platform != crate::domain::events::Platform::Whatsapp).collect();
        if wanted.is_empty() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            for account in wanted {
                let id = account.id;
                let set = |p: crate::services::accounts::HistoryProgress| {
                    engine.history.lock().unwrap_or_else(|e| e.into_inner()).insert(id, p);
                };
                set(crate::services::accounts::HistoryProgress { running: true, conversations: 0, error: None });
                let outcome = match (engine.real_store().await, engine.accounts().await) {
                    (Ok(store), Ok(accounts)) => {
                        let progress = |p: crate::services::sync::Progress| {
                            set(crate::services::accounts::HistoryProgress { running: true, conversations: p.conversations, error: None });
                        };
                        crate::services::sync::backfill(&store, accounts.credentials(), &engine.graph, &account, &progress).await.map_err(|e| e.to_string())
                    }
                    (Err(e), _) => Err(e.to_string()),
                    (_, Err(e)) => Err(e.to_string()),
                };
                match outcome {
                    Ok(report) => {
                        let error = report.paused_until.map(|_| "Meta asked CAHTS to slow down; the rest loads on its own later.".to_string());
                        set(crate::services::accounts::HistoryProgress { running: false, conversations: report.conversations, error });
                    }
                    Err(e) => {
                        tracing::warn!(account_id = id, error = %e, "history could not be loaded");
                        let done = engine.history.lock().unwrap_or_else(|e| e.into_inner()).get(&id).map_or(0, |p| p.conversations);
                        set(crate::services::accounts::HistoryProgress { running: false, conversations: done, error: Some(format!("{e}. It is tried again in the background.")) });
                    }
                }
                engine.wake_feed.notify_one();
            }
        });
    }

    pub async fn connect_whatsapp(&self, req: ConnectWhatsappRequest) -> std::result::Result<crate::services::accounts::AccountView, crate::services::accounts::AccountError> {
        self.accounts().await?.connect_whatsapp(&req.phone_number_id, crate::secrets::Secret::new(req.token), req.business_account_id).await
    }

    /// Starts Instagram Login through the relay (for Instagram accounts without a Page).
    pub async fn begin_instagram_login(&self) -> std::result::Result<FacebookLogin, crate::services::relay_link::LinkError> {
        let (state, authorize_url) = self.relay.begin_oauth(cahts_protocol::wire::OAuthProvider::Instagram).await?;
        Ok(FacebookLogin { state, authorize_url })
    }

    /// Connects the account as soon as the relay delivers the Instagram token.
    pub async fn instagram_login_status(self: &Arc<Self>, req: FacebookLoginRef) -> std::result::Result<InstagramLoginStatus, crate::services::accounts::AccountError> {
        let store = self.real_store().await?;
        let secrets = self.relay.secrets().await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
        let outcome = crate::services::relay_link::oauth_outcome(&store, secrets.clone(), &req.state).await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
        match outcome {
            crate::services::relay_link::OAuthState::Waiting => Ok(InstagramLoginStatus::Waiting),
            crate::services::relay_link::OAuthState::Failed(message) => Ok(InstagramLoginStatus::Failed { message }),
            crate::services::relay_link::OAuthState::Token(token) => {
                let account = self.accounts().await?.connect_instagram(token, None).await?;
                crate::services::relay_link::forget_oauth(&store, secrets, &req.state).await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
                self.start_history(vec![account.clone()]);
                Ok(InstagramLoginStatus::Connected { account: Box::new(account) })
            }
        }
    }

    /// Starts Facebook Login through the relay.
    pub async fn begin_facebook_login(&self) -> std::result::Result<FacebookLogin, crate::services::relay_link::LinkError> {
        let (state, authorize_url) = self.relay.begin_oauth(cahts_protocol::wire::OAuthProvider::Facebook).await?;
        Ok(FacebookLogin { state, authorize_url })
    }

    pub async fn facebook_login_status(&self, req: FacebookLoginRef) -> std::result::Result<FacebookLoginStatus, crate::services::accounts::AccountError> {
        let store = self.real_store().await?;
        let secrets = self.relay.secrets().await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
        match crate::services::relay_link::oauth_outcome(&store, secrets, &req.state).await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))? {
            crate::services::relay_link::OAuthState::Waiting => Ok(FacebookLoginStatus::Waiting),
            crate::services::relay_link::OAuthState::Failed(message) => Ok(FacebookLoginStatus::Failed { message }),
            crate::services::relay_link::OAuthState::Token(token) => {
                let pages = self.accounts().await?.page_choices(&token).await?;
                Ok(FacebookLoginStatus::Ready { pages })
            }
        }
    }

    pub async fn connect_pages(self: &Arc<Self>, req: ConnectPagesRequest) -> std::result::Result<Vec<crate::services::accounts::AccountView>, crate::services::accounts::AccountError> {
        let store = self.real_store().await?;
        let secrets = self.relay.secrets().await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
        let token = match crate::services::relay_link::oauth_outcome(&store, secrets.clone(), &req.state).await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))? {
            crate::services::relay_link::OAuthState::Token(token) => token,
            _ => return Err(crate::services::accounts::AccountError::Invalid("this login has not finished; log in to Facebook again".into())),
        };
        let connected = self.accounts().await?.connect_pages(&token, &req.page_ids, req.with_instagram).await?;
        crate::services::relay_link::forget_oauth(&store, secrets, &req.state).await.map_err(|e| crate::services::accounts::AccountError::Invalid(e.to_string()))?;
        self.start_history(connected.clone());
        Ok(connected)
    }

    pub async fn disconnect_account(&self, req: DisconnectRequest) -> std::result::Result<DisconnectResult, crate::services::accounts::AccountError> {
        let warning = self.accounts().await?.disconnect(req.account_id, req.delete_data).await?;
        Ok(DisconnectResult { warning })
    }

    /// Queues a reply; the outbox worker sends it.
    pub async fn send_text(&self, req: SendTextRequest) -> std::result::Result<OutboxRef, crate::services::outbox::OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = crate::services::outbox::enqueue_text(&store, id, req.text, req.reply_to).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    /// Queues a file (copied into the media directory first) with an optional caption.
    pub async fn send_media(&self, req: SendMediaRequest) -> std::result::Result<OutboxRefs, crate::services::outbox::OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let file = crate::services::media::import_outgoing(&self.media_config(), PathBuf::from(&req.path)).await.map_err(crate::services::outbox::OutboxError::Refused)?;
        let client_ids = crate::services::outbox::enqueue_media(&store, id, file, req.caption, req.reply_to).await?;
        self.after_enqueue();
        Ok(OutboxRefs { client_ids })
    }

    /// The approved templates of the WhatsApp number a conversation belongs to.
    pub async fn list_templates(&self, req: ConversationRef) -> std::result::Result<Vec<crate::services::outbox::Template>, crate::services::outbox::OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let account_id: Option<i64> = store
            .read(move |c| {
                use crate::domain::error::SqlContext as _;
                use rusqlite::OptionalExtension as _;
                c.query_row("SELECT account_id FROM conversations WHERE id = ?1", [id], |r| r.get(0)).optional().ctx("reading a conversation")
            })
            .await?;
        let account_id = account_id.ok_or(crate::services::outbox::OutboxError::NotFound)?;
        Ok(self.accounts().await?.templates(account_id).await?)
    }

    pub async fn send_template(&self, req: SendTemplateRequest) -> std::result::Result<OutboxRef, crate::services::outbox::OutboxError> {
        let templates = self.list_templates(ConversationRef { conversation_id: req.conversation_id.clone() }).await?;
        let template = templates
            .into_iter()
            .find(|t| t.name == req.name && t.language == req.language)
            .ok_or_else(|| crate::services::outbox::OutboxError::Refused(format!("No approved template \"{}\" ({}) on this number.", req.name, req.language)))?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = crate::services::outbox::enqueue_template(&self.sendable_store()?, id, &template, req.parameters).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    pub async fn react(&self, req: ReactRequest) -> std::result::Result<OutboxRef, crate::services::outbox::OutboxError> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = crate::services::outbox::enqueue_reaction(&self.sendable_store()?, id, req.message_id, req.emoji).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    fn sendable_store(&self) -> std::result::Result<Store, crate::services::outbox::OutboxError> {
        if self.mode() == StoreMode::Demo {
            return Err(crate::services::outbox::OutboxError::Refused("Demo conversations are not real: nothing can be sent from them.".into()));
        }
        Ok(self.store())
    }

    fn after_enqueue(&self) {
        self.wake_feed.notify_one();
        self.wake_outbox.notify_one();
    }

    pub fn media_config(&self) -> crate::services::media::MediaConfig {
        crate::services::media::MediaConfig::in_data_dir(&self.config.data_dir)
    }

    /// Fetches received media whenever something changed and every half minute (retries).
    /// Call once, inside a tokio runtime.
    pub fn start_media_worker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let mut changes = self.subscribe();
        let media_dir = self.media_config().dir;
        tokio::spawn(async move {
            if let Err(e) = tokio::task::spawn_blocking(move || crate::services::media::sweep_partial_downloads(&media_dir)).await {
                tracing::warn!(error = %e, "sweeping half-written downloads failed");
            }
            loop {
                let Some(engine) = weak.upgrade() else { return };
                if engine.mode() == StoreMode::Real {
                    match engine.fetch_media().await {
                        Ok(report) if report.downloaded + report.given_up > 0 => tracing::info!(?report, "media fetched"),
                        Ok(_) => {}
                        Err(e) => tracing::debug!(error = %e, "media fetching waits"),
                    }
                }
                drop(engine);
                tokio::select! {
                    _ = changes.recv() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
            }
        });
    }

    /// Sends what is due in the outbox now (after settling sends a crash interrupted), for
    /// `cahts-cli`, which has no worker. Returns what happened to each.
    pub async fn process_outbox(&self) -> std::result::Result<Vec<crate::services::outbox::Outcome>, crate::services::outbox::OutboxError> {
        let store = self.real_store().await?;
        crate::services::outbox::recover_after_crash(&store).await?;
        let accounts = self.accounts().await?;
        let outcomes = crate::services::outbox::process_due(&store, accounts.credentials(), &self.graph).await?;
        self.wake_feed.notify_one();
        Ok(outcomes)
    }

    /// One pass of media fetching (the worker's, and `cahts-cli media`).
    pub async fn fetch_media(&self) -> std::result::Result<crate::services::media::FetchReport, crate::services::accounts::AccountError> {
        let store = self.real_store().await?;
        let accounts = self.accounts().await?;
        let report = crate::services::media::fetch_due(&store, accounts.credentials(), &self.graph, &self.media_config()).await?;
        if report.downloaded + report.given_up + report.retrying > 0 {
            self.wake_feed.notify_one();
        }
        Ok(report)
    }

    pub async fn retry_send(&self, req: OutboxRef) -> std::result::Result<(), crate::services::outbox::OutboxError> {
        crate::services::outbox::retry(&self.real_store().await?, &req.client_id).await?;
        self.wake_feed.notify_one();
        self.wake_outbox.notify_one();
        Ok(())
    }

    pub async fn discard_send(&self, req: OutboxRef) -> std::result::Result<(), crate::services::outbox::OutboxError> {
        crate::services::outbox::discard(&self.real_store().await?, &req.client_id).await?;
        self.wake_feed.notify_one();
        Ok(())
    }

    /// Sends what the outbox holds, now and whenever woken or every few seconds (retries,
    /// echo grace periods). Settles sends a previous run left unconfirmed first. Call once,
    /// inside a tokio runtime.
    pub fn start_outbox_worker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut recovered = false;
            loop {
                let Some(engine) = weak.upgrade() else { return };
                if let Err(e) = engine.outbox_pass(&mut recovered).await {
                    tracing::warn!(error = %e, "outbox pass failed");
                }
                let wake = async { engine.wake_outbox.notified().await };
                tokio::select! {
                    _ = wake => {}
                    _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                }
            }
        });
    }

    async fn outbox_pass(&self, recovered: &mut bool) -> std::result::Result<(), crate::services::outbox::OutboxError> {
        let store = self.real_store().await?;
        if !*recovered {
            let count = crate::services::outbox::recover_after_crash(&store).await?;
            if count > 0 {
                tracing::warn!(count, "sends interrupted by the last shutdown wait for Meta's confirmation");
            }
            *recovered = true;
        }
        let pending: bool = store
            .read(|c| {
                use crate::domain::error::SqlContext as _;
                c.query_row("SELECT EXISTS (SELECT 1 FROM outbox WHERE state IN ('queued', 'retry_after_grace'))", [], |r| r.get(0))
                    .ctx("checking the outbox")
            })
            .await?;
        if !pending {
            return Ok(());
        }
        let accounts = self.accounts().await?;
        let outcomes = crate::services::outbox::process_due(&store, accounts.credentials(), &self.graph).await?;
        if !outcomes.is_empty() {
            self.wake_feed.notify_one();
        }
        if outcomes.iter().any(|o| o.state == "sent") {
            self.relay.nudge_publish();
        }
        Ok(())
    }

    /// Runs the background jobs (tokens, subscriptions, history) when due, checking every
    /// minute. Call once, inside a tokio runtime.
    pub fn start_jobs(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(engine) = weak.upgrade() else { return };
                match engine.accounts().await {
                    Ok(accounts) => match engine.real_store().await {
                        Ok(store) => {
                            if let Err(e) = crate::services::jobs::run_due(&store, &accounts, &engine.graph, false).await {
                                tracing::warn!(error = %e, "background jobs failed");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "background jobs: no store"),
                    },
                    Err(e) => tracing::debug!(error = %e, "background jobs waiting for the secret store"),
                }
                drop(engine);
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        });
    }

    /// Switches to the demo store, generating it on first use.
    pub async fn enter_demo(&self) -> Result<AppStatus> {
        if self.mode() != StoreMode::Demo {
            let path = self.config.data_dir.join(DEMO_FILE);
            let store = tokio::task::spawn_blocking(move || Store::open(&path)).await.map_err(|_| Error::StoreClosed)??;
            if store.read(read::is_empty).await? {
                let events = crate::services::demo::demo_events(now_ms());
                store
                    .write(move |tx| {
                        apply::apply_events(tx, &events)?;
                        crate::services::demo::finish_demo_store(tx)
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
            let path = self.config.store_path.clone().unwrap_or_else(|| self.config.data_dir.join(STORE_FILE));
            let store = tokio::task::spawn_blocking(move || Store::open(&path)).await.map_err(|_| Error::StoreClosed)??;
            self.switch(StoreMode::Real, store);
        }
        self.app_status().await
    }

    fn switch(&self, mode: StoreMode, store: Store) {
        *self.active.write().unwrap_or_else(|e| e.into_inner()) = Active { mode, store };
        // No receivers is fine: nobody is watching yet.
        let _ = self.changes.send(StoreChanged { conversation_ids: Vec::new(), everything: true });
        self.wake_feed.notify_one();
    }

    /// Tails the active store's change log and publishes what committed, until the
    /// engine is dropped. Call once, from inside a tokio runtime.
    pub fn start_change_feed(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut watched: Option<(PathBuf, i64)> = None;
            loop {
                let Some(engine) = weak.upgrade() else { return };
                let store = engine.store();
                let cursor = match &watched {
                    Some((path, seq)) if path == store.path() => Some(*seq),
                    _ => None,
                };
                let polled = match cursor {
                    // A store we have not watched yet: start from its head.
                    None => store.read(read::latest_change).await.map(|head| (head, Vec::new(), false)),
                    Some(seq) => store.read(move |c| read::changes_since(c, seq)).await,
                };
                match polled {
                    Ok((head, ids, everything)) => {
                        tracing::trace!(?cursor, head, changed = ids.len(), everything, "change feed polled");
                        if cursor.is_some() && (everything || !ids.is_empty()) {
                            let _ = engine.changes.send(StoreChanged {
                                conversation_ids: ids.iter().map(i64::to_string).collect(),
                                everything,
                            });
                        }
                        watched = Some((store.path().to_owned(), head));
                    }
                    Err(e) => tracing::warn!(error = %e, "reading the change log failed; retrying"),
                }
                drop(store);
                tokio::select! {
                    _ = engine.wake_feed.notified() => {}
                    _ = tokio::time::sleep(CHANGE_POLL) => {}
                }
            }
        });
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

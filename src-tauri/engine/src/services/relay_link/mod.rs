//! The desktop's link to its relay: pairing, then a websocket that delivers sealed events.
//!
//! Each frame of events is opened, parsed and applied in one store transaction that also
//! records the highest sequence number applied; only after that commit is the frame acked.
//! So a crash at any point either loses the whole frame's effects (and the relay sends it
//! again) or keeps them (and `Hello.resume_after` tells the relay to drop them): nothing is
//! lost, and duplicates are absorbed by the store's idempotent apply.
//!
//! Not secret, kept in `relay_state`: the relay's URL, device id, tenant, last applied
//! sequence number. Secret, kept in the [`SecretStore`]: the device's private key and its
//! bearer token, under names that carry this store's id so two stores never share them.

use std::sync::Arc;
use std::time::Duration;

use cahts_protocol::wire::{
    ClientMessage, ErrorCode, OAuthOutcome, OAuthProvider, OAuthResult, PairRequest, PairResponse, PayloadKind,
    SealedPayload, ServerMessage,
};
use cahts_protocol::{DeviceSecret, PROTOCOL_VERSION, b64, seal};
use futures_util::{SinkExt, StreamExt};
use rand::Rng as _;
use serde::Serialize;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use ts_rs::TS;

use crate::platform::webhook::parse_webhook;
use crate::secrets::{Secret, SecretError, SecretStore};
use crate::store::Store;
use crate::store::identity::{state_get, state_set, store_id};

mod connection;

use connection::{LinkContext, connect_once};

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(
        "this computer is not paired with a relay; pair it first ('Pair with your relay' in the window, or `cahts-cli pair`)"
    )]
    NotPaired,
    #[error("relay address '{0}' is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("this store is paired with {paired}, not {given}")]
    OtherRelay { paired: String, given: String },
    #[error("the relay refused the pairing code: {0}")]
    PairingRefused(String),
    #[error("the relay refused this device: {0}. Pair it again with a new code")]
    Unauthorized(String),
    #[error("another CAHTS on this computer is syncing with the relay as the same device; close it first")]
    Replaced,
    #[error("the relay cannot run this login: {0}")]
    LoginRefused(String),
    #[error("the login did not complete: {0}")]
    LoginFailed(String),
    #[error("no login within {0} s")]
    LoginTimedOut(u64),
    #[error("the relay speaks another protocol version: {0}")]
    Version(String),
    #[error("cannot reach the relay: {0}")]
    Network(String),
    #[error("the relay sent something unexpected: {0}")]
    Protocol(String),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] crate::domain::Error),
}

type Result<T, E = LinkError> = std::result::Result<T, E>;

/// What the window shows about the link.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum LinkStatus {
    NotPaired,
    Connecting {
        relay: String,
    },
    /// Connected; `pending` events were waiting when the connection opened.
    Syncing {
        relay: String,
        pending: u64,
    },
    Live {
        relay: String,
    },
    /// Disconnected; the next attempt is in `retryInMs`.
    #[serde(rename_all = "camelCase")]
    Offline {
        relay: String,
        error: String,
        retry_in_ms: u64,
    },
    /// Stopped until the user acts (revoked, or another copy syncing).
    NeedsAttention {
        relay: String,
        error: String,
    },
}

impl LinkStatus {
    /// One of each state, for the generated bindings' list of state names. The match
    /// below fails to compile when a state is added without being listed here.
    pub fn one_of_each() -> Vec<LinkStatus> {
        let relay = String::new;
        let all = vec![
            LinkStatus::NotPaired,
            LinkStatus::Connecting { relay: relay() },
            LinkStatus::Syncing { relay: relay(), pending: 0 },
            LinkStatus::Live { relay: relay() },
            LinkStatus::Offline { relay: relay(), error: String::new(), retry_in_ms: 0 },
            LinkStatus::NeedsAttention { relay: relay(), error: String::new() },
        ];
        for status in &all {
            match status {
                LinkStatus::NotPaired
                | LinkStatus::Connecting { .. }
                | LinkStatus::Syncing { .. }
                | LinkStatus::Live { .. }
                | LinkStatus::Offline { .. }
                | LinkStatus::NeedsAttention { .. } => {}
            }
        }
        all
    }
}

/// Where this store is paired (from `relay_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub relay_url: String,
    pub device_id: String,
    pub tenant: String,
}

fn key_name(store_id: &str) -> String {
    format!("relay-device-key/{store_id}")
}

fn token_name(store_id: &str) -> String {
    format!("relay-device-token/{store_id}")
}

fn normalize_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 10 {
        return Err(LinkError::BadUrl(url.to_string()));
    }
    Ok(url.to_string())
}

pub async fn pairing(store: &Store) -> Result<Option<Pairing>> {
    Ok(store
        .read(|c| {
            Ok(match (state_get(c, "relay.url")?, state_get(c, "relay.device_id")?, state_get(c, "relay.tenant")?) {
                (Some(relay_url), Some(device_id), Some(tenant)) => Some(Pairing { relay_url, device_id, tenant }),
                _ => None,
            })
        })
        .await?)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SecretError> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LinkError::Protocol(format!("secret store task failed: {e}")))?
        .map_err(LinkError::from)
}

/// Pairs this store with a relay using a code from `cahts-relay pair`.
pub async fn pair(
    store: &Store,
    secrets: Arc<SecretStore>,
    relay_url: &str,
    code: &str,
    device_name: &str,
) -> Result<Pairing> {
    let relay_url = normalize_url(relay_url)?;
    let device = DeviceSecret::generate(&mut rand_core::OsRng);
    let request = PairRequest {
        code: code.trim().to_string(),
        public_key: device.public_key().to_base64(),
        name: device_name.to_string(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| LinkError::Network(e.to_string()))?;
    let response = client
        .post(format!("{relay_url}/pair"))
        .json(&request)
        .send()
        .await
        .map_err(|e| LinkError::Network(e.without_url().to_string()))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| LinkError::Network(e.to_string()))?;
    if !status.is_success() {
        let message = serde_json::from_slice::<cahts_protocol::wire::HttpError>(&body)
            .map(|e| e.error.message)
            .unwrap_or_else(|_| format!("HTTP {status}"));
        return Err(LinkError::PairingRefused(message));
    }
    let paired: PairResponse =
        serde_json::from_slice(&body).map_err(|e| LinkError::Protocol(format!("pairing answer: {e}")))?;
    let id = store_id(store).await?;
    let key = Secret::new(b64::encode(*device.to_bytes()));
    let token = Secret::new(paired.device_token.clone());
    let names = (key_name(&id), token_name(&id));
    blocking(move || {
        secrets.set(&names.0, &key)?;
        secrets.set(&names.1, &token)
    })
    .await?;
    let pairing =
        Pairing { relay_url: relay_url.clone(), device_id: paired.device_id.clone(), tenant: paired.tenant.clone() };
    let saved = pairing.clone();
    store
        .write(move |tx| {
            state_set(tx, "relay.url", &saved.relay_url)?;
            state_set(tx, "relay.device_id", &saved.device_id)?;
            state_set(tx, "relay.tenant", &saved.tenant)?;
            // A new device identity starts its sequence numbers afresh.
            state_set(tx, "relay.applied_seq", "0")
        })
        .await?;
    tracing::info!(relay = %relay_url, device_id = %paired.device_id, tenant = %paired.tenant, "paired with the relay");
    Ok(pairing)
}

/// How [`run`] behaves.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Return once everything queued at connection time is applied.
    pub until_idle: bool,
    /// First reconnect delay; doubles up to `max_backoff`, with full jitter.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// With `until_idle`: give up after this many failed connection attempts in a row.
    pub max_attempts: Option<u32>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            until_idle: false,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            max_attempts: None,
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Sealed events received and applied (or skipped as unreadable).
    pub events: u64,
    pub messages_added: u64,
    pub applied_seq: u64,
    /// Events that could not be opened or parsed: logged, counted, acked.
    pub unreadable: u64,
    /// OAuth results received and kept in the secret store.
    pub oauth_results: u64,
    /// Events the relay dropped (retention limits) before this device could receive them.
    pub dropped: u64,
    pub connections: u64,
}

/// A connection ended: retry it, or stop.
enum Ended {
    Retry(String),
    Idle,
    Stop(LinkError),
}

/// Requests to a running link.
pub enum LinkCommand {
    /// Registers an OAuth `state` with the relay; answers the login dialog's URL.
    BeginOAuth { provider: OAuthProvider, reply: tokio::sync::oneshot::Sender<Result<(String, String)>> },
    /// Sent messages are waiting to be published to the owner's other computers.
    PublishPending,
}

/// Runs the link until `shutdown` resolves (or, with `until_idle`, the backlog is applied).
pub async fn run(
    store: Store,
    secrets: Arc<SecretStore>,
    options: SyncOptions,
    status: watch::Sender<LinkStatus>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<SyncReport> {
    run_with_commands(store, secrets, options, status, None, shutdown).await
}

/// [`run`], also taking [`LinkCommand`]s.
pub async fn run_with_commands(
    store: Store,
    secrets: Arc<SecretStore>,
    options: SyncOptions,
    status: watch::Sender<LinkStatus>,
    mut commands: Option<tokio::sync::mpsc::Receiver<LinkCommand>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<SyncReport> {
    let Some(pairing) = pairing(&store).await? else {
        status.send_replace(LinkStatus::NotPaired);
        return Err(LinkError::NotPaired);
    };
    let id = store_id(&store).await?;
    let names = (key_name(&id), token_name(&id));
    let reader = secrets.clone();
    let (key, token) = blocking(move || Ok((reader.get(&names.0)?, reader.get(&names.1)?))).await?;
    let (Some(key), Some(token)) = (key, token) else {
        status.send_replace(LinkStatus::NotPaired);
        return Err(LinkError::NotPaired);
    };
    let key_bytes: [u8; 32] = b64::decode(key.expose())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| LinkError::Protocol("the stored device key is damaged; pair again".into()))?;
    let device = Arc::new(DeviceSecret::from_bytes(key_bytes));
    let relay = pairing.relay_url.clone();
    let mut report = SyncReport::default();
    let mut failures: u32 = 0;
    tokio::pin!(shutdown);
    loop {
        status.send_replace(LinkStatus::Connecting { relay: relay.clone() });
        let link = LinkContext {
            store: &store,
            secrets: &secrets,
            store_id: &id,
            pairing: &pairing,
            token: &token,
            device: device.clone(),
            options: &options,
            status: &status,
        };
        let session = connect_once(&link, &mut report, &mut commands);
        let ended = tokio::select! {
            _ = &mut shutdown => return Ok(report),
            ended = session => ended,
        };
        match ended {
            Ended::Idle => return Ok(report),
            Ended::Stop(error) => {
                status.send_replace(LinkStatus::NeedsAttention { relay: relay.clone(), error: error.to_string() });
                return Err(error);
            }
            Ended::Retry(error) => {
                failures = failures.saturating_add(1);
                if options.max_attempts.is_some_and(|max| failures >= max) {
                    status.send_replace(LinkStatus::Offline {
                        relay: relay.clone(),
                        error: error.clone(),
                        retry_in_ms: 0,
                    });
                    return Err(LinkError::Network(error));
                }
                // Full jitter: many desktops reconnecting after a relay restart spread out.
                let ceiling = options.min_backoff.saturating_mul(1 << failures.min(16)).min(options.max_backoff);
                let delay = Duration::from_millis(
                    rand::rng()
                        .random_range(options.min_backoff.as_millis() as u64..=ceiling.as_millis().max(1) as u64),
                );
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "relay link down");
                status.send_replace(LinkStatus::Offline {
                    relay: relay.clone(),
                    error,
                    retry_in_ms: delay.as_millis() as u64,
                });
                tokio::select! {
                    _ = &mut shutdown => return Ok(report),
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
        if report.connections > 0 && matches!(*status.borrow(), LinkStatus::Live { .. }) {
            failures = 0;
        }
    }
}

/// Where an OAuth flow stands, from what the link received.
pub enum OAuthState {
    Waiting,
    Token(Secret<String>),
    Failed(String),
}

/// Looks up the outcome of the OAuth flow with this `state`.
pub async fn oauth_outcome(store: &Store, secrets: Arc<SecretStore>, state: &str) -> Result<OAuthState> {
    let key = format!("oauth.{state}");
    let Some(outcome) = store.read(move |c| state_get(c, &key)).await? else {
        return Ok(OAuthState::Waiting);
    };
    if let Some(message) = outcome.strip_prefix("error: ") {
        return Ok(OAuthState::Failed(message.to_string()));
    }
    let name = oauth_token_name(&store_id(store).await?, state);
    match blocking(move || secrets.get(&name)).await? {
        Some(token) => Ok(OAuthState::Token(token)),
        None => Ok(OAuthState::Failed("the login's token is missing from the secret store".into())),
    }
}

/// Deletes what an OAuth flow left (its token and its outcome).
pub async fn forget_oauth(store: &Store, secrets: Arc<SecretStore>, state: &str) -> Result<()> {
    let name = oauth_token_name(&store_id(store).await?, state);
    blocking(move || secrets.delete(&name)).await?;
    let key = format!("oauth.{state}");
    store.write(move |tx| crate::store::identity::state_delete(tx, &key)).await?;
    Ok(())
}

struct OAuthReceived {
    state: String,
    /// `facebook`, `instagram`, or `error: <message>`.
    outcome: String,
    token: Option<Secret<String>>,
}

/// The secret-store name of a user token delivered by an OAuth flow.
pub fn oauth_token_name(store_id: &str, state: &str) -> String {
    format!("oauth-token/{store_id}/{state}")
}

struct FrameContent {
    events: Vec<crate::domain::DomainEvent>,
    count: u64,
    unreadable: u64,
    /// OAuth results: the token goes to the secret store, the outcome to `relay_state`.
    oauth: Vec<OAuthReceived>,
}

/// Opens and parses a frame (CPU work, off the async runtime).
fn open_frame(device: &DeviceSecret, events: Vec<cahts_protocol::wire::QueuedEvent>, applied_seq: u64) -> FrameContent {
    let mut content = FrameContent { events: Vec::new(), count: 0, unreadable: 0, oauth: Vec::new() };
    for event in events.into_iter().filter(|e| e.seq > applied_seq) {
        content.count += 1;
        let opened = b64::decode(&event.sealed)
            .map_err(|e| format!("not base64: {e}"))
            .and_then(|bytes| seal::open(device, &bytes).map_err(|e| e.to_string()))
            .and_then(|plain| {
                serde_json::from_slice::<SealedPayload>(&plain).map_err(|e| format!("not a payload: {e}"))
            });
        let payload = match opened {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(seq = event.seq, %error, "a relayed event could not be opened; skipping it");
                content.unreadable += 1;
                continue;
            }
        };
        match payload.kind {
            PayloadKind::Webhook => match parse_webhook(payload.body.get().as_bytes()) {
                Ok(parsed) => {
                    for skipped in &parsed.skipped {
                        tracing::warn!(seq = event.seq, path = %skipped.path, reason = %skipped.reason, "skipped part of a relayed webhook");
                    }
                    content.events.extend(parsed.events);
                }
                Err(error) => {
                    tracing::error!(seq = event.seq, %error, "a relayed webhook could not be parsed; skipping it");
                    content.unreadable += 1;
                }
            },
            PayloadKind::DeviceEvents => {
                match serde_json::from_str::<Vec<crate::domain::DomainEvent>>(payload.body.get()) {
                    Ok(events) => content.events.extend(events),
                    Err(error) => {
                        tracing::error!(seq = event.seq, %error, "events from another device could not be read; skipping them");
                        content.unreadable += 1;
                    }
                }
            }
            PayloadKind::OAuthResult => match serde_json::from_str::<OAuthResult>(payload.body.get()) {
                Ok(result) => {
                    let provider = format!("{:?}", result.provider).to_lowercase();
                    match result.outcome {
                        OAuthOutcome::Token { access_token, .. } => content.oauth.push(OAuthReceived {
                            state: result.state,
                            outcome: provider,
                            token: Some(Secret::new(access_token)),
                        }),
                        OAuthOutcome::Error { message } => {
                            tracing::warn!(state = %result.state, %message, "OAuth flow failed at Meta");
                            content.oauth.push(OAuthReceived {
                                state: result.state,
                                outcome: format!("error: {message}"),
                                token: None,
                            });
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(seq = event.seq, %error, "an OAuth result could not be read; skipping it");
                    content.unreadable += 1;
                }
            },
        }
    }
    content
}

/// The link as the window's engine runs it: one background task at a time, its status
/// on a watch channel the shell forwards to the window.
pub struct RelayControl {
    status: watch::Sender<LinkStatus>,
    running: std::sync::Mutex<Option<Running>>,
    secrets: tokio::sync::OnceCell<Arc<SecretStore>>,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    commands: tokio::sync::mpsc::Sender<LinkCommand>,
    task: tokio::task::JoinHandle<()>,
}

impl Default for RelayControl {
    fn default() -> Self {
        Self {
            status: watch::channel(LinkStatus::NotPaired).0,
            running: Default::default(),
            secrets: Default::default(),
        }
    }
}

impl RelayControl {
    pub fn subscribe(&self) -> watch::Receiver<LinkStatus> {
        self.status.subscribe()
    }

    pub fn current(&self) -> LinkStatus {
        self.status.borrow().clone()
    }

    /// The secret store, chosen once from the environment (keyring or CAHTS_VAULT).
    pub async fn secrets(&self) -> Result<Arc<SecretStore>> {
        self.secrets
            .get_or_try_init(|| async { blocking(|| SecretStore::from_env().map(Arc::new)).await })
            .await
            .cloned()
    }

    /// Stops the running link, if any.
    pub fn stop(&self) {
        if let Some(running) = self.running.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // The task may have ended on its own already.
            let _unused = running.stop.send(());
        }
    }

    /// Stops the running link and waits until it has (a process about to exit).
    pub async fn stop_and_wait(&self) {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(running) = running {
            let _unused = running.stop.send(());
            if let Err(e) = running.task.await {
                tracing::warn!(error = %e, "relay link task failed");
            }
        }
    }

    /// Tells the running link (if any) that sent messages wait to be published.
    pub fn nudge_publish(&self) {
        if let Some(running) = self.running.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            // A full channel already holds a nudge; no link means the next connection publishes.
            let _unused = running.commands.try_send(LinkCommand::PublishPending);
        }
    }

    /// Starts an OAuth login through the relay: returns its `state` and the dialog URL.
    pub async fn begin_oauth(&self, provider: OAuthProvider) -> Result<(String, String)> {
        let commands = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.commands.clone())
            .ok_or(LinkError::NotPaired)?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        commands
            .send(LinkCommand::BeginOAuth { provider, reply })
            .await
            .map_err(|_| LinkError::Network("the relay link is not running".into()))?;
        tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .map_err(|_| LinkError::Network("the relay did not answer; check that it is reachable".into()))?
            .map_err(|_| LinkError::Network("the relay link stopped".into()))?
    }

    /// (Re)starts the link on `store` if it is paired.
    pub async fn start(&self, store: Store) -> Result<()> {
        self.stop();
        if pairing(&store).await?.is_none() {
            self.status.send_replace(LinkStatus::NotPaired);
            return Ok(());
        }
        let secrets = self.secrets().await?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (commands, receiver) = tokio::sync::mpsc::channel(8);
        let status = self.status.clone();
        let task = tokio::spawn(async move {
            let stopped = async move {
                // Either an explicit stop or the control being dropped.
                let _unused = stop_rx.await;
            };
            match run_with_commands(store, secrets, SyncOptions::default(), status, Some(receiver), stopped).await {
                Ok(report) => tracing::info!(events = report.events, "relay link stopped"),
                Err(e) => tracing::warn!(error = %e, "relay link stopped"),
            }
        });
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running { stop: stop_tx, commands, task });
        Ok(())
    }
}

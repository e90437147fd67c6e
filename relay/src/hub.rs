//! Connected devices and their websocket sessions.
//!
//! Each session is its own task reading its device's queue from SQLite in pages, so a slow
//! or stuck device only ever holds its own bounded window of unacked events in memory and
//! never delays anyone else. The writer's commits wake sessions through a per-device
//! `watch` (which coalesces: a burst of commits is one wake-up).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use cahts_protocol::PROTOCOL_VERSION;
use cahts_protocol::wire::{ClientMessage, ErrorCode, QueuedEvent, ServerMessage};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::store::{commands, now_ms, queries};

/// Unacked events a session may have in flight.
const WINDOW_EVENTS: usize = 2048;
/// Unacked bytes a session may have in flight.
const WINDOW_BYTES: usize = 4 * 1024 * 1024;
/// Events per frame at most.
const PAGE_EVENTS: usize = 256;
/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

struct Entry {
    connection: u64,
    head: watch::Sender<u64>,
    cancel: CancellationToken,
    replaced: Arc<std::sync::atomic::AtomicBool>,
}

/// Registry of open sessions, keyed by device id.
#[derive(Clone, Default)]
pub struct Hub {
    sessions: Arc<Mutex<HashMap<i64, Entry>>>,
    next_connection: Arc<AtomicU64>,
}

/// Unregisters the session when dropped, however the session ends.
pub struct Registration {
    hub: Hub,
    device_id: i64,
    connection: u64,
    pub head: watch::Receiver<u64>,
    pub cancel: CancellationToken,
    pub replaced: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut sessions = self.hub.sessions.lock().expect("hub poisoned");
        if sessions.get(&self.device_id).is_some_and(|e| e.connection == self.connection) {
            sessions.remove(&self.device_id);
        }
    }
}

impl Hub {
    /// Registers a session, replacing (and closing) an older one of the same device.
    pub fn register(&self, device_id: i64, head: u64, shutdown: &CancellationToken) -> Registration {
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (head_tx, head_rx) = watch::channel(head);
        let cancel = shutdown.child_token();
        let replaced = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let entry = Entry { connection, head: head_tx, cancel: cancel.clone(), replaced: replaced.clone() };
        let old = self.sessions.lock().expect("hub poisoned").insert(device_id, entry);
        if let Some(old) = old {
            old.replaced.store(true, Ordering::Relaxed);
            old.cancel.cancel();
        }
        Registration { hub: self.clone(), device_id, connection, head: head_rx, cancel, replaced }
    }

    /// Wakes the sessions of devices whose queues grew.
    pub fn advance(&self, heads: &[(i64, u64)]) {
        let sessions = self.sessions.lock().expect("hub poisoned");
        for (device_id, seq) in heads {
            if let Some(entry) = sessions.get(device_id) {
                entry.head.send_if_modified(|head| {
                    let grew = *seq > *head;
                    *head = (*head).max(*seq);
                    grew
                });
            }
        }
    }

    /// Wakes every session (after missed notifications); each re-reads its queue.
    pub fn wake_all(&self) {
        let sessions = self.sessions.lock().expect("hub poisoned");
        for entry in sessions.values() {
            entry.head.send_modify(|_| {});
        }
    }

    /// Closes a device's session (revoked).
    pub fn disconnect(&self, device_id: i64) {
        if let Some(entry) = self.sessions.lock().expect("hub poisoned").get(&device_id) {
            entry.cancel.cancel();
        }
    }

    pub fn connected(&self) -> usize {
        self.sessions.lock().expect("hub poisoned").len()
    }
}

/// Forwards the store's commit notifications to the hub until shutdown.
pub async fn pump_heads(app: AppState, shutdown: CancellationToken) {
    let mut heads = app.store.subscribe_heads();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            next = heads.recv() => match next {
                Ok(heads) => app.hub.advance(&heads),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => app.hub.wake_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

pub struct DeviceSession {
    pub device_id: i64,
    pub tenant: String,
    pub acked_seq: u64,
    pub dropped_unreported: u64,
}

#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error("device closed the connection")]
    Closed,
    #[error("socket error: {0}")]
    Socket(String),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("store error: {0}")]
    Store(#[from] crate::store::StoreError),
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(Utf8Bytes::from(serde_json::to_string(message).expect("server messages serialize")))
}

/// Runs one device's websocket until it closes, fails, is replaced or the relay stops.
#[tracing::instrument(skip_all, fields(device_id = device.device_id, tenant = %device.tenant))]
pub async fn run_session<S>(socket: S, app: AppState, device: DeviceSession)
where
    S: Sink<Message> + Stream<Item = Result<Message, axum::Error>> + Unpin,
    S::Error: std::fmt::Display,
{
    let (mut tx, mut rx) = socket.split();
    app.metrics.connected_devices.inc();
    let result = session_loop(&mut tx, &mut rx, &app, &device).await;
    app.metrics.connected_devices.dec();
    match result {
        Ok(reason) => tracing::info!(reason, "device disconnected"),
        Err(SessionEnd::Closed) => tracing::info!("device closed the connection"),
        Err(e) => {
            tracing::warn!(error = %e, "device session ended");
            if let SessionEnd::Protocol(message) = &e {
                let _unused = tx
                    .send(text(&ServerMessage::Error { code: ErrorCode::BadMessage, message: message.clone() }))
                    .await;
            }
        }
    }
    let _unused = tx.close().await;
}

async fn session_loop<Tx, Rx>(
    tx: &mut Tx,
    rx: &mut Rx,
    app: &AppState,
    device: &DeviceSession,
) -> Result<&'static str, SessionEnd>
where
    Tx: Sink<Message> + Unpin,
    Tx::Error: std::fmt::Display,
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    macro_rules! send {
        ($msg:expr) => {
            tx.send($msg).await.map_err(|e| SessionEnd::Socket(e.to_string()))?
        };
    }

    // Hello first: it says where to resume.
    let hello = tokio::time::timeout(HELLO_TIMEOUT, next_client_message(rx))
        .await
        .map_err(|_| SessionEnd::Protocol("no hello within 10 s".into()))??;
    let resume_after = match hello {
        ClientMessage::Hello { version, resume_after } if version == PROTOCOL_VERSION => resume_after,
        ClientMessage::Hello { version, .. } => {
            send!(text(&ServerMessage::Error {
                code: ErrorCode::UnsupportedVersion,
                message: format!(
                    "this relay speaks protocol {PROTOCOL_VERSION}, the device {version}; update the older one"
                ),
            }));
            return Ok("unsupported version");
        }
        other => return Err(SessionEnd::Protocol(format!("expected hello, got {other:?}"))),
    };
    let device_id = device.device_id;
    // Events the device already applied (its ack was lost) are deleted now.
    let mut acked = device.acked_seq;
    if resume_after > acked {
        app.store.write(move |_, tx| commands::ack(tx, device_id, resume_after)).await?;
        acked = resume_after;
    }
    let (backlog, head) = app.store.read(move |c| queries::backlog(c, device_id, acked)).await?;
    let mut registration = app.hub.register(device_id, head, &app.shutdown);
    send!(text(&ServerMessage::Welcome {
        version: PROTOCOL_VERSION,
        device_id: device_id.to_string(),
        tenant: device.tenant.clone(),
        backlog,
    }));
    tracing::info!(backlog, resume_after = acked, "device connected");
    if device.dropped_unreported > 0 {
        send!(text(&ServerMessage::Gap { dropped: device.dropped_unreported, reason: "retention".into() }));
        app.store.write(move |_, tx| commands::clear_dropped(tx, device_id)).await?;
    }

    let heartbeat = app.config.heartbeat();
    let mut ping = tokio::time::interval(heartbeat);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_pong = Instant::now();
    let mut sent_upto = acked;
    // (seq, received_at_ms, bytes) of events sent and not yet acked.
    let mut in_flight: VecDeque<(u64, i64, usize)> = VecDeque::new();
    let mut in_flight_bytes = 0usize;
    let mut caught_up_sent = false;

    loop {
        // Send what fits in the window.
        let head = *registration.head.borrow_and_update();
        while sent_upto < head && in_flight.len() < WINDOW_EVENTS && in_flight_bytes < WINDOW_BYTES {
            let after = sent_upto;
            let room = (WINDOW_EVENTS - in_flight.len()).min(PAGE_EVENTS);
            let budget = (WINDOW_BYTES - in_flight_bytes).max(1);
            let page = app.store.read(move |c| queries::pending(c, device_id, after, room, budget)).await?;
            let Some(last) = page.last() else {
                // Acked or dropped meanwhile: nothing left below head.
                sent_upto = head;
                break;
            };
            sent_upto = last.0;
            let mut events = Vec::with_capacity(page.len());
            for (seq, received_at, sealed) in page {
                in_flight.push_back((seq, received_at, sealed.len()));
                in_flight_bytes += sealed.len();
                events.push(QueuedEvent { seq, sealed: cahts_protocol::b64::encode(&sealed) });
            }
            send!(text(&ServerMessage::Events { events }));
        }
        if !caught_up_sent && sent_upto >= head {
            send!(text(&ServerMessage::CaughtUp { seq: head }));
            caught_up_sent = true;
        }

        tokio::select! {
            _ = registration.cancel.cancelled() => {
                let (code, message, reason) = if registration.replaced.load(Ordering::Relaxed) {
                    (ErrorCode::Replaced, "this device connected again; closing the older connection", "replaced")
                } else if app.shutdown.is_cancelled() {
                    (ErrorCode::ShuttingDown, "the relay is restarting; reconnect shortly", "relay shutting down")
                } else {
                    (ErrorCode::Unauthorized, "this device was revoked; pair it again", "revoked")
                };
                send!(text(&ServerMessage::Error { code, message: message.into() }));
                send!(Message::Close(Some(CloseFrame { code: 1001, reason: Utf8Bytes::from_static("bye") })));
                return Ok(reason);
            }
            changed = registration.head.changed() => {
                if changed.is_err() {
                    return Ok("hub closed");
                }
            }
            _ = ping.tick() => {
                if last_pong.elapsed() > heartbeat * 2 {
                    return Ok("heartbeat timeout");
                }
                if !app.store.read(move |c| queries::device_is_active(c, device_id)).await? {
                    send!(text(&ServerMessage::Error { code: ErrorCode::Unauthorized, message: "this device was revoked; pair it again".into() }));
                    return Ok("revoked");
                }
                send!(Message::Ping(Default::default()));
            }
            incoming = rx.next() => {
                let message = match incoming {
                    None => return Err(SessionEnd::Closed),
                    Some(Err(e)) => return Err(SessionEnd::Socket(e.to_string())),
                    Some(Ok(message)) => message,
                };
                last_pong = Instant::now();
                let client = match message {
                    Message::Text(text) => serde_json::from_str::<ClientMessage>(text.as_str())
                        .map_err(|e| SessionEnd::Protocol(format!("unreadable message: {e}")))?,
                    Message::Close(_) => return Err(SessionEnd::Closed),
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => return Err(SessionEnd::Protocol("binary frames are not part of the protocol".into())),
                };
                match client {
                    ClientMessage::Ack { seq } => {
                        if seq > sent_upto {
                            return Err(SessionEnd::Protocol(format!("ack {seq} is beyond the last event sent ({sent_upto})")));
                        }
                        if seq <= acked {
                            continue;
                        }
                        app.store.write(move |_, tx| commands::ack(tx, device_id, seq)).await?;
                        acked = seq;
                        let now = now_ms();
                        while in_flight.front().is_some_and(|(s, _, _)| *s <= seq) {
                            let (_, received_at, bytes) = in_flight.pop_front().expect("checked non-empty");
                            in_flight_bytes -= bytes;
                            app.metrics.delivered((now - received_at) as f64 / 1000.0);
                        }
                    }
                    ClientMessage::OAuthBegin { state, provider } => {
                        let reply = match app.oauth.begin(&app.config, device_id, state.clone(), provider) {
                            Ok(authorize_url) => ServerMessage::OAuthReady { state, authorize_url },
                            Err(message) => ServerMessage::OAuthRefused { state, message },
                        };
                        send!(text(&reply));
                    }
                    ClientMessage::Publish { id, events } => {
                        // The relay cannot read what it forwards to devices either way; it
                        // only checks this is JSON before sealing it.
                        let Ok(body) = serde_json::value::RawValue::from_string(events) else {
                            return Err(SessionEnd::Protocol("publish: events are not JSON".into()));
                        };
                        let payload = cahts_protocol::wire::SealedPayload {
                            kind: cahts_protocol::wire::PayloadKind::DeviceEvents,
                            received_at_ms: now_ms(),
                            body,
                        };
                        let plaintext = serde_json::to_vec(&payload).expect("payload serializes");
                        let tenant = device.tenant.clone();
                        let queued = app.store.write(move |state, tx| state.queue_for_others(tx, &tenant, device_id, &plaintext)).await?;
                        tracing::debug!(queued, "device events published");
                        send!(text(&ServerMessage::Published { id }));
                    }
                    ClientMessage::Hello { .. } => return Err(SessionEnd::Protocol("hello sent twice".into())),
                }
            }
        }
    }
}

async fn next_client_message<Rx>(rx: &mut Rx) -> Result<ClientMessage, SessionEnd>
where
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    loop {
        match rx.next().await {
            None => return Err(SessionEnd::Closed),
            Some(Err(e)) => return Err(SessionEnd::Socket(e.to_string())),
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map_err(|e| SessionEnd::Protocol(format!("unreadable message: {e}")));
            }
            Some(Ok(Message::Close(_))) => return Err(SessionEnd::Closed),
            Some(Ok(_)) => continue,
        }
    }
}

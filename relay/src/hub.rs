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
use cahts_protocol::wire::{ClientMessage, ErrorCode, OAuthProvider, QueuedEvent, ServerMessage};
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

/// One session in its three steps: hello, welcome, then the event stream until it ends.
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
    let Some(resume_after) = await_hello(tx, rx).await? else {
        return Ok("unsupported version");
    };
    let (registration, acked) = welcome(tx, app, device, resume_after).await?;
    Session::new(tx, app, device, registration, acked).run(rx).await
}

/// Writes one frame; a failed write ends the session as a socket error.
async fn send<Tx>(tx: &mut Tx, message: Message) -> Result<(), SessionEnd>
where
    Tx: Sink<Message> + Unpin,
    Tx::Error: std::fmt::Display,
{
    tx.send(message).await.map_err(|e| SessionEnd::Socket(e.to_string()))
}

/// Hello first: it says where to resume. `None` when the device speaks another protocol
/// version (it has been told so).
async fn await_hello<Tx, Rx>(tx: &mut Tx, rx: &mut Rx) -> Result<Option<u64>, SessionEnd>
where
    Tx: Sink<Message> + Unpin,
    Tx::Error: std::fmt::Display,
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let hello = tokio::time::timeout(HELLO_TIMEOUT, next_client_message(rx))
        .await
        .map_err(|_| SessionEnd::Protocol("no hello within 10 s".into()))??;
    match hello {
        ClientMessage::Hello { version, resume_after } if version == PROTOCOL_VERSION => Ok(Some(resume_after)),
        ClientMessage::Hello { version, .. } => {
            let message =
                format!("this relay speaks protocol {PROTOCOL_VERSION}, the device {version}; update the older one");
            send(tx, text(&ServerMessage::Error { code: ErrorCode::UnsupportedVersion, message })).await?;
            Ok(None)
        }
        other => Err(SessionEnd::Protocol(format!("expected hello, got {other:?}"))),
    }
}

/// Settles the resume point, registers the session and welcomes the device, reporting
/// events retention dropped while it was away. Returns the registration and the acked seq.
async fn welcome<Tx>(
    tx: &mut Tx,
    app: &AppState,
    device: &DeviceSession,
    resume_after: u64,
) -> Result<(Registration, u64), SessionEnd>
where
    Tx: Sink<Message> + Unpin,
    Tx::Error: std::fmt::Display,
{
    let device_id = device.device_id;
    // Events the device already applied (its ack was lost) are deleted now.
    let mut acked = device.acked_seq;
    if resume_after > acked {
        app.store.write(move |_, tx| commands::ack(tx, device_id, resume_after)).await?;
        acked = resume_after;
    }
    let (backlog, head) = app.store.read(move |c| queries::backlog(c, device_id, acked)).await?;
    let registration = app.hub.register(device_id, head, &app.shutdown);
    let welcome = ServerMessage::Welcome {
        version: PROTOCOL_VERSION,
        device_id: device_id.to_string(),
        tenant: device.tenant.clone(),
        backlog,
    };
    send(tx, text(&welcome)).await?;
    tracing::info!(backlog, resume_after = acked, "device connected");
    if device.dropped_unreported > 0 {
        send(tx, text(&ServerMessage::Gap { dropped: device.dropped_unreported, reason: "retention".into() })).await?;
        app.store.write(move |_, tx| commands::clear_dropped(tx, device_id)).await?;
    }
    Ok((registration, acked))
}

/// Events sent to the device and not yet acked, bounded by [`WINDOW_EVENTS`] and
/// [`WINDOW_BYTES`].
struct Window {
    acked: u64,
    sent_upto: u64,
    // (seq, received_at_ms, bytes) of events sent and not yet acked.
    in_flight: VecDeque<(u64, i64, usize)>,
    in_flight_bytes: usize,
}

impl Window {
    fn has_room_below(&self, head: u64) -> bool {
        self.sent_upto < head && self.in_flight.len() < WINDOW_EVENTS && self.in_flight_bytes < WINDOW_BYTES
    }

    fn track(&mut self, seq: u64, received_at: i64, sealed: &[u8]) -> QueuedEvent {
        self.in_flight.push_back((seq, received_at, sealed.len()));
        self.in_flight_bytes += sealed.len();
        QueuedEvent { seq, sealed: cahts_protocol::b64::encode(sealed) }
    }

    /// Frees the window up to `seq`, timing each event from webhook to ack.
    fn release(&mut self, seq: u64, metrics: &crate::metrics::Metrics) {
        self.acked = seq;
        let now = now_ms();
        while let Some(&(sent, received_at, bytes)) = self.in_flight.front() {
            if sent > seq {
                break;
            }
            self.in_flight.pop_front();
            self.in_flight_bytes -= bytes;
            metrics.delivered((now - received_at) as f64 / 1000.0);
        }
    }
}

/// A welcomed device: streams its queue through the [`Window`] and answers its messages.
struct Session<'a, Tx> {
    tx: &'a mut Tx,
    app: &'a AppState,
    device: &'a DeviceSession,
    registration: Registration,
    window: Window,
    caught_up_sent: bool,
    heartbeat: Duration,
    ping: tokio::time::Interval,
    last_pong: Instant,
}

impl<'a, Tx> Session<'a, Tx>
where
    Tx: Sink<Message> + Unpin,
    Tx::Error: std::fmt::Display,
{
    fn new(
        tx: &'a mut Tx,
        app: &'a AppState,
        device: &'a DeviceSession,
        registration: Registration,
        acked: u64,
    ) -> Self {
        let heartbeat = app.config.heartbeat();
        let mut ping = tokio::time::interval(heartbeat);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let window = Window { acked, sent_upto: acked, in_flight: VecDeque::new(), in_flight_bytes: 0 };
        Session {
            tx,
            app,
            device,
            registration,
            window,
            caught_up_sent: false,
            heartbeat,
            ping,
            last_pong: Instant::now(),
        }
    }

    async fn send(&mut self, message: Message) -> Result<(), SessionEnd> {
        send(self.tx, message).await
    }

    async fn run<Rx>(&mut self, rx: &mut Rx) -> Result<&'static str, SessionEnd>
    where
        Rx: Stream<Item = Result<Message, axum::Error>> + Unpin,
    {
        // An interval's first tick is immediate; the first ping is due one heartbeat on.
        self.ping.tick().await;
        loop {
            self.send_window().await?;
            tokio::select! {
                _ = self.registration.cancel.cancelled() => return self.close_cancelled().await,
                changed = self.registration.head.changed() => {
                    if changed.is_err() {
                        return Ok("hub closed");
                    }
                }
                _ = self.ping.tick() => {
                    if let Some(reason) = self.heartbeat_tick().await? {
                        return Ok(reason);
                    }
                }
                incoming = rx.next() => self.receive(incoming).await?,
            }
        }
    }

    /// Send what fits in the window, then `CaughtUp` the first time the device has all.
    async fn send_window(&mut self) -> Result<(), SessionEnd> {
        let head = *self.registration.head.borrow_and_update();
        while self.window.has_room_below(head) {
            self.send_page(head).await?;
        }
        if !self.caught_up_sent && self.window.sent_upto >= head {
            self.send(text(&ServerMessage::CaughtUp { seq: head })).await?;
            self.caught_up_sent = true;
        }
        Ok(())
    }

    /// One `Events` frame of at most [`PAGE_EVENTS`] and the window's free bytes.
    async fn send_page(&mut self, head: u64) -> Result<(), SessionEnd> {
        let device_id = self.device.device_id;
        let after = self.window.sent_upto;
        let room = (WINDOW_EVENTS - self.window.in_flight.len()).min(PAGE_EVENTS);
        let budget = (WINDOW_BYTES - self.window.in_flight_bytes).max(1);
        let page = self.app.store.read(move |c| queries::pending(c, device_id, after, room, budget)).await?;
        let Some(last) = page.last() else {
            // Acked or dropped meanwhile: nothing left below head.
            self.window.sent_upto = head;
            return Ok(());
        };
        self.window.sent_upto = last.0;
        let events =
            page.into_iter().map(|(seq, received_at, sealed)| self.window.track(seq, received_at, &sealed)).collect();
        self.send(text(&ServerMessage::Events { events })).await
    }

    /// Says why the session is being closed: replaced, the relay stopping, or revoked.
    async fn close_cancelled(&mut self) -> Result<&'static str, SessionEnd> {
        let (code, message, reason) = if self.registration.replaced.load(Ordering::Relaxed) {
            (ErrorCode::Replaced, "this device connected again; closing the older connection", "replaced")
        } else if self.app.shutdown.is_cancelled() {
            (ErrorCode::ShuttingDown, "the relay is restarting; reconnect shortly", "relay shutting down")
        } else {
            (ErrorCode::Unauthorized, "this device was revoked; pair it again", "revoked")
        };
        self.send(text(&ServerMessage::Error { code, message: message.into() })).await?;
        self.send(Message::Close(Some(CloseFrame { code: 1001, reason: Utf8Bytes::from_static("bye") }))).await?;
        Ok(reason)
    }

    /// Gives up on a silent device and closes a revoked one, else pings. `cahts-relay devices
    /// revoke` runs in another process, so its revocations are found here, not by a wake-up.
    async fn heartbeat_tick(&mut self) -> Result<Option<&'static str>, SessionEnd> {
        if self.last_pong.elapsed() > self.heartbeat * 2 {
            return Ok(Some("heartbeat timeout"));
        }
        let device_id = self.device.device_id;
        if !self.app.store.read(move |c| queries::device_is_active(c, device_id)).await? {
            let message = "this device was revoked; pair it again".into();
            self.send(text(&ServerMessage::Error { code: ErrorCode::Unauthorized, message })).await?;
            return Ok(Some("revoked"));
        }
        self.send(Message::Ping(Default::default())).await?;
        Ok(None)
    }

    /// Any frame shows the device is alive; text frames carry its messages.
    async fn receive(&mut self, incoming: Option<Result<Message, axum::Error>>) -> Result<(), SessionEnd> {
        let message = match incoming {
            None => return Err(SessionEnd::Closed),
            Some(Err(e)) => return Err(SessionEnd::Socket(e.to_string())),
            Some(Ok(message)) => message,
        };
        self.last_pong = Instant::now();
        let client = match message {
            Message::Text(text) => serde_json::from_str::<ClientMessage>(text.as_str())
                .map_err(|e| SessionEnd::Protocol(format!("unreadable message: {e}")))?,
            Message::Close(_) => return Err(SessionEnd::Closed),
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
            Message::Binary(_) => {
                return Err(SessionEnd::Protocol("binary frames are not part of the protocol".into()));
            }
        };
        match client {
            ClientMessage::Ack { seq } => self.ack(seq).await,
            ClientMessage::OAuthBegin { state, provider } => self.oauth_begin(state, provider).await,
            ClientMessage::Publish { id, events } => self.publish(id, events).await,
            ClientMessage::Hello { .. } => Err(SessionEnd::Protocol("hello sent twice".into())),
        }
    }

    /// Deletes the acked events from the queue and frees their room in the window.
    async fn ack(&mut self, seq: u64) -> Result<(), SessionEnd> {
        let sent_upto = self.window.sent_upto;
        if seq > sent_upto {
            return Err(SessionEnd::Protocol(format!("ack {seq} is beyond the last event sent ({sent_upto})")));
        }
        if seq <= self.window.acked {
            return Ok(());
        }
        let device_id = self.device.device_id;
        self.app.store.write(move |_, tx| commands::ack(tx, device_id, seq)).await?;
        self.window.release(seq, &self.app.metrics);
        Ok(())
    }

    async fn oauth_begin(&mut self, state: String, provider: OAuthProvider) -> Result<(), SessionEnd> {
        let reply = match self.app.oauth.begin(&self.app.config, self.device.device_id, state.clone(), provider) {
            Ok(authorize_url) => ServerMessage::OAuthReady { state, authorize_url },
            Err(message) => ServerMessage::OAuthRefused { state, message },
        };
        self.send(text(&reply)).await
    }

    /// Seals the device's events for the tenant's other devices.
    async fn publish(&mut self, id: String, events: String) -> Result<(), SessionEnd> {
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
        let plaintext = serde_json::to_vec(&payload)
            .map_err(|e| SessionEnd::Protocol(format!("publish: the payload could not be encoded: {e}")))?;
        let (tenant, device_id) = (self.device.tenant.clone(), self.device.device_id);
        let queued =
            self.app.store.write(move |state, tx| state.queue_for_others(tx, &tenant, device_id, &plaintext)).await?;
        tracing::debug!(queued, "device events published");
        self.send(text(&ServerMessage::Published { id })).await
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

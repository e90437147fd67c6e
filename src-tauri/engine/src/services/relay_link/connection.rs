//! One websocket connection to the relay, from the handshake to how it ended: hello with
//! the last applied sequence number, then frames of sealed events applied and acked,
//! publications of sent messages, and the OAuth logins run through the relay.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{SplitSink, SplitStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::*;

/// Silence longer than this means the connection is dead (the relay pings every 30 s).
const READ_TIMEOUT: Duration = Duration::from_secs(75);

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
type Outgoing = SplitSink<Socket, Message>;
type Incoming = SplitStream<Socket>;
/// A step of a connection: done, or the connection ends this way.
type Step<T = ()> = std::result::Result<T, Ended>;

/// What every connection of one link run shares.
pub(super) struct LinkContext<'a> {
    pub store: &'a Store,
    pub secrets: &'a Arc<SecretStore>,
    pub store_id: &'a str,
    pub pairing: &'a Pairing,
    pub token: &'a Secret<String>,
    pub device: Arc<DeviceSecret>,
    pub options: &'a SyncOptions,
    pub status: &'a watch::Sender<LinkStatus>,
}

fn ws_url(relay: &str) -> String {
    if let Some(rest) = relay.strip_prefix("https://") {
        format!("wss://{rest}/ws")
    } else {
        format!("ws://{}/ws", relay.trim_start_matches("http://"))
    }
}

/// Connects once and runs the connection until it ends.
pub(super) async fn connect_once(
    link: &LinkContext<'_>,
    report: &mut SyncReport,
    commands: &mut Option<mpsc::Receiver<LinkCommand>>,
) -> Ended {
    let socket = match open_socket(link.pairing, link.token).await {
        Ok(socket) => socket,
        Err(ended) => return ended,
    };
    report.connections += 1;
    let (tx, mut rx) = socket.split();
    let mut session = Session {
        link,
        report,
        tx,
        applied_seq: 0,
        logins: HashMap::new(),
        publishing: HashSet::new(),
        caught_up: None,
    };
    match session.run(&mut rx, commands).await {
        Ok(()) => {
            close_gracefully(&mut session.tx, &mut rx).await;
            Ended::Idle
        }
        Err(ended) => ended,
    }
}

/// The websocket handshake, with the device's bearer token. A 401 means the relay no
/// longer knows this device: pairing again is the only way on.
async fn open_socket(pairing: &Pairing, token: &Secret<String>) -> Step<Socket> {
    let relay = &pairing.relay_url;
    let mut request =
        ws_url(relay).into_client_request().map_err(|e| Ended::Stop(LinkError::BadUrl(format!("{relay}: {e}"))))?;
    let bearer = format!("Bearer {}", token.expose())
        .parse()
        .map_err(|_| Ended::Stop(LinkError::Protocol("the stored device token is damaged; pair again".into())))?;
    request.headers_mut().insert("authorization", bearer);
    match tokio::time::timeout(Duration::from_secs(20), tokio_tungstenite::connect_async(request)).await {
        Err(_) => Err(Ended::Retry("connection timed out".into())),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) if response.status() == 401 => {
            let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().to_string();
            let message = serde_json::from_str::<cahts_protocol::wire::HttpError>(&body)
                .map(|e| e.error.message)
                .unwrap_or_else(|_| "unknown or revoked device".into());
            Err(Ended::Stop(LinkError::Unauthorized(message)))
        }
        Ok(Err(e)) => Err(Ended::Retry(e.to_string())),
        Ok(Ok((socket, _))) => Ok(socket),
    }
}

struct Session<'a, 'r> {
    link: &'a LinkContext<'a>,
    report: &'r mut SyncReport,
    tx: Outgoing,
    applied_seq: u64,
    /// Logins begun on this connection, waiting for the relay's dialog address.
    logins: HashMap<String, oneshot::Sender<Result<(String, String)>>>,
    /// Publications sent and not yet confirmed by the relay.
    publishing: HashSet<String>,
    caught_up: Option<u64>,
}

impl Session<'_, '_> {
    /// Hello, then messages and commands until the connection ends; `Ok` when, with
    /// `until_idle`, everything is applied and published.
    async fn run(&mut self, rx: &mut Incoming, commands: &mut Option<mpsc::Receiver<LinkCommand>>) -> Step {
        self.hello().await?;
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(READ_TIMEOUT, rx.next()) => next,
                command = next_command(commands) => {
                    self.on_command(command).await?;
                    continue;
                }
            };
            let frame = match next {
                Err(_) => return Err(Ended::Retry("the relay went silent".into())),
                Ok(None) => return Err(Ended::Retry("the relay closed the connection".into())),
                Ok(Some(Err(e))) => return Err(Ended::Retry(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(_) => return Err(Ended::Retry("the relay closed the connection".into())),
                _ => continue,
            };
            let message: ServerMessage = serde_json::from_str(text.as_str())
                .map_err(|e| Ended::Retry(format!("unreadable message from the relay: {e}")))?;
            if self.on_message(message).await? {
                return Ok(());
            }
        }
    }

    async fn send(&mut self, message: &ClientMessage) -> Step {
        let text = serde_json::to_string(message).expect("client messages serialize");
        self.tx.send(Message::text(text)).await.map_err(|e| Ended::Retry(e.to_string()))
    }

    /// Tells the relay which sequence number this store applied last.
    async fn hello(&mut self) -> Step {
        let applied =
            self.link.store.read(|c| state_get(c, "relay.applied_seq")).await.map_err(|e| Ended::Stop(e.into()))?;
        self.applied_seq = applied.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        self.send(&ClientMessage::Hello { version: PROTOCOL_VERSION, resume_after: self.applied_seq }).await
    }

    async fn on_command(&mut self, command: LinkCommand) -> Step {
        match command {
            LinkCommand::BeginOAuth { provider, reply } => {
                let state = b64::encode(rand::rng().random::<[u8; 18]>());
                if let Err(ended) = self.send(&ClientMessage::OAuthBegin { state: state.clone(), provider }).await {
                    let _unused = reply.send(Err(LinkError::Network("the relay connection dropped".into())));
                    return Err(ended);
                }
                self.logins.insert(state, reply);
                Ok(())
            }
            LinkCommand::PublishPending => publish_pending(self.link.store, &mut self.tx, &mut self.publishing).await,
        }
    }

    /// Handles one message from the relay; `true` when the link is idle and may close.
    async fn on_message(&mut self, message: ServerMessage) -> Step<bool> {
        let relay = self.link.pairing.relay_url.clone();
        match message {
            ServerMessage::Welcome { backlog, .. } => {
                self.link.status.send_replace(LinkStatus::Syncing { relay, pending: backlog });
                publish_pending(self.link.store, &mut self.tx, &mut self.publishing).await?;
            }
            ServerMessage::Published { id } => {
                self.publishing.remove(&id);
                crate::store::publications::mark_published(self.link.store, &id)
                    .await
                    .map_err(|e| Ended::Stop(LinkError::Protocol(format!("recording a publication: {e}"))))?;
                return Ok(self.idle());
            }
            ServerMessage::Events { events } => {
                let Some(last) = events.last().map(|e| e.seq) else { return Ok(false) };
                // At or below what is applied: a resend after a lost ack, only acked again.
                if last > self.applied_seq {
                    self.apply(events, last).await?;
                }
                self.send(&ClientMessage::Ack { seq: last }).await?;
            }
            ServerMessage::CaughtUp { seq } => {
                self.link.status.send_replace(LinkStatus::Live { relay });
                self.caught_up = Some(seq);
                return Ok(self.idle());
            }
            ServerMessage::Gap { dropped, reason } => self.record_gap(dropped, &reason).await?,
            ServerMessage::OAuthReady { state, authorize_url } => {
                if let Some(reply) = self.logins.remove(&state) {
                    // The asker may have given up; nothing to undo.
                    let _unused = reply.send(Ok((state, authorize_url)));
                }
            }
            ServerMessage::OAuthRefused { state, message } => {
                if let Some(reply) = self.logins.remove(&state) {
                    let _unused = reply.send(Err(LinkError::LoginRefused(message)));
                }
            }
            ServerMessage::Error { code, message } => {
                return Err(match code {
                    ErrorCode::Unauthorized => Ended::Stop(LinkError::Unauthorized(message)),
                    ErrorCode::Replaced => Ended::Stop(LinkError::Replaced),
                    ErrorCode::UnsupportedVersion => Ended::Stop(LinkError::Version(message)),
                    ErrorCode::ShuttingDown | ErrorCode::BadMessage => Ended::Retry(message),
                });
            }
        }
        Ok(false)
    }

    /// With `until_idle`: the backlog is applied and every publication confirmed.
    fn idle(&self) -> bool {
        self.link.options.until_idle
            && self.publishing.is_empty()
            && self.caught_up.is_some_and(|seq| self.applied_seq >= seq)
    }

    /// Opens a frame and applies it in one transaction with its sequence number; OAuth
    /// tokens it carries reach the secret store first. Only then may the frame be acked.
    async fn apply(&mut self, events: Vec<cahts_protocol::wire::QueuedEvent>, last: u64) -> Step {
        let device = self.link.device.clone();
        let applied_seq = self.applied_seq;
        let frame = tokio::task::spawn_blocking(move || open_frame(&device, events, applied_seq))
            .await
            .map_err(|e| Ended::Stop(LinkError::Protocol(format!("opening events failed: {e}"))))?;
        let FrameContent { events: domain_events, count, unreadable, mut oauth } = frame;
        let oauth_count = oauth.len() as u64;
        let tokens: Vec<(String, Secret<String>)> = oauth
            .iter_mut()
            .filter_map(|o| o.token.take().map(|t| (oauth_token_name(self.link.store_id, &o.state), t)))
            .collect();
        if !tokens.is_empty() {
            let secrets = self.link.secrets.clone();
            blocking(move || tokens.iter().try_for_each(|(name, token)| secrets.set(name, token)))
                .await
                .map_err(Ended::Stop)?;
        }
        let now = self.link.store.now_ms();
        let applied = self
            .link
            .store
            .write(move |tx| {
                let report = crate::store::apply::apply_events(tx, &domain_events, now)?;
                // Echoes of messages this computer sent settle their outbox rows.
                crate::store::outbox::reconcile(tx, now)?;
                for received in &oauth {
                    state_set(tx, &format!("oauth.{}", received.state), &received.outcome)?;
                }
                state_set(tx, "relay.applied_seq", &last.to_string())?;
                Ok(report)
            })
            .await
            .map_err(|e| Ended::Stop(e.into()))?;
        self.report.events += count;
        self.report.unreadable += unreadable;
        self.report.oauth_results += oauth_count;
        self.report.messages_added += applied.messages_added as u64;
        self.applied_seq = last;
        self.report.applied_seq = last;
        Ok(())
    }

    /// The relay dropped events (retention limits): counted and kept for the re-sync that
    /// fetches what the platforms still have.
    async fn record_gap(&mut self, dropped: u64, reason: &str) -> Step {
        tracing::warn!(dropped, %reason, "the relay dropped events before this device could receive them");
        self.report.dropped += dropped;
        self.link
            .store
            .write(move |tx| {
                let before = state_get(tx, "relay.dropped_total")?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                state_set(tx, "relay.dropped_total", &(before + dropped).to_string())
            })
            .await
            .map_err(|e| Ended::Stop(e.into()))
    }
}

/// Publishes sent messages the relay has not confirmed yet (skipping those in flight).
async fn publish_pending(store: &Store, tx: &mut Outgoing, publishing: &mut HashSet<String>) -> Step {
    let pending = crate::store::publications::pending_publications(store)
        .await
        .map_err(|e| Ended::Stop(LinkError::Protocol(format!("reading the outbox: {e}"))))?;
    for (id, events) in pending {
        if publishing.contains(&id) {
            continue;
        }
        let message = serde_json::to_string(&ClientMessage::Publish { id: id.clone(), events }).expect("serializes");
        tx.send(Message::text(message)).await.map_err(|e| Ended::Retry(e.to_string()))?;
        publishing.insert(id);
    }
    Ok(())
}

/// The next command, or never when there is no channel (or it closed).
async fn next_command(commands: &mut Option<mpsc::Receiver<LinkCommand>>) -> LinkCommand {
    if let Some(rx) = commands {
        if let Some(command) = rx.recv().await {
            return command;
        }
        *commands = None;
    }
    std::future::pending().await
}

/// Ends a connection with the closing handshake: the relay answers a Close only after
/// handling what came before it (the last acks), so nothing applied here is queued there
/// again. Bounded: a relay that never answers is left after five seconds.
async fn close_gracefully(tx: &mut Outgoing, rx: &mut Incoming) {
    if tx.send(Message::Close(None)).await.is_err() {
        return;
    }
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = rx.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    if answered.is_err() {
        tracing::debug!("the relay did not answer the close within 5 s");
    }
}

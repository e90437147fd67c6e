//! The HTTP server and the router. One axum fallback answers for every Meta host the
//! desktop and the relay call (`graph.facebook.com`, `graph.instagram.com`,
//! `api.instagram.com`, the `www.facebook.com` dialogs, the WhatsApp lookaside host and the
//! `scontent` CDN): it applies the faults, then routes by path, first the fixed OAuth and
//! media paths (§4, WAM), then Graph's `/{id}` and `/{id}/{edge}` by what the id names (§3;
//! the optional version segment per §3.5), and adds the headers every Graph answer carries
//! (`x-fb-trace-id`, `x-fb-request-id`, `facebook-api-version`, GERR, §3.5).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::request::{Cx, R, Reply, Req};
use super::seed::ALNUM;
use super::{
    DEFAULT_SEED, Fault, Faults, RECEIVED_MEDIA_TTL_MS, RequestRecord, Shared, Sim, TokenInfo, TokenKind,
    UPLOADED_MEDIA_TTL_MS, World, lock,
};

/// The running simulator. Dropping it stops the server.
pub struct MetaSim {
    base_url: String,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MetaSim {
    /// Binds 127.0.0.1:0 and serves; the World starts empty (an app, nothing else).
    pub async fn start() -> anyhow::Result<MetaSim> {
        MetaSim::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), DEFAULT_SEED).await
    }

    /// Binds `addr` and serves, ids drawn from `seed`.
    pub async fn start_on(addr: SocketAddr, seed: u64) -> anyhow::Result<MetaSim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base_url = format!("http://{local}");
        let shared: Shared = Arc::new(Mutex::new(Sim::new(base_url.clone(), seed)));
        let app = Router::new().fallback(handle).with_state(shared.clone()).layer(DefaultBodyLimit::max(128 << 20));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                eprintln!("meta-sim: server stopped: {e}");
            }
        });
        Ok(MetaSim { base_url, shared, shutdown: Some(tx), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`: Graph paths are `{base}/{version}/…`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn world(&self) -> World {
        World { shared: self.shared.clone() }
    }

    pub fn faults(&self) -> Faults {
        Faults { shared: self.shared.clone() }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MetaSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The payload of the unwind that closes a connection without an answer.
pub(super) struct DroppedConnection;

/// Closes the connection: the handler future unwinds inside hyper's connection task, which
/// tokio catches; the socket is dropped without a response. `resume_unwind` skips the panic
/// hook, so nothing is printed.
pub(super) fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new(DroppedConnection))
}

pub(super) async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req::new(method, &uri, headers, body);
    let (fault, latency) = lock(&shared).before(&req);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let drop_after = match fault {
        Some(Fault::DropBeforeProcessing) => {
            lock(&shared).log(&req, 0);
            drop_connection()
        }
        Some(Fault::DropAfterProcessing) => true,
        Some(other) => {
            let reply = lock(&shared).fault_reply(other);
            lock(&shared).log(&req, reply.status);
            return reply.into_response();
        }
        None => false,
    };
    let reply = {
        let mut sim = lock(&shared);
        let reply = sim.dispatch(&req, drop_after);
        sim.log(&req, if drop_after { 0 } else { reply.status });
        reply
    };
    if drop_after {
        drop_connection();
    }
    reply.into_response()
}

/// What an id names.
#[derive(Debug, Clone)]
pub(super) enum Node {
    User(String),
    Page(String),
    Instagram(String),
    Conversation(usize),
    Message(usize, usize),
    Contact(String),
    Waba(String),
    Phone(String),
    Media(String),
}

impl Sim {
    pub(super) fn log(&mut self, req: &Req, status: u16) {
        if self.requests.len() >= 100_000 {
            self.requests.drain(..10_000);
        }
        self.requests.push(RequestRecord {
            method: req.method.as_str().to_owned(),
            path: req.path.clone(),
            query: req.query.clone(),
            status,
        });
    }

    pub(super) fn dispatch(&mut self, req: &Req, drop_after: bool) -> Reply {
        let mut cx = Cx { headers: Vec::new(), drop_after };
        let mut reply = match self.route(req, &mut cx) {
            Ok(r) | Err(r) => r,
        };
        reply.headers.extend(cx.headers);
        let trace = self.trace_id();
        reply.headers.push(("x-fb-trace-id".into(), trace));
        let request_id = self.chars(23, ALNUM);
        reply.headers.push(("x-fb-request-id".into(), request_id));
        reply.headers.push(("facebook-api-version".into(), req.version_or_latest().to_owned()));
        reply
    }

    pub(super) fn node(&self, id: &str) -> Option<Node> {
        if self.pages.contains_key(id) {
            return Some(Node::Page(id.to_owned()));
        }
        if self.instagram.contains_key(id) {
            return Some(Node::Instagram(id.to_owned()));
        }
        if self.users.iter().any(|u| u.id == id) {
            return Some(Node::User(id.to_owned()));
        }
        if self.wabas.contains_key(id) {
            return Some(Node::Waba(id.to_owned()));
        }
        if self.phones.contains_key(id) {
            return Some(Node::Phone(id.to_owned()));
        }
        if self.contacts.contains_key(id) {
            return Some(Node::Contact(id.to_owned()));
        }
        if let Some(m) = self.media.get(id)
            && !m.info.deleted
            && self.now()
                < m.created_ms
                    + if m.info.phone_number_id.is_some() { UPLOADED_MEDIA_TTL_MS } else { RECEIVED_MEDIA_TTL_MS }
        {
            return Some(Node::Media(id.to_owned()));
        }
        if let Some(i) = self.conv_index(id) {
            return Some(Node::Conversation(i));
        }
        self.find_message(id).map(|(c, m)| Node::Message(c, m))
    }

    /// The id `me` stands for.
    pub(super) fn me(caller: &TokenInfo) -> String {
        match caller.kind {
            TokenKind::Page => caller.page_id.clone().unwrap_or_default(),
            TokenKind::App => caller.app_id.clone(),
            _ => caller.user_id.clone().unwrap_or_default(),
        }
    }

    pub(super) fn route(&mut self, req: &Req, cx: &mut Cx) -> R {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (req.method.as_str(), segs.as_slice()) {
            ("GET", ["dialog", "oauth"]) => self.fb_dialog(req),
            ("GET", ["oauth", "authorize"]) => self.ig_authorize(req),
            ("GET", ["oauth", "access_token"]) => self.fb_access_token(req),
            ("POST", ["oauth", "access_token"]) => {
                if req.p("client_id").as_deref() == Some(self.app.instagram_app_id.as_str())
                    || req.p("grant_type").as_deref() == Some("authorization_code")
                {
                    self.ig_code_exchange(req)
                } else {
                    self.fb_access_token(req)
                }
            }
            ("GET", ["access_token"]) => self.ig_exchange(req),
            ("GET", ["refresh_access_token"]) => self.ig_refresh(req),
            ("GET", ["debug_token"]) => self.debug_token(req),
            ("GET", ["whatsapp_business", "attachments"]) => self.media_download(req),
            ("GET", ["cdn", name]) => self.cdn_get(name),
            _ => self.graph(req, cx),
        }
    }

    pub(super) fn graph(&mut self, req: &Req, cx: &mut Cx) -> R {
        let caller = self.authenticate(req)?;
        let mut segs: Vec<String> = req.segs.clone();
        if segs.first().map(String::as_str) == Some("me") {
            segs[0] = Sim::me(&caller);
        }
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let method = req.method.clone();
        match (method.as_str(), segs.as_slice()) {
            ("GET", [id]) if req.segs[0] == "me" && caller.kind != TokenKind::Page => self.get_me(req, &caller, id),
            ("GET", [id]) => self.get_node(req, cx, &caller, id),
            ("DELETE", [id]) => self.delete_node(req, cx, &caller, id),
            (m, [id, edge]) => self.edge(req, cx, &caller, m, id, edge),
            _ => {
                let id = segs.first().copied().unwrap_or("");
                Err(self.unsupported(&method, id))
            }
        }
    }

    pub(super) fn edge(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, method: &str, id: &str, edge: &str) -> R {
        let node = self.node(id);
        match (method, node, edge) {
            ("GET", Some(Node::User(u)), "accounts") => self.accounts(req, cx, caller, &u),
            ("GET", Some(Node::Page(p)), "conversations") => self.conversations(req, cx, caller, &p, false),
            ("GET", Some(Node::Instagram(i)), "conversations") => self.conversations(req, cx, caller, &i, true),
            ("GET", Some(Node::Conversation(c)), "messages") => self.conversation_messages(req, cx, caller, c),
            ("POST", Some(Node::Page(p)), "messages") => self.send(req, cx, caller, &p),
            ("POST", Some(Node::Instagram(i)), "messages") => self.send(req, cx, caller, &i),
            ("POST", Some(Node::Page(p)), "message_attachments") => self.message_attachments(req, cx, caller, &p),
            (_, Some(Node::Page(p)), "subscribed_apps") => self.subscribed_apps(req, cx, caller, &p),
            (_, Some(Node::Instagram(i)), "subscribed_apps") => self.subscribed_apps(req, cx, caller, &i),
            (_, Some(Node::Waba(w)), "subscribed_apps") => self.waba_subscribed_apps(req, cx, caller, &w),
            ("GET", Some(Node::Waba(w)), "message_templates") => self.templates(req, cx, caller, &w),
            ("GET", Some(Node::Waba(w)), "phone_numbers") => self.phone_numbers(req, cx, caller, &w),
            ("POST", Some(Node::Phone(p)), "messages") => self.wa_send(req, cx, caller, &p),
            ("POST", Some(Node::Phone(p)), "media") => self.wa_upload(req, cx, caller, &p),
            (_, Some(_), _) => Err(self.gerr(
                100,
                None,
                &format!("(#100) Tried accessing nonexisting field ({edge}) on this node type"),
            )),
            (_, None, _) => {
                let method = req.method.clone();
                Err(self.unsupported(&method, id))
            }
        }
    }

    pub(super) fn get_node(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        let node = self.node(id);
        match node {
            Some(Node::Page(p)) if self.can_use_page(caller, &p) => self.get_page(req, cx, caller, &p),
            Some(Node::Instagram(i)) if self.can_use_instagram(caller, &i) => self.get_instagram(req, cx, caller, &i),
            Some(Node::Conversation(c)) if self.can_use_conv(caller, c) => self.get_conversation(req, cx, caller, c),
            Some(Node::Message(c, m)) if self.can_use_conv(caller, c) => self.get_message(req, cx, caller, c, m),
            Some(Node::Contact(k)) => self.get_profile(req, cx, caller, &k),
            Some(Node::Waba(w)) if self.can_use_waba(caller, &w) => self.get_waba(req, cx, caller, &w),
            Some(Node::Phone(p)) => self.get_phone(req, cx, caller, &p),
            Some(Node::Media(m)) => self.get_media(req, cx, caller, &m),
            Some(Node::User(u)) if caller.user_id.as_deref() == Some(u.as_str()) => self.get_me(req, caller, &u),
            _ => Err(self.unsupported(&Method::GET, id)),
        }
    }

    pub(super) fn delete_node(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        match self.node(id) {
            Some(Node::Media(m)) => self.delete_media(req, cx, caller, &m),
            _ => Err(self.unsupported(&Method::DELETE, id)),
        }
    }
}

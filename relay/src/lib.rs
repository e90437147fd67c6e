//! cahts-relay: receives Meta's webhooks, seals each entry for every device of the tenant
//! that owns it, keeps it in a durable per-device queue and delivers it over websockets.
//!
//! - [`config`]: settings from TOML and `CAHTS_RELAY_*`.
//! - [`store`]: SQLite with group commit; queues, devices, tenants, assets.
//! - [`webhook`]: `/webhooks/meta` (handshake, signature, splitting by asset).
//! - [`hub`]: websocket sessions, flow control, heartbeats.
//! - [`oauth`]: `/oauth/callback` and the token exchanges.
//! - [`admin`]: the operator's commands and pairing.
//! - [`metrics`]: the `/metrics` endpoint.
//!
//! [`run`] takes a bound listener and a shutdown token, so tests start it on port 0.

pub mod admin;
pub mod config;
pub mod error;
pub mod hub;
pub mod metrics;
pub mod oauth;
pub mod store;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cahts_protocol::wire::{PairRequest, PairResponse};
use cahts_protocol::{DevicePublicKey, PROTOCOL_VERSION};
use tokio_util::sync::CancellationToken;

pub use config::{Config, Purpose};
use error::{ApiError, Rejection};
use store::{Store, commands, queries};

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub hub: hub::Hub,
    pub metrics: metrics::Metrics,
    pub oauth: oauth::OAuthFlows,
    pub http: reqwest::Client,
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(config: Config, shutdown: CancellationToken) -> Result<Self, store::StoreError> {
        let store = Store::open(&config.database_path(), config.dead_letter_limit)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("cahts-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| store::StoreError::Refused(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            config: Arc::new(config),
            store,
            hub: hub::Hub::default(),
            metrics: metrics::Metrics::new(),
            oauth: oauth::OAuthFlows::default(),
            http,
            shutdown,
        })
    }

    fn reject(&self, rejection: Rejection) -> ApiError {
        let reason = rejection.reason();
        self.metrics.rejected(reason);
        tracing::warn!(reason, "webhook refused");
        rejection.into_api_error()
    }
}

/// The relay's routes; tests can drive it with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/meta", get(webhook::verify).post(webhook::receive))
        .route("/pair", post(pair))
        .route("/ws", get(websocket))
        .route("/oauth/callback", get(oauth::callback))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // The webhook route enforces max_body_bytes itself, with its own status and metric.
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let route = request
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".into());
            // The path only: query strings carry OAuth codes and verify tokens.
            tracing::info_span!("http", method = %request.method(), route)
        }))
        .with_state(state)
}

async fn healthz(State(app): State<AppState>) -> Response {
    match app
        .store
        .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(|e| store::StoreError::Refused(e.to_string())))
        .await
    {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {e}\n")).into_response(),
    }
}

async fn metrics(State(app): State<AppState>) -> Result<Response, ApiError> {
    let depths = app.store.read(queries::queue_depths).await.map_err(|e| ApiError::unavailable(e.to_string()))?;
    app.metrics.queue_depth.clear();
    for (device, tenant, depth) in depths {
        app.metrics
            .queue_depth
            .get_or_create(&metrics::DeviceLabel { device: device.to_string(), tenant })
            .set(depth as i64);
    }
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], app.metrics.render())
        .into_response())
}

async fn pair(State(app): State<AppState>, body: axum::body::Bytes) -> Result<Json<PairResponse>, ApiError> {
    if body.len() > 4096 {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "pairing request is too large"));
    }
    let request: PairRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", format!("not a pairing request: {e}")))?;
    let key = DevicePublicKey::from_base64(&request.public_key)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_public_key", e.to_string()))?;
    let max_devices = app.config.max_devices_per_tenant;
    let result = app
        .store
        .write(move |state, tx| {
            let paired = admin::redeem_pairing_code(tx, &request.code, key.as_bytes(), &request.name, max_devices)?;
            state.reload(tx)?;
            Ok(paired)
        })
        .await;
    match result {
        Ok(paired) => {
            tracing::info!(device_id = paired.device_id, tenant = %paired.tenant, "device paired");
            Ok(Json(PairResponse {
                device_id: paired.device_id.to_string(),
                device_token: paired.token,
                tenant: paired.tenant,
                version: PROTOCOL_VERSION,
            }))
        }
        Err(store::StoreError::Refused(message)) => {
            tracing::warn!(%message, "pairing refused");
            Err(ApiError::new(StatusCode::FORBIDDEN, "pairing_refused", message))
        }
        Err(e) => Err(ApiError::unavailable(e.to_string())),
    }
}

async fn websocket(
    State(app): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing `Authorization: Bearer <device token>`")
        })?
        .to_string();
    let device = app
        .store
        .read(move |c| queries::device_by_token(c, &token))
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "unknown or revoked device; pair this device again")
        })?;
    if app.shutdown.is_cancelled() {
        return Err(ApiError::unavailable("the relay is shutting down"));
    }
    let session = hub::DeviceSession {
        device_id: device.device_id,
        tenant: device.tenant,
        acked_seq: device.acked_seq,
        dropped_unreported: device.dropped_unreported,
    };
    // Small buffers: a relay holds a connection per device, and tungstenite's defaults
    // (128 KiB each way) would cost more than everything else per device.
    Ok(upgrade
        .read_buffer_size(8 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| hub::run_session(socket, app, session)))
}

/// Applies retention limits now and then (also once at start).
async fn retention_loop(app: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = app.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let max_age = app.config.retention().as_millis() as i64;
        let max_queue = app.config.max_queue_per_device;
        match app.store.write(move |_, tx| commands::enforce_retention(tx, max_age, max_queue)).await {
            Ok((by_age, by_size)) => {
                if by_age + by_size > 0 {
                    tracing::warn!(by_age, by_size, "retention limits dropped undelivered events");
                    app.metrics.dropped("max_age", by_age);
                    app.metrics.dropped("max_queue", by_size);
                }
            }
            Err(e) => tracing::error!(error = %e, "retention pass failed"),
        }
    }
}

/// How long open sockets get to finish after a shutdown request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves until `shutdown` is cancelled, then drains for up to [`SHUTDOWN_GRACE`].
pub async fn run(config: Config, listener: std::net::TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(
            axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| anyhow::anyhow!("tls_cert/tls_key: cannot load the certificate or key: {e}"))?,
        ),
        _ => None,
    };
    let app = AppState::new(config, shutdown.clone())?;
    let address = listener.local_addr()?;
    tokio::spawn(hub::pump_heads(app.clone(), shutdown.clone()));
    tokio::spawn(retention_loop(app.clone()));
    let router = router(app.clone());
    tracing::info!(%address, tls = tls.is_some(), "relay listening");
    match tls {
        Some(tls) => {
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            let token = shutdown.clone();
            tokio::spawn(async move {
                token.cancelled().await;
                stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
            });
            axum_server::from_tcp_rustls(listener, tls).handle(handle).serve(router.into_make_service()).await?;
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let token = shutdown.clone();
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move { token.cancelled().await });
            // Sessions see the token and close themselves; bound the wait for stragglers.
            tokio::select! {
                result = serve => result?,
                _ = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
                    tracing::warn!("connections still open after the grace period; stopping anyway");
                }
            }
        }
    }
    tracing::info!(connected = app.hub.connected(), "relay stopped");
    Ok(())
}

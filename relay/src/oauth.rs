//! OAuth through the relay (META-API.md §4): Meta redirects only to registered HTTPS URIs
//! and the code exchange needs the app secret, which must never ship in the desktop. So the
//! desktop registers a `state` over its websocket, opens the login dialog in the browser,
//! and Meta redirects here. The relay exchanges the code, seals the resulting token to the
//! device that owns the `state`, queues it like any event, and keeps nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cahts_protocol::wire::{OAuthOutcome, OAuthProvider, OAuthResult, PayloadKind, SealedPayload};
use serde::Deserialize;

use crate::AppState;
use crate::config::Config;
use crate::store::now_ms;

/// A login must finish within this time.
const STATE_TTL: Duration = Duration::from_secs(15 * 60);
/// Logins in progress at once, at most (bounds memory against a misbehaving device).
const MAX_PENDING: usize = 1024;

/// Facebook Login scopes for Pages, Messenger and Instagram via Page (META-API.md §4 Scopes).
const FACEBOOK_SCOPES: &str = "pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement,business_management,instagram_basic,instagram_manage_messages";
/// Instagram Login scopes (META-API.md §4 IG Login OAuth).
const INSTAGRAM_SCOPES: &str = "instagram_business_basic,instagram_business_manage_messages";

struct Pending {
    device_id: i64,
    provider: OAuthProvider,
    started: Instant,
}

#[derive(Clone, Default)]
pub struct OAuthFlows {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

fn encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)]).expect("a string encodes")[1..].to_string()
}

impl OAuthFlows {
    /// Registers `state` for `device_id` and returns the login dialog URL to open.
    pub fn begin(
        &self,
        config: &Config,
        device_id: i64,
        state: String,
        provider: OAuthProvider,
    ) -> Result<String, String> {
        if state.len() < 16
            || state.len() > 128
            || !state.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err("state must be 16-128 URL-safe characters".into());
        }
        if config.public_url.is_empty() {
            return Err(
                "this relay has no public_url configured, so it cannot receive OAuth redirects; ask its operator"
                    .into(),
            );
        }
        let redirect = encode(&config.oauth_redirect_uri());
        let url = match provider {
            OAuthProvider::Facebook => {
                if config.meta_app_id.is_empty() {
                    return Err("this relay has no meta_app_id configured; ask its operator".into());
                }
                format!(
                    "{}/{}/dialog/oauth?client_id={}&redirect_uri={redirect}&state={state}&response_type=code&scope={}",
                    config.facebook_dialog_base,
                    config.graph_api_version,
                    encode(&config.meta_app_id),
                    encode(FACEBOOK_SCOPES)
                )
            }
            OAuthProvider::Instagram => {
                if config.instagram_app_id.is_empty() || config.instagram_app_secret.is_empty() {
                    return Err("this relay has no Instagram app configured (instagram_app_id, instagram_app_secret); ask its operator".into());
                }
                format!(
                    "{}/oauth/authorize?client_id={}&redirect_uri={redirect}&response_type=code&scope={}&state={state}",
                    config.instagram_authorize_base,
                    encode(&config.instagram_app_id),
                    encode(INSTAGRAM_SCOPES)
                )
            }
        };
        let mut pending = self.pending.lock().expect("oauth state poisoned");
        pending.retain(|_, p| p.started.elapsed() < STATE_TTL);
        if pending.len() >= MAX_PENDING {
            return Err("too many logins in progress; try again in a few minutes".into());
        }
        pending.insert(state, Pending { device_id, provider, started: Instant::now() });
        Ok(url)
    }

    fn take(&self, state: &str) -> Option<Pending> {
        let mut pending = self.pending.lock().expect("oauth state poisoned");
        pending.remove(state).filter(|p| p.started.elapsed() < STATE_TTL)
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>CAHTS</title>\
         <body style=\"font-family:system-ui;max-width:32rem;margin:4rem auto;line-height:1.5\">\
         <h1>{title}</h1><p>{body}</p></body>"
    );
    (status, Html(html)).into_response()
}

/// Meta's redirect after the login dialog.
pub async fn callback(State(app): State<AppState>, Query(q): Query<Callback>) -> Response {
    let Some(state) = q.state.as_deref() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Missing sign-in details",
            "Start connecting the account again from CAHTS.",
        );
    };
    let Some(pending) = app.oauth.take(state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in link has expired",
            "Start connecting the account again from CAHTS. Links work once, for 15 minutes.",
        );
    };
    let outcome = match (q.code, q.error) {
        (Some(code), None) => match exchange(&app, pending.provider, &code).await {
            Ok(outcome) => outcome,
            Err(message) => OAuthOutcome::Error { message },
        },
        (_, error) => OAuthOutcome::Error {
            message: q.error_description.or(error).unwrap_or_else(|| "Meta returned no authorization code".into()),
        },
    };
    let succeeded = matches!(outcome, OAuthOutcome::Token { .. });
    let result = OAuthResult { state: state.to_string(), provider: pending.provider, outcome };
    let body = serde_json::value::to_raw_value(&result).expect("OAuth result serializes");
    let payload = SealedPayload { kind: PayloadKind::OAuthResult, received_at_ms: now_ms(), body };
    let plaintext = serde_json::to_vec(&payload).expect("payload serializes");
    let device_id = pending.device_id;
    let queued = app.store.write(move |state, tx| state.queue_for_device(tx, device_id, &plaintext)).await;
    match (queued, succeeded) {
        (Ok(()), true) => {
            tracing::info!(device_id, provider = ?pending.provider, "OAuth token sealed to the device");
            page(StatusCode::OK, "Connected", "You can close this tab and return to CAHTS.")
        }
        (Ok(()), false) => {
            tracing::info!(device_id, provider = ?pending.provider, "OAuth flow failed; the device was told why");
            page(
                StatusCode::OK,
                "Not connected",
                "Meta did not grant access. CAHTS shows the reason; you can try again from there.",
            )
        }
        (Err(e), _) => {
            tracing::error!(device_id, error = %e, "could not queue the OAuth result");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                "The relay could not pass the result to CAHTS. Please try again.",
            )
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: Option<String>,
    expires_in: Option<u64>,
    user_id: Option<serde_json::Value>,
}

/// Meta's error JSON (META-API.md §5.2): only the message is passed on.
fn meta_error_message(status: u16, body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.pointer("/error_message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("Meta answered HTTP {status}"))
}

async fn token_call(request: reqwest::RequestBuilder) -> Result<TokenResponse, String> {
    let response = request.send().await.map_err(|e| format!("could not reach Meta: {}", e.without_url()))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| format!("could not read Meta's answer: {}", e.without_url()))?;
    if !(200..300).contains(&status) {
        return Err(meta_error_message(status, &body));
    }
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| "Meta's token answer was not JSON".to_string())?;
    // The Instagram code exchange has been documented both flat and wrapped in `data: [..]`.
    let value = value.pointer("/data/0").cloned().unwrap_or(value);
    serde_json::from_value(value).map_err(|_| "Meta's token answer had no access_token".to_string())
}

async fn exchange(app: &AppState, provider: OAuthProvider, code: &str) -> Result<OAuthOutcome, String> {
    let c = &app.config;
    let http = &app.http;
    match provider {
        OAuthProvider::Facebook => {
            // Code → short-lived user token → long-lived (~60 days) user token (META-API.md §4).
            let url = format!("{}/{}/oauth/access_token", c.graph_api_base, c.graph_api_version);
            let short = token_call(http.get(&url).query(&[
                ("client_id", c.meta_app_id.as_str()),
                ("redirect_uri", c.oauth_redirect_uri().as_str()),
                ("client_secret", c.meta_app_secret.as_str()),
                ("code", code),
            ]))
            .await?;
            let long = token_call(http.get(&url).query(&[
                ("grant_type", "fb_exchange_token"),
                ("client_id", c.meta_app_id.as_str()),
                ("client_secret", c.meta_app_secret.as_str()),
                ("fb_exchange_token", short.access_token.as_str()),
            ]))
            .await?;
            Ok(OAuthOutcome::Token {
                access_token: long.access_token,
                token_type: long.token_type.unwrap_or_else(|| "bearer".into()),
                expires_in: long.expires_in,
                user_id: None,
            })
        }
        OAuthProvider::Instagram => {
            // Code → short-lived (1 h) token and user id → long-lived (60 days) token.
            let short = token_call(http.post(format!("{}/oauth/access_token", c.instagram_api_base)).form(&[
                ("client_id", c.instagram_app_id.as_str()),
                ("client_secret", c.instagram_app_secret.as_str()),
                ("grant_type", "authorization_code"),
                ("redirect_uri", c.oauth_redirect_uri().as_str()),
                ("code", code),
            ]))
            .await?;
            let long = token_call(http.get(format!("{}/access_token", c.instagram_graph_base)).query(&[
                ("grant_type", "ig_exchange_token"),
                ("client_secret", c.instagram_app_secret.as_str()),
                ("access_token", short.access_token.as_str()),
            ]))
            .await?;
            let user_id = short.user_id.map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
            Ok(OAuthOutcome::Token {
                access_token: long.access_token,
                token_type: long.token_type.unwrap_or_else(|| "bearer".into()),
                expires_in: long.expires_in,
                user_id,
            })
        }
    }
}

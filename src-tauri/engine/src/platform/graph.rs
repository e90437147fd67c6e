//! The Graph API client shared by every platform: base URLs, tokens, Meta's error JSON and
//! its rate-limit headers. Platform code (accounts, history, sending) builds on it.
//!
//! Errors are classified by `code` and `error_subcode` only, never by message text
//! (META-API.md §5.2): the text is for people and changes without notice.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::secrets::Secret;

/// Where Meta lives. Tests point every base at meta-sim; nothing else differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`
    pub graph_base: String,
    /// `https://graph.instagram.com` (Instagram Login accounts)
    pub instagram_graph_base: String,
    /// `v24.0`: kept configurable, Meta retires versions on a schedule (META-API.md §3.5).
    pub version: String,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            graph_base: "https://graph.facebook.com".into(),
            instagram_graph_base: "https://graph.instagram.com".into(),
            version: "v24.0".into(),
        }
    }
}

impl GraphConfig {
    /// Defaults, overridden by `CAHTS_GRAPH_BASE`, `CAHTS_INSTAGRAM_GRAPH_BASE`,
    /// `CAHTS_GRAPH_VERSION` (tests and staging).
    pub fn from_env() -> Self {
        let mut config = Self::default();
        let var = |name: &str| {
            std::env::var(name).ok().map(|v| v.trim().trim_end_matches('/').to_string()).filter(|v| !v.is_empty())
        };
        if let Some(v) = var("CAHTS_GRAPH_BASE") {
            config.graph_base = v;
        }
        if let Some(v) = var("CAHTS_INSTAGRAM_GRAPH_BASE") {
            config.instagram_graph_base = v;
        }
        if let Some(v) = var("CAHTS_GRAPH_VERSION") {
            config.version = v;
        }
        config
    }
}

/// What a failed call means for the caller, from Meta's `code` / `error_subcode`
/// (META-API.md §5.2 table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 190: the token is dead (expired 463, password changed 460, logged out 467, …).
    /// The account needs reconnecting.
    TokenInvalid { subcode: Option<i64> },
    /// 4, 17, 32, 613, 80001–80008, WhatsApp 130429 / 131056: stop calling until then.
    RateLimited { retry_after: Option<Duration> },
    /// 10 with 2018278 / 2534022 / 1545041, WhatsApp 131047: outside the messaging
    /// window; Messenger/IG may use HUMAN_AGENT, WhatsApp needs a template.
    WindowClosed,
    /// 551, WhatsApp 131026 / 131050: the person cannot receive it; do not retry.
    Undeliverable,
    /// 1, 2, `is_transient`, 5xx, WhatsApp 131000 / 131016 / 133004 / 131057, or the
    /// answer was lost: retry later. A send that failed this way may still have been
    /// delivered (META-API.md §5.2, code 1/1357046): reconcile before sending again.
    Transient,
    /// The request never reached Meta (no connection): safe to send again.
    Unreachable,
    /// 10 (other subcodes), 200–299, 368: a permission or policy refusal.
    Permission,
    /// 100 and the rest: the request itself is wrong.
    Invalid,
}

/// A failed Graph call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Meta refused the request ({}): {message}", self.code_label())]
pub struct GraphError {
    pub kind: ErrorKind,
    pub http_status: u16,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// Meta's text, for people; never branched on.
    pub message: String,
    /// Usage reported with the failure (rate-limit headers).
    pub usage: Usage,
}

impl GraphError {
    fn code_label(&self) -> String {
        match (self.code, self.subcode) {
            (Some(c), Some(s)) => format!("code {c}/{s}"),
            (Some(c), None) => format!("code {c}"),
            _ => format!("HTTP {}", self.http_status),
        }
    }

    /// A failure before Meta answered (connection reset, timeout): Meta may have acted.
    pub fn network(detail: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Transient,
            http_status: 0,
            code: None,
            subcode: None,
            message: detail.into(),
            usage: Usage::default(),
        }
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        let connect = e.is_connect();
        let mut error = Self::network(e.without_url().to_string());
        if connect {
            error.kind = ErrorKind::Unreachable;
        }
        error
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: Option<ErrorBody>,
    // Instagram Login's token endpoints answer flat: {error_type, code, error_message}.
    code: Option<i64>,
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    code: Option<i64>,
    error_subcode: Option<i64>,
    is_transient: Option<bool>,
    error_data: Option<Value>,
}

/// Classifies an error answer. `usage` comes from the same response's headers.
pub fn classify(http_status: u16, body: &str, usage: Usage) -> GraphError {
    let parsed: Option<ErrorEnvelope> = serde_json::from_str(body).ok();
    let (code, subcode, message, transient) = match parsed {
        Some(ErrorEnvelope { error: Some(e), .. }) => {
            let detail = e
                .error_data
                .as_ref()
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            (
                e.code,
                e.error_subcode,
                format!("{}{detail}", e.message.unwrap_or_default()),
                e.is_transient.unwrap_or(false),
            )
        }
        Some(ErrorEnvelope { error: None, code, error_message, .. }) => {
            (code, None, error_message.unwrap_or_default(), false)
        }
        None => (None, None, String::new(), false),
    };
    let message = if message.trim().is_empty() { format!("HTTP {http_status}") } else { message };
    let kind = match (code, subcode) {
        (Some(190), _) => ErrorKind::TokenInvalid { subcode },
        (Some(4 | 17 | 32 | 613 | 80001..=80009 | 130429 | 131056), _) => {
            ErrorKind::RateLimited { retry_after: usage.retry_after.or(Some(Duration::from_secs(60))) }
        }
        (Some(10), Some(2018278 | 2534022 | 1545041)) | (Some(131047), _) => ErrorKind::WindowClosed,
        (Some(551 | 131026 | 131050), _) => ErrorKind::Undeliverable,
        (Some(1 | 2 | 131000 | 131016 | 133004 | 131057), _) => ErrorKind::Transient,
        _ if transient => ErrorKind::Transient,
        (Some(10 | 200..=299 | 368), _) => ErrorKind::Permission,
        (None, _) if http_status >= 500 || http_status == 429 => ErrorKind::Transient,
        _ if http_status >= 500 => ErrorKind::Transient,
        _ => ErrorKind::Invalid,
    };
    GraphError { kind, http_status, code, subcode, message, usage }
}

/// How close to its limits the app is, from `X-App-Usage`, `X-Business-Use-Case-Usage` and
/// `X-Page-Usage` (META-API.md §5.3): the highest percentage of any counter, and how long
/// Meta says to wait when throttled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub percent: f64,
    pub retry_after: Option<Duration>,
}

fn counters(value: &Value, usage: &mut Usage) {
    for key in ["call_count", "total_cputime", "total_time"] {
        if let Some(p) = value.get(key).and_then(Value::as_f64) {
            usage.percent = usage.percent.max(p);
        }
    }
    if let Some(minutes) = value.get("estimated_time_to_regain_access").and_then(Value::as_f64) {
        if minutes > 0.0 {
            let wait = Duration::from_secs_f64(minutes * 60.0);
            usage.retry_after = Some(usage.retry_after.map_or(wait, |w| w.max(wait)));
        }
    }
}

pub fn parse_usage(headers: &reqwest::header::HeaderMap) -> Usage {
    let mut usage = Usage::default();
    for name in ["x-app-usage", "x-page-usage", "x-ad-account-usage"] {
        if let Some(value) =
            headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| serde_json::from_str::<Value>(v).ok())
        {
            counters(&value, &mut usage);
        }
    }
    if let Some(value) = headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
    {
        // {"<id>": [{type, call_count, total_cputime, total_time, estimated_time_to_regain_access}]}
        if let Some(map) = value.as_object() {
            for entries in map.values() {
                for entry in entries.as_array().into_iter().flatten() {
                    counters(entry, &mut usage);
                }
            }
        }
    }
    usage
}

/// Which host a call goes to.
pub use crate::domain::account::Host;

/// A Graph API client. Cheap to clone.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    config: GraphConfig,
}

/// A successful answer and the usage that came with it.
#[derive(Debug)]
pub struct Answer {
    pub body: Value,
    pub usage: Usage,
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("CAHTS/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a default reqwest client builds");
        Self { http, config }
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// `{base}/{version}/{path}`; absolute URLs (paging `next`) pass through.
    pub fn url(&self, host: Host, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            return path.to_string();
        }
        let base = match host {
            Host::Facebook => &self.config.graph_base,
            Host::Instagram => &self.config.instagram_graph_base,
        };
        format!("{base}/{}/{}", self.config.version, path.trim_start_matches('/'))
    }

    pub async fn get(
        &self,
        host: Host,
        path: &str,
        token: &Secret<String>,
        query: &[(&str, &str)],
    ) -> Result<Answer, GraphError> {
        // Bearer, not `access_token=` in the URL: URLs end up in logs and error texts.
        let request = self.http.get(self.url(host, path)).bearer_auth(token.expose()).query(query);
        self.send(request).await
    }

    pub async fn post_json(
        &self,
        host: Host,
        path: &str,
        token: &Secret<String>,
        body: &Value,
    ) -> Result<Answer, GraphError> {
        let request = self.http.post(self.url(host, path)).bearer_auth(token.expose()).json(body);
        self.send(request).await
    }

    pub async fn delete(
        &self,
        host: Host,
        path: &str,
        token: &Secret<String>,
        query: &[(&str, &str)],
    ) -> Result<Answer, GraphError> {
        let request = self.http.delete(self.url(host, path)).bearer_auth(token.expose()).query(query);
        self.send(request).await
    }

    /// A multipart upload (WhatsApp `/{phone-number-id}/media`, Messenger
    /// `/{page-id}/message_attachments` with `filedata`).
    pub async fn post_multipart(
        &self,
        host: Host,
        path: &str,
        token: &Secret<String>,
        form: reqwest::multipart::Form,
    ) -> Result<Answer, GraphError> {
        // Uploads of tens of megabytes need longer than a JSON call.
        let request = self
            .http
            .post(self.url(host, path))
            .bearer_auth(token.expose())
            .multipart(form)
            .timeout(Duration::from_secs(300));
        self.send(request).await
    }

    /// Starts fetching media bytes. The token goes only to URLs Meta named for that media
    /// (WhatsApp media URLs refuse requests without it); CDN URLs get none.
    pub async fn fetch(&self, url: &str, token: Option<&Secret<String>>) -> Result<reqwest::Response, GraphError> {
        let mut request = self.http.get(url).timeout(Duration::from_secs(300));
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        request.send().await.map_err(GraphError::from_reqwest)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, GraphError> {
        let response = request.send().await.map_err(GraphError::from_reqwest)?;
        let status = response.status().as_u16();
        let usage = parse_usage(response.headers());
        let text = response.text().await.map_err(|e| GraphError::network(e.without_url().to_string()))?;
        if !(200..300).contains(&status) {
            return Err(classify(status, &text, usage));
        }
        let body: Value = serde_json::from_str(&text).map_err(|_| GraphError {
            kind: ErrorKind::Transient,
            http_status: status,
            code: None,
            subcode: None,
            message: "Meta's answer was not JSON".into(),
            usage,
        })?;
        // Some endpoints answer 200 with an error object.
        if body.get("error").is_some() {
            return Err(classify(status, &text, usage));
        }
        Ok(Answer { body, usage })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> Usage {
        Usage::default()
    }

    #[test]
    fn errors_are_classified_by_code_and_subcode_never_by_text() {
        let e = |body: &str| classify(400, body, usage()).kind;
        assert_eq!(
            e(
                r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A"}}"#
            ),
            ErrorKind::TokenInvalid { subcode: Some(463) }
        );
        // Same words, different code: not a token problem.
        assert_eq!(e(r#"{"error":{"message":"Session has expired","code":100}}"#), ErrorKind::Invalid);
        assert_eq!(e(r#"{"error":{"message":"x","code":10,"error_subcode":2018278}}"#), ErrorKind::WindowClosed);
        assert_eq!(e(r#"{"error":{"message":"x","code":10,"error_subcode":2534022}}"#), ErrorKind::WindowClosed);
        assert_eq!(e(r#"{"error":{"message":"x","code":10}}"#), ErrorKind::Permission);
        assert_eq!(
            e(
                r#"{"error":{"message":"Re-engagement message","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"}}}"#
            ),
            ErrorKind::WindowClosed
        );
        assert_eq!(e(r#"{"error":{"message":"x","code":131026}}"#), ErrorKind::Undeliverable);
        assert_eq!(e(r#"{"error":{"message":"x","code":551}}"#), ErrorKind::Undeliverable);
        assert_eq!(e(r#"{"error":{"message":"x","code":2,"is_transient":true}}"#), ErrorKind::Transient);
        assert_eq!(e(r#"{"error":{"message":"x","code":99999,"is_transient":true}}"#), ErrorKind::Transient);
        assert_eq!(classify(503, "<html>", usage()).kind, ErrorKind::Transient);
        assert!(matches!(e(r#"{"error":{"message":"x","code":80006}}"#), ErrorKind::RateLimited { .. }));
        assert!(matches!(e(r#"{"error":{"message":"x","code":613}}"#), ErrorKind::RateLimited { .. }));
        let wa = classify(
            400,
            r#"{"error":{"message":"(#131047) Re-engagement message","code":131047,"error_data":{"details":"more than 24 hours"}}}"#,
            usage(),
        );
        assert!(wa.message.contains("more than 24 hours"), "{}", wa.message);
        assert_eq!(
            e(r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid code"}"#),
            ErrorKind::Invalid
        );
    }

    #[test]
    fn usage_headers_give_the_highest_percentage_and_the_wait() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-app-usage", r#"{"call_count":12,"total_cputime":3,"total_time":20}"#.parse().unwrap());
        headers.insert(
            "x-business-use-case-usage",
            r#"{"104628375019264":[{"type":"messenger","call_count":95,"total_cputime":10,"total_time":40,"estimated_time_to_regain_access":0}]}"#.parse().unwrap(),
        );
        let usage = parse_usage(&headers);
        assert_eq!(usage.percent, 95.0);
        assert_eq!(usage.retry_after, None);
        headers.insert(
            "x-business-use-case-usage",
            r#"{"1":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":40,"estimated_time_to_regain_access":7}]}"#.parse().unwrap(),
        );
        let usage = parse_usage(&headers);
        assert_eq!((usage.percent, usage.retry_after), (100.0, Some(Duration::from_secs(420))));
        let limited = classify(400, r#"{"error":{"message":"x","code":80006}}"#, usage);
        assert_eq!(limited.kind, ErrorKind::RateLimited { retry_after: Some(Duration::from_secs(420)) });
    }

    #[test]
    fn urls_join_base_version_and_path_and_keep_paging_links() {
        let client =
            GraphClient::new(GraphConfig { graph_base: "http://127.0.0.1:9".into(), ..GraphConfig::default() });
        assert_eq!(client.url(Host::Facebook, "/123/conversations"), "http://127.0.0.1:9/v24.0/123/conversations");
        assert_eq!(client.url(Host::Instagram, "me"), "https://graph.instagram.com/v24.0/me");
        assert_eq!(client.url(Host::Facebook, "https://x/next?after=1"), "https://x/next?after=1");
    }
}

//! [`WebhookSender`]: signs and delivers bodies as Meta does (META-API §1 "Signature",
//! "Retry — generic Graph", "Verification GET").

use super::*;

/// How Meta retries a failed delivery (§1 "Retry — generic Graph": immediately, then a
/// few more times with decreasing frequency; "Retry — Messenger / IG", "Retry —
/// WhatsApp": non-200 answers and unreachable endpoints are retried). Meta spreads the
/// retries over hours (36 h generic, up to 7 days on WhatsApp, about 1 h before
/// Messenger unsubscribes the app) and documents no exact schedule; tests compress it
/// with short delays.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total POSTs, the first included (1 = no retry).
    pub attempts: u32,
    /// The pause before the third attempt (the second follows the first immediately).
    pub first_delay: Duration,
    /// Each later pause is this many times the one before (> 1: decreasing frequency).
    pub factor: f64,
}

impl RetryPolicy {
    /// One POST, no retry.
    pub fn once() -> RetryPolicy {
        RetryPolicy { attempts: 1, ..RetryPolicy::default() }
    }

    /// The pause before attempt `attempt` (1-based): none before the first and the
    /// second (Meta "retries immediately"), then `first_delay`, `first_delay × factor`,
    /// `first_delay × factor²`… capped at 36 h.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        const CAP: Duration = Duration::from_secs(36 * 3600);
        if attempt <= 2 {
            return Duration::ZERO;
        }
        let exponent = i32::try_from(attempt - 3).unwrap_or(i32::MAX);
        let secs = self.first_delay.as_secs_f64() * self.factor.powi(exponent);
        Duration::try_from_secs_f64(secs).map_or(CAP, |d| d.min(CAP))
    }
}

impl Default for RetryPolicy {
    /// Five attempts: now, immediately again, then after 1 s, 4 s and 16 s.
    fn default() -> RetryPolicy {
        RetryPolicy { attempts: 5, first_delay: Duration::from_secs(1), factor: 4.0 }
    }
}

/// A delivery Meta would count as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The final HTTP status: always 200.
    pub status: u16,
    /// POSTs it took, the first included.
    pub attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Every attempt got an answer other than 200; `status` is the last one.
    #[error("the webhook endpoint answered HTTP {status} to the last of {attempts} attempts")]
    Rejected { attempts: u32, status: u16 },
    /// The last attempt got no answer (connection refused, reset, timeout...).
    #[error("the webhook endpoint was unreachable on the last of {attempts} attempts")]
    Unreachable {
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    /// A single request ([`WebhookSender::post_raw`], [`WebhookSender::verify_handshake`])
    /// failed before an answer.
    #[error("request to the webhook endpoint failed")]
    Request(#[from] reqwest::Error),
}

/// Meta's side of the webhook conversation with one callback URL.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    url: String,
    app_secret: String,
    retry: RetryPolicy,
}

impl fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The app secret stays out of test output.
        f.debug_struct("WebhookSender").field("url", &self.url).field("retry", &self.retry).finish_non_exhaustive()
    }
}

/// What we send as `User-Agent`. Meta's documentation does not name one; this is the
/// value commonly reported for Graph webhooks.
pub(super) const USER_AGENT: &str = "facebookplatform/1.0 (+http://developers.facebook.com)";

impl WebhookSender {
    /// A sender for the callback `url`, signing with `app_secret`, retrying with
    /// [`RetryPolicy::default`]. Requests time out after 20 s (§1 "Response time":
    /// "a webhook call times out after 20 s") and redirects are not followed (Meta calls
    /// the configured URL).
    pub fn new(url: impl Into<String>, app_secret: impl Into<String>) -> WebhookSender {
        WebhookSender {
            client: default_client(),
            url: url.into(),
            app_secret: app_secret.into(),
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> WebhookSender {
        self.retry = retry;
        self
    }

    /// Sends through `client` instead, e.g. one trusting a test CA or with a shorter
    /// timeout. (Meta itself refuses self-signed certificates, §1 "Transport".)
    pub fn with_client(mut self, client: reqwest::Client) -> WebhookSender {
        self.client = client;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Delivers `body` as Meta does: a POST with `Content-Type: application/json` and
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of these exact bytes keyed with the
    /// app secret>` (§1 "Signature", "Body"). Anything but a 200 answer, and any
    /// connection error or timeout, is retried with the SAME bytes and signature per the
    /// [`RetryPolicy`] (§1 "Retry — generic Graph", "Retry — Messenger / IG", "Retry —
    /// WhatsApp": non-200 is retried). Returns the final status and the number of POSTs,
    /// or the last failure once all attempts are spent.
    pub async fn deliver(&self, body: &[u8]) -> Result<Delivery, SendError> {
        let signature = signature::sign(self.app_secret.as_bytes(), body);
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let failure = match self.send(body, Some(&signature)).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // Read the answer so the connection can be reused; its content does
                    // not matter to Meta.
                    let _ = response.bytes().await;
                    if status == 200 {
                        return Ok(Delivery { status, attempts: attempt });
                    }
                    SendError::Rejected { attempts: attempt, status }
                }
                Err(source) => SendError::Unreachable { attempts: attempt, source },
            };
            if attempt >= attempts {
                return Err(failure);
            }
            attempt += 1;
            let pause = self.retry.delay_before(attempt);
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// One POST of `body` with `signature` as the `X-Hub-Signature-256` value (`None`: no
    /// header), for negative tests (wrong secret, altered body, malformed header). Returns
    /// the status and the answer's text. No retry.
    pub async fn post_raw(&self, body: &[u8], signature: Option<&str>) -> Result<(u16, String), SendError> {
        let response = self.send(body, signature).await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// The verification GET Meta sends when the callback URL is saved (§1 "Verification
    /// GET"): `hub.mode=subscribe`, `hub.challenge`, `hub.verify_token`. The endpoint
    /// should answer 200 with exactly the challenge when the token matches, 403 or 400
    /// otherwise. Returns the status and the answer's text.
    pub async fn verify_handshake(&self, verify_token: &str, challenge: &str) -> Result<(u16, String), SendError> {
        let response = self
            .client
            .get(&self.url)
            .query(&[("hub.mode", "subscribe"), ("hub.challenge", challenge), ("hub.verify_token", verify_token)])
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    async fn send(&self, body: &[u8], signature: Option<&str>) -> Result<reqwest::Response, reqwest::Error> {
        let mut request =
            self.client.post(&self.url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_vec());
        if let Some(value) = signature {
            request = request.header(signature::HEADER, value);
        }
        request.send().await
    }
}

pub(super) fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        // Header names as Meta writes them (`X-Hub-Signature-256`); receivers must not
        // care, but they should see what Meta sends.
        .http1_title_case_headers()
        .build()
        .expect("a reqwest client with static settings builds")
}

//! Rate limits (§5.3, GRL): every call counts against a usage bucket, reported in
//! `X-App-Usage` (user and app tokens) or `X-Business-Use-Case-Usage` (Page, system-user
//! and Instagram tokens) with `estimated_time_to_regain_access`; a call made at 100 % is
//! refused with the documented code (GRL; MERR and MSEND for 613; WAE for 130429).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::request::{Cx, Reply};
use super::{MINUTE_MS, Sim, TokenInfo, TokenKind};

/// Usage counters behind `X-App-Usage` / `X-Business-Use-Case-Usage` (§5.3).
#[derive(Debug)]
pub(super) struct UsageState {
    /// Calls allowed per bucket before 100 %.
    pub(super) budget: u64,
    /// `estimated_time_to_regain_access` once throttled, minutes.
    pub(super) regain_minutes: u32,
    /// "app" or "{id}|{type}".
    pub(super) buckets: HashMap<String, Bucket>,
    /// Presets by business id for buckets not created yet.
    pub(super) presets: HashMap<String, u32>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Bucket {
    pub(super) calls: u64,
    pub(super) throttled_until_ms: Option<i64>,
}

impl UsageState {
    pub(super) fn calls_for(&self, percent: u32) -> u64 {
        (u64::from(percent) * self.budget).div_ceil(100)
    }
}

impl Sim {
    /// Counts one call and sets the usage header. User and app tokens count against the
    /// app's platform usage (`X-App-Usage`); Page, system-user and Instagram tokens against
    /// the business use case `kind` of `id` (`X-Business-Use-Case-Usage`). A call made when
    /// the bucket is already at 100 % is refused with the documented code (GRL, MERR):
    /// app token 4, user token 17 (32 for Page calls), BUC `pages` 80001, `instagram` 80002,
    /// `messenger` 80006, `whatsapp_business_management` 80008, Send API 613 (Instagram
    /// 613/2534040), WhatsApp sends 130429. The bucket empties once
    /// `estimated_time_to_regain_access` minutes have passed on the fake clock
    /// (**guessed**: a fixed wait rather than a rolling window; refused calls do not extend it).
    pub(super) fn meter(
        &mut self,
        cx: &mut Cx,
        caller: &TokenInfo,
        id: &str,
        kind: &'static str,
        send: bool,
    ) -> Result<(), Reply> {
        let now = self.now();
        let platform = matches!(caller.kind, TokenKind::App | TokenKind::User);
        let key = if platform { "app".to_owned() } else { format!("{id}|{kind}") };
        let budget = self.usage.budget;
        let regain = i64::from(self.usage.regain_minutes) * MINUTE_MS;
        let preset = if platform { None } else { self.usage.presets.get(id).map(|p| self.usage.calls_for(*p)) };
        let bucket = self
            .usage
            .buckets
            .entry(key.clone())
            .or_insert_with(|| Bucket { calls: preset.unwrap_or(0), throttled_until_ms: None });
        if bucket.throttled_until_ms.is_some_and(|until| until <= now) {
            *bucket = Bucket::default();
        }
        let throttled = bucket.calls >= budget;
        if throttled {
            bucket.throttled_until_ms.get_or_insert(now + regain);
        } else {
            bucket.calls += 1;
        }
        let stats = |b: &Bucket| {
            let pct = b.calls * 100 / budget;
            let eta = b
                .throttled_until_ms
                .map_or(0, |u| (u - now).max(0).div_euclid(MINUTE_MS) + i64::from((u - now).rem_euclid(MINUTE_MS) > 0));
            (pct, eta)
        };
        let header = if platform {
            let (pct, _) = stats(bucket);
            ("x-app-usage", json!({ "call_count": pct, "total_cputime": pct / 4, "total_time": pct / 3 }).to_string())
        } else {
            let prefix = format!("{id}|");
            let mut entries: Vec<(&String, &Bucket)> =
                self.usage.buckets.iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let list: Vec<Value> = entries
                .into_iter()
                .map(|(k, b)| {
                    let (pct, eta) = stats(b);
                    json!({
                        "type": k[prefix.len()..].to_owned(),
                        "call_count": pct,
                        "total_cputime": pct / 4,
                        "total_time": pct / 3,
                        "estimated_time_to_regain_access": eta,
                    })
                })
                .collect();
            let mut map = Map::new();
            map.insert(id.to_owned(), Value::Array(list));
            ("x-business-use-case-usage", Value::Object(map).to_string())
        };
        cx.headers.retain(|(n, _)| n != header.0);
        cx.headers.push((header.0.to_owned(), header.1));
        if !throttled {
            return Ok(());
        }
        let (code, subcode, message) = match (platform, caller.kind, kind) {
            (true, TokenKind::App, _) => (4, None, "(#4) Application request limit reached"),
            (true, _, "pages" | "messenger" | "instagram") => (32, None, "(#32) Page request limit reached"),
            (true, _, _) => (17, None, "(#17) User request limit reached"),
            (false, _, "messenger") if send => (613, None, "(#613) Calls to this api have exceeded the rate limit."),
            (false, _, "instagram") if send => {
                (613, Some(2_534_040), "(#613) Calls to this api have exceeded the rate limit.")
            }
            (false, _, "messenger") => (
                80006,
                None,
                "(#80006) There have been too many messenger api calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "instagram") => (
                80002,
                None,
                "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "whatsapp_business_management") => (
                80008,
                None,
                "(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            (false, _, "whatsapp_business_messaging") => {
                return Err(self.waerr(
                    429,
                    130_429,
                    "Rate limit hit",
                    "Cloud API message throughput has been reached.",
                ));
            }
            _ => (
                80001,
                None,
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
        };
        Err(self.gerr_full(400, code, subcode, message, true))
    }
}

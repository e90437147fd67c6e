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

    /// A bucket's `call_count` percentage and `estimated_time_to_regain_access` in whole
    /// minutes, rounded up (0 when not throttled).
    fn stats(&self, b: &Bucket, now: i64) -> (u64, i64) {
        let pct = b.calls * 100 / self.budget;
        let eta = b
            .throttled_until_ms
            .map_or(0, |u| (u - now).max(0).div_euclid(MINUTE_MS) + i64::from((u - now).rem_euclid(MINUTE_MS) > 0));
        (pct, eta)
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
        let throttled = self.count_call(&key, platform, id, now);
        let (name, value) = if platform { self.app_usage(&key, now) } else { self.business_usage(id, now) };
        cx.headers.retain(|(n, _)| n != name);
        cx.headers.push((name.to_owned(), value));
        if !throttled {
            return Ok(());
        }
        Err(self.limit_reached(platform, caller.kind, kind, send))
    }

    /// Counts a call in bucket `key` (created with `id`'s preset, emptied once its wait is
    /// over) unless it is already at 100 %. Returns whether the call is throttled.
    fn count_call(&mut self, key: &str, platform: bool, id: &str, now: i64) -> bool {
        let budget = self.usage.budget;
        let regain = i64::from(self.usage.regain_minutes) * MINUTE_MS;
        let preset = if platform { None } else { self.usage.presets.get(id).map(|p| self.usage.calls_for(*p)) };
        let bucket = self
            .usage
            .buckets
            .entry(key.to_owned())
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
        throttled
    }

    /// `X-App-Usage`: the app bucket's percentages.
    fn app_usage(&self, key: &str, now: i64) -> (&'static str, String) {
        // `meter` has just counted the call, so the bucket exists.
        let (pct, _) = self.usage.stats(&self.usage.buckets[key], now);
        ("x-app-usage", json!({ "call_count": pct, "total_cputime": pct / 4, "total_time": pct / 3 }).to_string())
    }

    /// `X-Business-Use-Case-Usage`: every bucket of `id`, one entry per use case, by name.
    fn business_usage(&self, id: &str, now: i64) -> (&'static str, String) {
        let prefix = format!("{id}|");
        let mut entries: Vec<(&String, &Bucket)> =
            self.usage.buckets.iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let list: Vec<Value> = entries
            .into_iter()
            .map(|(k, b)| {
                let (pct, eta) = self.usage.stats(b, now);
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
    }

    /// The refusal of a call made at 100 %, by token type and use case (GRL, MERR, MSEND, WAE).
    fn limit_reached(&mut self, platform: bool, token: TokenKind, kind: &str, send: bool) -> Reply {
        let (code, subcode, message) = match (platform, token, kind) {
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
                return self.waerr(429, 130_429, "Rate limit hit", "Cloud API message throughput has been reached.");
            }
            _ => (
                80001,
                None,
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
        };
        self.gerr_full(400, code, subcode, message, true)
    }
}

//! `/webhooks/meta`: the verification handshake and the intake of signed webhook POSTs.
//!
//! The POST is checked in this order, each step before any later one runs (META-API.md §1):
//! size (413), signature over the raw bytes (401), shape (400). Then the body is split by
//! asset, each group sealed for every device of its tenant and queued, and only after that
//! transaction commits does Meta get its 200.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::AppState;
use crate::error::{ApiError, Rejection};
use crate::store::{Routed, Unrouted, now_ms};

#[derive(Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's GET when the callback URL is saved: echo `hub.challenge` only for our token.
pub async fn verify(State(app): State<AppState>, Query(q): Query<Handshake>) -> Response {
    let token_ok =
        q.verify_token.as_deref().is_some_and(|t| constant_time_eq(t.as_bytes(), app.config.verify_token.as_bytes()));
    match (q.mode.as_deref(), token_ok, q.challenge) {
        (Some("subscribe"), true, Some(challenge)) => {
            tracing::info!("webhook verification handshake accepted");
            ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response()
        }
        (Some("subscribe"), false, _) => {
            tracing::warn!("webhook verification with a wrong verify token");
            (StatusCode::FORBIDDEN, "verify token does not match").into_response()
        }
        _ => {
            (StatusCode::BAD_REQUEST, "expected hub.mode=subscribe, hub.verify_token and hub.challenge").into_response()
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Bodies larger than this are split off the async runtime.
const INLINE_PARSE_LIMIT: usize = 64 * 1024;

/// The most of a refused body that is read (and thrown away) before answering 413.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

/// Reads and discards a refused body, up to `cap` bytes and 5 s: a sender still writing
/// when the answer comes gets a connection reset instead of the 413 that says why.
/// Beyond the cap the connection is simply closed.
async fn drain(mut body: Body, cap: usize) {
    use http_body_util::BodyExt as _;
    let mut seen = 0usize;
    let drained = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > cap {
                break;
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::debug!(seen, "stopped reading a refused body after 5 s");
    }
}

pub async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let limit = app.config.max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        drain(body, limit.saturating_mul(4).min(DRAIN_CAP)).await;
        return Err(app.reject(Rejection::TooLarge { limit }));
    }
    let body: Bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        // `to_bytes` fails for an over-limit stream and for a broken connection alike.
        let inner = e.into_inner();
        if inner.is::<http_body_util::LengthLimitError>() {
            app.reject(Rejection::TooLarge { limit })
        } else {
            app.reject(Rejection::Malformed(format!("could not read the body: {inner}")))
        }
    })?;
    let signature = headers.get(cahts_protocol::signature::HEADER).and_then(|v| v.to_str().ok());
    let verified = cahts_protocol::signature::verify(app.config.meta_app_secret.as_bytes(), &body, signature);
    // Which secret signs Instagram Login webhooks is not documented (META-API.md §1):
    // accept the Instagram app's secret as well when one is configured.
    let verified = match verified {
        Err(cahts_protocol::SignatureError::Mismatch) if !app.config.instagram_app_secret.is_empty() => {
            cahts_protocol::signature::verify(app.config.instagram_app_secret.as_bytes(), &body, signature)
        }
        other => other,
    };
    verified.map_err(|e| app.reject(Rejection::Signature(e)))?;

    let received_at = now_ms();
    let groups = if body.len() > INLINE_PARSE_LIMIT {
        tokio::task::spawn_blocking(move || split(&body))
            .await
            .map_err(|e| ApiError::internal(format!("split task failed: {e}")))?
    } else {
        split(&body)
    }
    .map_err(|e| app.reject(Rejection::Malformed(e)))?;

    let outcome = app
        .store
        .write(move |state, tx| {
            let mut routed = Vec::new();
            let mut unrouted = Vec::new();
            for group in groups {
                match state.tenant_for(&group.asset_id) {
                    Some(tenant) => routed.push(Routed {
                        tenant: tenant.to_string(),
                        payload: group.payload(received_at),
                        asset_id: group.asset_id,
                        object: group.object,
                    }),
                    None => {
                        unrouted.push(Unrouted { bytes: group.bytes(), asset_id: group.asset_id, object: group.object })
                    }
                }
            }
            state.ingest(tx, received_at, &routed, &unrouted)
        })
        .await
        .map_err(|e| {
            // Meta retries anything that is not a 2xx: the event is not lost.
            app.metrics.rejected("storage");
            ApiError::unavailable(format!("could not store the webhook: {e}"))
        })?;
    app.metrics.accepted(outcome.queued as u64, outcome.dead_lettered as u64);
    tracing::debug!(queued = outcome.queued, dead_lettered = outcome.dead_lettered, "webhook accepted");
    Ok(StatusCode::OK.into_response())
}

/// The entries of one POST that belong to one asset.
#[derive(Debug)]
pub struct Group {
    pub object: String,
    pub asset_id: String,
    pub entries: Vec<String>,
}

impl Group {
    fn bytes(&self) -> usize {
        self.entries.iter().map(String::len).sum()
    }

    /// The plaintext sealed for devices: a [`cahts_protocol::wire::SealedPayload`] whose
    /// body is a webhook body of this asset's entries, as the desktop's parser expects.
    pub fn payload(&self, received_at: i64) -> Vec<u8> {
        let object = serde_json::to_string(&self.object).expect("a string serializes");
        let mut out = Vec::with_capacity(self.bytes() + object.len() + 96);
        out.extend_from_slice(b"{\"kind\":\"webhook\",\"received_at_ms\":");
        out.extend_from_slice(received_at.to_string().as_bytes());
        out.extend_from_slice(b",\"body\":{\"object\":");
        out.extend_from_slice(object.as_bytes());
        out.extend_from_slice(b",\"entry\":[");
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(entry.as_bytes());
        }
        out.extend_from_slice(b"]}}");
        out
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    object: String,
    #[serde(borrow)]
    entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct EntryHead {
    id: Option<IdValue>,
    changes: Option<Vec<ChangeHead>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdValue {
    Text(String),
    Number(u64),
}

impl IdValue {
    fn into_string(self) -> String {
        match self {
            IdValue::Text(s) => s,
            IdValue::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct ChangeHead {
    value: Option<ChangeValueHead>,
}

#[derive(Deserialize)]
struct ChangeValueHead {
    metadata: Option<MetadataHead>,
}

#[derive(Deserialize)]
struct MetadataHead {
    phone_number_id: Option<String>,
}

/// Splits a webhook body into per-asset groups, keeping each entry's bytes as sent.
///
/// The asset of a Messenger or Instagram entry is its `id` (Page or Instagram account).
/// A WhatsApp entry's `id` is the business account; its messages belong to the phone
/// number in `changes[].value.metadata.phone_number_id`, and one entry may carry changes
/// for several numbers, which are then split into one entry per number.
pub fn split(body: &[u8]) -> Result<Vec<Group>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_string())?;
    // Some of Meta's documentation samples wrap the payload in `[ ]`: accept both.
    let envelopes: Vec<Envelope<'_>> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("body is not a webhook: {e}"))?
    } else {
        vec![serde_json::from_str(text).map_err(|e| format!("body is not a webhook: {e}"))?]
    };
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for envelope in envelopes {
        for (index, raw) in envelope.entry.into_iter().enumerate() {
            let head: EntryHead = serde_json::from_str(raw.get())
                .map_err(|e| format!("entry[{index}] is not an object with an id: {e}"))?;
            let entry_id = head.id.map(IdValue::into_string);
            if envelope.object == "whatsapp_business_account" {
                for (asset, entry) in split_whatsapp_entry(raw, head.changes.as_deref(), entry_id.as_deref(), index)? {
                    groups.entry((envelope.object.clone(), asset)).or_default().push(entry);
                }
            } else {
                let asset = entry_id.ok_or_else(|| format!("entry[{index}] has no id"))?;
                groups.entry((envelope.object.clone(), asset)).or_default().push(raw.get().to_string());
            }
        }
    }
    Ok(groups.into_iter().map(|((object, asset_id), entries)| Group { object, asset_id, entries }).collect())
}

fn split_whatsapp_entry(
    raw: &RawValue,
    changes: Option<&[ChangeHead]>,
    entry_id: Option<&str>,
    index: usize,
) -> Result<Vec<(String, String)>, String> {
    let phone_of =
        |c: &ChangeHead| c.value.as_ref().and_then(|v| v.metadata.as_ref()).and_then(|m| m.phone_number_id.clone());
    let fallback = || entry_id.map(str::to_string).ok_or_else(|| format!("entry[{index}] has no id"));
    let Some(changes) = changes.filter(|c| !c.is_empty()) else {
        return Ok(vec![(fallback()?, raw.get().to_string())]);
    };
    let first = phone_of(&changes[0]);
    if changes.iter().all(|c| phone_of(c) == first) {
        let asset = match first {
            Some(phone) => phone,
            None => fallback()?,
        };
        return Ok(vec![(asset, raw.get().to_string())]);
    }
    // Rare: several numbers in one entry. Rebuild one entry per number.
    let mut value: serde_json::Value = serde_json::from_str(raw.get()).map_err(|e| format!("entry[{index}]: {e}"))?;
    let all = value.get_mut("changes").and_then(|c| c.as_array_mut()).map(std::mem::take).unwrap_or_default();
    let mut by_asset: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for change in all {
        let asset = change
            .pointer("/value/metadata/phone_number_id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .map_or_else(fallback, Ok)?;
        by_asset.entry(asset).or_default().push(change);
    }
    Ok(by_asset
        .into_iter()
        .map(|(asset, changes)| {
            let mut entry = value.clone();
            entry["changes"] = serde_json::Value::Array(changes);
            (asset, entry.to_string())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_asset_and_keeps_entry_bytes() {
        let body = br#"{"object":"page","entry":[
            {"id":"111","time":1,"messaging":[{"text":"caf\u00e9"}]},
            {"id":"222","time":2,"messaging":[]},
            {"id":"111","time":3,"messaging":[]}]}"#;
        let groups = split(body).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].asset_id, "111");
        assert_eq!(groups[0].entries.len(), 2);
        assert!(groups[0].entries[0].contains(r"caf\u00e9"), "entry bytes kept as sent");
        let payload: serde_json::Value = serde_json::from_slice(&groups[0].payload(5)).unwrap();
        assert_eq!(payload["kind"], "webhook");
        assert_eq!(payload["body"]["object"], "page");
        assert_eq!(payload["body"]["entry"][1]["time"], 3);
    }

    #[test]
    fn whatsapp_routes_by_phone_number_and_splits_mixed_entries() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[
            {"field":"messages","value":{"metadata":{"phone_number_id":"P1"},"messages":[]}},
            {"field":"messages","value":{"metadata":{"phone_number_id":"P2"},"messages":[]}},
            {"field":"account_update","value":{"event":"X"}}]}]}"#;
        let groups = split(body).unwrap();
        let assets: Vec<&str> = groups.iter().map(|g| g.asset_id.as_str()).collect();
        assert_eq!(assets, ["P1", "P2", "WABA"]);
        let p2: serde_json::Value = serde_json::from_str(&groups[1].entries[0]).unwrap();
        assert_eq!(p2["changes"].as_array().unwrap().len(), 1);
        assert_eq!(p2["id"], "WABA");
    }

    #[test]
    fn array_wrapped_bodies_and_numeric_ids_are_accepted_and_garbage_is_not() {
        let groups =
            split(br#"[{"object":"instagram","entry":[{"id":17841400000000001234,"messaging":[]}]}]"#).unwrap();
        assert_eq!(groups[0].asset_id, "17841400000000001234");
        for bad in [
            &b"not json"[..],
            br#"{"object":"page"}"#,
            br#"{"object":"page","entry":[{"time":1}]}"#,
            br#"{"object":"page","entry":[1]}"#,
        ] {
            assert!(split(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}

//! Meta webhook normalization: the JSON body of one webhook POST from Messenger
//! (`object: "page"`), Instagram (`"instagram"`) or the WhatsApp Cloud API
//! (`"whatsapp_business_account"`) becomes a list of [`DomainEvent`]s.
//!
//! This module owns the envelope (`object`, `entry[]`), the item shapes of each platform
//! ([`messaging`] for Messenger and Instagram, [`whatsapp`] for the Cloud API) and the
//! rule for which side of a conversation is the business. It does not check the
//! `X-Hub-Signature-256` header (that is done over the raw bytes before anything is
//! parsed), does not deduplicate (the store keys on platform ids, and Meta redelivers),
//! and does no I/O.
//!
//! Tolerance is the rule. Meta adds fields and event kinds without notice and batches up
//! to 1000 updates in one POST (GS, WACE), so only a body that is not a webhook at all is
//! an error. Anything inside it we do not understand becomes a [`Skipped`] entry with a
//! path and a reason, logged with `tracing::warn!`, and the rest of the batch still yields
//! its events. Logs and reasons name kinds, field names, paths and ids, never message
//! text or tokens.
//!
//! Ids stay strings end to end: Instagram ids exceed 2^53 and would lose digits through
//! f64 (META-API.md §6, item 5). Timestamps become Unix milliseconds.

mod messaging;
mod whatsapp;

use serde::Serialize;
use serde_json::Value;

use crate::domain::events::{DomainEvent, Platform, PlatformError};

/// The outcome of normalizing one webhook body.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedWebhook {
    /// The envelope's `object` (`page`, `instagram`, `whatsapp_business_account`, or
    /// whatever else Meta sent).
    pub object: String,
    /// Events in the order their items appear in the body.
    pub events: Vec<DomainEvent>,
    /// Items that produced no event, with the reason. Never fatal for the batch.
    pub skipped: Vec<Skipped>,
}

/// One part of a webhook body that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Where it sits in the body, e.g. `entry[0].messaging[2]` or
    /// `entry[1].changes[0].value.statuses[3]`.
    pub path: String,
    /// What was unknown or wrong; names fields and kinds, never message text.
    pub reason: String,
}

pub use crate::domain::error::WebhookError;

/// Normalizes one webhook body (the raw POST bytes) into domain events.
///
/// Errors only when the body is not a webhook envelope; see [`WebhookError`].
pub fn parse_webhook(body: &[u8]) -> Result<ParsedWebhook, WebhookError> {
    let root: Value = serde_json::from_slice(body).map_err(WebhookError::NotJson)?;
    // Some Instagram doc samples wrap the whole payload in `[ ]` (IGLX). Real deliveries
    // do not, but accepting exactly one wrapped object costs nothing.
    let root = match root {
        Value::Array(mut items) if items.len() == 1 => items.swap_remove(0),
        Value::Array(items) => return Err(WebhookError::ArrayNotSingle { len: items.len() }),
        other => other,
    };
    if !root.is_object() {
        return Err(WebhookError::NotAnObject { found: json_kind(&root) });
    }
    let object = match field(&root, "object") {
        None => return Err(WebhookError::NoObject),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(WebhookError::ObjectNotString { found: json_kind(other) });
        }
    };
    let entries = match field(&root, "entry") {
        None => return Err(WebhookError::NoEntry),
        Some(Value::Array(entries)) => entries,
        Some(other) => {
            return Err(WebhookError::EntryNotArray { found: json_kind(other) });
        }
    };

    let mut batch = Batch::default();
    let platform = match object.as_str() {
        "page" => Some(Source::Messaging(Platform::Messenger)),
        "instagram" => Some(Source::Messaging(Platform::Instagram)),
        "whatsapp_business_account" => Some(Source::Whatsapp),
        _ => None,
    };
    let Some(platform) = platform else {
        // `user`, `permissions`, `application`...: subscriptions this app may hold for
        // other products. Not ours to interpret, and not an error either.
        batch.skip("object".to_owned(), format!("unhandled webhook object `{}`", short(&object)));
        return Ok(batch.finish(object));
    };

    for (i, entry) in entries.iter().enumerate() {
        let path = format!("entry[{i}]");
        if !entry.is_object() {
            let reason = format!("entry is {}, expected an object", json_kind(entry));
            batch.skip(path, reason);
            continue;
        }
        match platform {
            Source::Messaging(platform) => messaging::entry(platform, entry, &path, &mut batch),
            Source::Whatsapp => whatsapp::entry(entry, &path, &mut batch),
        }
    }
    tracing::debug!(
        object = %object,
        entries = entries.len(),
        events = batch.events.len(),
        skipped = batch.skipped.len(),
        "webhook normalized"
    );
    Ok(batch.finish(object))
}

#[derive(Clone, Copy)]
enum Source {
    Messaging(Platform),
    Whatsapp,
}

/// Accumulates what one body yields.
#[derive(Default)]
struct Batch {
    events: Vec<DomainEvent>,
    skipped: Vec<Skipped>,
}

impl Batch {
    fn skip(&mut self, path: String, reason: String) {
        // Reasons are built from field names, kinds and ids only, so they are safe to log.
        tracing::warn!(path = %path, reason = %reason, "webhook item skipped");
        self.skipped.push(Skipped { path, reason });
    }

    /// Records the outcome of one item: all of its events, or none of them.
    fn take(&mut self, path: String, outcome: Result<Vec<DomainEvent>, String>) {
        match outcome {
            Ok(events) => self.events.extend(events),
            Err(reason) => self.skip(path, reason),
        }
    }

    fn finish(self, object: String) -> ParsedWebhook {
        ParsedWebhook { object, events: self.events, skipped: self.skipped }
    }
}

// ---------------------------------------------------------------------------------------
// Reading JSON leniently. Item-level helpers return `Err(reason)`; the caller turns that
// into a `Skipped` for the item. `at` is the dotted name of the parent object, used only
// to name fields in reasons (`message.mid`).
// ---------------------------------------------------------------------------------------

/// A field that is present and not `null`.
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn name(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
}

/// Bounds a kind or type name taken from the payload before it goes into a reason or a
/// log line, so a hostile or broken body cannot flood the logs.
fn short(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// `true` only for a JSON `true`: flags such as `is_echo` are absent when false.
fn flag(v: &Value, key: &str) -> bool {
    matches!(v.get(key), Some(Value::Bool(true)))
}

/// An optional string that carries meaning (message text): a wrong type is an error.
/// Empty strings count as absent.
fn opt_string(v: &Value, key: &str, at: &str) -> Result<Option<String>, String> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{}` is {}, expected a string", name(at, key), json_kind(other))),
    }
}

/// A decorative string (title, caption, mime type): anything but a non-empty string is
/// treated as absent, so a cosmetic oddity never costs the whole message.
fn loose_string(v: &Value, key: &str) -> Option<String> {
    match field(v, key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Reads an id. Meta sends ids as strings; an id that arrives as a JSON number is
/// accepted only when it is an integer that fits u64, because without serde_json's
/// `arbitrary_precision` anything larger has already been rounded through f64 and its
/// digits are no longer the real id.
fn id_value(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err(format!("`{what}` is empty")),
        Value::Number(n) => match n.as_u64() {
            Some(u) => Ok(u.to_string()),
            None => Err(format!("`{what}` is a number that is not an exact unsigned integer (digits may be lost)")),
        },
        other => Err(format!("`{what}` is {}, expected a string id", json_kind(other))),
    }
}

fn req_id(v: &Value, key: &str, at: &str) -> Result<String, String> {
    match field(v, key) {
        None => Err(format!("missing `{}`", name(at, key))),
        Some(x) => id_value(x, &name(at, key)),
    }
}

fn opt_id(v: &Value, key: &str, at: &str) -> Result<Option<String>, String> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(x) => id_value(x, &name(at, key)).map(Some),
    }
}

/// `parent.id` where `parent` is an object such as `sender` or `recipient`.
fn nested_id(v: &Value, parent: &str) -> Result<String, String> {
    match field(v, parent) {
        None => Err(format!("missing `{parent}.id`")),
        Some(p) => req_id(p, "id", parent),
    }
}

/// An integer that must be present: a JSON integer, or a string of decimal digits
/// (lenient; Meta sends numbers here).
fn int_value(v: &Value, what: &str) -> Result<i64, String> {
    let parsed = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match parsed {
        Some(n) if n >= 0 => Ok(n),
        Some(_) => Err(format!("`{what}` is negative")),
        None => Err(format!("`{what}` is not an integer")),
    }
}

/// A Messenger / Instagram time: integer Unix milliseconds (MW, MEV-*).
fn req_ms(v: &Value, key: &str, at: &str) -> Result<i64, String> {
    match field(v, key) {
        None => Err(format!("missing `{}`", name(at, key))),
        Some(x) => int_value(x, &name(at, key)),
    }
}

fn opt_ms(v: &Value, key: &str, at: &str) -> Result<Option<i64>, String> {
    field(v, key).map(|x| int_value(x, &name(at, key))).transpose()
}

/// A WhatsApp time: a string of Unix seconds (WAR), returned as milliseconds.
fn req_wa_time(v: &Value, key: &str, at: &str) -> Result<i64, String> {
    let what = name(at, key);
    let seconds = match field(v, key) {
        None => return Err(format!("missing `{what}`")),
        Some(x) => int_value(x, &what)?,
    };
    seconds.checked_mul(1000).ok_or_else(|| format!("`{what}` is out of range"))
}

/// The first entry of an `errors[]` array as a [`PlatformError`], when there is one.
/// Shape: `{code, title, message, error_data{details}}` (WAR-errors, WAR-status).
fn first_error(v: &Value) -> Option<PlatformError> {
    let e = field(v, "errors")?.as_array()?.first()?;
    Some(PlatformError {
        code: field(e, "code").and_then(Value::as_i64),
        title: loose_string(e, "title").or_else(|| loose_string(e, "message")),
        // Older payloads put `details` on the error itself.
        detail: field(e, "error_data").and_then(|d| loose_string(d, "details")).or_else(|| loose_string(e, "details")),
    })
}

/// The array under `key`, or an empty slice when absent; a non-array is an error.
fn opt_array<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a [Value], String> {
    match field(v, key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("`{}` is {}, expected an array", name(at, key), json_kind(other))),
    }
}

#[cfg(test)]
mod tests;

//! Switchable faults, for the failures Meta's documentation tells callers to expect: Graph
//! error JSON with `is_transient` (§5.2, GERR: codes 1 and 2 "temporary"), Messenger's
//! "Received Invalid JSON reply" after which the send may still have happened (MERR
//! 1/1357046), WhatsApp's 131000 (WAE), a front end's bare 503, connections dropped before
//! or after the work, latency, a token that expires in the middle of a backfill (190/463,
//! GERR) and a login dialog the person cancels (FLM `error=access_denied`).

use std::time::Duration;

use super::request::{Reply, Req};
use super::{Shared, Sim, lock};

/// An answer a fault puts in place of the real one.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Graph error JSON (§5.2) with this HTTP status.
    GraphError { status: u16, code: i64, subcode: Option<i64>, message: String, transient: bool },
    /// WhatsApp error JSON: no subcode, `error_data{messaging_product, details}` (§5.2).
    WhatsAppError { status: u16, code: i64, title: String, details: String },
    /// Any status and body (a proxy's 503 page, …).
    Raw { status: u16, content_type: String, body: String },
    /// Close the connection without doing anything.
    DropBeforeProcessing,
    /// Do the work (a send IS recorded, with `answered: false`), then close the connection
    /// without answering: a crash between Meta accepting a call and the caller recording
    /// its result.
    DropAfterProcessing,
}

impl Fault {
    /// HTTP 500, code 2, `is_transient: true` (GERR: "temporary service issue").
    pub fn transient() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 2,
            subcode: None,
            message: "An unexpected error has occurred. Please retry your request later.".into(),
            transient: true,
        }
    }

    /// HTTP 500, code 1, `is_transient: true` (GERR: "unknown error").
    pub fn unknown() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 1,
            subcode: None,
            message: "An unknown error has occurred.".into(),
            transient: true,
        }
    }

    /// Messenger 1 / 1357046 "Received Invalid JSON reply" (MERR: the send may have
    /// succeeded despite the error). This fault answers without doing the work; for "did the
    /// work, never said so" use [`Fault::DropAfterProcessing`].
    pub fn invalid_json_reply() -> Fault {
        Fault::GraphError {
            status: 500,
            code: 1,
            subcode: Some(1_357_046),
            message: "Received Invalid JSON reply.".into(),
            transient: false,
        }
    }

    /// A bare HTTP 503 from the front end (**guessed** body).
    pub fn service_unavailable() -> Fault {
        Fault::Raw {
            status: 503,
            content_type: "text/html; charset=utf-8".into(),
            body: "<html><body>Service Unavailable</body></html>".into(),
        }
    }

    /// WhatsApp 131000 "Something went wrong" (WAE), HTTP 500.
    pub fn whatsapp_transient() -> Fault {
        Fault::WhatsAppError {
            status: 500,
            code: 131_000,
            title: "Something went wrong".into(),
            details: "Message failed to send due to an unknown error.".into(),
        }
    }

    /// Any Graph error.
    pub fn graph(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Fault {
        Fault::GraphError { status, code, subcode, message: message.to_owned(), transient: false }
    }
}

/// A path pattern: `[METHOD ]glob`, the glob matched against the path without its version
/// segment (`/123/messages`), `*` matching any characters including `/`.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    pub(super) method: Option<String>,
    pub(super) glob: String,
}

impl Pattern {
    pub(super) fn parse(pattern: &str) -> Pattern {
        let pattern = pattern.trim();
        if let Some((first, rest)) = pattern.split_once(' ')
            && !first.is_empty()
            && first.chars().all(|c| c.is_ascii_uppercase())
        {
            return Pattern { method: Some(first.to_owned()), glob: rest.trim().to_owned() };
        }
        Pattern { method: None, glob: pattern.to_owned() }
    }

    pub(super) fn matches(&self, method: &str, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        glob_match(self.glob.as_bytes(), path.as_bytes())
    }
}

pub(super) fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_match(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob_match(rest, &text[1..]),
    }
}

#[derive(Debug, Clone)]
pub(super) struct FaultRule {
    pub(super) pattern: Pattern,
    pub(super) remaining: u32,
    pub(super) fault: Fault,
}

#[derive(Debug, Default)]
pub(super) struct FaultState {
    pub(super) rules: Vec<FaultRule>,
    pub(super) latency: Vec<(Pattern, Duration)>,
    pub(super) deny_login: bool,
}

/// Cloneable handle to switch faults at runtime.
#[derive(Clone)]
pub struct Faults {
    pub(super) shared: Shared,
}

impl Faults {
    /// The next `times` calls matching `pattern` (`"POST */messages"`, `"*/conversations"`,
    /// `"GET /debug_token"`) answer `fault` instead. Rules are checked in the order added.
    pub fn fail_next(&self, pattern: &str, times: u32, fault: Fault) {
        lock(&self.shared).faults.rules.push(FaultRule { pattern: Pattern::parse(pattern), remaining: times, fault });
    }

    /// The next `times` matching calls answer [`Fault::transient`] (HTTP 500, code 2).
    pub fn transient_errors(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::transient());
    }

    /// The next `times` matching calls are processed (a send is recorded in the World),
    /// then the connection is closed without an answer.
    pub fn drop_after_processing(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::DropAfterProcessing);
    }

    /// The next `times` matching calls get their connection closed, nothing done.
    pub fn drop_before_processing(&self, pattern: &str, times: u32) {
        self.fail_next(pattern, times, Fault::DropBeforeProcessing);
    }

    /// Every matching call waits `delay` before it is handled, until [`Faults::clear`].
    pub fn latency(&self, pattern: &str, delay: Duration) {
        lock(&self.shared).faults.latency.push((Pattern::parse(pattern), delay));
    }

    /// `token` answers `calls` more calls, then expires (190 / 463): "the token expired in
    /// the middle of a backfill".
    pub fn expire_token_after(&self, token: &str, calls: u32) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.calls_left = Some(calls);
        }
    }

    /// The login dialogs redirect with `error=access_denied` (the person clicked Cancel).
    pub fn deny_login(&self, deny: bool) {
        lock(&self.shared).faults.deny_login = deny;
    }

    /// Calls per usage bucket that make 100 % (default 200).
    pub fn set_call_budget(&self, calls: u64) {
        lock(&self.shared).usage.budget = calls.max(1);
    }

    /// `estimated_time_to_regain_access` (minutes) once a bucket is throttled (default 10).
    pub fn set_regain_minutes(&self, minutes: u32) {
        lock(&self.shared).usage.regain_minutes = minutes;
    }

    /// Presets the app's platform usage (`X-App-Usage`, user and app tokens) to `percent`.
    pub fn set_app_usage(&self, percent: u32) {
        let mut sim = lock(&self.shared);
        let calls = sim.usage.calls_for(percent);
        let bucket = sim.usage.buckets.entry("app".into()).or_default();
        bucket.calls = calls;
        bucket.throttled_until_ms = None;
    }

    /// Presets the business use-case usage of `id` (a Page, Instagram account or WABA;
    /// every use-case type) to `percent`.
    pub fn set_business_usage(&self, id: &str, percent: u32) {
        let mut sim = lock(&self.shared);
        let calls = sim.usage.calls_for(percent);
        let prefix = format!("{id}|");
        for (key, bucket) in &mut sim.usage.buckets {
            if key.starts_with(&prefix) {
                bucket.calls = calls;
                bucket.throttled_until_ms = None;
            }
        }
        sim.usage.presets.insert(id.to_owned(), percent);
    }

    /// Removes every fault rule, latency and login denial, and resets usage.
    pub fn clear(&self) {
        let mut sim = lock(&self.shared);
        sim.faults = FaultState::default();
        sim.usage.buckets.clear();
        sim.usage.presets.clear();
    }

    /// One-shot fault answers not used yet.
    pub fn pending(&self) -> u32 {
        lock(&self.shared).faults.rules.iter().map(|r| r.remaining).sum()
    }
}

impl Sim {
    pub(super) fn before(&mut self, req: &Req) -> (Option<Fault>, Duration) {
        let method = req.method.as_str().to_owned();
        let path = req.bare_path();
        let latency = self.faults.latency.iter().filter(|(p, _)| p.matches(&method, &path)).map(|(_, d)| *d).sum();
        let mut fault = None;
        for rule in &mut self.faults.rules {
            if rule.remaining > 0 && rule.pattern.matches(&method, &path) {
                rule.remaining -= 1;
                fault = Some(rule.fault.clone());
                break;
            }
        }
        self.faults.rules.retain(|r| r.remaining > 0);
        (fault, latency)
    }

    pub(super) fn fault_reply(&mut self, fault: Fault) -> Reply {
        match fault {
            Fault::GraphError { status, code, subcode, message, transient } => {
                self.gerr_full(status, code, subcode, &message, transient)
            }
            Fault::WhatsAppError { status, code, title, details } => self.waerr(status, code, &title, &details),
            Fault::Raw { status, content_type, body } => {
                Reply { status, content_type, headers: Vec::new(), body: body.into_bytes() }
            }
            Fault::DropBeforeProcessing | Fault::DropAfterProcessing => Reply::text(500, ""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_patterns_match_method_and_path() {
        let p = Pattern::parse("POST */messages");
        assert!(p.matches("POST", "/123/messages"));
        assert!(!p.matches("GET", "/123/messages"));
        assert!(!p.matches("POST", "/123/message_attachments"));
        assert!(Pattern::parse("*/conversations").matches("GET", "/123/conversations"));
    }
}

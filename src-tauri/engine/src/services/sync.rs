//! History backfill for Messenger and Instagram (WhatsApp has no history API: only the
//! relay's webhooks). META-API.md §3.1: `GET /{page-id}/conversations?platform=…` with
//! cursor paging and field expansion; Meta returns message details only for the most
//! recent messages of a conversation, so that is what history can hold.
//!
//! Each page of conversations is applied in one transaction together with the cursor that
//! follows it, so a restart resumes where it stopped and never applies a page twice in
//! effect (apply is idempotent anyway). Once a full pass completes, later runs are
//! incremental: they stop at the first conversation not updated since the last pass.
//! Rate-aware: the usage headers slow the pace above 75% and a limit error pauses the
//! account until Meta's time.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::domain::account::AccountView;
use crate::domain::events::{
    Attachment, AttachmentKind, ContactProfile, ConversationKey, Direction, DomainEvent, MessageExtras, MessageKind,
    NewMessage, Platform, ReplyTo,
};
use crate::platform::graph::{ErrorKind, GraphClient, GraphError, Usage};
use crate::secrets::Secret;
use crate::services::credentials::{AccountError, Credentials};
use crate::store::{Store, sync_cursors};

/// Conversations per page request.
const PAGE_SIZE: &str = "25";
/// Messages per conversation asked for (Meta details at most the 20 most recent).
const MESSAGE_FIELDS: &str =
    "participants,updated_time,messages.limit(20){id,created_time,from,to,message,attachments,reply_to}";

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillReport {
    pub account_id: i64,
    pub conversations: u64,
    pub messages_added: u64,
    pub pages: u64,
    /// True when the pass reached the end (or the last pass's high-water mark).
    pub complete: bool,
    /// Set when Meta's rate limit paused the pass: resume after this time (ms).
    pub paused_until: Option<i64>,
    /// Time spent waiting because usage was high.
    pub slowed_ms: u64,
}

/// Progress for a progress bar: pages and conversations done so far.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub account_id: i64,
    pub conversations: u64,
    pub pages: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0} has no history API; its messages arrive through the relay only")]
    NoHistory(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] crate::domain::Error),
}

impl From<GraphError> for SyncError {
    fn from(e: GraphError) -> Self {
        SyncError::Account(AccountError::Graph(e))
    }
}

fn cursor_key(platform: Platform) -> &'static str {
    match platform {
        Platform::Instagram => "conversations:instagram",
        _ => "conversations:messenger",
    }
}

/// Parses Meta's `2026-01-05T10:00:00+0000` (also `Z` and `+00:00`) to ms since the epoch.
pub fn parse_graph_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &text[19..];
    let offset_secs = match rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit()) {
        "" | "Z" => 0,
        tz => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let digits: String = tz[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            sign * (digits[..2].parse::<i64>().ok()? * 3600 + digits[2..].parse::<i64>().ok()? * 60)
        }
    };
    // Days from civil (Howard Hinnant).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) - offset_secs) * 1000)
}

fn attachment(value: &Value) -> Attachment {
    let mime = value.get("mime_type").and_then(Value::as_str).map(String::from);
    let url = value
        .pointer("/image_data/url")
        .or_else(|| value.pointer("/video_data/url"))
        .or_else(|| value.get("file_url"))
        .and_then(Value::as_str)
        .map(String::from);
    let kind = match mime.as_deref().unwrap_or("") {
        m if m.starts_with("image/") => Some(AttachmentKind::Image),
        m if m.starts_with("video/") => Some(AttachmentKind::Video),
        m if m.starts_with("audio/") => Some(AttachmentKind::Audio),
        "" if value.get("image_data").is_some() => Some(AttachmentKind::Image),
        "" if value.get("video_data").is_some() => Some(AttachmentKind::Video),
        _ => Some(AttachmentKind::File),
    };
    Attachment {
        kind,
        mime_type: mime,
        url,
        filename: value.get("name").and_then(Value::as_str).map(String::from),
        size_bytes: value.get("size").and_then(Value::as_i64),
        ..Attachment::default()
    }
}

/// One conversation of the conversations edge → domain events.
fn conversation_events(platform: Platform, account: &str, conversation: &Value) -> (Vec<DomainEvent>, Option<i64>) {
    let updated = conversation.get("updated_time").and_then(Value::as_str).and_then(parse_graph_time);
    let participants =
        conversation.pointer("/participants/data").and_then(Value::as_array).cloned().unwrap_or_default();
    let Some(customer) =
        participants.iter().find(|p| p.get("id").and_then(Value::as_str).is_some_and(|id| id != account))
    else {
        return (Vec::new(), updated);
    };
    let contact_id = customer.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let key = ConversationKey { platform, account_id: account.to_string(), contact_id };
    let mut events = Vec::new();
    let profile = ContactProfile {
        name: customer.get("name").and_then(Value::as_str).map(String::from),
        handle: customer.get("username").and_then(Value::as_str).map(String::from),
        ..ContactProfile::default()
    };
    if profile.name.is_some() || profile.handle.is_some() {
        events.push(DomainEvent::Contact { key: key.clone(), profile });
    }
    for message in conversation.pointer("/messages/data").and_then(Value::as_array).into_iter().flatten() {
        let (Some(mid), Some(at)) = (
            message.get("id").and_then(Value::as_str),
            message.get("created_time").and_then(Value::as_str).and_then(parse_graph_time),
        ) else {
            continue;
        };
        let from = message.pointer("/from/id").and_then(Value::as_str).unwrap_or_default();
        let direction = if from == account { Direction::Outbound } else { Direction::Inbound };
        let text = message.get("message").and_then(Value::as_str).filter(|t| !t.is_empty()).map(String::from);
        let attachments: Vec<Attachment> = message
            .pointer("/attachments/data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(attachment)
            .collect();
        let kind = match (text.is_some(), attachments.first().and_then(|a| a.kind)) {
            (false, Some(AttachmentKind::Image)) => MessageKind::Image,
            (false, Some(AttachmentKind::Video)) => MessageKind::Video,
            (false, Some(AttachmentKind::Audio)) => MessageKind::Audio,
            (false, Some(_)) => MessageKind::File,
            _ => MessageKind::Text,
        };
        let reply_to =
            message.pointer("/reply_to/mid").and_then(Value::as_str).map(|m| ReplyTo::Message { mid: m.to_string() });
        events.push(DomainEvent::Message(NewMessage {
            key: key.clone(),
            mid: mid.to_string(),
            direction,
            kind,
            text,
            attachments,
            reply_to,
            extras: MessageExtras::default(),
            sent_at: at,
        }));
    }
    (events, updated)
}

/// Waits in proportion to how close Meta's usage counters are to 100%.
fn pace(usage: &Usage) -> Option<Duration> {
    match usage.percent {
        p if p >= 95.0 => Some(Duration::from_secs(10)),
        p if p >= 90.0 => Some(Duration::from_secs(3)),
        p if p >= 75.0 => Some(Duration::from_millis(500)),
        _ => None,
    }
}

/// Retries of a page that failed in a way that may pass (Meta's 5xx, `is_transient`, no
/// connection), waiting 0.5, 1, 2 and 4 s: a short outage does not end the pass. Reads
/// are safe to repeat.
const TRANSIENT_RETRIES: u32 = 4;

async fn get_with_retries(
    graph: &GraphClient,
    host: crate::platform::graph::Host,
    path: &str,
    token: &crate::secrets::Secret<String>,
    query: &[(&str, &str)],
) -> Result<crate::platform::graph::Answer, GraphError> {
    let mut attempt = 0;
    loop {
        match graph.get(host, path, token, query).await {
            Err(e)
                if matches!(e.kind, ErrorKind::Transient | ErrorKind::Unreachable) && attempt < TRANSIENT_RETRIES =>
            {
                let wait = Duration::from_millis(500 << attempt);
                tracing::info!(error = %e, wait_ms = wait.as_millis() as u64, "history page failed; trying again");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Runs (or resumes) a backfill of one Messenger or Instagram account.
pub async fn backfill(
    store: &Store,
    accounts: &Credentials,
    graph: &GraphClient,
    account: &AccountView,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<BackfillReport, SyncError> {
    if account.platform == Platform::Whatsapp {
        return Err(SyncError::NoHistory("WhatsApp".into()));
    }
    let token = accounts.token(account).await?;
    let (account_id, key) = (account.id, cursor_key(account.platform));
    let page = conversations_owner(store, account).await?;
    let saved = store.read(move |c| sync_cursors::position(c, account_id, key)).await?;
    let mut pass = Pass {
        account: account.clone(),
        high_water: saved.high_water,
        newest_seen: saved.pass_newest,
        report: BackfillReport { account_id, ..Default::default() },
    };
    let mut after = saved.cursor;
    loop {
        let answer = match fetch_page(graph, account, &page, &token, after.as_deref()).await {
            Ok(answer) => answer,
            Err(e) => {
                accounts.record_error(account_id, &e).await?;
                if let ErrorKind::RateLimited { retry_after } = e.kind {
                    pass.report.paused_until =
                        Some(store.now_ms() + retry_after.unwrap_or(Duration::from_secs(60)).as_millis() as i64);
                    tracing::warn!(account_id, "history paused by Meta's rate limit; resumes from the saved cursor");
                    return Ok(pass.report);
                }
                return Err(e.into());
            }
        };
        let (events, position) = pass.read_page(&answer.body);
        let done = position.cursor.is_none();
        after = position.cursor.clone();
        let now = store.now_ms();
        let applied = store
            .write(move |tx| {
                let applied = crate::store::apply::apply_events(tx, &events, now)?;
                sync_cursors::save_position(tx, account_id, key, &position, now)?;
                Ok(applied)
            })
            .await?;
        pass.report.messages_added += applied.messages_added as u64;
        pass.report.pages += 1;
        progress(Progress { account_id, conversations: pass.report.conversations, pages: pass.report.pages });
        if done {
            pass.report.complete = true;
            return Ok(pass.report);
        }
        if let Some(wait) = pace(&answer.usage) {
            tracing::info!(
                account_id,
                usage = answer.usage.percent,
                wait_ms = wait.as_millis() as u64,
                "slowing down near Meta's rate limit"
            );
            pass.report.slowed_ms += wait.as_millis() as u64;
            tokio::time::sleep(wait).await;
        }
    }
}

/// Whose conversations edge lists the account's threads: the Page itself, or for an
/// Instagram account linked to a Page, that Page.
async fn conversations_owner(store: &Store, account: &AccountView) -> Result<String, SyncError> {
    if account.platform != Platform::Instagram {
        return Ok(account.asset_id.clone());
    }
    let account_id = account.id;
    let parent = store.read(move |c| sync_cursors::parent_asset(c, account_id)).await?;
    Ok(parent.unwrap_or_else(|| account.asset_id.clone()))
}

/// One page of conversations, after the cursor `after`.
async fn fetch_page(
    graph: &GraphClient,
    account: &AccountView,
    page: &str,
    token: &Secret<String>,
    after: Option<&str>,
) -> Result<crate::platform::graph::Answer, GraphError> {
    let platform = if account.platform == Platform::Instagram { "instagram" } else { "messenger" };
    let mut query = vec![("platform", platform), ("fields", MESSAGE_FIELDS), ("limit", PAGE_SIZE)];
    if let Some(after) = after {
        query.push(("after", after));
    }
    get_with_retries(graph, account.host(), &format!("{page}/conversations"), token, &query).await
}

/// A pass over an account's conversations, newest first, that stops at the end or at
/// the last complete pass's high-water mark.
struct Pass {
    account: AccountView,
    high_water: Option<i64>,
    /// The newest conversation seen in this pass: the next pass's high-water mark.
    newest_seen: Option<i64>,
    report: BackfillReport,
}

impl Pass {
    /// The events of one page and the position to save with them.
    fn read_page(&mut self, body: &Value) -> (Vec<DomainEvent>, sync_cursors::Position) {
        let conversations = body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let next_cursor = body
            .pointer("/paging/next")
            .and_then(|_| body.pointer("/paging/cursors/after"))
            .and_then(Value::as_str)
            .map(String::from);
        let mut events = Vec::new();
        let mut reached_high_water = false;
        for conversation in &conversations {
            let (mut convo_events, updated) =
                conversation_events(self.account.platform, &self.account.asset_id, conversation);
            if let Some(u) = updated {
                self.newest_seen = Some(self.newest_seen.map_or(u, |n| n.max(u)));
                if self.high_water.is_some_and(|h| u <= h) {
                    reached_high_water = true;
                    break;
                }
            }
            self.report.conversations += 1;
            events.append(&mut convo_events);
        }
        let done = reached_high_water || next_cursor.is_none();
        let position = sync_cursors::Position {
            cursor: if done { None } else { next_cursor },
            high_water: if done { self.newest_seen.max(self.high_water) } else { None },
            pass_newest: self.newest_seen,
        };
        (events, position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_times_parse_in_every_documented_form() {
        assert_eq!(parse_graph_time("1970-01-01T00:00:00+0000"), Some(0));
        assert_eq!(parse_graph_time("2026-01-05T10:00:00+0000"), Some(1_767_607_200_000));
        assert_eq!(parse_graph_time("2026-01-05T10:00:00Z"), Some(1_767_607_200_000));
        assert_eq!(parse_graph_time("2026-01-05T12:00:00+02:00"), Some(1_767_607_200_000));
        assert_eq!(parse_graph_time("2024-02-29T23:59:59-0100"), Some(1_709_254_799_000));
        assert_eq!(parse_graph_time("yesterday"), None);
    }

    #[test]
    fn a_conversation_becomes_contact_and_message_events() {
        let conversation: Value = serde_json::from_str(
            r#"{"id":"t_1","updated_time":"2026-01-05T10:00:00+0000",
                "participants":{"data":[{"id":"PAGE","name":"Shop"},{"id":"PSID1","name":"Zoë Martin"}]},
                "messages":{"data":[
                  {"id":"m_2","created_time":"2026-01-05T10:00:00+0000","from":{"id":"PAGE"},"to":{"data":[{"id":"PSID1"}]},"message":"Yes, until 6 pm"},
                  {"id":"m_1","created_time":"2026-01-05T09:59:00+0000","from":{"id":"PSID1","name":"Zoë Martin"},"message":"",
                   "attachments":{"data":[{"id":"a1","mime_type":"image/jpeg","name":"p.jpg","image_data":{"url":"https://cdn/p.jpg"}}]}}]}}"#,
        )
        .unwrap();
        let (events, updated) = conversation_events(Platform::Messenger, "PAGE", &conversation);
        assert_eq!(updated, Some(1_767_607_200_000));
        assert!(
            matches!(&events[0], DomainEvent::Contact { profile, .. } if profile.name.as_deref() == Some("Zoë Martin"))
        );
        let DomainEvent::Message(reply) = &events[1] else { panic!("message expected") };
        assert_eq!((reply.direction, reply.text.as_deref()), (Direction::Outbound, Some("Yes, until 6 pm")));
        let DomainEvent::Message(photo) = &events[2] else { panic!("message expected") };
        assert_eq!(
            (photo.direction, photo.kind, photo.text.as_deref()),
            (Direction::Inbound, MessageKind::Image, None)
        );
        assert_eq!(photo.attachments[0].url.as_deref(), Some("https://cdn/p.jpg"));
        assert_eq!(photo.key.contact_id, "PSID1");
    }
}

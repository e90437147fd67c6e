//! Sending: an outbox of messages with client-generated ids, so nothing is sent twice and
//! nothing is lost when CAHTS stops at any point.
//!
//! A message is written locally first (a row keyed `local:<client id>`, shown as pending)
//! together with its outbox row. Sending claims the row (`sending`, committed) before the
//! API call, and records the result after it. The id travels with the send (Messenger and
//! Instagram `message.metadata`, WhatsApp `biz_opaque_callback_data`) and comes back on
//! the echo, so:
//! - an echo that arrives before the result is recorded (or after a crash) settles the
//!   row ([`reconcile`], run in the same transaction as every webhook batch);
//! - a row left in `sending` by a crash is never sent again blindly: it becomes
//!   `unconfirmed` and waits for its echo; only the owner can send it again.
//! - a failure that may have reached Meta (5xx, a lost answer) waits [`ECHO_GRACE`] for an
//!   echo before the one automatic retry; a refusal (window closed, undeliverable, bad
//!   token) ends `failed` with the reason and the next step.

use std::time::Duration;

use rand::Rng as _;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::services::credentials::{AccountError, Credentials};
use crate::domain::error::SqlContext as _;
use crate::domain::events::{
    Actor, Attachment, AttachmentKind, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras, MessageKind, NewMessage, Platform, ReplyTo,
};
use crate::services::media::LocalFile;
use crate::platform::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::secrets::Secret;
pub use crate::domain::reply_window::{ReplyWindow, reply_window};
pub use crate::domain::template::Template;
use crate::store::outbox::{local_mid, platform_of, record_sent, tag};
pub use crate::store::outbox::reconcile;
pub use crate::store::publications::{mark_published, pending_publications};
use crate::store::{Store, apply};

/// How long a possibly-delivered send waits for its echo before it is sent again.
pub const ECHO_GRACE: Duration = Duration::from_secs(30);
/// Automatic attempts for sends that certainly did not reach Meta (no connection, rate limit).
const MAX_ATTEMPTS: i64 = 6;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{0}")]
    Refused(String),
    #[error("no such conversation")]
    NotFound,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] crate::domain::Error),
}

type Result<T, E = OutboxError> = std::result::Result<T, E>;

/// What happened to one outbox row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub client_id: String,
    /// `sent`, `queued` (will retry), `unconfirmed` (waiting for an echo), `failed`.
    pub state: String,
    pub platform_message_id: Option<String>,
    pub error: Option<String>,
}

/// Where a reply goes, read in the transaction that queues it.
struct Target {
    platform: Platform,
    key: ConversationKey,
    window: ReplyWindow,
    login: Option<String>,
}

fn target(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> crate::domain::Result<Option<Target>> {
    let row = tx
        .query_row(
            "SELECT c.platform, a.asset_id, ct.platform_user_id, c.last_inbound_at, a.login
             FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
             WHERE c.id = ?1",
            [conversation_id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?)),
        )
        .optional()
        .ctx("reading a conversation")?;
    Ok(row.map(|(platform, account, contact, last_inbound, login)| {
        let platform = platform_of(&platform);
        Target {
            platform,
            key: ConversationKey { platform, account_id: account, contact_id: contact },
            window: reply_window(platform, last_inbound, now),
            login,
        }
    }))
}

/// `messaging_type` and tag for a free-form message, or why none can be sent now.
fn free_form(target: &Target) -> std::result::Result<(&'static str, Option<&'static str>), OutboxError> {
    match target.window {
        ReplyWindow::Open { .. } => Ok(("RESPONSE", None)),
        ReplyWindow::HumanAgent { .. } => Ok(("MESSAGE_TAG", Some("HUMAN_AGENT"))),
        ReplyWindow::TemplateOnly => Err(OutboxError::Refused(
            "More than 24 hours have passed since the customer's last message: WhatsApp only allows an approved template now.".into(),
        )),
        ReplyWindow::Closed => Err(OutboxError::Refused(
            "This conversation cannot be answered: the customer has not written in the last 7 days.".into(),
        )),
    }
}

fn check_text_length(platform: Platform, text: &str) -> std::result::Result<(), OutboxError> {
    let (too_long, limit) = match platform {
        Platform::Messenger => (text.chars().count() > 2000, "2,000 characters"),
        Platform::Instagram => (text.len() > 1000, "1,000 bytes"),
        Platform::Whatsapp => (text.chars().count() > 4096, "4,096 characters"),
    };
    if too_long {
        return Err(OutboxError::Refused(format!("The message is longer than this platform allows ({limit}).")));
    }
    Ok(())
}

/// The message as it shows in the thread while it is on its way, and its outbox row.
struct LocalCopy {
    kind: MessageKind,
    text: Option<String>,
    attachments: Vec<Attachment>,
    reply_to: Option<String>,
    /// `text`, `media`, `template`.
    outbox_kind: &'static str,
    payload: Value,
}

fn insert_local(tx: &Transaction<'_>, conversation_id: i64, key: ConversationKey, client_id: &str, copy: LocalCopy, now: i64) -> crate::domain::Result<()> {
    let mid = local_mid(client_id);
    apply::apply_events(
        tx,
        &[DomainEvent::Message(NewMessage {
            key,
            mid: mid.clone(),
            direction: Direction::Outbound,
            kind: copy.kind,
            text: copy.text.clone(),
            attachments: copy.attachments,
            reply_to: copy.reply_to.map(|mid| ReplyTo::Message { mid }),
            extras: MessageExtras { send_metadata: Some(tag(client_id)), ..MessageExtras::default() },
            sent_at: now,
        })],
    )?;
    // Shown as pending until Meta accepts it (apply marks outbound history as sent).
    tx.execute("UPDATE messages SET status = ?2, status_at = NULL WHERE platform_message_id = ?1", params![mid, DeliveryStatus::Pending.rank()])
        .ctx("marking a message pending")?;
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, body, payload, state, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6, ?6)",
        params![client_id, conversation_id, copy.outbox_kind, copy.text, copy.payload.to_string(), now],
    )
    .ctx("queueing a message")?;
    Ok(())
}

/// Queues a text reply. Checked before anything is written: the window, the length.
pub async fn enqueue_text(store: &Store, conversation_id: i64, text: String, reply_to: Option<String>) -> Result<String> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(OutboxError::Refused("the message is empty".into()));
    }
    let client_id = hex_id();
    let id = client_id.clone();
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            let (messaging_type, tag_name) = match free_form(&target) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if let Err(e) = check_text_length(target.platform, &text) {
                return Ok(Err(e));
            }
            let payload = json!({ "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name });
            let copy = LocalCopy { kind: MessageKind::Text, text: Some(text), attachments: Vec::new(), reply_to, outbox_kind: "text", payload };
            insert_local(tx, conversation_id, target.key, &id, copy, now)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Queues a photo, video, voice note or file (already copied into the media directory),
/// with an optional caption. WhatsApp carries the caption on images, videos and documents;
/// Messenger and Instagram get it as a second message.
pub async fn enqueue_media(store: &Store, conversation_id: i64, file: LocalFile, caption: Option<String>, reply_to: Option<String>) -> Result<Vec<String>> {
    let caption = caption.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let client_id = hex_id();
    let id = client_id.clone();
    let thumbnail = if file.kind == "image" { crate::services::media::thumbnail_for(&file.path, &file.sha256).await } else { None };
    let now = store.now_ms();
    let caption_id = store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            let (messaging_type, tag_name) = match free_form(&target) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if target.login.as_deref() == Some("instagram") {
                return Ok(Err(OutboxError::Refused(
                    "Instagram accounts connected with Instagram Login can only send text: Meta takes their attachments only as public links. Connect the account through its Facebook Page to send files.".into(),
                )));
            }
            let platform = target.platform.as_str();
            let limit = crate::services::media::send_limit(platform, file.kind);
            if file.size > limit {
                return Ok(Err(OutboxError::Refused(format!(
                    "{} takes files of this kind up to {} MB; this one is {} MB.",
                    platform_label(target.platform),
                    limit >> 20,
                    file.size.div_ceil(1 << 20)
                ))));
            }
            if target.platform == Platform::Instagram && file.kind == "file" && file.mime_type != "application/pdf" {
                return Ok(Err(OutboxError::Refused("Instagram takes only PDF documents.".into())));
            }
            let whatsapp_caption = target.platform == Platform::Whatsapp && file.kind != "audio";
            let (own_caption, separate_caption) = if whatsapp_caption { (caption.clone(), None) } else { (None, caption.clone()) };
            if let Some(c) = &own_caption
                && c.chars().count() > 1024
            {
                return Ok(Err(OutboxError::Refused("A WhatsApp caption can be at most 1,024 characters.".into())));
            }
            if let Some(c) = &separate_caption
                && let Err(e) = check_text_length(target.platform, c)
            {
                return Ok(Err(e));
            }
            let kind = match file.kind {
                "image" => MessageKind::Image,
                "video" => MessageKind::Video,
                "audio" => MessageKind::Audio,
                _ => MessageKind::File,
            };
            let attachment = Attachment {
                kind: AttachmentKind::parse(file.kind),
                mime_type: Some(file.mime_type.clone()),
                filename: Some(file.filename.clone()),
                size_bytes: Some(file.size as i64),
                sha256: Some(file.sha256.clone()),
                local_path: Some(file.path.to_string_lossy().into_owned()),
                thumbnail_path: thumbnail.map(|t| t.to_string_lossy().into_owned()),
                ..Attachment::default()
            };
            let payload = json!({
                "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name,
                "file": { "path": file.path, "mime": file.mime_type, "kind": file.kind, "filename": file.filename },
            });
            let copy = LocalCopy { kind, text: own_caption, attachments: vec![attachment], reply_to: reply_to.clone(), outbox_kind: "media", payload };
            insert_local(tx, conversation_id, target.key.clone(), &id, copy, now)?;
            let Some(text) = separate_caption else { return Ok(Ok(None)) };
            let caption_id = hex_id();
            let payload = json!({ "replyTo": null, "messagingType": messaging_type, "tag": tag_name });
            let copy = LocalCopy { kind: MessageKind::Text, text: Some(text), attachments: Vec::new(), reply_to: None, outbox_kind: "text", payload };
            insert_local(tx, conversation_id, target.key, &caption_id, copy, now)?;
            // The caption follows its picture: sent in creation order, a moment later.
            tx.execute("UPDATE outbox SET created_at = created_at + 1 WHERE client_id = ?1", [&caption_id]).ctx("ordering a caption")?;
            Ok(Ok(Some(caption_id)))
        })
        .await??;
    Ok(std::iter::once(client_id).chain(caption_id).collect())
}

/// Queues an approved WhatsApp template, the only message allowed after the 24 h window.
/// `rendered` is its text with the parameters filled in, for the thread.
pub async fn enqueue_template(store: &Store, conversation_id: i64, template: &Template, parameters: Vec<String>) -> Result<String> {
    if parameters.len() != template.parameters {
        return Err(OutboxError::Refused(format!(
            "The template \"{}\" needs {} value(s); {} were given.",
            template.name,
            template.parameters,
            parameters.len()
        )));
    }
    if let Some(blank) = parameters.iter().position(|p| p.trim().is_empty()) {
        return Err(OutboxError::Refused(format!("Value {} of the template is empty.", blank + 1)));
    }
    let rendered = template.render(&parameters);
    let client_id = hex_id();
    let id = client_id.clone();
    let (name, language) = (template.name.clone(), template.language.clone());
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            if target.platform != Platform::Whatsapp {
                return Ok(Err(OutboxError::Refused("Templates are a WhatsApp feature.".into())));
            }
            let payload = json!({ "template": { "name": name, "language": language, "parameters": parameters } });
            let copy = LocalCopy { kind: MessageKind::Template, text: Some(rendered), attachments: Vec::new(), reply_to: None, outbox_kind: "template", payload };
            insert_local(tx, conversation_id, target.key, &id, copy, now)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Reacts to a message with an emoji (`None` removes the business's reaction). Shown at
/// once; undone if Meta refuses it.
pub async fn enqueue_reaction(store: &Store, conversation_id: i64, message_id: String, emoji: Option<String>) -> Result<String> {
    let emoji = emoji.map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    let client_id = hex_id();
    let id = client_id.clone();
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            if let Err(e) = free_form(&target) {
                return Ok(Err(e));
            }
            let known: Option<String> = tx
                .query_row(
                    "SELECT direction FROM messages WHERE conversation_id = ?1 AND platform_message_id = ?2 AND stub = 0",
                    params![conversation_id, message_id],
                    |r| r.get(0),
                )
                .optional()
                .ctx("finding a message to react to")?;
            if known.is_none() || message_id.starts_with("local:") {
                return Ok(Err(OutboxError::Refused("Only a message that reached Meta can get a reaction.".into())));
            }
            let previous: Option<String> = tx
                .query_row(
                    "SELECT emoji FROM reactions WHERE platform = ?1 AND platform_message_id = ?2 AND actor = 'business'",
                    params![target.platform.as_str(), message_id],
                    |r| r.get(0),
                )
                .optional()
                .ctx("reading a reaction")?
                .flatten();
            apply::apply_events(
                tx,
                &[DomainEvent::Reaction {
                    key: target.key,
                    mid: message_id.clone(),
                    actor: Actor::Business,
                    emoji: emoji.clone(),
                    reaction: emoji.as_deref().map(reaction_name),
                    at: now,
                }],
            )?;
            tx.execute(
                "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
                 VALUES (?1, ?2, 'reaction', ?3, 'queued', ?4, ?4, ?4, 1)",
                params![id, conversation_id, json!({ "messageId": message_id, "emoji": emoji, "previous": previous }).to_string(), now],
            )
            .ctx("queueing a reaction")?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Messenger and Instagram name the heart `love` (their reaction webhooks say so); other
/// emoji are sent as themselves.
fn reaction_name(emoji: &str) -> String {
    match emoji {
        "❤️" | "❤" => "love".into(),
        other => other.to_string(),
    }
}

fn platform_label(p: Platform) -> &'static str {
    match p {
        Platform::Messenger => "Messenger",
        Platform::Instagram => "Instagram",
        Platform::Whatsapp => "WhatsApp",
    }
}

/// Tells the customer their messages were seen (Messenger/Instagram `mark_seen`, WhatsApp
/// `status: read` of the newest inbound message), when there is something unseen and the
/// account is connected. Queued like a message, so it survives a restart; never shown.
pub fn enqueue_seen(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> crate::domain::Result<bool> {
    let row: Option<(Option<String>, String)> = tx
        .query_row(
            "SELECT (SELECT m.platform_message_id FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND m.stub = 0
                     ORDER BY m.sent_at DESC LIMIT 1), a.status
             FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1 AND c.unread_count > 0",
            [conversation_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ctx("finding what to mark seen")?;
    let Some((Some(newest), status)) = row else { return Ok(false) };
    if status != "connected" {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
         VALUES (?1, ?2, 'seen', ?3, 'queued', ?4, ?4, ?4, 1)",
        params![hex_id(), conversation_id, json!({ "messageId": newest }).to_string(), now],
    )
    .ctx("queueing a read receipt")?;
    Ok(true)
}

fn hex_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Pending {
    client_id: String,
    kind: String,
    login: Option<String>,
    conversation_id: i64,
    platform: Platform,
    account_id: i64,
    page: String,
    recipient: String,
    text: String,
    payload: Value,
    attempts: i64,
}

/// Sends every queued row that is due, one at a time. Returns what happened to each.
pub async fn process_due(store: &Store, accounts: &Credentials, graph: &GraphClient) -> Result<Vec<Outcome>> {
    let now = store.now_ms();
    // Unconfirmed rows whose grace ended without an echo go back to the queue once.
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ?1
                 WHERE state = 'retry_after_grace' AND next_attempt_at <= ?1",
                [now],
            )
            .ctx("re-queueing sends")?;
            Ok(())
        })
        .await?;
    let due: Vec<String> = store
        .read(move |c| {
            let mut stmt = c
                .prepare("SELECT client_id FROM outbox WHERE state = 'queued' AND coalesce(next_attempt_at, 0) <= ?1 ORDER BY created_at")
                .ctx("finding due sends")?;
            let rows = stmt.query_map([now], |r| r.get(0)).ctx("finding due sends")?;
            rows.collect::<rusqlite::Result<Vec<String>>>().ctx("finding due sends")
        })
        .await?;
    let mut outcomes = Vec::new();
    for client_id in due {
        if let Some(outcome) = send_one(store, accounts, graph, &client_id).await? {
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// Claims and sends one queued row. `None` when another sender claimed it first.
async fn send_one(store: &Store, accounts: &Credentials, graph: &GraphClient, client_id: &str) -> Result<Option<Outcome>> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let claimed = store
        .write(move |tx| {
            let changed = tx
                .execute("UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE client_id = ?1 AND state = 'queued'", params![id, now])
                .ctx("claiming a send")?;
            if changed == 0 {
                return Ok(None);
            }
            tx.query_row(
                "SELECT o.client_id, o.conversation_id, c.platform, a.id, coalesce(a.parent_asset_id, a.asset_id), coalesce(ct.phone, ct.platform_user_id),
                        o.body, o.payload, o.attempts, o.kind, a.login
                 FROM outbox o JOIN conversations c ON c.id = o.conversation_id JOIN accounts a ON a.id = c.account_id
                 JOIN contacts ct ON ct.id = c.contact_id WHERE o.client_id = ?1",
                [&id],
                |r| {
                    Ok(Pending {
                        client_id: r.get(0)?,
                        conversation_id: r.get(1)?,
                        platform: platform_of(&r.get::<_, String>(2)?),
                        account_id: r.get(3)?,
                        page: r.get(4)?,
                        recipient: r.get(5)?,
                        text: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                        payload: serde_json::from_str(&r.get::<_, Option<String>>(7)?.unwrap_or_default()).unwrap_or(Value::Null),
                        attempts: r.get(8)?,
                        kind: r.get(9)?,
                        login: r.get(10)?,
                    })
                },
            )
            .optional()
            .ctx("reading a send")
        })
        .await?;
    let Some(pending) = claimed else { return Ok(None) };
    let account = accounts.get(pending.account_id).await?;
    let token = match accounts.token(&account).await {
        Ok(token) => token,
        Err(e) => return Ok(Some(fail(store, &pending, None, &format!("{e}. Reconnect the account, then retry.")).await?)),
    };
    if pending.kind == "seen" || pending.kind == "reaction" {
        return Ok(Some(send_action(store, accounts, graph, &pending, &token).await?));
    }
    let host = crate::domain::account::host_of(pending.login.as_deref());
    let result = match build_message(store, graph, host, &pending, &token).await {
        Ok(body) => graph.post_json(host, &format!("{}/messages", pending.page), &token, &body).await.map(|a| match pending.platform {
            Platform::Whatsapp => a.body.pointer("/messages/0/id").and_then(Value::as_str).map(String::from),
            _ => a.body.get("message_id").and_then(Value::as_str).map(String::from),
        }),
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(mid)) => {
            let (id, m) = (pending.client_id.clone(), mid.clone());
            store.write(move |tx| record_sent(tx, &id, &m)).await?;
            tracing::info!(client_id = %pending.client_id, "message sent");
            Ok(Some(Outcome { client_id: pending.client_id, state: "sent".into(), platform_message_id: Some(mid), error: None }))
        }
        Ok(None) => Ok(Some(unconfirmed(store, &pending, "Meta accepted the message without returning its id").await?)),
        Err(e) => Ok(Some(after_error(store, accounts, &pending, e).await?)),
    }
}

/// The request body of a message send (META-API.md §3.3 Messenger/Instagram, §3.4
/// WhatsApp), uploading its file first when it has one and was not uploaded yet.
async fn build_message(store: &Store, graph: &GraphClient, host: Host, pending: &Pending, token: &Secret<String>) -> std::result::Result<Value, GraphError> {
    let reply_to = pending.payload.get("replyTo").and_then(Value::as_str);
    if pending.platform == Platform::Whatsapp {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": pending.recipient,
            "biz_opaque_callback_data": tag(&pending.client_id),
        });
        match pending.kind.as_str() {
            "media" => {
                let media_id = match pending.payload.get("uploadedId").and_then(Value::as_str) {
                    Some(id) => id.to_string(),
                    None => upload(store, graph, host, pending, token).await?,
                };
                let file = &pending.payload["file"];
                let kind = match file["kind"].as_str().unwrap_or("file") {
                    "image" => "image",
                    "video" => "video",
                    "audio" => "audio",
                    _ => "document",
                };
                let mut media = json!({ "id": media_id });
                if !pending.text.is_empty() && kind != "audio" {
                    media["caption"] = json!(pending.text);
                }
                if kind == "document" {
                    media["filename"] = file["filename"].clone();
                }
                body["type"] = json!(kind);
                body[kind] = media;
            }
            "template" => {
                let t = &pending.payload["template"];
                let parameters: Vec<Value> = t["parameters"].as_array().into_iter().flatten().map(|p| json!({ "type": "text", "text": p })).collect();
                let mut template = json!({ "name": t["name"], "language": { "code": t["language"] } });
                if !parameters.is_empty() {
                    template["components"] = json!([{ "type": "body", "parameters": parameters }]);
                }
                body["type"] = json!("template");
                body["template"] = template;
            }
            _ => {
                body["type"] = json!("text");
                body["text"] = json!({ "body": pending.text, "preview_url": false });
            }
        }
        if let Some(reply) = reply_to {
            body["context"] = json!({ "message_id": reply });
        }
        return Ok(body);
    }
    let message = match pending.kind.as_str() {
        "media" => {
            let attachment_id = match pending.payload.get("uploadedId").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => upload(store, graph, host, pending, token).await?,
            };
            let kind = messenger_attachment_type(pending.payload["file"]["kind"].as_str().unwrap_or("file"));
            json!({ "attachment": { "type": kind, "payload": { "attachment_id": attachment_id } }, "metadata": tag(&pending.client_id) })
        }
        _ => json!({ "text": pending.text, "metadata": tag(&pending.client_id) }),
    };
    let mut body = json!({
        "recipient": { "id": pending.recipient },
        "messaging_type": pending.payload.get("messagingType").and_then(Value::as_str).unwrap_or("RESPONSE"),
        "message": message,
    });
    if let Some(t) = pending.payload.get("tag").and_then(Value::as_str) {
        body["tag"] = json!(t);
    }
    if let Some(reply) = reply_to {
        body["reply_to"] = json!({ "mid": reply });
    }
    Ok(body)
}

fn messenger_attachment_type(kind: &str) -> &'static str {
    match kind {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "file",
    }
}

/// Uploads the file of a media send (WhatsApp `POST /{phone-number-id}/media`, Messenger
/// and Instagram `POST /{page-id}/message_attachments` with `filedata`) and keeps the id,
/// so a retry sends the same upload instead of uploading again. A failed upload certainly
/// sent nothing: its errors count as "not sent".
async fn upload(store: &Store, graph: &GraphClient, host: Host, pending: &Pending, token: &Secret<String>) -> std::result::Result<String, GraphError> {
    let file = &pending.payload["file"];
    let path = file["path"].as_str().unwrap_or_default().to_string();
    let mime = file["mime"].as_str().unwrap_or("application/octet-stream").to_string();
    let filename = file["filename"].as_str().unwrap_or("file").to_string();
    let read_path = path.clone();
    let read = tokio::task::spawn_blocking(move || std::fs::read(read_path)).await.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
    let bytes = read.map_err(|e| GraphError {
        kind: ErrorKind::Invalid,
        http_status: 0,
        code: None,
        subcode: None,
        message: format!("the file to send is no longer on this computer ({e}); discard this message and attach it again"),
        usage: Default::default(),
    })?;
    let part = reqwest::multipart::Part::bytes(bytes).file_name(filename).mime_str(&mime).map_err(|e| GraphError::network(e.to_string()))?;
    let not_sent = |mut e: GraphError| {
        if e.kind == ErrorKind::Transient {
            e.kind = ErrorKind::Unreachable;
        }
        e
    };
    let id = if pending.platform == Platform::Whatsapp {
        let form = reqwest::multipart::Form::new().text("messaging_product", "whatsapp").text("type", mime.clone()).part("file", part);
        let answer = graph.post_multipart(host, &format!("{}/media", pending.page), token, form).await.map_err(not_sent)?;
        answer.body.get("id").and_then(Value::as_str).map(String::from)
    } else {
        let kind = messenger_attachment_type(file["kind"].as_str().unwrap_or("file"));
        let message = json!({ "attachment": { "type": kind, "payload": { "is_reusable": true } } });
        let form = reqwest::multipart::Form::new().text("message", message.to_string()).part("filedata", part);
        let answer = graph.post_multipart(host, &format!("{}/message_attachments", pending.page), token, form).await.map_err(not_sent)?;
        answer.body.get("attachment_id").and_then(Value::as_str).map(String::from)
    };
    let Some(id) = id else {
        return Err(GraphError { kind: ErrorKind::Unreachable, http_status: 200, code: None, subcode: None, message: "Meta accepted the upload without an id".into(), usage: Default::default() });
    };
    let (client_id, uploaded) = (pending.client_id.clone(), id.clone());
    let now = store.now_ms();
    let recorded = store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET payload = json_set(payload, '$.uploadedId', ?2), updated_at = ?3 WHERE client_id = ?1",
                params![client_id, uploaded, now],
            )
            .ctx("recording an upload")?;
            // The other computers fetch the same file by this id (WhatsApp keeps uploads 30 days).
            tx.execute(
                "UPDATE attachments SET media_id = ?2 WHERE message_id = (SELECT id FROM messages WHERE platform_message_id = ?1)",
                params![local_mid(&client_id), uploaded],
            )
            .ctx("recording an upload")?;
            Ok(())
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "an upload's id could not be kept; a retry uploads again");
    }
    Ok(id)
}

/// A read receipt or a reaction: never shown as a message, retried only when it certainly
/// did not reach Meta. A refused reaction is taken back in the thread.
async fn send_action(store: &Store, accounts: &Credentials, graph: &GraphClient, pending: &Pending, token: &Secret<String>) -> Result<Outcome> {
    let message_id = pending.payload.get("messageId").and_then(Value::as_str).unwrap_or_default();
    let emoji = pending.payload.get("emoji").and_then(Value::as_str);
    let body = match (pending.kind.as_str(), pending.platform) {
        ("seen", Platform::Whatsapp) => json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id }),
        ("seen", _) => json!({ "recipient": { "id": pending.recipient }, "sender_action": "mark_seen" }),
        // An empty emoji takes a WhatsApp reaction back (WARX).
        (_, Platform::Whatsapp) => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": pending.recipient,
            "type": "reaction", "reaction": { "message_id": message_id, "emoji": emoji.unwrap_or("") },
        }),
        (_, _) => match emoji {
            Some(e) => json!({ "recipient": { "id": pending.recipient }, "sender_action": "react", "payload": { "message_id": message_id, "reaction": reaction_name(e) } }),
            None => json!({ "recipient": { "id": pending.recipient }, "sender_action": "unreact", "payload": { "message_id": message_id } }),
        },
    };
    let host = crate::domain::account::host_of(pending.login.as_deref());
    let result = graph.post_json(host, &format!("{}/messages", pending.page), token, &body).await;
    let (state, error) = match result {
        Ok(_) => ("sent", None),
        Err(e) => {
            accounts.record_error(pending.account_id, &e).await?;
            let retry = matches!(e.kind, ErrorKind::Unreachable | ErrorKind::RateLimited { .. }) && pending.attempts < MAX_ATTEMPTS;
            (if retry { "queued" } else { "failed" }, Some(e.to_string()))
        }
    };
    let (id, next) = (pending.client_id.clone(), store.now_ms() + 5_000 * pending.attempts.max(1));
    let (state_db, error_db) = (state, error.clone());
    let undo = (pending.kind == "reaction" && state == "failed").then(|| {
        let previous = pending.payload.get("previous").and_then(Value::as_str).map(String::from);
        (pending.conversation_id, message_id.to_string(), emoji.map(String::from), previous)
    });
    let now = store.now_ms();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = ?2, error_message = ?3, next_attempt_at = ?4, updated_at = ?5 WHERE client_id = ?1",
                params![id, state_db, error_db, next, now],
            )
            .ctx("recording a sender action")?;
            if let Some((conversation_id, mid, sent, previous)) = undo {
                // Back to what it was, unless the owner changed it again meanwhile.
                tx.execute(
                    "UPDATE reactions SET emoji = ?2, reaction = NULL WHERE platform_message_id = ?1 AND actor = 'business' AND emoji IS ?3",
                    params![mid, previous, sent],
                )
                .ctx("taking a reaction back")?;
                apply::log_changes(tx, &[conversation_id], "outbox", now)?;
            }
            Ok(())
        })
        .await?;
    Ok(Outcome { client_id: pending.client_id.clone(), state: state.into(), platform_message_id: None, error })
}

async fn after_error(store: &Store, accounts: &Credentials, pending: &Pending, e: GraphError) -> Result<Outcome> {
    accounts.record_error(pending.account_id, &e).await?;
    let code = e.code;
    match &e.kind {
        ErrorKind::Unreachable | ErrorKind::RateLimited { .. } if pending.attempts < MAX_ATTEMPTS => {
            // Certainly not sent: try again later.
            let wait = match &e.kind {
                ErrorKind::RateLimited { retry_after } => retry_after.unwrap_or(Duration::from_secs(60)),
                _ => Duration::from_secs(2u64.pow(pending.attempts.clamp(1, 8) as u32)),
            };
            let (id, at) = (pending.client_id.clone(), store.now_ms() + wait.as_millis() as i64);
            let now = store.now_ms();
            store
                .write(move |tx| {
                    tx.execute("UPDATE outbox SET state = 'queued', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1", params![id, at, now])
                        .ctx("re-queueing a send")?;
                    Ok(())
                })
                .await?;
            Ok(Outcome { client_id: pending.client_id.clone(), state: "queued".into(), platform_message_id: None, error: Some(e.to_string()) })
        }
        ErrorKind::Transient if pending.attempts < 2 => unconfirmed(store, pending, &e.message).await,
        ErrorKind::WindowClosed => {
            let next = match pending.platform {
                Platform::Whatsapp => "More than 24 hours have passed: send an approved template instead.",
                _ => "The reply window has closed for this conversation.",
            };
            fail(store, pending, code, next).await
        }
        ErrorKind::Undeliverable => fail(store, pending, code, "This person cannot receive messages from this account right now.").await,
        ErrorKind::TokenInvalid { .. } => fail(store, pending, code, "Meta no longer accepts this account's access: reconnect it, then retry.").await,
        _ => fail(store, pending, code, &format!("Meta refused the message: {}", e.message)).await,
    }
}

/// Maybe delivered: wait for the echo, then (only for an error answer, not a crash)
/// send once more.
async fn unconfirmed(store: &Store, pending: &Pending, why: &str) -> Result<Outcome> {
    let (id, at) = (pending.client_id.clone(), store.now_ms() + ECHO_GRACE.as_millis() as i64);
    let now = store.now_ms();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'retry_after_grace', next_attempt_at = ?2, updated_at = ?3 WHERE client_id = ?1 AND state = 'sending'",
                params![id, at, now],
            )
            .ctx("waiting for an echo")?;
            Ok(())
        })
        .await?;
    tracing::warn!(client_id = %pending.client_id, %why, "send may have reached Meta; waiting for its echo before retrying");
    Ok(Outcome { client_id: pending.client_id.clone(), state: "unconfirmed".into(), platform_message_id: None, error: Some(why.to_string()) })
}

async fn fail(store: &Store, pending: &Pending, code: Option<i64>, reason: &str) -> Result<Outcome> {
    let (id, conversation_id, reason_text) = (pending.client_id.clone(), pending.conversation_id, reason.to_string());
    let now = store.now_ms();
    store.write(move |tx| mark_failed(tx, &id, conversation_id, code, &reason_text, now)).await?;
    tracing::warn!(client_id = %pending.client_id, code = ?code, "send failed");
    Ok(Outcome { client_id: pending.client_id.clone(), state: "failed".into(), platform_message_id: None, error: Some(reason.to_string()) })
}

fn mark_failed(tx: &Transaction<'_>, client_id: &str, conversation_id: i64, code: Option<i64>, reason: &str, now: i64) -> crate::domain::Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'failed', error_code = ?2, error_message = ?3, updated_at = ?4 WHERE client_id = ?1",
        params![client_id, code, reason, now],
    )
    .ctx("recording a failed send")?;
    tx.execute(
        "UPDATE messages SET status = ?2, status_at = ?3, failure_code = ?4, failure_reason = ?5 WHERE platform_message_id = ?1",
        params![local_mid(client_id), DeliveryStatus::Failed.rank(), now, code, reason],
    )
    .ctx("marking a message failed")?;
    apply::log_changes(tx, &[conversation_id], "outbox", now)
}

/// Meta accepted `client_id` as `mid`: the local row takes the real id (or gives way to
/// the echo that got here first).
/// At start: rows a crash left in `sending` may or may not have reached Meta. Settle them
/// from echoes already stored; the rest become `unconfirmed` and are never re-sent
/// without the owner.
pub async fn recover_after_crash(store: &Store) -> Result<usize> {
    let now = store.now_ms();
    Ok(store
        .write(move |tx| {
            reconcile(tx)?;
            let stuck: Vec<(String, i64)> = {
                let mut stmt = tx.prepare("SELECT client_id, conversation_id FROM outbox WHERE state = 'sending'").ctx("finding interrupted sends")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ctx("finding interrupted sends")?;
                rows.collect::<rusqlite::Result<_>>().ctx("finding interrupted sends")?
            };
            for (client_id, conversation_id) in &stuck {
                tx.execute("UPDATE outbox SET state = 'unconfirmed', updated_at = ?2 WHERE client_id = ?1", params![client_id, now])
                    .ctx("marking a send unconfirmed")?;
                tx.execute(
                    "UPDATE messages SET failure_reason = ?2 WHERE platform_message_id = ?1",
                    params![
                        local_mid(client_id),
                        "CAHTS stopped while sending this message and cannot tell yet whether it arrived. It will update when Meta confirms it; check the conversation on your phone before sending it again."
                    ],
                )
                .ctx("explaining an unconfirmed send")?;
                apply::log_changes(tx, &[*conversation_id], "outbox", now)?;
            }
            Ok(stuck.len())
        })
        .await?)
}

/// The owner chose to send a failed or unconfirmed message again.
pub async fn retry(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let changed = store
        .write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, attempts = 0, updated_at = ?2
                     WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')",
                    params![id, now],
                )
                .ctx("retrying a send")?;
            tx.execute(
                "UPDATE messages SET status = ?2, failure_code = NULL, failure_reason = NULL WHERE platform_message_id = ?1",
                params![local_mid(&id), DeliveryStatus::Pending.rank()],
            )
            .ctx("retrying a send")?;
            Ok(changed)
        })
        .await?;
    if changed == 0 {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be sent again".into()));
    }
    Ok(())
}

/// The owner gave up on a failed or unconfirmed message: it disappears.
pub async fn discard(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    let now = store.now_ms();
    let changed = store
        .write(move |tx| {
            let conversation: Option<i64> = tx
                .query_row("SELECT conversation_id FROM outbox WHERE client_id = ?1 AND state IN ('failed', 'unconfirmed')", [&id], |r| r.get(0))
                .optional()
                .ctx("discarding a send")?;
            let Some(conversation_id) = conversation else { return Ok(0) };
            tx.execute("DELETE FROM outbox WHERE client_id = ?1", [&id]).ctx("discarding a send")?;
            tx.execute("DELETE FROM messages WHERE platform_message_id = ?1", [local_mid(&id)]).ctx("discarding a send")?;
            apply::refresh_summary(tx, conversation_id)?;
            apply::log_changes(tx, &[conversation_id], "outbox", now)?;
            Ok(1)
        })
        .await?;
    if changed == 0 {
        return Err(OutboxError::Refused("only a failed or unconfirmed message can be discarded".into()));
    }
    Ok(())
}

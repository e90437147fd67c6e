//! The outbox's queueing writes: what a send needs to know about its conversation, the
//! local copy shown in the thread while a message is on its way, and the outbox rows of
//! messages, reactions and read receipts. The checks that decide whether something may be
//! queued live with the outbox service; these only read and write.

use rusqlite::{OptionalExtension as _, Transaction, params};
use serde_json::Value;

use super::apply;
use super::outbox::{local_mid, platform_of, tag};
use crate::domain::Result;
use crate::domain::account::{AccountStatus, Login};
use crate::domain::error::SqlContext as _;
use crate::domain::events::{
    Actor, Attachment, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras, MessageKind, NewMessage,
    Platform, ReplyTo,
};

/// Where a reply goes, read in the transaction that queues it.
#[derive(Debug, Clone)]
pub struct SendTarget {
    pub platform: Platform,
    pub key: ConversationKey,
    /// The start of the reply window.
    pub last_inbound_at: Option<i64>,
    pub login: Option<Login>,
}

pub fn send_target(tx: &Transaction<'_>, conversation_id: i64) -> Result<Option<SendTarget>> {
    tx.query_row(
        "SELECT c.platform, a.asset_id, ct.platform_user_id, c.last_inbound_at, a.login
         FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.id = ?1",
        [conversation_id],
        |r| {
            let platform = platform_of(&r.get::<_, String>(0)?);
            Ok(SendTarget {
                platform,
                key: ConversationKey { platform, account_id: r.get(1)?, contact_id: r.get(2)? },
                last_inbound_at: r.get(3)?,
                login: r.get(4)?,
            })
        },
    )
    .optional()
    .ctx("reading a conversation")
}

/// A message as it shows in the thread while it is on its way, and its outbox row.
#[derive(Debug, Clone)]
pub struct LocalCopy {
    pub kind: MessageKind,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    pub reply_to: Option<String>,
    /// `text`, `media`, `template`.
    pub outbox_kind: &'static str,
    pub payload: Value,
}

/// Writes the local copy (shown as pending) and its queued outbox row. `order` breaks ties
/// between rows queued together: a caption is sent after its picture.
pub fn insert_local(
    tx: &Transaction<'_>,
    conversation_id: i64,
    key: ConversationKey,
    client_id: &str,
    copy: LocalCopy,
    order: i64,
    now: i64,
) -> Result<()> {
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
        now,
    )?;
    // Shown as pending until Meta accepts it (apply marks outbound history as sent).
    tx.execute(
        "UPDATE messages SET status = ?2, status_at = NULL WHERE platform_message_id = ?1",
        params![mid, DeliveryStatus::Pending.rank()],
    )
    .ctx("marking a message pending")?;
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, body, payload, state, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?6)",
        params![client_id, conversation_id, copy.outbox_kind, copy.text, copy.payload.to_string(), now, now + order],
    )
    .ctx("queueing a message")?;
    Ok(())
}

/// Whether `message_id` is a message of this conversation that reached Meta.
pub fn is_reactable(tx: &Transaction<'_>, conversation_id: i64, message_id: &str) -> Result<bool> {
    if message_id.starts_with("local:") {
        return Ok(false);
    }
    let found = tx
        .query_row(
            "SELECT 1 FROM messages WHERE conversation_id = ?1 AND platform_message_id = ?2 AND stub = 0",
            params![conversation_id, message_id],
            |_| Ok(()),
        )
        .optional()
        .ctx("finding a message to react to")?;
    Ok(found.is_some())
}

/// The business's reaction to one message: `emoji` `None` takes it back; `name` is the
/// platform's word for it where it has one (Messenger's `love`).
#[derive(Debug, Clone)]
pub struct BusinessReaction {
    pub message_id: String,
    pub emoji: Option<String>,
    pub name: Option<String>,
}

/// Shows the business's reaction at once and queues it; the payload keeps the reaction it
/// replaces, so a refusal can put it back.
pub fn queue_reaction(
    tx: &Transaction<'_>,
    conversation_id: i64,
    key: ConversationKey,
    client_id: &str,
    reaction: BusinessReaction,
    now: i64,
) -> Result<()> {
    let BusinessReaction { message_id, emoji, name } = reaction;
    let previous: Option<String> = tx
        .query_row(
            "SELECT emoji FROM reactions WHERE platform = ?1 AND platform_message_id = ?2 AND actor = 'business'",
            params![key.platform.as_str(), message_id],
            |r| r.get(0),
        )
        .optional()
        .ctx("reading a reaction")?
        .flatten();
    apply::apply_events(
        tx,
        &[DomainEvent::Reaction {
            key,
            mid: message_id.clone(),
            actor: Actor::Business,
            emoji: emoji.clone(),
            reaction: name,
            at: now,
        }],
        now,
    )?;
    let payload = serde_json::json!({ "messageId": message_id, "emoji": emoji, "previous": previous });
    insert_action(tx, client_id, conversation_id, "reaction", &payload, now).ctx("queueing a reaction")?;
    Ok(())
}

/// The newest inbound message to mark seen: only when something is unread and the account
/// is connected.
pub fn seen_target(tx: &Transaction<'_>, conversation_id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>, AccountStatus)> = tx
        .query_row(
            "SELECT (SELECT m.platform_message_id FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND m.stub = 0
                     ORDER BY m.sent_at DESC LIMIT 1), a.status
             FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1 AND c.unread_count > 0",
            [conversation_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ctx("finding what to mark seen")?;
    Ok(match row {
        Some((Some(newest), AccountStatus::Connected)) => Some(newest),
        _ => None,
    })
}

/// Queues a read receipt for `message_id`. Never shown, so never published to other devices.
pub fn queue_seen(
    tx: &Transaction<'_>,
    client_id: &str,
    conversation_id: i64,
    message_id: &str,
    now: i64,
) -> Result<()> {
    let payload = serde_json::json!({ "messageId": message_id });
    insert_action(tx, client_id, conversation_id, "seen", &payload, now).ctx("queueing a read receipt")?;
    Ok(())
}

/// An action row (reaction, read receipt): nothing to publish, sent like a message.
fn insert_action(
    tx: &Transaction<'_>,
    client_id: &str,
    conversation_id: i64,
    kind: &str,
    payload: &Value,
    now: i64,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5, ?5, 1)",
        params![client_id, conversation_id, kind, payload.to_string(), now],
    )
}

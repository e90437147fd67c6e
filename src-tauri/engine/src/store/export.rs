//! The store as one JSON document: backup, moving to a new computer, inspection.
//!
//! The document names things by their platform ids, never by this store's row ids, so it
//! can be imported into any store: into an empty one it restores exactly (exporting again
//! gives the same document), into a populated one it merges with the same rules as live
//! events (status never moves backwards, later edits win, unsends stick).
//!
//! Format (`format: "cahts-export"`, `version: 1`), field names are stable:
//! - `accounts[]`: `platform`, `assetId`, `displayName`, `status`
//! - `contacts[]`: `platform`, `platformUserId`, `name`, `handle`, `phone`, `avatarUrl`
//! - `conversations[]`: `platform`, `accountAssetId`, `contactPlatformUserId`, `state`,
//!   `markedUnread`, `readUpTo`, `deliveredWatermark`, `readWatermark`, and `messages[]`:
//!   `mid`, `direction`, `kind`, `originalText`, `text` (as shown: latest edit, null once
//!   unsent), `editCount`, `deletedAt`, `sentAt`, `replyToMid`, `replyToStoryUrl`,
//!   `replyToStoryId`, `extras`, `status`, `statusAt`, `failureCode`, `failureReason`,
//!   `placeholder` (only later events seen so far), `attachments[]` (the `Attachment` shape)
//! - `reactions[]`: `platform`, `mid`, `actor`, `emoji` (null: removed), `reaction`, `reactedAt`
//!
//! Times are Unix milliseconds. Unread counts, last message and reply-window times are
//! derived from the messages and not exported. Tokens are never in the store, so never here.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::domain::error::{Error, Result, SqlContext};
use crate::domain::events::{Attachment, DeliveryStatus, MessageExtras};
use crate::store::apply::{insert_attachment, log_everything, refresh_summary};
use crate::store::thread_page::{ATTACHMENT_COLUMNS, stored_attachment};

pub const FORMAT: &str = "cahts-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportDocument {
    pub format: String,
    pub version: u32,
    pub accounts: Vec<ExportAccount>,
    pub contacts: Vec<ExportContact>,
    pub conversations: Vec<ExportConversation>,
    pub reactions: Vec<ExportReaction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportAccount {
    pub platform: String,
    pub asset_id: String,
    pub display_name: Option<String>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportContact {
    pub platform: String,
    pub platform_user_id: String,
    pub name: Option<String>,
    pub handle: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportConversation {
    pub platform: String,
    pub account_asset_id: String,
    pub contact_platform_user_id: String,
    pub state: String,
    /// When the owner marked it done (its resolution time in reports); absent in
    /// documents written before reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<i64>,
    pub marked_unread: bool,
    pub read_up_to: i64,
    pub delivered_watermark: i64,
    pub read_watermark: i64,
    pub messages: Vec<ExportMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportMessage {
    pub mid: String,
    pub direction: String,
    pub kind: String,
    pub original_text: Option<String>,
    pub text: Option<String>,
    pub edit_count: i64,
    pub deleted_at: Option<i64>,
    pub sent_at: i64,
    pub reply_to_mid: Option<String>,
    pub reply_to_story_url: Option<String>,
    pub reply_to_story_id: Option<String>,
    #[serde(default, skip_serializing_if = "MessageExtras::is_empty")]
    pub extras: MessageExtras,
    pub status: Option<DeliveryStatus>,
    pub status_at: Option<i64>,
    pub failure_code: Option<i64>,
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub placeholder: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportReaction {
    pub platform: String,
    pub mid: String,
    pub actor: String,
    pub emoji: Option<String>,
    pub reaction: Option<String>,
    pub reacted_at: i64,
}

/// Reads the whole store. Runs in one read transaction, so the document is a consistent
/// snapshot even while the writer keeps going.
pub fn export(conn: &Connection) -> Result<ExportDocument> {
    let tx = conn.unchecked_transaction().ctx("starting the export snapshot")?;
    Ok(ExportDocument {
        format: FORMAT.into(),
        version: VERSION,
        accounts: exported_accounts(&tx)?,
        contacts: exported_contacts(&tx)?,
        conversations: exported_conversations(&tx)?,
        reactions: exported_reactions(&tx)?,
    })
}

fn exported_accounts(tx: &Connection) -> Result<Vec<ExportAccount>> {
    collect(tx, "SELECT platform, asset_id, display_name, status FROM accounts ORDER BY platform, asset_id", |r| {
        Ok(ExportAccount { platform: r.get(0)?, asset_id: r.get(1)?, display_name: r.get(2)?, status: r.get(3)? })
    })
}

fn exported_contacts(tx: &Connection) -> Result<Vec<ExportContact>> {
    collect(
        tx,
        "SELECT platform, platform_user_id, name, handle, phone, avatar_url FROM contacts ORDER BY platform, platform_user_id",
        |r| {
            Ok(ExportContact {
                platform: r.get(0)?,
                platform_user_id: r.get(1)?,
                name: r.get(2)?,
                handle: r.get(3)?,
                phone: r.get(4)?,
                avatar_url: r.get(5)?,
            })
        },
    )
}

/// Conversations in a stable order, each with its messages (oldest first) and their
/// attachments.
fn exported_conversations(tx: &Connection) -> Result<Vec<ExportConversation>> {
    let mut conversations: Vec<(i64, ExportConversation)> = collect(
        tx,
        "SELECT c.id, c.platform, a.asset_id, ct.platform_user_id, c.state, c.marked_unread, c.read_up_to,
                c.delivered_watermark, c.read_watermark, c.done_at
         FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
         ORDER BY c.platform, a.asset_id, ct.platform_user_id",
        |r| {
            Ok((
                r.get(0)?,
                ExportConversation {
                    platform: r.get(1)?,
                    account_asset_id: r.get(2)?,
                    contact_platform_user_id: r.get(3)?,
                    state: r.get(4)?,
                    marked_unread: r.get(5)?,
                    read_up_to: r.get(6)?,
                    delivered_watermark: r.get(7)?,
                    read_watermark: r.get(8)?,
                    done_at: r.get(9)?,
                    messages: Vec::new(),
                },
            ))
        },
    )?;
    let mut attachments = exported_attachments(tx)?;
    let index: HashMap<i64, usize> = conversations.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let messages = exported_messages(tx)?;
    for (id, conversation_id, mut message) in messages {
        message.attachments = attachments.remove(&id).unwrap_or_default();
        if let Some(i) = index.get(&conversation_id) {
            conversations[*i].1.messages.push(message);
        }
    }
    Ok(conversations.into_iter().map(|(_, c)| c).collect())
}

/// Every message with its row id and its conversation's, in the export's order.
fn exported_messages(tx: &Connection) -> Result<Vec<(i64, i64, ExportMessage)>> {
    collect(
        tx,
        "SELECT id, conversation_id, platform_message_id, direction, kind, original_text, body, edit_count, deleted_at,
                sent_at, reply_to_mid, reply_to_story_url, reply_to_story_id, extras, status, status_at,
                failure_code, failure_reason, stub
         FROM messages ORDER BY conversation_id, sent_at, platform_message_id",
        |r| {
            let extras: Option<String> = r.get(13)?;
            let status: i64 = r.get(14)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                ExportMessage {
                    mid: r.get(2)?,
                    direction: r.get(3)?,
                    kind: r.get(4)?,
                    original_text: r.get(5)?,
                    text: r.get(6)?,
                    edit_count: r.get(7)?,
                    deleted_at: r.get(8)?,
                    sent_at: r.get(9)?,
                    reply_to_mid: r.get(10)?,
                    reply_to_story_url: r.get(11)?,
                    reply_to_story_id: r.get(12)?,
                    extras: extras.and_then(|e| serde_json::from_str(&e).ok()).unwrap_or_default(),
                    status: (status > 0).then(|| DeliveryStatus::from_rank(status)).flatten(),
                    status_at: r.get(15)?,
                    failure_code: r.get(16)?,
                    failure_reason: r.get(17)?,
                    placeholder: r.get(18)?,
                    attachments: Vec::new(),
                },
            ))
        },
    )
}

/// Every attachment by its message's row id, in position order.
fn exported_attachments(tx: &Connection) -> Result<HashMap<i64, Vec<Attachment>>> {
    let mut attachments: HashMap<i64, Vec<Attachment>> = HashMap::new();
    let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments ORDER BY message_id, position");
    for (message_id, a) in collect(tx, &sql, stored_attachment)? {
        attachments.entry(message_id).or_default().push(a);
    }
    Ok(attachments)
}

fn exported_reactions(tx: &Connection) -> Result<Vec<ExportReaction>> {
    collect(
        tx,
        "SELECT platform, platform_message_id, actor, emoji, reaction, reacted_at FROM reactions
         ORDER BY platform, platform_message_id, actor",
        |r| {
            Ok(ExportReaction {
                platform: r.get(0)?,
                mid: r.get(1)?,
                actor: r.get(2)?,
                emoji: r.get(3)?,
                reaction: r.get(4)?,
                reacted_at: r.get(5)?,
            })
        },
    )
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    conn.prepare(sql).and_then(|mut s| s.query_map([], f)?.collect()).ctx("reading the store for export")
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub conversations: usize,
    pub messages: usize,
    pub reactions: usize,
}

/// Checks a document before anything is written, so a bad file changes nothing.
pub fn validate(doc: &ExportDocument) -> Result<()> {
    if doc.format != FORMAT {
        return Err(Error::Invalid(format!("not a CAHTS export: format is {:?}, expected {FORMAT:?}", doc.format)));
    }
    if doc.version != VERSION {
        return Err(Error::Invalid(format!(
            "export version {} is not supported by this build (it reads version {VERSION})",
            doc.version
        )));
    }
    let platform_ok = |p: &str| crate::domain::events::Platform::parse(p).is_some();
    for a in &doc.accounts {
        if !platform_ok(&a.platform) {
            return Err(Error::Invalid(format!("account {}: unknown platform {:?}", a.asset_id, a.platform)));
        }
    }
    for c in &doc.conversations {
        if !platform_ok(&c.platform) {
            return Err(Error::Invalid(format!(
                "conversation with {}: unknown platform {:?}",
                c.contact_platform_user_id, c.platform
            )));
        }
        if crate::domain::views::ConversationState::parse(&c.state).is_none() {
            return Err(Error::Invalid(format!(
                "conversation with {}: unknown state {:?}",
                c.contact_platform_user_id, c.state
            )));
        }
        for m in &c.messages {
            if m.direction != "inbound" && m.direction != "outbound" {
                return Err(Error::Invalid(format!("message {}: direction must be inbound or outbound", m.mid)));
            }
            if crate::domain::events::MessageKind::parse(&m.kind).is_none() {
                return Err(Error::Invalid(format!("message {}: unknown kind {:?}", m.mid, m.kind)));
            }
        }
    }
    for r in &doc.reactions {
        if r.actor != "contact" && r.actor != "business" {
            return Err(Error::Invalid(format!("reaction on {}: actor must be contact or business", r.mid)));
        }
    }
    Ok(())
}

/// Restores or merges `doc` into the store, in the caller's transaction.
pub fn import(tx: &Transaction<'_>, doc: &ExportDocument, now: i64) -> Result<ImportReport> {
    validate(doc)?;
    let accounts = import_accounts(tx, &doc.accounts, now)?;
    let contacts = import_contacts(tx, &doc.contacts, now)?;
    let mut report = ImportReport::default();
    for c in &doc.conversations {
        import_conversation(tx, c, &accounts, &contacts, now)?;
        report.conversations += 1;
        report.messages += c.messages.len();
    }
    for r in &doc.reactions {
        import_reaction(tx, r)?;
        report.reactions += 1;
    }
    // Imported rows may add or change text anywhere: rebuild the search index from the
    // messages table (linear, and exact whatever was there before).
    tx.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')", [])
        .ctx("rebuilding the search index after import")?;
    // Report figures too: imported rows did not pass through apply.
    tx.execute_batch(crate::store::report_figures::FROM_HISTORY_SQL).ctx("recomputing report figures after import")?;
    tx.execute_batch(crate::store::report_figures::LATE_FROM_HISTORY_SQL)
        .ctx("recomputing late replies after import")?;
    log_everything(tx, "import", now)?;
    Ok(report)
}

/// Row ids by (platform, platform id), for the conversations that name them.
type Ids = HashMap<(String, String), i64>;

fn import_accounts(tx: &Transaction<'_>, accounts_in: &[ExportAccount], now: i64) -> Result<Ids> {
    let mut accounts: HashMap<(String, String), i64> = HashMap::new();
    for a in accounts_in {
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO accounts (platform, asset_id, display_name, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (platform, asset_id) DO UPDATE SET
                     display_name = COALESCE(accounts.display_name, excluded.display_name),
                     status = CASE WHEN accounts.status = 'unverified' THEN excluded.status ELSE accounts.status END
                 RETURNING id",
            )
            .and_then(|mut s| s.query_row(params![a.platform, a.asset_id, a.display_name, a.status, now], |r| r.get(0)))
            .ctx("importing an account")?;
        accounts.insert((a.platform.clone(), a.asset_id.clone()), id);
    }
    Ok(accounts)
}

fn import_contacts(tx: &Transaction<'_>, contacts_in: &[ExportContact], now: i64) -> Result<Ids> {
    let mut contacts: HashMap<(String, String), i64> = HashMap::new();
    for c in contacts_in {
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO contacts (platform, platform_user_id, name, handle, phone, avatar_url, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (platform, platform_user_id) DO UPDATE SET
                     name = COALESCE(contacts.name, excluded.name), handle = COALESCE(contacts.handle, excluded.handle),
                     phone = COALESCE(contacts.phone, excluded.phone),
                     avatar_url = COALESCE(contacts.avatar_url, excluded.avatar_url)
                 RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![c.platform, c.platform_user_id, c.name, c.handle, c.phone, c.avatar_url, now],
                    |r| r.get(0),
                )
            })
            .ctx("importing a contact")?;
        contacts.insert((c.platform.clone(), c.platform_user_id.clone()), id);
    }
    Ok(contacts)
}

/// One conversation and its messages; its summary is recomputed from what it now holds.
fn import_conversation(
    tx: &Transaction<'_>,
    c: &ExportConversation,
    accounts: &Ids,
    contacts: &Ids,
    now: i64,
) -> Result<()> {
    let account = *accounts.get(&(c.platform.clone(), c.account_asset_id.clone())).ok_or_else(|| {
        Error::Invalid(format!("conversation refers to account {} missing from accounts[]", c.account_asset_id))
    })?;
    let contact = *contacts.get(&(c.platform.clone(), c.contact_platform_user_id.clone())).ok_or_else(|| {
        Error::Invalid(format!("conversation refers to contact {} missing from contacts[]", c.contact_platform_user_id))
    })?;
    let conversation_id: i64 = tx
        .prepare_cached(
            "INSERT INTO conversations (account_id, contact_id, platform, state, marked_unread, read_up_to,
                 delivered_watermark, read_watermark, created_at, done_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (account_id, contact_id) DO UPDATE SET
                 marked_unread = MAX(conversations.marked_unread, excluded.marked_unread),
                 read_up_to = MAX(conversations.read_up_to, excluded.read_up_to),
                 delivered_watermark = MAX(conversations.delivered_watermark, excluded.delivered_watermark),
                 read_watermark = MAX(conversations.read_watermark, excluded.read_watermark)
             RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    account,
                    contact,
                    c.platform,
                    c.state,
                    c.marked_unread,
                    c.read_up_to,
                    c.delivered_watermark,
                    c.read_watermark,
                    now,
                    c.done_at
                ],
                |r| r.get(0),
            )
        })
        .ctx("importing a conversation")?;
    for m in &c.messages {
        import_message(tx, conversation_id, &c.platform, m)?;
    }
    refresh_summary(tx, conversation_id)?;
    Ok(())
}

/// A reaction: the later one wins, and a removal wins a tie.
fn import_reaction(tx: &Transaction<'_>, r: &ExportReaction) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO reactions (platform, platform_message_id, actor, emoji, reaction, reacted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (platform, platform_message_id, actor) DO UPDATE SET
             emoji = excluded.emoji, reaction = excluded.reaction, reacted_at = excluded.reacted_at
         WHERE excluded.reacted_at > reactions.reacted_at
            OR (excluded.reacted_at = reactions.reacted_at AND excluded.emoji IS NULL AND reactions.emoji IS NOT NULL)",
    )
    .and_then(|mut s| s.execute(params![r.platform, r.mid, r.actor, r.emoji, r.reaction, r.reacted_at]))
    .ctx("importing a reaction")?;
    Ok(())
}

fn import_message(tx: &Transaction<'_>, conversation_id: i64, platform: &str, m: &ExportMessage) -> Result<()> {
    let extras = if m.extras.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&m.extras)
                .map_err(|source| Error::Json { context: "encoding message extras".into(), source })?,
        )
    };
    // Merge rules as for live events: a complete message replaces a placeholder; status
    // only rises; the edit with the higher count wins; an unsend sticks.
    let message_id: i64 = tx
        .prepare_cached(
            "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind, original_text, body,
                 edit_count, deleted_at, sent_at, reply_to_mid, reply_to_story_url, reply_to_story_id, extras, status,
                 status_at, failure_code, failure_reason, stub)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
             ON CONFLICT (platform, platform_message_id) DO UPDATE SET
                 direction = CASE WHEN messages.stub = 1 AND excluded.stub = 0 THEN excluded.direction ELSE messages.direction END,
                 kind = CASE WHEN messages.stub = 1 AND excluded.stub = 0 THEN excluded.kind ELSE messages.kind END,
                 original_text = CASE WHEN messages.stub = 1 AND excluded.stub = 0 THEN excluded.original_text ELSE messages.original_text END,
                 sent_at = CASE WHEN messages.stub = 1 AND excluded.stub = 0 THEN excluded.sent_at ELSE messages.sent_at END,
                 reply_to_mid = COALESCE(messages.reply_to_mid, excluded.reply_to_mid),
                 reply_to_story_url = COALESCE(messages.reply_to_story_url, excluded.reply_to_story_url),
                 reply_to_story_id = COALESCE(messages.reply_to_story_id, excluded.reply_to_story_id),
                 extras = COALESCE(messages.extras, excluded.extras),
                 deleted_at = CASE WHEN messages.deleted_at IS NULL THEN excluded.deleted_at
                                   WHEN excluded.deleted_at IS NULL THEN messages.deleted_at
                                   ELSE MIN(messages.deleted_at, excluded.deleted_at) END,
                 body = CASE WHEN messages.deleted_at IS NOT NULL OR excluded.deleted_at IS NOT NULL THEN NULL
                             WHEN excluded.edit_count > messages.edit_count THEN excluded.body
                             WHEN messages.stub = 1 AND excluded.stub = 0 AND messages.edit_count = 0 THEN excluded.body
                             ELSE messages.body END,
                 edit_count = MAX(messages.edit_count, excluded.edit_count),
                 status_at = CASE WHEN excluded.status > messages.status THEN excluded.status_at ELSE messages.status_at END,
                 failure_code = CASE WHEN excluded.status > messages.status THEN excluded.failure_code ELSE messages.failure_code END,
                 failure_reason = CASE WHEN excluded.status > messages.status THEN excluded.failure_reason ELSE messages.failure_reason END,
                 status = MAX(messages.status, excluded.status),
                 stub = MIN(messages.stub, excluded.stub)
             RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    conversation_id,
                    platform,
                    m.mid,
                    m.direction,
                    m.kind,
                    m.original_text,
                    m.text,
                    m.edit_count,
                    m.deleted_at,
                    m.sent_at,
                    m.reply_to_mid,
                    m.reply_to_story_url,
                    m.reply_to_story_id,
                    extras,
                    m.status.map_or(0, DeliveryStatus::rank),
                    m.status_at,
                    m.failure_code,
                    m.failure_reason,
                    m.placeholder,
                ],
                |r| r.get(0),
            )
        })
        .ctx("importing a message")?;
    for (position, a) in m.attachments.iter().enumerate() {
        insert_attachment(tx, message_id, position, a)?;
    }
    Ok(())
}

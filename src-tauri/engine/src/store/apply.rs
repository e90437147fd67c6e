//! Applying domain events to the store, in one transaction per batch.
//!
//! Two promises, both tested: applying the same batch twice changes nothing, and events
//! arriving in any order end in the same state. How each kind keeps them:
//! - Messages are keyed by (platform, platform message id). A message already stored is
//!   left alone; one known only from later events (a *stub*) is completed.
//! - Status is an integer rank raised with MAX(), so it never moves backwards.
//! - Edits win by edit count; an unsend wins over any edit.
//! - Reactions are keyed by (message, actor); the latest by time wins, removal on ties.
//! - Messenger watermarks are kept on the conversation, so an outbound message that
//!   arrives after its watermark still gets the right status.
//! - Unread counts only count inbound messages newer than what the business has read,
//!   and only when the message row is new.
//!
//! Conversation summaries (last message, unread count, reply window) are folded per
//! batch in memory and written once per conversation, and the search index receives the
//! batch's new text in one statement at the end (see the migration for why); both keep
//! bulk ingest fast.
//!
//! Search index invariant: every message row is in `messages_fts` with its current
//! `body` (NULL included) unless it is in this batch's `unindexed` set. Before a row's body changes, it is
//! removed from the index (with the exact text it was indexed with) and added to the set;
//! at the end of the batch every row in the set is indexed with its final body.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, params};

use crate::domain::error::{Result, SqlContext};
use crate::domain::events::*;
use crate::store::report_figures::BatchFigures;

/// What a batch did, for logs, the CLI and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// Messages stored for the first time (including stubs completed).
    pub messages_added: usize,
    /// Events that changed nothing because they had been applied before.
    pub duplicates: usize,
    /// Conversations whose visible state may have changed.
    pub conversations_touched: Vec<i64>,
}

#[derive(Clone, Copy)]
struct ConversationRow {
    id: i64,
    read_up_to: i64,
    delivered_watermark: i64,
    read_watermark: i64,
}

/// Summary changes of one conversation, folded over a batch.
#[derive(Default)]
struct SummaryDelta {
    /// Newest message seen in this batch: (sent_at, platform message id, row id).
    newest: Option<(i64, String, i64)>,
    unread_added: i64,
    newest_inbound: Option<i64>,
}

/// Applies `events` inside `tx`; `now` stamps what is created and logged. The caller commits.
pub fn apply_events(tx: &Transaction<'_>, events: &[DomainEvent], now: i64) -> Result<ApplyReport> {
    let hot = HotStatements::prepare(tx)?;
    let mut applier = Applier {
        tx,
        hot,
        accounts: HashMap::new(),
        contacts: HashMap::new(),
        conversations: HashMap::new(),
        deltas: HashMap::new(),
        touched: HashSet::new(),
        unindexed: HashSet::new(),
        report: ApplyReport::default(),
        figures: BatchFigures::default(),
        now,
    };
    for event in events {
        applier.apply(event)?;
    }
    applier.finish()
}

struct Applier<'t, 'c> {
    tx: &'t Transaction<'c>,
    /// The per-message statements, prepared once per batch: looking a statement up in
    /// the connection's cache hashes its whole SQL text, which showed in profiles.
    hot: HotStatements<'t>,
    accounts: HashMap<(Platform, String), i64>,
    contacts: HashMap<(Platform, String), i64>,
    conversations: HashMap<(i64, i64), ConversationRow>,
    deltas: HashMap<i64, SummaryDelta>,
    touched: HashSet<i64>,
    /// Rows whose body is not in the search index yet (new, or about to change).
    unindexed: HashSet<i64>,
    report: ApplyReport,
    /// What this batch adds to the report figures.
    figures: BatchFigures,
    now: i64,
}

impl Applier<'_, '_> {
    fn apply(&mut self, event: &DomainEvent) -> Result<()> {
        match event {
            DomainEvent::Message(message) => self.message(message),
            DomainEvent::Contact { key, profile } => self.contact_profile(key, profile),
            DomainEvent::Account { platform, account_id, display_name } => {
                let id = self.account(*platform, account_id)?;
                self.tx
                    .prepare_cached("UPDATE accounts SET display_name = ?1 WHERE id = ?2 AND display_name IS NOT ?1")
                    .and_then(|mut s| s.execute(params![display_name, id]))
                    .ctx("naming an account")?;
                Ok(())
            }
            DomainEvent::Edited { key, mid, text, edit_count, at } => self.edited(key, mid, text, *edit_count, *at),
            DomainEvent::Deleted { key, mid, at } => self.deleted(key, mid, *at),
            DomainEvent::Reaction { key, mid, actor, emoji, reaction, at } => {
                let conversation = self.conversation(key)?;
                let changed = self
                    .tx
                    .prepare_cached(
                        "INSERT INTO reactions (platform, platform_message_id, actor, emoji, reaction, reacted_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (platform, platform_message_id, actor) DO UPDATE SET
                             emoji = excluded.emoji, reaction = excluded.reaction, reacted_at = excluded.reacted_at
                         WHERE excluded.reacted_at > reactions.reacted_at
                            OR (excluded.reacted_at = reactions.reacted_at AND excluded.emoji IS NULL
                                AND reactions.emoji IS NOT NULL)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![key.platform.as_str(), mid, actor_str(*actor), emoji, reaction, at])
                    })
                    .ctx("recording a reaction")?;
                self.count(changed, conversation.id);
                Ok(())
            }
            DomainEvent::Status { key, mid, status, at, error, send_metadata } => {
                self.status(key, mid, *status, *at, error.as_ref(), send_metadata.as_deref())
            }
            DomainEvent::Watermark { key, status, watermark } => self.watermark(key, *status, *watermark),
        }
    }

    fn count(&mut self, changed: usize, conversation_id: i64) {
        if changed == 0 {
            self.report.duplicates += 1;
        } else {
            self.touched.insert(conversation_id);
        }
    }

    /// The row for a platform message id, if any: (id, is stub, body).
    fn existing(&mut self, platform: Platform, mid: &str) -> Result<Option<(i64, bool, Option<String>)>> {
        self.hot
            .existing
            .query_row(params![platform.as_str(), mid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .ctx("looking up a message")
    }

    /// Takes a row out of the search index before its body changes; the end of the batch
    /// indexes it again with whatever its body then is.
    fn unindex(&mut self, id: i64, indexed_body: Option<&str>) -> Result<()> {
        // Every row is in the index, also with a NULL body (an empty document): FTS5's
        // external-content bookkeeping counts rows.
        if self.unindexed.insert(id) {
            self.tx
                .prepare_cached("INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)")
                .and_then(|mut s| s.execute(params![id, indexed_body]))
                .ctx("updating the search index")?;
        }
        Ok(())
    }

    fn account(&mut self, platform: Platform, asset_id: &str) -> Result<i64> {
        if let Some(id) = self.accounts.get(&(platform, asset_id.to_owned())) {
            return Ok(*id);
        }
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO accounts (platform, asset_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (platform, asset_id) DO UPDATE SET platform = excluded.platform
                 RETURNING id",
            )
            .and_then(|mut s| s.query_row(params![platform.as_str(), asset_id, self.now], |r| r.get(0)))
            .ctx("finding or adding an account")?;
        self.accounts.insert((platform, asset_id.to_owned()), id);
        Ok(id)
    }

    fn contact(&mut self, platform: Platform, user_id: &str) -> Result<i64> {
        if let Some(id) = self.contacts.get(&(platform, user_id.to_owned())) {
            return Ok(*id);
        }
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM contacts WHERE platform = ?1 AND platform_user_id = ?2")
            .and_then(|mut s| s.query_row(params![platform.as_str(), user_id], |r| r.get(0)).optional())
            .ctx("finding a contact")?;
        let id = match existing {
            Some(id) => id,
            None => self
                .tx
                .prepare_cached(
                    "INSERT INTO contacts (platform, platform_user_id, updated_at) VALUES (?1, ?2, ?3) RETURNING id",
                )
                .and_then(|mut s| s.query_row(params![platform.as_str(), user_id, self.now], |r| r.get(0)))
                .ctx("adding a contact")?,
        };
        self.contacts.insert((platform, user_id.to_owned()), id);
        Ok(id)
    }

    fn conversation(&mut self, key: &ConversationKey) -> Result<ConversationRow> {
        let account = self.account(key.platform, &key.account_id)?;
        let contact = self.contact(key.platform, &key.contact_id)?;
        if let Some(row) = self.conversations.get(&(account, contact)) {
            return Ok(*row);
        }
        let read_row = |r: &rusqlite::Row<'_>| {
            Ok(ConversationRow {
                id: r.get(0)?,
                read_up_to: r.get(1)?,
                delivered_watermark: r.get(2)?,
                read_watermark: r.get(3)?,
            })
        };
        let existing = self
            .tx
            .prepare_cached(
                "SELECT id, read_up_to, delivered_watermark, read_watermark FROM conversations
                 WHERE account_id = ?1 AND contact_id = ?2",
            )
            .and_then(|mut s| s.query_row(params![account, contact], read_row).optional())
            .ctx("finding a conversation")?;
        let row = match existing {
            Some(row) => row,
            None => self
                .tx
                .prepare_cached(
                    "INSERT INTO conversations (account_id, contact_id, platform, created_at) VALUES (?1, ?2, ?3, ?4)
                     RETURNING id, read_up_to, delivered_watermark, read_watermark",
                )
                .and_then(|mut s| s.query_row(params![account, contact, key.platform.as_str(), self.now], read_row))
                .ctx("adding a conversation")?,
        };
        self.conversations.insert((account, contact), row);
        Ok(row)
    }

    fn message(&mut self, m: &NewMessage) -> Result<()> {
        let conversation = self.conversation(&m.key)?;
        // An echo or history item means the platform accepted it; a watermark that came
        // first raises it, timed as the watermark was.
        let (status, status_at) = match m.direction {
            Direction::Inbound => (DeliveryStatus::Pending, None),
            Direction::Outbound if m.sent_at <= conversation.read_watermark => {
                (DeliveryStatus::Read, Some(conversation.read_watermark))
            }
            Direction::Outbound if m.sent_at <= conversation.delivered_watermark => {
                (DeliveryStatus::Delivered, Some(conversation.delivered_watermark))
            }
            Direction::Outbound => (DeliveryStatus::Sent, Some(m.sent_at)),
        };
        let (reply_mid, story_url, story_id) = match &m.reply_to {
            Some(ReplyTo::Message { mid }) => (Some(mid.as_str()), None, None),
            Some(ReplyTo::Story { url, story_id }) => (None, url.as_deref(), story_id.as_deref()),
            None => (None, None, None),
        };
        let extras =
            if m.extras.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&m.extras).map_err(|source| crate::domain::Error::Json {
                    context: "encoding message extras".into(),
                    source,
                })?)
            };
        let values = params![
            conversation.id,
            m.key.platform.as_str(),
            m.mid,
            direction_str(m.direction),
            m.kind.as_str(),
            m.text,
            m.sent_at,
            reply_mid,
            story_url,
            story_id,
            extras,
            status.rank(),
            status_at,
        ];
        // The common case is a new message: insert first; only a conflict (a redelivery,
        // or a placeholder from earlier events) needs a lookup.
        let mut inserted: Option<i64> =
            self.hot.insert_message.query_row(values, |r| r.get(0)).optional().ctx("storing a message")?;
        if inserted.is_none() {
            // A redelivery (complete row) stays as it is; a placeholder gets completed.
            if let Some((id, true, body)) = self.existing(m.key.platform, &m.mid)? {
                self.unindex(id, body.as_deref())?;
                inserted = self
                    .hot
                    .complete_placeholder
                    .query_row(values, |r| r.get(0))
                    .optional()
                    .ctx("completing a message")?;
            }
        }

        let Some(message_id) = inserted else {
            self.report.duplicates += 1;
            return Ok(());
        };
        self.report.messages_added += 1;
        self.figures.message_added(conversation.id, m.direction, m.sent_at);
        self.unindexed.insert(message_id);
        for (position, a) in m.attachments.iter().enumerate() {
            execute_attachment(&mut self.hot.attachment, message_id, position, a)?;
        }
        self.touched.insert(conversation.id);
        let delta = self.deltas.entry(conversation.id).or_default();
        let newer = match &delta.newest {
            None => true,
            Some((at, mid, _)) => (m.sent_at, m.mid.as_str()) > (*at, mid.as_str()),
        };
        if newer {
            delta.newest = Some((m.sent_at, m.mid.clone(), message_id));
        }
        if m.direction == Direction::Inbound {
            if m.sent_at > conversation.read_up_to {
                delta.unread_added += 1;
            }
            delta.newest_inbound = Some(delta.newest_inbound.map_or(m.sent_at, |t| t.max(m.sent_at)));
        }
        Ok(())
    }

    fn contact_profile(&mut self, key: &ConversationKey, p: &ContactProfile) -> Result<()> {
        let conversation = self.conversation(key)?;
        let contact = self.contact(key.platform, &key.contact_id)?;
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE contacts SET name = COALESCE(?1, name), handle = COALESCE(?2, handle),
                     phone = COALESCE(?3, phone), avatar_url = COALESCE(?4, avatar_url), updated_at = ?5
                 WHERE id = ?6 AND (name IS NOT COALESCE(?1, name) OR handle IS NOT COALESCE(?2, handle)
                     OR phone IS NOT COALESCE(?3, phone) OR avatar_url IS NOT COALESCE(?4, avatar_url))",
            )
            .and_then(|mut s| s.execute(params![p.name, p.handle, p.phone, p.avatar_url, self.now, contact]))
            .ctx("updating a contact")?;
        self.count(changed, conversation.id);
        Ok(())
    }

    fn edited(&mut self, key: &ConversationKey, mid: &str, text: &str, edit_count: u32, at: i64) -> Result<()> {
        let conversation = self.conversation(key)?;
        self.before_text_change(key.platform, mid)?;
        let changed = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind,
                     body, edit_count, sent_at, stub)
                 VALUES (?1, ?2, ?3, 'inbound', 'text', ?4, ?5, ?6, 1)
                 ON CONFLICT (platform, platform_message_id) DO UPDATE SET
                     body = CASE WHEN messages.deleted_at IS NULL THEN excluded.body END,
                     edit_count = excluded.edit_count
                 WHERE excluded.edit_count > messages.edit_count
                 RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(params![conversation.id, key.platform.as_str(), mid, text, edit_count, at], |r| r.get(0))
                    .optional()
            })
            .ctx("recording an edit")?;
        let changed = self.track_new_text(changed);
        self.count(changed, conversation.id);
        Ok(())
    }

    /// Un-indexes an existing row whose text may change; a new stub is indexed at the end.
    fn before_text_change(&mut self, platform: Platform, mid: &str) -> Result<()> {
        if let Some((id, _, body)) = self.existing(platform, mid)? {
            self.unindex(id, body.as_deref())?;
        }
        Ok(())
    }

    fn deleted(&mut self, key: &ConversationKey, mid: &str, at: i64) -> Result<()> {
        let conversation = self.conversation(key)?;
        self.before_text_change(key.platform, mid)?;
        let changed = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind,
                     deleted_at, sent_at, stub)
                 VALUES (?1, ?2, ?3, 'inbound', 'text', ?4, ?4, 1)
                 ON CONFLICT (platform, platform_message_id) DO UPDATE SET
                     deleted_at = MIN(COALESCE(messages.deleted_at, excluded.deleted_at), excluded.deleted_at),
                     body = NULL
                 WHERE messages.deleted_at IS NULL OR excluded.deleted_at < messages.deleted_at
                 RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(params![conversation.id, key.platform.as_str(), mid, at], |r| r.get(0)).optional()
            })
            .ctx("recording an unsend")?;
        let changed = self.track_new_text(changed);
        self.count(changed, conversation.id);
        Ok(())
    }

    /// Marks a row written by an edit or unsend for indexing; returns rows changed.
    fn track_new_text(&mut self, row: Option<i64>) -> usize {
        match row {
            Some(id) => {
                self.unindexed.insert(id);
                1
            }
            None => 0,
        }
    }

    fn status(
        &mut self,
        key: &ConversationKey,
        mid: &str,
        status: DeliveryStatus,
        at: i64,
        error: Option<&PlatformError>,
        send_metadata: Option<&str>,
    ) -> Result<()> {
        let conversation = self.conversation(key)?;
        let is_new = self.existing(key.platform, mid)?.is_none();
        // Kept on a placeholder so the outbox can recognise its own send.
        let extras = send_metadata.map(|m| serde_json::json!({ "sendMetadata": m }).to_string());
        let (code, reason) = match (status, error) {
            (DeliveryStatus::Failed, Some(e)) => (e.code, failure_reason(e)),
            (DeliveryStatus::Failed, None) => (None, Some("The platform reported the message as failed".to_owned())),
            _ => (None, None),
        };
        let changed: Option<i64> = self
            .hot
            .status
            .query_row(
                params![conversation.id, key.platform.as_str(), mid, at, status.rank(), code, reason, extras,],
                |r| r.get(0),
            )
            .optional()
            .ctx("recording a delivery status")?;
        // A new placeholder row joins the search index (as an empty document) at the end.
        if let (true, Some(id)) = (is_new, changed) {
            self.unindexed.insert(id);
        }
        self.count(changed.map_or(0, |_| 1), conversation.id);
        Ok(())
    }

    fn watermark(&mut self, key: &ConversationKey, status: DeliveryStatus, watermark: i64) -> Result<()> {
        let mut conversation = self.conversation(key)?;
        let column = match status {
            DeliveryStatus::Read | DeliveryStatus::Played => "read_watermark",
            _ => "delivered_watermark",
        };
        let sql = format!("UPDATE conversations SET {column} = ?1 WHERE id = ?2 AND {column} < ?1");
        let raised = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute(params![watermark, conversation.id]))
            .ctx("recording a watermark")?;
        let updated = self
            .tx
            .prepare_cached(
                "UPDATE messages SET
                     status_at = CASE WHEN status = ?1 THEN MIN(COALESCE(status_at, ?2), ?2) ELSE ?2 END,
                     failure_code = CASE WHEN status = ?1 THEN failure_code END,
                     failure_reason = CASE WHEN status = ?1 THEN failure_reason END,
                     status = ?1
                 WHERE conversation_id = ?3 AND direction = 'outbound' AND stub = 0 AND sent_at <= ?2
                   AND (status < ?1 OR (status = ?1 AND COALESCE(status_at, ?2 + 1) > ?2))",
            )
            .and_then(|mut s| s.execute(params![status.rank(), watermark, conversation.id]))
            .ctx("applying a watermark to messages")?;
        match status {
            DeliveryStatus::Read | DeliveryStatus::Played => {
                conversation.read_watermark = conversation.read_watermark.max(watermark)
            }
            _ => conversation.delivered_watermark = conversation.delivered_watermark.max(watermark),
        }
        self.conversations.values_mut().filter(|c| c.id == conversation.id).for_each(|c| *c = conversation);
        self.count(raised + updated, conversation.id);
        Ok(())
    }

    fn finish(mut self) -> Result<ApplyReport> {
        // Before the summaries below: the figures compare with where each conversation stood.
        std::mem::take(&mut self.figures).write(self.tx)?;
        for (conversation_id, delta) in &self.deltas {
            let (newest_at, newest_mid, newest_id) = match &delta.newest {
                Some((at, mid, id)) => (Some(*at), Some(mid.as_str()), Some(*id)),
                None => (None, None, None),
            };
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET
                         last_message_id = CASE WHEN ?2 IS NOT NULL AND (last_message_at IS NULL OR ?2 > last_message_at
                             OR (?2 = last_message_at AND ?3 > (SELECT platform_message_id FROM messages WHERE id = last_message_id)))
                             THEN ?4 ELSE last_message_id END,
                         last_message_at = CASE WHEN ?2 IS NOT NULL AND (last_message_at IS NULL OR ?2 > last_message_at
                             OR (?2 = last_message_at AND ?3 > (SELECT platform_message_id FROM messages WHERE id = last_message_id)))
                             THEN ?2 ELSE last_message_at END,
                         unread_count = unread_count + ?5,
                         last_inbound_at = CASE WHEN ?6 IS NOT NULL AND (last_inbound_at IS NULL OR ?6 > last_inbound_at)
                             THEN ?6 ELSE last_inbound_at END,
                         -- The customer wrote again: a done conversation needs attention.
                         -- History older than what was there (backfill) does not reopen.
                         state = CASE WHEN ?6 IS NOT NULL AND ?6 > COALESCE(last_message_at, 0)
                             THEN 'open' ELSE state END,
                         done_at = CASE WHEN ?6 IS NOT NULL AND ?6 > COALESCE(last_message_at, 0)
                             THEN NULL ELSE done_at END
                     WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![conversation_id, newest_at, newest_mid, newest_id, delta.unread_added, delta.newest_inbound])
                })
                .ctx("updating a conversation summary")?;
        }
        if !self.unindexed.is_empty() {
            let ids = serde_json::to_string(&self.unindexed.iter().collect::<Vec<_>>())
                .map_err(|source| crate::domain::Error::Json { context: "listing rows to index".into(), source })?;
            self.tx
                .prepare_cached(
                    "INSERT INTO messages_fts (rowid, body)
                     SELECT id, body FROM messages WHERE id IN (SELECT value FROM json_each(?1))",
                )
                .and_then(|mut s| s.execute([ids]))
                .ctx("indexing the batch for search")?;
        }
        let mut touched: Vec<i64> = self.touched.into_iter().collect();
        touched.sort_unstable();
        log_changes(self.tx, &touched, "messages", self.now)?;
        self.report.conversations_touched = touched;
        Ok(self.report)
    }
}

/// Statements run once or more per message, prepared once per batch.
struct HotStatements<'t> {
    existing: rusqlite::CachedStatement<'t>,
    insert_message: rusqlite::CachedStatement<'t>,
    complete_placeholder: rusqlite::CachedStatement<'t>,
    status: rusqlite::CachedStatement<'t>,
    attachment: rusqlite::CachedStatement<'t>,
}

impl<'t> HotStatements<'t> {
    fn prepare(tx: &'t Transaction<'_>) -> Result<Self> {
        Ok(HotStatements {
            existing: tx
                .prepare_cached("SELECT id, stub, body FROM messages WHERE platform = ?1 AND platform_message_id = ?2")
                .ctx("preparing the message lookup")?,
            insert_message: tx.prepare_cached(INSERT_MESSAGE).ctx("preparing the message insert")?,
            complete_placeholder: tx.prepare_cached(COMPLETE_PLACEHOLDER).ctx("preparing the placeholder update")?,
            status: tx.prepare_cached(UPSERT_STATUS).ctx("preparing the status update")?,
            attachment: tx.prepare_cached(INSERT_ATTACHMENT).ctx("preparing the attachment insert")?,
        })
    }
}

const INSERT_MESSAGE: &str = "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind,
                     original_text, body, sent_at, reply_to_mid, reply_to_story_url, reply_to_story_id,
                     extras, status, status_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (platform, platform_message_id) DO NOTHING
                 RETURNING id";

/// A message whose placeholder (from a status, edit or unsend that came first) exists:
/// fill in what the message says, keep what the later events said.
const COMPLETE_PLACEHOLDER: &str = "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind,
                     original_text, body, sent_at, reply_to_mid, reply_to_story_url, reply_to_story_id,
                     extras, status, status_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (platform, platform_message_id) DO UPDATE SET
                     conversation_id = excluded.conversation_id,
                     direction = excluded.direction,
                     kind = excluded.kind,
                     original_text = excluded.original_text,
                     body = CASE WHEN messages.deleted_at IS NOT NULL THEN NULL
                                 WHEN messages.edit_count > 0 THEN messages.body
                                 ELSE excluded.body END,
                     sent_at = excluded.sent_at,
                     reply_to_mid = excluded.reply_to_mid,
                     reply_to_story_url = excluded.reply_to_story_url,
                     reply_to_story_id = excluded.reply_to_story_id,
                     extras = excluded.extras,
                     status_at = CASE WHEN excluded.status > messages.status THEN excluded.status_at
                                      WHEN excluded.status < messages.status THEN messages.status_at
                                      ELSE MIN(COALESCE(messages.status_at, excluded.status_at), excluded.status_at) END,
                     failure_code = CASE WHEN excluded.status > messages.status THEN NULL ELSE messages.failure_code END,
                     failure_reason = CASE WHEN excluded.status > messages.status THEN NULL ELSE messages.failure_reason END,
                     status = MAX(messages.status, excluded.status),
                     stub = 0
                 WHERE messages.stub = 1
                 RETURNING id";

const UPSERT_STATUS: &str = "INSERT INTO messages (conversation_id, platform, platform_message_id, direction, kind,
                     sent_at, status, status_at, failure_code, failure_reason, stub, extras)
                 VALUES (?1, ?2, ?3, 'outbound', 'text', ?4, ?5, ?4, ?6, ?7, 1, ?8)
                 ON CONFLICT (platform, platform_message_id) DO UPDATE SET
                     -- Failure details belong to a failed status only: a later `delivered`
                     -- clears them, whichever arrived first.
                     status = excluded.status,
                     status_at = excluded.status_at,
                     failure_code = excluded.failure_code,
                     failure_reason = excluded.failure_reason
                 -- A higher status wins; on equal status the earliest report wins, so
                 -- arrival order does not matter.
                 WHERE excluded.status > messages.status
                    OR (excluded.status = messages.status AND excluded.status_at < COALESCE(messages.status_at, excluded.status_at + 1))
                 RETURNING id";

const INSERT_ATTACHMENT: &str =
    "INSERT INTO attachments (message_id, position, kind, mime_type, url, media_id, filename, size_bytes,
         sha256, title, voice, animated, local_path, thumbnail_path)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
     ON CONFLICT (message_id, position) DO NOTHING";

pub(crate) fn insert_attachment(tx: &Transaction<'_>, message_id: i64, position: usize, a: &Attachment) -> Result<()> {
    let mut stmt = tx.prepare_cached(INSERT_ATTACHMENT).ctx("preparing the attachment insert")?;
    execute_attachment(&mut stmt, message_id, position, a)
}

fn execute_attachment(
    stmt: &mut rusqlite::Statement<'_>,
    message_id: i64,
    position: usize,
    a: &Attachment,
) -> Result<()> {
    stmt.execute(params![
        message_id,
        position as i64,
        a.kind.map(|k| k.as_str()),
        a.mime_type,
        a.url,
        a.media_id,
        a.filename,
        a.size_bytes,
        a.sha256,
        a.title,
        a.voice,
        a.animated,
        a.local_path,
        a.thumbnail_path,
    ])
    .ctx("storing an attachment")?;
    Ok(())
}

/// Records what a committed write touched, for windows tailing the change log (also
/// those of other processes). Old entries are pruned: a window that has been away for
/// longer than the log reaches back simply reloads everything.
pub(crate) fn log_changes(tx: &Transaction<'_>, conversations: &[i64], kind: &str, now: i64) -> Result<()> {
    if conversations.is_empty() {
        return Ok(());
    }
    // A bulk write touching thousands of conversations is logged as one "everything".
    if conversations.len() > 500 {
        return log_everything(tx, kind, now);
    }
    let mut insert = tx
        .prepare_cached("INSERT INTO change_log (at, conversation_id, kind) VALUES (?1, ?2, ?3)")
        .ctx("preparing the change log")?;
    for id in conversations {
        insert.execute(params![now, id, kind]).ctx("logging a change")?;
    }
    prune_change_log(tx)
}

/// Records a change too broad to list: windows reload everything.
pub(crate) fn log_everything(tx: &Transaction<'_>, kind: &str, now: i64) -> Result<()> {
    tx.prepare_cached("INSERT INTO change_log (at, conversation_id, kind) VALUES (?1, NULL, ?2)")
        .and_then(|mut s| s.execute(params![now, kind]))
        .ctx("logging a change")?;
    prune_change_log(tx)
}

fn prune_change_log(tx: &Transaction<'_>) -> Result<()> {
    const KEEP: i64 = 10_000;
    tx.prepare_cached("DELETE FROM change_log WHERE seq <= (SELECT MAX(seq) FROM change_log) - ?1")
        .and_then(|mut s| s.execute([KEEP]))
        .ctx("pruning the change log")?;
    Ok(())
}

fn failure_reason(e: &PlatformError) -> Option<String> {
    match (&e.title, &e.detail) {
        (Some(t), Some(d)) if t != d => Some(format!("{t}: {d}")),
        (Some(t), _) => Some(t.clone()),
        (None, Some(d)) => Some(d.clone()),
        (None, None) => None,
    }
}

pub(crate) fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

pub(crate) fn actor_str(a: Actor) -> &'static str {
    match a {
        Actor::Contact => "contact",
        Actor::Business => "business",
    }
}

/// The business has read the conversation: everything inbound so far stops counting.
pub fn mark_read(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> Result<()> {
    let n = tx
        .prepare_cached(
            "UPDATE conversations SET read_up_to = MAX(read_up_to, COALESCE(last_inbound_at, 0)),
                 unread_count = 0, marked_unread = 0 WHERE id = ?1",
        )
        .and_then(|mut s| s.execute([conversation_id]))
        .ctx("marking a conversation read")?;
    found(n, conversation_id)?;
    log_changes(tx, &[conversation_id], "read", now)
}

/// "Mark as unread": a flag the owner sets to come back later; reading clears it.
pub fn mark_unread(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> Result<()> {
    let n = tx
        .prepare_cached("UPDATE conversations SET marked_unread = 1 WHERE id = ?1")
        .and_then(|mut s| s.execute([conversation_id]))
        .ctx("marking a conversation unread")?;
    found(n, conversation_id)?;
    log_changes(tx, &[conversation_id], "read", now)
}

pub fn set_state(
    tx: &Transaction<'_>,
    conversation_id: i64,
    state: crate::domain::views::ConversationState,
    now: i64,
) -> Result<()> {
    let n = tx
        // Done records when, for the resolution time; reopening clears it.
        .prepare_cached(
            "UPDATE conversations SET state = ?2, done_at = CASE WHEN ?2 = 'done' THEN ?3 END WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![conversation_id, state.as_str(), now]))
        .ctx("changing a conversation's state")?;
    found(n, conversation_id)?;
    log_changes(tx, &[conversation_id], "state", now)
}

fn found(rows: usize, conversation_id: i64) -> Result<()> {
    if rows == 0 {
        return Err(crate::domain::Error::NotFound { what: format!("conversation {conversation_id}") });
    }
    Ok(())
}

/// Recomputes a conversation's summary from its messages. Gives the same result as the
/// incremental updates in [`apply_events`] (same tie-break on equal times), and is used
/// where rows arrive by other paths (import).
pub(crate) fn refresh_summary(tx: &Transaction<'_>, conversation_id: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE conversations SET
             last_message_id = (SELECT id FROM messages WHERE conversation_id = ?1 AND stub = 0
                                ORDER BY sent_at DESC, platform_message_id DESC LIMIT 1),
             last_message_at = (SELECT MAX(sent_at) FROM messages WHERE conversation_id = ?1 AND stub = 0),
             last_inbound_at = (SELECT MAX(sent_at) FROM messages WHERE conversation_id = ?1 AND stub = 0
                                AND direction = 'inbound'),
             unread_count = (SELECT count(*) FROM messages WHERE conversation_id = ?1 AND stub = 0
                             AND direction = 'inbound' AND sent_at > conversations.read_up_to)
         WHERE id = ?1",
    )
    .and_then(|mut s| s.execute([conversation_id]))
    .ctx("recomputing a conversation summary")?;
    Ok(())
}

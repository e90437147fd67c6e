//! The publication queue: messages this computer sent that the owner's other computers
//! must learn of through the relay (the relay link reads and confirms; the outbox fills it
//! by sending).

use super::Store;
use super::outbox::{platform_of, tag};
use crate::domain::Result;
use crate::domain::error::SqlContext as _;
use crate::domain::events::{
    Attachment, AttachmentKind, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras, MessageKind,
    NewMessage, ReplyTo,
};

/// Sent messages not yet published to the owner's other computers: (client id, events JSON).
/// Only WhatsApp's: Messenger and Instagram echo what a Page sends to every computer
/// through the relay already, with the attachments' CDN links.
pub async fn pending_publications(store: &Store) -> Result<Vec<(String, String)>> {
    store
        .read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT o.client_id, o.platform_message_id, c.platform, a.asset_id, ct.platform_user_id, m.body, m.sent_at, m.reply_to_mid, m.kind, m.id
                     FROM outbox o JOIN messages m ON m.platform_message_id = o.platform_message_id
                     JOIN conversations c ON c.id = o.conversation_id JOIN accounts a ON a.id = c.account_id
                     JOIN contacts ct ON ct.id = c.contact_id
                     WHERE o.state = 'sent' AND o.published = 0 AND c.platform = 'whatsapp' ORDER BY o.updated_at LIMIT 100",
                )
                .ctx("finding messages to publish")?;
            let mut attachments = c
                .prepare("SELECT kind, mime_type, media_id, filename, size_bytes, sha256 FROM attachments WHERE message_id = ?1 ORDER BY position")
                .ctx("finding messages to publish")?;
            let rows = stmt
                .query_map([], |r| {
                    let client_id: String = r.get(0)?;
                    let mid: String = r.get(1)?;
                    let key = ConversationKey { platform: platform_of(&r.get::<_, String>(2)?), account_id: r.get(3)?, contact_id: r.get(4)? };
                    let sent_at: i64 = r.get(6)?;
                    let kind = MessageKind::parse(&r.get::<_, String>(8)?).unwrap_or(MessageKind::Text);
                    // Files travel as WhatsApp media ids the other computers download; this
                    // computer's paths mean nothing there.
                    let files = attachments
                        .query_map([r.get::<_, i64>(9)?], |a| {
                            Ok(Attachment {
                                kind: a.get::<_, Option<String>>(0)?.as_deref().and_then(AttachmentKind::parse),
                                mime_type: a.get(1)?,
                                media_id: a.get(2)?,
                                filename: a.get(3)?,
                                size_bytes: a.get(4)?,
                                sha256: a.get(5)?,
                                ..Attachment::default()
                            })
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    let events = vec![
                        DomainEvent::Message(NewMessage {
                            key: key.clone(),
                            mid: mid.clone(),
                            direction: Direction::Outbound,
                            kind,
                            text: r.get(5)?,
                            attachments: files,
                            reply_to: r.get::<_, Option<String>>(7)?.map(|mid| ReplyTo::Message { mid }),
                            extras: MessageExtras { send_metadata: Some(tag(&client_id)), ..MessageExtras::default() },
                            sent_at,
                        }),
                        DomainEvent::Status { key, mid, status: DeliveryStatus::Sent, at: sent_at, error: None, send_metadata: None },
                    ];
                    Ok((client_id, serde_json::to_string(&events).expect("events serialize")))
                })
                .ctx("finding messages to publish")?;
            rows.collect::<rusqlite::Result<Vec<_>>>().ctx("finding messages to publish")
        })
        .await
}

/// The relay confirmed it has the message for the other computers.
pub async fn mark_published(store: &Store, client_id: &str) -> Result<()> {
    let id = client_id.to_string();
    store
        .write(move |tx| {
            tx.execute("UPDATE outbox SET published = 1 WHERE client_id = ?1", [id]).ctx("recording a publication")?;
            Ok(())
        })
        .await?;
    Ok(())
}

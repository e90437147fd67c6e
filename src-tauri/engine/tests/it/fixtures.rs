//! Events the integration tests build stores from: one account per platform, and text
//! messages with known times.

use cahts_engine::events::*;

/// A conversation of `contact` with the business's account on `platform`.
pub fn key(platform: Platform, contact: &str) -> ConversationKey {
    let account = match platform {
        Platform::Messenger => "104857600000001",
        Platform::Instagram => "17841400000000001234",
        Platform::Whatsapp => "106540352242922",
    };
    ConversationKey { platform, account_id: account.into(), contact_id: contact.into() }
}

pub fn text(key: &ConversationKey, mid: &str, direction: Direction, body: &str, at: i64) -> DomainEvent {
    DomainEvent::Message(NewMessage {
        key: key.clone(),
        mid: mid.into(),
        direction,
        kind: MessageKind::Text,
        text: Some(body.into()),
        attachments: Vec::new(),
        reply_to: None,
        extras: MessageExtras::default(),
        sent_at: at,
    })
}

/// Milliseconds of a UTC time written `2026-03-29T01:00:00Z`.
pub fn utc(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().expect("a timestamp").as_millisecond()
}

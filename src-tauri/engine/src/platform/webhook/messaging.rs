//! Messenger (`object: "page"`) and Instagram (`object: "instagram"`) webhooks.
//!
//! Both use `entry[] = {id, time, messaging[] | standby[]}` where every item has
//! `sender.id`, `recipient.id`, a `timestamp` in ms and exactly one event key (`message`,
//! `reaction`, `read`...) (MW, IGW). `standby[]` carries the same shapes for threads
//! another app owns. `entry.id` is the business asset: the Page id, or the Instagram
//! professional account id, and becomes `ConversationKey::account_id`.
//!
//! The customer is whichever party is not the business: inbound items have the customer
//! as sender; echoes (`is_echo`) have it as recipient (MEV-echoes, IGW).

use serde_json::Value;

use super::{
    Batch, field, flag, json_kind, loose_string, nested_id, opt_array, opt_id, opt_ms, opt_string, req_id, req_ms,
    short,
};
use crate::domain::events::{
    Actor, Attachment, AttachmentKind, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageExtras,
    MessageKind, NewMessage, Platform, Referral, ReplyTo,
};

/// Item keys we translate, in the order they are looked for.
const HANDLED: [&str; 7] = ["message", "message_edit", "reaction", "read", "delivery", "postback", "referral"];

pub(super) fn entry(platform: Platform, entry: &Value, path: &str, batch: &mut Batch) {
    let account = match req_id(entry, "id", "entry") {
        Ok(id) => id,
        Err(reason) => return batch.skip(path.to_owned(), reason),
    };
    let mut any = false;
    for list in ["messaging", "standby"] {
        let Some(value) = field(entry, list) else {
            continue;
        };
        any = true;
        let Some(items) = value.as_array() else {
            let reason = format!("`{list}` is {}, expected an array", json_kind(value));
            batch.skip(format!("{path}.{list}"), reason);
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let outcome = messaging_item(platform, &account, item);
            batch.take(format!("{path}.{list}[{i}]"), outcome);
        }
    }
    if any {
        return;
    }
    // Page feed and Instagram comment webhooks share the object but use `changes[]`
    // (FB login) or `field`/`value` (IG login) (IGLX). Comments are out of scope.
    if let Some(Value::Array(changes)) = field(entry, "changes") {
        for (i, change) in changes.iter().enumerate() {
            let what = change.get("field").and_then(Value::as_str).unwrap_or("?");
            let reason = format!("unhandled `{}` change `{}`", platform, short(what));
            batch.skip(format!("{path}.changes[{i}]"), reason);
        }
    } else if let Some(what) = field(entry, "field").and_then(Value::as_str) {
        batch.skip(path.to_owned(), format!("unhandled `{}` field `{}`", platform, short(what)));
    } else {
        batch.skip(path.to_owned(), "entry has no `messaging` or `standby` array".to_owned());
    }
}

/// Who is who in one item.
struct Parties<'a> {
    platform: Platform,
    account: &'a str,
    sender: String,
    recipient: String,
}

impl Parties<'_> {
    /// True when the business sent this item: an echo, or a sender equal to the entry's
    /// account (an Instagram echo has sender = the IG account, IGLM).
    fn business_sent(&self, is_echo: bool) -> bool {
        is_echo || self.sender == self.account
    }

    /// The conversation of this item: keyed on the party that is not the business.
    fn key(&self, business_sent: bool) -> ConversationKey {
        let contact = if business_sent { &self.recipient } else { &self.sender };
        ConversationKey { platform: self.platform, account_id: self.account.to_owned(), contact_id: contact.clone() }
    }
}

fn messaging_item(platform: Platform, account: &str, item: &Value) -> Result<Vec<DomainEvent>, String> {
    let Some(obj) = item.as_object() else {
        return Err(format!("messaging item is {}, expected an object", json_kind(item)));
    };
    let Some(kind) = HANDLED.into_iter().find(|k| field(item, k).is_some()) else {
        // optin, account_linking, policy_enforcement, pass_thread_control, ... (MW):
        // tolerated and reported, by the first key that is not part of the envelope.
        let other = obj.keys().find(|k| !matches!(k.as_str(), "sender" | "recipient" | "timestamp"));
        return Err(match other {
            Some(k) => format!("unhandled messaging event `{}`", short(k)),
            None => "messaging item carries no event".to_owned(),
        });
    };
    let parties =
        Parties { platform, account, sender: nested_id(item, "sender")?, recipient: nested_id(item, "recipient")? };
    let body = field(item, kind).unwrap_or(&Value::Null);
    match kind {
        "message" => message(&parties, body, req_ms(item, "timestamp", "")?),
        "message_edit" => edit(&parties, body, req_ms(item, "timestamp", "")?),
        "reaction" => reaction(&parties, body, req_ms(item, "timestamp", "")?),
        "read" => receipt(&parties, body, DeliveryStatus::Read, opt_ms(item, "timestamp", "")?),
        "delivery" => receipt(&parties, body, DeliveryStatus::Delivered, opt_ms(item, "timestamp", "")?),
        "postback" => postback(&parties, body, req_ms(item, "timestamp", "")?),
        "referral" => standalone_referral(&parties, body, req_ms(item, "timestamp", "")?),
        _ => Err(format!("unhandled messaging event `{kind}`")),
    }
}

fn message(p: &Parties<'_>, msg: &Value, at: i64) -> Result<Vec<DomainEvent>, String> {
    if !msg.is_object() {
        return Err(format!("`message` is {}, expected an object", json_kind(msg)));
    }
    let mid = req_id(msg, "mid", "message")?;
    let is_echo = flag(msg, "is_echo");
    let business_sent = p.business_sent(is_echo);
    let key = p.key(business_sent);

    // The customer unsent it (IGW). Documented for Instagram only; honoured on any object
    // because it can only mean the same thing.
    if flag(msg, "is_deleted") {
        return Ok(vec![DomainEvent::Deleted { key, mid, at }]);
    }

    let text = opt_string(msg, "text", "message")?;
    let mut attachments = Vec::new();
    let mut hints = Vec::new();
    for (i, a) in opt_array(msg, "attachments", "message")?.iter().enumerate() {
        let (attachment, hint) = attachment(a, &format!("message.attachments[{i}]"), &mid)?;
        attachments.push(attachment);
        hints.push(hint);
    }

    let kind = if flag(msg, "is_unsupported") {
        // IGW: content Instagram cannot hand over through the API.
        MessageKind::Unsupported
    } else if let Some(kind) = hints.iter().flatten().next() {
        *kind
    } else if text.is_some() {
        MessageKind::Text
    } else {
        // Neither text nor an attachment we understand: nothing to render as content.
        MessageKind::Unsupported
    };

    let reply_to = match field(msg, "reply_to") {
        None => None,
        Some(r) => reply_to(r)?,
    };

    let mut extras = MessageExtras {
        payload: field(msg, "quick_reply").and_then(|q| loose_string(q, "payload")),
        referral: field(msg, "referral").and_then(referral),
        is_self: flag(msg, "is_self"),
        ..MessageExtras::default()
    };
    if is_echo {
        // MEV-echoes: `app_id` names the sending app (ours, another tool, or Meta's own
        // inbox); `metadata` is the string passed on send. A broken app_id is not worth
        // losing the message over.
        extras.app_id = opt_id(msg, "app_id", "message").ok().flatten();
        extras.send_metadata = loose_string(msg, "metadata");
    }

    Ok(vec![DomainEvent::Message(NewMessage {
        key,
        mid,
        direction: if business_sent { Direction::Outbound } else { Direction::Inbound },
        kind,
        text,
        attachments,
        reply_to,
        extras,
        sent_at: at,
    })])
}

/// One attachment, plus the message kind it implies (`None`: it implies nothing).
fn attachment(a: &Value, at: &str, mid: &str) -> Result<(Attachment, Option<MessageKind>), String> {
    if !a.is_object() {
        return Err(format!("`{at}` is {}, expected an object", json_kind(a)));
    }
    let kind_name = a.get("type").and_then(Value::as_str).unwrap_or("");
    // `payload` may be null or absent (Messenger `fallback`, Instagram `ephemeral`).
    let payload = field(a, "payload").unwrap_or(&Value::Null);
    let url = loose_string(payload, "url")
        .or_else(|| loose_string(a, "url"))
        // Old Messenger `fallback` samples spell it `URL` on the attachment itself.
        .or_else(|| loose_string(a, "URL"));
    let title = loose_string(payload, "title").or_else(|| loose_string(a, "title"));

    let (kind, hint) = match kind_name {
        // A Messenger sticker arrives as an `image` whose payload carries `sticker_id`
        // (MEV-messages).
        "image" if field(payload, "sticker_id").is_some() => {
            (Some(AttachmentKind::Sticker), Some(MessageKind::Sticker))
        }
        "image" => (Some(AttachmentKind::Image), Some(MessageKind::Image)),
        "video" => (Some(AttachmentKind::Video), Some(MessageKind::Video)),
        "audio" => (Some(AttachmentKind::Audio), Some(MessageKind::Audio)),
        "file" => (Some(AttachmentKind::File), Some(MessageKind::File)),
        "reel" | "ig_reel" => (Some(AttachmentKind::Reel), Some(MessageKind::Share)),
        // Shared links arrive as `fallback`, posts as `ig_post` / legacy `share`, sent
        // templates (in echoes) as `template` (MEV-messages, IGW, IGLM).
        "share" | "fallback" | "ig_post" | "template" => (Some(AttachmentKind::Share), Some(MessageKind::Share)),
        "story_mention" => (Some(AttachmentKind::Story), Some(MessageKind::StoryMention)),
        "story" | "ig_story" => (Some(AttachmentKind::Story), Some(MessageKind::Share)),
        // A disappearing photo: Instagram hands over no content (IGW).
        "ephemeral" => (Some(AttachmentKind::Unavailable), Some(MessageKind::Unsupported)),
        other => {
            tracing::warn!(
                mid = %mid,
                attachment = %at,
                kind = %short(other),
                "unknown attachment type kept without a kind"
            );
            (None, None)
        }
    };
    let title = title.or_else(|| if kind_name == "template" { template_title(payload) } else { None });
    Ok((Attachment { kind, url, title, ..Attachment::default() }, hint))
}

/// The title a sent template shows first: generic template elements, or a product
/// template's first product.
fn template_title(payload: &Value) -> Option<String> {
    let first = |v: &Value| v.as_array().and_then(|a| a.first()).and_then(|e| loose_string(e, "title"));
    field(payload, "elements")
        .and_then(first)
        .or_else(|| field(payload, "product").and_then(|p| field(p, "elements")).and_then(first))
}

fn reply_to(r: &Value) -> Result<Option<ReplyTo>, String> {
    // Instagram story reply: `reply_to.story{url, id}` (IGW).
    if let Some(story) = field(r, "story") {
        return Ok(Some(ReplyTo::Story {
            url: loose_string(story, "url"),
            story_id: opt_id(story, "id", "message.reply_to.story")?,
        }));
    }
    Ok(opt_id(r, "mid", "message.reply_to")?.map(|mid| ReplyTo::Message { mid }))
}

/// A referral object as Messenger and Instagram send it, standalone or inside a message
/// or postback: `{ref, source, type, ad_id, ads_context_data{ad_title, photo_url,
/// video_url, post_id, product_id}, referer_uri}` or Instagram's `{product{id}}`
/// (MEV-referrals, IGW). Photo and video URLs are ad creatives, not the source, and are
/// left out.
fn referral(r: &Value) -> Option<Referral> {
    if !r.is_object() {
        return None;
    }
    let ads = field(r, "ads_context_data").unwrap_or(&Value::Null);
    let product = field(r, "product").unwrap_or(&Value::Null);
    Some(Referral {
        source: loose_string(r, "source"),
        ref_param: loose_string(r, "ref"),
        ad_id: opt_id(r, "ad_id", "referral").ok().flatten(),
        headline: loose_string(ads, "ad_title"),
        body: None,
        source_url: loose_string(r, "referer_uri"),
        product_id: opt_id(ads, "product_id", "ads_context_data")
            .ok()
            .flatten()
            .or_else(|| opt_id(product, "id", "product").ok().flatten()),
    })
}

/// `message_edit{mid, text, num_edit}` (MEV-edits, IGLM).
fn edit(p: &Parties<'_>, e: &Value, at: i64) -> Result<Vec<DomainEvent>, String> {
    let mid = req_id(e, "mid", "message_edit")?;
    let text = match field(e, "text") {
        Some(Value::String(s)) => s.clone(),
        None => return Err("missing `message_edit.text`".to_owned()),
        Some(other) => {
            return Err(format!("`message_edit.text` is {}, expected a string", json_kind(other)));
        }
    };
    let edit_count = field(e, "num_edit")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| "missing or non-integer `message_edit.num_edit`".to_owned())?;
    let key = p.key(p.business_sent(false));
    Ok(vec![DomainEvent::Edited { key, mid, text, edit_count, at }])
}

/// `reaction{mid, action, reaction?, emoji?}` (MEV-reactions, IGW). On Instagram
/// `unreact` carries neither name nor emoji.
fn reaction(p: &Parties<'_>, r: &Value, at: i64) -> Result<Vec<DomainEvent>, String> {
    let mid = req_id(r, "mid", "reaction")?;
    let name = loose_string(r, "reaction");
    let emoji = match field(r, "action").and_then(Value::as_str) {
        Some("react") => loose_string(r, "emoji").or_else(|| name.as_deref().and_then(emoji_for)),
        Some("unreact") => None,
        Some(other) => return Err(format!("unhandled reaction action `{}`", short(other))),
        None => return Err("missing `reaction.action`".to_owned()),
    };
    let business_sent = p.business_sent(false);
    let actor = if business_sent { Actor::Business } else { Actor::Contact };
    Ok(vec![DomainEvent::Reaction { key: p.key(business_sent), mid, actor, emoji, reaction: name, at }])
}

/// The emoji Messenger and Instagram show for a documented reaction name, used when the
/// payload names the reaction without an `emoji` (MEV-reactions lists smile, angry, sad,
/// wow, love, like, dislike; Instagram v12+ adds laugh). `other` has no fixed emoji.
fn emoji_for(name: &str) -> Option<String> {
    let emoji = match name {
        "love" => "\u{2764}\u{fe0f}",
        "like" => "\u{1f44d}",
        "smile" | "laugh" => "\u{1f606}",
        "wow" => "\u{1f62e}",
        "sad" => "\u{1f622}",
        "angry" => "\u{1f620}",
        "dislike" => "\u{1f44e}",
        _ => return None,
    };
    Some(emoji.to_owned())
}

/// `read` and `delivery`. Messenger reports a `watermark` (everything the Page sent up to
/// then) and, for deliveries, sometimes the `mids` (MEV-reads, MEV-deliveries); Instagram
/// `messaging_seen` names the one `mid` that was read (IGW). Deliveries carry no
/// `timestamp` in Meta's sample, so the watermark stands in for it.
fn receipt(
    p: &Parties<'_>,
    r: &Value,
    status: DeliveryStatus,
    timestamp: Option<i64>,
) -> Result<Vec<DomainEvent>, String> {
    let what = if status == DeliveryStatus::Read { "read" } else { "delivery" };
    if p.business_sent(false) {
        // Receipts describe the customer reading or receiving the business's messages;
        // one sent by the business itself would mark the wrong side.
        return Err(format!("`{what}` receipt sent by the business account itself"));
    }
    let key = p.key(false);
    let watermark = opt_ms(r, "watermark", what)?;
    let mut mids = Vec::new();
    if let Some(mid) = opt_id(r, "mid", what)? {
        mids.push(mid);
    }
    for (i, m) in opt_array(r, "mids", what)?.iter().enumerate() {
        mids.push(super::id_value(m, &format!("{what}.mids[{i}]"))?);
    }
    let Some(at) = timestamp.or(watermark) else {
        return Err(format!("`{what}` has neither `timestamp` nor `{what}.watermark`"));
    };
    if watermark.is_none() && mids.is_empty() {
        return Err(format!("`{what}` has neither `watermark` nor a message id"));
    }
    let mut events = Vec::with_capacity(mids.len() + 1);
    if let Some(watermark) = watermark {
        events.push(DomainEvent::Watermark { key: key.clone(), status, watermark });
    }
    for mid in mids {
        events.push(DomainEvent::Status { key: key.clone(), mid, status, at, error: None, send_metadata: None });
    }
    Ok(events)
}

/// `postback{mid?, title, payload, referral?}`: a tapped button, Get Started or menu
/// item (MEV-postbacks). `mid` exists from Graph v11 on; older deliveries get a
/// deterministic id so a redelivery maps to the same row.
fn postback(p: &Parties<'_>, b: &Value, at: i64) -> Result<Vec<DomainEvent>, String> {
    let mid = match opt_id(b, "mid", "postback")? {
        Some(mid) => mid,
        None => format!("postback:{}:{}", p.sender, at),
    };
    let extras = MessageExtras {
        payload: loose_string(b, "payload"),
        referral: field(b, "referral").and_then(referral),
        ..MessageExtras::default()
    };
    Ok(vec![DomainEvent::Message(NewMessage {
        key: p.key(false),
        mid,
        direction: Direction::Inbound,
        kind: MessageKind::Postback,
        text: loose_string(b, "title"),
        attachments: Vec::new(),
        reply_to: None,
        extras,
        sent_at: at,
    })])
}

/// A standalone `referral`: an existing thread was entered from an m.me / ig.me link or
/// an ad (MEV-referrals). It has no id of its own.
fn standalone_referral(p: &Parties<'_>, r: &Value, at: i64) -> Result<Vec<DomainEvent>, String> {
    let Some(referral) = referral(r) else {
        return Err(format!("`referral` is {}, expected an object", json_kind(r)));
    };
    Ok(vec![DomainEvent::Message(NewMessage {
        key: p.key(false),
        mid: format!("referral:{}:{}", p.sender, at),
        direction: Direction::Inbound,
        kind: MessageKind::Referral,
        text: None,
        attachments: Vec::new(),
        reply_to: None,
        extras: MessageExtras { referral: Some(referral), ..MessageExtras::default() },
        sent_at: at,
    })])
}

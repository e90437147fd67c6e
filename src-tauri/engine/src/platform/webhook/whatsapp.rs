//! WhatsApp Cloud API webhooks (`object: "whatsapp_business_account"`).
//!
//! `entry[] = {id: WABA id, changes[] = {field, value}}`. Only `field == "messages"` is
//! translated; its `value` holds `metadata{display_phone_number, phone_number_id}`,
//! `contacts[]`, `messages[]` (always inbound), `statuses[]` (of outbound messages) and
//! `errors[]` (WAR). Conversations are routed by `metadata.phone_number_id`, which is the
//! `ConversationKey::account_id`; the WABA id in `entry.id` is not needed for that.
//!
//! The customer is keyed on the business-scoped user id (BSUID) when Meta sends one, else
//! on the phone number (`wa_id` / `from` / `recipient_id`). With WhatsApp usernames (2026)
//! `wa_id` and `from` may be empty strings and the BSUID the only identifier (WAR, WABS).

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Batch, field, first_error, flag, json_kind, loose_string, opt_array, opt_id, opt_string, req_id, req_wa_time, short,
};
use crate::domain::events::{
    Actor, Attachment, AttachmentKind, ContactCard, ContactProfile, ConversationKey, DeliveryStatus, Direction,
    DomainEvent, Location, MessageExtras, MessageKind, NewMessage, Platform, Referral, ReplyTo,
};

pub(super) fn entry(entry: &Value, path: &str, batch: &mut Batch) {
    let changes = match field(entry, "changes") {
        Some(Value::Array(changes)) => changes,
        Some(other) => {
            let reason = format!("`changes` is {}, expected an array", json_kind(other));
            return batch.skip(format!("{path}.changes"), reason);
        }
        None => return batch.skip(path.to_owned(), "entry has no `changes` array".to_owned()),
    };
    for (i, change) in changes.iter().enumerate() {
        let cpath = format!("{path}.changes[{i}]");
        match change.get("field").and_then(Value::as_str) {
            Some("messages") => {}
            // message_template_status_update, account_update, phone_number_quality_update,
            // history, smb_message_echoes, user_preferences... (WAO): not conversation
            // content this module translates.
            Some(other) => {
                batch.skip(cpath, format!("unhandled WhatsApp field `{}`", short(other)));
                continue;
            }
            None => {
                batch.skip(cpath, "change has no `field` string".to_owned());
                continue;
            }
        }
        match field(change, "value") {
            Some(value) if value.is_object() => messages_value(value, &cpath, batch),
            Some(other) => {
                let reason = format!("`value` is {}, expected an object", json_kind(other));
                batch.skip(cpath, reason);
            }
            None => batch.skip(cpath, "change has no `value`".to_owned()),
        }
    }
}

fn messages_value(value: &Value, cpath: &str, batch: &mut Batch) {
    let metadata = field(value, "metadata").unwrap_or(&Value::Null);
    let phone_number_id = match req_id(metadata, "phone_number_id", "value.metadata") {
        Ok(id) => id,
        // Without it nothing in this change can be routed to a conversation.
        Err(reason) => return batch.skip(cpath.to_owned(), reason),
    };
    if let Some(display_name) = loose_string(metadata, "display_phone_number") {
        batch.events.push(DomainEvent::Account {
            platform: Platform::Whatsapp,
            account_id: phone_number_id.clone(),
            display_name,
        });
    }

    let vpath = format!("{cpath}.value");
    // A list of the wrong type is one skip; the other lists of the value still count.
    let mut list = |key: &str| match opt_array(value, key, "value") {
        Ok(items) => items,
        Err(reason) => {
            batch.skip(format!("{vpath}.{key}"), reason);
            &[]
        }
    };
    let (contacts, messages, statuses, errors) = (list("contacts"), list("messages"), list("statuses"), list("errors"));
    let ids = Identities::collect(contacts, messages, statuses);

    for (i, c) in contacts.iter().enumerate() {
        let outcome = contact(&phone_number_id, &ids, c).map(|e| vec![e]);
        batch.take(format!("{vpath}.contacts[{i}]"), outcome);
    }
    for (i, m) in messages.iter().enumerate() {
        let outcome = message(&phone_number_id, &ids, m);
        batch.take(format!("{vpath}.messages[{i}]"), outcome);
    }
    for (i, s) in statuses.iter().enumerate() {
        let outcome = status(&phone_number_id, &ids, s).map(|e| vec![e]);
        batch.take(format!("{vpath}.statuses[{i}]"), outcome);
    }
    // System, app or account level problems with no message attached (WAR-errors). They
    // concern the business, not a conversation: reported, not turned into events.
    for (i, e) in errors.iter().enumerate() {
        let code = field(e, "code").and_then(Value::as_i64);
        let title = loose_string(e, "title").or_else(|| loose_string(e, "message"));
        let reason = match (code, title) {
            (Some(code), Some(title)) => {
                format!("WhatsApp reported error {code}: {}", short(&title))
            }
            (Some(code), None) => format!("WhatsApp reported error {code}"),
            (None, _) => "WhatsApp reported an error without a code".to_owned(),
        };
        batch.skip(format!("{vpath}.errors[{i}]"), reason);
    }
}

/// Phone number → BSUID pairs seen anywhere in one change value.
///
/// During the BSUID rollout one part of a payload may carry the BSUID and another only
/// the phone number (a `contacts[]` entry with `user_id` next to a message without
/// `from_user_id`, or the reverse). Keying each part on what it happens to carry would
/// split one customer over two conversations, so every part is keyed on the BSUID when
/// any part of the same value links it to that phone number.
struct Identities {
    by_phone: HashMap<String, String>,
}

impl Identities {
    fn collect(contacts: &[Value], messages: &[Value], statuses: &[Value]) -> Identities {
        let mut by_phone = HashMap::new();
        let pairs = contacts
            .iter()
            .map(|c| (c, "wa_id", "user_id"))
            .chain(messages.iter().map(|m| (m, "from", "from_user_id")))
            .chain(statuses.iter().map(|s| (s, "recipient_id", "recipient_user_id")));
        for (v, phone_key, bsuid_key) in pairs {
            if let (Ok(Some(phone)), Ok(Some(bsuid))) = (opt_id(v, phone_key, ""), opt_id(v, bsuid_key, "")) {
                by_phone.entry(phone).or_insert(bsuid);
            }
        }
        Identities { by_phone }
    }

    /// The contact id and, when that id is a BSUID, the phone number to keep beside it.
    fn resolve(&self, bsuid: Option<String>, phone: Option<String>) -> Option<(String, Option<String>)> {
        let bsuid = bsuid.or_else(|| phone.as_ref().and_then(|p| self.by_phone.get(p).cloned()));
        match (bsuid, phone) {
            (Some(bsuid), phone) => Some((bsuid, phone)),
            (None, Some(phone)) => Some((phone, None)),
            (None, None) => None,
        }
    }
}

fn key(phone_number_id: &str, contact_id: String) -> ConversationKey {
    ConversationKey { platform: Platform::Whatsapp, account_id: phone_number_id.to_owned(), contact_id }
}

/// `contacts[] = {profile{name, username?}, wa_id, user_id?}` (WAR, WABS).
fn contact(phone_number_id: &str, ids: &Identities, c: &Value) -> Result<DomainEvent, String> {
    let (contact_id, phone) = ids
        .resolve(opt_id(c, "user_id", "contact")?, opt_id(c, "wa_id", "contact")?)
        .ok_or_else(|| "contact has neither `user_id` nor `wa_id`".to_owned())?;
    let profile = field(c, "profile").unwrap_or(&Value::Null);
    Ok(DomainEvent::Contact {
        key: key(phone_number_id, contact_id),
        profile: ContactProfile {
            name: loose_string(profile, "name"),
            handle: loose_string(profile, "username"),
            phone,
            avatar_url: None,
        },
    })
}

fn message(phone_number_id: &str, ids: &Identities, m: &Value) -> Result<Vec<DomainEvent>, String> {
    if !m.is_object() {
        return Err(format!("message is {}, expected an object", json_kind(m)));
    }
    let mid = req_id(m, "id", "message")?;
    let at = req_wa_time(m, "timestamp", "message")?;
    let kind_name = match field(m, "type") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(format!("`message.type` is {}, expected a string", json_kind(other)));
        }
        None => return Err("missing `message.type`".to_owned()),
    };
    if field(m, "group_id").is_some() {
        // Groups API messages: the sender is one member of a group, not the other side of
        // a one-to-one conversation. Keying them on the sender would mix them into that
        // person's direct thread.
        return Err("group message (`group_id`) is not handled".to_owned());
    }
    let (contact_id, _) = ids
        .resolve(opt_id(m, "from_user_id", "message")?, opt_id(m, "from", "message")?)
        .ok_or_else(|| "message has neither `from_user_id` nor `from`".to_owned())?;
    let key = key(phone_number_id, contact_id);
    if kind_name == "reaction" {
        return reaction(key, m, at).map(|e| vec![e]);
    }
    let error = first_error(m);
    let Content { kind, text, attachments, mut extras } = content(kind_name, m, error.is_some())?;
    // Any message with `errors[]` could not be fully delivered to us (WAR-unsupported).
    let kind = if error.is_some() { MessageKind::Unsupported } else { kind };
    extras.error = error;
    let mut reply_to = None;
    if let Some(context) = field(m, "context") {
        // `context.id` is the quoted message, or the one whose button was tapped
        // (WAR-interactive, WAR-button); forwarded messages carry only flags (WAR-text).
        reply_to = opt_id(context, "id", "context")?.map(|mid| ReplyTo::Message { mid });
        extras.forwarded = flag(context, "forwarded") || flag(context, "frequently_forwarded");
    }
    extras.referral = field(m, "referral").and_then(ctwa_referral);
    Ok(vec![DomainEvent::Message(NewMessage {
        key,
        mid,
        direction: Direction::Inbound,
        kind,
        text,
        attachments,
        reply_to,
        extras,
        sent_at: at,
    })])
}

/// What a message of one type says.
struct Content {
    kind: MessageKind,
    text: Option<String>,
    attachments: Vec<Attachment>,
    extras: MessageExtras,
}

impl Content {
    fn of(kind: MessageKind) -> Content {
        Content { kind, text: None, attachments: Vec::new(), extras: MessageExtras::default() }
    }
}

/// The content of a message of type `kind_name`. `flagged`: Meta attached `errors[]`.
fn content(kind_name: &str, m: &Value, flagged: bool) -> Result<Content, String> {
    let mut c = Content::of(MessageKind::Text);
    match kind_name {
        "text" => {
            let body = field(m, "text").unwrap_or(&Value::Null);
            c.text = Some(opt_string(body, "body", "text")?.ok_or_else(|| "missing `text.body`".to_owned())?);
        }
        "image" | "video" | "audio" | "document" | "sticker" => return media(kind_name, m),
        "location" => {
            c.kind = MessageKind::Location;
            c.extras.location = Some(location(m)?);
        }
        "contacts" => {
            c.kind = MessageKind::Contacts;
            c.extras.contacts = opt_array(m, "contacts", "message")?.iter().map(contact_card).collect();
        }
        "interactive" => {
            let reply = interactive(m)?;
            c.kind = MessageKind::Interactive;
            c.text = Some(reply.text);
            c.extras.payload = reply.payload;
            c.extras.button_title = reply.button_title;
        }
        "button" => {
            // Quick-reply button of a template (WAR-button).
            let button = field(m, "button").unwrap_or(&Value::Null);
            c.kind = MessageKind::Button;
            c.text = loose_string(button, "text");
            c.extras.payload = loose_string(button, "payload");
        }
        "system" => {
            // user_changed_number carries the new number in `system.wa_id` (WAR-system).
            let system = field(m, "system").unwrap_or(&Value::Null);
            c.kind = MessageKind::System;
            c.text = loose_string(system, "body");
            c.extras.new_wa_id = opt_id(system, "wa_id", "system").ok().flatten();
        }
        // `unsupported` today, `unknown` in older versions; both explain themselves in
        // `errors[]` (131051) (WAR-unsupported).
        "unsupported" | "unknown" => c.kind = MessageKind::Unsupported,
        // A type we do not know but Meta flagged with an error is still a message the
        // customer sent; show it as unsupported rather than drop it.
        _ if flagged => c.kind = MessageKind::Unsupported,
        other => {
            return Err(format!("unhandled WhatsApp message type `{}`", short(other)));
        }
    }
    Ok(c)
}

/// An image, video, audio, document or sticker: one attachment, maybe a caption.
fn media(kind_name: &str, m: &Value) -> Result<Content, String> {
    let (kind, message_kind) = match kind_name {
        "image" => (AttachmentKind::Image, MessageKind::Image),
        "video" => (AttachmentKind::Video, MessageKind::Video),
        "audio" => (AttachmentKind::Audio, MessageKind::Audio),
        "sticker" => (AttachmentKind::Sticker, MessageKind::Sticker),
        _ => (AttachmentKind::File, MessageKind::File),
    };
    let Some(media) = field(m, kind_name).filter(|v| v.is_object()) else {
        return Err(format!("missing `{kind_name}` object"));
    };
    let caption = opt_string(media, "caption", kind_name)?;
    let attachment = Attachment {
        kind: Some(kind),
        mime_type: loose_string(media, "mime_type"),
        // `url` is a lookaside URL that needs the Bearer token (WAR-image).
        url: loose_string(media, "url"),
        media_id: opt_id(media, "id", kind_name)?,
        filename: loose_string(media, "filename"),
        sha256: loose_string(media, "sha256"),
        voice: flag(media, "voice"),
        animated: flag(media, "animated"),
        ..Attachment::default()
    };
    Ok(Content { kind: message_kind, text: caption, attachments: vec![attachment], extras: MessageExtras::default() })
}

/// `reaction{message_id, emoji}`; removing a reaction sends no emoji (WAPAY, R3), which
/// we also accept as an empty string.
fn reaction(key: ConversationKey, m: &Value, at: i64) -> Result<DomainEvent, String> {
    let r = field(m, "reaction").unwrap_or(&Value::Null);
    Ok(DomainEvent::Reaction {
        key,
        mid: req_id(r, "message_id", "reaction")?,
        actor: Actor::Contact,
        emoji: loose_string(r, "emoji"),
        reaction: None,
        at,
    })
}

fn location(m: &Value) -> Result<Location, String> {
    let l = field(m, "location").unwrap_or(&Value::Null);
    let coordinate = |key: &str| {
        field(l, key).and_then(Value::as_f64).ok_or_else(|| format!("missing or non-numeric `location.{key}`"))
    };
    Ok(Location {
        latitude: coordinate("latitude")?,
        longitude: coordinate("longitude")?,
        name: loose_string(l, "name"),
        address: loose_string(l, "address"),
        url: loose_string(l, "url"),
    })
}

/// One shared contact card (WAR-contacts). Every part may be missing; a card without a
/// formatted name falls back to first and last name.
fn contact_card(c: &Value) -> ContactCard {
    let name = field(c, "name").unwrap_or(&Value::Null);
    let name = loose_string(name, "formatted_name").unwrap_or_else(|| {
        ["first_name", "last_name"].iter().filter_map(|k| loose_string(name, k)).collect::<Vec<_>>().join(" ")
    });
    let list = |key: &str, inner: &str| -> Vec<String> {
        field(c, key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|i| loose_string(i, inner)).collect())
            .unwrap_or_default()
    };
    ContactCard {
        name,
        phones: list("phones", "phone"),
        emails: list("emails", "email"),
        organization: field(c, "org").and_then(|o| loose_string(o, "company")),
    }
}

struct InteractiveReply {
    text: String,
    payload: Option<String>,
    button_title: Option<String>,
}

/// `interactive{type: button_reply | list_reply | nfm_reply}` (WAR-interactive).
fn interactive(m: &Value) -> Result<InteractiveReply, String> {
    let i = field(m, "interactive").unwrap_or(&Value::Null);
    let kind = match field(i, "type") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err("missing `interactive.type`".to_owned()),
    };
    match kind {
        "button_reply" | "list_reply" => {
            let reply = field(i, kind).unwrap_or(&Value::Null);
            let title = loose_string(reply, "title").ok_or_else(|| format!("missing `interactive.{kind}.title`"))?;
            Ok(InteractiveReply { payload: opt_id(reply, "id", kind)?, button_title: Some(title.clone()), text: title })
        }
        // A WhatsApp Flow was submitted: `response_json` holds the answers as a string.
        "nfm_reply" => {
            let reply = field(i, kind).unwrap_or(&Value::Null);
            Ok(InteractiveReply {
                text: loose_string(reply, "body").unwrap_or_else(|| "Form submitted".to_owned()),
                payload: loose_string(reply, "response_json"),
                button_title: None,
            })
        }
        other => Err(format!("unhandled interactive reply type `{}`", short(other))),
    }
}

/// Click-to-WhatsApp ad referral `{source_url, source_id, source_type, headline, body,
/// media_type, image_url | video_url, ctwa_clid}` (WAR-text).
fn ctwa_referral(r: &Value) -> Option<Referral> {
    if !r.is_object() {
        return None;
    }
    Some(Referral {
        source: loose_string(r, "source_type"),
        ref_param: None,
        ad_id: opt_id(r, "source_id", "referral").ok().flatten(),
        headline: loose_string(r, "headline"),
        body: loose_string(r, "body"),
        source_url: loose_string(r, "source_url"),
        product_id: None,
    })
}

/// `statuses[] = {id, status, timestamp, recipient_id, recipient_user_id?, errors?}`
/// (WAR-status).
fn status(phone_number_id: &str, ids: &Identities, s: &Value) -> Result<DomainEvent, String> {
    if !s.is_object() {
        return Err(format!("status is {}, expected an object", json_kind(s)));
    }
    let mid = req_id(s, "id", "status")?;
    let status = match field(s, "status").and_then(Value::as_str) {
        Some("sent") => DeliveryStatus::Sent,
        Some("delivered") => DeliveryStatus::Delivered,
        Some("read") => DeliveryStatus::Read,
        Some("failed") => DeliveryStatus::Failed,
        Some("played") => DeliveryStatus::Played,
        Some(other) => return Err(format!("unhandled WhatsApp status `{}`", short(other))),
        None => return Err("missing `status.status`".to_owned()),
    };
    let at = req_wa_time(s, "timestamp", "status")?;
    // `recipient_user_id` (the BSUID) is not in Meta's status reference table we work
    // from (WAR-status); it is named on Meta's business-scoped user id page as quoted by
    // secondary sources (WABS, 2°), and is said to be omitted on `failed` statuses of
    // messages sent to a phone number. Hence the fallback to `recipient_id`.
    let (contact_id, _) = ids
        .resolve(opt_id(s, "recipient_user_id", "status")?, opt_id(s, "recipient_id", "status")?)
        .ok_or_else(|| "status has neither `recipient_user_id` nor `recipient_id`".to_owned())?;
    Ok(DomainEvent::Status {
        key: key(phone_number_id, contact_id),
        mid,
        status,
        at,
        error: first_error(s),
        // WAS: returned in the status webhooks of a message sent with it.
        send_metadata: field(s, "biz_opaque_callback_data").and_then(Value::as_str).map(String::from),
    })
}

//! Meta's webhooks, simulated: bodies shaped like the ones Messenger, Instagram and the
//! WhatsApp Cloud API POST (META-API §2), written as Meta writes them (§1 "Escaped
//! unicode"), and [`WebhookSender`], which signs and delivers them as Meta does (§1
//! "Signature", "Retry — generic Graph", "Verification GET").
//!
//! Generators take a random number generator, so a seed gives the same bytes every time
//! (a second call with the same seed is a faithful redelivery: same ids, same bytes).
//! Each returns a [`Batch`]: the body plus what it holds, so an end-to-end test can look
//! for every message id in the desktop's store and search for a text.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use base64::Engine as _;
use base64::alphabet::Alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cahts_protocol::signature;
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::Serialize;

use super::to_meta_json;

// =======================================================================================
// What a generator returns
// =======================================================================================

/// One generated webhook body and what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The envelope's `object`: `page`, `instagram` or `whatsapp_business_account`.
    pub object: &'static str,
    /// The exact bytes to POST (and to sign).
    pub body: Vec<u8>,
    /// Every message in the body, in body order: inbound messages and echoes (Messenger,
    /// Instagram), inbound `messages[]` (WhatsApp).
    pub messages: Vec<GeneratedMessage>,
    /// Messenger / Instagram `reaction` items.
    pub reactions: usize,
    /// Receipts: Messenger `read` and `delivery` items, Instagram `read` (seen) items,
    /// WhatsApp `statuses[]` entries.
    pub receipts: usize,
}

impl Batch {
    /// The platform ids (`mid`, `wamid.…`) of [`Batch::messages`], in body order.
    pub fn message_ids(&self) -> Vec<&str> {
        self.messages.iter().map(|m| m.mid.as_str()).collect()
    }

    /// The texts of the messages that have one (WhatsApp image captions included).
    pub fn texts(&self) -> Vec<&str> {
        self.messages.iter().filter_map(|m| m.text.as_deref()).collect()
    }
}

/// One message a [`Batch`] carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedMessage {
    /// `mid` (Messenger, Instagram) or `wamid.…` (WhatsApp).
    pub mid: String,
    /// The business asset: Page id, Instagram account id, or WhatsApp `phone_number_id`.
    pub account_id: String,
    /// The customer: PSID, IGSID or `wa_id`.
    pub contact_id: String,
    /// True for an echo (the business sent it).
    pub outbound: bool,
    /// Message text, or the caption of a WhatsApp image.
    pub text: Option<String>,
    pub attachments: usize,
    /// The item's timestamp in Unix ms (WhatsApp: its seconds × 1000).
    pub sent_at_ms: i64,
}

/// What a batch is made of. Probabilities are per item and clamped to 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// Length of a text in characters, always within the range: whole sentences in the
    /// customer's language are appended until a length drawn from it is reached or the
    /// next sentence would pass its end; a text still shorter than its start is filled
    /// to its end with a cut sentence (so `500..=500` gives exactly 500). With the
    /// default, a Messenger item is about 400 bytes and an Instagram one about 500 (long
    /// `mid`s and media URLs, `\uXXXX` escapes), so 1–3 items per entry give the usual
    /// 0.5–2 KB per entry.
    pub text_chars: RangeInclusive<usize>,
    /// Unix ms of the first item; later items follow at random intervals.
    pub start_ms: i64,
    /// A message carries an attachment (image mostly; audio, video) instead of, or
    /// besides, text.
    pub attachment: f64,
    /// Messenger / Instagram: an item is an echo of a message the business sent.
    pub echo: f64,
    /// Messenger: a `read` or `delivery` receipt; Instagram: a `read` (seen) of a business
    /// message, when there is one to see.
    pub receipt: f64,
    /// Messenger / Instagram: a customer's reaction to an earlier message of the batch.
    pub reaction: f64,
    /// WhatsApp: an entry also carries a change with `statuses[]` of business messages.
    pub statuses: f64,
    /// Customers per batch.
    pub contacts: usize,
    /// Our app's id, as echoes of messages we sent carry it in `app_id`.
    pub app_id: u64,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix {
            text_chars: 16..=140,
            // 2026-01-01T10:00:00Z, near the fixture corpus.
            start_ms: 1_767_261_600_000,
            attachment: 0.15,
            echo: 0.2,
            receipt: 0.12,
            reaction: 0.08,
            statuses: 0.4,
            contacts: 6,
            app_id: 1_837_462_019_283_746,
        }
    }
}

/// The app id on echoes of messages sent from Meta's own inbox (Meta Business Suite),
/// as seen in the fixture corpus.
const META_INBOX_APP_ID: u64 = 263_902_037_430_900;

// =======================================================================================
// Messenger and Instagram (§2.1, §2.2)
// =======================================================================================

/// A Messenger webhook body (§2.1): `{"object":"page","entry":[{"id":PAGE,"time":ms,
/// "messaging":[…]}]}` with `entries` entries of `per_entry` items each, all for
/// `page_id`, with the [`Mix::default`] mix.
pub fn messenger_batch<R: Rng + ?Sized>(rng: &mut R, page_id: &str, entries: usize, per_entry: usize) -> Batch {
    messenger_batch_with(rng, &Mix::default(), page_id, entries, per_entry)
}

/// [`messenger_batch`] with a chosen [`Mix`].
///
/// Items: customer messages (PSID → Page; text, sometimes an `image` / `audio` /
/// `video` attachment with `payload.url`), echoes (`is_echo`, numeric `app_id`: Meta's
/// inbox or [`Mix::app_id`]; Page → PSID), `delivery{mids?, watermark}` without a
/// `timestamp` as in Meta's sample, `read{watermark}`, and
/// `reaction{mid, action:"react", reaction, emoji}` (§2.1 rows `message`, `is_echo`,
/// `reaction`, `read`, `delivery`).
pub fn messenger_batch_with<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    page_id: &str,
    entries: usize,
    per_entry: usize,
) -> Batch {
    messaging_batch(rng, mix, Flavor::Messenger, page_id, entries, per_entry)
}

/// An Instagram webhook body (§2.2): `"object":"instagram"`, `entry.id` the IG
/// professional account, the same `messaging[]` shape as Messenger, IGSIDs and IG's long
/// base64-like `mid`s, with the [`Mix::default`] mix.
pub fn instagram_batch<R: Rng + ?Sized>(rng: &mut R, ig_account_id: &str, entries: usize, per_entry: usize) -> Batch {
    instagram_batch_with(rng, &Mix::default(), ig_account_id, entries, per_entry)
}

/// [`instagram_batch`] with a chosen [`Mix`].
///
/// Differences from Messenger (§2.2): receipts are `read{mid}` (messaging_seen, per
/// message, not a watermark) of a business message; echoes come on the `messages` field
/// with `is_echo` and, when our app sent them, a string `app_id`; no `delivery`.
pub fn instagram_batch_with<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    ig_account_id: &str,
    entries: usize,
    per_entry: usize,
) -> Batch {
    messaging_batch(rng, mix, Flavor::Instagram, ig_account_id, entries, per_entry)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Messenger,
    Instagram,
}

impl Flavor {
    fn object(self) -> &'static str {
        match self {
            Flavor::Messenger => "page",
            Flavor::Instagram => "instagram",
        }
    }

    /// PSID (16 digits) or IGSID (16–17 digits).
    fn contact_id<R: Rng + ?Sized>(self, rng: &mut R) -> String {
        match self {
            Flavor::Messenger => digits(rng, 16),
            Flavor::Instagram => {
                let n = rng.random_range(16..=17);
                digits(rng, n)
            }
        }
    }

    /// Messenger: `m_` and 86 base64url characters. Instagram: the base64 text of
    /// `ig_message_item:1:IGMessageData:<account>:<n>:<n>` as it appears in IG `mid`s,
    /// with Meta's `ZD` tail.
    fn mid<R: Rng + ?Sized>(self, rng: &mut R, account: &str) -> String {
        match self {
            Flavor::Messenger => format!("m_{}", token(rng, 86, B64URL)),
            Flavor::Instagram => {
                let (a, b) = (digits(rng, 38), digits(rng, 39));
                let inner = base64(format!(":{account}:{a}:{b}").as_bytes(), B64STD, false);
                format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{inner}ZDZD")
            }
        }
    }

    fn media_url<R: Rng + ?Sized>(self, rng: &mut R, kind: &str, at: i64) -> String {
        let (path, ext) = match kind {
            "audio" => ("v/t59.3654-21", "mp4"),
            "video" => ("v/t42.3356-2", "mp4"),
            _ => ("v/t1.15752-9", "jpg"),
        };
        match self {
            Flavor::Messenger => {
                let host = match kind {
                    "audio" => "cdn.fbsbx.com",
                    "video" => "video.xx.fbcdn.net",
                    _ => "scontent.xx.fbcdn.net",
                };
                let name = if kind == "audio" {
                    format!("audioclip-{at}-{}.{ext}", digits(rng, 4))
                } else {
                    format!("{}_{}_{}_n.{ext}", digits(rng, 9), digits(rng, 15), digits(rng, 19))
                };
                format!(
                    "https://{host}/{path}/{name}?_nc_cat=10{}&ccb=1-7&_nc_sid=fc17b8&_nc_ohc={}&_nc_ad=z-m&_nc_cid=0&oh=03_{}&oe={}",
                    rng.random_range(1..=9),
                    token(rng, 23, B64URL),
                    token(rng, 42, B64URL),
                    token(rng, 8, HEX_UPPER),
                )
            }
            Flavor::Instagram => format!(
                "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id={}&signature={}",
                digits(rng, 17),
                token(rng, 108, B64URL),
            ),
        }
    }

    /// Messenger echoes carry a numeric `app_id` (MEV-echoes); the fixture corpus has an
    /// Instagram echo with a string `app_id` and one without.
    fn echo_app_id<R: Rng + ?Sized>(self, rng: &mut R, mix: &Mix) -> Option<serde_json::Value> {
        let ours = rng.random_bool(0.5);
        match self {
            Flavor::Messenger => Some(if ours { mix.app_id } else { META_INBOX_APP_ID }.into()),
            Flavor::Instagram => ours.then(|| mix.app_id.to_string().into()),
        }
    }
}

/// A customer and the messages of the batch in their conversation.
struct Conversation {
    id: String,
    lang: &'static Lang,
    /// (mid, business sent it, timestamp ms)
    history: Vec<(String, bool, i64)>,
}

fn messaging_batch<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    flavor: Flavor,
    account: &str,
    entries: usize,
    per_entry: usize,
) -> Batch {
    let mut conversations: Vec<Conversation> = (0..mix.contacts.max(1))
        .map(|_| Conversation { id: flavor.contact_id(rng), lang: pick_lang(rng), history: Vec::new() })
        .collect();
    let mut batch =
        Batch { object: flavor.object(), body: Vec::new(), messages: Vec::new(), reactions: 0, receipts: 0 };
    let mut clock = mix.start_ms;
    let mut entry = Vec::with_capacity(entries);
    for _ in 0..entries {
        let mut messaging = Vec::with_capacity(per_entry);
        for _ in 0..per_entry {
            clock += rng.random_range(400..30_000);
            let c = rng.random_range(0..conversations.len());
            let item = messaging_item(rng, mix, flavor, account, &mut conversations[c], clock, &mut batch);
            messaging.push(item);
        }
        // Meta stamps the entry when it sends the batch, after its items.
        clock += rng.random_range(20..900);
        entry.push(MessagingEntry { id: account.to_owned(), time: clock, messaging });
    }
    batch.body = to_meta_json(&Envelope { object: flavor.object(), entry });
    batch
}

enum ItemKind {
    Reaction,
    Receipt,
    Echo,
    Inbound,
}

fn item_kind<R: Rng + ?Sized>(rng: &mut R, mix: &Mix) -> ItemKind {
    let roll: f64 = rng.random();
    let reaction = prob(mix.reaction);
    let receipt = reaction + prob(mix.receipt);
    let echo = receipt + prob(mix.echo);
    if roll < reaction {
        ItemKind::Reaction
    } else if roll < receipt {
        ItemKind::Receipt
    } else if roll < echo {
        ItemKind::Echo
    } else {
        ItemKind::Inbound
    }
}

/// One `messaging[]` item. A reaction or receipt that has nothing to refer to yet
/// becomes a customer message instead.
fn messaging_item<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    flavor: Flavor,
    account: &str,
    convo: &mut Conversation,
    at: i64,
    batch: &mut Batch,
) -> MessagingItem {
    let from_customer =
        |event, timestamp| MessagingItem { sender: Id::new(&convo.id), recipient: Id::new(account), timestamp, event };
    match item_kind(rng, mix) {
        ItemKind::Reaction => {
            if let Some((mid, _, _)) = convo.history.choose(rng) {
                let names: &[(&str, &str)] = match flavor {
                    Flavor::Messenger => MESSENGER_REACTIONS,
                    Flavor::Instagram => INSTAGRAM_REACTIONS,
                };
                let (reaction, emoji) = *names.choose(rng).unwrap_or(&("love", "\u{2764}\u{fe0f}"));
                batch.reactions += 1;
                let event = Event::Reaction(Reaction { mid: mid.clone(), action: "react", reaction, emoji });
                return from_customer(event, Some(at));
            }
        }
        ItemKind::Receipt => {
            let echoes: Vec<&(String, bool, i64)> = convo.history.iter().filter(|(_, out, _)| *out).collect();
            match flavor {
                Flavor::Messenger => {
                    batch.receipts += 1;
                    let watermark =
                        echoes.last().map(|(_, _, ts)| *ts).unwrap_or_else(|| at - rng.random_range(1_000..60_000));
                    if rng.random_bool(0.5) {
                        // MEV-deliveries: `mids` optional, `watermark` always; Meta's
                        // sample has no `timestamp`.
                        let skip = echoes.len().saturating_sub(3);
                        let mids = echoes.iter().skip(skip).map(|(m, _, _)| m.clone()).collect();
                        return from_customer(Event::Delivery(DeliveryReceipt { mids, watermark }), None);
                    }
                    let read = Read { mid: None, watermark: Some(watermark) };
                    return from_customer(Event::Read(read), Some(at));
                }
                Flavor::Instagram => {
                    if let Some((mid, _, _)) = echoes.last() {
                        batch.receipts += 1;
                        let read = Read { mid: Some(mid.clone()), watermark: None };
                        return from_customer(Event::Read(read), Some(at));
                    }
                }
            }
        }
        ItemKind::Echo => return message_item(rng, mix, flavor, account, convo, at, true, batch),
        ItemKind::Inbound => {}
    }
    message_item(rng, mix, flavor, account, convo, at, false, batch)
}

#[allow(clippy::too_many_arguments)]
fn message_item<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    flavor: Flavor,
    account: &str,
    convo: &mut Conversation,
    at: i64,
    outbound: bool,
    batch: &mut Batch,
) -> MessagingItem {
    let mid = flavor.mid(rng, account);
    let (text, attachments) = if rng.random_bool(prob(mix.attachment)) {
        let kind = match rng.random_range(0..20) {
            _ if outbound => "image",
            0..=13 => "image",
            14..=17 => "audio",
            _ => "video",
        };
        let text = (kind == "image" && rng.random_bool(0.35)).then(|| message_text(rng, convo.lang, outbound, mix));
        let attachment = Attachment { kind, payload: Payload { url: flavor.media_url(rng, kind, at) } };
        (text, vec![attachment])
    } else {
        (Some(message_text(rng, convo.lang, outbound, mix)), Vec::new())
    };
    let app_id = if outbound { flavor.echo_app_id(rng, mix) } else { None };
    convo.history.push((mid.clone(), outbound, at));
    batch.messages.push(GeneratedMessage {
        mid: mid.clone(),
        account_id: account.to_owned(),
        contact_id: convo.id.clone(),
        outbound,
        text: text.clone(),
        attachments: attachments.len(),
        sent_at_ms: at,
    });
    let (sender, recipient) =
        if outbound { (Id::new(account), Id::new(&convo.id)) } else { (Id::new(&convo.id), Id::new(account)) };
    MessagingItem {
        sender,
        recipient,
        timestamp: Some(at),
        event: Event::Message(Message { is_echo: outbound, app_id, mid, text, attachments }),
    }
}

// Wire shapes, in Meta's key order (serialized with `to_meta_json`).

#[derive(Serialize)]
struct Envelope<'a, E> {
    object: &'a str,
    entry: Vec<E>,
}

#[derive(Serialize)]
struct MessagingEntry {
    id: String,
    time: i64,
    messaging: Vec<MessagingItem>,
}

#[derive(Serialize)]
struct MessagingItem {
    sender: Id,
    recipient: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(flatten)]
    event: Event,
}

#[derive(Serialize)]
struct Id {
    id: String,
}

impl Id {
    fn new(id: &str) -> Id {
        Id { id: id.to_owned() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Event {
    Message(Message),
    Reaction(Reaction),
    Read(Read),
    Delivery(DeliveryReceipt),
}

#[derive(Serialize)]
struct Message {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_echo: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_id: Option<serde_json::Value>,
    mid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: &'static str,
    payload: Payload,
}

#[derive(Serialize)]
struct Payload {
    url: String,
}

#[derive(Serialize)]
struct Reaction {
    mid: String,
    action: &'static str,
    reaction: &'static str,
    emoji: &'static str,
}

#[derive(Serialize)]
struct Read {
    #[serde(skip_serializing_if = "Option::is_none")]
    mid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watermark: Option<i64>,
}

#[derive(Serialize)]
struct DeliveryReceipt {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mids: Vec<String>,
    watermark: i64,
}

/// Reaction names with the emoji Meta sends (MEV-reactions).
const MESSENGER_REACTIONS: &[(&str, &str)] = &[
    ("love", "\u{2764}\u{fe0f}"),
    ("like", "\u{1f44d}"),
    ("smile", "\u{1f606}"),
    ("wow", "\u{1f62e}"),
    ("sad", "\u{1f622}"),
    ("angry", "\u{1f620}"),
];

/// Instagram's v12+ names (IGW): laugh instead of smile.
const INSTAGRAM_REACTIONS: &[(&str, &str)] = &[
    ("love", "\u{2764}\u{fe0f}"),
    ("like", "\u{1f44d}"),
    ("laugh", "\u{1f606}"),
    ("wow", "\u{1f62e}"),
    ("sad", "\u{1f622}"),
];

// =======================================================================================
// WhatsApp Cloud API (§2.4)
// =======================================================================================

/// A WhatsApp Cloud API webhook body (§2.4) with the [`Mix::default`] mix: `entries`
/// entries for `waba_id`, each with one `field:"messages"` change holding `per_change`
/// messages of one customer, and sometimes a second change with `statuses[]`.
pub fn whatsapp_batch<R: Rng + ?Sized>(
    rng: &mut R,
    waba_id: &str,
    phone_number_id: &str,
    display_phone: &str,
    entries: usize,
    per_change: usize,
) -> Batch {
    whatsapp_batch_with(rng, &Mix::default(), waba_id, phone_number_id, display_phone, entries, per_change)
}

/// [`whatsapp_batch`] with a chosen [`Mix`].
///
/// A messages change: `value{messaging_product:"whatsapp", metadata{display_phone_number,
/// phone_number_id}, contacts[{profile{name}, wa_id}], messages[{from, id:"wamid.…",
/// timestamp (Unix seconds as a string), type:"text", text{body}}]}`; with
/// [`Mix::attachment`] a message is `type:"image"` with `image{caption?, mime_type,
/// sha256, id}` instead (WAR-text, WAR-image). A statuses change: `statuses[{id, status:
/// sent|delivered|read, timestamp, recipient_id, conversation?, pricing?}]` for business
/// messages not in the batch, in the documented order (`read` may come without
/// `delivered`; `conversation` only on free-entry-point, `expiration_timestamp` only on
/// `sent`, no pricing on `read`) (WAR-status).
pub fn whatsapp_batch_with<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    waba_id: &str,
    phone_number_id: &str,
    display_phone: &str,
    entries: usize,
    per_change: usize,
) -> Batch {
    let customers: Vec<(String, &str, &Lang)> = (0..mix.contacts.max(1))
        .map(|_| {
            let name = NAMES.choose(rng).copied().unwrap_or("Zoë");
            (wa_phone(rng), name, pick_lang(rng))
        })
        .collect();
    let metadata =
        || WaMetadata { display_phone_number: display_phone.to_owned(), phone_number_id: phone_number_id.to_owned() };
    let mut batch = Batch {
        object: "whatsapp_business_account",
        body: Vec::new(),
        messages: Vec::new(),
        reactions: 0,
        receipts: 0,
    };
    let mut clock_s = mix.start_ms.div_euclid(1000);
    let mut entry = Vec::with_capacity(entries);
    for _ in 0..entries {
        let (wa_id, name, lang) = customers.choose(rng).cloned().unwrap_or_else(|| (wa_phone(rng), "Zoë", &LANGS[0]));
        let mut messages = Vec::with_capacity(per_change);
        for _ in 0..per_change {
            clock_s += rng.random_range(1..40);
            let id = wamid(rng, &wa_id, true);
            let (kind, text, image) = if rng.random_bool(prob(mix.attachment)) {
                let caption = rng.random_bool(0.5).then(|| message_text(rng, lang, false, mix));
                let mut digest = [0u8; 32];
                rng.fill(&mut digest[..]);
                let image = WaMedia {
                    caption: caption.clone(),
                    mime_type: "image/jpeg",
                    sha256: base64(&digest, B64STD, true),
                    id: digits(rng, 16),
                };
                ("image", caption, Some(image))
            } else {
                ("text", Some(message_text(rng, lang, false, mix)), None)
            };
            batch.messages.push(GeneratedMessage {
                mid: id.clone(),
                account_id: phone_number_id.to_owned(),
                contact_id: wa_id.clone(),
                outbound: false,
                text: text.clone(),
                attachments: usize::from(image.is_some()),
                sent_at_ms: clock_s * 1000,
            });
            messages.push(WaMessage {
                from: wa_id.clone(),
                id,
                timestamp: clock_s.to_string(),
                kind,
                text: if kind == "text" { text.map(|body| WaText { body }) } else { None },
                image,
            });
        }
        let mut changes = vec![WaChange {
            value: WaValue {
                messaging_product: "whatsapp",
                metadata: metadata(),
                contacts: vec![WaContact { profile: WaProfile { name: name.to_owned() }, wa_id: wa_id.clone() }],
                messages,
                statuses: Vec::new(),
            },
            field: "messages",
        }];
        if rng.random_bool(prob(mix.statuses)) {
            let mut statuses = Vec::new();
            for _ in 0..rng.random_range(1..=2) {
                let recipient = customers.choose(rng).map_or(&wa_id, |c| &c.0).clone();
                clock_s += rng.random_range(1..20);
                statuses.extend(status_sequence(rng, &recipient, &mut clock_s));
            }
            batch.receipts += statuses.len();
            changes.push(WaChange {
                value: WaValue {
                    messaging_product: "whatsapp",
                    metadata: metadata(),
                    contacts: Vec::new(),
                    messages: Vec::new(),
                    statuses,
                },
                field: "messages",
            });
        }
        entry.push(WaEntry { id: waba_id.to_owned(), changes });
    }
    batch.body = to_meta_json(&Envelope { object: batch.object, entry });
    batch
}

/// The statuses of one business message, in order: sent, then delivered and/or read.
fn status_sequence<R: Rng + ?Sized>(rng: &mut R, recipient: &str, clock_s: &mut i64) -> Vec<WaStatus> {
    let id = wamid(rng, recipient, false);
    let steps: &[&'static str] = match rng.random_range(0..4) {
        0 => &["sent"],
        1 => &["sent", "delivered"],
        2 => &["sent", "read"],
        _ => &["sent", "delivered", "read"],
    };
    // WARX: from v24 `conversation` is only sent for free-entry-point conversations.
    let (pricing_type, category, billable) = match rng.random_range(0..10) {
        0..=6 => ("free_customer_service", "service", false),
        7 => ("free_entry_point", "referral_conversion", false),
        _ => ("regular", "utility", true),
    };
    let conversation_id = token(rng, 32, HEX_LOWER);
    let mut out = Vec::with_capacity(steps.len());
    for &step in steps {
        let sent = step == "sent";
        *clock_s += rng.random_range(1..30);
        let conversation = (pricing_type == "free_entry_point" && step != "read").then(|| {
            WaConversation {
                id: conversation_id.clone(),
                // 72 h free-entry-point window, sent on `sent` only.
                expiration_timestamp: sent.then(|| (*clock_s + 72 * 3600).to_string()),
                origin: WaOrigin { kind: "referral_conversion" },
            }
        });
        let pricing =
            (step != "read").then_some(WaPricing { billable, pricing_model: "PMP", kind: pricing_type, category });
        out.push(WaStatus {
            id: id.clone(),
            status: step,
            timestamp: clock_s.to_string(),
            recipient_id: recipient.to_owned(),
            conversation,
            pricing,
        });
    }
    out
}

/// A `wamid`: `wamid.` and the base64 of the small protobuf Meta encodes in it (the
/// customer's number, then a hex message id: 20 or 32 characters for inbound messages,
/// 18 for business messages), as the ids in the fixture corpus decode.
fn wamid<R: Rng + ?Sized>(rng: &mut R, phone: &str, inbound: bool) -> String {
    let mut raw = vec![0x1c, 0x18];
    raw.push(u8::try_from(phone.len()).unwrap_or(u8::MAX));
    raw.extend_from_slice(phone.as_bytes());
    raw.extend_from_slice(&[0x15, 0x02, 0x00]);
    let (tag, len) = if inbound { (0x12, *[20usize, 32].choose(rng).unwrap_or(&20)) } else { (0x11, 18) };
    raw.extend_from_slice(&[tag, 0x18, len as u8]);
    raw.extend_from_slice(token(rng, len, HEX_UPPER).as_bytes());
    raw.push(0x00);
    format!("wamid.{}", base64(&raw, B64STD, true))
}

/// A customer's number as WhatsApp writes `wa_id`: country code and number, digits only.
fn wa_phone<R: Rng + ?Sized>(rng: &mut R) -> String {
    let (cc, rest) = *[
        ("49", 11),
        ("33", 9),
        ("44", 10),
        ("34", 9),
        ("971", 9),
        ("81", 10),
        ("1", 10),
        ("48", 9),
        ("351", 9),
        ("52", 10),
    ]
    .choose(rng)
    .unwrap_or(&("49", 11));
    format!("{cc}{}", digits(rng, rest))
}

#[derive(Serialize)]
struct WaEntry {
    id: String,
    changes: Vec<WaChange>,
}

#[derive(Serialize)]
struct WaChange {
    value: WaValue,
    field: &'static str,
}

#[derive(Serialize)]
struct WaValue {
    messaging_product: &'static str,
    metadata: WaMetadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<WaContact>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<WaMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<WaStatus>,
}

#[derive(Serialize)]
struct WaMetadata {
    display_phone_number: String,
    phone_number_id: String,
}

#[derive(Serialize)]
struct WaContact {
    profile: WaProfile,
    wa_id: String,
}

#[derive(Serialize)]
struct WaProfile {
    name: String,
}

#[derive(Serialize)]
struct WaMessage {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<WaText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<WaMedia>,
}

#[derive(Serialize)]
struct WaText {
    body: String,
}

#[derive(Serialize)]
struct WaMedia {
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    mime_type: &'static str,
    sha256: String,
    id: String,
}

#[derive(Serialize)]
struct WaStatus {
    id: String,
    status: &'static str,
    timestamp: String,
    recipient_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<WaConversation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing: Option<WaPricing>,
}

#[derive(Serialize)]
struct WaConversation {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_timestamp: Option<String>,
    origin: WaOrigin,
}

#[derive(Serialize)]
struct WaOrigin {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct WaPricing {
    billable: bool,
    pricing_model: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    category: &'static str,
}

// =======================================================================================
// Texts
// =======================================================================================

/// Customers' names, used in texts and WhatsApp profiles.
const NAMES: &[&str] = &[
    "Zoë",
    "Jürgen Müller",
    "José Álvarez",
    "Søren Kjær",
    "Łukasz Nowak",
    "Chloé Dubois",
    "Nguyễn Thị Lan",
    "Aïcha Benali",
    "محمد العلي",
    "李伟",
    "Ingrid Åström",
    "Renée Martin",
    "Sam Taylor",
    "Priya Sharma",
];

const EMOJI: &[&str] = &["🥐", "🙏", "😊", "👍", "🎂", "📦", "❤️", "🚚", "✨"];

/// A language customers write in, with what they write and what the business answers.
/// `{name}`, `{order}`, `{emoji}` are filled in.
struct Lang {
    /// How often a customer writes in it, relative to the others.
    weight: u32,
    inbound: &'static [&'static str],
    outbound: &'static [&'static str],
}

const LANGS: &[Lang] = &[
    Lang {
        weight: 30,
        inbound: &[
            "Hi! Are you open this Sunday? {emoji}",
            "Hello, this is {name}. Is order #{order} ready for pickup?",
            "Can I change the delivery address for #{order}? We moved last week.",
            "What are your opening hours today?\nI'd like to come by after 6.",
            "Is the €25 gift card still available? {emoji}",
            "I ordered the large tote (#{order}) but got the small one. Can I swap it?",
            "Do you have gluten-free croissants on Saturdays?",
            "Thanks, it arrived today and it's perfect {emoji}",
            "Do you deliver to Malmö? Asking for a friend {emoji}",
            "The cake for Zoë's birthday: can you write \"Happy birthday\" on it? {emoji}",
        ],
        outbound: &[
            "Hi {name}, yes we're open from 9:00 to 13:00. See you soon! {emoji}",
            "Your order #{order} is ready for pickup {emoji}",
            "We ship within 2–3 business days. Tracking follows by email ✉️",
            "Sure! I've updated the address for #{order}.",
            "Yes, gluten-free croissants every Saturday morning, while they last.",
            "Of course, the exchange is free. Just bring the tote and your receipt (#{order}).",
        ],
    },
    Lang {
        weight: 12,
        inbound: &[
            "Bonjour ! Vous êtes ouverts dimanche ? {emoji}",
            "Merci beaucoup, c'était délicieux {emoji}",
            "Est-ce que la commande #{order} est prête ? Je passe vers 17 h.",
            "Je préfère parler à quelqu'un, svp.",
            "Vous livrez à Saint-Étienne ?",
        ],
        outbound: &[
            "Merci {name} ! À bientôt.",
            "Oui, de 9 h à 13 h. À dimanche ! {emoji}",
            "Votre commande #{order} est prête {emoji}",
        ],
    },
    Lang {
        weight: 12,
        inbound: &[
            "Guten Tag, hier ist {name}. Wann kommt meine Bestellung #{order}?",
            "Hallo, kann ich für morgen um 10:30 einen Tisch für 4 reservieren?",
            "Ist die Lieferung für Freitag bestätigt? {emoji}",
            "Viele Grüße aus Köln, Familie Müller",
        ],
        outbound: &[
            "Leider ist der Artikel ausverkauft. Nächste Lieferung am Freitag.",
            "Gern! Der Tisch ist für morgen 10:30 reserviert {emoji}",
            "Ihre Bestellung #{order} ist unterwegs {emoji}",
        ],
    },
    Lang {
        weight: 10,
        inbound: &[
            "Hola, ¿tenéis la talla M en azul? {emoji}",
            "¿A qué hora cerráis hoy?",
            "Mi pedido #{order} llegó dañado, ¿qué hago?",
        ],
        outbound: &["¡Hola {name}! Sí, nos queda en azul.", "Cerramos a las 20:00 {emoji}"],
    },
    Lang {
        weight: 8,
        inbound: &["مرحبا، هل الطلب #{order} جاهز؟", "كم سعر التوصيل إلى دبي؟", "شكرا جزيلا {emoji}"],
        outbound: &["شكرا لك! طلبك في الطريق {emoji}", "التوصيل مجاني للطلبات فوق ١٠٠ درهم."],
    },
    Lang {
        weight: 6,
        inbound: &[
            "こんにちは！このバッグはまだ在庫ありますか？",
            "注文 #{order} の配送状況を教えてください。",
            "ありがとうございます{emoji}",
        ],
        outbound: &["はい、まだ在庫があります！", "色はベージュと黒です。"],
    },
    Lang {
        weight: 6,
        inbound: &["你好，请问周六几点开门？", "订单 #{order} 什么时候发货？", "谢谢！{emoji}"],
        outbound: &["周六早上九点开门。", "您的订单已经发货了 {emoji}"],
    },
    Lang {
        weight: 5,
        inbound: &["Dzień dobry, czy paczka #{order} została wysłana? {emoji}", "Czy mogę zapłacić BLIKiem?"],
        outbound: &["Dzień dobry! Paczka wyszła wczoraj {emoji}"],
    },
    Lang {
        weight: 4,
        inbound: &["Привет! Сколько стоит доставка?", "Заказ #{order} уже отправлен?"],
        outbound: &["Доставка бесплатная от 50 €.", "Да, отправили сегодня утром {emoji}"],
    },
    Lang {
        weight: 4,
        inbound: &["Xin chào, tôi muốn đặt 2 bánh mì cho ngày mai.", "Cửa hàng mở cửa lúc mấy giờ ạ?"],
        outbound: &["Dạ, mình đã ghi nhận đơn #{order} ạ {emoji}"],
    },
    Lang {
        weight: 5,
        inbound: &["Olá! Vocês aceitam pagamento por MB Way?", "A encomenda #{order} já foi enviada?"],
        outbound: &["Sim, aceitamos MB Way {emoji}", "Foi enviada hoje, {name}!"],
    },
];

fn pick_lang<R: Rng + ?Sized>(rng: &mut R) -> &'static Lang {
    LANGS.choose_weighted(rng, |l| l.weight).unwrap_or(&LANGS[0])
}

/// A message text in `lang`: whole sentences, in shuffled order, until a length drawn
/// from [`Mix::text_chars`] is reached or the next sentence would pass the range's end.
/// A text still shorter than the range's start is filled up to its end with a cut
/// sentence, so the length always falls in the range.
fn message_text<R: Rng + ?Sized>(rng: &mut R, lang: &Lang, outbound: bool, mix: &Mix) -> String {
    let max = (*mix.text_chars.end()).max(1);
    let min = (*mix.text_chars.start()).clamp(1, max);
    let target = rng.random_range(min..=max);
    let mut pool: Vec<&str> = if outbound { lang.outbound } else { lang.inbound }.to_vec();
    if pool.is_empty() {
        pool.push("Hello!");
    }
    pool.shuffle(rng);
    let mut out = String::new();
    let mut chars = 0;
    let mut i = 0;
    while chars < target {
        if i > 0 && i % pool.len() == 0 {
            pool.shuffle(rng);
        }
        let sentence = fill(rng, pool[i % pool.len()]);
        i += 1;
        let sep = usize::from(chars > 0);
        let len = sentence.chars().count();
        if chars + sep + len > max {
            if chars >= min {
                break;
            }
            if sep == 1 {
                out.push(' ');
            }
            out.extend(sentence.chars().take(max - chars - sep));
            break;
        }
        if sep == 1 {
            out.push(if rng.random_bool(0.1) { '\n' } else { ' ' });
        }
        out.push_str(&sentence);
        chars += sep + len;
    }
    if out.ends_with(char::is_whitespace) {
        out.pop();
        out.push('.');
    }
    out
}

fn fill<R: Rng + ?Sized>(rng: &mut R, template: &str) -> String {
    let mut s = template.to_owned();
    if s.contains("{name}") {
        let name = NAMES.choose(rng).copied().unwrap_or("Zoë");
        let first = name.split(' ').next().unwrap_or(name);
        s = s.replace("{name}", first);
    }
    if s.contains("{order}") {
        s = s.replace("{order}", &rng.random_range(10_000..100_000).to_string());
    }
    if s.contains("{emoji}") {
        s = s.replace("{emoji}", EMOJI.choose(rng).copied().unwrap_or("\u{1f60a}"));
    }
    s
}

// =======================================================================================
// Small helpers
// =======================================================================================

fn prob(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8] = b"0123456789abcdef";

/// `n` random characters of `alphabet`.
fn token<R: Rng + ?Sized>(rng: &mut R, n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

/// `n` random digits, the first not zero.
fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    let mut s = String::with_capacity(n);
    for i in 0..n {
        let d = if i == 0 { rng.random_range(1..=9u8) } else { rng.random_range(0..=9u8) };
        s.push(char::from(b'0' + d));
    }
    s
}

/// Base64 of `bytes` in `alphabet` ([`B64STD`] or [`B64URL`]), `=`-padded when `pad`.
///
/// # Panics
/// When `alphabet` is not 64 distinct printable ASCII characters (the two constants are).
fn base64(bytes: &[u8], alphabet: &[u8], pad: bool) -> String {
    let alphabet = std::str::from_utf8(alphabet).ok().and_then(|a| Alphabet::new(a).ok()).expect("a base64 alphabet");
    let config = GeneralPurposeConfig::new().with_encode_padding(pad);
    GeneralPurpose::new(&alphabet, config).encode(bytes)
}

/// A `hub.challenge` like Meta's: an int-like random value (§1 "Verification GET").
pub fn random_challenge<R: Rng + ?Sized>(rng: &mut R) -> String {
    rng.random_range(100_000_000u64..10_000_000_000).to_string()
}

// =======================================================================================
// The sender (§1)
// =======================================================================================

/// How Meta retries a failed delivery (§1 "Retry — generic Graph": immediately, then a
/// few more times with decreasing frequency; "Retry — Messenger / IG", "Retry —
/// WhatsApp": non-200 answers and unreachable endpoints are retried). Meta spreads the
/// retries over hours (36 h generic, up to 7 days on WhatsApp, about 1 h before
/// Messenger unsubscribes the app) and documents no exact schedule; tests compress it
/// with short delays.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total POSTs, the first included (1 = no retry).
    pub attempts: u32,
    /// The pause before the third attempt (the second follows the first immediately).
    pub first_delay: Duration,
    /// Each later pause is this many times the one before (> 1: decreasing frequency).
    pub factor: f64,
}

impl RetryPolicy {
    /// One POST, no retry.
    pub fn once() -> RetryPolicy {
        RetryPolicy { attempts: 1, ..RetryPolicy::default() }
    }

    /// The pause before attempt `attempt` (1-based): none before the first and the
    /// second (Meta "retries immediately"), then `first_delay`, `first_delay × factor`,
    /// `first_delay × factor²`… capped at 36 h.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        const CAP: Duration = Duration::from_secs(36 * 3600);
        if attempt <= 2 {
            return Duration::ZERO;
        }
        let exponent = i32::try_from(attempt - 3).unwrap_or(i32::MAX);
        let secs = self.first_delay.as_secs_f64() * self.factor.powi(exponent);
        Duration::try_from_secs_f64(secs).map_or(CAP, |d| d.min(CAP))
    }
}

impl Default for RetryPolicy {
    /// Five attempts: now, immediately again, then after 1 s, 4 s and 16 s.
    fn default() -> RetryPolicy {
        RetryPolicy { attempts: 5, first_delay: Duration::from_secs(1), factor: 4.0 }
    }
}

/// A delivery Meta would count as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The final HTTP status: always 200.
    pub status: u16,
    /// POSTs it took, the first included.
    pub attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Every attempt got an answer other than 200; `status` is the last one.
    #[error("the webhook endpoint answered HTTP {status} to the last of {attempts} attempts")]
    Rejected { attempts: u32, status: u16 },
    /// The last attempt got no answer (connection refused, reset, timeout...).
    #[error("the webhook endpoint was unreachable on the last of {attempts} attempts")]
    Unreachable {
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    /// A single request ([`WebhookSender::post_raw`], [`WebhookSender::verify_handshake`])
    /// failed before an answer.
    #[error("request to the webhook endpoint failed")]
    Request(#[from] reqwest::Error),
}

/// Meta's side of the webhook conversation with one callback URL.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    url: String,
    app_secret: String,
    retry: RetryPolicy,
}

impl fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The app secret stays out of test output.
        f.debug_struct("WebhookSender").field("url", &self.url).field("retry", &self.retry).finish_non_exhaustive()
    }
}

/// What we send as `User-Agent`. Meta's documentation does not name one; this is the
/// value commonly reported for Graph webhooks.
const USER_AGENT: &str = "facebookplatform/1.0 (+http://developers.facebook.com)";

impl WebhookSender {
    /// A sender for the callback `url`, signing with `app_secret`, retrying with
    /// [`RetryPolicy::default`]. Requests time out after 20 s (§1 "Response time":
    /// "a webhook call times out after 20 s") and redirects are not followed (Meta calls
    /// the configured URL).
    pub fn new(url: impl Into<String>, app_secret: impl Into<String>) -> WebhookSender {
        WebhookSender {
            client: default_client(),
            url: url.into(),
            app_secret: app_secret.into(),
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> WebhookSender {
        self.retry = retry;
        self
    }

    /// Sends through `client` instead, e.g. one trusting a test CA or with a shorter
    /// timeout. (Meta itself refuses self-signed certificates, §1 "Transport".)
    pub fn with_client(mut self, client: reqwest::Client) -> WebhookSender {
        self.client = client;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Delivers `body` as Meta does: a POST with `Content-Type: application/json` and
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of these exact bytes keyed with the
    /// app secret>` (§1 "Signature", "Body"). Anything but a 200 answer, and any
    /// connection error or timeout, is retried with the SAME bytes and signature per the
    /// [`RetryPolicy`] (§1 "Retry — generic Graph", "Retry — Messenger / IG", "Retry —
    /// WhatsApp": non-200 is retried). Returns the final status and the number of POSTs,
    /// or the last failure once all attempts are spent.
    pub async fn deliver(&self, body: &[u8]) -> Result<Delivery, SendError> {
        let signature = signature::sign(self.app_secret.as_bytes(), body);
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let failure = match self.send(body, Some(&signature)).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // Read the answer so the connection can be reused; its content does
                    // not matter to Meta.
                    let _ = response.bytes().await;
                    if status == 200 {
                        return Ok(Delivery { status, attempts: attempt });
                    }
                    SendError::Rejected { attempts: attempt, status }
                }
                Err(source) => SendError::Unreachable { attempts: attempt, source },
            };
            if attempt >= attempts {
                return Err(failure);
            }
            attempt += 1;
            let pause = self.retry.delay_before(attempt);
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// One POST of `body` with `signature` as the `X-Hub-Signature-256` value (`None`: no
    /// header), for negative tests (wrong secret, altered body, malformed header). Returns
    /// the status and the answer's text. No retry.
    pub async fn post_raw(&self, body: &[u8], signature: Option<&str>) -> Result<(u16, String), SendError> {
        let response = self.send(body, signature).await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// The verification GET Meta sends when the callback URL is saved (§1 "Verification
    /// GET"): `hub.mode=subscribe`, `hub.challenge`, `hub.verify_token`. The endpoint
    /// should answer 200 with exactly the challenge when the token matches, 403 or 400
    /// otherwise. Returns the status and the answer's text.
    pub async fn verify_handshake(&self, verify_token: &str, challenge: &str) -> Result<(u16, String), SendError> {
        let response = self
            .client
            .get(&self.url)
            .query(&[("hub.mode", "subscribe"), ("hub.challenge", challenge), ("hub.verify_token", verify_token)])
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    async fn send(&self, body: &[u8], signature: Option<&str>) -> Result<reqwest::Response, reqwest::Error> {
        let mut request =
            self.client.post(&self.url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_vec());
        if let Some(value) = signature {
            request = request.header(signature::HEADER, value);
        }
        request.send().await
    }
}

fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        // Header names as Meta writes them (`X-Hub-Signature-256`); receivers must not
        // care, but they should see what Meta sends.
        .http1_title_case_headers()
        .build()
        .expect("a reqwest client with static settings builds")
}

// =======================================================================================
// Tests
// =======================================================================================

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    use cahts_engine::DomainEvent;
    use cahts_engine::meta::webhook::{ParsedWebhook, parse_webhook};
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use serde_json::Value;

    use super::*;

    const PAGE: &str = "104628375019264";
    const IG: &str = "17841400000000001234";
    const WABA: &str = "102938475610293";
    const PHONE_ID: &str = "109876543210987";
    const DISPLAY: &str = "4930901820";
    const SECRET: &str = "meta-sim-app-secret";

    fn rng(seed: u64) -> SmallRng {
        SmallRng::seed_from_u64(seed)
    }

    /// Counts of the event kinds the engine produced.
    #[derive(Debug, Default)]
    struct Counts {
        messages: Vec<String>,
        reactions: usize,
        statuses: usize,
        watermarks: usize,
        contacts: usize,
        accounts: usize,
        other: usize,
    }

    fn counts(parsed: &ParsedWebhook) -> Counts {
        let mut c = Counts::default();
        for event in &parsed.events {
            match event {
                DomainEvent::Message(m) => c.messages.push(m.mid.clone()),
                DomainEvent::Reaction { .. } => c.reactions += 1,
                DomainEvent::Status { .. } => c.statuses += 1,
                DomainEvent::Watermark { .. } => c.watermarks += 1,
                DomainEvent::Contact { .. } => c.contacts += 1,
                DomainEvent::Account { .. } => c.accounts += 1,
                _ => c.other += 1,
            }
        }
        c
    }

    fn parse(batch: &Batch) -> (ParsedWebhook, Counts) {
        let parsed = parse_webhook(&batch.body).expect("the engine accepts the envelope");
        assert_eq!(parsed.object, batch.object);
        assert!(parsed.skipped.is_empty(), "skipped: {:#?}", parsed.skipped);
        let c = counts(&parsed);
        assert_eq!(c.messages, batch.message_ids(), "message events, in body order");
        (parsed, c)
    }

    fn assert_ascii(body: &[u8]) {
        assert!(body.iter().all(|b| *b < 0x80), "non-ASCII byte in the body");
    }

    /// The engine's view of each message matches what the generator says it made.
    fn assert_messages_match(parsed: &ParsedWebhook, batch: &Batch) {
        let messages: Vec<_> = parsed
            .events
            .iter()
            .filter_map(|e| match e {
                DomainEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        for (event, generated) in messages.iter().zip(&batch.messages) {
            assert_eq!(event.key.account_id, generated.account_id);
            assert_eq!(event.key.contact_id, generated.contact_id);
            assert_eq!(event.text, generated.text);
            assert_eq!(event.attachments.len(), generated.attachments);
            assert_eq!(event.sent_at, generated.sent_at_ms);
            let outbound = event.direction == cahts_engine::Direction::Outbound;
            assert_eq!(outbound, generated.outbound, "{}", generated.mid);
        }
    }

    #[test]
    fn messenger_batches_parse_without_skips() {
        for seed in 0..20 {
            let batch = messenger_batch(&mut rng(seed), PAGE, 4, 6);
            assert_ascii(&batch.body);
            let (parsed, c) = parse(&batch);
            assert_messages_match(&parsed, &batch);
            assert_eq!(c.reactions, batch.reactions);
            // Every read / delivery gives one watermark, plus statuses for listed mids.
            assert_eq!(c.watermarks, batch.receipts);
            assert_eq!(c.contacts + c.accounts + c.other, 0);
            let unique: HashSet<_> = batch.message_ids().into_iter().collect();
            assert_eq!(unique.len(), batch.messages.len(), "mids are unique");
            assert!(batch.messages.iter().all(|m| m.mid.starts_with("m_")));
            let default = Mix::default().text_chars;
            assert!(batch.texts().iter().all(|t| default.contains(&t.chars().count())));
        }
    }

    #[test]
    fn instagram_batches_parse_without_skips() {
        for seed in 0..20 {
            let batch = instagram_batch(&mut rng(seed), IG, 3, 6);
            assert_ascii(&batch.body);
            let (parsed, c) = parse(&batch);
            assert_messages_match(&parsed, &batch);
            assert_eq!(c.reactions, batch.reactions);
            // Instagram seen: one status per `read{mid}`, no watermark.
            assert_eq!((c.statuses, c.watermarks), (batch.receipts, 0));
            // Like the corpus' IG mids: the base64 text goes on with `:<IG account id>:`.
            let prefix = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxMjM0Oj";
            assert!(batch.messages.iter().all(|m| m.mid.starts_with(prefix)));
            let unique: HashSet<_> = batch.message_ids().into_iter().collect();
            assert_eq!(unique.len(), batch.messages.len(), "mids are unique");
        }
    }

    #[test]
    fn whatsapp_batches_parse_without_skips() {
        for seed in 0..20 {
            let batch = whatsapp_batch(&mut rng(seed), WABA, PHONE_ID, DISPLAY, 3, 4);
            assert_ascii(&batch.body);
            let (parsed, c) = parse(&batch);
            assert_messages_match(&parsed, &batch);
            assert_eq!(c.statuses, batch.receipts);
            assert_eq!(c.contacts, 3, "one contact per messages change");
            let changes = batch_json(&batch)["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["changes"].as_array().unwrap().len())
                .sum::<usize>();
            assert_eq!(c.accounts, changes, "one account event per change value");
            assert!(batch.messages.iter().all(|m| m.mid.starts_with("wamid.")));
        }
    }

    fn batch_json(batch: &Batch) -> Value {
        serde_json::from_slice(&batch.body).unwrap()
    }

    #[test]
    fn mixes_cover_every_item_kind() {
        // Across a few batches every kind the generators make shows up at least once.
        let mut r = rng(7);
        let mut seen = HashSet::new();
        for _ in 0..5 {
            let m = batch_json(&messenger_batch(&mut r, PAGE, 4, 8));
            let i = batch_json(&instagram_batch(&mut r, IG, 4, 8));
            for body in [m, i] {
                for entry in body["entry"].as_array().unwrap() {
                    for item in entry["messaging"].as_array().unwrap() {
                        let msg = &item["message"];
                        let key = if msg.is_object() {
                            if msg["is_echo"] == true {
                                "echo"
                            } else if msg["attachments"].is_array() {
                                "attachment"
                            } else {
                                "text"
                            }
                        } else if item["reaction"].is_object() {
                            "reaction"
                        } else if item["delivery"].is_object() {
                            "delivery"
                        } else {
                            "read"
                        };
                        seen.insert(format!("{}:{key}", body["object"].as_str().unwrap()));
                    }
                }
            }
            let w = batch_json(&whatsapp_batch(&mut r, WABA, PHONE_ID, DISPLAY, 4, 3));
            for entry in w["entry"].as_array().unwrap() {
                for change in entry["changes"].as_array().unwrap() {
                    for m in change["value"]["messages"].as_array().into_iter().flatten() {
                        seen.insert(format!("wa:{}", m["type"].as_str().unwrap()));
                    }
                    for s in change["value"]["statuses"].as_array().into_iter().flatten() {
                        seen.insert(format!("wa:{}", s["status"].as_str().unwrap()));
                    }
                }
            }
        }
        for kind in [
            "page:text",
            "page:attachment",
            "page:echo",
            "page:reaction",
            "page:delivery",
            "page:read",
            "instagram:text",
            "instagram:attachment",
            "instagram:echo",
            "instagram:reaction",
            "instagram:read",
            "wa:text",
            "wa:image",
            "wa:sent",
            "wa:delivered",
            "wa:read",
        ] {
            assert!(seen.contains(kind), "no {kind} in {seen:?}");
        }
    }

    #[test]
    fn shapes_follow_meta_api() {
        let m = batch_json(&messenger_batch(&mut rng(1), PAGE, 2, 8));
        assert_eq!(m["object"], "page");
        for entry in m["entry"].as_array().unwrap() {
            assert_eq!(entry["id"], PAGE);
            let time = entry["time"].as_i64().unwrap();
            for item in entry["messaging"].as_array().unwrap() {
                let (sender, recipient) = (&item["sender"]["id"], &item["recipient"]["id"]);
                assert!(sender.is_string() && recipient.is_string(), "ids are strings");
                if item["message"]["is_echo"] == true {
                    assert_eq!(sender, PAGE);
                    assert!(item["message"]["app_id"].is_u64());
                } else {
                    assert_eq!(recipient, PAGE);
                }
                if let Some(ts) = item["timestamp"].as_i64() {
                    assert!(ts < time, "entry.time follows its items");
                }
            }
        }

        let w = batch_json(&whatsapp_batch(&mut rng(1), WABA, PHONE_ID, DISPLAY, 3, 2));
        assert_eq!(w["object"], "whatsapp_business_account");
        let change = &w["entry"][0]["changes"][0];
        assert_eq!(change["field"], "messages");
        let value = &change["value"];
        assert_eq!(value["messaging_product"], "whatsapp");
        assert_eq!(value["metadata"]["phone_number_id"], PHONE_ID);
        assert_eq!(value["metadata"]["display_phone_number"], DISPLAY);
        let wa_id = value["contacts"][0]["wa_id"].as_str().unwrap();
        assert!(value["contacts"][0]["profile"]["name"].is_string());
        for m in value["messages"].as_array().unwrap() {
            assert_eq!(m["from"], wa_id);
            let ts = m["timestamp"].as_str().expect("WhatsApp timestamps are strings");
            assert_eq!(ts.len(), 10, "Unix seconds");
            let id = m["id"].as_str().unwrap();
            assert!(id.starts_with("wamid.HBg"), "{id}");
        }
    }

    #[test]
    fn wamids_decode_like_meta_ids() {
        // The fixture id `wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABIY…` starts with the number.
        let id = wamid(&mut rng(3), "4915123456789", true);
        assert!(id.starts_with("wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABIY"), "{id}");
        let out = wamid(&mut rng(3), "4915123456789", false);
        assert!(out.starts_with("wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABEYEj"), "{out}");
        assert_eq!(base64(b"hello", B64STD, true), "aGVsbG8=");
        assert_eq!(base64(b"hello", B64STD, false), "aGVsbG8");
        assert_eq!(base64(b"\xfb\xff", B64URL, false), "-_8");
    }

    #[test]
    fn same_seed_same_bytes() {
        let a = messenger_batch(&mut rng(42), PAGE, 3, 4);
        let b = messenger_batch(&mut rng(42), PAGE, 3, 4);
        assert_eq!(a, b);
        let c = whatsapp_batch(&mut rng(42), WABA, PHONE_ID, DISPLAY, 3, 4);
        assert_eq!(c, whatsapp_batch(&mut rng(42), WABA, PHONE_ID, DISPLAY, 3, 4));
        assert_ne!(a.body, messenger_batch(&mut rng(43), PAGE, 3, 4).body);
    }

    #[test]
    fn text_length_is_configurable() {
        let mix = Mix { text_chars: 500..=500, attachment: 0.0, ..Mix::default() };
        let batch = messenger_batch_with(&mut rng(5), &mix, PAGE, 2, 5);
        for text in batch.texts() {
            assert_eq!(text.chars().count(), 500, "{text}");
        }
        parse(&batch);

        let short = Mix { text_chars: 1..=12, ..Mix::default() };
        let batch = whatsapp_batch_with(&mut rng(5), &short, WABA, PHONE_ID, DISPLAY, 3, 3);
        assert!(batch.texts().iter().all(|t| (1..=12).contains(&t.chars().count())));
        parse(&batch);
    }

    #[test]
    fn default_sizes_are_realistic() {
        // Messenger / Instagram: about 0.5–2 KB per entry with 1–3 items each.
        let mut r = rng(11);
        for per_entry in 1..=3 {
            for batch in [messenger_batch(&mut r, PAGE, 20, per_entry), instagram_batch(&mut r, IG, 20, per_entry)] {
                let per = batch.body.len() / 20;
                assert!((400..=2048).contains(&per), "{} {per_entry}/entry: {per} B", batch.object);
            }
        }
    }

    #[test]
    fn texts_carry_non_ascii_and_escapes() {
        let mut r = rng(9);
        let mut texts = String::new();
        let mut bodies = Vec::new();
        for _ in 0..10 {
            let batch = messenger_batch(&mut r, PAGE, 3, 6);
            texts.extend(batch.texts().iter().map(|t| format!("{t}\n")));
            bodies.extend_from_slice(&batch.body);
        }
        assert!(!texts.is_ascii());
        assert!(texts.chars().any(|c| u32::from(c) > 0xffff), "some astral emoji");
        let bodies = String::from_utf8(bodies).unwrap();
        assert!(bodies.contains(r"\ud83"), "emoji as surrogate pairs");
    }

    // -- the sender, against a small real HTTP server ------------------------------------

    #[derive(Debug, Clone)]
    struct Posted {
        body: Vec<u8>,
        signature: Option<String>,
        content_type: Option<String>,
        signature_ok: bool,
    }

    struct Endpoint {
        /// Answer 500 to this many POSTs with a valid signature, then 200.
        fail_first: u32,
        verify_token: &'static str,
        posts: Mutex<Vec<Posted>>,
    }

    async fn receive(
        State(endpoint): State<Arc<Endpoint>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let signature = header(signature::HEADER);
        let signature_ok = signature::verify(SECRET.as_bytes(), &body, signature.as_deref()).is_ok();
        let valid_before = {
            let mut posts = endpoint.posts.lock().unwrap();
            let valid = posts.iter().filter(|p| p.signature_ok).count();
            posts.push(Posted { body: body.to_vec(), signature, content_type: header("content-type"), signature_ok });
            u32::try_from(valid).unwrap()
        };
        if !signature_ok {
            (StatusCode::FORBIDDEN, "bad signature")
        } else if valid_before < endpoint.fail_first {
            (StatusCode::INTERNAL_SERVER_ERROR, "try again later")
        } else {
            (StatusCode::OK, "EVENT_RECEIVED")
        }
    }

    async fn handshake(
        State(endpoint): State<Arc<Endpoint>>,
        Query(query): Query<HashMap<String, String>>,
    ) -> (StatusCode, String) {
        let mode = query.get("hub.mode").map(String::as_str);
        let token = query.get("hub.verify_token").map(String::as_str);
        match (mode, token, query.get("hub.challenge")) {
            (Some("subscribe"), Some(t), Some(challenge)) if t == endpoint.verify_token => {
                (StatusCode::OK, challenge.clone())
            }
            _ => (StatusCode::FORBIDDEN, String::new()),
        }
    }

    async fn endpoint(fail_first: u32) -> (String, Arc<Endpoint>) {
        let state = Arc::new(Endpoint { fail_first, verify_token: "let-me-in", posts: Mutex::new(Vec::new()) });
        let app = Router::new().route("/webhook", get(handshake).post(receive)).with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/webhook"), state)
    }

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy { attempts, first_delay: Duration::from_millis(20), factor: 2.0 }
    }

    #[tokio::test]
    async fn retries_the_same_signed_bytes_until_200() {
        let (url, endpoint) = endpoint(2).await;
        let batch = messenger_batch(&mut rng(1), PAGE, 2, 3);
        let sender = WebhookSender::new(url, SECRET).with_retry(fast(5));
        let started = Instant::now();
        let delivery = sender.deliver(&batch.body).await.unwrap();
        assert_eq!(delivery, Delivery { status: 200, attempts: 3 });
        // Attempt 2 follows at once, attempt 3 after `first_delay`.
        assert!(started.elapsed() >= Duration::from_millis(20));

        let posts = endpoint.posts.lock().unwrap().clone();
        assert_eq!(posts.len(), 3);
        let expected = signature::sign(SECRET.as_bytes(), &batch.body);
        for post in &posts {
            assert_eq!(post.body, batch.body, "identical bytes on every attempt");
            assert_eq!(post.signature.as_deref(), Some(expected.as_str()));
            assert!(post.signature_ok);
            assert_eq!(post.content_type.as_deref(), Some("application/json"));
        }
        // What arrived is what the engine parses.
        let parsed = parse_webhook(&posts[2].body).unwrap();
        assert!(parsed.skipped.is_empty());
    }

    #[tokio::test]
    async fn gives_up_after_the_last_attempt() {
        let (url, endpoint) = endpoint(u32::MAX).await;
        let body = whatsapp_batch(&mut rng(2), WABA, PHONE_ID, DISPLAY, 1, 1).body;
        let sender = WebhookSender::new(url, SECRET).with_retry(fast(4));
        let err = sender.deliver(&body).await.unwrap_err();
        assert!(matches!(err, SendError::Rejected { attempts: 4, status: 500 }), "{err:?}");
        let posts = endpoint.posts.lock().unwrap();
        assert_eq!(posts.len(), 4);
        assert!(posts.iter().all(|p| p.body == body && p.signature_ok));
    }

    #[tokio::test]
    async fn no_retry_when_the_first_answer_is_200() {
        let (url, endpoint) = endpoint(0).await;
        let sender = WebhookSender::new(url, SECRET).with_retry(fast(5));
        let delivery = sender.deliver(b"{\"object\":\"page\",\"entry\":[]}").await.unwrap();
        assert_eq!(delivery.attempts, 1);
        assert_eq!(endpoint.posts.lock().unwrap().len(), 1);

        let once = WebhookSender::new(sender.url(), SECRET).with_retry(RetryPolicy::once());
        assert_eq!(once.deliver(b"{}").await.unwrap().attempts, 1);
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_retried_then_reported() {
        // A port that was free a moment ago: connections are refused.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let sender = WebhookSender::new(format!("http://{addr}/webhook"), SECRET).with_retry(fast(3));
        let err = sender.deliver(b"{}").await.unwrap_err();
        assert!(matches!(err, SendError::Unreachable { attempts: 3, .. }), "{err:?}");
    }

    #[tokio::test]
    async fn post_raw_sends_the_signature_it_is_given() {
        let (url, endpoint) = endpoint(0).await;
        let sender = WebhookSender::new(url, SECRET);
        let body = br#"{"object":"page","entry":[]}"#;
        let wrong = signature::sign(b"another secret", body);
        assert_eq!(sender.post_raw(body, Some(&wrong)).await.unwrap(), (403, "bad signature".to_owned()));
        assert_eq!(sender.post_raw(body, None).await.unwrap().0, 403);
        let right = signature::sign(SECRET.as_bytes(), body);
        assert_eq!(sender.post_raw(body, Some(&right)).await.unwrap(), (200, "EVENT_RECEIVED".to_owned()));
        let posts = endpoint.posts.lock().unwrap();
        let sent: Vec<_> = posts.iter().map(|p| p.signature.clone()).collect();
        assert_eq!(sent, [Some(wrong), None, Some(right)]);
    }

    #[tokio::test]
    async fn verification_handshake() {
        let (url, _endpoint) = endpoint(0).await;
        let sender = WebhookSender::new(url, SECRET);
        let challenge = random_challenge(&mut rng(4));
        assert!(challenge.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(sender.verify_handshake("let-me-in", &challenge).await.unwrap(), (200, challenge.clone()));
        assert_eq!(sender.verify_handshake("wrong", &challenge).await.unwrap().0, 403);
    }

    #[test]
    fn retry_schedule_is_immediate_then_decreasing_frequency() {
        let p = RetryPolicy { attempts: 6, first_delay: Duration::from_millis(100), factor: 3.0 };
        let delays: Vec<_> = (1..=6).map(|n| p.delay_before(n)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(delays, [ms(0), ms(0), ms(100), ms(300), ms(900), ms(2700)]);
        let huge = RetryPolicy { factor: 1e300, ..p };
        assert_eq!(huge.delay_before(40), Duration::from_secs(36 * 3600));
    }

    #[test]
    fn debug_hides_the_app_secret() {
        let sender = WebhookSender::new("http://127.0.0.1:9/webhook", SECRET);
        assert!(!format!("{sender:?}").contains(SECRET));
    }
}

//! Messenger and Instagram webhook bodies (META-API §2.1, §2.2): `object:"page"` or
//! `"instagram"`, entries of `messaging[]` items (messages, echoes, reactions, reads,
//! deliveries, postbacks, referrals, edits, deletes).

use super::*;

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
pub(super) enum Flavor {
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
pub(super) struct Conversation {
    id: String,
    lang: &'static Lang,
    /// (mid, business sent it, timestamp ms)
    history: Vec<(String, bool, i64)>,
}

pub(super) fn messaging_batch<R: Rng + ?Sized>(
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

pub(super) enum ItemKind {
    Reaction,
    Receipt,
    Echo,
    Inbound,
}

pub(super) fn item_kind<R: Rng + ?Sized>(rng: &mut R, mix: &Mix) -> ItemKind {
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
pub(super) fn messaging_item<R: Rng + ?Sized>(
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
pub(super) fn message_item<R: Rng + ?Sized>(
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
pub(super) struct Envelope<'a, E> {
    pub(super) object: &'a str,
    pub(super) entry: Vec<E>,
}

#[derive(Serialize)]
pub(super) struct MessagingEntry {
    id: String,
    time: i64,
    messaging: Vec<MessagingItem>,
}

#[derive(Serialize)]
pub(super) struct MessagingItem {
    sender: Id,
    recipient: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(flatten)]
    event: Event,
}

#[derive(Serialize)]
pub(super) struct Id {
    id: String,
}

impl Id {
    fn new(id: &str) -> Id {
        Id { id: id.to_owned() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Event {
    Message(Message),
    Reaction(Reaction),
    Read(Read),
    Delivery(DeliveryReceipt),
}

#[derive(Serialize)]
pub(super) struct Message {
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
pub(super) struct Attachment {
    #[serde(rename = "type")]
    kind: &'static str,
    payload: Payload,
}

#[derive(Serialize)]
pub(super) struct Payload {
    url: String,
}

#[derive(Serialize)]
pub(super) struct Reaction {
    mid: String,
    action: &'static str,
    reaction: &'static str,
    emoji: &'static str,
}

#[derive(Serialize)]
pub(super) struct Read {
    #[serde(skip_serializing_if = "Option::is_none")]
    mid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watermark: Option<i64>,
}

#[derive(Serialize)]
pub(super) struct DeliveryReceipt {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mids: Vec<String>,
    watermark: i64,
}

/// Reaction names with the emoji Meta sends (MEV-reactions).
pub(super) const MESSENGER_REACTIONS: &[(&str, &str)] = &[
    ("love", "\u{2764}\u{fe0f}"),
    ("like", "\u{1f44d}"),
    ("smile", "\u{1f606}"),
    ("wow", "\u{1f62e}"),
    ("sad", "\u{1f622}"),
    ("angry", "\u{1f620}"),
];

/// Instagram's v12+ names (IGW): laugh instead of smile.
pub(super) const INSTAGRAM_REACTIONS: &[(&str, &str)] = &[
    ("love", "\u{2764}\u{fe0f}"),
    ("like", "\u{1f44d}"),
    ("laugh", "\u{1f606}"),
    ("wow", "\u{1f62e}"),
    ("sad", "\u{1f622}"),
];

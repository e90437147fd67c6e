//! WhatsApp Cloud API webhook bodies (META-API §2.4): `object:"whatsapp_business_account"`
//! entries whose `messages` changes hold customer messages and `statuses[]` updates.

use super::*;

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
    let customers = wa_customers(rng, mix);
    let number = BusinessNumber { phone_number_id, display_phone };
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
        let customer = customers.choose(rng).cloned().unwrap_or_else(|| WaCustomer {
            wa_id: wa_phone(rng),
            name: "Zoë",
            lang: &LANGS[0],
        });
        let mut messages = Vec::with_capacity(per_change);
        for _ in 0..per_change {
            let (generated, message) = inbound_message(rng, mix, &number, &customer, &mut clock_s);
            batch.messages.push(generated);
            messages.push(message);
        }
        let mut changes = vec![number.change(vec![customer.contact()], messages, Vec::new())];
        if rng.random_bool(prob(mix.statuses)) {
            let statuses = status_updates(rng, &customers, &customer.wa_id, &mut clock_s);
            batch.receipts += statuses.len();
            changes.push(number.change(Vec::new(), Vec::new(), statuses));
        }
        entry.push(WaEntry { id: waba_id.to_owned(), changes });
    }
    batch.body = to_meta_json(&Envelope { object: batch.object, entry });
    batch
}

/// A customer of a batch, as its `contacts[]` item and messages show them.
#[derive(Clone)]
struct WaCustomer {
    wa_id: String,
    name: &'static str,
    lang: &'static Lang,
}

impl WaCustomer {
    fn contact(&self) -> WaContact {
        WaContact { profile: WaProfile { name: self.name.to_owned() }, wa_id: self.wa_id.clone() }
    }
}

/// The business number a batch is addressed to: every change's `metadata`.
struct BusinessNumber<'a> {
    phone_number_id: &'a str,
    display_phone: &'a str,
}

impl BusinessNumber<'_> {
    /// A `field:"messages"` change: customer messages (with their contact) or statuses.
    fn change(&self, contacts: Vec<WaContact>, messages: Vec<WaMessage>, statuses: Vec<WaStatus>) -> WaChange {
        WaChange {
            value: WaValue {
                messaging_product: "whatsapp",
                metadata: WaMetadata {
                    display_phone_number: self.display_phone.to_owned(),
                    phone_number_id: self.phone_number_id.to_owned(),
                },
                contacts,
                messages,
                statuses,
            },
            field: "messages",
        }
    }
}

/// [`Mix::contacts`] customers (at least one), each with a number, a name and a language.
fn wa_customers<R: Rng + ?Sized>(rng: &mut R, mix: &Mix) -> Vec<WaCustomer> {
    (0..mix.contacts.max(1))
        .map(|_| {
            let name = NAMES.choose(rng).copied().unwrap_or("Zoë");
            WaCustomer { wa_id: wa_phone(rng), name, lang: pick_lang(rng) }
        })
        .collect()
}

/// One customer message, a few seconds after the previous one: what the batch records of
/// it, and its `messages[]` item.
fn inbound_message<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    number: &BusinessNumber<'_>,
    customer: &WaCustomer,
    clock_s: &mut i64,
) -> (GeneratedMessage, WaMessage) {
    *clock_s += rng.random_range(1..40);
    let id = wamid(rng, &customer.wa_id, true);
    let (kind, text, image) = message_content(rng, mix, customer.lang);
    let generated = GeneratedMessage {
        mid: id.clone(),
        account_id: number.phone_number_id.to_owned(),
        contact_id: customer.wa_id.clone(),
        outbound: false,
        text: text.clone(),
        attachments: usize::from(image.is_some()),
        sent_at_ms: *clock_s * 1000,
    };
    let message = WaMessage {
        from: customer.wa_id.clone(),
        id,
        timestamp: clock_s.to_string(),
        kind,
        text: if kind == "text" { text.map(|body| WaText { body }) } else { None },
        image,
    };
    (generated, message)
}

/// A message's `type`, its text (an image's caption) and its `image`: an image with
/// probability [`Mix::attachment`] (WAR-image), otherwise text (WAR-text).
fn message_content<R: Rng + ?Sized>(
    rng: &mut R,
    mix: &Mix,
    lang: &Lang,
) -> (&'static str, Option<String>, Option<WaMedia>) {
    if rng.random_bool(prob(mix.attachment)) {
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
    }
}

/// `statuses[]` of one or two business messages, each to a customer of the batch
/// (WAR-status); `fallback` only if there is none.
fn status_updates<R: Rng + ?Sized>(
    rng: &mut R,
    customers: &[WaCustomer],
    fallback: &str,
    clock_s: &mut i64,
) -> Vec<WaStatus> {
    let mut statuses = Vec::new();
    for _ in 0..rng.random_range(1..=2) {
        let recipient = customers.choose(rng).map_or(fallback, |c| c.wa_id.as_str()).to_owned();
        *clock_s += rng.random_range(1..20);
        statuses.extend(status_sequence(rng, &recipient, clock_s));
    }
    statuses
}

/// The statuses of one business message, in order: sent, then delivered and/or read.
pub(super) fn status_sequence<R: Rng + ?Sized>(rng: &mut R, recipient: &str, clock_s: &mut i64) -> Vec<WaStatus> {
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
pub(super) fn wamid<R: Rng + ?Sized>(rng: &mut R, phone: &str, inbound: bool) -> String {
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
pub(super) fn wa_phone<R: Rng + ?Sized>(rng: &mut R) -> String {
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
pub(super) struct WaEntry {
    id: String,
    changes: Vec<WaChange>,
}

#[derive(Serialize)]
pub(super) struct WaChange {
    value: WaValue,
    field: &'static str,
}

#[derive(Serialize)]
pub(super) struct WaValue {
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
pub(super) struct WaMetadata {
    display_phone_number: String,
    phone_number_id: String,
}

#[derive(Serialize)]
pub(super) struct WaContact {
    profile: WaProfile,
    wa_id: String,
}

#[derive(Serialize)]
pub(super) struct WaProfile {
    name: String,
}

#[derive(Serialize)]
pub(super) struct WaMessage {
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
pub(super) struct WaText {
    body: String,
}

#[derive(Serialize)]
pub(super) struct WaMedia {
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    mime_type: &'static str,
    sha256: String,
    id: String,
}

#[derive(Serialize)]
pub(super) struct WaStatus {
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
pub(super) struct WaConversation {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_timestamp: Option<String>,
    origin: WaOrigin,
}

#[derive(Serialize)]
pub(super) struct WaOrigin {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
pub(super) struct WaPricing {
    billable: bool,
    pricing_model: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    category: &'static str,
}

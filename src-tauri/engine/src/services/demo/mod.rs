//! Generated conversations that look like one small business's inbox: for "Explore with
//! demo data" (written to a separate store, never the real one) and for benchmarks, which
//! push them through the same apply path as webhooks.
//!
//! The business is Little Crumb Bakehouse, a bakery-café on Gloucester Road in Bristol,
//! on Messenger, Instagram and WhatsApp. Every contact is one person who speaks one
//! language throughout their thread (most English, a few Spanish or French) about the
//! bakery's own topics: cake orders, opening hours, allergies, bookings, pre-orders,
//! catering, lost property... A thread is a run of episodes, each a scripted exchange (the
//! customer asks, the business answers, follow-ups that fit) whose wording is picked from
//! variants and filled in with that episode's details (day, time, flavour, order number).
//!
//! Deterministic for a given seed, so a benchmark run is repeatable.

use std::collections::HashSet;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::domain::events::*;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

pub const PAGE_ID: &str = "104857600000001";
pub const INSTAGRAM_ID: &str = "17841400000000001234";
pub const WHATSAPP_NUMBER_ID: &str = "106540352242922";

/// The demo business, the same on all three platforms.
pub const BUSINESS_NAME: &str = "Little Crumb Bakehouse";
const INSTAGRAM_NAME: &str = "@littlecrumbbakehouse";
/// From Ofcom's range for drama (0117 496 0xxx): a Bristol number that rings nobody.
const WHATSAPP_DISPLAY: &str = "+44 117 496 0321";
const SHOP_ADDRESS: &str = "14 Gloucester Road, Bristol";
const SHOP_LATITUDE: f64 = 51.4726;
const SHOP_LONGITUDE: f64 = -2.5917;

/// How many conversations the demo inbox has.
pub const DEMO_CONVERSATIONS: usize = 36;
/// Conversations still going on: the customer wrote in the last hours and waits for an answer.
const LIVE_SLOTS: &[usize] = &[2, 6, 10, 11, 15, 19, 23, 27, 30, 34];
/// The conversation whose customer wrote a minute ago, the newest thing in the inbox.
const LATEST_SLOT: usize = 10;
/// Contacts whose first episode is this topic in full (each beat's first alternative,
/// the correction and the reactions always happening), so that the demo always shows
/// every kind of message and event: photos, a voice note, PDFs, pins, a story mention, an
/// edit, a message refused outside WhatsApp's 24-hour window and the template after it.
const SHOWCASE: &[(usize, &str)] = &[
    (0, "table booking"),
    (1, "story shout-out"),
    (5, "birthday cake"),
    (7, "job enquiry"),
    (8, "office catering"),
    (12, "something went wrong"),
    (14, "directions"),
    (17, "pre-order"),
];

const IMAGE_URL: &str = "https://scontent.example/v/t1/demo-photo.jpg";

/// Extra words mixed into benchmark messages so the search index has a realistic
/// vocabulary rather than a few hundred repeated sentences; a few in other scripts, which
/// the benchmark's queries look for.
const VOCABULARY: &[&str] = &[
    "order",
    "delivery",
    "refund",
    "invoice",
    "tomorrow",
    "weekend",
    "size",
    "colour",
    "price",
    "discount",
    "reservation",
    "birthday",
    "wedding",
    "gift",
    "voucher",
    "bouquet",
    "croissant",
    "espresso",
    "parcel",
    "tracking",
    "address",
    "Zürich",
    "München",
    "Málaga",
    "Kraków",
    "São",
    "Paulo",
    "crème",
    "brûlée",
    "naïve",
    "façade",
    "jalapeño",
    "smörgåsbord",
    "pâtisserie",
    "open",
    "closed",
    "hours",
    "menu",
    "table",
    "allergy",
    "gluten",
    "vegan",
    "organic",
    "linen",
    "cotton",
    "leather",
    "ceramic",
    "candle",
    "soap",
    "予約",
    "ありがとう",
    "مرحبا",
    "شكرا",
    "спасибо",
];

/// The language a contact writes in, and the business answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    Spanish,
    French,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::English, Language::Spanish, Language::French];

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
            Language::French => "fr",
        }
    }
}

/// One demo contact: who they are and the language of their whole thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persona {
    pub first: &'static str,
    pub last: &'static str,
    pub language: Language,
}

const fn en(first: &'static str, last: &'static str) -> Persona {
    Persona { first, last, language: Language::English }
}
const fn es(first: &'static str, last: &'static str) -> Persona {
    Persona { first, last, language: Language::Spanish }
}
const fn fr(first: &'static str, last: &'static str) -> Persona {
    Persona { first, last, language: Language::French }
}

/// The demo's contacts, one per conversation slot (slot % 3 picks the platform).
const PERSONAS: &[Persona] = &[
    en("Hannah", "Morgan"),
    en("Tom", "Hughes"),
    en("Priya", "Patel"),
    en("Kofi", "Mensah"),
    es("Lucía", "Fernández"),
    en("Ellie", "Roberts"),
    en("James", "O'Connor"),
    en("Aisha", "Khan"),
    en("Oliver", "Bennett"),
    en("Grace", "Adeyemi"),
    en("Sam", "Whitfield"),
    es("Javier", "Morales"),
    en("Chloe", "Evans"),
    en("Ryan", "Lewis"),
    en("Zara", "Ahmed"),
    en("Dan", "Fletcher"),
    en("Megan", "Price"),
    en("Harry", "Collins"),
    en("Niamh", "Kelly"),
    fr("Camille", "Laurent"),
    en("Lewis", "Grant"),
    en("Fatima", "Hussain"),
    en("Ben", "Carter"),
    en("Ruby", "Walsh"),
    es("Carmen", "Ruiz"),
    en("Marcus", "Reid"),
    en("Isla", "Campbell"),
    en("Jack", "Thornton"),
    en("Amara", "Okafor"),
    en("Sophie", "Clarke"),
    en("Will", "Davies"),
    en("Leah", "Simmons"),
    fr("Julien", "Moreau"),
    en("Callum", "Shaw"),
    en("Olivia", "Nash"),
    en("Ethan", "Brooks"),
];

/// Who writes a line of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Customer,
    Business,
}

impl Who {
    fn direction(self) -> Direction {
        match self {
            Who::Customer => Direction::Inbound,
            Who::Business => Direction::Outbound,
        }
    }
}

/// What a line of a script sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Text,
    /// A photo; the texts are captions ("" for none).
    Photo,
    Voice,
    /// A PDF with this file name.
    Pdf(&'static str),
    /// The shop's pin (WhatsApp only).
    ShopPin,
    /// The customer's own location, e.g. where to deliver (WhatsApp only).
    CustomerPin,
    /// The customer mentions the shop in their story (Instagram only).
    Story,
}

/// One message of a script: any of `texts` fits here.
#[derive(Debug, Clone, Copy)]
struct Step {
    who: Who,
    what: What,
    texts: &'static [&'static str],
    /// Sent on a later day (the morning an order is due), not straight after the last message.
    later: bool,
    /// The customer may correct the number in it ({n}, {count}) right after sending.
    edit: bool,
    /// The other side may react to it.
    react: bool,
}

impl Step {
    const fn later(self) -> Step {
        Step { later: true, ..self }
    }
    const fn edit(self) -> Step {
        Step { edit: true, ..self }
    }
    const fn react(self) -> Step {
        Step { react: true, ..self }
    }

    fn fits(&self, platform: Platform) -> bool {
        match self.what {
            What::ShopPin | What::CustomerPin => platform == Platform::Whatsapp,
            What::Story => platform == Platform::Instagram,
            _ => true,
        }
    }
}

const fn step(who: Who, what: What, texts: &'static [&'static str]) -> Step {
    Step { who, what, texts, later: false, edit: false, react: false }
}
const fn c(texts: &'static [&'static str]) -> Step {
    step(Who::Customer, What::Text, texts)
}
const fn b(texts: &'static [&'static str]) -> Step {
    step(Who::Business, What::Text, texts)
}
const fn c_photo(captions: &'static [&'static str]) -> Step {
    step(Who::Customer, What::Photo, captions)
}
const fn b_photo(captions: &'static [&'static str]) -> Step {
    step(Who::Business, What::Photo, captions)
}
const fn c_voice() -> Step {
    step(Who::Customer, What::Voice, &[])
}
const fn c_pdf(name: &'static str) -> Step {
    step(Who::Customer, What::Pdf(name), &[])
}
const fn b_pdf(name: &'static str) -> Step {
    step(Who::Business, What::Pdf(name), &[])
}
const fn shop_pin() -> Step {
    step(Who::Business, What::ShopPin, &[])
}
const fn c_pin() -> Step {
    step(Who::Customer, What::CustomerPin, &[])
}
const fn story() -> Step {
    step(Who::Customer, What::Story, &[])
}

/// One of the ways a part of a conversation can go; empty for "this part does not happen".
type Alternative = &'static [Step];
/// A part of a conversation: one of its alternatives is picked.
type Beat = &'static [Alternative];

/// Something customers write to the bakery about, as a script of beats.
struct Topic {
    name: &'static str,
    /// Only contacts on this platform bring it up (a story mention is Instagram's).
    only: Option<Platform>,
    beats: &'static [Beat],
}

/// Everything the generator says in one language.
struct Phrasebook {
    topics: &'static [Topic],
    /// Put before a customer's first message of an episode.
    customer_hello: &'static [&'static str],
    /// Put before the business's first message of an episode.
    business_hello: &'static [&'static str],
    /// WhatsApp templates the business sends when the 24-hour window has closed.
    templates: &'static [&'static str],
    /// What a customer answers to such a template.
    template_replies: &'static [&'static str],
    /// Sunday first.
    days: [&'static str; 7],
    times: &'static [&'static str],
    flavours: &'static [&'static str],
    bakes: &'static [&'static str],
    loaves: &'static [&'static str],
    kids: &'static [&'static str],
    items: &'static [&'static str],
    /// Around an amount of pounds: ("£", "") gives "£38".
    money: (&'static str, &'static str),
}

/// Put after some messages (only after one that ends in . ! or ?).
const CUSTOMER_TAILS: &[&str] = &["", "", "", "", " 😊", " 🙏"];
const BUSINESS_TAILS: &[&str] = &["", "", "", "", " 😊", " 🙂", " — {staff}"];
const STAFF: &[&str] = &["Maya", "Joe", "Lena"];
const AREAS: &[&str] =
    &["Clifton", "Redland", "Southville", "Montpelier", "Cotham", "Easton", "Horfield", "Totterdown"];

mod english;
mod french;
mod generator;
mod inbox;
mod render;
mod spanish;
#[cfg(test)]
mod tests;

use english::*;
use french::*;
pub use generator::*;
use render::*;
use spanish::*;

fn book(language: Language) -> &'static Phrasebook {
    match language {
        Language::English => &ENGLISH,
        Language::Spanish => &SPANISH,
        Language::French => &FRENCH,
    }
}

/// A demo inbox: a few dozen conversations over the last two weeks, with everything a
/// real one has (media, replies, reactions, failures, templates, unread ones).
pub fn demo_events(now: i64) -> Vec<DomainEvent> {
    let mut generator = Generator::new(7, DEMO_CONVERSATIONS, 0, now - 14 * DAY, now).plain_text();
    let mut events = generator.profiles();
    for slot in 0..DEMO_CONVERSATIONS {
        events.extend(generator.demo_thread(slot, now));
    }
    events
}

/// Like a real inbox: what the business has answered has been read, and so has most of
/// the rest; in most conversations where a customer wrote in the last day and waits for
/// an answer, those messages are unread. Some older, settled ones are marked done.
pub fn finish_demo_store(tx: &rusqlite::Transaction<'_>) -> crate::domain::Result<()> {
    use crate::store::inbox_state;
    let newest = inbox_state::newest_message_at(tx)?;
    for a in inbox_state::activity(tx)? {
        let waiting = a.last_inbound_at > a.last_outbound_at && a.last_inbound_at > newest - DAY;
        // One in three waiting conversations the owner has opened but not answered yet.
        let read_up_to = if waiting && a.conversation_id % 3 != 0 { a.last_outbound_at } else { a.last_inbound_at };
        inbox_state::set_read_up_to(tx, a.conversation_id, read_up_to)?;
    }
    inbox_state::mark_quiet_done(tx, newest - 2 * DAY, |id| id % 2 == 1)
}

#[cfg(test)]
fn event_time(event: &DomainEvent) -> Option<i64> {
    match event {
        DomainEvent::Message(m) => Some(m.sent_at),
        DomainEvent::Edited { at, .. }
        | DomainEvent::Deleted { at, .. }
        | DomainEvent::Reaction { at, .. }
        | DomainEvent::Status { at, .. } => Some(*at),
        DomainEvent::Watermark { watermark, .. } => Some(*watermark),
        DomainEvent::Contact { .. } | DomainEvent::Account { .. } => None,
    }
}

//! Generated conversations that look like a small business's inbox: for "Explore with
//! demo data" (written to a separate store, never the real one) and for benchmarks, which
//! push them through the same apply path as webhooks.
//!
//! Deterministic for a given seed, so a benchmark run is repeatable.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::domain::events::*;

const FIRST_NAMES: &[&str] = &[
    "Amélie", "Jonas", "Sofia", "Mateo", "Aiko", "Lukas", "Fatima", "Noah", "Chloé", "Omar", "Ingrid", "Kenji", "Zoë",
    "Rafael", "Priya", "Björn", "Leïla", "Diego", "Hannah", "Yusuf", "Élodie", "Marco", "Ana", "Tomás", "Greta", "Mei",
    "Nikolai", "Ayşe", "Liam", "Inès", "Sven", "Camila", "Dmitri", "Naomi", "Luca", "Marta",
];
const LAST_NAMES: &[&str] = &[
    "Dubois",
    "Schmidt",
    "García",
    "Rossi",
    "Tanaka",
    "Müller",
    "Haddad",
    "Smith",
    "Lefèvre",
    "Nakamura",
    "Johansson",
    "Silva",
    "Kowalski",
    "Öztürk",
    "Nguyen",
    "Novák",
    "Fernández",
    "Jensen",
    "Moreau",
    "Costa",
];

/// Customer lines, with the kind of business a small shop gets.
const INBOUND: &[&str] = &[
    "Hi! Are you open this Sunday?",
    "Do you still have the linen dress in size M?",
    "Can I pick up my order tomorrow after 5pm?",
    "How much is delivery to Lyon?",
    "Thank you so much, the flowers were perfect 😍",
    "Is the café au lait cake gluten-free?",
    "I ordered on Monday and haven't received a tracking number yet",
    "Could you reserve a table for four on Friday at 8?",
    "Do you ship to Switzerland? 🇨🇭",
    "The package arrived damaged, what can I do?",
    "¿Tienen la talla 38 en negro?",
    "Bonjour, est-ce que la boutique est ouverte le lundi ?",
    "Hallo, gibt es den Gutschein auch als PDF?",
    "Can I change the delivery address for order #4821?",
    "Do you do custom engravings?",
    "What time do you close today?",
    "Is there parking near the shop?",
    "I'd like to return the blue sweater, it's too small",
    "Can I pay with a bank transfer?",
    "Love your new collection! 🔥",
    "明日の予約は可能ですか？",
    "مرحبا، هل يمكنني الطلب للتوصيل؟",
    "Do you have vegan options?",
    "Is the discount code still valid?",
];

const OUTBOUND: &[&str] = &[
    "Hi! Yes, we're open 10:00–16:00 on Sunday.",
    "We do! Shall I put one aside for you?",
    "Of course, your order will be ready at the counter.",
    "Delivery to Lyon is €6.90, free above €60.",
    "Thank you for the kind words! 💐",
    "It is! Made with almond flour.",
    "Sorry about that — here is your tracking link: https://track.example/AB123",
    "Booked: Friday 8pm, table for four. See you then!",
    "Yes, we ship to Switzerland within 3–5 days.",
    "I'm so sorry! Could you send a photo? We'll send a replacement right away.",
    "Sí, la tenemos. ¿Te la reservo?",
    "Bonjour ! Oui, de 11h à 19h.",
    "Ja, ich schicke ihn dir gleich per E-Mail.",
    "Done, the address is updated.",
    "We do, up to 20 characters. Any font preference?",
    "We close at 7pm today.",
    "There's a public car park two minutes away on Rue Neuve.",
    "No problem, you can return it within 30 days.",
    "Bank transfer works — I'll send you the details.",
    "Thanks! More arriving next week 😊",
];

/// Extra words mixed into benchmark messages so the search index has a realistic
/// vocabulary rather than a few dozen repeated sentences.
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
];

const IMAGE_URL: &str = "https://scontent.example/v/t1/demo-photo.jpg";

/// A generator of conversations. `conversations` contacts are spread over the three
/// platforms; messages go to conversations with a skew (a few customers write a lot).
pub struct Generator {
    rng: SmallRng,
    conversations: usize,
    /// Time of the next message (ms); messages move forward in time.
    clock: i64,
    step_ms: i64,
    next_id: u64,
    /// Recent mids per conversation slot, for replies, reactions and statuses.
    last_mid: Vec<Option<(String, Direction)>>,
    /// Short, natural texts only (demo) or texts with extra vocabulary (benchmark).
    rich_text: bool,
}

pub const PAGE_ID: &str = "104857600000001";
pub const INSTAGRAM_ID: &str = "17841400000000001234";
pub const WHATSAPP_NUMBER_ID: &str = "106540352242922";

impl Generator {
    /// `start` and `end`: the time span the messages cover (ms).
    pub fn new(seed: u64, conversations: usize, total_messages: usize, start: i64, end: i64) -> Generator {
        let conversations = conversations.max(1);
        Generator {
            rng: SmallRng::seed_from_u64(seed),
            conversations,
            clock: start,
            step_ms: ((end - start) / total_messages.max(1) as i64).max(1),
            next_id: 1,
            last_mid: vec![None; conversations],
            rich_text: true,
        }
    }

    pub fn plain_text(mut self) -> Generator {
        self.rich_text = false;
        self
    }

    pub fn platform_of(slot: usize) -> Platform {
        Platform::ALL[slot % 3]
    }

    pub fn key(slot: usize) -> ConversationKey {
        let platform = Self::platform_of(slot);
        let (account_id, contact_id) = match platform {
            Platform::Messenger => (PAGE_ID.to_owned(), format!("{}", 7_000_000_000_000_000u64 + slot as u64)),
            Platform::Instagram => {
                (INSTAGRAM_ID.to_owned(), format!("{}", 17_841_500_000_000_000_000u128 + slot as u128))
            }
            Platform::Whatsapp => (WHATSAPP_NUMBER_ID.to_owned(), format!("{}", 4_915_100_000_000u64 + slot as u64)),
        };
        ConversationKey { platform, account_id, contact_id }
    }

    /// The profile and account events that name every contact and account.
    pub fn profiles(&mut self) -> Vec<DomainEvent> {
        let mut events = vec![
            DomainEvent::Account {
                platform: Platform::Messenger,
                account_id: PAGE_ID.into(),
                display_name: "Maison Fleur".into(),
            },
            DomainEvent::Account {
                platform: Platform::Instagram,
                account_id: INSTAGRAM_ID.into(),
                display_name: "@maisonfleur".into(),
            },
            DomainEvent::Account {
                platform: Platform::Whatsapp,
                account_id: WHATSAPP_NUMBER_ID.into(),
                display_name: "+33 1 84 88 00 00".into(),
            },
        ];
        for slot in 0..self.conversations {
            let first = FIRST_NAMES[slot % FIRST_NAMES.len()];
            let last = LAST_NAMES[(slot / FIRST_NAMES.len() + slot) % LAST_NAMES.len()];
            let key = Self::key(slot);
            let handle = match key.platform {
                Platform::Instagram => Some(format!("{}.{}", first.to_lowercase(), slot)),
                _ => None,
            };
            let phone = (key.platform == Platform::Whatsapp).then(|| format!("+{}", key.contact_id));
            events.push(DomainEvent::Contact {
                key,
                profile: ContactProfile { name: Some(format!("{first} {last}")), handle, phone, avatar_url: None },
            });
        }
        events
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    fn text(&mut self, direction: Direction) -> String {
        let base = match direction {
            Direction::Inbound => self.pick(INBOUND),
            Direction::Outbound => self.pick(OUTBOUND),
        };
        if !self.rich_text {
            return base.to_owned();
        }
        // Mixed lengths: most messages short, some long.
        let extra = match self.rng.random_range(0..10) {
            0..=5 => 0,
            6..=8 => self.rng.random_range(2..8),
            _ => self.rng.random_range(15..40),
        };
        let mut text = base.to_owned();
        for _ in 0..extra {
            text.push(' ');
            text.push_str(self.pick(VOCABULARY));
        }
        text
    }

    /// Chooses a conversation slot with a skew: half the traffic goes to a tenth of them.
    fn slot(&mut self) -> usize {
        if self.rng.random_bool(0.5) {
            self.rng.random_range(0..self.conversations.div_ceil(10))
        } else {
            self.rng.random_range(0..self.conversations)
        }
    }

    /// The next `n` messages, with a few follow-up events (reactions, statuses, edits)
    /// mixed in as a live inbox would have them. Returns events and how many are messages.
    pub fn batch(&mut self, n: usize) -> (Vec<DomainEvent>, usize) {
        let mut events = Vec::with_capacity(n + n / 8);
        for _ in 0..n {
            let slot = self.slot();
            events.push(DomainEvent::Message(self.message(slot)));
            self.follow_ups(slot, &mut events);
        }
        (events, n)
    }

    /// One message in conversation `slot`.
    pub fn message(&mut self, slot: usize) -> NewMessage {
        let key = Self::key(slot);
        self.clock += self.rng.random_range(1..=self.step_ms * 2);
        let direction = if self.rng.random_bool(0.55) { Direction::Inbound } else { Direction::Outbound };
        let id = self.next_id;
        self.next_id += 1;
        let mid = match key.platform {
            Platform::Whatsapp => format!("wamid.HBgL{id:012}FQIAEhgU"),
            _ => format!("m_{id:016x}demo"),
        };
        let roll = self.rng.random_range(0..100);
        let (kind, text, attachments, extras) = match roll {
            0..=79 => (MessageKind::Text, Some(self.text(direction)), Vec::new(), MessageExtras::default()),
            80..=89 => {
                let caption = self.rng.random_bool(0.5).then(|| "Here's a photo".to_owned());
                let a = Attachment {
                    kind: Some(AttachmentKind::Image),
                    mime_type: Some("image/jpeg".into()),
                    url: Some(IMAGE_URL.into()),
                    size_bytes: Some(self.rng.random_range(40_000..900_000)),
                    ..Attachment::default()
                };
                (MessageKind::Image, caption, vec![a], MessageExtras::default())
            }
            90..=92 => {
                let a = Attachment {
                    kind: Some(AttachmentKind::Audio),
                    mime_type: Some("audio/ogg; codecs=opus".into()),
                    voice: true,
                    size_bytes: Some(self.rng.random_range(8_000..120_000)),
                    ..Attachment::default()
                };
                (MessageKind::Audio, None, vec![a], MessageExtras::default())
            }
            93..=94 => {
                let a = Attachment {
                    kind: Some(AttachmentKind::File),
                    mime_type: Some("application/pdf".into()),
                    filename: Some(format!("invoice-{}.pdf", 4000 + id % 1000)),
                    size_bytes: Some(self.rng.random_range(20_000..400_000)),
                    ..Attachment::default()
                };
                (MessageKind::File, None, vec![a], MessageExtras::default())
            }
            95..=96 if key.platform == Platform::Whatsapp => {
                let extras = MessageExtras {
                    location: Some(Location {
                        latitude: 48.8566 + self.rng.random_range(-0.05..0.05),
                        longitude: 2.3522 + self.rng.random_range(-0.05..0.05),
                        name: Some("Maison Fleur".into()),
                        address: Some("12 Rue des Lilas, Paris".into()),
                        url: None,
                    }),
                    ..MessageExtras::default()
                };
                (MessageKind::Location, None, Vec::new(), extras)
            }
            95..=96 if key.platform == Platform::Instagram => {
                let a = Attachment {
                    kind: Some(AttachmentKind::Story),
                    url: Some(IMAGE_URL.into()),
                    ..Attachment::default()
                };
                (MessageKind::StoryMention, None, vec![a], MessageExtras::default())
            }
            _ => (MessageKind::Text, Some(self.text(direction)), Vec::new(), MessageExtras::default()),
        };
        // One reply in ten quotes the conversation's previous message.
        let reply_to = match &self.last_mid[slot] {
            Some((previous, _)) if self.rng.random_bool(0.1) => Some(ReplyTo::Message { mid: previous.clone() }),
            _ => None,
        };
        let direction = if kind == MessageKind::StoryMention { Direction::Inbound } else { direction };
        self.last_mid[slot] = Some((mid.clone(), direction));
        NewMessage { key, mid, direction, kind, text, attachments, reply_to, extras, sent_at: self.clock }
    }

    fn follow_ups(&mut self, slot: usize, events: &mut Vec<DomainEvent>) {
        let Some((mid, direction)) = self.last_mid[slot].clone() else { return };
        let key = Self::key(slot);
        let at = self.clock + 1;
        match (direction, self.rng.random_range(0..100)) {
            (Direction::Outbound, 0..=59) => {
                let status = if self.rng.random_bool(0.6) { DeliveryStatus::Read } else { DeliveryStatus::Delivered };
                events.push(DomainEvent::Status { key, mid, status, at, error: None, send_metadata: None });
            }
            (Direction::Outbound, 60..=60) if slot % 3 == 2 => {
                let error = PlatformError {
                    code: Some(131047),
                    title: Some("Re-engagement message".into()),
                    detail: Some("More than 24 hours have passed since the recipient last replied.".into()),
                };
                events.push(DomainEvent::Status {
                    key,
                    mid,
                    status: DeliveryStatus::Failed,
                    at,
                    error: Some(error),
                    send_metadata: None,
                });
            }
            (_, 61..=66) => {
                let emoji = ["❤️", "👍", "😂", "😮"][self.rng.random_range(0..4)];
                let actor = if direction == Direction::Inbound { Actor::Business } else { Actor::Contact };
                events.push(DomainEvent::Reaction { key, mid, actor, emoji: Some(emoji.into()), reaction: None, at });
            }
            (Direction::Inbound, 67..=67) if key.platform != Platform::Whatsapp => {
                let text = format!("{} (edited)", self.text(Direction::Inbound));
                events.push(DomainEvent::Edited { key, mid, text, edit_count: 1, at });
            }
            _ => {}
        }
    }
}

/// A demo inbox: a few dozen conversations over the last two weeks, with everything a
/// real one has (media, replies, reactions, failures, unread ones).
pub fn demo_events(now: i64) -> Vec<DomainEvent> {
    const CONVERSATIONS: usize = 36;
    const MESSAGES: usize = 720;
    let mut generator = Generator::new(7, CONVERSATIONS, MESSAGES, now - 14 * 86_400_000, now - 60_000).plain_text();
    let mut events = generator.profiles();
    // Every conversation gets an opening message so none is empty.
    for slot in 0..CONVERSATIONS {
        let mut m = generator.message(slot);
        m.direction = Direction::Inbound;
        events.push(DomainEvent::Message(m));
    }
    let (batch, _) = generator.batch(MESSAGES - CONVERSATIONS);
    events.extend(batch);
    // The generator's random steps can overshoot the end; anchor the newest event a
    // minute ago so reply windows and "today" look as they would in a real inbox.
    let newest = events.iter().filter_map(event_time).max().unwrap_or(now);
    shift_times(&mut events, (now - 60_000) - newest);
    events
}

/// Like a real inbox: most conversations read, a few with one or two unread messages,
/// some older ones marked done.
pub fn finish_demo_store(tx: &rusqlite::Transaction<'_>) -> crate::domain::Result<()> {
    use crate::domain::error::SqlContext;
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM conversations ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .ctx("listing demo conversations")?;
    for id in ids {
        // Every fifth conversation has its last two inbound messages unread, every
        // seventh its last one; the rest are read.
        let unread = if id % 5 == 0 {
            2
        } else if id % 7 == 0 {
            1
        } else {
            0
        };
        tx.execute(
            "UPDATE conversations SET read_up_to = COALESCE((
                 SELECT sent_at FROM messages WHERE conversation_id = ?1 AND direction = 'inbound' AND stub = 0
                 ORDER BY sent_at DESC LIMIT 1 OFFSET ?2), 0)
             WHERE id = ?1",
            rusqlite::params![id, unread],
        )
        .ctx("arranging the demo inbox")?;
        crate::store::apply::refresh_summary(tx, id)?;
    }
    tx.execute("UPDATE conversations SET state = 'done' WHERE unread_count = 0 AND id % 4 = 3", [])
        .ctx("arranging the demo inbox")?;
    Ok(())
}

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

fn shift_times(events: &mut [DomainEvent], delta: i64) {
    for event in events {
        match event {
            DomainEvent::Message(m) => m.sent_at += delta,
            DomainEvent::Edited { at, .. }
            | DomainEvent::Deleted { at, .. }
            | DomainEvent::Reaction { at, .. }
            | DomainEvent::Status { at, .. } => *at += delta,
            DomainEvent::Watermark { watermark, .. } => *watermark += delta,
            DomainEvent::Contact { .. } | DomainEvent::Account { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a = Generator::new(1, 10, 100, 0, 1_000_000).batch(50).0;
        let b = Generator::new(1, 10, 100, 0, 1_000_000).batch(50).0;
        assert_eq!(a, b, "the same seed must give the same events");
    }

    #[test]
    fn demo_events_end_just_before_now() {
        let now = 1_764_000_000_000;
        let newest = demo_events(now).iter().filter_map(event_time).max().unwrap();
        assert_eq!(newest, now - 60_000, "the newest demo event is a minute old, never in the future");
    }

    #[test]
    fn keys_use_string_ids_beyond_2_pow_53() {
        let key = Generator::key(1);
        assert_eq!(key.platform, Platform::Instagram);
        assert!(key.contact_id.parse::<u128>().unwrap() > (1u128 << 53), "instagram ids exceed 2^53");
    }
}

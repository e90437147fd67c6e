//! The demo reads as one business's inbox, and the benchmark generator stays deterministic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::*;

const NOW: i64 = 1_764_000_000_000;

/// A few moments of the day and week, so no rule holds only because of when it runs.
fn nows() -> [i64; 4] {
    [NOW, NOW + 5 * HOUR + 17 * MINUTE, NOW + 10 * HOUR + 3 * MINUTE, NOW + 3 * DAY + 14 * HOUR + 41 * MINUTE]
}

fn slot_of(key: &ConversationKey) -> usize {
    (0..DEMO_CONVERSATIONS)
        .find(|&s| Generator::key(s) == *key)
        .unwrap_or_else(|| panic!("{key:?} is a demo conversation"))
}

/// The messages of each demo thread, in the order they were written.
fn threads(events: &[DomainEvent]) -> BTreeMap<usize, Vec<&NewMessage>> {
    let mut threads: BTreeMap<usize, Vec<&NewMessage>> = BTreeMap::new();
    for event in events {
        if let DomainEvent::Message(m) = event {
            threads.entry(slot_of(&m.key)).or_default().push(m);
        }
    }
    threads
}

/// Every text each thread shows (messages, captions, templates, edits), with its direction.
fn texts(events: &[DomainEvent]) -> BTreeMap<usize, Vec<(Direction, &str)>> {
    let mut texts: BTreeMap<usize, Vec<(Direction, &str)>> = BTreeMap::new();
    for event in events {
        match event {
            DomainEvent::Message(m) => {
                if let Some(text) = &m.text {
                    texts.entry(slot_of(&m.key)).or_default().push((m.direction, text));
                }
            }
            DomainEvent::Edited { key, text, .. } => {
                texts.entry(slot_of(key)).or_default().push((Direction::Inbound, text))
            }
            _ => {}
        }
    }
    texts
}

/// Small words that give a language away (none shared by two of the lists). German
/// is here because the generator once wrote it.
const MARKERS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "you", "your", "we", "our", "is", "are", "for", "and", "with", "have", "what", "can", "could",
            "would", "thanks", "thank", "please", "it", "of", "to", "do", "does", "will", "that", "this", "be", "my",
            "just", "from", "at", "in", "there", "any", "still", "they", "so",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "del", "para", "con", "por", "gracias", "hola", "tenéis", "tenemos", "hacéis",
            "podéis", "está", "están", "es", "una", "muy", "sí", "pero", "mañana", "sin", "y", "mi", "te", "lo", "al",
            "qué", "hay", "también", "claro",
        ],
    ),
    (
        "fr",
        &[
            "les", "des", "du", "est", "vous", "nous", "pour", "merci", "bonjour", "avec", "une", "et", "je", "pas",
            "oui", "votre", "vos", "notre", "sont", "très", "dans", "sur", "mon", "il", "elle", "ce", "à",
        ],
    ),
    (
        "de",
        &[
            "und", "ich", "ist", "nicht", "auch", "gibt", "den", "der", "das", "bitte", "danke", "hallo", "wir", "sie",
            "ein", "eine", "mit", "für", "ja",
        ],
    ),
];

fn scores(text: &str) -> BTreeMap<&'static str, usize> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    MARKERS
        .iter()
        .map(|(language, markers)| (*language, words.iter().filter(|w| markers.contains(w)).count()))
        .collect()
}

#[test]
fn the_marker_lists_share_no_word() {
    let mut seen = HashMap::new();
    for (language, markers) in MARKERS {
        for word in *markers {
            assert_eq!(seen.insert(*word, *language), None, "{word:?} is in two lists");
        }
    }
}

#[test]
fn every_thread_speaks_its_contacts_language_throughout() {
    for now in nows() {
        let events = demo_events(now);
        let texts = texts(&events);
        assert_eq!(texts.len(), DEMO_CONVERSATIONS, "every conversation has text");
        let mut languages = BTreeMap::new();
        for (slot, texts) in &texts {
            let language = Generator::persona(*slot).language.code();
            *languages.entry(language).or_insert(0) += 1;
            let mut total: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, text) in texts {
                let s = scores(text);
                for (other, n) in &s {
                    assert!(
                        *other == language || *n == 0 || *n < s[language],
                        "slot {slot}, a {language} thread: {text:?} reads as {other} ({s:?})"
                    );
                    *total.entry(other).or_insert(0) += n;
                }
            }
            let (best, _) = total.iter().max_by_key(|(_, n)| **n).unwrap();
            assert_eq!(*best, language, "slot {slot} reads as {best} overall: {total:?}");
        }
        assert!(languages["en"] >= 24, "mostly English: {languages:?}");
        assert!(
            languages.get("es").copied().unwrap_or(0) >= 2 && languages.get("fr").copied().unwrap_or(0) >= 2,
            "{languages:?}"
        );
    }
}

#[test]
fn no_business_reply_repeats_across_threads() {
    for now in nows() {
        let events = demo_events(now);
        let mut business: HashMap<&str, BTreeSet<usize>> = HashMap::new();
        let mut customers: HashMap<&str, BTreeSet<usize>> = HashMap::new();
        for (slot, texts) in texts(&events) {
            for (direction, text) in texts {
                let lines = if direction == Direction::Outbound { &mut business } else { &mut customers };
                lines.entry(text).or_default().insert(slot);
            }
        }
        assert!(business.len() > 100, "the business says many things: {}", business.len());
        for (text, slots) in &business {
            assert_eq!(slots.len(), 1, "the business says {text:?} in threads {slots:?}");
        }
        // Customers may say "Cheers!" in more than one thread, but not much more.
        for (text, slots) in &customers {
            assert!(slots.len() <= 2, "customers say {text:?} in threads {slots:?}");
        }
    }
}

/// Strips a trailing emoji and spaces.
fn ends_in_question(text: &str) -> bool {
    text.trim_end_matches(|c: char| c.is_whitespace() || !c.is_ascii()).ends_with('?')
}

#[test]
fn replies_follow_questions_at_sensible_times() {
    for now in nows() {
        let events = demo_events(now);
        let threads = threads(&events);
        let mut days = BTreeSet::new();
        let (mut awaiting, mut settled) = (0, 0);
        let mut sent_at = HashMap::new();
        for (slot, messages) in &threads {
            assert_eq!(messages[0].direction, Direction::Inbound, "slot {slot}: the customer opens the conversation");
            for pair in messages.windows(2) {
                assert!(pair[0].sent_at < pair[1].sent_at, "slot {slot}: {:?} then {:?}", pair[0].text, pair[1].text);
            }
            for (i, m) in messages.iter().enumerate() {
                assert!(
                    m.sent_at <= now - MINUTE && m.sent_at > now - 15 * DAY,
                    "slot {slot}: {:?} at {}",
                    m.text,
                    m.sent_at
                );
                days.insert(m.sent_at.div_euclid(DAY));
                sent_at.insert(m.mid.as_str(), (*slot, m.sent_at));
                if m.direction == Direction::Outbound {
                    let tod = m.sent_at.rem_euclid(DAY);
                    assert!(
                        (7 * HOUR..19 * HOUR).contains(&tod),
                        "slot {slot}: the business wrote {:?} at {}h",
                        m.text,
                        tod / HOUR
                    );
                }
                if let Some(ReplyTo::Message { mid }) = &m.reply_to {
                    let quoted = messages[..i].iter().find(|q| q.mid == *mid);
                    assert!(quoted.is_some(), "slot {slot}: {:?} quotes an earlier message of its thread", m.text);
                }
                let question = m.direction == Direction::Inbound && m.text.as_deref().is_some_and(ends_in_question);
                if question {
                    if let Some(answer) = messages[i + 1..].iter().find(|a| a.direction == Direction::Outbound) {
                        let wait = answer.sent_at - m.sent_at;
                        assert!(
                            wait > 0 && wait <= 16 * HOUR,
                            "slot {slot}: {:?} answered {}h later by {:?}",
                            m.text,
                            wait / HOUR,
                            answer.text
                        );
                    }
                }
            }
            let last = messages.last().unwrap();
            let wants_answer = last.kind != MessageKind::Text || last.text.as_deref().is_some_and(ends_in_question);
            match last.direction {
                Direction::Inbound if wants_answer => awaiting += 1,
                _ => settled += 1,
            }
        }
        assert!(days.len() >= 10, "messages spread over the last two weeks: {} days", days.len());
        assert!(
            awaiting >= 5 && settled >= 15,
            "some conversations await a reply, most do not: {awaiting} / {settled}"
        );
        for event in &events {
            let (mid, at) = match event {
                DomainEvent::Status { mid, at, .. }
                | DomainEvent::Reaction { mid, at, .. }
                | DomainEvent::Edited { mid, at, .. } => (mid, *at),
                _ => continue,
            };
            let (_, sent) = sent_at[mid.as_str()];
            assert!(at > sent && at <= now - MINUTE, "{event:?} comes after its message and before now");
        }
    }
}

#[test]
fn the_demo_has_every_kind_of_event() {
    for now in nows() {
        the_demo_at_has_every_kind_of_event(now);
    }
}

fn the_demo_at_has_every_kind_of_event(now: i64) {
    let events = demo_events(now);
    let messages: Vec<&NewMessage> =
        events.iter().filter_map(|e| if let DomainEvent::Message(m) = e { Some(m) } else { None }).collect();
    let has = |what: &str, found: bool| assert!(found, "the demo has {what}");
    let count = |f: &dyn Fn(&DomainEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(&|e| matches!(e, DomainEvent::Account { .. })), 3, "one account per platform");
    assert_eq!(count(&|e| matches!(e, DomainEvent::Contact { .. })), DEMO_CONVERSATIONS);
    let kind = |k: MessageKind| messages.iter().any(|m| m.kind == k);
    has("text", kind(MessageKind::Text));
    has("photos with a caption", messages.iter().any(|m| m.kind == MessageKind::Image && m.text.is_some()));
    has("photos without one", messages.iter().any(|m| m.kind == MessageKind::Image && m.text.is_none()));
    has(
        "photos from both sides",
        [Direction::Inbound, Direction::Outbound]
            .iter()
            .all(|d| messages.iter().any(|m| m.kind == MessageKind::Image && m.direction == *d)),
    );
    has("voice notes", messages.iter().any(|m| m.kind == MessageKind::Audio && m.attachments[0].voice));
    has(
        "PDFs",
        messages.iter().any(|m| {
            m.kind == MessageKind::File && m.attachments[0].filename.as_deref().is_some_and(|f| f.ends_with(".pdf"))
        }),
    );
    has(
        "locations on WhatsApp",
        messages.iter().any(|m| {
            m.kind == MessageKind::Location && m.key.platform == Platform::Whatsapp && m.extras.location.is_some()
        }),
    );
    has(
        "story mentions on Instagram",
        messages.iter().any(|m| m.kind == MessageKind::StoryMention && m.key.platform == Platform::Instagram),
    );
    has(
        "WhatsApp templates",
        messages.iter().any(|m| m.kind == MessageKind::Template && m.key.platform == Platform::Whatsapp),
    );
    has("quotes", messages.iter().any(|m| m.reply_to.is_some()));
    for status in [DeliveryStatus::Delivered, DeliveryStatus::Read] {
        has(
            "delivery and read statuses",
            events.iter().any(|e| matches!(e, DomainEvent::Status { status: s, .. } if *s == status)),
        );
    }
    has(
        "a WhatsApp message refused outside the 24-hour window",
        events.iter().any(|e| matches!(e, DomainEvent::Status { key, status: DeliveryStatus::Failed, error: Some(PlatformError { code: Some(131047), .. }), .. } if key.platform == Platform::Whatsapp)),
    );
    for actor in [Actor::Business, Actor::Contact] {
        has(
            "reactions from both sides",
            events.iter().any(|e| matches!(e, DomainEvent::Reaction { actor: a, emoji: Some(_), .. } if *a == actor)),
        );
    }
    has("edits, not on WhatsApp", events.iter().any(|e| matches!(e, DomainEvent::Edited { .. })));
    assert!(events.iter().all(|e| !matches!(e, DomainEvent::Edited { key, .. } if key.platform == Platform::Whatsapp)));
    for platform in Platform::ALL {
        has("every platform", messages.iter().any(|m| m.key.platform == platform));
    }
    assert!(messages.len() > 300, "a busy two weeks: {} messages", messages.len());
}

#[test]
fn every_phrase_renders_in_its_own_language() {
    let ctx = Ctx::roll(&mut SmallRng::seed_from_u64(3), &ENGLISH, NOW);
    for language in Language::ALL {
        let book = book(language);
        let persona = Persona { first: "Alex", last: "Doe", language };
        let mut lines: Vec<&str> = Vec::new();
        lines.extend(
            book.customer_hello.iter().chain(book.business_hello).chain(book.templates).chain(book.template_replies),
        );
        lines.extend(CUSTOMER_TAILS.iter().chain(BUSINESS_TAILS));
        for (slot, name) in SHOWCASE {
            if Generator::persona(*slot).language == language {
                let topic =
                    book.topics.iter().find(|t| t.name == *name).unwrap_or_else(|| panic!("showcase topic {name:?}"));
                assert!(
                    topic.only.is_none_or(|p| p == Generator::platform_of(*slot)),
                    "{name} fits slot {slot}'s platform"
                );
                assert!(!LIVE_SLOTS.contains(slot), "a showcase is played out, not cut off");
            }
        }
        for topic in book.topics {
            for alternative in topic.beats[0] {
                assert!(
                    alternative.first().is_some_and(|s| s.who == Who::Customer),
                    "{}: the customer starts",
                    topic.name
                );
            }
            for step in topic.beats.iter().flat_map(|beat| beat.iter()).flat_map(|alternative| alternative.iter()) {
                if step.edit {
                    assert!(
                        step.texts.iter().all(|t| t.contains("{n}") || t.contains("{count}")),
                        "{}: an edit corrects a number",
                        topic.name
                    );
                }
                if step.later {
                    assert_eq!(step.who, Who::Business, "{}: the business writes on the day", topic.name);
                }
                if let What::Pdf(name) = step.what {
                    lines.push(name);
                }
                lines.extend(step.texts);
            }
        }
        for line in lines {
            for before in [false, true] {
                let text = render(line, &ctx, book, persona, before);
                assert!(!text.contains(['{', '}']), "{language:?}: {line:?} renders as {text:?}");
            }
        }
    }
}

#[test]
fn generation_is_deterministic() {
    let a = Generator::new(1, 10, 100, 0, 1_000_000).batch(50).0;
    let b = Generator::new(1, 10, 100, 0, 1_000_000).batch(50).0;
    assert_eq!(a, b, "the same seed must give the same events");
    assert_eq!(demo_events(NOW), demo_events(NOW), "and the same demo");
}

#[test]
fn benchmark_threads_are_conversations_too() {
    let mut generator = Generator::new(5, 40, 4_000, 0, 10_000_000);
    let (events, n) = generator.batch(4_000);
    let messages: Vec<&NewMessage> =
        events.iter().filter_map(|e| if let DomainEvent::Message(m) = e { Some(m) } else { None }).collect();
    assert_eq!(messages.len(), n);
    let mids: BTreeSet<&str> = messages.iter().map(|m| m.mid.as_str()).collect();
    assert_eq!(mids.len(), n, "every message has its own mid");
    assert!(
        messages.iter().any(|m| m.direction == Direction::Inbound)
            && messages.iter().any(|m| m.direction == Direction::Outbound)
    );
}

#[test]
fn demo_events_end_just_before_now() {
    for now in nows() {
        let newest = demo_events(now).iter().filter_map(event_time).max().unwrap();
        assert_eq!(newest, now - 60_000, "the newest demo event is a minute old, never in the future");
    }
}

#[test]
fn keys_use_string_ids_beyond_2_pow_53() {
    let key = Generator::key(1);
    assert_eq!(key.platform, Platform::Instagram);
    assert!(key.contact_id.parse::<u128>().unwrap() > (1u128 << 53), "instagram ids exceed 2^53");
}

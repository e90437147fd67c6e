//! The generator of conversations, for benchmarks and as the demo's building blocks.

use super::*;

/// A generator of conversations. `conversations` contacts are spread over the three
/// platforms. [`Generator::batch`] sends messages to conversations with a skew (a few
/// customers write a lot), for benchmarks; [`demo_events`] lays out the demo inbox.
pub struct Generator {
    pub(super) rng: SmallRng,
    pub(super) conversations: usize,
    /// Time of the next message (ms); messages move forward in time.
    pub(super) clock: i64,
    pub(super) step_ms: i64,
    pub(super) next_id: u64,
    /// Recent mids per conversation slot, for replies, reactions and statuses.
    pub(super) last_mid: Vec<Option<(String, Direction)>>,
    /// The last inbound text per slot, which a customer may edit.
    pub(super) last_text: Vec<Option<String>>,
    /// The episode each slot is in, and the topics each has had.
    pub(super) episodes: Vec<Option<Episode>>,
    pub(super) topics_had: Vec<Vec<usize>>,
    /// Short, natural texts only, none repeated in two threads (demo); or texts with extra
    /// vocabulary (benchmark).
    pub(super) rich_text: bool,
    /// Every line sent so far, when lines must not repeat.
    pub(super) said: HashSet<String>,
}

pub(super) fn mid_for(platform: Platform, id: u64) -> String {
    match platform {
        Platform::Whatsapp => format!("wamid.HBgL{id:012}FQIAEhgU"),
        _ => format!("m_{id:016x}demo"),
    }
}

/// Folds the few accented letters of the demo's names for an Instagram handle.
pub(super) fn handle_part(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'à' => Some('a'),
            'é' | 'è' | 'ê' => Some('e'),
            'í' => Some('i'),
            'ó' => Some('o'),
            'ú' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

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
            last_text: vec![None; conversations],
            episodes: (0..conversations).map(|_| None).collect(),
            topics_had: vec![Vec::new(); conversations],
            rich_text: true,
            said: HashSet::new(),
        }
    }

    pub fn plain_text(mut self) -> Generator {
        self.rich_text = false;
        self
    }

    pub fn platform_of(slot: usize) -> Platform {
        Platform::ALL[slot % 3]
    }

    /// Who the contact in `slot` is. Beyond the demo's contacts (benchmarks ask for
    /// thousands), people repeat with other surnames of their language.
    pub fn persona(slot: usize) -> Persona {
        let persona = PERSONAS[slot % PERSONAS.len()];
        if slot < PERSONAS.len() {
            return persona;
        }
        let same_language = || PERSONAS.iter().filter(|p| p.language == persona.language);
        let pick = (slot / PERSONAS.len() + slot) % same_language().count();
        Persona { last: same_language().nth(pick).map_or(persona.last, |p| p.last), ..persona }
    }

    pub fn key(slot: usize) -> ConversationKey {
        let platform = Self::platform_of(slot);
        let (account_id, contact_id) = match platform {
            Platform::Messenger => (PAGE_ID.to_owned(), format!("{}", 7_000_000_000_000_000u64 + slot as u64)),
            Platform::Instagram => {
                (INSTAGRAM_ID.to_owned(), format!("{}", 17_841_500_000_000_000_000u128 + slot as u128))
            }
            // UK mobiles from Ofcom's drama range (07700 900xxx).
            Platform::Whatsapp => (WHATSAPP_NUMBER_ID.to_owned(), format!("{}", 447_700_900_000u64 + slot as u64)),
        };
        ConversationKey { platform, account_id, contact_id }
    }

    /// The profile and account events that name every contact and account.
    pub fn profiles(&mut self) -> Vec<DomainEvent> {
        let mut events = vec![
            DomainEvent::Account {
                platform: Platform::Messenger,
                account_id: PAGE_ID.into(),
                display_name: BUSINESS_NAME.into(),
            },
            DomainEvent::Account {
                platform: Platform::Instagram,
                account_id: INSTAGRAM_ID.into(),
                display_name: INSTAGRAM_NAME.into(),
            },
            DomainEvent::Account {
                platform: Platform::Whatsapp,
                account_id: WHATSAPP_NUMBER_ID.into(),
                display_name: WHATSAPP_DISPLAY.into(),
            },
        ];
        for slot in 0..self.conversations {
            let persona = Self::persona(slot);
            let key = Self::key(slot);
            let handle = match key.platform {
                Platform::Instagram if slot < PERSONAS.len() => {
                    Some(format!("{}.{}", handle_part(persona.first), handle_part(persona.last)))
                }
                Platform::Instagram => {
                    Some(format!("{}.{}{slot}", handle_part(persona.first), handle_part(persona.last)))
                }
                _ => None,
            };
            let phone = (key.platform == Platform::Whatsapp).then(|| format!("+{}", key.contact_id));
            events.push(DomainEvent::Contact {
                key,
                profile: ContactProfile {
                    name: Some(format!("{} {}", persona.first, persona.last)),
                    handle,
                    phone,
                    avatar_url: None,
                },
            });
        }
        events
    }

    pub(super) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    /// A new episode for `slot`: a topic of its language it has not had yet (all again
    /// once it has had them all), with one alternative picked per beat.
    pub(super) fn start_episode(&mut self, slot: usize, start: i64, showcase: Option<&str>) -> Episode {
        let platform = Self::platform_of(slot);
        let book = book(Self::persona(slot).language);
        let fits = |i: &usize| book.topics[*i].only.is_none_or(|p| p == platform);
        let mut fresh: Vec<usize> =
            (0..book.topics.len()).filter(fits).filter(|i| !self.topics_had[slot].contains(i)).collect();
        if fresh.is_empty() {
            self.topics_had[slot].clear();
            fresh = (0..book.topics.len()).filter(fits).collect();
        }
        let chosen = showcase.and_then(|name| (0..book.topics.len()).find(|&i| book.topics[i].name == name));
        let topic = chosen.unwrap_or_else(|| fresh[self.rng.random_range(0..fresh.len())]);
        self.topics_had[slot].push(topic);
        let mut steps = Vec::new();
        for beat in book.topics[topic].beats {
            let alternative = if chosen.is_some() { beat[0] } else { beat[self.rng.random_range(0..beat.len())] };
            steps.extend(alternative.iter().filter(|s| s.fits(platform)).copied());
        }
        let mut ctx = Ctx::roll(&mut self.rng, book, start);
        if chosen.is_some() && ctx.day_offset < 2 {
            // Far enough ahead for an order's morning to be outside WhatsApp's window.
            ctx.day_offset += 1;
            ctx.weekday = weekday(start.div_euclid(DAY) + ctx.day_offset);
            if ctx.weekday == 1 {
                ctx.day_offset += 1;
                ctx.weekday = 2;
            }
        }
        Episode { steps, at: 0, ctx, showcase: chosen.is_some(), customer_spoke: false, business_spoke: false }
    }

    /// One of `step`'s lines with a greeting and a tail from the lists, filled in; and the
    /// line as first typed when the step is one a customer corrects. In the demo, a line
    /// another thread already has is avoided while any combination is left.
    pub(super) fn say(
        &mut self,
        step: &Step,
        ctx: &Ctx,
        persona: Persona,
        hellos: &[&str],
        tails: &[&str],
    ) -> (String, Option<String>) {
        let book = book(persona.language);
        let make = |v: usize, h: usize, t: usize, before: bool| {
            join(
                &render(hellos[h], ctx, book, persona, before),
                &render(step.texts[v], ctx, book, persona, before),
                &render(tails[t], ctx, book, persona, before),
            )
        };
        let (nv, nh, nt) = (step.texts.len(), hellos.len(), tails.len());
        let combinations = nv * nh * nt;
        let first = self.rng.random_range(0..combinations);
        let decode = |k: usize| (k % nv, (k / nv) % nh, k / (nv * nh));
        let named_twice =
            |(v, h, _): (usize, usize, usize)| hellos[h].contains("{name}") && step.texts[v].contains("{name}");
        let mut chosen = decode(first);
        let mut text = None;
        for i in 0..combinations {
            let candidate = decode((first + i) % combinations);
            if named_twice(candidate) {
                continue;
            }
            let candidate_text = make(candidate.0, candidate.1, candidate.2, false);
            if text.is_none() {
                // The fallback once every combination has been said.
                (chosen, text) = (candidate, Some(candidate_text.clone()));
            }
            // No caption is no line: it may repeat.
            if self.rich_text || candidate_text.is_empty() || !self.said.contains(&candidate_text) {
                (chosen, text) = (candidate, Some(candidate_text));
                break;
            }
        }
        let text = text.unwrap_or_else(|| make(chosen.0, chosen.1, chosen.2, false));
        if !self.rich_text && !text.is_empty() {
            self.said.insert(text.clone());
        }
        let original = step.edit.then(|| make(chosen.0, chosen.1, chosen.2, true)).filter(|o| *o != text);
        (text, original)
    }

    /// What `step` sends in `slot`'s episode.
    pub(super) fn compose(&mut self, slot: usize, episode: &mut Episode, step: &Step) -> Content {
        let persona = Self::persona(slot);
        let book = book(persona.language);
        let first_of_side = match step.who {
            Who::Customer => !std::mem::replace(&mut episode.customer_spoke, true),
            Who::Business => !std::mem::replace(&mut episode.business_spoke, true),
        };
        let content = |kind, text, attachments| Content {
            kind,
            text,
            original: None,
            attachments,
            extras: MessageExtras::default(),
        };
        match step.what {
            What::Text => {
                let (text, original) = self.text(step, episode, persona, first_of_side);
                Content { original, ..content(MessageKind::Text, Some(text), Vec::new()) }
            }
            What::Photo => {
                let (caption, _) = self.say(step, &episode.ctx, persona, &[""], &[""]);
                let image = Attachment {
                    kind: Some(AttachmentKind::Image),
                    mime_type: Some("image/jpeg".into()),
                    url: Some(IMAGE_URL.into()),
                    size_bytes: Some(self.rng.random_range(40_000..900_000)),
                    ..Attachment::default()
                };
                content(MessageKind::Image, Some(caption).filter(|c| !c.is_empty()), vec![image])
            }
            What::Voice => {
                let audio = Attachment {
                    kind: Some(AttachmentKind::Audio),
                    mime_type: Some("audio/ogg; codecs=opus".into()),
                    voice: true,
                    size_bytes: Some(self.rng.random_range(8_000..120_000)),
                    ..Attachment::default()
                };
                content(MessageKind::Audio, None, vec![audio])
            }
            What::Pdf(name) => {
                let file = Attachment {
                    kind: Some(AttachmentKind::File),
                    mime_type: Some("application/pdf".into()),
                    filename: Some(render(name, &episode.ctx, book, persona, false)),
                    size_bytes: Some(self.rng.random_range(20_000..400_000)),
                    ..Attachment::default()
                };
                content(MessageKind::File, None, vec![file])
            }
            What::ShopPin | What::CustomerPin => Content {
                extras: MessageExtras { location: Some(self.pin(step.what)), ..MessageExtras::default() },
                ..content(MessageKind::Location, None, Vec::new())
            },
            What::Story => {
                let story = Attachment {
                    kind: Some(AttachmentKind::Story),
                    url: Some(IMAGE_URL.into()),
                    ..Attachment::default()
                };
                content(MessageKind::StoryMention, None, vec![story])
            }
        }
    }

    /// A text message: a greeting when it is the side's first, the step's phrase, and in
    /// rich-text stores words added to mix lengths.
    fn text(
        &mut self,
        step: &Step,
        episode: &Episode,
        persona: Persona,
        first_of_side: bool,
    ) -> (String, Option<String>) {
        let book = book(persona.language);
        let hellos: &[&str] = match (first_of_side, step.who) {
            (true, Who::Customer) => book.customer_hello,
            (true, Who::Business) => book.business_hello,
            (false, _) => &[""],
        };
        let tails = if step.who == Who::Customer { CUSTOMER_TAILS } else { BUSINESS_TAILS };
        let (mut text, original) = self.say(step, &episode.ctx, persona, hellos, tails);
        if self.rich_text {
            // Mixed lengths: most messages short, some long.
            let extra = match self.rng.random_range(0..10) {
                0..=5 => 0,
                6..=8 => self.rng.random_range(2..8),
                _ => self.rng.random_range(15..40),
            };
            for _ in 0..extra {
                text.push(' ');
                text.push_str(self.pick(VOCABULARY));
            }
        }
        (text, original)
    }

    /// The shop's own pin, or one a customer drops near it.
    fn pin(&mut self, what: What) -> Location {
        if what == What::ShopPin {
            Location {
                latitude: SHOP_LATITUDE,
                longitude: SHOP_LONGITUDE,
                name: Some(BUSINESS_NAME.into()),
                address: Some(SHOP_ADDRESS.into()),
                url: None,
            }
        } else {
            Location {
                latitude: 51.4545 + self.rng.random_range(-0.03..0.03),
                longitude: -2.5879 + self.rng.random_range(-0.04..0.04),
                name: None,
                address: None,
                url: None,
            }
        }
    }

    /// Chooses a conversation slot with a skew: half the traffic goes to a tenth of them.
    pub(super) fn slot(&mut self) -> usize {
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

    /// The next message in conversation `slot`: the next line of its episode, or the
    /// first of a new one.
    pub fn message(&mut self, slot: usize) -> NewMessage {
        let key = Self::key(slot);
        self.clock += self.rng.random_range(1..=self.step_ms * 2);
        let mut episode = match self.episodes[slot].take() {
            Some(episode) if episode.at < episode.steps.len() => episode,
            _ => self.start_episode(slot, self.clock, None),
        };
        let step = episode.steps[episode.at];
        episode.at += 1;
        let content = self.compose(slot, &mut episode, &step);
        self.episodes[slot] = Some(episode);
        let id = self.next_id;
        self.next_id += 1;
        let mid = mid_for(key.platform, id);
        // One message in ten quotes the conversation's previous message.
        let reply_to = match &self.last_mid[slot] {
            Some((previous, _)) if self.rng.random_bool(0.1) => Some(ReplyTo::Message { mid: previous.clone() }),
            _ => None,
        };
        let direction = step.who.direction();
        self.last_mid[slot] = Some((mid.clone(), direction));
        self.last_text[slot] = if direction == Direction::Inbound { content.text.clone() } else { None };
        NewMessage {
            key,
            mid,
            direction,
            kind: content.kind,
            text: content.text,
            attachments: content.attachments,
            reply_to,
            extras: content.extras,
            sent_at: self.clock,
        }
    }

    pub(super) fn follow_ups(&mut self, slot: usize, events: &mut Vec<DomainEvent>) {
        let Some((mid, direction)) = self.last_mid[slot].clone() else { return };
        let key = Self::key(slot);
        let at = self.clock + 1;
        match (direction, self.rng.random_range(0..100)) {
            (Direction::Outbound, 0..=59) => {
                let status = if self.rng.random_bool(0.6) { DeliveryStatus::Read } else { DeliveryStatus::Delivered };
                events.push(DomainEvent::Status { key, mid, status, at, error: None, send_metadata: None });
            }
            (Direction::Outbound, 60..=60) if slot % 3 == 2 => {
                events.push(DomainEvent::Status {
                    key,
                    mid,
                    status: DeliveryStatus::Failed,
                    at,
                    error: Some(window_closed()),
                    send_metadata: None,
                });
            }
            (_, 61..=66) => {
                let emoji = ["❤️", "👍", "😂", "😮"][self.rng.random_range(0..4)];
                let actor = if direction == Direction::Inbound { Actor::Business } else { Actor::Contact };
                events.push(DomainEvent::Reaction { key, mid, actor, emoji: Some(emoji.into()), reaction: None, at });
            }
            (Direction::Inbound, 67..=67) if key.platform != Platform::Whatsapp => {
                if let Some(text) = self.last_text[slot].clone() {
                    let text = format!("{text} {}", self.pick(VOCABULARY));
                    events.push(DomainEvent::Edited { key, mid, text, edit_count: 1, at });
                }
            }
            _ => {}
        }
    }
}

/// WhatsApp's refusal of a free-form message outside the 24-hour window.
pub(super) fn window_closed() -> PlatformError {
    PlatformError {
        code: Some(131047),
        title: Some("Re-engagement message".into()),
        detail: Some("More than 24 hours have passed since the recipient last replied.".into()),
    }
}

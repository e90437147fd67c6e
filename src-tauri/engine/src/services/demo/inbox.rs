//! The demo inbox: which contact gets which episodes, when the business answers, and
//! what is left unread or marked done.

use std::ops::ControlFlow;

use super::*;

/// When the business answers messages: 7:30 to 18:30 (the shop's clock, UTC), every day.
pub(super) const BUSINESS_OPENS: i64 = 7 * HOUR + 30 * MINUTE;
pub(super) const BUSINESS_STOPS: i64 = 18 * HOUR + 30 * MINUTE;
/// When customers write, apart from the odd late message in a conversation going on now.
pub(super) const CUSTOMERS_WAKE: i64 = 7 * HOUR;
pub(super) const CUSTOMERS_SLEEP: i64 = 23 * HOUR;

/// How a demo message goes: whether the other side may react to it, whether WhatsApp
/// refuses it, and whether its correction and reaction surely happen (a showcase).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct How {
    pub(super) react: bool,
    pub(super) failed: bool,
    pub(super) sure: bool,
}

/// A demo conversation as it is written: its events and what later ones depend on.
pub(super) struct DemoThread {
    pub(super) key: ConversationKey,
    pub(super) events: Vec<DomainEvent>,
    /// Nothing happens after this (a minute before now).
    pub(super) cap: i64,
    pub(super) last_inbound: Option<i64>,
    /// The previous message and who sent it, for quotes.
    pub(super) last: Option<(String, Who)>,
    /// Outbound messages delivered but not yet read: (mid, delivered at).
    pub(super) unread_out: Vec<(String, i64)>,
}

impl DemoThread {
    pub(super) fn push(&mut self, event: DomainEvent) {
        self.events.push(event);
    }

    pub(super) fn status(&mut self, mid: &str, status: DeliveryStatus, at: i64) {
        if at <= self.cap {
            self.push(DomainEvent::Status {
                key: self.key.clone(),
                mid: mid.into(),
                status,
                at,
                error: None,
                send_metadata: None,
            });
        }
    }
}

impl Generator {
    /// `t` moved into the business's answering hours.
    pub(super) fn business_time(&mut self, t: i64) -> i64 {
        let day = t.div_euclid(DAY) * DAY;
        match t - day {
            tod if tod < BUSINESS_OPENS => day + BUSINESS_OPENS + self.rng.random_range(0..HOUR),
            tod if tod >= BUSINESS_STOPS => day + DAY + BUSINESS_OPENS + self.rng.random_range(0..HOUR),
            _ => t,
        }
    }

    /// `t` plus a wait from `wait`, moved into the business's answering hours.
    pub(super) fn business_time_after(&mut self, t: i64, wait: std::ops::Range<i64>) -> i64 {
        let wait = self.rng.random_range(wait);
        self.business_time(t + wait)
    }

    /// `t` plus a wait from `wait`, moved into waking hours.
    pub(super) fn customer_time_after(&mut self, t: i64, wait: std::ops::Range<i64>) -> i64 {
        let wait = self.rng.random_range(wait);
        self.customer_time(t + wait)
    }

    /// `t` moved into waking hours.
    pub(super) fn customer_time(&mut self, t: i64) -> i64 {
        let day = t.div_euclid(DAY) * DAY;
        match t - day {
            tod if tod < CUSTOMERS_WAKE => day + CUSTOMERS_WAKE + self.rng.random_range(0..2 * HOUR),
            tod if tod >= CUSTOMERS_SLEEP => day + DAY + CUSTOMERS_WAKE + self.rng.random_range(0..2 * HOUR),
            _ => t,
        }
    }

    /// The morning of the episode's {day}, when the business says an order is ready;
    /// a day later if the conversation ran past it.
    pub(super) fn later_time(&mut self, ctx: &Ctx, after: i64) -> i64 {
        let morning =
            (ctx.start.div_euclid(DAY) + ctx.day_offset) * DAY + 8 * HOUR + self.rng.random_range(0..45 * MINUTE);
        if morning > after + 30 * MINUTE { morning } else { self.business_time_after(after, 20 * HOUR..30 * HOUR) }
    }

    /// Writes one message of the thread at `at`, with its delivery, read, reaction and
    /// edit events. Returns its mid.
    pub(super) fn demo_message(
        &mut self,
        thread: &mut DemoThread,
        who: Who,
        content: Content,
        at: i64,
        how: How,
    ) -> String {
        let How { react, failed, sure } = how;
        let id = self.next_id;
        self.next_id += 1;
        let mid = mid_for(thread.key.platform, id);
        // Now and then an answer quotes the message it answers.
        let quote_odds = if who == Who::Business { 0.15 } else { 0.08 };
        let reply_to = match &thread.last {
            Some((previous, by))
                if *by != who && content.kind == MessageKind::Text && self.rng.random_bool(quote_odds) =>
            {
                Some(ReplyTo::Message { mid: previous.clone() })
            }
            _ => None,
        };
        // A customer corrects a number right after sending, where the platform lets them.
        let edit_at = at + self.rng.random_range(20 * SECOND..150 * SECOND);
        let edit = content.original.is_some()
            && thread.key.platform != Platform::Whatsapp
            && edit_at <= thread.cap
            && (sure || self.rng.random_bool(0.6));
        let (text, edited) =
            if edit { (content.original.clone(), content.text.clone()) } else { (content.text.clone(), None) };
        thread.push(DomainEvent::Message(NewMessage {
            key: thread.key.clone(),
            mid: mid.clone(),
            direction: who.direction(),
            kind: content.kind,
            text,
            attachments: content.attachments,
            reply_to,
            extras: content.extras,
            sent_at: at,
        }));
        if let Some(text) = edited {
            thread.push(DomainEvent::Edited {
                key: thread.key.clone(),
                mid: mid.clone(),
                text,
                edit_count: 1,
                at: edit_at,
            });
        }
        self.delivery_after(thread, who, &mid, at, failed);
        if react {
            self.reaction_to(thread, who, &mid, at, sure);
        }
        thread.last = Some((mid.clone(), who));
        mid
    }

    /// What follows a message: the customer reads what the business sent before they
    /// answer; a business message is delivered, or fails when `failed`.
    fn delivery_after(&mut self, thread: &mut DemoThread, who: Who, mid: &str, at: i64, failed: bool) {
        match who {
            Who::Customer => {
                thread.last_inbound = Some(at);
                // The customer has read what the business sent before they answer.
                for (out, delivered) in std::mem::take(&mut thread.unread_out) {
                    let read = (at - self.rng.random_range(5 * SECOND..90 * SECOND)).max(delivered + SECOND);
                    thread.status(&out, DeliveryStatus::Read, read);
                }
            }
            Who::Business if failed => {
                let at = at + self.rng.random_range(SECOND..3 * SECOND);
                if at <= thread.cap {
                    thread.push(DomainEvent::Status {
                        key: thread.key.clone(),
                        mid: mid.to_string(),
                        status: DeliveryStatus::Failed,
                        at,
                        error: Some(window_closed()),
                        send_metadata: None,
                    });
                }
            }
            Who::Business => {
                let delivered = at + self.rng.random_range(SECOND..20 * SECOND);
                thread.status(mid, DeliveryStatus::Delivered, delivered);
                if delivered <= thread.cap {
                    thread.unread_out.push((mid.to_string(), delivered));
                }
            }
        }
    }

    /// Now and then the other side reacts to a message (always when `sure`).
    fn reaction_to(&mut self, thread: &mut DemoThread, who: Who, mid: &str, at: i64, sure: bool) {
        let reaction = match who {
            Who::Customer if sure || self.rng.random_bool(0.6) => {
                let at = self.business_time_after(at, MINUTE..45 * MINUTE);
                Some((Actor::Business, self.pick(&["❤️", "👍", "🙏"]), at))
            }
            Who::Business if sure || self.rng.random_bool(0.75) => Some((
                Actor::Contact,
                self.pick(&["😍", "❤️", "😮", "👍"]),
                at + self.rng.random_range(30 * SECOND..20 * MINUTE),
            )),
            _ => None,
        };
        if let Some((actor, emoji, at)) = reaction.filter(|r| r.2 <= thread.cap) {
            thread.push(DomainEvent::Reaction {
                key: thread.key.clone(),
                mid: mid.to_string(),
                actor,
                emoji: Some(emoji.into()),
                reaction: None,
                at,
            });
        }
    }

    /// One episode of the thread from `start`, nothing after `limit`. A live episode stops
    /// where the customer waits for an answer (right after its first message for the
    /// newest conversation). Returns the time of its last message.
    pub(super) fn demo_episode(
        &mut self,
        slot: usize,
        thread: &mut DemoThread,
        start: i64,
        limit: i64,
        live: bool,
        showcase: Option<&str>,
    ) -> i64 {
        let mut episode = self.start_episode(slot, start, showcase);
        let waits: Vec<usize> = (0..episode.steps.len())
            .filter(|&i| {
                episode.steps[i].who == Who::Customer && episode.steps.get(i + 1).is_none_or(|s| s.who == Who::Business)
            })
            .collect();
        let cut = match waits.len() {
            0 => None,
            _ if !live => None,
            _ if slot == LATEST_SLOT => Some(waits[0]),
            n => Some(waits[self.rng.random_range(0..n.min(2))]),
        };
        let persona = Self::persona(slot);
        let mut t = start;
        let mut previous: Option<Who> = None;
        for i in 0..episode.steps.len() {
            let step = episode.steps[i];
            t = match previous {
                None if live => start,
                None => self.customer_time(start),
                Some(_) if step.later => self.later_time(&episode.ctx, t),
                Some(p) if p == step.who => t + self.rng.random_range(15 * SECOND..150 * SECOND),
                Some(Who::Customer) => self.business_time_after(t, 3 * MINUTE..80 * MINUTE),
                Some(Who::Business) => self.customer_time_after(t, MINUTE..150 * MINUTE),
            };
            if t > limit {
                break;
            }
            let content = self.compose(slot, &mut episode, &step);
            let window_closed = step.who == Who::Business
                && thread.key.platform == Platform::Whatsapp
                && thread.last_inbound.is_some_and(|inbound| t - inbound > DAY);
            if !window_closed {
                self.demo_message(
                    thread,
                    step.who,
                    content,
                    t,
                    How { react: step.react, sure: episode.showcase, ..How::default() },
                );
            } else {
                match self.resend_after_template(thread, &episode, persona, content, step, (t, limit)) {
                    ControlFlow::Continue(at) => t = at,
                    ControlFlow::Break(at) => {
                        t = at;
                        break;
                    }
                }
            }
            previous = Some(step.who);
            if cut == Some(i) {
                break;
            }
        }
        t.min(limit)
    }

    /// Outside WhatsApp's 24-hour window a business message fails; a template opens the
    /// conversation again, the customer answers, and the business sends it once more.
    /// Starts at `t`; breaks with the last time used when `limit` comes first.
    fn resend_after_template(
        &mut self,
        thread: &mut DemoThread,
        episode: &Episode,
        persona: Persona,
        content: Content,
        step: Step,
        (t, limit): (i64, i64),
    ) -> ControlFlow<i64, i64> {
        self.demo_message(thread, Who::Business, content.clone(), t, How { failed: true, ..How::default() });
        let book = book(persona.language);
        let template = self.pick(book.templates);
        let template = Content {
            kind: MessageKind::Template,
            text: Some(render(template, &episode.ctx, book, persona, false)),
            original: None,
            attachments: Vec::new(),
            extras: MessageExtras::default(),
        };
        let sent = t + self.rng.random_range(MINUTE..4 * MINUTE);
        if sent > limit {
            return ControlFlow::Break(t);
        }
        self.demo_message(thread, Who::Business, template, sent, How::default());
        let answered = self.customer_time_after(sent, 5 * MINUTE..90 * MINUTE);
        if answered > limit {
            return ControlFlow::Break(sent);
        }
        let (text, _) = self.say(&c(book.template_replies), &episode.ctx, persona, &[""], &[""]);
        let reply = Content {
            kind: MessageKind::Text,
            text: Some(text),
            original: None,
            attachments: Vec::new(),
            extras: MessageExtras::default(),
        };
        self.demo_message(thread, Who::Customer, reply, answered, How::default());
        let t = self.business_time_after(answered, 2 * MINUTE..15 * MINUTE);
        if t > limit {
            return ControlFlow::Break(answered);
        }
        self.demo_message(
            thread,
            Who::Business,
            content,
            t,
            How { react: step.react, sure: episode.showcase, ..How::default() },
        );
        ControlFlow::Continue(t)
    }

    /// The demo conversation in `slot`: one to four episodes over the last two weeks; a
    /// live one at the end for the conversations going on now.
    pub(super) fn demo_thread(&mut self, slot: usize, now: i64) -> Vec<DomainEvent> {
        let mut thread = DemoThread {
            key: Self::key(slot),
            events: Vec::new(),
            cap: now - MINUTE,
            last_inbound: None,
            last: None,
            unread_out: Vec::new(),
        };
        let live = LIVE_SLOTS.contains(&slot);
        let episodes = [1, 2, 2, 2, 3, 3, 3, 4][self.rng.random_range(0..8)];
        let live_start =
            if slot == LATEST_SLOT { now - MINUTE } else { now - self.rng.random_range(20 * MINUTE..8 * HOUR) };
        let horizon = if live { live_start - 12 * HOUR } else { now - 2 * MINUTE };
        let mut showcase = SHOWCASE.iter().find(|(s, _)| *s == slot).map(|(_, topic)| *topic);
        // A showcase starts early enough for its order's day to come.
        let earliest = if showcase.is_some() { 6 * DAY } else { 2 * DAY };
        let mut start = now - self.rng.random_range(earliest..13 * DAY);
        for _ in 0..episodes - usize::from(live) {
            if start > horizon - HOUR {
                break;
            }
            let end = self.demo_episode(slot, &mut thread, start, horizon, false, showcase.take());
            start = end + self.rng.random_range(DAY..4 * DAY);
        }
        if live {
            self.demo_episode(slot, &mut thread, live_start, now - MINUTE, true, None);
        }
        // What the customer has not answered they have read, or not yet.
        for (mid, delivered) in std::mem::take(&mut thread.unread_out) {
            if self.rng.random_bool(0.55) {
                let read = delivered + self.rng.random_range(MINUTE..40 * MINUTE);
                thread.status(&mid, DeliveryStatus::Read, read);
            }
        }
        thread.events
    }
}

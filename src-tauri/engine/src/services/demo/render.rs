//! Filling a line in: the details an episode is rolled with (day, time, flavour, order
//! number) and the templates' placeholders.

use super::*;

/// The details an episode's lines are filled in with, rolled when it starts.
#[derive(Debug, Clone)]
pub(super) struct Ctx {
    /// When the episode began.
    pub(super) start: i64,
    /// Days from the start to the day the lines call {day}.
    pub(super) day_offset: i64,
    pub(super) weekday: usize,
    pub(super) time: usize,
    pub(super) staff: usize,
    pub(super) flavour: usize,
    pub(super) bake: usize,
    pub(super) loaf: usize,
    pub(super) kid: usize,
    pub(super) item: usize,
    pub(super) area: usize,
    /// People at a table; the number the customer first typed, before correcting it.
    pub(super) n: u32,
    pub(super) n_before: u32,
    /// Pastries in an order, and the number first typed.
    pub(super) count: u32,
    pub(super) count_before: u32,
    pub(super) people: u32,
    pub(super) guests: u32,
    pub(super) age: u32,
    pub(super) price: u32,
    pub(super) voucher: u32,
    pub(super) order: u32,
}

/// 0 = Sunday, for a day number since the Unix epoch (a Thursday).
pub(super) fn weekday(day: i64) -> usize {
    (day + 4).rem_euclid(7) as usize
}

impl Ctx {
    pub(super) fn roll(rng: &mut SmallRng, book: &Phrasebook, start: i64) -> Ctx {
        let today = start.div_euclid(DAY);
        let mut day_offset = rng.random_range(1..=4);
        // The shop is closed on Mondays: nothing is booked or collected then.
        if weekday(today + day_offset) == 1 {
            day_offset += 1;
        }
        let n = rng.random_range(2..=8);
        let counts = [6, 8, 10, 12, 16, 20, 24];
        let count_at = rng.random_range(0..counts.len());
        Ctx {
            start,
            day_offset,
            weekday: weekday(today + day_offset),
            time: rng.random_range(0..book.times.len()),
            staff: rng.random_range(0..STAFF.len()),
            flavour: rng.random_range(0..book.flavours.len()),
            bake: rng.random_range(0..book.bakes.len()),
            loaf: rng.random_range(0..book.loaves.len()),
            kid: rng.random_range(0..book.kids.len()),
            item: rng.random_range(0..book.items.len()),
            area: rng.random_range(0..AREAS.len()),
            n,
            n_before: if n > 4 { n - rng.random_range(1..=2) } else { n + rng.random_range(1..=2) },
            count: counts[count_at],
            count_before: counts[(count_at + rng.random_range(1..counts.len())) % counts.len()],
            people: rng.random_range(8..=30),
            guests: rng.random_range(6..=14) * 10,
            age: rng.random_range(4..=12),
            price: [32, 35, 38, 42, 45][rng.random_range(0..5)],
            voucher: [15, 20, 25, 30, 40, 50][rng.random_range(0..6)],
            order: rng.random_range(1000..10_000),
        }
    }
}

pub(super) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn money(book: &Phrasebook, pounds: u32) -> String {
    format!("{}{pounds}{}", book.money.0, book.money.1)
}

/// `template` with its {placeholders} filled in; `before` gives the numbers a customer
/// typed before correcting them.
pub(super) fn render(template: &str, ctx: &Ctx, book: &Phrasebook, persona: Persona, before: bool) -> String {
    let mut out = String::with_capacity(template.len() + 24);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        // An unclosed brace is text, not a placeholder (the phrase tests keep there being none).
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            out.push_str(&rest[open..]);
            return out;
        };
        let value = match &rest[open + 1..close] {
            "name" | "first" => persona.first.to_owned(),
            "last" => persona.last.to_owned(),
            "staff" => STAFF[ctx.staff].to_owned(),
            "day" => book.days[ctx.weekday].to_owned(),
            "Day" => capitalized(book.days[ctx.weekday]),
            "time" => book.times[ctx.time].to_owned(),
            "Time" => capitalized(book.times[ctx.time]),
            "n" => (if before { ctx.n_before } else { ctx.n }).to_string(),
            "count" => (if before { ctx.count_before } else { ctx.count }).to_string(),
            "people" => ctx.people.to_string(),
            "guests" => ctx.guests.to_string(),
            "age" => ctx.age.to_string(),
            "flavour" => book.flavours[ctx.flavour].to_owned(),
            "Flavour" => capitalized(book.flavours[ctx.flavour]),
            "bake" => book.bakes[ctx.bake].to_owned(),
            "loaf" => book.loaves[ctx.loaf].to_owned(),
            "kid" => book.kids[ctx.kid].to_owned(),
            "item" => book.items[ctx.item].to_owned(),
            "area" => AREAS[ctx.area].to_owned(),
            "price" => money(book, ctx.price),
            "voucher" => money(book, ctx.voucher),
            "order" => format!("#{}", ctx.order),
            "ordnum" => ctx.order.to_string(),
            other => panic!("unknown placeholder {{{other}}} in {template:?}"),
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `hello` + `body` + `tail`, the tail only after a sentence that has ended.
pub(super) fn join(hello: &str, body: &str, tail: &str) -> String {
    let ended = body.ends_with(['.', '!', '?']);
    let mut text = String::with_capacity(hello.len() + body.len() + tail.len());
    text.push_str(hello);
    text.push_str(body);
    if ended {
        text.push_str(tail);
    }
    text
}

/// What one message carries.
#[derive(Debug, Clone)]
pub(super) struct Content {
    pub(super) kind: MessageKind,
    pub(super) text: Option<String>,
    /// The text as first sent, when the customer corrects it right after.
    pub(super) original: Option<String>,
    pub(super) attachments: Vec<Attachment>,
    pub(super) extras: MessageExtras,
}

/// An episode under way: its script with the alternatives picked, and how far it is.
pub(super) struct Episode {
    pub(super) steps: Vec<Step>,
    pub(super) at: usize,
    pub(super) ctx: Ctx,
    /// Played in full: see [`SHOWCASE`].
    pub(super) showcase: bool,
    pub(super) customer_spoke: bool,
    pub(super) business_spoke: bool,
}

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

// ---------------------------------------------------------------------------------------
// English

const EN_THANKS: &[&str] = &[
    "Great, thanks!",
    "Perfect, thank you!",
    "Lovely, thanks so much!",
    "Brilliant, thank you!",
    "Amazing, thanks!",
    "Thanks so much!",
    "Thank you, that's really helpful!",
    "Cheers!",
    "Fab, thank you!",
    "Ah great, thanks!",
    "Super, thanks a lot!",
    "That's great, thank you!",
    "Ah, that's perfect. Thanks!",
    "Thanks a million!",
    "Great stuff, thank you!",
    "Ooh lovely, thanks!",
];
const EN_SEE_YOU: &[&str] = &[
    "See you {day}!",
    "Perfect, see you then!",
    "Great, see you {day}!",
    "Lovely, see you {day} then!",
    "We'll see you {day}!",
];

const EN_TOPICS: &[Topic] = &[
    Topic {
        name: "birthday cake",
        only: None,
        beats: &[
            &[&[c(&[
                "Do you make custom birthday cakes? My little one turns {age} on {day}.",
                "Could I order a birthday cake for {day}? It's for {kid}'s {age}th.",
                "Are you still taking cake orders for this {day}? We've got a {age}th birthday to celebrate!",
            ])]],
            &[&[b(&[
                "We'd love to make it! Our 6-inch celebration cakes start at {price} and feed about 12. Any flavour in mind?",
                "We still have room on {day}, so yes! A 6-inch is {price} and serves around 12. What flavour are you thinking?",
                "Yes, {day} works. Celebration cakes start at {price} for a 6-inch, about 12 slices. Do you have a flavour in mind?",
            ])]],
            &[&[c(&[
                "{Flavour}, please! Could you write “Happy Birthday {kid}” on top?",
                "{kid} is obsessed with {flavour}, so that one. Can it say “Happy Birthday {kid}”?",
                "{Flavour} would be perfect. And “Happy Birthday {kid}” in blue icing, if possible?",
            ])]],
            &[
                &[
                    c_photo(&[
                        "Something like this, but with sprinkles?",
                        "Saw this on Pinterest. Could you do something similar?",
                        "This is the kind of thing {kid} would love",
                        "",
                    ]),
                    b(&[
                        "Love it, that's very doable for {day}.",
                        "Ooh yes, we can definitely do something like that for {kid}!",
                        "Gorgeous. We'll use that as our starting point for {kid}'s cake.",
                    ]),
                ],
                &[],
            ],
            &[&[b(&[
                "So that's a 6-inch {flavour} cake with “Happy Birthday {kid}”, ready to collect {day} from {time}. It's order {order}. Does that work?",
                "All noted as order {order}: {flavour} sponge, {kid}'s name on top, collection {day} after {time}. We take a £10 deposit to hold the slot, I'll send a link.",
                "Lovely, I've booked it in as order {order}: {flavour}, “Happy Birthday {kid}”, ready {day} from {time}. Deposit link coming now.",
            ])]],
            &[&[c(&[
                "Perfect, thank you so much!",
                "Brilliant, see you {day}!",
                "Amazing, thanks. {Day} at {time} is great.",
                "That's perfect, deposit paid 👍",
                "Yay, thank you!! {kid} will be so excited",
            ])
            .react()]],
            &[
                &[
                    b_photo(&[
                        "{kid}'s cake is all boxed up and ready for you 🎂",
                        "Here's a sneak peek of {kid}'s cake, ready when you are!",
                        "Fresh off the decorating table and ready for {kid}'s big day!",
                    ])
                    .later()
                    .react(),
                    c(&[
                        "Oh wow, {kid} is going to love it!!",
                        "That's gorgeous, thank you! On my way.",
                        "Stunning 😍 see you in a bit",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "opening hours",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Are you open this Sunday?",
                        "Are you open on Sundays?",
                        "Quick one: what are your hours on a Sunday?",
                    ]),
                    b(&[
                        "Sundays we're open 9 till 3!",
                        "Yes, 9am to 3pm on Sundays. The {bake} tend to sell out by noon, so come early!",
                        "Sunday hours are 9 till 3, and the {bake} come out of the oven at 9.",
                    ]),
                ],
                &[
                    c(&[
                        "What time do you open on {day}?",
                        "How late are you open on {day}?",
                        "Are you open on {day} afternoon?",
                    ]),
                    b(&[
                        "Tuesday to Friday we're 7:30 till 4, Saturday 8 till 4 and Sunday 9 till 3. Closed on Mondays!",
                        "Our hours: Tue–Fri 7:30–4, Sat 8–4, Sun 9–3, and Mondays off.",
                        "We open at 7:30 on weekdays (8 on Saturdays, 9 on Sundays) and close at 4, or 3 on Sundays. Mondays we're closed.",
                    ]),
                ],
            ],
            &[
                &[
                    c(&["Is it ok to bring a dog?", "Are dogs allowed inside?", "Can I bring my dog in?"]),
                    b(&[
                        "Dogs are very welcome! There's a water bowl by the door 🐶",
                        "Of course, well-behaved dogs are welcome inside. We even keep treats at the till.",
                        "Yes! Dogs are always welcome, and {staff} will probably want to say hello.",
                    ]),
                ],
                &[
                    c(&["Do you have seating inside?", "Is there space to sit in, or is it takeaway only?"]),
                    b(&[
                        "We have about 20 seats inside and three tables out front.",
                        "There are 20 seats inside plus a few tables on the pavement, weather permitting!",
                        "Yes, there's seating for around 20. It gets busy around 11 at the weekend.",
                    ]),
                ],
                &[
                    c(&[
                        "Do you have wifi? I'd love to work from there for a bit.",
                        "Is it ok to work on a laptop there for an hour or so?",
                    ]),
                    b(&[
                        "We do, the password is on the board by the till. Weekday mornings are the quietest for working.",
                        "Absolutely. The wifi's free and the window bench has plugs. Maybe just avoid the Saturday rush!",
                        "Sure! There are plugs along the window bench and the wifi code is on your receipt.",
                    ]),
                ],
                &[
                    c(&["Is there anywhere to park nearby?", "Do you have parking?"]),
                    b(&[
                        "No car park, but the side streets off Gloucester Road have free 2-hour parking.",
                        "Your best bet is the side streets, free for two hours. The 72 bus also stops right outside!",
                        "There's free parking for two hours on the roads just behind us.",
                    ]),
                ],
                &[],
            ],
            &[&[c(EN_THANKS).react()], &[c(EN_SEE_YOU)], &[]],
        ],
    },
    Topic {
        name: "allergies",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Do you have anything gluten-free?",
                        "My partner is coeliac. Is there anything they could eat?",
                        "Any gluten-free cakes today?",
                    ]),
                    b(&[
                        "We always have gluten-free brownies and an orange and almond cake. We're not a gluten-free kitchen though, so there's flour in the air. I'd be careful if it's coeliac.",
                        "Our orange and almond cake and the brownies are made without gluten, but everything's baked in the same kitchen, so we can't promise no traces.",
                        "Yes: the brownies and the orange almond cake are gluten-free recipes. Honest warning, we bake with wheat flour all day, so not ideal for coeliacs.",
                    ]),
                ],
                &[
                    c(&["Do you do anything vegan?", "Are any of your pastries vegan?", "Do you have vegan options?"]),
                    b(&[
                        "The weekend cinnamon buns are vegan, and so is our focaccia. Oat milk is free for coffee too.",
                        "Yes! The cinnamon buns on Saturdays and Sundays are vegan, plus the focaccia every day.",
                        "We have vegan focaccia daily and vegan cinnamon buns at the weekend. Oat and soy milk are no extra charge.",
                    ]),
                ],
                &[
                    c(&[
                        "Is the carrot cake nut-free? My daughter has a nut allergy.",
                        "Do you have anything without nuts? Asking for a kid with an allergy.",
                        "Are your brownies nut-free?",
                    ]),
                    b(&[
                        "We use nuts in the kitchen, so nothing is completely nut-free. The brownies, plain croissants and focaccia have no nuts in the recipe, though.",
                        "Honestly, we can't promise anything is nut-free as we bake with almonds and walnuts every day. Ask at the till and we'll show you the allergen sheet.",
                        "Nothing here is guaranteed nut-free, sorry, but the brownies and focaccia don't have nuts in the recipe. The carrot cake has walnuts.",
                    ]),
                ],
            ],
            &[
                &[c(&[
                    "Good to know, thanks for being so clear!",
                    "Really appreciate the honesty, thanks.",
                    "That's really helpful, thank you!",
                ])],
                &[
                    c(&["Could you put a slice aside for me for {day}?", "Could you save me one for {day} morning?"]),
                    b(&[
                        "Of course, I'll put one aside under {name} for {day}.",
                        "Done, it'll be behind the counter with your name on it on {day}.",
                        "No problem, saved for {day} under {name}!",
                    ]),
                    c(EN_THANKS).react(),
                ],
            ],
        ],
    },
    Topic {
        name: "table booking",
        only: None,
        beats: &[
            &[&[c(&[
                "Can I book a table for {n} on {day} at {time}?",
                "Do you take bookings? There'd be {n} of us on {day} around {time}.",
                "Could we reserve a table for {n} for brunch on {day}, {time}-ish?",
            ])
            .edit()]],
            &[&[b(&[
                "Booked! A table for {n} on {day} at {time}, under {name}.",
                "All sorted: {n} people, {day} at {time}. We'll have the big table by the window ready for you.",
                "You're in! Table for {n}, {day} at {time}. We hold tables for 15 minutes, so just message if you're running late.",
            ])]],
            &[
                &[
                    c(&["Do you have a high chair? We're bringing a baby.", "Is there a high chair we could use?"]),
                    b(&[
                        "We have two, I'll put one at your table.",
                        "Yes! I'll make sure one's waiting at the table for you on {day}.",
                        "We do, it'll be ready at the table for {time}.",
                    ]),
                ],
                &[
                    c(&["Is the entrance step-free? One of us uses a wheelchair.", "Is it wheelchair accessible?"]),
                    b(&[
                        "Yes, the front door is step-free and the window table has plenty of space around it.",
                        "It is! Step-free entrance and an accessible loo at the back.",
                        "Yes, no steps at all, and I'll keep the table nearest the door for you.",
                    ]),
                ],
                &[
                    c(&[
                        "It's my mum's birthday, could you put a candle in something?",
                        "Could we bring our own cake? It's a little celebration.",
                    ]),
                    b(&[
                        "Of course! Let us know on the day and we'll bring it out with a candle.",
                        "Absolutely, we love a celebration. Just tell whoever's on the till when you arrive.",
                    ]),
                ],
                &[],
            ],
            &[&[c(EN_THANKS).react()], &[c(EN_SEE_YOU)]],
        ],
    },
    Topic {
        name: "pre-order",
        only: None,
        beats: &[
            &[&[c(&[
                "Could I pre-order {count} {bake} for {day}?",
                "Is it possible to reserve {count} {bake} for {day}? We've got family visiting.",
                "Can I order {count} {bake} to collect on {day}, about {time}?",
            ])
            .edit()]],
            &[&[b(&[
                "No problem! {count} {bake} for {day}, ready from {time}. That's order {order}.",
                "Of course. I've put {count} {bake} aside for {day} as order {order}; pay when you collect.",
                "Yes! Order {order}: {count} {bake}, ready to collect {day} from {time}.",
            ])]],
            &[
                &[
                    c(&["Could you also add a {loaf}?", "Can I add a {loaf} to that?"]),
                    b(&[
                        "Added! One {loaf} on order {order} too.",
                        "Done, a {loaf} is on the order as well.",
                        "Sure, I've added a {loaf} to order {order}.",
                    ]),
                ],
                &[],
            ],
            &[&[c(EN_THANKS).react()], &[c(EN_SEE_YOU)]],
            &[
                &[
                    b(&[
                        "Morning {name}! Your order {order} is ready at the counter whenever you are.",
                        "Hi {name}, just to say your {bake} are boxed and waiting for you.",
                        "Your order is ready, {name}! It's on the shelf behind the till.",
                    ])
                    .later(),
                    c(&["Thanks, I'll be there in 20!", "On my way!", "Great, see you shortly."]),
                ],
                &[
                    b_photo(&["", "Boxed up and waiting for you, {name}!"]).later().react(),
                    c(&["Looks amazing, see you soon!", "Ooh, on my way!", "Perfect, be there in ten."]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "office catering",
        only: None,
        beats: &[
            &[
                &[
                    c_voice(),
                    b(&[
                        "Thanks for the voice note, {name}! Pastries for {people} on {day} are no problem, I'll put a quote together.",
                        "Got your voice note. {people} people on {day} is fine, let me send you a quote.",
                        "Thanks {name}, that's all clear from your voice note: {people} people on {day}. Quote coming up!",
                    ]),
                ],
                &[
                    c(&[
                        "We're having a team get-together on {day} for about {people} people. Do you do pastry platters?",
                        "Do you do catering? We need pastries for {people} at our office on {day}.",
                        "Could you do coffee and pastries for a meeting of {people} on {day}?",
                    ]),
                    b(&[
                        "We do! Our pastry platters are £9.50 a head: {bake}, mini croissants and fruit. I'll send you a quote.",
                        "Yes, we'd love to. For {people} I'd suggest two big platters with {bake} and fruit. Let me put a quote together.",
                        "Definitely. {people} people is no problem, I'll send over our catering menu and a quote.",
                    ]),
                ],
            ],
            &[&[
                b_pdf("quote-{ordnum}.pdf"),
                b(&[
                    "Here's the quote for {people} people, delivery included. Final numbers by the day before, please!",
                    "There you go: platters for {people} with coffee flasks. It's order {order}, and we just need final numbers the day before.",
                    "Quote attached for {people} people ({order}). Happy to tweak anything!",
                ]),
            ]],
            &[&[
                c(&[
                    "Looks great! Can you deliver to {area}?",
                    "Perfect. Do you deliver to {area}, or should we collect?",
                    "Brilliant, let's go for it. Is delivery to {area} possible?",
                ]),
                b(&[
                    "Yes, delivery to {area} is free on catering orders. What time would you like it?",
                    "We deliver to {area} for free on orders over £60, so you're covered. What time suits?",
                    "We can! Free delivery to {area}. Just let me know the address and a time.",
                ]),
            ]],
            &[&[
                c(&[
                    "Around {time} would be great.",
                    "Could you aim for {time}?",
                    "{Time} please, if that works.",
                    "Is {time} ok? That's when everyone arrives.",
                ]),
                c_pin(),
                b(&[
                    "{Time} it is. We'll ring when we're outside.",
                    "Perfect, we'll be with you at {time} on {day}.",
                    "Lovely, {day} at {time}. See you then!",
                ]),
            ]],
            &[&[c(EN_THANKS).react()]],
            &[
                &[
                    b(&[
                        "Morning {name}! All set for your order {order} today. See you at {time}.",
                        "Just a reminder that we're delivering your platters for {people} today at {time}!",
                        "Everything's baked and ready for your team, {name}. See you at {time}!",
                    ])
                    .later(),
                    c(&[
                        "Brilliant, we're ready!",
                        "Perfect, someone will meet you at the door.",
                        "Great, the team can't wait!",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "something went wrong",
        only: None,
        beats: &[&[
            &[
                c_photo(&[""]),
                c(&[
                    "Our cake slid in the box on the way home 😢 Is there anything you can do? It's for a party on {day}.",
                    "This is how the box looked when I opened it. Any chance of a replacement before {day}?",
                    "Not quite how it looked in the shop! Is there anything you can do before {day}?",
                ]),
                b(&[
                    "Oh no, I'm so sorry! Bring it back and we'll remake it for you before {day}.",
                    "That's heartbreaking, sorry {name}. We'll have a fresh one ready for you on {day}, no charge.",
                    "So sorry! We'll redo it first thing. Could you collect on {day} from {time}?",
                ]),
                c(&["Thank you, that's so kind.", "You're the best, thank you!", "Thanks so much, {day} is perfect."])
                    .react(),
            ],
            &[
                c(&[
                    "I collected my order this morning but the {bake} weren't in the box 😕",
                    "Just got home and realised the {bake} I ordered weren't in the bag.",
                    "Bit of a mix-up: I paid for {bake} but got something else.",
                ]),
                b(&[
                    "Oh no, I'm so sorry {name}! I've refunded them just now, and they're on us next time.",
                    "That's our mistake, sorry! Pop back any time this week for a fresh batch, or I can refund you, whichever you prefer.",
                    "So sorry about that. I've refunded the {bake}, and there's a free coffee waiting for you next visit.",
                ]),
                c(&[
                    "Thanks for sorting it so quickly!",
                    "That's really kind, thank you.",
                    "No worries, these things happen. Thank you!",
                    "Appreciate it, thanks for being so nice about it.",
                ])
                .react(),
            ],
            &[
                c(&[
                    "I asked for oat milk this morning but I'm pretty sure I got cow's milk.",
                    "Small thing, but my flat white was made with dairy and I'd asked for oat.",
                ]),
                b(&[
                    "I'm really sorry, {name}, that's not ok, especially if it's an intolerance. Your next coffee is on us, and I'll talk to the team.",
                    "Sorry about that! I've told the team to double-check milk orders. Next drink is on the house.",
                    "Apologies, that shouldn't have happened. I've noted it for the team, and your next coffee's on us, {name}.",
                ]),
                c(&[
                    "Thanks, that's really good of you.",
                    "No harm done, thanks for sorting it!",
                    "Oh that's kind, thank you.",
                    "Thanks for taking it seriously!",
                ])
                .react(),
            ],
        ]],
    },
    Topic {
        name: "wedding cake",
        only: None,
        beats: &[
            &[&[c(&[
                "We're getting married next summer and would love to chat about a cake!",
                "Do you do wedding cakes? We're thinking three tiers for about {guests} guests.",
                "Our wedding is next September and a friend recommended you for the cake!",
            ])]],
            &[&[
                b(&[
                    "Congratulations! We'd love to be part of it. Here's our wedding brochure with prices.",
                    "Congratulations to you both! Have a look at our wedding cake brochure, it has sizes and prices.",
                    "How exciting, congratulations! I'll send you our brochure so you can have a browse.",
                ]),
                b_pdf("little-crumb-wedding-cakes.pdf"),
            ]],
            &[&[c(&[
                "These are beautiful. Could we book a tasting?",
                "Love the naked cakes! Do you do tastings?",
                "Could we come in and try some flavours?",
            ])]],
            &[&[b(&[
                "We do tastings by appointment. Would {day} at {time} suit you both?",
                "Of course! How about {day} at {time}? You'll get to try four flavours.",
                "Tastings are £15, taken off the cake price if you book. I have {day} at {time} free, would that work?",
            ])]],
            &[&[c(&[
                "Perfect, see you then!",
                "{Day} at {time} is perfect, thank you!",
                "Yes please, we'll be there!",
            ])
            .react()]],
            &[
                &[
                    c(&["Is it ok if my mum comes along too?", "Could we bring my sister? She's the maid of honour."]),
                    b(&[
                        "Of course! The more tasters the better 😄",
                        "Absolutely, we'll make sure there are enough forks!",
                        "Yes, bring her along, we'll see you all on {day}!",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "gift voucher",
        only: None,
        beats: &[
            &[&[c(&[
                "Do you sell gift vouchers?",
                "Do you do gift cards? It's my mum's birthday on {day}.",
                "Do you have vouchers? Looking for a present for a friend.",
            ])]],
            &[&[b(&[
                "We do! They start at £10 and can be spent on anything in the shop.",
                "Yes, from £10 upwards, and they're valid for a year.",
                "We do, any amount from £10. We can email one or you can pick up a printed card.",
            ])]],
            &[&[c(&[
                "Could I get a {voucher} one emailed to me?",
                "Lovely, a {voucher} voucher please. Can you email it?",
                "Great! I'll take one for {voucher}.",
            ])]],
            &[&[b(&[
                "Of course. I've sent a payment link for {voucher}; the voucher arrives by email as soon as it's paid.",
                "Here's the payment link for the {voucher} voucher: https://pay.example/lc-{ordnum}",
                "Done! Pay through this link and I'll email the voucher straight after: https://pay.example/lc-{ordnum}",
            ])]],
            &[&[c(&["Paid! Thanks so much.", "All paid, thank you!", "Done, thank you!"]).react()]],
            &[&[b(&[
                "The voucher is on its way to your inbox. Enjoy, {name}!",
                "Sent! Your voucher code is LC{ordnum}, valid for 12 months.",
                "All done, check your email for the {voucher} voucher 🎁",
            ])]],
        ],
    },
    Topic {
        name: "job enquiry",
        only: None,
        beats: &[
            &[
                &[
                    c(&["Are you hiring for weekend shifts?", "Do you have any weekend work going?"]),
                    b(&[
                        "We are! We're after a Saturday barista. Could you send your CV?",
                        "We're looking for someone for Saturdays and Sundays. Send us your CV and a bit about yourself!",
                    ]),
                ],
                &[
                    c(&[
                        "Do you have any part-time jobs going? I'm a student at UWE.",
                        "Any part-time work going? I'm free at weekends.",
                    ]),
                    b(&[
                        "We might! We need someone for weekends. Could you send your CV?",
                        "We're hiring for weekend shifts at the moment. Pop your CV over here and we'll be in touch.",
                    ]),
                ],
                &[
                    c(&[
                        "Saw the sign in your window. Is the barista job still open?",
                        "Is the job in your window still going?",
                    ]),
                    b(&[
                        "It is! Pop your CV over here and we'll be in touch.",
                        "Still open! Send your CV and a line about when you're free.",
                    ]),
                ],
            ],
            &[&[
                c_pdf("CV-{first}-{last}.pdf"),
                c(&[
                    "Here you go! I've worked two years at a coffee shop in Bath.",
                    "Attached! Happy to do a trial whenever suits.",
                    "There you go, thanks for considering me.",
                ]),
            ]],
            &[&[b(&[
                "Thanks {name}, that looks great. Could you come in for a trial shift on {day} at {time}?",
                "Lovely, thanks! Are you free for a quick chat and a trial on {day}, {time}?",
                "Got it. Could you pop in on {day} around {time} to meet Maya?",
            ])]],
            &[&[c(&["Yes! See you then.", "{Day} at {time} works, thank you!", "Perfect, I'll be there."]).react()]],
        ],
    },
    Topic {
        name: "story shout-out",
        only: Some(Platform::Instagram),
        beats: &[
            &[
                &[
                    story(),
                    c(&[
                        "Best {bake} in Bristol, honestly 🤤",
                        "Tagged you! Perfect start to the day",
                        "Had to share, this place is a gem",
                    ]),
                ],
                &[story()],
            ],
            &[&[b(&[
                "Thank you so much for the shout-out, {name}! 🥹",
                "Aww, thanks for tagging us, {name}! Made our day.",
                "This made the whole team smile, thank you {name}!",
            ])]],
            &[
                &[
                    c(&["Will you be doing the {bake} again this weekend?", "When are the {bake} back?"]),
                    b(&[
                        "Yes! Every Saturday and Sunday from 8, until they run out.",
                        "They're back on {day}. Come early, they go fast!",
                        "We bake them every weekend, {name}, and we can save you some if you message the day before.",
                    ]),
                ],
                &[c(&["You deserve it! See you soon ❤️", "Always a pleasure! See you next week"])],
                &[],
            ],
        ],
    },
    Topic {
        name: "directions",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Where exactly are you? Google Maps is sending me round in circles",
                        "Is the bakery on Gloucester Road itself or down a side street?",
                    ]),
                    b(&[
                        "We're at 14 Gloucester Road, between the bookshop and the launderette, with the green awning.",
                        "Right on Gloucester Road, number 14! Look for the green awning next to the bookshop.",
                    ]),
                    shop_pin(),
                ],
                &[
                    c(&["What's the nearest bus stop to you?", "Which bus gets me to you from the centre?"]),
                    b(&[
                        "The 72 and 73 stop right outside, at the Gloucester Road stop by number 14.",
                        "Hop on the 72 or 73 from the centre and get off right outside number 14.",
                    ]),
                    shop_pin(),
                ],
            ],
            &[&[c(&["Found you, thanks!", "Got it, be there in 10.", "Ah I see it now, thanks!"])]],
        ],
    },
    Topic {
        name: "lost property",
        only: None,
        beats: &[
            &[&[c(&[
                "I think I left my {item} on the window table yesterday. Has anyone handed it in?",
                "Did anyone hand in my {item} this morning?",
                "Sorry to bother you, but did I leave my {item} at yours yesterday?",
            ])]],
            &[&[b(&[
                "We've got it! It's behind the counter with your name on it.",
                "Good news: it was handed in, and it's safe behind the till until you can pop in.",
                "Found it under the window bench! We'll keep it behind the counter for you.",
            ])]],
            &[&[c(&[
                "You're a lifesaver, thank you!",
                "Oh thank goodness. I'll grab it on {day}.",
                "Amazing, I'll pick it up later today.",
            ])
            .react()]],
        ],
    },
    Topic {
        name: "delivery",
        only: None,
        beats: &[
            &[
                &[
                    c(&["Do you deliver to {area}?", "Can I get a cake delivered to {area}?"]),
                    b(&[
                        "We're on Deliveroo for anywhere within two miles, so {area} should be covered!",
                        "For everyday orders we use Deliveroo. For cakes and catering we deliver to {area} ourselves.",
                        "Yes, we're on Deliveroo, and we deliver cakes ourselves around Bristol, including {area}.",
                    ]),
                ],
                &[
                    c(&["Are you on Deliveroo?", "Can I order from you through Deliveroo?"]),
                    b(&[
                        "We are! Anywhere within about two miles of Gloucester Road.",
                        "Yes, we're on Deliveroo from 8 till 3 every day except Monday.",
                    ]),
                ],
            ],
            &[&[c(EN_THANKS)]],
        ],
    },
    Topic {
        name: "sourdough workshop",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Saw your post about the sourdough workshop. Are there any spaces left?",
                        "Are there still places on the sourdough workshop?",
                    ]),
                    b(&[
                        "There are two spaces left on {day} at {time}! It's £65 including lunch and a starter to take home.",
                        "Just a few left for {day} at {time}. It's £65, with lunch and a jar of starter included.",
                    ]),
                ],
                &[
                    c(&["When's the next bread-making class?", "When are you running the next sourdough workshop?"]),
                    b(&[
                        "The next one is {day} at {time}, £65 per person, and there are still a few spaces.",
                        "It's on {day} at {time}! £65 each, including lunch.",
                    ]),
                ],
                &[
                    c(&[
                        "Is the sourdough workshop suitable for complete beginners?",
                        "I've never baked bread before. Would the workshop be too advanced?",
                    ]),
                    b(&[
                        "Yes, it's made for beginners! The next class is {day} at {time}, and there are a few spaces left.",
                        "Not at all, total beginners are very welcome! The next one is {day} at {time}, £65.",
                    ]),
                ],
            ],
            &[&[c(&["I'll take a space, please!", "Could I book two places?", "Lovely, sign me up!"])]],
            &[&[b(&[
                "You're booked in for {day}, {name}! Wear something you don't mind getting floury.",
                "Booked! I'll send the details by email. Bring an apron if you have one.",
                "Done! See you {day} at {time}. We'll send a reminder the day before.",
            ])]],
            &[&[c(EN_THANKS).react()]],
        ],
    },
    Topic {
        name: "any left?",
        only: None,
        beats: &[
            &[&[c(&[
                "Any {bake} left? I can be there in 20 minutes.",
                "Have you still got {bake}? Heading over now.",
                "Quick one, are there any {bake} left today?",
            ])]],
            &[
                &[
                    b(&[
                        "A few left! I'll save you two under {name}.",
                        "Just three left, I'll pop two aside for you, {name}.",
                        "Yes! Saving you a couple behind the counter.",
                    ]),
                    b_photo(&["", "", "This is what's left on the counter"]),
                    c(&["You're a star, thank you!", "Amazing, on my way!", "Legend, thank you!"]),
                ],
                &[
                    b(&[
                        "Sorry, they sold out about ten minutes ago! Tomorrow's batch is out at 8.",
                        "Ah, the last ones just went, sorry {name}! Fresh ones tomorrow from 8.",
                    ]),
                    c(&["Ah, gutted! I'll come early tomorrow.", "Oh no! I'll try tomorrow then."]),
                ],
            ],
        ],
    },
];

const ENGLISH: Phrasebook = Phrasebook {
    topics: EN_TOPICS,
    customer_hello: &["", "", "Hi! ", "Hello! ", "Hiya! ", "Hi there! "],
    business_hello: &["Hi {name}! ", "Hello {name}! ", "Hi {name}, thanks for your message! ", "Hey {name}! ", ""],
    templates: &[
        "Hi {name}, this is Little Crumb Bakehouse with an update on your order {order}. Reply to this message and we'll get back to you straight away.",
        "Hello {name}! Little Crumb Bakehouse here about order {order}. Please reply to this message so we can send you the details.",
    ],
    template_replies: &["Hi! Yes?", "Oh hello, what's the news?", "Hi, is everything ok?", "Hello! Go ahead"],
    days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
    times: &["9:30", "10am", "10:30", "11am", "11:30", "noon", "1pm", "2pm"],
    flavours: &[
        "lemon and elderflower",
        "chocolate fudge",
        "carrot and walnut",
        "raspberry and pistachio",
        "salted caramel",
        "coffee and walnut",
        "Victoria sponge",
        "banana and peanut butter",
    ],
    bakes: &[
        "cardamom buns",
        "almond croissants",
        "cinnamon swirls",
        "pains au chocolat",
        "sausage rolls",
        "brownies",
        "custard tarts",
        "morning buns",
    ],
    loaves: &["seeded sourdough", "white sourdough", "dark rye loaf", "spelt loaf", "focaccia"],
    kids: &["Alfie", "Poppy", "Noah", "Maisie", "Leo", "Ava", "Arlo", "Freya"],
    items: &["scarf", "umbrella", "water bottle", "denim jacket", "library book", "phone charger"],
    money: ("£", ""),
};

// ---------------------------------------------------------------------------------------
// Spanish (Spain: vosotros)

const ES_THANKS: &[&str] = &[
    "¡Genial, gracias!",
    "¡Perfecto, muchas gracias!",
    "¡Mil gracias!",
    "¡Muchas gracias, de verdad!",
    "Estupendo, ¡gracias!",
    "¡Gracias por todo!",
];

const ES_TOPICS: &[Topic] = &[
    Topic {
        name: "tarta de cumpleaños",
        only: None,
        beats: &[
            &[&[c(&[
                "¿Hacéis tartas de cumpleaños por encargo? Mi peque cumple {age} años el {day}.",
                "Quería encargar una tarta para el {day}. Es el cumple de {kid}, que cumple {age}.",
                "¿Todavía aceptáis encargos de tartas para este {day}?",
            ])]],
            &[&[b(&[
                "¡Claro que sí! Las tartas de celebración de 15 cm cuestan desde {price} y son para unas 12 personas. ¿Qué sabor os gusta?",
                "Sí, el {day} tenemos hueco. Una de 15 cm sale por {price} y da para unas 12 raciones. ¿Tenéis algún sabor en mente?",
                "¡Por supuesto! Para el {day} podemos hacer una de 15 cm desde {price}. ¿Qué sabor preferís?",
            ])]],
            &[&[c(&[
                "De {flavour}, por favor. ¿Podéis escribir «Feliz cumpleaños, {kid}» encima?",
                "¿Podría ser de {flavour}? Y que ponga «Feliz cumple, {kid}».",
                "De {flavour} sería perfecta. ¿Y el nombre de {kid} en azul?",
            ])]],
            &[
                &[
                    c_photo(&[
                        "Algo así, pero con virutas de colores",
                        "La vi en Pinterest, ¿podéis hacer algo parecido?",
                        "",
                    ]),
                    b(&[
                        "¡Qué bonita! Podemos hacer algo así para el {day} sin problema.",
                        "Nos encanta, {kid} va a alucinar.",
                        "Preciosa. La usamos como punto de partida para la tarta de {kid}.",
                    ]),
                ],
                &[],
            ],
            &[&[b(&[
                "Perfecto: tarta de {flavour} de 15 cm con «Feliz cumpleaños, {kid}», para recoger el {day} desde las {time}. ¿Te va bien?",
                "Apuntado como pedido {order}: {flavour}, el nombre de {kid} encima y recogida el {day} a partir de las {time}.",
                "¡Hecho! Pedido {order}, tarta de {flavour} para el {day}. Te mando ahora un enlace para la señal de 10 libras.",
            ])]],
            &[&[c(ES_THANKS).react()]],
            &[
                &[
                    b_photo(&[
                        "¡La tarta de {kid} ya está lista y en su caja! 🎂",
                        "Aquí tienes un adelanto de la tarta de {kid}",
                        "Recién decorada para el gran día de {kid}",
                    ])
                    .later()
                    .react(),
                    c(&[
                        "¡Qué maravilla! A {kid} le va a encantar",
                        "¡Preciosa! Voy para allá.",
                        "¡Qué pasada! 😍 Nos vemos en un rato",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "horario",
        only: None,
        beats: &[
            &[
                &[
                    c(&["¿Abrís este domingo?", "¿Qué horario tenéis el domingo?", "¿Abrís los domingos?"]),
                    b(&[
                        "Los domingos abrimos de 9 a 15 h.",
                        "El domingo, de 9:00 a 15:00. Los {bake} vuelan antes del mediodía, ¡ven pronto!",
                        "Los domingos abrimos de 9 a 15 h, y los {bake} salen del horno a las 9.",
                    ]),
                ],
                &[
                    c(&["¿A qué hora abrís el {day}?", "¿Hasta qué hora estáis abiertos el {day}?"]),
                    b(&[
                        "De martes a viernes, de 7:30 a 16:00; el sábado, de 8:00 a 16:00; y el domingo, de 9:00 a 15:00. Los lunes cerramos.",
                        "Nuestro horario: martes a viernes de 7:30 a 16:00, sábados de 8:00 a 16:00 y domingos de 9:00 a 15:00. El lunes descansamos.",
                    ]),
                ],
            ],
            &[
                &[
                    c(&["¿Se puede ir con perro?", "¿Admitís perros dentro?"]),
                    b(&[
                        "¡Claro! Los perros son bienvenidos, tenemos un cuenco de agua en la puerta 🐶",
                        "Sí, los perros que se portan bien pueden entrar. ¡Hasta tenemos galletas para ellos!",
                    ]),
                ],
                &[
                    c(&["¿Tenéis sitio para sentarse?", "¿Hay mesas dentro o es solo para llevar?"]),
                    b(&[
                        "Tenemos unas 20 plazas dentro y tres mesas fuera.",
                        "Sí, hay sitio para unas 20 personas. Los fines de semana se llena sobre las 11.",
                    ]),
                ],
                &[],
            ],
            &[&[c(ES_THANKS).react()], &[c(&["¡Nos vemos el {day}!", "¡Perfecto, pasaremos el {day}!"])]],
        ],
    },
    Topic {
        name: "sin gluten",
        only: None,
        beats: &[
            &[
                &[
                    c(&["¿Tenéis algo sin gluten?", "Mi pareja es celíaca, ¿hay algo que pueda comer?"]),
                    b(&[
                        "Siempre tenemos brownies y bizcocho de naranja y almendra sin gluten, pero no somos un obrador sin gluten: usamos harina de trigo, así que con celiaquía hay que tener cuidado.",
                        "El bizcocho de naranja y almendra y los brownies no llevan gluten, aunque se hacen en la misma cocina y no podemos garantizar que no haya trazas.",
                    ]),
                ],
                &[
                    c(&["¿Tenéis opciones veganas?", "¿Alguno de vuestros dulces es vegano?"]),
                    b(&[
                        "Los rollos de canela del fin de semana son veganos, y la focaccia también. La leche de avena no se cobra aparte.",
                        "¡Sí! La focaccia es vegana todos los días y los fines de semana hay rollos de canela veganos.",
                    ]),
                ],
            ],
            &[
                &[c(&["Gracias por ser tan claros.", "Muy bien, ¡gracias por la info!"])],
                &[
                    c(&["¿Me podéis guardar uno para el {day}?"]),
                    b(&[
                        "Claro, te lo guardo a nombre de {name} para el {day}.",
                        "¡Hecho! Estará detrás del mostrador con tu nombre el {day}.",
                    ]),
                    c(ES_THANKS).react(),
                ],
            ],
        ],
    },
    Topic {
        name: "encargo",
        only: None,
        beats: &[
            &[&[c(&[
                "¿Puedo encargar {count} {bake} para el {day}?",
                "¿Me podéis reservar {count} {bake} para el {day}? Viene la familia.",
                "Quería pedir {count} {bake} para recoger el {day} sobre las {time}.",
            ])
            .edit()]],
            &[&[b(&[
                "¡Sin problema! {count} {bake} para el {day}, para recoger desde las {time}. Es el pedido {order}.",
                "Claro, te aparto {count} {bake} para el {day} con el pedido {order}; pagas al recoger.",
                "¡Sí! Pedido {order}: {count} {bake}, para recoger el {day} desde las {time}.",
            ])]],
            &[&[c(ES_THANKS).react()], &[c(&["¡Nos vemos el {day}!", "¡Genial, hasta el {day}!"])]],
            &[
                &[
                    b(&[
                        "¡Buenos días, {name}! Tu pedido {order} ya está listo en el mostrador.",
                        "Hola {name}, tus {bake} ya están en su caja esperándote.",
                        "¡Tu pedido ya está listo, {name}! Lo tienes detrás de la caja.",
                    ])
                    .later(),
                    c(&["¡Gracias, voy en 20 minutos!", "¡Voy para allá!", "Genial, nos vemos enseguida."]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "objeto perdido",
        only: None,
        beats: &[
            &[&[c(&[
                "Creo que ayer me dejé mi {item} en la mesa de la ventana, ¿lo habéis visto?",
                "Perdona, ¿alguien ha entregado mi {item}? Creo que me lo dejé esta mañana.",
                "¿Me dejé mi {item} en vuestra cafetería?",
            ])]],
            &[&[b(&[
                "¡Sí, lo tenemos! Está detrás del mostrador con tu nombre.",
                "Sí, nos lo entregaron esta mañana. Lo guardamos detrás de la caja hasta que pases.",
                "Lo encontramos debajo del banco de la ventana. Te lo guardamos en el mostrador.",
            ])]],
            &[&[c(&[
                "¡Me salvas la vida, gracias!",
                "¡Menos mal! Paso a por él el {day}.",
                "¡Genial, lo recojo esta tarde!",
            ])
            .react()]],
        ],
    },
];

const SPANISH: Phrasebook = Phrasebook {
    topics: ES_TOPICS,
    customer_hello: &["", "¡Hola! ", "Hola, buenas. ", "¡Buenas! "],
    business_hello: &["¡Hola, {name}! ", "Hola {name}, ¡gracias por escribirnos! ", "¡Buenas, {name}! ", ""],
    templates: &[
        "Hola, {name}: te escribimos de Little Crumb Bakehouse por tu pedido {order}. Responde a este mensaje y te contamos los detalles.",
        "¡Hola, {name}! Somos Little Crumb Bakehouse y tenemos novedades sobre tu pedido {order}. Contesta a este mensaje para seguir la conversación.",
    ],
    template_replies: &["¡Hola! Dime", "Hola, ¿todo bien?", "¡Hola! ¿Qué tal?"],
    days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    times: &["9:30", "10:00", "10:30", "11:00", "11:30", "12:00", "13:00", "14:00"],
    flavours: &[
        "chocolate",
        "limón y saúco",
        "zanahoria y nueces",
        "frambuesa y pistacho",
        "dulce de leche",
        "café y nueces",
    ],
    bakes: &[
        "rollos de canela",
        "croissants de almendra",
        "bollos de cardamomo",
        "napolitanas de chocolate",
        "brownies",
        "tartaletas de crema",
    ],
    loaves: &["pan de masa madre", "pan de centeno", "focaccia"],
    kids: &["Martina", "Hugo", "Lola", "Mateo", "Vera", "Leo"],
    items: &["paraguas", "gorro", "cargador del móvil", "libro", "abrigo"],
    money: ("", " libras"),
};

// ---------------------------------------------------------------------------------------
// French (vous)

const FR_THANKS: &[&str] = &[
    "Super, merci !",
    "Parfait, merci beaucoup !",
    "Merci mille fois !",
    "Génial, merci beaucoup !",
    "Merci, c'est très gentil !",
    "Top, merci !",
];

const FR_TOPICS: &[Topic] = &[
    Topic {
        name: "gâteau d'anniversaire",
        only: None,
        beats: &[
            &[&[c(&[
                "Vous faites des gâteaux d'anniversaire sur commande ? {kid} fête ses {age} ans {day}.",
                "Je voudrais commander un gâteau d'anniversaire pour {day}, c'est possible ?",
                "Est-ce qu'il vous reste de la place pour un gâteau d'anniversaire {day} ?",
            ])]],
            &[&[b(&[
                "Avec plaisir ! Nos gâteaux de fête de 15 cm commencent à {price} et font environ 12 parts. Vous avez un parfum en tête ?",
                "Oui, nous avons encore de la place {day}. Un 15 cm coûte {price}, pour 12 personnes environ. Quel parfum vous ferait plaisir ?",
                "Bien sûr ! Pour {day}, nous pouvons faire un 15 cm à partir de {price}. Quel parfum préférez-vous ?",
            ])]],
            &[&[c(&[
                "{Flavour}, s'il vous plaît ! Vous pourriez écrire « Joyeux anniversaire {kid} » dessus ?",
                "Plutôt {flavour}. Et est-ce possible de mettre « Joyeux anniversaire {kid} » ?",
                "{Flavour}, ce serait parfait. Avec le prénom de {kid} en bleu, si possible ?",
            ])]],
            &[&[b(&[
                "C'est noté : un gâteau {flavour} de 15 cm, « Joyeux anniversaire {kid} », à retirer {day} à partir de {time}. Ça vous convient ?",
                "Parfait, c'est la commande {order} : gâteau {flavour}, le prénom de {kid} dessus, retrait {day} dès {time}.",
                "C'est réservé sous la commande {order} : gâteau {flavour} pour {day}. Je vous envoie un lien pour l'acompte de 10 £.",
            ])]],
            &[&[c(FR_THANKS).react()]],
            &[
                &[
                    b_photo(&[
                        "Le gâteau de {kid} est prêt et bien emballé ! 🎂",
                        "Petit aperçu du gâteau de {kid}, il vous attend",
                        "Tout juste décoré pour le grand jour de {kid} !",
                    ])
                    .later()
                    .react(),
                    c(&[
                        "Oh, il est magnifique ! {kid} va adorer",
                        "Superbe, merci ! J'arrive.",
                        "Trop beau 😍 à tout à l'heure",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "horaires",
        only: None,
        beats: &[
            &[
                &[
                    c(&["Vous êtes ouverts ce dimanche ?", "Quels sont vos horaires le dimanche ?"]),
                    b(&[
                        "Le dimanche, nous sommes ouverts de 9h à 15h !",
                        "De 9h à 15h le dimanche. Les {bake} partent vite, venez tôt !",
                    ]),
                ],
                &[
                    c(&["Vous ouvrez à quelle heure {day} ?", "Vous fermez à quelle heure {day} ?"]),
                    b(&[
                        "Du mardi au vendredi de 7h30 à 16h, le samedi de 8h à 16h et le dimanche de 9h à 15h. Nous sommes fermés le lundi.",
                        "Nos horaires : mardi–vendredi 7h30–16h, samedi 8h–16h, dimanche 9h–15h. Fermé le lundi !",
                    ]),
                ],
            ],
            &[
                &[
                    c(&["Les chiens sont acceptés ?", "Je peux venir avec mon chien ?"]),
                    b(&[
                        "Bien sûr, les chiens sont les bienvenus ! Il y a une gamelle d'eau à l'entrée 🐶",
                        "Oui, avec plaisir ! Nous avons même des biscuits pour chiens à la caisse.",
                    ]),
                ],
                &[
                    c(&["Il y a de la place pour s'asseoir ?", "Est-ce qu'on peut manger sur place ?"]),
                    b(&[
                        "Oui, une vingtaine de places à l'intérieur et trois tables en terrasse.",
                        "Oui, il y a une vingtaine de places. Le week-end, c'est plein vers 11h.",
                    ]),
                ],
                &[],
            ],
            &[&[c(FR_THANKS).react()], &[c(&["À {day} alors !", "Parfait, nous passerons {day} !"])]],
        ],
    },
    Topic {
        name: "sans gluten",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Vous avez des choses sans gluten ?",
                        "Mon mari est cœliaque, est-ce qu'il y a quelque chose pour lui ?",
                    ]),
                    b(&[
                        "Nous avons toujours des brownies et un gâteau orange-amande sans gluten. Mais la farine de blé est partout dans notre fournil, donc attention en cas de maladie cœliaque.",
                        "Les brownies et le gâteau orange-amande sont sans gluten, mais ils sont préparés dans la même cuisine : nous ne pouvons pas garantir l'absence de traces.",
                    ]),
                ],
                &[
                    c(&["Vous avez des options véganes ?", "Est-ce que certaines de vos pâtisseries sont véganes ?"]),
                    b(&[
                        "Les roulés à la cannelle du week-end sont véganes, et la focaccia aussi. Le lait d'avoine est sans supplément.",
                        "Oui ! La focaccia est végane tous les jours, et le week-end il y a des roulés à la cannelle véganes.",
                    ]),
                ],
            ],
            &[
                &[c(&["Merci pour votre honnêteté.", "Très bien, merci pour l'info !"])],
                &[
                    c(&["Vous pourriez m'en mettre un de côté pour {day} ?"]),
                    b(&[
                        "Bien sûr, je vous le mets de côté au nom de {name} pour {day}.",
                        "C'est fait ! Il vous attendra derrière le comptoir {day}.",
                    ]),
                    c(FR_THANKS).react(),
                ],
            ],
        ],
    },
    Topic {
        name: "réservation",
        only: None,
        beats: &[
            &[&[c(&[
                "Est-ce que je peux réserver une table pour {n} {day} à {time} ?",
                "Vous prenez les réservations ? Nous serions {n} {day} vers {time}.",
                "Nous pourrions réserver une table pour {n} pour un brunch {day}, vers {time} ?",
            ])
            .edit()]],
            &[&[b(&[
                "C'est réservé ! Une table pour {n} {day} à {time}, au nom de {name}.",
                "C'est noté : {n} personnes, {day} à {time}. Nous vous gardons la grande table près de la fenêtre.",
                "Parfait, table pour {n} {day} à {time}. Nous gardons la table 15 minutes, prévenez-nous en cas de retard.",
            ])]],
            &[
                &[
                    c(&["Vous avez une chaise haute ? Nous venons avec un bébé."]),
                    b(&[
                        "Oui, nous en avons deux. J'en mets une à votre table.",
                        "Bien sûr, elle vous attendra à la table {day} !",
                    ]),
                ],
                &[],
            ],
            &[&[c(FR_THANKS).react()], &[c(&["À {day} !", "Parfait, à {day} alors !"])]],
        ],
    },
    Topic {
        name: "commande",
        only: None,
        beats: &[
            &[&[c(&[
                "Je pourrais commander {count} {bake} pour {day} ?",
                "Est-ce possible de réserver {count} {bake} pour {day} ? Nous recevons de la famille.",
                "Je voudrais commander {count} {bake} à retirer {day} vers {time}.",
            ])
            .edit()]],
            &[&[b(&[
                "Pas de souci ! {count} {bake} pour {day}, à retirer dès {time}. C'est la commande {order}.",
                "Bien sûr. Je vous mets {count} {bake} de côté pour {day}, commande {order} ; vous réglerez sur place.",
                "Oui ! Commande {order} : {count} {bake}, à retirer {day} dès {time}.",
            ])]],
            &[&[c(FR_THANKS).react()]],
            &[
                &[
                    b(&[
                        "Bonjour {name} ! Votre commande {order} vous attend au comptoir.",
                        "Bonjour {name}, votre commande est emballée et vous attend.",
                        "Votre commande est prête, {name} ! Elle est derrière la caisse.",
                    ])
                    .later(),
                    c(&["Merci, j'arrive dans 20 minutes !", "J'arrive !", "Super, à tout de suite."]),
                ],
                &[],
            ],
        ],
    },
];

const FRENCH: Phrasebook = Phrasebook {
    topics: FR_TOPICS,
    customer_hello: &["", "Bonjour ! ", "Bonjour à toute l'équipe ! "],
    business_hello: &["Bonjour {name} ! ", "Bonjour {name}, merci pour votre message ! ", ""],
    templates: &[
        "Bonjour {name}, ici Little Crumb Bakehouse au sujet de votre commande {order}. Répondez à ce message et nous vous donnerons les détails.",
        "Bonjour {name} ! Little Crumb Bakehouse a des nouvelles de votre commande {order}. Merci de répondre à ce message pour continuer la conversation.",
    ],
    template_replies: &["Bonjour ! Oui ?", "Bonjour, tout va bien ?", "Oui, je vous écoute !"],
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    times: &["9h30", "10h", "10h30", "11h", "11h30", "midi", "13h", "14h"],
    flavours: &[
        "au citron",
        "au chocolat noir",
        "framboise-pistache",
        "au caramel beurre salé",
        "carottes-noix",
        "au café",
    ],
    bakes: &[
        "brioches à la cardamome",
        "croissants aux amandes",
        "roulés à la cannelle",
        "pains au chocolat",
        "brownies",
        "flans pâtissiers",
    ],
    loaves: &["pain au levain", "pain de seigle", "focaccia"],
    kids: &["Léa", "Gabriel", "Jade", "Louis", "Manon", "Jules"],
    items: &["parapluie", "bonnet", "carnet", "chargeur", "foulard"],
    money: ("", " £"),
};

fn book(language: Language) -> &'static Phrasebook {
    match language {
        Language::English => &ENGLISH,
        Language::Spanish => &SPANISH,
        Language::French => &FRENCH,
    }
}

// ---------------------------------------------------------------------------------------

/// The details an episode's lines are filled in with, rolled when it starts.
#[derive(Debug, Clone)]
struct Ctx {
    /// When the episode began.
    start: i64,
    /// Days from the start to the day the lines call {day}.
    day_offset: i64,
    weekday: usize,
    time: usize,
    staff: usize,
    flavour: usize,
    bake: usize,
    loaf: usize,
    kid: usize,
    item: usize,
    area: usize,
    /// People at a table; the number the customer first typed, before correcting it.
    n: u32,
    n_before: u32,
    /// Pastries in an order, and the number first typed.
    count: u32,
    count_before: u32,
    people: u32,
    guests: u32,
    age: u32,
    price: u32,
    voucher: u32,
    order: u32,
}

/// 0 = Sunday, for a day number since the Unix epoch (a Thursday).
fn weekday(day: i64) -> usize {
    (day + 4).rem_euclid(7) as usize
}

impl Ctx {
    fn roll(rng: &mut SmallRng, book: &Phrasebook, start: i64) -> Ctx {
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

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn money(book: &Phrasebook, pounds: u32) -> String {
    format!("{}{pounds}{}", book.money.0, book.money.1)
}

/// `template` with its {placeholders} filled in; `before` gives the numbers a customer
/// typed before correcting them.
fn render(template: &str, ctx: &Ctx, book: &Phrasebook, persona: Persona, before: bool) -> String {
    let mut out = String::with_capacity(template.len() + 24);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("a placeholder is closed");
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
fn join(hello: &str, body: &str, tail: &str) -> String {
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
struct Content {
    kind: MessageKind,
    text: Option<String>,
    /// The text as first sent, when the customer corrects it right after.
    original: Option<String>,
    attachments: Vec<Attachment>,
    extras: MessageExtras,
}

/// An episode under way: its script with the alternatives picked, and how far it is.
struct Episode {
    steps: Vec<Step>,
    at: usize,
    ctx: Ctx,
    /// Played in full: see [`SHOWCASE`].
    showcase: bool,
    customer_spoke: bool,
    business_spoke: bool,
}

/// A generator of conversations. `conversations` contacts are spread over the three
/// platforms. [`Generator::batch`] sends messages to conversations with a skew (a few
/// customers write a lot), for benchmarks; [`demo_events`] lays out the demo inbox.
pub struct Generator {
    rng: SmallRng,
    conversations: usize,
    /// Time of the next message (ms); messages move forward in time.
    clock: i64,
    step_ms: i64,
    next_id: u64,
    /// Recent mids per conversation slot, for replies, reactions and statuses.
    last_mid: Vec<Option<(String, Direction)>>,
    /// The last inbound text per slot, which a customer may edit.
    last_text: Vec<Option<String>>,
    /// The episode each slot is in, and the topics each has had.
    episodes: Vec<Option<Episode>>,
    topics_had: Vec<Vec<usize>>,
    /// Short, natural texts only, none repeated in two threads (demo); or texts with extra
    /// vocabulary (benchmark).
    rich_text: bool,
    /// Every line sent so far, when lines must not repeat.
    said: HashSet<String>,
}

fn mid_for(platform: Platform, id: u64) -> String {
    match platform {
        Platform::Whatsapp => format!("wamid.HBgL{id:012}FQIAEhgU"),
        _ => format!("m_{id:016x}demo"),
    }
}

/// Folds the few accented letters of the demo's names for an Instagram handle.
fn handle_part(name: &str) -> String {
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

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    /// A new episode for `slot`: a topic of its language it has not had yet (all again
    /// once it has had them all), with one alternative picked per beat.
    fn start_episode(&mut self, slot: usize, start: i64, showcase: Option<&str>) -> Episode {
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
    fn say(
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
    fn compose(&mut self, slot: usize, episode: &mut Episode, step: &Step) -> Content {
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
            What::ShopPin | What::CustomerPin => {
                let location = if step.what == What::ShopPin {
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
                };
                Content {
                    extras: MessageExtras { location: Some(location), ..MessageExtras::default() },
                    ..content(MessageKind::Location, None, Vec::new())
                }
            }
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
fn window_closed() -> PlatformError {
    PlatformError {
        code: Some(131047),
        title: Some("Re-engagement message".into()),
        detail: Some("More than 24 hours have passed since the recipient last replied.".into()),
    }
}

// ---------------------------------------------------------------------------------------
// The demo inbox

/// When the business answers messages: 7:30 to 18:30 (the shop's clock, UTC), every day.
const BUSINESS_OPENS: i64 = 7 * HOUR + 30 * MINUTE;
const BUSINESS_STOPS: i64 = 18 * HOUR + 30 * MINUTE;
/// When customers write, apart from the odd late message in a conversation going on now.
const CUSTOMERS_WAKE: i64 = 7 * HOUR;
const CUSTOMERS_SLEEP: i64 = 23 * HOUR;

/// How a demo message goes: whether the other side may react to it, whether WhatsApp
/// refuses it, and whether its correction and reaction surely happen (a showcase).
#[derive(Debug, Clone, Copy, Default)]
struct How {
    react: bool,
    failed: bool,
    sure: bool,
}

/// A demo conversation as it is written: its events and what later ones depend on.
struct DemoThread {
    key: ConversationKey,
    events: Vec<DomainEvent>,
    /// Nothing happens after this (a minute before now).
    cap: i64,
    last_inbound: Option<i64>,
    /// The previous message and who sent it, for quotes.
    last: Option<(String, Who)>,
    /// Outbound messages delivered but not yet read: (mid, delivered at).
    unread_out: Vec<(String, i64)>,
}

impl DemoThread {
    fn push(&mut self, event: DomainEvent) {
        self.events.push(event);
    }

    fn status(&mut self, mid: &str, status: DeliveryStatus, at: i64) {
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
    fn business_time(&mut self, t: i64) -> i64 {
        let day = t.div_euclid(DAY) * DAY;
        match t - day {
            tod if tod < BUSINESS_OPENS => day + BUSINESS_OPENS + self.rng.random_range(0..HOUR),
            tod if tod >= BUSINESS_STOPS => day + DAY + BUSINESS_OPENS + self.rng.random_range(0..HOUR),
            _ => t,
        }
    }

    /// `t` plus a wait from `wait`, moved into the business's answering hours.
    fn business_time_after(&mut self, t: i64, wait: std::ops::Range<i64>) -> i64 {
        let wait = self.rng.random_range(wait);
        self.business_time(t + wait)
    }

    /// `t` plus a wait from `wait`, moved into waking hours.
    fn customer_time_after(&mut self, t: i64, wait: std::ops::Range<i64>) -> i64 {
        let wait = self.rng.random_range(wait);
        self.customer_time(t + wait)
    }

    /// `t` moved into waking hours.
    fn customer_time(&mut self, t: i64) -> i64 {
        let day = t.div_euclid(DAY) * DAY;
        match t - day {
            tod if tod < CUSTOMERS_WAKE => day + CUSTOMERS_WAKE + self.rng.random_range(0..2 * HOUR),
            tod if tod >= CUSTOMERS_SLEEP => day + DAY + CUSTOMERS_WAKE + self.rng.random_range(0..2 * HOUR),
            _ => t,
        }
    }

    /// The morning of the episode's {day}, when the business says an order is ready;
    /// a day later if the conversation ran past it.
    fn later_time(&mut self, ctx: &Ctx, after: i64) -> i64 {
        let morning =
            (ctx.start.div_euclid(DAY) + ctx.day_offset) * DAY + 8 * HOUR + self.rng.random_range(0..45 * MINUTE);
        if morning > after + 30 * MINUTE { morning } else { self.business_time_after(after, 20 * HOUR..30 * HOUR) }
    }

    /// Writes one message of the thread at `at`, with its delivery, read, reaction and
    /// edit events. Returns its mid.
    fn demo_message(&mut self, thread: &mut DemoThread, who: Who, content: Content, at: i64, how: How) -> String {
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
                        mid: mid.clone(),
                        status: DeliveryStatus::Failed,
                        at,
                        error: Some(window_closed()),
                        send_metadata: None,
                    });
                }
            }
            Who::Business => {
                let delivered = at + self.rng.random_range(SECOND..20 * SECOND);
                thread.status(&mid, DeliveryStatus::Delivered, delivered);
                if delivered <= thread.cap {
                    thread.unread_out.push((mid.clone(), delivered));
                }
            }
        }
        if react {
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
                    mid: mid.clone(),
                    actor,
                    emoji: Some(emoji.into()),
                    reaction: None,
                    at,
                });
            }
        }
        thread.last = Some((mid.clone(), who));
        mid
    }

    /// One episode of the thread from `start`, nothing after `limit`. A live episode stops
    /// where the customer waits for an answer (right after its first message for the
    /// newest conversation). Returns the time of its last message.
    fn demo_episode(
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
                // Outside WhatsApp's 24-hour window the message fails; a template opens
                // the conversation again, the customer answers, and the business sends
                // the message once more.
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
                    break;
                }
                self.demo_message(thread, Who::Business, template, sent, How::default());
                let answered = self.customer_time_after(sent, 5 * MINUTE..90 * MINUTE);
                if answered > limit {
                    t = sent;
                    break;
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
                t = self.business_time_after(answered, 2 * MINUTE..15 * MINUTE);
                if t > limit {
                    t = answered;
                    break;
                }
                self.demo_message(
                    thread,
                    Who::Business,
                    content,
                    t,
                    How { react: step.react, sure: episode.showcase, ..How::default() },
                );
            }
            previous = Some(step.who);
            if cut == Some(i) {
                break;
            }
        }
        t.min(limit)
    }

    /// The demo conversation in `slot`: one to four episodes over the last two weeks; a
    /// live one at the end for the conversations going on now.
    fn demo_thread(&mut self, slot: usize, now: i64) -> Vec<DomainEvent> {
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
    use crate::domain::error::SqlContext;
    let newest: i64 = tx
        .query_row("SELECT COALESCE(MAX(sent_at), 0) FROM messages WHERE stub = 0", [], |r| r.get(0))
        .ctx("reading the demo's newest message")?;
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = tx
        .prepare(
            "SELECT c.id,
                    (SELECT MAX(sent_at) FROM messages m WHERE m.conversation_id = c.id AND m.stub = 0 AND m.direction = 'inbound'),
                    (SELECT MAX(sent_at) FROM messages m WHERE m.conversation_id = c.id AND m.stub = 0 AND m.direction = 'outbound')
             FROM conversations c ORDER BY c.id",
        )
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .ctx("listing demo conversations")?;
    for (id, last_in, last_out) in rows {
        let last_in = last_in.unwrap_or(0);
        let last_out = last_out.unwrap_or(0);
        let waiting = last_in > last_out && last_in > newest - DAY;
        // One in three waiting conversations the owner has opened but not answered yet.
        let read_up_to = if waiting && id % 3 != 0 { last_out } else { last_in };
        tx.execute("UPDATE conversations SET read_up_to = ?2 WHERE id = ?1", rusqlite::params![id, read_up_to])
            .ctx("arranging the demo inbox")?;
        crate::store::apply::refresh_summary(tx, id)?;
    }
    tx.execute(
        "UPDATE conversations SET state = 'done' WHERE unread_count = 0 AND last_message_at < ?1 AND id % 2 = 1",
        [newest - 2 * DAY],
    )
    .ctx("arranging the demo inbox")?;
    Ok(())
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

#[cfg(test)]
mod tests {
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
                "would", "thanks", "thank", "please", "it", "of", "to", "do", "does", "will", "that", "this", "be",
                "my", "just", "from", "at", "in", "there", "any", "still", "they", "so",
            ],
        ),
        (
            "es",
            &[
                "el", "los", "las", "del", "para", "con", "por", "gracias", "hola", "tenéis", "tenemos", "hacéis",
                "podéis", "está", "están", "es", "una", "muy", "sí", "pero", "mañana", "sin", "y", "mi", "te", "lo",
                "al", "qué", "hay", "también", "claro",
            ],
        ),
        (
            "fr",
            &[
                "les", "des", "du", "est", "vous", "nous", "pour", "merci", "bonjour", "avec", "une", "et", "je",
                "pas", "oui", "votre", "vos", "notre", "sont", "très", "dans", "sur", "mon", "il", "elle", "ce", "à",
            ],
        ),
        (
            "de",
            &[
                "und", "ich", "ist", "nicht", "auch", "gibt", "den", "der", "das", "bitte", "danke", "hallo", "wir",
                "sie", "ein", "eine", "mit", "für", "ja",
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
                assert_eq!(
                    messages[0].direction,
                    Direction::Inbound,
                    "slot {slot}: the customer opens the conversation"
                );
                for pair in messages.windows(2) {
                    assert!(
                        pair[0].sent_at < pair[1].sent_at,
                        "slot {slot}: {:?} then {:?}",
                        pair[0].text,
                        pair[1].text
                    );
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
                events
                    .iter()
                    .any(|e| matches!(e, DomainEvent::Reaction { actor: a, emoji: Some(_), .. } if *a == actor)),
            );
        }
        has("edits, not on WhatsApp", events.iter().any(|e| matches!(e, DomainEvent::Edited { .. })));
        assert!(
            events.iter().all(|e| !matches!(e, DomainEvent::Edited { key, .. } if key.platform == Platform::Whatsapp))
        );
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
                book.customer_hello
                    .iter()
                    .chain(book.business_hello)
                    .chain(book.templates)
                    .chain(book.template_replies),
            );
            lines.extend(CUSTOMER_TAILS.iter().chain(BUSINESS_TAILS));
            for (slot, name) in SHOWCASE {
                if Generator::persona(*slot).language == language {
                    let topic = book
                        .topics
                        .iter()
                        .find(|t| t.name == *name)
                        .unwrap_or_else(|| panic!("showcase topic {name:?}"));
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
}

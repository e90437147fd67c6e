//! What the bakery's English-speaking customers ask and how the bakery answers: the
//! topics, their scripted steps and the wording variants. Data, not logic: its length is
//! the phrasebook's, one topic after another.

use super::*;

pub(super) const EN_THANKS: &[&str] = &[
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
pub(super) const EN_SEE_YOU: &[&str] = &[
    "See you {day}!",
    "Perfect, see you then!",
    "Great, see you {day}!",
    "Lovely, see you {day} then!",
    "We'll see you {day}!",
];

pub(super) const EN_TOPICS: &[Topic] = &[
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

pub(super) const ENGLISH: Phrasebook = Phrasebook {
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

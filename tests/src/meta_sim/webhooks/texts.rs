//! What the generated customers and businesses write: several languages, each with its
//! own customer and business phrases, filled with orders, names and emoji.

use super::*;

/// Customers' names, used in texts and WhatsApp profiles.
pub(super) const NAMES: &[&str] = &[
    "Zoë",
    "Jürgen Müller",
    "José Álvarez",
    "Søren Kjær",
    "Łukasz Nowak",
    "Chloé Dubois",
    "Nguyễn Thị Lan",
    "Aïcha Benali",
    "محمد العلي",
    "李伟",
    "Ingrid Åström",
    "Renée Martin",
    "Sam Taylor",
    "Priya Sharma",
];

pub(super) const EMOJI: &[&str] = &["🥐", "🙏", "😊", "👍", "🎂", "📦", "❤️", "🚚", "✨"];

/// A language customers write in, with what they write and what the business answers.
/// `{name}`, `{order}`, `{emoji}` are filled in.
pub(super) struct Lang {
    /// How often a customer writes in it, relative to the others.
    weight: u32,
    inbound: &'static [&'static str],
    outbound: &'static [&'static str],
}

pub(super) const LANGS: &[Lang] = &[
    Lang {
        weight: 30,
        inbound: &[
            "Hi! Are you open this Sunday? {emoji}",
            "Hello, this is {name}. Is order #{order} ready for pickup?",
            "Can I change the delivery address for #{order}? We moved last week.",
            "What are your opening hours today?\nI'd like to come by after 6.",
            "Is the €25 gift card still available? {emoji}",
            "I ordered the large tote (#{order}) but got the small one. Can I swap it?",
            "Do you have gluten-free croissants on Saturdays?",
            "Thanks, it arrived today and it's perfect {emoji}",
            "Do you deliver to Malmö? Asking for a friend {emoji}",
            "The cake for Zoë's birthday: can you write \"Happy birthday\" on it? {emoji}",
        ],
        outbound: &[
            "Hi {name}, yes we're open from 9:00 to 13:00. See you soon! {emoji}",
            "Your order #{order} is ready for pickup {emoji}",
            "We ship within 2–3 business days. Tracking follows by email ✉️",
            "Sure! I've updated the address for #{order}.",
            "Yes, gluten-free croissants every Saturday morning, while they last.",
            "Of course, the exchange is free. Just bring the tote and your receipt (#{order}).",
        ],
    },
    Lang {
        weight: 12,
        inbound: &[
            "Bonjour ! Vous êtes ouverts dimanche ? {emoji}",
            "Merci beaucoup, c'était délicieux {emoji}",
            "Est-ce que la commande #{order} est prête ? Je passe vers 17 h.",
            "Je préfère parler à quelqu'un, svp.",
            "Vous livrez à Saint-Étienne ?",
        ],
        outbound: &[
            "Merci {name} ! À bientôt.",
            "Oui, de 9 h à 13 h. À dimanche ! {emoji}",
            "Votre commande #{order} est prête {emoji}",
        ],
    },
    Lang {
        weight: 12,
        inbound: &[
            "Guten Tag, hier ist {name}. Wann kommt meine Bestellung #{order}?",
            "Hallo, kann ich für morgen um 10:30 einen Tisch für 4 reservieren?",
            "Ist die Lieferung für Freitag bestätigt? {emoji}",
            "Viele Grüße aus Köln, Familie Müller",
        ],
        outbound: &[
            "Leider ist der Artikel ausverkauft. Nächste Lieferung am Freitag.",
            "Gern! Der Tisch ist für morgen 10:30 reserviert {emoji}",
            "Ihre Bestellung #{order} ist unterwegs {emoji}",
        ],
    },
    Lang {
        weight: 10,
        inbound: &[
            "Hola, ¿tenéis la talla M en azul? {emoji}",
            "¿A qué hora cerráis hoy?",
            "Mi pedido #{order} llegó dañado, ¿qué hago?",
        ],
        outbound: &["¡Hola {name}! Sí, nos queda en azul.", "Cerramos a las 20:00 {emoji}"],
    },
    Lang {
        weight: 8,
        inbound: &["مرحبا، هل الطلب #{order} جاهز؟", "كم سعر التوصيل إلى دبي؟", "شكرا جزيلا {emoji}"],
        outbound: &["شكرا لك! طلبك في الطريق {emoji}", "التوصيل مجاني للطلبات فوق ١٠٠ درهم."],
    },
    Lang {
        weight: 6,
        inbound: &[
            "こんにちは！このバッグはまだ在庫ありますか？",
            "注文 #{order} の配送状況を教えてください。",
            "ありがとうございます{emoji}",
        ],
        outbound: &["はい、まだ在庫があります！", "色はベージュと黒です。"],
    },
    Lang {
        weight: 6,
        inbound: &["你好，请问周六几点开门？", "订单 #{order} 什么时候发货？", "谢谢！{emoji}"],
        outbound: &["周六早上九点开门。", "您的订单已经发货了 {emoji}"],
    },
    Lang {
        weight: 5,
        inbound: &["Dzień dobry, czy paczka #{order} została wysłana? {emoji}", "Czy mogę zapłacić BLIKiem?"],
        outbound: &["Dzień dobry! Paczka wyszła wczoraj {emoji}"],
    },
    Lang {
        weight: 4,
        inbound: &["Привет! Сколько стоит доставка?", "Заказ #{order} уже отправлен?"],
        outbound: &["Доставка бесплатная от 50 €.", "Да, отправили сегодня утром {emoji}"],
    },
    Lang {
        weight: 4,
        inbound: &["Xin chào, tôi muốn đặt 2 bánh mì cho ngày mai.", "Cửa hàng mở cửa lúc mấy giờ ạ?"],
        outbound: &["Dạ, mình đã ghi nhận đơn #{order} ạ {emoji}"],
    },
    Lang {
        weight: 5,
        inbound: &["Olá! Vocês aceitam pagamento por MB Way?", "A encomenda #{order} já foi enviada?"],
        outbound: &["Sim, aceitamos MB Way {emoji}", "Foi enviada hoje, {name}!"],
    },
];

pub(super) fn pick_lang<R: Rng + ?Sized>(rng: &mut R) -> &'static Lang {
    LANGS.choose_weighted(rng, |l| l.weight).unwrap_or(&LANGS[0])
}

/// A message text in `lang`: whole sentences, in shuffled order, until a length drawn
/// from [`Mix::text_chars`] is reached or the next sentence would pass the range's end.
/// A text still shorter than the range's start is filled up to its end with a cut
/// sentence, so the length always falls in the range.
pub(super) fn message_text<R: Rng + ?Sized>(rng: &mut R, lang: &Lang, outbound: bool, mix: &Mix) -> String {
    let max = (*mix.text_chars.end()).max(1);
    let min = (*mix.text_chars.start()).clamp(1, max);
    let target = rng.random_range(min..=max);
    let mut pool: Vec<&str> = if outbound { lang.outbound } else { lang.inbound }.to_vec();
    if pool.is_empty() {
        pool.push("Hello!");
    }
    pool.shuffle(rng);
    let mut out = String::new();
    let mut chars = 0;
    let mut i = 0;
    while chars < target {
        if i > 0 && i % pool.len() == 0 {
            pool.shuffle(rng);
        }
        let sentence = fill(rng, pool[i % pool.len()]);
        i += 1;
        let sep = usize::from(chars > 0);
        let len = sentence.chars().count();
        if chars + sep + len > max {
            if chars >= min {
                break;
            }
            if sep == 1 {
                out.push(' ');
            }
            out.extend(sentence.chars().take(max - chars - sep));
            break;
        }
        if sep == 1 {
            out.push(if rng.random_bool(0.1) { '\n' } else { ' ' });
        }
        out.push_str(&sentence);
        chars += sep + len;
    }
    if out.ends_with(char::is_whitespace) {
        out.pop();
        out.push('.');
    }
    out
}

pub(super) fn fill<R: Rng + ?Sized>(rng: &mut R, template: &str) -> String {
    let mut s = template.to_owned();
    if s.contains("{name}") {
        let name = NAMES.choose(rng).copied().unwrap_or("Zoë");
        let first = name.split(' ').next().unwrap_or(name);
        s = s.replace("{name}", first);
    }
    if s.contains("{order}") {
        s = s.replace("{order}", &rng.random_range(10_000..100_000).to_string());
    }
    if s.contains("{emoji}") {
        s = s.replace("{emoji}", EMOJI.choose(rng).copied().unwrap_or("\u{1f60a}"));
    }
    s
}

// =======================================================================================
// Small helpers
// =======================================================================================

pub(super) fn prob(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

pub(super) const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub(super) const B64STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub(super) const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
pub(super) const HEX_LOWER: &[u8] = b"0123456789abcdef";

/// `n` random characters of `alphabet`.
pub(super) fn token<R: Rng + ?Sized>(rng: &mut R, n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

/// `n` random digits, the first not zero.
pub(super) fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    let mut s = String::with_capacity(n);
    for i in 0..n {
        let d = if i == 0 { rng.random_range(1..=9u8) } else { rng.random_range(0..=9u8) };
        s.push(char::from(b'0' + d));
    }
    s
}

/// Base64 of `bytes` in `alphabet` ([`B64STD`] or [`B64URL`]), `=`-padded when `pad`.
///
/// # Panics
/// When `alphabet` is not 64 distinct printable ASCII characters (the two constants are).
pub(super) fn base64(bytes: &[u8], alphabet: &[u8], pad: bool) -> String {
    let alphabet = std::str::from_utf8(alphabet).ok().and_then(|a| Alphabet::new(a).ok()).expect("a base64 alphabet");
    let config = GeneralPurposeConfig::new().with_encode_padding(pad);
    GeneralPurpose::new(&alphabet, config).encode(bytes)
}

/// A `hub.challenge` like Meta's: an int-like random value (§1 "Verification GET").
pub fn random_challenge<R: Rng + ?Sized>(rng: &mut R) -> String {
    rng.random_range(100_000_000u64..10_000_000_000).to_string()
}

//! How the World makes things: ids shaped like Meta's (15-digit Page and user ids, 17-digit
//! Instagram ids above 2^53 (§6.5), `m_…` and `aWdf…` message ids and `wamid.…` as the
//! webhooks carry them (§2.1, §2.2, §2.4)), tokens and codes (§4: FLM, FLLL, IGLB, SYSU),
//! and seeded conversations with realistic multilingual messages, the customer writing
//! first (§3.1, §5.1).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use sha2::{Digest, Sha256};

use super::world::{Attachment, Code, Contact, Conv, IgAccount, Media, Msg, Page, Phone, User, Waba};
use super::{
    ConversationInfo, DAY_MS, InstagramInfo, LONG_LIVED_MS, MINUTE_MS, MediaInfo, PageInfo, PhoneNumberInfo, Platform,
    SHORT_LIVED_MS, Sim, TINY_PNG, TokenInfo, TokenKind, TokenLife, TokenStatus, WabaInfo,
};

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(super) const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub(super) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

// =======================================================================================
// Sim: ids, seeding, tokens, errors, metering
// =======================================================================================

pub(super) fn rand_chars(rng: &mut SmallRng, n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

pub(super) fn rand_digits(rng: &mut SmallRng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    s.push(char::from(b'0' + rng.random_range(1..=9u8)));
    for _ in 1..n {
        s.push(char::from(b'0' + rng.random_range(0..=9u8)));
    }
    s
}

pub(super) const CUSTOMER_LINES: &[&str] = &[
    "Hi! Are you open on Sunday?",
    "Bonjour ! Vous êtes ouverts demain matin ? 🥐",
    "Hallo, ist meine Bestellung schon unterwegs? 📦",
    "¿Tienen la talla M en azul?",
    "Can I change the delivery address to Rue de la Paix 12?",
    "Merci beaucoup, à bientôt 🙏",
    "Gracias!! 😊",
    "Ich warte seit Montag auf eine Antwort …",
    "Is the croissant box still available for Saturday?",
    "こんにちは、明日予約できますか？",
    "مرحبا، هل التوصيل مجاني؟",
    "Ok perfect 👍",
    "Do you ship to Kraków?",
    "The parcel arrived damaged, what can I do?",
];

pub(super) const BUSINESS_LINES: &[&str] = &[
    "Hello! Yes, we're open 9:00–18:00.",
    "Bonjour ! Oui, nous ouvrons à 8 h.",
    "Ihre Bestellung wurde heute verschickt 🚚",
    "Sí, la tenemos en stock.",
    "Done, the address is updated ✨",
    "You're welcome!",
    "Could you send us your order number?",
    "We're sorry about that — could you send a photo of the parcel?",
];

/// A username made from a display name: lower case, anything but ASCII letters, digits,
/// `_` and `.` turned into `.`.
fn username_of(participant: &str) -> String {
    participant
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '.' })
        .collect()
}

impl Sim {
    pub(super) fn digits(&mut self, n: usize) -> String {
        rand_digits(&mut self.rng, n)
    }

    pub(super) fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        rand_chars(&mut self.rng, n, alphabet)
    }

    pub(super) fn trace_id(&mut self) -> String {
        format!("A{}", self.chars(22, ALNUM))
    }

    /// `m_…` (Messenger) or the base64 `aWdf…` ids of Instagram (as in the webhooks).
    pub(super) fn new_mid(&mut self, platform: Platform, account: &str) -> String {
        match platform {
            Platform::Instagram => {
                let (a, b) = (self.digits(38), self.digits(39));
                let inner = STANDARD_NO_PAD.encode(format!(":{account}:{a}:{b}"));
                format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{inner}ZDZD")
            }
            _ => format!("m_{}", self.chars(86, B64URL)),
        }
    }

    /// `wamid.` and the base64 of the small protobuf Meta encodes (as the webhooks do).
    pub(super) fn new_wamid(&mut self, wa_id: &str, inbound: bool) -> String {
        let mut raw = vec![0x1c, 0x18];
        raw.push(u8::try_from(wa_id.len()).unwrap_or(u8::MAX));
        raw.extend_from_slice(wa_id.as_bytes());
        raw.extend_from_slice(&[0x15, 0x02, 0x00]);
        let (tag, len) = if inbound { (0x12, 20) } else { (0x11, 18) };
        raw.extend_from_slice(&[tag, 0x18, len]);
        let id = self.chars(usize::from(len), HEX_UPPER);
        raw.extend_from_slice(id.as_bytes());
        raw.push(0x00);
        format!("wamid.{}", STANDARD.encode(raw))
    }

    pub(super) fn new_conv_id(&mut self, platform: Platform, account: &str) -> String {
        match platform {
            Platform::Instagram => {
                URL_SAFE_NO_PAD.encode(format!("ig_dm:1:IGMessageThread:{account}:{}", self.digits(38)))
            }
            _ => format!("t_{}", self.digits(17)),
        }
    }

    pub(super) fn new_token(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.chars(170, ALNUM))
    }

    pub(super) fn add_user(&mut self, name: &str) -> String {
        let id = format!("10{}", self.digits(14));
        self.users.push(User { id: id.clone(), name: name.to_owned(), pages: Vec::new(), wabas: Vec::new() });
        id
    }

    pub(super) fn primary_user(&mut self) -> String {
        if self.users.is_empty() {
            self.add_user("Alex Martin");
        }
        self.users[0].id.clone()
    }

    pub(super) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(super) fn expiry(now: i64, life: TokenLife) -> Option<i64> {
        match life {
            TokenLife::ShortLived => Some(now + SHORT_LIVED_MS),
            TokenLife::LongLived => Some(now + LONG_LIVED_MS),
            TokenLife::Never => None,
        }
    }

    pub(super) fn issue_user_token(&mut self, user_id: &str, life: TokenLife, scopes: Vec<String>) -> String {
        let now = self.now();
        let token = self.new_token("EAAG");
        let waba_ids = self.user(user_id).map(|u| u.wabas.clone()).unwrap_or_default();
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::User,
                app_id: self.app.app_id.clone(),
                user_id: Some(user_id.to_owned()),
                page_id: None,
                scopes,
                waba_ids,
                issued_at_ms: now,
                expires_at_ms: Sim::expiry(now, life),
                long_lived: life != TokenLife::ShortLived,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    pub(super) fn issue_page_token(
        &mut self,
        user_id: &str,
        page_id: &str,
        expires_at_ms: Option<i64>,
        scopes: Vec<String>,
    ) -> String {
        let now = self.now();
        let token = self.new_token("EAAG");
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::Page,
                app_id: self.app.app_id.clone(),
                user_id: Some(user_id.to_owned()),
                page_id: Some(page_id.to_owned()),
                scopes,
                waba_ids: Vec::new(),
                issued_at_ms: now,
                expires_at_ms,
                long_lived: expires_at_ms.is_none(),
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    pub(super) fn issue_instagram_token(&mut self, ig_id: &str, life: TokenLife) -> String {
        let now = self.now();
        let token = self.new_token("IGAA");
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::InstagramUser,
                app_id: self.app.instagram_app_id.clone(),
                user_id: Some(ig_id.to_owned()),
                page_id: None,
                scopes: vec!["instagram_business_basic".to_owned(), "instagram_business_manage_messages".to_owned()],
                waba_ids: Vec::new(),
                issued_at_ms: now,
                expires_at_ms: Sim::expiry(now, life),
                long_lived: life != TokenLife::ShortLived,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        token
    }

    pub(super) fn issue_code(
        &mut self,
        user_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        instagram: bool,
    ) -> String {
        let code = if instagram {
            format!("AQB{}", self.chars(190, B64URL))
        } else {
            format!("AQ{}", self.chars(300, B64URL))
        };
        let now = self.now();
        self.codes.insert(
            code.clone(),
            Code {
                user_id: user_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                created_ms: now,
                used: false,
                instagram,
            },
        );
        code
    }

    pub(super) fn invalidate_user(&mut self, user_id: &str, status: TokenStatus) {
        for t in self.tokens.values_mut() {
            if matches!(t.kind, TokenKind::User | TokenKind::Page) && t.user_id.as_deref() == Some(user_id) {
                t.status = status;
            }
        }
    }

    pub(super) fn add_page(&mut self, user_id: &str, name: &str) -> PageInfo {
        let id = format!("1{}", self.digits(14));
        let scopes = ["pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement"]
            .map(str::to_owned)
            .to_vec();
        let token = self.issue_page_token(user_id, &id, None, scopes);
        self.pages.insert(
            id.clone(),
            Page {
                id: id.clone(),
                name: name.to_owned(),
                category: "Local business".to_owned(),
                instagram_id: None,
                subscribed_fields: Vec::new(),
                token: token.clone(),
            },
        );
        if let Some(u) = self.users.iter_mut().find(|u| u.id == user_id) {
            u.pages.push(id.clone());
        }
        PageInfo { id, name: name.to_owned(), access_token: token, instagram_id: None }
    }

    pub(super) fn add_instagram(&mut self, page_id: Option<&str>, username: &str, name: &str) -> InstagramInfo {
        let id = format!("17841{}", self.digits(12));
        if let Some(page_id) = page_id {
            self.pages.get_mut(page_id).expect("no such Page").instagram_id = Some(id.clone());
        }
        self.instagram.insert(
            id.clone(),
            IgAccount {
                id: id.clone(),
                username: username.to_owned(),
                name: name.to_owned(),
                page_id: page_id.map(str::to_owned),
                subscribed_fields: Vec::new(),
            },
        );
        InstagramInfo { id, username: username.to_owned(), name: name.to_owned(), page_id: page_id.map(str::to_owned) }
    }

    pub(super) fn conv_index(&self, id: &str) -> Option<usize> {
        self.conversations.iter().position(|c| c.id == id)
    }

    /// (conversation index, message index) of a message id.
    pub(super) fn find_message(&self, mid: &str) -> Option<(usize, usize)> {
        self.conversations
            .iter()
            .enumerate()
            .find_map(|(ci, c)| c.messages.iter().position(|m| m.id == mid).map(|mi| (ci, mi)))
    }

    pub(super) fn conversation_info(&self, idx: usize) -> ConversationInfo {
        let c = &self.conversations[idx];
        let contact = self.contacts.get(&c.participant);
        ConversationInfo {
            id: c.id.clone(),
            platform: c.platform,
            page_id: c.page_id.clone(),
            account_id: c.account_id.clone(),
            participant_id: c.participant.clone(),
            participant_name: contact
                .map(|k| if c.platform == Platform::Instagram { k.username.clone() } else { k.name.clone() })
                .unwrap_or_default(),
            message_ids: c.messages.iter().map(|m| m.id.clone()).collect(),
        }
    }

    pub(super) fn add_conversation(
        &mut self,
        account_id: &str,
        platform: Platform,
        participant: &str,
        n: usize,
    ) -> usize {
        let (page_id, account) = self.conversation_owner(account_id, platform);
        let contact_id = self.add_contact(platform, &account, participant);
        let pic = format!("{}.png", self.digits(12));
        self.cdn.insert(pic, ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())));
        let id = self.new_conv_id(platform, &account);
        let times = self.message_times(n);
        let messages = self.seed_messages(platform, &account, times);
        self.conversations.push(Conv { id, platform, page_id, account_id: account, participant: contact_id, messages });
        self.conversations.len() - 1
    }

    /// (Page id, account id) of a new conversation: a Page for Messenger; for Instagram
    /// either a Page with a linked account or the Instagram account itself.
    fn conversation_owner(&self, account_id: &str, platform: Platform) -> (String, String) {
        match platform {
            Platform::Messenger => {
                assert!(self.pages.contains_key(account_id), "no such Page {account_id}");
                (account_id.to_owned(), account_id.to_owned())
            }
            Platform::Instagram => {
                if let Some(page) = self.pages.get(account_id) {
                    let ig = page.instagram_id.clone().expect("the Page has no linked Instagram account");
                    (account_id.to_owned(), ig)
                } else {
                    let ig = self.instagram.get(account_id).expect("no such Page or Instagram account");
                    (ig.page_id.clone().unwrap_or_default(), account_id.to_owned())
                }
            }
            Platform::WhatsApp => panic!("WhatsApp has no conversations API (§3.4 \"No history\")"),
        }
    }

    /// Adds the customer of a new conversation (IGSID or PSID) and returns its id.
    fn add_contact(&mut self, platform: Platform, account: &str, participant: &str) -> String {
        let contact_id = match platform {
            Platform::Instagram => self.digits(17),
            _ => format!("{}{}", self.rng.random_range(2..=8u8), self.digits(15)),
        };
        let mut words = participant.split_whitespace();
        let first_name = words.next().unwrap_or(participant).to_owned();
        let last_name = words.collect::<Vec<_>>().join(" ");
        self.contacts.insert(
            contact_id.clone(),
            Contact {
                id: contact_id.clone(),
                platform,
                account_id: account.to_owned(),
                name: participant.to_owned(),
                first_name,
                last_name,
                username: username_of(participant),
                profile_visible: true,
            },
        );
        contact_id
    }

    /// `n` message times, oldest first.
    fn message_times(&mut self, n: usize) -> Vec<i64> {
        // Times, newest first: the last message a few minutes ago, then gaps of minutes to
        // hours, now and then days.
        let now = self.now();
        let mut t = now - i64::from(self.rng.random_range(2..=10u8)) * MINUTE_MS;
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            times.push(t);
            let gap = if self.rng.random_bool(0.1) {
                i64::from(self.rng.random_range(1..=3u8)) * DAY_MS
                    + i64::from(self.rng.random_range(0..600u16)) * MINUTE_MS
            } else {
                i64::from(self.rng.random_range(1..=240u16)) * MINUTE_MS
            };
            t -= gap;
        }
        times.reverse();
        times
    }

    /// One message per time. The customer writes the first (§3.1, §5.1) and the last; the
    /// business answers now and then, sometimes replying to the customer's latest message.
    fn seed_messages(&mut self, platform: Platform, account: &str, times: Vec<i64>) -> Vec<Msg> {
        let n = times.len();
        let mut messages: Vec<Msg> = Vec::with_capacity(n);
        let mut last_inbound: Option<String> = None;
        for (i, created_ms) in times.into_iter().enumerate() {
            let from_business = i != 0 && i + 1 != n && self.rng.random_bool(0.45);
            let mid = self.new_mid(platform, account);
            let (text, attachments) = self.seed_content(from_business);
            let reply_to = if from_business && self.rng.random_bool(0.1) { last_inbound.clone() } else { None };
            if !from_business {
                last_inbound = Some(mid.clone());
            }
            let seq = self.next_seq();
            messages.push(Msg { id: mid, created_ms, seq, from_business, text, attachments, reply_to });
        }
        messages
    }

    /// Text and attachments of a seeded message: a business line, or from the customer a
    /// line or, now and then, an image alone.
    fn seed_content(&mut self, from_business: bool) -> (String, Vec<Attachment>) {
        if from_business {
            ((*BUSINESS_LINES.choose(&mut self.rng).unwrap_or(&"Hello!")).to_owned(), Vec::new())
        } else if self.rng.random_bool(0.12) {
            (String::new(), vec![self.seed_image()])
        } else {
            ((*CUSTOMER_LINES.choose(&mut self.rng).unwrap_or(&"Hi")).to_owned(), Vec::new())
        }
    }

    /// A small PNG put on the sim's CDN, as a message attachment.
    fn seed_image(&mut self) -> Attachment {
        let att_id = self.digits(16);
        let name = format!("{att_id}.png");
        self.cdn.insert(name.clone(), ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())));
        Attachment {
            id: att_id,
            mime_type: "image/png".to_owned(),
            name: format!("image-{name}"),
            size: TINY_PNG.len(),
            url: format!("{}/cdn/{name}", self.base_url),
        }
    }

    pub(super) fn add_waba(&mut self, name: &str) -> WabaInfo {
        let id = format!("1{}", self.digits(14));
        let system_user = format!("61{}", self.digits(13));
        let token = self.new_token("EAAG");
        let now = self.now();
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                token: token.clone(),
                kind: TokenKind::SystemUser,
                app_id: self.app.app_id.clone(),
                user_id: Some(system_user),
                page_id: None,
                scopes: ["business_management", "whatsapp_business_management", "whatsapp_business_messaging"]
                    .map(str::to_owned)
                    .to_vec(),
                waba_ids: vec![id.clone()],
                issued_at_ms: now,
                expires_at_ms: None,
                long_lived: true,
                status: TokenStatus::Valid,
                calls_left: None,
            },
        );
        self.wabas.insert(
            id.clone(),
            Waba {
                id: id.clone(),
                name: name.to_owned(),
                templates: Vec::new(),
                phone_ids: Vec::new(),
                app_subscribed: false,
            },
        );
        if let Some(u) = self.users.first_mut() {
            u.wabas.push(id.clone());
        }
        WabaInfo { id, name: name.to_owned(), system_user_token: token }
    }

    pub(super) fn add_phone(&mut self, waba_id: &str, display: &str, verified_name: &str) -> PhoneNumberInfo {
        let id = format!("1{}", self.digits(14));
        self.wabas.get_mut(waba_id).expect("no such WABA").phone_ids.push(id.clone());
        self.phones.insert(
            id.clone(),
            Phone {
                id: id.clone(),
                waba_id: waba_id.to_owned(),
                display: display.to_owned(),
                verified_name: verified_name.to_owned(),
            },
        );
        PhoneNumberInfo {
            id,
            waba_id: waba_id.to_owned(),
            display_phone_number: display.to_owned(),
            verified_name: verified_name.to_owned(),
        }
    }

    pub(super) fn rotate_cdn(&mut self) {
        let base = format!("{}/cdn/", self.base_url);
        let mut renames = Vec::new();
        for c in 0..self.conversations.len() {
            for m in 0..self.conversations[c].messages.len() {
                for a in 0..self.conversations[c].messages[m].attachments.len() {
                    let old = self.conversations[c].messages[m].attachments[a].url.clone();
                    if let Some(name) = old.strip_prefix(&base) {
                        let ext = name.rsplit('.').next().unwrap_or("bin").to_owned();
                        let fresh = format!("{}.{ext}", self.digits(16));
                        renames.push((name.to_owned(), fresh.clone()));
                        self.conversations[c].messages[m].attachments[a].url = format!("{base}{fresh}");
                    }
                }
            }
        }
        for (old, fresh) in renames {
            if let Some(v) = self.cdn.remove(&old) {
                self.cdn.insert(fresh, v);
            }
            self.cdn_expired.insert(old);
        }
    }

    pub(super) fn add_media(&mut self, bytes: Vec<u8>, mime_type: &str, phone: Option<&str>) -> MediaInfo {
        let id = self.digits(16);
        let info = MediaInfo {
            id: id.clone(),
            mime_type: mime_type.to_owned(),
            sha256: sha256_hex(&bytes),
            file_size: bytes.len(),
            phone_number_id: phone.map(str::to_owned),
            deleted: false,
        };
        let created_ms = self.now();
        self.media.insert(id, Media { info: info.clone(), bytes: Arc::new(bytes), created_ms });
        info
    }
}

//! The World: everything the simulated Meta knows, in memory behind one mutex, and
//! [`World`], the handle tests seed and inspect it with. What can be seeded follows the
//! objects of Meta's documentation: users and the Pages they manage (§4 "Page tokens",
//! FLM), Instagram professional accounts linked to a Page or on their own (IGGS, IGO),
//! conversations and their messages (§3.1, CONV), customer profiles (§3.2, MPROF, IGP),
//! WhatsApp Business Accounts with phone numbers, templates and media (§3.4, WAAP, WATPL,
//! WAM), webhook subscriptions (§1 "Subscribing an asset") and token deaths (§5.2, code
//! 190). Messaging windows (§5.1), token lifetimes (§4) and media URLs (WAM) run on a fake
//! clock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::faults::FaultState;
use super::format::real_now_ms;
use super::seed::{rand_chars, rand_digits};
use super::usage::UsageState;
use super::{
    AppInfo, ConversationInfo, IgTokenStyle, InstagramInfo, MediaInfo, MessageView, PageInfo, PhoneNumberInfo,
    Platform, RequestRecord, Sent, Shared, Template, TemplateStatus, TokenInfo, TokenLife, TokenStatus, UserInfo,
    WabaInfo, lock,
};

#[derive(Debug, Clone)]
pub(super) struct User {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) pages: Vec<String>,
    pub(super) wabas: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Page {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) category: String,
    pub(super) instagram_id: Option<String>,
    pub(super) subscribed_fields: Vec<String>,
    pub(super) token: String,
}

#[derive(Debug, Clone)]
pub(super) struct IgAccount {
    pub(super) id: String,
    pub(super) username: String,
    pub(super) name: String,
    pub(super) page_id: Option<String>,
    pub(super) subscribed_fields: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Contact {
    pub(super) id: String,
    pub(super) platform: Platform,
    /// Page id (Messenger) or Instagram account id.
    pub(super) account_id: String,
    pub(super) name: String,
    pub(super) first_name: String,
    pub(super) last_name: String,
    pub(super) username: String,
    pub(super) profile_visible: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Attachment {
    pub(super) id: String,
    pub(super) mime_type: String,
    pub(super) name: String,
    pub(super) size: usize,
    pub(super) url: String,
}

#[derive(Debug, Clone)]
pub(super) struct Msg {
    pub(super) id: String,
    pub(super) created_ms: i64,
    pub(super) seq: u64,
    pub(super) from_business: bool,
    pub(super) text: String,
    pub(super) attachments: Vec<Attachment>,
    pub(super) reply_to: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Conv {
    pub(super) id: String,
    pub(super) platform: Platform,
    pub(super) page_id: String,
    pub(super) account_id: String,
    pub(super) participant: String,
    /// Oldest first.
    pub(super) messages: Vec<Msg>,
}

impl Conv {
    pub(super) fn updated_ms(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.created_ms)
    }

    pub(super) fn updated_seq(&self) -> u64 {
        self.messages.last().map_or(0, |m| m.seq)
    }

    pub(super) fn last_inbound_ms(&self) -> Option<i64> {
        self.messages.iter().rev().find(|m| !m.from_business).map(|m| m.created_ms)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Waba {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) templates: Vec<(String, Template)>,
    pub(super) phone_ids: Vec<String>,
    pub(super) app_subscribed: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Phone {
    pub(super) id: String,
    pub(super) waba_id: String,
    pub(super) display: String,
    pub(super) verified_name: String,
}

#[derive(Debug, Clone, Default)]
pub(super) struct WaContact {
    pub(super) name: String,
    pub(super) last_inbound_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub(super) struct Media {
    pub(super) info: MediaInfo,
    pub(super) bytes: Arc<Vec<u8>>,
    pub(super) created_ms: i64,
}

#[derive(Debug, Clone)]
pub(super) struct Code {
    pub(super) user_id: String,
    pub(super) redirect_uri: String,
    pub(super) scopes: Vec<String>,
    pub(super) created_ms: i64,
    pub(super) used: bool,
    pub(super) instagram: bool,
}

pub(super) struct Sim {
    pub(super) base_url: String,
    pub(super) offset_ms: i64,
    pub(super) rng: SmallRng,
    pub(super) seq: u64,
    pub(super) app: AppInfo,
    pub(super) redirect_uris: Vec<String>,
    pub(super) login_user: Option<String>,
    pub(super) login_instagram: Option<String>,
    pub(super) ig_token_style: IgTokenStyle,
    pub(super) users: Vec<User>,
    pub(super) tokens: HashMap<String, TokenInfo>,
    /// (user token, page id) → the Page token `/me/accounts` hands out for it.
    pub(super) page_tokens: HashMap<(String, String), String>,
    pub(super) codes: HashMap<String, Code>,
    pub(super) pages: BTreeMap<String, Page>,
    pub(super) instagram: BTreeMap<String, IgAccount>,
    pub(super) contacts: HashMap<String, Contact>,
    pub(super) conversations: Vec<Conv>,
    pub(super) wabas: BTreeMap<String, Waba>,
    pub(super) phones: BTreeMap<String, Phone>,
    pub(super) wa_contacts: HashMap<(String, String), WaContact>,
    pub(super) undeliverable: HashSet<String>,
    pub(super) media: HashMap<String, Media>,
    /// hash → (media id, expiry ms)
    pub(super) media_urls: HashMap<String, (String, i64)>,
    /// CDN name → (mime, bytes)
    pub(super) cdn: HashMap<String, (String, Arc<Vec<u8>>)>,
    /// CDN names whose signed expiry has passed ([`World::expire_cdn_links`]).
    pub(super) cdn_expired: HashSet<String>,
    /// attachment_id → the attachment JSON it was created from.
    pub(super) attachment_ids: HashMap<String, Value>,
    pub(super) sent: Vec<Sent>,
    pub(super) requests: Vec<RequestRecord>,
    pub(super) faults: FaultState,
    pub(super) usage: UsageState,
}

impl Sim {
    pub(super) fn new(base_url: String, seed: u64) -> Sim {
        let mut rng = SmallRng::seed_from_u64(seed);
        let app = AppInfo {
            app_id: rand_digits(&mut rng, 15),
            app_secret: rand_chars(&mut rng, 32, b"0123456789abcdef"),
            name: "CAHTS".to_owned(),
            instagram_app_id: rand_digits(&mut rng, 16),
            instagram_app_secret: rand_chars(&mut rng, 32, b"0123456789abcdef"),
        };
        Sim {
            base_url,
            offset_ms: 0,
            rng,
            seq: 0,
            app,
            redirect_uris: Vec::new(),
            login_user: None,
            login_instagram: None,
            ig_token_style: IgTokenStyle::Documented,
            users: Vec::new(),
            tokens: HashMap::new(),
            page_tokens: HashMap::new(),
            codes: HashMap::new(),
            pages: BTreeMap::new(),
            instagram: BTreeMap::new(),
            contacts: HashMap::new(),
            conversations: Vec::new(),
            wabas: BTreeMap::new(),
            phones: BTreeMap::new(),
            wa_contacts: HashMap::new(),
            undeliverable: HashSet::new(),
            media: HashMap::new(),
            media_urls: HashMap::new(),
            cdn: HashMap::new(),
            cdn_expired: HashSet::new(),
            attachment_ids: HashMap::new(),
            sent: Vec::new(),
            requests: Vec::new(),
            faults: FaultState::default(),
            usage: UsageState { budget: 200, regain_minutes: 10, buckets: HashMap::new(), presets: HashMap::new() },
        }
    }

    pub(super) fn now(&self) -> i64 {
        real_now_ms() + self.offset_ms
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// Cloneable handle to seed and inspect the simulated Meta. All ids are strings.
///
/// Time is a fake clock: real time plus an offset that [`World::advance`] moves, so
/// messaging windows, token lifetimes and media URLs can be crossed without waiting.
#[derive(Clone)]
pub struct World {
    pub(super) shared: Shared,
}

impl World {
    /// The app (created with the World; replace it with [`World::set_app`]).
    pub fn app(&self) -> AppInfo {
        lock(&self.shared).app.clone()
    }

    /// Replaces the app's ids and secrets (existing tokens keep the old app id).
    pub fn set_app(&self, app: AppInfo) {
        lock(&self.shared).app = app;
    }

    /// Every token issued so far (for tests that scan files and logs for leaks).
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.shared).tokens.keys().cloned().collect()
    }

    /// Fake-clock now, Unix ms.
    pub fn now_ms(&self) -> i64 {
        lock(&self.shared).now()
    }

    /// Moves the fake clock forward.
    pub fn advance(&self, by: Duration) {
        lock(&self.shared).offset_ms += i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
    }

    /// Registers a "Valid OAuth Redirect URI" (Strict Mode, §4). While none is registered
    /// every redirect URI is accepted (**guessed** convenience; Meta refuses unlisted ones).
    pub fn allow_redirect_uri(&self, uri: &str) {
        lock(&self.shared).redirect_uris.push(uri.to_owned());
    }

    /// The shape of the Instagram code-exchange answer (default: as documented).
    pub fn set_ig_token_style(&self, style: IgTokenStyle) {
        lock(&self.shared).ig_token_style = style;
    }

    /// A Facebook user.
    pub fn add_user(&self, name: &str) -> UserInfo {
        let mut sim = lock(&self.shared);
        let id = sim.add_user(name);
        UserInfo { id, name: name.to_owned() }
    }

    /// The user the Facebook login dialog logs in (default: the first user, created on
    /// demand).
    pub fn set_login_user(&self, user_id: &str) {
        lock(&self.shared).login_user = Some(user_id.to_owned());
    }

    /// The Instagram account the Instagram login dialog logs in (default: the first one).
    pub fn set_login_instagram(&self, instagram_id: &str) {
        lock(&self.shared).login_instagram = Some(instagram_id.to_owned());
    }

    /// A user access token for `user_id` with `scopes`.
    pub fn issue_user_token(&self, user_id: &str, life: TokenLife, scopes: &[&str]) -> String {
        let mut sim = lock(&self.shared);
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        sim.issue_user_token(user_id, life, scopes)
    }

    /// An authorization code, as the Facebook login dialog would redirect with.
    pub fn issue_code(&self, user_id: &str, redirect_uri: &str, scopes: &[&str]) -> String {
        let mut sim = lock(&self.shared);
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        sim.issue_code(user_id, redirect_uri, scopes, false)
    }

    /// An authorization code, as the Instagram login dialog would redirect with.
    pub fn issue_instagram_code(&self, instagram_id: &str, redirect_uri: &str) -> String {
        let scopes = vec!["instagram_business_basic".to_owned(), "instagram_business_manage_messages".to_owned()];
        lock(&self.shared).issue_code(instagram_id, redirect_uri, scopes, true)
    }

    /// An Instagram User token (Instagram Login) for the account.
    pub fn issue_instagram_token(&self, instagram_id: &str, life: TokenLife) -> String {
        let mut sim = lock(&self.shared);
        sim.issue_instagram_token(instagram_id, life)
    }

    /// What the World knows of a token.
    pub fn token(&self, token: &str) -> Option<TokenInfo> {
        lock(&self.shared).tokens.get(token).cloned()
    }

    /// The token now answers 190 / 463.
    pub fn expire_token(&self, token: &str) {
        let mut sim = lock(&self.shared);
        let now = sim.now();
        if let Some(t) = sim.tokens.get_mut(token) {
            t.status = TokenStatus::Expired;
            t.expires_at_ms = Some(now);
        }
    }

    /// The token expires at `at_ms` (fake clock).
    pub fn set_token_expiry(&self, token: &str, at_ms: i64) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.expires_at_ms = Some(at_ms);
        }
    }

    /// The token now answers 190 / 467.
    pub fn revoke_token(&self, token: &str) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.status = TokenStatus::Revoked;
        }
    }

    /// The user changed their password: their user and Page tokens answer 190 / 460 (§4:
    /// Page tokens are "still invalidated by password change").
    pub fn change_password(&self, user_id: &str) {
        lock(&self.shared).invalidate_user(user_id, TokenStatus::PasswordChanged);
    }

    /// The user removed the app: their tokens answer 190 / 458.
    pub fn remove_app(&self, user_id: &str) {
        lock(&self.shared).invalidate_user(user_id, TokenStatus::AppRemoved);
    }

    /// A Page managed by the first user (created on demand), with a never-expiring Page
    /// token.
    pub fn add_page(&self, name: &str) -> PageInfo {
        let mut sim = lock(&self.shared);
        let user = sim.primary_user();
        sim.add_page(&user, name)
    }

    /// A Page managed by `user_id`.
    pub fn add_page_for(&self, user_id: &str, name: &str) -> PageInfo {
        lock(&self.shared).add_page(user_id, name)
    }

    /// The Page.
    pub fn page(&self, page_id: &str) -> Option<PageInfo> {
        let sim = lock(&self.shared);
        sim.pages.get(page_id).map(|p| PageInfo {
            id: p.id.clone(),
            name: p.name.clone(),
            access_token: p.token.clone(),
            instagram_id: p.instagram_id.clone(),
        })
    }

    /// An Instagram professional account linked to `page_id` (its
    /// `instagram_business_account`).
    ///
    /// # Panics
    /// When the Page does not exist.
    pub fn add_instagram(&self, page_id: &str, username: &str, name: &str) -> InstagramInfo {
        lock(&self.shared).add_instagram(Some(page_id), username, name)
    }

    /// An Instagram professional account linked to no Page (Instagram Login only).
    pub fn add_instagram_unlinked(&self, username: &str, name: &str) -> InstagramInfo {
        lock(&self.shared).add_instagram(None, username, name)
    }

    /// A conversation of `account_id` (a Page id, or for Instagram the Page id or the
    /// Instagram account id) with a new customer called `participant` (display name on
    /// Messenger, username on Instagram) and `n_messages` realistic messages, oldest first.
    /// The customer started it (§5.1) and wrote the last message a few minutes ago, so the
    /// 24 h window is open.
    ///
    /// # Panics
    /// When the account does not exist, `platform` is WhatsApp, or an Instagram conversation
    /// is asked of a Page without a linked Instagram account.
    pub fn add_conversation(
        &self,
        account_id: &str,
        platform: Platform,
        participant: &str,
        n_messages: usize,
    ) -> ConversationInfo {
        let mut sim = lock(&self.shared);
        let idx = sim.add_conversation(account_id, platform, participant, n_messages);
        sim.conversation_info(idx)
    }

    /// The customer writes `text` now (opens the window again). Returns the message id.
    ///
    /// # Panics
    /// When the conversation does not exist.
    pub fn customer_writes(&self, conversation_id: &str, text: &str) -> String {
        let mut sim = lock(&self.shared);
        let idx = sim.conv_index(conversation_id).expect("no such conversation");
        let platform = sim.conversations[idx].platform;
        let account = sim.conversations[idx].account_id.clone();
        let id = sim.new_mid(platform, &account);
        let now = sim.now();
        let seq = sim.next_seq();
        sim.conversations[idx].messages.push(Msg {
            id: id.clone(),
            created_ms: now,
            seq,
            from_business: false,
            text: text.to_owned(),
            attachments: Vec::new(),
            reply_to: None,
        });
        id
    }

    /// Moves every message of the conversation `by` into the past (closing its window
    /// without moving the clock).
    pub fn age_conversation(&self, conversation_id: &str, by: Duration) {
        let mut sim = lock(&self.shared);
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        if let Some(idx) = sim.conv_index(conversation_id) {
            for m in &mut sim.conversations[idx].messages {
                m.created_ms -= by;
            }
        }
    }

    /// The conversation as the World holds it.
    pub fn conversation(&self, conversation_id: &str) -> Option<ConversationInfo> {
        let sim = lock(&self.shared);
        sim.conv_index(conversation_id).map(|i| sim.conversation_info(i))
    }

    /// Every conversation, in creation order.
    pub fn conversations(&self) -> Vec<ConversationInfo> {
        let sim = lock(&self.shared);
        (0..sim.conversations.len()).map(|i| sim.conversation_info(i)).collect()
    }

    /// The messages of a conversation, oldest first (sent ones included).
    pub fn messages(&self, conversation_id: &str) -> Vec<MessageView> {
        let sim = lock(&self.shared);
        let Some(idx) = sim.conv_index(conversation_id) else {
            return Vec::new();
        };
        sim.conversations[idx]
            .messages
            .iter()
            .map(|m| MessageView {
                id: m.id.clone(),
                created_ms: m.created_ms,
                from_business: m.from_business,
                text: m.text.clone(),
                attachments: m.attachments.len(),
                reply_to: m.reply_to.clone(),
            })
            .collect()
    }

    /// Whether the customer's profile is visible to the business (MPROF: without Business
    /// Asset User Profile Access the profile call returns `{}`).
    pub fn set_profile_visible(&self, contact_id: &str, visible: bool) {
        if let Some(c) = lock(&self.shared).contacts.get_mut(contact_id) {
            c.profile_visible = visible;
        }
    }

    /// "Meta unsubscribed the app" (§1 "Retry — Messenger / IG": after an hour of webhook
    /// failures): the Page's / Instagram account's / WABA's subscription is emptied.
    pub fn unsubscribe_app(&self, id: &str) {
        let mut sim = lock(&self.shared);
        if let Some(p) = sim.pages.get_mut(id) {
            p.subscribed_fields.clear();
        }
        if let Some(i) = sim.instagram.get_mut(id) {
            i.subscribed_fields.clear();
        }
        if let Some(w) = sim.wabas.get_mut(id) {
            w.app_subscribed = false;
        }
    }

    /// The fields the app is subscribed to on a Page or Instagram account (a subscribed
    /// WABA reports `["messages"]`).
    pub fn subscribed_fields(&self, id: &str) -> Vec<String> {
        let sim = lock(&self.shared);
        if let Some(p) = sim.pages.get(id) {
            return p.subscribed_fields.clone();
        }
        if let Some(i) = sim.instagram.get(id) {
            return i.subscribed_fields.clone();
        }
        match sim.wabas.get(id) {
            Some(w) if w.app_subscribed => vec!["messages".to_owned()],
            _ => Vec::new(),
        }
    }

    /// A WhatsApp Business Account with a never-expiring system-user token for it. The
    /// first user is given access too (so Facebook Login tokens with WhatsApp scopes work).
    pub fn add_waba(&self, name: &str) -> WabaInfo {
        lock(&self.shared).add_waba(name)
    }

    /// A business phone number of the WABA.
    ///
    /// # Panics
    /// When the WABA does not exist.
    pub fn add_phone_number(&self, waba_id: &str, display_phone_number: &str, verified_name: &str) -> PhoneNumberInfo {
        lock(&self.shared).add_phone(waba_id, display_phone_number, verified_name)
    }

    /// A message template of the WABA. Returns its id.
    ///
    /// # Panics
    /// When the WABA does not exist.
    pub fn add_template(&self, waba_id: &str, template: Template) -> String {
        let mut sim = lock(&self.shared);
        let id = sim.digits(15);
        sim.wabas.get_mut(waba_id).expect("no such WABA").templates.push((id.clone(), template));
        id
    }

    /// Changes a template's review status.
    pub fn set_template_status(&self, waba_id: &str, name: &str, language: &str, status: TemplateStatus) {
        let mut sim = lock(&self.shared);
        if let Some(w) = sim.wabas.get_mut(waba_id) {
            for (_, t) in &mut w.templates {
                if t.name == name && t.language == language {
                    t.status = status;
                }
            }
        }
    }

    /// A WhatsApp customer writes to the business number now: opens (refreshes) the 24 h
    /// customer-service window (§5.1). Returns the inbound `wamid` (WhatsApp has no history
    /// API, so the message itself is not served anywhere; send its webhook with
    /// [`crate::meta_sim::whatsapp_batch`] if the test needs it).
    pub fn wa_customer_writes(&self, phone_number_id: &str, wa_id: &str, name: &str) -> String {
        let mut sim = lock(&self.shared);
        let now = sim.now();
        let contact = sim.wa_contacts.entry((phone_number_id.to_owned(), wa_id.to_owned())).or_default();
        contact.name = name.to_owned();
        contact.last_inbound_ms = Some(now);
        sim.new_wamid(wa_id, true)
    }

    /// Moves the customer's last message `by` into the past.
    pub fn age_wa_contact(&self, phone_number_id: &str, wa_id: &str, by: Duration) {
        let mut sim = lock(&self.shared);
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        if let Some(c) = sim.wa_contacts.get_mut(&(phone_number_id.to_owned(), wa_id.to_owned()))
            && let Some(t) = c.last_inbound_ms.as_mut()
        {
            *t -= by;
        }
    }

    /// Sends to this `wa_id` fail with 131026 "Message undeliverable".
    pub fn set_wa_undeliverable(&self, wa_id: &str) {
        lock(&self.shared).undeliverable.insert(wa_id.to_owned());
    }

    /// A WhatsApp media object (as if received in a webhook), downloadable through
    /// `GET /{media-id}`.
    pub fn add_media(&self, bytes: Vec<u8>, mime_type: &str) -> MediaInfo {
        lock(&self.shared).add_media(bytes, mime_type, None)
    }

    /// Ends every CDN link handed out so far, as their signed expiry would: the old links
    /// answer 403, and messages fetched again carry new ones.
    pub fn expire_cdn_links(&self) {
        lock(&self.shared).rotate_cdn();
    }

    /// The media object.
    pub fn media(&self, media_id: &str) -> Option<MediaInfo> {
        lock(&self.shared).media.get(media_id).map(|m| m.info.clone())
    }

    /// Everything accepted for sending, in order.
    pub fn sent(&self) -> Vec<Sent> {
        lock(&self.shared).sent.clone()
    }

    /// Forgets [`World::sent`].
    pub fn clear_sent(&self) {
        lock(&self.shared).sent.clear();
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared).requests.clone()
    }
}

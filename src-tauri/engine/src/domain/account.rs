//! A connected account as the engine knows it: which asset, how it was connected, its
//! state, and the Graph host and webhook subscription that follow from those.
//!
//! An account's state says what the owner must know: `connected`, `needs_reconnect` (Meta
//! answered 190: the token died), `rate_limited` until a time, `unsubscribed` (Meta
//! stopped sending webhooks and re-subscribing failed), `disconnected`.

use serde::Serialize;
use ts_rs::TS;

use super::events::Platform;
use super::text_enum::text_enum;

text_enum! {
    /// What the owner must know about an account (the module comment says when each holds).
    pub enum AccountStatus {
        /// Saved while its first check runs; not shown.
        Unverified = "unverified",
        Connected = "connected",
        NeedsReconnect = "needs_reconnect",
        RateLimited = "rate_limited",
        Unsubscribed = "unsubscribed",
        Disconnected = "disconnected",
    }
}

text_enum! {
    /// How an account was connected, which decides its Graph host and subscription.
    pub enum Login {
        /// Facebook Login: a Page token (Messenger, and Instagram through the Page).
        Facebook = "facebook",
        /// Instagram Login: the account's own token on graph.instagram.com.
        Instagram = "instagram",
        /// A WhatsApp system-user token pasted by the owner.
        Whatsapp = "whatsapp",
    }
}

/// Which Graph host a call goes to: Instagram Login accounts live on graph.instagram.com.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Facebook,
    Instagram,
}

/// Webhook fields an Instagram Login account is subscribed to (META-API.md §2.3).
pub const INSTAGRAM_FIELDS: &str =
    "messages,messaging_postbacks,messaging_reactions,messaging_referrals,messaging_seen";
/// An Instagram Login long-lived token's life when Meta does not say (60 days).
pub const INSTAGRAM_TOKEN_LIFE_S: i64 = 60 * 24 * 3600;

/// Webhook fields a Page is subscribed to (META-API.md §1, subscribing an asset).
pub const PAGE_FIELDS: &str = "messages,message_echoes,message_edits,message_reactions,message_reads,message_deliveries,messaging_postbacks,messaging_referrals";

/// Instagram Login tokens are refreshed when fewer than this many days remain (they last
/// 60 days and can be refreshed once a day old, META-API.md §4 IG Login OAuth).
pub const INSTAGRAM_REFRESH_BEFORE_MS: i64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: i64,
    pub platform: Platform,
    /// Page id, Instagram account id or WhatsApp phone-number id.
    pub asset_id: String,
    pub display_name: Option<String>,
    pub status: AccountStatus,
    pub status_detail: Option<String>,
    pub rate_limited_until: Option<i64>,
    pub login: Option<Login>,
    /// The WhatsApp Business Account of a number (its templates live there).
    pub business_id: Option<String>,
    /// When the token stops working (Instagram Login tokens last 60 days and are refreshed
    /// before); absent for tokens that do not expire.
    #[ts(type = "number | null")]
    pub token_expires_at: Option<i64>,
    /// History loading started by this app run, while it runs and after it ended.
    pub history: Option<HistoryProgress>,
}

/// Where loading an account's history stands (Meta gives no total, so a count).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryProgress {
    pub running: bool,
    #[ts(type = "number")]
    pub conversations: u64,
    /// Why it stopped early, with what to do.
    pub error: Option<String>,
}

impl AccountView {
    /// Where its Graph calls go: Instagram Login accounts live on graph.instagram.com.
    pub fn host(&self) -> Host {
        host_of(self.login)
    }

    /// Whether this account has a webhook subscription of its own to check.
    pub fn has_subscription(&self) -> bool {
        self.subscription().is_some()
    }

    /// Where the app's webhook subscription for this account lives, and the fields asked
    /// for: the Page (Messenger), the WhatsApp Business Account, or the Instagram Login
    /// account itself. An Instagram account reached through its Page rides on the Page's.
    pub fn subscription(&self) -> Option<(Host, String, Option<&'static str>)> {
        match (self.platform, self.login) {
            (Platform::Messenger, _) => {
                Some((Host::Facebook, format!("{}/subscribed_apps", self.asset_id), Some(PAGE_FIELDS)))
            }
            (Platform::Whatsapp, _) => {
                self.business_id.as_ref().map(|waba| (Host::Facebook, format!("{waba}/subscribed_apps"), None))
            }
            (Platform::Instagram, Some(Login::Instagram)) => {
                Some((Host::Instagram, "me/subscribed_apps".to_string(), Some(INSTAGRAM_FIELDS)))
            }
            (Platform::Instagram, _) => None,
        }
    }
}

/// Where an account's Graph calls go, from how it was connected.
pub fn host_of(login: Option<Login>) -> Host {
    if login == Some(Login::Instagram) { Host::Instagram } else { Host::Facebook }
}

/// A Page the owner may connect, from `/me/accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PageChoice {
    pub page_id: String,
    pub name: String,
    pub instagram_id: Option<String>,
    pub instagram_username: Option<String>,
}

//! The Graph API, its OAuth endpoints and the login dialogs, simulated: an axum server
//! with an in-memory [`World`] that tests seed and inspect, and switchable [`Faults`].
//!
//! One server answers for every Meta host the desktop and the relay talk to
//! (`graph.facebook.com`, `graph.instagram.com`, `api.instagram.com`, `www.facebook.com`
//! dialogs, the WhatsApp media "lookaside" host): tests point every base URL at
//! [`MetaSim::base_url`]. Graph paths are `{base}/{version}/…`; any `vNN.N` version segment
//! is accepted and so is no version at all.
//!
//! Everything here follows Meta's documentation as summarised in `META-API.md` (§ numbers
//! and source keys such as "CONV" or "WAM" refer to that file). Where the documentation is
//! silent the behaviour is marked **guessed** in the doc comment of the code that does it.
//!
//! # Paths served
//!
//! | Method | Path (after the optional `/{version}`) | What |
//! |---|---|---|
//! | GET | `/dialog/oauth` | Facebook login dialog, auto-approves (302) |
//! | GET | `/oauth/authorize` | Instagram login dialog, auto-approves (302) |
//! | GET, POST | `/oauth/access_token` | FB code exchange, `fb_exchange_token`, `client_credentials`; POST with the Instagram app id: Instagram code exchange |
//! | GET | `/access_token` | Instagram `ig_exchange_token` |
//! | GET | `/refresh_access_token` | Instagram `ig_refresh_token` |
//! | GET | `/debug_token` | token metadata |
//! | GET | `/me`, `/me/accounts`, `/{user-id}/accounts` | the caller; a user's Pages with Page tokens |
//! | GET | `/{page-id}`, `/{ig-id}`, `/{psid}`, `/{igsid}`, `/{conversation-id}`, `/{message-id}`, `/{waba-id}`, `/{phone-number-id}`, `/{media-id}` | nodes |
//! | GET | `/{page-id}/conversations`, `/{ig-id}/conversations`, `/me/conversations` | conversations, cursor paging |
//! | GET | `/{conversation-id}/messages` | messages of a conversation, cursor paging |
//! | POST | `/{page-id}/messages`, `/{ig-id}/messages`, `/me/messages` | Send API (messages and sender actions) |
//! | POST | `/{page-id}/message_attachments` | Attachment Upload API |
//! | GET, POST, DELETE | `/{page-id}/subscribed_apps`, `/{ig-id}/subscribed_apps`, `/{waba-id}/subscribed_apps` | webhook subscription |
//! | POST | `/{phone-number-id}/messages` | WhatsApp send, mark read |
//! | POST | `/{phone-number-id}/media` | WhatsApp media upload (multipart) |
//! | DELETE | `/{media-id}` | WhatsApp media delete |
//! | GET | `/{waba-id}/message_templates`, `/{waba-id}/phone_numbers` | WhatsApp Business Account edges |
//! | GET | `/whatsapp_business/attachments/?mid=…&ext=…&hash=…` | WhatsApp media download URL (Bearer, 5 min) |
//! | GET | `/cdn/{name}` | attachment and profile-picture bytes (the `scontent` CDN) |
//!
//! # Idempotency
//!
//! Meta's send endpoints take no client idempotency key: the same request sent twice
//! produces two messages, and meta-sim does the same (both are recorded in
//! [`World::sent`]). Avoiding duplicates — for example after
//! [`Faults::drop_after_processing`], where the message exists but the caller never saw the
//! answer — is the engine's job.
//!
//! # Files
//!
//! One file per surface of Meta it imitates; each opens with the documentation it follows.
//!
//! | File | What | Sources (`META-API.md` keys) |
//! |---|---|---|
//! | `server.rs` | the server, fault hook, router and the nodes ids name | §3, §3.5 |
//! | `request.rs` | requests (version, query, form, JSON, multipart, token) and replies | §3.5, MSAPI, MATT, WAM |
//! | `format.rs` | field expansion, cursor paging, dates | GCONV, CONV |
//! | `errors.rs` | Graph and WhatsApp error JSON | §5.2, GERR, WAE |
//! | `oauth.rs` | Facebook Login, token exchange, `debug_token`, token checks | §4, FLM, FLLL, FLDBG, SYSU |
//! | `instagram.rs` | Instagram Login and the Instagram account node | §4, IGLB, IGAT, IGRT, IGGS |
//! | `pages.rs` | `/me`, `/me/accounts`, Pages, `subscribed_apps` | §1, §4, IGGS, MW |
//! | `conversations.rs` | Conversations API, messages, profiles | §3.1, §3.2, CONV, GCONV, IGLC, MPROF, IGP |
//! | `send.rs` | Send API for Messenger and Instagram | §3.3, §5.1, MSEND, MSAPI, IGS, IGLM, MERR |
//! | `whatsapp.rs` | WhatsApp Cloud API sends and WABA edges | §3.4, §5.1, WAS, WATPL, WAAP, WAE |
//! | `media.rs` | attachment upload, WhatsApp media, the CDN | MATT, MSAVE, WAM |
//! | `usage.rs` | usage headers and throttling | §5.3, GRL |
//! | `faults.rs` | switchable faults | §5.2, GERR, MERR, WAE |
//! | `types.rs`, `world.rs`, `seed.rs` | the public records, the World and how it makes things | §3, §4, §6.5 |

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod conversations;
mod errors;
mod faults;
mod format;
mod instagram;
mod media;
mod oauth;
mod pages;
mod request;
mod seed;
mod send;
mod server;
mod types;
mod usage;
mod whatsapp;
mod world;

#[cfg(test)]
mod tests;

pub use faults::{Fault, Faults};
pub use server::MetaSim;
pub use types::{
    AppInfo, ConversationInfo, IgTokenStyle, InstagramInfo, MediaInfo, MessageView, PageInfo, PhoneNumberInfo,
    Platform, RequestRecord, Sent, SentKind, Template, TemplateStatus, TokenInfo, TokenKind, TokenLife, TokenStatus,
    UserInfo, WabaInfo,
};
pub use world::World;

use world::Sim;

// Numbers from the documentation (**guessed** where it is silent, as each comment says).

/// The version reported in `facebook-api-version` for unversioned calls (§3.5: latest).
const LATEST_VERSION: &str = "v26.0";
const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Short-lived user tokens: "about an hour or two" (FLLL); the sim uses one hour.
const SHORT_LIVED_MS: i64 = HOUR_MS;
/// Long-lived tokens: `expires_in` ≈ 5 183 944 s (§4 "Long-lived user token").
const LONG_LIVED_MS: i64 = 5_183_944 * SECOND_MS;
/// `data_access_expires_at`: 90 days after issue (FLDBG).
const DATA_ACCESS_MS: i64 = 90 * DAY_MS;
/// Facebook login codes: lifetime UNCONFIRMED (§4); **guessed** 10 minutes.
const FB_CODE_TTL_MS: i64 = 10 * MINUTE_MS;
/// Instagram login codes: 1 h (§4 "IG Login OAuth").
const IG_CODE_TTL_MS: i64 = HOUR_MS;
/// WhatsApp media URLs are valid for 5 minutes (§3.4 "Media download").
const MEDIA_URL_TTL_MS: i64 = 5 * MINUTE_MS;
/// WAM: media ids from webhooks can be downloaded for 7 days, uploaded ones live 30 days.
const RECEIVED_MEDIA_TTL_MS: i64 = 7 * DAY_MS;
const UPLOADED_MEDIA_TTL_MS: i64 = 30 * DAY_MS;
/// Only the 20 most recent messages of a conversation have details (§3.1).
const DETAIL_WINDOW: usize = 20;
/// Standard messaging window (§5.1).
const WINDOW_MS: i64 = DAY_MS;
/// `HUMAN_AGENT` tag window (§3.3, §5.1).
const HUMAN_AGENT_MS: i64 = 7 * DAY_MS;
/// Graph's default page size for edges (guessed 25, the usual Graph default).
const DEFAULT_LIMIT: usize = 25;
/// Largest `limit` honoured; larger values are clamped (**guessed**).
const MAX_LIMIT: usize = 100;
/// The seed of [`MetaSim::start`]: a fixed one, so ids repeat run to run.
pub const DEFAULT_SEED: u64 = 0x4d45_5441_5349_4d00;
/// A 1×1 PNG: the bytes behind seeded image attachments and profile pictures.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

type Shared = Arc<Mutex<Sim>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Sim> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

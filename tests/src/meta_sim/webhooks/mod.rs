//! Meta's webhooks, simulated: bodies shaped like the ones Messenger, Instagram and the
//! WhatsApp Cloud API POST (META-API §2), written as Meta writes them (§1 "Escaped
//! unicode"), and [`WebhookSender`], which signs and delivers them as Meta does (§1
//! "Signature", "Retry — generic Graph", "Verification GET").
//!
//! Generators take a random number generator, so a seed gives the same bytes every time
//! (a second call with the same seed is a faithful redelivery: same ids, same bytes).
//! Each returns a [`Batch`]: the body plus what it holds, so an end-to-end test can look
//! for every message id in the desktop's store and search for a text.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use base64::Engine as _;
use base64::alphabet::Alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cahts_protocol::signature;
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::Serialize;

use super::to_meta_json;

// =======================================================================================
// What a generator returns
// =======================================================================================

/// One generated webhook body and what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The envelope's `object`: `page`, `instagram` or `whatsapp_business_account`.
    pub object: &'static str,
    /// The exact bytes to POST (and to sign).
    pub body: Vec<u8>,
    /// Every message in the body, in body order: inbound messages and echoes (Messenger,
    /// Instagram), inbound `messages[]` (WhatsApp).
    pub messages: Vec<GeneratedMessage>,
    /// Messenger / Instagram `reaction` items.
    pub reactions: usize,
    /// Receipts: Messenger `read` and `delivery` items, Instagram `read` (seen) items,
    /// WhatsApp `statuses[]` entries.
    pub receipts: usize,
}

impl Batch {
    /// The platform ids (`mid`, `wamid.…`) of [`Batch::messages`], in body order.
    pub fn message_ids(&self) -> Vec<&str> {
        self.messages.iter().map(|m| m.mid.as_str()).collect()
    }

    /// The texts of the messages that have one (WhatsApp image captions included).
    pub fn texts(&self) -> Vec<&str> {
        self.messages.iter().filter_map(|m| m.text.as_deref()).collect()
    }
}

/// One message a [`Batch`] carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedMessage {
    /// `mid` (Messenger, Instagram) or `wamid.…` (WhatsApp).
    pub mid: String,
    /// The business asset: Page id, Instagram account id, or WhatsApp `phone_number_id`.
    pub account_id: String,
    /// The customer: PSID, IGSID or `wa_id`.
    pub contact_id: String,
    /// True for an echo (the business sent it).
    pub outbound: bool,
    /// Message text, or the caption of a WhatsApp image.
    pub text: Option<String>,
    pub attachments: usize,
    /// The item's timestamp in Unix ms (WhatsApp: its seconds × 1000).
    pub sent_at_ms: i64,
}

/// What a batch is made of. Probabilities are per item and clamped to 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// Length of a text in characters, always within the range: whole sentences in the
    /// customer's language are appended until a length drawn from it is reached or the
    /// next sentence would pass its end; a text still shorter than its start is filled
    /// to its end with a cut sentence (so `500..=500` gives exactly 500). With the
    /// default, a Messenger item is about 400 bytes and an Instagram one about 500 (long
    /// `mid`s and media URLs, `\uXXXX` escapes), so 1–3 items per entry give the usual
    /// 0.5–2 KB per entry.
    pub text_chars: RangeInclusive<usize>,
    /// Unix ms of the first item; later items follow at random intervals.
    pub start_ms: i64,
    /// A message carries an attachment (image mostly; audio, video) instead of, or
    /// besides, text.
    pub attachment: f64,
    /// Messenger / Instagram: an item is an echo of a message the business sent.
    pub echo: f64,
    /// Messenger: a `read` or `delivery` receipt; Instagram: a `read` (seen) of a business
    /// message, when there is one to see.
    pub receipt: f64,
    /// Messenger / Instagram: a customer's reaction to an earlier message of the batch.
    pub reaction: f64,
    /// WhatsApp: an entry also carries a change with `statuses[]` of business messages.
    pub statuses: f64,
    /// Customers per batch.
    pub contacts: usize,
    /// Our app's id, as echoes of messages we sent carry it in `app_id`.
    pub app_id: u64,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix {
            text_chars: 16..=140,
            // 2026-01-01T10:00:00Z, near the fixture corpus.
            start_ms: 1_767_261_600_000,
            attachment: 0.15,
            echo: 0.2,
            receipt: 0.12,
            reaction: 0.08,
            statuses: 0.4,
            contacts: 6,
            app_id: 1_837_462_019_283_746,
        }
    }
}

/// The app id on echoes of messages sent from Meta's own inbox (Meta Business Suite),
/// as seen in the fixture corpus.
const META_INBOX_APP_ID: u64 = 263_902_037_430_900;

mod messaging;
mod sender;
#[cfg(test)]
mod tests;
mod texts;
mod whatsapp;

pub use messaging::*;
pub use sender::*;
pub use texts::*;
pub use whatsapp::*;

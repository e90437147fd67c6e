//! meta-sim: a local stand-in for Meta, built from Meta's documentation as summarised in
//! `META-API.md` (row names such as "§1 Signature" refer to that file).
//!
//! - [`webhooks`]: webhook bodies shaped like the ones Messenger, Instagram and the
//!   WhatsApp Cloud API POST (§2), and [`WebhookSender`], which signs and delivers them
//!   the way Meta does (§1: signature, retries of the same bytes, verification GET).
//! - [`graph`]: [`MetaSim`], an HTTP server playing the Graph API, OAuth and the login
//!   dialogs over an in-memory [`World`], with switchable [`Faults`] (§3, §4, §5).
//! - [`to_meta_json`] / [`MetaFormatter`]: JSON written the way Meta writes it, with every
//!   non-ASCII character as a `\uXXXX` escape (§1 "Escaped unicode").

pub mod graph;
pub mod webhooks;

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

pub use graph::{Fault, Faults, MetaSim, Platform, Template, TemplateStatus, TokenLife, World};
pub use webhooks::{
    Batch, Delivery, GeneratedMessage, Mix, RetryPolicy, SendError, WebhookSender, instagram_batch,
    instagram_batch_with, messenger_batch, messenger_batch_with, random_challenge, whatsapp_batch, whatsapp_batch_with,
};

/// A compact `serde_json` formatter that writes JSON the way Meta sends webhook bodies
/// (§1 "Escaped unicode"): every character outside ASCII becomes a `\uXXXX` escape with
/// lowercase hex digits, characters beyond the Basic Multilingual Plane (most emoji) as a
/// UTF-16 surrogate pair (`🥐` → `\ud83e\udd50`). The output is pure ASCII. Quotes,
/// backslashes and control characters keep serde_json's escapes (`\"`, `\\`, `\n`,
/// `\u001f`), which match Meta's.
///
/// `escape_slash` also writes `/` as `\/`, as PHP's `json_encode` does by default. Meta's
/// documentation does not say whether webhook bodies do that, so it is off unless a test
/// wants a body that differs even more from a re-serialization.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaFormatter {
    pub escape_slash: bool,
}

impl Formatter for MetaFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // `fragment` holds no character serde_json escapes itself; copy ASCII runs as they
        // are and escape everything else.
        let bytes = fragment.as_bytes();
        let mut start = 0;
        for (i, ch) in fragment.char_indices() {
            let slash = self.escape_slash && ch == '/';
            if ch.is_ascii() && !slash {
                continue;
            }
            writer.write_all(&bytes[start..i])?;
            if slash {
                writer.write_all(b"\\/")?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            start = i + ch.len_utf8();
        }
        writer.write_all(&bytes[start..])
    }
}

/// `value` as the bytes Meta would send: compact JSON, non-ASCII as `\uXXXX` escapes
/// (§1 "Escaped unicode"). Accepts a `serde_json::Value` or any `Serialize` type; typed
/// structs keep their field order, which is how meta-sim keeps Meta's key order
/// (`object` before `entry`, `sender` before `recipient`...).
///
/// # Panics
/// When `value`'s `Serialize` implementation fails (a map with non-string keys, a custom
/// impl returning an error); a `Value` and meta-sim's own types never do.
pub fn to_meta_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    to_json_with(value, MetaFormatter::default())
}

/// [`to_meta_json`] with a chosen formatter (e.g. `escape_slash` on).
///
/// # Panics
/// As [`to_meta_json`].
pub fn to_json_with<T: Serialize + ?Sized>(value: &T, formatter: MetaFormatter) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer).expect("serializing JSON into a Vec<u8> only fails on a broken Serialize impl");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn escapes_like_the_documented_example() {
        // META-API §1 "Escaped unicode": `äöå` is sent as `\u00e4\u00f6\u00e5`.
        let bytes = to_meta_json(&json!({ "t": "äöå" }));
        assert_eq!(bytes, br#"{"t":"\u00e4\u00f6\u00e5"}"#);
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        let bytes = to_meta_json(&json!("🥐 ❤️"));
        assert_eq!(bytes, br#""\ud83e\udd50 \u2764\ufe0f""#);
    }

    #[test]
    fn escaped_bytes_are_ascii_and_parse_back_to_the_same_value() {
        let value = json!({
            "object": "page",
            "names": ["Zoë", "Jürgen Müller", "محمد", "李伟", "Nguyễn Thị Lan"],
            "text": "Bonjour ! Vous êtes ouverts ? 🥐🙏 \"quoted\" back\\slash\nnew line\ttab \u{1f}",
            "url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/1_n.jpg?oh=00_A&oe=67A2",
            "n": 17841400000000001234u64,
            "nested": { "empty": "", "flag": true, "none": null },
        });
        let bytes = to_meta_json(&value);
        assert!(bytes.iter().all(|b| *b < 0x80), "{}", String::from_utf8_lossy(&bytes));
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
        // Plain ASCII is left alone, so the body stays as compact as serde_json's.
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("https://scontent.xx.fbcdn.net/v/t1.15752-9/1_n.jpg"));
        assert!(text.contains(r#"\"quoted\" back\\slash\nnew line\ttab \u001f"#));
        assert!(text.contains(r"Zo\u00eb"));
        assert!(text.contains(r"\ud83e\udd50\ud83d\ude4f"));
    }

    #[test]
    fn slash_escaping_is_opt_in() {
        let value = json!({ "url": "https://a/b" });
        assert_eq!(to_meta_json(&value), br#"{"url":"https://a/b"}"#);
        let slashed = to_json_with(&value, MetaFormatter { escape_slash: true });
        assert_eq!(slashed, br#"{"url":"https:\/\/a\/b"}"#);
        assert_eq!(serde_json::from_slice::<Value>(&slashed).unwrap(), value);
    }
}

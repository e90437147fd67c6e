//! `X-Hub-Signature-256`: Meta signs every webhook POST with HMAC-SHA256 of the raw body,
//! keyed with the app secret, sent as `sha256=<lowercase hex>` (META-API.md §1).
//! The bytes are hashed exactly as received; parsed-and-reserialized JSON would differ.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Meta sends.
pub const HEADER: &str = "x-hub-signature-256";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not `sha256=` followed by 64 hex digits")]
    Malformed,
    #[error("the X-Hub-Signature-256 header does not match the body: wrong app secret or altered body")]
    Mismatch,
}

impl SignatureError {
    /// A stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "signature_missing",
            SignatureError::Malformed => "signature_malformed",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

fn mac(app_secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length")
}

/// The header value Meta would send for `body` (used by meta-sim and the tests).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(app_secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `header` against `body` in constant time.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex_digest = header.strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    // Meta sends lowercase; accept either case rather than reject a proxy's rewrite.
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    let mut mac = mac(app_secret);
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_failure() {
        let body = br#"{"object":"page","entry":[]}"#;
        let header = sign(b"secret", body);
        assert!(header.starts_with("sha256=") && header.len() == 71);
        assert_eq!(verify(b"secret", body, Some(&header)), Ok(()));
        assert_eq!(verify(b"secret", body, Some(&header.to_uppercase().replace("SHA256=", "sha256="))), Ok(()));
        assert_eq!(verify(b"other", body, Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", b"{}", Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", body, None), Err(SignatureError::Missing));
        assert_eq!(verify(b"secret", body, Some("sha1=abc")), Err(SignatureError::Malformed));
        assert_eq!(
            verify(b"secret", body, Some(&format!("sha256={}", "zz".repeat(32)))),
            Err(SignatureError::Malformed)
        );
    }
}

//! cahts-protocol: what the CAHTS relay and desktop agree on, with no async runtime and no
//! server dependencies, so the relay, the engine and meta-sim all share it.
//!
//! - [`signature`]: `X-Hub-Signature-256` over the raw webhook body, checked in constant time.
//! - [`seal`]: sealing events to a device's X25519 key (HKDF-SHA256, AES-256-GCM); the
//!   envelope layout is documented there.
//! - [`wire`]: the versioned websocket messages, the pairing request and answer, and what
//!   a sealed payload holds. The session is drawn in that module's docs.
//!
//! Test vectors for sealing and signatures are in `tests/vectors.json`; another
//! implementation can check itself against them.

pub mod seal;
pub mod signature;
pub mod wire;

pub use seal::{DevicePublicKey, DeviceSecret, OpenError, SealingKey};
pub use signature::SignatureError;
pub use wire::PROTOCOL_VERSION;

/// Base64url without padding: keys, tokens and envelopes on the wire.
pub mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    pub fn encode(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        URL_SAFE_NO_PAD.decode(text)
    }
}

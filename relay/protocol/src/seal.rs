//! Sealing events to a device: only the device holding the private key can open them, so
//! the relay's disk and memory never hold a readable message.
//!
//! Envelope (version 1), all binary:
//!
//! ```text
//! 0      1        9                  41        53
//! | 0x01 | key id | ephemeral pubkey | nonce   | AES-256-GCM ciphertext + 16-byte tag |
//! ```
//!
//! - `key id`: the first 8 bytes of SHA-256 of the recipient's public key, in clear, so a
//!   misaddressed envelope is told apart from a damaged one.
//! - key = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral ‖ recipient,
//!   info = "cahts-seal-v1").
//! - AAD = the 41-byte header, so any change to it fails authentication.
//!
//! A [`SealingKey`] keeps one ephemeral key per recipient for many envelopes, each with a
//! fresh random nonce: one X25519 per device per rotation instead of per event, which is
//! what lets a 2-core relay seal tens of thousands of events a second. Random 96-bit
//! nonces stay safe far beyond the rotation limit ([`SealingKey::MAX_USES`]).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

pub const ENVELOPE_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes an envelope adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;
const INFO: &[u8] = b"cahts-seal-v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("sealed event is too short ({0} bytes) to be an envelope")]
    Truncated(usize),
    #[error("sealed event uses envelope version {0}; this build opens version 1 — update CAHTS")]
    UnknownVersion(u8),
    #[error("sealed event is addressed to another device (key id {0}), not this one")]
    NotForThisDevice(String),
    #[error("sealed event failed authentication: it was altered or damaged in transit or storage")]
    Tampered,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a device public key: expected 32 bytes in base64 (url-safe, no padding)")]
pub struct BadPublicKey;

/// A device's public key, as exchanged at pairing (base64url without padding).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DevicePublicKey([u8; 32]);

impl DevicePublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_base64(&self) -> String {
        crate::b64::encode(self.0)
    }

    pub fn from_base64(text: &str) -> Result<Self, BadPublicKey> {
        let bytes = crate::b64::decode(text.trim()).map_err(|_| BadPublicKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| BadPublicKey)?;
        Ok(Self(bytes))
    }

    /// Short, stable name of the key: shown in envelopes and in `devices list`.
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::digest(self.0);
        digest[..KEY_ID_LEN].try_into().expect("digest is 32 bytes")
    }

    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id())
    }
}

impl std::fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePublicKey({})", self.key_id_hex())
    }
}

/// A device's private key. Never printed; zeroed on drop (x25519-dalek's `zeroize`).
pub struct DeviceSecret(StaticSecret);

impl DeviceSecret {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(StaticSecret::random_from_rng(rng))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(StaticSecret::from(bytes))
    }

    /// The raw key, for the secret store only.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public_key(&self) -> DevicePublicKey {
        DevicePublicKey(PublicKey::from(&self.0).to_bytes())
    }
}

impl std::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceSecret(<redacted>, public {})", self.public_key().key_id_hex())
    }
}

fn derive_key(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(recipient);
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(&salt), shared)
        .expand(INFO, key.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// Seals many envelopes to one recipient under one ephemeral key.
pub struct SealingKey {
    header: [u8; HEADER_LEN],
    cipher: Aes256Gcm,
    uses: u64,
}

impl SealingKey {
    /// Rotate after this many envelopes (callers check [`SealingKey::worn_out`]).
    pub const MAX_USES: u64 = 1 << 20;

    pub fn new(recipient: &DevicePublicKey, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self::with_ephemeral(recipient, StaticSecret::random_from_rng(rng))
    }

    fn with_ephemeral(recipient: &DevicePublicKey, ephemeral: StaticSecret) -> Self {
        let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
        let shared = Zeroizing::new(ephemeral.diffie_hellman(&PublicKey::from(recipient.0)).to_bytes());
        let key = derive_key(&shared, &ephemeral_public, &recipient.0);
        let mut header = [0u8; HEADER_LEN];
        header[0] = ENVELOPE_VERSION;
        header[1..1 + KEY_ID_LEN].copy_from_slice(&recipient.key_id());
        header[1 + KEY_ID_LEN..].copy_from_slice(&ephemeral_public);
        let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("key is 32 bytes");
        Self { header, cipher, uses: 0 }
    }

    pub fn worn_out(&self) -> bool {
        self.uses >= Self::MAX_USES
    }

    pub fn seal(&mut self, plaintext: &[u8], rng: &mut (impl RngCore + CryptoRng)) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        self.seal_with_nonce(plaintext, nonce)
    }

    fn seal_with_nonce(&mut self, plaintext: &[u8], nonce: [u8; NONCE_LEN]) -> Vec<u8> {
        self.uses += 1;
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &self.header })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&self.header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }
}

/// Seals one envelope under a fresh ephemeral key.
pub fn seal(recipient: &DevicePublicKey, plaintext: &[u8], rng: &mut (impl RngCore + CryptoRng)) -> Vec<u8> {
    SealingKey::new(recipient, rng).seal(plaintext, rng)
}

/// Deterministic sealing for the checked-in test vectors.
#[doc(hidden)]
pub fn seal_deterministic(
    recipient: &DevicePublicKey,
    ephemeral_secret: [u8; 32],
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    SealingKey::with_ephemeral(recipient, StaticSecret::from(ephemeral_secret)).seal_with_nonce(plaintext, nonce)
}

/// Opens an envelope with this device's private key.
pub fn open(secret: &DeviceSecret, envelope: &[u8]) -> Result<Vec<u8>, OpenError> {
    if envelope.len() < OVERHEAD {
        return Err(OpenError::Truncated(envelope.len()));
    }
    if envelope[0] != ENVELOPE_VERSION {
        return Err(OpenError::UnknownVersion(envelope[0]));
    }
    let recipient = secret.public_key();
    let key_id = &envelope[1..1 + KEY_ID_LEN];
    if key_id != recipient.key_id() {
        return Err(OpenError::NotForThisDevice(hex::encode(key_id)));
    }
    let header = &envelope[..HEADER_LEN];
    let ephemeral: [u8; 32] = envelope[1 + KEY_ID_LEN..HEADER_LEN].try_into().expect("32-byte slice");
    let nonce = &envelope[HEADER_LEN..HEADER_LEN + NONCE_LEN];
    let shared = Zeroizing::new(secret.0.diffie_hellman(&PublicKey::from(ephemeral)).to_bytes());
    let key = derive_key(&shared, &ephemeral, &recipient.0);
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("key is 32 bytes");
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: &envelope[HEADER_LEN + NONCE_LEN..], aad: header })
        .map_err(|_| OpenError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn opens_what_was_sealed_and_refuses_everything_else() {
        let device = DeviceSecret::generate(&mut OsRng);
        let other = DeviceSecret::generate(&mut OsRng);
        let mut key = SealingKey::new(&device.public_key(), &mut OsRng);
        let a = key.seal(b"hello", &mut OsRng);
        let b = key.seal(b"hello", &mut OsRng);
        assert_ne!(a, b, "fresh nonce per envelope");
        assert_eq!(a.len(), 5 + OVERHEAD);
        assert_eq!(open(&device, &a).unwrap(), b"hello");
        assert_eq!(open(&device, &b).unwrap(), b"hello");

        assert!(matches!(open(&other, &a), Err(OpenError::NotForThisDevice(_))));
        for i in [0usize, 3, 20, 45, a.len() - 1] {
            let mut bad = a.clone();
            bad[i] ^= 0x01;
            let err = open(&device, &bad).unwrap_err();
            assert!(
                matches!(err, OpenError::Tampered | OpenError::NotForThisDevice(_) | OpenError::UnknownVersion(_)),
                "byte {i}: {err:?}"
            );
        }
        // A forged key id pointing at the right device still fails authentication.
        let mut forged = seal(&other.public_key(), b"x", &mut OsRng);
        forged[1..9].copy_from_slice(&device.public_key().key_id());
        assert_eq!(open(&device, &forged), Err(OpenError::Tampered));
        assert_eq!(open(&device, &a[..10]), Err(OpenError::Truncated(10)));
    }

    #[test]
    fn keys_round_trip_through_base64_and_never_print() {
        let device = DeviceSecret::generate(&mut OsRng);
        let public = device.public_key();
        assert_eq!(DevicePublicKey::from_base64(&public.to_base64()).unwrap(), public);
        assert!(DevicePublicKey::from_base64("AAAA").is_err());
        let restored = DeviceSecret::from_bytes(*device.to_bytes());
        assert_eq!(restored.public_key(), public);
        let shown = format!("{device:?}");
        assert!(!shown.contains(&crate::b64::encode(*device.to_bytes())));
    }
}

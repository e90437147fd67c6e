//! Checks the implementation against `vectors.json`. `CAHTS_BLESS=1` rewrites the file
//! (only when the envelope format deliberately changes, with a version bump).

use cahts_protocol::{DevicePublicKey, DeviceSecret, b64, seal, signature};
use serde_json::{Value, json};

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn compute() -> Value {
    let device = DeviceSecret::from_bytes(hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    let ephemeral = hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let nonce: [u8; 12] = hex::decode("000102030405060708090a0b").unwrap().try_into().unwrap();
    let plaintext = r#"{"kind":"webhook","received_at_ms":1700000000000,"body":{"object":"page","entry":[]}}"#;
    let public = device.public_key();
    let envelope = seal::seal_deterministic(&public, ephemeral, nonce, plaintext.as_bytes());
    let body =
        r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"note":"\u00e4\u00f6\u00e5"}"#;
    json!({
        "seal": {
            "device_secret_hex": hex::encode(*device.to_bytes()),
            "device_public_b64": public.to_base64(),
            "key_id_hex": public.key_id_hex(),
            "ephemeral_secret_hex": hex::encode(ephemeral),
            "nonce_hex": hex::encode(nonce),
            "plaintext": plaintext,
            "envelope_b64": b64::encode(&envelope),
        },
        "signature": {
            "app_secret": "meta-app-secret",
            "body": body,
            "header": signature::sign(b"meta-app-secret", body.as_bytes()),
        }
    })
}

#[test]
fn implementation_matches_checked_in_vectors() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors.json");
    let computed = compute();
    if std::env::var_os("CAHTS_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(computed, stored, "sealing or signing changed: bump the envelope version, then bless");

    // The stored envelope opens with the stored key, independently of `compute`.
    let s = &stored["seal"];
    let device = DeviceSecret::from_bytes(hex32(s["device_secret_hex"].as_str().unwrap()));
    assert_eq!(device.public_key(), DevicePublicKey::from_base64(s["device_public_b64"].as_str().unwrap()).unwrap());
    let envelope = b64::decode(s["envelope_b64"].as_str().unwrap()).unwrap();
    let opened = seal::open(&device, &envelope).unwrap();
    assert_eq!(opened, s["plaintext"].as_str().unwrap().as_bytes());
    let sig = &stored["signature"];
    signature::verify(
        sig["app_secret"].as_str().unwrap().as_bytes(),
        sig["body"].as_str().unwrap().as_bytes(),
        sig["header"].as_str(),
    )
    .unwrap();
}

//! Fixture replay plus focused tests of the rules that matter most (ids, time units,
//! tolerance, sides of a conversation).
//!
//! Fixtures live in `tests/fixtures/meta/` at the workspace root: `<name>.json` is a
//! webhook body and `<name>.expected.json` the events it must yield plus how many items
//! were skipped. `CAHTS_BLESS=1` rewrites the expected files; read every rewritten file
//! before committing it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;
use crate::domain::events::{Actor, ConversationKey, DeliveryStatus, Direction, DomainEvent, MessageKind, Platform};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/meta")
}

fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[test]
fn every_fixture_yields_its_expected_events() {
    let dir = fixtures_dir();
    let bless = std::env::var("CAHTS_BLESS").is_ok_and(|v| v == "1");
    let bodies: Vec<PathBuf> =
        files_with_suffix(&dir, ".json").into_iter().filter(|p| !file_name(p).ends_with(".expected.json")).collect();
    assert!(bodies.len() >= 30, "expected the full fixture set in {}", dir.display());

    let mut failures = Vec::new();
    for body_path in &bodies {
        let name = file_name(body_path);
        let stem = name.trim_end_matches(".json");
        let body = std::fs::read(body_path).unwrap_or_else(|e| panic!("read {name}: {e}"));
        let parsed = parse_webhook(&body).unwrap_or_else(|e| panic!("fixture {name} must parse as a webhook: {e}"));
        let actual = json!({ "events": parsed.events, "skipped": parsed.skipped.len() });
        let expected_path = dir.join(format!("{stem}.expected.json"));
        if bless {
            let mut text = serde_json::to_string_pretty(&actual).expect("events serialize");
            text.push('\n');
            std::fs::write(&expected_path, text).unwrap_or_else(|e| panic!("write {stem}: {e}"));
            // The count alone is stored; show the reasons so the reviewer can judge them.
            for s in &parsed.skipped {
                eprintln!("blessed {name}: skipped {} ({})", s.path, s.reason);
            }
            continue;
        }
        let Ok(expected_text) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{name}: no {stem}.expected.json (run with CAHTS_BLESS=1)"));
            continue;
        };
        let expected: Value =
            serde_json::from_str(&expected_text).unwrap_or_else(|e| panic!("{stem}.expected.json is not JSON: {e}"));
        if expected != actual {
            failures.push(format!(
                "fixture {name} differs from {stem}.expected.json\n--- expected\n{}\n--- actual\n{}\n--- skipped\n{:#?}",
                serde_json::to_string_pretty(&expected).unwrap_or_default(),
                serde_json::to_string_pretty(&actual).unwrap_or_default(),
                parsed.skipped,
            ));
        }
    }
    // An expected file without its body means a fixture was renamed or lost.
    for expected in files_with_suffix(&dir, ".expected.json") {
        let name = file_name(&expected);
        let body = dir.join(name.replace(".expected.json", ".json"));
        if !body.exists() {
            failures.push(format!("{name} has no fixture body beside it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn malformed_fixtures_give_errors_naming_the_problem() {
    let dir = fixtures_dir().join("malformed");
    let bodies: Vec<PathBuf> = files_with_suffix(&dir, ".json");
    assert!(bodies.len() >= 4, "expected malformed fixtures in {}", dir.display());
    for body_path in bodies {
        let name = file_name(&body_path);
        let stem = name.trim_end_matches(".json");
        let wanted = std::fs::read_to_string(dir.join(format!("{stem}.expected_error.txt")))
            .unwrap_or_else(|e| panic!("malformed/{name} needs {stem}.expected_error.txt: {e}"));
        let body = std::fs::read(&body_path).unwrap_or_else(|e| panic!("read {name}: {e}"));
        match parse_webhook(&body) {
            Ok(parsed) => panic!("malformed/{name} must be rejected, got {parsed:?}"),
            Err(e) => assert!(
                e.to_string().contains(wanted.trim_end()),
                "malformed/{name}: error {:?} must contain {:?}",
                e.to_string(),
                wanted.trim_end()
            ),
        }
    }
}

fn parse(body: Value) -> ParsedWebhook {
    let bytes = serde_json::to_vec(&body).expect("test body serializes");
    parse_webhook(&bytes).expect("test body is a webhook")
}

fn error_of(body: &[u8]) -> String {
    match parse_webhook(body) {
        Ok(parsed) => panic!("{:?} must be rejected, got {parsed:?}", String::from_utf8_lossy(body)),
        Err(e) => e.to_string(),
    }
}

fn ig_item(sender: Value, message: Value) -> Value {
    json!({
        "object": "instagram",
        "entry": [{
            "id": "17841400000000001234",
            "time": 1767280000999u64,
            "messaging": [{
                "sender": { "id": sender },
                "recipient": { "id": "17841400000000001234" },
                "timestamp": 1767280000100u64,
                "message": message
            }]
        }]
    })
}

#[test]
fn ids_beyond_2_pow_53_keep_every_digit() {
    // 2^53 + 1 cannot be represented as f64; as a string it must come through untouched.
    let parsed = parse(ig_item(json!("9007199254740993"), json!({ "mid": "m1", "text": "hi" })));
    let key = parsed.events[0].key().expect("message has a key");
    assert_eq!(key.contact_id, "9007199254740993", "string ids are copied verbatim");
    assert_eq!(key.account_id, "17841400000000001234", "account id > 2^53 stays exact");

    // The same id as a JSON number: still exact, because serde_json keeps integers that
    // fit u64 as integers.
    let body = br#"{"object":"instagram","entry":[{"id":17841400000000001234,"messaging":[
        {"sender":{"id":9007199254740993},"recipient":{"id":17841400000000001234},
         "timestamp":1767280000100,"message":{"mid":"m1","text":"hi"}}]}]}"#;
    let parsed = parse_webhook(body).expect("numeric ids are tolerated");
    let key = parsed.events[0].key().expect("message has a key");
    assert_eq!(key.contact_id, "9007199254740993", "numeric id must keep its literal digits");
    assert_eq!(key.account_id, "17841400000000001234", "numeric account id must stay exact");

    // Beyond u64 the digits are already lost inside serde_json: skip, never guess.
    let body = br#"{"object":"instagram","entry":[{"id":"17841400000000001234","messaging":[
        {"sender":{"id":98765432109876543210},"recipient":{"id":"17841400000000001234"},
         "timestamp":1767280000100,"message":{"mid":"m1","text":"hi"}}]}]}"#;
    let parsed = parse_webhook(body).expect("body is still a webhook");
    assert!(parsed.events.is_empty(), "an id that lost digits must not produce an event");
    assert_eq!(parsed.skipped.len(), 1);
    assert!(parsed.skipped[0].reason.contains("sender.id"), "{:?}", parsed.skipped[0]);
}

#[test]
fn whatsapp_timestamp_strings_become_milliseconds() {
    let parsed = parse(json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102938475610293", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "4930901820", "phone_number_id": "109876543210987" },
            "messages": [{ "from": "4915123456789", "id": "wamid.A", "timestamp": "1767290400",
                           "type": "text", "text": { "body": "x" } }],
            "statuses": [{ "id": "wamid.B", "status": "read", "timestamp": "1767290401",
                           "recipient_id": "4915123456789" }]
        }}]}]
    }));
    let times: Vec<i64> = parsed
        .events
        .iter()
        .filter_map(|e| match e {
            DomainEvent::Message(m) => Some(m.sent_at),
            DomainEvent::Status { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    assert_eq!(times, vec![1_767_290_400_000, 1_767_290_401_000], "seconds strings become ms");
}

#[test]
fn messenger_timestamps_stay_milliseconds() {
    let parsed = parse(ig_item(json!("1"), json!({ "mid": "m1", "text": "hi" })));
    let DomainEvent::Message(m) = &parsed.events[0] else { panic!("expected a message") };
    assert_eq!(m.sent_at, 1_767_280_000_100, "Messenger/IG timestamps are already ms");
}

#[test]
fn an_item_without_mid_is_skipped_while_its_siblings_parse() {
    let parsed = parse(json!({
        "object": "page",
        "entry": [{ "id": "104628375019264", "messaging": [
            { "sender": { "id": "7" }, "recipient": { "id": "104628375019264" },
              "timestamp": 1u64, "message": { "text": "no id" } },
            { "sender": { "id": "7" }, "recipient": { "id": "104628375019264" },
              "timestamp": 2u64, "message": { "mid": "m_ok", "text": "fine" } },
            { "sender": { "id": "7" }, "recipient": { "id": "104628375019264" },
              "timestamp": "noon", "message": { "mid": "m_bad_time", "text": "x" } }
        ]}]
    }));
    assert_eq!(parsed.events.len(), 1, "only the well-formed sibling yields an event");
    let DomainEvent::Message(m) = &parsed.events[0] else { panic!("expected a message") };
    assert_eq!(m.mid, "m_ok");
    let skipped: Vec<(&str, &str)> = parsed.skipped.iter().map(|s| (s.path.as_str(), s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        vec![
            ("entry[0].messaging[0]", "missing `message.mid`"),
            ("entry[0].messaging[2]", "`timestamp` is not an integer"),
        ],
        "each skip names the item and the field"
    );
}

#[test]
fn an_unknown_object_yields_no_events_and_one_skip() {
    let parsed = parse(json!({
        "object": "user",
        "entry": [{ "id": "10160123456789012", "changes": [{ "field": "email", "value": {} }] }]
    }));
    assert_eq!(parsed.object, "user");
    assert!(parsed.events.is_empty(), "unknown objects are not interpreted");
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].path, "object");
    assert!(parsed.skipped[0].reason.contains("`user`"), "{:?}", parsed.skipped[0]);
}

#[test]
fn malformed_bodies_are_errors_that_say_what_is_wrong() {
    let cases: [(&[u8], &str); 9] = [
        (b"", "webhook body is not JSON: EOF while parsing a value at line 1 column 0"),
        (b"hello", "webhook body is not JSON: expected value at line 1 column 1"),
        (b"42", "webhook body is a number, expected a JSON object"),
        (b"[]", "webhook body is an array of 0 items"),
        (br#"[{"object":"page","entry":[]},{}]"#, "webhook body is an array of 2 items"),
        (br#"{"entry":[]}"#, "webhook body has no `object` string"),
        (br#"{"object":7,"entry":[]}"#, "webhook body `object` is a number, expected a string"),
        (br#"{"object":"page"}"#, "webhook body has no `entry` array"),
        (br#"{"object":"page","entry":"x"}"#, "webhook body `entry` is a string, expected an array"),
    ];
    for (body, wanted) in cases {
        let message = error_of(body);
        assert!(message.contains(wanted), "error {message:?} must contain {wanted:?}");
    }
    // Exactly one wrapped object is accepted (IGLX samples).
    let wrapped = parse_webhook(br#"[{"object":"page","entry":[]}]"#).expect("one wrapped object");
    assert_eq!(wrapped.object, "page");
}

fn reaction_item(action: Value, reaction: Option<&str>, emoji: Option<&str>) -> Value {
    let mut r = json!({ "mid": "m_target", "action": action });
    if let Some(reaction) = reaction {
        r["reaction"] = json!(reaction);
    }
    if let Some(emoji) = emoji {
        r["emoji"] = json!(emoji);
    }
    json!({
        "object": "page",
        "entry": [{ "id": "104628375019264", "messaging": [
            { "sender": { "id": "7" }, "recipient": { "id": "104628375019264" },
              "timestamp": 5u64, "reaction": r }
        ]}]
    })
}

#[test]
fn unreact_clears_the_emoji() {
    let parsed = parse(reaction_item(json!("unreact"), Some("love"), Some("\u{2764}\u{fe0f}")));
    let DomainEvent::Reaction { emoji, reaction, actor, mid, .. } = &parsed.events[0] else {
        panic!("expected a reaction, got {:?}", parsed.events)
    };
    assert_eq!(*emoji, None, "unreact removes the reaction whatever emoji is echoed");
    assert_eq!(reaction.as_deref(), Some("love"), "the name is kept when given");
    assert_eq!(*actor, Actor::Contact);
    assert_eq!(mid, "m_target");

    let parsed = parse(reaction_item(json!("react"), Some("wow"), None));
    let DomainEvent::Reaction { emoji, .. } = &parsed.events[0] else { panic!("reaction") };
    assert_eq!(emoji.as_deref(), Some("\u{1f62e}"), "a documented name maps to its emoji");

    let parsed = parse(reaction_item(json!("react"), Some("other"), None));
    let DomainEvent::Reaction { emoji, reaction, .. } = &parsed.events[0] else { panic!("reaction") };
    assert_eq!((emoji.as_deref(), reaction.as_deref()), (None, Some("other")));

    let parsed = parse(reaction_item(json!("poke"), None, None));
    assert!(parsed.events.is_empty(), "an unknown action is not guessed at");
    assert!(parsed.skipped[0].reason.contains("`poke`"), "{:?}", parsed.skipped);
}

#[test]
fn an_echo_is_outbound_to_the_recipient() {
    let parsed = parse(json!({
        "object": "page",
        "entry": [{ "id": "104628375019264", "messaging": [
            { "sender": { "id": "104628375019264" }, "recipient": { "id": "7319245508813207" },
              "timestamp": 9u64,
              "message": { "is_echo": true, "app_id": 263902037430900u64, "mid": "m_echo", "text": "ok" } }
        ]}]
    }));
    let DomainEvent::Message(m) = &parsed.events[0] else { panic!("expected a message") };
    assert_eq!(m.direction, Direction::Outbound, "echoes are the business's own messages");
    assert_eq!(
        m.key,
        ConversationKey {
            platform: Platform::Messenger,
            account_id: "104628375019264".into(),
            contact_id: "7319245508813207".into(),
        },
        "an echo belongs to the conversation with its recipient"
    );
    assert_eq!(m.extras.app_id.as_deref(), Some("263902037430900"));
}

#[test]
fn sender_equal_to_the_account_counts_as_the_business() {
    // No `is_echo`, but the sender is the entry's own account: still outbound.
    let parsed = parse(json!({
        "object": "instagram",
        "entry": [{ "id": "17841400000000001234", "messaging": [
            { "sender": { "id": "17841400000000001234" }, "recipient": { "id": "9123456789012345678" },
              "timestamp": 9u64, "message": { "mid": "m_x", "text": "ok" } }
        ]}]
    }));
    let DomainEvent::Message(m) = &parsed.events[0] else { panic!("expected a message") };
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.key.contact_id, "9123456789012345678");
}

#[test]
fn whatsapp_keys_on_the_bsuid_even_when_only_contacts_carry_it() {
    let parsed = parse(json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "109876543210987" },
            "contacts": [{ "profile": { "name": "Kenji" }, "wa_id": "819087654321",
                           "user_id": "JP.88231907745512093317" }],
            "messages": [{ "from": "819087654321", "id": "wamid.K", "timestamp": "1",
                           "type": "text", "text": { "body": "x" } }]
        }}]}]
    }));
    let keys: Vec<&str> = parsed.events.iter().filter_map(|e| e.key()).map(|k| k.contact_id.as_str()).collect();
    assert_eq!(
        keys,
        vec!["JP.88231907745512093317", "JP.88231907745512093317"],
        "contact and message must land in the same conversation"
    );
    let DomainEvent::Contact { profile, .. } = &parsed.events[0] else { panic!("contact") };
    assert_eq!(profile.phone.as_deref(), Some("819087654321"), "phone kept beside a BSUID key");
}

#[test]
fn unknown_whatsapp_message_types_are_skipped_but_errored_ones_kept() {
    let parsed = parse(json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "109876543210987" },
            "messages": [
                { "from": "4915123456789", "id": "wamid.1", "timestamp": "1", "type": "hologram" },
                { "from": "4915123456789", "id": "wamid.2", "timestamp": "2", "type": "hologram",
                  "errors": [{ "code": 131051, "title": "Message type unknown" }] }
            ]
        }}]}]
    }));
    assert_eq!(parsed.skipped.len(), 1);
    assert!(parsed.skipped[0].reason.contains("`hologram`"), "{:?}", parsed.skipped);
    let DomainEvent::Message(m) = &parsed.events[0] else { panic!("message") };
    assert_eq!((m.mid.as_str(), m.kind), ("wamid.2", MessageKind::Unsupported));
    assert_eq!(m.extras.error.as_ref().and_then(|e| e.code), Some(131051));
}

#[test]
fn messenger_delivery_without_timestamp_uses_the_watermark() {
    let parsed = parse(json!({
        "object": "page",
        "entry": [{ "id": "104628375019264", "messaging": [
            { "sender": { "id": "7" }, "recipient": { "id": "104628375019264" },
              "delivery": { "mids": ["m_a"], "watermark": 1000u64 } }
        ]}]
    }));
    assert!(
        matches!(
            &parsed.events[..],
            [
                DomainEvent::Watermark { status: DeliveryStatus::Delivered, watermark: 1000, .. },
                DomainEvent::Status { status: DeliveryStatus::Delivered, at: 1000, .. }
            ]
        ),
        "delivery yields a watermark plus one status per mid: {:?}",
        parsed.events
    );
}

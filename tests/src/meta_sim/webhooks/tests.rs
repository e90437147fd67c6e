//! The generators and the sender against their documented shapes and behaviour.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use cahts_engine::DomainEvent;
use cahts_engine::meta::webhook::{ParsedWebhook, parse_webhook};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::*;

const PAGE: &str = "104628375019264";
const IG: &str = "17841400000000001234";
const WABA: &str = "102938475610293";
const PHONE_ID: &str = "109876543210987";
const DISPLAY: &str = "4930901820";
const SECRET: &str = "meta-sim-app-secret";

fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Counts of the event kinds the engine produced.
#[derive(Debug, Default)]
struct Counts {
    messages: Vec<String>,
    reactions: usize,
    statuses: usize,
    watermarks: usize,
    contacts: usize,
    accounts: usize,
    other: usize,
}

fn counts(parsed: &ParsedWebhook) -> Counts {
    let mut c = Counts::default();
    for event in &parsed.events {
        match event {
            DomainEvent::Message(m) => c.messages.push(m.mid.clone()),
            DomainEvent::Reaction { .. } => c.reactions += 1,
            DomainEvent::Status { .. } => c.statuses += 1,
            DomainEvent::Watermark { .. } => c.watermarks += 1,
            DomainEvent::Contact { .. } => c.contacts += 1,
            DomainEvent::Account { .. } => c.accounts += 1,
            _ => c.other += 1,
        }
    }
    c
}

fn parse(batch: &Batch) -> (ParsedWebhook, Counts) {
    let parsed = parse_webhook(&batch.body).expect("the engine accepts the envelope");
    assert_eq!(parsed.object, batch.object);
    assert!(parsed.skipped.is_empty(), "skipped: {:#?}", parsed.skipped);
    let c = counts(&parsed);
    assert_eq!(c.messages, batch.message_ids(), "message events, in body order");
    (parsed, c)
}

fn assert_ascii(body: &[u8]) {
    assert!(body.iter().all(|b| *b < 0x80), "non-ASCII byte in the body");
}

/// The engine's view of each message matches what the generator says it made.
fn assert_messages_match(parsed: &ParsedWebhook, batch: &Batch) {
    let messages: Vec<_> = parsed
        .events
        .iter()
        .filter_map(|e| match e {
            DomainEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    for (event, generated) in messages.iter().zip(&batch.messages) {
        assert_eq!(event.key.account_id, generated.account_id);
        assert_eq!(event.key.contact_id, generated.contact_id);
        assert_eq!(event.text, generated.text);
        assert_eq!(event.attachments.len(), generated.attachments);
        assert_eq!(event.sent_at, generated.sent_at_ms);
        let outbound = event.direction == cahts_engine::Direction::Outbound;
        assert_eq!(outbound, generated.outbound, "{}", generated.mid);
    }
}

#[test]
fn messenger_batches_parse_without_skips() {
    for seed in 0..20 {
        let batch = messenger_batch(&mut rng(seed), PAGE, 4, 6);
        assert_ascii(&batch.body);
        let (parsed, c) = parse(&batch);
        assert_messages_match(&parsed, &batch);
        assert_eq!(c.reactions, batch.reactions);
        // Every read / delivery gives one watermark, plus statuses for listed mids.
        assert_eq!(c.watermarks, batch.receipts);
        assert_eq!(c.contacts + c.accounts + c.other, 0);
        let unique: HashSet<_> = batch.message_ids().into_iter().collect();
        assert_eq!(unique.len(), batch.messages.len(), "mids are unique");
        assert!(batch.messages.iter().all(|m| m.mid.starts_with("m_")));
        let default = Mix::default().text_chars;
        assert!(batch.texts().iter().all(|t| default.contains(&t.chars().count())));
    }
}

#[test]
fn instagram_batches_parse_without_skips() {
    for seed in 0..20 {
        let batch = instagram_batch(&mut rng(seed), IG, 3, 6);
        assert_ascii(&batch.body);
        let (parsed, c) = parse(&batch);
        assert_messages_match(&parsed, &batch);
        assert_eq!(c.reactions, batch.reactions);
        // Instagram seen: one status per `read{mid}`, no watermark.
        assert_eq!((c.statuses, c.watermarks), (batch.receipts, 0));
        // Like the corpus' IG mids: the base64 text goes on with `:<IG account id>:`.
        let prefix = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxMjM0Oj";
        assert!(batch.messages.iter().all(|m| m.mid.starts_with(prefix)));
        let unique: HashSet<_> = batch.message_ids().into_iter().collect();
        assert_eq!(unique.len(), batch.messages.len(), "mids are unique");
    }
}

#[test]
fn whatsapp_batches_parse_without_skips() {
    for seed in 0..20 {
        let batch = whatsapp_batch(&mut rng(seed), WABA, PHONE_ID, DISPLAY, 3, 4);
        assert_ascii(&batch.body);
        let (parsed, c) = parse(&batch);
        assert_messages_match(&parsed, &batch);
        assert_eq!(c.statuses, batch.receipts);
        assert_eq!(c.contacts, 3, "one contact per messages change");
        let changes = batch_json(&batch)["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["changes"].as_array().unwrap().len())
            .sum::<usize>();
        assert_eq!(c.accounts, changes, "one account event per change value");
        assert!(batch.messages.iter().all(|m| m.mid.starts_with("wamid.")));
    }
}

fn batch_json(batch: &Batch) -> Value {
    serde_json::from_slice(&batch.body).unwrap()
}

#[test]
fn mixes_cover_every_item_kind() {
    // Across a few batches every kind the generators make shows up at least once.
    let mut r = rng(7);
    let mut seen = HashSet::new();
    for _ in 0..5 {
        let m = batch_json(&messenger_batch(&mut r, PAGE, 4, 8));
        let i = batch_json(&instagram_batch(&mut r, IG, 4, 8));
        for body in [m, i] {
            for entry in body["entry"].as_array().unwrap() {
                for item in entry["messaging"].as_array().unwrap() {
                    let msg = &item["message"];
                    let key = if msg.is_object() {
                        if msg["is_echo"] == true {
                            "echo"
                        } else if msg["attachments"].is_array() {
                            "attachment"
                        } else {
                            "text"
                        }
                    } else if item["reaction"].is_object() {
                        "reaction"
                    } else if item["delivery"].is_object() {
                        "delivery"
                    } else {
                        "read"
                    };
                    seen.insert(format!("{}:{key}", body["object"].as_str().unwrap()));
                }
            }
        }
        let w = batch_json(&whatsapp_batch(&mut r, WABA, PHONE_ID, DISPLAY, 4, 3));
        for entry in w["entry"].as_array().unwrap() {
            for change in entry["changes"].as_array().unwrap() {
                for m in change["value"]["messages"].as_array().into_iter().flatten() {
                    seen.insert(format!("wa:{}", m["type"].as_str().unwrap()));
                }
                for s in change["value"]["statuses"].as_array().into_iter().flatten() {
                    seen.insert(format!("wa:{}", s["status"].as_str().unwrap()));
                }
            }
        }
    }
    for kind in [
        "page:text",
        "page:attachment",
        "page:echo",
        "page:reaction",
        "page:delivery",
        "page:read",
        "instagram:text",
        "instagram:attachment",
        "instagram:echo",
        "instagram:reaction",
        "instagram:read",
        "wa:text",
        "wa:image",
        "wa:sent",
        "wa:delivered",
        "wa:read",
    ] {
        assert!(seen.contains(kind), "no {kind} in {seen:?}");
    }
}

#[test]
fn shapes_follow_meta_api() {
    let m = batch_json(&messenger_batch(&mut rng(1), PAGE, 2, 8));
    assert_eq!(m["object"], "page");
    for entry in m["entry"].as_array().unwrap() {
        assert_eq!(entry["id"], PAGE);
        let time = entry["time"].as_i64().unwrap();
        for item in entry["messaging"].as_array().unwrap() {
            let (sender, recipient) = (&item["sender"]["id"], &item["recipient"]["id"]);
            assert!(sender.is_string() && recipient.is_string(), "ids are strings");
            if item["message"]["is_echo"] == true {
                assert_eq!(sender, PAGE);
                assert!(item["message"]["app_id"].is_u64());
            } else {
                assert_eq!(recipient, PAGE);
            }
            if let Some(ts) = item["timestamp"].as_i64() {
                assert!(ts < time, "entry.time follows its items");
            }
        }
    }

    let w = batch_json(&whatsapp_batch(&mut rng(1), WABA, PHONE_ID, DISPLAY, 3, 2));
    assert_eq!(w["object"], "whatsapp_business_account");
    let change = &w["entry"][0]["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"]["phone_number_id"], PHONE_ID);
    assert_eq!(value["metadata"]["display_phone_number"], DISPLAY);
    let wa_id = value["contacts"][0]["wa_id"].as_str().unwrap();
    assert!(value["contacts"][0]["profile"]["name"].is_string());
    for m in value["messages"].as_array().unwrap() {
        assert_eq!(m["from"], wa_id);
        let ts = m["timestamp"].as_str().expect("WhatsApp timestamps are strings");
        assert_eq!(ts.len(), 10, "Unix seconds");
        let id = m["id"].as_str().unwrap();
        assert!(id.starts_with("wamid.HBg"), "{id}");
    }
}

#[test]
fn wamids_decode_like_meta_ids() {
    // The fixture id `wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABIY…` starts with the number.
    let id = wamid(&mut rng(3), "4915123456789", true);
    assert!(id.starts_with("wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABIY"), "{id}");
    let out = wamid(&mut rng(3), "4915123456789", false);
    assert!(out.starts_with("wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABEYEj"), "{out}");
    assert_eq!(base64(b"hello", B64STD, true), "aGVsbG8=");
    assert_eq!(base64(b"hello", B64STD, false), "aGVsbG8");
    assert_eq!(base64(b"\xfb\xff", B64URL, false), "-_8");
}

#[test]
fn same_seed_same_bytes() {
    let a = messenger_batch(&mut rng(42), PAGE, 3, 4);
    let b = messenger_batch(&mut rng(42), PAGE, 3, 4);
    assert_eq!(a, b);
    let c = whatsapp_batch(&mut rng(42), WABA, PHONE_ID, DISPLAY, 3, 4);
    assert_eq!(c, whatsapp_batch(&mut rng(42), WABA, PHONE_ID, DISPLAY, 3, 4));
    assert_ne!(a.body, messenger_batch(&mut rng(43), PAGE, 3, 4).body);
}

#[test]
fn text_length_is_configurable() {
    let mix = Mix { text_chars: 500..=500, attachment: 0.0, ..Mix::default() };
    let batch = messenger_batch_with(&mut rng(5), &mix, PAGE, 2, 5);
    for text in batch.texts() {
        assert_eq!(text.chars().count(), 500, "{text}");
    }
    parse(&batch);

    let short = Mix { text_chars: 1..=12, ..Mix::default() };
    let batch = whatsapp_batch_with(&mut rng(5), &short, WABA, PHONE_ID, DISPLAY, 3, 3);
    assert!(batch.texts().iter().all(|t| (1..=12).contains(&t.chars().count())));
    parse(&batch);
}

#[test]
fn default_sizes_are_realistic() {
    // Messenger / Instagram: about 0.5–2 KB per entry with 1–3 items each.
    let mut r = rng(11);
    for per_entry in 1..=3 {
        for batch in [messenger_batch(&mut r, PAGE, 20, per_entry), instagram_batch(&mut r, IG, 20, per_entry)] {
            let per = batch.body.len() / 20;
            assert!((400..=2048).contains(&per), "{} {per_entry}/entry: {per} B", batch.object);
        }
    }
}

#[test]
fn texts_carry_non_ascii_and_escapes() {
    let mut r = rng(9);
    let mut texts = String::new();
    let mut bodies = Vec::new();
    for _ in 0..10 {
        let batch = messenger_batch(&mut r, PAGE, 3, 6);
        texts.extend(batch.texts().iter().map(|t| format!("{t}\n")));
        bodies.extend_from_slice(&batch.body);
    }
    assert!(!texts.is_ascii());
    assert!(texts.chars().any(|c| u32::from(c) > 0xffff), "some astral emoji");
    let bodies = String::from_utf8(bodies).unwrap();
    assert!(bodies.contains(r"\ud83"), "emoji as surrogate pairs");
}

// -- the sender, against a small real HTTP server ------------------------------------

#[derive(Debug, Clone)]
struct Posted {
    body: Vec<u8>,
    signature: Option<String>,
    content_type: Option<String>,
    signature_ok: bool,
}

struct Endpoint {
    /// Answer 500 to this many POSTs with a valid signature, then 200.
    fail_first: u32,
    verify_token: &'static str,
    posts: Mutex<Vec<Posted>>,
}

async fn receive(State(endpoint): State<Arc<Endpoint>>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let signature = header(signature::HEADER);
    let signature_ok = signature::verify(SECRET.as_bytes(), &body, signature.as_deref()).is_ok();
    let valid_before = {
        let mut posts = endpoint.posts.lock().unwrap();
        let valid = posts.iter().filter(|p| p.signature_ok).count();
        posts.push(Posted { body: body.to_vec(), signature, content_type: header("content-type"), signature_ok });
        u32::try_from(valid).unwrap()
    };
    if !signature_ok {
        (StatusCode::FORBIDDEN, "bad signature")
    } else if valid_before < endpoint.fail_first {
        (StatusCode::INTERNAL_SERVER_ERROR, "try again later")
    } else {
        (StatusCode::OK, "EVENT_RECEIVED")
    }
}

async fn handshake(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query.get("hub.verify_token").map(String::as_str);
    match (mode, token, query.get("hub.challenge")) {
        (Some("subscribe"), Some(t), Some(challenge)) if t == endpoint.verify_token => {
            (StatusCode::OK, challenge.clone())
        }
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

async fn endpoint(fail_first: u32) -> (String, Arc<Endpoint>) {
    let state = Arc::new(Endpoint { fail_first, verify_token: "let-me-in", posts: Mutex::new(Vec::new()) });
    let app = Router::new().route("/webhook", get(handshake).post(receive)).with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/webhook"), state)
}

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy { attempts, first_delay: Duration::from_millis(20), factor: 2.0 }
}

#[tokio::test]
async fn retries_the_same_signed_bytes_until_200() {
    let (url, endpoint) = endpoint(2).await;
    let batch = messenger_batch(&mut rng(1), PAGE, 2, 3);
    let sender = WebhookSender::new(url, SECRET).with_retry(fast(5));
    let started = Instant::now();
    let delivery = sender.deliver(&batch.body).await.unwrap();
    assert_eq!(delivery, Delivery { status: 200, attempts: 3 });
    // Attempt 2 follows at once, attempt 3 after `first_delay`.
    assert!(started.elapsed() >= Duration::from_millis(20));

    let posts = endpoint.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 3);
    let expected = signature::sign(SECRET.as_bytes(), &batch.body);
    for post in &posts {
        assert_eq!(post.body, batch.body, "identical bytes on every attempt");
        assert_eq!(post.signature.as_deref(), Some(expected.as_str()));
        assert!(post.signature_ok);
        assert_eq!(post.content_type.as_deref(), Some("application/json"));
    }
    // What arrived is what the engine parses.
    let parsed = parse_webhook(&posts[2].body).unwrap();
    assert!(parsed.skipped.is_empty());
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let (url, endpoint) = endpoint(u32::MAX).await;
    let body = whatsapp_batch(&mut rng(2), WABA, PHONE_ID, DISPLAY, 1, 1).body;
    let sender = WebhookSender::new(url, SECRET).with_retry(fast(4));
    let err = sender.deliver(&body).await.unwrap_err();
    assert!(matches!(err, SendError::Rejected { attempts: 4, status: 500 }), "{err:?}");
    let posts = endpoint.posts.lock().unwrap();
    assert_eq!(posts.len(), 4);
    assert!(posts.iter().all(|p| p.body == body && p.signature_ok));
}

#[tokio::test]
async fn no_retry_when_the_first_answer_is_200() {
    let (url, endpoint) = endpoint(0).await;
    let sender = WebhookSender::new(url, SECRET).with_retry(fast(5));
    let delivery = sender.deliver(b"{\"object\":\"page\",\"entry\":[]}").await.unwrap();
    assert_eq!(delivery.attempts, 1);
    assert_eq!(endpoint.posts.lock().unwrap().len(), 1);

    let once = WebhookSender::new(sender.url(), SECRET).with_retry(RetryPolicy::once());
    assert_eq!(once.deliver(b"{}").await.unwrap().attempts, 1);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retried_then_reported() {
    // A port that was free a moment ago: connections are refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let sender = WebhookSender::new(format!("http://{addr}/webhook"), SECRET).with_retry(fast(3));
    let err = sender.deliver(b"{}").await.unwrap_err();
    assert!(matches!(err, SendError::Unreachable { attempts: 3, .. }), "{err:?}");
}

#[tokio::test]
async fn post_raw_sends_the_signature_it_is_given() {
    let (url, endpoint) = endpoint(0).await;
    let sender = WebhookSender::new(url, SECRET);
    let body = br#"{"object":"page","entry":[]}"#;
    let wrong = signature::sign(b"another secret", body);
    assert_eq!(sender.post_raw(body, Some(&wrong)).await.unwrap(), (403, "bad signature".to_owned()));
    assert_eq!(sender.post_raw(body, None).await.unwrap().0, 403);
    let right = signature::sign(SECRET.as_bytes(), body);
    assert_eq!(sender.post_raw(body, Some(&right)).await.unwrap(), (200, "EVENT_RECEIVED".to_owned()));
    let posts = endpoint.posts.lock().unwrap();
    let sent: Vec<_> = posts.iter().map(|p| p.signature.clone()).collect();
    assert_eq!(sent, [Some(wrong), None, Some(right)]);
}

#[tokio::test]
async fn verification_handshake() {
    let (url, _endpoint) = endpoint(0).await;
    let sender = WebhookSender::new(url, SECRET);
    let challenge = random_challenge(&mut rng(4));
    assert!(challenge.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(sender.verify_handshake("let-me-in", &challenge).await.unwrap(), (200, challenge.clone()));
    assert_eq!(sender.verify_handshake("wrong", &challenge).await.unwrap().0, 403);
}

#[test]
fn retry_schedule_is_immediate_then_decreasing_frequency() {
    let p = RetryPolicy { attempts: 6, first_delay: Duration::from_millis(100), factor: 3.0 };
    let delays: Vec<_> = (1..=6).map(|n| p.delay_before(n)).collect();
    let ms = |n| Duration::from_millis(n);
    assert_eq!(delays, [ms(0), ms(0), ms(100), ms(300), ms(900), ms(2700)]);
    let huge = RetryPolicy { factor: 1e300, ..p };
    assert_eq!(huge.delay_before(40), Duration::from_secs(36 * 3600));
}

#[test]
fn debug_hides_the_app_secret() {
    let sender = WebhookSender::new("http://127.0.0.1:9/webhook", SECRET);
    assert!(!format!("{sender:?}").contains(SECRET));
}

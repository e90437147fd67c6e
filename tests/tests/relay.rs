//! The relay end to end, with real processes on 127.0.0.1: meta-sim's webhook sender →
//! `cahts-relay serve` → `cahts-cli sync` → the desktop's SQLite store.
//!
//! Run under a Secret Service (`scripts/with-keyring.sh`): desktops keep their device key
//! and token in the real OS keyring, each under its own prefix.
//!
//! Over 800 lines on purpose: one scenario per test over the helpers at the top, which
//! every scenario shares; split across files they would have to be made public twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cahts_protocol::wire::{
    ClientMessage, OAuthOutcome, OAuthProvider, OAuthResult, PairRequest, PairResponse, PayloadKind, SealedPayload,
    ServerMessage,
};
use cahts_protocol::{DeviceSecret, PROTOCOL_VERSION, b64, seal};
use cahts_tests::harness::{APP_SECRET, Desktop, Relay, VERIFY_TOKEN, contains, files_under, signal};
use cahts_tests::meta_sim::webhooks::{
    Batch, Mix, RetryPolicy, WebhookSender, instagram_batch, messenger_batch, messenger_batch_with, whatsapp_batch,
};
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn sender(relay: &Relay) -> WebhookSender {
    WebhookSender::new(relay.webhook_url(), APP_SECRET).with_retry(RetryPolicy::once())
}

/// One message per webhook, nothing else: for counting.
fn single_message_mix(start_ms: i64) -> Mix {
    Mix { attachment: 0.0, echo: 0.0, receipt: 0.0, reaction: 0.0, statuses: 0.0, start_ms, ..Mix::default() }
}

fn ids(batches: &[Batch]) -> Vec<String> {
    batches.iter().flat_map(|b| b.message_ids().into_iter().map(String::from)).collect()
}

/// Waits until `check` holds, polling; fails with `what` after `limit`.
fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !check()? {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// [`wait_for`] without blocking the runtime the senders run on.
async fn wait_for_async(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !check() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Everything `stream` writes, gathered by a thread as it arrives.
fn collect_lines(stream: impl std::io::Read + Send + 'static) -> std::sync::Arc<std::sync::Mutex<String>> {
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    log
}

fn queued(relay: &Relay) -> anyhow::Result<Vec<i64>> {
    let list = relay.admin_ok(&["devices", "list"])?;
    Ok(list.lines().skip(1).filter_map(|l| l.split_whitespace().last()?.parse().ok()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_platforms_reach_the_store_through_the_relay() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    let paired = desktop.pair(&relay, "default")?;
    assert_eq!(paired["tenant"], "default");

    let sender = sender(&relay);
    let (status, body) = sender.verify_handshake(VERIFY_TOKEN, "1158201444").await?;
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, body) = sender.verify_handshake("not-the-token", "1158201444").await?;
    assert_eq!(status, 403);
    assert!(!body.contains("1158201444"));

    let mut rng = SmallRng::seed_from_u64(1);
    let batches = vec![
        messenger_batch(&mut rng, "104628375019264", 3, 3),
        instagram_batch(&mut rng, "17841400000000001", 3, 3),
        whatsapp_batch(&mut rng, "2000000000001", "3000000000001", "15550001111", 3, 2),
    ];
    for batch in &batches {
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
    }
    let report = desktop.sync_until_idle()?;
    assert_eq!(report["unreadable"], 0);
    let stored: HashSet<String> = desktop.message_ids()?.into_iter().collect();
    for batch in &batches {
        for id in batch.message_ids() {
            assert!(stored.contains(id), "{} message {id} missing from the store", batch.object);
        }
    }
    // Text survives Meta's \u escapes, sealing and the desktop's parser unchanged.
    let conn = rusqlite::Connection::open(desktop.db())?;
    for message in batches.iter().flat_map(|b| &b.messages).filter(|m| m.text.is_some()) {
        let body: Option<String> =
            conn.query_row("SELECT body FROM messages WHERE platform_message_id = ?1", [&message.mid], |r| r.get(0))?;
        assert_eq!(body.as_deref(), message.text.as_deref());
    }
    assert_eq!(queued(&relay)?, vec![0], "acked events are deleted from the relay");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_desktop_receives_a_thousand_webhooks_in_order() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(2);
    let mut sent = Vec::new();
    for i in 0..1000 {
        let batch =
            messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000 + i * 1000), "104628375019264", 1, 1);
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
        sent.extend(ids(&[batch]));
    }
    assert_eq!(sent.len(), 1000);
    assert_eq!(queued(&relay)?, vec![1000]);
    let report = desktop.sync_until_idle()?;
    assert_eq!(report["events"], 1000);
    assert_eq!(report["appliedSeq"], 1000);
    // Applied in the order the relay accepted them.
    assert_eq!(desktop.message_ids()?, sent);
    assert_eq!(queued(&relay)?, vec![0]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_under_load_delivers_every_acknowledged_webhook_exactly_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Arc::new(Mutex::new(Relay::start(dir.path(), &[])?));
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay.lock().unwrap(), "default")?;
    let url = relay.lock().unwrap().webhook_url();

    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refusals = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut senders = Vec::new();
    for worker in 0..4u64 {
        let (accepted, stop, url, refusals) = (accepted.clone(), stop.clone(), url.clone(), refusals.clone());
        senders.push(tokio::spawn(async move {
            let sender = WebhookSender::new(url, APP_SECRET).with_retry(RetryPolicy::once());
            let mut rng = SmallRng::seed_from_u64(100 + worker);
            let mut refused = 0u32;
            let mut i = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let mix = single_message_mix(1_767_261_600_000 + i);
                let batch = messenger_batch_with(&mut rng, &mix, "104628375019264", 1, 1);
                match sender.deliver(&batch.body).await {
                    Ok(d) if d.status == 200 => accepted.lock().unwrap().extend(ids(&[batch])),
                    _ => {
                        refused += 1;
                        refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
            refused
        }));
    }
    // Under load: the kill comes once many webhooks are acknowledged, however fast this
    // machine is, and the restart once senders have met the dead relay.
    wait_for_async("load before the kill", Duration::from_secs(60), || accepted.lock().unwrap().len() > 50).await?;
    let before_kill = accepted.lock().unwrap().len();
    relay.lock().unwrap().kill9();
    wait_for_async("a refused delivery", Duration::from_secs(30), || {
        refusals.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await?;
    {
        let relay = relay.clone();
        tokio::task::spawn_blocking(move || relay.lock().unwrap().restart()).await??;
    }
    wait_for_async("deliveries to the restarted relay", Duration::from_secs(60), || {
        accepted.lock().unwrap().len() > before_kill + 20
    })
    .await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut refused = 0;
    for s in senders {
        refused += s.await?;
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(accepted.len() > before_kill, "the restarted relay accepted webhooks again");
    assert!(refused > 0, "the kill happened while webhooks were being sent");

    let relay = relay.lock().unwrap();
    let db = rusqlite::Connection::open(relay.dir.join("relay/relay.sqlite"))?;
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(check, "ok");
    drop(db);

    desktop.sync_until_idle()?;
    let stored = desktop.message_ids()?;
    let distinct: HashSet<&String> = stored.iter().collect();
    assert_eq!(distinct.len(), stored.len(), "a message was stored twice");
    for id in &accepted {
        assert!(distinct.contains(id), "webhook {id} got a 200 but never reached the store");
    }
    assert_eq!(queued(&relay)?, vec![0]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_killed_mid_apply_loses_nothing_and_doubles_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let url = relay.webhook_url();
    let mut tasks = Vec::new();
    for worker in 0..4u64 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let sender = WebhookSender::new(url, APP_SECRET).with_retry(RetryPolicy::once());
            let mut rng = SmallRng::seed_from_u64(200 + worker);
            let mut sent = Vec::new();
            for i in 0..750 {
                // Ten messages per webhook: frames are large, applies take a while.
                let batch =
                    messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000 + i), "104628375019264", 2, 5);
                let delivery = sender.deliver(&batch.body).await?;
                anyhow::ensure!(delivery.status == 200);
                sent.extend(ids(&[batch]));
            }
            anyhow::Ok(sent)
        }));
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.extend(t.await??);
    }
    assert_eq!(sent.len(), 30_000);

    let mut kills = 0;
    for _ in 0..3 {
        let mut sync = desktop.spawn_sync()?;
        let before = desktop.message_count().unwrap_or(0);
        // Kill while it is applying: after some progress, before the end.
        wait_for("progress", Duration::from_secs(60), || Ok(desktop.message_count().unwrap_or(0) > before))?;
        signal(sync.id(), "KILL")?;
        sync.wait()?;
        kills += 1;
        let count = desktop.message_count()?;
        if count as usize >= sent.len() {
            break;
        }
    }
    assert!(kills >= 1);
    let report = desktop.sync_until_idle()?;
    assert_eq!(report["unreadable"], 0);
    let stored = desktop.message_ids()?;
    assert_eq!(stored.len(), sent.len(), "every message once");
    assert_eq!(stored.iter().collect::<HashSet<_>>(), sent.iter().collect::<HashSet<_>>());
    assert_eq!(queued(&relay)?, vec![0]);
    let conn = rusqlite::Connection::open(desktop.db())?;
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(check, "ok");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhooks_get_the_right_status_and_deliver_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[("CAHTS_RELAY_MAX_BODY_BYTES", "65536")])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(3);
    let good = messenger_batch(&mut rng, "104628375019264", 1, 2);
    let sign = |body: &[u8]| cahts_protocol::signature::sign(APP_SECRET.as_bytes(), body);

    let wrong = cahts_protocol::signature::sign(b"another app's secret", &good.body);
    assert_eq!(sender.post_raw(&good.body, Some(&wrong)).await?.0, 401);
    assert_eq!(sender.post_raw(&good.body, None).await?.0, 401);
    assert_eq!(sender.post_raw(&good.body, Some("sha1=0123")).await?.0, 401);
    let mut altered = good.body.clone();
    *altered.last_mut().unwrap() = b' ';
    assert_eq!(sender.post_raw(&altered, Some(&sign(&good.body))).await?.0, 401);

    let huge = messenger_batch(&mut rng, "104628375019264", 80, 3);
    assert!(huge.body.len() > 65536);
    let (status, body) = sender.post_raw(&huge.body, Some(&sign(&huge.body))).await?;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("max_body_bytes"));

    for malformed in [&b"{not json"[..], br#"{"object":"page"}"#, br#"{"object":"page","entry":[{"time":1}]}"#] {
        let (status, body) = sender.post_raw(malformed, Some(&sign(malformed))).await?;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("\"code\":\"malformed\""), "{body}");
    }

    // Unknown kinds are tolerated: 200, delivered, skipped (and logged) by the desktop.
    let tolerated = std::fs::read(
        cahts_tests::webhook_fixtures()?.into_iter().find(|p| p.ends_with("unknown_kinds_tolerated.json")).unwrap(),
    )?;
    assert_eq!(sender.deliver(&tolerated).await?.status, 200);

    // Once assets are bound, an unknown asset is accepted (Meta must not retry it forever)
    // and dead-lettered, never delivered.
    relay.admin_ok(&["assets", "add", "--tenant", "default", "--platform", "messenger", "104628375019264"])?;
    let stray = messenger_batch(&mut rng, "999000999000", 1, 2);
    assert_eq!(sender.deliver(&stray.body).await?.status, 200);
    let dead = relay.admin_ok(&["dead-letters"])?;
    assert!(dead.contains("999000999000") && dead.contains("unknown_asset"), "{dead}");

    let report = desktop.sync_until_idle()?;
    assert_eq!(report["events"], 1, "only the tolerated body was delivered");
    let stored: HashSet<String> = desktop.message_ids()?.into_iter().collect();
    for id in good.message_ids().into_iter().chain(huge.message_ids()).chain(stray.message_ids()) {
        assert!(!stored.contains(id), "refused message {id} was delivered");
    }
    assert_eq!(stored.len(), 1, "the one known message of the tolerated body: {stored:?}");

    let metrics = relay.metrics().await?;
    for line in [
        r#"cahts_relay_webhooks_rejected_total{reason="signature_mismatch"} 2"#,
        r#"cahts_relay_webhooks_rejected_total{reason="signature_missing"} 1"#,
        r#"cahts_relay_webhooks_rejected_total{reason="signature_malformed"} 1"#,
        r#"cahts_relay_webhooks_rejected_total{reason="too_large"} 1"#,
        r#"cahts_relay_webhooks_rejected_total{reason="malformed"} 3"#,
        "cahts_relay_webhooks_accepted_total 2",
        "cahts_relay_dead_letters_total 1",
    ] {
        assert!(metrics.contains(line), "missing `{line}` in\n{metrics}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_only_see_their_own_events_and_a_revoked_device_is_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    relay.admin_ok(&["tenants", "add", "shop-a"])?;
    relay.admin_ok(&["tenants", "add", "shop-b"])?;
    relay.admin_ok(&["assets", "add", "--tenant", "shop-a", "--platform", "messenger", "1111"])?;
    relay.admin_ok(&["assets", "add", "--tenant", "shop-b", "--platform", "whatsapp", "2222"])?;
    let a = Desktop::new(dir.path(), "a");
    let b = Desktop::new(dir.path(), "b");
    assert_eq!(a.pair(&relay, "shop-a")?["tenant"], "shop-a");
    let b_paired = b.pair(&relay, "shop-b")?;
    assert_eq!(b_paired["tenant"], "shop-b");

    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(4);
    let for_a = messenger_batch(&mut rng, "1111", 2, 2);
    let for_b = whatsapp_batch(&mut rng, "9999", "2222", "15550002222", 2, 2);
    // One POST can carry several assets: it is split between tenants.
    for batch in [&for_a, &for_b] {
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
    }
    a.sync_until_idle()?;
    b.sync_until_idle()?;
    let a_ids: HashSet<String> = a.message_ids()?.into_iter().collect();
    let b_ids: HashSet<String> = b.message_ids()?.into_iter().collect();
    assert_eq!(a_ids, ids(std::slice::from_ref(&for_a)).into_iter().collect());
    assert_eq!(b_ids, ids(std::slice::from_ref(&for_b)).into_iter().collect());

    let device_id = b_paired["deviceId"].as_str().unwrap().to_string();
    relay.admin_ok(&["devices", "revoke", &device_id])?;
    let out = b.run(&["sync", "--until-idle"])?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Pair it again"), "{stderr}");
    assert!(relay.admin_ok(&["devices", "list"])?.contains("revoked"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_keeps_no_readable_message_and_no_token_in_clear() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let marker = "Order 4471 for Zoe: plaintext marker 7f3a9c";
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"104628375019264","time":1767261600000,"messaging":[{{"sender":{{"id":"7319245508813207"}},"recipient":{{"id":"104628375019264"}},"timestamp":1767261600000,"message":{{"mid":"m_marker_0001","text":"{marker}"}}}}]}}]}}"#
    );
    assert_eq!(sender(&relay).deliver(body.as_bytes()).await?.status, 200);

    // Queued, not yet delivered: the relay's files hold it, sealed.
    assert_eq!(queued(&relay)?, vec![1]);
    for (path, bytes) in files_under(&relay.dir.join("relay"))? {
        for needle in [marker, "7319245508813207", "m_marker_0001"] {
            assert!(!contains(&bytes, needle.as_bytes()), "{} holds `{needle}` in clear", path.display());
        }
    }
    assert!(!relay.log().contains(marker));

    // The device token and key live only in the keyring.
    let conn = rusqlite::Connection::open(desktop.db())?;
    let store_id: String = conn.query_row("SELECT value FROM relay_state WHERE key = 'store_id'", [], |r| r.get(0))?;
    drop(conn);
    let service = cahts_engine::secrets::keyring_service(Some(&desktop.keyring_prefix));
    let lookup = |name: String| -> anyhow::Result<String> {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", &service, "username", &name])
            .output()?;
        anyhow::ensure!(out.status.success(), "secret-tool found no {name}");
        Ok(String::from_utf8(out.stdout)?.trim().to_string())
    };
    let token = lookup(format!("relay-device-token/{store_id}"))?;
    let key = lookup(format!("relay-device-key/{store_id}"))?;
    assert!(token.len() >= 40 && key.len() >= 40);
    desktop.sync_until_idle()?;
    for root in [dir.path().join("relay"), desktop.dir.clone()] {
        for (path, bytes) in files_under(&root)? {
            assert!(!contains(&bytes, token.as_bytes()), "{} holds the device token", path.display());
            assert!(!contains(&bytes, key.as_bytes()), "{} holds the device key", path.display());
        }
    }
    assert!(!relay.log().contains(&token));
    // And the message did arrive: the scan above was looking at real traffic.
    let conn = rusqlite::Connection::open(desktop.db())?;
    let stored: String =
        conn.query_row("SELECT body FROM messages WHERE platform_message_id = 'm_marker_0001'", [], |r| r.get(0))?;
    assert_eq!(stored, marker);
    Ok(())
}

/// A device driven by hand over the wire protocol (the OAuth and stuck-device tests).
struct RawDevice {
    secret: DeviceSecret,
    token: String,
}

impl RawDevice {
    async fn pair(relay: &Relay, tenant: &str) -> anyhow::Result<RawDevice> {
        let secret = DeviceSecret::generate(&mut rand_core::OsRng);
        let code = relay.pairing_code(tenant)?;
        let request = PairRequest { code, public_key: secret.public_key().to_base64(), name: "raw".into() };
        let response: PairResponse = reqwest::Client::new()
            .post(format!("{}/pair", relay.url()))
            .json(&request)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(RawDevice { secret, token: response.device_token })
    }

    async fn connect(
        &self,
        relay: &Relay,
    ) -> anyhow::Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>>
    {
        let mut request = format!("ws://127.0.0.1:{}/ws", relay.port).into_client_request()?;
        request.headers_mut().insert("authorization", format!("Bearer {}", self.token).parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let hello = serde_json::to_string(&ClientMessage::Hello { version: PROTOCOL_VERSION, resume_after: 0 })?;
        socket.send(Message::text(hello)).await?;
        Ok(socket)
    }
}

async fn next_message(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> anyhow::Result<ServerMessage> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await?.context("socket closed")??;
        if let Message::Text(text) = frame {
            return Ok(serde_json::from_str(text.as_str())?);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_tokens_are_exchanged_by_the_relay_and_sealed_to_the_device_that_asked() -> anyhow::Result<()> {
    // Meta's token endpoint as documented (META-API.md §4): code → short-lived token,
    // fb_exchange_token → long-lived token, both needing the app secret.
    use axum::extract::Query;
    use std::collections::HashMap;
    const REDIRECT: &str = "https://relay.example.test/oauth/callback";
    let meta = axum::Router::new().route(
        "/v24.0/oauth/access_token",
        axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
            let get = |k: &str| q.get(k).map(String::as_str);
            let ok_app = get("client_id") == Some("4242") && get("client_secret") == Some(APP_SECRET);
            let body = if ok_app && get("code") == Some("good-code") && get("redirect_uri") == Some(REDIRECT) {
                serde_json::json!({"access_token": "SHORT-LIVED-7781", "token_type": "bearer", "expires_in": 3600})
            } else if ok_app && get("grant_type") == Some("fb_exchange_token") && get("fb_exchange_token") == Some("SHORT-LIVED-7781") {
                serde_json::json!({"access_token": "LONG-LIVED-TOKEN-5512", "token_type": "bearer", "expires_in": 5183944})
            } else {
                return (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": {"message": "Invalid verification code format.", "type": "OAuthException", "code": 100, "fbtrace_id": "A1"}})),
                );
            };
            (axum::http::StatusCode::OK, axum::Json(body))
        }),
    );
    // Instagram Login (META-API.md §4 IG Login OAuth): a form POST for the code, then
    // ig_exchange_token for the 60-day token.
    let meta = meta
        .route(
            "/oauth/access_token",
            axum::routing::post(|axum::Form(f): axum::Form<HashMap<String, String>>| async move {
                let get = |k: &str| f.get(k).map(String::as_str);
                if get("client_id") == Some("5151")
                    && get("client_secret") == Some("ig-app-secret")
                    && get("grant_type") == Some("authorization_code")
                    && get("redirect_uri") == Some(REDIRECT)
                    && get("code") == Some("ig-code")
                {
                    (axum::http::StatusCode::OK, axum::Json(serde_json::json!({"access_token": "IG-SHORT-1", "user_id": 17841400000000001u64, "permissions": "instagram_business_basic"})))
                } else {
                    (axum::http::StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error_type": "OAuthException", "code": 400, "error_message": "Invalid authorization code"})))
                }
            }),
        )
        .route(
            "/access_token",
            axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                let get = |k: &str| q.get(k).map(String::as_str);
                if get("grant_type") == Some("ig_exchange_token") && get("client_secret") == Some("ig-app-secret") && get("access_token") == Some("IG-SHORT-1") {
                    (axum::http::StatusCode::OK, axum::Json(serde_json::json!({"access_token": "IG-LONG-LIVED-9", "token_type": "bearer", "expires_in": 5183944})))
                } else {
                    (axum::http::StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": {"message": "Invalid OAuth access token.", "code": 190}})))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let meta_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, meta).await });

    let dir = tempfile::tempdir()?;
    let relay = Relay::start(
        dir.path(),
        &[
            ("CAHTS_RELAY_PUBLIC_URL", "https://relay.example.test"),
            ("CAHTS_RELAY_META_APP_ID", "4242"),
            ("CAHTS_RELAY_GRAPH_API_BASE", &meta_url),
            ("CAHTS_RELAY_INSTAGRAM_APP_ID", "5151"),
            ("CAHTS_RELAY_INSTAGRAM_APP_SECRET", "ig-app-secret"),
            ("CAHTS_RELAY_INSTAGRAM_API_BASE", &meta_url),
            ("CAHTS_RELAY_INSTAGRAM_GRAPH_BASE", &meta_url),
        ],
    )?;
    let device = RawDevice::pair(&relay, "default").await?;
    let other = RawDevice::pair(&relay, "default").await?;
    let mut socket = device.connect(&relay).await?;
    assert!(matches!(next_message(&mut socket).await?, ServerMessage::Welcome { .. }));
    assert!(matches!(next_message(&mut socket).await?, ServerMessage::CaughtUp { .. }));

    let state = "state-0123456789abcdef";
    let begin = ClientMessage::OAuthBegin { state: state.into(), provider: OAuthProvider::Facebook };
    socket.send(Message::text(serde_json::to_string(&begin)?)).await?;
    let ServerMessage::OAuthReady { authorize_url, .. } = next_message(&mut socket).await? else {
        anyhow::bail!("expected oauth_ready")
    };
    assert!(
        authorize_url.starts_with("https://www.facebook.com/v24.0/dialog/oauth?client_id=4242&"),
        "{authorize_url}"
    );
    assert!(authorize_url.contains("redirect_uri=https%3A%2F%2Frelay.example.test%2Foauth%2Fcallback"));
    assert!(authorize_url.contains(&format!("state={state}")));

    let callback = |query: String| {
        let url = format!("{}/oauth/callback?{query}", relay.url());
        async move { anyhow::Ok(reqwest::get(url).await?) }
    };
    let page = callback(format!("code=good-code&state={state}")).await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("Connected"));

    let ServerMessage::Events { events } = next_message(&mut socket).await? else { anyhow::bail!("expected events") };
    let opened = seal::open(&device.secret, &b64::decode(&events[0].sealed)?)?;
    let payload: SealedPayload = serde_json::from_slice(&opened)?;
    assert_eq!(payload.kind, PayloadKind::OAuthResult);
    let result: OAuthResult = serde_json::from_str(payload.body.get())?;
    assert_eq!(result.state, state);
    let OAuthOutcome::Token { access_token, expires_in, .. } = result.outcome else {
        anyhow::bail!("expected a token")
    };
    assert_eq!((access_token.as_str(), expires_in), ("LONG-LIVED-TOKEN-5512", Some(5183944)));
    // Sealed to the device that asked, not to its tenant's other devices.
    assert!(seal::open(&other.secret, &b64::decode(&events[0].sealed)?).is_err());
    for (path, bytes) in files_under(&relay.dir.join("relay"))? {
        assert!(!contains(&bytes, b"LONG-LIVED-TOKEN-5512"), "{} holds the token", path.display());
    }
    assert!(!relay.log().contains("LONG-LIVED-TOKEN-5512") && !relay.log().contains("good-code"));
    socket.send(Message::text(serde_json::to_string(&ClientMessage::Ack { seq: events[0].seq })?)).await?;

    // A state works once.
    assert_eq!(callback(format!("code=good-code&state={state}")).await?.status(), 400);
    // A refusal at Meta reaches the device as an error outcome.
    let refused = "state-refused-000000000";
    let begin = ClientMessage::OAuthBegin { state: refused.into(), provider: OAuthProvider::Facebook };
    socket.send(Message::text(serde_json::to_string(&begin)?)).await?;
    assert!(matches!(next_message(&mut socket).await?, ServerMessage::OAuthReady { .. }));
    let page = callback(format!("error=access_denied&error_description=Permissions+error&state={refused}")).await?;
    assert_eq!(page.status(), 200);
    let ServerMessage::Events { events } = next_message(&mut socket).await? else { anyhow::bail!("expected events") };
    let payload: SealedPayload =
        serde_json::from_slice(&seal::open(&device.secret, &b64::decode(&events[0].sealed)?)?)?;
    let result: OAuthResult = serde_json::from_str(payload.body.get())?;
    assert!(matches!(result.outcome, OAuthOutcome::Error { ref message } if message == "Permissions error"));
    // A bad code: Meta's error message is passed on.
    let bad = "state-badcode-0000000000";
    let begin = ClientMessage::OAuthBegin { state: bad.into(), provider: OAuthProvider::Facebook };
    socket.send(Message::text(serde_json::to_string(&begin)?)).await?;
    assert!(matches!(next_message(&mut socket).await?, ServerMessage::OAuthReady { .. }));
    callback(format!("code=expired&state={bad}")).await?;
    let ServerMessage::Events { events } = next_message(&mut socket).await? else { anyhow::bail!("expected events") };
    let payload: SealedPayload =
        serde_json::from_slice(&seal::open(&device.secret, &b64::decode(&events[0].sealed)?)?)?;
    let result: OAuthResult = serde_json::from_str(payload.body.get())?;
    assert!(
        matches!(result.outcome, OAuthOutcome::Error { ref message } if message.contains("Invalid verification code"))
    );
    socket.send(Message::text(serde_json::to_string(&ClientMessage::Ack { seq: events[0].seq })?)).await?;

    // Instagram Login: the same flow with the Instagram app and its endpoints.
    let ig_state = "state-instagram-00000000";
    let begin = ClientMessage::OAuthBegin { state: ig_state.into(), provider: OAuthProvider::Instagram };
    socket.send(Message::text(serde_json::to_string(&begin)?)).await?;
    let ServerMessage::OAuthReady { authorize_url, .. } = next_message(&mut socket).await? else {
        anyhow::bail!("expected oauth_ready")
    };
    assert!(authorize_url.starts_with("https://www.instagram.com/oauth/authorize?client_id=5151&"), "{authorize_url}");
    assert!(
        authorize_url.contains("scope=instagram_business_basic%2Cinstagram_business_manage_messages"),
        "{authorize_url}"
    );
    assert_eq!(callback(format!("code=ig-code&state={ig_state}")).await?.status(), 200);
    let ServerMessage::Events { events } = next_message(&mut socket).await? else { anyhow::bail!("expected events") };
    let payload: SealedPayload =
        serde_json::from_slice(&seal::open(&device.secret, &b64::decode(&events[0].sealed)?)?)?;
    let result: OAuthResult = serde_json::from_str(payload.body.get())?;
    assert_eq!(result.provider, OAuthProvider::Instagram);
    let OAuthOutcome::Token { access_token, user_id, .. } = result.outcome else { anyhow::bail!("expected a token") };
    assert_eq!(access_token, "IG-LONG-LIVED-9");
    assert_eq!(user_id.as_deref(), Some("17841400000000001"));
    assert!(!relay.log().contains("IG-LONG-LIVED-9") && !relay.log().contains("ig-code"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_device_neither_stalls_others_nor_loses_its_events() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[])?;
    let stuck = RawDevice::pair(&relay, "default").await?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    // Connects, says hello, then never reads again (not even pings).
    let socket = stuck.connect(&relay).await?;

    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(5);
    let mut sent = Vec::new();
    for i in 0..600 {
        let batch = messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000 + i), "104628375019264", 1, 1);
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
        sent.extend(ids(&[batch]));
    }
    desktop.sync_until_idle()?;
    assert_eq!(desktop.message_ids()?, sent);
    // The stuck device's events wait for it; the relay drops the silent connection.
    let mut depths = queued(&relay)?;
    depths.sort();
    assert_eq!(depths, vec![0, 600]);
    wait_for("the heartbeat to drop the silent device", Duration::from_secs(20), || {
        Ok(relay.log().contains("heartbeat timeout"))
    })?;
    drop(socket);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_relay_cleanly_and_desktops_reconnect_after_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let mut sync = desktop.spawn_sync()?;
    let sync_log = collect_lines(sync.stderr.take().expect("piped stderr"));
    let mut rng = SmallRng::seed_from_u64(6);
    let first = messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000), "104628375019264", 5, 2);
    assert_eq!(sender(&relay).deliver(&first.body).await?.status, 200);
    wait_for("live delivery", Duration::from_secs(20), || Ok(desktop.message_count()? == 10))?;

    let (status, _) = relay.terminate()?;
    assert!(status.success(), "relay exit status after SIGTERM: {status}");
    assert!(relay.log().contains("relay stopped"));
    // The desktop notices, keeps retrying, and finds a restarted relay (same address).
    wait_for("the desktop to notice the relay is gone", Duration::from_secs(20), || {
        Ok(sync_log.lock().unwrap().contains("relay link down"))
    })?;
    relay.restart()?;
    let second = messenger_batch_with(&mut rng, &single_message_mix(1_767_261_700_000), "104628375019264", 5, 2);
    assert_eq!(sender(&relay).deliver(&second.body).await?.status, 200);
    wait_for("delivery after the restart", Duration::from_secs(60), || Ok(desktop.message_count()? == 20))?;

    signal(sync.id(), "TERM")?;
    let out = tokio::task::spawn_blocking(move || {
        let status = sync.wait()?;
        let mut stdout = String::new();
        std::io::Read::read_to_string(sync.stdout.as_mut().unwrap(), &mut stdout)?;
        anyhow::Ok((status, stdout))
    })
    .await??;
    assert!(out.0.success());
    let report: serde_json::Value = serde_json::from_str(out.1.trim())?;
    assert!(report["connections"].as_u64() >= Some(2), "{report}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_event_is_reported_and_skipped_without_blocking_the_rest() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut relay = Relay::start(dir.path(), &[])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(8);
    let mut batches = Vec::new();
    for i in 0..3 {
        let batch = messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000 + i), "104628375019264", 1, 1);
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
        batches.push(batch);
    }
    // Damage the middle envelope on the relay's disk (a bad sector, a tampering host).
    relay.kill9();
    {
        let db = rusqlite::Connection::open(relay.dir.join("relay/relay.sqlite"))?;
        let changed = db.execute("UPDATE queue SET sealed = CAST(sealed || x'00' AS BLOB) WHERE seq = 2", [])?;
        assert_eq!(changed, 1);
    }
    relay.restart()?;
    let report = desktop.sync_until_idle()?;
    assert_eq!(report["unreadable"], 1);
    assert_eq!(report["appliedSeq"], 3, "the damaged event does not hold back the ones after it");
    let stored = desktop.message_ids()?;
    assert_eq!(stored, vec![batches[0].message_ids()[0].to_string(), batches[2].message_ids()[0].to_string()]);
    assert_eq!(queued(&relay)?, vec![0]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_drops_the_oldest_events_counts_them_and_tells_the_device() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut relay = Relay::start(dir.path(), &[("CAHTS_RELAY_MAX_QUEUE_PER_DEVICE", "5")])?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;
    let sender = sender(&relay);
    let mut rng = SmallRng::seed_from_u64(9);
    let mut sent = Vec::new();
    for i in 0..8 {
        let batch = messenger_batch_with(&mut rng, &single_message_mix(1_767_261_600_000 + i), "104628375019264", 1, 1);
        assert_eq!(sender.deliver(&batch.body).await?.status, 200);
        sent.extend(ids(&[batch]));
    }
    // A retention pass runs at start (and every 30 s).
    relay.restart()?;
    wait_for("the retention pass", Duration::from_secs(20), || Ok(queued(&relay)? == vec![5]))?;
    let metrics = relay.metrics().await?;
    assert!(metrics.contains(r#"cahts_relay_events_dropped_total{reason="max_queue"} 3"#), "{metrics}");
    let report = desktop.sync_until_idle()?;
    assert_eq!(report["dropped"], 3, "the device is told how many it missed");
    assert_eq!(desktop.message_ids()?, sent[3..].to_vec(), "the newest five are kept, in order");
    let conn = rusqlite::Connection::open(desktop.db())?;
    let recorded: String =
        conn.query_row("SELECT value FROM relay_state WHERE key = 'relay.dropped_total'", [], |r| r.get(0))?;
    assert_eq!(recorded, "3");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_serves_https_itself_with_a_certificate_and_key() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (ca, cert, key) = (dir.path().join("ca.pem"), dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // A test CA and a certificate for 127.0.0.1 signed by it (webpki refuses a CA
    // certificate used directly by a server).
    let openssl = |args: &[&str]| -> anyhow::Result<()> {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "openssl {args:?} failed");
        Ok(())
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=cahts test CA", "-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
    )?;
    openssl(&[&["req"][..], &ec, &["-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "leaf.csr"]].concat())?;
    std::fs::write(
        dir.path().join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ])?;
    let relay = Relay::start(
        dir.path(),
        &[("CAHTS_RELAY_TLS_CERT", cert.to_str().unwrap()), ("CAHTS_RELAY_TLS_KEY", key.to_str().unwrap())],
    )?;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca)?)?)
        .build()?;
    let https = format!("https://127.0.0.1:{}", relay.port);
    let health = client.get(format!("{https}/healthz")).send().await?;
    assert_eq!(health.status(), 200);
    let mut rng = SmallRng::seed_from_u64(10);
    let batch = messenger_batch(&mut rng, "104628375019264", 1, 1);
    let sender = WebhookSender::new(format!("{https}/webhooks/meta"), APP_SECRET)
        .with_retry(RetryPolicy::once())
        .with_client(client);
    assert_eq!(sender.deliver(&batch.body).await?.status, 200);
    // Plain HTTP on the TLS port gets no HTTP answer.
    assert!(reqwest::get(format!("{}/healthz", relay.url())).await.is_err());
    Ok(())
}

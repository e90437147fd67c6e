//! relay-bench: starts a release `cahts-relay` and simulated devices on loopback and prints
//! one JSON line:
//!
//! - `acceptedPerSec`: signed, realistic webhook bodies from concurrent senders, each
//!   answered 200 only after its events are durably queued (synchronous=FULL);
//! - `latencyMs`: from the start of a POST to the device's ack of it, at a steady rate;
//! - `rssMiB`: the relay's resident memory idle, and with 1,000 devices connected.
//!
//! Run with `scripts/bench-relay.sh` (builds in release). Sender, devices and relay share
//! the machine's cores, as they would not in production: the figures are conservative.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cahts_protocol::wire::{ClientMessage, PairRequest, PairResponse, ServerMessage};
use cahts_protocol::{DeviceSecret, PROTOCOL_VERSION, b64, seal};
use cahts_tests::harness::{APP_SECRET, Relay};
use cahts_tests::meta_sim::webhooks::{instagram_batch, messenger_batch, whatsapp_batch};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
struct Args {
    /// Webhooks POSTed in the saturation run.
    #[arg(long, default_value_t = 60_000)]
    webhooks: usize,
    /// Concurrent senders (Meta delivers concurrently).
    #[arg(long, default_value_t = 64)]
    senders: usize,
    /// Steady rate for the latency run, webhooks per second.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Length of the latency run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Devices connected for the memory figure.
    #[arg(long, default_value_t = 1_000)]
    devices: usize,
}

fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS")?;
    Ok(kb / 1024.0)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn pair(client: &reqwest::Client, relay: &Relay, code: String) -> anyhow::Result<(DeviceSecret, String)> {
    let secret = DeviceSecret::generate(&mut rand_core::OsRng);
    let request = PairRequest { code, public_key: secret.public_key().to_base64(), name: "bench".into() };
    let response: PairResponse =
        client.post(format!("{}/pair", relay.url())).json(&request).send().await?.error_for_status()?.json().await?;
    Ok((secret, response.device_token))
}

async fn connect(relay: &Relay, token: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://127.0.0.1:{}/ws", relay.port).into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(serde_json::to_string(&ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            resume_after: 0,
        })?))
        .await?;
    Ok(socket)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Signed bodies of realistic size and mix: Messenger, Instagram and WhatsApp.
fn bodies(count: usize) -> Vec<(Vec<u8>, String)> {
    let mut rng = SmallRng::seed_from_u64(7);
    (0..count)
        .map(|i| {
            let batch = match i % 3 {
                0 => messenger_batch(&mut rng, "104628375019264", 1, 2),
                1 => instagram_batch(&mut rng, "17841400000000001", 1, 2),
                _ => whatsapp_batch(&mut rng, "2000000000001", "3000000000001", "15550001111", 1, 2),
            };
            let signature = cahts_protocol::signature::sign(APP_SECRET.as_bytes(), &batch.body);
            (batch.body, signature)
        })
        .collect()
}

async fn post(client: &reqwest::Client, url: &str, body: &[u8], signature: &str) -> anyhow::Result<u16> {
    Ok(client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await?
        .status()
        .as_u16())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path(), &[("CAHTS_RELAY_MAX_QUEUE_PER_DEVICE", "10000000")])?;
    let pid = relay.pid().context("relay pid")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_mib(pid)?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.senders).build()?;

    // One device, offline during the saturation run: every webhook is sealed and queued.
    let (device, token) = pair(&client, &relay, relay.pairing_code("default")?).await?;
    let url = Arc::new(relay.webhook_url());
    let saturation = saturate(&args, &client, &url).await?;
    let rss_after_saturation = rss_mib(pid)?;
    let latency = measure_latency(&args, &client, &relay, &url, device, &token).await?;
    drop(relay);

    // Memory with many devices connected, on a fresh relay.
    let relay = Relay::start(
        dir.path().join("many").as_path(),
        &[("CAHTS_RELAY_MAX_DEVICES_PER_TENANT", "100000"), ("CAHTS_RELAY_HEARTBEAT_SECONDS", "30")],
    )?;
    let (sockets, rss_devices) = connect_devices(&args, &client, &relay).await?;

    let rss = Rss { idle: rss_idle, after_saturation: rss_after_saturation, with_devices: rss_devices };
    println!("{}", report(&args, &saturation, &latency, &rss));
    drop(sockets);
    Ok(())
}

/// The saturation run's figures.
struct Saturation {
    seconds: f64,
    avg_body_bytes: usize,
}

/// The latency run's figures.
struct Latency {
    /// Time to deliver the saturation run's backlog once the device connects.
    drain_secs: f64,
    /// POST-to-ack times of the paced webhooks, in ms, sorted.
    latencies: Vec<f64>,
}

/// The relay's resident memory, MiB.
struct Rss {
    idle: f64,
    after_saturation: f64,
    with_devices: f64,
}

/// POSTs `args.webhooks` prepared bodies from `args.senders` concurrent senders, each
/// taking the next index; every one must be answered 200.
async fn saturate(args: &Args, client: &reqwest::Client, url: &Arc<String>) -> anyhow::Result<Saturation> {
    let prepared = Arc::new(bodies(3_000));
    let avg_body_bytes = prepared.iter().map(|(b, _)| b.len()).sum::<usize>() / prepared.len();
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.senders {
        let (client, url, prepared, next, failures) =
            (client.clone(), url.clone(), prepared.clone(), next.clone(), failures.clone());
        let total = args.webhooks as u64;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return;
                }
                let (body, signature) = &prepared[i as usize % prepared.len()];
                if !matches!(post(&client, &url, body, signature).await, Ok(200)) {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let failed = failures.load(Ordering::Relaxed);
    anyhow::ensure!(failed == 0, "{failed} webhooks were not accepted during the saturation run");
    Ok(Saturation { seconds, avg_body_bytes })
}

/// What the paced sender and the device share in the latency run.
#[derive(Clone)]
struct Timings {
    /// When the paced webhook of each index was POSTed.
    sent_at: Arc<Mutex<Vec<Option<Instant>>>>,
    latencies: Arc<Mutex<Vec<f64>>>,
    /// Told when the device has received the backlog.
    drained: Arc<tokio::sync::Notify>,
}

impl Timings {
    /// Records the latency of a live event, which carries its index as `"bench":N` in the
    /// entry. False for an event of the backlog.
    fn record(&self, plain: &[u8]) -> anyhow::Result<bool> {
        let text = String::from_utf8_lossy(plain);
        let Some(rest) = text.split("\"bench\":").nth(1) else {
            return Ok(false);
        };
        let n: usize = rest.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("").parse()?;
        // A number the bench never sent is not one of its events.
        let sent = self.sent_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(n).copied().flatten();
        if let Some(at) = sent {
            self.latencies
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(at.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(true)
    }
}

/// Drains the backlog, then measures latency with the device live and acking.
async fn measure_latency(
    args: &Args,
    client: &reqwest::Client,
    relay: &Relay,
    url: &Arc<String>,
    device: DeviceSecret,
    token: &str,
) -> anyhow::Result<Latency> {
    let socket = connect(relay, token).await?;
    let expected = args.rate * args.seconds;
    let timings = Timings {
        sent_at: Arc::new(Mutex::new(vec![None; expected as usize])),
        latencies: Arc::new(Mutex::new(Vec::new())),
        drained: Arc::new(tokio::sync::Notify::new()),
    };
    let reader = tokio::spawn(receive_and_ack(socket, device, timings.clone(), expected));
    let drain_started = Instant::now();
    timings.drained.notified().await;
    let drain_secs = drain_started.elapsed().as_secs_f64();

    post_paced(args, client, url, &timings).await?;
    tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .context("device did not receive every webhook")???;
    let mut latencies = timings.latencies.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    latencies.sort_by(f64::total_cmp);
    Ok(Latency { drain_secs, latencies })
}

/// The device: opens and acks every batch of events, recording the latency of live ones,
/// until `expected` live events have arrived.
async fn receive_and_ack(
    mut socket: Socket,
    device: DeviceSecret,
    timings: Timings,
    expected: u64,
) -> anyhow::Result<()> {
    let mut live = 0u64;
    while let Some(frame) = socket.next().await {
        let Message::Text(text) = frame? else { continue };
        match serde_json::from_str::<ServerMessage>(text.as_str())? {
            ServerMessage::CaughtUp { .. } => timings.drained.notify_one(),
            ServerMessage::Events { events } => {
                let last = events.last().map(|e| e.seq).unwrap_or(0);
                for event in &events {
                    let plain = seal::open(&device, &b64::decode(&event.sealed)?)?;
                    if timings.record(&plain)? {
                        live += 1;
                    }
                }
                socket.send(Message::text(serde_json::to_string(&ClientMessage::Ack { seq: last })?)).await?;
                if live >= expected {
                    return anyhow::Ok(());
                }
            }
            _ => {}
        }
    }
    anyhow::Ok(())
}

/// POSTs `args.rate` webhooks a second for `args.seconds`, noting when each leaves; every
/// one must be accepted.
async fn post_paced(args: &Args, client: &reqwest::Client, url: &Arc<String>, timings: &Timings) -> anyhow::Result<()> {
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut posts = Vec::new();
    for n in 0..(args.rate * args.seconds) as usize {
        ticker.tick().await;
        let body = paced_body(n);
        let signature = cahts_protocol::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
        timings.sent_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[n] = Some(Instant::now());
        let (client, url) = (client.clone(), url.clone());
        posts.push(tokio::spawn(async move { post(&client, &url, body.as_bytes(), &signature).await }));
    }
    for p in posts {
        anyhow::ensure!(p.await?? == 200, "a paced webhook was refused");
    }
    Ok(())
}

/// A Messenger message whose entry carries its index `n` as `"bench":n`.
fn paced_body(n: usize) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"104628375019264","time":1767261600000,"bench":{n},"messaging":[{{"sender":{{"id":"7319245508813207"}},"recipient":{{"id":"104628375019264"}},"timestamp":1767261600000,"message":{{"mid":"m_bench_{n}","text":"Hello, is the blue one still available in size M? Could you ship it to Lyon by Friday?"}}}}]}}]}}"#
    )
}

/// Pairs and connects `args.devices` devices, then reads the relay's memory. The sockets
/// are returned so the devices stay connected.
async fn connect_devices(args: &Args, client: &reqwest::Client, relay: &Relay) -> anyhow::Result<(Vec<Socket>, f64)> {
    let pid = relay.pid().context("relay pid")?;
    let mut sockets = Vec::with_capacity(args.devices);
    for _ in 0..args.devices {
        let (_, token) = pair(client, relay, relay.pairing_code("default")?).await?;
        let mut socket = connect(relay, &token).await?;
        // Welcome and CaughtUp: the session is fully set up.
        for _ in 0..2 {
            socket.next().await.context("closed")??;
        }
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_devices = rss_mib(pid)?;
    let metrics = relay.metrics().await?;
    let connected = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cahts_relay_connected_devices "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    anyhow::ensure!(connected == args.devices as u64, "relay reports {connected} connected devices");
    Ok((sockets, rss_devices))
}

/// The one JSON line: figures rounded to 0.01 s and ms, 0.1 MiB.
fn report(args: &Args, saturation: &Saturation, latency: &Latency, rss: &Rss) -> serde_json::Value {
    let accepted_per_sec = args.webhooks as f64 / saturation.seconds;
    let latencies = &latency.latencies;
    serde_json::json!({
        "acceptedPerSec": accepted_per_sec.round(),
        "saturation": {
            "webhooks": args.webhooks,
            "senders": args.senders,
            "seconds": (saturation.seconds * 100.0).round() / 100.0,
            "avgBodyBytes": saturation.avg_body_bytes,
            "drainSeconds": (latency.drain_secs * 100.0).round() / 100.0,
        },
        "latencyMs": {
            "rate": args.rate,
            "count": latencies.len(),
            "p50": (percentile(latencies, 0.50) * 100.0).round() / 100.0,
            "p99": (percentile(latencies, 0.99) * 100.0).round() / 100.0,
            "max": (latencies.last().copied().unwrap_or(f64::NAN) * 100.0).round() / 100.0,
        },
        "rssMiB": {
            "idle": (rss.idle * 10.0).round() / 10.0,
            "afterSaturation": (rss.after_saturation * 10.0).round() / 10.0,
            "devices": args.devices,
            "withDevices": (rss.with_devices * 10.0).round() / 10.0,
        },
    })
}

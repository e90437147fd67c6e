//! Media on this computer: received photos, videos, voice notes and files are copied into
//! the data directory soon after they arrive, because Meta's copies do not last (WhatsApp
//! media ids for 7 days, their URLs for 5 minutes; Messenger and Instagram CDN URLs carry
//! an expiry). Images get a small JPEG thumbnail for the thread.
//!
//! Files are named by their SHA-256 (`media/ab/abcdef….jpg`), so the same photo received
//! twice is kept once and a half-written file never has a final name (it is written under
//! a temporary name and renamed when complete and checked).
//!
//! What cannot be fetched ends with a reason the thread shows: gone from Meta
//! (`unavailable`), or refused here (`refused`: larger than the limit, or not what it
//! claimed to be). Failures that may pass (no connection, Meta's 5xx) are retried with
//! backoff.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::domain::account::{AccountStatus, AccountView};
use crate::platform::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::secrets::Secret;
use crate::services::credentials::Credentials;
use crate::store::Store;
use crate::store::media_files::{self, DownloadResult, Downloaded, DueMedia};

/// Largest file fetched: WhatsApp refuses inbound media over 100 MB (META-API.md §3.4),
/// Messenger and Instagram stay under 25 MB.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// Longest side of a thumbnail, in pixels: two thread columns on a high-density screen.
const THUMBNAIL_SIDE: u32 = 480;
/// Attempts before a download that keeps failing is given up.
const MAX_ATTEMPTS: i64 = 10;
/// Attachments fetched per pass; the rest wait for the next one.
const BATCH: i64 = 32;

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// `<data dir>/media`
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl MediaConfig {
    /// `CAHTS_MEDIA_MAX_BYTES` lowers the size limit (small disks, tests).
    pub fn in_data_dir(data_dir: &Path) -> Self {
        let max_bytes = std::env::var("CAHTS_MEDIA_MAX_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_BYTES);
        Self { dir: data_dir.join("media"), max_bytes }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    pub downloaded: usize,
    /// Will be tried again later.
    pub retrying: usize,
    /// Gone from Meta or refused here; the reason is on the attachment.
    pub given_up: usize,
}

/// An attachment a pass fetches.
type Due = DueMedia;

/// How a fetch ended.
enum Fetched {
    Done {
        path: PathBuf,
        thumbnail: Option<PathBuf>,
        mime: Option<String>,
        size: u64,
        sha256: String,
    },
    /// Try again later.
    Retry(String),
    /// Not coming: `unavailable` or `refused`, with the reason shown to the owner.
    GiveUp(&'static str, String),
}

/// Fetches attachments that are due, newest messages first. Safe to run from several
/// places: a row is only written if it is still waiting.
pub async fn fetch_due(
    store: &Store,
    accounts: &Credentials,
    graph: &GraphClient,
    config: &MediaConfig,
) -> crate::domain::Result<FetchReport> {
    let now = store.now_ms();
    let due = store.read(move |c| media_files::due(c, now, BATCH)).await?;
    let mut report = FetchReport::default();
    let mut credentials = TokenCache::default();
    for item in due {
        let outcome = fetch_one(accounts, &mut credentials, graph, config, &item).await;
        match &outcome {
            Fetched::Done { .. } => report.downloaded += 1,
            Fetched::Retry(why) if item.attempts + 1 < MAX_ATTEMPTS => {
                tracing::info!(attachment = item.id, why = %why, "media download will be retried");
                report.retrying += 1;
            }
            _ => report.given_up += 1,
        }
        record(store, &item, outcome).await?;
    }
    Ok(report)
}

async fn record(store: &Store, item: &Due, outcome: Fetched) -> crate::domain::Result<()> {
    let (id, conversation_id, attempts) = (item.id, item.conversation_id, item.attempts + 1);
    let now = store.now_ms();
    let result = match outcome {
        Fetched::Done { path, thumbnail, mime, size, sha256 } => DownloadResult::Done(Downloaded {
            path: path.to_string_lossy().into_owned(),
            thumbnail: thumbnail.map(|t| t.to_string_lossy().into_owned()),
            mime,
            size,
            sha256,
        }),
        Fetched::Retry(why) if attempts < MAX_ATTEMPTS => {
            // 30 s, 1 min, 2 min, … capped at 2 h.
            let wait = (30_000i64 << (attempts - 1).clamp(0, 8)).min(2 * 3600 * 1000);
            DownloadResult::RetryAt { at: now + wait, why }
        }
        Fetched::Retry(why) => DownloadResult::GaveUp {
            state: "unavailable",
            reason: format!("Could not be downloaded after {attempts} attempts ({why})."),
        },
        Fetched::GiveUp(state, reason) => DownloadResult::GaveUp { state, reason },
    };
    store.write(move |tx| media_files::record_download(tx, id, conversation_id, attempts, result, now)).await
}

async fn fetch_one(
    accounts: &Credentials,
    credentials: &mut TokenCache,
    graph: &GraphClient,
    config: &MediaConfig,
    item: &Due,
) -> Fetched {
    if item.platform == "whatsapp" {
        fetch_whatsapp(accounts, credentials, graph, config, item).await
    } else {
        fetch_cdn(accounts, credentials, graph, config, item).await
    }
}

/// The accounts and tokens of one pass, each read once: a token read is a keyring call,
/// and a pass may fetch dozens of files of the same account.
#[derive(Default)]
struct TokenCache(std::collections::HashMap<i64, Option<(AccountView, Secret<String>)>>);

impl TokenCache {
    /// The account and its token, when it is connected enough to call Meta.
    async fn of(&mut self, accounts: &Credentials, item: &Due) -> Option<(AccountView, Secret<String>)> {
        if !matches!(
            item.account_status,
            AccountStatus::Connected | AccountStatus::RateLimited | AccountStatus::Unsubscribed
        ) {
            return None;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(item.account_id) {
            let found = match accounts.get(item.account_id).await {
                Ok(account) => accounts.token(&account).await.ok().map(|token| (account, token)),
                Err(_) => None,
            };
            slot.insert(found);
        }
        self.0.get(&item.account_id).cloned().flatten()
    }
}

/// WhatsApp: `GET /{media-id}` names a URL valid for 5 minutes, fetched with the token;
/// a 404 there means "ask for a new URL" (META-API.md §3.4, Media download).
async fn fetch_whatsapp(
    accounts: &Credentials,
    credentials: &mut TokenCache,
    graph: &GraphClient,
    config: &MediaConfig,
    item: &Due,
) -> Fetched {
    let Some(media_id) = item.media_id.as_deref() else {
        return Fetched::GiveUp("unavailable", "WhatsApp gave no media id for this file.".into());
    };
    let Some((_, token)) = credentials.of(accounts, item).await else {
        return Fetched::Retry("the WhatsApp number is not connected; connect it to fetch its media".into());
    };
    for _ in 0..2 {
        let meta =
            match graph.get(Host::Facebook, media_id, &token, &[("phone_number_id", item.asset_id.as_str())]).await {
                Ok(answer) => answer.body,
                Err(e) => return graph_failure(accounts, item, e).await,
            };
        let Some(url) = meta.get("url").and_then(Value::as_str) else {
            return Fetched::Retry("WhatsApp named no URL for the media".into());
        };
        let size = meta.get("file_size").and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
        if let Some(size) = size.filter(|s| *s > config.max_bytes) {
            return too_big(size, config.max_bytes);
        }
        let mime = meta.get("mime_type").and_then(Value::as_str).or(item.mime_type.as_deref()).map(String::from);
        let expected = meta.get("sha256").and_then(Value::as_str).or(item.sha256.as_deref()).map(String::from);
        match download(graph, config, url, Some(&token), &item.kind, mime, expected).await {
            Download::Expired => continue,
            Download::Done(fetched) => return fetched,
        }
    }
    Fetched::Retry("WhatsApp's media URL kept expiring".into())
}

/// Messenger and Instagram: the CDN URL from the webhook or history; when it has expired,
/// the message is asked for again (`GET /{message-id}?fields=attachments`) for a fresh one.
async fn fetch_cdn(
    accounts: &Credentials,
    credentials: &mut TokenCache,
    graph: &GraphClient,
    config: &MediaConfig,
    item: &Due,
) -> Fetched {
    let mut url = item.url.clone();
    for refreshed in [false, true] {
        if let Some(u) = url.as_deref() {
            match download(graph, config, u, None, &item.kind, item.mime_type.clone(), None).await {
                Download::Expired => {}
                Download::Done(fetched) => return fetched,
            }
        }
        if refreshed {
            break;
        }
        url = match fresh_cdn_url(accounts, credentials, graph, item).await {
            Ok(Some(u)) => Some(u),
            Ok(None) => return Fetched::GiveUp("unavailable", "Meta no longer has this file.".into()),
            Err(fetched) => return fetched,
        };
    }
    Fetched::GiveUp("unavailable", "Meta no longer has this file.".into())
}

async fn fresh_cdn_url(
    accounts: &Credentials,
    credentials: &mut TokenCache,
    graph: &GraphClient,
    item: &Due,
) -> Result<Option<String>, Fetched> {
    let Some((account, token)) = credentials.of(accounts, item).await else {
        return Err(Fetched::Retry("the link to this file expired; connect the account to fetch a new one".into()));
    };
    let answer = match graph.get(account.host(), &item.message_mid, &token, &[("fields", "attachments")]).await {
        Ok(answer) => answer,
        Err(e) => return Err(graph_failure(accounts, item, e).await),
    };
    let url = answer
        .body
        .pointer("/attachments/data")
        .and_then(Value::as_array)
        .and_then(|all| all.get(item.position as usize))
        .and_then(|a| {
            a.pointer("/image_data/url").or_else(|| a.pointer("/video_data/url")).or_else(|| a.get("file_url"))
        })
        .and_then(Value::as_str)
        .map(String::from);
    Ok(url)
}

async fn graph_failure(accounts: &Credentials, item: &Due, e: GraphError) -> Fetched {
    if let Err(record) = accounts.record_error(item.account_id, &e).await {
        tracing::warn!(error = %record, "could not record an account error");
    }
    match e.kind {
        // 100: the media id is unknown, i.e. past WhatsApp's 7 days or deleted.
        ErrorKind::Invalid | ErrorKind::Permission => Fetched::GiveUp(
            "unavailable",
            "Meta no longer has this file (WhatsApp keeps received media for 7 days).".into(),
        ),
        ErrorKind::TokenInvalid { .. } => {
            Fetched::Retry("Meta no longer accepts this account's access; reconnect it".into())
        }
        _ => Fetched::Retry(e.to_string()),
    }
}

fn too_big(size: u64, limit: u64) -> Fetched {
    Fetched::GiveUp(
        "refused",
        format!("The file is {}, more than the {} CAHTS downloads.", human_size(size), human_size(limit)),
    )
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MB", bytes.div_ceil(1 << 20)) } else { format!("{} KB", bytes.div_ceil(1 << 10)) }
}

enum Download {
    /// The URL no longer serves the file (expired link): ask Meta for a new one.
    Expired,
    Done(Fetched),
}

async fn download(
    graph: &GraphClient,
    config: &MediaConfig,
    url: &str,
    token: Option<&Secret<String>>,
    kind: &str,
    mime: Option<String>,
    expected_sha256: Option<String>,
) -> Download {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Download::Done(Fetched::GiveUp("refused", "The link to this file is not a web address.".into()));
    }
    let mut response = match graph.fetch(url, token).await {
        Ok(r) => r,
        Err(e) => return Download::Done(Fetched::Retry(e.to_string())),
    };
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        401 | 403 | 404 | 410 => return Download::Expired,
        429 | 500..=599 => return Download::Done(Fetched::Retry(format!("the file server answered {status}"))),
        _ => return Download::Done(Fetched::GiveUp("unavailable", format!("The file server refused it ({status})."))),
    }
    if let Some(length) = response.content_length().filter(|l| *l > config.max_bytes) {
        return Download::Done(too_big(length, config.max_bytes));
    }
    let served = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let mime = mime.or(served.clone());
    if let Some(refusal) = type_mismatch(kind, served.as_deref(), mime.as_deref()) {
        return Download::Done(Fetched::GiveUp("refused", refusal));
    }
    let streamed = match stream_to_temp(&mut response, config).await {
        Ok(streamed) => streamed,
        Err(failed) => return Download::Done(failed),
    };
    let Streamed { file, size, digest, head } = streamed;
    let hex_digest = hex::encode(digest);
    if let Some(expected) = expected_sha256.as_deref()
        && !sha_matches(expected, &digest)
    {
        return Download::Done(Fetched::Retry(
            "the file did not match the checksum Meta gave; it was damaged on the way".into(),
        ));
    }
    if matches!(kind, "image" | "sticker") && image::guess_format(&head).is_err() {
        return Download::Done(Fetched::GiveUp("refused", "The file said it was a picture but is not one.".into()));
    }
    let path = match keep(file, &config.dir, &hex_digest, extension(mime.as_deref(), kind)) {
        Ok(path) => path,
        Err(e) => return Download::Done(Fetched::Retry(format!("cannot keep the file: {e}"))),
    };
    let thumbnail =
        if matches!(kind, "image" | "sticker") { make_thumbnail(&config.dir, &path, &hex_digest).await } else { None };
    Download::Done(Fetched::Done { path, thumbnail, mime, size, sha256: hex_digest })
}

/// A download written to a temporary file in the media directory, not yet kept.
struct Streamed {
    file: tempfile::NamedTempFile,
    size: u64,
    digest: sha2::digest::Output<Sha256>,
    /// The first bytes, to tell what the file really is.
    head: Vec<u8>,
}

/// Streams the body to a temporary file, hashing as it goes and stopping at the size cap.
async fn stream_to_temp(response: &mut reqwest::Response, config: &MediaConfig) -> Result<Streamed, Fetched> {
    if let Err(e) = std::fs::create_dir_all(&config.dir) {
        return Err(Fetched::Retry(format!("cannot create {}: {e}", config.dir.display())));
    }
    let mut file = tempfile::NamedTempFile::new_in(&config.dir)
        .map_err(|e| Fetched::Retry(format!("cannot write to {}: {e}", config.dir.display())))?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(64);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => return Err(Fetched::Retry(format!("the download broke off: {}", e.without_url()))),
        };
        size += chunk.len() as u64;
        if size > config.max_bytes {
            return Err(too_big(size, config.max_bytes));
        }
        if head.len() < 64 {
            head.extend_from_slice(&chunk[..chunk.len().min(64 - head.len())]);
        }
        hasher.update(&chunk);
        // Written on the async thread: chunks are small and local disk writes are short.
        file.write_all(&chunk).map_err(|e| Fetched::Retry(format!("cannot write the file: {e}")))?;
    }
    Ok(Streamed { file, size, digest: hasher.finalize(), head })
}

/// Keeps a finished download under its checksum (`ab/abcdef….ext`), flushed to disk first.
fn keep(file: tempfile::NamedTempFile, media_dir: &Path, hex_digest: &str, ext: &str) -> Result<PathBuf, String> {
    let dir = media_dir.join(&hex_digest[..2]);
    let path = dir.join(format!("{hex_digest}.{ext}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    file.as_file().sync_all().map_err(|e| e.to_string())?;
    file.persist(&path).map_err(|e| e.error.to_string())?;
    Ok(path)
}

/// `None` when what the server sent can be what the message said it carries. An HTML page
/// (a login wall, an error page served with 200) is never media.
fn type_mismatch(kind: &str, served: Option<&str>, declared: Option<&str>) -> Option<String> {
    let served = served.unwrap_or("");
    if served.starts_with("text/html") {
        return Some("The link led to a web page instead of the file.".into());
    }
    let family = |m: &str| m.split('/').next().unwrap_or("").to_string();
    let expected = match kind {
        "image" | "sticker" => Some("image"),
        "video" => Some("video"),
        "audio" => Some("audio"),
        _ => None,
    };
    let expected = expected?;
    // Servers label media loosely (application/octet-stream); only a clear contradiction counts.
    for m in [served, declared.unwrap_or("")] {
        let f = family(m);
        let contradicts = matches!(f.as_str(), "image" | "video" | "audio" | "text")
            && f != expected
            && !(expected == "audio" && f == "video");
        if contradicts {
            return Some(format!("The file is {m}, not the {expected} the message announced."));
        }
    }
    None
}

/// Meta gives the checksum as hex (media metadata) or base64 (some webhooks).
fn sha_matches(expected: &str, digest: &[u8]) -> bool {
    use base64::Engine as _;
    let expected = expected.trim();
    if hex::decode(expected).is_ok_and(|d| d == digest) {
        return true;
    }
    base64::engine::general_purpose::STANDARD.decode(expected).is_ok_and(|d| d == digest)
}

fn extension(mime: Option<&str>, kind: &str) -> &'static str {
    match mime.unwrap_or("") {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "video/quicktime" => "mov",
        "audio/ogg" | "audio/ogg; codecs=opus" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/aac" => "aac",
        "audio/mp4" => "m4a",
        "audio/amr" => "amr",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => match kind {
            "image" => "img",
            "sticker" => "webp",
            _ => "bin",
        },
    }
}

/// A JPEG no larger than [`THUMBNAIL_SIDE`], made off the async threads. `None` (and a log
/// line) when the image cannot be decoded: the file is kept, the thread shows a tile.
async fn make_thumbnail(media_dir: &Path, source: &Path, digest: &str) -> Option<PathBuf> {
    let target = media_dir.join("thumbs").join(format!("{digest}.jpg"));
    if target.exists() {
        return Some(target);
    }
    let (source, out) = (source.to_path_buf(), target.clone());
    let made = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let image = image::ImageReader::open(&source)
            .map_err(|e| e.to_string())?
            .with_guessed_format()
            .map_err(|e| e.to_string())?;
        let image = image.decode().map_err(|e| e.to_string())?;
        let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
        std::fs::create_dir_all(out.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
        let temp =
            tempfile::NamedTempFile::new_in(out.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
        let mut writer = std::io::BufWriter::new(temp.as_file());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut writer, 82)
            .encode_image(&small)
            .map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())?;
        drop(writer);
        temp.persist(&out).map_err(|e| e.error.to_string())?;
        Ok(())
    })
    .await;
    match made {
        Ok(Ok(())) => Some(target),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "no thumbnail for a received image");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "thumbnail task failed");
            None
        }
    }
}

/// Removes half-written downloads (`.tmp*` files) that a killed process left, once they
/// are an hour old: younger ones may belong to a download still running in another
/// process (the window and `cahts-cli` share the directory). Returns how many went.
pub fn sweep_partial_downloads(dir: &Path) -> usize {
    let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut removed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let partial = entry.file_name().to_string_lossy().starts_with(".tmp");
            if partial && meta.modified().is_ok_and(|m| m < cutoff) && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed downloads a stopped process left half-written");
    }
    removed
}

/// The thumbnail of an image already in the media directory (`media/ab/<hash>.ext`).
pub async fn thumbnail_for(path: &Path, sha256: &str) -> Option<PathBuf> {
    let media_dir = path.parent()?.parent()?;
    make_thumbnail(media_dir, path, sha256).await
}

/// A file the owner picked, copied into the media directory (so a queued send survives the
/// original being moved) and described for sending.
#[derive(Debug, Clone)]
pub struct LocalFile {
    pub path: PathBuf,
    pub mime_type: String,
    pub kind: &'static str,
    pub size: u64,
    pub filename: String,
    pub sha256: String,
}

/// Copies `source` into the media directory under its hash; refuses what no platform takes.
pub async fn import_outgoing(config: &MediaConfig, source: PathBuf) -> Result<LocalFile, String> {
    let dir = config.dir.clone();
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        if !meta.is_file() {
            return Err(format!("{} is not a file", source.display()));
        }
        if meta.len() == 0 {
            return Err(format!("{} is empty: there is nothing to send", source.display()));
        }
        let bytes = std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let digest = hex::encode(Sha256::digest(&bytes));
        let filename = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
        let (mime_type, kind) = sniff_outgoing(&bytes, &filename);
        let ext = extension(Some(&mime_type), kind);
        let target_dir = dir.join(&digest[..2]);
        std::fs::create_dir_all(&target_dir).map_err(|e| format!("cannot create {}: {e}", target_dir.display()))?;
        let path = target_dir.join(format!("{digest}.{ext}"));
        if !path.exists() {
            let mut temp = tempfile::NamedTempFile::new_in(&target_dir).map_err(|e| e.to_string())?;
            temp.write_all(&bytes).map_err(|e| e.to_string())?;
            temp.as_file().sync_all().map_err(|e| e.to_string())?;
            temp.persist(&path).map_err(|e| e.error.to_string())?;
        }
        Ok(LocalFile { path, mime_type, kind, size: bytes.len() as u64, filename, sha256: digest })
    })
    .await
    .map_err(|e| format!("reading the file failed: {e}"))?
}

/// The MIME type and attachment kind of a file to send, from its first bytes (then its
/// name): the platforms check types, so the label must be right.
fn sniff_outgoing(bytes: &[u8], filename: &str) -> (String, &'static str) {
    if let Ok(format) = image::guess_format(bytes) {
        let mime = match format {
            image::ImageFormat::Png => "image/png",
            image::ImageFormat::Jpeg => "image/jpeg",
            image::ImageFormat::Gif => "image/gif",
            image::ImageFormat::WebP => "image/webp",
            _ => "application/octet-stream",
        };
        if mime != "application/octet-stream" {
            return (mime.into(), "image");
        }
    }
    let lower = filename.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    if bytes.len() > 8 && &bytes[4..8] == b"ftyp" {
        return if matches!(ext, "m4a") { ("audio/mp4".into(), "audio") } else { ("video/mp4".into(), "video") };
    }
    if bytes.starts_with(b"OggS") {
        return ("audio/ogg".into(), "audio");
    }
    if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 && ext == "mp3") {
        return ("audio/mpeg".into(), "audio");
    }
    if bytes.starts_with(b"%PDF") {
        return ("application/pdf".into(), "file");
    }
    let mime = match ext {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    };
    (mime.into(), "file")
}

/// The most a platform accepts for a kind of file (META-API.md §3.3 Attachments/Upload,
/// §3.4 Media upload).
pub fn send_limit(platform: &str, kind: &str) -> u64 {
    const MB: u64 = 1 << 20;
    match (platform, kind) {
        ("whatsapp", "image") => 5 * MB,
        ("whatsapp", "video" | "audio") => 16 * MB,
        ("whatsapp", _) => 100 * MB,
        ("instagram", "image") => 8 * MB,
        _ => 25 * MB,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_written_downloads_are_swept_once_an_hour_old() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ab");
        std::fs::create_dir_all(&sub).unwrap();
        let old = sub.join(".tmpOLD123");
        let fresh = dir.path().join(".tmpNEW456");
        let kept = sub.join("abcdef.jpg");
        for p in [&old, &fresh, &kept] {
            std::fs::write(p, b"x").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for p in [&old, &kept] {
            std::fs::File::options().write(true).open(p).unwrap().set_modified(two_hours_ago).unwrap();
        }
        assert_eq!(sweep_partial_downloads(dir.path()), 1);
        assert!(!old.exists() && fresh.exists() && kept.exists());
    }

    #[test]
    fn checksums_match_in_hex_or_base64() {
        let digest = Sha256::digest(b"photo");
        use base64::Engine as _;
        assert!(sha_matches(&hex::encode(digest), &digest));
        assert!(sha_matches(&base64::engine::general_purpose::STANDARD.encode(digest), &digest));
        assert!(!sha_matches(&hex::encode(Sha256::digest(b"other")), &digest));
    }

    #[test]
    fn a_web_page_or_a_contradicting_type_is_not_media() {
        assert!(type_mismatch("image", Some("text/html"), Some("image/jpeg")).is_some());
        assert!(type_mismatch("image", Some("video/mp4"), None).is_some());
        assert!(type_mismatch("image", Some("application/octet-stream"), Some("image/png")).is_none());
        assert!(type_mismatch("audio", Some("video/mp4"), None).is_none(), "voice notes are often served as mp4");
        assert!(type_mismatch("file", Some("application/pdf"), None).is_none());
    }

    #[test]
    fn outgoing_files_are_labelled_by_their_bytes() {
        assert_eq!(sniff_outgoing(b"\x89PNG\r\n\x1a\n0000", "x.bin"), ("image/png".into(), "image"));
        assert_eq!(sniff_outgoing(b"%PDF-1.7 ...", "menu.pdf"), ("application/pdf".into(), "file"));
        assert_eq!(sniff_outgoing(b"\0\0\0\x18ftypmp42xxxx", "clip.mp4"), ("video/mp4".into(), "video"));
        assert_eq!(sniff_outgoing(b"plain words", "notes.txt"), ("text/plain".into(), "file"));
    }
}

//! Media, templates, reactions and Instagram Login, end to end: `cahts-cli` processes
//! against meta-sim (in this process, on 127.0.0.1:0), with secrets in the real keyring
//! (`scripts/with-keyring.sh`).

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use cahts_tests::harness::{Desktop, approve_login, cli_with, conversation_with, ok_json};
use cahts_tests::meta_sim::graph::{SentKind, Template};
use cahts_tests::meta_sim::{Fault, MetaSim, Platform, TokenLife};
use serde_json::{Value, json};

fn cli(desktop: &Desktop, sim: &MetaSim, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    cli_with(desktop, &sim.base_url(), args, stdin)
}

fn refused(out: Output) -> anyhow::Result<String> {
    anyhow::ensure!(!out.status.success(), "expected a refusal, got {}", String::from_utf8_lossy(&out.stdout));
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

fn real_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A photo big enough to need a smaller thumbnail.
fn photo_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(1200, 800, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

fn wa_webhook(waba: &str, phone: &str, customer: &str, name: &str, at_s: i64, messages: Vec<Value>) -> String {
    json!({"object":"whatsapp_business_account","entry":[{"id": waba, "changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"4930901820","phone_number_id": phone},
        "contacts":[{"profile":{"name": name},"wa_id": customer}],
        "messages": messages.into_iter().map(|mut m| { m["from"] = json!(customer); m["timestamp"] = json!(at_s.to_string()); m }).collect::<Vec<_>>()
    }}]}]})
    .to_string()
}

fn ingest(desktop: &Desktop, dir: &Path, body: &str) -> anyhow::Result<()> {
    let file = dir.join(format!("webhook-{}.json", rand::random::<u32>()));
    std::fs::write(&file, body)?;
    let out = desktop.command().args(["ingest-webhook", file.to_str().unwrap()]).output()?;
    anyhow::ensure!(out.status.success(), "ingest failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

fn conversation_of(desktop: &Desktop, contact: &str) -> anyhow::Result<String> {
    Ok(conversation_with(desktop, contact)?.to_string())
}

struct AttachmentRow {
    local_path: Option<String>,
    thumbnail_path: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn attachment_of(desktop: &Desktop, mid: &str) -> anyhow::Result<AttachmentRow> {
    let conn = rusqlite::Connection::open(desktop.db())?;
    Ok(conn.query_row(
        "SELECT t.local_path, t.thumbnail_path, t.download_state, t.download_error FROM attachments t
         JOIN messages m ON m.id = t.message_id WHERE m.platform_message_id = ?1",
        [mid],
        |r| Ok(AttachmentRow { local_path: r.get(0)?, thumbnail_path: r.get(1)?, state: r.get(2)?, error: r.get(3)? }),
    )?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_media_is_fetched_checked_and_thumbnailed_and_what_cannot_be_is_explained() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let desktop = Desktop::new(dir.path(), "desk");
    let account = ok_json(cli(
        &desktop,
        &sim,
        &["connect-whatsapp", "--phone-number-id", &phone.id],
        Some(&waba.system_user_token),
    )?)?;
    assert_eq!(account["businessId"], waba.id, "the business account is found from the token: {account}");
    assert_eq!(
        world.subscribed_fields(&waba.id),
        vec!["messages".to_string()],
        "the app is subscribed to the number's business account"
    );
    // Meta drops the subscription; the periodic check puts it back.
    world.unsubscribe_app(&waba.id);
    let checked = ok_json(cli(&desktop, &sim, &["check-subscriptions"], None)?)?;
    assert_eq!(checked[0]["outcome"], "resubscribed", "{checked}");
    assert_eq!(world.subscribed_fields(&waba.id), vec!["messages".to_string()]);

    // A photo from eight days ago: WhatsApp kept it for seven.
    let old = world.add_media(photo_png(), "image/png");
    world.advance(Duration::from_secs(8 * 24 * 3600));
    let photo_bytes = photo_png();
    let photo = world.add_media(photo_bytes.clone(), "image/png");
    let pdf_bytes = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let pdf = world.add_media(pdf_bytes.clone(), "application/pdf");
    // Says it is a photo; is a web page.
    let fake = world.add_media(b"<html><body>Sign in</body></html>".to_vec(), "image/jpeg");
    let at = world.now_ms() / 1000;
    let customer = "4915112345678";
    let body = wa_webhook(
        &waba.id,
        &phone.id,
        customer,
        "Zoë Lefèvre",
        at,
        vec![
            json!({"id":"wamid.photo","type":"image","image":{"id": photo.id,"mime_type":"image/png","sha256": photo.sha256}}),
            json!({"id":"wamid.menu","type":"document","document":{"id": pdf.id,"mime_type":"application/pdf","filename":"menu.pdf","sha256": pdf.sha256}}),
            json!({"id":"wamid.fake","type":"image","image":{"id": fake.id,"mime_type":"image/jpeg"}}),
            json!({"id":"wamid.old","type":"image","image":{"id": old.id,"mime_type":"image/png"}}),
        ],
    );
    ingest(&desktop, dir.path(), &body)?;

    // The first media URL has expired by the time it is fetched: a new one is asked for.
    sim.faults().fail_next(
        "GET /whatsapp_business/attachments*",
        1,
        Fault::Raw { status: 404, content_type: "text/plain".into(), body: "Not Found".into() },
    );
    let report = ok_json(cli(&desktop, &sim, &["media"], None)?)?;
    assert_eq!(report, json!({"downloaded": 2, "retrying": 0, "givenUp": 2}), "{report}");

    let row = attachment_of(&desktop, "wamid.photo")?;
    let local = row.local_path.expect("the photo is on this computer");
    assert!(local.starts_with(desktop.dir.join("media").to_str().unwrap()), "{local}");
    assert_eq!(std::fs::read(&local)?, photo_bytes);
    let thumbnail = image::open(row.thumbnail_path.expect("a thumbnail"))?;
    assert!(
        thumbnail.width() <= 480 && thumbnail.height() <= 480 && thumbnail.width() >= 400,
        "{}x{}",
        thumbnail.width(),
        thumbnail.height()
    );
    assert_eq!(std::fs::read(attachment_of(&desktop, "wamid.menu")?.local_path.expect("the PDF is here"))?, pdf_bytes);
    let fake_row = attachment_of(&desktop, "wamid.fake")?;
    assert_eq!((fake_row.state.as_deref(), fake_row.local_path), (Some("refused"), None));
    assert!(fake_row.error.unwrap().contains("said it was a picture"));
    let old_row = attachment_of(&desktop, "wamid.old")?;
    assert_eq!(old_row.state.as_deref(), Some("unavailable"));
    assert!(old_row.error.unwrap().contains("7 days"));
    // Every download carried the token (meta-sim refuses it otherwise) and each URL was
    // asked for again only once.
    let lookups = world.requests().iter().filter(|r| r.path.contains(&photo.id) && r.method == "GET").count();
    assert_eq!(lookups, 2, "the expired URL was replaced once");
    // Nothing is fetched twice.
    assert_eq!(ok_json(cli(&desktop, &sim, &["media"], None)?)?, json!({"downloaded": 0, "retrying": 0, "givenUp": 0}));

    // A file over the size limit is not fetched at all.
    let big = world.add_media(vec![0u8; 300_000], "video/mp4");
    ingest(
        &desktop,
        dir.path(),
        &wa_webhook(
            &waba.id,
            &phone.id,
            customer,
            "Zoë Lefèvre",
            at,
            vec![json!({"id":"wamid.big","type":"video","video":{"id": big.id,"mime_type":"video/mp4"}})],
        ),
    )?;
    let mut limited = desktop.command();
    limited.env("CAHTS_GRAPH_BASE", sim.base_url()).env("CAHTS_MEDIA_MAX_BYTES", "100000").arg("media");
    let report = ok_json(limited.output()?)?;
    assert_eq!(report["givenUp"], 1, "{report}");
    let big_row = attachment_of(&desktop, "wamid.big")?;
    assert_eq!((big_row.state.as_deref(), big_row.local_path), (Some("refused"), None));
    assert!(big_row.error.unwrap().contains("293 KB"), "the size and the limit are named");

    // Deleting the number's history deletes its files.
    let account_id = account["id"].as_i64().unwrap().to_string();
    ok_json(cli(&desktop, &sim, &["disconnect", &account_id, "--delete-data"], None)?)?;
    assert!(!Path::new(&local).exists(), "the photo went with the history");
    assert_eq!(
        world.subscribed_fields(&waba.id),
        Vec::<String>::new(),
        "its only number gone, the business account is unsubscribed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_photos_are_fetched_even_after_their_cdn_links_expired() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let user = world.add_user("Lena Vogel");
    let page = world.add_page_for(&user.id, "Blumenhaus Lena");
    for i in 0..12 {
        world.add_conversation(&page.id, Platform::Messenger, &format!("Kundin {i}"), 20);
    }
    let token = world.issue_user_token(
        &user.id,
        TokenLife::LongLived,
        &["pages_show_list", "pages_messaging", "pages_manage_metadata"],
    );
    let desktop = Desktop::new(dir.path(), "desk");
    ok_json(cli(&desktop, &sim, &["connect-pages", "--page", &page.id, "--no-instagram"], Some(&token))?)?;
    ok_json(cli(&desktop, &sim, &["sync-history"], None)?)?;
    let conn = rusqlite::Connection::open(desktop.db())?;
    let photos: i64 =
        conn.query_row("SELECT count(*) FROM attachments WHERE kind = 'image' AND url IS NOT NULL", [], |r| r.get(0))?;
    assert!(photos > 0, "the seeded history has photos");
    // Every link handed out in the history has expired before the first fetch.
    world.expire_cdn_links();
    let mut downloaded = 0;
    for _ in 0..10 {
        let report = ok_json(cli(&desktop, &sim, &["media"], None)?)?;
        assert_eq!(report["givenUp"], 0, "{report}");
        downloaded += report["downloaded"].as_i64().unwrap();
        if report["downloaded"] == 0 {
            break;
        }
    }
    assert_eq!(downloaded, photos);
    let missing: i64 = conn.query_row(
        "SELECT count(*) FROM attachments WHERE kind = 'image' AND (local_path IS NULL OR thumbnail_path IS NULL)",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(missing, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_templates_and_reactions_are_sent_and_refusals_say_why() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    world.add_template(&waba.id, Template::approved("order_ready", "en_US", "Hello {{1}}, your order {{2}} is ready."));
    let desktop = Desktop::new(dir.path(), "desk");
    ok_json(cli(
        &desktop,
        &sim,
        &["connect-whatsapp", "--phone-number-id", &phone.id, "--business-account-id", &waba.id],
        Some(&waba.system_user_token),
    )?)?;
    let now = world.now_ms() / 1000;
    // Zoë wrote just now; Ada wrote yesterday morning, 26 hours ago.
    world.wa_customer_writes(&phone.id, "4915112345678", "Zoë Lefèvre");
    world.wa_customer_writes(&phone.id, "4917700000001", "Ada Brandt");
    world.age_wa_contact(&phone.id, "4917700000001", Duration::from_secs(26 * 3600));
    ingest(
        &desktop,
        dir.path(),
        &wa_webhook(
            &waba.id,
            &phone.id,
            "4915112345678",
            "Zoë Lefèvre",
            now,
            vec![json!({"id":"wamid.zoe-1","type":"text","text":{"body":"Photo of the bouquet?"}})],
        ),
    )?;
    ingest(
        &desktop,
        dir.path(),
        &wa_webhook(
            &waba.id,
            &phone.id,
            "4917700000001",
            "Ada Brandt",
            now - 26 * 3600,
            vec![json!({"id":"wamid.ada-1","type":"text","text":{"body":"Order 4411 please"}})],
        ),
    )?;
    let zoe = conversation_of(&desktop, "4915112345678")?;
    let ada = conversation_of(&desktop, "4917700000001")?;

    // A photo with its caption, uploaded first, then sent by media id.
    let photo = dir.path().join("bouquet.png");
    std::fs::write(&photo, photo_png())?;
    let sent = ok_json(cli(
        &desktop,
        &sim,
        &["send-media", "--conversation", &zoe, "--file", photo.to_str().unwrap(), "--caption", "Voilà !"],
        None,
    )?)?;
    assert_eq!(sent["outcomes"][0]["state"], "sent", "{sent}");
    let message = world.sent().into_iter().find(|s| s.message_type == "image").expect("an image reached WhatsApp");
    assert_eq!(message.request["image"]["caption"], "Voilà !");
    let uploaded = message.request["image"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        world.media(&uploaded).expect("uploaded to WhatsApp").phone_number_id.as_deref(),
        Some(phone.id.as_str())
    );
    // The thread shows the local copy with its thumbnail; the upload id travels to other computers.
    let conn = rusqlite::Connection::open(desktop.db())?;
    let (media_id, thumb): (String, Option<String>) = conn.query_row(
        "SELECT t.media_id, t.thumbnail_path FROM attachments t JOIN messages m ON m.id = t.message_id WHERE m.direction = 'outbound'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!(media_id, uploaded);
    assert!(thumb.is_some_and(|t| Path::new(&t).exists()));

    // Too big for WhatsApp: refused before anything is uploaded.
    let big = dir.path().join("huge.png");
    let mut bytes = photo_png();
    bytes.resize(6 * 1024 * 1024, 0);
    std::fs::write(&big, bytes)?;
    let uploads_before = world.requests().iter().filter(|r| r.path.ends_with("/media")).count();
    let why =
        refused(cli(&desktop, &sim, &["send-media", "--conversation", &zoe, "--file", big.to_str().unwrap()], None)?)?;
    assert!(why.contains("5 MB"), "{why}");
    assert_eq!(world.requests().iter().filter(|r| r.path.ends_with("/media")).count(), uploads_before);

    // Ada's window has closed: text is refused, an approved template goes.
    let why = refused(cli(&desktop, &sim, &["send", "--conversation", &ada, "--text", "Hi"], None)?)?;
    assert!(why.contains("template"), "{why}");
    let templates = ok_json(cli(&desktop, &sim, &["templates", "--conversation", &ada], None)?)?;
    assert_eq!(templates[0]["name"], "order_ready");
    assert_eq!(templates[0]["parameters"], 2);
    let why = refused(cli(
        &desktop,
        &sim,
        &["send-template", "--conversation", &ada, "--name", "order_ready", "--language", "en_US", "--param", "Ada"],
        None,
    )?)?;
    assert!(why.contains("needs 2"), "{why}");
    let sent = ok_json(cli(
        &desktop,
        &sim,
        &[
            "send-template",
            "--conversation",
            &ada,
            "--name",
            "order_ready",
            "--language",
            "en_US",
            "--param",
            "Ada",
            "--param",
            "4411",
        ],
        None,
    )?)?;
    assert_eq!(sent["outcome"]["state"], "sent", "{sent}");
    let template =
        world.sent().into_iter().find(|s| s.message_type == "template").expect("the template reached WhatsApp");
    assert_eq!(template.request["template"]["components"][0]["parameters"][1]["text"], "4411");
    let shown: String = conn.query_row("SELECT body FROM messages WHERE kind = 'template'", [], |r| r.get(0))?;
    assert_eq!(shown, "Hello Ada, your order 4411 is ready.");

    // A reaction goes out; a refused one is taken back in the thread.
    let sent = ok_json(cli(
        &desktop,
        &sim,
        &["react", "--conversation", &zoe, "--message", "wamid.zoe-1", "--emoji", "👍"],
        None,
    )?)?;
    assert_eq!(sent["outcome"]["state"], "sent", "{sent}");
    let reaction =
        world.sent().into_iter().find(|s| s.kind == SentKind::Reaction).expect("the reaction reached WhatsApp");
    assert_eq!(reaction.request["reaction"]["emoji"], "👍");
    sim.faults().fail_next("POST /*/messages", 1, Fault::graph(400, 100, None, "(#100) Invalid parameter"));
    let sent = ok_json(cli(
        &desktop,
        &sim,
        &["react", "--conversation", &zoe, "--message", "wamid.zoe-1", "--emoji", "❤️"],
        None,
    )?)?;
    assert_eq!(sent["outcome"]["state"], "failed", "{sent}");
    let ours: Option<String> = conn.query_row(
        "SELECT emoji FROM reactions WHERE platform_message_id = 'wamid.zoe-1' AND actor = 'business'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(ours.as_deref(), Some("👍"), "back to the reaction Meta accepted");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_login_accounts_connect_sync_answer_and_keep_their_token_fresh() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let ig = world.add_instagram_unlinked("studio.kai", "Studio Kai");
    let conversation = world.add_conversation(&ig.id, Platform::Instagram, "Mara", 8);
    world.customer_writes(&conversation.id, "Do you have the blue vase?");
    let token = world.issue_instagram_token(&ig.id, TokenLife::LongLived);
    let desktop = Desktop::new(dir.path(), "desk");
    let account = ok_json(cli(&desktop, &sim, &["connect-instagram", "--token-stdin"], Some(&token))?)?;
    assert_eq!(
        (account["login"].as_str(), account["displayName"].as_str()),
        (Some("instagram"), Some("@studio.kai")),
        "{account}"
    );
    let expires = account["tokenExpiresAt"].as_i64().unwrap();
    let in_days = (expires - real_now_ms()) as f64 / 86_400_000.0;
    assert!((59.0..61.0).contains(&in_days), "{in_days}");
    assert!(world.subscribed_fields(&ig.id).iter().any(|f| f == "messages"));

    let history = ok_json(cli(&desktop, &sim, &["sync-history"], None)?)?;
    assert_eq!(history[0]["conversations"], 1, "{history}");
    let id = conversation_of(&desktop, &conversation.participant_id)?;
    let sent =
        ok_json(cli(&desktop, &sim, &["send", "--conversation", &id, "--text", "Yes, in blue and green."], None)?)?;
    assert_eq!(sent["outcome"]["state"], "sent", "{sent}");
    assert!(world.sent().iter().any(|s| s.account_id == ig.id && s.text.as_deref() == Some("Yes, in blue and green.")));
    // Instagram Login takes attachments only by public link: said before anything is sent.
    let photo = dir.path().join("vase.png");
    std::fs::write(&photo, photo_png())?;
    let why =
        refused(cli(&desktop, &sim, &["send-media", "--conversation", &id, "--file", photo.to_str().unwrap()], None)?)?;
    assert!(why.contains("Instagram Login"), "{why}");

    // Fifty days on, fewer than thirty remain: the token job refreshes it.
    world.advance(Duration::from_secs(50 * 24 * 3600));
    let conn = rusqlite::Connection::open(desktop.db())?;
    conn.execute("UPDATE accounts SET token_expires_at = ?1", [real_now_ms() + 10 * 86_400_000])?;
    let issued_before = world.issued_tokens().len();
    let jobs = ok_json(cli(&desktop, &sim, &["run-jobs", "--force"], None)?)?;
    let tokens_job = jobs.as_array().unwrap().iter().find(|j| j["job"] == "tokens").unwrap().clone();
    assert_eq!(tokens_job["problems"], json!([]), "{jobs}");
    assert_eq!(world.issued_tokens().len(), issued_before + 1, "a new token was issued");
    let renewed: i64 = conn.query_row("SELECT token_expires_at FROM accounts", [], |r| r.get(0))?;
    assert!(renewed > real_now_ms() + 50 * 86_400_000, "60 days from the refresh");
    // The old token dies; the account works with the new one from the keyring.
    world.expire_token(&token);
    ok_json(cli(&desktop, &sim, &["sync-history"], None)?)?;
    let status: String = conn.query_row("SELECT status FROM accounts", [], |r| r.get(0))?;
    assert_eq!(status, "connected");
    // Never in the store.
    let db = std::fs::read(desktop.db())?;
    for t in world.issued_tokens() {
        assert!(!cahts_tests::harness::contains(&db, t.as_bytes()), "a token is in the store");
    }
    // Disconnecting tells Instagram to stop sending this account's messages.
    let id = account["id"].as_i64().unwrap().to_string();
    let out = ok_json(cli(&desktop, &sim, &["disconnect", &id], None)?)?;
    assert_eq!(out["warning"], Value::Null, "{out}");
    assert_eq!(world.subscribed_fields(&ig.id), Vec::<String>::new());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_reply_whose_answer_was_lost_is_settled_by_its_status_not_sent_twice() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let desktop = Desktop::new(dir.path(), "desk");
    ok_json(cli(
        &desktop,
        &sim,
        &["connect-whatsapp", "--phone-number-id", &phone.id],
        Some(&waba.system_user_token),
    )?)?;
    let customer = "4915112345678";
    world.wa_customer_writes(&phone.id, customer, "Zoë Lefèvre");
    let now = world.now_ms() / 1000;
    ingest(
        &desktop,
        dir.path(),
        &wa_webhook(
            &waba.id,
            &phone.id,
            customer,
            "Zoë Lefèvre",
            now,
            vec![json!({"id":"wamid.q","type":"text","text":{"body":"Samedi ?"}})],
        ),
    )?;
    let zoe = conversation_of(&desktop, customer)?;

    // WhatsApp takes the message, and the answer never comes back.
    sim.faults().drop_after_processing("POST /*/messages", 1);
    let sent = ok_json(cli(&desktop, &sim, &["send", "--conversation", &zoe, "--text", "Oui, samedi matin."], None)?)?;
    assert_eq!(sent["outcome"]["state"], "unconfirmed", "{sent}");
    let accepted = world.sent().into_iter().find(|s| s.message_type == "text").expect("WhatsApp accepted it");
    let wamid = accepted.message_id.clone().unwrap();
    let callback = accepted.request["biz_opaque_callback_data"].as_str().unwrap().to_string();
    assert_eq!(callback, format!("cahts:{}", sent["clientId"].as_str().unwrap()));

    // Its `sent` status webhook carries the callback data back: the reply is settled.
    let status = json!({"object":"whatsapp_business_account","entry":[{"id": waba.id, "changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"4930901820","phone_number_id": phone.id},
        "statuses":[{"id": wamid, "status":"sent", "timestamp": (now + 1).to_string(), "recipient_id": customer, "biz_opaque_callback_data": callback}]}}]}]});
    ingest(&desktop, dir.path(), &status.to_string())?;
    let conn = rusqlite::Connection::open(desktop.db())?;
    let (state, mid): (String, String) =
        conn.query_row("SELECT state, platform_message_id FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    assert_eq!((state.as_str(), mid.as_str()), ("sent", wamid.as_str()));
    let rows: Vec<(String, Option<String>, i64)> = conn
        .prepare("SELECT platform_message_id, body, stub FROM messages WHERE direction = 'outbound'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    assert_eq!(
        rows,
        vec![(wamid.clone(), Some("Oui, samedi matin.".to_string()), 0)],
        "one message, with its text and Meta's id"
    );

    // Half a minute later nothing is sent again.
    conn.execute("UPDATE outbox SET next_attempt_at = 0", [])?;
    ok_json(cli(&desktop, &sim, &["outbox"], None)?)?;
    assert_eq!(world.sent().iter().filter(|s| s.message_type == "text").count(), 1, "sent once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_login_through_the_relay_connects_the_account_and_keeps_its_token_only_in_the_keyring()
-> anyhow::Result<()> {
    use cahts_tests::harness::{Relay, contains, files_under};
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let app = world.app();
    let ig = world.add_instagram_unlinked("studio.kai", "Studio Kai");
    world.set_login_instagram(&ig.id);
    world.allow_redirect_uri("https://relay.example.test/oauth/callback");
    let relay = Relay::start(
        dir.path(),
        &[
            ("CAHTS_RELAY_PUBLIC_URL", "https://relay.example.test"),
            ("CAHTS_RELAY_INSTAGRAM_APP_ID", &app.instagram_app_id),
            ("CAHTS_RELAY_INSTAGRAM_APP_SECRET", &app.instagram_app_secret),
            ("CAHTS_RELAY_INSTAGRAM_API_BASE", &sim.base_url()),
            ("CAHTS_RELAY_INSTAGRAM_GRAPH_BASE", &sim.base_url()),
            ("CAHTS_RELAY_INSTAGRAM_AUTHORIZE_BASE", &sim.base_url()),
        ],
    )?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;

    let mut child = desktop
        .command()
        .env("CAHTS_GRAPH_BASE", sim.base_url())
        .env("CAHTS_INSTAGRAM_GRAPH_BASE", sim.base_url())
        .args(["connect-instagram", "--timeout", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (line, mut stdout) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line)?;
        Ok((line, stdout))
    })
    .await??;
    let url = serde_json::from_str::<Value>(&line)?["authorizeUrl"].as_str().unwrap().to_string();
    assert!(url.contains("/oauth/authorize") && url.contains(&app.instagram_app_id), "{url}");

    // The owner approves on Instagram, which sends the browser to the relay's callback.
    let (status, page) = approve_login(&url, &relay.url()).await?;
    assert_eq!(status, 200);
    assert!(page.contains("Connected"), "{page}");

    let (status, rest) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let status = child.wait()?;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest)?;
        Ok((status, rest))
    })
    .await??;
    assert!(status.success(), "connect-instagram failed");
    let account: Value = serde_json::from_str(rest.trim())?;
    assert_eq!(
        (account["assetId"].as_str(), account["login"].as_str()),
        (Some(ig.id.as_str()), Some("instagram")),
        "{account}"
    );
    assert!(world.subscribed_fields(&ig.id).iter().any(|f| f == "messages"));
    assert!(
        world.issued_tokens().len() >= 2,
        "the short- and long-lived tokens were issued, so the scan below looks for real ones"
    );
    for root in [dir.path().join("relay"), desktop.dir.clone()] {
        for (path, bytes) in files_under(&root)? {
            for token in world.issued_tokens() {
                assert!(!contains(&bytes, token.as_bytes()), "{} holds an Instagram token", path.display());
            }
        }
    }
    for token in world.issued_tokens() {
        assert!(!relay.log().contains(&token));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_given_to_the_new_commands_is_refused_with_a_reason_and_writes_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let desktop = Desktop::new(dir.path(), "desk");
    ok_json(cli(
        &desktop,
        &sim,
        &["connect-whatsapp", "--phone-number-id", &phone.id],
        Some(&waba.system_user_token),
    )?)?;
    let customer = "4915112345678";
    world.wa_customer_writes(&phone.id, customer, "Zoë Lefèvre");
    ingest(
        &desktop,
        dir.path(),
        &wa_webhook(
            &waba.id,
            &phone.id,
            customer,
            "Zoë Lefèvre",
            world.now_ms() / 1000,
            vec![json!({"id":"wamid.q","type":"text","text":{"body":"Samedi ?"}})],
        ),
    )?;
    let zoe = conversation_of(&desktop, customer)?;
    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"")?;
    let missing = dir.path().join("nowhere.png");
    let count = |what: &str| -> anyhow::Result<i64> {
        Ok(rusqlite::Connection::open(desktop.db())?
            .query_row(&format!("SELECT count(*) FROM {what}"), [], |r| r.get(0))?)
    };
    let (messages, outbox) = (count("messages")?, count("outbox")?);
    let sends_before = world.sent().len();

    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (vec!["send-media", "--conversation", &zoe, "--file", missing.to_str().unwrap()], None, "cannot read"),
        (vec!["send-media", "--conversation", &zoe, "--file", dir.path().to_str().unwrap()], None, "not a file"),
        (vec!["send-media", "--conversation", &zoe, "--file", empty.to_str().unwrap()], None, "empty"),
        (vec!["send-media", "--conversation", "999999", "--file", empty.to_str().unwrap()], None, "empty"),
        (
            vec!["send-template", "--conversation", &zoe, "--name", "no_such_template", "--language", "en_US"],
            None,
            "No approved template",
        ),
        (vec!["templates", "--conversation", "999999"], None, "no such conversation"),
        (vec!["react", "--conversation", &zoe, "--message", "wamid.never-seen", "--emoji", "👍"], None, "reached Meta"),
        (vec!["react", "--conversation", "not-a-number", "--message", "wamid.q"], None, "invalid value"),
        (vec!["connect-instagram", "--token-stdin"], Some("IGQ-not-a-token"), "Meta refused"),
        (vec!["connect-instagram", "--token-stdin"], Some(""), "no token on stdin"),
    ];
    for (args, stdin, reason) in cases {
        let out = cli(&desktop, &sim, &args, stdin)?;
        let why = refused(out)?;
        assert!(why.contains(reason), "{args:?}: expected a reason with {reason:?}, got {why}");
    }
    assert_eq!((count("messages")?, count("outbox")?), (messages, outbox), "nothing was written");
    assert_eq!(world.sent().len(), sends_before, "nothing reached Meta");
    assert_eq!(
        ok_json(cli(&desktop, &sim, &["accounts"], None)?)?.as_array().map(Vec::len),
        Some(1),
        "no account from a bad token"
    );
    Ok(())
}

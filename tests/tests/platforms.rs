//! Connecting accounts, history and sending, end to end: `cahts-cli` processes talking to
//! meta-sim (in this process, on 127.0.0.1:0) through the same code that talks to Meta,
//! redirected only by `CAHTS_GRAPH_BASE`. Secrets go to the real keyring
//! (`scripts/with-keyring.sh`).

use std::process::Output;
use std::time::Duration;

use cahts_tests::harness::{Desktop, cli_with, contains, conversation_with, files_under, ok_json, signal};
use cahts_tests::meta_sim::{Fault, MetaSim, Platform, TokenLife};
use serde_json::Value;

fn cli(desktop: &Desktop, sim: &MetaSim, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    cli_with(desktop, &sim.base_url(), args, stdin)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// A Page with Messenger conversations and a linked Instagram account, connected.
struct Shop {
    sim: MetaSim,
    desktop: Desktop,
    page_id: String,
    page_token: String,
    ig_id: String,
    _dir: tempfile::TempDir,
}

async fn connected_shop(conversations: usize) -> anyhow::Result<Shop> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let user = world.add_user("Lena Vogel");
    let page = world.add_page_for(&user.id, "Blumenhaus Lena");
    let ig = world.add_instagram(&page.id, "blumenhaus.lena", "Blumenhaus Lena");
    for i in 0..conversations {
        world.add_conversation(&page.id, Platform::Messenger, &format!("Kundin {i}"), 25);
    }
    world.add_conversation(&ig.id, Platform::Instagram, "Zoë", 5);
    let token = world.issue_user_token(
        &user.id,
        TokenLife::LongLived,
        &["pages_show_list", "pages_messaging", "pages_manage_metadata", "instagram_manage_messages"],
    );
    let desktop = Desktop::new(dir.path(), "desk");
    let shop = Shop {
        sim,
        desktop,
        page_id: page.id.clone(),
        page_token: page.access_token.clone(),
        ig_id: ig.id.clone(),
        _dir: dir,
    };
    // Without --page: the Pages this login can connect.
    let choices = ok_json(cli(&shop.desktop, &shop.sim, &["connect-pages"], Some(&token))?)?;
    assert_eq!(choices[0]["instagramUsername"], "blumenhaus.lena", "{choices}");
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["connect-pages", "--page", &shop.page_id], Some(&token))?)?;
    assert_eq!(accounts.as_array().map(Vec::len), Some(2), "the Page and its Instagram account: {accounts}");
    // The Page token the desktop got: Meta hands out one per user token and Page.
    let listed: Value =
        reqwest::get(format!("{}/v24.0/me/accounts?access_token={token}", shop.sim.base_url())).await?.json().await?;
    let mut shop = shop;
    shop.page_token = listed["data"][0]["access_token"].as_str().unwrap().to_string();
    Ok(shop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_connects_only_with_a_token_meta_accepts_and_the_token_stays_in_the_keyring() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let desktop = Desktop::new(dir.path(), "desk");

    let refused =
        cli(&desktop, &sim, &["connect-whatsapp", "--phone-number-id", &phone.id], Some("EAAG-not-a-real-token"))?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Meta refused"), "{stderr}");
    assert_eq!(
        ok_json(cli(&desktop, &sim, &["accounts"], None)?)?,
        serde_json::json!([]),
        "nothing kept after a refusal"
    );

    // Logged at the most talkative level, every crate included, to catch a token in a URL.
    let connected = {
        use std::io::Write as _;
        let mut command = desktop.command();
        command.env("CAHTS_GRAPH_BASE", sim.base_url()).env("CAHTS_LOG", "trace").args([
            "connect-whatsapp",
            "--phone-number-id",
            &phone.id,
        ]);
        command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn()?;
        child.stdin.take().unwrap().write_all(format!("{}\n", waba.system_user_token).as_bytes())?;
        child.wait_with_output()?
    };
    let log = String::from_utf8_lossy(&connected.stderr).to_string();
    let account = ok_json(connected)?;
    assert_eq!(account["status"], "connected");
    assert_eq!(account["displayName"], "Blumenhaus Lena (+49 30 901820)");
    assert!(log.len() > 1000, "the trace log has content: {} bytes", log.len());

    // The token is nowhere but the keyring: not in the store, its WAL, an export, or the log.
    let export = ok_json(cli(&desktop, &sim, &["export-json"], None)?)?;
    assert!(!export.to_string().contains(&waba.system_user_token));
    assert!(!log.contains(&waba.system_user_token), "the connect log holds the token");
    assert!(!String::from_utf8_lossy(&refused.stderr).contains("EAAG-not-a-real-token"));
    for (path, bytes) in files_under(&desktop.dir)? {
        assert!(!contains(&bytes, waba.system_user_token.as_bytes()), "{} holds the token", path.display());
    }

    // Disconnect keeps the history unless asked; the token goes.
    let id = account["id"].as_i64().unwrap().to_string();
    ok_json(cli(&desktop, &sim, &["disconnect", &id], None)?)?;
    let accounts = ok_json(cli(&desktop, &sim, &["accounts"], None)?)?;
    assert_eq!(accounts[0]["status"], "disconnected");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_connect_with_a_user_token_and_are_subscribed_to_webhooks() -> anyhow::Result<()> {
    let shop = connected_shop(3).await?;
    let world = shop.sim.world();
    assert!(
        world.subscribed_fields(&shop.page_id).iter().any(|f| f == "messages"),
        "the Page is subscribed to the app"
    );
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["accounts"], None)?)?;
    let platforms: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["instagram", "messenger"]);

    // Meta drops the subscription (an hour of failed deliveries): the check re-subscribes.
    world.unsubscribe_app(&shop.page_id);
    let report = ok_json(cli(&shop.desktop, &shop.sim, &["check-subscriptions"], None)?)?;
    assert_eq!(report[0]["outcome"], "resubscribed");
    assert!(world.subscribed_fields(&shop.page_id).iter().any(|f| f == "messages"));

    // Disconnecting with --delete-data removes the account and its conversations.
    ok_json(cli(&shop.desktop, &shop.sim, &["sync-history"], None)?)?;
    assert!(shop.desktop.message_count()? > 0);
    let messenger =
        accounts.as_array().unwrap().iter().find(|a| a["platform"] == "messenger").unwrap()["id"].as_i64().unwrap();
    let instagram =
        accounts.as_array().unwrap().iter().find(|a| a["platform"] == "instagram").unwrap()["id"].as_i64().unwrap();
    ok_json(cli(&shop.desktop, &shop.sim, &["disconnect", &messenger.to_string(), "--delete-data"], None)?)?;
    ok_json(cli(&shop.desktop, &shop.sim, &["disconnect", &instagram.to_string(), "--delete-data"], None)?)?;
    assert_eq!(shop.desktop.message_count()?, 0, "history deleted with the accounts");
    assert!(world.subscribed_fields(&shop.page_id).is_empty(), "the Page was unsubscribed");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_fetched_resumes_after_a_kill_and_then_only_fetches_what_changed() -> anyhow::Result<()> {
    let shop = connected_shop(60).await?;
    let world = shop.sim.world();
    let faults = shop.sim.faults();
    // Slow Meta down so the first pass can be killed part-way.
    faults.latency("*/conversations", Duration::from_millis(400));
    let mut first = {
        let mut command = shop.desktop.command();
        command.env("CAHTS_GRAPH_BASE", shop.sim.base_url()).args(["sync-history"]);
        command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn()?
    };
    let desktop_db = shop.desktop.db();
    blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let count: i64 = rusqlite::Connection::open(&desktop_db)
                .and_then(|c| c.query_row("SELECT count(*) FROM sync_cursors WHERE resource = 'conversations:messenger' AND cursor IS NOT NULL", [], |r| r.get(0)))
                .unwrap_or(0);
            if count > 0 {
                return Ok(());
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "no page was applied");
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await?;
    signal(first.id(), "KILL")?;
    first.wait()?;
    faults.clear();
    let partial = shop.desktop.message_count()?;
    assert!(partial > 0, "the first pages were kept");

    let before = world.requests().len();
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history"], None)?)?;
    let resumed = world.requests()[before..]
        .iter()
        .find(|r| {
            r.path.ends_with("/conversations") && r.query.iter().any(|(k, v)| k == "platform" && v == "messenger")
        })
        .cloned()
        .unwrap();
    assert!(
        resumed.query.iter().any(|(k, _)| k == "after"),
        "the second pass resumed from the saved cursor: {resumed:?}"
    );
    assert!(reports.as_array().unwrap().iter().all(|r| r["complete"] == true), "{reports}");

    // Every conversation, with what Meta details (the most recent messages).
    let conn = rusqlite::Connection::open(shop.desktop.db())?;
    let conversations: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))?;
    assert_eq!(conversations, 61);
    let all = world.conversations();
    for info in all.iter().take(5) {
        let newest = world.messages(&info.id).into_iter().max_by_key(|m| m.created_ms).unwrap();
        let stored: i64 =
            conn.query_row("SELECT count(*) FROM messages WHERE platform_message_id = ?1", [&newest.id], |r| r.get(0))?;
        assert_eq!(stored, 1, "the newest message of {} is stored", info.id);
    }
    drop(conn);

    // Incremental: one customer writes; the next pass fetches only up to the last high-water mark.
    let changed = all.iter().find(|c| c.platform == Platform::Messenger).unwrap();
    let mid = world.customer_writes(&changed.id, "Is the peony bouquet still available for Saturday?");
    let before = world.requests().len();
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history"], None)?)?;
    let messenger = reports.as_array().unwrap().iter().find(|r| r["conversations"].as_u64() == Some(1));
    assert!(messenger.is_some(), "only the changed conversation was read again: {reports}");
    let pages_read = world.requests()[before..].iter().filter(|r| r.path.ends_with("/conversations")).count();
    assert!(pages_read <= 2, "an incremental pass reads the first page only per account, read {pages_read}");
    let conn = rusqlite::Connection::open(shop.desktop.db())?;
    let body: String =
        conn.query_row("SELECT body FROM messages WHERE platform_message_id = ?1", [&mid], |r| r.get(0))?;
    assert!(body.contains("peony"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_mid_backfill_asks_for_reconnecting_limits_slow_or_pause_it_and_5xx_are_waited_out()
-> anyhow::Result<()> {
    let shop = connected_shop(60).await?;
    let faults = shop.sim.faults();
    faults.expire_token_after(&shop.page_token, 1);
    let out = cli(&shop.desktop, &shop.sim, &["sync-history"], None)?;
    assert!(!out.status.success(), "{} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["accounts"], None)?)?;
    let messenger = accounts.as_array().unwrap().iter().find(|a| a["platform"] == "messenger").unwrap().clone();
    assert_eq!(messenger["status"], "needs_reconnect", "{messenger}");
    assert!(messenger["statusDetail"].as_str().unwrap().contains("Connect the account again"));
    assert!(shop.desktop.message_count()? > 0, "the page fetched before expiry was kept");

    // Usage near the limit slows the pace; at the limit the pass pauses until Meta's time.
    let shop = connected_shop(60).await?;
    let faults = shop.sim.faults();
    faults.set_business_usage(&shop.page_id, 95);
    let id = messenger_id(&shop)?;
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history", "--account", &id], None)?)?;
    assert!(reports[0]["slowedMs"].as_u64().unwrap() > 0, "{reports}");
    let shop = connected_shop(60).await?;
    let faults = shop.sim.faults();
    faults.set_business_usage(&shop.page_id, 100);
    let id = messenger_id(&shop)?;
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history", "--account", &id], None)?)?;
    assert!(reports[0]["pausedUntil"].as_i64().is_some(), "{reports}");
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["accounts"], None)?)?;
    let messenger = accounts.as_array().unwrap().iter().find(|a| a["platform"] == "messenger").unwrap().clone();
    assert_eq!(messenger["status"], "rate_limited");
    assert!(!shop.ig_id.is_empty());

    // A burst of Meta 5xx: the pass waits and carries on. A longer outage ends it with
    // Meta's answer named; the next pass finishes.
    let shop = connected_shop(60).await?;
    let id = messenger_id(&shop)?;
    shop.sim.faults().fail_next("GET */conversations", 3, Fault::service_unavailable());
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history", "--account", &id], None)?)?;
    assert_eq!(
        (reports[0]["complete"].as_bool(), reports[0]["conversations"].as_u64()),
        (Some(true), Some(60)),
        "{reports}"
    );
    let shop = connected_shop(60).await?;
    let id = messenger_id(&shop)?;
    shop.sim.faults().fail_next("GET */conversations", 5, Fault::service_unavailable());
    let out = cli(&shop.desktop, &shop.sim, &["sync-history", "--account", &id], None)?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 503"), "{}", String::from_utf8_lossy(&out.stderr));
    let reports = ok_json(cli(&shop.desktop, &shop.sim, &["sync-history", "--account", &id], None)?)?;
    assert_eq!(
        (reports[0]["complete"].as_bool(), reports[0]["conversations"].as_u64()),
        (Some(true), Some(60)),
        "{reports}"
    );
    Ok(())
}

fn messenger_id(shop: &Shop) -> anyhow::Result<String> {
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["accounts"], None)?)?;
    Ok(accounts.as_array().unwrap().iter().find(|a| a["platform"] == "messenger").unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string())
}

fn conversation_of(desktop: &Desktop, contact_platform_id: &str) -> anyhow::Result<i64> {
    conversation_with(desktop, contact_platform_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_sent_once_even_when_the_answer_is_lost_and_refused_outside_the_window() -> anyhow::Result<()> {
    let shop = connected_shop(2).await?;
    let world = shop.sim.world();
    let faults = shop.sim.faults();
    let conversations = world.conversations();
    let convo = conversations.iter().find(|c| c.platform == Platform::Messenger).unwrap().clone();
    world.customer_writes(&convo.id, "Do you deliver on Sundays?");
    ok_json(cli(&shop.desktop, &shop.sim, &["sync-history"], None)?)?;
    let id = conversation_of(&shop.desktop, &convo.participant_id)?.to_string();

    // In the window: sent, the local row takes Meta's id.
    let sent =
        ok_json(cli(&shop.desktop, &shop.sim, &["send", "--conversation", &id, "--text", "Yes, until noon."], None)?)?;
    assert_eq!(sent["outcome"]["state"], "sent", "{sent}");
    let mid = sent["outcome"]["platformMessageId"].as_str().unwrap().to_string();
    let records = world.sent();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].request["message"]["metadata"], format!("cahts:{}", sent["clientId"].as_str().unwrap()));
    let conn = rusqlite::Connection::open(shop.desktop.db())?;
    let (status, text): (i64, String) =
        conn.query_row("SELECT status, body FROM messages WHERE platform_message_id = ?1", [&mid], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    assert_eq!((status, text.as_str()), (10, "Yes, until noon."));
    drop(conn);

    // Meta processes the send but the answer is lost: not sent again; the echo settles it.
    faults.drop_after_processing("POST */messages", 1);
    let lost =
        ok_json(cli(&shop.desktop, &shop.sim, &["send", "--conversation", &id, "--text", "We open at 9."], None)?)?;
    assert_eq!(lost["outcome"]["state"], "unconfirmed", "{lost}");
    assert_eq!(world.sent().len(), 2, "Meta has it once");
    let echo = world.sent().last().unwrap().clone();
    let echo_body = serde_json::json!({"object":"page","entry":[{"id": shop.page_id, "time": echo.at_ms, "messaging":[{
        "sender":{"id": shop.page_id}, "recipient":{"id": convo.participant_id}, "timestamp": echo.at_ms,
        "message":{"mid": echo.message_id, "is_echo": true, "app_id": 1, "metadata": echo.request["message"]["metadata"], "text": "We open at 9."}}]}]});
    let file = shop.desktop.dir.join("echo.json");
    std::fs::write(&file, echo_body.to_string())?;
    ok_json(cli(&shop.desktop, &shop.sim, &["ingest-webhook", file.to_str().unwrap()], None)?)?;
    // The grace period has not passed, and an echo settled it anyway: nothing is re-sent.
    let outbox = ok_json(cli(&shop.desktop, &shop.sim, &["outbox"], None)?)?;
    assert_eq!(outbox["outcomes"], serde_json::json!([]), "{outbox}");
    assert_eq!(world.sent().len(), 2);
    let conn = rusqlite::Connection::open(shop.desktop.db())?;
    let copies: i64 = conn.query_row("SELECT count(*) FROM messages WHERE body = 'We open at 9.'", [], |r| r.get(0))?;
    assert_eq!(copies, 1, "one message in the thread, not a local copy beside the echo");
    drop(conn);

    // A transient 5xx answer: the send may have happened; it waits for an echo.
    faults.fail_next("POST */messages", 1, Fault::transient());
    let transient =
        ok_json(cli(&shop.desktop, &shop.sim, &["send", "--conversation", &id, "--text", "Anything else?"], None)?)?;
    assert_eq!(transient["outcome"]["state"], "unconfirmed", "{transient}");

    // Outside the window (8 days): refused before any call to Meta.
    world.age_conversation(&convo.id, Duration::from_secs(8 * 24 * 3600));
    ok_json(cli(&shop.desktop, &shop.sim, &["sync-history"], None)?)?;
    let before = world.sent().len();
    let closed = cli(&shop.desktop, &shop.sim, &["send", "--conversation", &id, "--text", "Hello again"], None)?;
    if closed.status.success() {
        // The store's copy of the conversation is older than Meta's: Meta refuses instead.
        let v: Value = serde_json::from_slice(&closed.stdout)?;
        assert_eq!(v["outcome"]["state"], "failed", "{v}");
    } else {
        assert!(String::from_utf8_lossy(&closed.stderr).contains("7 days"));
        assert_eq!(world.sent().len(), before, "nothing reached Meta");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facebook_login_through_the_relay_connects_pages_and_keeps_no_token_anywhere_but_the_keyring()
-> anyhow::Result<()> {
    use cahts_tests::harness::{APP_SECRET, Relay};
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    // The relay's Meta app is meta-sim's app: same id and secret.
    let mut app = world.app();
    app.app_secret = APP_SECRET.to_string();
    world.set_app(app.clone());
    let user = world.add_user("Lena Vogel");
    world.set_login_user(&user.id);
    let page = world.add_page_for(&user.id, "Blumenhaus Lena");
    world.add_instagram(&page.id, "blumenhaus.lena", "Blumenhaus Lena");
    world.allow_redirect_uri("https://relay.example.test/oauth/callback");
    let relay = Relay::start(
        dir.path(),
        &[
            ("CAHTS_RELAY_PUBLIC_URL", "https://relay.example.test"),
            ("CAHTS_RELAY_META_APP_ID", &app.app_id),
            ("CAHTS_RELAY_GRAPH_API_BASE", &sim.base_url()),
            ("CAHTS_RELAY_FACEBOOK_DIALOG_BASE", &sim.base_url()),
        ],
    )?;
    let desktop = Desktop::new(dir.path(), "desk");
    desktop.pair(&relay, "default")?;

    let mut child = desktop
        .command()
        .env("CAHTS_GRAPH_BASE", sim.base_url())
        .arg("connect-facebook")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let first = blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line)?;
        Ok((line, stdout))
    })
    .await?;
    let (line, mut stdout) = first;
    let authorize: Value = serde_json::from_str(&line)?;
    let url = authorize["authorizeUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&sim.base_url()), "{url}");

    // The owner logs in: Meta's dialog redirects the browser to the relay's callback.
    let (status, shown) = cahts_tests::harness::approve_login(&url, &relay.url()).await?;
    assert_eq!(status, 200);
    assert!(shown.contains("Connected"), "{shown}");

    let (status, rest) = blocking(move || {
        let status = child.wait()?;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest)?;
        Ok((status, rest))
    })
    .await?;
    assert!(status.success(), "connect-facebook failed");
    let accounts: Value = serde_json::from_str(rest.trim())?;
    let platforms: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["messenger", "instagram"]);
    assert!(world.subscribed_fields(&page.id).iter().any(|f| f == "messages"));

    // Tokens: the long-lived user token is forgotten once the Pages are connected; none
    // of Meta's tokens is in the relay's files, the desktop's files or either log.
    let issued: Vec<String> =
        world.requests().iter().filter(|r| r.path.ends_with("/oauth/access_token")).map(|r| r.path.clone()).collect();
    assert!(issued.len() >= 2, "code and long-lived exchanges happened on the relay");
    for root in [dir.path().join("relay"), desktop.dir.clone()] {
        for (path, bytes) in files_under(&root)? {
            for token in world_tokens(&world) {
                assert!(!contains(&bytes, token.as_bytes()), "{} holds a Meta token", path.display());
            }
        }
    }
    for token in world_tokens(&world) {
        assert!(!relay.log().contains(&token));
    }
    let conn = rusqlite::Connection::open(desktop.db())?;
    let leftovers: i64 =
        conn.query_row("SELECT count(*) FROM relay_state WHERE key LIKE 'oauth.%'", [], |r| r.get(0))?;
    assert_eq!(leftovers, 0, "the login's bookkeeping is cleared");
    Ok(())
}

/// Every token meta-sim has issued (app tokens excluded: they contain the app id).
fn world_tokens(world: &cahts_tests::meta_sim::World) -> Vec<String> {
    world.issued_tokens().into_iter().filter(|t| !t.contains('|')).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_jobs_resubscribe_resync_and_catch_dead_tokens_and_remember_their_last_run() -> anyhow::Result<()> {
    let shop = connected_shop(3).await?;
    let world = shop.sim.world();
    let first = ok_json(cli(&shop.desktop, &shop.sim, &["run-jobs"], None)?)?;
    let jobs: Vec<&str> = first.as_array().unwrap().iter().map(|r| r["job"].as_str().unwrap()).collect();
    assert_eq!(jobs, ["tokens", "subscriptions", "history"], "{first}");
    assert!(shop.desktop.message_count()? > 0, "the history job fetched conversations");
    // The last runs are remembered: a second run (a restart) finds nothing due.
    assert_eq!(ok_json(cli(&shop.desktop, &shop.sim, &["run-jobs"], None)?)?, serde_json::json!([]));

    // Meta dropped the subscription and the Page token died: forced jobs notice both.
    world.unsubscribe_app(&shop.page_id);
    let report = ok_json(cli(&shop.desktop, &shop.sim, &["run-jobs", "--force"], None)?)?;
    assert!(world.subscribed_fields(&shop.page_id).iter().any(|f| f == "messages"), "re-subscribed: {report}");
    world.expire_token(&shop.page_token);
    let report = ok_json(cli(&shop.desktop, &shop.sim, &["run-jobs", "--force"], None)?)?;
    assert!(!report[0]["problems"].as_array().unwrap().is_empty(), "{report}");
    let accounts = ok_json(cli(&shop.desktop, &shop.sim, &["accounts"], None)?)?;
    assert!(accounts.as_array().unwrap().iter().all(|a| a["status"] == "needs_reconnect"), "{accounts}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_sent_from_one_computer_reaches_the_owners_other_computer_through_the_relay() -> anyhow::Result<()> {
    use cahts_tests::harness::{APP_SECRET, Relay};
    use cahts_tests::meta_sim::webhooks::{RetryPolicy, WebhookSender};
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let customer = "4915112345678";
    world.wa_customer_writes(&phone.id, customer, "Zoë Lefèvre");
    let relay = Relay::start(dir.path(), &[])?;
    let office = Desktop::new(dir.path(), "office");
    let laptop = Desktop::new(dir.path(), "laptop");
    office.pair(&relay, "default")?;
    laptop.pair(&relay, "default")?;
    ok_json(cli(&office, &sim, &["connect-whatsapp", "--phone-number-id", &phone.id], Some(&waba.system_user_token))?)?;

    // The customer's message reaches both computers.
    let at = world.now_ms() / 1000;
    let body = serde_json::json!({"object":"whatsapp_business_account","entry":[{"id": waba.id, "changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"4930901820","phone_number_id": phone.id},
        "contacts":[{"profile":{"name":"Zoë Lefèvre"},"wa_id": customer}],
        "messages":[{"from": customer, "id":"wamid.fanout-0001","timestamp": at.to_string(),"type":"text","text":{"body":"Vous livrez samedi ?"}}]}}]}]});
    let sender = WebhookSender::new(relay.webhook_url(), APP_SECRET).with_retry(RetryPolicy::once());
    assert_eq!(sender.deliver(body.to_string().as_bytes()).await?.status, 200);
    office.sync_until_idle()?;
    laptop.sync_until_idle()?;

    // The office replies; WhatsApp echoes nothing back, so the office publishes it.
    let id = conversation_of(&office, customer)?.to_string();
    let sent = ok_json(cli(&office, &sim, &["send", "--conversation", &id, "--text", "Oui, samedi matin."], None)?)?;
    assert_eq!(sent["outcome"]["state"], "sent", "{sent}");
    let wamid = sent["outcome"]["platformMessageId"].as_str().unwrap().to_string();
    office.sync_until_idle()?;
    let conn = rusqlite::Connection::open(office.db())?;
    let published: i64 = conn.query_row("SELECT published FROM outbox", [], |r| r.get(0))?;
    assert_eq!(published, 1, "the relay confirmed the publication");
    drop(conn);

    let report = laptop.sync_until_idle()?;
    assert_eq!(report["unreadable"], 0);
    let conn = rusqlite::Connection::open(laptop.db())?;
    let (text, direction, status): (String, String, i64) =
        conn.query_row("SELECT body, direction, status FROM messages WHERE platform_message_id = ?1", [&wamid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    assert_eq!((text.as_str(), direction.as_str(), status), ("Oui, samedi matin.", "outbound", 10));
    // The relay never had it in clear.
    for (path, bytes) in files_under(&relay.dir.join("relay"))? {
        assert!(!contains(&bytes, b"samedi matin"), "{} holds the reply in clear", path.display());
    }

    // A photo sent from the office reaches the laptop as WhatsApp's media id, and the
    // laptop (with the number connected too) fetches the same bytes.
    ok_json(cli(&laptop, &sim, &["connect-whatsapp", "--phone-number-id", &phone.id], Some(&waba.system_user_token))?)?;
    let photo = dir.path().join("bouquet.png");
    let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82".to_vec();
    std::fs::write(&photo, &bytes)?;
    let sent_photo =
        ok_json(cli(&office, &sim, &["send-media", "--conversation", &id, "--file", photo.to_str().unwrap()], None)?)?;
    assert_eq!(sent_photo["outcomes"][0]["state"], "sent", "{sent_photo}");
    office.sync_until_idle()?;
    laptop.sync_until_idle()?;
    let report = ok_json(cli(&laptop, &sim, &["media"], None)?)?;
    assert_eq!(report["downloaded"], 1, "{report}");
    let conn = rusqlite::Connection::open(laptop.db())?;
    let path: String = conn.query_row(
        "SELECT t.local_path FROM attachments t JOIN messages m ON m.id = t.message_id WHERE m.direction = 'outbound'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(std::fs::read(&path)?, bytes);
    assert!(path.starts_with(laptop.dir.to_str().unwrap()), "the laptop's own copy: {path}");
    drop(conn);

    // Opening the conversation tells the customer it was read.
    ok_json(cli(&office, &sim, &["read", "--conversation", &id], None)?)?;
    let outbox = ok_json(cli(&office, &sim, &["outbox"], None)?)?;
    assert_eq!(outbox["outcomes"][0]["state"], "sent", "{outbox}");
    let receipt = world.sent().into_iter().find(|s| s.kind == cahts_tests::meta_sim::graph::SentKind::MarkRead);
    let receipt = receipt.expect("a WhatsApp read receipt reached Meta");
    assert_eq!(receipt.request["message_id"], "wamid.fanout-0001");
    // Nothing more to say: reading again queues nothing.
    ok_json(cli(&office, &sim, &["read", "--conversation", &id], None)?)?;
    assert_eq!(ok_json(cli(&office, &sim, &["outbox"], None)?)?["outcomes"], serde_json::json!([]));
    Ok(())
}

//! cahts-cli: the CAHTS engine without a window, for scripting, backups and benchmarks.
//! It opens the same store as the app (or `--db PATH`); an open window notices its writes.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use cahts_engine::bench::{self, BenchConfig};
use cahts_engine::ipc::SearchRequest;
use cahts_engine::meta::webhook::parse_webhook;
use cahts_engine::store::export::ExportDocument;
use cahts_engine::relay_link;
use cahts_engine::secrets::SecretStore;
use cahts_engine::{Engine, EngineConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cahts-cli", version, about = "CAHTS without the window: pair and sync with a relay, ingest, export, import, search, stats, bench")]
struct Cli {
    /// The store file. Default: the app's store in this user's data directory
    /// (CAHTS_DATA_DIR overrides the directory).
    #[arg(long, global = true, env = "CAHTS_DB")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pairs this store with a relay, using a code printed by `cahts-relay pair`.
    /// The device key and token go to the OS keyring (or the CAHTS_VAULT file).
    Pair {
        /// The relay's address, e.g. https://relay.example.com
        #[arg(long)]
        relay: String,
        #[arg(long)]
        code: String,
        /// How the relay lists this device (default: this computer's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Connected accounts and their state, as JSON.
    Accounts,
    /// Connects a WhatsApp number: reads a system-user token from stdin (never an argument:
    /// arguments are visible to other users), validates it with a call, keeps it in the
    /// keyring.
    ConnectWhatsapp {
        #[arg(long)]
        phone_number_id: String,
        /// The WhatsApp Business Account id (for templates); found from the token when absent.
        #[arg(long)]
        business_account_id: Option<String>,
    },
    /// Connects an Instagram professional account with Instagram Login through the paired
    /// relay (prints the login URL as JSON first, then waits), or with --token-stdin from a
    /// long-lived Instagram user token read from stdin.
    ConnectInstagram {
        #[arg(long)]
        token_stdin: bool,
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Sends a photo, video, voice note or file, with an optional caption; waits for Meta's
    /// answer and prints the outcomes.
    SendMedia {
        #[arg(long)]
        conversation: i64,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        caption: Option<String>,
        #[arg(long)]
        reply_to: Option<String>,
    },
    /// The approved templates of a WhatsApp conversation's number.
    Templates {
        #[arg(long)]
        conversation: i64,
    },
    /// Sends an approved WhatsApp template; --param fills {{1}}, {{2}}… in order.
    SendTemplate {
        #[arg(long)]
        conversation: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        language: String,
        #[arg(long = "param")]
        params: Vec<String>,
    },
    /// Reacts to a message with an emoji; without --emoji takes the reaction back.
    React {
        #[arg(long)]
        conversation: i64,
        /// Platform id of the message.
        #[arg(long)]
        message: String,
        #[arg(long)]
        emoji: Option<String>,
    },
    /// Downloads received media that is due (as the app does in the background); prints
    /// what happened.
    Media,
    /// Connects Facebook Pages (and their Instagram accounts) with a user token read from
    /// stdin. Without --page, lists the Pages the token can connect.
    ConnectPages {
        #[arg(long = "page")]
        pages: Vec<String>,
        /// Leave the Pages' Instagram accounts out.
        #[arg(long)]
        no_instagram: bool,
    },
    /// Connects Facebook Pages (and their Instagram accounts) with Facebook Login through
    /// the paired relay: prints the login URL as JSON on the first line, waits for the
    /// login to finish, then connects the Pages (all of them, or those given with --page).
    ConnectFacebook {
        #[arg(long = "page")]
        pages: Vec<String>,
        #[arg(long)]
        no_instagram: bool,
        /// Give up waiting for the login after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Sends a text reply in a conversation and waits for Meta's answer. Prints the outcome.
    Send {
        /// The conversation's id (as in export-json or the window).
        #[arg(long)]
        conversation: i64,
        #[arg(long)]
        text: String,
        /// Platform id of the message this answers.
        #[arg(long)]
        reply_to: Option<String>,
    },
    /// Runs the background jobs that are due (token and subscription checks, history
    /// re-sync), as the app does every minute; for headless machines (cron).
    RunJobs {
        /// Run every job now, due or not.
        #[arg(long)]
        force: bool,
    },
    /// Marks a conversation read, and tells the customer it was seen (sent by `outbox`).
    Read {
        #[arg(long)]
        conversation: i64,
    },
    /// Sends what is due in the outbox (retries), settles interrupted sends; prints outcomes.
    Outbox {
        /// Send a failed or unconfirmed message again.
        #[arg(long)]
        retry: Option<String>,
        /// Drop a failed or unconfirmed message.
        #[arg(long)]
        discard: Option<String>,
    },
    /// Disconnects an account: unsubscribes, forgets its token, keeps or deletes its history.
    Disconnect {
        account_id: i64,
        #[arg(long)]
        delete_data: bool,
    },
    /// Checks that Meta still sends each account's webhooks (Pages, WhatsApp Business
    /// Accounts, Instagram Login accounts); re-subscribes those it dropped.
    CheckSubscriptions,
    /// Fetches Messenger and Instagram history (resumable; later runs fetch only what
    /// changed). Progress goes to stderr, the report to stdout.
    SyncHistory {
        /// One account (default: every connected Messenger and Instagram account).
        #[arg(long)]
        account: Option<i64>,
    },
    /// Receives events from the paired relay and applies them; runs until stopped.
    Sync {
        /// Must match the paired relay (a safety check for scripts).
        #[arg(long)]
        relay: Option<String>,
        /// Return once everything waiting on the relay has been applied.
        #[arg(long)]
        until_idle: bool,
    },
    /// Applies raw Meta webhook bodies (as POSTed by Meta) to the store. `-` reads stdin.
    /// All files are parsed first: if one is malformed, nothing is applied.
    IngestWebhook {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Writes the whole store as one JSON document (stdout, or --output).
    ExportJson {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Restores or merges a document written by export-json. All or nothing.
    ImportJson { file: PathBuf },
    /// Searches message text and contact names.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Counts conversations and messages.
    Stats,
    /// Builds a store of generated messages and times ingest and queries; prints one JSON line.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        #[arg(long, default_value_t = 5_000)]
        conversations: usize,
        /// Messages per write transaction.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Timed repetitions of each query kind.
        #[arg(long, default_value_t = 300)]
        queries: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the store here instead of a temporary directory.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAHTS_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes.
            eprintln!("cahts-cli: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Facebook Login through the relay: the link runs in this process while the owner logs in.
async fn connect_facebook(
    store: &cahts_engine::store::Store,
    accounts: &cahts_engine::accounts::Accounts,
    pages: &[String],
    with_instagram: bool,
    timeout_secs: u64,
) -> anyhow::Result<Vec<cahts_engine::accounts::AccountView>> {
    let secrets = std::sync::Arc::new(SecretStore::from_env()?);
    let (state, token) = login_through_relay(store, secrets.clone(), cahts_protocol::wire::OAuthProvider::Facebook, timeout_secs).await?;
    let wanted: Vec<String> = if pages.is_empty() {
        accounts.page_choices(&token).await?.into_iter().map(|p| p.page_id).collect()
    } else {
        pages.to_vec()
    };
    let connected = accounts.connect_pages(&token, &wanted, with_instagram).await?;
    // The user token did its job: the Page tokens are what stays.
    relay_link::forget_oauth(store, secrets, &state).await?;
    Ok(connected)
}

/// Runs a Facebook or Instagram Login through the paired relay: prints the login URL as
/// JSON on the first line, waits for the sealed token. Returns (state, token).
async fn login_through_relay(
    store: &cahts_engine::store::Store,
    secrets: std::sync::Arc<SecretStore>,
    provider: cahts_protocol::wire::OAuthProvider,
    timeout_secs: u64,
) -> anyhow::Result<(String, cahts_engine::secrets::Secret<String>)> {
    use cahts_engine::relay_link::{LinkCommand, OAuthState};
    let service = match provider {
        cahts_protocol::wire::OAuthProvider::Facebook => "Facebook",
        cahts_protocol::wire::OAuthProvider::Instagram => "Instagram",
    };
    let (status, _) = tokio::sync::watch::channel(relay_link::LinkStatus::NotPaired);
    let (commands, receiver) = tokio::sync::mpsc::channel(4);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let link = tokio::spawn(relay_link::run_with_commands(
        store.clone(),
        secrets.clone(),
        relay_link::SyncOptions::default(),
        status,
        Some(receiver),
        async move {
            let _unused = stopped.await;
        },
    ));
    let (reply, answer) = tokio::sync::oneshot::channel();
    commands
        .send(LinkCommand::BeginOAuth { provider, reply })
        .await
        .map_err(|_| anyhow::anyhow!("the relay link stopped"))?;
    let (state, url) = tokio::time::timeout(std::time::Duration::from_secs(60), answer)
        .await
        .context("the relay did not answer within a minute")?
        .map_err(|_| anyhow::anyhow!("the relay link stopped"))??;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::json!({ "authorizeUrl": url }))?;
        out.flush()?;
    }
    eprintln!("Open this address in a browser and log in to {service}:\n{url}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_secs);
    let token = loop {
        match relay_link::oauth_outcome(store, secrets.clone(), &state).await? {
            OAuthState::Token(token) => break token,
            OAuthState::Failed(message) => bail!("{service} Login did not complete: {message}"),
            OAuthState::Waiting if std::time::Instant::now() > deadline => bail!("no login within {timeout_secs} s"),
            OAuthState::Waiting => tokio::time::sleep(std::time::Duration::from_millis(300)).await,
        }
    };
    // The link stops between frames; how it ended matters only for the log.
    let _unused = stop.send(());
    match link.await {
        Ok(Ok(report)) => tracing::debug!(events = report.events, "relay link stopped"),
        Ok(Err(e)) => tracing::warn!(error = %e, "relay link stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "relay link task failed"),
    }
    Ok((state, token))
}

/// A token from stdin (one line), so it never appears in `ps` or shell history.
fn read_secret_stdin() -> anyhow::Result<cahts_engine::secrets::Secret<String>> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the token from stdin")?;
    let token = line.trim().to_string();
    if token.is_empty() {
        bail!("no token on stdin: pipe it in, e.g. `cahts-cli connect-whatsapp --phone-number-id ID < token.txt`");
    }
    Ok(cahts_engine::secrets::Secret::new(token))
}

/// Ctrl-C or SIGTERM: stop between frames (an applied frame is always acked or resent).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _unused = tokio::signal::ctrl_c().await;
}

fn open(db: Option<PathBuf>) -> anyhow::Result<std::sync::Arc<Engine>> {
    let data_dir = match &db {
        Some(path) => path.parent().map(PathBuf::from).unwrap_or_default(),
        None => EngineConfig::default_data_dir()?,
    };
    let config = EngineConfig { data_dir, store_path: db };
    Ok(Engine::open(config)?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Pair { relay, code, name } => {
            let engine = open(cli.db)?;
            let secrets = std::sync::Arc::new(SecretStore::from_env()?);
            let name = name.unwrap_or_else(|| format!("cahts-cli ({})", cahts_engine::engine::default_device_name()));
            let pairing = runtime.block_on(relay_link::pair(&engine.store(), secrets, &relay, &code, &name))?;
            writeln!(
                out,
                "{}",
                serde_json::json!({"relay": pairing.relay_url, "deviceId": pairing.device_id, "tenant": pairing.tenant})
            )?;
        }
        Command::Accounts
        | Command::ConnectWhatsapp { .. }
        | Command::ConnectInstagram { .. }
        | Command::SendMedia { .. }
        | Command::Templates { .. }
        | Command::SendTemplate { .. }
        | Command::React { .. }
        | Command::Media
        | Command::ConnectPages { .. }
        | Command::Disconnect { .. }
        | Command::CheckSubscriptions
        | Command::SyncHistory { .. }
        | Command::ConnectFacebook { .. }
        | Command::Send { .. }
        | Command::Outbox { .. }
        | Command::RunJobs { .. } => {
            let engine = open(cli.db)?;
            let secrets = std::sync::Arc::new(SecretStore::from_env()?);
            let graph = cahts_engine::meta::graph::GraphClient::new(cahts_engine::meta::graph::GraphConfig::from_env());
            let value = runtime.block_on(async {
                let accounts = cahts_engine::accounts::Accounts::new(engine.store(), secrets, graph).await?;
                anyhow::Ok(match cli.command {
                    Command::Accounts => serde_json::to_value(accounts.list().await?)?,
                    Command::ConnectWhatsapp { phone_number_id, business_account_id } => {
                        let token = read_secret_stdin()?;
                        serde_json::to_value(accounts.connect_whatsapp(&phone_number_id, token, business_account_id).await?)?
                    }
                    Command::ConnectInstagram { token_stdin, timeout } => {
                        if token_stdin {
                            serde_json::to_value(accounts.connect_instagram(read_secret_stdin()?, None).await?)?
                        } else {
                            let secrets = std::sync::Arc::new(SecretStore::from_env()?);
                            let store = engine.store();
                            let (state, token) = login_through_relay(&store, secrets.clone(), cahts_protocol::wire::OAuthProvider::Instagram, timeout).await?;
                            let account = accounts.connect_instagram(token, None).await?;
                            relay_link::forget_oauth(&store, secrets, &state).await?;
                            serde_json::to_value(account)?
                        }
                    }
                    Command::SendMedia { conversation, file, caption, reply_to } => {
                        let request = cahts_engine::ipc::SendMediaRequest {
                            conversation_id: conversation.to_string(),
                            path: file.to_string_lossy().into_owned(),
                            caption,
                            reply_to,
                        };
                        let queued = engine.send_media(request).await?;
                        let outcomes = engine.process_outbox().await?;
                        let outcomes: Vec<_> = outcomes.into_iter().filter(|o| queued.client_ids.contains(&o.client_id)).collect();
                        serde_json::json!({ "clientIds": queued.client_ids, "outcomes": outcomes })
                    }
                    Command::Templates { conversation } => {
                        serde_json::to_value(engine.list_templates(cahts_engine::ipc::ConversationRef { conversation_id: conversation.to_string() }).await?)?
                    }
                    Command::SendTemplate { conversation, name, language, params } => {
                        let request = cahts_engine::ipc::SendTemplateRequest { conversation_id: conversation.to_string(), name, language, parameters: params };
                        let queued = engine.send_template(request).await?;
                        let outcome = engine.process_outbox().await?.into_iter().find(|o| o.client_id == queued.client_id);
                        serde_json::json!({ "clientId": queued.client_id, "outcome": outcome })
                    }
                    Command::React { conversation, message, emoji } => {
                        let request = cahts_engine::ipc::ReactRequest { conversation_id: conversation.to_string(), message_id: message, emoji };
                        let queued = engine.react(request).await?;
                        let outcome = engine.process_outbox().await?.into_iter().find(|o| o.client_id == queued.client_id);
                        serde_json::json!({ "clientId": queued.client_id, "outcome": outcome })
                    }
                    Command::Media => serde_json::to_value(engine.fetch_media().await?)?,
                    Command::ConnectPages { pages, no_instagram } => {
                        let token = read_secret_stdin()?;
                        if pages.is_empty() {
                            serde_json::to_value(accounts.page_choices(&token).await?)?
                        } else {
                            serde_json::to_value(accounts.connect_pages(&token, &pages, !no_instagram).await?)?
                        }
                    }
                    Command::Disconnect { account_id, delete_data } => {
                        let warning = accounts.disconnect(account_id, delete_data).await?;
                        serde_json::json!({ "disconnected": account_id, "deletedData": delete_data, "warning": warning })
                    }
                    Command::CheckSubscriptions => {
                        let mut report = Vec::new();
                        for account in accounts.list().await? {
                            if account.status != "disconnected" && account.has_subscription() {
                                let outcome = match accounts.check_subscription(account.id).await {
                                    Ok(true) => "resubscribed".to_string(),
                                    Ok(false) => "ok".to_string(),
                                    Err(e) => format!("error: {e}"),
                                };
                                report.push(serde_json::json!({ "account": account.id, "outcome": outcome }));
                            }
                        }
                        serde_json::Value::Array(report)
                    }
                    Command::ConnectFacebook { pages, no_instagram, timeout } => {
                        let connected = connect_facebook(&engine.store(), &accounts, &pages, !no_instagram, timeout).await?;
                        serde_json::to_value(connected)?
                    }
                    Command::Send { conversation, text, reply_to } => {
                        let store = engine.store();
                        cahts_engine::outbox::recover_after_crash(&store).await?;
                        let client_id = cahts_engine::outbox::enqueue_text(&store, conversation, text, reply_to).await?;
                        let graph = cahts_engine::meta::graph::GraphClient::new(cahts_engine::meta::graph::GraphConfig::from_env());
                        let outcomes = cahts_engine::outbox::process_due(&store, accounts.credentials(), &graph).await?;
                        let outcome = outcomes.into_iter().find(|o| o.client_id == client_id);
                        serde_json::json!({ "clientId": client_id, "outcome": outcome })
                    }
                    Command::Outbox { retry, discard } => {
                        let store = engine.store();
                        if let Some(id) = retry {
                            cahts_engine::outbox::retry(&store, &id).await?;
                        }
                        if let Some(id) = discard {
                            cahts_engine::outbox::discard(&store, &id).await?;
                        }
                        let recovered = cahts_engine::outbox::recover_after_crash(&store).await?;
                        let graph = cahts_engine::meta::graph::GraphClient::new(cahts_engine::meta::graph::GraphConfig::from_env());
                        let outcomes = cahts_engine::outbox::process_due(&store, accounts.credentials(), &graph).await?;
                        serde_json::json!({ "recoveredAsUnconfirmed": recovered, "outcomes": outcomes })
                    }
                    Command::RunJobs { force } => {
                        let graph = cahts_engine::meta::graph::GraphClient::new(cahts_engine::meta::graph::GraphConfig::from_env());
                        serde_json::to_value(cahts_engine::jobs::run_due(&engine.store(), &accounts, &graph, force).await?)?
                    }
                    Command::SyncHistory { account } => {
                        let graph = cahts_engine::meta::graph::GraphClient::new(cahts_engine::meta::graph::GraphConfig::from_env());
                        let mut reports = Vec::new();
                        for a in accounts.list().await? {
                            let wanted = account.map_or(a.status == "connected", |id| id == a.id);
                            if !wanted || a.platform == cahts_engine::Platform::Whatsapp {
                                continue;
                            }
                            let progress = |p: cahts_engine::sync::Progress| {
                                eprintln!("history: account {} — {} conversations, {} pages", p.account_id, p.conversations, p.pages);
                            };
                            let report = cahts_engine::sync::backfill(&engine.store(), accounts.credentials(), &graph, &a, &progress).await?;
                            reports.push(serde_json::to_value(report)?);
                        }
                        serde_json::Value::Array(reports)
                    }
                    _ => unreachable!("matched above"),
                })
            })?;
            writeln!(out, "{value}")?;
        }
        Command::Read { conversation } => {
            let engine = open(cli.db)?;
            runtime.block_on(engine.mark_read(cahts_engine::ipc::ConversationRef { conversation_id: conversation.to_string() }))?;
            writeln!(out, "{}", serde_json::json!({ "read": conversation }))?;
        }
        Command::Sync { relay, until_idle } => {
            let engine = open(cli.db)?;
            let store = engine.store();
            let secrets = std::sync::Arc::new(SecretStore::from_env()?);
            let report = runtime.block_on(async {
                let pairing = relay_link::pairing(&store).await?.ok_or(relay_link::LinkError::NotPaired)?;
                if let Some(relay) = relay {
                    if relay.trim().trim_end_matches('/') != pairing.relay_url {
                        bail!("this store is paired with {}, not {relay}", pairing.relay_url);
                    }
                }
                let options = relay_link::SyncOptions {
                    until_idle,
                    max_attempts: until_idle.then_some(5),
                    ..Default::default()
                };
                let (status, mut watch) = tokio::sync::watch::channel(relay_link::LinkStatus::NotPaired);
                tokio::spawn(async move {
                    while watch.changed().await.is_ok() {
                        let status = watch.borrow_and_update().clone();
                        tracing::info!(?status, "relay link");
                    }
                });
                let report = relay_link::run(store, secrets, options, status, shutdown_signal()).await?;
                anyhow::Ok(report)
            })?;
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
        }
        Command::IngestWebhook { files } => {
            let mut bodies = Vec::new();
            for file in &files {
                let body = read_input(file)?;
                // Parse everything before writing anything.
                parse_webhook(&body).with_context(|| format!("{}", file.display()))?;
                bodies.push(body);
            }
            let engine = open(cli.db)?;
            runtime.block_on(async {
                let mut events = Vec::new();
                let mut skipped = 0;
                for body in &bodies {
                    let parsed = parse_webhook(body)?;
                    skipped += parsed.skipped.len();
                    events.extend(parsed.events);
                }
                let count = events.len();
                let report = engine.apply(events).await?;
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "files": bodies.len(),
                        "events": count,
                        "skipped": skipped,
                        "messagesAdded": report.messages_added,
                        "duplicates": report.duplicates,
                        "conversationsTouched": report.conversations_touched.len(),
                    })
                )?;
                anyhow::Ok(())
            })?;
        }
        Command::ExportJson { output } => {
            let engine = open(cli.db)?;
            let doc = runtime.block_on(engine.export_json())?;
            let json = serde_json::to_string_pretty(&doc)?;
            match output {
                Some(path) => {
                    // Write beside and rename: a crash never leaves half a backup.
                    let tmp = path.with_extension("partial");
                    std::fs::write(&tmp, json.as_bytes()).with_context(|| format!("writing {}", tmp.display()))?;
                    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
                }
                None => writeln!(out, "{json}")?,
            }
        }
        Command::ImportJson { file } => {
            let body = read_input(&file)?;
            let doc: ExportDocument = serde_json::from_slice(&body)
                .with_context(|| format!("{} is not a CAHTS export document", file.display()))?;
            let engine = open(cli.db)?;
            let report = runtime.block_on(engine.import_json(doc))?;
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
        }
        Command::Search { query, limit } => {
            let engine = open(cli.db)?;
            let results = runtime.block_on(engine.search(SearchRequest { query, limit: Some(limit) }))?;
            for c in &results.conversations {
                writeln!(out, "contact\t{}\t{}\t{}", c.platform, c.id, c.contact.name.as_deref().unwrap_or(&c.contact.platform_user_id))?;
            }
            for m in &results.messages {
                let snippet: String = m
                    .snippet
                    .iter()
                    .map(|p| if p.highlight { format!("[{}]", p.text) } else { p.text.clone() })
                    .collect();
                writeln!(out, "message\t{}\t{}\t{}\t{}", m.platform, m.conversation_id, m.contact_name.as_deref().unwrap_or(""), snippet)?;
            }
        }
        Command::Stats => {
            let engine = open(cli.db)?;
            let counts = runtime.block_on(engine.get_counts())?;
            writeln!(out, "{}", serde_json::to_string(&counts)?)?;
        }
        Command::Bench { messages, conversations, batch, queries, seed, keep } => {
            if messages == 0 || conversations == 0 || batch == 0 {
                bail!("--messages, --conversations and --batch must be positive");
            }
            let dir = tempfile::tempdir()?;
            let path = keep.unwrap_or_else(|| dir.path().join("bench.sqlite"));
            if path.exists() {
                bail!("{} exists; the benchmark needs a fresh store", path.display());
            }
            let store = cahts_engine::store::Store::open(&path)?;
            let config = BenchConfig { messages, conversations, batch, queries, seed };
            let step = (messages / 10).max(1);
            let report = bench::run(&store, &config, |done| {
                if done % step < batch {
                    eprintln!("bench: {done}/{messages} messages ingested");
                }
            })?;
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
        }
    }
    Ok(())
}

fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body).context("reading stdin")?;
        Ok(body)
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    }
}

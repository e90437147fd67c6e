//! cahts-cli: the CAHTS engine without a window, for scripting, backups and benchmarks.
//! It opens the same store as the app (or `--db PATH`); an open window notices its writes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use cahts_engine::domain::report::{ReportCsv, ReportRequest};
use cahts_engine::domain::report_pdf::Paper;
use cahts_engine::events::Platform;
use cahts_engine::facade::bench::BenchConfig;
use cahts_engine::facade::engine::{Engine, EngineConfig, default_device_name};
use cahts_engine::facade::ipc::*;
use cahts_engine::facade::{ExportDocument, OAuthProvider, Secret};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cahts-cli",
    version,
    about = "CAHTS without the window: pair and sync with a relay, ingest, export, import, search, stats, bench"
)]
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
    /// Report figures over whole days in this computer's time zone: JSON on stdout, one of
    /// the report's CSV files with `--csv`, or the printable report with `--pdf`.
    Report {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, included.
        #[arg(long)]
        to: String,
        /// Only this platform: messenger, instagram or whatsapp.
        #[arg(long)]
        platform: Option<String>,
        /// Only this account (its id from `accounts`).
        #[arg(long)]
        account: Option<i64>,
        /// Write this CSV file instead: daily, conversations or messages.
        #[arg(long, requires = "output")]
        csv: Option<String>,
        /// Include message texts (the messages file only).
        #[arg(long)]
        with_text: bool,
        /// Where the CSV file goes.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Write the printable report to this PDF file instead.
        #[arg(long, conflicts_with = "csv")]
        pdf: Option<PathBuf>,
        /// The PDF's paper: a4 or letter.
        #[arg(long, default_value = "a4", requires = "pdf")]
        paper: String,
    },
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
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CAHTS_LOG").unwrap_or_else(|_| "warn".into()))
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

/// A token from stdin (one line), so it never appears in `ps` or shell history.
fn read_secret_stdin() -> anyhow::Result<Secret<String>> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the token from stdin")?;
    let token = line.trim().to_string();
    if token.is_empty() {
        bail!("no token on stdin: pipe it in, e.g. `cahts-cli connect-whatsapp --phone-number-id ID < token.txt`");
    }
    Ok(Secret::new(token))
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

fn open(db: Option<PathBuf>) -> anyhow::Result<Arc<Engine>> {
    let data_dir = match &db {
        Some(path) => path.parent().map(PathBuf::from).unwrap_or_default(),
        None => EngineConfig::default_data_dir()?,
    };
    let config = EngineConfig { store_path: db, ..EngineConfig::in_dir(data_dir) };
    Ok(Engine::open(config)?)
}

/// Runs one command: each is a call (or two) on the engine, its answer printed as JSON.
fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let out = &mut std::io::stdout().lock();
    let db = cli.db;
    // The commands that need no store, or must check their input before opening it.
    match cli.command {
        Command::Bench { messages, conversations, batch, queries, seed, keep } => {
            let config = BenchConfig { messages, conversations, batch, queries, seed };
            print(out, &bench(config, keep)?)
        }
        Command::IngestWebhook { files } => {
            let bodies = files
                .iter()
                .map(|f| read_input(f).map(|b| (f.display().to_string(), b)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let engine = open(db)?;
            print(out, &runtime.block_on(engine.ingest_webhooks(bodies))?)
        }
        Command::ImportJson { file } => {
            let body = read_input(&file)?;
            let doc: ExportDocument = serde_json::from_slice(&body)
                .with_context(|| format!("{} is not a CAHTS export document", file.display()))?;
            let engine = open(db)?;
            print(out, &runtime.block_on(engine.import_json(doc))?)
        }
        command => {
            let engine = open(db)?;
            runtime.block_on(run_on(&engine, command, out))
        }
    }
}

async fn run_on(engine: &Arc<Engine>, command: Command, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        Command::Pair { relay, code, name } => {
            let name = name.unwrap_or_else(|| format!("cahts-cli ({})", default_device_name()));
            let pairing = engine.pair(&relay, &code, Some(name)).await?;
            print(
                out,
                &serde_json::json!({"relay": pairing.relay_url, "deviceId": pairing.device_id, "tenant": pairing.tenant}),
            )
        }
        Command::Accounts => print(out, &engine.list_accounts().await?),
        command @ (Command::ConnectWhatsapp { .. }
        | Command::ConnectInstagram { .. }
        | Command::ConnectPages { .. }
        | Command::ConnectFacebook { .. }) => connect(engine, command, out).await,
        Command::Disconnect { account_id, delete_data } => {
            let result = engine.disconnect_account(DisconnectRequest { account_id, delete_data }).await?;
            print(
                out,
                &serde_json::json!({ "disconnected": account_id, "deletedData": delete_data, "warning": result.warning }),
            )
        }
        Command::CheckSubscriptions => print(out, &engine.check_subscriptions().await?),
        Command::SyncHistory { account } => {
            let progress = |p: cahts_engine::facade::accounts::HistoryStep| {
                eprintln!("history: account {} — {} conversations, {} pages", p.account_id, p.conversations, p.pages);
            };
            print(out, &engine.sync_history(account, &progress).await?)
        }
        Command::RunJobs { force } => print(out, &engine.run_jobs(force).await?),
        Command::Media => print(out, &engine.fetch_media().await?),
        Command::Templates { conversation } => {
            print(out, &engine.list_templates(conversation_ref(conversation)).await?)
        }
        command @ (Command::Send { .. }
        | Command::SendTemplate { .. }
        | Command::React { .. }
        | Command::SendMedia { .. }) => send(engine, command, out).await,
        Command::Outbox { retry, discard } => {
            if let Some(client_id) = retry {
                engine.retry_send(OutboxRef { client_id }).await?;
            }
            if let Some(client_id) = discard {
                engine.discard_send(OutboxRef { client_id }).await?;
            }
            print(out, &engine.process_outbox().await?)
        }
        Command::Read { conversation } => {
            engine.mark_read(conversation_ref(conversation)).await?;
            print(out, &serde_json::json!({ "read": conversation }))
        }
        Command::Sync { relay, until_idle } => {
            print(out, &engine.sync_with_relay(relay.as_deref(), until_idle, shutdown_signal()).await?)
        }
        Command::ExportJson { output } => {
            let json = serde_json::to_string_pretty(&engine.export_json().await?)?;
            match output {
                Some(path) => write_atomically(&path, json.as_bytes()),
                None => Ok(writeln!(out, "{json}")?),
            }
        }
        Command::Search { query, limit } => {
            let results = engine.search(SearchRequest { query, limit: Some(limit) }).await?;
            print_search(out, &results)
        }
        Command::Stats => print(out, &engine.get_counts().await?),
        command @ Command::Report { .. } => report(engine, command, out).await,
        Command::Bench { .. } | Command::IngestWebhook { .. } | Command::ImportJson { .. } => {
            unreachable!("run() handles the commands that open no store or check input first")
        }
    }
}

/// `report`: the figures as JSON, or one of the report's CSV files.
async fn report(engine: &Arc<Engine>, command: Command, out: &mut impl Write) -> anyhow::Result<()> {
    let Command::Report { from, to, platform, account, csv, with_text, output, pdf, paper } = command else {
        unreachable!("run_on passes only the report command")
    };
    let platform = match platform.as_deref() {
        None => None,
        Some(p) => Some(Platform::parse(p).with_context(|| format!("{p:?} is not messenger, instagram or whatsapp"))?),
    };
    let request = ReportRequest { from, to, platform, account_id: account };
    if let Some(path) = pdf {
        let paper = Paper::parse(&paper).with_context(|| format!("{paper:?} is not a paper size: a4 or letter"))?;
        let (pages, bytes) = engine.export_report_pdf(request, paper, path.clone()).await?;
        return print(out, &serde_json::json!({ "pdf": path, "paper": paper, "pages": pages, "bytes": bytes }));
    }
    let (Some(kind), Some(path)) = (csv.as_deref(), output) else {
        return print(out, &engine.report(request).await?);
    };
    let kind = ReportCsv::parse(kind)
        .with_context(|| format!("{kind:?} is not one of the CSV files: daily, conversations, messages"))?;
    let rows = engine.export_report_csv(request, kind, with_text, path.clone()).await?;
    print(out, &serde_json::json!({ "csv": kind, "rows": rows, "output": path }))
}

/// The commands that connect an account: with a pasted token or a login in the browser.
async fn connect(engine: &Arc<Engine>, command: Command, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        Command::ConnectWhatsapp { phone_number_id, business_account_id } => {
            let token = read_secret_stdin()?;
            let request =
                ConnectWhatsappRequest { phone_number_id, token: token.expose().clone(), business_account_id };
            print(out, &engine.connect_whatsapp(request).await?)
        }
        Command::ConnectInstagram { token_stdin: true, .. } => {
            print(out, &engine.connect_instagram_with_token(read_secret_stdin()?).await?)
        }
        Command::ConnectInstagram { token_stdin: false, timeout } => {
            let state = login_in_terminal(engine, OAuthProvider::Instagram, timeout, out).await?;
            print(out, &engine.connect_instagram_from_login(&state).await?)
        }
        Command::ConnectPages { pages, no_instagram } => {
            let token = read_secret_stdin()?;
            if pages.is_empty() {
                print(out, &engine.page_choices_with_token(&token).await?)
            } else {
                print(out, &engine.connect_pages_with_token(&token, &pages, !no_instagram).await?)
            }
        }
        Command::ConnectFacebook { pages, no_instagram, timeout } => {
            let state = login_in_terminal(engine, OAuthProvider::Facebook, timeout, out).await?;
            print(out, &engine.connect_pages_from_login(&state, &pages, !no_instagram).await?)
        }
        _ => unreachable!("run_on passes only connect commands"),
    }
}

/// The commands that send something, each reporting what happened to it.
async fn send(engine: &Arc<Engine>, command: Command, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        Command::Send { conversation, text, reply_to } => {
            let queued =
                engine.send_text(SendTextRequest { conversation_id: conversation.to_string(), text, reply_to }).await?;
            print(out, &sent_one(engine, queued.client_id).await?)
        }
        Command::SendTemplate { conversation, name, language, params } => {
            let request =
                SendTemplateRequest { conversation_id: conversation.to_string(), name, language, parameters: params };
            let queued = engine.send_template(request).await?;
            print(out, &sent_one(engine, queued.client_id).await?)
        }
        Command::React { conversation, message, emoji } => {
            let queued = engine
                .react(ReactRequest { conversation_id: conversation.to_string(), message_id: message, emoji })
                .await?;
            print(out, &sent_one(engine, queued.client_id).await?)
        }
        Command::SendMedia { conversation, file, caption, reply_to } => {
            let request = SendMediaRequest {
                conversation_id: conversation.to_string(),
                path: file.to_string_lossy().into_owned(),
                caption,
                reply_to,
            };
            let queued = engine.send_media(request).await?;
            let run = engine.process_outbox().await?;
            let outcomes: Vec<_> =
                run.outcomes.into_iter().filter(|o| queued.client_ids.contains(&o.client_id)).collect();
            print(out, &serde_json::json!({ "clientIds": queued.client_ids, "outcomes": outcomes }))
        }
        _ => unreachable!("run_on passes only send commands"),
    }
}

fn print(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string(value)?)?;
    Ok(())
}

fn conversation_ref(conversation: i64) -> ConversationRef {
    ConversationRef { conversation_id: conversation.to_string() }
}

/// Sends what the outbox holds now and reports what happened to the one just queued.
async fn sent_one(engine: &Engine, client_id: String) -> anyhow::Result<serde_json::Value> {
    let outcome = engine.process_outbox().await?.outcomes.into_iter().find(|o| o.client_id == client_id);
    Ok(serde_json::json!({ "clientId": client_id, "outcome": outcome }))
}

/// A login through the paired relay: the login address goes out as JSON on the first
/// line (for scripts) and to stderr (for people); returns once the relay has the token.
async fn login_in_terminal(
    engine: &Engine,
    provider: OAuthProvider,
    timeout_secs: u64,
    out: &mut impl Write,
) -> anyhow::Result<String> {
    let service = match provider {
        OAuthProvider::Facebook => "Facebook",
        OAuthProvider::Instagram => "Instagram",
    };
    let mut shown = Ok(());
    let state = engine
        .wait_for_login(provider, Duration::from_secs(timeout_secs), |url| {
            shown = print(out, &serde_json::json!({ "authorizeUrl": url })).and_then(|()| Ok(out.flush()?));
            eprintln!("Open this address in a browser and log in to {service}:\n{url}");
        })
        .await
        .with_context(|| format!("{service} Login"))?;
    shown?;
    Ok(state)
}

/// Write beside and rename: a crash never leaves half a backup.
fn write_atomically(path: &Path, body: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, body).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn print_search(out: &mut impl Write, results: &SearchResults) -> anyhow::Result<()> {
    for c in &results.conversations {
        writeln!(
            out,
            "contact\t{}\t{}\t{}",
            c.platform,
            c.id,
            c.contact.name.as_deref().unwrap_or(&c.contact.platform_user_id)
        )?;
    }
    for m in &results.messages {
        let snippet: String =
            m.snippet.iter().map(|p| if p.highlight { format!("[{}]", p.text) } else { p.text.clone() }).collect();
        writeln!(
            out,
            "message\t{}\t{}\t{}\t{}",
            m.platform,
            m.conversation_id,
            m.contact_name.as_deref().unwrap_or(""),
            snippet
        )?;
    }
    Ok(())
}

/// The store benchmark, in a fresh store (a temporary one unless `keep` names a path).
fn bench(config: BenchConfig, keep: Option<PathBuf>) -> anyhow::Result<cahts_engine::facade::bench::BenchReport> {
    if config.messages == 0 || config.conversations == 0 || config.batch == 0 {
        bail!("--messages, --conversations and --batch must be positive");
    }
    let dir = tempfile::tempdir()?;
    let path = keep.unwrap_or_else(|| dir.path().join("bench.sqlite"));
    if path.exists() {
        bail!("{} exists; the benchmark needs a fresh store", path.display());
    }
    let step = (config.messages / 10).max(1);
    let (messages, batch) = (config.messages, config.batch);
    Ok(cahts_engine::facade::bench::run_in(&path, &config, |done| {
        if done % step < batch {
            eprintln!("bench: {done}/{messages} messages ingested");
        }
    })?)
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

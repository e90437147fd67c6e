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
use cahts_engine::{Engine, EngineConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cahts-cli", version, about = "CAHTS without the window: ingest, export, import, search, stats, bench")]
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

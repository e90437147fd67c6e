//! `cahts-relay`: parses the command line and configuration, sets up logging, runs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use cahts_relay::{Config, Purpose, admin, store};
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "cahts-relay",
    version,
    about = "Receives Meta's webhooks and delivers them, sealed, to your CAHTS desktops"
)]
struct Cli {
    /// Configuration file (TOML). Every field can also be set as CAHTS_RELAY_<FIELD>.
    #[arg(long, global = true, env = "CAHTS_RELAY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay.
    Serve,
    /// Validate the configuration and print it (secrets redacted).
    CheckConfig,
    /// Print a one-time pairing code for a new device.
    Pair {
        #[arg(long, default_value = store::DEFAULT_TENANT)]
        tenant: String,
        /// Suggested name for the device.
        #[arg(long)]
        name: Option<String>,
    },
    /// Paired devices.
    Devices {
        #[command(subcommand)]
        command: DevicesCommand,
    },
    /// Tenants (businesses) served by this relay.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Which tenant receives each Page, Instagram account and WhatsApp number.
    Assets {
        #[command(subcommand)]
        command: AssetsCommand,
    },
    /// Webhook entries that no device could receive (metadata only).
    DeadLetters {
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Refuse this device from now on and delete its queue.
    Revoke { device_id: i64 },
}

#[derive(Subcommand)]
enum TenantsCommand {
    Add { name: String },
    List,
}

#[derive(Subcommand)]
enum AssetsCommand {
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["messenger", "instagram", "whatsapp"])]
        platform: String,
        asset_id: String,
    },
    Remove {
        asset_id: String,
    },
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAHTS_RELAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cahts-relay: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn time(ms: i64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let purpose = match cli.command {
        Command::Serve | Command::CheckConfig => Purpose::Serve,
        _ => Purpose::Admin,
    };
    let config = Config::load(cli.config.as_deref(), std::env::vars(), purpose)?;
    match cli.command {
        Command::Serve => serve(config),
        Command::CheckConfig => {
            println!("{config:#?}");
            println!("configuration is valid");
            Ok(())
        }
        Command::Pair { tenant, name } => pair(&config, &tenant, name.as_deref()),
        Command::Devices { command: DevicesCommand::List { tenant } } => list_devices(&config, tenant.as_deref()),
        Command::Devices { command: DevicesCommand::Revoke { device_id } } => revoke_device(&config, device_id),
        Command::Tenants { command: TenantsCommand::Add { name } } => {
            admin::add_tenant(&open(&config)?, &name)?;
            println!("tenant '{name}' added; bind its assets with `cahts-relay assets add --tenant {name} ...`");
            Ok(())
        }
        Command::Tenants { command: TenantsCommand::List } => list_tenants(&config),
        Command::Assets { command: AssetsCommand::Add { tenant, platform, asset_id } } => {
            add_asset(&config, &tenant, &platform, &asset_id)
        }
        Command::Assets { command: AssetsCommand::Remove { asset_id } } => {
            admin::remove_asset(&open(&config)?, &asset_id)?;
            println!("asset {asset_id} removed");
            Ok(())
        }
        Command::Assets { command: AssetsCommand::List } => list_assets(&config),
        Command::DeadLetters { limit } => list_dead_letters(&config, limit),
    }
}

/// The relay database, for the operator's commands.
fn open(config: &Config) -> anyhow::Result<rusqlite::Connection> {
    store::open_for_writing(&config.database_path()).context("opening the relay database")
}

fn pair(config: &Config, tenant: &str, name: Option<&str>) -> anyhow::Result<()> {
    let conn = open(config)?;
    let code = admin::create_pairing_code(&conn, tenant, name, config.pairing_code_minutes)?;
    // The code alone on stdout, so scripts can capture it; the explanation goes to stderr.
    println!("{code}");
    eprintln!(
        "Pairing code for tenant '{tenant}', valid for {} minutes and one device.\n\
         Enter it in CAHTS (\"Pair with your relay\", or the relay status at the bottom of the sidebar)\n or run: cahts-cli pair --relay {} --code {code}",
        config.pairing_code_minutes,
        if config.public_url.is_empty() { "https://<this relay>" } else { &config.public_url },
    );
    Ok(())
}

fn list_devices(config: &Config, tenant: Option<&str>) -> anyhow::Result<()> {
    let conn = open(config)?;
    println!(
        "{:<6} {:<12} {:<20} {:<17} {:<21} {:<21} {:>8}",
        "ID", "TENANT", "NAME", "KEY", "PAIRED", "LAST SEEN", "QUEUED"
    );
    for d in admin::list_devices(&conn, tenant)? {
        let seen = match (d.revoked_at, d.last_seen_at) {
            (Some(at), _) => format!("revoked {}", time(at)),
            (None, Some(at)) => time(at),
            (None, None) => "never".into(),
        };
        println!(
            "{:<6} {:<12} {:<20} {:<17} {:<21} {:<21} {:>8}",
            d.device_id,
            d.tenant,
            d.name,
            d.key_id,
            time(d.created_at),
            seen,
            d.queued
        );
    }
    Ok(())
}

fn revoke_device(config: &Config, device_id: i64) -> anyhow::Result<()> {
    let mut conn = open(config)?;
    admin::revoke_device(&mut conn, device_id)?;
    println!("device {device_id} revoked; a running relay disconnects it within one heartbeat");
    Ok(())
}

fn list_tenants(config: &Config) -> anyhow::Result<()> {
    println!("{:<20} {:>8} {:>8}", "TENANT", "DEVICES", "ASSETS");
    for t in admin::list_tenants(&open(config)?)? {
        println!("{:<20} {:>8} {:>8}", t.name, t.devices, t.assets);
    }
    Ok(())
}

fn add_asset(config: &Config, tenant: &str, platform: &str, asset_id: &str) -> anyhow::Result<()> {
    let conn = open(config)?;
    let first = admin::list_assets(&conn)?.is_empty();
    admin::add_asset(&conn, tenant, platform, asset_id)?;
    println!("{platform} asset {asset_id} now goes to tenant '{tenant}'");
    if first {
        eprintln!("note: with assets bound, entries for unbound assets now go to the dead-letter list");
    }
    Ok(())
}

fn list_assets(config: &Config) -> anyhow::Result<()> {
    let assets = admin::list_assets(&open(config)?)?;
    if assets.is_empty() {
        println!("no assets bound: every asset goes to tenant '{}'", store::DEFAULT_TENANT);
    }
    for (asset, platform, tenant) in assets {
        println!("{asset:<24} {platform:<10} {tenant}");
    }
    Ok(())
}

fn list_dead_letters(config: &Config, limit: u64) -> anyhow::Result<()> {
    println!("{:<21} {:<28} {:<24} {:>9} REASON", "RECEIVED", "OBJECT", "ASSET", "BYTES");
    for d in admin::list_dead_letters(&open(config)?, limit)? {
        println!("{:<21} {:<28} {:<24} {:>9} {}", time(d.received_at), d.object, d.asset_id, d.bytes, d.reason);
    }
    Ok(())
}

fn serve(config: Config) -> anyhow::Result<()> {
    // Two workers: the relay is I/O-bound and meant for the smallest VPS.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).max_blocking_threads(16).enable_all().build()?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("listen: cannot bind {}", config.listen))?;
        // Tests bind port 0 and read the real address from this line.
        println!("listening on {}", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested");
            trigger.cancel();
        });
        cahts_relay::run(config, listener, shutdown).await
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the relay");
                let _unused = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _unused = tokio::signal::ctrl_c().await;
    }
}

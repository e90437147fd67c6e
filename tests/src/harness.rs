//! Real processes on loopback: a `cahts-relay serve` and `cahts-cli` desktops, each in its
//! own temporary directory, for the end-to-end tests and the relay bench.
//!
//! The binaries are built once per test process with the same cargo that runs the tests,
//! so a test never exercises a stale binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub struct Binaries {
    pub relay: PathBuf,
    pub cli: PathBuf,
}

/// Builds `cahts-relay` and `cahts-cli` (debug, or release with `CAHTS_BENCH_RELEASE=1`).
pub fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let release = std::env::var_os("CAHTS_BENCH_RELEASE").is_some();
        let mut args = vec![
            "build",
            "--quiet",
            "-p",
            "cahts-relay",
            "-p",
            "cahts-engine",
            "--bin",
            "cahts-relay",
            "--bin",
            "cahts-cli",
        ];
        if release {
            args.push("--release");
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo to build the binaries under test");
        assert!(status.success(), "building cahts-relay and cahts-cli failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let dir = target.join(if release { "release" } else { "debug" });
        Binaries { relay: dir.join("cahts-relay"), cli: dir.join("cahts-cli") }
    })
}

/// A unique-enough id for keyring prefixes and names.
pub fn run_id() -> String {
    use rand::Rng as _;
    format!("t{:08x}", rand::rng().random::<u32>())
}

pub const APP_SECRET: &str = "meta-app-secret-for-tests";
pub const VERIFY_TOKEN: &str = "verify-token-for-tests";

/// A running relay. Killed when dropped.
pub struct Relay {
    pub dir: PathBuf,
    pub port: u16,
    pub env: Vec<(String, String)>,
    child: Option<Child>,
    log: PathBuf,
}

impl Relay {
    /// Starts a relay with its data in `dir/relay` on a free port; `extra` adds or
    /// overrides `CAHTS_RELAY_*` settings.
    pub fn start(dir: &Path, extra: &[(&str, &str)]) -> anyhow::Result<Relay> {
        std::fs::create_dir_all(dir)?;
        let mut env: Vec<(String, String)> = vec![
            ("CAHTS_RELAY_DATA_DIR".into(), dir.join("relay").display().to_string()),
            ("CAHTS_RELAY_META_APP_SECRET".into(), APP_SECRET.into()),
            ("CAHTS_RELAY_VERIFY_TOKEN".into(), VERIFY_TOKEN.into()),
            ("CAHTS_RELAY_LISTEN".into(), "127.0.0.1:0".into()),
            ("CAHTS_RELAY_HEARTBEAT_SECONDS".into(), "1".into()),
        ];
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((k.to_string(), v.to_string()));
        }
        let mut relay = Relay { dir: dir.to_path_buf(), port: 0, env, child: None, log: dir.join("relay.log") };
        relay.spawn()?;
        Ok(relay)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let mut env = self.env.clone();
        if self.port != 0 {
            // A restart keeps the address the devices were paired with.
            env.retain(|(k, _)| k != "CAHTS_RELAY_LISTEN");
            env.push(("CAHTS_RELAY_LISTEN".into(), format!("127.0.0.1:{}", self.port)));
        }
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let mut child = Command::new(&binaries().relay)
            .arg("serve")
            .envs(env)
            .env("CAHTS_RELAY_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting cahts-relay")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()).with_context(|| {
            format!("cahts-relay did not report its address: {line:?} (log: {})", self.log.display())
        })?;
        self.port = port;
        self.child = Some(child);
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn webhook_url(&self) -> String {
        format!("{}/webhooks/meta", self.url())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _unused = child.kill();
            let _unused = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns how long the relay took to stop.
    pub fn terminate(&mut self) -> anyhow::Result<(std::process::ExitStatus, Duration)> {
        let mut child = self.child.take().context("relay not running")?;
        let started = Instant::now();
        signal(child.id(), "TERM")?;
        let deadline = started + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok((status, started.elapsed()));
            }
            if Instant::now() > deadline {
                let _unused = child.kill();
                bail!("relay ignored SIGTERM for 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        self.spawn()
    }

    /// Runs an admin command (`pair`, `devices list`, …) against this relay's data.
    pub fn admin(&self, args: &[&str]) -> anyhow::Result<Output> {
        Ok(Command::new(&binaries().relay).args(args).envs(self.env.clone()).output()?)
    }

    pub fn admin_ok(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self.admin(args)?;
        if !out.status.success() {
            bail!("cahts-relay {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    pub fn pairing_code(&self, tenant: &str) -> anyhow::Result<String> {
        Ok(self.admin_ok(&["pair", "--tenant", tenant])?.trim().to_string())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(reqwest::get(format!("{}/metrics", self.url())).await?.text().await?)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status()?;
    if !status.success() {
        bail!("kill -{name} {pid} failed");
    }
    Ok(())
}

/// A desktop: a store in its own directory and its own keyring namespace.
pub struct Desktop {
    pub dir: PathBuf,
    pub keyring_prefix: String,
}

impl Desktop {
    pub fn new(dir: &Path, name: &str) -> Desktop {
        Desktop { dir: dir.join(name), keyring_prefix: run_id() }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.join("cahts.sqlite")
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(&binaries().cli);
        command
            .arg("--db")
            .arg(self.db())
            .env("CAHTS_KEYRING_PREFIX", &self.keyring_prefix)
            .env_remove("CAHTS_VAULT")
            .env("CAHTS_LOG", "info");
        command
    }

    pub fn run(&self, args: &[&str]) -> anyhow::Result<Output> {
        Ok(self.command().args(args).output()?)
    }

    pub fn run_ok(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self.run(args)?;
        if !out.status.success() {
            bail!("cahts-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    pub fn pair(&self, relay: &Relay, tenant: &str) -> anyhow::Result<serde_json::Value> {
        let code = relay.pairing_code(tenant)?;
        let out = self.run_ok(&["pair", "--relay", &relay.url(), "--code", &code, "--name", "test desktop"])?;
        Ok(serde_json::from_str(&out)?)
    }

    /// `sync --until-idle`: returns the sync report.
    pub fn sync_until_idle(&self) -> anyhow::Result<serde_json::Value> {
        let out = self.run_ok(&["sync", "--until-idle"])?;
        Ok(serde_json::from_str(out.trim())?)
    }

    /// A long-running `sync`, for killing.
    pub fn spawn_sync(&self) -> anyhow::Result<Child> {
        Ok(self.command().arg("sync").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?)
    }

    /// Platform message ids in the store, in insertion order.
    pub fn message_ids(&self) -> anyhow::Result<Vec<String>> {
        let conn = rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut stmt = conn.prepare("SELECT platform_message_id FROM messages WHERE stub = 0 ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    pub fn message_count(&self) -> anyhow::Result<i64> {
        let conn = rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        Ok(conn.query_row("SELECT count(*) FROM messages WHERE stub = 0", [], |r| r.get(0))?)
    }
}

/// Every file under `dir`, recursively, as (path, bytes).
pub fn files_under(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                // A running process may remove a file between the listing and the read
                // (SQLite's journal, a finished temporary file): it holds nothing then.
                match std::fs::read(&path) {
                    Ok(bytes) => out.push((path.clone(), bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(out)
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `cahts-cli` for `desktop` against meta-sim at `graph_base` (every Meta base URL
/// pointed there), with `stdin` as its one input line (tokens are read from stdin).
pub fn cli_with(desktop: &Desktop, graph_base: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    use std::io::Write as _;
    let mut command = desktop.command();
    command.env("CAHTS_GRAPH_BASE", graph_base).env("CAHTS_INSTAGRAM_GRAPH_BASE", graph_base).args(args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn()?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(format!("{input}\n").as_bytes())?;
    }
    drop(child.stdin.take());
    Ok(child.wait_with_output()?)
}

/// The JSON a successful `cahts-cli` printed; its stderr when it failed.
pub fn ok_json(out: Output) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(out.status.success(), "cahts-cli failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The store's conversation with the customer known to the platform as `contact`.
pub fn conversation_with(desktop: &Desktop, contact: &str) -> anyhow::Result<i64> {
    let conn = rusqlite::Connection::open(desktop.db())?;
    Ok(conn.query_row(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.platform_user_id = ?1",
        [contact],
        |r| r.get(0),
    )?)
}

/// The owner's browser at a login dialog: meta-sim approves at once and redirects to
/// the relay's public callback, which is fetched at the relay's real address instead.
/// Returns the callback's status and page.
pub async fn approve_login(authorize_url: &str, relay_url: &str) -> anyhow::Result<(u16, String)> {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let dialog = browser.get(authorize_url).send().await?;
    anyhow::ensure!(dialog.status() == 302, "the login dialog answered {}", dialog.status());
    let location = dialog.headers().get("location").context("the dialog redirected nowhere")?.to_str()?.to_string();
    let query = location
        .split_once('?')
        .context("the redirect carries no query")?
        .1
        .split('#')
        .next()
        .unwrap_or_default()
        .to_string();
    let callback = browser.get(format!("{relay_url}/oauth/callback?{query}")).send().await?;
    let status = callback.status().as_u16();
    Ok((status, callback.text().await?))
}

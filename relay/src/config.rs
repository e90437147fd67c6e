//! The relay's configuration: one struct, read from a TOML file and overridden by
//! `CAHTS_RELAY_<FIELD>` environment variables, validated once at start.
//!
//! Every field, its default and its meaning is here; `relay/relay.example.toml` mirrors it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why the configuration was refused. The message always names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
}

fn invalid(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field, message: message.into() }
}

/// The relay's settings. Field names are the TOML keys; the environment variable for a
/// field is `CAHTS_RELAY_` + the name in upper case (`CAHTS_RELAY_META_APP_SECRET`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on. Behind a reverse proxy keep it on loopback.
    pub listen: SocketAddr,
    /// Directory for the relay's SQLite file (`relay.sqlite`). Created if missing.
    pub data_dir: PathBuf,
    /// The HTTPS address Meta and browsers reach this relay at, without a trailing slash
    /// (`https://relay.example.com`). The OAuth redirect URI is `{public_url}/oauth/callback`.
    pub public_url: String,
    /// The Meta app's id (App Dashboard → App settings → Basic). Needed for Facebook Login.
    pub meta_app_id: String,
    /// The Meta app secret: signs every webhook and is needed for token exchanges.
    /// Prefer the environment variable to the file.
    pub meta_app_secret: String,
    /// The string typed into the dashboard's "Verify token" field.
    pub verify_token: String,
    /// Instagram app id and secret (Instagram → API setup with Instagram login), only for
    /// Instagram Login. Empty disables that flow.
    pub instagram_app_id: String,
    pub instagram_app_secret: String,
    /// Base URLs of Meta's token endpoints: changed only by tests (meta-sim).
    pub graph_api_base: String,
    pub graph_api_version: String,
    pub instagram_api_base: String,
    pub instagram_graph_base: String,
    /// Where the login dialogs live (Facebook Login, Instagram Login): changed only by tests.
    pub facebook_dialog_base: String,
    pub instagram_authorize_base: String,
    /// PEM certificate chain and private key. Both set: the relay serves HTTPS itself.
    /// Both empty: plain HTTP, for use behind a TLS reverse proxy.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest webhook body accepted (WhatsApp sends up to 3 MB).
    pub max_body_bytes: usize,
    /// Events kept per device while it is offline; the oldest are dropped beyond this.
    pub max_queue_per_device: u64,
    /// Events older than this are dropped even if the device never came back
    /// (WhatsApp retries undelivered webhooks for up to 7 days).
    pub retention_hours: u64,
    /// Rows kept in the dead-letter table (entries for assets no tenant owns).
    pub dead_letter_limit: u64,
    /// Paired devices allowed per tenant.
    pub max_devices_per_tenant: u64,
    /// How long a pairing code stays redeemable.
    pub pairing_code_minutes: u64,
    /// Seconds between pings to each device; a device silent for twice this is disconnected.
    pub heartbeat_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("/var/lib/cahts-relay"),
            public_url: String::new(),
            meta_app_id: String::new(),
            meta_app_secret: String::new(),
            verify_token: String::new(),
            instagram_app_id: String::new(),
            instagram_app_secret: String::new(),
            graph_api_base: "https://graph.facebook.com".into(),
            graph_api_version: "v24.0".into(),
            instagram_api_base: "https://api.instagram.com".into(),
            instagram_graph_base: "https://graph.instagram.com".into(),
            facebook_dialog_base: "https://www.facebook.com".into(),
            instagram_authorize_base: "https://www.instagram.com".into(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: 4 * 1024 * 1024,
            max_queue_per_device: 200_000,
            retention_hours: 7 * 24,
            dead_letter_limit: 1_000,
            max_devices_per_tenant: 20,
            pairing_code_minutes: 15,
            heartbeat_seconds: 30,
        }
    }
}

impl std::fmt::Debug for Config {
    // Secrets never reach logs, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |s: &str| if s.is_empty() { "<unset>" } else { "<redacted>" };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url)
            .field("meta_app_id", &self.meta_app_id)
            .field("meta_app_secret", &redacted(&self.meta_app_secret))
            .field("verify_token", &redacted(&self.verify_token))
            .field("instagram_app_id", &self.instagram_app_id)
            .field("instagram_app_secret", &redacted(&self.instagram_app_secret))
            .field("graph_api_base", &self.graph_api_base)
            .field("graph_api_version", &self.graph_api_version)
            .field("instagram_api_base", &self.instagram_api_base)
            .field("instagram_graph_base", &self.instagram_graph_base)
            .field("facebook_dialog_base", &self.facebook_dialog_base)
            .field("instagram_authorize_base", &self.instagram_authorize_base)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_queue_per_device", &self.max_queue_per_device)
            .field("retention_hours", &self.retention_hours)
            .field("dead_letter_limit", &self.dead_letter_limit)
            .field("max_devices_per_tenant", &self.max_devices_per_tenant)
            .field("pairing_code_minutes", &self.pairing_code_minutes)
            .field("heartbeat_seconds", &self.heartbeat_seconds)
            .finish()
    }
}

/// Which checks `load` runs: administrative commands only need the data directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Purpose {
    Serve,
    Admin,
}

impl Config {
    /// Reads `path` (if given), applies `CAHTS_RELAY_*` variables from `env`, validates.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        purpose: Purpose,
    ) -> Result<Self, ConfigError> {
        let mut table = match path {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })?
            }
            None => toml::Table::new(),
        };
        let mut env_fields = Vec::new();
        for (key, value) in env {
            let Some(field) = key.strip_prefix("CAHTS_RELAY_") else { continue };
            if field == "CONFIG" || field == "LOG" {
                continue;
            }
            let field = field.to_ascii_lowercase();
            let value = value.trim().to_string();
            // An empty variable means "not set", as it would in the file.
            if value.is_empty() {
                table.remove(&field);
                continue;
            }
            env_fields.push(field.clone());
            let parsed = env_value(&field, value).ok_or_else(|| ConfigError::Parse {
                path: format!("environment variable {key}").into(),
                message: "expected a whole number".into(),
            })?;
            table.insert(field.clone(), parsed);
        }
        let mut config: Config = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
            let message = e.message().to_string();
            // Say which source holds the bad value: the environment or the file.
            let from_env = env_fields.iter().find(|f| !Config::FIELDS.contains(&f.as_str()));
            let from_env = from_env.or_else(|| env_fields.iter().find(|f| message.contains(&format!("`{f}`"))));
            match from_env {
                Some(field) => ConfigError::Parse {
                    path: format!("environment variable CAHTS_RELAY_{}", field.to_ascii_uppercase()).into(),
                    message,
                },
                None => ConfigError::Parse {
                    path: path.map(Path::to_path_buf).unwrap_or_else(|| "<environment>".into()),
                    message,
                },
            }
        })?;
        for secret in [&mut config.meta_app_secret, &mut config.verify_token, &mut config.instagram_app_secret] {
            *secret = secret.trim().to_string();
        }
        config.validate(purpose)?;
        Ok(config)
    }

    /// Runs the checks in a fixed order and reports the first failure.
    fn validate(&self, purpose: Purpose) -> Result<(), ConfigError> {
        self.validate_storage()?;
        if purpose == Purpose::Admin {
            return Ok(());
        }
        self.validate_webhook_secrets()?;
        self.validate_public_url()?;
        self.validate_tls()?;
        self.validate_meta_endpoints()?;
        self.validate_body_limit()?;
        self.validate_login_apps()
    }

    /// What every purpose needs: the data directory and non-zero limits.
    fn validate_storage(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must be set"));
        }
        for (field, value) in [
            ("max_queue_per_device", self.max_queue_per_device),
            ("retention_hours", self.retention_hours),
            ("dead_letter_limit", self.dead_letter_limit),
            ("max_devices_per_tenant", self.max_devices_per_tenant),
            ("pairing_code_minutes", self.pairing_code_minutes),
            ("heartbeat_seconds", self.heartbeat_seconds),
        ] {
            if value == 0 {
                return Err(invalid(field, "must be greater than 0"));
            }
        }
        Ok(())
    }

    fn validate_webhook_secrets(&self) -> Result<(), ConfigError> {
        if self.meta_app_secret.trim().is_empty() {
            return Err(invalid(
                "meta_app_secret",
                "must be set (App Dashboard → App settings → Basic → App secret); \
                 without it no webhook signature can be checked",
            ));
        }
        if self.verify_token.trim().is_empty() {
            return Err(invalid("verify_token", "must be set to the string entered in the dashboard"));
        }
        if self.verify_token.len() < 16 {
            return Err(invalid("verify_token", "use at least 16 characters"));
        }
        Ok(())
    }

    fn validate_public_url(&self) -> Result<(), ConfigError> {
        if !(self.public_url.is_empty()
            || self.public_url.starts_with("https://")
            || self.public_url.starts_with("http://"))
        {
            // Meta requires HTTPS; plain http is accepted only for local testing.
            return Err(invalid("public_url", "must start with https:// (or http:// for local tests)"));
        }
        if self.public_url.ends_with('/') {
            return Err(invalid("public_url", "must not end with '/'"));
        }
        Ok(())
    }

    /// `tls_cert` and `tls_key` come as a pair of readable files, or not at all.
    fn validate_tls(&self) -> Result<(), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => Err(invalid("tls_key", "tls_cert is set, so tls_key must be too")),
            (None, Some(_)) => Err(invalid("tls_cert", "tls_key is set, so tls_cert must be too")),
            (Some(cert), Some(key)) => {
                for (field, file) in [("tls_cert", cert), ("tls_key", key)] {
                    if !file.is_file() {
                        return Err(invalid(field, format!("{} is not a readable file", file.display())));
                    }
                }
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// The Meta base URLs are joined with paths, so no trailing '/'.
    fn validate_meta_endpoints(&self) -> Result<(), ConfigError> {
        for (field, url) in [
            ("graph_api_base", &self.graph_api_base),
            ("instagram_api_base", &self.instagram_api_base),
            ("instagram_graph_base", &self.instagram_graph_base),
            ("facebook_dialog_base", &self.facebook_dialog_base),
            ("instagram_authorize_base", &self.instagram_authorize_base),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
                return Err(invalid(field, "must be an http(s) URL without a trailing '/'"));
            }
        }
        Ok(())
    }

    fn validate_body_limit(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes < 64 * 1024 || self.max_body_bytes > 64 * 1024 * 1024 {
            return Err(invalid("max_body_bytes", "must be between 65536 and 67108864"));
        }
        Ok(())
    }

    /// The login apps: Instagram's id and secret go together, and any login needs
    /// `public_url` for its redirect.
    fn validate_login_apps(&self) -> Result<(), ConfigError> {
        if self.instagram_app_id.is_empty() != self.instagram_app_secret.is_empty() {
            return Err(invalid(
                "instagram_app_secret",
                "instagram_app_id and instagram_app_secret are set together or not at all",
            ));
        }
        if (!self.meta_app_id.is_empty() || !self.instagram_app_id.is_empty()) && self.public_url.is_empty() {
            return Err(invalid(
                "public_url",
                "must be set when an app id is set: Meta redirects logins to {public_url}/oauth/callback",
            ));
        }
        Ok(())
    }

    /// Every key the file and the environment accept.
    pub const FIELDS: &'static [&'static str] = &[
        "listen",
        "data_dir",
        "public_url",
        "meta_app_id",
        "meta_app_secret",
        "verify_token",
        "instagram_app_id",
        "instagram_app_secret",
        "graph_api_base",
        "graph_api_version",
        "instagram_api_base",
        "instagram_graph_base",
        "facebook_dialog_base",
        "instagram_authorize_base",
        "tls_cert",
        "tls_key",
        "max_body_bytes",
        "max_queue_per_device",
        "retention_hours",
        "dead_letter_limit",
        "max_devices_per_tenant",
        "pairing_code_minutes",
        "heartbeat_seconds",
    ];

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("relay.sqlite")
    }

    pub fn oauth_redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_hours * 3600)
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_seconds)
    }
}

/// Environment values are strings; numbers are passed to TOML as numbers so the same
/// field works from either source.
fn env_value(field: &str, value: String) -> Option<toml::Value> {
    const NUMERIC: &[&str] = &[
        "max_body_bytes",
        "max_queue_per_device",
        "retention_hours",
        "dead_letter_limit",
        "max_devices_per_tenant",
        "pairing_code_minutes",
        "heartbeat_seconds",
    ];
    if NUMERIC.contains(&field) {
        return value.parse::<i64>().ok().map(toml::Value::Integer);
    }
    Some(toml::Value::String(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const GOOD: &[(&str, &str)] = &[
        ("CAHTS_RELAY_META_APP_SECRET", "s3cret"),
        ("CAHTS_RELAY_VERIFY_TOKEN", "a-long-verify-token"),
        ("CAHTS_RELAY_DATA_DIR", "/tmp/x"),
    ];

    #[test]
    fn environment_alone_is_enough_and_numbers_parse() {
        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_MAX_BODY_BYTES".into(), "1048576".into()));
        vars.push(("UNRELATED".into(), "x".into()));
        let config = Config::load(None, vars, Purpose::Serve).unwrap();
        assert_eq!(config.max_body_bytes, 1_048_576);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn missing_secret_names_the_field() {
        let err = Config::load(None, env(&GOOD[1..]), Purpose::Serve).unwrap_err();
        assert!(err.to_string().starts_with("meta_app_secret:"), "{err}");
        // Admin commands only need the data directory.
        Config::load(None, env(&GOOD[2..]), Purpose::Admin).unwrap();
    }

    #[test]
    fn file_values_are_overridden_by_environment_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nmeta_app_secret = \"file\"\n").unwrap();
        let config = Config::load(Some(&path), env(GOOD), Purpose::Serve).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.meta_app_secret, "s3cret");

        std::fs::write(&path, "listne = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load(Some(&path), env(GOOD), Purpose::Serve).unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
    }

    #[test]
    fn half_tls_and_bad_numbers_are_refused() {
        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_TLS_CERT".into(), "/etc/cert.pem".into()));
        let err = Config::load(None, vars, Purpose::Serve).unwrap_err();
        assert!(err.to_string().starts_with("tls_key:"), "{err}");

        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_RETENTION_HOURS".into(), "0".into()));
        let err = Config::load(None, vars, Purpose::Serve).unwrap_err();
        assert!(err.to_string().starts_with("retention_hours:"), "{err}");
    }

    #[test]
    fn environment_errors_name_the_variable_and_empty_means_unset() {
        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_MAX_BODY_BYTES".into(), "4M".into()));
        let err = Config::load(None, vars, Purpose::Serve).unwrap_err();
        assert!(err.to_string().contains("CAHTS_RELAY_MAX_BODY_BYTES"), "{err}");
        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_LISTN".into(), "x".into()));
        let err = Config::load(None, vars, Purpose::Serve).unwrap_err();
        assert!(err.to_string().contains("CAHTS_RELAY_LISTN"), "{err}");
        let mut vars = env(GOOD);
        vars.push(("CAHTS_RELAY_TLS_CERT".into(), "".into()));
        vars.push(("CAHTS_RELAY_TLS_KEY".into(), " ".into()));
        Config::load(None, vars, Purpose::Serve).unwrap();
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let config = Config::load(None, env(GOOD), Purpose::Serve).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("a-long-verify-token"), "{shown}");
    }
}

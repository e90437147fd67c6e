//! The engine's secret store: relay link tokens and other values that must never reach logs,
//! SQLite, exports or the window.
//!
//! Two backends behind one [`SecretStore`]:
//! - the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
//!   through the `keyring` crate's synchronous backends;
//! - a vault file ([`SecretStore::vault`]) for machines without a reachable keyring (headless
//!   boxes, containers, some Linux desktops): a JSON document holding one AES-256-GCM ciphertext
//!   under a key derived from a passphrase with Argon2id.
//!
//! [`SecretStore::from_env`] picks one: `CAHTS_VAULT=PATH` selects the vault, anything else the
//! keyring. Every method blocks (D-Bus round trips, Argon2, fsync); async callers use
//! `spawn_blocking`.
//!
//! Values travel as [`Secret`], whose `Debug` redacts and which has no `Serialize` or `Display`,
//! so a secret cannot slip into a log line, an IPC payload or an export by accident. This module
//! must not log values, names are fine.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

mod vault;

pub use vault::Vault;

/// A value that must never reach logs, SQLite, exports or the UI.
///
/// `Debug` prints `Secret(<redacted>)`; there is deliberately no `Display` and no `Serialize`, so
/// the only way to the value is [`Secret::expose`], at the place it is used. The value is
/// zeroized on drop, which is why `T` must be [`Zeroize`] (a `Drop` impl cannot be conditional
/// on a bound the type itself does not carry).
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    pub fn new(v: T) -> Self {
        Self(v)
    }

    /// The value itself. Call it where the value is used (an HTTP header, a keyring call), never
    /// to pass it around.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

/// Why the secret store could not do what was asked. Messages name the file or the service and
/// say what to do; they never contain a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The OS keyring is missing, locked or refused access. The way out is the vault file.
    #[error(
        "the OS keyring could not be reached ({detail}); to keep secrets in an encrypted file instead, set CAHTS_VAULT=/path/to/vault.json (with CAHTS_VAULT_PASSPHRASE, or start CAHTS from a terminal to be asked for the passphrase)"
    )]
    KeyringUnavailable { detail: String },

    /// The keyring was reached but refused this entry (name too long or invalid for the
    /// platform, several items matching it, a value that is not UTF-8).
    #[error("the OS keyring rejected the entry {name:?}: {detail}")]
    KeyringEntry { name: String, detail: String },

    #[error("wrong passphrase for the vault file {path}")]
    VaultWrongPassphrase { path: PathBuf },

    #[error("the vault file {path} is damaged or was modified outside CAHTS: {detail}")]
    VaultCorrupt { path: PathBuf, detail: String },

    #[error(
        "the vault file {path} needs a passphrase: set CAHTS_VAULT_PASSPHRASE, or start CAHTS from a terminal to be asked for it"
    )]
    VaultNoPassphrase { path: PathBuf },

    #[error("vault file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Where secrets live: the OS keyring under one service name, or a vault file.
pub enum SecretStore {
    /// Entries are keyring items with this service name and the secret's name as the user.
    Keyring {
        service: String,
    },
    Vault(Vault),
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The keyring service name for this build and an optional per-run prefix.
///
/// Release builds use [`crate::domain::APP_IDENTIFIER`] (`app.cahts.desktop`). Debug builds append
/// `.dev`, so running a dev build never reads or overwrites the tokens of the installed app.
/// A prefix (tests set `CAHTS_KEYRING_PREFIX` to a random per-run value) is appended last, so
/// a test run only ever sees its own entries and never a real user's: `app.cahts.desktop.dev.<prefix>`.
pub fn keyring_service(prefix: Option<&str>) -> String {
    let mut service = crate::domain::APP_IDENTIFIER.to_owned();
    if cfg!(debug_assertions) {
        service.push_str(".dev");
    }
    if let Some(prefix) = prefix.map(str::trim).filter(|p| !p.is_empty()) {
        service.push('.');
        service.push_str(prefix);
    }
    service
}

impl SecretStore {
    /// The store this process is configured for.
    ///
    /// - `CAHTS_VAULT=PATH`: the vault file at PATH. The passphrase comes from
    ///   `CAHTS_VAULT_PASSPHRASE`, else from a prompt on the terminal when stdin is one, else
    ///   [`SecretError::VaultNoPassphrase`] (a window started from the desktop has nowhere to ask).
    /// - otherwise the OS keyring, service [`keyring_service`] with `CAHTS_KEYRING_PREFIX`.
    ///
    /// Empty variables count as unset.
    pub fn from_env() -> Result<Self, SecretError> {
        if let Some(path) = std::env::var_os("CAHTS_VAULT").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            let passphrase = match std::env::var("CAHTS_VAULT_PASSPHRASE").ok().filter(|p| !p.is_empty()) {
                Some(p) => Secret::new(p),
                None => prompt_passphrase(&path)?,
            };
            return Self::vault(path, passphrase);
        }
        let prefix = std::env::var("CAHTS_KEYRING_PREFIX").ok();
        Ok(Self::keyring(keyring_service(prefix.as_deref())))
    }

    /// The OS keyring under exactly this service name (see [`keyring_service`] for the usual one).
    pub fn keyring(service: impl Into<String>) -> Self {
        SecretStore::Keyring { service: service.into() }
    }

    /// The vault file at `path`. An existing file is checked here: a wrong passphrase is
    /// [`SecretError::VaultWrongPassphrase`] and the file is left untouched. A missing file is
    /// created by the first [`SecretStore::set`]. Costs one Argon2id derivation (tens to hundreds
    /// of milliseconds), which is why the key is derived once here and kept.
    pub fn vault(path: PathBuf, passphrase: Secret<String>) -> Result<Self, SecretError> {
        Vault::open(path, passphrase).map(SecretStore::Vault)
    }

    /// The secret called `name`, or `None` when there is none.
    pub fn get(&self, name: &str) -> Result<Option<Secret<String>>, SecretError> {
        match self {
            SecretStore::Keyring { service } => match keyring_entry(service, name)?.get_password() {
                Ok(value) => Ok(Some(Secret::new(value))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keyring_error(name, e)),
            },
            SecretStore::Vault(vault) => vault.get(name),
        }
    }

    /// Stores `value` under `name`, replacing any previous value.
    pub fn set(&self, name: &str, value: &Secret<String>) -> Result<(), SecretError> {
        match self {
            SecretStore::Keyring { service } => {
                keyring_entry(service, name)?.set_password(value.expose()).map_err(|e| keyring_error(name, e))
            }
            SecretStore::Vault(vault) => vault.set(name, value),
        }
    }

    /// Removes the secret called `name`; removing one that is not there is not an error.
    pub fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self {
            SecretStore::Keyring { service } => match keyring_entry(service, name)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_error(name, e)),
            },
            SecretStore::Vault(vault) => vault.delete(name),
        }
    }

    /// Where secrets are kept, for status lines and logs. Never contains a secret.
    pub fn describe(&self) -> String {
        match self {
            SecretStore::Keyring { service } => format!("OS keyring (service {service})"),
            SecretStore::Vault(vault) => format!("vault file {}", vault.path.display()),
        }
    }
}

fn keyring_entry(service: &str, name: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(service, name).map_err(|e| keyring_error(name, e))
}

/// Maps keyring errors onto ours. The details are written here rather than taken from keyring's
/// `Display` where that could carry item contents (`BadEncoding` holds the raw value).
fn keyring_error(name: &str, e: keyring::Error) -> SecretError {
    let entry = |detail: String| SecretError::KeyringEntry { name: name.to_owned(), detail };
    match e {
        // D-Bus unreachable, no Secret Service on the bus, a locked collection, a dismissed
        // prompt: all of it means "this machine's keyring is not usable now".
        keyring::Error::PlatformFailure(source) | keyring::Error::NoStorageAccess(source) => {
            SecretError::KeyringUnavailable { detail: source.to_string() }
        }
        keyring::Error::NoEntry => entry("no such entry".into()),
        keyring::Error::BadEncoding(_) => entry("the stored value is not UTF-8 text".into()),
        keyring::Error::TooLong(attr, limit) => entry(format!("{attr} is longer than the platform limit of {limit}")),
        keyring::Error::Invalid(attr, reason) => entry(format!("{attr} is invalid: {reason}")),
        keyring::Error::Ambiguous(items) => entry(format!(
            "{} keyring items match it; remove the duplicates with the desktop's keyring manager",
            items.len()
        )),
        // keyring::Error is non-exhaustive.
        other => entry(other.to_string()),
    }
}

/// Asks for the vault passphrase on the terminal, twice when the vault is about to be created
/// (a typo there would lock the secrets away for good).
fn prompt_passphrase(path: &Path) -> Result<Secret<String>, SecretError> {
    use std::io::IsTerminal;
    let none = || SecretError::VaultNoPassphrase { path: path.to_owned() };
    // rpassword reads /dev/tty, which may exist even when stdin is a pipe (a test harness, a
    // service started from a shell); asking there would hang with nobody to answer.
    if !io::stdin().is_terminal() {
        return Err(none());
    }
    let ask = |prompt: String| rpassword::prompt_password(prompt).map(Secret::new).map_err(|_| none());
    if path.exists() {
        let p = ask(format!("Passphrase for the CAHTS vault {}: ", path.display()))?;
        return if p.expose().is_empty() { Err(none()) } else { Ok(p) };
    }
    for _ in 0..3 {
        let p = ask(format!("New passphrase for the CAHTS vault {} (it will be created): ", path.display()))?;
        if p.expose().is_empty() {
            return Err(none());
        }
        let again = ask("Repeat the passphrase: ".to_owned())?;
        if again.expose() == p.expose() {
            return Ok(p);
        }
        eprintln!("The passphrases differ; try again.");
    }
    Err(none())
}

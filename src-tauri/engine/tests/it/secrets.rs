//! The secret store against the real OS keyring (the Secret Service on Linux) and the real
//! environment variables.
//!
//! `SecretStore::from_env()` reads the process environment, and setting variables in a running
//! multi-threaded test is `unsafe` in edition 2024 (and racy with libdbus reading it). So each
//! `from_env` call runs in a child: this test binary again, filtered to [`from_env_child`], with
//! the variables set at spawn. Children also give the "read back from another process" check.
//!
//! The Secret Service test fails, never skips, when no keyring is reachable: run it through
//! `scripts/with-keyring.sh cargo test -p cahts-engine --test it secrets`.

use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use cahts_engine::secrets::{Secret, SecretError, SecretStore, keyring_service};

const HOW_TO_RUN: &str = "no Secret Service is reachable; run the keyring tests through \
                          `scripts/with-keyring.sh cargo test -p cahts-engine --test it secrets` \
                          (a private D-Bus session with an unlocked gnome-keyring)";

/// A prefix no other run shares, so entries never collide with a real user's or another run's.
fn run_prefix() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("test-{}-{nanos:x}", std::process::id())
}

/// This test binary, running only [`from_env_child`] with `action` and the given variables.
/// Every `CAHTS_*` variable of ours is cleared first so the caller's environment cannot leak in.
fn child(action: &str, vars: &[(&str, &str)]) -> Output {
    let mut c = Command::new(std::env::current_exe().expect("test binary path"));
    c.args(["secrets::from_env_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("CAHTS_SECRETS_CHILD", action)
        .env_remove("CAHTS_VAULT")
        .env_remove("CAHTS_VAULT_PASSPHRASE")
        .env_remove("CAHTS_KEYRING_PREFIX")
        .stdin(Stdio::null());
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().expect("the test binary runs")
}

/// The child's one line of result, `RESULT <text>`.
fn child_result(action: &str, vars: &[(&str, &str)]) -> String {
    let out = child(action, vars);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child {action} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
        .lines()
        // The harness prints `test ... ` on the same line before the child's output.
        .find_map(|l| l.split_once("RESULT ").map(|(_, result)| result))
        .unwrap_or_else(|| panic!("child {action} printed no result:\n{stdout}"))
        .to_owned()
}

/// Runs in a child process started by [`child`]; ignored so it does nothing in a normal run.
/// Action `describe`, `set:NAME=VALUE`, `get:NAME` or `delete:NAME` on `SecretStore::from_env()`;
/// prints `RESULT ` and the outcome (errors by variant).
#[test]
#[ignore = "a child process of the secrets tests, not a test of its own"]
fn from_env_child() {
    let Ok(action) = std::env::var("CAHTS_SECRETS_CHILD") else { return };
    let outcome = SecretStore::from_env().and_then(|store| {
        if action == "describe" {
            return Ok(store.describe());
        }
        let (verb, arg) = action.split_once(':').expect("VERB:ARG");
        match verb {
            "set" => {
                let (name, value) = arg.split_once('=').expect("NAME=VALUE");
                store.set(name, &Secret::new(value.to_owned())).map(|()| "ok".to_owned())
            }
            "get" => store.get(arg).map(|v| v.map_or("none".to_owned(), |v| format!("some {}", v.expose()))),
            "delete" => store.delete(arg).map(|()| "ok".to_owned()),
            _ => panic!("unknown action {action}"),
        }
    });
    match outcome {
        Ok(text) => println!("RESULT {text}"),
        Err(e) => {
            let variant = match &e {
                SecretError::KeyringUnavailable { .. } => "KeyringUnavailable",
                SecretError::KeyringEntry { .. } => "KeyringEntry",
                SecretError::VaultWrongPassphrase { .. } => "VaultWrongPassphrase",
                SecretError::VaultCorrupt { .. } => "VaultCorrupt",
                SecretError::VaultNoPassphrase { .. } => "VaultNoPassphrase",
                SecretError::Io { .. } => "Io",
            };
            println!("RESULT error {variant}: {e}");
        }
    }
}

/// `secret-tool lookup`: a third-party Secret Service client reading the item by the attributes
/// keyring 3 writes (`service`, `username`; it also sets `target=default` and
/// `application=rust-keyring`). `None` when there is no such item.
fn secret_tool_lookup(service: &str, name: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", name])
        .stdin(Stdio::null())
        .output()
        .expect("secret-tool runs (apt-get install libsecret-tools)");
    // secret-tool exits 1 with no output when nothing matches.
    out.status.success().then(|| String::from_utf8(out.stdout).expect("utf-8 secret"))
}

/// Removes the test's entry even when an assertion fails halfway.
struct Cleanup {
    service: String,
    name: &'static str,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = SecretStore::keyring(self.service.clone()).delete(self.name);
    }
}

#[test]
fn keyring_round_trip_through_the_real_secret_service() {
    assert!(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(), "{HOW_TO_RUN} (DBUS_SESSION_BUS_ADDRESS is unset)");
    let prefix = run_prefix();
    let service = keyring_service(Some(&prefix));
    let name = "relay-link-token";
    let value = format!("tok-{prefix}");
    let env = [("CAHTS_KEYRING_PREFIX", prefix.as_str())];
    let _cleanup = Cleanup { service: service.clone(), name };

    let described = child_result("describe", &env);
    assert_eq!(
        described,
        format!("OS keyring (service {service})"),
        "from_env picks the keyring under the per-run service"
    );

    let set = child_result(&format!("set:{name}={value}"), &env);
    assert!(!set.contains("KeyringUnavailable"), "{HOW_TO_RUN}: {set}");
    assert_eq!(set, "ok", "a child process stores the secret");

    assert_eq!(
        secret_tool_lookup(&service, name).as_deref(),
        Some(value.as_str()),
        "secret-tool, another process, reads it back"
    );
    let store = SecretStore::keyring(service.clone());
    assert_eq!(
        store.get(name).unwrap().map(|s| s.expose().clone()),
        Some(value.clone()),
        "a fresh store in this process reads it"
    );
    assert_eq!(
        child_result(&format!("get:{name}"), &env),
        format!("some {value}"),
        "and so does another from_env process"
    );
    assert_eq!(
        child_result(&format!("get:{name}"), &[]),
        "none",
        "the unprefixed service does not see the test's entry"
    );

    store.set(name, &Secret::new(format!("{value}-2"))).unwrap();
    assert_eq!(
        secret_tool_lookup(&service, name),
        Some(format!("{value}-2")),
        "set replaces the item rather than adding one"
    );

    assert_eq!(child_result(&format!("delete:{name}"), &env), "ok", "a child deletes it");
    assert_eq!(store.get(name).unwrap().map(|s| s.expose().clone()), None, "gone for this process");
    assert_eq!(secret_tool_lookup(&service, name), None, "gone from the Secret Service");
    store.delete(name).expect("deleting a missing entry is not an error");
}

#[test]
fn keyring_without_a_session_bus_is_keyring_unavailable() {
    // A bus address that leads nowhere: what a desktop session without D-Bus looks like.
    let dir = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}", dir.path().join("no-bus").display());
    let env = [("CAHTS_KEYRING_PREFIX", "unreachable"), ("DBUS_SESSION_BUS_ADDRESS", bus.as_str())];
    let got = child_result("get:relay-link-token", &env);
    assert!(got.starts_with("error KeyringUnavailable: "), "an unreachable keyring is KeyringUnavailable: {got}");
    assert!(got.contains("CAHTS_VAULT"), "the message offers the vault file: {got}");
}

#[test]
fn from_env_vault_with_passphrase_variable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.json");
    let path_str = path.to_str().unwrap();
    let env = [("CAHTS_VAULT", path_str), ("CAHTS_VAULT_PASSPHRASE", "correct horse")];
    assert_eq!(child_result("describe", &env), format!("vault file {path_str}"), "CAHTS_VAULT selects the vault");
    assert_eq!(child_result("set:relay=tok-v", &env), "ok", "a child creates the vault");
    assert_eq!(child_result("get:relay", &env), "some tok-v", "another child reads it");

    let store = SecretStore::vault(path.clone(), Secret::new("correct horse".to_owned())).unwrap();
    assert_eq!(
        store.get("relay").unwrap().map(|s| s.expose().clone()).as_deref(),
        Some("tok-v"),
        "and this process too"
    );

    let wrong = [("CAHTS_VAULT", path_str), ("CAHTS_VAULT_PASSPHRASE", "battery staple")];
    let got = child_result("get:relay", &wrong);
    assert!(got.starts_with("error VaultWrongPassphrase"), "a wrong passphrase variable: {got}");
    assert!(!got.contains("tok-v") && !got.contains("battery"), "errors hold no secrets: {got}");
}

#[test]
fn from_env_vault_without_passphrase_or_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.json");
    // stdin is /dev/null in the child: nowhere to ask, so no prompt and no hang.
    let got = child_result("get:relay", &[("CAHTS_VAULT", path.to_str().unwrap())]);
    assert!(got.starts_with("error VaultNoPassphrase"), "no passphrase and no terminal: {got}");
    assert!(got.contains("CAHTS_VAULT_PASSPHRASE"), "the message says how to give one: {got}");
}

//! The vault file: for machines without a reachable keyring, one JSON document holding an
//! AES-256-GCM ciphertext of every secret, under a key derived from a passphrase with
//! Argon2id. Written beside and renamed, so a crash never leaves half a vault.

use super::*;

const VAULT_FORMAT: &str = "cahts-vault";
const VAULT_VERSION: u32 = 1;
const KDF_ALGORITHM: &str = "argon2id";

/// Argon2id cost for new vaults: 19 MiB, 2 passes, 1 lane, the OWASP Password Storage Cheat
/// Sheet's baseline for Argon2id. The vault is opened once per start, so this cost is paid once;
/// higher memory would make opening slow on small laptops and in debug builds (dependencies at
/// opt-level 1) without changing the picture much next to passphrase quality. The parameters are
/// stored in the file, so a later version can raise them for new vaults and still open old ones.
const NEW_M_COST_KIB: u32 = 19 * 1024;
const NEW_T_COST: u32 = 2;
const NEW_P_COST: u32 = 1;
const SALT_LEN: usize = 16;

/// Bounds accepted when reading a file: a damaged or hostile file must not make opening ask for
/// gigabytes of memory or minutes of CPU, nor weaken the derivation to nothing.
const M_COST_KIB_RANGE: std::ops::RangeInclusive<u32> = 8 * 1024..=1024 * 1024;
const T_COST_RANGE: std::ops::RangeInclusive<u32> = 1..=16;
const P_COST_RANGE: std::ops::RangeInclusive<u32> = 1..=16;
const SALT_LEN_RANGE: std::ops::RangeInclusive<usize> = 16..=64;

/// The KDF part of the header. `check` lets a wrong passphrase be told apart from a damaged
/// ciphertext: AES-GCM alone fails the same way for both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfHeader {
    algorithm: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    /// Base64 of the random salt.
    salt: String,
    /// Base64 of the second half of the Argon2id output (see [`derive_keys`]).
    check: String,
}

/// The vault file as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VaultDocument {
    format: String,
    version: u32,
    kdf: KdfHeader,
    /// Base64 of the 96-bit AES-GCM nonce, fresh at every write.
    nonce: String,
    /// Base64 of the AES-256-GCM ciphertext and tag of the JSON object name → value.
    ciphertext: String,
}

/// The associated data: the header, serialized from these typed fields, so the bytes do not
/// depend on the file's whitespace or key order but any change to a value fails authentication.
#[derive(Serialize)]
struct Aad<'a> {
    format: &'a str,
    version: u32,
    kdf: &'a KdfHeader,
}

fn aad(kdf: &KdfHeader) -> Vec<u8> {
    serde_json::to_vec(&Aad { format: VAULT_FORMAT, version: VAULT_VERSION, kdf }).expect("the header serializes")
}

/// A vault file opened with its passphrase.
///
/// The file is read again at every operation, so several processes (the window, `cahts-cli`) can
/// share it; within this process a mutex serializes read-modify-write. Two processes writing at
/// the same moment can still lose one write (last rename wins).
pub struct Vault {
    pub(super) path: PathBuf,
    /// The header the key belongs to; every write reuses it, only the nonce changes.
    kdf: KdfHeader,
    key: Key32,
    lock: Mutex<()>,
}

/// 256 bits of key material, zeroized on drop.
type Key32 = Zeroizing<[u8; 32]>;

/// The decrypted name → value map. Values are zeroized on drop.
type Entries = BTreeMap<String, Zeroizing<String>>;

impl Vault {
    pub(super) fn open(path: PathBuf, passphrase: Secret<String>) -> Result<Self, SecretError> {
        // An empty passphrase would leave only the salt between the file and anyone reading it.
        if passphrase.expose().is_empty() {
            return Err(SecretError::VaultNoPassphrase { path });
        }
        let Some(bytes) = read_if_exists(&path)? else {
            let mut salt = [0u8; SALT_LEN];
            OsRng.fill_bytes(&mut salt);
            let (m, t, p) = (NEW_M_COST_KIB, NEW_T_COST, NEW_P_COST);
            let (key, check) = derive_keys(passphrase.expose().as_bytes(), &salt, m, t, p)
                .map_err(|detail| SecretError::VaultCorrupt { path: path.clone(), detail })?;
            let kdf = KdfHeader {
                algorithm: KDF_ALGORITHM.into(),
                m_cost_kib: m,
                t_cost: t,
                p_cost: p,
                salt: B64.encode(salt),
                check: B64.encode(*check),
            };
            return Ok(Vault { path, kdf, key, lock: Mutex::new(()) });
        };

        let corrupt = |detail: String| SecretError::VaultCorrupt { path: path.clone(), detail };
        let doc = parse_document(&bytes).map_err(corrupt)?;
        let salt = B64.decode(&doc.kdf.salt).map_err(|e| corrupt(format!("salt: {e}")))?;
        if !SALT_LEN_RANGE.contains(&salt.len()) {
            return Err(corrupt(format!("salt of {} bytes", salt.len())));
        }
        let stored_check = B64.decode(&doc.kdf.check).map_err(|e| corrupt(format!("check: {e}")))?;
        let k = &doc.kdf;
        let (key, check) =
            derive_keys(passphrase.expose().as_bytes(), &salt, k.m_cost_kib, k.t_cost, k.p_cost).map_err(corrupt)?;
        // Not secret-dependent timing worth hiding (the attacker who has the file can run Argon2
        // offline), but comparing without an early exit costs nothing.
        if stored_check.len() != check.len()
            || stored_check.iter().zip(check.iter()).fold(0u8, |d, (a, b)| d | (a ^ b)) != 0
        {
            return Err(SecretError::VaultWrongPassphrase { path });
        }
        let vault = Vault { kdf: doc.kdf.clone(), key, lock: Mutex::new(()), path };
        // The passphrase is right; a ciphertext that does not authenticate is damage, found now
        // rather than at the first use.
        vault.decrypt(&doc)?;
        Ok(vault)
    }

    pub(super) fn get(&self, name: &str) -> Result<Option<Secret<String>>, SecretError> {
        let _guard = self.lock();
        let mut entries = self.load()?;
        // Moves the String's buffer into the Secret: no copy of the value is left behind.
        Ok(entries.remove(name).map(|mut v| Secret::new(std::mem::take(&mut *v))))
    }

    pub(super) fn set(&self, name: &str, value: &Secret<String>) -> Result<(), SecretError> {
        let _guard = self.lock();
        let mut entries = self.load()?;
        entries.insert(name.to_owned(), Zeroizing::new(value.expose().clone()));
        self.store(&entries)
    }

    pub(super) fn delete(&self, name: &str) -> Result<(), SecretError> {
        let _guard = self.lock();
        let mut entries = self.load()?;
        // Nothing to remove: no write, and no file created for a vault that has none yet.
        if entries.remove(name).is_none() {
            return Ok(());
        }
        self.store(&entries)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The mutex guards no data and every write is an atomic rename, so a panic in another
        // holder leaves nothing half done: poisoning can be ignored.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn corrupt(&self, detail: impl Into<String>) -> SecretError {
        SecretError::VaultCorrupt { path: self.path.clone(), detail: detail.into() }
    }

    fn io(&self, source: io::Error) -> SecretError {
        SecretError::Io { path: self.path.clone(), source }
    }

    /// The entries now in the file; none when it does not exist (yet, or any more).
    fn load(&self) -> Result<Entries, SecretError> {
        let Some(bytes) = read_if_exists(&self.path)? else {
            return Ok(Entries::new());
        };
        let doc = parse_document(&bytes).map_err(|d| self.corrupt(d))?;
        if doc.kdf != self.kdf {
            // Another program replaced the file with one under a different salt or passphrase.
            return Err(self.corrupt("it was replaced since it was opened (different key parameters); open it again"));
        }
        let plaintext = self.decrypt(&doc)?;
        let map: BTreeMap<String, String> =
            serde_json::from_slice(&plaintext).map_err(|e| self.corrupt(format!("decrypted contents: {e}")))?;
        Ok(map.into_iter().map(|(k, v)| (k, Zeroizing::new(v))).collect())
    }

    fn decrypt(&self, doc: &VaultDocument) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let nonce = B64.decode(&doc.nonce).map_err(|e| self.corrupt(format!("nonce: {e}")))?;
        if nonce.len() != 12 {
            return Err(self.corrupt(format!("nonce of {} bytes", nonce.len())));
        }
        let mut buf =
            Zeroizing::new(B64.decode(&doc.ciphertext).map_err(|e| self.corrupt(format!("ciphertext: {e}")))?);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&*self.key));
        cipher
            .decrypt_in_place(Nonce::from_slice(&nonce), &aad(&doc.kdf), &mut *buf)
            .map_err(|_| self.corrupt("the contents or the header do not authenticate"))?;
        Ok(buf)
    }

    fn store(&self, entries: &Entries) -> Result<(), SecretError> {
        // Sized up front so serializing never reallocates, which would leave copies of the
        // plaintext in freed memory. 6 bytes per input byte covers `\u00XX` escapes; 16 is the tag.
        let capacity = 2 + entries.iter().map(|(k, v)| 6 * (k.len() + v.len()) + 6).sum::<usize>() + 16;
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        let view: BTreeMap<&str, &str> = entries.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        serde_json::to_writer(&mut *buf, &view).expect("a string map serializes");

        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&*self.key));
        cipher
            .encrypt_in_place(Nonce::from_slice(&nonce), &aad(&self.kdf), &mut *buf)
            .map_err(|_| self.corrupt("encryption failed"))?;

        let doc = VaultDocument {
            format: VAULT_FORMAT.into(),
            version: VAULT_VERSION,
            kdf: self.kdf.clone(),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(&*buf),
        };
        let mut json = serde_json::to_vec_pretty(&doc).expect("the vault document serializes");
        json.push(b'\n');
        write_atomically(&self.path, &json).map_err(|e| self.io(e))
    }
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, SecretError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretError::Io { path: path.to_owned(), source }),
    }
}

/// Parses the document and checks what this build can read; the error is the corruption detail.
fn parse_document(bytes: &[u8]) -> Result<VaultDocument, String> {
    let doc: VaultDocument = serde_json::from_slice(bytes).map_err(|e| format!("not a CAHTS vault document: {e}"))?;
    if doc.format != VAULT_FORMAT {
        return Err(format!("format {:?}, expected {VAULT_FORMAT:?}", doc.format));
    }
    if doc.version != VAULT_VERSION {
        return Err(format!(
            "version {} (this build reads version {VAULT_VERSION}; a newer CAHTS may have written it)",
            doc.version
        ));
    }
    let k = &doc.kdf;
    if k.algorithm != KDF_ALGORITHM {
        return Err(format!("key derivation {:?}, expected {KDF_ALGORITHM:?}", k.algorithm));
    }
    if !M_COST_KIB_RANGE.contains(&k.m_cost_kib)
        || !T_COST_RANGE.contains(&k.t_cost)
        || !P_COST_RANGE.contains(&k.p_cost)
    {
        return Err(format!(
            "key derivation parameters out of range (m_cost_kib {}, t_cost {}, p_cost {})",
            k.m_cost_kib, k.t_cost, k.p_cost
        ));
    }
    Ok(doc)
}

/// Argon2id → 64 bytes: the first half is the AES-256 key, the second the passphrase check
/// stored in the header. For a 64-byte output Argon2's final hash is one BLAKE2b-512, so the
/// halves are independent and publishing the check reveals nothing about the key.
fn derive_keys(
    passphrase: &[u8],
    salt: &[u8],
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
) -> Result<(Key32, Key32), String> {
    let params = argon2::Params::new(m_cost_kib, t_cost, p_cost, Some(64))
        .map_err(|e| format!("key derivation parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 64]);
    argon.hash_password_into(passphrase, salt, &mut *out).map_err(|e| format!("key derivation: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    let mut check = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&out[..32]);
    check.copy_from_slice(&out[32..]);
    Ok((key, check))
}

/// Replaces `path` so that a crash leaves the old file or the new one, never a mix: a temporary
/// file in the same directory (same filesystem, so the rename is atomic), fsynced, renamed over,
/// then the directory fsynced so the rename itself survives a power cut. Unix mode 0600 from
/// creation, never briefly readable by others.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut temp = tempfile::Builder::new();
    temp.prefix(".cahts-vault-").suffix(".tmp");
    #[cfg(unix)]
    temp.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut file = temp.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret<String> {
        Secret::new(s.to_owned())
    }

    fn open(path: &Path, passphrase: &str) -> Result<SecretStore, SecretError> {
        SecretStore::vault(path.to_owned(), secret(passphrase))
    }

    fn value(store: &SecretStore, name: &str) -> Option<String> {
        store.get(name).expect("get").map(|s| s.expose().clone())
    }

    /// A vault file with one entry, in its own directory.
    fn vault_with(name: &str, val: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.json");
        open(&path, "correct horse").unwrap().set(name, &secret(val)).unwrap();
        (dir, path)
    }

    #[test]
    fn debug_redacts_the_value() {
        let s = Secret::new("tok-123".to_owned());
        let shown = format!("{s:?} {:?} {:#?}", s.clone(), Some(&s));
        assert!(!shown.contains("tok"), "Debug of a Secret never shows the value: {shown}");
        assert!(shown.contains("Secret(<redacted>)"), "Debug says what it hides: {shown}");
        assert_eq!(s.expose(), "tok-123", "expose gives the value back");
    }

    #[test]
    fn keyring_service_is_namespaced_by_channel_and_prefix() {
        let base = if cfg!(debug_assertions) { "app.cahts.desktop.dev" } else { "app.cahts.desktop" };
        assert_eq!(keyring_service(None), base, "no prefix: the channel's service");
        assert_eq!(keyring_service(Some("  ")), base, "a blank prefix counts as none");
        assert_eq!(keyring_service(Some("t1")), format!("{base}.t1"), "the prefix comes last");
        assert_eq!(SecretStore::keyring("svc").describe(), "OS keyring (service svc)", "describe names the service");
    }

    #[test]
    fn vault_round_trips_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/vault.json");
        let store = open(&path, "correct horse").unwrap();
        assert_eq!(store.describe(), format!("vault file {}", path.display()), "describe names the file");
        assert_eq!(value(&store, "relay"), None, "a new vault is empty");
        assert!(!path.exists(), "opening does not create the file");
        store.delete("relay").unwrap();
        assert!(!path.exists(), "deleting from an empty vault writes nothing");

        store.set("relay", &secret("t-1")).unwrap();
        store.set("other", &secret("o-1 \"quoted\" \u{1} ünï")).unwrap();
        assert!(path.exists(), "the first set creates the file");
        assert_eq!(value(&store, "relay").as_deref(), Some("t-1"), "set then get");
        store.set("relay", &secret("t-2")).unwrap();
        assert_eq!(value(&store, "relay").as_deref(), Some("t-2"), "set overwrites");

        let again = open(&path, "correct horse").unwrap();
        assert_eq!(value(&again, "relay").as_deref(), Some("t-2"), "a new store with the same passphrase reads it");
        assert_eq!(value(&again, "other").as_deref(), Some("o-1 \"quoted\" \u{1} ünï"), "odd characters survive");

        again.delete("relay").unwrap();
        again.delete("relay").unwrap();
        assert_eq!(value(&again, "relay"), None, "deleted");
        assert_eq!(value(&store, "relay"), None, "the first store sees the other's delete: the file is reread");
        assert_eq!(value(&store, "other").as_deref(), Some("o-1 \"quoted\" \u{1} ünï"), "other entries stay");

        let first = fs::read_to_string(&path).unwrap();
        store.set("other", &secret("o-1 \"quoted\" \u{1} ünï")).unwrap();
        let second = fs::read_to_string(&path).unwrap();
        let nonce = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["nonce"].clone();
        assert_ne!(nonce(&first), nonce(&second), "every write uses a fresh nonce");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left next to the vault: {leftovers:?}");
    }

    #[test]
    fn vault_document_has_the_documented_shape() {
        let (_dir, path) = vault_with("relay", "t-1");
        let doc: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(doc["format"], "cahts-vault", "format: {doc}");
        assert_eq!(doc["version"], 1, "version: {doc}");
        assert_eq!(doc["kdf"]["algorithm"], "argon2id", "kdf: {doc}");
        assert_eq!(doc["kdf"]["m_cost_kib"], NEW_M_COST_KIB, "kdf: {doc}");
        assert_eq!(doc["kdf"]["t_cost"], NEW_T_COST, "kdf: {doc}");
        assert_eq!(doc["kdf"]["p_cost"], NEW_P_COST, "kdf: {doc}");
        assert_eq!(B64.decode(doc["kdf"]["salt"].as_str().unwrap()).unwrap().len(), SALT_LEN, "salt: {doc}");
        assert_eq!(B64.decode(doc["nonce"].as_str().unwrap()).unwrap().len(), 12, "96-bit nonce: {doc}");
    }

    #[test]
    fn wrong_passphrase_is_reported_and_leaves_the_file_alone() {
        let (_dir, path) = vault_with("relay", "t-1");
        let before = fs::read(&path).unwrap();
        let err = open(&path, "battery staple").unwrap_err();
        assert!(
            matches!(&err, SecretError::VaultWrongPassphrase { path: p } if *p == path),
            "wrong passphrase: {err:?}"
        );
        assert_eq!(fs::read(&path).unwrap(), before, "a failed open does not touch the file");
        let err = open(&path, "").unwrap_err();
        assert!(matches!(err, SecretError::VaultNoPassphrase { .. }), "an empty passphrase is no passphrase: {err:?}");
        assert_eq!(fs::read(&path).unwrap(), before, "the file is unchanged");
        assert_eq!(value(&open(&path, "correct horse").unwrap(), "relay").as_deref(), Some("t-1"), "still opens");
    }

    /// Rewrites one field of the stored document.
    fn tamper(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        edit(&mut doc);
        fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
    }

    fn assert_corrupt(path: &Path, what: &str) {
        match open(path, "correct horse") {
            Err(SecretError::VaultCorrupt { path: p, detail }) => {
                assert_eq!(p, path, "{what}: the error names the file");
                assert!(!detail.contains("t-1"), "{what}: the detail holds no secret: {detail}");
            }
            Err(e) => panic!("{what}: expected VaultCorrupt, got {e:?}"),
            Ok(_) => panic!("{what}: expected VaultCorrupt, the vault opened"),
        }
    }

    #[test]
    fn tampering_is_detected_as_corruption() {
        let flip = |s: &str| {
            let mut bytes = B64.decode(s).unwrap();
            bytes[0] ^= 1;
            B64.encode(bytes)
        };
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "a flipped ciphertext bit",
                Box::new(move |d| d["ciphertext"] = flip(d["ciphertext"].as_str().unwrap()).into()),
            ),
            ("a flipped nonce bit", Box::new(move |d| d["nonce"] = flip(d["nonce"].as_str().unwrap()).into())),
            ("a truncated ciphertext", Box::new(|d| d["ciphertext"] = "AAAA".into())),
            ("another format", Box::new(|d| d["format"] = "something-else".into())),
            ("another version", Box::new(|d| d["version"] = 2.into())),
            ("another algorithm", Box::new(|d| d["kdf"]["algorithm"] = "argon2i".into())),
            ("an absurd memory cost", Box::new(|d| d["kdf"]["m_cost_kib"] = u32::MAX.into())),
            ("an extra header field", Box::new(|d| d["kdf"]["note"] = "x".into())),
            (
                "a missing field",
                Box::new(|d| {
                    d.as_object_mut().unwrap().remove("nonce");
                }),
            ),
        ];
        for (what, edit) in cases {
            let (_dir, path) = vault_with("relay", "t-1");
            tamper(&path, edit);
            assert_corrupt(&path, what);
        }
        let (_dir, path) = vault_with("relay", "t-1");
        fs::write(&path, b"{ not json").unwrap();
        assert_corrupt(&path, "a file that is not JSON");
    }

    #[test]
    fn header_is_authenticated() {
        // Every header field either feeds the key derivation (so a change fails the passphrase
        // check) or is rejected by value; the AAD is the backstop for a header whose values all
        // pass. Encrypt under a header with a changed field and check the stored one fails.
        let (_dir, path) = vault_with("relay", "t-1");
        let SecretStore::Vault(vault) = open(&path, "correct horse").unwrap() else { unreachable!() };
        let doc = parse_document(&fs::read(&path).unwrap()).unwrap();
        let mut other = doc.kdf.clone();
        other.algorithm = "argon2id ".into();
        let mut buf = B64.decode(&doc.ciphertext).unwrap();
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&*vault.key));
        let nonce = B64.decode(&doc.nonce).unwrap();
        assert!(
            cipher.decrypt_in_place(Nonce::from_slice(&nonce), &aad(&other), &mut buf).is_err(),
            "a ciphertext does not authenticate under a changed header"
        );
    }

    #[test]
    fn changed_kdf_parameters_read_as_a_wrong_passphrase() {
        // Documented limit: salt and cost feed the key, so altering them is indistinguishable
        // from a wrong passphrase. The file is still refused, and still unchanged.
        let (_dir, path) = vault_with("relay", "t-1");
        tamper(&path, |d| d["kdf"]["t_cost"] = 3.into());
        let before = fs::read(&path).unwrap();
        let err = open(&path, "correct horse").unwrap_err();
        assert!(matches!(err, SecretError::VaultWrongPassphrase { .. }), "altered cost: {err:?}");
        assert_eq!(fs::read(&path).unwrap(), before, "the file is unchanged");
    }

    #[test]
    fn vault_file_never_holds_the_plaintext() {
        let planted = "PLANTED-TOKEN-7f3a9c";
        let (_dir, path) = vault_with("relay-token-name", planted);
        let raw = fs::read(&path).unwrap();
        let hay = String::from_utf8_lossy(&raw);
        assert!(!hay.contains(planted), "the planted value is not in the file");
        assert!(!hay.contains("relay-token-name"), "entry names are encrypted too");
        assert!(!hay.contains("correct horse"), "nor is the passphrase");
    }

    #[test]
    fn replaced_file_is_refused_rather_than_overwritten() {
        let (_dir, path) = vault_with("relay", "t-1");
        let store = open(&path, "correct horse").unwrap();
        fs::remove_file(&path).unwrap();
        open(&path, "different").unwrap().set("x", &secret("y")).unwrap();
        let err = store.get("relay").unwrap_err();
        assert!(matches!(err, SecretError::VaultCorrupt { .. }), "a vault replaced under us: {err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn vault_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = vault_with("relay", "t-1");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the vault is readable by its owner only, got {mode:o}");
        // Still 0600 after a rewrite (a fresh temporary file each time).
        open(&path, "correct horse").unwrap().set("relay", &secret("t-2")).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "rewrites keep the vault private, got {mode:o}");
    }

    #[test]
    fn concurrent_writers_in_one_process_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.json");
        let store = std::sync::Arc::new(open(&path, "correct horse").unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        store.set(&format!("k{t}-{i}"), &secret(&format!("v{t}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for t in 0..4 {
            for i in 0..5 {
                let got = value(&store, &format!("k{t}-{i}"));
                assert_eq!(got, Some(format!("v{t}-{i}")), "the mutex serializes read-modify-write");
            }
        }
    }

    #[test]
    fn errors_say_what_to_do() {
        let e = SecretError::KeyringUnavailable { detail: "no bus".into() }.to_string();
        assert!(e.contains("OS keyring") && e.contains("CAHTS_VAULT"), "keyring errors offer the vault: {e}");
        let e = SecretError::VaultNoPassphrase { path: "/v".into() }.to_string();
        assert!(e.contains("CAHTS_VAULT_PASSPHRASE"), "says where the passphrase comes from: {e}");
    }
}

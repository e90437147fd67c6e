//! The operator's commands (`cahts-relay pair`, `devices`, `tenants`, `assets`,
//! `dead-letters`) and pairing redemption. They run on the same SQLite file as a serving
//! relay; the server notices changes through `PRAGMA data_version`.

use rand_core::{OsRng, RngCore};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::store::{Ctx as _, Result, StoreError, hash_secret, now_ms};

/// Crockford-style alphabet: no I, L, O, U, so codes survive being read aloud or typed.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new pairing code: 16 symbols (80 random bits) in groups of four.
pub fn new_pairing_code() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let symbols: Vec<char> = bytes.iter().map(|b| CODE_ALPHABET[(*b & 31) as usize] as char).collect();
    symbols.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Codes are compared without separators or case, with easily confused letters folded.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect()
}

fn validate_name(kind: &'static str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Refused(format!("{kind} name '{name}' must be 1-64 letters, digits, '-', '_' or '.'")))
    }
}

fn tenant_exists(conn: &Connection, tenant: &str) -> Result<bool> {
    conn.query_row("SELECT 1 FROM tenants WHERE name = ?1", [tenant], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
        .ctx("looking up a tenant")
}

fn require_tenant(conn: &Connection, tenant: &str) -> Result<()> {
    if tenant_exists(conn, tenant)? {
        Ok(())
    } else {
        Err(StoreError::Refused(format!("no tenant named '{tenant}' (see `cahts-relay tenants list`)")))
    }
}

pub fn add_tenant(conn: &Connection, name: &str) -> Result<()> {
    validate_name("tenant", name)?;
    let inserted = conn
        .execute("INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?1, ?2)", params![name, now_ms()])
        .ctx("adding a tenant")?;
    if inserted == 0 {
        return Err(StoreError::Refused(format!("tenant '{name}' already exists")));
    }
    Ok(())
}

pub struct TenantRow {
    pub name: String,
    pub devices: i64,
    pub assets: i64,
}

pub fn list_tenants(conn: &Connection) -> Result<Vec<TenantRow>> {
    let mut stmt = conn
        .prepare(
            "SELECT t.name,
                    (SELECT count(*) FROM devices d WHERE d.tenant = t.name AND d.revoked_at IS NULL),
                    (SELECT count(*) FROM assets a WHERE a.tenant = t.name)
             FROM tenants t ORDER BY t.name",
        )
        .ctx("listing tenants")?;
    let rows = stmt
        .query_map([], |r| Ok(TenantRow { name: r.get(0)?, devices: r.get(1)?, assets: r.get(2)? }))
        .ctx("listing tenants")?;
    rows.collect::<rusqlite::Result<_>>().ctx("listing tenants")
}

pub fn create_pairing_code(conn: &Connection, tenant: &str, name: Option<&str>, valid_minutes: u64) -> Result<String> {
    require_tenant(conn, tenant)?;
    let code = new_pairing_code();
    let now = now_ms();
    conn.execute("DELETE FROM pairing_codes WHERE expires_at < ?1", [now]).ctx("removing expired codes")?;
    conn.execute(
        "INSERT INTO pairing_codes (code_hash, tenant, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash_secret(&normalize_code(&code)), tenant, name, now, now + valid_minutes as i64 * 60_000],
    )
    .ctx("saving a pairing code")?;
    Ok(code)
}

pub struct Paired {
    pub device_id: i64,
    pub tenant: String,
    pub token: String,
}

impl std::fmt::Debug for Paired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paired")
            .field("device_id", &self.device_id)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// Redeems a code: one use, before it expires, within the tenant's device limit.
pub fn redeem_pairing_code(
    tx: &Transaction<'_>,
    code: &str,
    public_key: &[u8; 32],
    name: &str,
    max_devices: u64,
) -> Result<Paired> {
    let hash = hash_secret(&normalize_code(code));
    let found: Option<(String, Option<String>, i64)> = tx
        .query_row("SELECT tenant, name, expires_at FROM pairing_codes WHERE code_hash = ?1", [&hash], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .ctx("looking up a pairing code")?;
    let Some((tenant, suggested, expires_at)) = found else {
        return Err(StoreError::Refused("pairing code is unknown or was already used".into()));
    };
    tx.execute("DELETE FROM pairing_codes WHERE code_hash = ?1", [&hash]).ctx("using a pairing code")?;
    if expires_at < now_ms() {
        return Err(StoreError::Refused("pairing code has expired; ask for a new one (`cahts-relay pair`)".into()));
    }
    let devices: i64 = tx
        .query_row("SELECT count(*) FROM devices WHERE tenant = ?1 AND revoked_at IS NULL", [&tenant], |r| r.get(0))
        .ctx("counting devices")?;
    if devices as u64 >= max_devices {
        return Err(StoreError::Refused(format!(
            "tenant '{tenant}' already has {devices} devices (max_devices_per_tenant); revoke one first"
        )));
    }
    let mut token_bytes = [0u8; 32];
    OsRng.fill_bytes(&mut token_bytes);
    let token = cahts_protocol::b64::encode(token_bytes);
    let name = if name.trim().is_empty() {
        suggested.unwrap_or_else(|| "device".into())
    } else {
        name.trim().chars().take(80).collect()
    };
    tx.execute(
        "INSERT INTO devices (tenant, name, public_key, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![tenant, name, public_key.as_slice(), hash_secret(&token), now_ms()],
    )
    .ctx("adding a device")?;
    Ok(Paired { device_id: tx.last_insert_rowid(), tenant, token })
}

pub struct DeviceRow {
    pub device_id: i64,
    pub tenant: String,
    pub name: String,
    pub key_id: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub queued: i64,
}

pub fn list_devices(conn: &Connection, tenant: Option<&str>) -> Result<Vec<DeviceRow>> {
    let mut stmt = conn
        .prepare(
            "SELECT d.device_id, d.tenant, d.name, d.public_key, d.created_at, d.last_seen_at, d.revoked_at,
                    (SELECT count(*) FROM queue q WHERE q.device_id = d.device_id)
             FROM devices d WHERE ?1 IS NULL OR d.tenant = ?1 ORDER BY d.device_id",
        )
        .ctx("listing devices")?;
    let rows = stmt
        .query_map([tenant], |r| {
            let key: Vec<u8> = r.get(3)?;
            let key_id = <[u8; 32]>::try_from(key.as_slice())
                .map(|k| cahts_protocol::DevicePublicKey::from_bytes(k).key_id_hex())
                .unwrap_or_else(|_| "invalid".into());
            Ok(DeviceRow {
                device_id: r.get(0)?,
                tenant: r.get(1)?,
                name: r.get(2)?,
                key_id,
                created_at: r.get(4)?,
                last_seen_at: r.get(5)?,
                revoked_at: r.get(6)?,
                queued: r.get(7)?,
            })
        })
        .ctx("listing devices")?;
    rows.collect::<rusqlite::Result<_>>().ctx("listing devices")
}

/// Revokes a device: its token stops working and its queue is deleted.
pub fn revoke_device(conn: &mut Connection, device_id: i64) -> Result<()> {
    let tx = conn.transaction().ctx("revoking a device")?;
    let changed = tx
        .execute(
            "UPDATE devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
            params![device_id, now_ms()],
        )
        .ctx("revoking a device")?;
    if changed == 0 {
        return Err(StoreError::Refused(format!(
            "no active device with id {device_id} (see `cahts-relay devices list`)"
        )));
    }
    tx.execute("DELETE FROM queue WHERE device_id = ?1", [device_id]).ctx("deleting a revoked device's queue")?;
    tx.commit().ctx("revoking a device")?;
    Ok(())
}

pub fn add_asset(conn: &Connection, tenant: &str, platform: &str, asset_id: &str) -> Result<()> {
    require_tenant(conn, tenant)?;
    if !matches!(platform, "messenger" | "instagram" | "whatsapp") {
        return Err(StoreError::Refused(format!("platform '{platform}' must be messenger, instagram or whatsapp")));
    }
    if asset_id.is_empty() || !asset_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(StoreError::Refused(format!("asset id '{asset_id}' must be the numeric id Meta shows")));
    }
    let existing: Option<String> = conn
        .query_row("SELECT tenant FROM assets WHERE asset_id = ?1", [asset_id], |r| r.get(0))
        .optional()
        .ctx("looking up an asset")?;
    if let Some(owner) = existing {
        return Err(StoreError::Refused(format!(
            "asset {asset_id} already belongs to tenant '{owner}'; remove it first"
        )));
    }
    conn.execute(
        "INSERT INTO assets (asset_id, platform, tenant, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![asset_id, platform, tenant, now_ms()],
    )
    .ctx("binding an asset")?;
    Ok(())
}

pub fn remove_asset(conn: &Connection, asset_id: &str) -> Result<()> {
    let removed = conn.execute("DELETE FROM assets WHERE asset_id = ?1", [asset_id]).ctx("removing an asset")?;
    if removed == 0 {
        return Err(StoreError::Refused(format!("asset {asset_id} is not bound (see `cahts-relay assets list`)")));
    }
    Ok(())
}

pub fn list_assets(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn
        .prepare("SELECT asset_id, platform, tenant FROM assets ORDER BY tenant, platform, asset_id")
        .ctx("listing assets")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).ctx("listing assets")?;
    rows.collect::<rusqlite::Result<_>>().ctx("listing assets")
}

pub struct DeadLetter {
    pub received_at: i64,
    pub object: String,
    pub asset_id: String,
    pub bytes: i64,
    pub reason: String,
}

pub fn list_dead_letters(conn: &Connection, limit: u64) -> Result<Vec<DeadLetter>> {
    let mut stmt = conn
        .prepare("SELECT received_at, object, asset_id, bytes, reason FROM dead_letters ORDER BY id DESC LIMIT ?1")
        .ctx("listing dead letters")?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            Ok(DeadLetter {
                received_at: r.get(0)?,
                object: r.get(1)?,
                asset_id: r.get(2)?,
                bytes: r.get(3)?,
                reason: r.get(4)?,
            })
        })
        .ctx("listing dead letters")?;
    rows.collect::<rusqlite::Result<_>>().ctx("listing dead letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_forgiving_to_type() {
        let a = new_pairing_code();
        assert_eq!(a.len(), 19);
        assert_ne!(a, new_pairing_code());
        assert_eq!(normalize_code(&a.to_lowercase()), normalize_code(&a));
        assert_eq!(normalize_code("o1l-I"), "0111");
    }

    #[test]
    fn pairing_is_one_use_and_respects_expiry_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_for_writing(&dir.path().join("r.sqlite")).unwrap();
        let code = create_pairing_code(&conn, "default", Some("laptop"), 15).unwrap();
        let tx = conn.transaction().unwrap();
        let paired = redeem_pairing_code(&tx, &code.to_lowercase(), &[7; 32], "", 2).unwrap();
        tx.commit().unwrap();
        assert_eq!(paired.tenant, "default");
        let again = {
            let tx = conn.transaction().unwrap();
            redeem_pairing_code(&tx, &code, &[7; 32], "", 2).map(|_| ())
        };
        assert!(again.unwrap_err().to_string().contains("already used"));

        let expired = create_pairing_code(&conn, "default", None, 15).unwrap();
        conn.execute("UPDATE pairing_codes SET expires_at = 0", []).unwrap();
        let tx = conn.transaction().unwrap();
        assert!(redeem_pairing_code(&tx, &expired, &[8; 32], "x", 2).unwrap_err().to_string().contains("expired"));
        drop(tx);

        let second = create_pairing_code(&conn, "default", None, 15).unwrap();
        let third = create_pairing_code(&conn, "default", None, 15).unwrap();
        let tx = conn.transaction().unwrap();
        redeem_pairing_code(&tx, &second, &[9; 32], "desk", 2).unwrap();
        assert!(
            redeem_pairing_code(&tx, &third, &[10; 32], "desk", 2)
                .unwrap_err()
                .to_string()
                .contains("max_devices_per_tenant")
        );
        tx.commit().unwrap();

        // Only hashes are stored.
        let stored: Vec<u8> = conn
            .query_row("SELECT token_hash FROM devices WHERE device_id = ?1", [paired.device_id], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, hash_secret(&paired.token));
        assert!(create_pairing_code(&conn, "nobody", None, 15).is_err());
    }
}

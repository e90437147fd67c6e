-- The relay's store: who may receive what, and the sealed per-device queues.
-- Nothing here is readable customer content: queue rows are AES-256-GCM envelopes that
-- only the receiving device can open; device tokens and pairing codes are SHA-256 hashes.

CREATE TABLE tenants (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL          -- ms since the Unix epoch, like every *_at here
) STRICT;

-- Page, Instagram account and WhatsApp phone-number (or WABA) ids, bound to a tenant.
-- With no rows at all, every asset belongs to the 'default' tenant.
CREATE TABLE assets (
    asset_id    TEXT PRIMARY KEY,
    platform    TEXT NOT NULL CHECK (platform IN ('messenger', 'instagram', 'whatsapp')),
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
    device_id     INTEGER PRIMARY KEY,
    tenant        TEXT NOT NULL REFERENCES tenants(name),
    name          TEXT NOT NULL,
    public_key    BLOB NOT NULL,           -- X25519, 32 bytes
    token_hash    BLOB NOT NULL UNIQUE,    -- SHA-256 of the bearer token
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER,
    revoked_at    INTEGER,
    next_seq      INTEGER NOT NULL DEFAULT 1,  -- sequence number of the next queued event
    acked_seq     INTEGER NOT NULL DEFAULT 0,  -- everything up to here was applied by the device
    dropped_unreported INTEGER NOT NULL DEFAULT 0  -- dropped by retention, not yet told to the device
) STRICT;

CREATE TABLE queue (
    device_id    INTEGER NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    sealed       BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX queue_by_age ON queue (received_at);

CREATE TABLE pairing_codes (
    code_hash   BLOB PRIMARY KEY,          -- SHA-256 of the normalized code
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    name        TEXT,                      -- suggested device name
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

-- Entries nobody could receive (asset bound to no tenant, tenant with no device).
-- Metadata only: the content is gone, and is not readable anyway.
CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    received_at  INTEGER NOT NULL,
    object       TEXT NOT NULL,
    asset_id     TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    reason       TEXT NOT NULL
) STRICT;

INSERT INTO tenants (name, created_at) VALUES ('default', CAST(unixepoch('subsec') * 1000 AS INTEGER));

-- index attachments_to_fetch
CREATE INDEX attachments_to_fetch ON attachments (next_download_at)
    WHERE local_path IS NULL AND download_state IS NULL AND (url IS NOT NULL OR media_id IS NOT NULL);

-- index conversations_awaiting
CREATE INDEX conversations_awaiting ON conversations (account_id, last_message_at)
    WHERE state = 'open' AND last_inbound_at = last_message_at;

-- index conversations_by_activity
CREATE INDEX conversations_by_activity ON conversations (last_message_at DESC, id DESC)
    WHERE last_message_id IS NOT NULL;

-- index conversations_by_contact
CREATE INDEX conversations_by_contact ON conversations (contact_id);

-- index conversations_by_done
CREATE INDEX conversations_by_done ON conversations (done_at) WHERE done_at IS NOT NULL;

-- index conversations_by_first_message
CREATE INDEX conversations_by_first_message ON conversations (first_message_at) WHERE first_message_at IS NOT NULL;

-- index conversations_by_platform
CREATE INDEX conversations_by_platform ON conversations (platform, last_message_at DESC, id DESC)
    WHERE last_message_id IS NOT NULL;

-- index conversations_done
CREATE INDEX conversations_done ON conversations (last_message_at DESC, id DESC)
    WHERE last_message_id IS NOT NULL AND state = 'done';

-- index customer_waits_by_time
CREATE INDEX customer_waits_by_time ON customer_waits (account_id, asked_at, answered_at, conversation_id);

-- index late_replies_by_time
CREATE INDEX late_replies_by_time ON late_replies (account_id, sent_at, count);

-- index messages_by_send_metadata
CREATE INDEX messages_by_send_metadata ON messages (json_extract(extras, '$.sendMetadata'))
    WHERE json_extract(extras, '$.sendMetadata') IS NOT NULL;

-- index messages_by_thread
CREATE INDEX messages_by_thread ON messages (conversation_id, sent_at DESC, id DESC) WHERE stub = 0;

-- index outbox_by_state
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);

-- table accounts
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL CHECK (platform IN ('messenger', 'instagram', 'whatsapp')),
    asset_id      TEXT    NOT NULL,
    display_name  TEXT,
    -- 'unverified': seen in webhooks but not connected with a token (yet);
    -- 'connected', 'needs_reconnect', 'rate_limited', 'unsubscribed', 'disconnected'.
    status        TEXT    NOT NULL DEFAULT 'unverified',
    status_detail TEXT,
    rate_limited_until INTEGER,
    created_at    INTEGER NOT NULL, parent_asset_id TEXT, business_id TEXT, login TEXT, token_expires_at INTEGER,
    UNIQUE (platform, asset_id)
);

-- table attachments
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT,
    mime_type     TEXT,
    url           TEXT,
    media_id      TEXT,
    filename      TEXT,
    size_bytes    INTEGER,
    sha256        TEXT,
    title         TEXT,
    voice         INTEGER NOT NULL DEFAULT 0,
    animated      INTEGER NOT NULL DEFAULT 0,
    local_path    TEXT, thumbnail_path TEXT, download_state TEXT, download_error TEXT, download_attempts INTEGER NOT NULL DEFAULT 0, next_download_at INTEGER,
    UNIQUE (message_id, position)
);

-- table change_log
CREATE TABLE change_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    conversation_id INTEGER,
    kind            TEXT    NOT NULL
);

-- table contacts
CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL,
    platform_user_id TEXT NOT NULL,
    name          TEXT,
    handle        TEXT,
    phone         TEXT,
    avatar_url    TEXT,
    updated_at    INTEGER NOT NULL,
    UNIQUE (platform, platform_user_id)
);

-- table contacts_fts
CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, handle, phone,
    content = 'contacts',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- table contacts_fts_config
CREATE TABLE 'contacts_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table contacts_fts_data
CREATE TABLE 'contacts_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table contacts_fts_docsize
CREATE TABLE 'contacts_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table contacts_fts_idx
CREATE TABLE 'contacts_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table conversations
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id),
    platform        TEXT    NOT NULL,
    -- Denormalized, maintained in the same transaction as messages: the newest visible
    -- message (by sent_at, then id) and its time, which orders the inbox.
    last_message_id INTEGER,
    last_message_at INTEGER,
    unread_count    INTEGER NOT NULL DEFAULT 0,
    -- Set by "mark as unread"; cleared by reading.
    marked_unread   INTEGER NOT NULL DEFAULT 0,
    -- Newest inbound message time: the start of the platform's reply window.
    last_inbound_at INTEGER,
    -- The business has read everything inbound up to here (unread = inbound after it).
    read_up_to      INTEGER NOT NULL DEFAULT 0,
    -- Messenger watermarks: the customer received / read our messages up to here.
    -- Kept so a late-arriving outbound message still gets the right status.
    delivered_watermark INTEGER NOT NULL DEFAULT 0,
    read_watermark  INTEGER NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    created_at      INTEGER NOT NULL, first_message_at INTEGER, done_at INTEGER,
    UNIQUE (account_id, contact_id)
);

-- table customer_waits
CREATE TABLE customer_waits (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    asked_at        INTEGER NOT NULL,
    answered_at     INTEGER,
    account_id      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, asked_at)
) WITHOUT ROWID;

-- table late_replies
CREATE TABLE late_replies (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sent_at         INTEGER NOT NULL,
    account_id      INTEGER NOT NULL,
    -- Messages sent in the same millisecond.
    count           INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (conversation_id, sent_at)
) WITHOUT ROWID;

-- table message_slots
CREATE TABLE message_slots (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slot       INTEGER NOT NULL, -- sent_at / 900000
    inbound    INTEGER NOT NULL DEFAULT 0,
    outbound   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, slot)
) WITHOUT ROWID;

-- table messages
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    platform        TEXT    NOT NULL,
    -- mid / wamid: the idempotency key of every event about this message.
    platform_message_id TEXT NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind            TEXT    NOT NULL,
    -- As first received.
    original_text   TEXT,
    -- What is shown and searched: the latest edit, or NULL once unsent.
    body            TEXT,
    edit_count      INTEGER NOT NULL DEFAULT 0,
    deleted_at      INTEGER,
    sent_at         INTEGER NOT NULL,
    reply_to_mid    TEXT,
    reply_to_story_url TEXT,
    reply_to_story_id TEXT,
    -- MessageExtras as JSON: kind-specific details (location, contact cards, payloads,
    -- referral, platform error). NULL when empty.
    extras          TEXT,
    -- DeliveryStatus rank: only ever raised, with MAX(), so it never moves backwards.
    status          INTEGER NOT NULL DEFAULT 0,
    status_at       INTEGER,
    failure_code    INTEGER,
    failure_reason  TEXT,
    -- 1 while only later events (status, edit, unsend) have been seen and the message
    -- itself has not arrived: out-of-order delivery must converge to the same state.
    stub            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (platform, platform_message_id)
);

-- table messages_fts
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- table messages_fts_config
CREATE TABLE 'messages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table messages_fts_data
CREATE TABLE 'messages_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table messages_fts_docsize
CREATE TABLE 'messages_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table messages_fts_idx
CREATE TABLE 'messages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table outbox
CREATE TABLE outbox (
    client_id       TEXT    PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    body            TEXT,
    payload         TEXT,
    state           TEXT    NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    platform_message_id TEXT,
    error_code      INTEGER,
    error_message   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
, published INTEGER NOT NULL DEFAULT 0);

-- table reactions
CREATE TABLE reactions (
    platform      TEXT    NOT NULL,
    platform_message_id TEXT NOT NULL,
    actor         TEXT    NOT NULL CHECK (actor IN ('contact', 'business')),
    emoji         TEXT,   -- NULL: removed
    reaction      TEXT,
    reacted_at    INTEGER NOT NULL,
    PRIMARY KEY (platform, platform_message_id, actor)
) WITHOUT ROWID;

-- table relay_state
CREATE TABLE relay_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- table settings
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- table sync_cursors
CREATE TABLE sync_cursors (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    resource      TEXT    NOT NULL,
    cursor        TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, resource)
);

-- trigger contacts_fts_delete
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, handle, phone)
        VALUES ('delete', old.id, old.name, old.handle, old.phone);
END;

-- trigger contacts_fts_insert
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, handle, phone) VALUES (new.id, new.name, new.handle, new.phone);
END;

-- trigger contacts_fts_update
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, handle, phone ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, handle, phone)
        VALUES ('delete', old.id, old.name, old.handle, old.phone);
    INSERT INTO contacts_fts (rowid, name, handle, phone) VALUES (new.id, new.name, new.handle, new.phone);
END;

-- trigger messages_fts_delete
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

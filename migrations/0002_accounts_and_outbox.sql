-- An Instagram account connected through a Facebook Page is reached through that Page:
-- its conversations edge and its sends use the Page's id and token.
ALTER TABLE accounts ADD COLUMN parent_asset_id TEXT;

-- Echoes of messages this computer sent carry the outbox client id (Messenger/Instagram
-- `metadata`); finding them must not scan every message. Only such rows are indexed.
CREATE INDEX messages_by_send_metadata ON messages (json_extract(extras, '$.sendMetadata'))
    WHERE json_extract(extras, '$.sendMetadata') IS NOT NULL;
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);

-- A sent message is published through the relay to the owner's other computers once;
-- 1 when the relay has queued it for them.
ALTER TABLE outbox ADD COLUMN published INTEGER NOT NULL DEFAULT 0;

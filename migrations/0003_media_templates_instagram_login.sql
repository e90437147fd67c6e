-- Inbound media is copied to this computer (Meta's URLs and WhatsApp media ids expire).
-- An attachment with a URL or media id and no local_path is waiting to be fetched, unless
-- download_state says it cannot be: 'unavailable' (gone from Meta) or 'refused' (too big,
-- or not what it claimed to be). Failures that may pass wait until next_download_at.
ALTER TABLE attachments ADD COLUMN thumbnail_path TEXT;
ALTER TABLE attachments ADD COLUMN download_state TEXT;
ALTER TABLE attachments ADD COLUMN download_error TEXT;
ALTER TABLE attachments ADD COLUMN download_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN next_download_at INTEGER;
CREATE INDEX attachments_to_fetch ON attachments (next_download_at)
    WHERE local_path IS NULL AND download_state IS NULL AND (url IS NOT NULL OR media_id IS NOT NULL);

-- A WhatsApp number's business account (templates live there).
ALTER TABLE accounts ADD COLUMN business_id TEXT;
-- How the account was connected: 'facebook' (Page token), 'instagram' (Instagram Login,
-- graph.instagram.com), 'whatsapp' (system-user token). And when its token expires, for
-- refreshing Instagram Login tokens before their 60 days end (never the token itself).
ALTER TABLE accounts ADD COLUMN login TEXT;
ALTER TABLE accounts ADD COLUMN token_expires_at INTEGER;

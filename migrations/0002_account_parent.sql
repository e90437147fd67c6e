-- An Instagram account connected through a Facebook Page is reached through that Page:
-- its conversations edge and its sends use the Page's id and token.
ALTER TABLE accounts ADD COLUMN parent_asset_id TEXT;

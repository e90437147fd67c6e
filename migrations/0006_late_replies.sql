-- Replies sent outside Meta's 24-hour window: a business message more than 24 hours after
-- the customer's latest message (or before the customer wrote at all). Meta accepts these
-- only as WhatsApp templates or tagged Messenger/Instagram messages, so the count says how
-- often the business reached out late. Kept by store/report_figures.rs with the messages.
CREATE TABLE late_replies (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sent_at         INTEGER NOT NULL,
    account_id      INTEGER NOT NULL,
    -- Messages sent in the same millisecond.
    count           INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (conversation_id, sent_at)
) WITHOUT ROWID;
CREATE INDEX late_replies_by_time ON late_replies (account_id, sent_at, count);

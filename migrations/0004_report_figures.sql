-- Reports: figures kept in the same transaction as the messages (store/report_figures.rs),
-- so a dashboard over a million messages reads small tables instead of scanning messages.

-- Messages per account and 15-minute slot of UTC time. Every time zone's offset is a
-- multiple of 15 minutes, so a local day, ISO week or hour in any zone, DST included,
-- is an exact sum of slots: the computer's zone is applied when reading, never stored.
CREATE TABLE message_slots (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slot       INTEGER NOT NULL, -- sent_at / 900000
    inbound    INTEGER NOT NULL DEFAULT 0,
    outbound   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, slot)
) WITHOUT ROWID;

-- A customer's wait for the business, as Meta counts responsiveness: a customer message
-- after 24 hours without any message in the conversation (or its first) asks; the
-- business's first message after it, before the next ask, answers.
-- The account is repeated here so a range of waits is read from one covering index, with
-- no join (a year is hundreds of thousands of rows).
CREATE TABLE customer_waits (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    asked_at        INTEGER NOT NULL,
    answered_at     INTEGER,
    account_id      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, asked_at)
) WITHOUT ROWID;
CREATE INDEX customer_waits_by_time ON customer_waits (account_id, asked_at, answered_at, conversation_id);

-- The conversation's first message (history loaded later moves it back) and when the
-- owner last marked it done (cleared when it is reopened).
ALTER TABLE conversations ADD COLUMN first_message_at INTEGER;
ALTER TABLE conversations ADD COLUMN done_at INTEGER;
CREATE INDEX conversations_by_first_message ON conversations (first_message_at) WHERE first_message_at IS NOT NULL;
CREATE INDEX conversations_by_done ON conversations (done_at) WHERE done_at IS NOT NULL;
-- Open conversations whose newest message is the customer's: "unanswered now", waiting
-- longest first, without reading every conversation.
CREATE INDEX conversations_awaiting ON conversations (account_id, last_message_at)
    WHERE state = 'open' AND last_inbound_at = last_message_at;
